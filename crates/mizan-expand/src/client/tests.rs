//! Whole expansions: insta snapshots of the generated code, and every misuse through `expand`.

use proc_macro2::TokenStream;
use quote::quote;

use super::expand;

/// The expansion, formatted like source (the snapshots are the spec of the generated code).
fn pretty(attr: TokenStream, item: TokenStream) -> String {
    crate::expansion_text::pretty(&expand(attr, item))
}

/// Snapshots `#[client(attr)] item`'s expansion under `name`; the snapshot's description is the
/// input, formatted.
fn snapshot(name: &str, attr: TokenStream, item: TokenStream) {
    let annotated = if attr.is_empty() {
        quote!(#[client] #item)
    } else {
        quote!(#[client(#attr)] #item)
    };
    let input: syn::File = syn::parse2(annotated).expect("the input is an item");
    let input = prettyplease::unparse(&input);
    let mut settings = insta::Settings::clone_current();
    settings.set_description(input);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, pretty(attr, item)));
}

/// The messages of the expansion's `compile_error!`s, in order.
fn errors(attr: TokenStream, item: TokenStream) -> Vec<String> {
    crate::expansion_text::compile_errors(&expand(attr, item))
}

/// The one error of a misuse.
fn one_error(attr: TokenStream, item: TokenStream) -> String {
    let errors = errors(attr.clone(), item.clone());
    assert_eq!(errors.len(), 1, "{attr} / {item}: {errors:?}");
    errors.into_iter().next().unwrap_or_default()
}

#[test]
fn snapshot_query_with_validation_rules() {
    snapshot(
        "query_with_validation_rules",
        quote!(),
        quote!(
            /// Renames the signed-in user.
            ///
            ///   Trimmed lines.
            pub async fn update_name(
                /// The new name.
                #[validate(length(min = 1, max = 40))]
                name: String,
                #[serde(default)] notify: bool,
            ) -> Result<Profile, MizanError> {
                todo!()
            }
        ),
    );
}

#[test]
fn snapshot_request_context_by_reference_and_auth_check() {
    snapshot(
        "request_context_and_auth_check",
        quote!(auth = crate::auth::is_owner, websocket),
        quote!(
            #[allow(clippy::needless_pass_by_value)]
            pub(crate) async fn delete_post(
                ctx: &RequestContext,
                post_id: i64,
                reason: Option<String>,
            ) -> Result<(), MizanError> {
                ctx.db().delete(post_id).await
            }
        ),
    );
}

#[test]
fn snapshot_mutation_with_affects() {
    snapshot(
        "mutation_with_affects",
        quote!(
            auth,
            affects = [user_profile, crate::profiles::current_user]
        ),
        quote!(
            pub async fn rename(
                ctx: RequestContext,
                user_id: i64,
                name: String,
            ) -> Result<(), MizanError> {
                Ok(())
            }
        ),
    );
}

#[test]
fn snapshot_global_context() {
    snapshot(
        "global_context",
        quote!(context = global, auth),
        quote!(
            /// The signed-in user, if any.
            pub async fn current_user(ctx: RequestContext) -> Result<Option<User>, MizanError> {
                Ok(ctx.user())
            }
        ),
    );
}

#[test]
fn snapshot_local_public_context() {
    snapshot(
        "local_public_context",
        quote!(context = local, public),
        quote!(
            pub async fn user_profile(
                user_id: i64,
                tab: String,
            ) -> Result<UserProfile, MizanError> {
                todo!()
            }
        ),
    );
}

#[test]
fn snapshot_view() {
    snapshot(
        "view",
        quote!(view, affects = [current_user]),
        quote!(
            /// Signs out and goes home.
            pub async fn logout_redirect(ctx: RequestContext) -> Result<Response, MizanError> {
                todo!()
            }
        ),
    );
}

#[test]
fn snapshot_own_response_type_without_view_is_data() {
    snapshot(
        "own_response_type_is_data",
        quote!(),
        quote!(
            async fn f() -> Result<Response, MizanError> {
                todo!()
            }
        ),
    );
}

#[test]
fn snapshot_two_errors_and_the_stub() {
    snapshot(
        "two_errors_and_stub",
        quote!(cache),
        quote!(
            /// Echoes.
            #[inline]
            pub fn echo(#[validate(length(min = 1))] text: String) -> Result<String, MizanError> {
                Ok(text)
            }
        ),
    );
}

#[test]
fn a_response_type_is_data_unless_declared_a_view() {
    let item = quote!(
        async fn f() -> Result<Response, MizanError> {
            todo!()
        }
    );
    let data = expand(quote!(), item.clone()).to_string();
    assert!(data.contains("FunctionKind :: Query"), "{data}");
    assert!(data.contains(":: leptos :: server"), "{data}");
    assert!(data.contains("async fn f ()"), "{data}");
    assert!(data.contains("Some (__mizan_output_schema_f)"), "{data}");
    let view = expand(quote!(view), item).to_string();
    assert!(view.contains("FunctionKind :: View"), "{view}");
    assert!(!view.contains(":: leptos :: server"), "{view}");
    assert!(view.contains("const F_PATH"), "{view}");
    assert!(!view.contains("async fn f ()"), "{view}");
}

#[test]
fn public_is_recorded_and_only_for_open_contexts() {
    let one_arg = quote!(
        async fn f(id: i64) -> Result<u8, MizanError> {
            todo!()
        }
    );
    let no_args = quote!(
        async fn f() -> Result<u8, MizanError> {
            todo!()
        }
    );
    let out = expand(quote!(context = local, public), one_arg.clone()).to_string();
    assert!(out.contains("public : true"), "{out}");
    let out = expand(quote!(context = local), one_arg.clone()).to_string();
    assert!(out.contains("public : false"), "{out}");
    assert!(one_error(quote!(public), no_args.clone()).contains("applies only to `context"));
    assert!(one_error(quote!(public, mutation), no_args.clone()).contains("applies only to"));
    assert!(
        one_error(quote!(context = global, public, auth), no_args)
            .contains("so it cannot require `auth`")
    );
    assert!(
        one_error(quote!(context = local, auth = staff, public), one_arg)
            .contains("drop `public` to keep it private")
    );
}

#[test]
fn every_misuse_is_its_own_clear_error() {
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
        (quote!(cache), no_args.clone(), "unknown #[client] option"),
        (
            quote!(auth = "staff"),
            no_args.clone(),
            "takes `staff` or the path",
        ),
        (quote!(auth, auth), no_args.clone(), "given twice"),
        (quote!(view, view), no_args.clone(), "`view` is given twice"),
        (
            quote!(view = 1),
            no_args.clone(),
            "is a flag and takes no value",
        ),
        (
            quote!(view, mutation),
            no_args.clone(),
            "either a `view` or a `mutation`",
        ),
        (
            quote!(context = shared),
            no_args.clone(),
            "takes `global` or `local`",
        ),
        (quote!(context), no_args.clone(), "takes a value"),
        (
            quote!(affects = user_profile),
            no_args.clone(),
            "takes a list of contexts",
        ),
        (quote!(affects = []), no_args.clone(), "declares nothing"),
        (quote!(affects = [a, a]), no_args.clone(), "listed twice"),
        (quote!(affects = ["a"]), no_args.clone(), "by name or path"),
        (
            quote!(context = global, mutation),
            no_args.clone(),
            "cannot also be",
        ),
        (
            quote!(context = local, view),
            one_arg.clone(),
            "cannot also be",
        ),
        (
            quote!(context = global, affects = [a]),
            no_args.clone(),
            "cannot declare `affects`",
        ),
        (
            quote!(context = global),
            one_arg.clone(),
            "takes no arguments",
        ),
        (quote!(context = local), no_args.clone(), "has params"),
        (
            quote!(public),
            no_args.clone(),
            "applies only to `context = global | local`",
        ),
        (
            quote!(context = global, public, auth),
            no_args,
            "cannot require `auth`",
        ),
        (
            quote!(),
            quote!(
                fn f() -> Result<(), E> {
                    Ok(())
                }
            ),
            "must be `async fn`",
        ),
        (
            quote!(),
            quote!(
                async fn f(x: &str) -> Result<(), E> {
                    Ok(())
                }
            ),
            "must be owned",
        ),
        (
            quote!(),
            quote!(
                async fn f(x: impl Display) -> Result<(), E> {
                    Ok(())
                }
            ),
            "`impl Trait` cannot be decoded",
        ),
        (
            quote!(),
            quote!(
                async fn f((a, b): (u8, u8)) -> Result<(), E> {
                    Ok(())
                }
            ),
            "write `name: Type`",
        ),
        (
            quote!(),
            quote!(
                async fn f() -> u8 {
                    1
                }
            ),
            "return `Result<T, MizanError>`",
        ),
        (
            quote!(),
            quote!(
                async fn f<T>(x: T) -> Result<(), E> {
                    Ok(())
                }
            ),
            "cannot be generic",
        ),
        (
            quote!(),
            quote!(
                async fn f(x: u8, ctx: RequestContext) -> Result<(), E> {
                    Ok(())
                }
            ),
            "must come first",
        ),
        (
            quote!(),
            quote!(
                async fn f(self) -> Result<(), E> {
                    Ok(())
                }
            ),
            "cannot take `self`",
        ),
        (
            quote!(),
            quote!(
                async fn f(#[allow(unused)] x: u8) -> Result<(), E> {
                    Ok(())
                }
            ),
            "unsupported attribute on a #[client] argument",
        ),
        (
            quote!(),
            quote!(
                struct S;
            ),
            "expected `fn`",
        ),
    ];
    for (attr, item, expected) in cases {
        let error = one_error(attr.clone(), item.clone());
        assert!(error.contains(expected), "{attr} / {item}: {error}");
    }
}

#[test]
fn two_independent_mistakes_give_exactly_two_errors() {
    let out = expand(
        quote!(),
        quote!(
            pub fn echo(text: &str) -> Result<String, MizanError> {
                Ok(text.to_owned())
            }
        ),
    )
    .to_string();
    assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    let errors = errors(
        quote!(cache),
        quote!(
            async fn f<T>(x: T) -> Result<(), E> {
                Ok(())
            }
        ),
    );
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("unknown #[client] option"),
        "{errors:?}"
    );
    assert!(errors[1].contains("cannot be generic"), "{errors:?}");
}

#[test]
fn after_errors_the_function_is_still_there_and_mizan_is_not() {
    let out = expand(
        quote!(cache),
        quote!(
            /// Kept.
            pub(crate) async fn echo(
                #[validate(length(min = 1))] text: String,
            ) -> Result<String, E> {
                Ok(text)
            }
        ),
    );
    let file = syn::parse_file(&out.to_string()).expect("a file");
    let stub = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Fn(function) => Some(function),
            _ => None,
        })
        .expect("the stub");
    assert_eq!(stub.sig.ident, "echo");
    assert!(matches!(stub.vis, syn::Visibility::Restricted(_)));
    assert!(stub.sig.asyncness.is_some());
    let syn::FnArg::Typed(text) = &stub.sig.inputs[0] else {
        panic!("a typed param")
    };
    assert!(text.attrs.is_empty(), "param attributes are dropped");
    assert!(stub.attrs.iter().any(|attr| attr.path().is_ident("doc")));
    let text = out.to_string();
    assert!(text.contains("unimplemented"), "{text}");
    assert!(!text.contains("mizan"), "{text}");
}

#[test]
fn what_is_not_a_function_is_given_back_unchanged() {
    let item = quote!(
        struct S {
            a: u8,
        }
    );
    let out = expand(quote!(cache), item.clone()).to_string();
    assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    assert!(out.ends_with(&item.to_string()), "{out}");
}

#[test]
fn the_generated_code_reaches_mizan_only_through_its_private_module() {
    let items = [
        (
            quote!(),
            quote!(
                async fn a(#[validate(range(min = 1))] x: u8) -> Result<u8, E> {
                    todo!()
                }
            ),
        ),
        (
            quote!(auth = c::check, mutation),
            quote!(
                async fn b(ctx: &RequestContext) -> Result<u8, E> {
                    todo!()
                }
            ),
        ),
        (
            quote!(context = local, public),
            quote!(
                async fn c(x: u8) -> Result<u8, E> {
                    todo!()
                }
            ),
        ),
        (
            quote!(context = global, auth = staff),
            quote!(
                async fn d() -> Result<u8, E> {
                    todo!()
                }
            ),
        ),
        (
            quote!(view, affects = [c]),
            quote!(
                async fn e() -> Result<Response, E> {
                    todo!()
                }
            ),
        ),
    ];
    let allowed = [
        ":: mizan :: __private ::",
        ":: mizan :: MizanError",
        ":: mizan :: Context",
        ":: mizan :: ContextHandle",
    ];
    for (attr, item) in items {
        let out = expand(attr, item).to_string();
        assert!(!out.contains("compile_error"), "{out}");
        let mut rest = out.as_str();
        while let Some(at) = rest.find(":: mizan ::") {
            rest = &rest[at..];
            assert!(
                allowed.iter().any(|prefix| rest.starts_with(prefix)),
                "{}",
                &rest[..rest.len().min(60)]
            );
            rest = &rest[1..];
        }
    }
}
