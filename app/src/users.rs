//! The example app's users in its database (SQLite or PostgreSQL): the row type, the store mizan authenticates against, and
//! the demo accounts the server creates only on request.

use std::sync::Arc;

use mizan::{
    MizanError,
    server::{LoadUser, MizanUser, UserStore},
};

/// A user row.
#[derive(Debug, Clone)]
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

/// `is_staff` is an integer column (0 or 1): SQLite has no boolean type that sqlx's `Any`
/// driver would read back as one.
impl<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> for AppUser {
    fn from_row(row: &'r sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(Self {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            is_staff: row.try_get::<i64, _>("is_staff")? != 0,
        })
    }
}

/// Loads [`AppUser`]s from the app's database.
pub struct DatabaseUserStore {
    pool: sqlx::AnyPool,
}

impl DatabaseUserStore {
    /// A store over this pool.
    pub fn new(pool: sqlx::AnyPool) -> Self {
        Self { pool }
    }
}

impl UserStore for DatabaseUserStore {
    fn load_user(&self, id: i64) -> LoadUser<'_> {
        Box::pin(async move {
            let user: Option<AppUser> =
                sqlx::query_as("SELECT id, email, name, is_staff FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_error)?;
            Ok(user.map(|user| Arc::new(user) as Arc<dyn MizanUser>))
        })
    }
}

/// Logs a database error and answers `UNAVAILABLE` (503) when the database did not answer (it
/// may shortly), else the generic `INTERNAL_ERROR`; neither says more than that.
pub fn db_error(error: sqlx::Error) -> MizanError {
    tracing::error!(%error, "database error");
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => {
            MizanError::unavailable("the database is unavailable: try again shortly")
        }
        // PostgreSQL's connection exceptions (08…) and its shutdown (57P01–57P03): a query cut
        // off by a stopping server.
        sqlx::Error::Database(error)
            if error
                .code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0")) =>
        {
            MizanError::unavailable("the database is unavailable: try again shortly")
        }
        _ => MizanError::internal(),
    }
}

/// One demo account: its password is published (README, "Demo users"), so it exists only when
/// the server starts with `MIZAN_DEMO_USERS=1`.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    /// Its fixed id (tests and the React app's profile link rely on 1 and 2).
    pub id: i64,
    /// Email address (the sign-in name).
    pub email: &'static str,
    /// Display name.
    pub name: &'static str,
    /// The published password's Argon2id hash, as the first migration stored it.
    pub password_hash: &'static str,
    /// Staff flag.
    pub is_staff: bool,
}

/// The demo accounts: `alice@example.com` / `alice-password`, and `admin@example.com` /
/// `admin-password` (staff). The hashes match `migrations/sqlite/20261124000002_users.sql` and
/// `20261201000001_demo_users_on_request.sql`, which removes these rows while they keep them.
pub const DEMO_USERS: [DemoUser; 2] = [
    DemoUser {
        id: 1,
        email: "alice@example.com",
        name: "Alice",
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$oxRe0b0QQxctiAUXfQmi+Q$67Ml/fhZNLVklhEohyuZ+QoDfOdSApqqmT+D1yHBEvM",
        is_staff: false,
    },
    DemoUser {
        id: 2,
        email: "admin@example.com",
        name: "Admin",
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$+wxkjhIHKOt66qLP0yfipQ$VmUU03gvQZj26PryfE72q0tk96fScr2kgIYiPKk+RP8",
        is_staff: true,
    },
];

/// Creates the [`DEMO_USERS`] that are missing and answers how many it created. An id or email
/// already taken is left as it is (`ON CONFLICT DO NOTHING`): a real account is never
/// overwritten.
pub async fn seed_demo_users(pool: &sqlx::AnyPool) -> Result<u64, sqlx::Error> {
    let mut created = 0;
    for user in DEMO_USERS {
        created += sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, is_staff) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(user.id)
        .bind(user.email)
        .bind(user.name)
        .bind(user.password_hash)
        .bind(i64::from(user.is_staff))
        .execute(pool)
        .await?
        .rows_affected();
    }
    Ok(created)
}

/// Deletes the [`DEMO_USERS`] that still have their published password and answers how many it
/// deleted; one whose password was changed is someone's account, and is kept.
pub async fn remove_demo_users(pool: &sqlx::AnyPool) -> Result<u64, sqlx::Error> {
    let mut removed = 0;
    for user in DEMO_USERS {
        removed += sqlx::query("DELETE FROM users WHERE email = $1 AND password_hash = $2")
            .bind(user.email)
            .bind(user.password_hash)
            .execute(pool)
            .await?
            .rows_affected();
    }
    Ok(removed)
}
