//! The "real schema" dialog of a collection (Compass's schema tab): each field with the types its values have and
//! in how many documents, in both worlds, and a button that opens the aggregation computing it in the editor.

use crate::playground::data_schema::{CollectionSchema, SchemaView};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SchemaDialogProps {
    pub view: SchemaView,
    /// Puts the schema's aggregation into the editor (and closes the dialog).
    pub on_open_command: Callback<String>,
    pub on_close: Callback<()>,
}

fn world(title: &str, test_id: &str, schema: &Result<CollectionSchema, String>) -> Html {
    html! {
        <div class="schema-world" data-testid={test_id.to_string()}>
            <h3>{ title }</h3>
            { match schema {
                Err(message) => html! { <div class="error" role="alert">{ message }</div> },
                Ok(schema) if schema.fields.is_empty() => html! { <p class="muted">{ "No documents." }</p> },
                Ok(schema) => html! {
                    <>
                        <p class="muted">{ format!("{} document(s)", schema.total) }</p>
                        <ul class="schema-fields">
                            { for schema.fields.iter().map(|field| {
                                let mixed = field.types.len() > 1;
                                html! {
                                    <li data-testid="schema-field" class={classes!(mixed.then_some("mixed"))}>
                                        <code>{ &field.field }</code>
                                        // Meters, not inline widths: the page's CSP allows no inline styles.
                                        <div class="schema-bar" aria-hidden="true">
                                            { for field.types.iter().map(|(kind, count)| html! {
                                                <meter min="0" max={schema.total.to_string()} value={count.to_string()} title={kind.clone()} />
                                            }) }
                                        </div>
                                        <span class="schema-types">{ schema.describe(field) }</span>
                                    </li>
                                }
                            }) }
                        </ul>
                    </>
                },
            } }
        </div>
    }
}

#[function_component(SchemaDialog)]
pub fn schema_dialog(props: &SchemaDialogProps) -> Html {
    let view = &props.view;
    let close = props.on_close.reform(|_: MouseEvent| ());
    let open = {
        let (on_open, command) = (props.on_open_command.clone(), view.command.clone());
        Callback::from(move |_: MouseEvent| on_open.emit(command.clone()))
    };
    html! {
        <div class="dialog-backdrop">
            <section class="dialog" role="dialog" aria-modal="true" aria-label="The collection's real schema" data-testid="schema-dialog">
                <div class="dialog-head">
                    <h2>{ format!("Schema of {}.{}: what the documents really hold", view.database, view.collection) }</h2>
                    <button type="button" class="link" onclick={close} data-testid="schema-close">{ "Close" }</button>
                </div>
                <p class="muted">
                    { "MongoDB never checks a document's shape, so a field can hold different types in different documents. " }
                    { "This is computed by an aggregation over the collection — open it and run it yourself." }
                </p>
                <div class="schema-worlds">
                    { world("MongoDB driver (schemaless)", "schema-raw", &view.raw) }
                    { world("Mongoose (with schema)", "schema-mongoose", &view.mongoose) }
                </div>
                <div class="row">
                    <button type="button" onclick={open} data-testid="schema-open-command">{ "Open the aggregation in the editor" }</button>
                </div>
            </section>
        </div>
    }
}
