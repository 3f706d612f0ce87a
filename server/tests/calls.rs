//! `#[client]` functions over both HTTP endpoints: envelope, errors, auth, sessions, CSRF, views.

mod common;

use axum::body::Body;
use common::{SAME_ORIGIN, bearer, sign_in, test_app, test_app_with};
use http::{Request, StatusCode, header};
use serde_json::{Value, json};

#[tokio::test]
async fn echo_answers_the_same_envelope_on_both_endpoints() {
    let app = test_app().await;
    for reply in [
        app.call("echo", json!({"text": "hi"}), &[]).await,
        app.call_endpoint("echo", json!({"text": "hi"}), &[]).await,
    ] {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(
            reply.json(),
            json!({"result": {"message": "hi"}, "invalidate": []})
        );
        assert_eq!(reply.headers["x-mizan-invalidate"], "[]");
    }
}

#[tokio::test]
async fn validation_errors_name_the_field_on_both_endpoints() {
    let app = test_app().await;
    let long = "x".repeat(201);
    for reply in [
        app.call("echo", json!({"text": long}), &[]).await,
        app.call_endpoint("echo", json!({"text": long}), &[]).await,
        app.call("echo", json!({"text": 5}), &[]).await,
        app.call("echo", json!({}), &[]).await,
        app.call_endpoint("echo", json!({"txt": "typo"}), &[]).await,
    ] {
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        let body = reply.json();
        assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
        let fields = body["error"]["details"]["fields"]
            .as_object()
            .expect("fields");
        assert!(
            fields.contains_key("text") || fields.contains_key("txt"),
            "{body}"
        );
    }
    let reply = app.call("echo", json!({"text": long}), &[]).await;
    assert_eq!(
        reply.json()["error"]["details"]["fields"]["text"],
        json!(["must be at most 200 characters"])
    );
}

#[tokio::test]
async fn malformed_requests_are_bad_requests_and_unknown_functions_not_found() {
    let app = test_app().await;
    for path in ["/api/mizan/call/", "/api/mizan/fn/echo"] {
        let reply = app.post_json(path, "{not json", &[]).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text
        );
        assert_eq!(reply.error_code(), "BAD_REQUEST");
    }
    let reply = app
        .post_json("/api/mizan/call/", r#"{"fn": "echo", "args": [1]}"#, &[])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    let reply = app.call("no_such_function", json!({}), &[]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "NOT_FOUND");
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .expect("message")
            .contains("no_such_function")
    );
}

/// The names of the functions a served document lists: the manifest's `functions`, and the
/// OpenAPI document's operations.
async fn listed(app: &common::TestApp) -> (Vec<String>, Vec<String>) {
    let manifest = app.get("/api/mizan/manifest", &[]).await.json();
    let functions = manifest["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect();
    let document = app.get("/api/mizan/openapi.json", &[]).await.json();
    let operations = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .filter_map(|path| path["post"]["operationId"].as_str())
        .map(str::to_owned)
        .collect();
    (functions, operations)
}

#[tokio::test]
async fn a_switched_off_function_answers_like_one_that_does_not_exist_and_is_not_listed() {
    let app = test_app().await;
    let batch = |name: &str| json!({"calls": [{"fn": name, "args": {}}]}).to_string();
    let pairs = [
        (
            app.call("crash_test", json!({}), &[]).await,
            app.call("no_such_function", json!({}), &[]).await,
        ),
        (
            app.call_endpoint("crash_test", json!({}), &[]).await,
            app.call_endpoint("no_such_function", json!({}), &[]).await,
        ),
        (
            app.post_json("/api/mizan/batch/", &batch("crash_test"), &[])
                .await,
            app.post_json("/api/mizan/batch/", &batch("no_such_function"), &[])
                .await,
        ),
    ];
    for (off, missing) in pairs {
        assert_eq!(
            off.status, missing.status,
            "{} / {}",
            off.text, missing.text
        );
        assert_eq!(
            off.headers.get(header::CONTENT_TYPE),
            missing.headers.get(header::CONTENT_TYPE)
        );
        assert_eq!(
            off.text.replace("crash_test", "no_such_function"),
            missing.text
        );
    }
    let reply = app.call_endpoint("crash_test", json!({}), &[]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    assert_eq!(reply.error_code(), "NOT_FOUND");

    let (functions, operations) = listed(&app).await;
    assert!(functions.iter().any(|name| name == "echo"), "{functions:?}");
    assert!(
        !functions.iter().any(|name| name == "crash_test"),
        "{functions:?}"
    );
    assert!(
        !operations.iter().any(|name| name == "crash_test"),
        "{operations:?}"
    );
    let document = app.get("/api/mizan/openapi.json", &[]).await;
    assert!(
        !document.text.contains("crash_test"),
        "named nowhere in the document"
    );
    let manifest = app.get("/api/mizan/manifest", &[]).await;
    assert!(
        !manifest.text.contains("crash_test"),
        "named nowhere in the manifest"
    );
}

/// One request over real TCP: the status line, the headers (names lowercased, in order, without
/// `date`) and the body, as a client sees them.
async fn exchange(addr: &str, head: &str, body: &str) -> (String, Vec<(String, String)>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8(response).expect("utf-8");
    let (head, body) = response.split_once("\r\n\r\n").expect("a response");
    let mut lines = head.lines();
    let status = lines.next().expect("a status line").to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .filter(|(name, _)| name != "date")
        .collect();
    (status, headers, body.to_owned())
}

#[tokio::test]
async fn a_switched_off_functions_endpoint_answers_every_method_and_body_as_a_missing_one() {
    let app = test_app().await;
    let addr = app.serve().await;
    // A missing name as long as `crash_test`, so that even the lengths agree.
    let missing = "not_a_func";
    let json = "Content-Type: application/json\r\nSec-Fetch-Site: same-origin";
    let navigation = "Content-Type: application/x-www-form-urlencoded\r\nAccept: text/html\r\n\
                      Sec-Fetch-Site: same-origin";
    let requests = [
        ("GET", "", ""),
        ("HEAD", "", ""),
        ("POST", json, "{not json"),
        ("POST", json, r#"{"args": {"unexpected": 1}}"#),
        ("POST", json, r#"{"args": {}}"#),
        ("POST", navigation, "a=1"),
        ("PUT", json, r#"{"args": {}}"#),
        ("DELETE", "", ""),
    ];
    for (method, headers, body) in requests {
        let head = |name: &str| {
            let line = format!("{method} /api/mizan/fn/{name} HTTP/1.1");
            if headers.is_empty() {
                line
            } else {
                format!("{line}\r\n{headers}")
            }
        };
        let off = exchange(&addr, &head("crash_test"), body).await;
        let gone = exchange(&addr, &head(missing), body).await;
        assert_eq!(
            (off.0.as_str(), &off.1, off.2.replace("crash_test", missing)),
            (gone.0.as_str(), &gone.1, gone.2.clone()),
            "{method} {body}"
        );
        assert!(gone.0.contains(" 404 "), "{method}: {}", gone.0);
    }
}

#[tokio::test]
async fn the_panic_demo_lists_and_serves_the_function_it_switches_on() {
    let app = common::test_app_with_panic_demo().await;
    let (functions, operations) = listed(&app).await;
    assert!(
        functions.iter().any(|name| name == "crash_test"),
        "{functions:?}"
    );
    assert!(
        operations.iter().any(|name| name == "crash_test"),
        "{operations:?}"
    );
}

#[tokio::test]
async fn the_example_exports_what_a_default_server_serves_whatever_the_environment() {
    let app = test_app().await;
    let served = app.get("/api/mizan/manifest", &[]).await.json();
    let exported: Value =
        serde_json::from_str(&server::export().manifest_json().expect("manifest")).expect("json");
    assert_eq!(served, exported);
    // The export does not read MIZAN_DEMO_PANIC: it always leaves the demo out.
    assert!(
        !server::export()
            .openapi_json()
            .expect("openapi")
            .contains("crash_test")
    );
    let everything = mizan::server::export::manifest_json().expect("every linked function");
    assert!(
        everything.contains("crash_test"),
        "the plain export lists every linked function"
    );
}

#[tokio::test]
async fn a_bearer_token_living_longer_than_a_day_is_refused() {
    let app = test_app().await;
    let lenient = mizan::server::JwtKeys::from_secret(common::JWT_SECRET.as_bytes())
        .expect("keys")
        .max_lifetime(std::time::Duration::from_secs(365 * 24 * 3600));
    let two_days = lenient
        .issue(1, std::time::Duration::from_secs(2 * 24 * 3600))
        .expect("token");
    let reply = app
        .call(
            "whoami",
            json!({}),
            &[("authorization", &format!("Bearer {two_days}"))],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert!(reply.text.contains("longer than"), "{}", reply.text);
    let a_day = lenient
        .issue(1, std::time::Duration::from_secs(24 * 3600))
        .expect("token");
    let reply = app
        .call(
            "whoami",
            json!({}),
            &[("authorization", &format!("Bearer {a_day}"))],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn a_bearer_secret_shorter_than_32_bytes_stops_the_server_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = mizan_platform::Settings::default();
    settings.database.url = format!("sqlite://{}", dir.path().join("test.db").display());
    settings.auth.jwt_secret = "too-short-a-secret".into();
    let database = common::migrated_database(&settings).await;
    let Err(error) = server::app_router_with(
        &settings,
        common::leptos_options(),
        database,
        app::demo::DemoOptions::default(),
        dir.path().join("react-app"),
    )
    .await
    else {
        panic!("an 18-byte secret must stop the server");
    };
    assert!(
        matches!(
            error,
            server::ServerError::BearerTokens(mizan::server::JwtKeyError::SecretTooShort {
                length: 18
            })
        ),
        "{error:?}"
    );
    let text = mizan::error_chain(&error);
    assert!(
        text.contains("MIZAN_JWT_SECRET") && text.contains("at least 32 bytes"),
        "{text}"
    );
}

#[tokio::test]
async fn behind_https_the_session_cookie_is_host_prefixed_secure_and_read_back() {
    let plain = test_app().await;
    let login = json!({"email": "alice@example.com", "password": "alice-password"});
    let reply = plain.call("login", login, &[SAME_ORIGIN]).await;
    let cookie = reply
        .session_set_cookie()
        .expect("over plain HTTP: `mizan_session`");
    assert!(!cookie.contains("Secure"), "{cookie}");

    let app = test_app_with(|settings| settings.security.secure_cookies = true).await;
    let reply = app
        .call(
            "login",
            json!({"email": "alice@example.com", "password": "alice-password"}),
            &[SAME_ORIGIN],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let set_cookie = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("__Host-mizan_session="))
        .unwrap_or_else(|| panic!("a __Host- session cookie: {:?}", reply.headers))
        .to_owned();
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).skip(1).collect();
    for attribute in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(attributes.contains(&attribute), "{attribute}: {set_cookie}");
    }
    assert!(
        !attributes
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "{set_cookie}"
    );
    let pair = set_cookie.split(';').next().expect("pair");
    let me = app.call("whoami", json!({}), &[("cookie", pair)]).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json()["result"]["email"], "alice@example.com");
}

#[tokio::test]
async fn a_panic_is_an_internal_error_and_the_server_keeps_serving() {
    let app = common::test_app_with_panic_demo().await;
    for reply in [
        app.call("crash_test", json!({}), &[]).await,
        app.call_endpoint("crash_test", json!({}), &[]).await,
    ] {
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            reply.json(),
            json!({"error": {"code": "INTERNAL_ERROR", "message": "internal server error", "details": null}})
        );
    }
    let reply = app.call("echo", json!({"text": "still here"}), &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn each_auth_rule_refuses_and_allows_as_declared_by_session() {
    let app = test_app().await;
    let anonymous = app.call("whoami", json!({}), &[]).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.error_code(), "UNAUTHORIZED");
    assert_eq!(
        app.call("staff_report", json!({}), &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call("session_only", json!({}), &[]).await.status,
        StatusCode::UNAUTHORIZED
    );

    let alice = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let as_alice = [("cookie", alice.as_str())];
    let me = app.call("whoami", json!({}), &as_alice).await;
    assert_eq!(
        me.json()["result"],
        json!({"email": "alice@example.com", "is_staff": false})
    );
    let forbidden = app
        .call_endpoint("staff_report", json!({}), &as_alice)
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(forbidden.error_code(), "FORBIDDEN");
    let session = app.call("session_only", json!({}), &as_alice).await;
    assert_eq!(
        session.json()["result"],
        json!({"user_id": 1, "method": "session"})
    );

    let admin = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let report = app
        .call_endpoint("staff_report", json!({}), &[("cookie", admin.as_str())])
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    assert_eq!(report.json()["result"]["users"], 2);
}

#[tokio::test]
async fn each_auth_rule_refuses_and_allows_as_declared_by_bearer_token() {
    let app = test_app().await;
    let alice = bearer(1);
    let admin = bearer(2);
    let me = app
        .call("whoami", json!({}), &[("authorization", &alice)])
        .await;
    assert_eq!(me.json()["result"]["email"], "alice@example.com");
    let staff = app
        .call("staff_report", json!({}), &[("authorization", &alice)])
        .await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN);
    let staff = app
        .call_endpoint("staff_report", json!({}), &[("authorization", &admin)])
        .await;
    assert_eq!(staff.status, StatusCode::OK);
    // The custom check only admits browser sessions.
    let custom = app
        .call("session_only", json!({}), &[("authorization", &admin)])
        .await;
    assert_eq!(custom.status, StatusCode::FORBIDDEN);
    assert_eq!(
        custom.json()["error"]["message"],
        "this needs a browser session"
    );

    for bad in ["Bearer not-a-token", "Basic YWxpY2U6eA==", &bearer(99)] {
        let reply = app
            .call("whoami", json!({}), &[("authorization", bad)])
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{bad}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_bad_email_a_validation_error() {
    let app = test_app().await;
    for (email, password) in [
        ("alice@example.com", "nope"),
        ("nobody@example.com", "alice-password"),
    ] {
        let reply = app
            .call("login", json!({"email": email, "password": password}), &[])
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.json()["error"]["message"], "wrong email or password");
        assert!(reply.session_cookie().is_none());
    }
    let reply = app
        .call(
            "login",
            json!({"email": "not an email", "password": "x"}),
            &[],
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        reply.json()["error"]["details"]["fields"]["email"],
        json!(["must be an email address"])
    );
}

#[tokio::test]
async fn login_changes_the_session_id_and_logout_ends_the_session() {
    let app = test_app().await;
    let first = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let second = sign_in(&app, "admin@example.com", "admin-password", Some(&first)).await;
    assert_ne!(
        first, second,
        "signing in again must issue a new session id"
    );
    let old = app
        .call("whoami", json!({}), &[("cookie", first.as_str())])
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the old id no longer signs anyone in"
    );
    let new = app
        .call("whoami", json!({}), &[("cookie", second.as_str())])
        .await;
    assert_eq!(new.json()["result"]["email"], "admin@example.com");

    let out = app
        .call_endpoint(
            "logout",
            json!({}),
            &[("cookie", second.as_str()), SAME_ORIGIN],
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    let after = app
        .call("whoami", json!({}), &[("cookie", second.as_str())])
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_same_origin_ones_accepted() {
    let app = test_app().await;
    let host = ("host", "127.0.0.1:3000");
    let evil = [
        host,
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ];
    for reply in [
        app.call("echo", json!({"text": "x"}), &evil).await,
        app.call_endpoint("echo", json!({"text": "x"}), &evil).await,
        app.call(
            "echo",
            json!({"text": "x"}),
            &[("sec-fetch-site", "cross-site")],
        )
        .await,
    ] {
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
        assert_eq!(reply.error_code(), "FORBIDDEN");
    }
    let same = [host, ("origin", "http://127.0.0.1:3000"), SAME_ORIGIN];
    assert_eq!(
        app.call("echo", json!({"text": "x"}), &same).await.status,
        StatusCode::OK
    );
    let no_fetch_metadata = [host, ("origin", "http://127.0.0.1:3000")];
    assert_eq!(
        app.call_endpoint("echo", json!({"text": "x"}), &no_fetch_metadata)
            .await
            .status,
        StatusCode::OK
    );
    // curl: no Origin, no Fetch Metadata.
    assert_eq!(
        app.call("echo", json!({"text": "x"}), &[]).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_view_path_passes_the_response_through_with_mizan_headers() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    for reply in [
        app.post_json(
            "/api/mizan/fn/logout_redirect",
            "",
            &[("cookie", cookie.as_str())],
        )
        .await,
        app.call("logout_redirect", json!({}), &[("cookie", cookie.as_str())])
            .await,
    ] {
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
        assert_eq!(reply.headers[header::LOCATION], "/");
        // It expires the session cookie: never stored, by a shared cache least of all.
        assert_eq!(reply.headers[header::CACHE_CONTROL], "private, no-store");
        assert_eq!(reply.headers["x-mizan-invalidate"], r#"["current_user"]"#);
    }
    let after = app
        .call("whoami", json!({}), &[("cookie", cookie.as_str())])
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_registry_lists_every_function_with_kind_endpoint_and_auth() {
    let registry = mizan::server::Registry::collect().expect("unique names");
    let whoami = registry.get("whoami").expect("whoami registered");
    assert_eq!(whoami.endpoint, "/api/mizan/fn/whoami");
    assert_eq!(whoami.auth.label(), "user");
    assert_eq!(
        registry
            .get("staff_report")
            .expect("registered")
            .auth
            .label(),
        "staff"
    );
    assert_eq!(
        registry
            .get("session_only")
            .expect("registered")
            .auth
            .label(),
        "require_session"
    );
    assert_eq!(
        registry.get("logout_redirect").expect("registered").kind,
        mizan::server::FunctionKind::View
    );
    assert_eq!(
        registry.get("login").expect("registered").kind,
        mizan::server::FunctionKind::Mutation
    );
    let document = mizan::server::openapi::document(&registry, &mizan::server::Channels::default())
        .expect("describable");
    let schema = &document["components"]["schemas"]["EchoArgs"];
    assert_eq!(schema["properties"]["text"]["maxLength"], 200, "{schema}");
}

#[tokio::test]
async fn an_anonymous_caller_of_an_auth_function_learns_nothing_of_its_arguments() {
    let app = test_app().await;
    for args in [
        // Breaks the name rule (1 to 100 characters).
        json!({"user_id": 1, "name": ""}),
        // Does not even decode: a wrong type and an unknown field.
        json!({"user_id": "one", "surname": "x"}),
    ] {
        for reply in [
            app.call("update_name", args.clone(), &[]).await,
            app.call_endpoint("update_name", args.clone(), &[]).await,
        ] {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
            assert_eq!(
                reply.json()["error"]["details"],
                Value::Null,
                "{}",
                reply.text
            );
            assert!(!reply.text.contains("name"), "{}", reply.text);
        }
    }
}

#[tokio::test]
async fn one_body_limit_on_every_endpoint_answered_with_the_typed_error() {
    let app = test_app().await;
    let big = "x".repeat(mizan::protocol::MAX_BODY_BYTES + 1);
    let over = json!({"text": big});
    for reply in [
        app.call("echo", over.clone(), &[]).await,
        app.call_endpoint("echo", over.clone(), &[]).await,
    ] {
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            &reply.text[..200.min(reply.text.len())]
        );
        assert_eq!(reply.error_code(), "PAYLOAD_TOO_LARGE");
    }
    // Without a Content-Length (a streamed body) the limit holds while reading.
    for path in ["/api/mizan/call/", "/api/mizan/fn/echo"] {
        let body = if path.ends_with("call/") {
            json!({"fn": "echo", "args": over}).to_string()
        } else {
            json!({"args": over}).to_string()
        };
        let stream = futures_body(body);
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(stream)
            .expect("request");
        let reply = app.send(request).await;
        assert_eq!(
            reply.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{path}: {}",
            &reply.text[..200.min(reply.text.len())]
        );
        assert_eq!(reply.error_code(), "PAYLOAD_TOO_LARGE", "{path}");
    }
    // Just under the limit is fine.
    let under = "x".repeat(190);
    assert_eq!(
        app.call("echo", json!({"text": under}), &[]).await.status,
        StatusCode::OK
    );
}

/// A body of unknown length: two chunks, no `Content-Length`.
fn futures_body(text: String) -> Body {
    let (first, second) = text.split_at(text.len() / 2);
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = vec![
        Ok(axum::body::Bytes::from(first.to_owned())),
        Ok(axum::body::Bytes::from(second.to_owned())),
    ];
    Body::from_stream(futures::stream::iter(chunks))
}
