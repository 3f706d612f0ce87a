//! The struct under `#[derive(Form)]` taken apart: its name, doc, and each field's name, type
//! class, options and rules.

use proc_macro2::Span;
use syn::{DeriveInput, spanned::Spanned};

use super::attributes::{self, FieldOptions, Rule};
use crate::internals::Ctxt;

/// What a field's type is to a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeClass {
    /// `String`.
    Text,
    /// `bool`.
    Bool,
    /// An integer or a float.
    Number,
    /// Anything else (an enum of choices, say).
    Other,
}

/// One field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Its name.
    pub ident: syn::Ident,
    /// Its type as written.
    pub ty: syn::Type,
    /// The class of the type, inside an `Option`.
    pub class: TypeClass,
    /// Declared `Option<...>`.
    pub optional: bool,
    /// Its `#[field(...)]`.
    pub options: FieldOptions,
    /// Its `validator` rules, each with where it was written.
    pub rules: Vec<(Rule, Span)>,
    /// Where it was written.
    pub span: Span,
}

/// The struct.
#[derive(Debug, Clone)]
pub struct Shape {
    /// The struct's name.
    pub ident: syn::Ident,
    /// Its visibility, which its hook takes.
    pub vis: syn::Visibility,
    /// Its doc comment.
    pub doc: String,
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

/// Takes the struct apart; a form is a struct with named fields and no generics.
pub fn analyze(cx: &Ctxt, input: &DeriveInput) -> Shape {
    if !input.generics.params.is_empty() {
        cx.error_at(input.generics.span(), "a form cannot be generic");
    }
    for attr in input
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("serde"))
    {
        let text = quote::ToTokens::to_token_stream(attr).to_string();
        if text.contains("rename") {
            cx.error_at(
                attr.span(),
                "a form's fields are named as written: the browser, the schema and the errors \
                 use the Rust names, so `rename` / `rename_all` are not taken",
            );
        }
    }
    let mut fields = Vec::new();
    match &input.data {
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(named),
            ..
        }) => {
            for field in &named.named {
                let Some(ident) = field.ident.clone() else {
                    continue;
                };
                for attr in field
                    .attrs
                    .iter()
                    .filter(|attr| attr.path().is_ident("serde"))
                {
                    let text = quote::ToTokens::to_token_stream(attr).to_string();
                    if text.contains("rename") || text.contains("flatten") {
                        cx.error_at(
                            attr.span(),
                            "a form's fields are named as written: `rename` and `flatten` are \
                             not taken",
                        );
                    }
                }
                let (optional, inner) = option_inner(&field.ty);
                fields.push(Field {
                    ident,
                    ty: field.ty.clone(),
                    class: classify(inner),
                    optional,
                    options: attributes::field_options(cx, &field.attrs),
                    rules: attributes::rules(cx, &field.attrs),
                    span: field.span(),
                });
            }
        }
        _ => cx.error_at(
            input.ident.span(),
            "`#[derive(Form)]` takes a struct with named fields",
        ),
    }
    Shape {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        doc: doc_of(&input.attrs),
        fields,
    }
}

/// `(true, T)` for `Option<T>`, else `(false, ty)`.
fn option_inner(ty: &syn::Type) -> (bool, &syn::Type) {
    if let syn::Type::Path(path) = ty
        && let Some(last) = path.path.segments.last()
        && last.ident == "Option"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return (true, inner);
    }
    (false, ty)
}

fn classify(ty: &syn::Type) -> TypeClass {
    let syn::Type::Path(path) = ty else {
        return TypeClass::Other;
    };
    let Some(last) = path.path.segments.last() else {
        return TypeClass::Other;
    };
    match last.ident.to_string().as_str() {
        "String" => TypeClass::Text,
        "bool" => TypeClass::Bool,
        "i8" | "i16" | "i32" | "i64" | "isize" | "u8" | "u16" | "u32" | "u64" | "usize" | "f32"
        | "f64" => TypeClass::Number,
        _ => TypeClass::Other,
    }
}

/// The doc comment, lines joined.
fn doc_of(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value:
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }),
                ..
            }) => Some(text.value().trim().to_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}
