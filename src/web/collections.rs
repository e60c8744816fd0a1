//! The sidebar: the cluster › database › collection tree of both worlds with document counts, and the models with
//! their schemas — the jargon made visible (collection ≈ table, document ≈ row).

use crate::playground::view::{DatabaseNode, ModelNode};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SidebarProps {
    pub databases: Rc<Vec<DatabaseNode>>,
    pub models: Rc<Vec<ModelNode>>,
    /// A collection's name was clicked: show its real schema (`(database, collection)`).
    pub on_schema: Callback<(String, String)>,
}

fn count(n: Option<usize>) -> String {
    n.map_or_else(|| "–".to_string(), |n| n.to_string())
}

#[function_component(CollectionsSidebar)]
pub fn collections_sidebar(props: &SidebarProps) -> Html {
    html! {
        <nav class="sidebar" data-testid="collections" aria-label="Collections">
            <div class="crumb" title="A cluster holds databases; a database holds collections (≈ tables); a collection holds documents (≈ rows)">
                { "cluster › database › collection " }<span class="aka">{ "(≈ table)" }</span>{ " › document " }<span class="aka">{ "(≈ row)" }</span>
            </div>
            <div class="tree-legend"><span>{ "driver" }</span><span>{ "mongoose" }</span></div>
            if props.databases.is_empty() {
                <p class="empty">{ "No collections yet. Insert a document to create one." }</p>
            }
            <ul class="tree">
                <li class="cluster"><span class="name">{ "cluster" }</span>
                    <ul>
                    { for props.databases.iter().map(|db| html! {
                        <li class="database" data-testid={format!("db-{}", db.name)}>
                            <span class="name">{ &db.name }</span>
                            <ul>
                            { for db.collections.iter().map(|(name, raw, mongoose)| html! {
                                <li class="collection" data-testid={format!("coll-{}-{}", db.name, name)}>
                                    <button type="button" class="name link" data-testid="schema-open"
                                        title="What do the documents really hold? Field types and how often"
                                        onclick={props.on_schema.reform({ let key = (db.name.clone(), name.clone()); move |_: MouseEvent| key.clone() })}>
                                        { name }
                                    </button>
                                    <span class="count" title="documents stored by the driver">{ count(*raw) }</span>
                                    <span class="count" title="documents stored through Mongoose">{ count(*mongoose) }</span>
                                </li>
                            }) }
                            </ul>
                        </li>
                    }) }
                    </ul>
                </li>
            </ul>
            <h3 class="models-title">{ "Models" }</h3>
            if props.models.is_empty() {
                <p class="empty">{ "No models yet: mongoose.model(\"User\", userSchema) declares one." }</p>
            }
            { for props.models.iter().map(|model| html! {
                <details class="model" open=true data-testid={format!("model-{}", model.name)}>
                    <summary>{ &model.name }<span class="aka">{ format!(" → {}", model.collection) }</span></summary>
                    <ul class="fields">
                    { for model.fields.iter().map(|(path, kind, notes)| html! {
                        <li><code>{ path }</code>{ ": " }<span class="type">{ kind }</span>
                            { for notes.iter().map(|note| html! { <span class="badge">{ note }</span> }) }
                        </li>
                    }) }
                    </ul>
                </details>
            }) }
        </nav>
    }
}
