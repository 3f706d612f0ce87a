//! A form's state in Leptos: [`use_form`] (and each form's generated `use_<name>_form()`) answers
//! a [`FormHandle`]: the values, the errors (the form's own rules, run in wasm, and the server's,
//! merged per field), `set`, `submit`. An invalid form makes no request.

use std::collections::BTreeSet;

use leptos::prelude::*;
use serde_json::Value;

use crate::{
    error::{FieldErrors, MizanError},
    form::{FieldSchema, Form, FormFlash, FormSchema, Widget},
};

/// What a submission came to.
#[derive(Debug, Clone, PartialEq)]
pub struct FormResult<T> {
    /// Whether the server took it.
    pub success: bool,
    /// What it answered, on success.
    pub data: Option<T>,
}

/// One form's state: cheap to copy into closures (its parts are signals).
pub struct FormHandle<F: Form> {
    data: RwSignal<F>,
    errors: RwSignal<FieldErrors>,
    touched: RwSignal<BTreeSet<String>>,
    submitting: RwSignal<bool>,
    outcome: RwSignal<Option<F::Output>>,
    failure: RwSignal<Option<MizanError>>,
}

impl<F: Form> Clone for FormHandle<F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: Form> Copy for FormHandle<F> {}

/// A new form owned by the calling component: its `Default` values, or, on the page a form
/// posted without JavaScript came back to, what that submission left (the values kept and the
/// errors, or the success), read once on the server and handed to the browser with the page.
pub fn use_form<F: Form>() -> FormHandle<F> {
    let flash = SharedValue::new(|| take_flash(F::NAME)).into_inner();
    let (data, errors, failure, outcome) = match flash {
        Some(flash) => restore::<F>(flash),
        None => (F::default(), FieldErrors::new(), None, None),
    };
    FormHandle {
        touched: RwSignal::new(errors.keys().cloned().collect()),
        data: RwSignal::new(data),
        errors: RwSignal::new(errors),
        submitting: RwSignal::new(false),
        outcome: RwSignal::new(outcome),
        failure: RwSignal::new(failure),
    }
}

/// The flash of this form in the page's request (server side), removed once read; a flash the
/// server did not sign is removed unread.
#[cfg(feature = "ssr")]
fn take_flash(form: &str) -> Option<FormFlash> {
    use crate::server::form_post;
    let taken =
        with_context::<http::request::Parts, _>(|parts| form_post::take_flash(parts, form))?;
    if let Some(clear) = taken.clear
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.append_header(http::header::SET_COOKIE, clear);
    }
    taken.flash
}

/// In the browser the flash arrives with the page (see [`use_form`]), never from a cookie.
#[cfg(not(feature = "ssr"))]
fn take_flash(_form: &str) -> Option<FormFlash> {
    None
}

/// The state a flash describes: values read by each field's widget over the defaults.
fn restore<F: Form>(flash: FormFlash) -> (F, FieldErrors, Option<MizanError>, Option<F::Output>) {
    let mut data = F::default();
    for (name, text) in flash.values {
        let Some(field) = F::schema().fields.iter().find(|field| field.name == name) else {
            continue;
        };
        if let Some(next) = with_field(&data, &name, input_value(field, text)) {
            data = next;
        }
    }
    // An output of `()` travels as `null`: `succeeded` says it was a success all the same.
    let output = flash
        .succeeded
        .then(|| serde_json::from_value(flash.output.unwrap_or_default()).ok())
        .flatten();
    (data, flash.errors, flash.failure, output)
}

impl<F: Form> FormHandle<F> {
    /// What the form is rendered from.
    pub fn schema(&self) -> &'static FormSchema {
        F::schema()
    }

    /// The values (tracked).
    pub fn data(&self) -> F {
        self.data.get()
    }

    /// One field's value as JSON (tracked): what an input shows.
    pub fn value(&self, field: &str) -> Value {
        self.data.with(|data| {
            serde_json::to_value(data)
                .ok()
                .and_then(|mut all| all.get_mut(field).map(Value::take))
                .unwrap_or(Value::Null)
        })
    }

    /// Changes the values with `change`; with live validation the fields already visited are
    /// checked again.
    pub fn update(&self, change: impl FnOnce(&mut F)) {
        self.data.update(change);
        if F::schema().live_validation {
            self.check_touched();
        }
    }

    /// Sets `field` to `value` (JSON of the field's type). A value the field's type does not
    /// take (a word in a number) leaves the values as they were and says so under the field.
    pub fn set(&self, field: &str, value: Value) {
        let next = self
            .data
            .with_untracked(|data| with_field(data, field, value));
        match next {
            Some(next) => {
                self.data.set(next);
                self.errors.update(|errors| {
                    errors.remove(field);
                });
                if F::schema().live_validation {
                    self.check_touched();
                }
            }
            None => self.errors.update(|errors| {
                errors.insert(field.to_owned(), vec![not_taken(field)]);
            }),
        }
    }

    /// Sets `field` from what its input holds (the text of a text, number or select, `"true"`
    /// for a checked checkbox), read by the field's widget.
    pub fn set_input(&self, field: &str, text: String) {
        let Some(schema) = F::schema().fields.iter().find(|f| f.name == field) else {
            return;
        };
        self.set(field, input_value(schema, text));
    }

    /// Marks `field` visited (it left focus): with live validation, its rules run from now on.
    pub fn touch(&self, field: &str) {
        let first = self
            .touched
            .try_update(|touched| touched.insert(field.to_owned()))
            .unwrap_or(false);
        if first && F::schema().live_validation {
            self.check_touched();
        }
    }

    /// Every field's errors (tracked).
    pub fn errors(&self) -> FieldErrors {
        self.errors.get()
    }

    /// One field's errors (tracked).
    pub fn field_errors(&self, field: &str) -> Vec<String> {
        self.errors
            .with(|errors| errors.get(field).cloned().unwrap_or_default())
    }

    /// Whether a submission is on its way (tracked).
    pub fn is_submitting(&self) -> bool {
        self.submitting.get()
    }

    /// What the last successful submission answered (tracked).
    pub fn succeeded(&self) -> Option<F::Output> {
        self.outcome.get()
    }

    /// The last submission's error when it was not about fields (tracked): a network failure,
    /// `UNAUTHORIZED`, ...
    pub fn failure(&self) -> Option<MizanError> {
        self.failure.get()
    }

    /// Runs the form's rules on every field; `true` when they all hold.
    pub fn validate(&self) -> bool {
        let errors = self.data.with_untracked(F::rule_errors);
        let valid = errors.is_empty();
        self.errors.set(errors);
        valid
    }

    /// Validates, and when the rules hold sends the form: the server's field errors are shown
    /// under their fields, its answer is [`FormResult::data`]. Invalid values make no request.
    /// A success of a form with a `redirect` then loads that page.
    pub async fn submit(&self) -> FormResult<F::Output> {
        let fields: BTreeSet<String> = F::schema().fields.iter().map(|f| f.name.clone()).collect();
        self.touched.set(fields);
        self.failure.set(None);
        if !self.validate() {
            return FormResult {
                success: false,
                data: None,
            };
        }
        self.submitting.set(true);
        let data = self.data.get_untracked();
        let answer = crate::browser::runtime::submit_form::<F, F::Output>(F::NAME, &data).await;
        self.submitting.set(false);
        match answer {
            Ok(output) => {
                self.outcome.set(Some(output.clone()));
                if let Some(path) = &F::schema().redirect {
                    go_to(path);
                }
                FormResult {
                    success: true,
                    data: Some(output),
                }
            }
            Err(error) => {
                match error.fields() {
                    Some(fields) => self.errors.set(fields),
                    None => self.failure.set(Some(error)),
                }
                FormResult {
                    success: false,
                    data: None,
                }
            }
        }
    }

    /// The rules again, their errors kept for the visited fields only.
    fn check_touched(&self) {
        let errors = self.data.with_untracked(F::rule_errors);
        let touched = self.touched.get_untracked();
        self.errors.set(
            errors
                .into_iter()
                .filter(|(field, _)| touched.contains(field))
                .collect(),
        );
    }
}

/// Loads `path` as a new page. A full navigation rather than the router's: a form that redirects
/// typically signs in or out, and a new page starts over as the new visitor (every context read
/// anew, the socket opened with the new session) instead of keeping what the old one was shown.
#[cfg(not(feature = "ssr"))]
fn go_to(path: &str) {
    if let Err(error) = window().location().assign(path) {
        leptos::logging::error!("cannot load {path}: {error:?}");
    }
}

/// The server never submits a form (submissions run in the browser).
#[cfg(feature = "ssr")]
fn go_to(_path: &str) {}

/// `data` with `field` set to `value`, when its type takes it.
fn with_field<F: Form>(data: &F, field: &str, value: Value) -> Option<F> {
    let mut all = serde_json::to_value(data).ok()?;
    *all.get_mut(field)? = value;
    serde_json::from_value(all).ok()
}

fn not_taken(field: &str) -> String {
    format!("this is not a value `{field}` takes")
}

/// An input's text as the JSON its field's type decodes from.
pub(crate) fn input_value(field: &FieldSchema, text: String) -> Value {
    match field.widget {
        Widget::Checkbox => Value::Bool(text == "true" || text == "on"),
        Widget::Number => {
            let trimmed = text.trim();
            if trimmed.is_empty() && !field.required {
                Value::Null
            } else if let Ok(integer) = trimmed.parse::<i64>() {
                Value::from(integer)
            } else if let Ok(float) = trimmed.parse::<f64>() {
                Value::from(float)
            } else {
                Value::String(text)
            }
        }
        _ => Value::String(text),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::input_value;
    use crate::form::{Constraints, FieldSchema, Widget};

    fn field(widget: Widget, required: bool) -> FieldSchema {
        FieldSchema {
            name: "f".into(),
            label: "F".into(),
            help: None,
            widget,
            required,
            optional: false,
            constraints: Constraints::default(),
            choices: Vec::new(),
        }
    }

    #[test]
    fn inputs_are_read_by_their_widget() {
        assert_eq!(
            input_value(&field(Widget::Number, true), "42".into()),
            json!(42)
        );
        assert_eq!(
            input_value(&field(Widget::Number, true), " 1.5".into()),
            json!(1.5)
        );
        assert_eq!(
            input_value(&field(Widget::Number, false), "".into()),
            json!(null)
        );
        assert_eq!(
            input_value(&field(Widget::Number, true), "x".into()),
            json!("x")
        );
        assert_eq!(
            input_value(&field(Widget::Checkbox, false), "on".into()),
            json!(true)
        );
        assert_eq!(
            input_value(&field(Widget::Text, true), " a ".into()),
            json!(" a ")
        );
    }
}
