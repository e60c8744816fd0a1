//! The command editor: a multi-line text area and the Run button.

use yew::prelude::*;

#[function_component(Editor)]
pub fn editor() -> Html {
    html! {
        <section class="editor" aria-label="Command editor">
            <textarea
                data-testid="editor"
                class="editor-input"
                aria-label="Command"
                spellcheck="false"
                placeholder={ "User.create({ username: \"ada\", age: \"42\" })" }
            />
            <div class="editor-actions">
                <button data-testid="run" class="run" type="button" aria-label="Run (Ctrl+Enter)">{ "Run ▶" }</button>
            </div>
        </section>
    }
}
