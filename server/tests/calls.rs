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

#[tokio::test]
async fn the_panic_demo_is_not_served_unless_turned_on() {
    let app = test_app().await;
    for reply in [
        app.call("crash_test", json!({}), &[]).await,
        app.call_endpoint("crash_test", json!({}), &[]).await,
    ] {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
        assert_eq!(reply.error_code(), "NOT_FOUND");
    }
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
        assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
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
async fn the_session_cookie_is_secure_only_when_configured() {
    let set_cookie = |reply: &common::Reply| {
        reply
            .session_set_cookie()
            .expect("login sets the session cookie")
    };
    let login = json!({"email": "alice@example.com", "password": "alice-password"});
    let plain = test_app().await;
    let reply = plain.call("login", login.clone(), &[SAME_ORIGIN]).await;
    assert!(!set_cookie(&reply).contains("Secure"));

    let secure = test_app_with(|settings| settings.security.secure_cookies = true).await;
    let reply = secure.call("login", login, &[SAME_ORIGIN]).await;
    let cookie = set_cookie(&reply);
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
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
