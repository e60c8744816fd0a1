//! What the student sees if crudlab ever panics. The release build aborts on a panic, which ends the WebAssembly
//! instance, so the hook does all its work at once with plain DOM calls (no Yew, no `RefCell` of the app): it puts
//! an accessible banner over the page (what happened, the panic message and the running statement for a bug
//! report, that the stored data is safe, a Reload button), keeps the editor's text for after the reload, and makes
//! the dead app underneath `inert` so no click or key reaches it and panics again.

use gloo_storage::{SessionStorage, Storage};
use std::sync::atomic::{AtomicBool, Ordering};
use wasm_bindgen::JsCast;

/// Where the editor's text waits for the reload (sessionStorage: this tab only, gone when it closes).
const RECOVERED_EDITOR_KEY: &str = "crudlab.recovered-editor";

static CRASHED: AtomicBool = AtomicBool::new(false);

/// Installs the panic hook. Call before anything else runs. Through Yew's `set_custom_panic_hook`: Yew's renderer
/// installs its own console-only hook at mount unless one was set this way.
pub fn install() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        let message = match info.location() {
            Some(at) => format!("{payload} (at {}:{}:{})", at.file(), at.line(), at.column()),
            None => payload,
        };
        if CRASHED.swap(true, Ordering::SeqCst) {
            // The banner is up already: report the later panic, change nothing else.
            gloo_console::error!(format!("crudlab: a further panic after the crash: {message}"));
            return;
        }
        let statement = crate::runtime::running::running_statement();
        let report = bug_report(&message, statement.as_deref());
        gloo_console::error!(format!("crudlab crashed: {report}"));
        keep_editor_text();
        let _ = show_banner(&report);
    }));
}

/// The text a student can paste into a bug report.
fn bug_report(message: &str, statement: Option<&str>) -> String {
    let mut report = format!("panic: {message}");
    if let Some(statement) = statement {
        report.push_str(&format!("\nwhile running: {statement}"));
    }
    if let Some(agent) = web_sys::window().and_then(|w| w.navigator().user_agent().ok()) {
        report.push_str(&format!("\nbrowser: {agent}"));
    }
    report
}

/// Copies the editor's text (read from the page, not from the app's state) to sessionStorage.
fn keep_editor_text() {
    let text = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("[data-testid=editor] textarea, textarea[data-testid=editor]").ok().flatten())
        .and_then(|element| element.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
        .map(|area| area.value());
    if let Some(text) = text {
        let _ = SessionStorage::set(RECOVERED_EDITOR_KEY, text);
    }
}

/// The editor's text kept by a crash in this tab, once: reading it forgets it.
pub fn take_recovered_editor() -> Option<String> {
    let text = SessionStorage::get::<String>(RECOVERED_EDITOR_KEY).ok();
    SessionStorage::delete(RECOVERED_EDITOR_KEY);
    text
}

fn element(document: &web_sys::Document, tag: &str, class: &str, text: &str) -> Option<web_sys::Element> {
    let element = document.create_element(tag).ok()?;
    if !class.is_empty() {
        element.set_class_name(class);
    }
    if !text.is_empty() {
        element.set_text_content(Some(text));
    }
    Some(element)
}

fn on_click(target: &web_sys::Element, mut action: impl FnMut() + 'static) {
    // The banner lives until the page reloads; so does its handler.
    gloo_events::EventListener::new(target, "click", move |_| action()).forget();
}

fn show_banner(report: &str) -> Option<()> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let body = document.body()?;
    // The app underneath is dead: no event may reach it.
    let children = body.children();
    for index in 0..children.length() {
        if let Some(child) = children.item(index) {
            let _ = child.set_attribute("inert", "");
            let _ = child.set_attribute("aria-hidden", "true");
        }
    }
    let banner = element(&document, "div", "crash-banner", "")?;
    banner.set_attribute("data-testid", "crash").ok()?;
    banner.set_attribute("role", "alertdialog").ok()?;
    banner.set_attribute("aria-modal", "true").ok()?;
    banner.set_attribute("aria-labelledby", "crash-title").ok()?;
    banner.set_attribute("aria-describedby", "crash-what").ok()?;
    let title = element(&document, "h2", "", "crudlab stopped working")?;
    title.set_id("crash-title");
    let what = element(
        &document,
        "p",
        "",
        "A bug inside crudlab stopped this page: it is not something you did wrong. The data stored in this \
         browser is safe: nothing is written after a failed Run. Reload to carry on where you were; the editor \
         keeps your code.",
    )?;
    what.set_id("crash-what");
    let details = element(&document, "pre", "crash-report", report)?;
    details.set_attribute("data-testid", "crash-report").ok()?;
    let actions = element(&document, "div", "crash-actions", "")?;
    let reload = element(&document, "button", "run", "Reload")?;
    reload.set_attribute("type", "button").ok()?;
    reload.set_attribute("data-testid", "crash-reload").ok()?;
    let copy = element(&document, "button", "", "Copy bug report")?;
    copy.set_attribute("type", "button").ok()?;
    copy.set_attribute("data-testid", "crash-copy").ok()?;
    let copied = element(&document, "span", "crash-copied", "")?;
    copied.set_attribute("aria-live", "polite").ok()?;
    on_click(&reload, || {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    let text = report.to_string();
    let status = copied.clone();
    on_click(&copy, move || {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
            status.set_text_content(Some("Copied."));
        }
    });
    actions.append_child(&reload).ok()?;
    actions.append_child(&copy).ok()?;
    actions.append_child(&copied).ok()?;
    for part in [&title, &what, &details, &actions] {
        banner.append_child(part).ok()?;
    }
    body.append_child(&banner).ok()?;
    if let Some(button) = reload.dyn_ref::<web_sys::HtmlElement>() {
        let _ = button.focus();
    }
    Some(())
}
