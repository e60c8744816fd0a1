//! The browser app: Yew components (one per file), the page's state, IndexedDB persistence and the entry point.

mod actions;
mod app;
#[cfg(feature = "bench-exports")]
pub mod bench;
mod collections;
mod crash;
mod data_dialog;
mod diff_view;
mod editor;
mod header;
mod lesson_panel;
mod notices;
mod persistence;
mod result_pane;
mod schema_dialog;
pub mod state;
mod switches;

/// Mounts the app on the page, after the crash banner's panic hook (`crash.rs`).
pub fn start() {
    crash::install();
    yew::Renderer::<app::App>::new().render();
}
