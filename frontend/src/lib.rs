//! The example app's wasm entry point: cargo-leptos' generated JS calls [`hydrate`] on page load.

/// Makes the server-rendered page interactive. Some routes' code is loaded with their page
/// (`cargo leptos --split`), so hydration waits for the current page's module first.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
