//! The browser's client runtime: the live context instances and the batch queue ([`runtime`]),
//! the endpoints' HTTP client ([`endpoint_client`]), and the tab's socket ([`socket`]).
//! Everything here is compiled on every build, so that its plain parts are tested natively, but
//! only a hydrating wasm build (no `ssr`, `wasm32`) runs it: the server renders each instance
//! once and has no socket of its own.
#![cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]

pub(crate) mod endpoint_client;
pub(crate) mod runtime;
pub(crate) mod socket;
