//! What carries a connection's frames: a WebSocket, or the fallback (an `EventSource` down, one
//! `POST` per frame up) where an upgrade cannot pass, and which of the two the tab uses.

use std::time::Duration;

use futures::{
    SinkExt, StreamExt,
    channel::mpsc,
    future::{self, Either},
    stream::LocalBoxStream,
};
use gloo_net::{
    http::Request,
    websocket::{Message, WebSocketError, futures::WebSocket},
};
use wasm_bindgen::{JsCast, closure::Closure};

use super::clock::sleep;
use crate::frames::{ClientFrame, Heartbeat, SOCKET_PATH, SSE_PATH, STREAM_HEADER, pacing};

/// What carries a connection's frames.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A WebSocket.
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
pub fn remembered() -> Transport {
    let stored = storage().and_then(|storage| storage.get_item(TRANSPORT_KEY).ok().flatten());
    if stored.as_deref() == Some("sse") {
        Transport::Stream
    } else {
        Transport::WebSocket
    }
}

/// The fallback worked where the WebSocket did not: the tab keeps it for its life.
pub fn remember_stream() {
    if let Some(storage) = storage() {
        let _ = storage.set_item(TRANSPORT_KEY, "sse");
    }
}

/// A connection's frames as they arrive.
pub enum Received {
    /// A frame's text.
    Text(String),
    /// The fallback's secret, which its posts name (its first event).
    Inlet(String),
    /// The end, with the close code when there is one.
    Ended(Option<u16>),
}

/// Starts the task writing a connection's queued frames once its `hello` came (with the
/// fallback's secret; a WebSocket needs none).
pub type Writer = Box<dyn FnOnce(mpsc::UnboundedReceiver<String>, String)>;

/// Opens a connection over `transport`: what it receives, and how to start writing to it.
pub fn open(transport: Transport) -> Option<(LocalBoxStream<'static, Received>, Writer)> {
    match transport {
        Transport::WebSocket => open_websocket(),
        Transport::Stream => open_stream(),
    }
}

/// This page's host, and whether it is served over `https`.
fn origin() -> Option<(String, bool)> {
    let location = leptos::prelude::window().location();
    let secure = location.protocol().ok()? == "https:";
    Some((location.host().ok()?, secure))
}

/// The text of the client's heartbeat: the server's `pong` is how the client knows the server
/// is there (a WebSocket's own pings are answered by the browser, unseen).
fn ping() -> String {
    ClientFrame::Ping(Heartbeat { id: None })
        .to_text()
        .unwrap_or_default()
}

/// The next queued frame, or a `ping` after [`pacing::PING_EVERY_MS`] of quiet; `None` once
/// the queue is closed.
async fn next_or_ping(queued: &mut mpsc::UnboundedReceiver<String>) -> Option<String> {
    let quiet = Box::pin(sleep(Duration::from_millis(pacing::PING_EVERY_MS)));
    match future::select(queued.next(), quiet).await {
        Either::Left((text, _)) => text,
        Either::Right(_) => Some(ping()),
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
            Err(WebSocketError::ConnectionClose(event)) => Some(Received::Ended(Some(event.code))),
            Err(_) => Some(Received::Ended(None)),
        })
    });
    let writer: Writer = Box::new(move |mut queued, _| {
        leptos::task::spawn_local(async move {
            while let Some(text) = next_or_ping(&mut queued).await {
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

/// The fallback's events as [`Received`]: `inlet` (the stream's secret), frames, `close` (its
/// code), and any error (a broken or refused stream) as the end.
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
        let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
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
    while let Some(text) = next_or_ping(&mut queued).await {
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
