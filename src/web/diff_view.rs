//! The diff of one collection after a call: inserted documents, updated ones with their changed fields (a value whose
//! type changed, as casting does, is marked), removed ones, and index changes.

use crate::engine::value::type_name;
use crate::js::mongosh_format::{format_document, format_inline};
use crate::playground::diff::{CollectionDiff, DocumentChange, FieldChangeKind};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiffViewProps {
    pub diff: CollectionDiff,
}

/// How many changed documents are drawn before "… and N more" (a deleteMany of 10,000 must not freeze the page).
const MAX_DRAWN: usize = 25;

#[function_component(DiffView)]
pub fn diff_view(props: &DiffViewProps) -> Html {
    let diff = &props.diff;
    let drawn = diff.documents.iter().take(MAX_DRAWN).map(|change| match change {
        DocumentChange::Inserted(doc) => html! {
            <div class="diff-doc inserted" data-testid="diff-inserted"><span class="sign">{ "+ inserted" }</span><pre>{ format_document(doc) }</pre></div>
        },
        DocumentChange::Removed(doc) => html! {
            <div class="diff-doc removed" data-testid="diff-removed"><span class="sign">{ "− removed" }</span><pre>{ format_document(doc) }</pre></div>
        },
        DocumentChange::Updated { after, fields, .. } => html! {
            <div class="diff-doc updated" data-testid="diff-updated">
                <span class="sign">{ format!("~ updated {}", after.get("_id").map(format_inline).unwrap_or_default()) }</span>
                <ul class="fields">
                { for fields.iter().map(|field| {
                    let before = field.before.as_ref().map(format_inline).unwrap_or_default();
                    let after_text = field.after.as_ref().map(format_inline).unwrap_or_default();
                    let (class, text) = match field.kind {
                        FieldChangeKind::Added => ("added", format!("+ {}: {after_text}", field.path)),
                        FieldChangeKind::Removed => ("removed", format!("− {}: {before}", field.path)),
                        FieldChangeKind::Changed => ("changed", format!("{}: {before} → {after_text}", field.path)),
                        FieldChangeKind::TypeChanged => ("type-changed", format!(
                            "{}: {before} → {after_text}  (type {} → {})",
                            field.path,
                            field.before.as_ref().map(type_name).unwrap_or("missing"),
                            field.after.as_ref().map(type_name).unwrap_or("missing"),
                        )),
                    };
                    html! { <li class={class}>{ text }</li> }
                }) }
                </ul>
            </div>
        },
    });
    html! {
        <div class="diff" data-testid="diff">
            <div class="diff-title">
                { format!("{}.{}", diff.database, diff.collection) }
                if diff.created { <span class="badge">{ "collection created" }</span> }
                if diff.dropped { <span class="badge danger">{ "collection dropped" }</span> }
                { for diff.indexes.iter().map(|index| html! { <span class="badge">{ format!("index {index}") }</span> }) }
            </div>
            { for drawn }
            if diff.documents.len() > MAX_DRAWN {
                <p class="more">{ format!("… and {} more changed document(s)", diff.documents.len() - MAX_DRAWN) }</p>
            }
        </div>
    }
}
