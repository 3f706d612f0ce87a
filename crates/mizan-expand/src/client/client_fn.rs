//! The parsed function: a checked `#[client]` function with its options, shape and names, the
//! one value every generated item is made from.

use syn::{Ident, Visibility};

use super::{analysis::Shape, attributes::Options, names::Names};
use crate::internals::registry::{ContextScope, Kind};

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
    /// Puts a checked function together (the checks of [`expand`](super::expand) must have
    /// passed).
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
