//! A test server: the real router over a fresh SQLite file (or a PostgreSQL server of its own),
//! and request helpers.
#![allow(dead_code)]

pub mod postgres;
pub mod redis;
pub mod socket;

use axum::{Router, body::Body};
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use mizan_platform::{Database, Settings, connect_database};
use serde_json::Value;
use tower::ServiceExt;

/// The bearer-token secret test servers use (at least 32 bytes, as `JwtKeys` requires).
pub const JWT_SECRET: &str = "test-secret-for-bearer-tokens-32+";

pub struct TestApp {
    pub router: Router,
    /// The app's database.
    pub database: Database,
    dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The whole Set-Cookie header of the session cookie (with its attributes), if one was set.
    pub fn session_set_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("mizan_session="))
            .map(str::to_owned)
    }

    /// The `mizan_session=...` pair of a Set-Cookie header, if one was set.
    pub fn session_cookie(&self) -> Option<String> {
        self.session_set_cookie()
            .and_then(|v| v.split(';').next().map(str::to_owned))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// The example's Leptos options, as cargo-leptos builds them (`Cargo.toml`'s metadata).
pub fn leptos_options() -> leptos::config::LeptosOptions {
    leptos::config::LeptosOptions::builder()
        .output_name("mizan")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build()
}

/// A test server with the demo users (`alice@example.com`, `admin@example.com`), as
/// `MIZAN_DEMO_USERS=1` starts it.
pub async fn test_app() -> TestApp {
    test_app_with(|_| {}).await
}

/// A test server whose settings `adjust` changes first (with the demo users).
pub async fn test_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    test_app_full(adjust, app::demo::DemoOptions::default(), true).await
}

/// A test server with the example's panic demo on (and the demo users).
pub async fn test_app_with_panic_demo() -> TestApp {
    test_app_full(
        |_| {},
        app::demo::DemoOptions {
            panic_demo: true,
            ..Default::default()
        },
        true,
    )
    .await
}

/// A test server started as a plain start does: without `MIZAN_DEMO_USERS`, so no demo users.
pub async fn test_app_without_demo_users() -> TestApp {
    test_app_full(|_| {}, app::demo::DemoOptions::default(), false).await
}

/// A test server (with the demo users) whose failed sign-ins are limited by `limits`.
pub async fn test_app_with_sign_in_limits(limits: mizan::server::SignInLimits) -> TestApp {
    let mut app = test_app().await;
    let mut settings = Settings::default();
    settings.auth.jwt_secret = JWT_SECRET.into();
    app.router = server::site(
        &settings,
        leptos_options(),
        app.database.clone(),
        app::demo::DemoOptions::default(),
        app.react_app_dir(),
    )
    .await
    .expect("site")
    .sign_in_limits(limits)
    .into_router()
    .expect("router");
    app
}

async fn test_app_full(
    adjust: impl FnOnce(&mut Settings),
    demo: app::demo::DemoOptions,
    demo_users: bool,
) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings::default();
    settings.database.url = format!("sqlite://{}", dir.path().join("test.db").display());
    settings.auth.jwt_secret = JWT_SECRET.into();
    adjust(&mut settings);
    TestApp::start(&settings, demo, demo_users, dir).await
}

/// A test server on the database at `url` (PostgreSQL's, say), with the demo users.
pub async fn test_app_on(url: &str) -> TestApp {
    let mut settings = Settings::default();
    settings.database.url = url.to_owned();
    settings.auth.jwt_secret = JWT_SECRET.into();
    let dir = tempfile::tempdir().expect("tempdir");
    TestApp::start(&settings, app::demo::DemoOptions::default(), true, dir).await
}

/// A test server as `settings` describe it (its database, its broker), with the demo users: one
/// node of several when they share a database and a broker.
pub async fn test_node(settings: &Settings) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    TestApp::start(settings, app::demo::DemoOptions::default(), true, dir).await
}

/// The database `settings` name, opened and migrated as the server does at start.
pub async fn migrated_database(settings: &Settings) -> Database {
    let database = connect_database(&settings.database)
        .await
        .expect("database");
    database
        .migrate(app::migrations())
        .await
        .expect("migrations");
    database
}

impl TestApp {
    /// The server `settings` describe: its database opened and migrated, the demo users
    /// created or not, as a start does.
    async fn start(
        settings: &Settings,
        demo: app::demo::DemoOptions,
        demo_users: bool,
        dir: tempfile::TempDir,
    ) -> Self {
        let database = migrated_database(settings).await;
        server::apply_demo_users(database.pool(), demo_users)
            .await
            .expect("demo users");
        // The React app's directory: empty until a test builds a page into it.
        let react_app = dir.path().join("react-app");
        let router = server::app_router_with(
            settings,
            leptos_options(),
            database.clone(),
            demo,
            react_app,
        )
        .await
        .expect("router");
        TestApp {
            router,
            database,
            dir,
        }
    }

    /// The SQLite file of a test server on SQLite, through its own driver, for the tests' own
    /// queries.
    pub fn pool(&self) -> &sqlx::SqlitePool {
        self.database.sqlite().expect("a test server on SQLite")
    }

    /// Serves the app on a free loopback port with mizan's own listener (what `Site::serve`
    /// runs: header timeouts, each request's TCP peer); its address, `127.0.0.1:<port>`.
    pub async fn serve(&self) -> String {
        self.serve_with(mizan::server::Limits::default()).await
    }

    /// [`serve`](Self::serve) with the listener's limits.
    pub async fn serve_with(&self, limits: mizan::server::Limits) -> String {
        let bound = mizan::server::BoundListener::bind(([127, 0, 0, 1], 0).into())
            .await
            .expect("bind")
            .with_limits(limits);
        let addr = bound.local_addr();
        let router = self.router.clone();
        tokio::spawn(bound.serve(router, std::future::pending()));
        addr.to_string()
    }

    /// Where this server looks for the built React app (`/react`).
    pub fn react_app_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("react-app")
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            text: String::from_utf8(bytes.to_vec()).expect("utf-8"),
        }
    }

    /// `GET path` with extra headers.
    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    /// `POST path` with a JSON body and extra headers.
    pub async fn post_json(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body.to_owned())).expect("request"))
            .await
    }

    /// `POST /api/mizan/call/` for `function` with `args`.
    pub async fn call(&self, function: &str, args: Value, headers: &[(&str, &str)]) -> Reply {
        let body = serde_json::json!({ "fn": function, "args": args }).to_string();
        self.post_json("/api/mizan/call/", &body, headers).await
    }

    /// `POST /api/mizan/fn/<function>` with `{"args": ...}`.
    pub async fn call_endpoint(
        &self,
        function: &str,
        args: Value,
        headers: &[(&str, &str)],
    ) -> Reply {
        let body = serde_json::json!({ "args": args }).to_string();
        self.post_json(&format!("/api/mizan/fn/{function}"), &body, headers)
            .await
    }
}

/// Headers of a same-origin browser fetch.
pub const SAME_ORIGIN: (&str, &str) = ("sec-fetch-site", "same-origin");

/// Signs in through `login` and returns the session cookie pair.
pub async fn sign_in(app: &TestApp, email: &str, password: &str, cookie: Option<&str>) -> String {
    let mut headers = vec![SAME_ORIGIN];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    let reply = app
        .call(
            "login",
            serde_json::json!({"email": email, "password": password}),
            &headers,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply
        .session_cookie()
        .expect("login sets the session cookie")
}

/// An `Authorization` value with a fresh token for `user_id`.
pub fn bearer(user_id: i64) -> String {
    let token = mizan::server::JwtKeys::from_secret(JWT_SECRET.as_bytes())
        .expect("a long enough secret")
        .issue(user_id, std::time::Duration::from_secs(60))
        .expect("token");
    format!("Bearer {token}")
}
