//! What a typed channel is to both builds: its wire name and its three message types. The
//! browser subscribes and sends with them ([`use_channel`](crate::use_channel)); the server adds
//! who may join and what a message does (`mizan::server::Channel`).

use serde::{Serialize, de::DeserializeOwned};

/// A channel's name and types, shared by the server and the browser. Implement it beside the
/// message types (in code both builds compile), and `mizan::server::Channel` on the server.
pub trait ChannelSpec: Send + Sync + 'static {
    /// The channel's name on the wire (`"channel": "chat"`), unique in the app.
    const NAME: &'static str;
    /// What a subscription names (`{ room }`).
    type Params: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static;
    /// What a client sends.
    type ClientMessage: Serialize + DeserializeOwned + Send + 'static;
    /// What the group hears.
    type ServerMessage: Serialize + DeserializeOwned + Clone + Send + Sync + 'static;
}
