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

/// A global context (no params) and a local one (params select the instance).
#[client(context = global)]
pub async fn site_stats() -> Result<Total, MizanError> {
    Ok(Total { sum: 0 })
}

#[client(context = local)]
pub async fn account_total(account_id: i64, currency: String) -> Result<Total, MizanError> {
    let _ = currency;
    Ok(Total { sum: account_id })
}

/// A mutation whose `account_id` scopes `account_total`; `site_stats` is invalidated whole.
#[client(auth, affects = [account_total, crate::site_stats])]
pub async fn deposit(account_id: i64, amount: i64) -> Result<Total, MizanError> {
    Ok(Total { sum: account_id + amount })
}

mizan::compose! {
    /// Both contexts at once.
    pub struct Dashboard(account_id: i64, currency: String) {
        stats: use_site_stats() -> Total,
        account: use_account_total(account_id, currency) -> Total,
    }
}

#[allow(dead_code)]
fn hooks_take_values_or_signals() {
    use leptos::prelude::*;
    let owner = Owner::new();
    owner.with(|| {
        let id = RwSignal::new(1_i64);
        let _by_value = use_account_total(7, "EUR".to_owned());
        let _by_signal = use_account_total(id, "EUR".to_owned());
        let _dashboard = Dashboard::provide(id, "EUR".to_owned());
        let _: Option<Dashboard> = Dashboard::from_context();
    });
}
