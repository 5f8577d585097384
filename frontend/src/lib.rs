//! Browser entry point: hydrates the HTML the server rendered.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy: some routes' code is a chunk fetched on first use (app/src/lazy_pages.rs).
    leptos::mount::hydrate_lazy(app::App);
}
