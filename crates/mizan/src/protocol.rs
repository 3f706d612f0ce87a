//! The wire protocol shared by every transport and both frontends: paths, envelopes, headers.
//!
//! `docs/protocol.md` is the prose version of this module.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The generic call endpoint: `POST {"fn": "<name>", "args": {...}}`.
pub const CALL_PATH: &str = "/api/mizan/call/";

/// Prefix of the per-function endpoints: `POST /api/mizan/fn/<name>` with `{"args": {...}}`.
pub const FUNCTION_PREFIX: &str = "/api/mizan/fn";

/// Response header carrying the invalidated keys as a JSON array, like the body's `invalidate`.
pub const INVALIDATE_HEADER: &str = "x-mizan-invalidate";

/// A successful call: the function's result and the context keys it invalidated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The function's output, serialized.
    pub result: Value,
    /// Context keys to refresh; empty when the call changed nothing anyone watches.
    #[serde(default)]
    pub invalidate: Vec<String>,
}

/// The body of `POST /api/mizan/call/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRequest {
    /// The registered function name.
    #[serde(rename = "fn")]
    pub function: String,
    /// The arguments, an object keyed by parameter name (absent means none).
    #[serde(default = "empty_args")]
    pub args: Value,
}

/// The arguments of a call with none: `{}`.
pub fn empty_args() -> Value {
    Value::Object(serde_json::Map::new())
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
