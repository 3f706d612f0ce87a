//! The wire protocol shared by every transport and both frontends: paths, envelopes, headers.
//!
//! `docs/protocol.md` is the prose version of this module.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The generic call endpoint: `POST {"fn": "<name>", "args": {...}}`.
pub const CALL_PATH: &str = "/api/mizan/call/";

/// Prefix of the per-function endpoints: `POST /api/mizan/fn/<name>` with `{"args": {...}}`.
pub const FUNCTION_PREFIX: &str = "/api/mizan/fn";

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
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// A call's arguments as their raw JSON text: the pipeline decodes them once, straight into the
/// function's argument struct, with no intermediate JSON tree. Defaults to `{}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawArgs(pub Box<RawValue>);

impl RawArgs {
    /// `{}`: the arguments of a function with none.
    pub fn empty() -> Self {
        Self(
            RawValue::from_string("{}".to_owned())
                .unwrap_or_else(|_| unreachable!("an empty object is valid JSON")),
        )
    }

    /// Serializes typed arguments.
    pub fn from_value(args: &impl Serialize) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(args).map(Self)
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl Default for RawArgs {
    fn default() -> Self {
        Self::empty()
    }
}

/// The `X-Mizan-Invalidate` header value for these keys: a JSON array, `[]` when empty.
pub fn invalidate_header_value(keys: &[String]) -> String {
    serde_json::to_string(keys).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn the_macro_generates_endpoints_under_the_protocol_prefix() {
        assert_eq!(
            mizan_expand::client::FUNCTION_PREFIX,
            super::FUNCTION_PREFIX
        );
    }
}
