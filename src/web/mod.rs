//! The browser app: Yew components (one per file), the page's state, IndexedDB persistence and the entry point.

mod app;
#[cfg(feature = "bench-exports")]
pub mod bench;
mod collections;
mod data_dialog;
mod diff_view;
mod editor;
mod header;
mod lesson_panel;
mod notices;
mod persistence;
mod result_pane;
pub mod state;
mod switches;

/// Mounts the app on the page. If a panic ever escapes, a banner offers a reload; stored data is untouched, because
/// every write is committed (or not) in its own transaction before the page shows it.
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("crudlab crashed: {info}").into());
        let banner = web_sys::window().and_then(|w| w.document()).and_then(|document| {
            let banner = document.create_element("div").ok()?;
            banner.set_class_name("crash-banner");
            banner.set_attribute("role", "alert").ok()?;
            banner.set_inner_html(
                "Something went wrong inside crudlab. Your saved data is safe. <button onclick=\"location.reload()\">Reload</button>",
            );
            document.body()?.append_child(&banner).ok()?;
            Some(())
        });
        let _ = banner;
    }));
    yew::Renderer::<app::App>::new().render();
}
