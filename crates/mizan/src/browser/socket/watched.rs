//! Which keys the tab's socket watches, and which pushed keys it may drop because the tab's own
//! answers applied them a moment ago: plain data, tested natively.

use std::collections::BTreeSet;

use crate::invalidation::ContextKey;

/// How long a key applied from an answer suppresses the same pushed key (ms).
pub const OWN_KEY_WINDOW_MS: f64 = 1_000.0;

/// The instance keys the socket watches: the live instances' keys, kept in step by
/// [`Watched::sync`].
#[derive(Debug, Default)]
pub struct Watched(BTreeSet<String>);

impl Watched {
    /// Makes the set `live`; answers the keys to watch and the keys to unwatch.
    pub fn sync(&mut self, live: Vec<String>) -> (Vec<String>, Vec<String>) {
        let live: BTreeSet<String> = live.into_iter().collect();
        let added = live.difference(&self.0).cloned().collect();
        let removed = self.0.difference(&live).cloned().collect();
        self.0 = live;
        (added, removed)
    }

    /// Every watched key.
    pub fn keys(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

/// Keys this tab applied from its own calls' answers, with when (ms), for
/// [`OWN_KEY_WINDOW_MS`].
#[derive(Debug, Default)]
pub struct OwnKeys(Vec<(String, f64)>);

impl OwnKeys {
    /// `keys` were applied from an answer at `now`.
    pub fn note(&mut self, keys: &[String], now: f64) {
        self.0.retain(|(_, at)| now - at < OWN_KEY_WINDOW_MS);
        self.0.extend(keys.iter().map(|key| (key.clone(), now)));
    }

    /// `keys` without those some key this tab applied in the window covers: those instances
    /// were refetched already. (The Leptos client's HTTP calls do not name the socket, so the
    /// server pushes their keys back; and a sign-in or sign-out reconnects the socket, whose
    /// refetch of every live instance would repeat the answer's. The cost: another client's
    /// change to the same instance within the window is picked up by the refetch under way, or
    /// missed until the next.)
    pub fn foreign(&mut self, keys: Vec<String>, now: f64) -> Vec<String> {
        self.0.retain(|(_, at)| now - at < OWN_KEY_WINDOW_MS);
        let own: Vec<ContextKey> = self
            .0
            .iter()
            .filter_map(|(key, _)| ContextKey::parse(key).ok())
            .collect();
        keys.into_iter()
            .filter(|key| {
                let Ok(key) = ContextKey::parse(key) else {
                    return true;
                };
                !own.iter().any(|own| own.covers(key.name(), key.params()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{OwnKeys, Watched};

    #[test]
    fn the_watched_keys_follow_the_live_instances() {
        let mut watched = Watched::default();
        let keys = |list: &[&str]| list.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            watched.sync(keys(&["current_user", "p:{\"id\":1}"])),
            (keys(&["current_user", "p:{\"id\":1}"]), vec![])
        );
        assert_eq!(
            watched.sync(keys(&["current_user", "p:{\"id\":2}", "p:{\"id\":2}"])),
            (keys(&["p:{\"id\":2}"]), keys(&["p:{\"id\":1}"])),
            "a param change: the new key in, the old out"
        );
        assert_eq!(watched.keys(), keys(&["current_user", "p:{\"id\":2}"]));
    }

    #[test]
    fn a_pushed_key_the_tab_just_applied_is_dropped() {
        let mut own = OwnKeys::default();
        own.note(&["current_user".into(), "p".into()], 0.0);
        let pushed = || {
            vec![
                "current_user".to_owned(),
                "site_stats".to_owned(),
                r#"p:{"id":1}"#.to_owned(),
            ]
        };
        assert_eq!(
            own.foreign(pushed(), 100.0),
            ["site_stats"],
            "covered keys dropped"
        );
        assert_eq!(
            own.foreign(pushed(), 5_000.0),
            pushed(),
            "too old to be this tab's"
        );
    }
}
