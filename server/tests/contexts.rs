//! Contexts and the invalidation graph against the real router: scoped keys on both endpoints and
//! the view path, the batch endpoint, SSR of context data, a context answering by who asks, and
//! the Edge manifest.

mod common;

use common::{SAME_ORIGIN, TestApp, bearer, sign_in, test_app};
use http::{Request, StatusCode, header};
use serde_json::{Value, json};

const PROFILE_1: &str = r#"user_profile:{"user_id":1}"#;

fn keys(reply: &common::Reply) -> (Value, Value) {
    let header: Value = serde_json::from_str(
        reply.headers["x-mizan-invalidate"]
            .to_str()
            .expect("ascii header"),
    )
    .expect("the header is a JSON array");
    (reply.json()["invalidate"].clone(), header)
}

async fn rename(app: &TestApp, auth: (&str, &str), user_id: i64, name: &str) -> common::Reply {
    app.call(
        "update_name",
        json!({"user_id": user_id, "name": name}),
        &[auth, SAME_ORIGIN],
    )
    .await
}

#[tokio::test]
async fn a_mutation_invalidates_the_context_instances_its_arguments_name() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let as_alice = ("cookie", cookie.as_str());

    // Both endpoints, same keys in body and header: user_id scopes user_profile; current_user has
    // no params and is invalidated whole. Several contexts, in `affects` order.
    for reply in [
        rename(&app, as_alice, 1, "Alicia").await,
        app.call_endpoint(
            "update_name",
            json!({"user_id": 1, "name": "Alice B."}),
            &[as_alice, SAME_ORIGIN],
        )
        .await,
    ] {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let (body, header) = keys(&reply);
        assert_eq!(body, json!([PROFILE_1, "current_user", "user_directory"]));
        assert_eq!(header, body);
    }

    // Staff renaming user 1: still scoped to user 1, not to the caller (user 2).
    let admin = bearer(2);
    let reply = rename(&app, ("authorization", admin.as_str()), 1, "Alice").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        keys(&reply).0,
        json!([PROFILE_1, "current_user", "user_directory"])
    );
    assert_eq!(reply.json()["result"]["name"], "Alice");
}

#[tokio::test]
async fn without_a_matching_argument_the_whole_context_is_invalidated() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let reply = app
        .call(
            "update_my_name",
            json!({"name": "Al"}),
            &[("cookie", cookie.as_str()), SAME_ORIGIN],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let (body, header) = keys(&reply);
    // Declared keys first (unscoped), then what the nested in-process `update_name` added.
    assert_eq!(
        body,
        json!(["user_profile", "current_user", "user_directory", PROFILE_1])
    );
    assert_eq!(header, body);

    // Sign-in affects current_user, which has no params.
    let login = app
        .call(
            "login",
            json!({"email": "admin@example.com", "password": "admin-password"}),
            &[SAME_ORIGIN],
        )
        .await;
    assert_eq!(keys(&login).0, json!(["current_user"]));
}

#[tokio::test]
async fn a_failed_call_invalidates_nothing() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let as_alice = ("cookie", cookie.as_str());

    let forbidden = rename(&app, as_alice, 2, "Mallory").await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.text
    );
    assert_eq!(forbidden.error_code(), "FORBIDDEN");
    assert!(forbidden.headers.get("x-mizan-invalidate").is_none());

    let invalid = rename(&app, as_alice, 1, "").await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        invalid.json()["error"]["details"]["fields"]["name"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert!(invalid.headers.get("x-mizan-invalidate").is_none());

    let missing = rename(&app, ("authorization", &bearer(2)), 99, "Nobody").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);

    let anonymous = rename(&app, SAME_ORIGIN, 1, "Anon").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Nothing was renamed by any of them.
    let (name,): (String,) = sqlx::query_as("SELECT name FROM users WHERE id = 2")
        .fetch_one(app.pool())
        .await
        .expect("row");
    assert_eq!(name, "Admin");
}

#[tokio::test]
async fn the_view_path_carries_scoped_keys_in_its_header() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    // A plain HTML form: every value is text; the declared i64 reads `1` as a number.
    let request = Request::post("/api/mizan/fn/rename_form")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("cookie", cookie.as_str())
        .header(SAME_ORIGIN.0, SAME_ORIGIN.1)
        .body(axum::body::Body::from("user_id=1&name=Alice+F."))
        .expect("request");
    let reply = app.send(request).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert_eq!(reply.headers[header::LOCATION], "/users/1");
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    let header: Value =
        serde_json::from_str(reply.headers["x-mizan-invalidate"].to_str().expect("ascii"))
            .expect("JSON");
    assert_eq!(header, json!([PROFILE_1, "current_user", "user_directory"]));
}

#[tokio::test]
async fn a_batch_answers_each_read_in_order_and_refuses_mutations() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let body = json!({"calls": [
        {"fn": "user_profile", "args": {"user_id": 2}},
        {"fn": "current_user"},
        {"fn": "user_profile", "args": {"user_id": 404}},
        {"fn": "update_name", "args": {"user_id": 1, "name": "x"}},
        {"fn": "nope", "args": {}},
        {"fn": "user_profile", "args": {"user_id": "two"}},
    ]});
    let reply = app
        .post_json(
            "/api/mizan/batch/",
            &body.to_string(),
            &[("cookie", cookie.as_str()), SAME_ORIGIN],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let results = reply.json()["results"].clone();
    // Alice is not staff: another user's profile comes without its email.
    assert_eq!(
        results[0]["result"],
        json!({"user_id": 2, "name": "Admin", "email": null})
    );
    assert_eq!(results[1]["result"]["email"], "alice@example.com");
    assert_eq!(results[1]["result"]["is_authenticated"], true);
    assert_eq!(results[2]["error"]["code"], "NOT_FOUND");
    assert_eq!(results[3]["error"]["code"], "BAD_REQUEST");
    assert_eq!(results[4]["error"]["code"], "NOT_FOUND");
    assert_eq!(results[5]["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(reply.headers[header::CACHE_CONTROL], "private, no-store");

    let too_many: Vec<Value> = (0..65).map(|_| json!({"fn": "current_user"})).collect();
    let reply = app
        .post_json(
            "/api/mizan/batch/",
            &json!({ "calls": too_many }).to_string(),
            &[SAME_ORIGIN],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn user_pages_arrive_with_both_contexts_rendered_and_serialized() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let page = app.get("/users/1", &[("cookie", cookie.as_str())]).await;
    assert_eq!(page.status, StatusCode::OK);
    // The values are in the HTML (rendered) and in the hydration data (so the browser does not
    // fetch them again).
    assert!(
        page.text
            .contains(r#"<p data-testid="profile-email">alice@example.com</p>"#),
        "{}",
        page.text
    );
    assert!(page.text.contains("Signed in as Alice"), "{}", page.text);
    assert!(page.text.contains(r#"data-testid="profile-name""#));
    assert!(page.text.contains("This is you"), "{}", page.text);

    // Another user's page: the name, not the email (neither rendered nor in the hydration data).
    let other = app.get("/users/2", &[("cookie", cookie.as_str())]).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(other.text.contains(">Admin</h1>"), "{}", other.text);
    assert!(!other.text.contains("admin@example.com"), "{}", other.text);
    assert!(!other.text.contains("profile-email"), "{}", other.text);

    let anonymous = app.get("/users/404", &[]).await;
    assert!(
        anonymous.text.contains("Not signed in"),
        "{}",
        anonymous.text
    );
    assert!(anonymous.text.contains("NOT_FOUND"), "{}", anonymous.text);
}

/// The email of `user_id`'s profile as `auth` sees it (`null` when hidden).
async fn profile_email(app: &TestApp, auth: &[(&str, &str)], user_id: i64) -> Value {
    let reply = app
        .call("user_profile", json!({ "user_id": user_id }), auth)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["result"]["user_id"], user_id, "{}", reply.text);
    reply.json()["result"]["email"].clone()
}

#[tokio::test]
async fn a_profile_shows_its_email_only_to_its_owner_and_to_staff() {
    let app = test_app().await;
    let alice = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let admin = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let fields =
        json!({"name": "Stranger", "email": "stranger@example.org", "password": "long enough"});
    let signup = app
        .post_json(
            "/api/mizan/form/sign_up",
            &json!({ "args": fields }).to_string(),
            &[SAME_ORIGIN],
        )
        .await;
    assert_eq!(signup.status, StatusCode::OK, "{}", signup.text);
    let stranger = signup.session_cookie().expect("sign-up signs in");

    let alice_email = json!("alice@example.com");
    assert_eq!(profile_email(&app, &[], 1).await, Value::Null, "anonymous");
    assert_eq!(
        profile_email(&app, &[("cookie", &stranger)], 1).await,
        Value::Null,
        "another user"
    );
    assert_eq!(
        profile_email(&app, &[("cookie", &alice)], 1).await,
        alice_email,
        "the owner"
    );
    assert_eq!(
        profile_email(&app, &[("cookie", &admin)], 1).await,
        alice_email,
        "staff"
    );
    let owner_by_token = bearer(1);
    assert_eq!(
        profile_email(&app, &[("authorization", &owner_by_token)], 1).await,
        alice_email,
        "the owner, by bearer token"
    );

    // The server-rendered page follows the same rule.
    let anonymous_page = app.get("/users/1", &[]).await;
    assert_eq!(anonymous_page.status, StatusCode::OK);
    assert!(
        anonymous_page.text.contains(">Alice</h1>"),
        "{}",
        anonymous_page.text
    );
    assert!(
        !anonymous_page.text.contains("alice@example.com"),
        "{}",
        anonymous_page.text
    );
    let staff_page = app.get("/users/1", &[("cookie", &admin)]).await;
    assert!(
        staff_page
            .text
            .contains(r#"<p data-testid="profile-email">alice@example.com</p>"#),
        "{}",
        staff_page.text
    );
}

#[tokio::test]
async fn the_manifest_lists_functions_contexts_and_scoped_edges() {
    let app = test_app().await;
    let reply = app.get("/api/mizan/manifest", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let manifest = reply.json();
    assert_eq!(
        manifest,
        serde_json::from_str::<Value>(&server::export().manifest_json().expect("manifest"))
            .expect("json")
    );
    assert_eq!(manifest["version"], 1);

    let function = |name: &str| {
        manifest["functions"]
            .as_array()
            .and_then(|all| all.iter().find(|f| f["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("{name} in the manifest"))
    };
    assert_eq!(function("current_user")["kind"], "context");
    assert_eq!(function("update_name")["kind"], "mutation");
    assert_eq!(function("update_name")["auth"], "user");
    assert_eq!(function("logout_redirect")["kind"], "view");
    assert_eq!(function("echo")["kind"], "query");
    assert_eq!(function("echo")["endpoint"], "/api/mizan/fn/echo");
    assert_eq!(function("echo")["flags"], json!({"websocket": true}));
    assert_eq!(function("whoami")["flags"], json!({"websocket": false}));

    let contexts = manifest["contexts"].as_array().expect("contexts");
    // Cacheable only when declared `public`: `current_user` needs no sign-in but answers per
    // visitor, so it stays private; it is declared `per_user` (the caller's own value), which
    // the manifest says, and says only of such contexts.
    assert!(contexts.contains(&json!({
        "name": "current_user", "scope": "global", "params": [], "auth": "none",
        "cache": "private", "per_user": true
    })));
    assert!(contexts.contains(&json!({
        "name": "user_profile", "scope": "local",
        "params": [{"name": "user_id", "type": "i64"}], "auth": "none", "cache": "private"
    })));
    assert!(contexts.contains(&json!({
        "name": "site_stats", "scope": "global", "params": [], "auth": "none", "cache": "public"
    })));
    assert_eq!(
        function("rename_form")["params"][0],
        json!({"name": "user_id", "type": "UserId"}),
        "the alias is kept as written, and still scopes (edges below)"
    );

    let edges = manifest["edges"].as_array().expect("edges");
    for edge in [
        json!({"from": "update_name", "to": "user_profile", "scope": ["user_id"]}),
        json!({"from": "update_name", "to": "current_user", "scope": []}),
        json!({"from": "update_my_name", "to": "user_profile", "scope": []}),
        json!({"from": "rename_form", "to": "user_profile", "scope": ["user_id"]}),
        json!({"from": "logout_redirect", "to": "current_user", "scope": []}),
    ] {
        assert!(edges.contains(&edge), "{edge} missing from {edges:?}");
    }
}

#[test]
fn the_export_command_writes_the_manifest_without_a_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("mizan.manifest.json");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["export", "manifest", "--out"])
        .arg(&out)
        // No database, no settings: the export needs neither.
        .env("DATABASE_URL", "sqlite:///nonexistent/dir/never.db")
        // The export describes a server with the default options whatever the environment.
        .env("MIZAN_DEMO_PANIC", "1")
        .status()
        .expect("run the server binary");
    assert!(status.success());
    let text = std::fs::read_to_string(&out).expect("written");
    let written: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(written["version"], 1);
    assert!(written["edges"].as_array().is_some_and(|e| !e.is_empty()));
    assert!(
        !text.contains("crash_test"),
        "a function switched off by default is not exported"
    );

    let misuse = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["export", "manifest"])
        .output()
        .expect("run");
    assert_eq!(misuse.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&misuse.stderr).contains("--out FILE"));
}
