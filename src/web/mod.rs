//! The browser app: Yew components, the IndexedDB-backed session and the page's entry point.

/// Mounts the app on the page.
pub fn start() {}
