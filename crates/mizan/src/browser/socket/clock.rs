//! The browser's clock, for the socket: the time, and a wait on a browser timer.

use std::time::Duration;

use futures::channel::oneshot;

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// Waits `delay` (a browser timer).
pub async fn sleep(delay: Duration) {
    let (done, wait) = oneshot::channel::<()>();
    leptos::prelude::set_timeout(
        move || {
            let _ = done.send(());
        },
        delay,
    );
    let _ = wait.await;
}
