//! `#[client]`: options, the checks on the annotated `async fn`, and the generated items.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{
    Attribute, Expr, FnArg, GenericArgument, Ident, ItemFn, Meta, Pat, PathArguments, ReturnType,
    Token, Type, parse::Parser, punctuated::Punctuated, spanned::Spanned,
};

/// Prefix of every function's own endpoint; equal to `mizan::protocol::FUNCTION_PREFIX`.
pub const FUNCTION_PREFIX: &str = "/api/mizan/fn";

/// Who may call the function.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// Anyone.
    Public,
    /// `auth`: a signed-in user.
    SignedIn,
    /// `auth = staff`.
    Staff,
    /// `auth = path::to::check`.
    Check(syn::Path),
}

/// Which instances of a context exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextScope {
    /// `context = global`: one instance, no params, fetched for every page.
    Global,
    /// `context = local`: one instance per params value.
    Local,
}

/// The options inside `#[client(...)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Declared a context (`context = global | local`).
    pub context: Option<ContextScope>,
    /// The contexts a successful call invalidates (`affects = [a, path::to::b]`).
    pub affects: Vec<syn::Path>,
    /// The auth rule.
    pub auth: Auth,
    /// Declared a mutation.
    pub mutation: bool,
    /// Declared a view (also inferred from a `Response` return type).
    pub view: bool,
    /// Also callable over the WebSocket multiplex.
    pub websocket: bool,
}

const OPTION_LIST: &str = "`auth`, `auth = staff`, `auth = path::to::check`, `mutation`, `view`, \
     `websocket`, `context = global`, `context = local`, `affects = [context, ...]`";

/// Parses the attribute's arguments.
pub fn parse_options(attr: TokenStream) -> syn::Result<Options> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr)?;
    let mut options = Options {
        context: None,
        affects: Vec::new(),
        auth: Auth::Public,
        mutation: false,
        view: false,
        websocket: false,
    };
    let mut seen: Vec<String> = Vec::new();
    for meta in metas {
        let name = meta
            .path()
            .get_ident()
            .map(Ident::to_string)
            .unwrap_or_default();
        if seen.contains(&name) {
            return Err(syn::Error::new(
                meta.span(),
                format!("`{name}` is given twice"),
            ));
        }
        seen.push(name.clone());
        match (name.as_str(), &meta) {
            ("auth", Meta::Path(_)) => options.auth = Auth::SignedIn,
            ("auth", Meta::NameValue(nv)) => options.auth = parse_auth_value(&nv.value)?,
            ("context", Meta::NameValue(nv)) => options.context = Some(parse_scope(&nv.value)?),
            ("affects", Meta::NameValue(nv)) => options.affects = parse_affects(&nv.value)?,
            ("context" | "affects", _) => {
                return Err(syn::Error::new(
                    meta.span(),
                    format!(
                        "`{name}` takes a value: `context = global`, `context = local`, \
                         `affects = [context, ...]`"
                    ),
                ));
            }
            ("mutation", Meta::Path(_)) => options.mutation = true,
            ("view", Meta::Path(_)) => options.view = true,
            ("websocket", Meta::Path(_)) => options.websocket = true,
            ("mutation" | "view" | "websocket", _) => {
                return Err(syn::Error::new(
                    meta.span(),
                    format!("`{name}` is a flag and takes no value"),
                ));
            }
            _ => {
                return Err(syn::Error::new(
                    meta.span(),
                    format!("unknown #[client] option; expected one of {OPTION_LIST}"),
                ));
            }
        }
    }
    if options.view && options.mutation {
        return Err(syn::Error::new(
            Span::call_site(),
            "a function is either a `view` or a `mutation`, not both",
        ));
    }
    if options.context.is_some() && (options.view || options.mutation) {
        return Err(syn::Error::new(
            Span::call_site(),
            "a context reads data: it cannot also be a `view` or a `mutation`",
        ));
    }
    if options.context.is_some() && !options.affects.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "a context cannot declare `affects`: only mutations and views invalidate contexts",
        ));
    }
    Ok(options)
}

fn parse_scope(value: &Expr) -> syn::Result<ContextScope> {
    match value {
        Expr::Path(path) if path.path.is_ident("global") => Ok(ContextScope::Global),
        Expr::Path(path) if path.path.is_ident("local") => Ok(ContextScope::Local),
        other => Err(syn::Error::new(
            other.span(),
            "`context = ...` takes `global` or `local`",
        )),
    }
}

fn parse_affects(value: &Expr) -> syn::Result<Vec<syn::Path>> {
    let Expr::Array(array) = value else {
        return Err(syn::Error::new(
            value.span(),
            "`affects = ...` takes a list of contexts: `affects = [user_profile, current_user]`",
        ));
    };
    let mut paths: Vec<syn::Path> = Vec::new();
    for element in &array.elems {
        match element {
            Expr::Path(path) if path.qself.is_none() => {
                if paths.contains(&path.path) {
                    return Err(syn::Error::new(
                        element.span(),
                        "this context is listed twice in `affects`",
                    ));
                }
                paths.push(path.path.clone());
            }
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "`affects` lists context functions by name or path, e.g. `user_profile`",
                ));
            }
        }
    }
    if paths.is_empty() {
        return Err(syn::Error::new(
            value.span(),
            "`affects = []` declares nothing; list the contexts the call changes or drop it",
        ));
    }
    Ok(paths)
}

fn parse_auth_value(value: &Expr) -> syn::Result<Auth> {
    match value {
        Expr::Path(path) if path.qself.is_none() => {
            if path.path.is_ident("staff") {
                Ok(Auth::Staff)
            } else {
                Ok(Auth::Check(path.path.clone()))
            }
        }
        other => Err(syn::Error::new(
            other.span(),
            "`auth = ...` takes `staff` or the path of an async check function, \
             e.g. `auth = crate::auth::is_owner`",
        )),
    }
}

/// One argument of the function, other than the request context.
#[derive(Debug, Clone)]
pub struct Param {
    /// Its name.
    pub ident: Ident,
    /// Its type.
    pub ty: Type,
    /// `validate`, `serde` and doc attributes, moved onto the argument struct's field.
    pub attrs: Vec<Attribute>,
}

/// The checked shape of the annotated function.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The function as written, its argument attributes removed.
    pub item: ItemFn,
    /// Whether its first parameter is the `RequestContext`, and whether by reference.
    pub context: Option<bool>,
    /// The other parameters.
    pub params: Vec<Param>,
    /// `T` of `Result<T, E>`.
    pub output: Type,
    /// Whether `T` is an HTTP `Response` (the view path).
    pub returns_response: bool,
}

/// Checks the function and takes it apart.
pub fn analyze(mut item: ItemFn) -> syn::Result<Shape> {
    let sig = &item.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            "#[client] functions must be `async fn`",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "#[client] functions cannot be generic: their arguments and result cross the wire",
        ));
    }
    let output = match &sig.output {
        ReturnType::Type(_, ty) => result_ok_type(ty),
        ReturnType::Default => None,
    }
    .ok_or_else(|| {
        syn::Error::new(
            sig.output.span(),
            "#[client] functions return `Result<T, MizanError>`",
        )
    })?;
    let returns_response = last_segment_is(&output, "Response");

    let mut context = None;
    let mut params = Vec::new();
    for (index, input) in item.sig.inputs.iter_mut().enumerate() {
        let FnArg::Typed(typed) = input else {
            return Err(syn::Error::new(
                input.span(),
                "#[client] functions cannot take `self`",
            ));
        };
        let (is_context, by_ref) = match &*typed.ty {
            Type::Reference(reference) => {
                (last_segment_is(&reference.elem, "RequestContext"), true)
            }
            ty => (last_segment_is(ty, "RequestContext"), false),
        };
        if is_context {
            if index != 0 {
                return Err(syn::Error::new(
                    typed.ty.span(),
                    "the `RequestContext` parameter must come first",
                ));
            }
            context = Some(by_ref);
            continue;
        }
        let Pat::Ident(pat) = &*typed.pat else {
            return Err(syn::Error::new(
                typed.pat.span(),
                "unsupported argument: write `name: Type` (patterns cannot name a wire field)",
            ));
        };
        match &*typed.ty {
            Type::Reference(_) => {
                return Err(syn::Error::new(
                    typed.ty.span(),
                    "unsupported argument type: arguments are decoded from JSON, so they must be \
                     owned (`String`, not `&str`)",
                ));
            }
            Type::ImplTrait(_) => {
                return Err(syn::Error::new(
                    typed.ty.span(),
                    "unsupported argument type: `impl Trait` cannot be decoded; use a concrete type",
                ));
            }
            _ => {}
        }
        let mut kept = Vec::new();
        for attr in typed.attrs.drain(..) {
            let name = attr
                .path()
                .get_ident()
                .map(Ident::to_string)
                .unwrap_or_default();
            if matches!(name.as_str(), "validate" | "serde" | "doc") {
                kept.push(attr);
            } else {
                return Err(syn::Error::new(
                    attr.span(),
                    "unsupported attribute on a #[client] argument: only `validate`, `serde` \
                     and doc comments",
                ));
            }
        }
        params.push(Param {
            ident: pat.ident.clone(),
            ty: (*typed.ty).clone(),
            attrs: kept,
        });
    }
    Ok(Shape {
        item,
        context,
        params,
        output,
        returns_response,
    })
}

/// `T` when `ty` is `Result<T, E>` (any path ending in `Result` with two type arguments).
fn result_ok_type(ty: &Type) -> Option<Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    });
    let ok = types.next()?;
    types.next()?;
    Some(ok)
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == name))
}

/// `update_name` → `UpdateName`.
pub fn pascal_case(name: &str) -> String {
    name.split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn doc_text(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
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

/// The whole expansion; errors become one `compile_error!`.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let result = parse_options(attr).and_then(|options| {
        let item: ItemFn = syn::parse2(item)?;
        let shape = analyze(item)?;
        check_context_shape(&options, &shape)?;
        Ok(generate(&options, &shape))
    });
    result.unwrap_or_else(syn::Error::into_compile_error)
}

/// A global context has no params; a local one has some; neither answers with a `Response`.
fn check_context_shape(options: &Options, shape: &Shape) -> syn::Result<()> {
    let span = shape.item.sig.ident.span();
    match options.context {
        Some(_) if shape.returns_response => Err(syn::Error::new(
            span,
            "a context returns data, not a `Response`",
        )),
        Some(ContextScope::Global) if !shape.params.is_empty() => Err(syn::Error::new(
            shape.params[0].ident.span(),
            "a global context takes no arguments (one instance per page); \
             use `context = local` for a context with params",
        )),
        Some(ContextScope::Local) if shape.params.is_empty() => Err(syn::Error::new(
            span,
            "a local context has params that select its instance; \
             without any, use `context = global`",
        )),
        _ => Ok(()),
    }
}

/// The generated items for a checked function.
pub fn generate(options: &Options, shape: &Shape) -> TokenStream {
    let item = &shape.item;
    let vis = &item.vis;
    let name = &item.sig.ident;
    let name_text = name.to_string();
    let pascal = pascal_case(&name_text);
    let args_ty = format_ident!("{}Args", pascal);
    let impl_fn = format_ident!("__mizan_impl_{}", name);
    let invoke_fn = format_ident!("__mizan_invoke_{}", name);
    let run_fn = format_ident!("__mizan_run_{}", name);
    let typed_fn = format_ident!("__mizan_typed_{}", name);
    let args_schema_fn = format_ident!("__mizan_args_schema_{}", name);
    let output_schema_fn = format_ident!("__mizan_output_schema_{}", name);
    let check_fn = format_ident!("__mizan_check_{}", name);
    let def = format_ident!("__MIZAN_DEF_{}", name_text.to_uppercase());
    let endpoint_fn = format_ident!("mizan_endpoint_{}", name);
    let endpoint = format!("{FUNCTION_PREFIX}/{name_text}");
    let is_view = options.view || shape.returns_response;
    let output = &shape.output;
    let fn_attrs: Vec<&Attribute> = item.attrs.iter().collect();
    let doc = doc_text(&item.attrs);

    let field_idents: Vec<&Ident> = shape.params.iter().map(|p| &p.ident).collect();
    let field_types: Vec<&Type> = shape.params.iter().map(|p| &p.ty).collect();
    let field_attrs: Vec<&Vec<Attribute>> = shape.params.iter().map(|p| &p.attrs).collect();
    let has_rules = shape
        .params
        .iter()
        .any(|p| p.attrs.iter().any(|a| a.path().is_ident("validate")));

    let validate_derive = has_rules.then(|| quote!(#[derive(::validator::Validate)]));
    // A context's params identify its instance, so they compare.
    let eq_derive = options
        .context
        .is_some()
        .then(|| quote!(#[derive(::core::cmp::PartialEq)]));
    let validate_body = if has_rules {
        quote!(::mizan::validation::check(self))
    } else {
        quote!(::core::result::Result::Ok(()))
    };
    let args_doc = format!("Arguments of [`{name_text}`], as sent on the wire.");
    let args_struct = quote! {
        #[doc = #args_doc]
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
        #vis struct #args_ty {
            #( #(#field_attrs)* pub #field_idents: #field_types, )*
        }

        impl ::mizan::ValidateArgs for #args_ty {
            fn validate_args(&self) -> ::core::result::Result<(), ::mizan::MizanError> {
                #validate_body
            }
        }
    };

    // The user's function, renamed, server side only.
    let mut body_fn = item.clone();
    body_fn.sig.ident = impl_fn.clone();
    body_fn.vis = syn::Visibility::Inherited;
    body_fn.attrs.retain(|attr| !attr.path().is_ident("doc"));
    let call_impl = if shape.context.is_some() {
        let ctx_arg = if shape.context == Some(true) {
            quote!(&ctx)
        } else {
            quote!(ctx)
        };
        quote!(#impl_fn(#ctx_arg, #(#field_idents),*).await)
    } else {
        quote!({ let _ = ctx; #impl_fn(#(#field_idents),*).await })
    };
    let wrap_output = if is_view {
        quote!(::core::convert::identity)
    } else {
        quote!(::mizan::server::Data)
    };
    let kind = if is_view {
        quote!(::mizan::server::FunctionKind::View)
    } else if options.context.is_some() {
        quote!(::mizan::server::FunctionKind::Context)
    } else if options.mutation || !options.affects.is_empty() {
        quote!(::mizan::server::FunctionKind::Mutation)
    } else {
        quote!(::mizan::server::FunctionKind::Query)
    };
    let (auth, check_item) = match &options.auth {
        Auth::Public => (quote!(::mizan::server::AuthRule::Public), quote!()),
        Auth::SignedIn => (quote!(::mizan::server::AuthRule::SignedIn), quote!()),
        Auth::Staff => (quote!(::mizan::server::AuthRule::Staff), quote!()),
        Auth::Check(path) => {
            let label = quote!(#path).to_string().replace(' ', "");
            (
                quote!(::mizan::server::AuthRule::Check { name: #label, check: #check_fn }),
                quote! {
                    #[cfg(feature = "ssr")]
                    fn #check_fn(
                        ctx: &::mizan::server::RequestContext,
                    ) -> ::mizan::__private::BoxFuture<'static, ::core::result::Result<(), ::mizan::MizanError>> {
                        let ctx = ::core::clone::Clone::clone(ctx);
                        ::std::boxed::Box::pin(async move { #path(&ctx).await })
                    }
                },
            )
        }
    };
    let websocket = options.websocket;
    let context_scope = match options.context {
        None => quote!(::core::option::Option::None),
        Some(ContextScope::Global) => {
            quote!(::core::option::Option::Some(
                ::mizan::server::ContextScope::Global
            ))
        }
        Some(ContextScope::Local) => {
            quote!(::core::option::Option::Some(
                ::mizan::server::ContextScope::Local
            ))
        }
    };
    let param_defs = shape.params.iter().map(|p| {
        let param_name = p.ident.to_string();
        let ty = &p.ty;
        let ty_text = quote!(#ty).to_string().replace(' ', "");
        quote!(::mizan::server::ParamDef { name: #param_name, ty: #ty_text })
    });
    let affects = &options.affects;
    // The function's name in the type namespace: `affects = [name]` resolves to it, and only a
    // context implements `mizan::Context`, so naming anything else fails to compile.
    let context_impl = options.context.map(|_| {
        quote! {
            impl ::mizan::Context for #name {
                const NAME: &'static str = #name_text;
            }
        }
    });
    let marker = quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}
        #context_impl
    };
    let output_schema = if is_view {
        quote!(::core::option::Option::None)
    } else {
        quote!(::core::option::Option::Some(#output_schema_fn))
    };
    let output_schema_item = (!is_view).then(|| {
        quote! {
            #[cfg(feature = "ssr")]
            fn #output_schema_fn() -> ::mizan::__private::schemars::Schema {
                ::mizan::__private::schemars::schema_for!(#output)
            }
        }
    });

    let server_items = quote! {
        #[cfg(feature = "ssr")]
        #[allow(clippy::too_many_arguments)]
        #body_fn

        #check_item
        #output_schema_item

        #[cfg(feature = "ssr")]
        fn #args_schema_fn() -> ::mizan::__private::schemars::Schema {
            ::mizan::__private::schemars::schema_for!(#args_ty)
        }

        #[cfg(feature = "ssr")]
        async fn #typed_fn(
            ctx: ::mizan::server::RequestContext,
            args: #args_ty,
        ) -> ::core::result::Result<(#output, ::std::vec::Vec<::std::string::String>), ::mizan::MizanError> {
            ::mizan::server::pipeline::execute_typed(
                &#def,
                ctx,
                args,
                |ctx: ::mizan::server::RequestContext, args: #args_ty| async move {
                    let #args_ty { #(#field_idents),* } = args;
                    #call_impl
                },
            )
            .await
        }

        #[cfg(feature = "ssr")]
        async fn #run_fn(
            ctx: ::mizan::server::RequestContext,
            args: ::mizan::protocol::RawArgs,
        ) -> ::core::result::Result<::mizan::server::Outcome, ::mizan::MizanError> {
            ::mizan::server::pipeline::execute(ctx, args, #typed_fn, #wrap_output).await
        }

        #[cfg(feature = "ssr")]
        fn #invoke_fn(
            ctx: ::mizan::server::RequestContext,
            args: ::mizan::protocol::RawArgs,
        ) -> ::mizan::__private::BoxFuture<
            'static,
            ::core::result::Result<::mizan::server::Outcome, ::mizan::MizanError>,
        > {
            ::std::boxed::Box::pin(#run_fn(ctx, args))
        }

        #[cfg(feature = "ssr")]
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        static #def: ::mizan::server::FunctionDef = ::mizan::server::FunctionDef {
            name: #name_text,
            kind: #kind,
            endpoint: #endpoint,
            auth: #auth,
            context: #context_scope,
            params: &[#(#param_defs),*],
            affects: &[#(<#affects as ::mizan::Context>::NAME),*],
            websocket: #websocket,
            doc: #doc,
            args_schema: #args_schema_fn,
            output_schema: #output_schema,
            invoke: #invoke_fn,
        };

        #[cfg(feature = "ssr")]
        ::mizan::__private::inventory::submit! {
            ::mizan::server::FunctionRef(&#def)
        }
    };

    if is_view {
        let path_const = format_ident!("{}_PATH", name_text.to_uppercase());
        let path_doc = format!("Where the view function `{name_text}` answers (`POST`).");
        return quote! {
            #args_struct
            #marker
            #server_items
            #[doc = #path_doc]
            #vis const #path_const: &str = #endpoint;
        };
    }

    let public_params = shape.params.iter().map(|p| {
        let ident = &p.ident;
        let ty = &p.ty;
        quote!(#ident: #ty)
    });
    // The caller keeps the return type as written, so the user's own imports stay in use.
    let return_type = &item.sig.output;
    let endpoint_doc = format!("The server_fn endpoint of [`{name_text}`] (`POST {endpoint}`).");
    let client_call = if options.context.is_some() {
        // Contexts are fetched in batches: everything asked for in one tick is one request.
        quote!(::mizan::runtime::fetch_batched(#name_text, &args).await)
    } else {
        quote! {
            let args = ::mizan::protocol::RawArgs::from_value(&args).map_err(|error| {
                ::mizan::MizanError::bad_request(::std::format!("cannot encode the arguments: {error}"))
            })?;
            ::mizan::caller::accept_remote(#endpoint_fn(args).await?)
        }
    };
    let hook = options
        .context
        .map(|scope| context_hook(scope, shape, &args_ty, output));
    quote! {
        #args_struct
        #marker
        #server_items
        #hook

        #[doc = #endpoint_doc]
        #[::leptos::server(
            prefix = #FUNCTION_PREFIX,
            endpoint = #name_text,
            input = ::leptos::server_fn::codec::Json,
            output = ::leptos::server_fn::codec::Json
        )]
        #[doc(hidden)]
        pub async fn #endpoint_fn(
            /// The arguments object, keyed by parameter name.
            #[server(default)]
            args: ::mizan::protocol::RawArgs,
        ) -> ::core::result::Result<::mizan::protocol::Envelope, ::mizan::MizanError> {
            // Run directly (not through the registry's boxed entry): one allocation less per call.
            ::mizan::server::endpoint::serve(&#def, args, #run_fn).await
        }

        #(#fn_attrs)*
        #vis async fn #name(#(#public_params),*) #return_type {
            let args = #args_ty { #(#field_idents),* };
            #[cfg(feature = "ssr")]
            {
                ::mizan::server::endpoint::call_in_process(args, #typed_fn).await
            }
            #[cfg(not(feature = "ssr"))]
            {
                #client_call
            }
        }
    }
}

/// `use_<name>(...)`: the Leptos hook of a context, params as values or signals.
fn context_hook(scope: ContextScope, shape: &Shape, args_ty: &Ident, output: &Type) -> TokenStream {
    let item = &shape.item;
    let vis = &item.vis;
    let name = &item.sig.ident;
    let name_text = name.to_string();
    let hook = format_ident!("use_{}", name);
    let idents: Vec<&Ident> = shape.params.iter().map(|p| &p.ident).collect();
    let types: Vec<&Type> = shape.params.iter().map(|p| &p.ty).collect();
    let doc = format!(
        "The `{name_text}` context: server-rendered, hydrated without a request, refreshed when \
         a call invalidates it."
    );
    match scope {
        ContextScope::Global => quote! {
            #[doc = #doc]
            #vis fn #hook() -> ::mizan::hooks::ContextHandle<#output> {
                ::mizan::hooks::use_global_context(#name_text, || #name())
            }
        },
        ContextScope::Local => quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = "Each param takes a value or a signal; a new value fetches that instance."]
            #vis fn #hook(
                #(#idents: impl ::core::convert::Into<::leptos::prelude::Signal<#types>>),*
            ) -> ::mizan::hooks::ContextHandle<#output> {
                #(let #idents: ::leptos::prelude::Signal<#types> = #idents.into();)*
                ::mizan::hooks::use_local_context(
                    #name_text,
                    move || #args_ty { #(#idents: ::leptos::prelude::Get::get(&#idents)),* },
                    |args: #args_ty| {
                        let #args_ty { #(#idents),* } = args;
                        #name(#(#idents),*)
                    },
                )
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(attr: TokenStream, item: TokenStream) -> String {
        let out = expand(attr, item).to_string();
        assert!(
            out.starts_with(":: core :: compile_error"),
            "expected one error: {out}"
        );
        out
    }

    #[test]
    fn options_parse() {
        assert_eq!(parse_options(quote!()).expect("empty").auth, Auth::Public);
        assert_eq!(
            parse_options(quote!(auth)).expect("auth").auth,
            Auth::SignedIn
        );
        assert_eq!(
            parse_options(quote!(auth = staff)).expect("staff").auth,
            Auth::Staff
        );
        let custom = parse_options(quote!(auth = crate::checks::owner, mutation, websocket))
            .expect("custom");
        assert!(matches!(custom.auth, Auth::Check(_)));
        assert!(custom.mutation && custom.websocket && !custom.view);
    }

    #[test]
    fn misuse_is_one_clear_error() {
        let async_fn = quote!(
            async fn f() -> Result<(), MizanError> {
                Ok(())
            }
        );
        assert!(error_of(quote!(cache), async_fn.clone()).contains("unknown #[client] option"));
        assert!(
            error_of(quote!(auth = "staff"), async_fn.clone())
                .contains("takes `staff` or the path")
        );
        assert!(error_of(quote!(auth, auth), async_fn.clone()).contains("given twice"));
        assert!(
            error_of(quote!(view, mutation), async_fn).contains("either a `view` or a `mutation`")
        );
        assert!(
            error_of(
                quote!(),
                quote!(
                    fn f() -> Result<(), E> {
                        Ok(())
                    }
                )
            )
            .contains("must be `async fn`")
        );
        assert!(
            error_of(
                quote!(),
                quote!(
                    async fn f(x: &str) -> Result<(), E> {
                        Ok(())
                    }
                )
            )
            .contains("must be owned")
        );
        assert!(
            error_of(
                quote!(),
                quote!(
                    async fn f((a, b): (u8, u8)) -> Result<(), E> {
                        Ok(())
                    }
                )
            )
            .contains("write `name: Type`")
        );
        assert!(
            error_of(
                quote!(),
                quote!(
                    async fn f() -> u8 {
                        1
                    }
                )
            )
            .contains("return `Result<T, MizanError>`")
        );
        assert!(
            error_of(
                quote!(),
                quote!(
                    async fn f<T>(x: T) -> Result<(), E> {
                        Ok(())
                    }
                )
            )
            .contains("cannot be generic")
        );
        assert!(
            error_of(
                quote!(),
                quote!(
                    async fn f(x: u8, ctx: RequestContext) -> Result<(), E> {
                        Ok(())
                    }
                )
            )
            .contains("must come first")
        );
    }

    #[test]
    fn context_parameter_is_recognised_and_not_a_wire_field() {
        let item: ItemFn = syn::parse2(quote!(
            async fn whoami(ctx: &RequestContext, verbose: bool) -> Result<Me, MizanError> {
                todo!()
            }
        ))
        .expect("fn");
        let shape = analyze(item).expect("valid");
        assert_eq!(shape.context, Some(true));
        assert_eq!(shape.params.len(), 1);
        assert_eq!(shape.params[0].ident, "verbose");
    }

    #[test]
    fn response_return_type_is_the_view_path() {
        let item: ItemFn = syn::parse2(quote!(
            async fn bye() -> Result<axum::response::Response, MizanError> {
                todo!()
            }
        ))
        .expect("fn");
        assert!(analyze(item).expect("valid").returns_response);
    }

    #[test]
    fn data_function_expansion_has_a_stable_endpoint_and_registry_entry() {
        let out = expand(
            quote!(),
            quote!(
                pub async fn update_name(
                    #[validate(length(min = 1))] name: String,
                ) -> Result<Out, MizanError> {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(out.contains("pub struct UpdateNameArgs"), "{out}");
        assert!(out.contains("endpoint = \"update_name\""), "{out}");
        assert!(out.contains("\"/api/mizan/fn/update_name\""), "{out}");
        assert!(out.contains("derive (:: validator :: Validate)"), "{out}");
        assert!(out.contains("inventory :: submit"), "{out}");
        assert!(out.contains("FunctionKind :: Query"), "{out}");
    }

    #[test]
    fn view_expansion_has_no_server_fn_and_exports_its_path() {
        let out = expand(
            quote!(),
            quote!(
                pub async fn logout_redirect() -> Result<Response, MizanError> {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(!out.contains(":: leptos :: server"), "{out}");
        assert!(out.contains("LOGOUT_REDIRECT_PATH"), "{out}");
        assert!(out.contains("FunctionKind :: View"), "{out}");
    }

    #[test]
    fn context_and_affects_options_parse() {
        let global = parse_options(quote!(context = global)).expect("global");
        assert_eq!(global.context, Some(ContextScope::Global));
        let local = parse_options(quote!(context = local, auth)).expect("local");
        assert_eq!(local.context, Some(ContextScope::Local));
        let affects = parse_options(quote!(
            auth,
            affects = [user_profile, crate::profiles::current_user]
        ))
        .expect("affects");
        assert_eq!(affects.affects.len(), 2);
        assert!(affects.affects[1].segments.len() == 3);
    }

    #[test]
    fn context_and_affects_misuse_is_one_clear_error() {
        let no_args = quote!(
            async fn f() -> Result<(), MizanError> {
                Ok(())
            }
        );
        let one_arg = quote!(
            async fn f(id: i64) -> Result<(), MizanError> {
                Ok(())
            }
        );
        let cases = [
            (
                quote!(context = shared),
                &no_args,
                "takes `global` or `local`",
            ),
            (quote!(context), &no_args, "takes a value"),
            (
                quote!(affects = user_profile),
                &no_args,
                "takes a list of contexts",
            ),
            (quote!(affects = []), &no_args, "declares nothing"),
            (quote!(affects = [a, a]), &no_args, "listed twice"),
            (quote!(affects = ["a"]), &no_args, "by name or path"),
            (
                quote!(context = global, mutation),
                &no_args,
                "cannot also be",
            ),
            (
                quote!(context = global, affects = [a]),
                &no_args,
                "cannot declare `affects`",
            ),
            (quote!(context = global), &one_arg, "takes no arguments"),
            (quote!(context = local), &no_args, "has params"),
        ];
        for (attr, item, expected) in cases {
            let error = error_of(attr.clone(), item.clone());
            assert!(error.contains(expected), "{attr}: {error}");
        }
    }

    #[test]
    fn context_expansion_has_a_hook_a_type_for_affects_and_comparable_params() {
        let out = expand(
            quote!(context = local),
            quote!(
                pub async fn user_profile(
                    ctx: RequestContext,
                    user_id: i64,
                ) -> Result<UserProfile, MizanError> {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(out.contains("pub fn use_user_profile"), "{out}");
        assert!(out.contains("Signal < i64 >"), "{out}");
        assert!(out.contains("pub struct user_profile { }"), "{out}");
        assert!(
            out.contains("impl :: mizan :: Context for user_profile"),
            "{out}"
        );
        assert!(
            out.contains("derive (:: core :: cmp :: PartialEq)"),
            "{out}"
        );
        assert!(out.contains("FunctionKind :: Context"), "{out}");
        assert!(out.contains("ContextScope :: Local"), "{out}");
        assert!(
            out.contains("ParamDef { name : \"user_id\" , ty : \"i64\" }"),
            "{out}"
        );
        assert!(out.contains("fetch_batched"), "{out}");
    }

    #[test]
    fn affects_expansion_names_each_context_through_the_context_trait() {
        let out = expand(
            quote!(auth, affects = [user_profile, crate::current_user]),
            quote!(
                pub async fn update_name(user_id: i64) -> Result<(), MizanError> {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(
            out.contains("< user_profile as :: mizan :: Context > :: NAME"),
            "{out}"
        );
        assert!(
            out.contains("< crate :: current_user as :: mizan :: Context > :: NAME"),
            "{out}"
        );
        assert!(out.contains("FunctionKind :: Mutation"), "{out}");
        assert!(!out.contains("impl :: mizan :: Context for"), "{out}");
        assert!(out.contains("accept_remote"), "{out}");
    }

    #[test]
    fn pascal_case_of_snake_names() {
        assert_eq!(pascal_case("update_name"), "UpdateName");
        assert_eq!(pascal_case("echo"), "Echo");
        assert_eq!(pascal_case("a__b"), "AB");
    }
}
