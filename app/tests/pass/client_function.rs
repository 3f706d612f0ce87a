// A #[client] function of every supported shape compiles and is callable with its typed arguments.
use mizan::{MizanError, client};
#[cfg(feature = "ssr")]
use mizan::server::RequestContext;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Total {
    pub sum: i64,
}

/// Adds two numbers.
#[client]
pub async fn add(a: i64, b: i64) -> Result<Total, MizanError> {
    Ok(Total { sum: a + b })
}

/// Needs a signed-in user and reads the request context.
#[client(auth, mutation)]
pub async fn rename(ctx: RequestContext, #[validate(length(min = 1))] name: String) -> Result<(), MizanError> {
    let _ = (ctx.user_id(), name);
    Ok(())
}

#[cfg(feature = "ssr")]
pub async fn owner_only(ctx: &RequestContext) -> Result<(), MizanError> {
    ctx.user().map(|_| ()).ok_or_else(|| MizanError::unauthorized("sign in"))
}

/// A custom check.
#[client(auth = owner_only, websocket)]
pub async fn secret() -> Result<String, MizanError> {
    Ok("s".into())
}

fn main() {
    let _ = add(1, 2);
    let _ = rename("x".into());
    let _ = secret();
    let _ = AddArgs { a: 1, b: 2 };
}
