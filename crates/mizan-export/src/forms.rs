//! `generated.forms.ts`: per form of the document (a function whose `x-mizan` has a `form`), its
//! schema, a Zod schema that accepts what the server's rules accept (lengths and emails through
//! the runtime's `characterCount` and `isEmailAddress`, which follow Rust's `validator`; a
//! confirmation as a check of the whole object), checked against the argument type with
//! `satisfies`, and a `useXxxForm()` hook. The schemas are written with `zod/mini`, Zod 4's
//! tree-shakable form (functions instead of methods), whose checks are the same as full Zod's:
//! the app carries only the few schema kinds forms use.

use std::fmt::Write;

use serde_json::Value;

use crate::{ExportError, FORMS_ENTRY, HEADER, names::pascal};

/// One form of the document.
#[derive(Debug, Clone, PartialEq)]
pub struct FormTypes {
    /// The submission's call name (the form's name).
    pub name: String,
    /// Its schema, as the server writes it.
    pub schema: Value,
}

/// Every form of `openapi`, in name order.
pub fn read(openapi: &Value) -> Result<Vec<FormTypes>, ExportError> {
    let Some(paths) = openapi.get("paths").and_then(Value::as_object) else {
        return Err(ExportError::NotMizanOpenApi {
            reason: "no `paths` object".to_owned(),
        });
    };
    let mut forms: Vec<FormTypes> = paths
        .values()
        .filter_map(|item| item.get("post"))
        .filter_map(|operation| {
            let schema = operation.pointer("/x-mizan/form")?;
            let name = operation.get("operationId")?.as_str()?;
            Some(FormTypes {
                name: name.to_owned(),
                schema: schema.clone(),
            })
        })
        .collect();
    forms.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(forms)
}

/// `sign_up` → `signUp`.
fn camel(name: &str) -> String {
    let pascal = pascal(name);
    let mut chars = pascal.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A JavaScript string literal.
fn string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "''".to_owned())
}

/// The message the server gives when `rule` fails on `field`.
fn message(field: &Value, rule: &str) -> String {
    let text = field
        .pointer(&format!("/constraints/messages/{rule}"))
        .and_then(Value::as_str)
        .unwrap_or("is invalid");
    string(text)
}

/// The Zod schema of one field: its type, then each rule the server checks, with its message,
/// as `zod/mini` writes them (`z.optional(...)`, `.check(z.refine(...))`).
fn zod_field(field: &Value) -> String {
    let constraints = &field["constraints"];
    let number = |name: &str| constraints.get(name).and_then(Value::as_f64);
    let widget = field["widget"].as_str().unwrap_or("text");
    let optional = field["optional"].as_bool().unwrap_or(false);
    let mut zod = match widget {
        "checkbox" => "z.boolean()".to_owned(),
        "number" => "z.number()".to_owned(),
        "select" => {
            let values: Vec<String> = field["choices"]
                .as_array()
                .map(|choices| {
                    choices
                        .iter()
                        .filter_map(|choice| choice["value"].as_str().map(string))
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "z.enum([{}], {{ message: {} }})",
                values.join(", "),
                string("is not one of the choices")
            )
        }
        _ => "z.string()".to_owned(),
    };
    if optional {
        zod = format!("z.optional(z.nullable({zod}))");
    }
    // A rule holds for a missing optional value, as on the server.
    let present = if optional { "v == null || " } else { "" };
    let mut refinements = Vec::new();
    let (min_length, max_length) = (number("min_length"), number("max_length"));
    if min_length.is_some() || max_length.is_some() {
        let mut checks = Vec::new();
        if let Some(min) = min_length {
            checks.push(format!("characterCount(v) >= {min}"));
        }
        if let Some(max) = max_length {
            checks.push(format!("characterCount(v) <= {max}"));
        }
        refinements.push(format!(
            "z.refine((v) => {present}({}), {{ message: {} }})",
            checks.join(" && "),
            message(field, "length")
        ));
    }
    if constraints["email"].as_bool().unwrap_or(false) {
        refinements.push(format!(
            "z.refine((v) => {present}isEmailAddress(v), {{ message: {} }})",
            message(field, "email")
        ));
    }
    let (min, max) = (number("min"), number("max"));
    if min.is_some() || max.is_some() {
        let mut checks = Vec::new();
        if let Some(min) = min {
            checks.push(format!("v >= {min}"));
        }
        if let Some(max) = max {
            checks.push(format!("v <= {max}"));
        }
        refinements.push(format!(
            "z.refine((v) => {present}({}), {{ message: {} }})",
            checks.join(" && "),
            message(field, "range")
        ));
    }
    // Checks run in order, each whatever the ones before it found, as chained refines do.
    if !refinements.is_empty() {
        let _ = write!(zod, ".check({})", refinements.join(", "));
    }
    zod
}

/// The object-level checks of a form: each `must_match` field equal to the field it names, its
/// issue under the confirming field (where the server puts it), with the server's message.
fn zod_must_match(fields: &[Value]) -> String {
    let optional = |name: &str| {
        fields
            .iter()
            .find(|field| field["name"] == name)
            .and_then(|field| field["optional"].as_bool())
            .unwrap_or(false)
    };
    let mut checks = Vec::new();
    for field in fields {
        let (Some(name), Some(other)) = (
            field["name"].as_str(),
            field
                .pointer("/constraints/must_match")
                .and_then(Value::as_str),
        ) else {
            continue;
        };
        // `None` equals `None` on the server: a missing value and `null` are one here.
        let (mine, theirs) = if optional(name) || optional(other) {
            (
                format!("(v.{name} ?? null)"),
                format!("(v.{other} ?? null)"),
            )
        } else {
            (format!("v.{name}"), format!("v.{other}"))
        };
        checks.push(format!(
            "\n  z.refine((v) => {mine} === {theirs}, {{ message: {}, path: [{}] }}),",
            message(field, "must_match"),
            string(name)
        ));
    }
    if checks.is_empty() {
        String::new()
    } else {
        format!(".check({}\n)", checks.concat())
    }
}

/// Whether the constraints of any field of `forms` pass `test`.
fn any_field(forms: &[FormTypes], test: impl Fn(&Value) -> bool) -> bool {
    forms
        .iter()
        .filter_map(|form| form.schema["fields"].as_array())
        .flatten()
        .any(|field| test(&field["constraints"]))
}

/// The file's contents. It imports only the rules its forms use (`characterCount` for lengths,
/// `isEmailAddress` for emails): an unused import fails `noUnusedLocals`.
pub fn emit(forms: &[FormTypes]) -> String {
    let mut out = String::from(HEADER);
    if forms.is_empty() {
        out.push_str("\nexport {};\n");
        return out;
    }
    // The same tests as `zod_field`'s, so an import is there exactly when a rule calls it.
    let lengths = any_field(forms, |constraints| {
        ["min_length", "max_length"]
            .iter()
            .any(|name| constraints.get(name).and_then(Value::as_f64).is_some())
    });
    let emails = any_field(forms, |constraints| {
        constraints["email"].as_bool().unwrap_or(false)
    });
    let runtime: Vec<&str> = [
        ("characterCount", lengths),
        ("defineForm", true),
        ("isEmailAddress", emails),
        ("useMizanForm", true),
        ("type FormSchema", true),
        ("type MizanFormOptions", true),
    ]
    .into_iter()
    .filter_map(|(name, used)| used.then_some(name))
    .collect();
    let _ = writeln!(
        out,
        "\nimport {{ z }} from 'zod/mini';\n\nimport {{\n  {},\n}} from '{FORMS_ENTRY}';\n",
        runtime.join(",\n  ")
    );
    let types: Vec<String> = forms
        .iter()
        .map(|form| format!("{}Args", pascal(&form.name)))
        .collect();
    let _ = writeln!(
        out,
        "import {{ mizan, type {} }} from './generated.hooks';",
        types.join(", type ")
    );
    for form in forms {
        let base = pascal(&form.name);
        let name = &form.name;
        let var = camel(name);
        let schema = serde_json::to_string_pretty(&form.schema).unwrap_or_default();
        let title = form.schema["title"].as_str().unwrap_or(name);
        let schema_fields = form.schema["fields"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let fields: Vec<String> = schema_fields
            .iter()
            .filter_map(|field| {
                let key = field["name"].as_str()?;
                Some(format!("  {key}: {},", zod_field(field)))
            })
            .collect();
        let object_checks = zod_must_match(schema_fields);
        // `FormSchema<keyof ...Args & string>`: every field's name is one of the arguments'
        // keys, so a renderer can pass `field.name` to `set` and index `data` with it.
        let _ = write!(
            out,
            "\n/** The schema of the `{name}` form ({title}): what user interfaces render it from. */\n\
             export const {var}FormSchema = {schema} as const satisfies FormSchema<keyof {base}Args & string>;\n\n\
             /** What the server's rules accept for `{name}`, as Zod checks it in the browser. */\n\
             export const {var}FormRules = z.object({{\n{}\n}}){object_checks} satisfies z.ZodMiniType<{base}Args>;\n\n\
             /** The `{name}` form: its submission, schema, rules and first values. */\n\
             export const {var}Form = defineForm(\n  mizan.{name},\n  {var}FormSchema,\n  \
             {var}FormRules,\n  {var}FormSchema.initial as {base}Args,\n);\n\n\
             /** The `{name}` form's state: values, `set`, errors per field (the browser's rules and \
             the server's), `submit()`; `options.redirect` says what a success does when the form \
             has a `redirect`. */\n\
             export function use{base}Form(options?: MizanFormOptions) {{\n  \
             return useMizanForm({var}Form, options);\n}}\n",
            fields.join("\n"),
        );
    }
    out
}
