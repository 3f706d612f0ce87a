//! The registry entry both macros generate: the `FunctionDef` static, its registration, and the
//! server functions it points to.
//!
//! A `#[client]` function and a form's submission run through the same pipeline
//! (`::mizan::__private::execute`), so their entries differ only in what [`Entry`] takes.

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::Type;

use super::auth::Auth;

/// What the registry records a function as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Reads data (the default).
    Query,
    /// Changes data: `mutation`, any `affects`, or a form's submission.
    Mutation,
    /// `context = global | local`.
    Context,
    /// `view`: answers with its own HTTP response.
    View,
}

/// Which instances of a context exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextScope {
    /// `context = global`: one instance, no params, fetched for every page.
    Global,
    /// `context = local`: one instance per params value.
    Local,
}

/// One wire param, as the registry lists it.
#[derive(Debug, Clone)]
pub struct Param<'a> {
    /// Its name on the wire.
    pub name: String,
    /// Its type as written.
    pub ty: &'a Type,
}

/// The names of the entry's items. `#[client]` derives them from the function's name, since its
/// items share the caller's module; a form's sit in an anonymous `const` and keep short names.
#[derive(Debug, Clone, Copy)]
pub struct Idents<'a> {
    /// The boxed `auth = path` check (generated only for [`Auth::Check`]).
    pub check: &'a Ident,
    /// The JSON schema of the arguments.
    pub args_schema: &'a Ident,
    /// The JSON schema of the result (generated for all but a view).
    pub output_schema: &'a Ident,
    /// The body: arguments in, the result out.
    pub body: &'a Ident,
    /// The pipeline over raw arguments.
    pub run: &'a Ident,
    /// `run`, boxed for the registry.
    pub invoke: &'a Ident,
    /// The `FunctionDef` static.
    pub def: &'a Ident,
}

/// One registry entry: everything in which a `#[client]` function's and a form's differ.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The names of its items.
    pub idents: Idents<'a>,
    /// The name on the wire and in the registry.
    pub name: &'a str,
    /// Its own endpoint (see [`super::paths`]).
    pub endpoint: &'a str,
    /// What it is recorded as; a view's result is its own response, with no schema.
    pub kind: Kind,
    /// Who may call it.
    pub auth: &'a Auth,
    /// Its context scope, when it is a context.
    pub context: Option<ContextScope>,
    /// A context that answers the same to every caller.
    pub public: bool,
    /// A context whose value is the caller's own.
    pub per_user: bool,
    /// Its wire params, in order.
    pub params: Vec<Param<'a>>,
    /// An expression of type `&'static [&'static str]`: the names of the contexts it affects.
    pub affects: TokenStream,
    /// Also callable over the WebSocket multiplex.
    pub websocket: bool,
    /// Its doc comment.
    pub doc: String,
    /// The type its arguments decode into.
    pub args: &'a Ident,
    /// The `Ok` type of its result.
    pub output: &'a Type,
    /// The body's statements, with `ctx: RequestContext` and `args: <args>` in scope, ending in
    /// the `Result<output, MizanError>` it answers.
    pub body: TokenStream,
    /// For a form, the struct whose `Form::schema` the entry records.
    pub form: Option<&'a Ident>,
}

impl Entry<'_> {
    /// Every item of the entry, in order: the check, the schemas, the body, `run`, `invoke`, the
    /// static and its registration. They belong on the server only (see [`server_only`]).
    pub fn items(&self) -> TokenStream {
        let items = [
            self.check_fn(),
            Some(self.args_schema_fn()),
            self.output_schema_fn(),
            Some(self.body_fn()),
            Some(self.run_fn()),
            Some(self.invoke_fn()),
            Some(self.def_static()),
            Some(self.submit()),
        ];
        items.into_iter().flatten().collect()
    }

    fn is_view(&self) -> bool {
        self.kind == Kind::View
    }

    /// The `auth = path` check, boxed for the registry.
    fn check_fn(&self) -> Option<TokenStream> {
        let Auth::Check(path) = self.auth else {
            return None;
        };
        let check_fn = self.idents.check;
        Some(quote! {
            fn #check_fn(
                ctx: &::mizan::__private::RequestContext,
            ) -> ::mizan::__private::BoxFuture<
                'static,
                ::core::result::Result<(), ::mizan::MizanError>,
            > {
                let ctx = ::core::clone::Clone::clone(ctx);
                ::std::boxed::Box::pin(async move { #path(&ctx).await })
            }
        })
    }

    /// The JSON schema of the arguments, their named types added to the generator's definitions.
    fn args_schema_fn(&self) -> TokenStream {
        let schema_fn = self.idents.args_schema;
        let args = self.args;
        quote! {
            fn #schema_fn(
                generator: &mut ::mizan::__private::schemars::SchemaGenerator,
            ) -> ::mizan::__private::schemars::Schema {
                generator.subschema_for::<#args>()
            }
        }
    }

    /// The JSON schema of the `Ok` type; none for a view.
    fn output_schema_fn(&self) -> Option<TokenStream> {
        if self.is_view() {
            return None;
        }
        let schema_fn = self.idents.output_schema;
        let output = self.output;
        Some(quote! {
            fn #schema_fn(
                generator: &mut ::mizan::__private::schemars::SchemaGenerator,
            ) -> ::mizan::__private::schemars::Schema {
                generator.subschema_for::<#output>()
            }
        })
    }

    /// The body, with the signature the pipeline calls it by.
    fn body_fn(&self) -> TokenStream {
        let body_fn = self.idents.body;
        let (args, output, body) = (self.args, self.output, &self.body);
        quote! {
            async fn #body_fn(
                ctx: ::mizan::__private::RequestContext,
                args: #args,
            ) -> ::core::result::Result<#output, ::mizan::MizanError> {
                #body
            }
        }
    }

    /// The pipeline over raw arguments (decode, check, run, encode).
    fn run_fn(&self) -> TokenStream {
        let Idents { run, def, body, .. } = self.idents;
        let wrap = if self.is_view() {
            quote!(::mizan::__private::View)
        } else {
            quote!(::mizan::__private::Data)
        };
        quote! {
            async fn #run(
                ctx: ::mizan::__private::RequestContext,
                args: ::mizan::__private::RawArgs,
            ) -> ::core::result::Result<::mizan::__private::Outcome, ::mizan::MizanError> {
                ::mizan::__private::execute(&#def, ctx, args, #body, #wrap).await
            }
        }
    }

    /// `run`, boxed for the registry.
    fn invoke_fn(&self) -> TokenStream {
        let Idents { invoke, run, .. } = self.idents;
        quote! {
            fn #invoke(
                ctx: ::mizan::__private::RequestContext,
                args: ::mizan::__private::RawArgs,
            ) -> ::mizan::__private::BoxFuture<
                'static,
                ::core::result::Result<::mizan::__private::Outcome, ::mizan::MizanError>,
            > {
                ::std::boxed::Box::pin(#run(ctx, args))
            }
        }
    }

    /// The `FunctionDef` static.
    fn def_static(&self) -> TokenStream {
        let Idents {
            def,
            args_schema,
            invoke,
            ..
        } = self.idents;
        let (name, endpoint) = (self.name, self.endpoint);
        let kind = self.kind_path();
        let auth = self.auth_rule();
        let context = self.context_scope();
        let public = self.public;
        let per_user = self.per_user;
        let params = self.param_defs();
        let affects = &self.affects;
        let websocket = self.websocket;
        let doc = &self.doc;
        let output_schema = if self.is_view() {
            quote!(::core::option::Option::None)
        } else {
            let output_schema = self.idents.output_schema;
            quote!(::core::option::Option::Some(#output_schema))
        };
        let form = match self.form {
            Some(form) => quote!(::core::option::Option::Some(<#form as ::mizan::Form>::schema)),
            None => quote!(::core::option::Option::None),
        };
        quote! {
            #[doc(hidden)]
            #[allow(non_upper_case_globals)]
            static #def: ::mizan::__private::FunctionDef = ::mizan::__private::FunctionDef {
                name: #name,
                kind: #kind,
                endpoint: #endpoint,
                auth: #auth,
                context: #context,
                public: #public,
                per_user: #per_user,
                params: &[#(#params),*],
                affects: #affects,
                websocket: #websocket,
                doc: #doc,
                args_schema: #args_schema,
                output_schema: #output_schema,
                invoke: #invoke,
                form: #form,
            };
        }
    }

    /// The static's registration with `inventory`.
    fn submit(&self) -> TokenStream {
        let def = self.idents.def;
        quote! {
            ::mizan::__private::inventory::submit! {
                ::mizan::__private::FunctionRef(&#def)
            }
        }
    }

    /// `FunctionKind::Query | Mutation | Context | View`.
    fn kind_path(&self) -> TokenStream {
        let variant = match self.kind {
            Kind::Query => quote!(Query),
            Kind::Mutation => quote!(Mutation),
            Kind::Context => quote!(Context),
            Kind::View => quote!(View),
        };
        quote!(::mizan::__private::FunctionKind::#variant)
    }

    /// `AuthRule::Public | SignedIn | Staff | Check { .. }`.
    fn auth_rule(&self) -> TokenStream {
        match self.auth {
            Auth::Public => quote!(::mizan::__private::AuthRule::Public),
            Auth::SignedIn => quote!(::mizan::__private::AuthRule::SignedIn),
            Auth::Staff => quote!(::mizan::__private::AuthRule::Staff),
            Auth::Check(path) => {
                let label = quote!(#path).to_string().replace(' ', "");
                let check_fn = self.idents.check;
                quote!(::mizan::__private::AuthRule::Check { name: #label, check: #check_fn })
            }
        }
    }

    /// `None`, or `Some(ContextScope::Global | Local)`.
    fn context_scope(&self) -> TokenStream {
        let scope = match self.context {
            None => return quote!(::core::option::Option::None),
            Some(ContextScope::Global) => quote!(Global),
            Some(ContextScope::Local) => quote!(Local),
        };
        quote!(::core::option::Option::Some(::mizan::__private::ContextScope::#scope))
    }

    /// One `ParamDef` per wire param: its name, its type as text, and its `TypeId`.
    fn param_defs(&self) -> Vec<TokenStream> {
        self.params
            .iter()
            .map(|Param { name, ty }| {
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

/// `items`, compiled on the server only, through mizan's `server_items!`: when the crate's `ssr`
/// feature forgets to enable mizan's, that is one error naming the fix, not one per missing item.
pub fn server_only(items: TokenStream) -> TokenStream {
    quote! {
        #[cfg(feature = "ssr")]
        ::mizan::__private::server_items! {
            #items
        }
    }
}
