//! The rules between options, and between the options and the function's shape.

use proc_macro2::Span;
use syn::{FnArg, spanned::Spanned};

use super::{analysis::Shape, attributes::Options};
use crate::internals::{Ctxt, auth::Auth, registry::ContextScope};

/// Runs every rule, reporting each broken one to `cx`.
pub fn check(cx: &Ctxt, options: &Options, shape: &Shape) {
    check_kind(cx, options);
    check_public(cx, options);
    check_per_user(cx, options);
    check_context_shape(cx, options, shape);
}

/// A view is not a mutation; a context is neither, and invalidates nothing.
fn check_kind(cx: &Ctxt, options: &Options) {
    if options.view && options.mutation {
        cx.error_at(
            Span::call_site(),
            "a function is either a `view` or a `mutation`, not both",
        );
    }
    if options.context.is_some() && (options.view || options.mutation) {
        cx.error_at(
            Span::call_site(),
            "a context reads data: it cannot also be a `view` or a `mutation`",
        );
    }
    if options.context.is_some() && !options.affects.is_empty() {
        cx.error_at(
            Span::call_site(),
            "a context cannot declare `affects`: only mutations and views invalidate contexts",
        );
    }
}

/// `public` marks a context, and a context that answers everyone alike.
fn check_public(cx: &Ctxt, options: &Options) {
    let Some(span) = options.span_of("public").filter(|_| options.public) else {
        return;
    };
    // A `context` whose value did not parse was already reported: no second message for it.
    if options.context.is_none() && options.span_of("context").is_none() {
        cx.error_at(
            span,
            "`public` marks a context as the same for every caller (edge-cacheable); it applies \
             only to `context = global | local`",
        );
    }
    if options.auth != Auth::Public {
        cx.error_at(
            span,
            "a public context answers the same to everyone, so it cannot require `auth`; drop \
             `public` to keep it private",
        );
    }
}

/// `per_user` marks a context, and one whose value depends on the caller: not a `public` one.
fn check_per_user(cx: &Ctxt, options: &Options) {
    let Some(span) = options.span_of("per_user").filter(|_| options.per_user) else {
        return;
    };
    if options.context.is_none() && options.span_of("context").is_none() {
        cx.error_at(
            span,
            "`per_user` marks a context whose value is the caller's own; it applies only to \
             `context = global | local`",
        );
    }
    if options.public {
        cx.error_at(
            span,
            "a context is either `public` (the same for everyone) or `per_user` (the caller's \
             own), not both",
        );
    }
}

/// A global context has no params; a local one has some (well-formed or not: a broken param is
/// reported by itself).
fn check_context_shape(cx: &Ctxt, options: &Options, shape: &Shape) {
    let first_param = shape.wire_inputs().next();
    match (options.context, first_param) {
        (Some(ContextScope::Global), Some(param)) => cx.error_at(
            param_span(param),
            "a global context takes no arguments (one instance per page); \
             use `context = local` for a context with params",
        ),
        (Some(ContextScope::Local), None) => cx.error_at(
            shape.item.sig.ident.span(),
            "a local context has params that select its instance; \
             without any, use `context = global`",
        ),
        _ => {}
    }
}

/// The param's name (its pattern), or `self`.
fn param_span(param: &FnArg) -> Span {
    match param {
        FnArg::Typed(typed) => typed.pat.span(),
        FnArg::Receiver(receiver) => receiver.span(),
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;
    use crate::client::{analysis, attributes};

    fn errors(attr: TokenStream, item: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let options = attributes::parse(&cx, attr);
        let shape = analysis::analyze(&cx, &syn::parse2(item).expect("a fn"));
        check(&cx, &options, &shape);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    fn no_args() -> TokenStream {
        quote!(
            async fn f() -> Result<(), MizanError> {
                Ok(())
            }
        )
    }

    fn one_arg() -> TokenStream {
        quote!(
            async fn f(id: i64) -> Result<(), MizanError> {
                Ok(())
            }
        )
    }

    #[test]
    fn each_broken_rule_has_its_message() {
        let cases = [
            (
                quote!(view, mutation),
                no_args(),
                "either a `view` or a `mutation`",
            ),
            (
                quote!(context = global, mutation),
                no_args(),
                "cannot also be",
            ),
            (quote!(context = global, view), no_args(), "cannot also be"),
            (
                quote!(context = global, affects = [a]),
                no_args(),
                "cannot declare `affects`",
            ),
            (quote!(context = global), one_arg(), "takes no arguments"),
            (quote!(context = local), no_args(), "has params"),
            (
                quote!(public),
                no_args(),
                "`public` marks a context as the same for every caller (edge-cacheable); it \
                 applies only to `context = global | local`",
            ),
            (
                quote!(context = global, public, auth),
                no_args(),
                "a public context answers the same to everyone, so it cannot require `auth`; \
                 drop `public` to keep it private",
            ),
            (
                quote!(context = local, public, auth = staff),
                one_arg(),
                "cannot require `auth`",
            ),
            (
                quote!(context = local, auth = crate::is_owner, public),
                one_arg(),
                "cannot require `auth`",
            ),
        ];
        for (attr, item, expected) in cases {
            let errors = errors(attr.clone(), item);
            assert_eq!(errors.len(), 1, "{attr}: {errors:?}");
            assert!(errors[0].contains(expected), "{attr}: {errors:?}");
        }
    }

    #[test]
    fn per_user_marks_a_private_context_only() {
        assert!(errors(quote!(context = global, per_user), no_args()).is_empty());
        assert!(errors(quote!(per_user, context = local, auth), one_arg()).is_empty());
        let cases = [
            (
                quote!(per_user),
                "`per_user` marks a context whose value is the caller's own; it applies only to \
                 `context = global | local`",
            ),
            (
                quote!(context = global, public, per_user),
                "a context is either `public` (the same for everyone) or `per_user` (the \
                 caller's own), not both",
            ),
        ];
        for (attr, expected) in cases {
            let errors = errors(attr.clone(), no_args());
            assert_eq!(errors.len(), 1, "{attr}: {errors:?}");
            assert!(errors[0].contains(expected), "{attr}: {errors:?}");
        }
    }

    #[test]
    fn public_contexts_without_auth_are_fine() {
        assert!(errors(quote!(context = global, public), no_args()).is_empty());
        assert!(errors(quote!(public, context = local), one_arg()).is_empty());
    }

    #[test]
    fn public_on_a_data_function_with_auth_breaks_both_rules() {
        let errors = errors(quote!(public, auth), no_args());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("applies only to `context"));
        assert!(errors[1].contains("cannot require `auth`"));
    }

    #[test]
    fn a_malformed_context_is_not_reported_again() {
        let errors = errors(quote!(context = shared, public), no_args());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("takes `global` or `local`"));
    }

    #[test]
    fn a_local_context_taking_only_a_broken_param_is_not_told_to_be_global() {
        let errors = errors(
            quote!(context = local),
            quote!(
                async fn f(id: &str) -> Result<(), MizanError> {
                    Ok(())
                }
            ),
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("must be owned"));
    }
}
