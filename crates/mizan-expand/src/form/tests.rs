//! `#[derive(Form)]` expansions: an insta snapshot of the generated code, and each misuse's one
//! error.

use proc_macro2::TokenStream;
use quote::quote;

use super::expand;

/// The expansion, formatted like source.
fn pretty(item: TokenStream) -> String {
    crate::expansion_text::pretty(&expand(item))
}

/// The messages of the expansion's `compile_error!`s, in order.
fn errors(item: TokenStream) -> Vec<String> {
    crate::expansion_text::compile_errors(&expand(item))
}

fn one_error(item: TokenStream) -> String {
    let errors = errors(item.clone());
    assert_eq!(errors.len(), 1, "{item}: {errors:?}");
    errors.into_iter().next().unwrap_or_default()
}

#[test]
fn a_contact_form() {
    let item = quote! {
        /// Writes to the team.
        #[form(title = "Contact us", submit_label = "Send", live_validation,
               output = ContactSent, affects = [contact_count])]
        pub struct ContactForm {
            #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
            #[field(label = "Your name")]
            pub name: String,
            #[validate(email(message = "enter an email address"))]
            pub email: String,
            #[validate(length(min = 1, max = 2000))]
            #[field(widget = textarea, help = "What can we do for you?")]
            pub message: String,
            #[field(widget = select, choices = [("general", "General"), ("billing", "Billing")])]
            pub topic: Topic,
            #[validate(range(min = 1, max = 5))]
            pub urgency: Option<u8>,
            pub subscribe: bool,
        }
    };
    let mut settings = insta::Settings::clone_current();
    settings.set_description(item.to_string());
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("contact_form", pretty(item)));
}

#[test]
fn the_name_defaults_to_the_struct_without_form() {
    let out = expand(quote! { struct SignUpForm { name: String } }).to_string();
    assert!(
        out.contains("const NAME : & 'static str = \"sign_up\""),
        "{out}"
    );
}

#[test]
fn an_unknown_widget_is_one_error_naming_the_known_ones() {
    let error = one_error(quote! {
        struct F { #[field(widget = slider)] level: u8 }
    });
    assert_eq!(
        error,
        "unknown widget `slider`: expected one of text, email, textarea, number, checkbox, \
         select, password"
    );
}

#[test]
fn a_rule_on_a_type_it_cannot_apply_to_is_one_error() {
    let error = one_error(quote! {
        struct F { #[validate(length(max = 3))] agree: bool }
    });
    assert_eq!(
        error,
        "the rule `length` applies to a `String`, and the field `agree` is not one"
    );
    let error = one_error(quote! {
        struct F { #[validate(range(min = 1))] name: String }
    });
    assert_eq!(
        error,
        "the rule `range` applies to a number, and the field `name` is not one"
    );
}

#[test]
fn widgets_fit_their_types_and_selects_their_choices() {
    assert_eq!(
        one_error(quote! { struct F { #[field(widget = checkbox)] name: String } }),
        "the widget `checkbox` edits `bool`, and the field `name` is not one"
    );
    assert_eq!(
        one_error(quote! { struct F { #[field(widget = select)] topic: String } }),
        "the select `topic` needs its `choices = [(\"value\", \"Label\"), ...]`"
    );
    assert_eq!(
        one_error(quote! { struct F { #[field(choices = [("a", "A")])] name: String } }),
        "only a select takes `choices`; the field `name` is a text"
    );
    assert_eq!(
        one_error(quote! { struct F { topic: Topic } }),
        "the field `topic` has a type a form cannot edit by itself: give it \
         `#[field(widget = select, choices = [(\"value\", \"Label\"), ...])]`"
    );
}

#[test]
fn rules_without_a_browser_counterpart_and_renames_are_refused() {
    assert!(
        one_error(quote! { struct F { #[validate(regex(path = *RE))] code: String } })
            .starts_with("the rule `regex` has no counterpart in the form's schema")
    );
    assert!(
        one_error(quote! { #[serde(rename_all = "camelCase")] struct F { first_name: String } })
            .starts_with("a form's fields are named as written")
    );
}

#[test]
fn a_form_name_must_be_snake_case() {
    assert_eq!(
        one_error(quote! { #[form(name = "Contact-Us")] struct F { name: String } }),
        "the form's name `Contact-Us` must be snake case (`contact`, `sign_up`)"
    );
}

#[test]
fn every_mistake_is_reported_at_once() {
    let errors = errors(quote! {
        #[form(colour = "red")]
        struct F {
            #[field(widget = slider)] a: u8,
            #[validate(email)] b: i32,
        }
    });
    assert_eq!(errors.len(), 3, "{errors:?}");
}

#[test]
fn auth_and_affects_read_as_in_client() {
    let out = expand(quote! {
        #[form(auth = staff, affects = [contact_count, crate::stats::inbox])]
        struct F { name: String }
    })
    .to_string();
    assert!(out.contains("AuthRule :: Staff"), "{out}");
    assert!(
        out.contains("< crate :: stats :: inbox as :: mizan :: Context > :: NAME"),
        "{out}"
    );
    assert!(
        one_error(quote! { #[form(auth = "staff")] struct F { name: String } })
            .starts_with("`auth = ...` takes `staff` or the path")
    );
    assert!(
        one_error(quote! { #[form(affects = [a, a])] struct F { name: String } })
            .contains("listed twice")
    );
}

#[test]
fn a_form_has_no_auth_check_function() {
    assert_eq!(
        one_error(quote! { #[form(auth = crate::auth::is_owner)] struct F { name: String } }),
        "a form takes `auth` or `auth = staff`; a check function (`auth = path::to::check`) is \
         for `#[client]` functions"
    );
}

#[test]
fn a_form_that_redirects_with_a_confirmation() {
    let item = quote! {
        /// Changes the password, then goes home.
        #[form(auth, redirect = "/account?changed=1")]
        pub struct ChangePasswordForm {
            #[validate(length(min = 8))]
            #[field(widget = password)]
            pub password: String,
            #[validate(must_match(other = "password", message = "does not match"))]
            #[field(widget = password)]
            pub confirmation: String,
        }
    };
    let mut settings = insta::Settings::clone_current();
    settings.set_description(item.to_string());
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("change_password_form", pretty(item)));
}

#[test]
fn a_redirect_is_a_path_of_the_site() {
    for path in ["/", "/account", "/a/b?c=d&e=%20f#g", "/login:x"] {
        assert!(
            errors(quote! { #[form(redirect = #path)] struct F { name: String } }).is_empty(),
            "{path}"
        );
    }
    for path in [
        "",
        "account",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/a b",
        "/a\nb",
        "/café",
    ] {
        assert!(
            one_error(quote! { #[form(redirect = #path)] struct F { name: String } })
                .starts_with("`redirect` takes a path of this site"),
            "{path}"
        );
    }
    assert_eq!(
        one_error(quote! { #[form(redirect = home)] struct F { name: String } }),
        "expected a string literal"
    );
}

#[test]
fn must_match_names_another_field_of_the_same_type() {
    let out = expand(quote! {
        struct F {
            password: String,
            #[validate(must_match(other = password))]
            confirmation: String,
        }
    })
    .to_string();
    assert!(
        out.contains("must_match : :: core :: option :: Option :: Some (:: std :: string :: String :: from (\"password\"))"),
        "{out}"
    );
    assert_eq!(
        one_error(quote! {
            struct F { password: String, #[validate(must_match(other = "pasword"))] again: String }
        }),
        "`must_match` on `again` names `pasword`, which is not a field of the form"
    );
    assert_eq!(
        one_error(quote! {
            struct F { age: u8, #[validate(must_match(other = "age"))] again: String }
        }),
        "`must_match` compares two fields of one type: `again` is `String` and `age` is `u8`"
    );
    assert_eq!(
        one_error(quote! {
            struct F { #[validate(must_match(other = "again"))] again: String }
        }),
        "`must_match` on `again` names `again` itself: name the field it confirms"
    );
    assert_eq!(
        one_error(quote! {
            struct F { password: String, #[validate(must_match(message = "x"))] again: String }
        }),
        "`must_match` needs the field it compares to: `must_match(other = \"password\")`"
    );
}
