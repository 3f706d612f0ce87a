//! The server side: the user's function renamed, the pipeline around it, and its registry entry.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Visibility, ext::IdentExt};

use super::server_only;
use crate::client::{
    analysis::ContextParam,
    attributes::{Auth, ContextScope},
    client_fn::{ClientFn, Kind},
};

impl ClientFn {
    /// Every server item, in one block under `#[cfg(feature = "ssr")]` (see [`server_only`]).
    pub fn registry(&self) -> TokenStream {
        let items = [
            Some(self.impl_fn()),
            self.check_fn(),
            Some(self.args_schema_fn()),
            self.output_schema_fn(),
            Some(self.body_fn()),
            Some(self.run_fn()),
            Some(self.invoke_fn()),
            Some(self.def_static()),
            Some(self.submit()),
        ];
        server_only(items.into_iter().flatten().collect())
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

    /// `__mizan_check_x`: the `auth = path` check, boxed for the registry.
    pub fn check_fn(&self) -> Option<TokenStream> {
        let Auth::Check(path) = &self.options.auth else {
            return None;
        };
        let check_fn = &self.names.check_fn;
        Some(quote! {
            fn #check_fn(
                ctx: &::mizan::__private::RequestContext,
            ) -> ::mizan::__private::BoxFuture<'static, ::core::result::Result<(), ::mizan::MizanError>> {
                let ctx = ::core::clone::Clone::clone(ctx);
                ::std::boxed::Box::pin(async move { #path(&ctx).await })
            }
        })
    }

    /// `__mizan_args_schema_x`: the JSON schema of `XArgs`, its named types added to the
    /// generator's definitions.
    pub fn args_schema_fn(&self) -> TokenStream {
        let schema_fn = &self.names.args_schema_fn;
        let args = &self.names.args;
        quote! {
            fn #schema_fn(
                generator: &mut ::mizan::__private::schemars::SchemaGenerator,
            ) -> ::mizan::__private::schemars::Schema {
                generator.subschema_for::<#args>()
            }
        }
    }

    /// `__mizan_output_schema_x`: the JSON schema of the `Ok` type (its named types added to the
    /// generator's definitions); none for a view.
    pub fn output_schema_fn(&self) -> Option<TokenStream> {
        if self.is_view() {
            return None;
        }
        let schema_fn = &self.names.output_schema_fn;
        let output = &self.shape.output;
        Some(quote! {
            fn #schema_fn(
                generator: &mut ::mizan::__private::schemars::SchemaGenerator,
            ) -> ::mizan::__private::schemars::Schema {
                generator.subschema_for::<#output>()
            }
        })
    }

    /// `__mizan_body_x`: takes `XArgs` apart and calls the user's function, with the request
    /// context as it asked for it (by value, by reference, or not at all).
    pub fn body_fn(&self) -> TokenStream {
        let body_fn = &self.names.body_fn;
        let impl_fn = &self.names.impl_fn;
        let args = &self.names.args;
        let output = &self.shape.output;
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
            async fn #body_fn(
                ctx: ::mizan::__private::RequestContext,
                args: #args,
            ) -> ::core::result::Result<#output, ::mizan::MizanError> {
                let #args { #(#idents),* } = args;
                #call
            }
        }
    }

    /// `__mizan_run_x`: the pipeline over raw arguments (decode, check, run, encode).
    pub fn run_fn(&self) -> TokenStream {
        let run_fn = &self.names.run_fn;
        let def = &self.names.def;
        let body_fn = &self.names.body_fn;
        let wrap = if self.is_view() {
            quote!(::mizan::__private::View)
        } else {
            quote!(::mizan::__private::Data)
        };
        quote! {
            async fn #run_fn(
                ctx: ::mizan::__private::RequestContext,
                args: ::mizan::__private::RawArgs,
            ) -> ::core::result::Result<::mizan::__private::Outcome, ::mizan::MizanError> {
                ::mizan::__private::execute(&#def, ctx, args, #body_fn, #wrap).await
            }
        }
    }

    /// `__mizan_invoke_x`: `__mizan_run_x`, boxed for the registry.
    pub fn invoke_fn(&self) -> TokenStream {
        let invoke_fn = &self.names.invoke_fn;
        let run_fn = &self.names.run_fn;
        quote! {
            fn #invoke_fn(
                ctx: ::mizan::__private::RequestContext,
                args: ::mizan::__private::RawArgs,
            ) -> ::mizan::__private::BoxFuture<
                'static,
                ::core::result::Result<::mizan::__private::Outcome, ::mizan::MizanError>,
            > {
                ::std::boxed::Box::pin(#run_fn(ctx, args))
            }
        }
    }

    /// `__MIZAN_DEF_X`: the registry entry.
    pub fn def_static(&self) -> TokenStream {
        let names = &self.names;
        let (def, text, endpoint) = (&names.def, &names.text, &names.endpoint);
        let (args_schema_fn, invoke_fn) = (&names.args_schema_fn, &names.invoke_fn);
        let kind = self.kind_path();
        let auth = self.auth_rule();
        let context = self.context_scope();
        let public = self.options.public;
        let params = self.param_defs();
        let affects = &names.affects;
        let websocket = self.options.websocket;
        let doc = self.doc();
        let output_schema = if self.is_view() {
            quote!(::core::option::Option::None)
        } else {
            let output_schema_fn = &names.output_schema_fn;
            quote!(::core::option::Option::Some(#output_schema_fn))
        };
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            static #def: ::mizan::__private::FunctionDef = ::mizan::__private::FunctionDef {
                name: #text,
                kind: #kind,
                endpoint: #endpoint,
                auth: #auth,
                context: #context,
                public: #public,
                params: &[#(#params),*],
                affects: #affects,
                websocket: #websocket,
                doc: #doc,
                args_schema: #args_schema_fn,
                output_schema: #output_schema,
                invoke: #invoke_fn,
                form: ::core::option::Option::None,
            };
        }
    }

    /// The registration of `__MIZAN_DEF_X` with `inventory`.
    pub fn submit(&self) -> TokenStream {
        let def = &self.names.def;
        quote! {
            ::mizan::__private::inventory::submit! {
                ::mizan::__private::FunctionRef(&#def)
            }
        }
    }

    /// `FunctionKind::Query | Mutation | Context | View`.
    fn kind_path(&self) -> TokenStream {
        let variant = match self.kind() {
            Kind::Query => quote!(Query),
            Kind::Mutation => quote!(Mutation),
            Kind::Context => quote!(Context),
            Kind::View => quote!(View),
        };
        quote!(::mizan::__private::FunctionKind::#variant)
    }

    /// `AuthRule::Public | SignedIn | Staff | Check { .. }`.
    fn auth_rule(&self) -> TokenStream {
        match &self.options.auth {
            Auth::Public => quote!(::mizan::__private::AuthRule::Public),
            Auth::SignedIn => quote!(::mizan::__private::AuthRule::SignedIn),
            Auth::Staff => quote!(::mizan::__private::AuthRule::Staff),
            Auth::Check(path) => {
                let label = quote!(#path).to_string().replace(' ', "");
                let check_fn = &self.names.check_fn;
                quote!(::mizan::__private::AuthRule::Check { name: #label, check: #check_fn })
            }
        }
    }

    /// `None`, or `Some(ContextScope::Global | Local)`.
    fn context_scope(&self) -> TokenStream {
        let scope = match self.context() {
            None => return quote!(::core::option::Option::None),
            Some(ContextScope::Global) => quote!(Global),
            Some(ContextScope::Local) => quote!(Local),
        };
        quote!(::core::option::Option::Some(::mizan::__private::ContextScope::#scope))
    }

    /// One `ParamDef` per wire param: its name, its type as text, and its `TypeId`.
    fn param_defs(&self) -> Vec<TokenStream> {
        self.shape
            .params
            .iter()
            .map(|param| {
                let name = param.ident.unraw().to_string();
                let ty = &param.ty;
                let ty_text = quote!(#ty).to_string().replace(' ', "");
                quote! {
                    ::mizan::__private::ParamDef {
                        name: #name,
                        ty: #ty_text,
                        type_id: ::core::any::TypeId::of::<#ty>,
                    }
                }
            })
            .collect()
    }
}
