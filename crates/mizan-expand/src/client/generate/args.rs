//! `XArgs`: the arguments as one struct, the shape of the JSON object on the wire.

use proc_macro2::TokenStream;
use quote::quote;

use crate::client::client_fn::ClientFn;

impl ClientFn {
    /// `XArgs`, with the params' `validate`, `serde` and doc attributes on its fields.
    ///
    /// It derives `validator::Validate` when a param declares rules, and `PartialEq` for a
    /// context (its params identify the instance, so they compare).
    pub fn args_struct(&self) -> TokenStream {
        let vis = self.vis();
        let args = &self.names.args;
        let doc = format!("Arguments of [`{}`], as sent on the wire.", self.names.text);
        let validate_derive = self
            .shape
            .has_rules()
            .then(|| quote!(#[derive(::validator::Validate)]));
        let eq_derive = self
            .context()
            .is_some()
            .then(|| quote!(#[derive(::core::cmp::PartialEq)]));
        let fields = self.shape.params.iter().map(|param| {
            let attrs = &param.attrs;
            let ident = &param.ident;
            let ty = &param.ty;
            quote!(#(#attrs)* pub #ident: #ty)
        });
        quote! {
            #[doc = #doc]
            #[derive(
                ::core::fmt::Debug,
                ::core::clone::Clone,
                ::mizan::__private::serde::Serialize,
                ::mizan::__private::serde::Deserialize,
                ::mizan::__private::schemars::JsonSchema,
            )]
            #validate_derive
            #eq_derive
            #[serde(crate = "::mizan::__private::serde", deny_unknown_fields)]
            #[schemars(crate = "::mizan::__private::schemars")]
            #[allow(missing_docs)]
            #vis struct #args {
                #(#fields,)*
            }
        }
    }

    /// `ValidateArgs for XArgs`: the declared rules, or none.
    pub fn validate_impl(&self) -> TokenStream {
        let args = &self.names.args;
        let body = if self.shape.has_rules() {
            quote!(::mizan::__private::check_rules(self))
        } else {
            quote!(::core::result::Result::Ok(()))
        };
        quote! {
            impl ::mizan::__private::ValidateArgs for #args {
                fn validate_args(&self) -> ::core::result::Result<(), ::mizan::MizanError> {
                    #body
                }
            }
        }
    }
}
