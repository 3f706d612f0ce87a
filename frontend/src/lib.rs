//! The example app's wasm entry point: cargo-leptos' generated JS calls [`hydrate`] on page load.

/// Makes the server-rendered page interactive.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
