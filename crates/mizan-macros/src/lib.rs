//! Procedural macros of mizan for Leptos. Thin by design: each macro hands its tokens to
//! `mizan-expand`, where the expansion logic lives and is unit-tested.

use proc_macro::TokenStream;

/// Turns an `async fn` into a mizan function: a server function with a stable endpoint
/// (`/api/mizan/fn/<name>`), an entry in the function registry, and a typed caller that runs
/// in-process on the server and over HTTP in the browser. See `docs/server-functions.md`.
///
/// Options:
/// - `auth` (a signed-in user), `auth = staff`, `auth = path::to::check` (an async check);
/// - `mutation`; `affects = [context, ...]` (the contexts a successful call invalidates; makes it a
///   mutation);
/// - `view` (answers with its own HTTP response; only this flag makes a view, never the return
///   type);
/// - `context = global | local` (a context, with a `use_<name>` hook), and with it `public` (the
///   context answers the same to every caller, so it is edge-cacheable; not with `auth`);
/// - `websocket` (also callable over the WebSocket multiplex).
///
/// Every mistake is its own compile error, all reported in one build; the function is then
/// re-emitted with its body left out, so its callers add no errors of their own.
#[proc_macro_attribute]
pub fn client(attr: TokenStream, item: TokenStream) -> TokenStream {
    mizan_expand::client::expand(attr.into(), item.into()).into()
}

/// Makes a struct a form (`mizan::Form`): its fields, in order, with their `validator` rules
/// (`length`, `range`, `email`, `required`) and `#[field(widget, label, help, choices)]` hints,
/// become the schema user interfaces render from, and, on the server, its submission becomes a
/// mutation named after the form, run by the struct's `mizan::server::FormHandler`. See
/// `docs/forms.md`.
///
/// Options, in `#[form(...)]`: `name = "contact"` (default: the struct's name in snake case
/// without `_form`), `title`, `submit_label`, `live_validation`, `output = Type` (what a
/// submission answers, `()` by default), `affects = [context, ...]`, `auth` / `auth = staff`.
// `validate` is `validator`'s attribute; declared here too, so a form's rules are read (and a
// misplaced one reported) by this derive even where `Validate` is not derived yet.
#[proc_macro_derive(Form, attributes(form, field, validate))]
pub fn derive_form(item: TokenStream) -> TokenStream {
    mizan_expand::form::expand(item.into()).into()
}
