//! The Leptos layer: `<MizanContext>` and the context hooks, optimistic mutations, forms' hook
//! and view, the channel hook, and `MizanError` as server_fn's error type. It stands on the
//! browser runtime and the wire types; nothing below it imports it.

pub(crate) mod channel;
pub(crate) mod contexts;
pub(crate) mod form;
pub(crate) mod form_view;
pub(crate) mod mutation;
pub(crate) mod server_fn_error;
