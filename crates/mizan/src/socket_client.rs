//! The browser's socket: one WebSocket per tab to `/api/mizan/ws/`, watching the contexts that
//! have live instances on the page (by name: the server then names exactly what changed), and
//! refetching what other clients' calls invalidate. It reconnects by itself with a jittered
//! exponential backoff (250 ms to 10 s) and, after a reconnect, refetches every live instance
//! once, since pushes may have been missed meanwhile.
//!
//! Where the upgrade cannot pass (a WebSocket that ends before its `hello`), the same frames flow
//! over the fallback at once (`/api/mizan/sse/`: an `EventSource` down, one `POST` per frame up),
//! and once it worked the tab keeps it (remembered in `sessionStorage`).
//!
//! A tab's own calls are answered with their keys, which it applies at once; the server pushes
//! the same keys to this socket too (the Leptos client's HTTP calls do not name the socket), so a
//! pushed key equal to one the tab applied from an answer in the last second is dropped once.

use std::future::Future;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::{
    error::MizanError,
    protocol::{Envelope, RawArgs},
};

#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
pub(crate) use browser::start;

/// Where the tab's socket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketStatus {
    /// Opening (or about to retry).
    Connecting,
    /// Open: pushes and channel messages arrive.
    Connected,
    /// Closed; a retry is scheduled.
    Disconnected,
}

impl SocketStatus {
    /// `connecting`, `connected` or `disconnected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
        }
    }
}

// The browser socket uses this; tests run it natively.
#[cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]
/// A subscription's identity: the channel and its params in canonical form, as the server writes
/// them in `message` frames.
fn subscription_key(channel: &str, params: &Value) -> String {
    format!(
        "{channel}:{}",
        crate::channel_spec::canonical_params(params)
    )
}

/// Calls a `#[client(websocket)]` function from the browser: over the tab's socket when it is
/// open (an `rpc` frame, the same envelope), else through its own endpoint like any function. A
/// socket that closes during the call fails it with a `NETWORK_ERROR` (try again).
pub async fn call_socket_or_remote<A, T, F, Fut>(
    name: &'static str,
    args: &A,
    endpoint: F,
) -> Result<T, MizanError>
where
    A: Serialize,
    T: DeserializeOwned,
    F: FnOnce(RawArgs) -> Fut,
    Fut: Future<Output = Result<Envelope, MizanError>>,
{
    let args = crate::runtime::encode(args)?;
    #[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
    if let Some(answer) = browser::rpc(name, &args).await {
        return crate::runtime::accept_remote(answer?);
    }
    #[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
    let _ = name;
    crate::runtime::accept_remote(endpoint(args).await?)
}

// The browser socket uses these; tests run them natively.
#[cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]
/// The instance keys the socket watches: the live instances' keys, kept in step by [`Watched::sync`].
#[derive(Default)]
struct Watched(std::collections::BTreeSet<String>);

// The browser socket uses these; tests run them natively.
#[cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]
impl Watched {
    /// Makes the set `live`; answers the keys to watch and the keys to unwatch.
    fn sync(&mut self, live: Vec<String>) -> (Vec<String>, Vec<String>) {
        let live: std::collections::BTreeSet<String> = live.into_iter().collect();
        let added = live.difference(&self.0).cloned().collect();
        let removed = self.0.difference(&live).cloned().collect();
        self.0 = live;
        (added, removed)
    }

    fn keys(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }
}

// The browser socket uses these; tests run them natively.
#[cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]
/// Keys this tab applied from its own calls' answers, with when (ms), for [`OWN_KEY_WINDOW_MS`].
#[derive(Default)]
struct OwnKeys(Vec<(String, f64)>);

// The browser socket uses these; tests run them natively.
#[cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]
/// How long a key applied from an answer suppresses the same pushed key.
const OWN_KEY_WINDOW_MS: f64 = 1_000.0;

// The browser socket uses these; tests run them natively.
#[cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]
impl OwnKeys {
    fn note(&mut self, keys: &[String], now: f64) {
        self.0.retain(|(_, at)| now - at < OWN_KEY_WINDOW_MS);
        self.0.extend(keys.iter().map(|key| (key.clone(), now)));
    }

    /// `pushed` without the keys some key this tab applied in the window covers: those
    /// instances were refetched already. (The Leptos client's HTTP calls do not name the socket,
    /// so the server pushes them back; the cost: another client's change to the same instance
    /// within the window is picked up by the refetch under way, or missed until the next.)
    fn foreign(&mut self, pushed: Vec<String>, now: f64) -> Vec<String> {
        self.0.retain(|(_, at)| now - at < OWN_KEY_WINDOW_MS);
        let own: Vec<crate::invalidation::ContextKey> = self
            .0
            .iter()
            .filter_map(|(key, _)| crate::invalidation::ContextKey::parse(key).ok())
            .collect();
        pushed
            .into_iter()
            .filter(|key| {
                let Ok(pushed) = crate::invalidation::ContextKey::parse(key) else {
                    return true;
                };
                !own.iter()
                    .any(|own| own.covers(pushed.name(), pushed.params()))
            })
            .collect()
    }
}

#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
mod browser {
    use std::{
        cell::{Cell, RefCell},
        time::Duration,
    };

    use std::{
        collections::{BTreeMap, HashMap},
        rc::Rc,
    };

    use futures::{
        SinkExt, StreamExt,
        channel::{mpsc, oneshot},
        future::{self, Either},
        stream::LocalBoxStream,
    };
    use wasm_bindgen::{JsCast, closure::Closure};

    use gloo_net::{
        http::Request,
        websocket::{Message, WebSocketError, futures::WebSocket},
    };
    use leptos::prelude::{ArcRwSignal, GetUntracked, Set};
    use serde::Deserialize;
    use serde_json::{Value, value::RawValue};

    use super::{OwnKeys, SocketStatus, Watched, subscription_key};
    use crate::{
        error::MizanError,
        frames::{SOCKET_PATH, SSE_PATH, STREAM_HEADER},
        protocol::{Envelope, RawArgs},
        runtime::apply_invalidations,
    };

    /// Hears one subscription's messages (their JSON text).
    pub(crate) type Listener = Rc<dyn Fn(&str)>;

    /// The server's answer to a `send` (no envelope) or an `rpc` (its envelope).
    type Answer = Result<Option<Envelope>, MizanError>;

    struct Subscription {
        channel: &'static str,
        params: Value,
        listeners: Vec<(u64, Listener)>,
    }

    thread_local! {
        static STARTED: Cell<bool> = const { Cell::new(false) };
        static WATCHED: RefCell<Watched> = RefCell::default();
        static OWN: RefCell<OwnKeys> = RefCell::default();
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

    fn set_status(status: SocketStatus) {
        STATUS.with(|signal| signal.set(status));
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
            send(
                serde_json::json!({"v": 1, "action": "subscribe", "id": next_id(),
                                    "channel": channel, "params": params}),
            );
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
            send(serde_json::json!({"v": 1, "action": "unsubscribe",
                                    "channel": subscription.channel, "params": subscription.params}));
        }
    }

    /// Sends `frame` (whose `id` is `id`) and waits for its answer; `None` when no socket is
    /// connected.
    async fn request(id: u64, frame: Value) -> Option<Answer> {
        let (answer, answered) = oneshot::channel();
        PENDING.with(|pending| pending.borrow_mut().insert(id, answer));
        let connected = STATUS.with(|status| status.get_untracked()) == SocketStatus::Connected;
        if !connected || !send(frame) {
            PENDING.with(|pending| pending.borrow_mut().remove(&id));
            return None;
        }
        Some(
            answered
                .await
                .unwrap_or_else(|_| Err(MizanError::network("the socket closed: try again"))),
        )
    }

    /// Sends `message` to `channel` with `params`; answered when the server took it.
    pub(crate) async fn send_message(
        channel: &'static str,
        params: Value,
        message: Value,
    ) -> Result<(), MizanError> {
        let id = next_id();
        let frame = serde_json::json!({"v": 1, "action": "send", "id": id, "channel": channel,
                                       "params": params, "message": message});
        match request(id, frame).await {
            Some(answer) => answer.map(|_| ()),
            None => Err(MizanError::network(
                "the socket is not connected: try again",
            )),
        }
    }

    /// Calls `name` over the socket; `None` when no socket is connected (call over HTTP).
    pub(crate) async fn rpc(
        name: &'static str,
        args: &RawArgs,
    ) -> Option<Result<Envelope, MizanError>> {
        let id = next_id();
        let args: Value = serde_json::from_str(args.get()).unwrap_or_default();
        let frame =
            serde_json::json!({"v": 1, "action": "rpc", "id": id, "fn": name, "args": args});
        let answer = request(id, frame).await?;
        Some(answer.and_then(|envelope| {
            envelope.ok_or_else(|| MizanError::invalid_response("an rpc answered without a result"))
        }))
    }

    /// The close code of a session that ended (sign-in, sign-out): reconnect at once.
    const SESSION_ENDED: u16 = 4001;

    #[derive(Deserialize)]
    struct Frame {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        keys: Vec<String>,
        #[serde(default)]
        id: Option<u64>,
        #[serde(default)]
        error: Option<MizanError>,
        #[serde(default)]
        channel: Option<String>,
        #[serde(default)]
        params: Option<Value>,
        #[serde(default)]
        message: Option<Box<RawValue>>,
        #[serde(default)]
        result: Option<Box<RawValue>>,
        #[serde(default)]
        invalidate: Vec<String>,
    }

    fn now() -> f64 {
        js_sys::Date::now()
    }

    /// Queues a frame; `false` when no socket is open (it will (re)subscribe when one is).
    fn send(frame: Value) -> bool {
        OUT.with(|out| {
            out.borrow()
                .as_ref()
                .is_some_and(|out| out.unbounded_send(frame.to_string()).is_ok())
        })
    }

    /// Opens the tab's socket (once; later calls do nothing).
    pub(crate) fn start() {
        if STARTED.with(|started| started.replace(true)) {
            return;
        }
        crate::runtime::observe(crate::runtime::Observer {
            live_changed: sync_watches,
            applied: note_own_keys,
        });
        sync_watches();
        leptos::task::spawn_local(run());
    }

    /// The live instances changed (one came or went, or one's params changed): watch exactly
    /// their keys, no more (the server then pushes only these keys).
    pub(crate) fn sync_watches() {
        let live = crate::runtime::live_keys();
        let (added, removed) = WATCHED.with(|watched| watched.borrow_mut().sync(live));
        if !added.is_empty() {
            send(serde_json::json!({"v": 1, "action": "watch", "keys": added}));
        }
        if !removed.is_empty() {
            send(serde_json::json!({"v": 1, "action": "unwatch", "keys": removed}));
        }
    }

    /// The keys of one of this tab's answers, just applied.
    pub(crate) fn note_own_keys(keys: &[String]) {
        if !keys.is_empty() {
            OWN.with(|own| own.borrow_mut().note(keys, now()));
        }
    }

    async fn sleep(delay: Duration) {
        let (done, wait) = oneshot::channel::<()>();
        leptos::prelude::set_timeout(
            move || {
                let _ = done.send(());
            },
            delay,
        );
        let _ = wait.await;
    }

    /// This page's origin (`scheme://host`), and whether it is `https`.
    fn origin() -> Option<(String, bool)> {
        let location = leptos::prelude::window().location();
        let secure = location.protocol().ok()? == "https:";
        Some((location.host().ok()?, secure))
    }

    /// What carries a connection's frames.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Transport {
        WebSocket,
        /// The fallback: an `EventSource` down, a `POST` per frame up.
        Stream,
    }

    /// The `sessionStorage` key under which the tab remembers that it needs the fallback (the
    /// React runtime reads the same one).
    const TRANSPORT_KEY: &str = "mizan.transport";

    fn storage() -> Option<web_sys::Storage> {
        leptos::prelude::window().session_storage().ok().flatten()
    }

    /// The transport the tab remembered, else a WebSocket.
    fn remembered() -> Transport {
        let stored = storage().and_then(|storage| storage.get_item(TRANSPORT_KEY).ok().flatten());
        if stored.as_deref() == Some("sse") {
            Transport::Stream
        } else {
            Transport::WebSocket
        }
    }

    /// A connection's frames as they arrive.
    enum Received {
        Text(String),
        /// The fallback's secret, which its posts name (its first event).
        Inlet(String),
        /// The end, with the close code when there is one.
        Ended(Option<u16>),
    }

    /// Starts the task writing a connection's queued frames once its `hello` came (with the
    /// fallback's secret; a WebSocket needs none).
    type Writer = Box<dyn FnOnce(mpsc::UnboundedReceiver<String>, String)>;

    /// How often the client sends a `ping`: the server's `pong` is how it knows the server is
    /// there (a WebSocket's own pings are answered by the browser, unseen).
    const PING_EVERY: Duration = Duration::from_secs(25);
    /// How long a connection may go without its `hello`: then it failed (a proxy that holds the
    /// stream back, say).
    const HELLO_WITHIN: Duration = Duration::from_secs(10);
    /// Silence this long (no frame, not even a `pong`) means the server is gone.
    const DEAD_AFTER: Duration = Duration::from_secs(60);

    fn open(transport: Transport) -> Option<(LocalBoxStream<'static, Received>, Writer)> {
        match transport {
            Transport::WebSocket => open_websocket(),
            Transport::Stream => open_stream(),
        }
    }

    fn open_websocket() -> Option<(LocalBoxStream<'static, Received>, Writer)> {
        let (host, secure) = origin()?;
        let scheme = if secure { "wss" } else { "ws" };
        let socket = WebSocket::open(&format!("{scheme}://{host}{SOCKET_PATH}")).ok()?;
        let (mut sink, stream) = socket.split();
        let received = stream.filter_map(|message| {
            future::ready(match message {
                Ok(Message::Text(text)) => Some(Received::Text(text)),
                Ok(Message::Bytes(_)) => None,
                Err(WebSocketError::ConnectionClose(event)) => {
                    Some(Received::Ended(Some(event.code)))
                }
                Err(_) => Some(Received::Ended(None)),
            })
        });
        let writer: Writer = Box::new(move |mut queued, _| {
            leptos::task::spawn_local(async move {
                let ping = serde_json::json!({"v": 1, "action": "ping"}).to_string();
                loop {
                    let text =
                        match future::select(queued.next(), Box::pin(sleep(PING_EVERY))).await {
                            Either::Left((Some(text), _)) => text,
                            Either::Left((None, _)) => break,
                            Either::Right(_) => ping.clone(),
                        };
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
            });
        });
        Some((received.boxed_local(), writer))
    }

    /// An `EventSource` and its listeners, closed when the connection's stream is dropped (it
    /// would retry on its own otherwise).
    struct Source {
        source: web_sys::EventSource,
        _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    }

    impl Drop for Source {
        fn drop(&mut self) {
            self.source.close();
        }
    }

    /// The fallback's events as [`Received`]: `inlet` (the stream's secret), frames, `close`
    /// (its code), and any error (a broken or refused stream) as the end.
    fn open_stream() -> Option<(LocalBoxStream<'static, Received>, Writer)> {
        let (host, secure) = origin()?;
        let url = format!(
            "{}://{host}{SSE_PATH}",
            if secure { "https" } else { "http" }
        );
        let source = web_sys::EventSource::new(&url).ok()?;
        let (events, received) = mpsc::unbounded::<Received>();
        let listen = |kind: &'static str| {
            let events = events.clone();
            let listener =
                Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                    let data = event
                        .dyn_ref::<web_sys::MessageEvent>()
                        .and_then(|message| message.data().as_string())
                        .unwrap_or_default();
                    let item = match kind {
                        "inlet" => Received::Inlet(data),
                        "close" => Received::Ended(data.parse().ok()),
                        "error" => Received::Ended(None),
                        _ => Received::Text(data),
                    };
                    let _ = events.unbounded_send(item);
                });
            source
                .add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref())
                .ok()
                .map(|()| listener)
        };
        // An `error` while connecting is a refused stream, later a broken one: both end it (the
        // backoff decides what next, not the `EventSource`'s own retry).
        let listeners: Option<Vec<_>> = ["message", "inlet", "close", "error"]
            .into_iter()
            .map(listen)
            .collect();
        let source = Source {
            source,
            _listeners: listeners?,
        };
        // A post the server refuses ends the connection, like a failed write on a socket.
        let writer: Writer = Box::new(move |queued, secret| {
            leptos::task::spawn_local(post_frames(url, secret, queued, events));
        });
        let received = received.map(move |item| {
            let _open = &source;
            item
        });
        Some((received.boxed_local(), writer))
    }

    /// The fallback's writer: each queued frame one `POST`, in order, and a `ping` when idle.
    async fn post_frames(
        url: String,
        secret: String,
        mut queued: mpsc::UnboundedReceiver<String>,
        events: mpsc::UnboundedSender<Received>,
    ) {
        let ping = serde_json::json!({"v": 1, "action": "ping"}).to_string();
        loop {
            let text = match future::select(queued.next(), Box::pin(sleep(PING_EVERY))).await {
                Either::Left((Some(text), _)) => text,
                Either::Left((None, _)) => return,
                Either::Right(_) => ping.clone(),
            };
            let sent = match Request::post(&url)
                .header("content-type", "application/json")
                .header(STREAM_HEADER, &secret)
                .body(text)
            {
                Ok(request) => request.send().await.ok().filter(|response| response.ok()),
                Err(_) => None,
            };
            if sent.is_none() {
                let _ = events.unbounded_send(Received::Ended(None));
                return;
            }
        }
    }

    async fn run() {
        let mut attempt: u32 = 0;
        let mut connected_before = false;
        let mut next = None;
        loop {
            let started = now();
            set_status(SocketStatus::Connecting);
            let transport = next.take().unwrap_or_else(remembered);
            let ended = match open(transport) {
                Some((received, writer)) => {
                    serve(received, writer, transport, &mut connected_before).await
                }
                None => Ended {
                    code: None,
                    greeted: false,
                },
            };
            // A WebSocket that ended before its `hello`: the upgrade may be what fails (a
            // proxy stripping it). The fallback is tried at once.
            if transport == Transport::WebSocket && !ended.greeted {
                next = Some(Transport::Stream);
                continue;
            }
            set_status(SocketStatus::Disconnected);
            if now() - started > 10_000.0 {
                attempt = 0;
            }
            let ceiling = (250.0 * 2_f64.powi(attempt as i32)).min(10_000.0);
            attempt = attempt.saturating_add(1);
            let delay = if ended.code == Some(SESSION_ENDED) {
                attempt = 0;
                0.0
            } else {
                ceiling / 2.0 + js_sys::Math::random() * ceiling / 2.0
            };
            sleep(Duration::from_millis(delay as u64)).await;
        }
    }

    /// How a connection ended.
    struct Ended {
        /// Its close code, when it has one.
        code: Option<u16>,
        /// Whether its `hello` arrived.
        greeted: bool,
    }

    /// One connection, until it ends.
    async fn serve(
        mut received: LocalBoxStream<'static, Received>,
        writer: Writer,
        transport: Transport,
        connected_before: &mut bool,
    ) -> Ended {
        let mut writer = Some(writer);
        let mut code = None;
        let mut greeted = false;
        let mut secret = String::new();
        loop {
            // No `hello` in time, or silence after it: the connection failed.
            let patience = if greeted { DEAD_AFTER } else { HELLO_WITHIN };
            let message = match future::select(received.next(), Box::pin(sleep(patience))).await {
                Either::Left((Some(message), _)) => message,
                Either::Left((None, _)) | Either::Right(_) => break,
            };
            let text = match message {
                Received::Text(text) => text,
                Received::Inlet(inlet) => {
                    secret = inlet;
                    continue;
                }
                Received::Ended(ended) => {
                    code = ended;
                    break;
                }
            };
            let Ok(frame) = serde_json::from_str::<Frame>(&text) else {
                continue;
            };
            match frame.kind.as_str() {
                "hello" => {
                    // A second `hello` is a new connection under this one (a stream the
                    // browser reopened by itself): this one is over.
                    let Some(start) = writer.take() else {
                        break;
                    };
                    greeted = true;
                    let (out, queued) = mpsc::unbounded::<String>();
                    OUT.with(|slot| *slot.borrow_mut() = Some(out));
                    start(queued, std::mem::take(&mut secret));
                    if transport == Transport::Stream
                        && let Some(storage) = storage()
                    {
                        // The fallback worked where the socket did not: keep it for this tab.
                        let _ = storage.set_item(TRANSPORT_KEY, "sse");
                    }
                    set_status(SocketStatus::Connected);
                    let names = WATCHED.with(|watched| watched.borrow().keys());
                    if !names.is_empty() {
                        send(serde_json::json!({"v": 1, "action": "watch", "keys": names}));
                    }
                    let subscriptions: Vec<(&'static str, Value)> = SUBSCRIPTIONS.with(|subs| {
                        subs.borrow()
                            .values()
                            .map(|sub| (sub.channel, sub.params.clone()))
                            .collect()
                    });
                    for (channel, params) in subscriptions {
                        send(
                            serde_json::json!({"v": 1, "action": "subscribe", "id": next_id(),
                                                "channel": channel, "params": params}),
                        );
                    }
                    // Pushes made while the socket was down are lost: refetch what is live.
                    if *connected_before {
                        apply_invalidations(&names);
                    }
                    *connected_before = true;
                }
                "invalidate" => {
                    let keys = OWN.with(|own| own.borrow_mut().foreign(frame.keys, now()));
                    apply_invalidations(&keys);
                }
                "sent" | "error" | "result" => {
                    let answer = match (frame.error, frame.result) {
                        (Some(error), _) => Err(error),
                        (None, Some(result)) => Ok(Some(Envelope {
                            result,
                            invalidate: frame.invalidate,
                        })),
                        (None, None) => Ok(None),
                    };
                    let waiting = frame
                        .id
                        .and_then(|id| PENDING.with(|pending| pending.borrow_mut().remove(&id)));
                    if let Some(waiting) = waiting {
                        let _ = waiting.send(answer);
                    }
                }
                "message" => {
                    let (Some(channel), Some(params), Some(message)) =
                        (frame.channel, frame.params, frame.message)
                    else {
                        continue;
                    };
                    let key = subscription_key(&channel, &params);
                    let listeners: Vec<Listener> = SUBSCRIPTIONS.with(|subs| {
                        subs.borrow()
                            .get(&key)
                            .map(|sub| sub.listeners.iter().map(|(_, l)| Rc::clone(l)).collect())
                            .unwrap_or_default()
                    });
                    for listener in listeners {
                        listener(message.get());
                    }
                }
                _ => {}
            }
        }
        // Dropping the sender ends the writer; sends waiting for an answer will not get one.
        OUT.with(|slot| slot.borrow_mut().take());
        let waiting: Vec<_> = PENDING.with(|pending| pending.borrow_mut().drain().collect());
        for (_, answer) in waiting {
            let _ = answer.send(Err(MizanError::network("the socket closed: try again")));
        }
        Ended { code, greeted }
    }
}

#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
pub(crate) use browser::{Listener, send_message, status, subscribe, unsubscribe};

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
    fn a_subscription_is_known_by_its_params_in_any_order() {
        let a = serde_json::json!({"room": "general", "lang": "en"});
        let b = serde_json::json!({"lang": "en", "room": "general"});
        assert_eq!(
            super::subscription_key("chat", &a),
            super::subscription_key("chat", &b)
        );
        assert_eq!(
            super::subscription_key("chat", &a),
            r#"chat:{"lang":"en","room":"general"}"#
        );
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
