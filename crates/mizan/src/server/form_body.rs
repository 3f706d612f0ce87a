//! A plain HTML form's body (`application/x-www-form-urlencoded`) as a function's arguments:
//! form values are all text, so each is read by its parameter's declared type.

use serde_json::Value;

use super::registry::FunctionDef;
use crate::{error::MizanError, protocol::RawArgs};

/// The body's fields, in order, as sent.
pub(crate) fn fields(bytes: &[u8]) -> Result<Vec<(String, String)>, MizanError> {
    serde_urlencoded::from_bytes(bytes)
        .map_err(|error| MizanError::bad_request(format!("malformed form body: {error}")))
}

/// The fields as the arguments object of `def` (a name sent twice keeps its last value: a
/// checkbox after its hidden `false`).
pub(crate) fn arguments(
    def: &FunctionDef,
    fields: Vec<(String, String)>,
) -> Result<RawArgs, MizanError> {
    let object: serde_json::Map<String, Value> = fields
        .into_iter()
        .map(|(name, text)| {
            let value = form_value(def, &name, text);
            (name, value)
        })
        .collect();
    RawArgs::from_value(&object)
        .map_err(|error| MizanError::bad_request(format!("malformed form body: {error}")))
}

/// A form field as the JSON the parameter's type decodes from: form values are all text, so
/// numbers and booleans are read by the declared type, compared as a type (an alias of `i64` is
/// an `i64`). A field that does not parse stays text and fails decoding with the field named.
fn form_value(def: &FunctionDef, name: &str, text: String) -> Value {
    use std::any::TypeId;

    let Some(param) = def.params.iter().find(|p| p.name == name) else {
        return Value::String(text);
    };
    let ty = (param.type_id)();
    let is = |ids: &[TypeId]| ids.contains(&ty);
    let signed = [
        TypeId::of::<i8>(),
        TypeId::of::<i16>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
        TypeId::of::<isize>(),
    ];
    let unsigned = [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
    ];
    let parsed = if is(&signed) {
        text.trim().parse::<i64>().ok().map(Value::from)
    } else if is(&unsigned) {
        text.trim().parse::<u64>().ok().map(Value::from)
    } else if is(&[TypeId::of::<f32>(), TypeId::of::<f64>()]) {
        text.trim().parse::<f64>().ok().map(Value::from)
    } else if is(&[TypeId::of::<bool>()]) {
        // A checked checkbox sends `on`; an unchecked one sends nothing.
        match text.as_str() {
            "true" | "on" => Some(Value::Bool(true)),
            "false" | "off" => Some(Value::Bool(false)),
            _ => None,
        }
    } else {
        None
    };
    parsed.unwrap_or(Value::String(text))
}
