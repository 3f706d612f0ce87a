//! Procedural macros of mizan for Leptos.
//!
//! This crate will hold `#[client]` (server functions, contexts, `affects`) and `#[derive(Form)]`.
//! It stays thin: the expansion logic will live in a plain library crate with its own unit tests,
//! and this crate only parses tokens and calls it. It exports nothing yet.
