//! The registry as an OpenAPI 3.1 document: every function a `POST` path with its argument and
//! result schemas and the error envelope, mizan's own facts (kind, auth, context, affects) under
//! `x-mizan`. What `GET /api/mizan/openapi.json` serves and the TypeScript exporter reads.
//!
//! Arguments are described as the server reads them and results as it writes them (schemars'
//! deserialize and serialize contracts): an `Option` field of a result is always present
//! (`null` when empty), while the same field of an argument may be left out. A type whose two
//! descriptions differ appears twice, its argument form named `<Name>Input`.

use std::collections::BTreeMap;

use schemars::{SchemaGenerator, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use super::{
    channel::Channels,
    graph::{CachePolicy, MANIFEST_VERSION},
    registry::{FunctionDef, FunctionKind, Registry},
};
use crate::{
    error::ErrorCode,
    protocol::{BATCH_PATH, CALL_PATH, MANIFEST_PATH},
};

/// Where the document's shared schemas live (`#/components/schemas/<Name>`).
const SCHEMAS: &str = "/components/schemas";

/// The error body's schema name, which no type of the app's may take.
const ERROR_SCHEMA: &str = "MizanError";

/// The error codes a server answers with (the client-side `NETWORK_ERROR` and
/// `INVALID_RESPONSE` never come from one).
const SERVER_CODES: [ErrorCode; 10] = [
    ErrorCode::BadRequest,
    ErrorCode::Unauthorized,
    ErrorCode::Forbidden,
    ErrorCode::NotFound,
    ErrorCode::PayloadTooLarge,
    ErrorCode::RateLimited,
    ErrorCode::Unavailable,
    ErrorCode::ValidationError,
    ErrorCode::InternalError,
    ErrorCode::NotImplemented,
];

/// Why the document cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenApiError {
    /// Two different types of the functions' arguments or results have one schema name: the
    /// generated TypeScript would have one type for both.
    #[error(
        "two different types of the functions' arguments or results are both named `{name}` (the \
         second would become `{renamed}`): rename one of them, or name its schema with \
         `#[schemars(rename = \"OtherName\")]`"
    )]
    NameClash {
        /// The shared name.
        name: String,
        /// The name schemars gave the second type.
        renamed: String,
    },
    /// A type of the app's has a name the document itself uses.
    #[error(
        "a type of the functions' arguments or results is named `{name}`, which the OpenAPI \
         document keeps for mizan's error body: rename it, or name its schema with \
         `#[schemars(rename = \"OtherName\")]`"
    )]
    Reserved {
        /// The name.
        name: String,
    },
    /// A type is read in another shape than it is written, so its argument form needs its own
    /// name, and that name is already another type's.
    #[error(
        "`{name}` is read in another shape than it is written, so its argument form is named \
         `{input}`, but a type of that name exists: rename that type"
    )]
    InputNameTaken {
        /// The type's name.
        name: String,
        /// The name its argument form needs.
        input: String,
    },
}

/// The OpenAPI 3.1 document of `registry` and `channels` (these under `x-mizan-channels`).
/// Functions switched off in the registry ([`Registry::switch_off`]) are not in it.
pub fn document(registry: &Registry, channels: &Channels) -> Result<Value, OpenApiError> {
    let mut reads = SchemaGenerator::new(settings().for_deserialize());
    let mut writes = SchemaGenerator::new(settings().for_serialize());
    // A channel's params and client messages are read; what the group hears is written.
    let channel_schemas: Vec<(&str, Value, Value, Value)> = channels
        .iter()
        .map(|def| {
            (
                def.name,
                (def.params_schema)(&mut reads).to_value(),
                (def.client_schema)(&mut reads).to_value(),
                (def.server_schema)(&mut writes).to_value(),
            )
        })
        .collect();
    let described: Vec<(&FunctionDef, Value, Option<Value>)> = registry
        .iter()
        .map(|def| {
            let args = (def.args_schema)(&mut reads).to_value();
            let result = def
                .output_schema
                .map(|schema| schema(&mut writes).to_value());
            (def, args, result)
        })
        .collect();
    // Every type under one contract, in one generator: two different types of one name (one
    // read, one written, say) show up there even when each side alone has only one of them.
    let mut probe = SchemaGenerator::new(settings().for_deserialize());
    for def in registry.iter() {
        (def.args_schema)(&mut probe);
        if let Some(schema) = def.output_schema {
            schema(&mut probe);
        }
    }
    for def in channels.iter() {
        (def.params_schema)(&mut probe);
        (def.client_schema)(&mut probe);
        (def.server_schema)(&mut probe);
    }
    check_clashes(&probe.take_definitions(false))?;
    let (schemas, renames) = merge(reads.take_definitions(true), writes.take_definitions(true))?;
    if schemas.contains_key(ERROR_SCHEMA) {
        return Err(OpenApiError::Reserved {
            name: ERROR_SCHEMA.to_owned(),
        });
    }

    let mut paths = Map::new();
    for (def, mut args, result) in described {
        rename_refs(&mut args, &renames);
        paths.insert(
            def.endpoint.to_owned(),
            json!({ "post": operation(def, registry.served_affects(def), args, result) }),
        );
    }
    let names: Vec<&str> = registry.iter().map(|def| def.name).collect();
    paths.insert(CALL_PATH.to_owned(), call_path(&names));
    paths.insert(BATCH_PATH.to_owned(), batch_path(&names));
    paths.insert(MANIFEST_PATH.to_owned(), manifest_path());

    let channels: Vec<Value> = channel_schemas
        .into_iter()
        .map(|(name, mut params, mut client, server)| {
            rename_refs(&mut params, &renames);
            rename_refs(&mut client, &renames);
            json!({ "name": name, "params": params, "client": client, "server": server })
        })
        .collect();

    let mut components = Map::new();
    components.insert(ERROR_SCHEMA.to_owned(), error_schema());
    for (name, schema) in schemas {
        components.insert(name, schema);
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "mizan server functions",
            "version": MANIFEST_VERSION.to_string(),
            "description": "Every #[client] function of the app. Each answers `POST` at its own \
                            path with `{\"args\": {...}}`, or at `/api/mizan/call/` with \
                            `{\"fn\": name, \"args\": {...}}`; both answer the same envelope.",
        },
        "paths": paths,
        "x-mizan-channels": channels,
        "components": {
            "schemas": components,
            "responses": { "MizanError": {
                "description": "The call failed: the status comes from `error.code`.",
                "content": { "application/json": { "schema": schema_ref("MizanError") } },
            } },
        },
    }))
}

/// JSON Schema 2020-12 (OpenAPI 3.1's dialect), definitions where OpenAPI keeps them.
fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().with(|settings| {
        settings.definitions_path = SCHEMAS.into();
        settings.meta_schema = None;
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#{SCHEMAS}/{name}") })
}

/// schemars names the second of two types called `Todo` `Todo2`: for the TypeScript side that
/// is a silent mix-up waiting to happen, so it is an error here. (A type really named `Todo2`
/// beside a `Todo` is reported too: the message says how to name either.)
fn check_clashes(definitions: &Map<String, Value>) -> Result<(), OpenApiError> {
    for renamed in definitions.keys() {
        let base = renamed.trim_end_matches(|c: char| c.is_ascii_digit());
        let numbered = base.len() < renamed.len() && !renamed[base.len()..].starts_with('0');
        if numbered && !base.is_empty() && definitions.contains_key(base) {
            return Err(OpenApiError::NameClash {
                name: base.to_owned(),
                renamed: renamed.clone(),
            });
        }
    }
    Ok(())
}

/// Schema names changed by [`merge`]: old name → new name.
type Renames = BTreeMap<String, String>;

/// One set of schemas from what is read and what is written: a type described the same way in
/// both appears once; one read in another shape gets its argument form named `<Name>Input`
/// (returned as renames, for the argument schemas' `$ref`s). A type that only contains such a
/// type differs too once its reference is renamed, so renames are found until none is new.
fn merge(
    reads: Map<String, Value>,
    writes: Map<String, Value>,
) -> Result<(BTreeMap<String, Value>, Renames), OpenApiError> {
    let mut renames = Renames::new();
    loop {
        let found: Vec<String> = reads
            .iter()
            .filter(|(name, _)| !renames.contains_key(*name))
            .filter(|(name, schema)| {
                writes.get(*name).is_some_and(|written| {
                    let mut read = (*schema).clone();
                    rename_refs(&mut read, &renames);
                    *written != read
                })
            })
            .map(|(name, _)| name.clone())
            .collect();
        if found.is_empty() {
            break;
        }
        for name in found {
            let input = format!("{name}Input");
            renames.insert(name, input);
        }
    }
    for (name, input) in &renames {
        if reads.contains_key(input) || writes.contains_key(input) {
            return Err(OpenApiError::InputNameTaken {
                name: name.clone(),
                input: input.clone(),
            });
        }
    }
    let mut schemas: BTreeMap<String, Value> = writes.into_iter().collect();
    for (name, mut schema) in reads {
        rename_refs(&mut schema, &renames);
        match renames.get(&name) {
            Some(input) => {
                schemas.insert(input.clone(), schema);
            }
            // Described the same both ways (kept once), or only read.
            None => {
                schemas.entry(name).or_insert(schema);
            }
        }
    }
    Ok((schemas, renames))
}

/// Points every `$ref` to a renamed schema at its new name.
fn rename_refs(value: &mut Value, renames: &Renames) {
    if renames.is_empty() {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if key == "$ref" {
                    if let Value::String(target) = inner {
                        let name = target.rsplit('/').next().unwrap_or_default();
                        if let Some(new) = renames.get(name) {
                            *target = format!("#{SCHEMAS}/{new}");
                        }
                    }
                } else {
                    rename_refs(inner, renames);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_refs(item, renames)),
        _ => {}
    }
}

/// A successful call's body: `result` (described by `result`) and the keys it invalidated.
fn envelope_schema(result: Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "result": result,
            "invalidate": { "type": "array", "items": { "type": "string" } },
        },
        "required": ["result", "invalidate"],
    })
}

/// `POST <endpoint>` of one function, which invalidates `affects` (the served contexts among
/// those it declares).
fn operation(
    def: &FunctionDef,
    affects: Vec<&'static str>,
    args: Value,
    result: Option<Value>,
) -> Value {
    let kind = kind_label(def.kind);
    let mut body = json!({
        "type": "object",
        "properties": { "args": args },
        "additionalProperties": false,
    });
    if !def.params.is_empty() {
        body["required"] = json!(["args"]);
    }
    let success = match result {
        Some(result) => json!({
            "description": "The result, and the context keys the call invalidated (also in the \
                            `X-Mizan-Invalidate` header).",
            "content": { "application/json": { "schema": envelope_schema(result) } },
        }),
        None => json!({
            "description": "The view's own response (a page, a redirect, a file), passed \
                            through with `X-Mizan-Invalidate` and `Cache-Control: no-store`.",
        }),
    };
    let mut x_mizan = json!({
        "kind": kind,
        "auth": def.auth.label(),
        "params": def.params.iter().map(|param| param.name).collect::<Vec<_>>(),
        "affects": affects,
        "websocket": def.websocket,
    });
    if let Some(form) = def.form {
        x_mizan["form"] = json!(form());
    }
    if let Some(scope) = def.context {
        x_mizan["context"] = json!({
            "scope": scope,
            "cache": if def.public { CachePolicy::Public } else { CachePolicy::Private },
        });
        if def.per_user {
            x_mizan["context"]["per_user"] = json!(true);
        }
    }
    let mut operation = json!({
        "operationId": def.name,
        "tags": [kind],
        "requestBody": {
            "required": !def.params.is_empty(),
            "content": { "application/json": { "schema": body } },
        },
        "responses": {
            "200": success,
            "default": { "$ref": "#/components/responses/MizanError" },
        },
        "x-mizan": x_mizan,
    });
    let doc = def.doc.trim();
    if !doc.is_empty() {
        operation["summary"] = json!(summary(doc));
        operation["description"] = json!(doc);
    }
    operation
}

/// The first sentence of a doc comment's first paragraph, on one line.
fn summary(doc: &str) -> String {
    let paragraph = doc
        .lines()
        .map(str::trim)
        .take_while(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match paragraph.find(". ") {
        Some(end) => paragraph[..=end].to_owned(),
        None => paragraph,
    }
}

fn kind_label(kind: FunctionKind) -> &'static str {
    match kind {
        FunctionKind::Query => "query",
        FunctionKind::Mutation => "mutation",
        FunctionKind::Context => "context",
        FunctionKind::View => "view",
    }
}

/// `POST /api/mizan/call/`: any function by name.
fn call_path(names: &[&str]) -> Value {
    json!({ "post": {
        "operationId": "mizan_call",
        "summary": "Calls any function by name (the same pipeline as its own path).",
        "tags": ["mizan"],
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
            "type": "object",
            "properties": {
                "fn": { "type": "string", "enum": names },
                "args": { "type": "object" },
            },
            "required": ["fn"],
            "additionalProperties": false,
        } } } },
        "responses": {
            "200": {
                "description": "The function's envelope: its result and the keys it invalidated.",
                "content": { "application/json": { "schema": envelope_schema(json!({})) } },
            },
            "default": { "$ref": "#/components/responses/MizanError" },
        },
    } })
}

/// `POST /api/mizan/batch/`: queries and contexts, at most 64, as one user.
fn batch_path(names: &[&str]) -> Value {
    json!({ "post": {
        "operationId": "mizan_batch",
        "summary": "Runs up to 64 queries or contexts as one user; one answer each, in order.",
        "tags": ["mizan"],
        "requestBody": { "required": true, "content": { "application/json": { "schema": {
            "type": "object",
            "properties": { "calls": {
                "type": "array",
                "maxItems": crate::protocol::MAX_BATCH_CALLS,
                "items": {
                    "type": "object",
                    "properties": {
                        "fn": { "type": "string", "enum": names },
                        "args": { "type": "object" },
                    },
                    "required": ["fn"],
                },
            } },
            "required": ["calls"],
        } } } },
        "responses": {
            "200": {
                "description": "Each call's envelope or error, in the calls' order.",
                "content": { "application/json": { "schema": {
                    "type": "object",
                    "properties": { "results": { "type": "array", "items": {
                        "oneOf": [envelope_schema(json!({})), schema_ref("MizanError")],
                    } } },
                    "required": ["results"],
                } } },
            },
            "default": { "$ref": "#/components/responses/MizanError" },
        },
    } })
}

/// `GET /api/mizan/manifest`.
fn manifest_path() -> Value {
    json!({ "get": {
        "operationId": "mizan_manifest",
        "summary": "The Edge manifest: functions, contexts and invalidation edges.",
        "tags": ["mizan"],
        "responses": { "200": {
            "description": "The manifest (see the protocol's documentation).",
            "content": { "application/json": { "schema": { "type": "object" } } },
        } },
    } })
}

/// The body of every failure.
fn error_schema() -> Value {
    let codes: Vec<&str> = SERVER_CODES.iter().map(|code| code.as_str()).collect();
    json!({
        "description": "A failed call. `details` is `{\"fields\": {name: [message]}}` for \
                        VALIDATION_ERROR, `null` when there is nothing to add.",
        "type": "object",
        "properties": { "error": {
            "type": "object",
            "properties": {
                "code": { "type": "string", "enum": codes },
                "message": { "type": "string" },
                "details": {},
            },
            "required": ["code", "message", "details"],
        } },
        "required": ["error"],
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::{OpenApiError, check_clashes, merge, rename_refs, summary};

    #[test]
    fn a_summary_is_the_first_sentence_on_one_line() {
        assert_eq!(
            summary(
                "The visitor, for the header: refreshed by sign-in and\nrenames. More here.\n\nNext."
            ),
            "The visitor, for the header: refreshed by sign-in and renames."
        );
        assert_eq!(summary("One line"), "One line");
    }

    fn map(value: serde_json::Value) -> Map<String, serde_json::Value> {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn a_second_type_of_the_same_name_is_an_error_that_says_how_to_rename() {
        let defs = map(json!({ "Todo": {}, "Todo2": {} }));
        let error = check_clashes(&defs).expect_err("a clash");
        assert_eq!(
            error,
            OpenApiError::NameClash {
                name: "Todo".into(),
                renamed: "Todo2".into(),
            }
        );
        assert!(error.to_string().contains("#[schemars(rename"), "{error}");
        assert!(check_clashes(&map(json!({ "Point2": {}, "Vec3": {} }))).is_ok());
    }

    #[test]
    fn a_type_read_in_another_shape_than_written_gets_an_input_form() {
        let optional = json!({ "type": "object", "properties": { "a": {} } });
        let required = json!({ "type": "object", "properties": { "a": {} }, "required": ["a"] });
        let reads = map(json!({
            "Item": optional,
            "Same": { "type": "string" },
            "ListArgs": { "properties": { "item": { "$ref": "#/components/schemas/Item" } } },
        }));
        let writes = map(json!({ "Item": required, "Same": { "type": "string" } }));
        let (schemas, renames) = merge(reads, writes).expect("merged");
        assert_eq!(schemas["Item"], required, "results keep the plain name");
        assert_eq!(schemas["ItemInput"], optional);
        assert_eq!(
            schemas["ListArgs"]["properties"]["item"]["$ref"],
            "#/components/schemas/ItemInput"
        );
        assert_eq!(schemas.len(), 4, "`Same` appears once: {schemas:?}");
        let mut args = json!({ "$ref": "#/components/schemas/Item" });
        rename_refs(&mut args, &renames);
        assert_eq!(args["$ref"], "#/components/schemas/ItemInput");
    }

    #[test]
    fn a_type_containing_one_with_an_input_form_gets_one_too() {
        let optional = json!({ "type": "object", "properties": { "a": {} } });
        let required = json!({ "type": "object", "properties": { "a": {} }, "required": ["a"] });
        let outer = json!({ "properties": { "item": { "$ref": "#/components/schemas/Item" } } });
        let reads = map(json!({ "Item": optional, "Outer": outer }));
        let writes = map(json!({ "Item": required, "Outer": outer }));
        let (schemas, _) = merge(reads, writes).expect("merged");
        assert_eq!(
            schemas["Outer"]["properties"]["item"]["$ref"], "#/components/schemas/Item",
            "what is written still refers to the written form"
        );
        assert_eq!(
            schemas["OuterInput"]["properties"]["item"]["$ref"],
            "#/components/schemas/ItemInput"
        );
    }

    #[test]
    fn an_input_form_cannot_take_another_types_name() {
        let reads = map(json!({ "Item": { "type": "object" }, "ItemInput": {} }));
        let writes = map(json!({ "Item": { "type": "string" } }));
        let error = merge(reads, writes).expect_err("taken");
        assert!(error.to_string().contains("`ItemInput`"), "{error}");
    }
}
