//! A test server: the real router over a fresh SQLite file, and request helpers.
#![allow(dead_code)]

use axum::{Router, body::Body};
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use mizan_platform::{Settings, connect_database, run_migrations};
use serde_json::Value;
use tower::ServiceExt;

/// The bearer-token secret test servers use.
pub const JWT_SECRET: &str = "test-secret-for-bearer-tokens";

pub struct TestApp {
    pub router: Router,
    pub pool: sqlx::SqlitePool,
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

pub async fn test_app() -> TestApp {
    test_app_with(|_| {}).await
}

/// A test server whose settings `adjust` changes first.
pub async fn test_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    test_app_full(adjust, app::demo::DemoOptions::default()).await
}

/// A test server with the example's panic demo on.
pub async fn test_app_with_panic_demo() -> TestApp {
    test_app_full(|_| {}, app::demo::DemoOptions { panic_demo: true }).await
}

async fn test_app_full(
    adjust: impl FnOnce(&mut Settings),
    demo: app::demo::DemoOptions,
) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut settings = Settings::default();
    settings.database.url = format!("sqlite://{}", dir.path().join("test.db").display());
    settings.auth.jwt_secret = JWT_SECRET.into();
    adjust(&mut settings);
    let pool = connect_database(&settings.database)
        .await
        .expect("database");
    run_migrations(&pool, &app::MIGRATOR)
        .await
        .expect("migrations");
    // The React app's directory: empty until a test builds a page into it.
    let react_app = dir.path().join("react-app");
    let router =
        server::app_router_with(&settings, leptos_options(), pool.clone(), demo, react_app)
            .await
            .expect("router");
    TestApp { router, pool, dir }
}

impl TestApp {
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
        .issue(user_id, std::time::Duration::from_secs(60))
        .expect("token");
    format!("Bearer {token}")
}
