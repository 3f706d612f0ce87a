//! Context keys: the one canonical text form of "this context, these params" that invalidations
//! carry, and the rule deciding which live context instances a key refreshes.
//!
//! A key is the context's name, then — when it is scoped — `:` and a compact JSON object of
//! param values with its names in ascending byte order: `current_user`, `user_profile`,
//! `user_profile:{"user_id":5}`. A key covers an instance of the same context when every param it
//! names has the same value in the instance; a key without params covers every instance.

use std::{collections::BTreeMap, fmt};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A context (all of its instances), or the instances whose params have the given values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextKey {
    name: String,
    params: BTreeMap<String, Value>,
}

/// A key's text is not of the canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The part before `:` is not a Rust identifier.
    #[error("context key `{0}`: the name must be an identifier")]
    BadName(String),
    /// The part after `:` is not a JSON object.
    #[error("context key `{0}`: the params after `:` must be a JSON object")]
    BadParams(String),
}

impl ContextKey {
    /// Every instance of the context `name`.
    pub fn whole(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            params: BTreeMap::new(),
        }
    }

    /// Narrows the key to instances whose `param` equals `value`: an integer (within ±2^53, so
    /// the TypeScript runtime keeps it exact), a string or a boolean. Floats are not params:
    /// `1.0` and `1` are different keys here, the same number in JavaScript.
    #[must_use]
    pub fn with(mut self, param: impl Into<String>, value: impl Into<Value>) -> Self {
        self.params.insert(param.into(), value.into());
        self
    }

    /// The key of one instance: the context's name and all its param values.
    pub fn instance(name: impl Into<String>, params: BTreeMap<String, Value>) -> Self {
        Self {
            name: name.into(),
            params,
        }
    }

    /// The context's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The params the key is scoped to (empty: the whole context).
    pub fn params(&self) -> &BTreeMap<String, Value> {
        &self.params
    }

    /// Whether this key refreshes the instance of context `name` with these `params`.
    pub fn covers(&self, name: &str, params: &BTreeMap<String, Value>) -> bool {
        self.name == name
            && self
                .params
                .iter()
                .all(|(param, value)| params.get(param) == Some(value))
    }

    /// Parses the canonical text form (see the module docs).
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let (name, params) = match text.split_once(':') {
            Some((name, params)) => (name, Some(params)),
            None => (text, None),
        };
        let is_identifier = name
            .chars()
            .next()
            .is_some_and(|first| first.is_alphabetic() || first == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !is_identifier {
            return Err(KeyError::BadName(text.to_owned()));
        }
        let params = match params {
            None => BTreeMap::new(),
            Some(json) => {
                serde_json::from_str(json).map_err(|_| KeyError::BadParams(text.to_owned()))?
            }
        };
        Ok(Self::instance(name, params))
    }
}

impl fmt::Display for ContextKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.params.is_empty() {
            return Ok(());
        }
        // The map is ordered, and serde_json writes compact JSON with the same string escapes
        // as JavaScript's `JSON.stringify`, which is what lets the TypeScript runtime agree.
        let json = serde_json::to_string(&self.params).map_err(|_| fmt::Error)?;
        write!(f, ":{json}")
    }
}

impl Serialize for ContextKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ContextKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(value: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(value).expect("object")
    }

    /// The golden fixture the TypeScript runtime reads too: both produce, parse and match keys
    /// the same way.
    #[test]
    fn keys_agree_with_the_shared_fixture() {
        let fixture: Value =
            serde_json::from_str(include_str!("../../../fixtures/protocol.json")).expect("json");
        for case in fixture["canonical_keys"].as_array().expect("keys") {
            let key = ContextKey::instance(
                case["name"].as_str().expect("name"),
                params(case["params"].clone()),
            );
            assert_eq!(key.to_string(), case["key"], "{case}");
        }
        for case in fixture["parse"]["valid"].as_array().expect("valid") {
            let text = case["key"].as_str().expect("key");
            let key = ContextKey::parse(text).expect(text);
            assert_eq!(key.name(), case["name"], "{case}");
            assert_eq!(key.params(), &params(case["params"].clone()), "{case}");
            assert_eq!(key.to_string(), text);
        }
        for case in fixture["parse"]["invalid"].as_array().expect("invalid") {
            let text = case.as_str().expect("key");
            assert!(ContextKey::parse(text).is_err(), "{text:?} is refused");
        }
        for case in fixture["covers"].as_array().expect("covers") {
            let key = ContextKey::parse(case["key"].as_str().expect("key")).expect("parses");
            let name = case["name"].as_str().expect("name");
            let covers = key.covers(name, &params(case["params"].clone()));
            assert_eq!(Value::Bool(covers), case["covers"], "{case}");
        }
    }

    #[test]
    fn canonical_text_sorts_params_and_is_compact() {
        assert_eq!(
            ContextKey::whole("current_user").to_string(),
            "current_user"
        );
        let key = ContextKey::whole("feed")
            .with("user_id", 5)
            .with("tab", "new \"posts\"")
            .with("archived", false);
        assert_eq!(
            key.to_string(),
            r#"feed:{"archived":false,"tab":"new \"posts\"","user_id":5}"#
        );
        // Insertion order never shows: the same params give the same text.
        let other = ContextKey::whole("feed")
            .with("archived", false)
            .with("user_id", 5)
            .with("tab", "new \"posts\"");
        assert_eq!(key.to_string(), other.to_string());
        assert_eq!(
            ContextKey::whole("p").with("name", "zoë\n").to_string(),
            "p:{\"name\":\"zoë\\n\"}"
        );
    }

    #[test]
    fn parse_round_trips_and_refuses_malformed_keys() {
        for text in [
            "current_user",
            r#"user_profile:{"user_id":5}"#,
            r#"feed:{"archived":false,"tab":"a:b","user_id":-3}"#,
        ] {
            assert_eq!(ContextKey::parse(text).expect(text).to_string(), text);
        }
        assert!(matches!(ContextKey::parse(""), Err(KeyError::BadName(_))));
        assert!(matches!(
            ContextKey::parse("user-profile"),
            Err(KeyError::BadName(_))
        ));
        assert!(matches!(
            ContextKey::parse("user_profile:[5]"),
            Err(KeyError::BadParams(_))
        ));
        assert!(matches!(
            ContextKey::parse("user_profile:{"),
            Err(KeyError::BadParams(_))
        ));
    }

    #[test]
    fn a_key_covers_instances_whose_params_match_the_ones_it_names() {
        let five = params(json!({"user_id": 5}));
        let six = params(json!({"user_id": 6}));
        let scoped = ContextKey::whole("user_profile").with("user_id", 5);
        assert!(scoped.covers("user_profile", &five));
        assert!(!scoped.covers("user_profile", &six));
        assert!(!scoped.covers("other", &five));
        // A string "5" is not the number 5.
        assert!(!scoped.covers("user_profile", &params(json!({"user_id": "5"}))));

        let whole = ContextKey::whole("user_profile");
        assert!(whole.covers("user_profile", &five) && whole.covers("user_profile", &six));

        // Scoped on one of two params: every instance with that value, whatever the other.
        let feed = ContextKey::whole("feed").with("user_id", 5);
        assert!(feed.covers("feed", &params(json!({"user_id": 5, "tab": "a"}))));
        assert!(!feed.covers("feed", &params(json!({"user_id": 6, "tab": "a"}))));
    }

    #[test]
    fn keys_travel_as_their_text() {
        let key = ContextKey::whole("user_profile").with("user_id", 1);
        let json = serde_json::to_string(&vec![key.clone()]).expect("serialize");
        assert_eq!(json, r#"["user_profile:{\"user_id\":1}"]"#);
        let back: Vec<ContextKey> = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, [key]);
    }
}
