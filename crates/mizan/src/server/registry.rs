//! The function registry: every `#[client]` function, collected at link time with `inventory`.

use std::{collections::BTreeMap, sync::OnceLock};

use futures::future::BoxFuture;
use serde::Serialize;

use super::{context::RequestContext, pipeline::Outcome};
use crate::{error::MizanError, protocol::RawArgs};

/// What a function is to its callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FunctionKind {
    /// Reads data; no declared effects.
    Query,
    /// Changes data (declared with `#[client(mutation)]`, or implied by `affects`).
    Mutation,
    /// Data pages render and keep live (`#[client(context = global | local)]`).
    Context,
    /// Returns an HTTP response (redirect, HTML, file) passed through as is; no generated hook.
    View,
}

/// Which instances of a context exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextScope {
    /// One instance, no params.
    Global,
    /// One instance per params value.
    Local,
}

/// One wire argument of a function: its name and its Rust type as written (spaces removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ParamDef {
    /// The argument's name, its key in the arguments object.
    pub name: &'static str,
    /// Its type as written, e.g. `i64`; scoping compares types by this text.
    #[serde(rename = "type")]
    pub ty: &'static str,
}

/// A custom authorization check: allow (`Ok`) or refuse with the error to answer.
pub type CheckFn = fn(&RequestContext) -> BoxFuture<'static, Result<(), MizanError>>;

/// Who may call a function.
#[derive(Clone, Copy)]
pub enum AuthRule {
    /// Anyone, signed in or not.
    Public,
    /// A signed-in user (`#[client(auth)]`).
    SignedIn,
    /// A signed-in staff user (`#[client(auth = staff)]`).
    Staff,
    /// A function of the request context (`#[client(auth = path::to::check)]`).
    Check {
        /// The check's path as written, for the manifest.
        name: &'static str,
        /// The check.
        check: CheckFn,
    },
}

impl AuthRule {
    /// The rule as the manifest and docs spell it: `none`, `user`, `staff` or the check's path.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Public => "none",
            Self::SignedIn => "user",
            Self::Staff => "staff",
            Self::Check { name, .. } => name,
        }
    }
}

impl std::fmt::Debug for AuthRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// Runs a function through the pipeline: decoded from JSON arguments, answered as an [`Outcome`].
pub type InvokeFn = fn(RequestContext, RawArgs) -> BoxFuture<'static, Result<Outcome, MizanError>>;

/// Produces a JSON Schema.
pub type SchemaFn = fn() -> schemars::Schema;

/// One `#[client]` function, as the macro describes it.
pub struct FunctionDef {
    /// The call name (`"fn"` in `/api/mizan/call/`), the Rust function's name.
    pub name: &'static str,
    /// Query, mutation or view.
    pub kind: FunctionKind,
    /// Its own endpoint, `/api/mizan/fn/<name>`.
    pub endpoint: &'static str,
    /// Who may call it.
    pub auth: AuthRule,
    /// Global or local, for contexts.
    pub context: Option<ContextScope>,
    /// The wire arguments, in declaration order.
    pub params: &'static [ParamDef],
    /// The contexts a successful call invalidates (`affects = [...]`), by name.
    pub affects: &'static [&'static str],
    /// Also callable over the WebSocket multiplex.
    pub websocket: bool,
    /// The function's doc comment.
    pub doc: &'static str,
    /// JSON Schema of the arguments object.
    pub args_schema: SchemaFn,
    /// JSON Schema of the result (`None` for views).
    pub output_schema: Option<SchemaFn>,
    /// Runs it.
    pub invoke: InvokeFn,
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionDef")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .field("context", &self.context)
            .field("params", &self.params)
            .field("affects", &self.affects)
            .field("websocket", &self.websocket)
            .finish_non_exhaustive()
    }
}

/// What `inventory` collects: a reference to a macro-generated static [`FunctionDef`].
pub struct FunctionRef(pub &'static FunctionDef);

inventory::collect!(FunctionRef);

/// Two functions were registered under one name.
#[derive(Debug, thiserror::Error)]
#[error("two #[client] functions are named `{name}`; call names must be unique across the app")]
pub struct DuplicateFunction {
    /// The name.
    pub name: &'static str,
}

/// The linked function called `name`, whatever registry the server built: what the pipeline
/// consults to scope `affects`, which only names linked contexts (the compiler checked them).
pub(crate) fn linked(name: &str) -> Option<&'static FunctionDef> {
    static LINKED: OnceLock<BTreeMap<&'static str, &'static FunctionDef>> = OnceLock::new();
    LINKED
        .get_or_init(|| {
            inventory::iter::<FunctionRef>
                .into_iter()
                .map(|r| (r.0.name, r.0))
                .collect()
        })
        .get(name)
        .copied()
}

/// All registered functions by name.
#[derive(Debug, Clone)]
pub struct Registry {
    by_name: BTreeMap<&'static str, &'static FunctionDef>,
}

impl Registry {
    /// Collects every linked `#[client]` function.
    pub fn collect() -> Result<Self, DuplicateFunction> {
        Self::from_defs(inventory::iter::<FunctionRef>.into_iter().map(|r| r.0))
    }

    /// A registry of exactly these functions.
    pub fn from_defs(
        defs: impl IntoIterator<Item = &'static FunctionDef>,
    ) -> Result<Self, DuplicateFunction> {
        let mut by_name = BTreeMap::new();
        for def in defs {
            if by_name.insert(def.name, def).is_some() {
                return Err(DuplicateFunction { name: def.name });
            }
        }
        Ok(Self { by_name })
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<&'static FunctionDef> {
        self.by_name.get(name).copied()
    }

    /// Every function, ordered by name.
    pub fn iter(&self) -> impl Iterator<Item = &'static FunctionDef> + '_ {
        self.by_name.values().copied()
    }
}
