//! The functions as the OpenAPI document describes them: name, kind, params and context scope,
//! read from each operation's `x-mizan`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::ExportError;

/// What a function is, for the hooks it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FunctionKind {
    /// A read: a typed async function, a mutation hook and a query hook.
    Query,
    /// A write: a typed async function and a mutation hook.
    Mutation,
    /// Data kept live: a query hook, hydrated, refreshed by invalidations.
    Context {
        /// One instance (no params), whose value the server can put in the page.
        global: bool,
    },
    /// A response passed through (a page, a redirect): no hook.
    View,
}

/// One function of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// Its call name (the Rust function's name).
    pub name: String,
    /// Its kind.
    pub kind: FunctionKind,
    /// Its params' wire names, in declaration order.
    pub params: Vec<String>,
    /// The first line of its doc comment.
    pub summary: Option<String>,
    /// Called over the tab's socket when it is open (`#[client(websocket)]`).
    pub websocket: bool,
    /// The contexts a successful call refreshes (`affects = [...]`), by name.
    pub affects: Vec<String>,
    /// The JSON Schema of its arguments object (what `{"args": ...}` holds).
    pub args: Value,
    /// The JSON Schema of its result (what `{"result": ...}` holds); `None` for a view, which
    /// answers with a page.
    pub result: Option<Value>,
}

/// A function without a described arguments object takes none: an object without fields.
fn no_args() -> Value {
    serde_json::json!({ "type": "object", "additionalProperties": false })
}

/// Every function of `openapi`, in name order.
pub fn read(openapi: &Value) -> Result<Vec<Function>, ExportError> {
    let not_mizan = |reason: &str| ExportError::NotMizanOpenApi {
        reason: reason.to_owned(),
    };
    let paths = openapi
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| not_mizan("no `paths` object"))?;
    let mut functions = Vec::new();
    for (path, item) in paths {
        let Some(operation) = item.get("post") else {
            continue;
        };
        // The shared endpoints (`/api/mizan/call/`, the batch) have no `x-mizan`.
        let Some(facts) = operation.get("x-mizan") else {
            continue;
        };
        let field = |name: &str| {
            facts.get(name).ok_or_else(|| ExportError::NotMizanOpenApi {
                reason: format!("`{path}`: `x-mizan` has no `{name}`"),
            })
        };
        let name = operation
            .get("operationId")
            .and_then(Value::as_str)
            .ok_or_else(|| not_mizan(&format!("`{path}` has no operationId")))?;
        let kind = match field("kind")?.as_str() {
            Some("query") => FunctionKind::Query,
            Some("mutation") => FunctionKind::Mutation,
            Some("view") => FunctionKind::View,
            Some("context") => FunctionKind::Context {
                global: facts.pointer("/context/scope").and_then(Value::as_str) == Some("global"),
            },
            _ => return Err(not_mizan(&format!("`{path}`: unknown kind"))),
        };
        let params = field("params")?
            .as_array()
            .ok_or_else(|| not_mizan(&format!("`{path}`: params is not a list")))?
            .iter()
            .map(|param| param.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| not_mizan(&format!("`{path}`: a param is not a name")))?;
        functions.push(Function {
            name: name.to_owned(),
            kind,
            params,
            summary: operation
                .get("summary")
                .and_then(Value::as_str)
                .map(str::to_owned),
            websocket: facts.get("websocket").and_then(Value::as_bool) == Some(true),
            affects: match facts.get("affects") {
                None => Vec::new(),
                Some(affects) => affects
                    .as_array()
                    .and_then(|names| {
                        names
                            .iter()
                            .map(|name| name.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| {
                        not_mizan(&format!("`{path}`: affects is not a list of names"))
                    })?,
            },
            args: operation
                .pointer("/requestBody/content/application~1json/schema/properties/args")
                .cloned()
                .unwrap_or_else(no_args),
            result: match kind {
                FunctionKind::View => None,
                _ => Some(
                    operation
                        .pointer(
                            "/responses/200/content/application~1json/schema/properties/result",
                        )
                        .cloned()
                        .unwrap_or(Value::Bool(true)),
                ),
            },
        });
    }
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    // An affected context the document does not describe has no type to patch it by.
    let contexts: BTreeSet<String> = functions
        .iter()
        .filter(|function| matches!(function.kind, FunctionKind::Context { .. }))
        .map(|function| function.name.clone())
        .collect();
    for function in &mut functions {
        let mut seen = BTreeSet::new();
        function
            .affects
            .retain(|name| contexts.contains(name) && seen.insert(name.clone()));
    }
    Ok(functions)
}
