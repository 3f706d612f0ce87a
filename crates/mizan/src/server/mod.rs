//! The server side of mizan: settings, database pool, logging and the HTTP listener.

pub mod database;
pub mod listen;
pub mod settings;
pub mod telemetry;

pub use database::{DatabaseError, connect_database, run_migrations};
pub use listen::{BoundListener, ListenError, serve, shutdown_signal};
pub use settings::{Settings, SettingsError};
pub use telemetry::{TelemetryError, init_tracing};
