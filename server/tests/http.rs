//! The server's HTTP surface, driven through the real router over a real SQLite file: pages,
//! their 404s, a plain server function, migrations; and the rules every answer gets: an answer
//! that depends on who asks is never stored by a cache (files and `public` contexts may be),
//! and pages refuse to be framed by other sites unless the app says otherwise.

mod common;

use axum::body::Body;
use common::test_app;
use http::{Request, StatusCode, header};

fn greet_request(name: &str) -> Request<Body> {
    Request::post("/api/greet")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(format!("name={name}")))
        .expect("request")
}

#[tokio::test]
async fn home_page_is_server_rendered_with_its_hydration_bundle() {
    let app = test_app().await;
    let reply = app
        .send(Request::get("/").body(Body::empty()).expect("request"))
        .await;
    let (status, headers, body) = (reply.status, reply.headers, reply.text);
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert!(body.contains("<h1>mizan for Leptos</h1>"), "{body}");
    assert!(body.contains("Clicked 0 times"), "{body}");
    assert!(body.contains(r#"data-hydrated="false""#), "{body}");
    assert!(
        body.contains("/pkg/mizan.js"),
        "hydration script missing: {body}"
    );
}

#[tokio::test]
async fn unknown_page_is_a_rendered_404() {
    let app = test_app().await;
    let reply = app
        .send(
            Request::get("/no/such/page")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    let (status, body) = (reply.status, reply.text);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Not found"), "{body}");
}

#[tokio::test]
async fn a_profile_of_an_unknown_user_is_a_rendered_404_and_a_known_one_200() {
    let app = test_app().await;
    let missing = app.get("/users/9999", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    assert!(missing.text.contains("No such user"), "{}", missing.text);
    let known = app.get("/users/1", &[]).await;
    assert_eq!(known.status, StatusCode::OK);
    assert!(
        known.text.contains(r#"data-testid="profile-name""#),
        "{}",
        known.text
    );
}

#[tokio::test]
async fn greet_records_each_greeting_in_sqlite() {
    let app = test_app().await;
    let reply = app.send(greet_request("Ada")).await;
    let (status, body) = (reply.status, reply.text);
    assert_eq!(status, StatusCode::OK, "{body}");
    let greeting: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(greeting["message"], "Hello, Ada!");
    assert_eq!(greeting["total"], 1);

    let body = app.send(greet_request("Grace")).await.text;
    let greeting: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(greeting["total"], 2);

    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM greetings ORDER BY id")
        .fetch_all(app.pool())
        .await
        .expect("query");
    assert_eq!(names, ["Ada", "Grace"]);
}

#[tokio::test]
async fn greet_refuses_a_blank_name_with_400_and_stores_nothing() {
    let app = test_app().await;
    let reply = app.send(greet_request("%20%20")).await;
    let (status, body) = (reply.status, reply.text);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("name must be 1 to 100 characters"), "{body}");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM greetings")
        .fetch_one(app.pool())
        .await
        .expect("query");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn migrations_are_idempotent_across_restarts() {
    let app = test_app().await;
    app.database
        .migrate(app::migrations())
        .await
        .expect("running the migrations a second time is a no-op");
}

/// The `Cache-Control` of a reply, `""` when it has none.
fn cache_rule(reply: &common::Reply) -> &str {
    reply
        .headers
        .get(header::CACHE_CONTROL)
        .map_or("", |value| value.to_str().expect("ascii"))
}

#[tokio::test]
async fn what_depends_on_the_caller_is_never_stored_and_public_contexts_may_be_shared() {
    let app = test_app().await;
    let cookie = common::sign_in(&app, "alice@example.com", "alice-password", None).await;

    // A signed-in page carries the user's email.
    let page = app.get("/users/1", &[("cookie", &cookie)]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("alice@example.com"), "{}", page.text);
    assert_eq!(cache_rule(&page), "private, no-store");
    assert_eq!(cache_rule(&app.get("/", &[]).await), "private, no-store");

    let me = app
        .call(
            "current_user",
            serde_json::json!({}),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(me.json()["result"]["email"], "alice@example.com");
    assert_eq!(cache_rule(&me), "private, no-store");
    let own_endpoint = app
        .call_endpoint(
            "current_user",
            serde_json::json!({}),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(own_endpoint.status, StatusCode::OK, "{}", own_endpoint.text);
    assert_eq!(cache_rule(&own_endpoint), "private, no-store");
    let batch = app
        .post_json(
            "/api/mizan/batch/",
            r#"{"calls": [{"fn": "current_user", "args": {}}]}"#,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(batch.status, StatusCode::OK, "{}", batch.text);
    assert_eq!(cache_rule(&batch), "private, no-store");
    let refused = app.call("user_directory", serde_json::json!({}), &[]).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(cache_rule(&refused), "private, no-store");

    // A `public` context answers the same to everyone: an edge cache may share it.
    let stats = app.call("site_stats", serde_json::json!({}), &[]).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    assert_eq!(cache_rule(&stats), "public");
    let stats = app
        .call_endpoint("site_stats", serde_json::json!({}), &[])
        .await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    assert_eq!(cache_rule(&stats), "public");
}

/// Settings for a site over a fresh database in `dir`.
fn settings_in(dir: &tempfile::TempDir) -> mizan_platform::Settings {
    let mut settings = mizan_platform::Settings::default();
    settings.database.url = format!("sqlite://{}", dir.path().join("test.db").display());
    settings
}

/// The example's site with `settings`, its Leptos files under `dir/site` (with a
/// `pkg/mizan.js`) and a built React app's asset under `dir/react-app`.
async fn site_in<'a>(
    dir: &tempfile::TempDir,
    settings: &'a mizan_platform::Settings,
) -> mizan::server::Site<impl leptos::prelude::IntoView + 'static + use<'a>> {
    let database = common::migrated_database(settings).await;
    let site_root = dir.path().join("site");
    std::fs::create_dir_all(site_root.join("pkg")).expect("pkg dir");
    std::fs::write(site_root.join("pkg/mizan.js"), "export default 1;").expect("bundle");
    let react_app = dir.path().join("react-app");
    std::fs::create_dir_all(react_app.join("assets")).expect("assets dir");
    std::fs::write(react_app.join("assets/app.js"), "console.log(1);").expect("asset");
    let options = leptos::config::LeptosOptions::builder()
        .output_name("mizan")
        .site_root(site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    server::site(
        settings,
        options,
        database,
        app::demo::DemoOptions::default(),
        react_app,
    )
    .await
    .expect("site")
}

/// `GET path` through `router`.
async fn get(router: &axum::Router, path: &str) -> common::Reply {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let response = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    common::Reply {
        status: parts.status,
        headers: parts.headers,
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

#[tokio::test]
async fn files_served_as_they_are_stay_cacheable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = settings_in(&dir);
    let router = site_in(&dir, &settings)
        .await
        .into_router()
        .expect("router");
    for path in ["/pkg/mizan.js", "/react/assets/app.js"] {
        let file = get(&router, path).await;
        assert_eq!(file.status, StatusCode::OK, "{path}: {}", file.text);
        assert!(file.headers.contains_key(header::LAST_MODIFIED), "{path}");
        assert_eq!(cache_rule(&file), "", "{path}");
    }
    let page = get(&router, "/").await;
    assert_eq!(cache_rule(&page), "private, no-store");
}

#[tokio::test]
async fn pages_refuse_framing_by_other_sites_unless_the_app_says_otherwise() {
    let app = test_app().await;
    for path in ["/", "/no/such/page"] {
        let page = app.get(path, &[]).await;
        assert_eq!(
            page.headers[header::CONTENT_SECURITY_POLICY],
            "frame-ancestors 'self'",
            "{path}"
        );
        assert_eq!(
            page.headers[header::X_FRAME_OPTIONS],
            "SAMEORIGIN",
            "{path}"
        );
    }

    // The app lets a partner frame its pages, and one route sets its own headers.
    let dir = tempfile::tempdir().expect("tempdir");
    let embed = axum::Router::new().route(
        "/embed",
        axum::routing::get(|| async {
            (
                [
                    (header::CONTENT_SECURITY_POLICY, "frame-ancestors *"),
                    (header::CACHE_CONTROL, "public, max-age=60"),
                ],
                "<p>embed me</p>",
            )
        }),
    );
    let partner =
        mizan::server::FrameAncestors::origins(["https://partner.example"]).expect("an origin");
    let settings = settings_in(&dir);
    let router = site_in(&dir, &settings)
        .await
        .frame_ancestors(partner)
        .routes(embed)
        .into_router()
        .expect("router");
    let page = get(&router, "/").await;
    assert_eq!(
        page.headers[header::CONTENT_SECURITY_POLICY],
        "frame-ancestors 'self' https://partner.example"
    );
    assert!(!page.headers.contains_key(header::X_FRAME_OPTIONS));
    let own = get(&router, "/embed").await;
    assert_eq!(own.text, "<p>embed me</p>");
    assert_eq!(
        own.headers[header::CONTENT_SECURITY_POLICY],
        "frame-ancestors *"
    );
    assert_eq!(cache_rule(&own), "public, max-age=60");
}
