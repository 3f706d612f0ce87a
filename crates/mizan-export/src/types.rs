//! `generated.mizan.ts`: the TypeScript types of the document's schemas (`components`) and of
//! each function's arguments and result (`operations`).
//!
//! They are written here, from the JSON Schemas schemars made of the Rust types, rather than by
//! a JavaScript tool: generating then needs no particular TypeScript in the app (the
//! TypeScript API such tools build on is gone from TypeScript 7), and every generated file
//! comes from one program.
//!
//! The schemas are draft 2020-12 as schemars writes them: `$ref`s to `#/components/schemas/`,
//! `type` (a name or a list), `properties` and `required`, `additionalProperties`, `items` and
//! `prefixItems`, `enum`, `const`, `oneOf` / `anyOf` / `allOf`. Anything else reads as
//! `unknown`, never as a wrong type.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::{HEADER, functions::Function};

/// Where the document's named schemas are, as `$ref`s name them.
const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// How tightly a rendered type binds: an array's element or an intersection's member that binds
/// more loosely needs parentheses (`(A | B)[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Binding {
    Union,
    Intersection,
    Atom,
}

/// A rendered type and how tightly it binds.
struct Rendered {
    text: String,
    binding: Binding,
}

impl Rendered {
    fn atom(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            binding: Binding::Atom,
        }
    }

    /// Its text, in parentheses when it binds more loosely than `needed`.
    fn at_least(self, needed: Binding) -> String {
        if self.binding < needed {
            format!("({})", self.text)
        } else {
            self.text
        }
    }
}

/// `members` joined into a union or an intersection (`binding`), each once; one member stands
/// alone.
fn join(members: Vec<Rendered>, binding: Binding) -> Rendered {
    let mut unique: Vec<Rendered> = Vec::new();
    for member in members {
        if !unique.iter().any(|seen| seen.text == member.text) {
            unique.push(member);
        }
    }
    if unique.len() <= 1 {
        return unique.pop().unwrap_or_else(|| {
            Rendered::atom(if binding == Binding::Union {
                "never"
            } else {
                "unknown"
            })
        });
    }
    let (separator, texts): (&str, Vec<String>) = match binding {
        // A union's members need no parentheses: `A & B | C` reads as meant.
        Binding::Union => (
            " | ",
            unique.into_iter().map(|member| member.text).collect(),
        ),
        _ => (
            " & ",
            unique
                .into_iter()
                .map(|member| member.at_least(Binding::Intersection))
                .collect(),
        ),
    };
    Rendered {
        text: texts.join(separator),
        binding,
    }
}

/// `text` as a single-quoted TypeScript string.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            // Line separators end a line in older parsers; control characters are unreadable.
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A JSON value as a TypeScript literal type (`'general'`, `3`, `true`, `null`).
fn literal(value: &Value) -> Rendered {
    match value {
        Value::String(text) => Rendered::atom(quoted(text)),
        Value::Number(_) | Value::Bool(_) | Value::Null => Rendered::atom(value.to_string()),
        // A list or an object as a constant: its shape is not worth a literal type.
        Value::Array(_) | Value::Object(_) => Rendered::atom("unknown"),
    }
}

/// A property name as TypeScript writes it: bare when it is an identifier, else quoted.
fn property_name(name: &str) -> String {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        name.to_owned()
    } else {
        quoted(name)
    }
}

/// The type a `$ref` names.
fn reference(target: &str) -> Rendered {
    match target.strip_prefix(SCHEMA_PREFIX) {
        Some(name) => Rendered::atom(format!("components['schemas'][{}]", quoted(name))),
        None => Rendered::atom("unknown"),
    }
}

/// `schema`'s `description` (and `deprecated`) as a JSDoc comment at `depth`, if it has one.
fn doc_comment(out: &mut String, schema: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    let mut lines: Vec<String> = schema
        .get("description")
        .and_then(Value::as_str)
        .map(|text| {
            text.trim()
                .lines()
                .map(|line| line.trim_end().replace("*/", "*\\/"))
                .collect()
        })
        .unwrap_or_default();
    if schema.get("deprecated").and_then(Value::as_bool) == Some(true) {
        lines.push("@deprecated".to_owned());
    }
    match lines.as_slice() {
        [] => {}
        [line] => {
            let _ = writeln!(out, "{indent}/** {line} */");
        }
        lines => {
            let _ = writeln!(out, "{indent}/**");
            for line in lines {
                if line.is_empty() {
                    let _ = writeln!(out, "{indent} *");
                } else {
                    let _ = writeln!(out, "{indent} * {line}");
                }
            }
            let _ = writeln!(out, "{indent} */");
        }
    }
}

/// An object's type: its properties (required ones plain, the others optional). One without
/// named properties is a map: of its `additionalProperties`' type, or of nothing when they are
/// `false` (an argument struct without fields).
fn object(schema: &Map<String, Value>, depth: usize) -> Rendered {
    let outer = "  ".repeat(depth);
    let inner = "  ".repeat(depth + 1);
    let additional = schema.get("additionalProperties");
    let properties = match schema.get("properties").and_then(Value::as_object) {
        Some(properties) if !properties.is_empty() => properties,
        _ => {
            return match additional {
                Some(Value::Bool(false)) => Rendered::atom("Record<string, never>"),
                Some(values @ Value::Object(_)) => Rendered::atom(format!(
                    "{{\n{inner}[key: string]: {};\n{outer}}}",
                    render(values, depth + 1).text
                )),
                _ => Rendered::atom(format!("{{\n{inner}[key: string]: unknown;\n{outer}}}")),
            };
        }
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut text = String::from("{\n");
    for (name, property) in properties {
        doc_comment(&mut text, property, depth + 1);
        let rendered = render(property, depth + 1).text;
        if required.contains(&name.as_str()) {
            let _ = writeln!(text, "{inner}{}: {rendered};", property_name(name));
        } else {
            // `| undefined` as well: under `exactOptionalPropertyTypes` an app may still pass a
            // value that is `undefined` (JSON leaves it out, and the server reads a missing
            // field), and Zod's `.optional()` types a form's rules that way.
            let _ = writeln!(
                text,
                "{inner}{}?: {rendered} | undefined;",
                property_name(name)
            );
        }
    }
    // Other properties besides the named ones (a flattened map): an index signature must admit
    // the named properties' types too, so it says `unknown`.
    if additional.is_some_and(|additional| additional != &Value::Bool(false)) {
        let _ = writeln!(text, "{inner}[key: string]: unknown;");
    }
    let _ = write!(text, "{outer}}}");
    Rendered::atom(text)
}

/// An array's type: a tuple when it has `prefixItems`, else its items' type as a list.
fn array(schema: &Map<String, Value>, depth: usize) -> Rendered {
    let items = schema.get("items");
    if let Some(prefix) = schema.get("prefixItems").and_then(Value::as_array) {
        let mut members: Vec<String> = prefix.iter().map(|item| render(item, depth).text).collect();
        match items {
            Some(Value::Bool(false)) | None => {}
            Some(rest) => members.push(format!(
                "...{}[]",
                render(rest, depth).at_least(Binding::Atom)
            )),
        }
        return Rendered::atom(format!("[{}]", members.join(", ")));
    }
    match items {
        Some(items) => Rendered::atom(format!(
            "{}[]",
            render(items, depth).at_least(Binding::Atom)
        )),
        None => Rendered::atom("unknown[]"),
    }
}

/// The type one `type` name gives `schema`.
fn of_type(name: &str, schema: &Map<String, Value>, depth: usize) -> Rendered {
    match name {
        "string" => Rendered::atom("string"),
        "integer" | "number" => Rendered::atom("number"),
        "boolean" => Rendered::atom("boolean"),
        "null" => Rendered::atom("null"),
        "array" => array(schema, depth),
        "object" => object(schema, depth),
        _ => Rendered::atom("unknown"),
    }
}

/// The TypeScript type of `schema`, its object literals laid out for `depth` levels of
/// indentation.
fn render(schema: &Value, depth: usize) -> Rendered {
    let schema = match schema {
        Value::Bool(true) => return Rendered::atom("unknown"),
        Value::Bool(false) => return Rendered::atom("never"),
        Value::Object(schema) => schema,
        _ => return Rendered::atom("unknown"),
    };
    let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    let with_null = |rendered: Rendered| {
        if nullable {
            join(vec![rendered, Rendered::atom("null")], Binding::Union)
        } else {
            rendered
        }
    };
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        return with_null(reference(target));
    }
    if let Some(value) = schema.get("const") {
        return literal(value);
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return with_null(join(values.iter().map(literal).collect(), Binding::Union));
    }
    // One of several shapes (a Rust enum, an `Option` of a named type): the members say more
    // than a scalar `type` beside them; fields beside them (a struct with a flattened enum) and
    // an `allOf` still hold, so those are intersected with the union.
    let union = ["oneOf", "anyOf"].into_iter().find_map(|combinator| {
        let members = schema.get(combinator).and_then(Value::as_array)?;
        Some(join(
            members.iter().map(|member| render(member, depth)).collect(),
            Binding::Union,
        ))
    });
    let mut parts = Vec::new();
    if let Some(union) = union {
        parts.push(union);
        if schema.contains_key("properties") {
            parts.push(object(schema, depth));
        }
    } else {
        match schema.get("type") {
            Some(Value::String(name)) => parts.push(of_type(name, schema, depth)),
            Some(Value::Array(names)) => {
                let members = names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|name| of_type(name, schema, depth))
                    .collect();
                parts.push(join(members, Binding::Union));
            }
            _ if schema.contains_key("properties") => parts.push(object(schema, depth)),
            _ if schema.contains_key("items") || schema.contains_key("prefixItems") => {
                parts.push(array(schema, depth));
            }
            _ => {}
        }
    }
    if let Some(members) = schema.get("allOf").and_then(Value::as_array) {
        parts.extend(members.iter().map(|member| render(member, depth)));
    }
    if parts.is_empty() {
        return with_null(Rendered::atom("unknown"));
    }
    with_null(join(parts, Binding::Intersection))
}

/// The TypeScript type of `schema` (which names the document's types as
/// `components['schemas'][...]`), laid out for `depth` levels of indentation.
pub fn type_of(schema: &Value, depth: usize) -> String {
    render(schema, depth).text
}

/// The file's contents: every named schema of `openapi`, then each function's arguments and
/// result.
pub fn emit(openapi: &Value, functions: &[Function]) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "\n/** The app's types by their Rust names (`components['schemas']['Name']`), as the server \
         reads\n * arguments and writes results. */\nexport interface components {\n  \
         schemas: {\n",
    );
    if let Some(schemas) = openapi
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            doc_comment(&mut out, schema, 2);
            let _ = writeln!(
                out,
                "    {}: {};",
                property_name(name),
                render(schema, 2).text
            );
        }
    }
    out.push_str("  };\n}\n");
    out.push_str(
        "\n/** Each function by its name: what it is called with (`args`) and what it answers \
         (`result`). */\nexport interface operations {\n",
    );
    for function in functions {
        if let Some(summary) = &function.summary {
            let _ = writeln!(out, "  /** {} */", summary.replace("*/", "*\\/"));
        }
        let _ = writeln!(
            out,
            "  {}: {{\n    args: {};",
            property_name(&function.name),
            render(&function.args, 2).text
        );
        if let Some(result) = &function.result {
            let _ = writeln!(out, "    result: {};", render(result, 2).text);
        }
        out.push_str("  };\n");
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::render;

    fn ts(schema: serde_json::Value) -> String {
        render(&schema, 0).text
    }

    #[test]
    fn scalars_lists_and_nulls() {
        assert_eq!(ts(json!({ "type": "string" })), "string");
        assert_eq!(
            ts(json!({ "type": "integer", "format": "int64" })),
            "number"
        );
        assert_eq!(ts(json!({ "type": ["string", "null"] })), "string | null");
        assert_eq!(ts(json!({ "type": "null" })), "null");
        assert_eq!(
            ts(json!({ "type": "array", "items": { "type": ["integer", "null"] } })),
            "(number | null)[]"
        );
        assert_eq!(
            ts(
                json!({ "type": "array", "prefixItems": [{ "type": "string" }, { "type": "boolean" }],
                       "items": false })
            ),
            "[string, boolean]"
        );
        assert_eq!(ts(json!({ "type": "array" })), "unknown[]");
        assert_eq!(ts(json!(true)), "unknown");
        assert_eq!(ts(json!({})), "unknown");
        assert_eq!(
            ts(json!({ "type": "string", "nullable": true })),
            "string | null"
        );
    }

    #[test]
    fn references_enums_and_unions() {
        assert_eq!(
            ts(json!({ "$ref": "#/components/schemas/Todo" })),
            "components['schemas']['Todo']"
        );
        assert_eq!(ts(json!({ "$ref": "#/$defs/Elsewhere" })), "unknown");
        assert_eq!(
            ts(json!({ "oneOf": [{ "const": "a", "type": "string" }, { "const": "b" }] })),
            "'a' | 'b'"
        );
        assert_eq!(ts(json!({ "enum": ["x", 2, null] })), "'x' | 2 | null");
        assert_eq!(
            ts(json!({ "anyOf": [{ "$ref": "#/components/schemas/A" }, { "type": "null" }] })),
            "components['schemas']['A'] | null"
        );
        assert_eq!(
            ts(json!({ "allOf": [{ "$ref": "#/components/schemas/A" },
                                 { "anyOf": [{ "type": "string" }, { "type": "number" }] }] })),
            "components['schemas']['A'] & (string | number)"
        );
        // A struct with a flattened enum: its own fields and the enum's shapes, together.
        assert_eq!(
            ts(json!({
                "type": "object",
                "properties": { "id": { "type": "integer" } },
                "required": ["id"],
                "oneOf": [
                    { "type": "object", "properties": { "a": { "type": "string" } }, "required": ["a"] },
                    { "type": "object", "properties": { "b": { "type": "boolean" } }, "required": ["b"] },
                ],
            })),
            "({\n  a: string;\n} | {\n  b: boolean;\n}) & {\n  id: number;\n}"
        );
    }

    #[test]
    fn objects_say_which_fields_may_be_left_out() {
        assert_eq!(
            ts(json!({
                "type": "object",
                "properties": {
                    "id": { "type": "integer", "description": "Its id." },
                    "note": { "type": ["string", "null"] },
                    "kebab-case": { "type": "boolean" },
                },
                "required": ["id", "kebab-case"],
            })),
            "{\n  /** Its id. */\n  id: number;\n  'kebab-case': boolean;\n  \
             note?: string | null | undefined;\n}"
        );
        assert_eq!(
            ts(json!({ "type": "object", "additionalProperties": false })),
            "Record<string, never>"
        );
        assert_eq!(
            ts(json!({ "type": "object", "additionalProperties": { "type": "integer" } })),
            "{\n  [key: string]: number;\n}"
        );
    }
}
