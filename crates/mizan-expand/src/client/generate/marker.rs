//! The marker type named like the function: what `affects = [x]` resolves to.

use proc_macro2::TokenStream;
use quote::quote;

use crate::client::client_fn::ClientFn;

impl ClientFn {
    /// `struct x {}`, and for a context `impl Context for x`.
    ///
    /// Types and functions live in separate namespaces, so `affects = [x]` names this type; only
    /// a context implements `mizan::Context`, so naming anything else fails to compile.
    pub fn marker(&self) -> TokenStream {
        let vis = self.vis();
        let function = &self.names.function;
        let text = &self.names.text;
        let context_impl = self.context().map(|_| {
            quote! {
                impl ::mizan::Context for #function {
                    const NAME: &'static str = #text;
                }
            }
        });
        // Outside the server-only items, so the browser build refuses `affects = [not_a_context]`
        // too; the registry entry reads the names from here (one check, one message).
        let affects = &self.options.affects;
        let affects_const = &self.names.affects;
        let affects_check = quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals, dead_code)]
            const #affects_const: &[&str] = &[#(<#affects as ::mizan::Context>::NAME),*];
        };
        quote! {
            #[doc(hidden)]
            #[allow(non_camel_case_types, dead_code)]
            #vis struct #function {}
            #context_impl
            #affects_check
        }
    }
}
