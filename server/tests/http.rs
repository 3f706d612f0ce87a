//! The server's HTTP surface, driven through the real router over a real SQLite file.

mod common;

use axum::body::Body;
use common::test_app;
use http::{Request, StatusCode, header};
use mizan_platform::run_migrations;

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
        .fetch_all(&app.pool)
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
        .fetch_one(&app.pool)
        .await
        .expect("query");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn migrations_are_idempotent_across_restarts() {
    let app = test_app().await;
    run_migrations(&app.pool, &app::MIGRATOR)
        .await
        .expect("running the migrations a second time is a no-op");
}
