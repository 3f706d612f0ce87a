//! The SQL database: SQLite by default (the file created on first start), PostgreSQL when the URL
//! names it; opened, migrated, and handed to the app as one pool for either engine.
//!
//! The app's queries go through [`Database::pool`], sqlx's `Any` driver, so one query text
//! serves both engines when it keeps to what they share: `$1`-style parameters, `RETURNING`,
//! `ON CONFLICT DO NOTHING`, integers rather than booleans (a SQLite column has no boolean type
//! that `Any` would read back as one). What needs an engine's own driver (the session store,
//! the migrations, whose SQL differs) takes [`Database::engine`]: the same database, a pool of
//! that engine's own.

use std::{str::FromStr, time::Duration};

use sqlx::{
    AnyPool,
    any::AnyPoolOptions,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions},
};

use crate::settings::DatabaseSettings;

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// No database is configured: `[database] url` and `DATABASE_URL` are both unset.
    #[error("no database URL: set `url` under `[database]` in Leptos.toml, or DATABASE_URL")]
    NoUrl,
    /// `database.url` / `DATABASE_URL` names neither engine, or does not parse.
    #[error("database URL {url} is invalid: {reason}")]
    InvalidUrl {
        /// The URL, with any password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database could not be opened (missing directory, permissions, locked file, a server
    /// that does not answer or refuses the credentials).
    #[error("cannot open database {url}")]
    Connect {
        /// The URL, with any password hidden.
        url: String,
        /// sqlx's reason.
        source: sqlx::Error,
    },
    /// A migration failed; the database is left at the last migration that succeeded.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// The same database through its engine's own driver.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Engine {
    /// A SQLite file.
    Sqlite(SqlitePool),
    /// A PostgreSQL server.
    Postgres(PgPool),
}

/// An app's migrations, one set per engine (their SQL differs): the one matching the database
/// runs.
#[derive(Debug, Clone, Copy)]
pub struct Migrations<'a> {
    /// For SQLite.
    pub sqlite: &'a Migrator,
    /// For PostgreSQL.
    pub postgres: &'a Migrator,
}

/// An open database: one pool for the app's queries on either engine, and the engine's own.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    engine: Engine,
}

/// Which engine a URL names, from its scheme.
fn engine_of(url: &str) -> Option<EngineKind> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme)?;
    match scheme {
        "sqlite" => Some(EngineKind::Sqlite),
        "postgres" | "postgresql" => Some(EngineKind::Postgres),
        _ => None,
    }
}

#[derive(Clone, Copy)]
enum EngineKind {
    Sqlite,
    Postgres,
}

impl Database {
    /// Opens the database `settings` names: a SQLite file, created when it does not exist yet,
    /// or a PostgreSQL server's database.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DatabaseError> {
        let raw = settings.url.trim();
        if raw.is_empty() {
            return Err(DatabaseError::NoUrl);
        }
        let url = redact(raw);
        let invalid = |reason: String| DatabaseError::InvalidUrl {
            url: url.clone(),
            reason,
        };
        let connect = |source| DatabaseError::Connect {
            url: url.clone(),
            source,
        };
        let engine = match engine_of(raw) {
            Some(EngineKind::Sqlite) => {
                // The app's pool and the engine's would each get a database of their own.
                if raw.contains(":memory:") || raw.contains("mode=memory") {
                    return Err(invalid(
                        "an in-memory SQLite database cannot be shared by the app's queries and \
                         its sessions; name a file (sqlite://FILE)"
                            .to_owned(),
                    ));
                }
                let options = SqliteConnectOptions::from_str(raw)
                    .map_err(|error| invalid(error.to_string()))?
                    .create_if_missing(true)
                    // WAL lets page renders read while a server function writes.
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                Engine::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(settings.max_connections)
                        .connect_with(options)
                        .await
                        .map_err(connect)?,
                )
            }
            Some(EngineKind::Postgres) => {
                let options =
                    PgConnectOptions::from_str(raw).map_err(|error| invalid(error.to_string()))?;
                Engine::Postgres(
                    PgPoolOptions::new()
                        .max_connections(settings.max_connections)
                        .acquire_timeout(Duration::from_secs(5))
                        .connect_with(options)
                        .await
                        .map_err(connect)?,
                )
            }
            None => {
                return Err(invalid(
                    "expected sqlite://FILE or postgres://USER@HOST/DATABASE".to_owned(),
                ));
            }
        };
        // The file exists now (the engine's pool created it), so `Any` opens it as it is. An
        // app that installed `Any` drivers of its own before this would make this panic: it
        // would open its pools itself rather than through this crate.
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .connect(raw)
            .await
            .map_err(connect)?;
        Ok(Self { pool, engine })
    }

    /// The pool for the app's queries, on either engine.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The same database through its engine's own driver.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The SQLite pool, when the database is a SQLite file.
    pub fn sqlite(&self) -> Option<&SqlitePool> {
        match &self.engine {
            Engine::Sqlite(pool) => Some(pool),
            Engine::Postgres(_) => None,
        }
    }

    /// Runs the migrations of this database's engine that have not run yet.
    pub async fn migrate(&self, migrations: Migrations<'_>) -> Result<(), DatabaseError> {
        match &self.engine {
            Engine::Sqlite(pool) => migrations.sqlite.run(pool).await?,
            Engine::Postgres(pool) => migrations.postgres.run(pool).await?,
        }
        Ok(())
    }

    /// Closes both pools, waiting for the connections in use to come back.
    pub async fn close(&self) {
        self.pool.close().await;
        match &self.engine {
            Engine::Sqlite(pool) => pool.close().await,
            Engine::Postgres(pool) => pool.close().await,
        }
    }
}

/// Opens the database `settings` names (see [`Database::connect`]).
pub async fn connect_database(settings: &DatabaseSettings) -> Result<Database, DatabaseError> {
    Database::connect(settings).await
}

/// Hides the password of a URL such as `postgres://user:secret@host/db` (or given as its
/// `password` parameter) before it is shown.
pub(crate) fn redact(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        // Unparsable: only where it starts is shown.
        return raw.split_once("://").map_or_else(
            || "(unparsable)".to_owned(),
            |(scheme, _)| format!("{scheme}://…"),
        );
    };
    if url.password().is_some() {
        // Only fails for a URL that cannot have a password, which this one has.
        let _ = url.set_password(Some("***"));
    }
    if url.query_pairs().any(|(key, _)| key == "password") {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if key == "password" {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_errors() {
        assert_eq!(
            redact("postgres://me:secret@db/app"),
            "postgres://me:***@db/app"
        );
        assert_eq!(
            redact("postgres://me@db/app?sslmode=require&password=secret"),
            "postgres://me@db/app?sslmode=require&password=***"
        );
        assert_eq!(redact("postgres://me@db/app"), "postgres://me@db/app");
        assert_eq!(redact("sqlite://mizan.db"), "sqlite://mizan.db");
        assert_eq!(redact("postgres://me:secret@[db/app"), "postgres://…");
    }

    #[tokio::test]
    async fn an_in_memory_sqlite_database_is_refused_with_the_reason() {
        let settings = DatabaseSettings {
            url: "sqlite::memory:".into(),
            max_connections: 1,
        };
        let error = connect_database(&settings)
            .await
            .expect_err("two pools cannot share one");
        assert!(matches!(error, DatabaseError::InvalidUrl { .. }), "{error}");
        assert!(error.to_string().contains("name a file"), "{error}");
    }

    #[tokio::test]
    async fn creates_a_missing_sqlite_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fresh.db");
        let settings = DatabaseSettings {
            url: format!("sqlite://{}", path.display()),
            max_connections: 2,
        };
        let database = connect_database(&settings).await.expect("opens");
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(database.pool())
            .await
            .expect("query");
        assert_eq!(one, 1);
        assert!(database.sqlite().is_some());
        assert!(path.exists());
    }

    #[tokio::test]
    async fn no_url_is_an_error_that_says_where_to_set_one() {
        let error = connect_database(&DatabaseSettings::default())
            .await
            .expect_err("no database is configured");
        assert!(matches!(error, DatabaseError::NoUrl), "{error}");
        assert!(error.to_string().contains("DATABASE_URL"), "{error}");
    }

    #[tokio::test]
    async fn unusable_location_is_a_connect_error() {
        let settings = DatabaseSettings {
            url: "sqlite:///nonexistent-dir-for-mizan-tests/x.db".into(),
            max_connections: 1,
        };
        let error = connect_database(&settings)
            .await
            .expect_err("no such directory");
        assert!(matches!(error, DatabaseError::Connect { .. }), "{error}");
    }

    #[tokio::test]
    async fn a_url_of_another_engine_is_refused_with_the_ones_accepted() {
        let settings = DatabaseSettings {
            url: "mysql://me:secret@db/app".into(),
            max_connections: 1,
        };
        let error = connect_database(&settings)
            .await
            .expect_err("no such engine here");
        assert!(matches!(error, DatabaseError::InvalidUrl { .. }), "{error}");
        let text = error.to_string();
        assert!(
            text.contains("postgres://") && text.contains("sqlite://"),
            "{text}"
        );
        assert!(
            !text.contains("secret"),
            "the password stays hidden: {text}"
        );
    }
}
