//! The invalidation graph: which contexts a mutation affects, the params that scope each edge,
//! the keys a successful call produces, and the Edge manifest that publishes all of it.
//!
//! The scoping rule: a context param is a scope of the edge when the mutation has an argument of
//! the same name and the same type (the same Rust type, whatever path or alias names it; the
//! same name with another type stops the registry from building, see
//! [`RegistryError::ScopeTypeMismatch`](super::registry::RegistryError::ScopeTypeMismatch)).
//! A successful call then invalidates the context instances whose scope params equal the call's
//! argument values; an edge with no scope params invalidates the whole context.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use serde::Serialize;
use serde_json::Value;

use super::registry::{ContextScope, FunctionDef, FunctionKind, ParamDef, Registry, linked};
use crate::invalidation::ContextKey;

/// Version of the manifest's JSON shape.
pub const MANIFEST_VERSION: u32 = 1;

/// One edge: `mutation` invalidates `context`, scoped by these params (empty: all instances).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// The mutation or view function.
    pub from: &'static str,
    /// The context it affects.
    pub to: &'static str,
    /// Params of the context that the mutation's arguments of the same name and type fill.
    pub scope: Vec<&'static str>,
}

/// The edges out of `def`, in its `affects` order.
pub fn edges_of(def: &FunctionDef) -> Vec<Edge> {
    def.affects
        .iter()
        .map(|&context| Edge {
            from: def.name,
            to: context,
            scope: linked(context)
                .map(|target| scope_params(def.params, target.params))
                .unwrap_or_default(),
        })
        .collect()
}

/// [`edges_of`], computed once per function per process (every successful call reads them).
fn cached_edges(def: &'static FunctionDef) -> Arc<[Edge]> {
    // Keyed by the definition's address: each `#[client]` function has one static definition.
    static EDGES: OnceLock<Mutex<HashMap<usize, Arc<[Edge]>>>> = OnceLock::new();
    let cache = EDGES.get_or_init(Mutex::default);
    let id = std::ptr::from_ref(def) as usize;
    if let Some(edges) = cache.lock().ok().and_then(|map| map.get(&id).cloned()) {
        return edges;
    }
    let edges: Arc<[Edge]> = edges_of(def).into();
    if let Ok(mut map) = cache.lock() {
        map.insert(id, edges.clone());
    }
    edges
}

/// The params of `to` that an argument of `from` fills. A same-named argument of another type
/// fills nothing here (the whole context is invalidated); a registry refuses such a pair.
fn scope_params(from: &[ParamDef], to: &'static [ParamDef]) -> Vec<&'static str> {
    to.iter()
        .filter(|param| from.iter().any(|arg| arg.fills(param) == Ok(true)))
        .map(|param| param.name)
        .collect()
}

/// The keys `def`'s `affects` declares for a call with these arguments (an object, as sent).
pub(crate) fn declared_keys(def: &'static FunctionDef, args: Option<&Value>) -> Vec<String> {
    if def.affects.is_empty() {
        return Vec::new();
    }
    cached_edges(def)
        .iter()
        .cloned()
        .map(|edge| {
            let mut key = ContextKey::whole(edge.to);
            for param in edge.scope {
                match args.and_then(|args| args.get(param)) {
                    Some(value) => key = key.with(param, value.clone()),
                    // Arguments we cannot read (renamed on the wire) widen to the whole context.
                    None => return ContextKey::whole(edge.to),
                }
            }
            key
        })
        .map(|key| key.to_string())
        .collect()
}

/// The Edge manifest: every function, context and edge of a registry (`GET /api/mizan/manifest`,
/// `server export manifest`). Functions switched off in the registry
/// ([`Registry::switch_off`]) are not in it, nor edges to them.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// Every function, by name.
    pub functions: Vec<FunctionEntry>,
    /// Every context, by name.
    pub contexts: Vec<ContextEntry>,
    /// Every mutation → context edge.
    pub edges: Vec<Edge>,
    /// Every channel's name (their messages' shapes are in the OpenAPI document).
    pub channels: Vec<&'static str>,
}

/// A function in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionEntry {
    /// Call name.
    pub name: &'static str,
    /// `query`, `mutation`, `context` or `view`.
    pub kind: FunctionKind,
    /// Its own endpoint.
    pub endpoint: &'static str,
    /// `none`, `user`, `staff` or a check's path.
    pub auth: &'static str,
    /// Flags.
    pub flags: Flags,
    /// Wire arguments.
    pub params: &'static [ParamDef],
    /// Contexts it invalidates (those served: a switched-off context is not named).
    pub affects: Vec<&'static str>,
    /// The form it submits, for a `#[derive(Form)]` struct's submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<&'static crate::form::FormSchema>,
}

/// A function's flags.
#[derive(Debug, Clone, Serialize)]
pub struct Flags {
    /// Callable over the WebSocket multiplex.
    pub websocket: bool,
}

/// A context in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ContextEntry {
    /// Its name, the first part of its keys.
    pub name: &'static str,
    /// `global` or `local`.
    pub scope: ContextScope,
    /// Its params, the rest of its keys.
    pub params: &'static [ParamDef],
    /// Who may read it.
    pub auth: &'static str,
    /// `public`: the same answer for everyone, an edge cache may share it; `private` (the
    /// default): it may depend on who asks, so never share it between callers.
    pub cache: CachePolicy,
    /// `per_user`: its value is the caller's own, so a mutation's keys for it reach only the
    /// caller's own sockets (left out when not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub per_user: bool,
}

/// Whether a context's answers may be shared between callers (`#[client(public)]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CachePolicy {
    /// The same for every caller: it runs without the caller's identity.
    Public,
    /// May depend on the caller; the default.
    Private,
}

impl Manifest {
    /// The manifest of `registry`.
    pub fn of(registry: &Registry) -> Self {
        let functions = registry
            .iter()
            .map(|def| FunctionEntry {
                name: def.name,
                kind: def.kind,
                endpoint: def.endpoint,
                auth: def.auth.label(),
                flags: Flags {
                    websocket: def.websocket,
                },
                params: def.params,
                affects: registry.served_affects(def),
                form: def.form.map(|schema| schema()),
            })
            .collect();
        let contexts = registry
            .iter()
            .filter_map(|def| {
                def.context.map(|scope| ContextEntry {
                    name: def.name,
                    scope,
                    params: def.params,
                    auth: def.auth.label(),
                    cache: if def.public {
                        CachePolicy::Public
                    } else {
                        CachePolicy::Private
                    },
                    per_user: def.per_user,
                })
            })
            .collect();
        let edges = registry
            .iter()
            .flat_map(edges_of)
            .filter(|edge| !registry.is_switched_off(edge.to))
            .collect();
        Self {
            version: MANIFEST_VERSION,
            functions,
            contexts,
            edges,
            channels: Vec::new(),
        }
    }

    /// The same, listing these channels by name.
    #[must_use]
    pub fn with_channels(mut self, names: impl IntoIterator<Item = &'static str>) -> Self {
        self.channels = names.into_iter().collect();
        self
    }

    /// Pretty JSON, as written to `mizan.manifest.json`.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}
