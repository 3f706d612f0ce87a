//! The Leptos side of channels: [`use_channel`] subscribes the tab's socket to a channel for as
//! long as the component lives, collects what the group hears, and sends typed messages.

use leptos::prelude::*;

use crate::{ChannelSpec, browser::socket::SocketStatus, error::MizanError};

/// A channel subscription on the page (see [`use_channel`]).
pub struct ChannelHandle<C: ChannelSpec> {
    messages: RwSignal<Vec<C::ServerMessage>>,
    params: Signal<C::Params>,
    status: Signal<SocketStatus>,
}

impl<C: ChannelSpec> Clone for ChannelHandle<C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C: ChannelSpec> Copy for ChannelHandle<C> {}

impl<C: ChannelSpec> ChannelHandle<C> {
    /// What the group has heard since this subscription began (its params changing starts a new
    /// one), oldest first. Tracked.
    pub fn messages(&self) -> Vec<C::ServerMessage> {
        self.messages.get()
    }

    /// The tab's socket status. Tracked. (`connecting` while the page renders on the server.)
    pub fn status(&self) -> SocketStatus {
        self.status.get()
    }

    /// Sends `message` to the channel, with the current params. Resolves when the server took it
    /// (the group, this tab included, then hears what the channel makes of it); a
    /// `NETWORK_ERROR` when the socket is not connected.
    pub async fn send(&self, message: C::ClientMessage) -> Result<(), MizanError> {
        #[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
        {
            let encode = |error: serde_json::Error| {
                MizanError::bad_request(format!("cannot encode the message: {error}"))
            };
            let params = serde_json::to_value(self.params.get_untracked()).map_err(encode)?;
            let message = serde_json::to_value(message).map_err(encode)?;
            crate::browser::socket::send_message(C::NAME, params, message).await
        }
        #[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
        {
            let _ = (message, self.params);
            Err(MizanError::not_implemented(
                "channels are sent to from the browser",
            ))
        }
    }
}

/// Subscribes the tab's socket to channel `C` with `params` (a value or a signal: a change
/// unsubscribes and subscribes again) while the calling component lives. Put a
/// [`MizanContext`](crate::MizanContext) around the app.
///
/// An example is in the realtime guide (`docs/realtime.md`, `mizan::guides::realtime`).
pub fn use_channel<C: ChannelSpec>(params: impl Into<Signal<C::Params>>) -> ChannelHandle<C> {
    let params = params.into();
    let messages = RwSignal::new(Vec::new());
    #[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
    let status = {
        let status = crate::browser::socket::status();
        Signal::derive(move || status.get())
    };
    #[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
    let status = Signal::stored(SocketStatus::Connecting);

    #[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
    {
        let listening = StoredValue::new_local(None::<u64>);
        Effect::new(move |_| {
            let current = params.get();
            if let Some(previous) = listening.get_value() {
                crate::browser::socket::unsubscribe(previous);
            }
            messages.set(Vec::new());
            let Ok(value) = serde_json::to_value(&current) else {
                return;
            };
            let hear: crate::browser::socket::Listener = std::rc::Rc::new(move |text: &str| {
                if let Ok(message) = serde_json::from_str::<C::ServerMessage>(text) {
                    messages.update(|all| all.push(message));
                }
            });
            let id = crate::browser::socket::subscribe(C::NAME, value, hear);
            listening.set_value(Some(id));
        });
        on_cleanup(move || {
            if let Some(id) = listening.try_get_value().flatten() {
                crate::browser::socket::unsubscribe(id);
            }
        });
    }
    ChannelHandle {
        messages,
        params,
        status,
    }
}
