//! What a socket may watch: a canonical key, at most [`MAX_WATCH_KEY_BYTES`] long, of a context
//! the caller may read, naming only that context's params, each with a value of the type a call
//! would accept. Anything else is refused with its reason, and nothing of it is kept.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use serde_json::Value;

use super::{
    auth::authorize,
    context::RequestContext,
    hub::{Connection, MAX_WATCHED},
    registry::{FunctionDef, FunctionKind, Registry},
};
use crate::{
    error::MizanError,
    frames::{RefusedKey, Watching},
    invalidation::ContextKey,
};

/// Longest watched key, in bytes of its canonical text: room for a context's name and a few
/// ids or short strings, not for a payload.
pub const MAX_WATCH_KEY_BYTES: usize = 512;

/// Largest integer a param may be: JavaScript's exact range, which the keys' other side uses.
const MAX_EXACT_INTEGER: i64 = (1 << 53) - 1;

/// The JSON kinds a param's value may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Kinds {
    integer: bool,
    string: bool,
    boolean: bool,
    null: bool,
}

impl Kinds {
    /// Any value a param can have: what a param whose schema names no type accepts (an enum of
    /// the app's, a newtype).
    const SCALAR: Self = Self {
        integer: true,
        string: true,
        boolean: true,
        null: false,
    };
    const NONE: Self = Self {
        integer: false,
        string: false,
        boolean: false,
        null: false,
    };

    /// The kinds a param's JSON Schema allows.
    fn of(schema: &Value) -> Self {
        let named: Vec<&str> = match schema.get("type") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => {
                // `Option<T>` of a type with a schema of its own: `anyOf [T, null]`.
                let nullable = ["anyOf", "oneOf"].iter().any(|keyword| {
                    schema
                        .get(keyword)
                        .and_then(Value::as_array)
                        .is_some_and(|cases| {
                            cases
                                .iter()
                                .any(|case| case.get("type") == Some(&Value::from("null")))
                        })
                });
                return Self {
                    null: nullable,
                    ..Self::SCALAR
                };
            }
        };
        let mut kinds = Self::NONE;
        for name in named {
            match name {
                "integer" => kinds.integer = true,
                "string" => kinds.string = true,
                "boolean" => kinds.boolean = true,
                "null" => kinds.null = true,
                // Floats, objects and lists are not params: a key naming them covers nothing
                // a client could agree on.
                _ => {}
            }
        }
        kinds
    }

    /// Whether `value` is one of them.
    fn admit(self, value: &Value) -> bool {
        match value {
            Value::Null => self.null,
            Value::Bool(_) => self.boolean,
            Value::String(_) => self.string,
            Value::Number(number) => {
                self.integer
                    && number
                        .as_i64()
                        .is_some_and(|n| (-MAX_EXACT_INTEGER..=MAX_EXACT_INTEGER).contains(&n))
            }
            Value::Array(_) | Value::Object(_) => false,
        }
    }

    /// The kinds, as a refusal names them.
    fn describe(self) -> String {
        let names: Vec<&str> = [
            (self.integer, "an integer"),
            (self.string, "a string"),
            (self.boolean, "a boolean"),
            (self.null, "null"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if names.is_empty() {
            "nothing: it is not a param a key can name".to_owned()
        } else {
            names.join(" or ")
        }
    }
}

/// Each context's params and the kinds their values may take, read from its arguments' schema
/// once per context.
#[derive(Default)]
pub(crate) struct ParamKinds {
    by_context: Mutex<HashMap<&'static str, Arc<HashMap<&'static str, Kinds>>>>,
}

impl ParamKinds {
    fn of(&self, def: &'static FunctionDef) -> Arc<HashMap<&'static str, Kinds>> {
        let mut known = self
            .by_context
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(known.entry(def.name).or_insert_with(|| {
            let mut generator = schemars::SchemaGenerator::default();
            let schema = (def.args_schema)(&mut generator).to_value();
            let definitions = generator.take_definitions(true);
            let resolve = |schema: &'_ Value| -> Value {
                // A named type's schema is a `$ref` into the generator's definitions.
                schema
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|target| target.rsplit('/').next())
                    .and_then(|name| definitions.get(name))
                    .cloned()
                    .unwrap_or_else(|| schema.clone())
            };
            let arguments = resolve(&schema);
            let properties = arguments.get("properties");
            Arc::new(
                def.params
                    .iter()
                    .map(|param| {
                        let kinds = properties
                            .and_then(|properties| properties.get(param.name))
                            .map_or(Kinds::SCALAR, |property| Kinds::of(&resolve(property)));
                        (param.name, kinds)
                    })
                    .collect(),
            )
        }))
    }
}

/// Takes a `watch`: each key is checked on its own ([`watchable`]), and kept only when accepted
/// and within the socket's [`MAX_WATCHED`].
pub(crate) async fn watch(
    registry: &Registry,
    kinds: &ParamKinds,
    ctx: &RequestContext,
    connection: &Connection,
    keys: Vec<String>,
) -> Watching {
    let mut accepted = Vec::new();
    let mut refused = Vec::new();
    let mut keys = keys.into_iter();
    // At most what a socket may watch is looked at: the rest is refused unchecked.
    for key in keys.by_ref().take(MAX_WATCHED) {
        match watchable(registry, kinds, ctx, &key).await {
            Ok(parsed) if connection.watch(&parsed) => accepted.push(key),
            Ok(_) => refused.push(RefusedKey {
                key,
                error: MizanError::bad_request(format!(
                    "a socket watches at most {MAX_WATCHED} instances"
                )),
            }),
            Err(error) => refused.push(RefusedKey {
                key: shortened(key),
                error,
            }),
        }
    }
    refused.extend(keys.map(|key| RefusedKey {
        key: shortened(key),
        error: MizanError::bad_request(format!("a watch takes at most {MAX_WATCHED} keys")),
    }));
    Watching {
        keys: accepted,
        refused,
    }
}

/// A refused key as the answer repeats it: a long one is cut (the client knows what it sent),
/// so a refusal never costs more than the key's limit.
fn shortened(mut key: String) -> String {
    if key.len() > MAX_WATCH_KEY_BYTES {
        let mut end = MAX_WATCH_KEY_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
        key.push('…');
    }
    key
}

/// `key` parsed, when the caller may watch it (see the module docs): a client never receives
/// the keys of a context it could not call.
pub(crate) async fn watchable(
    registry: &Registry,
    kinds: &ParamKinds,
    ctx: &RequestContext,
    key: &str,
) -> Result<ContextKey, MizanError> {
    if key.len() > MAX_WATCH_KEY_BYTES {
        return Err(MizanError::bad_request(format!(
            "a watched key is at most {MAX_WATCH_KEY_BYTES} bytes"
        )));
    }
    let parsed =
        ContextKey::parse(key).map_err(|error| MizanError::bad_request(error.to_string()))?;
    let def = registry
        .get(parsed.name())
        .filter(|def| def.kind == FunctionKind::Context)
        .ok_or_else(|| MizanError::not_found(format!("no context named `{}`", parsed.name())))?;
    authorize(&def.auth, ctx).await?;
    let params = kinds.of(def);
    for (name, value) in parsed.params() {
        let Some(allowed) = params.get(name.as_str()) else {
            return Err(MizanError::bad_request(format!(
                "`{}` has no param `{name}`",
                def.name
            )));
        };
        if !allowed.admit(value) {
            return Err(MizanError::bad_request(format!(
                "`{}`'s param `{name}` is {}",
                def.name,
                allowed.describe()
            )));
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Kinds, ParamKinds, watchable};
    use crate::server::{
        auth::AuthRule,
        context::RequestContext,
        registry::{FunctionDef, FunctionKind, ParamDef, Registry},
    };

    static SECRET: FunctionDef =
        FunctionDef::for_test("watch_test_secret", FunctionKind::Context, &[], &[])
            .with_auth(AuthRule::SignedIn);
    static QUERY: FunctionDef =
        FunctionDef::for_test("watch_test_query", FunctionKind::Query, &[], &[]);
    static PARAMS: [ParamDef; 1] = [ParamDef {
        name: "user_id",
        ty: "i64",
        type_id: std::any::TypeId::of::<i64>,
    }];
    static PROFILE: FunctionDef =
        FunctionDef::for_test("watch_test_profile", FunctionKind::Context, &PARAMS, &[]);

    async fn check(key: &str) -> Result<(), String> {
        let registry = Registry::from_defs([&SECRET, &QUERY, &PROFILE]).expect("registry");
        watchable(
            &registry,
            &ParamKinds::default(),
            &RequestContext::detached(),
            key,
        )
        .await
        .map(|_| ())
        .map_err(|error| format!("{}: {}", error.code.as_str(), error.message))
    }

    #[tokio::test]
    async fn a_context_the_caller_may_not_read_cannot_be_watched() {
        assert!(
            check("watch_test_secret")
                .await
                .expect_err("refused")
                .starts_with("UNAUTHORIZED")
        );
        assert!(
            check("watch_test_query")
                .await
                .expect_err("not a context")
                .starts_with("NOT_FOUND")
        );
    }

    #[tokio::test]
    async fn a_key_names_only_the_contexts_params_within_its_size() {
        assert_eq!(check("watch_test_profile").await, Ok(()));
        assert_eq!(check("watch_test_profile:{\"user_id\":5}").await, Ok(()));
        let stranger = check("watch_test_profile:{\"current_user\":1}").await;
        assert!(
            stranger
                .expect_err("not a param")
                .contains("no param `current_user`")
        );
        let padded = format!("watch_test_profile:{{\"user_id\":\"{}\"}}", "x".repeat(600));
        assert!(padded.len() > super::MAX_WATCH_KEY_BYTES);
        assert!(
            check(&padded)
                .await
                .expect_err("too long")
                .contains("at most 512 bytes")
        );
    }

    #[test]
    fn a_params_value_has_a_kind_its_schema_allows() {
        let integer = Kinds::of(&json!({"type": "integer", "format": "int64"}));
        assert!(integer.admit(&json!(5)));
        assert!(!integer.admit(&json!("5")), "5 is not \"5\"");
        assert!(!integer.admit(&json!(1.5)), "floats are not params");
        assert!(
            !integer.admit(&json!(1_i64 << 54)),
            "beyond JavaScript's exact integers"
        );
        assert!(!integer.admit(&json!({"a": 1})));
        let optional = Kinds::of(&json!({"type": ["string", "null"]}));
        assert!(optional.admit(&json!(null)) && optional.admit(&json!("a")));
        assert!(!optional.admit(&json!(true)));
        let float = Kinds::of(&json!({"type": "number"}));
        assert!(!float.admit(&json!(1)) && !float.admit(&json!(1.5)));
        assert!(float.describe().contains("not a param"));
        let named = Kinds::of(&json!({"$ref": "#/$defs/Tab"}));
        assert!(named.admit(&json!("new")) && !named.admit(&json!(null)));
        assert!(!named.admit(&json!([1])));
    }
}
