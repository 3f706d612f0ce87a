//! The example's forms over HTTP: a valid contact message is stored, an invalid one names each
//! field and stores nothing, a choice outside the list is refused, sign-up's "already registered"
//! comes from the server, the log-in form redirects (`303` without JavaScript) and refuses a wrong
//! password under no field, a password change needs its confirmation to match, and the manifest
//! carries the forms' schemas. Without JavaScript: a flash cookie the server did not sign is
//! removed unread, it is `Secure` when the session cookie is, and a `Referer` that could lead
//! elsewhere is not gone back to.

mod common;

use common::{SAME_ORIGIN, test_app, test_app_with};
use http::StatusCode;
use serde_json::{Value, json};

/// `POST /api/mizan/form/<name>` with the fields, as the function endpoints take arguments.
async fn submit(
    app: &common::TestApp,
    form: &str,
    fields: &Value,
    headers: &[(&str, &str)],
) -> common::Reply {
    let body = json!({ "args": fields }).to_string();
    app.post_json(&format!("/api/mizan/form/{form}"), &body, headers)
        .await
}

async fn stored_messages(app: &common::TestApp) -> Vec<(String, String, String, String)> {
    sqlx::query_as("SELECT name, email, topic, message FROM contact_messages ORDER BY id")
        .fetch_all(app.pool())
        .await
        .expect("query")
}

fn contact(name: &str, email: &str, topic: &str, message: &str) -> Value {
    json!({"name": name, "email": email, "topic": topic, "message": message})
}

#[tokio::test]
async fn a_valid_contact_message_is_stored_through_the_forms_endpoint_and_as_a_call() {
    let app = test_app().await;
    let body = contact("Zoë", "zoe+site@example.com", "billing", "Hello ✉");
    let reply = submit(&app, "contact", &body, &[SAME_ORIGIN]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let first = reply.json()["result"]["id"].as_i64().expect("an id");
    assert_eq!(reply.json()["invalidate"], json!([]));

    let reply = app
        .call(
            "contact",
            contact("Bo", "bo@example.com", "general", "Hi"),
            &[SAME_ORIGIN],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["result"]["id"].as_i64(), Some(first + 1));
    assert_eq!(
        stored_messages(&app).await,
        [
            (
                "Zoë".into(),
                "zoe+site@example.com".into(),
                "billing".into(),
                "Hello ✉".into()
            ),
            (
                "Bo".into(),
                "bo@example.com".into(),
                "general".into(),
                "Hi".into()
            ),
        ]
    );
}

#[tokio::test]
async fn an_invalid_message_names_each_field_and_stores_nothing() {
    let app = test_app().await;
    let long = "x".repeat(101);
    let reply = submit(
        &app,
        "contact",
        &contact(&long, "not-an-email", "general", ""),
        &[SAME_ORIGIN],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    let fields = &reply.json()["error"]["details"]["fields"];
    assert_eq!(fields["name"], json!(["must be 1 to 100 characters"]));
    assert_eq!(fields["email"], json!(["must be an email address"]));
    assert_eq!(fields["message"], json!(["must be 1 to 2000 characters"]));

    let reply = submit(
        &app,
        "contact",
        &contact("A", "a@example.com", "spam", "x"),
        &[SAME_ORIGIN],
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert!(
        reply.json()["error"]["details"]["fields"]["topic"].is_array(),
        "{}",
        reply.text
    );
    assert!(stored_messages(&app).await.is_empty());

    let cross_site = submit(
        &app,
        "contact",
        &contact("A", "a@example.com", "general", "x"),
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ],
    )
    .await;
    assert_eq!(cross_site.status, StatusCode::FORBIDDEN);
    assert!(stored_messages(&app).await.is_empty());
}

#[tokio::test]
async fn sign_up_refuses_a_registered_email_under_its_field_and_signs_new_accounts_in() {
    let app = test_app().await;
    let taken = json!({"name": "Al", "email": "ALICE@example.com", "password": "long enough"});
    let reply = submit(&app, "sign_up", &taken, &[SAME_ORIGIN]).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(
        reply.json()["error"]["details"]["fields"],
        json!({"email": ["is already registered"]})
    );

    let new = json!({"name": "Cy", "email": "cy@example.com", "password": "long enough"});
    let reply = submit(&app, "sign_up", &new, &[SAME_ORIGIN]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json()["invalidate"],
        json!(["current_user", "site_stats", "user_directory"])
    );
    let cookie = reply.session_cookie().expect("signed in");
    let me = app
        .call("whoami", json!({}), &[SAME_ORIGIN, ("cookie", &cookie)])
        .await;
    assert_eq!(me.json()["result"]["email"], "cy@example.com");
}

#[tokio::test]
async fn the_manifest_carries_each_forms_schema() {
    let app = test_app().await;
    let manifest = app.get("/api/mizan/manifest", &[]).await.json();
    let contact = manifest["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .find(|function| function["name"] == "contact")
        .expect("the contact form's submission");
    assert_eq!(contact["kind"], "mutation");
    assert_eq!(contact["endpoint"], "/api/mizan/form/contact");
    let form = &contact["form"];
    assert_eq!(form["title"], "Contact us");
    assert_eq!(form["submit_label"], "Send");
    assert_eq!(form["live_validation"], true);
    let fields: Vec<(&str, &str, bool)> = form["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|field| {
            (
                field["name"].as_str().unwrap_or_default(),
                field["widget"].as_str().unwrap_or_default(),
                field["required"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("name", "text", true),
            ("email", "email", true),
            ("topic", "select", true),
            ("message", "textarea", true),
        ]
    );
    assert_eq!(
        form["fields"][0]["constraints"],
        json!({"min_length": 1, "max_length": 100,
               "messages": {"length": "must be 1 to 100 characters"}})
    );
    assert_eq!(
        form["fields"][2]["choices"][1],
        json!({"value": "billing", "label": "Billing"})
    );
}

#[tokio::test]
async fn a_plain_html_form_post_is_read_by_each_fields_type() {
    let app = test_app().await;
    let request = http::Request::post("/api/mizan/form/contact")
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(SAME_ORIGIN.0, SAME_ORIGIN.1)
        .body(axum::body::Body::from(
            "name=Ann+Lee&email=ann%2Btag%40example.com&topic=feedback&message=Line+1%0ALine+2",
        ))
        .expect("request");
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        stored_messages(&app).await,
        [(
            "Ann Lee".into(),
            "ann+tag@example.com".into(),
            "feedback".into(),
            "Line 1\nLine 2".into()
        )]
    );
}

/// A browser's own post of a form, from its page, without JavaScript.
async fn post_without_javascript(app: &common::TestApp, form: &str, body: &str) -> common::Reply {
    post_without_javascript_as(app, form, body, None).await
}

/// [`post_without_javascript`] with the session cookie `cookie`, when given.
async fn post_without_javascript_as(
    app: &common::TestApp,
    form: &str,
    body: &str,
    cookie: Option<&str>,
) -> common::Reply {
    let mut request = http::Request::post(format!("/api/mizan/form/{form}"))
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::ACCEPT, "text/html,application/xhtml+xml")
        .header(http::header::HOST, "127.0.0.1:3000")
        .header(
            http::header::REFERER,
            format!("http://127.0.0.1:3000/{}", page_of(form)),
        )
        .header(SAME_ORIGIN.0, SAME_ORIGIN.1);
    if let Some(cookie) = cookie {
        request = request.header(http::header::COOKIE, cookie);
    }
    let request = request
        .body(axum::body::Body::from(body.to_owned()))
        .expect("request");
    app.send(request).await
}

fn page_of(form: &str) -> &'static str {
    match form {
        "contact" => "contact",
        "log_in" => "login",
        "change_password" => "password",
        _ => "signup",
    }
}

/// The flash cookie's `name=value` pair a reply sets.
fn flash_of(reply: &common::Reply) -> String {
    maybe_flash_of(reply).expect("the flash cookie")
}

/// `reply` sends the browser to `location` (`303 See Other`), as a no-JavaScript post is answered.
fn assert_sent_to(reply: &common::Reply, location: &str) {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(reply.headers[http::header::LOCATION], location);
}

/// The flash cookie's `name=value` pair, if the reply sets one.
fn maybe_flash_of(reply: &common::Reply) -> Option<String> {
    reply
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("mizan_form="))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

#[tokio::test]
async fn without_javascript_errors_come_back_under_their_fields_with_the_values_kept() {
    let app = test_app().await;
    let reply = post_without_javascript(
        &app,
        "contact",
        "name=Ann+Lee&email=not-an-email&topic=billing&message=Kept+%3C%2Ftextarea%3E%3Cscript%3Ex%3C%2Fscript%3E",
    )
    .await;
    assert_sent_to(&reply, "/contact");
    let flash = flash_of(&reply);
    assert!(stored_messages(&app).await.is_empty());

    let page = app.get("/contact", &[("cookie", &flash)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("must be an email address"),
        "{}",
        page.text
    );
    assert!(page.text.contains(r#"value="Ann Lee""#), "the name is kept");
    assert!(
        page.text
            .contains("Kept &lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;")
            && !page.text.contains("<script>x"),
        "the message is kept, escaped: {}",
        page.text
    );
    assert!(
        page.text.contains(r#"<option value="billing" selected"#),
        "the topic is kept"
    );
    let cleared = page
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .any(|value| value.to_str().is_ok_and(|v| v.starts_with("mizan_form=;")));
    assert!(cleared, "the flash is read once");
}

#[tokio::test]
async fn without_javascript_a_valid_message_is_stored_and_the_page_says_so() {
    let app = test_app().await;
    let reply = post_without_javascript(
        &app,
        "contact",
        "name=Ann&email=ann%40example.com&topic=general&message=Hi",
    )
    .await;
    assert_sent_to(&reply, "/contact");
    assert_eq!(stored_messages(&app).await.len(), 1);
    let page = app.get("/contact", &[("cookie", &flash_of(&reply))]).await;
    assert!(page.text.contains("your message was sent"), "{}", page.text);

    // Sign-up's server-only error, and no password sent back.
    let reply = post_without_javascript(
        &app,
        "sign_up",
        "name=Al&email=alice%40example.com&password=secret-password",
    )
    .await;
    let flash = flash_of(&reply);
    let page = app.get("/signup", &[("cookie", &flash)]).await;
    assert!(page.text.contains("is already registered"), "{}", page.text);
    assert!(!page.text.contains("secret-password"));
    assert!(!flash.contains("secret"));
}

/// The fields a form's rules refuse in `values`: decoding (a value its type does not take is
/// refused under its field), then `Form::rule_errors`, the one rule set the server refuses a
/// submission by and the Leptos hook shows in wasm.
fn refused<F: mizan::Form>(values: &Value) -> Vec<String> {
    let form: F = match serde_path_to_error::deserialize(values.clone()) {
        Ok(form) => form,
        Err(error) => return vec![error.path().to_string()],
    };
    form.rule_errors().into_keys().collect()
}

/// The shared fixture (vitest runs it against the generated Zod schemas): the Rust rules refuse
/// exactly the fields it says.
#[test]
fn the_forms_fixture_holds_for_the_rust_rules() {
    let fixture: Value =
        serde_json::from_str(include_str!("../../fixtures/forms.json")).expect("json");
    for (form, check) in [
        (
            "contact",
            refused::<app::forms::ContactForm> as fn(&Value) -> Vec<String>,
        ),
        ("sign_up", refused::<app::forms::SignUpForm>),
        ("change_password", refused::<app::forms::ChangePasswordForm>),
    ] {
        for case in fixture[form].as_array().expect("cases") {
            let expected: Vec<String> =
                serde_json::from_value(case["invalid"].clone()).expect("field names");
            assert_eq!(
                check(&case["values"]),
                expected,
                "{form}: {}",
                case["values"]
            );
        }
    }
}

/// The browser's rules (read from the form's schema, no `validator` in the wasm bundle) answer
/// each case of the shared fixture with the server's very messages, in the server's order.
#[test]
fn the_browsers_rules_answer_the_forms_fixture_as_the_server_does() {
    fn same<F: mizan::Form>(values: &Value) {
        let Ok(form) = serde_json::from_value::<F>(values.clone()) else {
            return;
        };
        let to_ascii = |domain: &str| {
            let url = format!("http://{domain}/");
            url::Url::parse(&url).ok()?.host_str().map(str::to_owned)
        };
        let as_sent = serde_json::to_value(&form).expect("a form serializes");
        // A select's choices are one function on both sides: the rules are what differ.
        let mut server = form.rule_errors();
        for messages in server.values_mut() {
            messages.retain(|message| message != mizan::form_rules::NOT_A_CHOICE);
        }
        server.retain(|_, messages| !messages.is_empty());
        assert_eq!(
            mizan::form_rules::form_errors(F::schema(), &as_sent, &to_ascii),
            server,
            "{}: {values}",
            F::NAME
        );
    }
    let fixture: Value =
        serde_json::from_str(include_str!("../../fixtures/forms.json")).expect("json");
    for (form, check) in [
        ("contact", same::<app::forms::ContactForm> as fn(&Value)),
        ("sign_up", same::<app::forms::SignUpForm>),
        ("change_password", same::<app::forms::ChangePasswordForm>),
    ] {
        for case in fixture[form].as_array().expect("cases") {
            check(&case["values"]);
        }
    }
}

/// Who a session cookie signs in, through `whoami` (`None`: nobody).
async fn whoami(app: &common::TestApp, cookie: &str) -> Option<String> {
    let me = app
        .call("whoami", json!({}), &[SAME_ORIGIN, ("cookie", cookie)])
        .await;
    me.json()["result"]["email"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn the_log_in_form_signs_in_and_refuses_a_wrong_password_under_no_field() {
    let app = test_app().await;
    let wrong = json!({"email": "alice@example.com", "password": "not-her-password"});
    let reply = submit(&app, "log_in", &wrong, &[SAME_ORIGIN]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.json()["error"]["message"], "wrong email or password");
    assert!(reply.json()["error"]["details"].is_null(), "{}", reply.text);
    assert!(reply.session_cookie().is_none());

    let right = json!({"email": "Alice@example.com", "password": "alice-password"});
    let reply = submit(&app, "log_in", &right, &[SAME_ORIGIN]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // Every context answering per user, as a sign-in must list them.
    assert_eq!(
        reply.json()["invalidate"],
        json!(["current_user", "user_directory"])
    );
    let cookie = reply.session_cookie().expect("signed in");
    assert_eq!(
        whoami(&app, &cookie).await.as_deref(),
        Some("alice@example.com")
    );
}

#[tokio::test]
async fn without_javascript_a_log_in_goes_to_its_redirect_and_a_wrong_one_comes_back() {
    let app = test_app().await;
    let reply = post_without_javascript(
        &app,
        "log_in",
        "email=alice%40example.com&password=alice-password",
    )
    .await;
    assert_sent_to(&reply, "/");
    assert_eq!(
        maybe_flash_of(&reply),
        None,
        "the home page has no use for it"
    );
    let cookie = reply.session_cookie().expect("signed in");
    assert_eq!(
        whoami(&app, &cookie).await.as_deref(),
        Some("alice@example.com")
    );

    let reply = post_without_javascript(
        &app,
        "log_in",
        "email=alice%40example.com&password=secret-guess",
    )
    .await;
    assert_sent_to(&reply, "/login");
    assert!(reply.session_cookie().is_none());
    let flash = flash_of(&reply);
    let page = app.get("/login", &[("cookie", &flash)]).await;
    assert!(
        page.text.contains("wrong email or password"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains(r#"value="alice@example.com""#),
        "the email is kept"
    );
    assert!(!page.text.contains("secret-guess") && !flash.contains("secret"));
}

#[tokio::test]
async fn a_password_change_needs_a_matching_confirmation_and_a_signed_in_user() {
    let app = test_app().await;
    let change =
        |confirmation: &str| json!({"password": "a new password", "confirmation": confirmation});
    let reply = submit(
        &app,
        "change_password",
        &change("a new password"),
        &[SAME_ORIGIN],
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);

    let cookie = common::sign_in(&app, "alice@example.com", "alice-password", None).await;
    let signed_in = [SAME_ORIGIN, ("cookie", cookie.as_str())];
    let reply = submit(
        &app,
        "change_password",
        &change("a new passwort"),
        &signed_in,
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.text
    );
    assert_eq!(
        reply.json()["error"]["details"]["fields"],
        json!({"confirmation": ["does not match the new password"]})
    );

    // Without JavaScript the same error comes back under its field, no password in it.
    let reply = post_without_javascript_as(
        &app,
        "change_password",
        "password=a+new+password&confirmation=a+new+passwort",
        Some(&cookie),
    )
    .await;
    assert_sent_to(&reply, "/password");
    let flash = flash_of(&reply);
    assert!(!flash.contains("passw"));
    let page = app
        .get("/password", &[("cookie", &format!("{cookie}; {flash}"))])
        .await;
    assert!(
        page.text.contains("does not match the new password"),
        "{}",
        page.text
    );

    let reply = submit(
        &app,
        "change_password",
        &change("a new password"),
        &signed_in,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let old = app
        .call(
            "login",
            json!({"email": "alice@example.com", "password": "alice-password"}),
            &[SAME_ORIGIN],
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED, "{}", old.text);
    common::sign_in(&app, "alice@example.com", "a new password", None).await;
}

#[tokio::test]
async fn the_manifest_carries_a_forms_redirect_and_its_confirmation() {
    let app = test_app().await;
    let manifest = app.get("/api/mizan/manifest", &[]).await.json();
    let form = |name: &str| {
        manifest["functions"]
            .as_array()
            .and_then(|functions| functions.iter().find(|f| f["name"] == name))
            .map(|function| function["form"].clone())
            .unwrap_or_default()
    };
    assert_eq!(form("log_in")["redirect"], "/");
    assert!(
        form("contact").get("redirect").is_none(),
        "absent unless set"
    );
    assert_eq!(
        form("change_password")["fields"][1]["constraints"],
        json!({"must_match": "password",
               "messages": {"must_match": "does not match the new password"}})
    );
}

/// A no-JavaScript post of the contact form from the page `referer`.
async fn post_contact_from(app: &common::TestApp, referer: &str) -> common::Reply {
    let request = http::Request::post("/api/mizan/form/contact")
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::ACCEPT, "text/html")
        .header(http::header::HOST, "127.0.0.1:3000")
        .header(http::header::REFERER, referer)
        .header(SAME_ORIGIN.0, SAME_ORIGIN.1)
        .body(axum::body::Body::from(
            "name=Ann&email=not-an-email&topic=general&message=Hi",
        ))
        .expect("request");
    app.send(request).await
}

/// Whether `reply` removes the flash cookie.
fn clears_flash(reply: &common::Reply) -> bool {
    reply
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .any(|value| value.to_str().is_ok_and(|v| v.starts_with("mizan_form=;")))
}

#[tokio::test]
async fn without_javascript_a_flash_the_server_did_not_sign_is_removed_unread() {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    let app = test_app().await;
    let forged = json!({
        "form": "contact",
        "errors": {"name": ["Your account is locked: call +1 555 0100"]},
    });
    let payload = URL_SAFE_NO_PAD.encode(forged.to_string());
    // As the cookie was before it was signed.
    let page = app
        .get("/contact", &[("cookie", &format!("mizan_form={payload}"))])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("account is locked"), "{}", page.text);
    assert!(clears_flash(&page), "the forged flash is removed");

    // A real flash with its payload swapped for the forged one, signature and expiry kept.
    let reply = post_without_javascript(
        &app,
        "contact",
        "name=Ann&email=not-an-email&topic=general&message=Hi",
    )
    .await;
    let signed = flash_of(&reply);
    let (_, rest) = signed.split_once('.').expect("a signed flash");
    let page = app
        .get(
            "/contact",
            &[("cookie", &format!("mizan_form={payload}.{rest}"))],
        )
        .await;
    assert!(!page.text.contains("account is locked"), "{}", page.text);
    assert!(!page.text.contains("must be an email address"));
    assert!(clears_flash(&page), "the altered flash is removed");

    // The real one is read.
    let page = app.get("/contact", &[("cookie", &signed)]).await;
    assert!(
        page.text.contains("must be an email address"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn without_javascript_a_flash_is_read_by_every_node_with_the_sites_key() {
    const KEY: &str = "the-example-sites-key-for-these-tests";
    let node = test_app_with(|settings| settings.security.secret_key = KEY.into()).await;
    let other_node = test_app_with(|settings| settings.security.secret_key = KEY.into()).await;
    let stranger = test_app().await;
    let reply = post_contact_from(&node, "http://127.0.0.1:3000/contact").await;
    let flash = flash_of(&reply);
    let page = other_node.get("/contact", &[("cookie", &flash)]).await;
    assert!(
        page.text.contains("must be an email address"),
        "{}",
        page.text
    );
    let page = stranger.get("/contact", &[("cookie", &flash)]).await;
    assert!(
        !page.text.contains("must be an email address"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn a_secret_key_shorter_than_32_bytes_stops_the_site_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = mizan_platform::Settings::default();
    settings.database.url = format!("sqlite://{}", dir.path().join("test.db").display());
    settings.security.secret_key = "x".repeat(31);
    let database = common::migrated_database(&settings).await;
    let error = server::app_router_with(
        &settings,
        common::leptos_options(),
        database,
        app::demo::DemoOptions::default(),
        dir.path().join("react-app"),
    )
    .await
    .expect_err("a 31-byte key is refused");
    assert!(
        matches!(
            error,
            server::ServerError::Site(mizan::server::SiteError::SecretKey(
                mizan::server::SiteKeyError::TooShort { length: 31 }
            ))
        ),
        "{error:?}"
    );
    let text = mizan::error_chain(&error);
    assert!(text.contains("at least 32 bytes"), "{text}");
}

#[tokio::test]
async fn without_javascript_the_flash_is_secure_when_the_session_cookie_is() {
    let app = test_app_with(|settings| settings.security.secure_cookies = true).await;
    let reply = post_contact_from(&app, "http://127.0.0.1:3000/contact").await;
    let set_cookie = reply
        .headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("mizan_form="))
        .expect("the flash cookie")
        .to_owned();
    assert!(set_cookie.ends_with("; Secure"), "{set_cookie}");

    let app = test_app().await;
    let reply = post_contact_from(&app, "http://127.0.0.1:3000/contact").await;
    let set_cookie = reply.headers[http::header::SET_COOKIE]
        .to_str()
        .expect("ascii");
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
}

#[tokio::test]
async fn without_javascript_a_referer_that_could_lead_elsewhere_is_not_gone_back_to() {
    let app = test_app().await;
    // Browsers drop tabs from a URL and read `\` as `/`: both would be `//evil.example`.
    for referer in [
        "http://127.0.0.1:3000/\t/evil.example/x",
        "http://127.0.0.1:3000/\\evil.example/x",
        "http://127.0.0.1:3000//evil.example/x",
    ] {
        let reply = post_contact_from(&app, referer).await;
        assert_sent_to(&reply, "/");
    }
    let reply = post_contact_from(&app, "http://127.0.0.1:3000/contact?from=home").await;
    assert_sent_to(&reply, "/contact?from=home");
}
