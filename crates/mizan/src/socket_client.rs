//! The browser's socket: one WebSocket per tab to `/api/mizan/ws/`, watching the contexts that
//! have live instances on the page (by name: the server then names exactly what changed), and
//! refetching what other clients' calls invalidate. It reconnects by itself with a jittered
//! exponential backoff (250 ms to 10 s) and, after a reconnect, refetches every live instance
//! once, since pushes may have been missed meanwhile.
//!
//! A tab's own calls are answered with their keys, which it applies at once; the server pushes
//! the same keys to this socket too (the Leptos client's HTTP calls do not name the socket), so a
//! pushed key equal to one the tab applied from an answer in the last second is dropped once.

use std::collections::BTreeMap;

#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
pub(crate) use browser::start;

// The browser socket uses these; tests run them natively.
#[cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]
/// Contexts watched, by name, with how many live instances each has.
#[derive(Default)]
struct Watched(BTreeMap<&'static str, usize>);

// The browser socket uses these; tests run them natively.
#[cfg_attr(
    not(all(target_arch = "wasm32", not(feature = "ssr"))),
    allow(dead_code)
)]
impl Watched {
    /// Counts an instance of `name`; `true` when it is the first (the name must be watched).
    fn add(&mut self, name: &'static str) -> bool {
        let count = self.0.entry(name).or_default();
        *count += 1;
        *count == 1
    }

    /// Uncounts an instance of `name`; `true` when it was the last (the name is unwatched).
    fn remove(&mut self, name: &'static str) -> bool {
        match self.0.get_mut(name) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            Some(_) => {
                self.0.remove(name);
                true
            }
            None => false,
        }
    }

    fn names(&self) -> Vec<String> {
        self.0.keys().map(|name| (*name).to_owned()).collect()
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

    /// `pushed` without the keys this tab already applied (each consumed once).
    fn foreign(&mut self, pushed: Vec<String>, now: f64) -> Vec<String> {
        self.0.retain(|(_, at)| now - at < OWN_KEY_WINDOW_MS);
        pushed
            .into_iter()
            .filter(|key| match self.0.iter().position(|(own, _)| own == key) {
                Some(index) => {
                    self.0.remove(index);
                    false
                }
                None => true,
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

    use futures::{SinkExt, StreamExt, channel::mpsc, channel::oneshot};
    use gloo_net::websocket::{Message, WebSocketError, futures::WebSocket};
    use serde::Deserialize;

    use super::{OwnKeys, Watched};
    use crate::{frames::SOCKET_PATH, runtime::apply_invalidations};

    thread_local! {
        static STARTED: Cell<bool> = const { Cell::new(false) };
        static WATCHED: RefCell<Watched> = RefCell::default();
        static OWN: RefCell<OwnKeys> = RefCell::default();
        static OUT: RefCell<Option<mpsc::UnboundedSender<String>>> = const { RefCell::new(None) };
    }

    /// The close code of a session that ended (sign-in, sign-out): reconnect at once.
    const SESSION_ENDED: u16 = 4001;

    #[derive(Deserialize)]
    struct Frame {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        keys: Vec<String>,
    }

    fn now() -> f64 {
        js_sys::Date::now()
    }

    fn send(frame: serde_json::Value) {
        OUT.with(|out| {
            if let Some(out) = out.borrow().as_ref() {
                let _ = out.unbounded_send(frame.to_string());
            }
        });
    }

    /// Opens the tab's socket (once; later calls do nothing).
    pub(crate) fn start() {
        if STARTED.with(|started| started.replace(true)) {
            return;
        }
        leptos::task::spawn_local(run());
    }

    /// A live instance of `name` appeared.
    pub(crate) fn watch(name: &'static str) {
        if WATCHED.with(|watched| watched.borrow_mut().add(name)) {
            send(serde_json::json!({"v": 1, "action": "watch", "keys": [name]}));
        }
    }

    /// A live instance of `name` went away.
    pub(crate) fn unwatch(name: &'static str) {
        if WATCHED.with(|watched| watched.borrow_mut().remove(name)) {
            send(serde_json::json!({"v": 1, "action": "unwatch", "keys": [name]}));
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

    fn url() -> Option<String> {
        let location = leptos::prelude::window().location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!("{scheme}://{}{SOCKET_PATH}", location.host().ok()?))
    }

    async fn run() {
        let mut attempt: u32 = 0;
        let mut connected_before = false;
        loop {
            let started = now();
            let ended = match url().map(|url| WebSocket::open(&url)) {
                Some(Ok(socket)) => serve(socket, &mut connected_before).await,
                _ => None,
            };
            if now() - started > 10_000.0 {
                attempt = 0;
            }
            let ceiling = (250.0 * 2_f64.powi(attempt as i32)).min(10_000.0);
            attempt = attempt.saturating_add(1);
            let delay = if ended == Some(SESSION_ENDED) {
                attempt = 0;
                0.0
            } else {
                ceiling / 2.0 + js_sys::Math::random() * ceiling / 2.0
            };
            sleep(Duration::from_millis(delay as u64)).await;
        }
    }

    /// One connection, until it ends; its close code, when it has one.
    async fn serve(socket: WebSocket, connected_before: &mut bool) -> Option<u16> {
        let (mut sink, mut stream) = socket.split();
        let (out, mut queued) = mpsc::unbounded::<String>();
        OUT.with(|slot| *slot.borrow_mut() = Some(out));
        let writer = async move {
            while let Some(text) = queued.next().await {
                if sink.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
        };
        leptos::task::spawn_local(writer);
        let mut code = None;
        while let Some(message) = stream.next().await {
            let text = match message {
                Ok(Message::Text(text)) => text,
                Ok(Message::Bytes(_)) => continue,
                Err(WebSocketError::ConnectionClose(event)) => {
                    code = Some(event.code);
                    break;
                }
                Err(_) => break,
            };
            let Ok(frame) = serde_json::from_str::<Frame>(&text) else {
                continue;
            };
            match frame.kind.as_str() {
                "hello" => {
                    let names = WATCHED.with(|watched| watched.borrow().names());
                    if !names.is_empty() {
                        send(serde_json::json!({"v": 1, "action": "watch", "keys": names}));
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
                _ => {}
            }
        }
        // Dropping the sender ends the writer.
        OUT.with(|slot| slot.borrow_mut().take());
        code
    }
}

/// Outside the browser (or on the server) there is no socket: these do nothing.
#[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
mod inert {
    pub(crate) fn watch(_name: &'static str) {}
    pub(crate) fn unwatch(_name: &'static str) {}
    pub(crate) fn note_own_keys(_keys: &[String]) {}
}

#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
pub(crate) use browser::{note_own_keys, unwatch, watch};
#[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
pub(crate) use inert::{note_own_keys, unwatch, watch};

#[cfg(test)]
mod tests {
    use super::{OwnKeys, Watched};

    #[test]
    fn a_name_is_watched_from_its_first_instance_to_its_last() {
        let mut watched = Watched::default();
        assert!(watched.add("user_profile"));
        assert!(!watched.add("user_profile"));
        assert!(!watched.remove("user_profile"));
        assert!(watched.remove("user_profile"));
        assert!(!watched.remove("user_profile"), "not watched any more");
        assert!(watched.names().is_empty());
    }

    #[test]
    fn a_pushed_key_the_tab_just_applied_is_dropped_once() {
        let mut own = OwnKeys::default();
        own.note(&["current_user".into()], 0.0);
        let pushed = || vec!["current_user".to_owned(), "site_stats".to_owned()];
        assert_eq!(own.foreign(pushed(), 100.0), ["site_stats"]);
        assert_eq!(own.foreign(pushed(), 200.0), pushed(), "consumed once");
        own.note(&["current_user".into()], 0.0);
        assert_eq!(
            own.foreign(pushed(), 5_000.0),
            pushed(),
            "too old to be this tab's"
        );
    }
}
