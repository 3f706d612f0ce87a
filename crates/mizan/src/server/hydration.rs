//! The hydration payload of a page not rendered by Leptos (the React app): the values of
//! contexts, keyed by canonical key, in a JSON data block the page's runtime reads at start-up,
//! so its first render makes no context request.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::value::RawValue;

/// The id of the data block (`getMizanHydration()` reads it).
pub const HYDRATION_ELEMENT_ID: &str = "mizan-hydration";

/// The payload: `{"version": 1, "contexts": {<key>: <value>}}`.
#[derive(Debug, Serialize)]
pub struct HydrationPayload {
    version: u32,
    contexts: BTreeMap<String, Box<RawValue>>,
}

impl Default for HydrationPayload {
    fn default() -> Self {
        Self::new()
    }
}

impl HydrationPayload {
    /// An empty payload.
    pub fn new() -> Self {
        Self {
            version: 1,
            contexts: BTreeMap::new(),
        }
    }

    /// Adds the value (already JSON, as a call's result is) of the context instance `key`.
    pub fn insert(&mut self, key: String, value: Box<RawValue>) {
        self.contexts.insert(key, value);
    }

    /// The `<script type="application/json">` block. `<`, `>`, `&` and the JavaScript line
    /// separators are written as `\u` escapes, which JSON reads back unchanged: no value can end
    /// the script, open a comment, or break an inline parser.
    pub fn to_script(&self) -> Result<String, serde_json::Error> {
        let json = serde_json::to_string(self)?;
        let mut script = String::with_capacity(json.len() + 80);
        script.push_str(r#"<script type="application/json" id=""#);
        script.push_str(HYDRATION_ELEMENT_ID);
        script.push_str(r#"">"#);
        for c in json.chars() {
            match c {
                '<' => script.push_str(r"\u003c"),
                '>' => script.push_str(r"\u003e"),
                '&' => script.push_str(r"\u0026"),
                '\u{2028}' => script.push_str(r"\u2028"),
                '\u{2029}' => script.push_str(r"\u2029"),
                c => script.push(c),
            }
        }
        script.push_str("</script>");
        Ok(script)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, value::to_raw_value};

    use super::HydrationPayload;

    #[test]
    fn the_script_is_the_fixtures_byte_for_byte() {
        let fixture: Value =
            serde_json::from_str(include_str!("../../../../fixtures/protocol.json"))
                .expect("the fixture is JSON");
        let hydration = &fixture["hydration"];
        let mut payload = HydrationPayload::new();
        let contexts = hydration["payload"]["contexts"]
            .as_object()
            .expect("contexts");
        for (key, value) in contexts {
            payload.insert(key.clone(), to_raw_value(value).expect("raw"));
        }
        let script = payload.to_script().expect("serializes");
        assert_eq!(script, hydration["script"].as_str().expect("a string"));
        assert_eq!(script.matches("</script>").count(), 1, "{script}");
        assert!(!script.contains("<!--"), "{script}");
    }
}
