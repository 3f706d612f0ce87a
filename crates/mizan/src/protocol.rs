//! The wire protocol shared by every transport and both frontends: paths, envelopes, headers.
//!
//! `docs/protocol.md` is the prose version of this module.

use serde::{Deserialize, Serialize, ser::SerializeMap};
use serde_json::value::RawValue;

/// Every path of mizan's HTTP surface starts here.
pub const API_PREFIX: &str = "/api/mizan/";

/// Largest request body any mizan endpoint accepts (1 MiB); larger is `PAYLOAD_TOO_LARGE`.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The generic call endpoint: `POST {"fn": "<name>", "args": {...}}`.
pub const CALL_PATH: &str = "/api/mizan/call/";

/// Prefix of the per-function endpoints: `POST /api/mizan/fn/<name>` with `{"args": {...}}`.
pub const FUNCTION_PREFIX: &str = "/api/mizan/fn";

/// Where forms are submitted: `POST /api/mizan/form/<name>`, with `{"args": <fields>}` (JSON) or
/// as a plain HTML form.
pub const FORM_PREFIX: &str = "/api/mizan/form/";

/// Response header carrying the invalidated keys as a JSON array, like the body's `invalidate`.
pub const INVALIDATE_HEADER: &str = "x-mizan-invalidate";

/// A successful call: the function's result and the context keys it invalidated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// The function's output, serialized once and written into the body as is.
    pub result: Box<RawValue>,
    /// Context keys to refresh; empty when the call changed nothing anyone watches.
    #[serde(default)]
    pub invalidate: Vec<String>,
}

/// The body of `POST /api/mizan/call/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    /// The registered function name.
    #[serde(rename = "fn")]
    pub function: String,
    /// The arguments, an object keyed by parameter name (absent means none).
    #[serde(default)]
    pub args: RawArgs,
}

/// The batch endpoint: several reads in one request, each through the pipeline.
pub const BATCH_PATH: &str = "/api/mizan/batch/";

/// The Edge manifest: every function, context and invalidation edge (`GET`).
pub const MANIFEST_PATH: &str = "/api/mizan/manifest";

/// The registry as an OpenAPI 3.1 document (`GET`).
pub const OPENAPI_PATH: &str = "/api/mizan/openapi.json";

/// Most calls one batch may carry.
pub const MAX_BATCH_CALLS: usize = 64;

/// The body of `POST /api/mizan/batch/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The calls, answered in the same order.
    pub calls: Vec<CallRequest>,
}

/// The answer of `POST /api/mizan/batch/`: one outcome per call, in order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchResponse {
    /// Each call's envelope or error.
    pub results: Vec<BatchOutcome>,
}

/// One call's answer inside a batch: `{"result", "invalidate"}` or `{"error": {...}}`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum BatchOutcome {
    /// It succeeded.
    Ok(Envelope),
    /// It failed; the other calls are unaffected.
    Err {
        /// The error, as every endpoint spells it.
        error: crate::error::MizanError,
    },
}

// Read by field rather than `untagged`: serde buffers untagged input, and a raw `result` cannot
// be read back from that buffer.
impl<'de> Deserialize<'de> for BatchOutcome {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        fn present<'de, D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Box<RawValue>>, D::Error> {
            // `null` is a result too (a function returning `()`), so not `Option`'s own rule.
            Box::<RawValue>::deserialize(deserializer).map(Some)
        }
        #[derive(Deserialize)]
        struct Wire {
            #[serde(default, deserialize_with = "present")]
            result: Option<Box<RawValue>>,
            #[serde(default)]
            invalidate: Vec<String>,
            #[serde(default)]
            error: Option<crate::error::MizanError>,
        }
        let wire = Wire::deserialize(deserializer)?;
        match (wire.error, wire.result) {
            (Some(error), _) => Ok(Self::Err { error }),
            (None, Some(result)) => Ok(Self::Ok(Envelope {
                result,
                invalidate: wire.invalidate,
            })),
            (None, None) => Err(serde::de::Error::custom(
                "a batch outcome has either `result` or `error`",
            )),
        }
    }
}

/// A call's arguments as their raw JSON text: the pipeline decodes them once, straight into the
/// function's argument struct, with no intermediate JSON tree. Defaults to `{}` (no arguments).
#[derive(Debug, Clone, Default)]
pub struct RawArgs(Option<Box<RawValue>>);

impl RawArgs {
    /// `{}`: the arguments of a function with none.
    pub fn empty() -> Self {
        Self(None)
    }

    /// Serializes typed arguments.
    pub fn from_value(args: &impl Serialize) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(args).map(|raw| Self(Some(raw)))
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.as_deref().map_or("{}", RawValue::get)
    }
}

impl Serialize for RawArgs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Some(raw) => raw.serialize(serializer),
            None => serializer.serialize_map(Some(0))?.end(),
        }
    }
}

impl<'de> Deserialize<'de> for RawArgs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(|raw| Self(Some(raw)))
    }
}

/// The `X-Mizan-Invalidate` header value for these keys: a JSON array, `[]` when empty.
pub fn invalidate_header_value(keys: &[String]) -> String {
    // A list of strings always serializes; the fallback only satisfies the fallible signature.
    serde_json::to_string(keys).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{BatchOutcome, BatchResponse, CallRequest, RawArgs};

    #[test]
    fn absent_arguments_are_an_empty_object_both_ways() {
        assert_eq!(RawArgs::empty().get(), "{}");
        assert_eq!(
            serde_json::to_string(&CallRequest {
                function: "f".into(),
                args: RawArgs::empty(),
            })
            .expect("serialize"),
            r#"{"fn":"f","args":{}}"#
        );
        let call: CallRequest = serde_json::from_str(r#"{"fn":"f"}"#).expect("no args");
        assert_eq!(call.args.get(), "{}");
        let call: CallRequest =
            serde_json::from_str(r#"{"fn":"f","args":{"a": [1]}}"#).expect("args");
        assert_eq!(call.args.get(), r#"{"a": [1]}"#);
    }

    #[test]
    fn batch_outcomes_read_back_results_errors_and_null() {
        let text = r#"{"results":[{"result":{"a":[1,2]},"invalidate":["k"]},{"result":null,"invalidate":[]},{"error":{"code":"NOT_FOUND","message":"no","details":null}}]}"#;
        let response: BatchResponse = serde_json::from_str(text).expect("valid");
        assert!(
            matches!(&response.results[0], BatchOutcome::Ok(e) if e.result.get() == r#"{"a":[1,2]}"# && e.invalidate == ["k"])
        );
        assert!(matches!(&response.results[1], BatchOutcome::Ok(e) if e.result.get() == "null"));
        assert!(
            matches!(&response.results[2], BatchOutcome::Err { error } if error.code == crate::error::ErrorCode::NotFound)
        );
        assert_eq!(serde_json::to_string(&response).expect("serialize"), text);
        assert!(serde_json::from_str::<BatchOutcome>("{}").is_err());
    }
}
