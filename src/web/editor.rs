//! The command editor: a text area over a highlighted copy of its text (so colours come from our lexer), Run and
//! Ctrl/Cmd+Enter, ↑/↓ history at the first/last line, the parse error underlined at its span with the message
//! beside it, a completion popup, and the reference of the operator under the caret.

use super::app::CompleteFn;
use crate::playground::completion::Suggestion;
use crate::playground::highlight::highlight;
use crate::shell::error::ParseError;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub text: String,
    pub parse_error: Option<ParseError>,
    /// Where the last Run's first error points (a byte range of the text), until the text is edited.
    #[prop_or_default]
    pub run_error: Option<(usize, usize)>,
    pub history: Rc<Vec<String>>,
    pub busy: bool,
    pub on_edit: Callback<String>,
    pub on_run: Callback<String>,
    pub complete: CompleteFn,
}

/// The open completion popup.
#[derive(Clone, PartialEq)]
struct Popup {
    start: usize,
    end: usize,
    suggestions: Vec<Suggestion>,
    selected: usize,
}

/// UTF-16 offset (what the DOM reports) → byte offset in `text`.
fn byte_offset(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (index, ch) in text.char_indices() {
        if units >= utf16 {
            return index;
        }
        units += ch.len_utf16() as u32;
    }
    text.len()
}

fn utf16_offset(text: &str, bytes: usize) -> u32 {
    text.get(..bytes.min(text.len())).map_or(0, |prefix| prefix.encode_utf16().count() as u32)
}

/// Highlighted pieces, with the error's byte range (`start..end`) cut out and marked.
fn overlay(text: &str, error: Option<(usize, usize)>) -> Html {
    let (err_start, err_end) = match error {
        Some((start, end)) => {
            let start = start.min(text.len());
            // A point error underlines the character there (or a space at the very end).
            let end = if end > start { end.min(text.len()) } else { (start + 1).min(text.len()) };
            (start, end)
        }
        None => (usize::MAX, usize::MAX),
    };
    let mut at = 0;
    let mut nodes = Vec::new();
    for (class, piece) in highlight(text) {
        let (start, end) = (at, at + piece.len());
        at = end;
        let cut =
            |from: usize, to: usize| piece.get(from.saturating_sub(start)..to.saturating_sub(start)).unwrap_or("");
        if err_end <= start || err_start >= end {
            nodes.push(html! { <span class={class.css()}>{ piece.clone() }</span> });
            continue;
        }
        let (a, b) = (err_start.max(start), err_end.min(end));
        for (from, to, marked) in [(start, a, false), (a, b, true), (b, end, false)] {
            let part = cut(from, to);
            if part.is_empty() {
                continue;
            }
            let classes = classes!(class.css(), marked.then_some("error-underline"));
            nodes.push(html! { <span class={classes}>{ part.to_string() }</span> });
        }
    }
    if error.is_some() && err_start >= text.len() {
        nodes.push(html! { <span class="error-underline">{ " " }</span> });
    }
    // A trailing newline needs a character after it to get its own line in the <pre>.
    nodes.push(html! { { "\u{200b}" } });
    html! { <>{ for nodes }</> }
}

/// The reference line for a word (`$elemMatch`, `$group`, `$toUpper`), from the engine's registry.
fn reference_of(word: &str) -> Option<crate::engine::operators::Reference> {
    crate::engine::operators::reference(word)
}

/// The word under the mouse: the textarea hides the highlighted copy below it, so the copy is asked for a moment
/// (`caretRangeFromPoint` with the textarea let through) which character lies under the pointer.
fn word_under_pointer(area: &HtmlTextAreaElement, x: i32, y: i32) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let style = area.style();
    let _ = style.set_property("pointer-events", "none");
    // The copy itself ignores the pointer (so clicks reach the text area); let it answer for this one question.
    let copy = area.previous_element_sibling().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(copy) = &copy {
        let _ = copy.style().set_property("pointer-events", "auto");
    }
    // `caretRangeFromPoint` is Chromium's and WebKit's; browsers without it simply get no hover reference.
    let range = js_sys::Reflect::get(&document, &"caretRangeFromPoint".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call2(&document, &x.into(), &y.into()).ok())
        .and_then(|r| r.dyn_into::<web_sys::Range>().ok());
    let _ = style.remove_property("pointer-events");
    if let Some(copy) = &copy {
        let _ = copy.style().remove_property("pointer-events");
    }
    let range = range?;
    let text = range.start_container().ok()?.text_content()?;
    let offset = usize::try_from(range.start_offset().ok()?).ok()?;
    let chars: Vec<char> = text.chars().collect();
    let is_word = |c: char| c.is_alphanumeric() || c == '$' || c == '_';
    let at = offset.min(chars.len());
    let start = chars[..at].iter().rposition(|c| !is_word(*c)).map_or(0, |i| i + 1);
    let end = chars[at..].iter().position(|c| !is_word(*c)).map_or(chars.len(), |i| at + i);
    let word: String = chars.get(start..end)?.iter().collect();
    (!word.is_empty()).then_some(word)
}

/// The operator under the caret (`$elemMatch`), with its reference line.
fn operator_at(text: &str, caret: usize) -> Option<crate::engine::operators::Reference> {
    let before = text.get(..caret.min(text.len()))?;
    let start = before.rfind(|c: char| !(c.is_alphanumeric() || c == '$' || c == '_')).map_or(0, |i| i + 1);
    let after = text.get(caret.min(text.len())..)?;
    let end = caret + after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
    let word = text.get(start..end)?;
    if !word.starts_with('$') {
        return None;
    }
    reference_of(word)
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let textarea = use_node_ref();
    let history_position = use_state(|| None::<usize>);
    let popup = use_state(|| None::<Popup>);
    let caret = use_state(|| 0usize);
    let hovered = use_state(|| None::<String>);

    let current_text = {
        let textarea = textarea.clone();
        move || textarea.cast::<HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default()
    };
    let caret_bytes = {
        let textarea = textarea.clone();
        move || {
            textarea
                .cast::<HtmlTextAreaElement>()
                .map(|t| byte_offset(&t.value(), t.selection_start().ok().flatten().unwrap_or(0)))
                .unwrap_or(0)
        }
    };

    let accept = {
        let (textarea, popup, on_edit) = (textarea.clone(), popup.clone(), props.on_edit.clone());
        move |choice: &Suggestion, open: &Popup| {
            let Some(area) = textarea.cast::<HtmlTextAreaElement>() else { return };
            let text = area.value();
            let (start, end) = (open.start.min(text.len()), open.end.min(text.len()));
            let next = format!("{}{}{}", text.get(..start).unwrap_or(""), choice.label, text.get(end..).unwrap_or(""));
            area.set_value(&next);
            let position = utf16_offset(&next, start + choice.label.len());
            let _ = area.set_selection_range(position, position);
            on_edit.emit(next);
            popup.set(None);
        }
    };

    let oninput = {
        let (on_edit, popup, complete, caret, history_position) =
            (props.on_edit.clone(), popup.clone(), props.complete.clone(), caret.clone(), history_position.clone());
        let (current_text, caret_bytes) = (current_text.clone(), caret_bytes.clone());
        Callback::from(move |_: InputEvent| {
            let text = current_text();
            let at = caret_bytes();
            caret.set(at);
            history_position.set(None);
            let typed = text.get(..at).and_then(|t| t.chars().last());
            let wants = typed.is_some_and(|c| c == '.' || c == '$' || c.is_alphanumeric());
            let completions = if wants { (complete.0)(&text, at) } else { None };
            popup.set(completions.filter(|c| !c.suggestions.is_empty()).map(|c| Popup {
                start: c.start,
                end: c.end,
                suggestions: c.suggestions,
                selected: 0,
            }));
            on_edit.emit(text);
        })
    };

    let onkeydown = {
        let (on_run, on_edit, popup, history, history_position, textarea) = (
            props.on_run.clone(),
            props.on_edit.clone(),
            popup.clone(),
            props.history.clone(),
            history_position.clone(),
            textarea.clone(),
        );
        let (current_text, caret_bytes, accept, busy) =
            (current_text.clone(), caret_bytes.clone(), accept.clone(), props.busy);
        Callback::from(move |event: KeyboardEvent| {
            let key = event.key();
            if (event.ctrl_key() || event.meta_key()) && key == "Enter" {
                event.prevent_default();
                popup.set(None);
                if !busy {
                    on_run.emit(current_text());
                }
                return;
            }
            if let Some(open) = (*popup).clone() {
                match key.as_str() {
                    "ArrowDown" | "ArrowUp" => {
                        event.prevent_default();
                        let count = open.suggestions.len().max(1);
                        let selected = if key == "ArrowDown" {
                            (open.selected + 1) % count
                        } else {
                            (open.selected + count - 1) % count
                        };
                        popup.set(Some(Popup { selected, ..open }));
                        return;
                    }
                    "Enter" | "Tab" => {
                        event.prevent_default();
                        if let Some(choice) = open.suggestions.get(open.selected) {
                            accept(choice, &open);
                        }
                        return;
                    }
                    "Escape" => {
                        popup.set(None);
                        return;
                    }
                    _ => {}
                }
            }
            if (key == "ArrowUp" || key == "ArrowDown") && !history.is_empty() {
                let text = current_text();
                let at = caret_bytes();
                let on_first_line = !text.get(..at).unwrap_or("").contains('\n');
                let on_last_line = !text.get(at..).unwrap_or("").contains('\n');
                let position = match (key.as_str(), *history_position) {
                    ("ArrowUp", None) if on_first_line => Some(history.len() - 1),
                    ("ArrowUp", Some(p)) if on_first_line => Some(p.saturating_sub(1)),
                    ("ArrowDown", Some(p)) if on_last_line && p + 1 < history.len() => Some(p + 1),
                    _ => return,
                };
                if let (Some(p), Some(area)) = (position, textarea.cast::<HtmlTextAreaElement>()) {
                    event.prevent_default();
                    let entry = history.get(p).cloned().unwrap_or_default();
                    area.set_value(&entry);
                    history_position.set(Some(p));
                    on_edit.emit(entry);
                }
            }
        })
    };

    let onclick_caret = {
        let (caret, caret_bytes, popup) = (caret.clone(), caret_bytes.clone(), popup.clone());
        Callback::from(move |_: MouseEvent| {
            caret.set(caret_bytes());
            popup.set(None);
        })
    };
    let onkeyup = {
        let (caret, caret_bytes) = (caret.clone(), caret_bytes.clone());
        Callback::from(move |_: KeyboardEvent| caret.set(caret_bytes()))
    };
    let onscroll = Callback::from(|event: Event| {
        // The highlighted copy scrolls with the text area.
        let Some(area) = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else { return };
        if let Some(pre) = area.previous_element_sibling() {
            pre.set_scroll_top(area.scroll_top());
            pre.set_scroll_left(area.scroll_left());
        }
    });
    let onmousemove = {
        let (textarea, hovered) = (textarea.clone(), hovered.clone());
        Callback::from(move |event: MouseEvent| {
            let Some(area) = textarea.cast::<HtmlTextAreaElement>() else { return };
            let word = word_under_pointer(&area, event.client_x(), event.client_y()).filter(|w| w.starts_with('$'));
            if *hovered != word {
                hovered.set(word);
            }
        })
    };
    let onmouseleave = {
        let hovered = hovered.clone();
        Callback::from(move |_: MouseEvent| hovered.set(None))
    };
    let run_click = {
        let (on_run, current_text) = (props.on_run.clone(), current_text.clone());
        Callback::from(move |_: MouseEvent| on_run.emit(current_text()))
    };

    // Keep the text area in step when the text changes from outside (history, reset, a lesson's starter code).
    {
        let (textarea, text) = (textarea.clone(), props.text.clone());
        use_effect_with(text, move |text| {
            if let Some(area) = textarea.cast::<HtmlTextAreaElement>() {
                if area.value() != *text {
                    area.set_value(text);
                }
            }
            || ()
        });
    }

    // The operator under the mouse wins; otherwise the one at the caret.
    let reference = hovered.as_deref().and_then(reference_of).or_else(|| operator_at(&props.text, *caret));
    html! {
        <section class="editor" aria-label="Command editor">
            <div class="editor-box">
                <pre class="editor-highlight" aria-hidden="true">{ overlay(&props.text, props.parse_error.as_ref().map(|e| (e.span.start, e.span.end)).or(props.run_error)) }</pre>
                <textarea
                    ref={textarea}
                    data-testid="editor"
                    class="editor-input"
                    aria-label="Command"
                    spellcheck="false"
                    rows={(props.text.lines().count() + 1).clamp(5, 22).to_string()}
                    autocomplete="off"
                    placeholder={ "User.create({ username: \"ada\", age: \"42\" })" }
                    {oninput}
                    {onkeydown}
                    {onkeyup}
                    onclick={onclick_caret}
                    {onscroll}
                    {onmousemove}
                    {onmouseleave}
                />
                if let Some(open) = (*popup).clone() {
                    <ul class="completion" role="listbox" data-testid="completion">
                        { for open.suggestions.iter().enumerate().map(|(index, suggestion)| {
                            let choose = {
                                let (accept, suggestion, open) = (accept.clone(), suggestion.clone(), open.clone());
                                Callback::from(move |event: MouseEvent| {
                                    event.prevent_default();
                                    accept(&suggestion, &open);
                                })
                            };
                            html! {
                                <li role="option" class={classes!((index == open.selected).then_some("selected"))}
                                    aria-selected={(index == open.selected).to_string()} onmousedown={choose}>
                                    <span class="label">{ &suggestion.label }</span>
                                    <span class="detail">{ format!("{} · {}", suggestion.kind, suggestion.detail) }</span>
                                </li>
                            }
                        }) }
                    </ul>
                }
            </div>
            if let Some(error) = &props.parse_error {
                <div class="parse-error" data-testid="parse-error" role="alert">
                    <strong>{ format!("SyntaxError at {}:{}", error.span.line, error.span.column) }</strong>
                    { format!(" {}", error.message) }
                    if let Some(hint) = &error.hint { <div class="hint">{ hint }</div> }
                </div>
            }
            <div class="editor-actions">
                if let Some(entry) = reference {
                    <span class="reference" data-testid="operator-reference">
                        <code>{ entry.name }</code>{ format!(" ({}) — {}", entry.category, entry.summary) }
                        if let Some(example) = entry.example {
                            { " e.g. " }<code>{ example }</code>
                        }
                    </span>
                } else {
                    <span class="keys">{ "Ctrl+Enter runs · ↑/↓ history · Tab completes" }</span>
                }
                <button data-testid="run" class="run" type="button" onclick={run_click} disabled={props.busy}
                    aria-label="Run (Ctrl+Enter)">{ "Run ▶" }</button>
            </div>
        </section>
    }
}
