//! The WebSocket's envelopes (`/api/mizan/ws/`): what a client sends and what the server
//! answers or pushes, one JSON object per text message, versioned. `docs/protocol.md` is the
//! prose version.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{error::MizanError, protocol::RawArgs};

/// The socket's path.
pub const SOCKET_PATH: &str = "/api/mizan/ws/";

/// The socket's fallback, for where an upgrade cannot pass: `GET` opens a stream of the same
/// frames as Server-Sent Events, `POST` sends one frame up (naming the stream in
/// [`CONNECTION_HEADER`]).
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

/// What a client sends.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientFrame {
    /// `{"action": "rpc", "id": 7, "fn": "echo", "args": {...}}`: call a `#[client(websocket)]`
    /// function; answered by a `result` or `error` frame with the same id.
    Rpc {
        /// The client's id for the call, echoed in the answer.
        id: u64,
        /// The function's name.
        function: String,
        /// Its arguments object.
        args: RawArgs,
    },
    /// `{"action": "watch", "keys": [...]}`: push the invalidations of these context instances
    /// (canonical keys); answered by a `watching` frame.
    Watch {
        /// Instance keys.
        keys: Vec<String>,
    },
    /// `{"action": "unwatch", "keys": [...]}`: stop pushing these.
    Unwatch {
        /// Instance keys.
        keys: Vec<String>,
    },
    /// `{"action": "ping", "id": 1}`: answered by `pong` (an application-level heartbeat).
    Ping {
        /// Echoed in the `pong`.
        id: Option<u64>,
    },
    /// `{"action": "subscribe", "id": 1, "channel": "chat", "params": {"room": "general"}}`:
    /// join a channel's group; answered by `subscribed` or `error` with the same id.
    Subscribe {
        /// The client's id for the request.
        id: u64,
        /// The channel's name.
        channel: String,
        /// Its params.
        params: RawArgs,
    },
    /// `{"action": "send", "id": 2, "channel": "chat", "params": {...}, "message": {...}}`: a
    /// message to a channel subscribed to; answered by `sent` or `error` with the same id.
    Send {
        /// The client's id for the request.
        id: u64,
        /// The channel's name.
        channel: String,
        /// The subscription's params.
        params: RawArgs,
        /// The message.
        message: RawArgs,
    },
    /// `{"action": "unsubscribe", "channel": "chat", "params": {...}}`: leave.
    Unsubscribe {
        /// The channel's name.
        channel: String,
        /// The subscription's params.
        params: RawArgs,
    },
}

/// Why a client's message is not a frame; the error frame's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Not a JSON object with a known `action`.
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
    /// Reads one client message. The id of an `rpc`, when it can be read at all, comes back with
    /// the error so the answer can name the call.
    pub fn parse(text: &str) -> Result<Self, (Option<u64>, FrameError)> {
        #[derive(Deserialize)]
        struct Head {
            #[serde(default)]
            v: Option<u32>,
            action: String,
            #[serde(default)]
            id: Option<u64>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Rpc {
            #[serde(default)]
            #[allow(dead_code)]
            v: Option<u32>,
            #[allow(dead_code)]
            action: String,
            id: u64,
            #[serde(rename = "fn")]
            function: String,
            #[serde(default)]
            args: RawArgs,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Subscription {
            #[serde(default)]
            #[allow(dead_code)]
            v: Option<u32>,
            #[allow(dead_code)]
            action: String,
            #[serde(default)]
            id: Option<u64>,
            channel: String,
            #[serde(default)]
            params: RawArgs,
            #[serde(default)]
            message: Option<RawArgs>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Keys {
            #[serde(default)]
            #[allow(dead_code)]
            v: Option<u32>,
            #[allow(dead_code)]
            action: String,
            keys: Vec<String>,
        }
        let malformed =
            |id, error: serde_json::Error| (id, FrameError::Malformed(error.to_string()));
        let head: Head = serde_json::from_str(text).map_err(|error| malformed(None, error))?;
        if let Some(version) = head.v.filter(|v| *v != SOCKET_VERSION) {
            return Err((head.id, FrameError::Version(version)));
        }
        match head.action.as_str() {
            "rpc" => {
                let rpc: Rpc = serde_json::from_str(text).map_err(|e| malformed(head.id, e))?;
                Ok(Self::Rpc {
                    id: rpc.id,
                    function: rpc.function,
                    args: rpc.args,
                })
            }
            "watch" | "unwatch" => {
                let Keys { keys, .. } =
                    serde_json::from_str(text).map_err(|e| malformed(head.id, e))?;
                Ok(if head.action == "watch" {
                    Self::Watch { keys }
                } else {
                    Self::Unwatch { keys }
                })
            }
            "ping" => Ok(Self::Ping { id: head.id }),
            "subscribe" | "send" | "unsubscribe" => {
                let sub: Subscription =
                    serde_json::from_str(text).map_err(|e| malformed(head.id, e))?;
                let missing = |what: &str| {
                    (
                        head.id,
                        FrameError::Malformed(format!("`{}` needs `{what}`", head.action)),
                    )
                };
                match head.action.as_str() {
                    "subscribe" => Ok(Self::Subscribe {
                        id: sub.id.ok_or_else(|| missing("id"))?,
                        channel: sub.channel,
                        params: sub.params,
                    }),
                    "send" => Ok(Self::Send {
                        id: sub.id.ok_or_else(|| missing("id"))?,
                        channel: sub.channel,
                        params: sub.params,
                        message: sub.message.ok_or_else(|| missing("message"))?,
                    }),
                    _ => Ok(Self::Unsubscribe {
                        channel: sub.channel,
                        params: sub.params,
                    }),
                }
            }
            other => Err((
                head.id,
                FrameError::Malformed(format!("unknown action `{other}`")),
            )),
        }
    }
}

/// A key a `watch` could not take, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusedKey {
    /// The key as sent.
    pub key: String,
    /// Why: not a context, not a canonical key, or not readable by this user.
    pub error: MizanError,
}

/// What the server sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServerFrame {
    /// First frame of every socket: its id (for [`CONNECTION_HEADER`]) and the version.
    Hello {
        /// The socket's id.
        connection: String,
    },
    /// An `rpc` succeeded: the same envelope as HTTP.
    Result {
        /// The call's id.
        id: u64,
        /// The function's output.
        result: Box<RawValue>,
        /// Keys it invalidated.
        invalidate: Vec<String>,
    },
    /// An `rpc` failed, or a message could not be taken (`id` null).
    Error {
        /// The call's id, when the message was an `rpc` whose id could be read.
        id: Option<u64>,
        /// What went wrong.
        error: MizanError,
    },
    /// The answer to a `watch`: the keys now watched, and the ones refused.
    Watching {
        /// Accepted instance keys.
        keys: Vec<String>,
        /// Refused keys, each with its error.
        refused: Vec<RefusedKey>,
    },
    /// Watched instances some call has changed: refetch them. Only keys travel, never data.
    Invalidate {
        /// Watched instance keys, each once.
        keys: Vec<String>,
    },
    /// The answer to a `ping`.
    Pong {
        /// The ping's id.
        id: Option<u64>,
    },
    /// A `subscribe` was taken.
    Subscribed {
        /// The request's id.
        id: u64,
    },
    /// A `send` was taken (and its message, if any, broadcast).
    Sent {
        /// The request's id.
        id: u64,
    },
    /// A message broadcast to a group this socket is in.
    Message {
        /// The channel's name.
        channel: String,
        /// The params of the subscription it came through, as the sender gave them.
        params: Box<RawValue>,
        /// The message.
        message: Box<RawValue>,
    },
}

impl ServerFrame {
    /// The frame as the text message sent: `{"v": 1, "type": ..., ...}`.
    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        #[derive(Serialize)]
        struct Versioned<'a> {
            v: u32,
            #[serde(flatten)]
            frame: &'a ServerFrame,
        }
        serde_json::to_string(&Versioned {
            v: SOCKET_VERSION,
            frame: self,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json, value::to_raw_value};

    use super::{ClientFrame, FrameError, ServerFrame};
    use crate::error::MizanError;

    #[test]
    fn client_frames_parse_and_bad_ones_say_why() {
        let rpc =
            ClientFrame::parse(r#"{"v":1,"action":"rpc","id":7,"fn":"echo","args":{"text":"hi"}}"#)
                .expect("an rpc");
        let ClientFrame::Rpc { id, function, args } = rpc else {
            panic!("not an rpc: {rpc:?}");
        };
        assert_eq!((id, function.as_str()), (7, "echo"));
        assert_eq!(args.get(), r#"{"text":"hi"}"#);
        assert!(matches!(
            ClientFrame::parse(r#"{"action":"watch","keys":["current_user"]}"#),
            Ok(ClientFrame::Watch { keys }) if keys == ["current_user"]
        ));
        assert!(matches!(
            ClientFrame::parse(r#"{"action":"ping"}"#),
            Ok(ClientFrame::Ping { id: None })
        ));

        let error = |text: &str| match ClientFrame::parse(text) {
            Ok(frame) => panic!("{text} parsed as {frame:?}"),
            Err(error) => error,
        };
        assert!(matches!(
            error("not json"),
            (None, FrameError::Malformed(_))
        ));
        assert!(
            matches!(error(r#"{"action":"dance"}"#), (None, FrameError::Malformed(m)) if m.contains("dance"))
        );
        assert_eq!(
            error(r#"{"v":2,"action":"ping","id":3}"#),
            (Some(3), FrameError::Version(2))
        );
        // An rpc whose id can be read gets its error under that id.
        assert!(matches!(
            error(r#"{"action":"rpc","id":9}"#),
            (Some(9), FrameError::Malformed(_))
        ));
        assert!(matches!(
            error(r#"{"action":"rpc","id":9,"fn":"x","argz":{}}"#),
            (Some(9), FrameError::Malformed(m)) if m.contains("argz")
        ));
    }

    #[test]
    fn channel_frames_parse_and_need_their_ids() {
        let send = ClientFrame::parse(
            r#"{"action":"send","id":2,"channel":"chat","params":{"room":"a"},"message":{"text":"hi"}}"#,
        );
        assert!(matches!(
            send,
            Ok(ClientFrame::Send { id: 2, ref channel, ref params, ref message })
                if channel == "chat" && params.get() == r#"{"room":"a"}"# && message.get() == r#"{"text":"hi"}"#
        ));
        assert!(matches!(
            ClientFrame::parse(
                r#"{"action":"unsubscribe","channel":"chat","params":{"room":"a"}}"#
            ),
            Ok(ClientFrame::Unsubscribe { .. })
        ));
        let missing = ClientFrame::parse(r#"{"action":"subscribe","channel":"chat"}"#);
        assert!(matches!(missing, Err((None, FrameError::Malformed(m))) if m.contains("`id`")));
        let no_message = ClientFrame::parse(r#"{"action":"send","id":4,"channel":"chat"}"#);
        assert!(
            matches!(no_message, Err((Some(4), FrameError::Malformed(m))) if m.contains("`message`"))
        );
    }

    #[test]
    fn server_frames_carry_the_version_and_their_type() {
        let text = ServerFrame::Result {
            id: 7,
            result: to_raw_value(&json!({"message": "hi"})).expect("raw"),
            invalidate: vec!["current_user".into()],
        }
        .to_text()
        .expect("serializes");
        let value: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            value,
            json!({"v": 1, "type": "result", "id": 7, "result": {"message": "hi"},
                   "invalidate": ["current_user"]})
        );
        let error = ServerFrame::Error {
            id: None,
            error: MizanError::bad_request("nope"),
        }
        .to_text()
        .expect("serializes");
        let value: Value = serde_json::from_str(&error).expect("json");
        assert_eq!(value["type"], "error");
        assert_eq!(value["error"]["code"], "BAD_REQUEST");
    }
}
