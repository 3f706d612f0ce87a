//! Sign-in benchmark targets: a sign-in as mizan checks it (`RequestContext::check_password`, the
//! Argon2id verification on the password pool), and the baseline it replaced: the same
//! verification run on the async worker, as the example's sign-in did before. The load client
//! (`bench/src/bin/sign_in_storm.rs`) measures echo calls beside a storm of either.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHash, PasswordVerifier};
use mizan::{
    MizanError, client,
    server::{RequestContext, SignInGuard, SignInLimits},
};

/// The password of every account the storm names (it always sends another).
pub const BENCH_PASSWORD: &str = "bench-password";

/// The hash the sign-ins check against, made once at start ([`prepare`]).
static HASH: OnceLock<String> = OnceLock::new();

/// Makes the hash the sign-ins check against (on the password pool, with mizan's parameters).
pub async fn prepare() -> Result<(), MizanError> {
    let hash = mizan::server::hash_password(BENCH_PASSWORD).await?;
    let _ = HASH.set(hash);
    Ok(())
}

/// The guard of the bench server: no limit, so every sign-in of the storm is verified (the
/// worst case: a storm from more addresses than the per-address limit can stop).
pub fn unlimited_guard() -> SignInGuard {
    SignInGuard::new(
        SignInLimits::default()
            .with_failures_per_account(u32::MAX)
            .with_failures_per_address(u32::MAX),
    )
}

fn hash() -> Result<&'static str, MizanError> {
    HASH.get()
        .map(String::as_str)
        .ok_or_else(MizanError::internal)
}

/// A sign-in as mizan checks it: whether `password` is right for `account`, verified on the
/// password pool.
#[client]
pub async fn bench_sign_in(
    ctx: RequestContext,
    /// The account's name.
    account: String,
    /// The password tried.
    password: String,
) -> Result<bool, MizanError> {
    ctx.check_password(&account, &password, hash()?).await
}

/// The baseline: the same verification on the async worker that serves the call (what a plain
/// synchronous `verify_password` did), holding every other request of that worker meanwhile.
#[client]
pub async fn bench_sign_in_inline(
    /// The account's name (unused: nothing is counted).
    account: String,
    /// The password tried.
    password: String,
) -> Result<bool, MizanError> {
    let _ = account;
    let parsed = PasswordHash::new(hash()?).map_err(|_| MizanError::internal())?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}
