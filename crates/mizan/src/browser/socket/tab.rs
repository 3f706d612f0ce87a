//! The tab's one socket, as state: watched keys, channel subscriptions, requests waiting for an
//! answer, the status, and what the hooks call (`subscribe`, `send_message`, `rpc`).

use std::{
    cell::{Cell, RefCell},
    collections::{BTreeMap, BTreeSet, HashMap},
    rc::Rc,
    time::Duration,
};

use futures::channel::{mpsc, oneshot};
use leptos::prelude::{ArcRwSignal, GetUntracked, Set};
use serde_json::Value;

use super::{
    SocketStatus,
    clock::now,
    subscription_key,
    watched::{OWN_KEY_WINDOW_MS, OwnKeys, Watched},
};
use crate::{
    browser::runtime,
    error::MizanError,
    frames::{
        Call, ChannelSend, ClientFrame, Keys, MAX_SOCKET_MESSAGE_BYTES, Subscribe, Unsubscribe,
    },
    protocol::{Envelope, RawArgs},
};

/// Hears one subscription's messages (their JSON text).
pub(crate) type Listener = Rc<dyn Fn(&str)>;

/// The server's answer to a `send` (no envelope) or an `rpc` (its envelope).
pub type Answer = Result<Option<Envelope>, MizanError>;

struct Subscription {
    channel: &'static str,
    params: Value,
    listeners: Vec<(u64, Listener)>,
}

thread_local! {
    static WATCHED: RefCell<Watched> = RefCell::default();
    static OWN: RefCell<OwnKeys> = RefCell::default();
    static HELD: RefCell<BTreeSet<String>> = RefCell::default();
    static OUT: RefCell<Option<mpsc::UnboundedSender<String>>> = const { RefCell::new(None) };
    static STATUS: ArcRwSignal<SocketStatus> = ArcRwSignal::new(SocketStatus::Connecting);
    static SUBSCRIPTIONS: RefCell<BTreeMap<String, Subscription>> = RefCell::default();
    static PENDING: RefCell<HashMap<u64, oneshot::Sender<Answer>>> = RefCell::default();
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

fn next_id() -> u64 {
    NEXT_ID.with(|next| {
        let id = next.get();
        next.set(id + 1);
        id
    })
}

/// The socket's status, as a signal.
pub(crate) fn status() -> ArcRwSignal<SocketStatus> {
    STATUS.with(ArcRwSignal::clone)
}

/// Sets the socket's status.
pub fn set_status(status: SocketStatus) {
    STATUS.with(|signal| signal.set(status));
}

/// `params` as a frame's raw params (an object always serializes).
fn raw(value: &Value) -> RawArgs {
    RawArgs::from_value(value).unwrap_or_default()
}

fn subscribe_frame(channel: &str, params: &Value) -> ClientFrame {
    ClientFrame::Subscribe(Subscribe {
        id: next_id(),
        channel: channel.to_owned(),
        params: raw(params),
    })
}

/// Hears `channel` with `params` until [`unsubscribe`]; returns the listener's id. The first
/// listener of a subscription subscribes the socket (now, or when it connects).
pub(crate) fn subscribe(channel: &'static str, params: Value, listener: Listener) -> u64 {
    let id = next_id();
    let key = subscription_key(channel, &params);
    let first = SUBSCRIPTIONS.with(|subscriptions| {
        let mut subscriptions = subscriptions.borrow_mut();
        let subscription = subscriptions.entry(key).or_insert_with(|| Subscription {
            channel,
            params: params.clone(),
            listeners: Vec::new(),
        });
        subscription.listeners.push((id, listener));
        subscription.listeners.len() == 1
    });
    if first {
        send(&subscribe_frame(channel, &params));
    }
    id
}

/// Stops the listener `id`; the last one of a subscription unsubscribes the socket.
pub(crate) fn unsubscribe(id: u64) {
    let emptied = SUBSCRIPTIONS.with(|subscriptions| {
        let mut subscriptions = subscriptions.borrow_mut();
        let key = subscriptions
            .iter()
            .find(|(_, sub)| sub.listeners.iter().any(|(listener, _)| *listener == id))
            .map(|(key, _)| key.clone())?;
        let subscription = subscriptions.get_mut(&key)?;
        subscription
            .listeners
            .retain(|(listener, _)| *listener != id);
        if subscription.listeners.is_empty() {
            subscriptions.remove(&key)
        } else {
            None
        }
    });
    if let Some(subscription) = emptied {
        send(&ClientFrame::Unsubscribe(Unsubscribe {
            channel: subscription.channel.to_owned(),
            params: raw(&subscription.params),
        }));
    }
}

/// Why a frame was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unsent {
    /// No socket is connected (or the frame could not be encoded).
    NotConnected,
    /// It is larger than one socket message ([`MAX_SOCKET_MESSAGE_BYTES`]): the server would
    /// close the socket on it.
    TooLarge,
}

/// Sends `frame` (whose `id` is `id`) and waits for its answer.
async fn request(id: u64, frame: ClientFrame) -> Result<Answer, Unsent> {
    let connected = STATUS.with(|status| status.get_untracked()) == SocketStatus::Connected;
    if !connected {
        return Err(Unsent::NotConnected);
    }
    let (answer, answered) = oneshot::channel();
    PENDING.with(|pending| pending.borrow_mut().insert(id, answer));
    if let Err(unsent) = send_checked(&frame) {
        PENDING.with(|pending| pending.borrow_mut().remove(&id));
        return Err(unsent);
    }
    Ok(answered
        .await
        .unwrap_or_else(|_| Err(MizanError::network("the socket closed: try again"))))
}

/// Sends `message` to `channel` with `params`; answered when the server took it.
pub(crate) async fn send_message(
    channel: &'static str,
    params: Value,
    message: Value,
) -> Result<(), MizanError> {
    let id = next_id();
    let frame = ClientFrame::Send(ChannelSend {
        id,
        channel: channel.to_owned(),
        params: raw(&params),
        message: raw(&message),
    });
    match request(id, frame).await {
        Ok(answer) => answer.map(|_| ()),
        Err(Unsent::NotConnected) => Err(MizanError::network(
            "the socket is not connected: try again",
        )),
        Err(Unsent::TooLarge) => Err(MizanError::payload_too_large(format!(
            "the message is larger than a socket message may be ({} KiB)",
            MAX_SOCKET_MESSAGE_BYTES / 1024
        ))),
    }
}

/// Calls `name` over the socket; `None` when no socket is connected or the call is larger than
/// one socket message (call over HTTP, whose limit is larger).
pub(crate) async fn rpc(
    name: &'static str,
    args: &RawArgs,
) -> Option<Result<Envelope, MizanError>> {
    let id = next_id();
    let frame = ClientFrame::Rpc(Call {
        id,
        function: name.to_owned(),
        args: args.clone(),
    });
    let answer = request(id, frame).await.ok()?;
    Some(answer.and_then(|envelope| {
        envelope.ok_or_else(|| MizanError::invalid_response("an rpc answered without a result"))
    }))
}

/// Queues a frame; `false` when no socket is open (it will (re)subscribe when one is), or when
/// the frame is larger than one socket message (never sent: the server would close the socket).
pub fn send(frame: &ClientFrame) -> bool {
    send_checked(frame).is_ok()
}

fn send_checked(frame: &ClientFrame) -> Result<(), Unsent> {
    let text = frame.to_text().map_err(|_| Unsent::NotConnected)?;
    if text.len() > MAX_SOCKET_MESSAGE_BYTES {
        tracing::debug!(
            bytes = text.len(),
            "a frame larger than one socket message is not sent"
        );
        return Err(Unsent::TooLarge);
    }
    let queued = OUT.with(|out| {
        out.borrow()
            .as_ref()
            .is_some_and(|out| out.unbounded_send(text).is_ok())
    });
    if queued {
        Ok(())
    } else {
        Err(Unsent::NotConnected)
    }
}

/// The live instances changed (one came or went, or one's params changed): watch exactly
/// their keys, no more (the server then pushes only these keys).
pub fn sync_watches() {
    let live = runtime::live_keys();
    let (added, removed) = WATCHED.with(|watched| watched.borrow_mut().sync(live));
    for batch in Keys::batches(added) {
        send(&ClientFrame::Watch(batch));
    }
    for batch in Keys::batches(removed) {
        send(&ClientFrame::Unwatch(batch));
    }
}

/// The keys of one of this tab's answers, just applied.
pub fn note_own_keys(keys: &[String]) {
    if !keys.is_empty() {
        OWN.with(|own| own.borrow_mut().note(keys, now()));
    }
}

/// Keys to refetch that this tab did not cause: pushed by the server, or everything live after a
/// reconnect. While one of this tab's calls is under way they wait for it (its answer may name
/// them, and may come after a push it caused), at most [`OWN_KEY_WINDOW_MS`]: a slow call never
/// holds other clients' changes back for long. Then those its own answers applied in the last
/// second are dropped (see [`OwnKeys::foreign`]) and the rest refetched. What waits is a set of
/// the socket's own watched keys: it never grows past them.
pub fn refresh_foreign(keys: Vec<String>) {
    if !runtime::calls_in_flight() {
        let keys = OWN.with(|own| own.borrow_mut().foreign(keys, now()));
        runtime::apply_invalidations(&keys);
        return;
    }
    let first = HELD.with(|held| {
        let mut held = held.borrow_mut();
        let first = held.is_empty();
        held.extend(keys);
        first
    });
    if first {
        leptos::prelude::set_timeout(
            release_held,
            Duration::from_millis(OWN_KEY_WINDOW_MS as u64),
        );
    }
}

/// The socket reopens as another identity, and its `hello` refetches everything live: what was
/// held back for the old connection would be fetched twice.
pub fn forget_held() {
    HELD.with(|held| held.borrow_mut().clear());
}

/// This tab's calls were all answered: the keys held back meanwhile, less the answers' own.
pub fn settled() {
    release_held();
}

/// Refetches what was held back (less what this tab's answers applied), if anything was.
fn release_held() {
    let held: Vec<String> = HELD
        .with(|held| std::mem::take(&mut *held.borrow_mut()))
        .into_iter()
        .collect();
    if !held.is_empty() {
        let keys = OWN.with(|own| own.borrow_mut().foreign(held, now()));
        runtime::apply_invalidations(&keys);
    }
}

/// A connection said `hello`: frames flow through `out` from now on. Answers what the tab
/// watches and subscribes to, for the connection to ask for again.
pub fn connected(out: mpsc::UnboundedSender<String>) -> (Vec<String>, Vec<ClientFrame>) {
    OUT.with(|slot| *slot.borrow_mut() = Some(out));
    set_status(SocketStatus::Connected);
    let watched = WATCHED.with(|watched| watched.borrow().keys());
    let subscriptions: Vec<(&'static str, Value)> = SUBSCRIPTIONS.with(|subs| {
        subs.borrow()
            .values()
            .map(|sub| (sub.channel, sub.params.clone()))
            .collect()
    });
    let subscribe = subscriptions
        .iter()
        .map(|(channel, params)| subscribe_frame(channel, params))
        .collect();
    (watched, subscribe)
}

/// The connection ended: nothing more is queued, and requests waiting for an answer fail
/// (retriably).
pub fn disconnected() {
    // Dropping the sender ends the writer.
    OUT.with(|slot| slot.borrow_mut().take());
    let waiting: Vec<_> = PENDING.with(|pending| pending.borrow_mut().drain().collect());
    for (_, answer) in waiting {
        let _ = answer.send(Err(MizanError::network("the socket closed: try again")));
    }
}

/// Hands request `id` its answer, if it is still waited for.
pub fn answer(id: u64, answer: Answer) {
    if let Some(waiting) = PENDING.with(|pending| pending.borrow_mut().remove(&id)) {
        let _ = waiting.send(answer);
    }
}

/// A channel message for the subscription `channel` with `params` (canonical): to each of its
/// listeners.
pub fn hear(channel: &str, params: &Value, message: &str) {
    let key = subscription_key(channel, params);
    let listeners: Vec<Listener> = SUBSCRIPTIONS.with(|subs| {
        subs.borrow()
            .get(&key)
            .map(|sub| sub.listeners.iter().map(|(_, l)| Rc::clone(l)).collect())
            .unwrap_or_default()
    });
    for listener in listeners {
        listener(message);
    }
}
