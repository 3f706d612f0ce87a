//! `<MizanForm>`: a form rendered from its schema. It is a real `<form method="post">` whose
//! action is the form's endpoint, so it submits before the wasm has loaded; once hydrated it
//! checks its rules in the browser and submits without a page load. Each field can be replaced.

use std::sync::Arc;

use leptos::{either::EitherOf4, prelude::*};
use serde_json::Value;

use crate::{
    form::{FieldSchema, Form, Widget},
    protocol::FORM_PREFIX,
    ui::form::FormHandle,
};

/// Renders one field instead of the default input: `Some(view)` replaces it, `None` keeps it.
pub type FieldView = Arc<dyn Fn(&'static FieldSchema) -> Option<AnyView> + Send + Sync>;

/// A form rendered from its schema, submitting through `form`.
///
/// Its markup is meant to be styled: `mizan-form` on the form, `mizan-form-title`,
/// `mizan-field` around each field (with `mizan-field-invalid` while it has errors),
/// `mizan-label`, `mizan-input`, `mizan-help`, `mizan-field-errors`, `mizan-form-error`,
/// `mizan-submit` and `mizan-form-success`. Each label names its input (`for`), and each input
/// points a screen reader at its help and its errors (`aria-describedby`, `aria-invalid`).
/// Test ids: `<name>-form`, `<name>-<field>` on each input, `field-error-<field>` on each
/// field's errors, `<name>-submit`, `<name>-success`, `<name>-error` (a failure not about one
/// field).
#[component]
pub fn MizanForm<F: Form>(
    /// The form's state, from its `use_<name>_form()`.
    form: FormHandle<F>,
    /// Renders the fields it chooses itself (see [`FieldView`]).
    #[prop(optional)]
    field_view: Option<FieldView>,
) -> impl IntoView {
    let schema = F::schema();
    let name = schema.name.as_str();
    let fields = schema
        .fields
        .iter()
        .map(|field| {
            field_view
                .as_ref()
                .and_then(|custom| custom(field))
                .unwrap_or_else(|| field_row(form, name, field).into_any())
        })
        .collect_view();
    let submit = move |event: leptos::ev::SubmitEvent| {
        // Hydrated: the browser checks and sends the form itself, without a page load.
        event.prevent_default();
        leptos::task::spawn_local(async move {
            form.submit().await;
        });
    };
    view! {
        <form
            class="mizan-form"
            method="post"
            action=format!("{FORM_PREFIX}{name}")
            novalidate=true
            data-testid=format!("{name}-form")
            on:submit=submit
        >
            <h2 class="mizan-form-title">{schema.title.clone()}</h2>
            {fields}
            <p class="mizan-form-error" role="alert" data-testid=format!("{name}-error")>
                {move || form.failure().map(|error| error.message)}
            </p>
            <button
                type="submit"
                class="mizan-submit"
                data-testid=format!("{name}-submit")
                disabled=move || form.is_submitting()
            >
                {schema.submit_label.clone()}
            </button>
            {move || {
                form.succeeded()
                    .map(|_| {
                        view! {
                            <p
                                class="mizan-form-success"
                                role="status"
                                data-testid=format!("{name}-success")
                            >
                                {schema.success_message.clone()}
                            </p>
                        }
                    })
            }}
        </form>
    }
}

/// A field's label, input, help and errors.
fn field_row<F: Form>(
    form: FormHandle<F>,
    form_name: &'static str,
    field: &'static FieldSchema,
) -> impl IntoView {
    let id = format!("{form_name}-{}", field.name);
    let name = field.name.as_str();
    let errors = move || {
        form.field_errors(name)
            .into_iter()
            .map(|message| view! { <li>{message}</li> })
            .collect_view()
    };
    let help_id = format!("{id}-help");
    let errors_id = format!("{id}-errors");
    let class = move || {
        if form.field_errors(name).is_empty() {
            "mizan-field"
        } else {
            "mizan-field mizan-field-invalid"
        }
    };
    view! {
        <div class=class>
            <label class="mizan-label" for=id.clone()>
                {field.label.clone()}
            </label>
            {input(form, id, field)}
            {field.help.clone().map(|help| view! { <p class="mizan-help" id=help_id>{help}</p> })}
            <ul class="mizan-field-errors" id=errors_id data-testid=format!("field-error-{name}")>
                {errors}
            </ul>
        </div>
    }
}

/// A textarea's initial text as the server writes it: escaped (see the textarea in [`input`]).
#[cfg(feature = "ssr")]
fn textarea_text(text: String) -> String {
    html_escape::encode_text(&text).into_owned()
}

/// In the browser the text is set as text, never parsed.
#[cfg(not(feature = "ssr"))]
fn textarea_text(text: String) -> String {
    text
}

/// What an input shows for a value.
fn text_of(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The input of a field's widget.
fn input<F: Form>(form: FormHandle<F>, id: String, field: &'static FieldSchema) -> impl IntoView {
    let name = field.name.as_str();
    let shown = move || text_of(&form.value(name));
    let invalid = move || (!form.field_errors(name).is_empty()).to_string();
    let on_input = move |event: leptos::ev::Event| form.set_input(name, event_target_value(&event));
    let blur = move |_: leptos::ev::FocusEvent| form.touch(name);
    // Its help (when it has one) and its errors, read after the label by screen readers.
    let described_by = match field.help {
        Some(_) => format!("{id}-help {id}-errors"),
        None => format!("{id}-errors"),
    };
    let constraints = &field.constraints;
    let max_length = constraints.max_length.map(|max| max.to_string());
    match field.widget {
        Widget::Textarea => EitherOf4::A(view! {
            // Leptos writes a textarea's children unescaped and never hydrates them
            // (leptos-rs/leptos#4819): the server escapes what it writes there, so a value holding
            // `</textarea>` stays text.
            <textarea
                id=id.clone()
                class="mizan-input"
                name=name
                data-testid=id
                required=field.required
                maxlength=max_length
                aria-invalid=invalid
                aria-describedby=described_by
                prop:value=shown
                on:input=on_input
                on:blur=blur
            >
                {move || textarea_text(shown())}
            </textarea>
        }),
        Widget::Select => {
            let options = field
                .choices
                .iter()
                .map(|choice| {
                    let value = choice.value.clone();
                    let selected = move || shown() == value;
                    view! {
                        <option value=choice.value.clone() selected=selected>
                            {choice.label.clone()}
                        </option>
                    }
                })
                .collect_view();
            EitherOf4::B(view! {
                <select
                    id=id.clone()
                    class="mizan-input"
                    name=name
                    data-testid=id
                    aria-invalid=invalid
                    aria-describedby=described_by
                    on:change=on_input
                    on:blur=blur
                >
                    {options}
                </select>
            })
        }
        Widget::Checkbox => EitherOf4::C(view! {
            // Unchecked boxes send nothing: a hidden `false` first, the box's `true` after it.
            <input type="hidden" name=name value="false"/>
            <input
                type="checkbox"
                id=id.clone()
                class="mizan-input"
                name=name
                value="true"
                data-testid=id
                aria-invalid=invalid
                aria-describedby=described_by
                prop:checked=move || form.value(name) == Value::Bool(true)
                on:change=move |event| {
                    let checked = event_target_checked(&event);
                    form.set(name, Value::Bool(checked));
                }
            />
        }),
        widget => {
            let kind = match widget {
                Widget::Email => "email",
                Widget::Number => "number",
                Widget::Password => "password",
                _ => "text",
            };
            let min = constraints.min.map(|min| min.to_string());
            let max = constraints.max.map(|max| max.to_string());
            // A password is never written back into the page.
            let value = move || {
                if kind == "password" {
                    String::new()
                } else {
                    shown()
                }
            };
            EitherOf4::D(view! {
                <input
                    type=kind
                    id=id.clone()
                    class="mizan-input"
                    name=name
                    data-testid=id
                    required=field.required
                    maxlength=max_length
                    min=min
                    max=max
                    aria-invalid=invalid
                    aria-describedby=described_by
                    value=value
                    prop:value=value
                    on:input=on_input
                    on:blur=blur
                />
            })
        }
    }
}
