//! mizan for Leptos: write an `async fn` once, call it from Leptos and React, and let the server
//! declare which data a call changed.
//!
//! - [`client`](macro@client) turns an `async fn` into a server function with a stable endpoint,
//!   a registry entry and a typed caller that works on the server and in the browser.
//! - [`MizanError`] is the one error type of every call, on both sides and on the wire.
//! - [`MizanContext`], [`ContextHandle`] and [`compose!`] are the Leptos side of contexts.
//! - [`protocol`] fixes the wire format, [`frames`] the socket's; [`server`] (feature `ssr`)
//!   holds the pipeline every transport runs, sessions and auth, the routes, the socket and the
//!   exports.
//!
//! One switch decides server or browser code, here and in the code `#[client]` generates: the
//! `ssr` feature. Without it the crate is the browser side (the client runtime and hooks). The
//! target only picks the HTTP client under the browser side: `fetch` on `wasm32`, none elsewhere
//! (a native build without `ssr` compiles, and its batched reads answer `NOT_IMPLEMENTED`).

// Layers, bottom up: the wire types both builds share (errors, rules, keys, the HTTP and socket
// protocols, channels' and forms' definitions) ← `browser` (the client runtime and the tab's
// socket) ← `ui` (the Leptos layer: hooks, forms, channels) ; `server` (feature `ssr`) stands on
// the wire types.
mod browser;
mod channel_spec;
mod error;
mod form;
pub mod form_rules;
pub mod frames;
pub mod invalidation;
pub mod optimistic;
pub mod protocol;
mod ui;
mod validation;

#[cfg(feature = "ssr")]
pub mod server;

pub use browser::{
    runtime::{live_count, optimistic_pending},
    socket::SocketStatus,
};
pub use channel_spec::ChannelSpec;
pub use error::{ErrorCode, FieldErrors, INTERNAL_MESSAGE, MizanError, error_chain};
pub use form::{Choice, Constraints, FieldSchema, Form, FormSchema, Widget};
pub use invalidation::{ContextKey, KeyError};
pub use mizan_macros::{Form, client};
pub use ui::{
    channel::{ChannelHandle, use_channel},
    contexts::{ContextHandle, MizanContext, page_status},
    form::{FormHandle, FormResult, use_form},
    form_view::{FieldView, MizanForm},
    mutation::{Mutation, MutationCall},
};

#[cfg(feature = "ssr")]
pub use server::RequestContext;

/// The request a `#[client]` function runs for: `mizan::server::RequestContext` in the server build.
/// In the browser build it has no values (the functions that take it have no body there); it
/// exists so that `use mizan::RequestContext;` resolves in both builds. Import it under
/// `#[cfg(feature = "ssr")]` all the same: the browser build never uses it.
#[cfg(not(feature = "ssr"))]
pub enum RequestContext {}

/// The guides of the repository's `docs/` folder. Their Rust examples are doctests: they compile
/// (server side) with every `cargo test`.
#[cfg(feature = "ssr")]
pub mod guides {
    #[doc = include_str!("../../../docs/server-functions.md")]
    pub mod server_functions {}
    #[doc = include_str!("../../../docs/contexts.md")]
    pub mod contexts {}
    #[doc = include_str!("../../../docs/optimistic.md")]
    pub mod optimistic {}
    #[doc = include_str!("../../../docs/protocol.md")]
    pub mod protocol {}
    #[doc = include_str!("../../../docs/react.md")]
    pub mod react {}
    #[doc = include_str!("../../../docs/realtime.md")]
    pub mod realtime {}
    #[doc = include_str!("../../../docs/forms.md")]
    pub mod forms {}
    #[doc = include_str!("../../../docs/security.md")]
    pub mod security {}
    #[doc = include_str!("../../../docs/deploy.md")]
    pub mod deploy {}
    #[doc = include_str!("../../../docs/desktop.md")]
    pub mod desktop {}
}

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

/// The server items `#[client]` generates for one function, compiled as they are.
#[cfg(feature = "ssr")]
#[doc(hidden)]
#[macro_export]
macro_rules! __mizan_server_items {
    ($($item:item)*) => { $($item)* };
}

/// The server items `#[client]` generates for one function, in a crate whose `ssr` feature is on
/// while mizan's is off: one error that names the fix, instead of one per missing item.
#[cfg(not(feature = "ssr"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __mizan_server_items {
    ($($tokens:tt)*) => {
        ::core::compile_error!(
            "this crate's `ssr` feature does not enable mizan's: add \"mizan/ssr\" to it in \
             Cargo.toml, e.g. `ssr = [\"mizan/ssr\", \"leptos/ssr\"]`"
        );
    };
}

/// A server-side expression of `#[client]`'s generated code (the call in-process, the endpoint's
/// body).
#[cfg(feature = "ssr")]
#[doc(hidden)]
#[macro_export]
macro_rules! __mizan_on_server {
    ($($expr:tt)*) => { $($expr)* };
}

/// Without mizan's `ssr`, the server items are refused once (see `__mizan_server_items`); the
/// expressions that would use them stand aside silently.
#[cfg(not(feature = "ssr"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __mizan_on_server {
    ($($expr:tt)*) => {
        ::core::unreachable!("mizan is built without its `ssr` feature")
    };
}

/// What the code `#[client]` generates calls; not part of the public API, and free to change.
#[doc(hidden)]
pub mod __private {
    pub use crate::{__mizan_on_server as on_server, __mizan_server_items as server_items};
    pub use futures::future::BoxFuture;
    pub use schemars;
    pub use serde;
    pub use serde_json;

    pub use crate::{
        browser::{
            endpoint_client::EndpointClient,
            runtime::{call_remote, fetch_batched},
            socket::call_socket_or_remote,
        },
        form::label_of,
        form_rules::form_rule_errors,
        protocol::{Envelope, RawArgs},
        ui::contexts::{use_global_context, use_local_context},
        validation::{ValidateArgs, check as check_rules, refuse_invalid},
    };

    #[cfg(feature = "ssr")]
    pub use crate::server::{
        AuthRule, ContextScope, Data, FormHandler, FunctionDef, FunctionKind, FunctionRef, Outcome,
        ParamDef, RequestContext, View,
        endpoint::{call_in_process, serve_endpoint},
        pipeline::execute,
    };
    #[cfg(feature = "ssr")]
    pub use inventory;
}
