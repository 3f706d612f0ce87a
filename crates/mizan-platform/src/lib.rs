//! The optional platform of a mizan app: a settings file with environment overrides, a database
//! (a SQLite file created on first start, or PostgreSQL) opened and migrated, sessions stored in
//! it, a broker linking the nodes of one app (Redis, or PostgreSQL's own), and logging through
//! `tracing`.
//!
//! Nothing in `mizan` depends on this crate. An app may take these conventions (the example app
//! does), or bring its own configuration, database and logging: mizan needs none of them.

pub mod broker;
pub mod database;
pub mod sessions;
pub mod settings;
pub mod telemetry;

pub use broker::{BrokerSetupError, NodeBroker, connect_broker};
pub use database::{Database, DatabaseError, Engine, Migrations, connect_database};
pub use sessions::DatabaseSessionStore;
pub use settings::{Settings, SettingsError};
pub use telemetry::{TelemetryError, init_tracing};
