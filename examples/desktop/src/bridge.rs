//! The bridge between the page and the native side: the script that gives the page
//! `window.mizanDesktop`, the messages the page posts over wry's IPC, the answers sent back, and
//! the bounded read of the file the user chose. No GTK here: the window (`window.rs`) shows the
//! dialog.

use std::{
    io::Read,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

/// The largest file the page may receive, in bytes: the page holds it in memory and sends it to a
/// server function, so a bound keeps a mistaken choice (a video) from freezing the window.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Added to every page of the app's own origin: `window.mizanDesktop.openFile()` posts a request
/// and returns a promise that the native side settles with [`answer_script`].
pub const BRIDGE_SCRIPT: &str = r#"
(() => {
  if (window.top !== window || window.mizanDesktop) return;
  // The page shows what only the desktop app can do (its `desktop-only` elements).
  const mark = () => document.documentElement?.setAttribute('data-mizan-desktop', '');
  mark();
  document.addEventListener('DOMContentLoaded', mark);
  let next = 0;
  const pending = new Map();
  Object.defineProperty(window, '__mizanDesktopAnswer', {
    value: (id, answer) => {
      const waiting = pending.get(id);
      if (!waiting) return;
      pending.delete(id);
      if ('error' in answer) waiting.reject(new Error(answer.error));
      else waiting.resolve(answer.file ?? null);
    },
  });
  Object.defineProperty(window, 'mizanDesktop', {
    value: Object.freeze({
      openFile() {
        const id = ++next;
        return new Promise((resolve, reject) => {
          pending.set(id, { resolve, reject });
          window.ipc.postMessage(JSON.stringify({ kind: 'open-file', id }));
        });
      },
    }),
  });
})();
"#;

/// A message the page posted.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PageMessage {
    /// `mizanDesktop.openFile()`: show the open-file dialog, answer request `id`.
    OpenFile {
        /// The page's number for this request.
        id: u64,
    },
    /// The self-test script's report (self-test mode only).
    SelfTest {
        /// What the page saw, checked by the window's verdict.
        report: serde_json::Value,
    },
}

/// Why a message from the page was not taken.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// The page that posted it is not the app's own (it navigated elsewhere).
    #[error("a message from {uri}, which is not the app's page: ignored")]
    ForeignPage {
        /// The posting page's address.
        uri: String,
    },
    /// The message is not one this side knows.
    #[error("an unreadable message from the page: ignored")]
    Unreadable(#[source] serde_json::Error),
}

/// Reads a message posted by the page at `uri`; only the app's own origin (`origin`) may post.
pub fn read_message(uri: &str, origin: &str, body: &str) -> Result<PageMessage, MessageError> {
    if !is_own_page(uri, origin) {
        return Err(MessageError::ForeignPage {
            uri: uri.to_owned(),
        });
    }
    serde_json::from_str(body).map_err(MessageError::Unreadable)
}

/// The origin of the in-process server, as the page's addresses start.
pub fn origin(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// Whether `url` is a page of the app itself (same scheme, host and port), not merely one whose
/// address starts alike (`http://127.0.0.1:80` against `http://127.0.0.1:8080`).
pub fn is_own_page(url: &str, origin: &str) -> bool {
    url.strip_prefix(origin)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
}

/// A text file the user chose, as the page receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenedFile {
    /// The file's name, without its folder.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// How an open-file request ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The user chose this file.
    File(OpenedFile),
    /// The user closed the dialog without choosing.
    Cancelled,
    /// The request failed; the page's promise rejects with this reason.
    Failed(String),
}

/// The script that settles the page's request `id` with `answer`. The answer is JSON, which is a
/// JavaScript expression: the file's text cannot break out of it.
pub fn answer_script(id: u64, answer: &Answer) -> String {
    let answer = match answer {
        Answer::File(file) => serde_json::json!({ "file": file }),
        Answer::Cancelled => serde_json::json!({ "file": null }),
        Answer::Failed(reason) => serde_json::json!({ "error": reason }),
    };
    format!("window.__mizanDesktopAnswer({id}, {answer});")
}

/// Why the chosen file cannot go to the page.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// It cannot be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// It is larger than [`MAX_FILE_BYTES`].
    #[error("{} is larger than {} KiB", path.display(), MAX_FILE_BYTES / 1024)]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// It is not UTF-8 text.
    #[error("{} is not a text file (UTF-8)", path.display())]
    NotText {
        /// The file.
        path: PathBuf,
    },
}

/// Reads `path` for the page: at most [`MAX_FILE_BYTES`] are read, whatever the file's size.
pub fn read_text_file(path: &Path) -> Result<OpenedFile, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge {
            path: path.to_owned(),
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| ReadError::NotText {
        path: path.to_owned(),
    })?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(OpenedFile { name, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "http://127.0.0.1:8080";

    #[test]
    fn only_the_apps_own_pages_may_post() {
        let message = read_message(
            "http://127.0.0.1:8080/users/1",
            ORIGIN,
            r#"{"kind":"open-file","id":7}"#,
        );
        assert_eq!(message.ok(), Some(PageMessage::OpenFile { id: 7 }));
        for foreign in [
            "http://127.0.0.1:80801/",
            "https://example.com/",
            "http://127.0.0.1:808",
        ] {
            let refused = read_message(foreign, ORIGIN, r#"{"kind":"open-file","id":7}"#);
            assert!(
                matches!(refused, Err(MessageError::ForeignPage { .. })),
                "{foreign}: {refused:?}"
            );
        }
        assert!(is_own_page(ORIGIN, ORIGIN));
        assert!(is_own_page("http://127.0.0.1:8080?next=1", ORIGIN));
    }

    #[test]
    fn an_unknown_message_is_refused_with_a_reason() {
        for body in [
            "",
            "{}",
            r#"{"kind":"delete-everything"}"#,
            r#"{"kind":"open-file","id":-1}"#,
        ] {
            assert!(
                matches!(
                    read_message(ORIGIN, ORIGIN, body),
                    Err(MessageError::Unreadable(_))
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn an_answer_is_json_the_text_cannot_escape() {
        let file = OpenedFile {
            name: "a.txt".into(),
            text: "\");alert(1);//\n</script>\u{2028}".into(),
        };
        let script = answer_script(3, &Answer::File(file.clone()));
        let json = script
            .strip_prefix("window.__mizanDesktopAnswer(3, ")
            .and_then(|rest| rest.strip_suffix(");"))
            .expect("the call around the answer");
        let parsed: serde_json::Value = serde_json::from_str(json).expect("the answer is JSON");
        assert_eq!(parsed["file"]["text"], file.text);
        assert_eq!(
            answer_script(4, &Answer::Cancelled),
            r#"window.__mizanDesktopAnswer(4, {"file":null});"#
        );
        assert_eq!(
            answer_script(5, &Answer::Failed("too large".into())),
            r#"window.__mizanDesktopAnswer(5, {"error":"too large"});"#
        );
    }

    #[test]
    fn a_file_is_read_within_its_bound_and_as_text() {
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let dir = scratch.path();
        let text = dir.join("notes.txt");
        std::fs::write(&text, "héllo").expect("a text file");
        assert_eq!(
            read_text_file(&text).ok(),
            Some(OpenedFile {
                name: "notes.txt".into(),
                text: "héllo".into()
            })
        );
        let exact = dir.join("exact.txt");
        std::fs::write(&exact, vec![b'a'; MAX_FILE_BYTES as usize]).expect("a file at the bound");
        assert!(read_text_file(&exact).is_ok());
        let large = dir.join("large.txt");
        std::fs::write(&large, vec![b'a'; MAX_FILE_BYTES as usize + 1]).expect("a larger file");
        assert!(matches!(
            read_text_file(&large),
            Err(ReadError::TooLarge { .. })
        ));
        let binary = dir.join("image.png");
        std::fs::write(&binary, [0x89, b'P', b'N', b'G', 0xff, 0xfe]).expect("a binary file");
        assert!(matches!(
            read_text_file(&binary),
            Err(ReadError::NotText { .. })
        ));
        assert!(matches!(
            read_text_file(&dir.join("missing.txt")),
            Err(ReadError::Io { .. })
        ));
    }
}
