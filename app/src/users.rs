//! The example app's users in SQLite: the row type, and the store mizan authenticates against.

use std::sync::Arc;

use mizan::{
    MizanError,
    server::{LoadUser, MizanUser, UserStore},
};

/// A fixed Argon2id hash checked when an email is unknown, so failures take equal time.
pub(crate) const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$oxRe0b0QQxctiAUXfQmi+Q$67Ml/fhZNLVklhEohyuZ+QoDfOdSApqqmT+D1yHBEvM";

/// A user row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppUser {
    /// Primary key.
    pub id: i64,
    /// Email address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Staff flag.
    pub is_staff: bool,
}

impl MizanUser for AppUser {
    fn id(&self) -> i64 {
        self.id
    }

    fn is_staff(&self) -> bool {
        self.is_staff
    }
}

/// Loads [`AppUser`]s from SQLite.
pub struct SqliteUserStore {
    pool: sqlx::SqlitePool,
}

impl SqliteUserStore {
    /// A store over this pool.
    pub fn new(pool: sqlx::SqlitePool) -> Self {
        Self { pool }
    }
}

impl UserStore for SqliteUserStore {
    fn load_user(&self, id: i64) -> LoadUser<'_> {
        Box::pin(async move {
            let user: Option<AppUser> =
                sqlx::query_as("SELECT id, email, name, is_staff FROM users WHERE id = ?")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_error)?;
            Ok(user.map(|user| Arc::new(user) as Arc<dyn MizanUser>))
        })
    }
}

/// Logs a database error and answers the generic `INTERNAL_ERROR`.
pub fn db_error(error: sqlx::Error) -> MizanError {
    tracing::error!(%error, "database error");
    MizanError::internal()
}
