//! `#[client]`: the options, the checks on the annotated `async fn`, and the generated items.
//!
//! [`expand`] runs in three passes, like serde_derive: parse the options ([`attributes`]), take
//! the function apart ([`analysis`]) and cross-check both ([`checks`]), every mistake going to
//! one [`Ctxt`]; then, when there is none, [`ClientFn`] generates the items ([`generate`]),
//! named by [`names`]. Layers: `attributes`, `analysis` ← `checks`; `names` ← `client_fn` ←
//! `generate` ← this module; all of them on [`internals`](crate::internals), shared with
//! `#[derive(Form)]` (the error context, `auth`, `affects`, the registry entry, the paths). The
//! generated code reaches mizan only through `::mizan::__private` (plus `MizanError`, `Context`
//! and `ContextHandle`).

pub mod analysis;
pub mod attributes;
pub mod checks;
pub mod client_fn;
pub mod generate;
pub mod names;

use proc_macro2::TokenStream;
use syn::ItemFn;

use crate::internals::Ctxt;
pub use client_fn::ClientFn;

/// The whole expansion of `#[client(attr)] item`.
///
/// On any mistake the output is one `compile_error!` per mistake, followed by the function
/// re-emitted with its body left out ([`generate::stub`](fn@generate::stub)), so that its callers
/// do not add "cannot find function" errors of their own.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let options = attributes::parse(&cx, attr);
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            cx.push(error);
            let errors = cx.check().expect_err("an error was just recorded");
            return with_fallback(errors, item);
        }
    };
    let shape = analysis::analyze(&cx, &function);
    checks::check(&cx, &options, &shape);
    match cx.check() {
        Ok(()) => ClientFn::new(options, shape).generate(),
        Err(errors) => with_fallback(errors, generate::stub(&function)),
    }
}

/// Every error as its own `compile_error!`, followed by `fallback`.
fn with_fallback(errors: syn::Error, fallback: TokenStream) -> TokenStream {
    let mut out = errors.into_compile_error();
    out.extend(fallback);
    out
}

#[cfg(test)]
mod tests;
