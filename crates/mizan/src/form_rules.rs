//! A form's rules as the browser checks them, read from its schema: what `validator` decides on
//! the server, without `validator`'s `regex`, `idna` and `url` in the wasm bundle.
//!
//! A form's rules are a closed set (`length`, `range`, `email`, `required`, `must_match`, and a
//! text select's choices), and [`FormSchema`] carries every one of them, so the schema alone is
//! enough to say what the server would answer. The email rule is `validator`'s, written out by
//! hand; the step that turns an internationalized domain into its ASCII form is passed in (the
//! browser's own URL parser in wasm), so nothing of IDNA is compiled into the bundle. The shared
//! fixture `fixtures/forms.json` holds this module, `validator` and the TypeScript runtime to the
//! same answers.

use std::net::IpAddr;

use crate::error::FieldErrors;
use crate::form::{Constraints, FieldSchema, Form, FormSchema};

/// What a select answers when its value is not one of its choices (checked by the server and,
/// with the same words, by the browser).
pub const NOT_A_CHOICE: &str = "is not one of the choices";

/// A form's one rule set (what `#[derive(Form)]` makes `Form::rule_errors`): its fields' rules and
/// its text selects' choices, as each failing field's messages. `selects` are (field, value,
/// choices) of the selects whose type is a text (an enum's own type already refuses other
/// values). The server asks `validator`; the browser reads the rules from the form's schema.
pub fn form_rule_errors<F: Form>(
    form: &F,
    selects: &[(&'static str, Option<&str>, &[&str])],
) -> FieldErrors {
    #[cfg(target_arch = "wasm32")]
    let mut fields = match serde_json::to_value(form) {
        Ok(values) => form_errors(F::schema(), &values, &browser_to_ascii),
        // A form whose values do not serialize cannot be sent either; the server says why.
        Err(_) => FieldErrors::new(),
    };
    #[cfg(not(target_arch = "wasm32"))]
    let mut fields = crate::validation::rule_errors(form);
    // After the rules, as on the server. Only text selects: an enum's own type refuses other
    // values, and its serialized names need not be its listed choices.
    for (field, chosen, choices) in selects {
        if let Some(chosen) = chosen
            && !choices.contains(chosen)
        {
            fields
                .entry((*field).to_owned())
                .or_default()
                .push(NOT_A_CHOICE.to_owned());
        }
    }
    fields
}

/// A text's length as `validator` counts it: Unicode scalar values (an emoji is one, not two).
pub fn character_count(text: &str) -> u64 {
    text.chars().count() as u64
}

/// Whether `text` is an email address as `validator`'s `email` rule has it (0.20: a WHATWG local
/// part of at most 64 characters; a host name, an address literal or an internationalized domain
/// of at most 255). `to_ascii` turns a domain into its ASCII form, `None` when it cannot; it is
/// asked only about what reads as a host alone.
pub fn is_email_address(text: &str, to_ascii: impl Fn(&str) -> Option<String>) -> bool {
    let Some((user, domain)) = text.rsplit_once('@') else {
        return false;
    };
    if character_count(user) > 64 || character_count(domain) > 255 {
        return false;
    }
    if user.is_empty() || !user.chars().all(is_local_part_char) {
        return false;
    }
    // A URL parser reads a port, a path or credentials out of these instead of refusing them,
    // and drops the last dot of a numeric host (`1.2.3.4.`) where IDNA keeps it.
    let not_a_host = |c: char| c.is_whitespace() || "/?#@:\\[]%".contains(c);
    is_domain(domain)
        || (!domain.contains(not_a_host)
            && !domain.ends_with('.')
            && to_ascii(domain).is_some_and(|ascii| is_domain(&ascii)))
}

/// A character of the WHATWG local part: `[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]`.
fn is_local_part_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c)
}

/// A host name (labels of letters, digits and inner hyphens, 1 to 63 long), or an address literal
/// (`[127.0.0.1]`, `[::1]`) at the end of the domain.
fn is_domain(domain: &str) -> bool {
    let is_label = |label: &str| {
        let bytes = label.as_bytes();
        (1..=63).contains(&bytes.len())
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
    };
    if domain.split('.').all(is_label) {
        return true;
    }
    // `\[([a-fA-F0-9:.]+)\]\z`: the brackets' content holds neither bracket, so it starts after
    // the last `[`.
    let Some(inside) = domain.strip_suffix(']') else {
        return false;
    };
    let Some((_, literal)) = inside.rsplit_once('[') else {
        return false;
    };
    !literal.is_empty()
        && literal
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        && literal.parse::<IpAddr>().is_ok()
}

/// Every failing field of `values` (the form's fields as JSON, as it serializes) by the
/// `validator` rules of `schema`, with the messages the server answers, in the order `validator`
/// checks them (a select's choices are [`form_rule_errors`]'s, the same on both sides).
pub fn form_errors(
    schema: &FormSchema,
    values: &serde_json::Value,
    to_ascii: &dyn Fn(&str) -> Option<String>,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for field in &schema.fields {
        let value = values.get(&field.name).unwrap_or(&serde_json::Value::Null);
        let failed = failed_rules(field, value, values, to_ascii);
        if failed.is_empty() {
            continue;
        }
        let constraints = field.constraints.clone().with_default_messages();
        let messages = failed.into_iter().map(|rule| message(&constraints, rule));
        errors
            .entry(field.name.clone())
            .or_default()
            .extend(messages);
    }
    errors
}

/// The rules `value` breaks, by `validator`'s name, in `validator`'s order.
fn failed_rules(
    field: &FieldSchema,
    value: &serde_json::Value,
    values: &serde_json::Value,
    to_ascii: &dyn Fn(&str) -> Option<String>,
) -> Vec<&'static str> {
    let rules = &field.constraints;
    let mut failed = Vec::new();
    // An absent `Option` passes every rule but `required` and `must_match`, as in `validator`.
    if let Some(text) = value.as_str() {
        let count = character_count(text);
        if rules.min_length.is_some_and(|min| count < min)
            || rules.max_length.is_some_and(|max| count > max)
        {
            failed.push("length");
        }
        if rules.email && !is_email_address(text, to_ascii) {
            failed.push("email");
        }
    }
    if let Some(number) = value.as_f64()
        && (rules.min.is_some_and(|min| number < min) || rules.max.is_some_and(|max| number > max))
    {
        failed.push("range");
    }
    if field.optional && field.required && value.is_null() {
        failed.push("required");
    }
    if let Some(other) = &rules.must_match
        && values.get(other).unwrap_or(&serde_json::Value::Null) != value
    {
        failed.push("must_match");
    }
    failed
}

/// The rule's message: its own or the server's default (`required` has only the default).
fn message(constraints: &Constraints, rule: &'static str) -> String {
    constraints
        .messages
        .get(rule)
        .cloned()
        .unwrap_or_else(|| crate::validation::describe(&validator::ValidationError::new(rule)))
}

/// A domain's ASCII form as the browser's URL parser gives it (`bücher.de` →
/// `xn--bcher-kva.de`): `None` for what would read as something other than a host.
#[cfg(target_arch = "wasm32")]
pub fn browser_to_ascii(domain: &str) -> Option<String> {
    web_sys::Url::new(&format!("http://{domain}/"))
        .ok()
        .map(|url| url.hostname())
}

// Natively only: the WHATWG URL parser of the tests stands in for the browser's.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The browser's step, by the same WHATWG URL standard the browser follows.
    fn idna(domain: &str) -> Option<String> {
        let url = url::Url::parse(&format!("http://{domain}/")).ok()?;
        url.host_str().map(str::to_owned)
    }

    /// The shared fixture, as `validator` and the TypeScript runtime answer it.
    #[test]
    fn the_rules_fixture_holds() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../../fixtures/forms.json")).expect("json");
        for case in fixture["email"].as_array().expect("email cases") {
            let (text, valid) = (case[0].as_str().expect("text"), case[1].as_bool());
            assert_eq!(Some(is_email_address(text, idna)), valid, "email {text:?}");
        }
        for case in fixture["characters"].as_array().expect("length cases") {
            let (text, count) = (case[0].as_str().expect("text"), case[1].as_u64());
            assert_eq!(Some(character_count(text)), count, "{text:?}");
        }
    }

    #[test]
    fn address_literals_are_read_after_the_last_bracket() {
        assert!(is_email_address("a@x[127.0.0.1]", idna));
        assert!(!is_email_address("a@[1.2.3.4", idna));
        assert!(!is_email_address("a@[]", idna));
        assert!(!is_email_address("a@[x]", idna));
        assert!(!is_email_address("@example.com", idna));
    }
}
