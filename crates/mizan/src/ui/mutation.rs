//! Optimistic mutations in Leptos: a mutation's call with patches on the contexts it affects,
//! shown at once and reconciled by the server's own invalidation (the rule is
//! [`crate::optimistic`]'s).

#[cfg(not(feature = "ssr"))]
use std::{any::Any, rc::Rc};
use std::{future::Future, pin::Pin};

#[cfg(not(feature = "ssr"))]
use leptos::prelude::*;
use serde::Serialize;

use crate::{error::MizanError, ui::contexts::ContextHandle};

/// The call of a mutation with its arguments object `A`, as `#[client]` generates it.
pub type MutationCall<A, T> = fn(A) -> Pin<Box<dyn Future<Output = Result<T, MizanError>>>>;

/// Makes one call's patch of one context, from the call's arguments (type-erased).
#[cfg(not(feature = "ssr"))]
type MakePatch<A> = Rc<dyn Fn(&A) -> Rc<dyn Any>>;

/// A mutation, with the optimistic patches its calls make: what `use_<mutation>()` returns.
///
/// ```text
/// let todos = use_todos();
/// let add = use_add_todo().optimistic(todos, |list, args| {
///     list.push(Todo { id: -1, title: args.title.clone() })
/// });
/// add.call(AddTodoArgs { title }).await?;
/// ```
///
/// A call patches, before its request leaves, the live instances of each patched context that
/// its arguments cover (the server's scoping rule: an argument named like a context param picks
/// the instances with that value). A patch stays until the refetch of the keys the answer
/// invalidated has landed, and the refetched value replaces it in the same tick; on an error it
/// is rolled back and the error is the call's. Patches of several pending calls stack in the
/// order the calls were made.
pub struct Mutation<A: 'static, T: 'static> {
    name: &'static str,
    affects: &'static [&'static str],
    call: MutationCall<A, T>,
    /// Browser only: a page rendered on the server shows no patches, and its render may end on
    /// another thread than it began, where a value kept in local storage could not be dropped.
    #[cfg(not(feature = "ssr"))]
    patches: StoredValue<Vec<(&'static str, MakePatch<A>)>, LocalStorage>,
}

impl<A, T> Clone for Mutation<A, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A, T> Copy for Mutation<A, T> {}

impl<A, T> Mutation<A, T>
where
    A: Serialize + Clone + 'static,
    T: 'static,
{
    /// The mutation `name`, which affects the contexts `affects`, called with `call`.
    pub fn new(
        name: &'static str,
        affects: &'static [&'static str],
        call: MutationCall<A, T>,
    ) -> Self {
        Self {
            name,
            affects,
            call,
            #[cfg(not(feature = "ssr"))]
            patches: StoredValue::new_local(Vec::new()),
        }
    }

    /// The mutation's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Adds a patch of `context` to every call: `patch` changes the shown value in place, from
    /// the call's arguments. `context` must be one the mutation affects: a patch of another
    /// context would never be reconciled by the answer, so it is left out (and logged).
    #[must_use]
    pub fn optimistic<C>(
        self,
        context: ContextHandle<C>,
        patch: impl Fn(&mut C, &A) + 'static,
    ) -> Self
    where
        C: Send + Sync + 'static,
    {
        let name = context.name();
        if !self.affects.contains(&name) {
            tracing::warn!(
                mutation = self.name,
                context = name,
                "an optimistic patch of a context the mutation does not affect is left out"
            );
            return self;
        }
        #[cfg(not(feature = "ssr"))]
        {
            let patch = Rc::new(patch);
            let make: MakePatch<A> = Rc::new(move |args: &A| {
                let patch = Rc::clone(&patch);
                // The call's own arguments: the patch shows what the call sent.
                let args = args.clone();
                let applied: crate::browser::runtime::Patch<C> =
                    Rc::new(move |value: &mut C| patch(value, &args));
                Rc::new(applied) as Rc<dyn Any>
            });
            self.patches
                .update_value(|patches| patches.push((name, make)));
        }
        #[cfg(feature = "ssr")]
        drop(patch);
        self
    }

    /// Calls the mutation with `args`. In the browser its patches show at once (before the
    /// request leaves); the refetch its answer starts replaces them, an error rolls them back and
    /// is returned. On the server it is the plain call.
    pub fn call(&self, args: A) -> Pin<Box<dyn Future<Output = Result<T, MizanError>>>> {
        #[cfg(not(feature = "ssr"))]
        {
            use serde_json::{Map, Value};

            use crate::browser::runtime;

            let object = match serde_json::to_value(&args) {
                Ok(Value::Object(object)) => object,
                _ => Map::new(),
            };
            let patches: Vec<(&'static str, Rc<dyn Any>)> = self
                .patches
                .try_with_value(|patches| {
                    patches
                        .iter()
                        .map(|(name, make)| (*name, make(&args)))
                        .collect()
                })
                .unwrap_or_default();
            let id = runtime::begin_optimistic(self.affects, &object, &patches);
            Box::pin(runtime::Optimistic::new(id, (self.call)(args)))
        }
        #[cfg(feature = "ssr")]
        {
            (self.call)(args)
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use leptos::prelude::Owner;

    use super::*;

    fn answer(_: ()) -> Pin<Box<dyn Future<Output = Result<(), MizanError>>>> {
        Box::pin(async { Ok(()) })
    }

    #[test]
    fn a_mutation_made_in_a_server_render_is_dropped_on_any_thread() {
        // A server render may end on another worker thread than it began: what the page's
        // owner holds must drop there (a value in local storage would panic).
        let owner = Owner::new();
        owner.with(|| {
            let mutation = Mutation::new("rename", &["profile"], answer);
            assert_eq!(mutation.name(), "rename");
        });
        let dropped = std::thread::spawn(move || drop(owner)).join();
        assert!(
            dropped.is_ok(),
            "dropping the owner on another thread panicked"
        );
    }
}
