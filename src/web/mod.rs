//! The browser app: Yew components, the IndexedDB-backed session and the page's entry point.

mod app;
mod collections;
mod editor;
mod header;
mod result_pane;

/// Mounts the app on the page.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
