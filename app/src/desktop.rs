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

/// Opens the native "open a text file" dialog; `None` when the user cancelled it, `Err` with the
/// desktop app's reason when the file could not be read (too large, not text) or there is no
/// bridge.
pub async fn open_text_file() -> Result<Option<OpenedFile>, String> {
    #[cfg(feature = "hydrate")]
    {
        bridge::open_text_file().await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Err("the native dialog exists only in the desktop app".to_owned())
    }
}

#[cfg(feature = "hydrate")]
mod bridge {
    use js_sys::{JsString, Reflect};
    use wasm_bindgen::prelude::*;

    use super::OpenedFile;

    #[wasm_bindgen]
    extern "C" {
        /// `window.mizanDesktop.openFile()`, defined by the desktop app's script in the page:
        /// `{ name, text }`, `null` when cancelled, or a rejection with the reason.
        #[wasm_bindgen(js_namespace = mizanDesktop, js_name = openFile, catch)]
        async fn open_file() -> Result<JsValue, JsValue>;
    }

    pub(super) async fn open_text_file() -> Result<Option<OpenedFile>, String> {
        if !Reflect::has(&js_sys::global(), &"mizanDesktop".into()).unwrap_or(false) {
            return Err("the native dialog exists only in the desktop app".to_owned());
        }
        let file = open_file().await.map_err(|error| reason(&error))?;
        if file.is_null() || file.is_undefined() {
            return Ok(None);
        }
        let text_of = |key: &str| {
            Reflect::get(&file, &key.into())
                .ok()
                .and_then(|value| value.as_string())
                .ok_or_else(|| format!("the desktop app answered without the file's {key}"))
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
