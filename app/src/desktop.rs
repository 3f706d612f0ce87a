//! The page's side of the desktop window's native bridge: its open-file dialog. In a browser
//! there is no bridge: the desktop app's script marks `<html data-mizan-desktop>`, and the page
//! shows what needs the bridge (class `desktop-only`) only there.

/// A text file the user chose in the native dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedFile {
    /// The file's name, without its folder.
    pub name: String,
    /// Its text (the desktop app reads UTF-8 files of at most 64 KiB).
    pub text: String,
}

/// Why the native dialog gave no file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BridgeError {
    /// The page does not run in the desktop app (or runs on the server).
    #[error("the native dialog exists only in the desktop app")]
    NoBridge,
    /// The desktop app refused: the file is too large or not text, a dialog is already open.
    #[error("{0}")]
    Refused(String),
    /// The desktop app's answer is not of the expected shape.
    #[error("the desktop app answered without the file's {0}")]
    Malformed(&'static str),
}

/// Opens the native "open a text file" dialog; `None` when the user cancelled it.
pub async fn open_text_file() -> Result<Option<OpenedFile>, BridgeError> {
    #[cfg(feature = "hydrate")]
    {
        bridge::open_text_file().await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Err(BridgeError::NoBridge)
    }
}

#[cfg(feature = "hydrate")]
mod bridge {
    use js_sys::{JsString, Reflect};
    use wasm_bindgen::prelude::*;

    use super::{BridgeError, OpenedFile};

    #[wasm_bindgen]
    extern "C" {
        /// `window.mizanDesktop.openFile()`, defined by the desktop app's script in the page:
        /// `{ name, text }`, `null` when cancelled, or a rejection with the reason.
        #[wasm_bindgen(js_namespace = mizanDesktop, js_name = openFile, catch)]
        async fn open_file() -> Result<JsValue, JsValue>;
    }

    pub(super) async fn open_text_file() -> Result<Option<OpenedFile>, BridgeError> {
        if !Reflect::has(&js_sys::global(), &"mizanDesktop".into()).unwrap_or(false) {
            return Err(BridgeError::NoBridge);
        }
        let file = open_file()
            .await
            .map_err(|error| BridgeError::Refused(reason(&error)))?;
        if file.is_null() || file.is_undefined() {
            return Ok(None);
        }
        let text_of = |key: &'static str| {
            Reflect::get(&file, &key.into())
                .ok()
                .and_then(|value| value.as_string())
                .ok_or(BridgeError::Malformed(key))
        };
        Ok(Some(OpenedFile {
            name: text_of("name")?,
            text: text_of("text")?,
        }))
    }

    /// A rejection's message (`Error.message`, else the value as text).
    fn reason(error: &JsValue) -> String {
        Reflect::get(error, &"message".into())
            .ok()
            .and_then(|message| message.as_string())
            .or_else(|| error.dyn_ref::<JsString>().map(String::from))
            .unwrap_or_else(|| "the native dialog failed".to_owned())
    }
}
