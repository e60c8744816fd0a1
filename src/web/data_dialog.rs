//! Export and import: one world's data as Extended JSON (relaxed or canonical) or as a mongosh script, shown for
//! copying and offered as a download; an import is checked first (how many documents each collection gains or has
//! replaced) and then applied in one transaction, or not at all.

use crate::playground::Side;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    Relaxed,
    Canonical,
    Script,
}

/// `(world, text, target database and collection for a plain array)`.
pub type ImportRequest = (Side, String, Option<(String, String)>);

/// Checks an import without applying it: one summary line per collection, or why it cannot be imported.
pub type ImportPlanner = dyn Fn(&ImportRequest) -> Result<Vec<String>, String>;

/// The functions the dialog calls, compared by identity.
#[derive(Clone)]
pub struct DataFns {
    pub export: Rc<dyn Fn(Side, ExportKind) -> String>,
    pub plan: Rc<ImportPlanner>,
}

impl PartialEq for DataFns {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.export, &other.export) && Rc::ptr_eq(&self.plan, &other.plan)
    }
}

#[derive(Properties, PartialEq)]
pub struct DataDialogProps {
    pub fns: DataFns,
    pub on_import: Callback<ImportRequest>,
    pub on_close: Callback<()>,
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Raw => "MongoDB driver (schemaless)",
        Side::Mongoose => "Mongoose (with schema)",
    }
}

#[function_component(DataDialog)]
pub fn data_dialog(props: &DataDialogProps) -> Html {
    let side = use_state(|| Side::Mongoose);
    let exported = use_state(|| None::<(ExportKind, String)>);
    let plan = use_state(|| None::<Result<Vec<String>, String>>);
    let import_text = use_node_ref();
    let target_db = use_node_ref();
    let target_coll = use_node_ref();

    let request = {
        let (import_text, target_db, target_coll, side) =
            (import_text.clone(), target_db.clone(), target_coll.clone(), side.clone());
        move || -> ImportRequest {
            let text = import_text.cast::<HtmlTextAreaElement>().map(|t| t.value()).unwrap_or_default();
            let db = target_db.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let coll = target_coll.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let target = (!coll.trim().is_empty()).then(|| (db.trim().to_string(), coll.trim().to_string()));
            (*side, text, target)
        }
    };
    let export_button = |kind: ExportKind, label: &str, test_id: &str| {
        let (exported, fns, side) = (exported.clone(), props.fns.clone(), side.clone());
        let onclick = Callback::from(move |_: MouseEvent| exported.set(Some((kind, (fns.export)(*side, kind)))));
        html! { <button type="button" {onclick} data-testid={test_id.to_string()}>{ label }</button> }
    };
    let check = {
        let (plan, fns, request) = (plan.clone(), props.fns.clone(), request.clone());
        Callback::from(move |_: MouseEvent| plan.set(Some((fns.plan)(&request()))))
    };
    let import = {
        let (on_import, request, plan) = (props.on_import.clone(), request.clone(), plan.clone());
        Callback::from(move |_: MouseEvent| {
            on_import.emit(request());
            plan.set(None);
        })
    };
    let pick = |choice: Side| {
        let (side, exported, plan) = (side.clone(), exported.clone(), plan.clone());
        Callback::from(move |_: MouseEvent| {
            side.set(choice);
            exported.set(None);
            plan.set(None);
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    let download = exported.as_ref().map(|(kind, text)| {
        let (name, mime) = match kind {
            ExportKind::Script => ("crudlab-export.mongosh.js", "text/javascript"),
            _ => ("crudlab-export.json", "application/json"),
        };
        let href = format!("data:{mime};charset=utf-8,{}", String::from(js_sys::encode_uri_component(text)));
        html! { <a class="download" href={href} download={name} data-testid="download">{ format!("Download {name}") }</a> }
    });
    html! {
        <div class="dialog-backdrop">
            <section class="dialog" role="dialog" aria-modal="true" aria-label="Export and import" data-testid="data-dialog">
                <div class="dialog-head">
                    <h2>{ "Export and import" }</h2>
                    <button type="button" class="link" onclick={close} data-testid="data-close">{ "Close" }</button>
                </div>
                <div class="world-pick" role="group" aria-label="Which database">
                    { for Side::BOTH.iter().map(|&choice| html! {
                        <button type="button" class={classes!("toggle", (*side == choice).then_some("active"))}
                            aria-pressed={(*side == choice).to_string()} onclick={pick(choice)}>{ side_name(choice) }</button>
                    }) }
                </div>
                <h3>{ "Export" }</h3>
                <div class="row">
                    { export_button(ExportKind::Relaxed, "Extended JSON (relaxed)", "export-relaxed") }
                    { export_button(ExportKind::Canonical, "Extended JSON (canonical)", "export-canonical") }
                    { export_button(ExportKind::Script, "mongosh script", "export-script") }
                </div>
                if let Some((_, text)) = &*exported {
                    <textarea class="export-text" readonly=true value={text.clone()} data-testid="export-text" aria-label="Exported data" />
                    { download.unwrap_or_default() }
                }
                <h3>{ "Import" }</h3>
                <p class="muted">{ "Paste a crudlab export, or a JSON array of documents (mongoexport --jsonArray) and name its collection." }</p>
                <textarea ref={import_text} class="import-text" data-testid="import-text" aria-label="Data to import"
                    placeholder={ "[{ \"_id\": 1, \"username\": \"ada\" }]" } />
                <div class="row">
                    <label>{ "database " }<input ref={target_db} value="test" size="10" aria-label="Target database" /></label>
                    <label>{ "collection " }<input ref={target_coll} size="12" aria-label="Target collection" data-testid="import-collection" /></label>
                    <button type="button" onclick={check} data-testid="import-check">{ "Check" }</button>
                </div>
                { match &*plan {
                    Some(Ok(lines)) => html! {
                        <div class="plan-summary" data-testid="import-plan">
                            <ul>{ for lines.iter().map(|line| html! { <li>{ line }</li> }) }</ul>
                            <button type="button" class="run" onclick={import} data-testid="import-apply">{ "Import (all or nothing)" }</button>
                        </div>
                    },
                    Some(Err(message)) => html! { <div class="error" role="alert" data-testid="import-error">{ message }</div> },
                    None => html! {},
                } }
            </section>
        </div>
    }
}
