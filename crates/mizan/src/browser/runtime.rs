//! The client runtime: the live context instances on the page, which invalidation keys refresh
//! them (each instance once), the optimistic patches they show until the truth arrives, and the
//! batching that turns the refetches of one tick into one request to `/api/mizan/batch/`.

use std::{
    any::Any,
    cell::{Cell, RefCell},
    collections::BTreeMap,
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
};

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{
    error::MizanError,
    invalidation::ContextKey,
    optimistic::{self, Ledger, MutationId},
    protocol::{Envelope, FORM_PREFIX, RawArgs},
};

/// Identifies a registered instance, to unregister it when its owner goes away.
pub type InstanceId = u64;

/// Reads an instance's current params (untracked).
pub type ParamsFn = Box<dyn Fn() -> BTreeMap<String, Value>>;

/// Starts an instance's refetch.
pub type RefreshFn = Rc<dyn Fn()>;

/// Tells an instance's handle that the patches it shows changed.
pub type PatchedFn = Rc<dyn Fn()>;

/// An optimistic patch of a context of type `T`, as the ledger keeps it (type-erased).
pub type Patch<T> = Rc<dyn Fn(&mut T)>;

struct LiveInstance {
    id: InstanceId,
    name: &'static str,
    params: ParamsFn,
    refresh: RefreshFn,
    patched: PatchedFn,
}

/// What the tab's socket is told by the runtime (it registers itself when it starts): the live
/// instances changed (one came, went, or refetched with new params), an answer's keys were
/// applied, no call of this tab is under way any more, and an answer said the session changed
/// hands. Through this the socket sits above the runtime, which never names it.
#[derive(Clone, Copy)]
pub struct Observer {
    /// The live instances changed.
    pub live_changed: fn(),
    /// An answer's keys were just applied.
    pub applied: fn(&[String]),
    /// The last of this tab's calls under way was answered (or failed).
    pub settled: fn(),
    /// An answer carried [`IDENTITY_HEADER`](crate::frames::IDENTITY_HEADER): the tab signed in
    /// or out, and its cookie now names another session than its socket acts as.
    pub identity_changed: fn(),
}

thread_local! {
    static OBSERVER: Cell<Option<Observer>> = const { Cell::new(None) };
    static IN_FLIGHT: Cell<usize> = const { Cell::new(0) };
}

/// One of this tab's HTTP calls, under way until dropped (after its answer's keys were applied).
/// Meanwhile the socket holds back the keys pushed to it: the answer names them too, and keys it
/// applied are not refetched twice.
struct InFlight;

impl InFlight {
    fn start() -> Self {
        IN_FLIGHT.set(IN_FLIGHT.get() + 1);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let left = IN_FLIGHT.get().saturating_sub(1);
        IN_FLIGHT.set(left);
        if left == 0
            && let Some(observer) = OBSERVER.get()
        {
            (observer.settled)();
        }
    }
}

/// Whether one of this tab's calls is under way.
pub fn calls_in_flight() -> bool {
    IN_FLIGHT.get() > 0
}

/// Registers the runtime's observer (the tab's socket).
pub fn observe(observer: Observer) {
    OBSERVER.set(Some(observer));
}

/// Whether a response's [`IDENTITY_HEADER`](crate::frames::IDENTITY_HEADER) has the value that
/// says the session changed hands (`value`: the header's, when it is there).
pub fn says_identity_changed(value: Option<&str>) -> bool {
    value.is_some_and(|value| value.trim() == crate::frames::IDENTITY_CHANGED)
}

/// One of this tab's answers said the session changed hands: the socket reopens as who the tab
/// now is. Called once the response is in, and so its `Set-Cookie` stored by the browser.
pub fn identity_changed() {
    if let Some(observer) = OBSERVER.get() {
        (observer.identity_changed)();
    }
}

fn notify_live_changed() {
    if let Some(observer) = OBSERVER.get() {
        (observer.live_changed)();
    }
}

thread_local! {
    static LIVE: RefCell<Vec<LiveInstance>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<InstanceId> = const { Cell::new(0) };
    static LEDGER: RefCell<Ledger<InstanceId, Rc<dyn Any>>> = RefCell::new(Ledger::new());
    /// The optimistic mutation whose call is being polled: its answer is applied in that poll.
    static MUTATING: Cell<Option<MutationId>> = const { Cell::new(None) };
    /// The optimistic mutation whose answer was applied during the current poll.
    static ANSWERED: Cell<Option<MutationId>> = const { Cell::new(None) };
}

/// Registers a live instance of context `name`: `params` reads its current params, `refresh`
/// refetches it, `patched` tells its handle its optimistic patches changed.
pub fn register(
    name: &'static str,
    params: ParamsFn,
    refresh: RefreshFn,
    patched: PatchedFn,
) -> InstanceId {
    let id = NEXT_ID.with(|next| {
        let id = next.get();
        next.set(id + 1);
        id
    });
    LIVE.with(|live| {
        live.borrow_mut().push(LiveInstance {
            id,
            name,
            params,
            refresh,
            patched,
        });
    });
    notify_live_changed();
    id
}

/// Forgets an instance (its component was unmounted), and the patches it showed.
pub fn unregister(id: InstanceId) {
    LIVE.with(|live| live.borrow_mut().retain(|instance| instance.id != id));
    LEDGER.with(|ledger| ledger.borrow_mut().forget(&id));
    notify_live_changed();
}

/// The canonical keys of the live instances (what the tab's socket watches).
pub fn live_keys() -> Vec<String> {
    LIVE.with(|live| {
        live.borrow()
            .iter()
            .map(|instance| ContextKey::instance(instance.name, (instance.params)()).to_string())
            .collect()
    })
}

/// How many instances are live (for tests and diagnostics).
pub fn live_count() -> usize {
    LIVE.with(|live| live.borrow().len())
}

/// Refetches every live instance some key covers, each once however many keys cover it.
/// Malformed keys are skipped (and logged). Returns how many instances refetch.
pub fn apply_invalidations(keys: &[String]) -> usize {
    let keys: Vec<ContextKey> = keys
        .iter()
        .filter_map(|text| match ContextKey::parse(text) {
            Ok(key) => Some(key),
            Err(error) => {
                tracing::warn!(%error, "ignoring a malformed invalidation key");
                None
            }
        })
        .collect();
    if keys.is_empty() {
        return 0;
    }
    // Collect first, call after: a refetch may register or drop instances.
    let refreshes = covered_by(&keys, |instance| Rc::clone(&instance.refresh));
    for refresh in &refreshes {
        refresh();
    }
    refreshes.len()
}

/// A mutation starts with optimistic patches, by context name: each patches the live instances
/// of its context that the call covers (`affects` and `args` scope them as the server scopes the
/// answer's keys), at once. Returns the mutation's id (see [`Optimistic`]).
pub fn begin_optimistic(
    affects: &[&str],
    args: &Map<String, Value>,
    patches: &[(&'static str, Rc<dyn Any>)],
) -> MutationId {
    // Every patch of the instance's context, in the order they were added.
    let covered: Vec<(InstanceId, Rc<dyn Any>, PatchedFn)> = LIVE.with(|live| {
        live.borrow()
            .iter()
            .filter(|instance| patches.iter().any(|(name, _)| *name == instance.name))
            .filter(|instance| {
                optimistic::covers(affects, args, instance.name, &(instance.params)())
            })
            .flat_map(|instance| {
                patches
                    .iter()
                    .filter(|(name, _)| *name == instance.name)
                    .map(|(_, patch)| (instance.id, Rc::clone(patch), Rc::clone(&instance.patched)))
            })
            .collect()
    });
    let id = LEDGER.with(|ledger| {
        ledger.borrow_mut().begin(
            covered
                .iter()
                .map(|(instance, patch, _)| (*instance, Rc::clone(patch))),
        )
    });
    let mut told: Vec<InstanceId> = Vec::new();
    for (instance, _, patched) in &covered {
        if !told.contains(instance) {
            told.push(*instance);
            patched();
        }
    }
    id
}

/// The optimistic mutation `id` failed: its patches go, and the instances show what they
/// showed before it.
pub fn optimistic_failed(id: MutationId) {
    let touched = LEDGER.with(|ledger| {
        let mut ledger = ledger.borrow_mut();
        let touched = ledger.instances_of(id);
        ledger.failed(id);
        touched
    });
    notify_patched(&touched);
}

/// An answer received while an optimistic mutation's call is polled is that mutation's. Kept out
/// of line: every call's answer passes here, and each call's future would otherwise carry it.
#[inline(never)]
fn answer_mutating(keys: &[String]) {
    if let Some(id) = MUTATING.get() {
        ANSWERED.set(Some(id));
        answered(id, keys);
    }
}

/// The mutation's answer carries `keys`: its patches on the instances they cover wait for the
/// refetch those keys are about to start; the others go now.
fn answered(id: MutationId, keys: &[String]) {
    let keys: Vec<ContextKey> = keys
        .iter()
        .filter_map(|key| ContextKey::parse(key).ok())
        .collect();
    let covered = covered_by(&keys, |instance| instance.id);
    let dropped = LEDGER.with(|ledger| {
        let mut ledger = ledger.borrow_mut();
        let before = ledger.instances_of(id);
        ledger.answered(id, |instance| covered.contains(instance));
        let after = ledger.instances_of(id);
        before
            .into_iter()
            .filter(|instance| !after.contains(instance))
            .collect::<Vec<_>>()
    });
    notify_patched(&dropped);
}

fn notify_patched(instances: &[InstanceId]) {
    let patched: Vec<PatchedFn> = LIVE.with(|live| {
        live.borrow()
            .iter()
            .filter(|instance| instances.contains(&instance.id))
            .map(|instance| Rc::clone(&instance.patched))
            .collect()
    });
    for patched in patched {
        patched();
    }
}

/// The instance now shows other params (its args changed): the patches made for the old ones go.
#[inline(never)]
pub fn params_changed(instance: InstanceId) {
    let had = LEDGER.with(|ledger| {
        let mut ledger = ledger.borrow_mut();
        let had = ledger.patches(&instance).next().is_some();
        ledger.forget(&instance);
        had
    });
    if had {
        notify_patched(&[instance]);
    }
}

/// A refetch of `instance` starts: its number, for [`fetch_landed`].
#[inline(never)]
pub fn fetch_started(instance: InstanceId) -> u64 {
    LEDGER.with(|ledger| ledger.borrow_mut().fetch_started(&instance))
}

/// Refetch `fetch` of `instance` landed: the patches that waited for it go. Call it just before
/// the value is handed to the page, so the new value and the patches' end show together. (A
/// resource starts its next fetch once the one running has landed, so each landing here is the
/// latest fetch of its instance.)
#[inline(never)]
pub fn fetch_landed(instance: InstanceId, fetch: u64) {
    LEDGER.with(|ledger| ledger.borrow_mut().landed(&instance, fetch));
}

/// Applies the optimistic patches `instance` shows to its landed `value`, oldest first.
pub fn apply_patches<T: 'static>(instance: InstanceId, value: &mut T) {
    for patch in patches_of(instance) {
        if let Some(patch) = patch.downcast_ref::<Patch<T>>() {
            patch(value);
        }
    }
}

/// The patches `instance` shows, oldest first (out of line: every context type reads them).
#[inline(never)]
fn patches_of(instance: InstanceId) -> Vec<Rc<dyn Any>> {
    LEDGER.with(|ledger| ledger.borrow().patches(&instance).map(Rc::clone).collect())
}

/// How many optimistic mutations still show a patch (for tests and diagnostics).
pub fn optimistic_pending() -> usize {
    LEDGER.with(|ledger| ledger.borrow().pending())
}

/// A call of an optimistic mutation: while it is polled, an answer the call receives is applied
/// as this mutation's (its patches then wait for the refetch the answer starts); its failure
/// rolls its patches back, and so does dropping the call before it ends (no patch outlives the
/// call that made it).
pub struct Optimistic<T> {
    id: MutationId,
    call: Pin<Box<dyn Future<Output = Result<T, MizanError>>>>,
    /// The server answered: the mutation happened, whatever becomes of the call after.
    answered: bool,
    /// The ledger heard how the call ended.
    settled: bool,
}

impl<T> Optimistic<T> {
    /// The call `call` of mutation `id` (from [`begin_optimistic`]).
    pub fn new(
        id: MutationId,
        call: impl Future<Output = Result<T, MizanError>> + 'static,
    ) -> Self {
        Self {
            id,
            call: Box::pin(call),
            answered: false,
            settled: false,
        }
    }

    /// Tells the ledger how the call ended: once answered, the patches already follow the
    /// answer's refetch (an answer this client could not decode is still the server's commit), so
    /// nothing is left to say; before, they roll back.
    fn settle(&mut self) {
        if !std::mem::replace(&mut self.settled, true) && !self.answered {
            optimistic_failed(self.id);
        }
    }
}

impl<T> Future for Optimistic<T> {
    type Output = Result<T, MizanError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.id;
        let outer = MUTATING.replace(Some(id));
        ANSWERED.set(None);
        let polled = self.call.as_mut().poll(cx);
        MUTATING.set(outer);
        if ANSWERED.take() == Some(id) {
            self.answered = true;
        }
        if polled.is_ready() {
            self.settle();
        }
        polled
    }
}

impl<T> Drop for Optimistic<T> {
    fn drop(&mut self) {
        self.settle();
    }
}

/// What `pick` takes from each live instance some key covers.
fn covered_by<R>(keys: &[ContextKey], pick: impl Fn(&LiveInstance) -> R) -> Vec<R> {
    if keys.is_empty() {
        return Vec::new();
    }
    LIVE.with(|live| {
        live.borrow()
            .iter()
            .filter(|instance| {
                let params = (instance.params)();
                keys.iter().any(|key| key.covers(instance.name, &params))
            })
            .map(pick)
            .collect()
    })
}

/// Decodes a successful envelope's result into the function's output type; a result of
/// another shape is `INVALID_RESPONSE` (the server and this client disagree on the type).
fn accept<T: DeserializeOwned>(envelope: &Envelope) -> Result<T, MizanError> {
    serde_json::from_str(envelope.result.get()).map_err(|error| {
        MizanError::invalid_response(format!(
            "the server's result does not match this client's type: {error}"
        ))
    })
}

/// An answer from the server: first the live context instances its `invalidate` keys cover are
/// refetched (in one batch), then the result is decoded.
pub(crate) fn accept_remote<T: DeserializeOwned>(envelope: Envelope) -> Result<T, MizanError> {
    if let Some(observer) = OBSERVER.get() {
        (observer.applied)(&envelope.invalidate);
    }
    // An optimistic mutation's answer: its patches learn which refetch to wait for before the
    // refetches start.
    answer_mutating(&envelope.invalidate);
    apply_invalidations(&envelope.invalidate);
    accept(&envelope)
}

/// A call's arguments as JSON, or why they cannot be.
pub(crate) fn encode(args: &impl Serialize) -> Result<RawArgs, MizanError> {
    RawArgs::from_value(args)
        .map_err(|error| MizanError::bad_request(format!("cannot encode the arguments: {error}")))
}

/// Calls a function's own endpoint from the browser: `endpoint` is its generated server_fn.
pub async fn call_remote<A, T, F, Fut>(args: &A, endpoint: F) -> Result<T, MizanError>
where
    A: Serialize,
    T: DeserializeOwned,
    F: FnOnce(RawArgs) -> Fut,
    Fut: Future<Output = Result<Envelope, MizanError>>,
{
    let args = encode(args)?;
    remote(endpoint(args)).await
}

/// Waits for an answer from the server, counted as under way (see [`InFlight`]), and accepts it.
pub(crate) async fn remote<T: DeserializeOwned>(
    answer: impl Future<Output = Result<Envelope, MizanError>>,
) -> Result<T, MizanError> {
    let _under_way = InFlight::start();
    accept_remote(answer.await?)
}

/// Submits a form's fields to its endpoint from the browser (`POST /api/mizan/form/<name>` with
/// `{"args": fields}`): the live instances its keys cover refetch, then its output is decoded.
pub(crate) async fn submit_form<A: Serialize, T: DeserializeOwned>(
    name: &str,
    fields: &A,
) -> Result<T, MizanError> {
    let body = serde_json::to_string(&serde_json::json!({ "args": encode(fields)? }))
        .map_err(|error| MizanError::bad_request(format!("cannot encode the form: {error}")))?;
    remote(browser::post_form(&format!("{FORM_PREFIX}{name}"), body)).await
}

/// Calls the read function `name` with `args` in the next batch: every call made in the same
/// tick of the page shares one `POST /api/mizan/batch/`.
pub async fn fetch_batched<A: Serialize, T: DeserializeOwned>(
    name: &'static str,
    args: &A,
) -> Result<T, MizanError> {
    let args = encode(args)?;
    // A context fetches when it appears or its params change: the socket's watches follow.
    notify_live_changed();
    let envelope = browser::enqueue(name, args).await?;
    accept_remote(envelope)
}

/// The batch queue: calls waiting for the next flush, cut into batches the server accepts, and
/// each batch's answer handed back call by call. (Target-independent, so it is tested natively;
/// only the browser flushes it.)
mod queue {
    use futures::channel::oneshot;

    use crate::{
        error::MizanError,
        protocol::{BatchOutcome, BatchRequest, BatchResponse, CallRequest, Envelope, RawArgs},
    };

    /// One queued call and where its answer goes.
    pub(super) struct Pending {
        name: &'static str,
        args: RawArgs,
        reply: oneshot::Sender<Result<Envelope, MizanError>>,
    }

    /// The calls queued since the last flush.
    #[derive(Default)]
    pub(super) struct Queue {
        pending: Vec<Pending>,
    }

    /// What waits for one call's answer.
    pub(super) type Answer = oneshot::Receiver<Result<Envelope, MizanError>>;

    impl Queue {
        /// Queues a call; `true` when it is the first since the last flush (schedule one).
        pub(super) fn push(&mut self, name: &'static str, args: RawArgs) -> (Answer, bool) {
            let (reply, answer) = oneshot::channel();
            self.pending.push(Pending { name, args, reply });
            (answer, self.pending.len() == 1)
        }

        /// Empties the queue into batches of at most `max` calls, in call order.
        pub(super) fn take_batches(&mut self, max: usize) -> Vec<Vec<Pending>> {
            let mut pending = std::mem::take(&mut self.pending);
            let mut batches = Vec::new();
            while !pending.is_empty() {
                let rest = pending.split_off(pending.len().min(max.max(1)));
                batches.push(pending);
                pending = rest;
            }
            batches
        }
    }

    /// The request body for one batch.
    pub(super) fn request(batch: &[Pending]) -> BatchRequest {
        BatchRequest {
            calls: batch
                .iter()
                .map(|p| CallRequest {
                    function: p.name.to_owned(),
                    args: p.args.clone(),
                })
                .collect(),
        }
    }

    /// Hands each call its outcome; an answer with another number of results than calls (or
    /// no answer) fails every call of the batch.
    pub(super) fn settle(batch: Vec<Pending>, answer: Result<BatchResponse, MizanError>) {
        let count = batch.len();
        let outcomes = match answer {
            Ok(response) if response.results.len() == count => response.results,
            Ok(response) => {
                let error = MizanError::invalid_response(format!(
                    "the batch answered {} results for {count} calls",
                    response.results.len()
                ));
                return fail_all(batch, &error);
            }
            Err(error) => return fail_all(batch, &error),
        };
        for (pending, outcome) in batch.into_iter().zip(outcomes) {
            // A caller that stopped waiting (its component unmounted) needs no answer.
            let _ = pending.reply.send(match outcome {
                BatchOutcome::Ok(envelope) => Ok(envelope),
                BatchOutcome::Err { error } => Err(error),
            });
        }
    }

    fn fail_all(batch: Vec<Pending>, error: &MizanError) {
        for pending in batch {
            let _ = pending.reply.send(Err(error.clone()));
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod browser {
    //! The browser's side of the queue: flushed a macrotask after the first call of a tick, sent
    //! with `fetch`.

    use std::{cell::RefCell, time::Duration};

    use futures::channel::oneshot;

    use super::queue::{self, Queue};
    use crate::{
        error::MizanError,
        frames::IDENTITY_HEADER,
        protocol::{BATCH_PATH, BatchRequest, BatchResponse, Envelope, MAX_BATCH_CALLS, RawArgs},
    };

    thread_local! {
        static QUEUE: RefCell<Queue> = RefCell::default();
    }

    pub(super) async fn enqueue(name: &'static str, args: RawArgs) -> Result<Envelope, MizanError> {
        let (answer, first) = QUEUE.with(|queue| queue.borrow_mut().push(name, args));
        if first {
            leptos::task::spawn_local(flush());
        }
        answer.await.unwrap_or_else(|_| {
            Err(MizanError::network(
                "the batch was dropped before it was answered",
            ))
        })
    }

    async fn flush() {
        // A macrotask later every refetch started in this tick has queued its call.
        let (tick, ticked) = oneshot::channel::<()>();
        leptos::prelude::set_timeout(
            move || {
                let _ = tick.send(());
            },
            Duration::ZERO,
        );
        let _ = ticked.await;
        let batches = QUEUE.with(|queue| queue.borrow_mut().take_batches(MAX_BATCH_CALLS));
        for batch in batches {
            let answer = post(&queue::request(&batch)).await;
            queue::settle(batch, answer);
        }
    }

    /// Posts `{"args": fields}` to a form's endpoint; its envelope, or the error it answered.
    pub(super) async fn post_form(endpoint: &str, body: String) -> Result<Envelope, MizanError> {
        post_json(endpoint, body, "the form's answer").await
    }

    async fn post(request: &BatchRequest) -> Result<BatchResponse, MizanError> {
        let body = serde_json::to_string(request).map_err(|error| {
            MizanError::bad_request(format!("cannot encode the batch: {error}"))
        })?;
        post_json(BATCH_PATH, body, "the batch answer").await
    }

    /// Posts a JSON body; the answer decoded, or the `MizanError` the server answered with.
    async fn post_json<T: serde::de::DeserializeOwned>(
        path: &str,
        body: String,
        what: &str,
    ) -> Result<T, MizanError> {
        let unreachable = |error: gloo_net::Error| {
            MizanError::network(format!("the server could not be reached: {error}"))
        };
        let response = gloo_net::http::Request::post(path)
            .header("content-type", "application/json")
            .body(body)
            .map_err(unreachable)?
            .send()
            .await
            .map_err(unreachable)?;
        let bytes = response.binary().await.map_err(unreachable)?;
        // The header follows the cookie, not the outcome: a refused answer may carry it too.
        if super::says_identity_changed(response.headers().get(IDENTITY_HEADER).as_deref()) {
            super::identity_changed();
        }
        if !response.ok() {
            return Err(MizanError::from_body(&bytes));
        }
        serde_json::from_slice(&bytes)
            .map_err(|error| MizanError::invalid_response(format!("{what} is malformed: {error}")))
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod browser {
    //! Outside the browser there is no page to batch for: contexts run in-process there.

    use crate::{
        error::MizanError,
        protocol::{Envelope, RawArgs},
    };

    pub(super) async fn enqueue(
        name: &'static str,
        _args: RawArgs,
    ) -> Result<Envelope, MizanError> {
        Err(MizanError::not_implemented(format!(
            "`{name}` is fetched through the browser's batch queue; on the server call it in-process"
        )))
    }

    pub(super) async fn post_form(endpoint: &str, _body: String) -> Result<Envelope, MizanError> {
        Err(MizanError::not_implemented(format!(
            "a form is submitted from the browser (`{endpoint}`); on the server call its \
             handler in-process"
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use serde_json::json;

    use super::*;

    #[test]
    fn the_socket_hears_when_the_last_call_under_way_settles() {
        thread_local! {
            static SETTLED: Cell<u32> = const { Cell::new(0) };
        }
        observe(Observer {
            live_changed: || {},
            applied: |_| {},
            settled: || SETTLED.set(SETTLED.get() + 1),
            identity_changed: || {},
        });
        let first = InFlight::start();
        let second = InFlight::start();
        assert!(calls_in_flight());
        drop(first);
        assert_eq!(SETTLED.get(), 0, "one call is still under way");
        drop(second);
        assert!(!calls_in_flight());
        assert_eq!(SETTLED.get(), 1);
        OBSERVER.set(None);
    }

    fn counter() -> (Rc<Cell<u32>>, RefreshFn) {
        let count = Rc::new(Cell::new(0));
        let seen = Rc::clone(&count);
        (count, Rc::new(move || seen.set(seen.get() + 1)))
    }

    fn params(value: Value) -> ParamsFn {
        Box::new(move || serde_json::from_value(value.clone()).unwrap_or_default())
    }

    #[test]
    fn invalidation_refetches_exactly_the_covered_instances_once() {
        let (user, user_refresh) = counter();
        let (one, one_refresh) = counter();
        let (two, two_refresh) = counter();
        let ids = [
            register(
                "current_user",
                params(json!({})),
                user_refresh,
                Rc::new(|| {}),
            ),
            register(
                "user_profile",
                params(json!({"user_id": 1})),
                one_refresh,
                Rc::new(|| {}),
            ),
            register(
                "user_profile",
                params(json!({"user_id": 2})),
                two_refresh,
                Rc::new(|| {}),
            ),
        ];
        // Two keys cover profile 1 (scoped and whole-context would too): it refetches once.
        let refreshed = apply_invalidations(&[
            r#"user_profile:{"user_id":1}"#.to_owned(),
            "current_user".to_owned(),
            r#"user_profile:{"user_id":1}"#.to_owned(),
            "not a key!".to_owned(),
        ]);
        assert_eq!(refreshed, 2);
        assert_eq!((user.get(), one.get(), two.get()), (1, 1, 0));

        assert_eq!(apply_invalidations(&["user_profile".to_owned()]), 2);
        assert_eq!((user.get(), one.get(), two.get()), (1, 2, 1));

        assert_eq!(apply_invalidations(&["unwatched".to_owned()]), 0);
        for id in ids {
            unregister(id);
        }
        assert_eq!(live_count(), 0);
        assert_eq!(apply_invalidations(&["user_profile".to_owned()]), 0);
    }

    mod optimistic_patches {
        use std::{any::Any, cell::Cell, rc::Rc};

        use futures::FutureExt;
        use serde_json::{Map, Value, json};

        use super::super::*;

        /// A live `user_profile` instance whose refetch starts as the resource's would (numbered),
        /// counting how often its handle hears that its patches changed.
        fn live_profile(user_id: i64) -> (InstanceId, Rc<Cell<u32>>, Rc<Cell<u64>>) {
            let heard = Rc::new(Cell::new(0));
            let started = Rc::new(Cell::new(0));
            let slot = Rc::new(Cell::new(None::<InstanceId>));
            let refresh = {
                let (slot, started) = (Rc::clone(&slot), Rc::clone(&started));
                Rc::new(move || {
                    if let Some(id) = slot.get() {
                        started.set(fetch_started(id));
                    }
                })
            };
            let patched = {
                let heard = Rc::clone(&heard);
                Rc::new(move || heard.set(heard.get() + 1))
            };
            let id = register(
                "user_profile",
                Box::new(move || {
                    serde_json::from_value(json!({ "user_id": user_id })).unwrap_or_default()
                }),
                refresh,
                patched,
            );
            slot.set(Some(id));
            (id, heard, started)
        }

        fn rename_to(name: &'static str) -> Vec<(&'static str, Rc<dyn Any>)> {
            let patch: Patch<String> = Rc::new(move |value: &mut String| *value = name.to_owned());
            vec![("user_profile", Rc::new(patch) as Rc<dyn Any>)]
        }

        fn args(user_id: i64) -> Map<String, Value> {
            match json!({ "user_id": user_id, "name": "Al" }) {
                Value::Object(object) => object,
                _ => Map::new(),
            }
        }

        fn shown(id: InstanceId, landed: &str) -> String {
            let mut value = landed.to_owned();
            apply_patches(id, &mut value);
            value
        }

        #[test]
        fn a_patch_shows_at_once_stays_through_the_answer_and_goes_with_its_refetch() {
            let (one, heard_one, started_one) = live_profile(1);
            let (two, heard_two, _) = live_profile(2);
            let id = begin_optimistic(&["user_profile"], &args(1), &rename_to("Al"));
            assert_eq!(
                (shown(one, "Ann"), shown(two, "Bo")),
                ("Al".into(), "Bo".into())
            );
            assert_eq!((heard_one.get(), heard_two.get()), (1, 0));

            // The answer invalidates profile 1: it refetches, and the patch waits for that.
            let call = Optimistic::new(id, async {
                accept_remote::<()>(
                    serde_json::from_str(
                        r#"{"result":null,"invalidate":["user_profile:{\"user_id\":1}"]}"#,
                    )
                    .expect("an envelope"),
                )
            });
            assert!(call.now_or_never().expect("answered").is_ok());
            assert_eq!(started_one.get(), 1, "profile 1 refetches");
            assert_eq!(
                shown(one, "Ann"),
                "Al",
                "no flicker between the answer and the refetch"
            );
            fetch_landed(one, started_one.get());
            assert_eq!(shown(one, "Al (saved)"), "Al (saved)");
            assert_eq!(optimistic_pending(), 0);
            unregister(one);
            unregister(two);
        }

        #[test]
        fn a_failed_call_rolls_its_patch_back_and_says_so() {
            let (one, heard, started) = live_profile(1);
            let id = begin_optimistic(&["user_profile"], &args(1), &rename_to("Al"));
            assert_eq!(shown(one, "Ann"), "Al");
            let call = Optimistic::new(id, async {
                Err::<(), _>(MizanError::invalid_field("name", "must not be blank"))
            });
            let error = call.now_or_never().expect("answered").expect_err("failed");
            assert_eq!(error.code, crate::error::ErrorCode::ValidationError);
            assert_eq!(shown(one, "Ann"), "Ann");
            assert_eq!(heard.get(), 2, "told of the patch, then of its end");
            assert_eq!(started.get(), 0, "nothing refetched");
            assert_eq!(optimistic_pending(), 0);
            unregister(one);
        }

        #[test]
        fn a_call_dropped_before_its_end_rolls_its_patch_back() {
            let (one, heard, _) = live_profile(1);
            let id = begin_optimistic(&["user_profile"], &args(1), &rename_to("Al"));
            assert_eq!(shown(one, "Ann"), "Al");
            drop(Optimistic::new(id, async { Ok::<(), MizanError>(()) }));
            assert_eq!(shown(one, "Ann"), "Ann");
            assert_eq!((heard.get(), optimistic_pending()), (2, 0));
            unregister(one);
        }

        #[test]
        fn an_answer_this_client_cannot_decode_still_waits_for_its_refetch() {
            let (one, _, started) = live_profile(1);
            let id = begin_optimistic(&["user_profile"], &args(1), &rename_to("Al"));
            let call = Optimistic::new(id, async {
                accept_remote::<u32>(
                    serde_json::from_str(
                        r#"{"result":"not a number","invalidate":["user_profile"]}"#,
                    )
                    .expect("an envelope"),
                )
            });
            let error = call
                .now_or_never()
                .expect("answered")
                .expect_err("undecodable");
            assert_eq!(error.code, crate::error::ErrorCode::InvalidResponse);
            // The server committed: the patch stays until the refetch it started lands.
            assert_eq!(shown(one, "Ann"), "Al");
            fetch_landed(one, started.get());
            assert_eq!((shown(one, "Al"), optimistic_pending()), ("Al".into(), 0));
            unregister(one);
        }

        #[test]
        fn new_params_drop_the_patches_made_for_the_old_ones() {
            let (one, heard, _) = live_profile(1);
            begin_optimistic(&["user_profile"], &args(1), &rename_to("Al"));
            params_changed(one);
            assert_eq!(
                (shown(one, "Bo"), heard.get(), optimistic_pending()),
                ("Bo".into(), 2, 0)
            );
            unregister(one);
        }

        #[test]
        fn two_patches_of_one_context_apply_in_order() {
            let (one, heard, _) = live_profile(1);
            let mut patches = rename_to("Al");
            let suffix: Patch<String> = Rc::new(|value: &mut String| value.push('!'));
            patches.push(("user_profile", Rc::new(suffix) as Rc<dyn Any>));
            begin_optimistic(&["user_profile"], &args(1), &patches);
            assert_eq!((shown(one, "Ann"), heard.get()), ("Al!".into(), 1));
            unregister(one);
        }

        #[test]
        fn a_context_the_mutation_does_not_affect_is_not_patched() {
            let (one, heard, _) = live_profile(1);
            begin_optimistic(&["current_user"], &args(1), &rename_to("Al"));
            assert_eq!((shown(one, "Ann"), heard.get()), ("Ann".into(), 0));
            assert_eq!(optimistic_pending(), 0);
            unregister(one);
        }
    }

    mod batch_queue {
        use futures::FutureExt;

        use super::super::queue::{Queue, request, settle};
        use crate::{
            error::{ErrorCode, MizanError},
            protocol::{BatchOutcome, BatchResponse, Envelope, MAX_BATCH_CALLS, RawArgs},
        };

        fn envelope(result: &str) -> Envelope {
            serde_json::from_str(&format!(r#"{{"result":{result},"invalidate":[]}}"#))
                .expect("envelope")
        }

        #[test]
        fn calls_of_one_tick_go_out_as_one_batch_in_order_and_get_their_own_outcome() {
            let mut queue = Queue::default();
            let (first_answer, first) = queue.push("current_user", RawArgs::empty());
            let (second_answer, second) = queue.push(
                "user_profile",
                RawArgs::from_value(&serde_json::json!({"user_id": 1})).expect("args"),
            );
            assert!(first && !second, "only the first call schedules a flush");
            let mut batches = queue.take_batches(MAX_BATCH_CALLS);
            assert_eq!(batches.len(), 1);
            let batch = batches.remove(0);
            assert_eq!(
                serde_json::to_string(&request(&batch)).expect("json"),
                r#"{"calls":[{"fn":"current_user","args":{}},{"fn":"user_profile","args":{"user_id":1}}]}"#
            );
            settle(
                batch,
                Ok(BatchResponse {
                    results: vec![
                        BatchOutcome::Ok(envelope("7")),
                        BatchOutcome::Err {
                            error: MizanError::not_found("no user with id 1"),
                        },
                    ],
                }),
            );
            let first = first_answer
                .now_or_never()
                .expect("answered")
                .expect("sent");
            assert_eq!(first.expect("ok").result.get(), "7");
            let second = second_answer
                .now_or_never()
                .expect("answered")
                .expect("sent");
            assert_eq!(second.expect_err("failed").code, ErrorCode::NotFound);
            // The queue starts over: the next call schedules the next flush.
            assert!(queue.push("current_user", RawArgs::empty()).1);
        }

        #[test]
        fn more_calls_than_a_batch_takes_are_split_in_order() {
            let mut queue = Queue::default();
            let _answers: Vec<_> = (0..130)
                .map(|_| queue.push("current_user", RawArgs::empty()).0)
                .collect();
            let sizes: Vec<usize> = queue
                .take_batches(MAX_BATCH_CALLS)
                .iter()
                .map(Vec::len)
                .collect();
            assert_eq!(sizes, [64, 64, 2]);
            assert!(queue.take_batches(MAX_BATCH_CALLS).is_empty());
        }

        #[test]
        fn an_answer_with_the_wrong_count_or_none_fails_every_call_of_the_batch() {
            let mut queue = Queue::default();
            let answers: Vec<_> = (0..2)
                .map(|_| queue.push("current_user", RawArgs::empty()).0)
                .collect();
            let batch = queue.take_batches(MAX_BATCH_CALLS).remove(0);
            settle(
                batch,
                Ok(BatchResponse {
                    results: vec![BatchOutcome::Ok(envelope("1"))],
                }),
            );
            for answer in answers {
                let error = answer
                    .now_or_never()
                    .expect("answered")
                    .expect("sent")
                    .expect_err("mismatch");
                assert_eq!(error.code, ErrorCode::InvalidResponse);
                assert!(error.message.contains("1 results for 2 calls"), "{error}");
            }

            let (answer, _) = queue.push("current_user", RawArgs::empty());
            let batch = queue.take_batches(MAX_BATCH_CALLS).remove(0);
            settle(batch, Err(MizanError::network("offline")));
            let error = answer
                .now_or_never()
                .expect("answered")
                .expect("sent")
                .expect_err("offline");
            assert!(error.is_network_error());
        }
    }
}
