//! The browser's socket: one WebSocket per tab to `/api/mizan/ws/`, watching the contexts that
//! have live instances on the page, and refetching what other clients' calls invalidate. It
//! reconnects by itself ([`backoff`]) and, after a reconnect, refetches every live instance
//! once, since pushes may have been missed meanwhile. Where the upgrade cannot pass (a WebSocket
//! that ends before its `hello`), the same frames flow over the fallback at once
//! (`/api/mizan/sse/`), and once it worked the tab keeps it ([`carrier`]).
//!
//! A tab's own calls are answered with their keys, which it applies at once; the server pushes
//! the same keys to this socket too (the Leptos client's HTTP calls do not name the socket). So
//! pushed keys wait while one of the tab's calls is under way (the push may overtake the answer),
//! and a key covered by one the tab applied from an answer in the last second is dropped
//! ([`watched`]).
//!
//! A socket acts as who the tab was when it opened. So when one of the tab's answers says the
//! session changed hands (signed in or out: [`IDENTITY_HEADER`](crate::frames::IDENTITY_HEADER)),
//! the socket is closed and reopened at once, under the cookie that answer set, and like any
//! reconnect it watches and subscribes again and refetches what is live; the tab's siblings of
//! the same origin are told over a `BroadcastChannel` ([`IDENTITY_CHANNEL`]) and do the same.
//!
//! Layers: `backoff`, `watched` (plain data, tested natively), `clock` ← `carrier`
//! (transports), `siblings` (the other tabs), `tab` (the tab's socket as state) ← `connection`
//! (one connection's frames) ← `reconnect` (the loop keeping the tab connected) ← this module.

mod backoff;
mod watched;

#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
mod carrier;
#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
mod clock;
#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
mod connection;
#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
mod reconnect;
#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
mod siblings;
#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
mod tab;

use std::future::Future;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
pub(crate) use {
    reconnect::start,
    tab::{Listener, send_message, status, subscribe, unsubscribe},
};

use crate::{
    browser::runtime,
    error::MizanError,
    protocol::{Envelope, RawArgs},
};

/// The `BroadcastChannel` on which a tab tells the other tabs of its origin that the session
/// changed hands (the message: [`IDENTITY_CHANGED`](crate::frames::IDENTITY_CHANGED)); the
/// React runtime uses the same, so Leptos and React tabs of one site tell each other.
pub(crate) const IDENTITY_CHANNEL: &str = "mizan-identity";

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
    let args = runtime::encode(args)?;
    #[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
    if let Some(answer) = tab::rpc(name, &args).await {
        return runtime::accept_remote(answer?);
    }
    #[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
    let _ = name;
    runtime::remote(endpoint(args)).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_identity_header_and_channel_are_the_fixtures() {
        let fixture: serde_json::Value =
            serde_json::from_str(include_str!("../../../../../fixtures/protocol.json"))
                .expect("json");
        let identity = &fixture["identity"];
        assert_eq!(identity["header"], crate::frames::IDENTITY_HEADER);
        assert_eq!(identity["changed"], crate::frames::IDENTITY_CHANGED);
        assert_eq!(identity["broadcast_channel"], super::IDENTITY_CHANNEL);
        assert_eq!(identity["message"], crate::frames::IDENTITY_CHANGED);
    }

    #[test]
    fn only_the_header_s_one_value_says_the_session_changed_hands() {
        use crate::browser::runtime::says_identity_changed;
        assert!(says_identity_changed(Some("changed")));
        assert!(says_identity_changed(Some(" changed ")));
        assert!(!says_identity_changed(None));
        assert!(!says_identity_changed(Some("")));
        assert!(!says_identity_changed(Some("unchanged")));
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
}
