//! mizan for Leptos: write an `async fn` once, call it from Leptos (and later React), and let the
//! server declare which data a call changed.
//!
//! - [`client`](macro@client) turns an `async fn` into a server function with a stable endpoint,
//!   a registry entry and a typed caller that works on the server and in the browser.
//! - [`MizanError`] is the one error type of every call, on both sides and on the wire.
//! - [`protocol`] fixes the wire format; [`server`] (feature `ssr`) holds the pipeline every
//!   transport runs, sessions and auth, settings, database and listener.

pub mod caller;
pub mod error;
pub mod hooks;
pub mod invalidation;
pub mod protocol;
pub mod runtime;
pub mod server_fn_error;
pub mod validation;

#[cfg(feature = "ssr")]
pub mod server;

pub use error::{ErrorCode, FieldErrors, MizanError};
pub use hooks::{ContextHandle, MizanContext};
pub use invalidation::ContextKey;
pub use mizan_macros::client;
pub use validation::ValidateArgs;

/// A `#[client(context = ...)]` function, as a type: what `affects = [...]` names.
///
/// The macro implements it on a type with the function's own name (types and functions live in
/// separate namespaces), so `affects = [user_profile]` resolves to the context as written.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a context",
    label = "`affects` lists only context functions",
    note = "declare it with `#[client(context = global)]` or `#[client(context = local)]`"
)]
pub trait Context {
    /// The context's name, the first part of its keys.
    const NAME: &'static str;
}

/// Re-exports the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use futures::future::BoxFuture;
    #[cfg(feature = "ssr")]
    pub use inventory;
    pub use schemars;
    pub use serde;
    pub use serde_json;
}
