//! The example app's server: settings, SQLite, sessions, Leptos SSR and server functions, served
//! by mizan's one-call [`Site`].
//!
//! `main.rs` handles `export` commands and otherwise calls [`run`]; tests build the same router
//! with [`app_router_with`].

use std::{path::PathBuf, time::Duration};

use app::{App, demo::DemoOptions, shell, users::SqliteUserStore};
use axum::Router;
use leptos::{
    config::{LeptosOptions, errors::LeptosConfigError, get_configuration},
    prelude::IntoView,
};
use leptos_axum::generate_route_list;
use mizan::server::{ClientApp, JwtKeys, SessionLayer, Site, SiteError};
use mizan_platform::{
    DatabaseError, Settings, SettingsError, TelemetryError, connect_database, init_tracing,
    run_migrations,
};
use sqlx::SqlitePool;
use tower_sessions::{
    Expiry, cookie::SameSite, cookie::time::Duration as CookieDuration,
    session_store::ExpiredDeletion,
};
use tower_sessions_sqlx_store::SqliteStore;

/// How long an unused session lives.
const SESSION_IDLE_DAYS: i64 = 14;

/// Why the server could not start or stopped with an error. Each variant names its step; the
/// cause is its `source()` (print the chain with [`mizan::error_chain`]).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// `Settings.toml` or an environment override is invalid.
    #[error("settings")]
    Settings(#[from] SettingsError),
    /// Leptos' options (cargo-leptos' values, `LEPTOS_*` variables) are invalid.
    #[error("Leptos options")]
    LeptosOptions(#[from] LeptosConfigError),
    /// Logging could not be set up.
    #[error("logging")]
    Telemetry(#[from] TelemetryError),
    /// The database could not be opened or migrated.
    #[error("database")]
    Database(#[from] DatabaseError),
    /// The session table could not be created.
    #[error("session store")]
    Sessions(#[source] sqlx::Error),
    /// The site could not be built or served.
    #[error("site")]
    Site(#[from] SiteError),
}

/// Environment variable turning the example's panic demo on (`1`); off otherwise.
pub const PANIC_DEMO_VAR: &str = "MIZAN_DEMO_PANIC";

/// Environment variable naming the directory of the built React app (Vite's `dist`).
pub const REACT_APP_VAR: &str = "MIZAN_REACT_APP_DIR";

/// Where the React app is served.
pub const REACT_APP_PATH: &str = "/react";

/// The built React app's directory: [`REACT_APP_VAR`], else `examples/react-app/dist` (relative
/// to the working directory, the workspace's root under `cargo leptos`).
pub fn react_app_dir_from_env() -> PathBuf {
    std::env::var_os(REACT_APP_VAR)
        .map_or_else(|| PathBuf::from("examples/react-app/dist"), PathBuf::from)
}

/// The demo options from the environment.
pub fn demo_options_from_env() -> DemoOptions {
    DemoOptions {
        panic_demo: std::env::var(PANIC_DEMO_VAR).is_ok_and(|value| value.trim() == "1"),
    }
}

/// Leptos' options: cargo-leptos' values (compiled in by `cargo leptos build`), overridden by
/// every `LEPTOS_*` variable (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, ...).
pub fn leptos_options() -> Result<LeptosOptions, ServerError> {
    Ok(get_configuration(None)?.leptos_options)
}

/// The example's site over an open, migrated pool: pages, server functions, static files,
/// users and sessions in SQLite, bearer tokens when a secret is set, and the React app built into
/// `react_app` at [`REACT_APP_PATH`].
pub async fn site(
    settings: &Settings,
    options: LeptosOptions,
    pool: SqlitePool,
    demo: DemoOptions,
    react_app: PathBuf,
) -> Result<Site<impl IntoView + 'static>, ServerError> {
    let session_store = SqliteStore::new(pool.clone());
    session_store
        .migrate()
        .await
        .map_err(ServerError::Sessions)?;
    let sessions = SessionLayer::new(session_store)
        .with_name("mizan_session")
        .with_same_site(SameSite::Lax)
        .with_secure(settings.security.secure_cookies)
        .with_expiry(Expiry::OnInactivity(CookieDuration::days(
            SESSION_IDLE_DAYS,
        )));
    let site = Site::new(options, App, shell)
        .route_list(route_list())
        .users(SqliteUserStore::new(pool.clone()))
        .sessions(sessions)
        .trusted_origins(settings.security.trusted_origins.iter().cloned())
        .client_app(ClientApp::new(REACT_APP_PATH, react_app))
        .state(pool)
        .state(demo);
    Ok(if settings.auth.jwt_secret.is_empty() {
        site
    } else {
        site.bearer_tokens(JwtKeys::from_secret(settings.auth.jwt_secret.as_bytes()))
    })
}

/// [`site`] as a router (what the tests drive).
pub async fn app_router_with(
    settings: &Settings,
    options: LeptosOptions,
    pool: SqlitePool,
    demo: DemoOptions,
    react_app: PathBuf,
) -> Result<Router, ServerError> {
    Ok(site(settings, options, pool, demo, react_app)
        .await?
        .into_router()?)
}

/// Loads settings, sets up logging, opens and migrates the database, and serves until Ctrl-C or
/// SIGTERM.
pub async fn run() -> Result<(), ServerError> {
    let settings = Settings::load()?;
    init_tracing(&settings.log)?;
    match &settings.source {
        Some(path) => tracing::info!(path = %path.display(), "settings loaded"),
        None => tracing::info!("no Settings.toml here: built-in defaults and environment apply"),
    }
    let options = leptos_options()?;
    let pool = connect_database(&settings.database).await?;
    run_migrations(&pool, &app::MIGRATOR).await?;
    let cleanup = tokio::spawn(
        SqliteStore::new(pool.clone()).continuously_delete_expired(Duration::from_secs(3600)),
    );
    let served = site(
        &settings,
        options,
        pool.clone(),
        demo_options_from_env(),
        react_app_dir_from_env(),
    )
    .await?
    .serve()
    .await;
    cleanup.abort();
    pool.close().await;
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// The app's routes, walked once per process: listing them renders the app in Leptos'
/// route-discovery mode, which must not overlap a page render (tests build many routers in one
/// process), and the list never changes.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}
