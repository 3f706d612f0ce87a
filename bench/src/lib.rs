//! Load-benchmark targets, each beside its baseline. The echo work four ways: a raw axum JSON
//! handler, a raw Leptos `#[server]` function, a mizan `#[client]` function through its own
//! endpoint and through `/api/mizan/call/`; and a profile page rendered with mizan contexts beside
//! the same page built on raw `#[server]` functions and resources ([`pages`]).

pub mod pages;

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

/// One router serving the four echo paths and the two profile pages (which read `pool`).
pub fn router(pool: sqlx::SqlitePool) -> Result<Router, mizan::server::RegistryError> {
    let mizan = mizan::server::Mizan::new(
        mizan::server::Registry::collect()?,
        mizan::server::AuthConfig {
            users: std::sync::Arc::new(NoUsers),
            jwt: None,
        },
        mizan::server::OriginPolicy::default(),
    );
    let options = LeptosOptions::builder().output_name("bench").build();
    let router = Router::new()
        .route("/raw/echo", post(raw_axum))
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
    Ok(mizan.wrap(router).layer(axum::Extension(pool)))
}

/// Nobody signs in during the benchmark.
struct NoUsers;

impl mizan::server::UserStore for NoUsers {
    fn load_user(&self, _id: i64) -> mizan::server::LoadUser<'_> {
        Box::pin(async { Ok(None) })
    }
}
