//! Realtime benchmark targets: a channel every socket may join (one group per topic), a public
//! context with a mutation that invalidates it, and the baseline: a raw axum WebSocket route
//! fanning out through a `tokio::sync::broadcast` channel.

use axum::{
    Extension, Router,
    extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade},
    response::Response,
    routing::get,
};
use futures::{SinkExt, StreamExt};
use mizan::{
    ChannelSpec, MizanError, client,
    server::{Channel, RequestContext},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use validator::Validate;

/// Which topic a subscription is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, Validate)]
pub struct Topic {
    /// The topic.
    pub topic: String,
}

/// A timestamped message (µs on the load client's clock) and some padding.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, Validate)]
pub struct Stamp {
    /// When the load client sent it.
    pub sent_us: u64,
    /// Padding, to a realistic chat-line size.
    pub text: String,
    /// Which step of a saturating run sent it, so late deliveries count for their own step (0 in
    /// the fixed-rate run).
    #[serde(default)]
    pub step: u64,
}

/// The benchmark's channel: anyone may join; a message is broadcast as sent.
pub struct BenchChannel;

impl ChannelSpec for BenchChannel {
    const NAME: &'static str = "bench";
    type Params = Topic;
    type ClientMessage = Stamp;
    type ServerMessage = Stamp;
}

impl Channel for BenchChannel {
    async fn authorize(_ctx: &RequestContext, _topic: &Topic) -> Result<(), MizanError> {
        Ok(())
    }

    fn group(topic: &Topic) -> String {
        topic.topic.clone()
    }

    async fn receive(
        _ctx: &RequestContext,
        _topic: &Topic,
        stamp: Stamp,
    ) -> Result<Option<Stamp>, MizanError> {
        Ok(Some(stamp))
    }
}

mizan::register_channel!(BenchChannel);

/// A number every socket may watch.
#[client(context = global, public)]
pub async fn bench_counter() -> Result<u64, MizanError> {
    Ok(0)
}

/// Invalidates `bench_counter` for everyone watching it.
#[client(affects = [bench_counter])]
pub async fn bench_bump() -> Result<(), MizanError> {
    Ok(())
}

/// The baseline's fan-out: every raw socket hears every message any raw socket sends.
#[derive(Clone)]
pub struct RawFanOut(broadcast::Sender<Utf8Bytes>);

/// `GET /raw/ws` and its fan-out, with the same small buffers as mizan's sockets.
pub fn raw_routes() -> Router {
    let (sender, _) = broadcast::channel(1024);
    Router::new()
        .route("/raw/ws", get(raw_socket))
        .layer(Extension(RawFanOut(sender)))
}

async fn raw_socket(
    upgrade: WebSocketUpgrade,
    Extension(fan_out): Extension<RawFanOut>,
) -> Response {
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(256 * 1024)
        .on_upgrade(move |socket| raw_serve(socket, fan_out))
}

async fn raw_serve(socket: WebSocket, RawFanOut(sender): RawFanOut) {
    let mut heard = sender.subscribe();
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let _ = sender.send(text);
                }
                Some(Ok(_)) => {}
                _ => break,
            },
            broadcast = heard.recv() => match broadcast {
                Ok(text) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
}
