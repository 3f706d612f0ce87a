//! The bridge between the page and the native side: the script that gives the page
//! `window.mizanDesktop`, the messages the page posts over wry's IPC, the answers sent back, and
//! the bounded read of the file the user chose. No GTK here: the window (`window.rs`) shows the
//! dialog.

use std::{io::Read, net::SocketAddr, path::Path};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The largest file the page may receive, in bytes: the page holds it in memory and sends it to a
/// server function, so a bound keeps a mistaken choice (a video) from freezing the window.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Added to every page of the app's own origin: `window.mizanDesktop.openFile()` posts a request
/// and returns a promise that the native side settles with [`answer_script`]. Each page load
/// names its requests with a token of its own, so an answer meant for the page before a reload
/// settles nothing in the next one.
pub const BRIDGE_SCRIPT: &str = r#"
(() => {
  if (window.top !== window || window.mizanDesktop) return;
  // The page shows what only the desktop app can do (its `desktop-only` elements).
  const mark = () => document.documentElement?.setAttribute('data-mizan-desktop', '');
  mark();
  document.addEventListener('DOMContentLoaded', mark);
  const page = Math.random().toString(36).slice(2) + Date.now().toString(36);
  let next = 0;
  const pending = new Map();
  Object.defineProperty(window, '__mizanDesktopAnswer', {
    value: (to, id, answer) => {
      if (to !== page) return;
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
          window.ipc.postMessage(JSON.stringify({ kind: 'open-file', page, id }));
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
    /// `mizanDesktop.openFile()`: show the open-file dialog, answer request `id` of `page`.
    OpenFile {
        /// The page load's token.
        page: PageToken,
        /// The page's number for this request.
        id: u64,
    },
    /// The self-test script's report (self-test mode only).
    SelfTest {
        /// What the page saw, checked by the window's verdict.
        report: Value,
    },
}

/// A page load's token, which its requests carry and their answers name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken(String);

impl<'de> Deserialize<'de> for PageToken {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let token = String::deserialize(deserializer)?;
        // The bridge script's own tokens are some twenty letters and digits.
        if token.is_empty()
            || token.len() > 64
            || !token.bytes().all(|byte| byte.is_ascii_alphanumeric())
        {
            return Err(serde::de::Error::custom(
                "a page token is 1 to 64 letters and digits",
            ));
        }
        Ok(Self(token))
    }
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

/// The script that settles request `id` of `page` with `answer`. The token and the answer are
/// JSON, which is a JavaScript expression: the file's text cannot break out of it.
pub fn answer_script(page: &PageToken, id: u64, answer: &Answer) -> String {
    let answer = match answer {
        Answer::File(file) => serde_json::json!({ "file": file }),
        Answer::Cancelled => serde_json::json!({ "file": null }),
        Answer::Failed(reason) => serde_json::json!({ "error": reason }),
    };
    let page = Value::String(page.0.clone());
    format!("window.__mizanDesktopAnswer({page}, {id}, {answer});")
}

/// Why the chosen file cannot go to the page. Its messages name the file, not its folder: they
/// are shown to the page, which has no business knowing the user's folders.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// It cannot be opened or read.
    #[error("cannot read {name}: {source}")]
    Io {
        /// The file's name.
        name: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// It is not a regular file (a folder, a pipe or a device, which could block the window).
    #[error("{name} is not a regular file")]
    NotAFile {
        /// The file's name.
        name: String,
    },
    /// It is larger than [`MAX_FILE_BYTES`].
    #[error("{name} is larger than {} KiB", MAX_FILE_BYTES / 1024)]
    TooLarge {
        /// The file's name.
        name: String,
    },
    /// It is not valid UTF-8.
    #[error("{name} is not a text file (UTF-8)")]
    NotText {
        /// The file's name.
        name: String,
    },
}

/// Reads `path` for the page: a regular file, of which at most [`MAX_FILE_BYTES`] and one byte
/// are read, whatever its size (the one byte tells a larger file).
pub fn read_text_file(path: &Path) -> Result<OpenedFile, ReadError> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let io = |source| ReadError::Io {
        name: name.clone(),
        source,
    };
    // Opening a named pipe blocks until a writer comes: look before opening.
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(ReadError::NotAFile { name });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge { name });
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(OpenedFile { name, text }),
        Err(_) => Err(ReadError::NotText { name }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "http://127.0.0.1:8080";
    const OPEN: &str = r#"{"kind":"open-file","page":"k2x9","id":7}"#;

    #[test]
    fn only_the_apps_own_pages_may_post() {
        let message = read_message("http://127.0.0.1:8080/users/1", ORIGIN, OPEN);
        assert_eq!(
            message.ok(),
            Some(PageMessage::OpenFile {
                page: PageToken("k2x9".into()),
                id: 7
            })
        );
        for foreign in [
            "http://127.0.0.1:80801/",
            "https://example.com/",
            "http://127.0.0.1:808",
        ] {
            let refused = read_message(foreign, ORIGIN, OPEN);
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
            r#"{"kind":"open-file","page":"k2x9","id":-1}"#,
            r#"{"kind":"open-file","id":1}"#,
            r#"{"kind":"open-file","page":"","id":1}"#,
            r#"{"kind":"open-file","page":"a\");alert(1)//","id":1}"#,
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
        let page = PageToken("k2x9".into());
        let file = OpenedFile {
            name: "a.txt".into(),
            text: "\");alert(1);//\n</script>\u{2028}".into(),
        };
        let script = answer_script(&page, 3, &Answer::File(file.clone()));
        let json = script
            .strip_prefix(r#"window.__mizanDesktopAnswer("k2x9", 3, "#)
            .and_then(|rest| rest.strip_suffix(");"))
            .expect("the call around the answer");
        let parsed: Value = serde_json::from_str(json).expect("the answer is JSON");
        assert_eq!(parsed["file"]["text"], file.text);
        assert_eq!(
            answer_script(&page, 4, &Answer::Cancelled),
            r#"window.__mizanDesktopAnswer("k2x9", 4, {"file":null});"#
        );
        assert_eq!(
            answer_script(&page, 5, &Answer::Failed("too large".into())),
            r#"window.__mizanDesktopAnswer("k2x9", 5, {"error":"too large"});"#
        );
    }

    #[test]
    fn a_file_is_read_within_its_bound_and_as_text() {
        // A directory of its own, without the tempfile crate: a dev-dependency here would change
        // the feature set of crates the release test build shares with the server's.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        let scratch =
            std::env::temp_dir().join(format!("mizan-desktop-bridge-{}-{now}", std::process::id()));
        std::fs::create_dir_all(&scratch).expect("a scratch directory");
        let dir = scratch.as_path();
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
        // A folder, or a named pipe that would block the window until a writer came.
        assert!(matches!(
            read_text_file(dir),
            Err(ReadError::NotAFile { .. })
        ));
        let pipe = dir.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        assert!(matches!(
            read_text_file(&pipe),
            Err(ReadError::NotAFile { .. })
        ));
        // What the page is told names the file, never its folder.
        let message = read_text_file(&large).expect_err("too large").to_string();
        assert_eq!(message, "large.txt is larger than 64 KiB");
        std::fs::remove_dir_all(&scratch).expect("the scratch directory removed");
    }
}
