//! The items `#[derive(Form)]` writes: the `Form` impl with its schema, the rules' check, and, on
//! the server, the submission's registry entry (a mutation named after the form, run by the
//! struct's `FormHandler`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{
    analysis::{Field, Shape, TypeClass},
    attributes::{Auth, FormOptions, Rule},
    checks::widget_of,
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
    let output = options
        .output
        .as_ref()
        .map_or_else(|| quote!(()), |ty| quote!(#ty));
    let fields = shape.fields.iter().map(field_schema);
    let validate = validate_body(shape);
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
                    initial: ::mizan::__private::serde_json::to_value(
                        <#ident as ::core::default::Default>::default(),
                    )
                    .unwrap_or_default(),
                    fields: ::std::vec![#(#fields),*],
                })
            }
        }
        impl ::mizan::__private::ValidateArgs for #ident {
            fn validate_args(&self) -> ::core::result::Result<(), ::mizan::MizanError> {
                #validate
            }
        }
        #server
    }
}

/// The rules, and for selects of a text type, their choices.
fn validate_body(shape: &Shape) -> TokenStream {
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
    if selects.is_empty() {
        quote!(::mizan::__private::check_rules(self))
    } else {
        quote!(::mizan::__private::check_form(self, &[#(#selects),*]))
    }
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

/// The submission's registry entry, compiled on the server only.
fn server_items(
    options: &FormOptions,
    shape: &Shape,
    name: &str,
    output: &TokenStream,
) -> TokenStream {
    let ident = &shape.ident;
    let endpoint = format!("/api/mizan/form/{name}");
    let doc = &shape.doc;
    let auth = match options.auth {
        Auth::Public => quote!(::mizan::__private::AuthRule::Public),
        Auth::SignedIn => quote!(::mizan::__private::AuthRule::SignedIn),
        Auth::Staff => quote!(::mizan::__private::AuthRule::Staff),
    };
    let affects = options
        .affects
        .iter()
        .map(|path| quote!(<#path as ::mizan::Context>::NAME));
    let params = shape.fields.iter().map(|field| {
        let (field_name, ty) = (field.ident.to_string(), &field.ty);
        let written = quote!(#ty).to_string().replace(' ', "");
        quote! {
            ::mizan::__private::ParamDef {
                name: #field_name,
                ty: #written,
                type_id: ::core::any::TypeId::of::<#ty>,
            }
        }
    });
    quote! {
        #[cfg(feature = "ssr")]
        ::mizan::__private::server_items! {
            const _: () = {
                async fn body(
                    ctx: ::mizan::__private::RequestContext,
                    form: #ident,
                ) -> ::core::result::Result<#output, ::mizan::MizanError> {
                    <#ident as ::mizan::__private::FormHandler>::on_submit_success(form, ctx).await
                }
                async fn run(
                    ctx: ::mizan::__private::RequestContext,
                    args: ::mizan::__private::RawArgs,
                ) -> ::core::result::Result<::mizan::__private::Outcome, ::mizan::MizanError> {
                    ::mizan::__private::execute(&DEF, ctx, args, body, ::mizan::__private::Data)
                        .await
                }
                fn invoke(
                    ctx: ::mizan::__private::RequestContext,
                    args: ::mizan::__private::RawArgs,
                ) -> ::mizan::__private::BoxFuture<
                    'static,
                    ::core::result::Result<::mizan::__private::Outcome, ::mizan::MizanError>,
                > {
                    ::std::boxed::Box::pin(run(ctx, args))
                }
                fn args_schema(
                    generator: &mut ::mizan::__private::schemars::SchemaGenerator,
                ) -> ::mizan::__private::schemars::Schema {
                    generator.subschema_for::<#ident>()
                }
                fn output_schema(
                    generator: &mut ::mizan::__private::schemars::SchemaGenerator,
                ) -> ::mizan::__private::schemars::Schema {
                    generator.subschema_for::<#output>()
                }
                static DEF: ::mizan::__private::FunctionDef = ::mizan::__private::FunctionDef {
                    name: #name,
                    kind: ::mizan::__private::FunctionKind::Mutation,
                    endpoint: #endpoint,
                    auth: #auth,
                    context: ::core::option::Option::None,
                    public: false,
                    params: &[#(#params),*],
                    affects: &[#(#affects),*],
                    websocket: false,
                    doc: #doc,
                    args_schema,
                    output_schema: ::core::option::Option::Some(output_schema),
                    invoke,
                    form: ::core::option::Option::Some(<#ident as ::mizan::Form>::schema),
                };
                ::mizan::__private::inventory::submit! {
                    ::mizan::__private::FunctionRef(&DEF)
                }
            };
        }
    }
}
