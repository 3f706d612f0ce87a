//! Keeps the tab connected: the socket starts once, then a connection follows another, the
//! fallback at once after a WebSocket that never said `hello`, else after the backoff's delay.

use std::{cell::Cell, time::Duration};

use super::{
    SocketStatus,
    backoff::Backoff,
    carrier::{self, Transport},
    clock::{now, sleep},
    connection::{self, Ended},
    tab::{self, set_status},
};
use crate::browser::runtime;

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

/// Opens the tab's socket (once; later calls do nothing).
pub(crate) fn start() {
    if STARTED.with(|started| started.replace(true)) {
        return;
    }
    runtime::observe(runtime::Observer {
        live_changed: tab::sync_watches,
        applied: tab::note_own_keys,
        settled: tab::settled,
    });
    tab::sync_watches();
    leptos::task::spawn_local(run());
}

/// Keeps the tab connected: a connection, then, when it ends, the fallback at once (a
/// WebSocket that never said `hello`) or another try after the backoff's delay.
async fn run() {
    let mut backoff = Backoff::default();
    let mut connected_before = false;
    let mut next = None;
    loop {
        let started = now();
        set_status(SocketStatus::Connecting);
        let transport = next.take().unwrap_or_else(carrier::remembered);
        let ended = match carrier::open(transport) {
            Some((received, writer)) => {
                connection::serve(received, writer, transport, &mut connected_before).await
            }
            None => Ended {
                code: None,
                greeted: false,
            },
        };
        // A WebSocket that ended before its `hello`: the upgrade may be what fails (a proxy
        // stripping it). The fallback is tried at once.
        if transport == Transport::WebSocket && !ended.greeted {
            next = Some(Transport::Stream);
            continue;
        }
        set_status(SocketStatus::Disconnected);
        let delay = backoff.next_delay_ms(ended.code, now() - started, js_sys::Math::random());
        sleep(Duration::from_millis(delay as u64)).await;
    }
}
