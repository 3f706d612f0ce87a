//! Keeps the tab connected: the socket starts once, then a connection follows another, the
//! fallback at once after a WebSocket that never said `hello`, else after the backoff's delay,
//! and at once when the session changed hands (this tab's answer said so, or a sibling tab did).

use std::{
    cell::{Cell, RefCell},
    time::Duration,
};

use futures::{
    StreamExt,
    channel::mpsc,
    future::{self, Either},
};

use super::{
    SocketStatus,
    backoff::Backoff,
    carrier::{self, Transport},
    clock::{now, sleep},
    connection::{self, Ended},
    siblings,
    tab::{self, set_status},
};
use crate::browser::runtime;

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
    /// Asks the loop to close the connection and open another at once. Set once by [`start`]
    /// and never dropped: the loop's receiver never ends.
    static REOPEN: RefCell<Option<mpsc::UnboundedSender<()>>> = const { RefCell::new(None) };
}

/// Opens the tab's socket (once; later calls do nothing).
pub(crate) fn start() {
    if STARTED.with(|started| started.replace(true)) {
        return;
    }
    let (reopen, reopened) = mpsc::unbounded();
    REOPEN.with(|slot| *slot.borrow_mut() = Some(reopen));
    runtime::observe(runtime::Observer {
        live_changed: tab::sync_watches,
        applied: tab::note_own_keys,
        settled: tab::settled,
        identity_changed,
    });
    siblings::listen(reopen_now);
    tab::sync_watches();
    leptos::task::spawn_local(run(reopened));
}

/// One of this tab's answers said the session changed hands: the siblings are told, and the
/// socket reopens under the cookie that answer set.
fn identity_changed() {
    siblings::announce();
    reopen_now();
}

/// Closes the connection (or ends the wait for the next) and opens another at once.
fn reopen_now() {
    tab::forget_held();
    REOPEN.with(|slot| {
        if let Some(reopen) = slot.borrow().as_ref() {
            let _ = reopen.unbounded_send(());
        }
    });
}

/// Keeps the tab connected: a connection, then, when it ends, the fallback at once (a
/// WebSocket that never said `hello`), another at once (the session changed hands), or another
/// try after the backoff's delay.
async fn run(mut reopen: mpsc::UnboundedReceiver<()>) {
    let mut backoff = Backoff::default();
    let mut connected_before = false;
    let mut next = None;
    loop {
        let started = now();
        set_status(SocketStatus::Connecting);
        let transport = next.take().unwrap_or_else(carrier::remembered);
        let ended = match carrier::open(transport) {
            Some((received, writer)) => {
                connection::serve(
                    received,
                    writer,
                    transport,
                    &mut connected_before,
                    &mut reopen,
                )
                .await
            }
            None => Ended {
                code: None,
                greeted: false,
                reopened: false,
            },
        };
        if ended.reopened {
            reopening(&mut reopen, &mut connected_before, &mut backoff);
            continue;
        }
        // A WebSocket that ended before its `hello`: the upgrade may be what fails (a proxy
        // stripping it). The fallback is tried at once.
        if transport == Transport::WebSocket && !ended.greeted {
            next = Some(Transport::Stream);
            continue;
        }
        set_status(SocketStatus::Disconnected);
        let delay = backoff.next_delay_ms(ended.code, now() - started, js_sys::Math::random());
        let waited = Box::pin(sleep(Duration::from_millis(delay as u64)));
        if let Either::Right((Some(()), _)) = future::select(waited, reopen.next()).await {
            reopening(&mut reopen, &mut connected_before, &mut backoff);
        }
    }
}

/// Before the connection that replaces one acting as the old identity: the asks that came
/// meanwhile are all answered by it, the backoff starts over, and its `hello` refetches every
/// live instance (what the page shows was fetched as who the tab was, and pushes for the new
/// identity were not heard), as after any reconnect.
fn reopening(
    reopen: &mut mpsc::UnboundedReceiver<()>,
    connected_before: &mut bool,
    backoff: &mut Backoff,
) {
    while reopen.try_recv().is_ok() {}
    *connected_before = true;
    *backoff = Backoff::default();
}
