//! Load-benchmark targets, each beside its baseline. The echo work four ways: a raw axum JSON
//! handler, a raw Leptos `#[server]` function, a mizan `#[client]` function through its own
//! endpoint and through `/api/mizan/call/`; and a profile page rendered with mizan contexts beside
//! the same page built on raw `#[server]` functions and resources ([`pages`]); sockets, channels
//! and pushed invalidation beside a raw axum WebSocket fan-out ([`realtime`]); sign-ins checked on
//! the password pool beside the same check on the async worker ([`sign_in`]).

pub mod pages;
pub mod realtime;
pub mod sign_in;

use axum::{Json, Router, routing::post};
use leptos::prelude::*;
use leptos_axum::LeptosRoutes;
use mizan::{MizanError, client};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The echo result, identical on every path.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Echoed {
    /// The text sent.
    pub message: String,
}

/// The raw axum request body.
#[derive(Debug, Deserialize)]
pub struct RawEcho {
    /// The text.
    pub text: String,
}

/// Baseline 1: a plain axum handler.
pub async fn raw_axum(Json(body): Json<RawEcho>) -> Json<Echoed> {
    Json(Echoed { message: body.text })
}

/// The body of [`raw_axum_call`]: what `/api/mizan/call/` reads.
#[derive(Debug, Deserialize)]
pub struct RawCall {
    /// The function's name.
    #[serde(rename = "fn")]
    pub function: String,
    /// Its arguments.
    pub args: RawEcho,
}

/// What [`raw_axum_call`] answers: mizan's envelope.
#[derive(Debug, Serialize)]
pub struct RawEnvelope {
    /// The echo.
    pub result: Echoed,
    /// No keys.
    pub invalidate: [String; 0],
}

/// Baseline 1b: a plain axum handler doing the envelope work of `/api/mizan/call/` by hand:
/// reads `{"fn", "args"}`, checks the name, answers `{"result", "invalidate"}` with the
/// `X-Mizan-Invalidate` header. What the shipped stack is held against.
pub async fn raw_axum_call(Json(call): Json<RawCall>) -> axum::response::Response {
    use axum::response::IntoResponse;
    if call.function != "bench_echo" {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    (
        [("x-mizan-invalidate", "[]")],
        Json(RawEnvelope {
            result: Echoed {
                message: call.args.text,
            },
            invalidate: [],
        }),
    )
        .into_response()
}

/// Baseline 2: a raw Leptos server function (JSON in, JSON out).
#[server(prefix = "/bench", endpoint = "raw_server", input = server_fn::codec::Json)]
pub async fn raw_server(
    /// The text.
    text: String,
) -> Result<Echoed, ServerFnError> {
    Ok(Echoed { message: text })
}

/// The mizan function under test.
#[client]
pub async fn bench_echo(
    /// The text.
    text: String,
) -> Result<Echoed, MizanError> {
    Ok(Echoed { message: text })
}

/// Most sockets the bench's load client opens from its one address (the idle-memory run's
/// 5,000, with room).
pub const LOAD_SOCKETS: usize = 100_000;

/// How much of a real deployment's stack wraps the routes under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// mizan's own layer only (`Mizan::wrap`): the framework's cost alone.
    Bare,
    /// What the example's server runs: sessions in SQLite (tower-sessions), the request trace
    /// layer (tower-http) and mizan's layer, with logging at `info` (set up by the binary). The
    /// raw axum route stays outside every layer: it is the baseline.
    Full,
}

/// One router serving the four echo paths and the two profile pages (which read `pool`); one node
/// of several when `broker` links it to the others.
pub async fn router(
    pool: sqlx::SqlitePool,
    stack: Stack,
    broker: Option<mizan_platform::NodeBroker>,
) -> Result<Router, BenchError> {
    sign_in::prepare().await.map_err(BenchError::Hash)?;
    let mizan = mizan::server::Mizan::new(
        mizan::server::Registry::collect()?,
        mizan::server::AuthConfig::default(),
        mizan::server::OriginPolicy::default(),
    )
    .with_channels(mizan::server::ChannelHub::new(
        mizan::server::Channels::collect()?,
        mizan::server::LocalChannels::default(),
    ))
    // The load client opens thousands of sockets from one address: the per-address cap, which
    // a public site keeps, would refuse all but the first 64.
    .with_limits(mizan::server::Limits::default().with_sockets_per_address(LOAD_SOCKETS));
    let mizan = match broker {
        Some(broker) => mizan.with_broker(std::sync::Arc::new(broker)),
        None => mizan,
    };
    let options = LeptosOptions::builder().output_name("bench").build();
    let router = Router::new()
        .merge(mizan.routes())
        .leptos_routes_with_context(
            &options,
            leptos_axum::generate_route_list(pages::BenchApp),
            {
                let pool = pool.clone();
                move || provide_context(pool.clone())
            },
            {
                let options = options.clone();
                move || pages::shell(options.clone())
            },
        )
        .with_state(options);
    // As the example's server: the whole stack in one `Router::layer` call (the trace, when it
    // speaks, in a second: it changes the response body's type).
    let mut trace = None;
    let layers = match stack {
        Stack::Bare => tower::ServiceBuilder::new().option_layer(None),
        Stack::Full => {
            // `BENCH_LAYERS` (comma-separated; default both) leaves layers out, to see what each
            // one costs.
            let layers = std::env::var("BENCH_LAYERS").unwrap_or_else(|_| "sessions,trace".into());
            let sessions = if layers.split(',').any(|layer| layer == "sessions") {
                let store = tower_sessions_sqlx_store::SqliteStore::new(pool.clone());
                store.migrate().await.map_err(BenchError::Sessions)?;
                Some(mizan::server::SessionLayer::new(store).with_secure(false))
            } else {
                None
            };
            // The trace layer only where the filter lets it speak.
            let trace_speaks = tracing::enabled!(
                target: "tower_http::trace::on_response",
                tracing::Level::DEBUG
            );
            trace = (layers.split(',').any(|layer| layer == "trace") && trace_speaks)
                .then(tower_http::trace::TraceLayer::new_for_http);
            tower::ServiceBuilder::new().option_layer(sessions)
        }
    };
    let router = router.layer(
        layers
            .layer(axum::Extension(pool))
            .layer(axum::Extension(sign_in::unlimited_guard()))
            .layer(mizan.layer()),
    );
    let router = match trace {
        Some(trace) => router.layer(trace),
        None => router,
    };
    // The baseline is merged last, outside every layer.
    Ok(Router::new()
        .route("/raw/echo", post(raw_axum))
        .route("/raw/call", post(raw_axum_call))
        .merge(realtime::raw_routes())
        .merge(router))
}

/// Why the benchmark server could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The functions do not register together.
    #[error("functions")]
    Registry(#[from] mizan::server::RegistryError),
    /// Two channels have one name.
    #[error("channels")]
    Channels(#[from] mizan::server::DuplicateChannel),
    /// The session table could not be created.
    #[error("session store")]
    Sessions(#[source] sqlx::Error),
    /// The sign-ins' password could not be hashed.
    #[error("password hash")]
    Hash(#[source] MizanError),
}
