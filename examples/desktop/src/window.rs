//! The native window: a tao window with the app's title, size and icon, a WebKitGTK view (wry)
//! on the in-process server, kept on the server's origin, and the native side of the page's
//! bridge (the open-file dialog). In self-test mode a script in the page waits for hydration,
//! calls a server function, echoes a file through the dialog, and hands what it saw to this side;
//! the window then closes with the verdict.

use std::{
    cell::Cell,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::{Duration, Instant},
};

use gtk::prelude::*;
use serde_json::Value;
use tao::{
    dpi::LogicalSize,
    event::{Event, WindowEvent},
    event_loop::{ControlFlow, EventLoopBuilder, EventLoopProxy},
    platform::{run_return::EventLoopExtRunReturn, unix::WindowExtUnix},
    window::{Icon, WindowBuilder},
};
use wry::{NewWindowResponse, WebViewBuilder};

use crate::bridge::{self, Answer, PageMessage, PageToken};

/// The window's title.
pub const TITLE: &str = "mizan";

/// How long the self-test waits for the page to hydrate and answer.
const SELF_TEST_AT_MOST: Duration = Duration::from_secs(90);

/// How long the window goes on painting after the self-test passed, before its screenshot.
const PAINT_BEFORE_SCREENSHOT: Duration = Duration::from_millis(1500);

/// What the self-test's file holds: the page echoes it through `echo`.
pub const SELF_TEST_FILE_TEXT: &str = "Hello from a file, chosen in the native dialog.";

/// How the window runs.
pub enum Mode<'a> {
    /// Until the user closes it.
    Interactive,
    /// The self-test: the page's script drives the app, and the open-file dialog picks `file`
    /// (holding [`SELF_TEST_FILE_TEXT`]) as a user would.
    SelfTest {
        /// The file the dialog chooses.
        file: &'a Path,
        /// Where the screenshot goes, if anywhere.
        screenshot: Option<&'a Path>,
    },
}

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

/// What reaches the event loop from the page, the dialog or the thread reading a file.
enum FromPage {
    /// A message the page posted over the bridge.
    Message(PageMessage),
    /// The open-file dialog for request `id` of `page` closed, on `path` or on nothing.
    FileChosen {
        page: PageToken,
        id: u64,
        path: Option<PathBuf>,
    },
    /// The chosen file was read (or could not be), for request `id` of `page`.
    FileRead {
        page: PageToken,
        id: u64,
        answer: Answer,
    },
    /// A page of the app asked for a new window on one of its own addresses: shown here.
    OpenHere(String),
}

/// The self-test, in the page: waits for hydration, calls `site_stats` as the page's own code
/// would (same origin, the session's cookie), then presses "Echo a file…" (the app's dialog picks
/// the file), waits for `echo`'s answer on the page, and reports.
const SELF_TEST_SCRIPT: &str = r#"
(() => {
  if (window.top !== window) return;
  const started = Date.now();
  const errors = [];
  window.addEventListener('error', (event) => errors.push(String(event.message || event.error)));
  window.addEventListener('unhandledrejection', (event) => errors.push(String(event.reason)));
  const report = (result) =>
    window.ipc.postMessage(JSON.stringify({ kind: 'self-test', report: { ...result, errors } }));
  const text = (testid) => document.querySelector(`[data-testid="${testid}"]`)?.textContent?.trim() ?? '';
  const waitFor = (find, ms) =>
    new Promise((resolve) => {
      const until = Date.now() + ms;
      const look = () => {
        const found = find();
        if (found || Date.now() > until) resolve(found || null);
        else setTimeout(look, 100);
      };
      look();
    });
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
      const body = await response.json();
      if (!response.ok) {
        report({ ok: false, status: response.status, body });
        return;
      }
      // Shown only in the desktop app (`offsetParent` is null while hidden).
      const shown = () => {
        const button = document.querySelector('[data-testid="echo-file"]');
        return button?.offsetParent ? button : null;
      };
      const button = await waitFor(shown, 10000);
      if (!button) {
        report({ ok: false, error: 'no "Echo a file…" button shown: the page was not marked as the desktop app\'s' });
        return;
      }
      button.click();
      const echoed = await waitFor(() => text('echo-result'), 15000);
      report({ ok: true, body, title: document.title, echoed, pageError: text('error-message') });
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

/// The self-test's verdict on the page's report: `site_stats` answered with a count of accounts,
/// and the file chosen in the dialog came back through `echo`.
fn verdict(report: &Value) -> Result<String, String> {
    if report["ok"] != true {
        return Err(format!("the page reported a failure: {report}"));
    }
    let accounts = report["body"]["result"]["accounts"]
        .as_u64()
        .ok_or_else(|| format!("site_stats answered without a count of accounts: {report}"))?;
    if report["echoed"] != SELF_TEST_FILE_TEXT {
        return Err(format!(
            "the file chosen in the dialog did not come back through echo: {report}"
        ));
    }
    Ok(format!(
        "the page hydrated, site_stats answered {accounts} accounts, and the file chosen in the \
         dialog came back through echo (title {:?})",
        report["title"].as_str().unwrap_or_default()
    ))
}

/// Shows the window on `addr` until it is closed (or, in self-test mode, until the test is
/// done); the process's exit code.
pub fn open(addr: SocketAddr, mode: &Mode<'_>) -> Result<ExitCode, WindowError> {
    let self_test = matches!(mode, Mode::SelfTest { .. });
    let mut event_loop = EventLoopBuilder::<FromPage>::with_user_event().build();
    let window = WindowBuilder::new()
        .with_title(TITLE)
        .with_inner_size(LogicalSize::new(1100.0, 800.0))
        .with_window_icon(icon())
        .build(&event_loop)?;
    let origin = bridge::origin(addr);
    let proxy = event_loop.create_proxy();
    let posted_from = origin.clone();
    let stays_on = origin.clone();
    let opens_here = origin.clone();
    let new_window_proxy = event_loop.create_proxy();
    let mut builder = WebViewBuilder::new()
        .with_url(format!("{origin}/"))
        .with_initialization_script(bridge::BRIDGE_SCRIPT)
        .with_ipc_handler(move |request| {
            let uri = request.uri().to_string();
            match bridge::read_message(&uri, &posted_from, request.body()) {
                Ok(message) => {
                    let _ = proxy.send_event(FromPage::Message(message));
                }
                Err(error) => tracing::warn!("{error}"),
            }
        })
        // The window shows the app and nothing else, in any frame: any other address opens in
        // the browser. The IPC check above reads the main frame's address, and every frame can
        // post: it is this handler that keeps a foreign frame from ever loading to post.
        .with_navigation_handler(move |url| {
            bridge::is_own_page(&url, &stays_on) || {
                open_in_browser(&url);
                false
            }
        })
        // `target=_blank` and `window.open`: the app's own pages in this window (a second one
        // would be a second session), others in the browser.
        .with_new_window_req_handler(move |url, _| {
            if bridge::is_own_page(&url, &opens_here) {
                let _ = new_window_proxy.send_event(FromPage::OpenHere(url));
            } else {
                open_in_browser(&url);
            }
            NewWindowResponse::Deny
        });
    if self_test {
        builder = builder.with_initialization_script(SELF_TEST_SCRIPT);
    }
    let webview = {
        use wry::WebViewBuilderExtUnix;
        let vbox = window.default_vbox().ok_or(WindowError::NoBox)?;
        builder.build_gtk(vbox)?
    };
    // The self-test waits for the page's report until `deadline`; once it passed, the window
    // keeps painting until `deadline` again (a moment), then the screenshot is taken.
    let mut deadline = Instant::now() + SELF_TEST_AT_MOST;
    let mut passed = false;
    let mut dialog_open = false;
    let mut code = ExitCode::SUCCESS;
    let proxy = event_loop.create_proxy();
    event_loop.run_return(|event, _, control_flow| {
        *control_flow = if self_test {
            ControlFlow::WaitUntil(deadline)
        } else {
            ControlFlow::Wait
        };
        let answer = |page: &PageToken, id, answer: Answer| {
            if let Err(error) = webview.evaluate_script(&bridge::answer_script(page, id, &answer)) {
                tracing::warn!(%error, "cannot answer the page");
            }
        };
        match event {
            Event::WindowEvent {
                event: WindowEvent::CloseRequested,
                ..
            } => *control_flow = ControlFlow::Exit,
            Event::UserEvent(FromPage::Message(PageMessage::OpenFile { page, id })) => {
                if dialog_open {
                    answer(
                        &page,
                        id,
                        Answer::Failed("a file dialog is already open".into()),
                    );
                } else {
                    dialog_open = true;
                    let pick = match mode {
                        Mode::SelfTest { file, .. } => Some(file.to_path_buf()),
                        Mode::Interactive => None,
                    };
                    choose_file(window.gtk_window(), page, id, proxy.clone(), pick);
                }
            }
            Event::UserEvent(FromPage::FileChosen { page, id, path }) => {
                dialog_open = false;
                match path {
                    None => answer(&page, id, Answer::Cancelled),
                    // Read off the window's thread: a slow disk or mount must not freeze it.
                    Some(path) => read_for_page(path, page, id, proxy.clone()),
                }
            }
            Event::UserEvent(FromPage::FileRead {
                page,
                id,
                answer: read,
            }) => {
                answer(&page, id, read);
            }
            Event::UserEvent(FromPage::OpenHere(url)) => {
                if let Err(error) = webview.load_url(&url) {
                    tracing::warn!(%error, url, "cannot show the page");
                }
            }
            Event::UserEvent(FromPage::Message(PageMessage::SelfTest { report })) => {
                if !self_test {
                    tracing::warn!("a self-test report outside the self-test: ignored");
                    return;
                }
                match verdict(&report) {
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
                }
            }
            Event::NewEvents(tao::event::StartCause::ResumeTimeReached { .. }) => {
                if let Mode::SelfTest { screenshot, .. } = mode {
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
            }
            _ => {}
        }
    });
    drop(webview);
    Ok(code)
}

/// Shows GTK's open-file dialog over `parent` for the page's request `id`; its answer comes back
/// to the event loop as [`FromPage::FileChosen`]. With `pick` (the self-test), the dialog chooses
/// that file and presses "Open" itself, through the same calls as a user's clicks.
fn choose_file(
    parent: &gtk::ApplicationWindow,
    page: PageToken,
    id: u64,
    proxy: EventLoopProxy<FromPage>,
    pick: Option<PathBuf>,
) {
    let dialog = gtk::FileChooserDialog::with_buttons(
        Some("Open a text file"),
        Some(parent),
        gtk::FileChooserAction::Open,
        &[
            ("_Cancel", gtk::ResponseType::Cancel),
            ("_Open", gtk::ResponseType::Accept),
        ],
    );
    dialog.set_modal(true);
    let text = gtk::FileFilter::new();
    text.set_name(Some("Text files"));
    text.add_mime_type("text/*");
    dialog.add_filter(text);
    let all = gtk::FileFilter::new();
    all.set_name(Some("All files"));
    all.add_pattern("*");
    dialog.add_filter(all);
    // Closing the dialog answers once more (as "deleted"): only the first answer counts.
    let answered = Cell::new(false);
    dialog.connect_response(move |dialog, response| {
        if answered.replace(true) {
            return;
        }
        let path = if response == gtk::ResponseType::Accept {
            dialog.filename()
        } else {
            None
        };
        let _ = proxy.send_event(FromPage::FileChosen {
            page: page.clone(),
            id,
            path,
        });
        dialog.close();
    });
    dialog.show();
    if let Some(file) = pick {
        let dialog = dialog.clone();
        gtk::glib::timeout_add_local_once(Duration::from_millis(500), move || {
            dialog.set_filename(&file);
            gtk::glib::timeout_add_local_once(Duration::from_millis(500), move || {
                dialog.response(gtk::ResponseType::Accept);
            });
        });
    }
}

/// Reads `path` on a thread of its own, and hands the answer for request `id` of `page` to the
/// event loop. The page hears only the file's name in a failure; the log has its path.
fn read_for_page(path: PathBuf, page: PageToken, id: u64, proxy: EventLoopProxy<FromPage>) {
    std::thread::spawn(move || {
        let answer = match bridge::read_text_file(&path) {
            Ok(file) => Answer::File(file),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "the chosen file is not sent to the page");
                Answer::Failed(error.to_string())
            }
        };
        let _ = proxy.send_event(FromPage::FileRead { page, id, answer });
    });
}

/// Opens `url` in the user's browser (only web addresses: the page cannot run programs).
fn open_in_browser(url: &str) {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        tracing::warn!(url, "an address the window does not open: ignored");
        return;
    }
    match Command::new("xdg-open").arg(url).spawn() {
        // Reaped on a thread of its own: xdg-open returns once the browser has the address.
        Ok(mut child) => drop(std::thread::spawn(move || child.wait())),
        Err(error) => {
            tracing::warn!(url, %error, "cannot open the address in the browser (xdg-open)");
        }
    }
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
