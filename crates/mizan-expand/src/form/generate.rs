//! The items `#[derive(Form)]` writes: the `Form` impl with its schema, the rules' check, and, on
//! the server, the submission's registry entry (a mutation named after the form, run by the
//! struct's `FormHandler`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{
    analysis::{Field, Shape, TypeClass},
    attributes::{FormOptions, Rule},
    checks::widget_of,
};
use crate::internals::{
    paths,
    registry::{Entry, Idents, Kind, Param, server_only},
};

/// The form's name: its option, else the struct's name in snake case without `_form`.
pub fn form_name(options: &FormOptions, shape: &Shape) -> String {
    if let Some(name) = &options.name {
        return name.value();
    }
    let mut snake = String::new();
    for (i, c) in shape.ident.to_string().chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                snake.push('_');
            }
            snake.extend(c.to_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
        .strip_suffix("_form")
        .map(str::to_owned)
        .unwrap_or(snake)
}

/// Everything the derive emits.
pub fn generate(options: &FormOptions, shape: &Shape) -> TokenStream {
    let ident = &shape.ident;
    let name = form_name(options, shape);
    let title = options.title.as_ref().map_or_else(
        || quote!(::mizan::__private::label_of(#name)),
        |title| quote!(::std::string::String::from(#title)),
    );
    let submit_label = options.submit_label.as_ref().map_or_else(
        || quote!(::std::string::String::from("Submit")),
        |label| quote!(::std::string::String::from(#label)),
    );
    let success_message = options.success_message.as_ref().map_or_else(
        || quote!(::std::string::String::from("Done.")),
        |message| quote!(::std::string::String::from(#message)),
    );
    let live = options.live_validation;
    let redirect = options.redirect.as_ref().map_or_else(
        || quote!(::core::option::Option::None),
        |path| quote!(::core::option::Option::Some(::std::string::String::from(#path))),
    );
    let output: syn::Type = options
        .output
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(()));
    let fields = shape.fields.iter().map(field_schema);
    let rules = rules_body(shape);
    let server = server_items(options, shape, &name, &output);
    let vis = &shape.vis;
    let hook = format_ident!("use_{}_form", name);
    let hook_doc = format!(
        "The state of a `{ident}` form for a Leptos component (values, errors, `set`, `submit`): \
         see `mizan::FormHandle`; render it with `<MizanForm form=...>`."
    );
    quote! {
        #[doc = #hook_doc]
        #vis fn #hook() -> ::mizan::FormHandle<#ident> {
            ::mizan::use_form::<#ident>()
        }

        impl ::mizan::Form for #ident {
            const NAME: &'static str = #name;
            type Output = #output;
            fn schema() -> &'static ::mizan::FormSchema {
                static SCHEMA: ::std::sync::OnceLock<::mizan::FormSchema> =
                    ::std::sync::OnceLock::new();
                SCHEMA.get_or_init(|| ::mizan::FormSchema {
                    name: ::std::string::String::from(#name),
                    title: #title,
                    submit_label: #submit_label,
                    success_message: #success_message,
                    live_validation: #live,
                    redirect: #redirect,
                    initial: ::mizan::__private::serde_json::to_value(
                        <#ident as ::core::default::Default>::default(),
                    )
                    .unwrap_or_default(),
                    fields: ::std::vec![#(#fields),*],
                })
            }
            fn rule_errors(&self) -> ::mizan::FieldErrors {
                #rules
            }
        }
        impl ::mizan::__private::ValidateArgs for #ident {
            fn validate_args(&self) -> ::core::result::Result<(), ::mizan::MizanError> {
                ::mizan::__private::refuse_invalid(<#ident as ::mizan::Form>::rule_errors(self))
            }
        }
        #server
    }
}

/// The form's one rule set (`Form::rule_errors`): the fields' rules, and for selects of a text
/// type, their choices.
fn rules_body(shape: &Shape) -> TokenStream {
    let selects: Vec<TokenStream> = shape
        .fields
        .iter()
        .filter(|field| widget_of(field) == Some("select") && field.class == TypeClass::Text)
        .map(|field| {
            let (ident, name) = (&field.ident, field.ident.to_string());
            let values = field.options.choices.iter().map(|(value, _)| value);
            let chosen = if field.optional {
                quote!(self.#ident.as_deref())
            } else {
                quote!(::core::option::Option::Some(self.#ident.as_str()))
            };
            quote!((#name, #chosen, &[#(#values),*]))
        })
        .collect();
    quote!(::mizan::__private::form_rule_errors(self, &[#(#selects),*]))
}

/// One field's `FieldSchema`.
fn field_schema(field: &Field) -> TokenStream {
    let name = field.ident.to_string();
    let label = field.options.label.as_ref().map_or_else(
        || quote!(::mizan::__private::label_of(#name)),
        |label| quote!(::std::string::String::from(#label)),
    );
    let help = field.options.help.as_ref().map_or_else(
        || quote!(::core::option::Option::None),
        |help| quote!(::core::option::Option::Some(::std::string::String::from(#help))),
    );
    let widget = format_ident!(
        "{}",
        capitalized(widget_of(field).unwrap_or("text")),
        span = field.ident.span()
    );
    let required = required(field);
    let optional = field.optional;
    let constraints = constraints(field);
    let choices = field.options.choices.iter().map(|(value, label)| {
        quote! {
            ::mizan::Choice {
                value: ::std::string::String::from(#value),
                label: ::std::string::String::from(#label),
            }
        }
    });
    quote! {
        ::mizan::FieldSchema {
            name: ::std::string::String::from(#name),
            label: #label,
            help: #help,
            widget: ::mizan::Widget::#widget,
            required: #required,
            optional: #optional,
            constraints: #constraints,
            choices: ::std::vec![#(#choices),*],
        }
    }
}

/// Whether the server refuses the field empty: what its type and rules accept, said for the UI.
fn required(field: &Field) -> bool {
    if field.optional {
        return field
            .rules
            .iter()
            .any(|(rule, _)| matches!(rule, Rule::Required));
    }
    match field.class {
        // A text select takes only its choices: empty is refused unless it is one.
        TypeClass::Text if widget_of(field) == Some("select") => !field
            .options
            .choices
            .iter()
            .any(|(value, _)| value.value().is_empty()),
        TypeClass::Text => field.rules.iter().any(|(rule, _)| match rule {
            Rule::Length { min, .. } => min.is_some_and(|min| min > 0),
            Rule::Email { .. } => true,
            _ => false,
        }),
        TypeClass::Bool => false,
        TypeClass::Number | TypeClass::Other => true,
    }
}

fn constraints(field: &Field) -> TokenStream {
    let some_u64 = |value: Option<u64>| match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    let some_f64 = |value: Option<f64>| match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    let (mut min_length, mut max_length, mut min, mut max, mut email) = (
        some_u64(None),
        some_u64(None),
        some_f64(None),
        some_f64(None),
        false,
    );
    let mut must_match = quote!(::core::option::Option::None);
    let mut messages = Vec::new();
    for (rule, _) in &field.rules {
        let message = match rule {
            Rule::Length {
                min: low,
                max: high,
                message,
            } => {
                min_length = some_u64(*low);
                max_length = some_u64(*high);
                message
            }
            Rule::Range {
                min: low,
                max: high,
                message,
            } => {
                min = some_f64(*low);
                max = some_f64(*high);
                message
            }
            Rule::Email { message } => {
                email = true;
                message
            }
            Rule::MustMatch { other, message, .. } => {
                must_match =
                    quote!(::core::option::Option::Some(::std::string::String::from(#other)));
                message
            }
            Rule::Required => &None,
        };
        if let Some(message) = message {
            let rule = rule.name();
            messages.push(quote! {
                (::std::string::String::from(#rule), ::std::string::String::from(#message))
            });
        }
    }
    quote! {
        ::mizan::Constraints {
            min_length: #min_length,
            max_length: #max_length,
            min: #min,
            max: #max,
            email: #email,
            must_match: #must_match,
            messages: ::std::collections::BTreeMap::from([#(#messages),*]),
        }
        .with_default_messages()
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The submission's registry entry, compiled on the server only: a mutation named after the
/// form, run by the struct's `FormHandler`, its items in an anonymous `const` so that their short
/// names do not reach the caller's module.
fn server_items(
    options: &FormOptions,
    shape: &Shape,
    name: &str,
    output: &syn::Type,
) -> TokenStream {
    let ident = &shape.ident;
    let endpoint = paths::form_endpoint(name);
    let [check, args_schema, output_schema, body, run, invoke, def] = [
        "check",
        "args_schema",
        "output_schema",
        "body",
        "run",
        "invoke",
        "DEF",
    ]
    .map(|item| format_ident!("{item}"));
    let affects = &options.affects;
    let entry = Entry {
        idents: Idents {
            check: &check,
            args_schema: &args_schema,
            output_schema: &output_schema,
            body: &body,
            run: &run,
            invoke: &invoke,
            def: &def,
        },
        name,
        endpoint: &endpoint,
        kind: Kind::Mutation,
        auth: &options.auth,
        context: None,
        public: false,
        per_user: false,
        params: shape
            .fields
            .iter()
            .map(|field| Param {
                name: field.ident.to_string(),
                ty: &field.ty,
            })
            .collect(),
        affects: quote!(&[#(<#affects as ::mizan::Context>::NAME),*]),
        websocket: false,
        doc: shape.doc.clone(),
        args: ident,
        output,
        body: quote! {
            <#ident as ::mizan::__private::FormHandler>::on_submit_success(args, ctx).await
        },
        form: Some(ident),
    }
    .items();
    server_only(quote! {
        const _: () = {
            #entry
        };
    })
}
