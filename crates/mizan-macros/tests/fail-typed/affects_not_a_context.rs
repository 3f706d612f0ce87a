// `affects` may name only contexts: a query there is a compile error saying so, in the browser
// build too (this crate has no `ssr` feature, hence the allow).
#![allow(unexpected_cfgs)]
use mizan::{MizanError, client};

#[client]
pub async fn add(a: i64, b: i64) -> Result<i64, MizanError> {
    Ok(a + b)
}

#[client(affects = [add])]
pub async fn reset(a: i64) -> Result<(), MizanError> {
    let _ = a;
    Ok(())
}

fn main() {}
