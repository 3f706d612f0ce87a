//! The tab's siblings (the other tabs of this origin, Leptos or React): told over a
//! `BroadcastChannel` when this tab's session changed hands, since they share its cookie and
//! their sockets, too, act as who the tabs were.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue, closure::Closure};

use super::IDENTITY_CHANNEL;
use crate::frames::IDENTITY_CHANGED;

/// The tab's end of the channel, and the listener it keeps alive.
struct Siblings {
    channel: web_sys::BroadcastChannel,
    _listener: Closure<dyn FnMut(web_sys::MessageEvent)>,
}

thread_local! {
    static SIBLINGS: RefCell<Option<Siblings>> = const { RefCell::new(None) };
}

/// Listens for siblings' news: `changed` runs when another tab says the session changed hands.
/// A browser without `BroadcastChannel` has no siblings to hear (each tab then learns of a
/// sign-in only from its own answers).
pub fn listen(changed: fn()) {
    let Ok(channel) = web_sys::BroadcastChannel::new(IDENTITY_CHANNEL) else {
        return;
    };
    let listener =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            // Anything else on the channel (another version's message) is not ours to act on.
            if event.data().as_string().as_deref() == Some(IDENTITY_CHANGED) {
                changed();
            }
        });
    channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
    SIBLINGS.with(|siblings| {
        *siblings.borrow_mut() = Some(Siblings {
            channel,
            _listener: listener,
        });
    });
}

/// Tells the siblings that the session changed hands (a tab does not hear its own message).
pub fn announce() {
    SIBLINGS.with(|siblings| {
        if let Some(siblings) = siblings.borrow().as_ref() {
            // A failed post (the channel closed as the page unloads) leaves nobody to tell.
            let _ = siblings
                .channel
                .post_message(&JsValue::from_str(IDENTITY_CHANGED));
        }
    });
}
