//! The example app's server: settings, SQLite, sessions, Leptos SSR and server functions on axum.
//!
//! `main.rs` only calls [`run`]; tests build the same router with [`app_router`].

use std::time::Duration;

use app::{App, demo::DemoOptions, shell};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use std::sync::Arc;

use app::users::SqliteUserStore;
use axum::Extension;
use mizan::server::{
    AuthConfig, DatabaseError, JwtKeys, ListenError, Manifest, Mizan, OriginPolicy, Registry,
    RegistryError, SessionLayer, Settings, SettingsError, TelemetryError, connect_database,
    init_tracing, run_migrations, serve,
};
use sqlx::SqlitePool;
use tower::ServiceBuilder;
use tower_http::trace::TraceLayer;
use tower_sessions::{
    Expiry, cookie::SameSite, cookie::time::Duration as CookieDuration,
    session_store::ExpiredDeletion,
};
use tower_sessions_sqlx_store::SqliteStore;

/// How long an unused session lives.
const SESSION_IDLE_DAYS: i64 = 14;

/// Why the server could not start or stopped with an error. Each variant names its step; the
/// cause is its `source()` (print the chain with [`mizan::server::error_chain`]).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// `Leptos.toml` or an environment override is invalid.
    #[error("settings")]
    Settings(#[from] SettingsError),
    /// Logging could not be set up.
    #[error("logging")]
    Telemetry(#[from] TelemetryError),
    /// The database could not be opened or migrated.
    #[error("database")]
    Database(#[from] DatabaseError),
    /// The session table could not be created.
    #[error("session store")]
    Sessions(#[source] sqlx::Error),
    /// The `#[client]` functions cannot be served together (a name used twice, say).
    #[error("functions")]
    Registry(#[from] RegistryError),
    /// The listener failed.
    #[error("http")]
    Listen(#[from] ListenError),
    /// The manifest could not be serialized.
    #[error("cannot serialize the manifest")]
    SerializeManifest(#[source] serde_json::Error),
    /// The manifest file could not be written.
    #[error("cannot write the manifest to {path}")]
    WriteManifest {
        /// Where.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Environment variable turning the example's panic demo on (`1`); off otherwise.
pub const PANIC_DEMO_VAR: &str = "MIZAN_DEMO_PANIC";

/// The demo options from the environment.
pub fn demo_options_from_env() -> DemoOptions {
    DemoOptions {
        panic_demo: std::env::var(PANIC_DEMO_VAR).is_ok_and(|value| value.trim() == "1"),
    }
}

/// Builds the whole HTTP app over an open, migrated pool: pages, server functions, static files
/// and sessions; the demos stay off.
pub async fn app_router(settings: &Settings, pool: SqlitePool) -> Result<Router, ServerError> {
    app_router_with(settings, pool, DemoOptions::default()).await
}

/// [`app_router`] with these demo options.
pub async fn app_router_with(
    settings: &Settings,
    pool: SqlitePool,
    demo: DemoOptions,
) -> Result<Router, ServerError> {
    let leptos_options = settings.leptos_options();
    let session_store = SqliteStore::new(pool.clone());
    session_store
        .migrate()
        .await
        .map_err(ServerError::Sessions)?;

    let mizan = Mizan::new(
        Registry::collect()?,
        AuthConfig {
            users: Arc::new(SqliteUserStore::new(pool.clone())),
            jwt: (!settings.auth.jwt_secret.is_empty())
                .then(|| JwtKeys::from_secret(settings.auth.jwt_secret.as_bytes())),
        },
        OriginPolicy::new(settings.security.trusted_origins.iter().cloned()),
    );

    // Every page render and server function sees the pool through Leptos' context; mizan
    // functions get it from the request extensions, whichever endpoint called them.
    let context = {
        let pool = pool.clone();
        move || provide_context(pool.clone())
    };
    let routes = route_list();
    let router = Router::new()
        .merge(mizan.routes())
        .leptos_routes_with_context(&leptos_options, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(file_and_error_handler_with_context(context, shell));
    // The request trace records its spans and events at DEBUG: under the default filter it would
    // cost every request time (~5% of a small call) and log nothing, so it is installed only
    // when the filter lets it speak (e.g. `RUST_LOG=info,tower_http=debug`).
    let trace = tracing::enabled!(target: "tower_http::trace::on_response", tracing::Level::DEBUG)
        .then(TraceLayer::new_for_http);
    // One `layer` call for the whole stack: axum boxes every route once per call and clones the
    // chain of boxes on every request. (The trace, when on, is a second: it changes the body type.)
    let router = router.layer(
        ServiceBuilder::new()
            .layer(
                SessionLayer::new(session_store)
                    .with_name("mizan_session")
                    .with_same_site(SameSite::Lax)
                    .with_http_only(true)
                    .with_secure(settings.security.secure_cookies)
                    .with_expiry(Expiry::OnInactivity(CookieDuration::days(
                        SESSION_IDLE_DAYS,
                    ))),
            )
            .layer(Extension(pool))
            .layer(Extension(demo))
            .layer(mizan.layer()),
    );
    let router = match trace {
        Some(trace) => router.layer(trace),
        None => router,
    };
    Ok(router.with_state(leptos_options))
}

/// Loads settings, sets up logging, opens and migrates the database, and serves until Ctrl-C or
/// SIGTERM.
pub async fn run() -> Result<(), ServerError> {
    let settings = Settings::load()?;
    init_tracing(&settings.log)?;
    match &settings.source {
        Some(path) => tracing::info!(path = %path.display(), "settings loaded"),
        None => tracing::info!("no Leptos.toml here: built-in defaults and environment apply"),
    }

    let pool = connect_database(&settings.database).await?;
    run_migrations(&pool, &app::MIGRATOR).await?;
    let cleanup = tokio::spawn(
        SqliteStore::new(pool.clone()).continuously_delete_expired(Duration::from_secs(3600)),
    );

    let router = app_router_with(&settings, pool.clone(), demo_options_from_env()).await?;
    let served = serve(settings.site.addr, router).await;
    cleanup.abort();
    pool.close().await;
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// The Edge manifest of every linked `#[client]` function, as JSON: what
/// `GET /api/mizan/manifest` serves, available without a running server or a database.
pub fn manifest_json() -> Result<String, ServerError> {
    Manifest::of(&Registry::collect()?)
        .to_json()
        .map_err(ServerError::SerializeManifest)
}

/// `server export manifest --out FILE`: writes [`manifest_json`] to `path` (`-`: stdout).
pub fn export_manifest(path: &std::path::Path) -> Result<(), ServerError> {
    let json = manifest_json()? + "\n";
    if path == std::path::Path::new("-") {
        print!("{json}");
        return Ok(());
    }
    std::fs::write(path, json).map_err(|source| ServerError::WriteManifest {
        path: path.to_owned(),
        source,
    })
}

/// The app's routes, walked once per process: listing them renders the app in Leptos'
/// route-discovery mode, which must not overlap a page render (tests build many routers in one
/// process), and the list never changes.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}
