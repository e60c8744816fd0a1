//! The page header: product name, the jargon breadcrumb, and the teaching hooks (restart server, undo, reset).

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub on_restart: Callback<()>,
    pub on_reset: Callback<()>,
    pub on_undo: Callback<()>,
    pub on_redo: Callback<()>,
    pub on_share: Callback<()>,
    pub on_theme: Callback<()>,
    pub on_data: Callback<()>,
    pub can_undo: bool,
    pub can_redo: bool,
    pub busy: bool,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let restart = props.on_restart.reform(|_: MouseEvent| ());
    let undo = props.on_undo.reform(|_: MouseEvent| ());
    let redo = props.on_redo.reform(|_: MouseEvent| ());
    let share = props.on_share.reform(|_: MouseEvent| ());
    let theme = props.on_theme.reform(|_: MouseEvent| ());
    let data = props.on_data.reform(|_: MouseEvent| ());
    let reset = {
        let on_reset = props.on_reset.clone();
        Callback::from(move |_: MouseEvent| {
            // Reset deletes every document of both worlds: ask first.
            if gloo_dialogs::confirm("Delete every document in both databases and forget the models?") {
                on_reset.emit(());
            }
        })
    };
    html! {
        <header class="header">
            <h1 class="brand">{ "crudlab" }</h1>
            <span class="tagline">{ "MongoDB and Mongoose, side by side, in your browser" }</span>
            <nav class="actions" aria-label="Server and data">
                <button data-testid="restart" type="button" onclick={restart} disabled={props.busy}
                    title="Drop the server's memory (variables) and reload everything from the database">
                    { "⟳ Restart server" }
                </button>
                <button data-testid="undo" type="button" onclick={undo} disabled={props.busy || !props.can_undo}
                    title="Revert the last run's changes in both databases">
                    { "↶ Undo" }
                </button>
                <button data-testid="redo" type="button" onclick={redo} disabled={props.busy || !props.can_redo}
                    title="Apply the undone run again">
                    { "↷ Redo" }
                </button>
                <button data-testid="data" type="button" onclick={data} disabled={props.busy}
                    title="Export the data as Extended JSON or a mongosh script, or import data">
                    { "Export / Import" }
                </button>
                <button data-testid="share" type="button" onclick={share}
                    title="Put the editor's script in the page address, to copy and send">
                    { "Share link" }
                </button>
                <button data-testid="theme" type="button" onclick={theme} aria-label="Switch light or dark colours">
                    { "◐ Theme" }
                </button>
                <button data-testid="reset" type="button" class="danger" onclick={reset} disabled={props.busy}
                    title="Empty both databases">
                    { "Reset" }
                </button>
            </nav>
        </header>
    }
}
