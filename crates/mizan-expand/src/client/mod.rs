//! `#[client]`: the options, the checks on the annotated `async fn`, and the generated items.
//!
//! [`expand`] runs in three passes, like serde_derive: parse the options ([`attributes`]), take
//! the function apart ([`analysis`]) and cross-check both ([`checks`]), every mistake going to
//! one [`errors::Ctxt`]; then, when there is none, [`ClientFn`] generates the items
//! ([`generate`]), named by [`names`]. The generated code reaches mizan only through
//! `::mizan::__private` (plus `MizanError`, `Context` and `ContextHandle`).

pub mod analysis;
pub mod attributes;
pub mod checks;
pub mod errors;
pub mod generate;
pub mod names;

use proc_macro2::TokenStream;
use syn::{Ident, ItemFn, Visibility};

pub use names::FUNCTION_PREFIX;

use self::{
    analysis::Shape,
    attributes::{ContextScope, Options},
    errors::Ctxt,
    names::Names,
};

/// The whole expansion of `#[client(attr)] item`.
///
/// On any mistake the output is one `compile_error!` per mistake, followed by the function
/// re-emitted with its body left out ([`generate::stub`](fn@generate::stub)), so that its callers do not add
/// "cannot find function" errors of their own.
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

/// What the registry records a function as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads data (the default).
    Query,
    /// Changes data: `mutation`, or any `affects`.
    Mutation,
    /// `context = global | local`.
    Context,
    /// `view`: answers with its own HTTP response.
    View,
}

/// A checked `#[client]` function: everything the generated items are made from.
#[derive(Debug, Clone)]
pub struct ClientFn {
    /// Its options.
    pub options: Options,
    /// Its shape.
    pub shape: Shape,
    /// The names of its generated items.
    pub names: Names,
}

impl ClientFn {
    /// Puts a checked function together (the checks of [`expand`] must have passed).
    pub fn new(options: Options, shape: Shape) -> Self {
        let names = Names::new(&shape.item.sig.ident);
        ClientFn {
            options,
            shape,
            names,
        }
    }

    /// What the registry records it as.
    pub fn kind(&self) -> Kind {
        if self.options.view {
            Kind::View
        } else if self.options.context.is_some() {
            Kind::Context
        } else if self.options.mutation || !self.options.affects.is_empty() {
            Kind::Mutation
        } else {
            Kind::Query
        }
    }

    /// Whether it is a view (declared by `#[client(view)]`, never inferred).
    pub fn is_view(&self) -> bool {
        self.kind() == Kind::View
    }

    /// Its context scope, when it is a context.
    pub fn context(&self) -> Option<ContextScope> {
        self.options.context
    }

    /// The visibility it was declared with, given to every public item generated for it.
    pub fn vis(&self) -> &Visibility {
        &self.shape.item.vis
    }

    /// The names of its wire params, in order.
    pub fn param_idents(&self) -> Vec<&Ident> {
        self.shape.params.iter().map(|p| &p.ident).collect()
    }

    /// Its doc comment: each line trimmed, joined with `\n`.
    pub fn doc(&self) -> String {
        self.shape
            .item
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
            .filter_map(|attr| match &attr.meta {
                syn::Meta::NameValue(nv) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }) => Some(text.value().trim().to_owned()),
                    _ => None,
                },
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests;
