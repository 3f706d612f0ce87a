//! Leptos integration of contexts: `<MizanContext>`, the body every generated `use_<context>`
//! hook shares, and the [`ContextHandle`] it returns.
//!
//! A context is a Leptos `Resource`: during SSR its function runs in-process and the value is
//! serialized into the page; hydration reads it back without a request. In the browser each live
//! instance is registered with the [`runtime`](crate::browser::runtime), which refetches it when a call
//! invalidates a key that covers it.

use std::{
    any::Any,
    collections::HashMap,
    future::{Future, IntoFuture},
    pin::Pin,
    sync::{Arc, Mutex},
};

use leptos::{prelude::*, reactive::owner::WeakOwner};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::MizanError;

/// The instances of global contexts, one per page, owned by `<MizanContext>`.
#[derive(Clone)]
struct Globals {
    /// Weak: this value lives in the owner's own context, so a strong handle would keep the owner
    /// (and every page rendered under it) alive forever.
    owner: WeakOwner,
    handles: Arc<Mutex<HashMap<&'static str, Box<dyn Any + Send + Sync>>>>,
}

/// The one provider an app wraps its root in: global contexts live (and are shared) under it.
#[component]
pub fn MizanContext(children: Children) -> impl IntoView {
    provide_globals();
    // In the browser, the socket that brings other clients' invalidations (effects never run on
    // the server).
    #[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
    Effect::new(|_| crate::browser::socket::start());
    children()
}

fn provide_globals() {
    provide_context(Globals {
        owner: Owner::current().unwrap_or_default().downgrade(),
        handles: Arc::default(),
    });
}

/// A context instance on the page: its value (or error), and whether it is loading.
///
/// Read it inside `<Suspense>` or `<Transition>` (with `.get()`, or `.await` in a `Suspend`) so
/// the server waits for it before sending the HTML. While a refetch runs, the previous value
/// stays readable. The value read is the last one fetched with the optimistic patches of pending
/// mutations applied on top (see [`Mutation::optimistic`](crate::Mutation::optimistic)).
pub struct ContextHandle<T: Send + Sync + 'static> {
    name: &'static str,
    resource: Resource<Result<T, MizanError>>,
    refreshing: RwSignal<bool>,
    /// Its instance in the browser's runtime, once registered: its patches are kept under it.
    #[cfg_attr(
        feature = "ssr",
        expect(dead_code, reason = "a page rendered on the server shows no patches")
    )]
    instance: StoredValue<Option<u64>>,
    /// Notified when the patches it shows change.
    patched: Trigger,
}

impl<T: Send + Sync + 'static> Clone for ContextHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for ContextHandle<T> {}

impl<T> ContextHandle<T>
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// The latest value (with pending patches) or error; `None` until the first one arrives.
    /// Tracked.
    pub fn get(&self) -> Option<Result<T, MizanError>> {
        self.resource.get().map(|value| self.patch(value))
    }

    /// The latest value, when the latest fetch succeeded. Tracked.
    pub fn data(&self) -> Option<T> {
        self.get().and_then(Result::ok)
    }

    /// The latest error, when the latest fetch failed. Tracked.
    pub fn error(&self) -> Option<MizanError> {
        self.get().and_then(Result::err)
    }

    /// No value yet (the first fetch is running). Tracked.
    pub fn is_loading(&self) -> bool {
        self.resource.with(Option::is_none)
    }

    /// A refetch after an invalidation is running; the previous value is still shown. Tracked.
    pub fn is_refreshing(&self) -> bool {
        self.refreshing.get()
    }

    /// Refetches now.
    pub fn refetch(&self) {
        self.refreshing.set(true);
        self.resource.refetch();
    }

    /// The underlying Leptos resource: the fetched value, without optimistic patches.
    pub fn resource(&self) -> Resource<Result<T, MizanError>> {
        self.resource
    }
}

impl<T: Send + Sync + 'static> ContextHandle<T> {
    /// The context's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// `value` with the patches this instance shows applied, oldest first. Tracks the patches, so
    /// a patch made or dropped reruns the reader.
    fn patch(&self, value: Result<T, MizanError>) -> Result<T, MizanError> {
        self.patched.track();
        #[cfg(not(feature = "ssr"))]
        let value = value.map(|mut value| {
            if let Some(Some(instance)) = self.instance.try_get_value() {
                crate::browser::runtime::apply_patches(instance, &mut value);
            }
            value
        });
        value
    }
}

impl<T> IntoFuture for ContextHandle<T>
where
    T: Clone + Send + Sync + 'static,
{
    type Output = Result<T, MizanError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, MizanError>> + Send>>;

    /// The value once it is there, with the pending patches applied (tracked in a `Suspend`).
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            // A value already there shows now, with its patches, even while a refetch runs:
            // awaiting the resource would hold a new patch back until that refetch landed.
            let value = match self.resource.get() {
                Some(value) => value,
                None => self.resource.await,
            };
            self.patch(value)
        })
    }
}

/// The body of a generated `use_<context>(params...)` hook: one instance per call, following
/// `args` (a new value fetches the new instance).
pub fn use_local_context<A, T, F, Fut>(
    name: &'static str,
    args: impl Fn() -> A + Send + Sync + 'static,
    fetch: F,
) -> ContextHandle<T>
where
    A: Serialize + PartialEq + Clone + Send + Sync + 'static,
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, MizanError>> + Send + 'static,
{
    let refreshing = RwSignal::new(false);
    let instance = StoredValue::new(None::<u64>);
    let patched = Trigger::new();
    let args = Arc::new(args);
    let source = {
        let args = Arc::clone(&args);
        move || args()
    };
    #[cfg(not(feature = "ssr"))]
    let shown = Arc::new(Mutex::new(Some(untrack(|| args()))));
    let resource = Resource::new(source, move |args| {
        // Other params are another instance's value: the patches made for the old ones go.
        #[cfg(not(feature = "ssr"))]
        if let Ok(mut shown) = shown.lock() {
            let changed = shown.as_ref().is_some_and(|shown| *shown != args);
            *shown = Some(args.clone());
            if let (true, Some(Some(id))) = (changed, instance.try_get_value()) {
                crate::browser::runtime::params_changed(id);
            }
        }
        let pending = fetch(args);
        // Numbered as it starts: an optimistic patch waits for the first refetch after its
        // mutation's answer (the first fetch, before registration, needs no number).
        #[cfg(not(feature = "ssr"))]
        let started = instance
            .try_get_value()
            .flatten()
            .map(|id| (id, crate::browser::runtime::fetch_started(id)));
        async move {
            let result = pending.await;
            // Only the browser refreshes; on the server the flag is never raised.
            #[cfg(not(feature = "ssr"))]
            {
                // The patches this refetch ends go now, in the tick its value lands in.
                if let Some((id, fetch)) = started {
                    crate::browser::runtime::fetch_landed(id, fetch);
                }
                refreshing.try_set(false);
            }
            result
        }
    });
    #[cfg(not(feature = "ssr"))]
    register_live(name, args, resource, refreshing, instance, patched);
    #[cfg(feature = "ssr")]
    let _ = args;
    ContextHandle {
        name,
        resource,
        refreshing,
        instance,
        patched,
    }
}

/// The body of a generated `use_<context>()` hook for a global context: the page's one instance,
/// created under `<MizanContext>` on first use and shared by every later call.
pub fn use_global_context<T, F, Fut>(name: &'static str, fetch: F) -> ContextHandle<T>
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, MizanError>> + Send + 'static,
{
    let Some(globals) = use_context::<Globals>() else {
        tracing::warn!(
            context = name,
            "no <MizanContext> above this component: the global context is not shared"
        );
        return use_local_context(name, || (), move |()| fetch());
    };
    let existing = globals.handles.lock().ok().and_then(|handles| {
        handles
            .get(name)
            .and_then(|handle| handle.downcast_ref::<ContextHandle<T>>())
            .copied()
    });
    if let Some(handle) = existing {
        return handle;
    }
    let create = move || use_local_context(name, || (), move |()| fetch());
    let handle = match globals.owner.upgrade() {
        Some(owner) => owner.with(create),
        None => create(),
    };
    if let Ok(mut handles) = globals.handles.lock() {
        handles.insert(name, Box::new(handle));
    }
    handle
}

/// Makes an instance refetchable by invalidation keys, and patchable, while its owner lives.
#[cfg(not(feature = "ssr"))]
fn register_live<A, T>(
    name: &'static str,
    args: Arc<impl Fn() -> A + Send + Sync + 'static>,
    resource: Resource<Result<T, MizanError>>,
    refreshing: RwSignal<bool>,
    instance: StoredValue<Option<u64>>,
    patched: Trigger,
) where
    A: Serialize + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
{
    use std::rc::Rc;

    let params = Box::new(move || {
        untrack(|| serde_json::to_value(args()))
            .ok()
            .and_then(|value| serde_json::from_value(value).ok())
            .unwrap_or_default()
    });
    let refresh = Rc::new(move || {
        refreshing.try_set(true);
        resource.refetch();
    });
    let id =
        crate::browser::runtime::register(name, params, refresh, Rc::new(move || patched.notify()));
    instance.set_value(Some(id));
    on_cleanup(move || crate::browser::runtime::unregister(id));
}

/// Makes `error`'s HTTP status (`404` for `NOT_FOUND`, `403` for `FORBIDDEN`, ...) the status of
/// the page being rendered on the server; in the browser it does nothing. Call it where a page
/// shows a context's error as the page's own answer (an unknown id in the URL), not for a side
/// widget's failure.
///
/// The status reaches the client when the route renders before it answers
/// (`ssr=SsrMode::Async` on the `<Route>`): with out-of-order streaming the headers are sent
/// before a `Suspense` resolves.
pub fn page_status(error: &MizanError) {
    #[cfg(feature = "ssr")]
    crate::server::response::set_error_status(error);
    #[cfg(not(feature = "ssr"))]
    let _ = error;
}

/// Combines several contexts into one provider: a `Copy` struct of their handles, created
/// together (so whatever is not in the SSR payload is fetched in one batch request), provided to
/// descendants at once, and awaited together. The contexts named below are an app's own:
///
/// ```text
/// mizan::compose! {
///     /// Everything the profile page shows.
///     pub struct ProfilePage(user_id: i64) {
///         user: use_current_user() -> CurrentUser,
///         profile: use_user_profile(user_id) -> UserProfile,
///     }
/// }
///
/// let page = ProfilePage::provide(user_id);   // in the page component (value or signal)
/// let page = ProfilePage::from_context();     // in any descendant: Option<ProfilePage>
/// let (user, profile) = page.all().await?;    // inside a `Suspend`
/// ```
#[macro_export]
macro_rules! compose {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident ( $($param:ident : $param_ty:ty),* $(,)? ) {
            $($field:ident : $hook:ident ( $($arg:ident),* ) -> $out:ty),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        $vis struct $name {
            $(
                #[doc = concat!("The `", stringify!($hook), "` context.")]
                pub $field: $crate::ContextHandle<$out>,
            )+
        }

        impl $name {
            /// Creates every context of the composition, in one tick.
            #[allow(clippy::new_without_default)]
            pub fn new(
                $($param: impl ::core::convert::Into<::leptos::prelude::Signal<$param_ty>>),*
            ) -> Self {
                $(let $param: ::leptos::prelude::Signal<$param_ty> = $param.into();)*
                Self { $($field: $hook($($arg),*)),+ }
            }

            /// [`new`](Self::new), then provides the composition to every descendant.
            pub fn provide(
                $($param: impl ::core::convert::Into<::leptos::prelude::Signal<$param_ty>>),*
            ) -> Self {
                let composed = Self::new($($param),*);
                ::leptos::prelude::provide_context(composed);
                composed
            }

            /// The composition a parent provided, if any.
            pub fn from_context() -> ::core::option::Option<Self> {
                ::leptos::prelude::use_context::<Self>()
            }

            /// Every value, once all have loaded; the first error otherwise.
            pub async fn all(self) -> ::core::result::Result<($($out,)+), $crate::MizanError> {
                ::core::result::Result::Ok(($(self.$field.await?,)+))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_does_not_keep_its_page_alive() {
        let owner = Owner::new();
        let weak = owner.downgrade();
        owner.with(provide_globals);
        assert!(owner.with(use_context::<Globals>).is_some());
        drop(owner);
        // Every page rendered under <MizanContext> would otherwise stay in memory.
        assert!(weak.upgrade().is_none());
    }
}
