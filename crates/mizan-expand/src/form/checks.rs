//! What the options and the fields must agree on: each widget edits the type it is given, each
//! rule applies to its field's type, a select has choices and only a select has them, a
//! `must_match` names another field of the same type; a form's `auth` names no check function,
//! its `redirect` is a path of the site.

use syn::spanned::Spanned;

use super::{
    analysis::{Field, Shape, TypeClass},
    attributes::{FormOptions, Rule},
};
use crate::internals::{Ctxt, auth::Auth};

/// Every disagreement, each its own error.
pub fn check(cx: &Ctxt, shape: &Shape) {
    for field in &shape.fields {
        check_widget(cx, field);
        check_rules(cx, field);
        check_must_match(cx, shape, field);
    }
}

/// A form's `redirect` is a path of this site (see [`is_site_path`]).
pub fn check_redirect(cx: &Ctxt, options: &FormOptions) {
    let Some(redirect) = &options.redirect else {
        return;
    };
    if !is_site_path(&redirect.value()) {
        cx.error_at(
            redirect.span(),
            format!(
                "`redirect` takes a path of this site, such as \"/\" or \"/account\": one `/` \
                 first (no scheme, no `//`), and no backslash, space, control or non-ASCII \
                 character (percent-encode them); {:?} is not one",
                redirect.value()
            ),
        );
    }
}

/// Whether `path` can only lead to a page of this site: it starts with one `/` (`//host` and, in
/// browsers, `/\\host` lead elsewhere) and is a header value as written (visible ASCII).
pub fn is_site_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

/// The form's name is a Rust name in snake case: it names the form's hook (`use_<name>_form`),
/// its endpoint and its call.
pub fn check_name(cx: &Ctxt, options: &FormOptions, name: &str) {
    let snake = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !snake {
        let span = options
            .name
            .as_ref()
            .map_or_else(proc_macro2::Span::call_site, syn::LitStr::span);
        cx.error_at(
            span,
            format!("the form's name `{name}` must be snake case (`contact`, `sign_up`)"),
        );
    }
}

/// A form's `auth` is `auth` or `auth = staff`: the parser it shares with `#[client]` also reads
/// `auth = path::to::check`, which forms do not offer.
pub fn check_auth(cx: &Ctxt, options: &FormOptions) {
    if let Auth::Check(path) = &options.auth {
        cx.error_at(
            path.span(),
            "a form takes `auth` or `auth = staff`; a check function (`auth = path::to::check`) \
             is for `#[client]` functions",
        );
    }
}

/// The widget a field is edited with: its own, else its type's.
pub fn widget_of(field: &Field) -> Option<&str> {
    if let Some((widget, _)) = &field.options.widget {
        return Some(widget.as_str());
    }
    match field.class {
        TypeClass::Text
            if field
                .rules
                .iter()
                .any(|(rule, _)| matches!(rule, Rule::Email { .. })) =>
        {
            Some("email")
        }
        TypeClass::Text => Some("text"),
        TypeClass::Bool => Some("checkbox"),
        TypeClass::Number => Some("number"),
        TypeClass::Other => None,
    }
}

fn check_widget(cx: &Ctxt, field: &Field) {
    let name = &field.ident;
    let span = field
        .options
        .widget
        .as_ref()
        .map_or(field.span, |(_, span)| *span);
    let Some(widget) = widget_of(field) else {
        cx.error_at(
            field.span,
            format!(
                "the field `{name}` has a type a form cannot edit by itself: give it \
                 `#[field(widget = select, choices = [(\"value\", \"Label\"), ...])]`"
            ),
        );
        return;
    };
    let fits = match widget {
        "text" | "email" | "textarea" | "password" => field.class == TypeClass::Text,
        "number" => field.class == TypeClass::Number,
        "checkbox" => field.class == TypeClass::Bool && !field.optional,
        "select" => matches!(field.class, TypeClass::Text | TypeClass::Other),
        _ => false,
    };
    if !fits {
        let needs = match widget {
            "number" => "a number type",
            "checkbox" => "`bool`",
            "select" => "`String` or an enum of its choices",
            _ => "`String`",
        };
        cx.error_at(
            span,
            format!("the widget `{widget}` edits {needs}, and the field `{name}` is not one"),
        );
    }
    match (widget, field.options.choices.is_empty()) {
        ("select", true) => cx.error_at(
            span,
            format!("the select `{name}` needs its `choices = [(\"value\", \"Label\"), ...]`"),
        ),
        ("select", false) | (_, true) => {}
        (_, false) => cx.error_at(
            field.options.choices_span.unwrap_or(field.span),
            format!("only a select takes `choices`; the field `{name}` is a {widget}"),
        ),
    }
}

fn check_rules(cx: &Ctxt, field: &Field) {
    let name = &field.ident;
    for (rule, span) in &field.rules {
        let fits = match rule {
            Rule::Length { .. } | Rule::Email { .. } => field.class == TypeClass::Text,
            Rule::Range { .. } => field.class == TypeClass::Number,
            Rule::Required => field.optional,
            // Any type: what it compares to is checked by `check_must_match`.
            Rule::MustMatch { .. } => true,
        };
        if !fits {
            let needs = match rule {
                Rule::Length { .. } | Rule::Email { .. } => "a `String`",
                Rule::Range { .. } => "a number",
                Rule::Required => "an `Option`",
                Rule::MustMatch { .. } => "any field",
            };
            cx.error_at(
                *span,
                format!(
                    "the rule `{}` applies to {needs}, and the field `{name}` is not one",
                    rule.name()
                ),
            );
        }
    }
}

/// A `must_match` names another field of the form, of the same type (the browser compares the
/// two values as they are).
fn check_must_match(cx: &Ctxt, shape: &Shape, field: &Field) {
    let name = &field.ident;
    for (rule, _) in &field.rules {
        let Rule::MustMatch {
            other, other_span, ..
        } = rule
        else {
            continue;
        };
        let Some(target) = shape.fields.iter().find(|f| f.ident == other.as_str()) else {
            cx.error_at(
                *other_span,
                format!(
                    "`must_match` on `{name}` names `{other}`, which is not a field of the form"
                ),
            );
            continue;
        };
        let (mine, theirs) = (type_text(&field.ty), type_text(&target.ty));
        if target.ident == *name {
            cx.error_at(
                *other_span,
                format!(
                    "`must_match` on `{name}` names `{name}` itself: name the field it confirms"
                ),
            );
        } else if mine != theirs {
            cx.error_at(
                *other_span,
                format!(
                    "`must_match` compares two fields of one type: `{name}` is `{mine}` and \
                     `{other}` is `{theirs}`"
                ),
            );
        }
    }
}

/// A type as written, without token spacing (`Option<String>`).
fn type_text(ty: &syn::Type) -> String {
    quote::ToTokens::to_token_stream(ty)
        .to_string()
        .replace(' ', "")
}
