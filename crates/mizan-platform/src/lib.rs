//! The optional platform of a mizan app: a settings file with environment overrides, a SQLite
//! pool created and migrated on first start, and logging through `tracing`.
//!
//! Nothing in `mizan` depends on this crate. An app may take these conventions (the example app
//! does), or bring its own configuration, database and logging: mizan needs none of them.

pub mod database;
pub mod settings;
pub mod telemetry;

pub use database::{DatabaseError, connect_database, run_migrations};
pub use settings::{Settings, SettingsError};
pub use telemetry::{TelemetryError, init_tracing};
