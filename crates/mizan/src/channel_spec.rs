//! What a typed channel is to both builds: its wire name and its three message types. The
//! browser subscribes and sends with them ([`use_channel`](crate::use_channel)); the server adds
//! who may join and what a message does (`mizan::server::Channel`).

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

/// A channel's params in their one text form, the same in the server's `message` frames and in
/// both clients' subscription keys: compact JSON, every object's keys sorted, null members left
/// out (an absent optional field and a `null` one are the same subscription).
pub fn canonical_params(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let sorted: std::collections::BTreeMap<&String, &Value> =
                map.iter().filter(|(_, v)| !v.is_null()).collect();
            let members: Vec<String> = sorted
                .into_iter()
                .map(|(key, value)| {
                    format!("{}:{}", Value::String(key.clone()), canonical_params(value))
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_params)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

/// A channel's name and types, shared by the server and the browser. Implement it beside the
/// message types (in code both builds compile), and `mizan::server::Channel` on the server.
pub trait ChannelSpec: Send + Sync + 'static {
    /// The channel's name on the wire (`"channel": "chat"`), unique in the app.
    const NAME: &'static str;
    /// What a subscription names (`{ room }`).
    type Params: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static;
    /// What a client sends.
    type ClientMessage: Serialize + DeserializeOwned + Send + 'static;
    /// What the group hears.
    type ServerMessage: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::canonical_params;

    #[test]
    fn params_are_sorted_compact_and_without_nulls() {
        assert_eq!(
            canonical_params(
                &json!({"room": "a", "lang": null, "nested": {"z": 1, "a": [2, {"y": null, "b": "é\n"}]}})
            ),
            r#"{"nested":{"a":[2,{"b":"é\n"}],"z":1},"room":"a"}"#
        );
    }
}
