//! Argument validation: rules declared with `validator` on `#[client]` arguments, as field errors.

use std::borrow::Cow;

use validator::{ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::{FieldErrors, MizanError};

/// Implemented by every `#[client]` argument struct: checks its rules before the function runs.
pub trait ValidateArgs {
    /// `Ok` when every rule holds, else a `VALIDATION_ERROR` naming each failing field.
    fn validate_args(&self) -> Result<(), MizanError>;
}

/// Runs `validator` rules and turns failures into a `VALIDATION_ERROR`.
pub fn check(value: &impl validator::Validate) -> Result<(), MizanError> {
    value
        .validate()
        .map_err(|errors| MizanError::validation(field_errors(&errors)))
}

/// `validator`'s rules on `value`, as each failing field's messages.
pub fn rule_errors(value: &impl validator::Validate) -> FieldErrors {
    match value.validate() {
        Ok(()) => FieldErrors::new(),
        Err(errors) => field_errors(&errors),
    }
}

/// `Ok` when no field failed, else the `VALIDATION_ERROR` naming each failing field.
pub fn refuse_invalid(fields: FieldErrors) -> Result<(), MizanError> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(MizanError::validation(fields))
    }
}

/// Flattens `validator`'s nested errors into `path → messages` (`address.city`, `items[2].name`).
pub fn field_errors(errors: &ValidationErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    collect(errors, "", &mut out);
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut FieldErrors) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.entry(path)
                    .or_default()
                    .extend(list.iter().map(describe));
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A sentence for one failed rule: the rule's own message when it has one.
pub fn describe(error: &ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    let text: Cow<'static, str> = match error.code.as_ref() {
        "length" => match (param("min"), param("max"), param("equal")) {
            (_, _, Some(equal)) => format!("must be exactly {equal} characters").into(),
            (Some(min), Some(max), _) => format!("must be {min} to {max} characters").into(),
            (Some(min), None, _) => format!("must be at least {min} characters").into(),
            (None, Some(max), _) => format!("must be at most {max} characters").into(),
            _ => "has the wrong length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}").into(),
            (Some(min), None) => format!("must be at least {min}").into(),
            (None, Some(max)) => format!("must be at most {max}").into(),
            _ => "is out of range".into(),
        },
        "email" => "must be an email address".into(),
        "url" => "must be a URL".into(),
        "required" => "is required".into(),
        "regex" => "has the wrong format".into(),
        "must_match" => "does not match".into(),
        other => format!("is invalid ({other})").into(),
    };
    text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use validator::Validate;

    #[derive(Validate)]
    struct Inner {
        #[validate(length(min = 2))]
        city: String,
    }

    #[derive(Validate)]
    struct Outer {
        #[validate(length(min = 1, max = 100))]
        name: String,
        #[validate(email)]
        email: String,
        #[validate(range(min = 1, message = "pick at least one"))]
        count: u32,
        #[validate(nested)]
        address: Inner,
    }

    #[test]
    fn failures_become_per_field_messages() {
        let value = Outer {
            name: String::new(),
            email: "nope".into(),
            count: 0,
            address: Inner { city: "x".into() },
        };
        let error = check(&value).expect_err("invalid");
        assert!(error.is_validation_error());
        assert_eq!(error.field_errors("name"), ["must be 1 to 100 characters"]);
        assert_eq!(error.field_errors("email"), ["must be an email address"]);
        assert_eq!(error.field_errors("count"), ["pick at least one"]);
        assert_eq!(
            error.field_errors("address.city"),
            ["must be at least 2 characters"]
        );
    }

    #[test]
    fn valid_values_pass() {
        let value = Outer {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            count: 3,
            address: Inner {
                city: "London".into(),
            },
        };
        assert!(check(&value).is_ok());
    }
}
