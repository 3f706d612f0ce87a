//! The socket's frames (`/api/mizan/ws/` and its fallback), defined once for the server and the
//! browser: what a client sends and what the server answers or pushes, one JSON object per text
//! message, versioned, with the timings and close codes both ends keep to. `docs/protocol.md` is
//! the prose version; `fixtures/protocol.json` (`frames`, `socket`) pins both runtimes to it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, de::value::MapDeserializer};
use serde_json::value::RawValue;

use crate::{error::MizanError, protocol::RawArgs};

/// The socket's path.
pub const SOCKET_PATH: &str = "/api/mizan/ws/";

/// The socket's fallback, for where an upgrade cannot pass: `GET` opens a stream of the same
/// frames as Server-Sent Events, `POST` sends one frame up (naming the stream in
/// [`STREAM_HEADER`]).
pub const SSE_PATH: &str = "/api/mizan/sse/";

/// Request header of a fallback `POST`: the stream's secret, its first event (`inlet`).
pub const STREAM_HEADER: &str = "x-mizan-stream";

/// The envelopes' version (`"v"`); a client sending another is answered with an error frame.
pub const SOCKET_VERSION: u32 = 1;

/// Largest message a client may send (64 KiB); a larger one closes the socket.
pub const MAX_SOCKET_MESSAGE_BYTES: usize = 64 * 1024;

/// Request header naming the caller's open socket (its `hello` id), so the keys of its own HTTP
/// calls are not pushed back to it: the response already carries them.
pub const CONNECTION_HEADER: &str = "x-mizan-connection";

/// The response header saying the session changed hands during this request (signed in, signed
/// out, or a session that ended): its value is [`IDENTITY_CHANGED`]. A socket opened before it
/// acts as who the tab was; the client reopens its socket (and tells the tab's siblings) once
/// the response, and so its `Set-Cookie`, has arrived.
pub const IDENTITY_HEADER: &str = "x-mizan-identity";

/// The one value of [`IDENTITY_HEADER`].
pub const IDENTITY_CHANGED: &str = "changed";

/// The close codes of a connection, as both ends read them.
pub mod close_code {
    /// The session changed under the connection (sign-in, sign-out, a bearer token's `exp`):
    /// the client reconnects at once, as who the visitor now is.
    pub const SESSION_ENDED: u16 = 4001;
    /// The server is shutting down (WebSocket's "going away"): the client reconnects with its
    /// backoff.
    pub const GOING_AWAY: u16 = 1001;
    /// The client gave up on a connection that said nothing (no `hello` in time, or silence).
    pub const UNANSWERED: u16 = 4000;
}

/// How both ends pace a connection, in milliseconds.
pub mod pacing {
    /// Heartbeats: the client's `ping` frame, and the server's WebSocket ping, this often.
    pub const PING_EVERY_MS: u64 = 25_000;
    /// Silence this long (not a frame, not a pong) means the other end is gone.
    pub const SILENT_FOR_MS: u64 = 60_000;
    /// A connection without its `hello` this long has failed (a proxy holding it back).
    pub const HELLO_WITHIN_MS: u64 = 10_000;
    /// The first reconnect delay's ceiling; it doubles with each failed attempt...
    pub const BACKOFF_FIRST_MS: u64 = 250;
    /// ... up to this.
    pub const BACKOFF_MAX_MS: u64 = 10_000;
    /// A connection that lasted this long was stable: the next failure starts the backoff over.
    pub const STABLE_AFTER_MS: u64 = 10_000;
}

/// `rpc`: call a `#[client(websocket)]` function; answered by `result` or `error` with its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    /// The client's id for the call, echoed in the answer.
    pub id: u64,
    /// The function's name.
    #[serde(rename = "fn")]
    pub function: String,
    /// Its arguments object (`{}` when left out).
    #[serde(default)]
    pub args: RawArgs,
}

/// Context instance keys: what a `watch` or `unwatch` names, what `invalidate` pushes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// Canonical instance keys.
    pub keys: Vec<String>,
}

impl Keys {
    /// `keys` cut into lists that each make a `watch` or `unwatch` frame within one socket
    /// message ([`MAX_SOCKET_MESSAGE_BYTES`]), in order: a page may watch more keys than one
    /// message carries, and a larger message would close the socket.
    pub fn batches(keys: Vec<String>) -> Vec<Self> {
        // Room for the frame around the keys: `{"v":1,"action":"unwatch","keys":[...]}`.
        const BUDGET: usize = MAX_SOCKET_MESSAGE_BYTES - 64;
        let mut batches: Vec<Self> = Vec::new();
        let mut used = 0;
        for key in keys {
            // The key as a JSON string, and its comma; escapes make it longer than its text.
            let size = serde_json::to_string(&key).map_or(key.len() * 6, |json| json.len()) + 1;
            match batches.last_mut() {
                Some(batch) if used + size <= BUDGET => batch.keys.push(key),
                _ => {
                    batches.push(Self { keys: vec![key] });
                    used = 0;
                }
            }
            used += size;
        }
        batches
    }
}

/// `ping` and its `pong`: an application-level heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// Echoed in the `pong`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
}

/// `subscribe`: join a channel's group; answered by `subscribed` or `error` with its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    /// The client's id for the request.
    pub id: u64,
    /// The channel's name.
    pub channel: String,
    /// Its params (`{}` when left out).
    #[serde(default)]
    pub params: RawArgs,
}

/// `send`: a message to a channel subscribed to; answered by `sent` or `error` with its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSend {
    /// The client's id for the request.
    pub id: u64,
    /// The channel's name.
    pub channel: String,
    /// The subscription's params.
    #[serde(default)]
    pub params: RawArgs,
    /// The message.
    pub message: RawArgs,
}

/// `unsubscribe`: leave a channel's group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unsubscribe {
    /// The channel's name.
    pub channel: String,
    /// The subscription's params.
    #[serde(default)]
    pub params: RawArgs,
}

/// What a client sends: `{"v": 1, "action": ..., ...}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClientFrame {
    /// `{"action": "rpc", "id": 7, "fn": "echo", "args": {...}}`.
    Rpc(Call),
    /// `{"action": "watch", "keys": [...]}`: push the invalidations of these instances;
    /// answered by `watching`.
    Watch(Keys),
    /// `{"action": "unwatch", "keys": [...]}`: stop pushing these.
    Unwatch(Keys),
    /// `{"action": "ping", "id": 1}`: answered by `pong`.
    Ping(Heartbeat),
    /// `{"action": "subscribe", "id": 1, "channel": "chat", "params": {"room": "general"}}`.
    Subscribe(Subscribe),
    /// `{"action": "send", "id": 2, "channel": "chat", "params": {...}, "message": {...}}`.
    Send(ChannelSend),
    /// `{"action": "unsubscribe", "channel": "chat", "params": {...}}`.
    Unsubscribe(Unsubscribe),
}

/// First frame of every connection: its id (for [`CONNECTION_HEADER`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hello {
    /// The connection's id.
    pub connection: String,
}

/// An `rpc` succeeded: the same envelope as HTTP.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallResult {
    /// The call's id.
    pub id: u64,
    /// The function's output, as the server wrote it.
    pub result: Box<RawValue>,
    /// Keys it invalidated.
    #[serde(default)]
    pub invalidate: Vec<String>,
}

/// A request failed, or a message could not be taken (`id` null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    /// The request's id, when the message was one whose id could be read.
    pub id: Option<u64>,
    /// What went wrong.
    pub error: MizanError,
}

/// A key a `watch` could not take, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusedKey {
    /// The key as sent.
    pub key: String,
    /// Why: not a context, not a canonical key, or not readable by this user.
    pub error: MizanError,
}

/// The answer to a `watch`: the keys now watched, and the ones refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Watching {
    /// Accepted instance keys.
    pub keys: Vec<String>,
    /// Refused keys, each with its error.
    #[serde(default)]
    pub refused: Vec<RefusedKey>,
}

/// A request taken: the answer to a `subscribe` or a `send`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taken {
    /// The request's id.
    pub id: u64,
}

/// A message broadcast to a group the connection is in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Broadcast {
    /// The channel's name.
    pub channel: String,
    /// The params of the subscription it came through, in their canonical form.
    pub params: Box<RawValue>,
    /// The message.
    pub message: Box<RawValue>,
}

/// What the server sends: `{"v": 1, "type": ..., ...}`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerFrame {
    /// First frame of every connection.
    Hello(Hello),
    /// An `rpc`'s output.
    Result(CallResult),
    /// A request failed, or a message could not be taken.
    Error(Failure),
    /// The answer to a `watch`.
    Watching(Watching),
    /// Watched instances some call has changed: refetch them. Only keys travel, never data.
    Invalidate(Keys),
    /// The answer to a `ping`.
    Pong(Heartbeat),
    /// A `subscribe` was taken.
    Subscribed(Taken),
    /// A `send` was taken (and its message, if any, broadcast).
    Sent(Taken),
    /// A message broadcast to a group this connection is in.
    Message(Broadcast),
}

/// Why a message is not a frame; the error frame's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Not a JSON object with a known `action` (or `type`) and that kind's members.
    #[error("not a mizan frame: {0}")]
    Malformed(String),
    /// Another version of the envelopes.
    #[error("frame version {0} is not spoken here (version {SOCKET_VERSION} is)")]
    Version(u32),
}

impl FrameError {
    /// The error to answer with (`BAD_REQUEST`).
    pub fn to_error(&self) -> MizanError {
        MizanError::bad_request(self.to_string())
    }
}

impl ClientFrame {
    /// Reads one client message. The frame's `id`, when it can be read at all, comes back with
    /// the error so the answer can name the request.
    pub fn parse(text: &str) -> Result<Self, (Option<u64>, FrameError)> {
        let (action, members) = open(text, "action")?;
        let id = members.id();
        let frame = match action.as_str() {
            "rpc" => members.read().map(Self::Rpc),
            "watch" => members.read().map(Self::Watch),
            "unwatch" => members.read().map(Self::Unwatch),
            "ping" => members.read().map(Self::Ping),
            "subscribe" => members.read().map(Self::Subscribe),
            "send" => members.read().map(Self::Send),
            "unsubscribe" => members.read().map(Self::Unsubscribe),
            other => Err(FrameError::Malformed(format!("unknown action `{other}`"))),
        };
        frame.map_err(|error| (id, error))
    }

    /// The frame as the text message sent.
    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        versioned(self)
    }
}

impl ServerFrame {
    /// Reads one server message.
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        let (kind, members) = open(text, "type").map_err(|(_, error)| error)?;
        match kind.as_str() {
            "hello" => members.read().map(Self::Hello),
            "result" => members.read().map(Self::Result),
            "error" => members.read().map(Self::Error),
            "watching" => members.read().map(Self::Watching),
            "invalidate" => members.read().map(Self::Invalidate),
            "pong" => members.read().map(Self::Pong),
            "subscribed" => members.read().map(Self::Subscribed),
            "sent" => members.read().map(Self::Sent),
            "message" => members.read().map(Self::Message),
            other => Err(FrameError::Malformed(format!("unknown type `{other}`"))),
        }
    }

    /// The frame as the text message sent.
    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        versioned(self)
    }
}

/// `{"v": 1, <the frame's tag and members>}`.
fn versioned(frame: &impl Serialize) -> Result<String, serde_json::Error> {
    #[derive(Serialize)]
    struct Versioned<'a, F> {
        v: u32,
        #[serde(flatten)]
        frame: &'a F,
    }
    serde_json::to_string(&Versioned {
        v: SOCKET_VERSION,
        frame,
    })
}

/// A frame's members other than `v` and its tag, each still the JSON text it came as.
///
/// The enums are not read with `#[serde(tag = ...)]`: serde buffers an internally tagged enum's
/// members in a tree of its own, from which a `RawValue` (an rpc's `args`, a `result`, a
/// channel `message`) cannot be read. Taking the object apart into raw members first keeps
/// those as the text they came as, and lets each kind's struct refuse members it does not know.
struct Members<'a>(BTreeMap<String, &'a RawValue>);

/// Opens a frame: a JSON object of this version, with its tag (`action` or `type`).
fn open<'a>(text: &'a str, tag: &str) -> Result<(String, Members<'a>), (Option<u64>, FrameError)> {
    let mut members = Members(
        serde_json::from_str::<BTreeMap<String, &RawValue>>(text)
            .map_err(|error| (None, FrameError::Malformed(error.to_string())))?,
    );
    let id = members.id();
    if let Some(v) = members.0.remove("v") {
        match serde_json::from_str::<u32>(v.get()) {
            Ok(SOCKET_VERSION) => {}
            Ok(other) => return Err((id, FrameError::Version(other))),
            Err(_) => {
                let message = format!("`v` must be a number, not {}", v.get());
                return Err((id, FrameError::Malformed(message)));
            }
        }
    }
    let kind = members
        .0
        .remove(tag)
        .ok_or_else(|| (id, FrameError::Malformed(format!("missing field `{tag}`"))))?;
    let kind = serde_json::from_str::<String>(kind.get()).map_err(|_| {
        let message = format!("`{tag}` must be a string, not {}", kind.get());
        (id, FrameError::Malformed(message))
    })?;
    Ok((kind, members))
}

impl<'a> Members<'a> {
    /// The frame's `id`, when it has one that reads as a request id.
    fn id(&self) -> Option<u64> {
        self.0
            .get("id")
            .and_then(|id| serde_json::from_str(id.get()).ok())
    }

    /// The members as one kind's struct.
    fn read<T: Deserialize<'a>>(self) -> Result<T, FrameError> {
        T::deserialize(MapDeserializer::<_, serde_json::Error>::new(
            self.0.into_iter(),
        ))
        .map_err(|error| FrameError::Malformed(error.to_string()))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #[test]
    fn many_keys_are_watched_in_frames_that_each_fit_one_message() {
        use super::ClientFrame;

        let keys: Vec<String> = (0..300)
            .map(|i| format!("feed:{{\"tab\":\"{}\",\"user_id\":{i}}}", "x".repeat(480)))
            .collect();
        let batches = super::Keys::batches(keys.clone());
        assert!(
            batches.len() > 1,
            "300 keys of ~500 bytes are more than one message"
        );
        for batch in &batches {
            let text = ClientFrame::Watch(batch.clone())
                .to_text()
                .expect("a frame");
            assert!(
                text.len() <= super::MAX_SOCKET_MESSAGE_BYTES,
                "{}",
                text.len()
            );
        }
        let again: Vec<String> = batches.into_iter().flat_map(|batch| batch.keys).collect();
        assert_eq!(again, keys, "every key, once, in order");
        assert!(super::Keys::batches(Vec::new()).is_empty());
        assert_eq!(super::Keys::batches(vec!["todos".into()]).len(), 1);
    }

    use serde_json::{Value, json};

    use super::{ClientFrame, FrameError, ServerFrame, close_code, pacing};

    fn fixture() -> Value {
        serde_json::from_str(include_str!("../../../fixtures/protocol.json")).expect("json")
    }

    fn cases<'a>(fixture: &'a Value, path: &str) -> &'a [Value] {
        fixture
            .pointer(path)
            .and_then(Value::as_array)
            .unwrap_or_else(|| panic!("no {path} in the fixture"))
    }

    fn text(case: &Value) -> String {
        match &case["text"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }

    /// The same JSON, whatever the order of members.
    fn same_json(written: &str, expected: &str) {
        let written: Value = serde_json::from_str(written).expect("written json");
        let expected: Value = serde_json::from_str(expected).expect("expected json");
        assert_eq!(written, expected);
    }

    #[test]
    fn every_client_frame_of_the_fixture_reads_and_writes_back() {
        let fixture = fixture();
        let frames = cases(&fixture, "/frames/client");
        let mut actions: Vec<&str> = Vec::new();
        for case in frames {
            let text = text(case);
            let frame = ClientFrame::parse(&text)
                .unwrap_or_else(|error| panic!("{text} does not read: {error:?}"));
            same_json(
                &frame.to_text().expect("writes"),
                &case["canonical"].to_string(),
            );
            actions.extend(case["canonical"]["action"].as_str());
        }
        for action in [
            "rpc",
            "watch",
            "unwatch",
            "ping",
            "subscribe",
            "send",
            "unsubscribe",
        ] {
            assert!(
                actions.contains(&action),
                "the fixture has no `{action}` frame"
            );
        }
    }

    #[test]
    fn every_server_frame_of_the_fixture_reads_and_writes_back() {
        let fixture = fixture();
        let mut kinds: Vec<&str> = Vec::new();
        for case in cases(&fixture, "/frames/server") {
            let text = text(case);
            let frame = ServerFrame::parse(&text)
                .unwrap_or_else(|error| panic!("{text} does not read: {error}"));
            same_json(&frame.to_text().expect("writes"), &text);
            kinds.extend(case["text"]["type"].as_str());
        }
        for kind in [
            "hello",
            "result",
            "error",
            "watching",
            "invalidate",
            "pong",
            "subscribed",
            "sent",
            "message",
        ] {
            assert!(kinds.contains(&kind), "the fixture has no `{kind}` frame");
        }
    }

    #[test]
    fn bad_frames_of_the_fixture_are_refused_saying_why() {
        let fixture = fixture();
        for case in cases(&fixture, "/frames/bad_client") {
            let text = text(case);
            let (id, error) = match ClientFrame::parse(&text) {
                Ok(frame) => panic!("{text} read as {frame:?}"),
                Err(refused) => refused,
            };
            assert_eq!(id, case["id"].as_u64(), "{text}: the id answered");
            let mentions = case["mentions"].as_str().expect("mentions");
            assert!(error.to_string().contains(mentions), "{text}: {error}");
            if let Some(version) = case["version"].as_u64() {
                assert_eq!(error, FrameError::Version(version as u32));
            }
        }
        for case in cases(&fixture, "/frames/bad_server") {
            let text = text(case);
            if let Ok(frame) = ServerFrame::parse(&text) {
                panic!("{text} read as {frame:?}");
            }
        }
    }

    #[test]
    fn the_pacing_and_close_codes_are_the_fixtures() {
        let fixture = fixture();
        let socket = &fixture["socket"];
        let ms = |name: &str| socket["pacing_ms"][name].as_u64().expect(name);
        assert_eq!(ms("ping_every"), pacing::PING_EVERY_MS);
        assert_eq!(ms("silent_for"), pacing::SILENT_FOR_MS);
        assert_eq!(ms("hello_within"), pacing::HELLO_WITHIN_MS);
        assert_eq!(ms("backoff_first"), pacing::BACKOFF_FIRST_MS);
        assert_eq!(ms("backoff_max"), pacing::BACKOFF_MAX_MS);
        assert_eq!(ms("stable_after"), pacing::STABLE_AFTER_MS);
        let code = |name: &str| socket["close_codes"][name].as_u64().expect(name);
        assert_eq!(code("session_ended"), u64::from(close_code::SESSION_ENDED));
        assert_eq!(code("going_away"), u64::from(close_code::GOING_AWAY));
        assert_eq!(code("unanswered"), u64::from(close_code::UNANSWERED));
        assert_eq!(
            socket["max_message_bytes"].as_u64(),
            Some(super::MAX_SOCKET_MESSAGE_BYTES as u64)
        );
    }

    #[test]
    fn a_server_frame_carries_the_version_and_its_type_first() {
        let text = ServerFrame::Error(super::Failure {
            id: None,
            error: crate::error::MizanError::bad_request("nope"),
        })
        .to_text()
        .expect("serializes");
        assert!(text.starts_with(r#"{"v":1,"type":"error""#), "{text}");
        let value: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(value["error"]["code"], json!("BAD_REQUEST"));
    }
}
