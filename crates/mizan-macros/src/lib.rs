//! Procedural macros of mizan for Leptos. Thin by design: each macro hands its tokens to
//! `mizan-expand`, where the expansion logic lives and is unit-tested.

use proc_macro::TokenStream;

/// Turns an `async fn` into a mizan function: a server function with a stable endpoint
/// (`/api/mizan/fn/<name>`), an entry in the function registry, and a typed caller that runs
/// in-process on the server and over HTTP in the browser. See `docs/server-functions.md`.
///
/// Options: `auth`, `auth = staff`, `auth = path::to::check`, `mutation`, `view`, `websocket`.
#[proc_macro_attribute]
pub fn client(attr: TokenStream, item: TokenStream) -> TokenStream {
    mizan_expand::client::expand(attr.into(), item.into()).into()
}
