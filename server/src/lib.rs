//! The example app's server: settings, the database (SQLite or PostgreSQL), sessions, Leptos SSR
//! and server functions, served by mizan's one-call [`Site`].
//!
//! `main.rs` handles `export` commands and otherwise calls [`run`]; tests build the same router
//! with [`app_router_with`].

use std::{path::PathBuf, time::Duration};

use app::{App, demo::DemoOptions, shell, users::DatabaseUserStore};
use axum::Router;
use leptos::{
    config::{LeptosOptions, errors::LeptosConfigError, get_configuration},
    prelude::IntoView,
};
use leptos_axum::generate_route_list;
use mizan::server::{
    ClientApp, JwtKeyError, JwtKeys, Limits, ProxyListError, SessionLayer, Site, SiteError,
    TrustedProxies, export::Export,
};
use mizan_platform::{
    BrokerSetupError, Database, DatabaseError, DatabaseSessionStore, Settings, SettingsError,
    TelemetryError, connect_broker, connect_database, init_tracing,
};
use sqlx::AnyPool;
use tower_sessions::{
    Expiry, cookie::SameSite, cookie::time::Duration as CookieDuration,
    session_store::ExpiredDeletion,
};

/// How long an unused session lives.
const SESSION_IDLE_DAYS: i64 = 14;

/// Why the server could not start or stopped with an error. Each variant names its step; the
/// cause is its `source()` (print the chain with [`mizan::error_chain`]).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// `Leptos.toml` or an environment override is invalid.
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
    /// The broker linking this node to the others (`[broker]`, `REDIS_URL`, `MIZAN_BROKER`)
    /// could not be set up.
    #[error("broker")]
    Broker(#[from] BrokerSetupError),
    /// The session table could not be created.
    #[error("session store")]
    Sessions(#[source] sqlx::Error),
    /// The demo users could not be created or removed.
    #[error("demo users")]
    DemoUsers(#[source] sqlx::Error),
    /// The bearer-token secret (`auth.jwt_secret`, `MIZAN_JWT_SECRET`) is unfit.
    #[error("bearer tokens (auth.jwt_secret, MIZAN_JWT_SECRET)")]
    BearerTokens(#[from] JwtKeyError),
    /// `security.trusted_proxies` (`MIZAN_TRUSTED_PROXIES`) names something that is no address.
    #[error("trusted proxies (security.trusted_proxies, MIZAN_TRUSTED_PROXIES)")]
    TrustedProxies(#[from] ProxyListError),
    /// The site could not be built or served.
    #[error("site")]
    Site(#[from] SiteError),
}

/// Environment variable turning the example's panic demo on (`1`); off otherwise.
pub const PANIC_DEMO_VAR: &str = "MIZAN_DEMO_PANIC";

/// Environment variable slowing the example's renames by people who are not staff: how many
/// milliseconds each waits before it runs (at most a minute); unset or `0`, none.
pub const SLOW_RENAMES_VAR: &str = "MIZAN_DEMO_SLOW_RENAMES_MS";

/// Environment variable creating the example's demo users at start (`1`): accounts with published
/// passwords, one of them staff. Without it, a start creates none (and removes those a demo start
/// left, while they keep their published password).
pub const DEMO_USERS_VAR: &str = "MIZAN_DEMO_USERS";

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
        slow_renames: std::env::var(SLOW_RENAMES_VAR)
            .ok()
            .and_then(|value| value.trim().parse::<u64>().ok())
            .filter(|&millis| millis > 0)
            .map(|millis| Duration::from_millis(millis.min(60_000))),
    }
}

/// Whether [`DEMO_USERS_VAR`] asks for the demo users (`1`; anything else, or unset, is no).
pub fn demo_users_from_env() -> bool {
    std::env::var(DEMO_USERS_VAR).is_ok_and(|value| value.trim() == "1")
}

/// Creates the demo users (`enabled`) or removes those an earlier demo start left behind while
/// they keep their published password, so a plain start never serves a published password.
/// Logs one line either way.
pub async fn apply_demo_users(pool: &AnyPool, enabled: bool) -> Result<(), ServerError> {
    if enabled {
        let created = app::users::seed_demo_users(pool)
            .await
            .map_err(ServerError::DemoUsers)?;
        tracing::warn!(
            created,
            "demo users on ({DEMO_USERS_VAR}=1): alice@example.com and admin@example.com (staff) \
             sign in with their published passwords; never set this in a deployment"
        );
    } else {
        let removed = app::users::remove_demo_users(pool)
            .await
            .map_err(ServerError::DemoUsers)?;
        tracing::info!(
            removed,
            "no demo users: set {DEMO_USERS_VAR}=1 to create them"
        );
    }
    Ok(())
}

/// The functions the example does not serve with these options: `crash_test` unless the panic
/// demo is on. A switched-off function is in neither document and answers like one that does not
/// exist.
pub fn switched_off(demo: DemoOptions) -> &'static [&'static str] {
    if demo.panic_demo {
        &[]
    } else {
        &["crash_test"]
    }
}

/// What `server export ...` writes: the functions a server with the default options serves
/// (whatever `MIZAN_DEMO_PANIC` says where the export runs, so the generated TypeScript does not
/// depend on who ran it).
pub fn export() -> Export {
    Export::new().switch_off(switched_off(DemoOptions::default()))
}

/// The session cookie's name: `__Host-` prefixed when cookies are `Secure` (behind HTTPS), so no
/// sibling subdomain can set or shadow it; browsers refuse that prefix on a cookie that is not.
pub fn session_cookie_name(secure_cookies: bool) -> &'static str {
    if secure_cookies {
        "__Host-mizan_session"
    } else {
        "mizan_session"
    }
}

/// Leptos' options: cargo-leptos' values (compiled in by `cargo leptos build`), overridden by
/// every `LEPTOS_*` variable (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, ...).
pub fn leptos_options() -> Result<LeptosOptions, ServerError> {
    Ok(get_configuration(None)?.leptos_options)
}

/// The example's site over an open, migrated database: pages, server functions, static files,
/// users and sessions in that database, bearer tokens when a secret is set, the React app
/// built into `react_app` at [`REACT_APP_PATH`], and the broker linking it to the app's other
/// nodes when the settings name one.
pub async fn site(
    settings: &Settings,
    options: LeptosOptions,
    database: Database,
    demo: DemoOptions,
    react_app: PathBuf,
) -> Result<Site<impl IntoView + 'static>, ServerError> {
    let pool = database.pool().clone();
    let broker = connect_broker(&settings.broker, &database).await?;
    let session_store = DatabaseSessionStore::new(&database);
    session_store
        .migrate()
        .await
        .map_err(ServerError::Sessions)?;
    let sessions = SessionLayer::new(session_store)
        .with_name(session_cookie_name(settings.security.secure_cookies))
        .with_same_site(SameSite::Lax)
        .with_secure(settings.security.secure_cookies)
        .with_expiry(Expiry::OnInactivity(CookieDuration::days(
            SESSION_IDLE_DAYS,
        )));
    let site = Site::new(options, App, shell)
        .route_list(route_list())
        .users(DatabaseUserStore::new(pool.clone()))
        .sessions(sessions)
        .trusted_origins(settings.security.trusted_origins.iter().cloned())
        .trusted_proxies(TrustedProxies::parse(&settings.security.trusted_proxies)?)
        .limits(limits(settings))
        .client_app(ClientApp::new(REACT_APP_PATH, react_app))
        .switch_off(switched_off(demo))
        .state(demo)
        .state(pool);
    let site = match broker {
        Some(broker) => site.broker(broker),
        None => site,
    };
    let site = if settings.security.site_origin.is_empty() {
        site
    } else {
        site.site_origin(settings.security.site_origin.as_str())
    };
    // Empty: a random key of this process (the site logs that once).
    let site = if settings.security.secret_key.is_empty() {
        site
    } else {
        site.secret_key(settings.security.secret_key.as_bytes())
    };
    Ok(if settings.auth.jwt_secret.is_empty() {
        site
    } else {
        site.bearer_tokens(JwtKeys::from_secret(settings.auth.jwt_secret.as_bytes())?)
    })
}

/// mizan's per-client limits from the `[limits]` settings.
pub fn limits(settings: &Settings) -> Limits {
    let limits = &settings.limits;
    Limits::default()
        .with_sockets_per_session(limits.sockets_per_session)
        .with_sockets_per_address(limits.sockets_per_address)
        .with_header_read_timeout(Duration::from_secs(limits.header_read_timeout_secs))
        .with_identity_recheck(Duration::from_secs(limits.identity_recheck_secs))
}

/// [`site`] as a router (what the tests drive).
pub async fn app_router_with(
    settings: &Settings,
    options: LeptosOptions,
    database: Database,
    demo: DemoOptions,
    react_app: PathBuf,
) -> Result<Router, ServerError> {
    Ok(site(settings, options, database, demo, react_app)
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
        None => tracing::info!("no Leptos.toml here: built-in defaults and environment apply"),
    }
    let options = leptos_options()?;
    let database = connect_database(&settings.database).await?;
    database.migrate(app::migrations()).await?;
    apply_demo_users(database.pool(), demo_users_from_env()).await?;
    let cleanup = tokio::spawn(
        DatabaseSessionStore::new(&database).continuously_delete_expired(Duration::from_secs(3600)),
    );
    let demo = demo_options_from_env();
    if let Some(delay) = demo.slow_renames {
        tracing::warn!(
            delay_ms = delay.as_millis(),
            "slow renames on ({SLOW_RENAMES_VAR}): each rename by a user who is not staff holds its \
             request open this long; never set this in a deployment"
        );
    }
    let served = site(
        &settings,
        options,
        database.clone(),
        demo,
        react_app_dir_from_env(),
    )
    .await?
    .serve()
    .await;
    cleanup.abort();
    database.close().await;
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
