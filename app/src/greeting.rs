//! The home page's server function: records a greeting in SQLite and answers with its number.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The longest name `greet` accepts, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// What `greet` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Greeting {
    /// The sentence shown on the page.
    pub message: String,
    /// How many greetings the server has recorded, this one included.
    pub total: i64,
}

/// Greets `name` and records the greeting; the name is trimmed and must be 1 to 100 characters.
#[server(endpoint = "greet")]
pub async fn greet(
    /// The name to greet.
    name: String,
) -> Result<Greeting, ServerFnError> {
    let name = name.trim().to_owned();
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_CHARS {
        // Bad input is the caller's mistake: answer 400, not server_fn's default 500.
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::BAD_REQUEST);
        }
        return Err(ServerFnError::Args(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    let pool = use_context::<sqlx::AnyPool>().ok_or_else(|| {
        tracing::error!("greet: no database pool (sqlx::AnyPool) in the request context");
        ServerFnError::new("the server is not set up to store greetings")
    })?;
    let total = record(&pool, &name).await.map_err(|error| {
        tracing::error!(%error, "greet: cannot record the greeting");
        ServerFnError::new("the greeting could not be stored")
    })?;
    Ok(Greeting {
        message: format!("Hello, {name}!"),
        total,
    })
}

#[cfg(feature = "ssr")]
async fn record(pool: &sqlx::AnyPool, name: &str) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO greetings (name) VALUES ($1)")
        .bind(name)
        .execute(&mut *tx)
        .await?;
    let total = sqlx::query_scalar("SELECT COUNT(*) FROM greetings")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(total)
}
