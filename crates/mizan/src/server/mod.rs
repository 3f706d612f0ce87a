//! The server side of mizan: settings, database, logging, listener, and the call pipeline with
//! its registry, request context, auth, cross-site guard and HTTP routes.

pub mod auth;
pub mod context;
pub mod csrf;
pub mod database;
pub mod endpoint;
pub mod graph;
pub mod http;
pub mod listen;
pub mod pipeline;
pub mod registry;
pub mod settings;
pub mod telemetry;

pub use auth::{AuthConfig, JwtKeys, MizanUser, UserStore, hash_password, verify_password};
pub use context::{AuthMethod, RequestContext};
pub use csrf::OriginPolicy;
pub use database::{DatabaseError, connect_database, run_migrations};
pub use graph::{Edge, Manifest};
pub use http::Mizan;
pub use listen::{BoundListener, ListenError, serve, shutdown_signal};
pub use pipeline::{Data, Outcome, Output};
pub use registry::{
    AuthRule, ContextScope, FunctionDef, FunctionKind, FunctionRef, ParamDef, Registry,
};
pub use settings::{Settings, SettingsError};
pub use telemetry::{TelemetryError, init_tracing};
