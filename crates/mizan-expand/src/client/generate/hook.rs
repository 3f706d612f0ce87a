//! `use_x`: the Leptos hook of a context, its params as values or signals; and of a mutation
//! that affects contexts, the [`Mutation`](https://docs.rs/mizan) its optimistic patches hang on.

use proc_macro2::TokenStream;
use quote::quote;

use crate::{
    client::client_fn::ClientFn,
    internals::registry::{ContextScope, Kind},
};

impl ClientFn {
    /// `use_x(..) -> ContextHandle<Out>` for a context; nothing for any other function.
    pub fn hook(&self) -> Option<TokenStream> {
        let scope = self.context()?;
        let vis = self.vis();
        let names = &self.names;
        let (function, hook, text, args) = (&names.function, &names.hook, &names.text, &names.args);
        let output = &self.shape.output;
        let doc = format!(
            "The `{text}` context: server-rendered, hydrated without a request, refreshed when \
             a call invalidates it."
        );
        let idents = self.param_idents();
        let types: Vec<_> = self.shape.params.iter().map(|p| &p.ty).collect();
        Some(match scope {
            ContextScope::Global => quote! {
                #[doc = #doc]
                #vis fn #hook() -> ::mizan::ContextHandle<#output> {
                    ::mizan::__private::use_global_context(#text, || #function())
                }
            },
            ContextScope::Local => quote! {
                #[doc = #doc]
                #[doc = ""]
                #[doc = "Each param takes a value or a signal; a new value fetches that instance."]
                #vis fn #hook(
                    #(#idents: impl ::core::convert::Into<::leptos::prelude::Signal<#types>>),*
                ) -> ::mizan::ContextHandle<#output> {
                    #(let #idents: ::leptos::prelude::Signal<#types> = #idents.into();)*
                    ::mizan::__private::use_local_context(
                        #text,
                        move || #args { #(#idents: ::leptos::prelude::Get::get(&#idents)),* },
                        |args: #args| {
                            let #args { #(#idents),* } = args;
                            #function(#(#idents),*)
                        },
                    )
                }
            },
        })
    }

    /// `use_x() -> Mutation<XArgs, Out>` for a mutation that affects contexts; nothing for any
    /// other function.
    pub fn mutation_hook(&self) -> Option<TokenStream> {
        if self.kind() != Kind::Mutation || self.options.affects.is_empty() {
            return None;
        }
        let vis = self.vis();
        let names = &self.names;
        let (function, hook, text, args, affects) = (
            &names.function,
            &names.hook,
            &names.text,
            &names.args,
            &names.affects,
        );
        let output = &self.shape.output;
        let idents = self.param_idents();
        let doc = format!(
            "`{text}` as a [`mizan::Mutation`]: add optimistic patches of the \
             contexts it affects with `.optimistic(context, patch)`, call it with `.call(args)`."
        );
        Some(quote! {
            #[doc = #doc]
            #vis fn #hook() -> ::mizan::Mutation<#args, #output> {
                ::mizan::Mutation::new(#text, #affects, |args: #args| {
                    let #args { #(#idents),* } = args;
                    ::std::boxed::Box::pin(#function(#(#idents),*))
                })
            }
        })
    }
}
