//! The SQL connection pool: SQLite by default, file created and migrated on first start.

use std::{str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
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
    /// `database.url` / `DATABASE_URL` is not a SQLite URL sqlx understands.
    #[error("database URL {url} is invalid")]
    InvalidUrl {
        /// The URL, with any password hidden.
        url: String,
        /// sqlx's reason.
        source: sqlx::Error,
    },
    /// The database could not be opened (missing directory, permissions, locked file).
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

/// Opens the pool described by `settings`, creating a SQLite file that does not exist yet.
pub async fn connect_database(settings: &DatabaseSettings) -> Result<SqlitePool, DatabaseError> {
    if settings.url.trim().is_empty() {
        return Err(DatabaseError::NoUrl);
    }
    let url = redact(&settings.url);
    let options = SqliteConnectOptions::from_str(&settings.url)
        .map_err(|source| DatabaseError::InvalidUrl {
            url: url.clone(),
            source,
        })?
        .create_if_missing(true)
        // WAL lets page renders read while a server function writes.
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    SqlitePoolOptions::new()
        .max_connections(settings.max_connections)
        .connect_with(options)
        .await
        .map_err(|source| DatabaseError::Connect { url, source })
}

/// Runs the app's migrations that have not run yet.
pub async fn run_migrations(pool: &SqlitePool, migrator: &Migrator) -> Result<(), DatabaseError> {
    migrator.run(pool).await?;
    Ok(())
}

/// Hides the password of a URL such as `postgres://user:secret@host/db` before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{user}:***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
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
        assert_eq!(redact("sqlite://mizan.db"), "sqlite://mizan.db");
    }

    #[tokio::test]
    async fn creates_a_missing_sqlite_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("fresh.db");
        let settings = DatabaseSettings {
            url: format!("sqlite://{}", path.display()),
            max_connections: 2,
        };
        let pool = connect_database(&settings).await.expect("opens");
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&pool)
            .await
            .expect("query");
        assert_eq!(one, 1);
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
}
