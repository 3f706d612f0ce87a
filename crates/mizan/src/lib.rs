//! mizan for Leptos: write an `async fn` once, call it from Leptos (and later React), and let the
//! server declare which data a call changed.
//!
//! This crate is the runtime. Today it holds the server-side foundation every later feature stands
//! on ([`server`], behind the `ssr` feature): runtime settings read from `Leptos.toml`, the SQLite
//! pool, structured logging and the HTTP listener. The wire protocol, error type, function registry,
//! invalidation graph and the browser runtime (feature `hydrate`) join it as their issues land.

#[cfg(feature = "ssr")]
pub mod server;
