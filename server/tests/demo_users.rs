//! The example's demo users (published passwords, one of them staff) exist only when the server
//! starts with `MIZAN_DEMO_USERS=1`; the migrations remove those an earlier version created
//! unless their password was changed.

mod common;

use std::borrow::Cow;

use common::{SAME_ORIGIN, TestApp, sign_in, test_app, test_app_without_demo_users};
use http::StatusCode;
use mizan_platform::{Settings, connect_database};
use serde_json::json;
use sqlx::migrate::Migrator;

/// The migration that removes the demo users an earlier version created.
const REMOVAL_VERSION: i64 = 20261201000001;

/// The status of signing in with `email` / `password`.
async fn login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.call(
        "login",
        json!({"email": email, "password": password}),
        &[SAME_ORIGIN],
    )
    .await
    .status
}

/// The users' emails, by id.
async fn emails(pool: &sqlx::SqlitePool) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT id, email FROM users ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("users")
}

#[tokio::test]
async fn a_plain_start_has_no_demo_users() {
    let app = test_app_without_demo_users().await;
    assert_eq!(
        login_status(&app, "admin@example.com", "admin-password").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_status(&app, "alice@example.com", "alice-password").await,
        StatusCode::UNAUTHORIZED
    );
    assert!(emails(app.pool()).await.is_empty());
}

#[tokio::test]
async fn a_demo_start_creates_them_with_their_ids_once() {
    let app = test_app().await;
    assert_eq!(
        emails(app.pool()).await,
        [
            (1, "alice@example.com".to_owned()),
            (2, "admin@example.com".to_owned())
        ]
    );
    let admin = sign_in(&app, "admin@example.com", "admin-password", None).await;
    let report = app
        .call(
            "staff_report",
            json!({}),
            &[SAME_ORIGIN, ("cookie", &admin)],
        )
        .await;
    assert_eq!(
        report.status,
        StatusCode::OK,
        "admin is staff: {}",
        report.text
    );

    // A second demo start creates nothing and fails nothing.
    server::apply_demo_users(app.database.pool(), true)
        .await
        .expect("seeded again");
    assert_eq!(emails(app.pool()).await.len(), 2);

    // A plain start after it removes them again: a published password never outlives the flag.
    server::apply_demo_users(app.database.pool(), false)
        .await
        .expect("removed");
    assert!(emails(app.pool()).await.is_empty());
    assert_eq!(
        login_status(&app, "admin@example.com", "admin-password").await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn removal_keeps_a_demo_account_whose_password_was_changed() {
    let app = test_app().await;
    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let changed = app
        .post_json(
            "/api/mizan/form/change_password",
            &json!({"args": {
                "password": "alice-new-password",
                "confirmation": "alice-new-password",
            }})
            .to_string(),
            &[SAME_ORIGIN, ("cookie", &cookie)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);

    server::apply_demo_users(app.database.pool(), false)
        .await
        .expect("removed");
    assert_eq!(
        emails(app.pool()).await,
        [(1, "alice@example.com".to_owned())]
    );
    assert_eq!(
        login_status(&app, "alice@example.com", "alice-new-password").await,
        StatusCode::OK
    );
}

/// A database an earlier version migrated (its migrations created the demo users): the new
/// migration removes the one still on its published password and keeps the changed one.
#[tokio::test]
async fn the_migration_removes_old_demo_users_but_keeps_a_changed_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings::default();
    settings.database.url = format!("sqlite://{}", dir.path().join("old.db").display());
    let database = connect_database(&settings.database)
        .await
        .expect("database");
    let pool = database.sqlite().expect("a SQLite file").clone();
    let earlier = Migrator {
        migrations: Cow::Owned(
            app::SQLITE_MIGRATOR
                .iter()
                .filter(|migration| migration.version < REMOVAL_VERSION)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    earlier.run(&pool).await.expect("earlier migrations");
    assert_eq!(
        emails(&pool).await.len(),
        2,
        "the earlier version's demo users"
    );
    sqlx::query("UPDATE users SET password_hash = 'changed' WHERE id = 1")
        .execute(&pool)
        .await
        .expect("password changed");

    database
        .migrate(app::migrations())
        .await
        .expect("every migration");
    assert_eq!(emails(&pool).await, [(1, "alice@example.com".to_owned())]);
    database.close().await;
}
