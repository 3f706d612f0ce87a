//! `#[form(...)]` on the struct, `#[field(...)]` and the `validator` rules on its fields, parsed
//! with every mistake reported.

use proc_macro2::Span;
use syn::{
    Attribute, Expr, ExprLit, Lit, LitStr, Meta, Token, punctuated::Punctuated, spanned::Spanned,
};

use crate::internals::{
    Ctxt, affects,
    auth::{self, Auth},
};

/// The options of `#[form(...)]`.
#[derive(Debug, Clone)]
pub struct FormOptions {
    /// `name = "contact"`; by default the struct's name in snake case, without a `_form` suffix.
    pub name: Option<LitStr>,
    /// `title = "..."`.
    pub title: Option<LitStr>,
    /// `submit_label = "..."`.
    pub submit_label: Option<LitStr>,
    /// `success_message = "..."`.
    pub success_message: Option<LitStr>,
    /// `live_validation`.
    pub live_validation: bool,
    /// `redirect = "/path"`: where a successful submission sends the browser (checked by
    /// [`super::checks`] to be a path of the site).
    pub redirect: Option<LitStr>,
    /// `output = Type`; `()` by default.
    pub output: Option<syn::Type>,
    /// `affects = [context, ...]`.
    pub affects: Vec<syn::Path>,
    /// `auth` or `auth = staff` (a check function is refused by [`super::checks`]).
    pub auth: Auth,
}

/// The widgets a field may name.
pub const WIDGETS: &[&str] = &[
    "text", "email", "textarea", "number", "checkbox", "select", "password",
];

/// The options of one field's `#[field(...)]`.
#[derive(Debug, Clone, Default)]
pub struct FieldOptions {
    /// `widget = email`, checked against [`WIDGETS`].
    pub widget: Option<(String, Span)>,
    /// `label = "..."`.
    pub label: Option<LitStr>,
    /// `help = "..."`.
    pub help: Option<LitStr>,
    /// `choices = [("value", "Label"), ...]`.
    pub choices: Vec<(LitStr, LitStr)>,
    /// Where `choices` was written.
    pub choices_span: Option<Span>,
}

/// A `validator` rule the schema carries.
#[derive(Debug, Clone)]
pub enum Rule {
    /// `length(min, max, equal)`.
    Length {
        /// Fewest characters.
        min: Option<u64>,
        /// Most characters.
        max: Option<u64>,
        /// The rule's own message.
        message: Option<String>,
    },
    /// `range(min, max)`.
    Range {
        /// Smallest value.
        min: Option<f64>,
        /// Largest value.
        max: Option<f64>,
        /// The rule's own message.
        message: Option<String>,
    },
    /// `email`.
    Email {
        /// The rule's own message.
        message: Option<String>,
    },
    /// `required` (an `Option` that must be given).
    Required,
    /// `must_match(other = "field")`: equal to another field (a confirmation).
    MustMatch {
        /// The other field's name.
        other: String,
        /// Where it was named.
        other_span: Span,
        /// The rule's own message.
        message: Option<String>,
    },
}

impl Rule {
    /// The rule's name, as `validator` spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Length { .. } => "length",
            Rule::Range { .. } => "range",
            Rule::Email { .. } => "email",
            Rule::Required => "required",
            Rule::MustMatch { .. } => "must_match",
        }
    }
}

/// Parses `#[form(...)]` (absent: all defaults).
pub fn form_options(cx: &Ctxt, attrs: &[Attribute]) -> FormOptions {
    let mut options = FormOptions {
        name: None,
        title: None,
        submit_label: None,
        success_message: None,
        live_validation: false,
        redirect: None,
        output: None,
        affects: Vec::new(),
        auth: Auth::Public,
    };
    for meta in metas(cx, attrs, "form") {
        let key = meta.path().get_ident().map(ToString::to_string);
        match (key.as_deref(), &meta) {
            (Some("name"), Meta::NameValue(pair)) => options.name = string(cx, &pair.value),
            (Some("title"), Meta::NameValue(pair)) => options.title = string(cx, &pair.value),
            (Some("submit_label"), Meta::NameValue(pair)) => {
                options.submit_label = string(cx, &pair.value);
            }
            (Some("success_message"), Meta::NameValue(pair)) => {
                options.success_message = string(cx, &pair.value);
            }
            (Some("live_validation"), Meta::Path(_)) => options.live_validation = true,
            (Some("redirect"), Meta::NameValue(pair)) => {
                options.redirect = string(cx, &pair.value);
            }
            (Some("output"), Meta::NameValue(pair)) => {
                match syn::parse2::<syn::Type>(quote::ToTokens::to_token_stream(&pair.value)) {
                    Ok(ty) => options.output = Some(ty),
                    Err(error) => cx.push(error),
                }
            }
            (Some("affects"), Meta::NameValue(pair)) => {
                options.affects = affects::parse(cx, &pair.value);
            }
            (Some("auth"), Meta::Path(_) | Meta::NameValue(_)) => {
                let value = match &meta {
                    Meta::NameValue(pair) => Some(&pair.value),
                    _ => None,
                };
                if let Some(auth) = auth::parse(cx, value) {
                    options.auth = auth;
                }
            }
            _ => cx.error_at(
                meta.span(),
                "unknown form option: expected `name`, `title`, `submit_label`, \
                 `success_message`, `live_validation`, `redirect`, `output`, `affects`, `auth` \
                 or `auth = staff`",
            ),
        }
    }
    options
}

/// Parses a field's `#[field(...)]` (absent: all defaults).
pub fn field_options(cx: &Ctxt, attrs: &[Attribute]) -> FieldOptions {
    let mut options = FieldOptions::default();
    for meta in metas(cx, attrs, "field") {
        let key = meta.path().get_ident().map(ToString::to_string);
        match (key.as_deref(), &meta) {
            (Some("widget"), Meta::NameValue(pair)) => match &pair.value {
                Expr::Path(path) if path.path.get_ident().is_some() => {
                    let name = path.path.get_ident().map(ToString::to_string);
                    let name = name.unwrap_or_default();
                    if WIDGETS.contains(&name.as_str()) {
                        options.widget = Some((name, path.span()));
                    } else {
                        cx.error_at(
                            path.span(),
                            format!(
                                "unknown widget `{name}`: expected one of {}",
                                WIDGETS.join(", ")
                            ),
                        );
                    }
                }
                other => cx.error_at(
                    other.span(),
                    "`widget = ...` takes a name: `widget = email`",
                ),
            },
            (Some("label"), Meta::NameValue(pair)) => options.label = string(cx, &pair.value),
            (Some("help"), Meta::NameValue(pair)) => options.help = string(cx, &pair.value),
            (Some("choices"), Meta::NameValue(pair)) => {
                options.choices_span = Some(pair.value.span());
                options.choices = choices(cx, &pair.value);
            }
            _ => cx.error_at(
                meta.span(),
                "unknown field option: expected `widget`, `label`, `help` or `choices`",
            ),
        }
    }
    options
}

/// The `validator` rules of a field, each with where it was written; a rule the schema cannot
/// carry is an error (the browser could not check it the same way).
pub fn rules(cx: &Ctxt, attrs: &[Attribute]) -> Vec<(Rule, Span)> {
    let mut rules = Vec::new();
    for meta in metas(cx, attrs, "validate") {
        let key = meta.path().get_ident().map(ToString::to_string);
        let span = meta.span();
        let rule = match (key.as_deref(), &meta) {
            (Some("email"), Meta::Path(_)) => Some(Rule::Email { message: None }),
            (Some("email"), Meta::List(_)) => {
                let args = arguments(cx, &meta);
                Some(Rule::Email {
                    message: message(cx, &args),
                })
            }
            (Some("required"), Meta::Path(_)) => Some(Rule::Required),
            (Some("length"), Meta::List(_)) => {
                let args = arguments(cx, &meta);
                let equal = integer(cx, &args, "equal");
                Some(Rule::Length {
                    min: integer(cx, &args, "min").or(equal),
                    max: integer(cx, &args, "max").or(equal),
                    message: message(cx, &args),
                })
            }
            (Some("must_match"), Meta::List(_)) => must_match(cx, &meta),
            (Some("range"), Meta::List(_)) => {
                let args = arguments(cx, &meta);
                for (name, value) in &args {
                    if name.starts_with("exclusive") {
                        cx.error_at(
                            value.span(),
                            "forms carry `range(min, max)`; exclusive bounds are not supported",
                        );
                    }
                }
                Some(Rule::Range {
                    min: number(cx, &args, "min"),
                    max: number(cx, &args, "max"),
                    message: message(cx, &args),
                })
            }
            _ => {
                cx.error_at(
                    span,
                    format!(
                        "the rule `{}` has no counterpart in the form's schema: a form's fields \
                         take `length`, `range`, `email`, `required` and `must_match`, which the \
                         browser checks the same way",
                        key.unwrap_or_else(|| "?".to_owned())
                    ),
                );
                None
            }
        };
        rules.extend(rule.map(|rule| (rule, span)));
    }
    rules
}

/// `must_match(other = "password")` (`other` a string, as `validator` documents it, or a name).
fn must_match(cx: &Ctxt, meta: &Meta) -> Option<Rule> {
    let args = arguments(cx, meta);
    let other = match find(&args, "other") {
        Some(Expr::Path(path)) if path.path.get_ident().is_some() => path
            .path
            .get_ident()
            .map(|ident| (ident.to_string(), ident.span())),
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(name),
            ..
        })) => Some((name.value(), name.span())),
        Some(other) => {
            cx.error_at(
                other.span(),
                "`other` names a field: `other = \"password\"`",
            );
            None
        }
        None => {
            cx.error_at(
                meta.span(),
                "`must_match` needs the field it compares to: \
                 `must_match(other = \"password\")`",
            );
            None
        }
    };
    let message = message(cx, &args);
    other.map(|(other, other_span)| Rule::MustMatch {
        other,
        other_span,
        message,
    })
}

/// The metas inside every `#[<name>(...)]` of `attrs`.
fn metas(cx: &Ctxt, attrs: &[Attribute], name: &str) -> Vec<Meta> {
    let mut all = Vec::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(name)) {
        match attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated) {
            Ok(metas) => all.extend(metas),
            Err(error) => cx.push(error),
        }
    }
    all
}

/// `name = value` pairs of a rule's list (`length(min = 1, max = 5)`).
fn arguments(cx: &Ctxt, meta: &Meta) -> Vec<(String, Expr)> {
    let Meta::List(list) = meta else {
        return Vec::new();
    };
    match list.parse_args_with(Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated) {
        Ok(pairs) => pairs
            .into_iter()
            .filter_map(|pair| Some((pair.path.get_ident()?.to_string(), pair.value)))
            .collect(),
        Err(error) => {
            cx.push(error);
            Vec::new()
        }
    }
}

fn find<'a>(args: &'a [(String, Expr)], name: &str) -> Option<&'a Expr> {
    args.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

fn message(cx: &Ctxt, args: &[(String, Expr)]) -> Option<String> {
    find(args, "message")
        .and_then(|value| string(cx, value))
        .map(|lit| lit.value())
}

fn integer(cx: &Ctxt, args: &[(String, Expr)], name: &str) -> Option<u64> {
    let value = find(args, name)?;
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => match int.base10_parse() {
            Ok(number) => Some(number),
            Err(error) => {
                cx.push(error);
                None
            }
        },
        other => {
            cx.error_at(
                other.span(),
                format!("`{name}` takes a number written out, for the browser's schema"),
            );
            None
        }
    }
}

fn number(cx: &Ctxt, args: &[(String, Expr)], name: &str) -> Option<f64> {
    let value = find(args, name)?;
    let (negative, literal) = match value {
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Neg(_)) => (true, &*unary.expr),
        other => (false, other),
    };
    let parsed = match literal {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse::<f64>().ok(),
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => float.base10_parse::<f64>().ok(),
        _ => None,
    };
    if parsed.is_none() {
        cx.error_at(
            value.span(),
            format!("`{name}` takes a number written out, for the browser's schema"),
        );
    }
    parsed.map(|number| if negative { -number } else { number })
}

fn string(cx: &Ctxt, value: &Expr) -> Option<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(text),
            ..
        }) => Some(text.clone()),
        other => {
            cx.error_at(other.span(), "expected a string literal");
            None
        }
    }
}

/// `[("value", "Label"), ...]`.
fn choices(cx: &Ctxt, value: &Expr) -> Vec<(LitStr, LitStr)> {
    let Expr::Array(array) = value else {
        cx.error_at(
            value.span(),
            "`choices` takes a list of (value, label) pairs: `choices = [(\"a\", \"A\")]`",
        );
        return Vec::new();
    };
    let mut pairs = Vec::new();
    for element in &array.elems {
        match element {
            Expr::Tuple(tuple) if tuple.elems.len() == 2 => {
                let (Some(value), Some(label)) =
                    (string(cx, &tuple.elems[0]), string(cx, &tuple.elems[1]))
                else {
                    continue;
                };
                pairs.push((value, label));
            }
            other => cx.error_at(other.span(), "a choice is a (value, label) pair of strings"),
        }
    }
    pairs
}
