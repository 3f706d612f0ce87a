//! The rule of optimistic patches: which live context instances a mutation's patch touches, which
//! patches a value shows and in what order, and when each patch goes (its call failed, or the
//! refetch its answer started has landed). Plain data, no Leptos: the browser runtime keeps one
//! [`Ledger`] per page, and the TypeScript runtime follows the same rule, held to the same
//! fixture (`fixtures/optimistic.json`).
//!
//! The guarantee a page gets: a patched value never shows the state from before the mutation
//! between the answer and the refetch. A patch stays until a refetch that *started after* its
//! answer lands, and the refetched value replaces it at once: the value shown is always the last
//! landed value with the patches still pending applied on top, in the order their mutations were
//! made. Only the latest refetch of an instance lands: an older one (TanStack Query cancels it
//! when a newer one starts) ends nothing and shows nothing. One that started before the answer
//! and is still the latest (Leptos runs the answer's refetch after it) leaves the patch on top of
//! what it brings.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Identifies one mutation's patches in a [`Ledger`].
pub type MutationId = u64;

/// Whether a mutation that `affects` these contexts, called with `args`, refreshes the instance
/// of context `name` with `params`: the mutation affects the context, and every param of the
/// instance that one of its arguments names (same name) has that argument's value. The server
/// scopes its invalidation the same way (an argument of a context param's name and type), so
/// this is the instance set the answer's keys will cover.
pub fn covers(
    affects: &[&str],
    args: &Map<String, Value>,
    name: &str,
    params: &BTreeMap<String, Value>,
) -> bool {
    affects.contains(&name)
        && params
            .iter()
            .all(|(param, value)| args.get(param).is_none_or(|arg| arg == value))
}

/// One instance's patch, and once its call was answered, the refetch it waits for.
struct Patch<I, P> {
    instance: I,
    patch: P,
    /// The number of the first refetch of `instance` that started after the answer: once it (or
    /// a later one) lands, the patch goes.
    until: Option<u64>,
}

/// The patches one mutation made.
struct Mutation<I, P> {
    id: MutationId,
    patches: Vec<Patch<I, P>>,
}

/// The pending patches of a page, by instance (`I`: how the runtime names a live instance) and
/// mutation, in the order the mutations were made; and each instance's refetches, numbered as
/// they start.
pub struct Ledger<I, P> {
    mutations: Vec<Mutation<I, P>>,
    started: Vec<(I, u64)>,
    next: MutationId,
}

impl<I, P> Default for Ledger<I, P> {
    fn default() -> Self {
        Self {
            mutations: Vec::new(),
            started: Vec::new(),
            next: 0,
        }
    }
}

impl<I: PartialEq + Clone, P> Ledger<I, P> {
    /// An empty ledger.
    pub fn new() -> Self {
        Self::default()
    }

    /// A mutation starts: its patches, one per live instance its call covers (see [`covers`]),
    /// show from now on. With no patch (no covered instance is live) nothing is kept, and its
    /// answer or failure changes nothing.
    pub fn begin(&mut self, patches: impl IntoIterator<Item = (I, P)>) -> MutationId {
        let id = self.next;
        self.next += 1;
        let patches: Vec<_> = patches
            .into_iter()
            .map(|(instance, patch)| Patch {
                instance,
                patch,
                until: None,
            })
            .collect();
        if !patches.is_empty() {
            self.mutations.push(Mutation { id, patches });
        }
        id
    }

    /// The mutation was answered with keys; `covered` says which instances they cover. Call it
    /// before those instances' refetches start: each covered patch waits for the next refetch of
    /// its instance, and a patch whose instance the keys do not cover goes now (the server says
    /// that value did not change). A mutation is answered once: a later call changes nothing.
    pub fn answered(&mut self, id: MutationId, covered: impl Fn(&I) -> bool) {
        let Some(index) = self.index_of(id) else {
            return;
        };
        let mut patches = std::mem::take(&mut self.mutations[index].patches);
        patches.retain(|patch| patch.until.is_some() || covered(&patch.instance));
        for patch in patches.iter_mut().filter(|patch| patch.until.is_none()) {
            patch.until = Some(self.started_count(&patch.instance) + 1);
        }
        if patches.is_empty() {
            self.mutations.remove(index);
        } else {
            self.mutations[index].patches = patches;
        }
    }

    /// The mutation failed: its patches go now, whatever else is pending.
    pub fn failed(&mut self, id: MutationId) {
        self.mutations.retain(|mutation| mutation.id != id);
    }

    /// A refetch of `instance` starts; its number, to hand to [`landed`](Self::landed).
    pub fn fetch_started(&mut self, instance: &I) -> u64 {
        match self.started.iter_mut().find(|(known, _)| known == instance) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                self.started.push((instance.clone(), 1));
                1
            }
        }
    }

    /// Refetch number `fetch` of `instance` landed; returns whether it counts. Only the latest
    /// refetch of an instance does: a newer one started since superseded it, and its value is
    /// never shown. One that counts is the instance's value now, and the patches that waited for
    /// it, or for an earlier one, go.
    pub fn landed(&mut self, instance: &I, fetch: u64) -> bool {
        let latest = self
            .started
            .iter()
            .find(|(known, _)| known == instance)
            .map_or(0, |(_, count)| *count);
        if fetch < latest {
            return false;
        }
        for mutation in &mut self.mutations {
            mutation.patches.retain(|patch| {
                patch.instance != *instance || patch.until.is_none_or(|until| fetch < until)
            });
        }
        self.mutations
            .retain(|mutation| !mutation.patches.is_empty());
        true
    }

    /// The instance went away (its component unmounted): its patches and numbers go with it.
    pub fn forget(&mut self, instance: &I) {
        for mutation in &mut self.mutations {
            mutation.patches.retain(|patch| patch.instance != *instance);
        }
        self.mutations
            .retain(|mutation| !mutation.patches.is_empty());
        self.started.retain(|(known, _)| known != instance);
    }

    /// The patches `instance` shows, oldest mutation first: apply them in this order to its last
    /// landed value.
    pub fn patches(&self, instance: &I) -> impl Iterator<Item = &P> {
        self.mutations.iter().flat_map(move |mutation| {
            mutation
                .patches
                .iter()
                .filter(move |patch| patch.instance == *instance)
                .map(|patch| &patch.patch)
        })
    }

    /// The instances mutation `id` still patches.
    pub fn instances_of(&self, id: MutationId) -> Vec<I> {
        self.index_of(id)
            .map(|index| {
                self.mutations[index]
                    .patches
                    .iter()
                    .map(|patch| patch.instance.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many mutations still hold a patch.
    pub fn pending(&self) -> usize {
        self.mutations.len()
    }

    fn index_of(&self, id: MutationId) -> Option<usize> {
        self.mutations.iter().position(|mutation| mutation.id == id)
    }

    fn started_count(&self, instance: &I) -> u64 {
        self.started
            .iter()
            .find(|(known, _)| known == instance)
            .map_or(0, |(_, count)| *count)
    }
}

#[cfg(test)]
mod tests {
    //! The shared fixture, played against the ledger by a small page of live instances.

    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::{Ledger, MutationId, covers};
    use crate::invalidation::ContextKey;

    #[derive(Deserialize)]
    struct Fixture {
        scoping: Vec<Scoping>,
        scenarios: Vec<Scenario>,
    }

    #[derive(Deserialize)]
    struct Scoping {
        about: String,
        affects: Vec<String>,
        args: Map<String, Value>,
        instance: String,
        covered: bool,
    }

    #[derive(Deserialize)]
    struct Scenario {
        name: String,
        live: BTreeMap<String, Value>,
        steps: Vec<Step>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Step {
        mutate: Option<String>,
        affects: Option<Vec<String>>,
        args: Option<Map<String, Value>>,
        patch: Option<BTreeMap<String, Value>>,
        answer: Option<String>,
        invalidate: Option<Vec<String>>,
        queued: Option<bool>,
        start: Option<String>,
        fail: Option<String>,
        push: Option<Vec<String>>,
        land: Option<String>,
        fetch: Option<u64>,
        value: Option<Value>,
        unmount: Option<String>,
        expect: Option<BTreeMap<String, Value>>,
        refetching: Option<Vec<String>>,
        pending: Option<usize>,
    }

    fn fixture() -> Fixture {
        serde_json::from_str(include_str!("../../../fixtures/optimistic.json"))
            .expect("fixtures/optimistic.json")
    }

    fn key(text: &str) -> ContextKey {
        ContextKey::parse(text).expect("a canonical key")
    }

    /// An op of the fixture applied to a value.
    fn apply(op: &Value, value: Value) -> Value {
        let (kind, operand) = op
            .as_object()
            .and_then(|op| op.iter().next())
            .expect("an op");
        match (kind.as_str(), value) {
            ("append", Value::Array(mut list)) => {
                list.push(operand.clone());
                Value::Array(list)
            }
            ("remove", Value::Array(list)) => {
                Value::Array(list.into_iter().filter(|item| item != operand).collect())
            }
            ("merge", Value::Object(mut object)) => {
                for (field, value) in operand.as_object().expect("fields") {
                    object.insert(field.clone(), value.clone());
                }
                Value::Object(object)
            }
            (kind, value) => panic!("op {kind} on {value}"),
        }
    }

    /// The live instances of a page, their landed values, the latest refetch of each.
    struct Page {
        values: BTreeMap<String, Value>,
        latest: BTreeMap<String, u64>,
        ledger: Ledger<String, Value>,
        ids: BTreeMap<String, MutationId>,
    }

    impl Page {
        fn shown(&self, instance: &String) -> Value {
            let base = self.values[instance].clone();
            self.ledger
                .patches(instance)
                .fold(base, |value, op| apply(op, value))
        }

        /// Refetches the live instances some key covers; the ones that started.
        fn refetch(&mut self, keys: &[String]) -> Vec<String> {
            let covered: Vec<String> = self
                .values
                .keys()
                .filter(|instance| {
                    let instance = key(instance);
                    keys.iter()
                        .any(|k| key(k).covers(instance.name(), instance.params()))
                })
                .cloned()
                .collect();
            for instance in &covered {
                let fetch = self.ledger.fetch_started(instance);
                self.latest.insert(instance.clone(), fetch);
            }
            covered
        }

        fn covered_by(keys: &[String]) -> impl Fn(&String) -> bool + '_ {
            move |instance| {
                let instance = key(instance);
                keys.iter()
                    .any(|k| key(k).covers(instance.name(), instance.params()))
            }
        }
    }

    #[test]
    fn a_mutation_patches_the_instances_its_invalidation_will_cover() {
        for case in fixture().scoping {
            let affects: Vec<&str> = case.affects.iter().map(String::as_str).collect();
            let instance = key(&case.instance);
            assert_eq!(
                covers(&affects, &case.args, instance.name(), instance.params()),
                case.covered,
                "{}",
                case.about
            );
        }
    }

    #[test]
    fn every_scenario_of_the_fixture_holds() {
        for scenario in fixture().scenarios {
            let mut page = Page {
                values: scenario.live.clone(),
                latest: BTreeMap::new(),
                ledger: Ledger::new(),
                ids: BTreeMap::new(),
            };
            for (number, step) in scenario.steps.into_iter().enumerate() {
                let at = format!("{}, step {}", scenario.name, number + 1);
                let mut refetching = Vec::new();
                if let Some(name) = &step.mutate {
                    let affects: Vec<&str> = step
                        .affects
                        .as_ref()
                        .expect("affects")
                        .iter()
                        .map(String::as_str)
                        .collect();
                    let args = step.args.clone().unwrap_or_default();
                    let ops = step.patch.clone().unwrap_or_default();
                    let patches: Vec<(String, Value)> = page
                        .values
                        .keys()
                        .filter_map(|instance| {
                            let parsed = key(instance);
                            let op = ops.get(parsed.name())?;
                            covers(&affects, &args, parsed.name(), parsed.params())
                                .then(|| (instance.clone(), op.clone()))
                        })
                        .collect();
                    let id = page.ledger.begin(patches);
                    page.ids.insert(name.clone(), id);
                }
                if let Some(name) = &step.answer {
                    let keys = step.invalidate.clone().unwrap_or_default();
                    // The ledger hears the answer first, then the covered instances refetch.
                    page.ledger
                        .answered(page.ids[name], Page::covered_by(&keys));
                    if step.queued != Some(true) {
                        refetching = page.refetch(&keys);
                    }
                }
                if let Some(instance) = &step.start {
                    let fetch = page.ledger.fetch_started(instance);
                    page.latest.insert(instance.clone(), fetch);
                }
                if let Some(name) = &step.fail {
                    page.ledger.failed(page.ids[name]);
                }
                if let Some(keys) = &step.push {
                    refetching = page.refetch(keys);
                }
                if let Some(instance) = &step.land {
                    let fetch = step.fetch.unwrap_or(page.latest[instance]);
                    // A refetch that does not count (a newer one started) lands nothing.
                    if page.ledger.landed(instance, fetch) {
                        page.values
                            .insert(instance.clone(), step.value.clone().expect("a value"));
                    }
                }
                if let Some(instance) = &step.unmount {
                    page.values.remove(instance);
                    page.ledger.forget(instance);
                }
                if let Some(expected) = &step.refetching {
                    assert_eq!(&refetching, expected, "{at}: refetching");
                }
                for (instance, expected) in step.expect.iter().flatten() {
                    assert_eq!(&page.shown(instance), expected, "{at}: {instance}");
                }
                if let Some(pending) = step.pending {
                    assert_eq!(page.ledger.pending(), pending, "{at}: pending");
                }
            }
        }
    }
}
