//! Two `#[client]` functions in a crate whose `ssr` feature forgets `mizan/ssr`.

use mizan::{MizanError, client};

/// A function.
#[client]
pub async fn echo(text: String) -> Result<String, MizanError> {
    Ok(text)
}

/// A context.
#[client(context = global)]
pub async fn answer() -> Result<i64, MizanError> {
    Ok(42)
}
