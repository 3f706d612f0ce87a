//! `#[client]` in every supported shape compiles (an ordinary test, not a trybuild pass case: it
//! needs no build of its own), registers as declared, and runs through the pipeline in-process.
#![cfg(feature = "ssr")]
#![allow(missing_docs)]

use mizan::{
    MizanError, client,
    server::{AuthRule, FunctionKind, Registry, RequestContext},
};
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
pub async fn rename(
    ctx: RequestContext,
    #[validate(length(min = 1))] name: String,
) -> Result<(), MizanError> {
    let _ = (ctx.user_id(), name);
    Ok(())
}

pub async fn owner_only(ctx: &RequestContext) -> Result<(), MizanError> {
    ctx.user()
        .map(|_| ())
        .ok_or_else(|| MizanError::unauthorized("sign in"))
}

/// A custom check.
#[client(auth = owner_only, websocket)]
pub async fn secret() -> Result<String, MizanError> {
    Ok("s".into())
}

/// A global context (no params), in a module of its own so `affects` names it by path; and a
/// local one (params select the instance).
pub mod stats {
    use super::Total;
    use mizan::{MizanError, client};

    #[client(context = global)]
    pub async fn shape_stats() -> Result<Total, MizanError> {
        Ok(Total { sum: 0 })
    }
}
use stats::use_shape_stats;

#[client(context = local)]
pub async fn account_total(account_id: i64, currency: String) -> Result<Total, MizanError> {
    let _ = currency;
    Ok(Total { sum: account_id })
}

/// A mutation whose `account_id` scopes `account_total`; `shape_stats` is invalidated whole.
#[client(auth, affects = [account_total, stats::shape_stats])]
pub async fn deposit(account_id: i64, amount: i64) -> Result<Total, MizanError> {
    Ok(Total {
        sum: account_id + amount,
    })
}

mizan::compose! {
    /// Both contexts at once.
    pub struct Dashboard(account_id: i64, currency: String) {
        stats: use_shape_stats() -> Total,
        account: use_account_total(account_id, currency) -> Total,
    }
}

/// A user type that happens to be called `Response` is data, not a view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Response {
    pub ok: bool,
}

#[client]
pub async fn answer() -> Result<Response, MizanError> {
    Ok(Response { ok: true })
}

#[tokio::test]
async fn hooks_take_values_or_signals() {
    use leptos::prelude::*;
    // Resources spawn their fetches: a render has an executor; this test needs one too.
    let _ = any_spawner::Executor::init_tokio();
    let owner = Owner::new();
    owner.with(|| {
        let id = RwSignal::new(1_i64);
        let _by_value = use_account_total(7, "EUR".to_owned());
        let _by_signal = use_account_total(id, "EUR".to_owned());
        let _dashboard = Dashboard::provide(id, "EUR".to_owned());
        let _: Option<Dashboard> = Dashboard::from_context();
    });
}

#[test]
fn every_shape_registers_as_declared() {
    let registry = Registry::collect().expect("the app and these functions register together");
    let kind = |name: &str| registry.get(name).map(|def| def.kind);
    assert_eq!(kind("add"), Some(FunctionKind::Query));
    assert_eq!(kind("rename"), Some(FunctionKind::Mutation));
    assert_eq!(kind("deposit"), Some(FunctionKind::Mutation));
    assert_eq!(kind("shape_stats"), Some(FunctionKind::Context));
    assert_eq!(
        kind("answer"),
        Some(FunctionKind::Query),
        "`Response` here is data"
    );
    let secret = registry.get("secret").expect("secret");
    assert!(secret.websocket);
    assert!(matches!(
        secret.auth,
        AuthRule::Check {
            name: "owner_only",
            ..
        }
    ));
    let deposit = registry.get("deposit").expect("deposit");
    assert_eq!(deposit.affects, ["account_total", "shape_stats"]);
    let edges = mizan::server::graph::edges_of(deposit);
    assert_eq!(edges[0].scope, ["account_id"]);
    assert!(edges[1].scope.is_empty());
}

#[tokio::test]
async fn in_process_calls_run_the_pipeline() {
    assert_eq!(add(1, 2).await.expect("adds").sum, 3);
    assert_eq!(answer().await.expect("data"), Response { ok: true });
    let refused = rename("x".into()).await.expect_err("anonymous");
    assert_eq!(refused.code, mizan::ErrorCode::Unauthorized);
}
