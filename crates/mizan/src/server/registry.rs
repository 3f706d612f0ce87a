//! The function registry: every `#[client]` function, collected at link time with `inventory`.

use std::{any::TypeId, collections::BTreeMap, sync::OnceLock};

use futures::future::BoxFuture;
use serde::Serialize;

use super::{auth::AuthRule, context::RequestContext, outcome::Outcome};
use crate::{error::MizanError, invalidation::ContextKey, protocol::RawArgs};

/// What a function is to its callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
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

/// One wire argument of a function: its name and its Rust type.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ParamDef {
    /// The argument's name, its key in the arguments object.
    pub name: &'static str,
    /// Its type as written, e.g. `i64` (for people and the manifest).
    #[serde(rename = "type")]
    pub ty: &'static str,
    /// Its type's identity: what scoping compares (an alias or a full path is the same type).
    #[serde(skip)]
    pub type_id: fn() -> TypeId,
}

impl ParamDef {
    /// Whether this argument of a mutation fills `param` of a context it affects: same name and
    /// same type. Same name, different type is an error (the two types as written), never
    /// silently "not a scope".
    pub fn fills(&self, param: &ParamDef) -> Result<bool, (&'static str, &'static str)> {
        if self.name != param.name {
            return Ok(false);
        }
        if (self.type_id)() == (param.type_id)() {
            Ok(true)
        } else {
            Err((self.ty, param.ty))
        }
    }
}

impl PartialEq for ParamDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && (self.type_id)() == (other.type_id)()
    }
}

impl Eq for ParamDef {}

/// Runs a function through the pipeline: decoded from JSON arguments, answered as an [`Outcome`].
pub type InvokeFn = fn(RequestContext, RawArgs) -> BoxFuture<'static, Result<Outcome, MizanError>>;

/// Produces a type's JSON Schema: a `$ref` into the generator's definitions for a named type
/// (which it adds there, with the types it uses), the schema itself for an inline one. The
/// generator's contract says whether it describes what the server reads or what it writes.
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

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
    /// A context declared `public`: the same answer for every caller, so edge caches may share
    /// it. It runs without the caller's identity (no session, cookies or user).
    pub public: bool,
    /// A context declared `per_user`: its value is the caller's own (their list, their profile
    /// as they see it). A mutation's keys for it reach only the sockets of the caller (their
    /// user, else their session), and [`RequestContext::user_changed`] sends them to that
    /// user's sockets.
    ///
    /// [`RequestContext::user_changed`]: super::RequestContext::user_changed
    pub per_user: bool,
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
    /// The schema of the form this function submits (`#[derive(Form)]`), `None` for others.
    pub form: Option<fn() -> &'static crate::form::FormSchema>,
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionDef")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .field("context", &self.context)
            .field("public", &self.public)
            .field("per_user", &self.per_user)
            .field("params", &self.params)
            .field("affects", &self.affects)
            .field("websocket", &self.websocket)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
impl FunctionDef {
    /// A definition for unit tests (public, not a websocket function, no docs); its `invoke` is
    /// never used: tests call the pipeline directly.
    pub(crate) const fn for_test(
        name: &'static str,
        kind: FunctionKind,
        params: &'static [ParamDef],
        affects: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            kind,
            endpoint: "/api/mizan/fn/test",
            auth: AuthRule::Public,
            context: match kind {
                FunctionKind::Context => Some(ContextScope::Local),
                _ => None,
            },
            public: false,
            per_user: false,
            params,
            affects,
            websocket: false,
            doc: "",
            args_schema: |generator| generator.subschema_for::<()>(),
            output_schema: None,
            invoke: |_, _| Box::pin(async { Err(MizanError::internal()) }),
            form: None,
        }
    }

    /// The same definition with this auth rule.
    pub(crate) const fn with_auth(mut self, auth: AuthRule) -> Self {
        self.auth = auth;
        self
    }

    /// The same definition, declared `public`.
    pub(crate) const fn public(mut self) -> Self {
        self.public = true;
        self
    }
}

/// What `inventory` collects: a reference to a macro-generated static [`FunctionDef`].
pub struct FunctionRef(pub &'static FunctionDef);

inventory::collect!(FunctionRef);

/// Why a set of functions cannot be served together.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two functions were registered under one name.
    #[error("two #[client] functions are named `{name}`; call names must be unique across the app")]
    DuplicateName {
        /// The name.
        name: &'static str,
    },
    /// A mutation affects a context, and an argument of the mutation has the name of one of the
    /// context's params but another type: the call's value could not select an instance.
    #[error(
        "`{function}` affects `{context}`, and both take `{param}`, but as different types \
         (`{function_type}` in `{function}`, `{context_type}` in `{context}`): give the argument \
         the context's type so it scopes the invalidation, or rename it so the whole context is \
         invalidated"
    )]
    ScopeTypeMismatch {
        /// The mutation (or view).
        function: &'static str,
        /// The context it affects.
        context: &'static str,
        /// The shared parameter name.
        param: &'static str,
        /// The argument's type in the mutation, as written.
        function_type: &'static str,
        /// The param's type in the context, as written.
        context_type: &'static str,
    },
    /// A function asked to be switched off is not linked (a typo, or a function renamed).
    #[error("cannot switch off `{name}`: no #[client] function has that name")]
    UnknownFunction {
        /// The name asked for.
        name: String,
    },
}

/// Every linked function by name, built once per process: what in-process calls consult to
/// scope `affects` (which names only linked contexts: the compiler checked them).
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

/// Whether `key` names an instance of a linked `per_user` context (whose keys reach only the
/// caller's own sockets).
pub(crate) fn is_per_user_key(key: &str) -> bool {
    ContextKey::parse(key)
        .ok()
        .and_then(|key| linked(key.name()))
        .is_some_and(|def| def.per_user)
}

/// A key for every instance of every linked `per_user` context: what a user's sockets refetch
/// when the app says the user changed.
pub(crate) fn per_user_keys() -> &'static [ContextKey] {
    static KEYS: OnceLock<Vec<ContextKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        inventory::iter::<FunctionRef>
            .into_iter()
            .filter(|r| r.0.per_user && r.0.context.is_some())
            .map(|r| ContextKey::whole(r.0.name))
            .collect()
    })
}

/// All registered functions by name: the functions a server serves.
#[derive(Debug, Clone)]
pub struct Registry {
    by_name: BTreeMap<&'static str, &'static FunctionDef>,
    /// Functions taken out by [`Registry::switch_off`], by name.
    switched_off: BTreeMap<&'static str, &'static FunctionDef>,
}

impl Registry {
    /// Collects every linked `#[client]` function and checks them together.
    pub fn collect() -> Result<Self, RegistryError> {
        Self::from_defs(inventory::iter::<FunctionRef>.into_iter().map(|r| r.0))
    }

    /// A registry of exactly these functions: unique names, and every `affects` edge whose
    /// shared parameter names have the same types (see [`RegistryError`]).
    pub fn from_defs(
        defs: impl IntoIterator<Item = &'static FunctionDef>,
    ) -> Result<Self, RegistryError> {
        let mut by_name = BTreeMap::new();
        for def in defs {
            if by_name.insert(def.name, def).is_some() {
                return Err(RegistryError::DuplicateName { name: def.name });
            }
        }
        let registry = Self {
            by_name,
            switched_off: BTreeMap::new(),
        };
        registry.check_scopes()?;
        Ok(registry)
    }

    /// The same registry without these functions (a demonstration, a function in the works, an
    /// admin tool a deployment does not offer): a server over it does not list them in its
    /// manifest or OpenAPI document, and answers every call of them, on every transport, exactly
    /// as a call of a function that does not exist (`NOT_FOUND`). Each name must be a linked
    /// function's ([`RegistryError::UnknownFunction`] otherwise), so a typo does not leave a
    /// function on; a name already switched off is accepted again.
    pub fn switch_off(
        mut self,
        names: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, RegistryError> {
        for name in names {
            let name = name.as_ref();
            if self.switched_off.contains_key(name) {
                continue;
            }
            let def = self
                .by_name
                .remove(name)
                .ok_or_else(|| RegistryError::UnknownFunction {
                    name: name.to_owned(),
                })?;
            self.switched_off.insert(def.name, def);
        }
        Ok(self)
    }

    /// The names of the functions switched off, ordered.
    pub fn switched_off(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.switched_off.keys().copied()
    }

    /// Whether `name` is a function switched off here.
    pub fn is_switched_off(&self, name: &str) -> bool {
        self.switched_off.contains_key(name)
    }

    /// The contexts a served function affects that are served too: what the documents list (a
    /// switched-off context is not named anywhere in them).
    pub fn served_affects(&self, def: &FunctionDef) -> Vec<&'static str> {
        def.affects
            .iter()
            .copied()
            .filter(|name| !self.is_switched_off(name))
            .collect()
    }

    fn check_scopes(&self) -> Result<(), RegistryError> {
        for def in self.iter() {
            for context in def.affects.iter().filter_map(|name| self.get(name)) {
                for arg in def.params {
                    for param in context.params {
                        arg.fills(param).map_err(|(function_type, context_type)| {
                            RegistryError::ScopeTypeMismatch {
                                function: def.name,
                                context: context.name,
                                param: param.name,
                                function_type,
                                context_type,
                            }
                        })?;
                    }
                }
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use std::any::TypeId;

    use super::*;
    use crate::server::graph::edges_of;

    type UserId = i64;

    const fn param(name: &'static str, ty: &'static str, type_id: fn() -> TypeId) -> ParamDef {
        ParamDef { name, ty, type_id }
    }

    static PROFILE: FunctionDef = FunctionDef::for_test(
        "registry_test_profile",
        FunctionKind::Context,
        &[param("user_id", "i64", TypeId::of::<i64>)],
        &[],
    );
    static BY_ALIAS: FunctionDef = FunctionDef::for_test(
        "registry_test_by_alias",
        FunctionKind::Mutation,
        &[param("user_id", "UserId", TypeId::of::<UserId>)],
        &["registry_test_profile"],
    );
    // The full path is the point of this case.
    #[allow(unused_qualifications)]
    static BY_PATH: FunctionDef = FunctionDef::for_test(
        "registry_test_by_path",
        FunctionKind::Mutation,
        &[param(
            "user_id",
            "std::primitive::i64",
            TypeId::of::<std::primitive::i64>,
        )],
        &["registry_test_profile"],
    );
    static OPTIONAL: FunctionDef = FunctionDef::for_test(
        "registry_test_optional",
        FunctionKind::Mutation,
        &[param("user_id", "Option<i64>", TypeId::of::<Option<i64>>)],
        &["registry_test_profile"],
    );

    #[test]
    fn an_alias_or_a_full_path_of_the_same_type_scopes_the_edge() {
        let registry = Registry::from_defs([&PROFILE, &BY_ALIAS, &BY_PATH]).expect("same types");
        for mutation in [&BY_ALIAS, &BY_PATH] {
            assert!(registry.get(mutation.name).is_some());
            // Edges resolve contexts among the linked functions, which include these statics only
            // when inventory collected them; scope by the parameters directly instead.
            assert_eq!(mutation.params[0].fills(&PROFILE.params[0]), Ok(true));
        }
        // Without a linked target the edge is unscoped, never wrongly scoped.
        assert!(edges_of(&BY_ALIAS)[0].scope.is_empty());
    }

    #[test]
    fn the_same_name_with_another_type_stops_the_registry_with_a_fix() {
        let error = Registry::from_defs([&PROFILE, &OPTIONAL]).expect_err("Option<i64> vs i64");
        assert!(matches!(
            error,
            RegistryError::ScopeTypeMismatch {
                param: "user_id",
                function_type: "Option<i64>",
                context_type: "i64",
                ..
            }
        ));
        let text = error.to_string();
        assert!(text.contains("registry_test_optional"), "{text}");
        assert!(
            text.contains("give the argument the context's type"),
            "{text}"
        );
    }

    #[test]
    fn a_switched_off_function_is_gone_from_the_registry_and_a_typo_is_refused() {
        let registry = Registry::from_defs([&PROFILE, &BY_ALIAS])
            .expect("registry")
            .switch_off(["registry_test_profile"])
            .expect("linked");
        assert!(registry.get("registry_test_profile").is_none());
        assert!(registry.is_switched_off("registry_test_profile"));
        assert_eq!(
            registry.iter().map(|def| def.name).collect::<Vec<_>>(),
            ["registry_test_by_alias"]
        );
        assert_eq!(
            registry.switched_off().collect::<Vec<_>>(),
            ["registry_test_profile"]
        );
        assert!(
            registry.served_affects(&BY_ALIAS).is_empty(),
            "a switched-off context is not named as affected"
        );
        let again = registry
            .clone()
            .switch_off(["registry_test_profile"])
            .expect("twice is fine");
        assert!(again.is_switched_off("registry_test_profile"));
        let error = registry
            .switch_off(["registry_test_profil"])
            .expect_err("typo");
        assert!(matches!(
            &error,
            RegistryError::UnknownFunction { name } if name == "registry_test_profil"
        ));
        assert!(error.to_string().contains("`registry_test_profil`"));
    }

    #[test]
    fn two_functions_with_one_name_are_refused() {
        let error = Registry::from_defs([&PROFILE, &PROFILE]).expect_err("duplicate");
        assert!(matches!(
            error,
            RegistryError::DuplicateName {
                name: "registry_test_profile"
            }
        ));
    }
}
