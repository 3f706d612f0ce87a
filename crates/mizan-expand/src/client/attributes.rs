//! `#[client(...)]`: the options, parsed into [`Options`] with every mistake reported.

use proc_macro2::{Span, TokenStream};
use syn::{Expr, Meta, Token, parse::Parser, punctuated::Punctuated, spanned::Spanned};

use crate::internals::{
    Ctxt, affects,
    auth::{self, Auth},
    registry::ContextScope,
};

/// The options inside `#[client(...)]`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Declared a context (`context = global | local`).
    pub context: Option<ContextScope>,
    /// The contexts a successful call invalidates (`affects = [a, path::to::b]`).
    pub affects: Vec<syn::Path>,
    /// The auth rule.
    pub auth: Auth,
    /// Declared a mutation.
    pub mutation: bool,
    /// Declared a view (only by the flag: a return type is never taken as a hint).
    pub view: bool,
    /// Also callable over the WebSocket multiplex.
    pub websocket: bool,
    /// `public`: the context answers the same to every caller, so it may be cached at the edge.
    pub public: bool,
    /// `per_user`: the context's value is the caller's own, so a mutation's keys for it reach
    /// only the caller's own sockets.
    pub per_user: bool,
    /// Each option as written, by name, with its span (also when its value did not parse).
    pub written: Vec<(String, Span)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            context: None,
            affects: Vec::new(),
            auth: Auth::Public,
            mutation: false,
            view: false,
            websocket: false,
            public: false,
            per_user: false,
            written: Vec::new(),
        }
    }
}

impl Options {
    /// Where the option `name` was written, if it was.
    pub fn span_of(&self, name: &str) -> Option<Span> {
        self.written
            .iter()
            .find(|(written, _)| written == name)
            .map(|(_, span)| *span)
    }
}

/// Every option, as the "unknown option" message lists them.
pub const OPTION_LIST: &str = "`auth`, `auth = staff`, `auth = path::to::check`, `mutation`, \
     `view`, `websocket`, `context = global`, `context = local`, `affects = [context, ...]`, \
     `public`, `per_user`";

const KNOWN: [&str; 8] = [
    "auth",
    "context",
    "affects",
    "mutation",
    "view",
    "websocket",
    "public",
    "per_user",
];

/// Parses the attribute's arguments. Each mistake is reported to `cx` and parsing goes on with
/// the next option, so the result holds every option that did parse.
pub fn parse(cx: &Ctxt, attr: TokenStream) -> Options {
    let mut options = Options::default();
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(attr) {
        Ok(metas) => metas,
        Err(error) => {
            cx.push(error);
            return options;
        }
    };
    for meta in metas {
        let name = meta
            .path()
            .get_ident()
            .map(ToString::to_string)
            .filter(|name| KNOWN.contains(&name.as_str()));
        let Some(name) = name else {
            cx.error_at(
                meta.span(),
                format!("unknown #[client] option; expected one of {OPTION_LIST}"),
            );
            continue;
        };
        if options.span_of(&name).is_some() {
            cx.error_at(meta.span(), format!("`{name}` is given twice"));
            continue;
        }
        options.written.push((name.clone(), meta.span()));
        apply(cx, &mut options, &name, &meta);
    }
    options
}

/// Sets the option `name` (a known one, seen for the first time) from `meta`.
fn apply(cx: &Ctxt, options: &mut Options, name: &str, meta: &Meta) {
    match (name, meta) {
        ("auth", Meta::Path(_) | Meta::NameValue(_)) => {
            let value = match meta {
                Meta::NameValue(nv) => Some(&nv.value),
                _ => None,
            };
            if let Some(auth) = auth::parse(cx, value) {
                options.auth = auth;
            }
        }
        ("context", Meta::NameValue(nv)) => options.context = parse_scope(cx, &nv.value),
        ("affects", Meta::NameValue(nv)) => options.affects = affects::parse(cx, &nv.value),
        ("context" | "affects", _) => cx.error_at(
            meta.span(),
            format!(
                "`{name}` takes a value: `context = global`, `context = local`, \
                 `affects = [context, ...]`"
            ),
        ),
        ("mutation", Meta::Path(_)) => options.mutation = true,
        ("view", Meta::Path(_)) => options.view = true,
        ("websocket", Meta::Path(_)) => options.websocket = true,
        ("public", Meta::Path(_)) => options.public = true,
        ("per_user", Meta::Path(_)) => options.per_user = true,
        ("mutation" | "view" | "websocket" | "public" | "per_user", _) => cx.error_at(
            meta.span(),
            format!("`{name}` is a flag and takes no value"),
        ),
        _ => cx.error_at(
            meta.span(),
            format!("unknown #[client] option; expected one of {OPTION_LIST}"),
        ),
    }
}

fn parse_scope(cx: &Ctxt, value: &Expr) -> Option<ContextScope> {
    match value {
        Expr::Path(path) if path.path.is_ident("global") => Some(ContextScope::Global),
        Expr::Path(path) if path.path.is_ident("local") => Some(ContextScope::Local),
        other => {
            cx.error_at(other.span(), "`context = ...` takes `global` or `local`");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    /// The options, or the messages of the errors they gave.
    fn parsed(attr: TokenStream) -> Result<Options, Vec<String>> {
        let cx = Ctxt::new();
        let options = parse(&cx, attr);
        match cx.check() {
            Ok(()) => Ok(options),
            Err(error) => Err(error.into_iter().map(|e| e.to_string()).collect()),
        }
    }

    fn options(attr: TokenStream) -> Options {
        parsed(attr.clone()).unwrap_or_else(|errors| panic!("{attr}: {errors:?}"))
    }

    fn errors(attr: TokenStream) -> Vec<String> {
        match parsed(attr.clone()) {
            Ok(options) => panic!("{attr} parsed: {options:?}"),
            Err(errors) => errors,
        }
    }

    #[test]
    fn auth_forms() {
        assert_eq!(options(quote!()).auth, Auth::Public);
        assert_eq!(options(quote!(auth)).auth, Auth::SignedIn);
        assert_eq!(options(quote!(auth = staff)).auth, Auth::Staff);
        let custom = options(quote!(auth = crate::checks::owner, mutation, websocket));
        assert!(matches!(custom.auth, Auth::Check(_)));
        assert!(custom.mutation && custom.websocket && !custom.view && !custom.public);
    }

    #[test]
    fn context_affects_and_public_parse() {
        let global = options(quote!(context = global));
        assert_eq!(global.context, Some(ContextScope::Global));
        let local = options(quote!(context = local, auth));
        assert_eq!(local.context, Some(ContextScope::Local));
        let public = options(quote!(context = local, public));
        assert!(public.public && !public.per_user);
        let per_user = options(quote!(context = global, per_user));
        assert!(per_user.per_user && !per_user.public);
        let affects = options(quote!(
            auth,
            affects = [user_profile, crate::profiles::current_user]
        ));
        assert_eq!(affects.affects.len(), 2);
        assert_eq!(affects.affects[1].segments.len(), 3);
    }

    #[test]
    fn each_misuse_has_its_message() {
        let cases = [
            (quote!(cache), "unknown #[client] option; expected one of"),
            (quote!(a::b), "unknown #[client] option"),
            (quote!(auth(staff)), "unknown #[client] option"),
            (quote!(auth = "staff"), "takes `staff` or the path"),
            (quote!(auth, auth), "`auth` is given twice"),
            (quote!(context = shared), "takes `global` or `local`"),
            (quote!(context), "`context` takes a value"),
            (quote!(affects), "`affects` takes a value"),
            (quote!(affects = user_profile), "takes a list of contexts"),
            (quote!(affects = []), "declares nothing"),
            (quote!(affects = [a, a]), "listed twice"),
            (quote!(affects = ["a"]), "by name or path"),
            (quote!(mutation = true), "`mutation` is a flag"),
            (quote!(view(x)), "`view` is a flag"),
            (quote!(websocket = 1), "`websocket` is a flag"),
            (quote!(public = yes), "`public` is a flag"),
            (quote!(auth staff), "expected `,`"),
        ];
        for (attr, expected) in cases {
            let errors = errors(attr.clone());
            assert_eq!(errors.len(), 1, "{attr}: {errors:?}");
            assert!(errors[0].contains(expected), "{attr}: {errors:?}");
        }
    }

    #[test]
    fn the_option_list_names_public_and_per_user() {
        let errors = errors(quote!(cache));
        assert!(
            errors[0].ends_with("`affects = [context, ...]`, `public`, `per_user`"),
            "{errors:?}"
        );
    }

    #[test]
    fn parsing_goes_on_after_a_mistake() {
        let errors = errors(quote!(cache, auth, auth, context = shared, mutation));
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].contains("unknown #[client] option"));
        assert!(errors[1].contains("given twice"));
        assert!(errors[2].contains("takes `global` or `local`"));
    }

    #[test]
    fn a_malformed_option_is_still_written() {
        let cx = Ctxt::new();
        let options = parse(&cx, quote!(context = shared));
        assert!(cx.check().is_err());
        assert_eq!(options.context, None);
        assert!(options.span_of("context").is_some());
    }
}
