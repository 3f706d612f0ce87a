//! The session store on the app's database, whichever its engine: sessions live beside the app's
//! rows, so a session made through one server node is valid on every node of the same database.

use async_trait::async_trait;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::database::{Database, Engine};

/// tower-sessions' store of `tower-sessions-sqlx-store` for the database's engine.
#[derive(Debug, Clone)]
pub enum DatabaseSessionStore {
    /// Sessions in the SQLite file's `tower_sessions` table.
    Sqlite(SqliteStore),
    /// Sessions in the PostgreSQL database's `tower_sessions` schema.
    Postgres(PostgresStore),
}

impl DatabaseSessionStore {
    /// The store on `database`; [`migrate`](Self::migrate) creates its table.
    pub fn new(database: &Database) -> Self {
        match database.engine() {
            Engine::Sqlite(pool) => Self::Sqlite(SqliteStore::new(pool.clone())),
            Engine::Postgres(pool) => Self::Postgres(PostgresStore::new(pool.clone())),
        }
    }

    /// Creates the session table when it does not exist yet.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(store) => store.migrate().await,
            Self::Postgres(store) => store.migrate().await,
        }
    }
}

#[async_trait]
impl SessionStore for DatabaseSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.create(record).await,
            Self::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.save(record).await,
            Self::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(store) => store.load(id).await,
            Self::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete(id).await,
            Self::Postgres(store) => store.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for DatabaseSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(store) => store.delete_expired().await,
            Self::Postgres(store) => store.delete_expired().await,
        }
    }
}
