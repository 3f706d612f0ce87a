//! Forms: one Rust struct is the form (its fields, their widgets, their `validator` rules), read by
//! the server, the browser and the React export alike. `#[derive(Form)]` writes the [`Form`]
//! impl; the server's [`FormHandler`](crate::server::FormHandler) says what a valid submission
//! does.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::error::FieldErrors;

/// A form: what `#[derive(Form)]` implements for a struct whose fields carry `validator` rules
/// and `#[field(...)]` hints. Its submission is a mutation named [`Form::NAME`]: called like any
/// function (`POST /api/mizan/call/` with the fields as arguments), validated by the same rules on
/// both sides, answered with [`Form::Output`].
pub trait Form:
    Serialize + DeserializeOwned + validator::Validate + Default + Clone + Send + Sync + 'static
{
    /// The form's name (`#[form(name = "contact")]`): its call name, its hooks' names.
    const NAME: &'static str;
    /// What a successful submission answers (`#[form(output = T)]`, `()` by default).
    type Output: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;
    /// What user interfaces render the form from.
    fn schema() -> &'static FormSchema;

    /// Every rule of the form, as each failing field's messages: its fields' `validator` rules,
    /// and (as `#[derive(Form)]` writes it) a text select's value among its choices. The one
    /// rule set of the form: the server refuses a submission by it and the Leptos hook shows it,
    /// in wasm, before any request.
    fn rule_errors(&self) -> FieldErrors {
        crate::validation::rule_errors(self)
    }
}

/// What user interfaces render a form from: its fields in order, with what each accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FormSchema {
    /// The form's name.
    pub name: String,
    /// Its heading.
    pub title: String,
    /// The submit button's label.
    pub submit_label: String,
    /// What is shown once a submission succeeded.
    pub success_message: String,
    /// Whether fields are checked as they change (else on submit).
    pub live_validation: bool,
    /// Where the browser goes once a submission succeeded (`#[form(redirect = "/")]`): a path of
    /// this site. Without it the browser stays on the form's page, which shows the success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    /// The values a new form starts with (the struct's `Default`).
    pub initial: serde_json::Value,
    /// The fields, in declaration order.
    pub fields: Vec<FieldSchema>,
}

/// One field of a [`FormSchema`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldSchema {
    /// The field's name: its key in the submitted object and in field errors.
    pub name: String,
    /// Its label (`#[field(label = "...")]`, else the name in words).
    pub label: String,
    /// Help shown under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// How it is edited.
    pub widget: Widget,
    /// Whether the server refuses it empty (a text without a minimum length, a checkbox or an
    /// `Option` are not required).
    pub required: bool,
    /// Declared `Option<...>`: it may be left out (or `null`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub optional: bool,
    /// What its rules accept.
    #[serde(default)]
    pub constraints: Constraints,
    /// A select's choices, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
}

/// How a field is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Widget {
    /// A one-line text.
    Text,
    /// An email address.
    Email,
    /// A text of several lines.
    Textarea,
    /// A number.
    Number,
    /// A yes or no.
    Checkbox,
    /// One of a list of choices.
    Select,
    /// A secret text, never shown back.
    Password,
}

/// What a field's `validator` rules accept, for user interfaces and the React export (the rules
/// themselves still decide, on the server and in wasm).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Constraints {
    /// Fewest characters (`length(min)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// Most characters (`length(max)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// Smallest value (`range(min)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value (`range(max)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// An email address (`email`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub email: bool,
    /// The field it must equal, by name (`must_match(other = "password")`): a confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub must_match: Option<String>,
    /// The rules' own messages, by rule (`length`, `range`, `email`, `must_match`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub messages: BTreeMap<String, String>,
}

impl Constraints {
    /// The same with a message for each rule: the rule's own, else the one the server answers
    /// (so the browser's checks say exactly what the server would).
    pub fn with_default_messages(mut self) -> Self {
        let mut default = |rule: &'static str, params: [(&'static str, Option<f64>); 2]| {
            if self.messages.contains_key(rule) {
                return;
            }
            let mut error = validator::ValidationError::new(rule);
            for (name, value) in params {
                if let Some(value) = value {
                    // Whole numbers as the rule writes them (`100`, not `100.0`).
                    if value.fract() == 0.0 && value.abs() < 9.0e15 {
                        error.add_param(name.into(), &(value as i64));
                    } else {
                        error.add_param(name.into(), &value);
                    }
                }
            }
            self.messages
                .insert(rule.to_owned(), crate::validation::describe(&error));
        };
        if self.min_length.is_some() || self.max_length.is_some() {
            let (min, max) = (self.min_length, self.max_length);
            default(
                "length",
                [
                    ("min", min.map(|n| n as f64)),
                    ("max", max.map(|n| n as f64)),
                ],
            );
        }
        if self.min.is_some() || self.max.is_some() {
            let (min, max) = (self.min, self.max);
            default("range", [("min", min), ("max", max)]);
        }
        if self.email {
            default("email", [("min", None), ("max", None)]);
        }
        if self.must_match.is_some() {
            default("must_match", [("min", None), ("max", None)]);
        }
        self
    }
}

/// One choice of a select.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Choice {
    /// What is submitted.
    pub value: String,
    /// What is shown.
    pub label: String,
}

/// What a form posted without JavaScript came to, carried back to its page (in a short-lived
/// cookie, then to the browser in the page's hydration data): the values kept and the errors, or
/// the success.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct FormFlash {
    /// The form's name.
    pub form: String,
    /// The values as sent (passwords left out), by field.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
    /// Each failing field's messages.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: FieldErrors,
    /// A failure not about one field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<crate::error::MizanError>,
    /// Whether the submission succeeded (its output may be `null`, which alone would read as
    /// no output at all).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub succeeded: bool,
    /// The output of a successful submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<serde_json::Value>,
}

/// A field's name as words for its default label: `first_name` → `First name`.
pub fn label_of(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Constraints, Widget, label_of};

    /// The shared fixture (also run by vitest against the browser's rules): `validator` gives
    /// these answers.
    #[test]
    fn the_rules_fixture_holds_for_validator() {
        use validator::{ValidateEmail, ValidateLength};
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../../fixtures/forms.json")).expect("json");
        for case in fixture["email"].as_array().expect("email cases") {
            let (text, valid) = (case[0].as_str().expect("text"), case[1].as_bool());
            assert_eq!(Some(text.validate_email()), valid, "email {text:?}");
        }
        for case in fixture["characters"].as_array().expect("length cases") {
            let (text, count) = (case[0].as_str().expect("text"), case[1].as_u64());
            assert!(
                text.validate_length(count, count, None),
                "{text:?} is {count:?} characters to validator"
            );
        }
    }

    #[test]
    fn a_confirmation_says_what_the_server_says() {
        let own = Constraints {
            must_match: Some("password".into()),
            messages: [("must_match".to_owned(), "is not the password".to_owned())].into(),
            ..Constraints::default()
        };
        assert_eq!(own.clone().with_default_messages(), own);
        let default = Constraints {
            must_match: Some("password".into()),
            ..Constraints::default()
        }
        .with_default_messages();
        assert_eq!(default.messages["must_match"], "does not match");
        assert_eq!(
            serde_json::to_value(&default).expect("json"),
            serde_json::json!({"must_match": "password", "messages": {"must_match": "does not match"}})
        );
    }

    #[test]
    fn default_labels_are_the_names_in_words() {
        assert_eq!(label_of("first_name"), "First name");
        assert_eq!(label_of("email"), "Email");
        assert_eq!(label_of("é_x"), "É x");
    }

    #[test]
    fn schemas_leave_out_what_a_field_does_not_have() {
        let constraints = Constraints {
            max_length: Some(100),
            ..Constraints::default()
        };
        assert_eq!(
            serde_json::to_string(&constraints).expect("json"),
            r#"{"max_length":100}"#
        );
        assert_eq!(
            serde_json::to_string(&Widget::Textarea).expect("json"),
            r#""textarea""#
        );
    }
}
