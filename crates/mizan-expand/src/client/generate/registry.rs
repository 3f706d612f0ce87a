//! The server side: the user's function renamed, and around it its registry entry.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Visibility, ext::IdentExt};

use crate::{
    client::{analysis::ContextParam, client_fn::ClientFn},
    internals::registry::{Entry, Idents, Param, server_only},
};

impl ClientFn {
    /// Every server item, in one block under `#[cfg(feature = "ssr")]` (see [`server_only`]).
    pub fn registry(&self) -> TokenStream {
        let impl_fn = self.impl_fn();
        let entry = self.entry().items();
        server_only(quote! {
            #impl_fn
            #entry
        })
    }

    /// `__mizan_impl_x`: the function as written (params without attributes), private, renamed,
    /// without its doc comment.
    pub fn impl_fn(&self) -> TokenStream {
        let mut item = self.shape.item.clone();
        item.sig.ident = self.names.impl_fn.clone();
        item.vis = Visibility::Inherited;
        item.attrs.retain(|attr| !attr.path().is_ident("doc"));
        quote! {
            #[allow(clippy::too_many_arguments)]
            #item
        }
    }

    /// The registry entry: `__MIZAN_DEF_X` and the `__mizan_*_x` functions it points to.
    pub fn entry(&self) -> Entry<'_> {
        let names = &self.names;
        Entry {
            idents: Idents {
                check: &names.check_fn,
                args_schema: &names.args_schema_fn,
                output_schema: &names.output_schema_fn,
                body: &names.body_fn,
                run: &names.run_fn,
                invoke: &names.invoke_fn,
                def: &names.def,
            },
            name: &names.text,
            endpoint: &names.endpoint,
            kind: self.kind(),
            auth: &self.options.auth,
            context: self.context(),
            public: self.options.public,
            per_user: self.options.per_user,
            params: self
                .shape
                .params
                .iter()
                .map(|param| Param {
                    name: param.ident.unraw().to_string(),
                    ty: &param.ty,
                })
                .collect(),
            affects: {
                // Declared next to the marker, where both builds check it (see `marker`).
                let affects = &names.affects;
                quote!(#affects)
            },
            websocket: self.options.websocket,
            doc: self.doc(),
            args: &names.args,
            output: &self.shape.output,
            body: self.body(),
            form: None,
        }
    }

    /// The body's statements: takes `XArgs` apart and calls the user's function, with the
    /// request context as it asked for it (by value, by reference, or not at all).
    fn body(&self) -> TokenStream {
        let impl_fn = &self.names.impl_fn;
        let args = &self.names.args;
        let idents = self.param_idents();
        let call = match self.shape.context {
            Some(ContextParam::ByValue) => quote!(#impl_fn(ctx, #(#idents),*).await),
            Some(ContextParam::ByRef) => quote!(#impl_fn(&ctx, #(#idents),*).await),
            None => quote! {
                let _ = ctx;
                #impl_fn(#(#idents),*).await
            },
        };
        quote! {
            let #args { #(#idents),* } = args;
            #call
        }
    }
}
