//! The example on PostgreSQL: the same queries, migrations and sessions as on SQLite, each test
//! on a PostgreSQL server of its own; and a session made through one node holding on another
//! node of the same database.

mod common;

use common::{SAME_ORIGIN, postgres::Postgres, sign_in, test_app_on};
use http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_example_runs_on_postgresql_as_on_sqlite() {
    let server = Postgres::start();
    let app = test_app_on(&server.url()).await;
    assert!(
        matches!(app.database.engine(), mizan_platform::Engine::Postgres(_)),
        "the server's database is the PostgreSQL server"
    );
    // A second start migrates nothing and creates no second pair of demo users.
    app.database
        .migrate(app::migrations())
        .await
        .expect("the migrations run again as a no-op");
    server::apply_demo_users(app.database.pool(), true)
        .await
        .expect("demo users again");

    let stats = app.call("site_stats", json!({}), &[SAME_ORIGIN]).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.text);
    assert_eq!(stats.json()["result"]["accounts"], 2, "the two demo users");

    // Sign-in reads the password hash and the staff flag.
    let cookie = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let headers = [SAME_ORIGIN, ("cookie", cookie.as_str())];
    let me = app.call("whoami", json!({}), &headers).await;
    assert_eq!(
        me.json()["result"],
        json!({"email": "admin@example.com", "is_staff": true})
    );
    let report = app.call("staff_report", json!({}), &headers).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);

    // A rename writes; the profile and the directory read it back.
    let renamed = app
        .call(
            "update_name",
            json!({"user_id": 1, "name": "Alicia"}),
            &headers,
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    let profile = app
        .call("user_profile", json!({"user_id": 1}), &headers)
        .await;
    assert_eq!(profile.json()["result"]["name"], "Alicia");
    let directory = app.call("user_directory", json!({}), &headers).await;
    assert_eq!(
        directory.json()["result"],
        json!([{"user_id": 1, "name": "Alicia"}, {"user_id": 2, "name": "Admin"}])
    );

    // A new account takes an id after the demo users', and is signed in.
    let form =
        json!({"args": {"name": "Cy", "email": "cy@example.com", "password": "long enough"}});
    let signed_up = app
        .post_json("/api/mizan/form/sign_up", &form.to_string(), &[SAME_ORIGIN])
        .await;
    assert_eq!(signed_up.status, StatusCode::OK, "{}", signed_up.text);
    assert_eq!(signed_up.json()["result"]["user_id"], 3);
    let taken = app
        .post_json("/api/mizan/form/sign_up", &form.to_string(), &[SAME_ORIGIN])
        .await;
    assert_eq!(
        taken.json()["error"]["details"]["fields"],
        json!({"email": ["is already registered"]})
    );

    // A contact message is stored (its id from `RETURNING`, its time from the column default).
    let message = json!({"args": {
        "name": "Zoë", "email": "zoe@example.com", "topic": "billing", "message": "Hello ✉"
    }});
    let sent = app
        .post_json(
            "/api/mizan/form/contact",
            &message.to_string(),
            &[SAME_ORIGIN],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    assert_eq!(sent.json()["result"]["id"], 1);

    // A password change: the old password stops working, the new one signs in.
    let alice = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let change = json!({"args": {"password": "a new password", "confirmation": "a new password"}});
    let changed = app
        .post_json(
            "/api/mizan/form/change_password",
            &change.to_string(),
            &[SAME_ORIGIN, ("cookie", alice.as_str())],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    let refused = app
        .call(
            "login",
            json!({"email": "alice@example.com", "password": "alice-password"}),
            &[SAME_ORIGIN],
        )
        .await;
    assert_ne!(refused.status, StatusCode::OK, "{}", refused.text);
    sign_in(&app, "alice@example.com", "a new password", None).await;
    // A demo account whose password changed is someone's: a plain start keeps it, and removes
    // the other, which still has its published password.
    server::apply_demo_users(app.database.pool(), false)
        .await
        .expect("demo users removed");
    let accounts = app.call("site_stats", json!({}), &[SAME_ORIGIN]).await;
    assert_eq!(accounts.json()["result"]["accounts"], 2, "Alice and Cy");

    // The greeting's transaction (a raw `#[server]` function): an insert, then a count.
    for expected in 1..=2 {
        let request = http::Request::post("/api/greet")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(axum::body::Body::from("name=Pat"))
            .expect("request");
        let greeted = app.send(request).await;
        assert_eq!(greeted.status, StatusCode::OK, "{}", greeted.text);
        assert_eq!(greeted.json()["total"], expected, "{}", greeted.text);
    }
}

#[tokio::test]
async fn a_session_made_through_one_node_holds_on_another_and_ends_on_both() {
    let server = Postgres::start();
    let first = test_app_on(&server.url()).await;
    // Another node: its own pools and sockets, the same database.
    let second = test_app_on(&server.url()).await;

    let cookie = sign_in(&first, "alice@example.com", "alice-password", None).await;
    let headers = [SAME_ORIGIN, ("cookie", cookie.as_str())];
    let me = second.call("whoami", json!({}), &headers).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json()["result"]["email"], "alice@example.com");

    let out = second.call("logout", json!({}), &headers).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text);
    let me = first.call("whoami", json!({}), &headers).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{}", me.text);
}
