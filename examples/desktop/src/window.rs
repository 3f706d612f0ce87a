//! The native window: a tao window with the app's title, size and icon, a WebKitGTK view (wry)
//! on the in-process server. In self-test mode a script in the page waits for hydration, calls a
//! server function and hands the answer to this side over wry's IPC; the window then closes with
//! the verdict.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Command, ExitCode},
    time::{Duration, Instant},
};

use serde_json::Value;
use tao::{
    dpi::LogicalSize,
    event::{Event, WindowEvent},
    event_loop::{ControlFlow, EventLoopBuilder},
    platform::run_return::EventLoopExtRunReturn,
    window::{Icon, WindowBuilder},
};
use wry::WebViewBuilder;

/// The window's title.
pub const TITLE: &str = "mizan";

/// How long the self-test waits for the page to hydrate and answer.
const SELF_TEST_AT_MOST: Duration = Duration::from_secs(60);

/// How long the window goes on painting after the self-test passed, before its screenshot.
const PAINT_BEFORE_SCREENSHOT: Duration = Duration::from_millis(1500);

/// Why the window could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// GTK could not start (no display: run under a desktop session or `xvfb-run`).
    #[error("cannot start GTK (is there a display? set DISPLAY, or run under xvfb-run)")]
    Gtk(#[source] gtk::glib::BoolError),
    /// The window has no GTK box to hold the web view.
    #[error("the window has no GTK box for the web view")]
    NoBox,
    /// The window could not be created.
    #[error("cannot open the window")]
    Window(#[from] tao::error::OsError),
    /// The web view could not be created.
    #[error("cannot create the web view")]
    WebView(#[from] wry::Error),
}

/// What reaches the event loop from elsewhere.
enum FromPage {
    /// The self-test script's report, as JSON.
    Report(String),
}

/// The self-test, in the page: waits for hydration, calls `site_stats` as the page's own code
/// would (same origin, the session's cookie), reports.
const SELF_TEST_SCRIPT: &str = r#"
(() => {
  if (window.top !== window) return;
  const started = Date.now();
  const errors = [];
  window.addEventListener('error', (event) => errors.push(String(event.message || event.error)));
  window.addEventListener('unhandledrejection', (event) => errors.push(String(event.reason)));
  const report = (result) => window.ipc.postMessage(JSON.stringify({ ...result, errors }));
  const check = async () => {
    if (!document.querySelector('main[data-hydrated="true"]')) {
      if (Date.now() - started > 45000) {
        report({
          ok: false,
          error: 'the page did not hydrate within 45 s',
          webassembly: typeof WebAssembly,
          scripts: [...document.scripts].map((script) => script.src || script.textContent.slice(0, 120)),
        });
        return;
      }
      setTimeout(check, 100);
      return;
    }
    try {
      const response = await fetch('/api/mizan/call/', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ fn: 'site_stats', args: {} }),
      });
      report({ ok: response.ok, status: response.status, body: await response.json(), title: document.title });
    } catch (error) {
      report({ ok: false, error: String(error) });
    }
  };
  window.addEventListener('DOMContentLoaded', check);
})();
"#;

/// A 64×64 icon drawn here: the app's mark, a balance's beam on the brand's blue.
fn icon() -> Option<Icon> {
    const SIZE: u32 = 64;
    let mut rgba = Vec::with_capacity((SIZE * SIZE * 4) as usize);
    for y in 0..SIZE {
        for x in 0..SIZE {
            let beam = (28..=32).contains(&y) && (10..54).contains(&x);
            let post = (30..=33).contains(&x) && (16..52).contains(&y);
            let pans = (y == 40 || y == 41) && ((8..22).contains(&x) || (42..56).contains(&x));
            let pixel = if beam || post || pans {
                [255, 255, 255, 255]
            } else {
                [37, 99, 235, 255]
            };
            rgba.extend_from_slice(&pixel);
        }
    }
    Icon::from_rgba(rgba, SIZE, SIZE).ok()
}

/// The self-test's verdict on the page's report: `site_stats` answered with a count of accounts.
fn verdict(report: &str) -> Result<String, String> {
    let report: Value =
        serde_json::from_str(report).map_err(|error| format!("an unreadable report: {error}"))?;
    if report["ok"] != true {
        return Err(format!("the page reported a failure: {report}"));
    }
    let accounts = report["body"]["result"]["accounts"]
        .as_u64()
        .ok_or_else(|| format!("site_stats answered without a count of accounts: {report}"))?;
    Ok(format!(
        "the page hydrated, and site_stats answered {accounts} accounts (title {:?})",
        report["title"].as_str().unwrap_or_default()
    ))
}

/// Shows the window on `addr` until it is closed (or, in self-test mode, until the test is
/// done); the process's exit code.
pub fn open(
    addr: SocketAddr,
    self_test: bool,
    screenshot: Option<&Path>,
) -> Result<ExitCode, WindowError> {
    let mut event_loop = EventLoopBuilder::<FromPage>::with_user_event().build();
    let window = WindowBuilder::new()
        .with_title(TITLE)
        .with_inner_size(LogicalSize::new(1100.0, 800.0))
        .with_window_icon(icon())
        .build(&event_loop)?;
    let mut builder = WebViewBuilder::new().with_url(format!("http://{addr}/"));
    if self_test {
        let proxy = event_loop.create_proxy();
        builder = builder
            .with_initialization_script(SELF_TEST_SCRIPT)
            .with_ipc_handler(move |request| {
                let _ = proxy.send_event(FromPage::Report(request.into_body()));
            });
    }
    let webview = {
        use tao::platform::unix::WindowExtUnix;
        use wry::WebViewBuilderExtUnix;
        let vbox = window.default_vbox().ok_or(WindowError::NoBox)?;
        builder.build_gtk(vbox)?
    };
    // The self-test waits for the page's report until `deadline`; once it passed, the window
    // keeps painting until `deadline` again (a moment), then the screenshot is taken.
    let mut deadline = Instant::now() + SELF_TEST_AT_MOST;
    let mut passed = false;
    let mut code = ExitCode::SUCCESS;
    event_loop.run_return(|event, _, control_flow| {
        *control_flow = if self_test {
            ControlFlow::WaitUntil(deadline)
        } else {
            ControlFlow::Wait
        };
        match event {
            Event::WindowEvent {
                event: WindowEvent::CloseRequested,
                ..
            } => *control_flow = ControlFlow::Exit,
            Event::UserEvent(FromPage::Report(report)) => match verdict(&report) {
                Ok(said) => {
                    println!("mizan-desktop: self-test passed: {said}");
                    passed = true;
                    deadline = Instant::now() + PAINT_BEFORE_SCREENSHOT;
                    *control_flow = ControlFlow::WaitUntil(deadline);
                }
                Err(why) => {
                    eprintln!("mizan-desktop: self-test failed: {why}");
                    code = ExitCode::FAILURE;
                    *control_flow = ControlFlow::Exit;
                }
            },
            Event::NewEvents(tao::event::StartCause::ResumeTimeReached { .. }) if self_test => {
                if passed {
                    if let Some(path) = screenshot {
                        take_screenshot(path);
                    }
                } else {
                    eprintln!(
                        "mizan-desktop: self-test failed: no report from the page within {} s",
                        SELF_TEST_AT_MOST.as_secs()
                    );
                    code = ExitCode::FAILURE;
                }
                *control_flow = ControlFlow::Exit;
            }
            _ => {}
        }
    });
    drop(webview);
    Ok(code)
}

/// Starts GTK on this (the main) thread, before the server: without a display, a clear error
/// rather than tao's panic, and no server started for nothing.
pub fn start_gtk() -> Result<(), WindowError> {
    gtk::init().map_err(WindowError::Gtk)
}

/// The whole screen (under Xvfb: the window) into `path`, with ImageMagick's `import`.
fn take_screenshot(path: &Path) {
    match Command::new("import")
        .args(["-window", "root"])
        .arg(path)
        .status()
    {
        Ok(status) if status.success() => {
            println!("mizan-desktop: screenshot in {}", path.display());
        }
        Ok(status) => eprintln!("mizan-desktop: import exited with {status}: no screenshot"),
        Err(error) => eprintln!("mizan-desktop: cannot run import (imagemagick): {error}"),
    }
}
