//! The server side of mizan (feature `ssr`).
//!
//! Its modules form layers, each importing only the ones above it in this list:
//!
//! - [`user`]: the app's user as mizan sees it ([`MizanUser`], [`UserStore`], [`AuthMethod`]);
//! - [`context`]: the [`RequestContext`] a function receives;
//! - [`auth`]: authentication (session, bearer JWT), the [`AuthRule`]s, password hashing;
//! - [`outcome`]: what a successful call produces ([`Outcome`], [`Data`], [`View`]);
//! - [`registry`]: every `#[client]` function's definition ([`FunctionDef`], [`Registry`]);
//! - [`graph`]: the invalidation graph, scoped keys and the Edge [`Manifest`];
//! - `pipeline`: the one pipeline every call runs (admit → decode → validate → run → keys);
//! - [`response`]: pipeline results as HTTP answers (envelope, error status, headers);
//! - `endpoint`: the entry points generated code calls (own endpoint, in-process calls);
//! - [`admit`]: the layer every request passes (cross-site guard, body limit, auth configuration);
//! - [`sessions`]: the session layer (tower-sessions' sessions, free for requests without one);
//! - [`routes`]: the HTTP surface ([`Mizan`]: `/api/mizan/call/`, batch, manifest, views).
//!
//! Beside them, with no dependency on the layers: [`csrf`] (the cross-site policy), and the
//! optional platform pieces a binary may use: [`settings`], [`database`], [`telemetry`],
//! [`listen`].

pub mod admit;
pub mod auth;
pub mod context;
pub mod csrf;
pub mod database;
pub(crate) mod endpoint;
pub mod graph;
pub mod listen;
pub mod outcome;
pub(crate) mod pipeline;
pub mod registry;
pub mod response;
pub mod routes;
pub mod sessions;
pub mod settings;
pub mod telemetry;
pub mod user;

pub use auth::{AuthConfig, AuthRule, CheckFn, JwtKeys, hash_password, verify_password};
pub use context::RequestContext;
pub use csrf::OriginPolicy;
pub use database::{DatabaseError, connect_database, run_migrations};
pub use graph::{CachePolicy, Edge, Manifest};
pub use listen::{BoundListener, ListenError, serve, shutdown_signal};
pub use outcome::{Data, Outcome, Output, View};
pub use registry::{
    ContextScope, FunctionDef, FunctionKind, FunctionRef, ParamDef, Registry, RegistryError,
};
pub use routes::Mizan;
pub use sessions::SessionLayer;
pub use settings::{Settings, SettingsError};
pub use telemetry::{TelemetryError, error_chain, init_tracing};
pub use user::{AuthMethod, LoadUser, MizanUser, UserStore};
