//! One result pane: what a Run did in one world — per statement the call that reached the database, the result as
//! the library returns it, the error in its own words with a plain-language line and a lesson link, Mongoose's write
//! trace, and the touched collection after the call with a diff.

use super::diff_view::DiffView;
use crate::js::mongosh_format::format_document;
use crate::playground::view::{StatementView, TraceView};
use crate::playground::Side;
use crate::runtime::calls::DriverCall;
use std::rc::Rc;
use yew::prelude::*;

fn title(side: Side) -> &'static str {
    match side {
        Side::Raw => "MongoDB driver (schemaless)",
        Side::Mongoose => "Mongoose (with schema)",
    }
}

fn test_id(side: Side) -> &'static str {
    match side {
        Side::Raw => "pane-raw",
        Side::Mongoose => "pane-mongoose",
    }
}

/// Runs a find again with `explain("executionStats")` in a world.
pub type ExplainSource = dyn Fn(Side, &DriverCall) -> Result<String, String>;

/// The explain function handed to the panes (compared by identity).
#[derive(Clone)]
pub struct ExplainFn(pub Rc<ExplainSource>);

impl PartialEq for ExplainFn {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Properties, PartialEq)]
pub struct ResultPaneProps {
    pub side: Side,
    pub statements: Rc<Vec<StatementView>>,
    pub explain: ExplainFn,
}

/// The write trace as a strip of stages: cast → strict → defaults → setters → validate → sent to the database,
/// with the schema's middleware first when any ran (`pre`/`post` hooks, in the order they ran).
fn trace_strip(trace: &[TraceView], sent: bool) -> Html {
    const STAGES: [&str; 7] = ["hooks", "cast", "strict", "defaults", "setters", "validate", "save"];
    let has_hooks = trace.iter().any(|t| t.stage == "hooks");
    html! {
        <ol class="trace" data-testid="trace">
            { for STAGES.iter().filter(|stage| **stage != "hooks" || has_hooks).map(|stage| {
                let steps: Vec<&TraceView> = trace.iter().filter(|t| t.stage == *stage).collect();
                let failed = steps.iter().any(|t| t.failed);
                let notable = steps.iter().any(|t| t.notable);
                let class = classes!("stage", failed.then_some("failed"), (notable && !failed).then_some("changed"), steps.is_empty().then_some("idle"));
                html! {
                    <li class={class}>
                        <span class="stage-name">{ match *stage { "save" => "_id · __v · timestamps", "hooks" => "middleware", other => other } }</span>
                        <ul>
                            { for steps.iter().filter(|t| t.notable || t.failed).map(|t| html! {
                                <li class={classes!(t.failed.then_some("failed"))}>{ &t.text }</li>
                            }) }
                            if !steps.is_empty() && !notable {
                                <li class="quiet">{ if *stage == "validate" { format!("{} check(s) passed", steps.len()) } else { "nothing to change".to_string() } }</li>
                            }
                        </ul>
                    </li>
                }
            }) }
            <li class={classes!("stage", "sent", (!sent).then_some("idle"))}>
                <span class="stage-name">{ if sent { "sent to the database ✓" } else { "not sent" } }</span>
            </li>
        </ol>
    }
}

/// A request's lane: what the browser sent, each middleware and handler Express ran, the database calls they
/// made, and the response.
fn request_lane(request: &crate::playground::view::RequestView) -> Html {
    html! {
        <ol class={classes!("lane", request.failed.then_some("failed"))} data-testid="lane">
            <li class="lane-stop lane-browser">
                <span class="lane-title">{ "Browser" }</span>
                <code>{ format!("{} {}", request.method, request.path) }</code>
                { for request.headers.iter().map(|header| html! { <div class="lane-detail">{ header }</div> }) }
                if let Some(body) = &request.body { <div class="lane-detail"><code>{ body }</code></div> }
            </li>
            <li class="lane-stop lane-express">
                <span class="lane-title">{ "Express" }</span>
                <ul>
                    { for request.steps.iter().map(|(name, outcome)| html! {
                        <li data-testid="lane-step"><strong>{ name }</strong>{ " → " }{ outcome }</li>
                    }) }
                </ul>
            </li>
            <li class={classes!("lane-stop", "lane-database", request.database.is_empty().then_some("idle"))}>
                <span class="lane-title">{ format!("Database: {} call(s)", request.database.len()) }</span>
                { for request.database.iter().map(|call| html! { <div class="lane-detail"><code>{ call }</code></div> }) }
            </li>
            <li class="lane-stop lane-response" data-testid="lane-response">
                <span class="lane-title">{ "Response" }</span>
                <strong>{ &request.status }</strong>
                <div class="lane-detail"><code>{ &request.response }</code></div>
            </li>
        </ol>
    }
}

/// Compass's stage strip: one card per stage (name, documents out), the chosen stage's first documents below.
/// `chosen` is the stage the student opened (kept across Runs: editing a pipeline and re-running stays on it).
fn pipeline_strip(
    pipeline: &crate::playground::view::PipelineView,
    chosen: Option<usize>,
    choose: Callback<usize>,
) -> Html {
    let last_ran = pipeline.stages.iter().rposition(|stage| stage.count.is_some() || stage.failed).unwrap_or(0);
    let open = chosen.unwrap_or(last_ran).min(pipeline.stages.len().saturating_sub(1));
    html! {
        <div class="pipeline" data-testid="pipeline">
            <ol class="stages">
                { for pipeline.stages.iter().enumerate().map(|(index, stage)| {
                    let onclick = {
                        let choose = choose.clone();
                        Callback::from(move |_: MouseEvent| choose.emit(index))
                    };
                    let state = if stage.failed { Some("failed") } else if stage.count.is_none() { Some("idle") } else { None };
                    html! {
                        <li>
                            <button type="button" data-testid="stage" aria-pressed={(index == open).to_string()}
                                class={classes!("stage", state, (index == open).then_some("open"))} {onclick}
                                title="Show the documents that came out of this stage">
                                <span class="stage-number">{ index + 1 }</span>
                                <code>{ &stage.name }</code>
                                <span class="stage-count">{ stage.summary() }</span>
                            </button>
                        </li>
                    }
                }) }
            </ol>
            if let Some(stage) = pipeline.stages.get(open) {
                <div class="stage-output" data-testid="stage-output">
                    <div class="stage-output-title">{ format!("After stage {} ({}): {}", open + 1, stage.name, stage.summary()) }</div>
                    if stage.documents.is_empty() && stage.count.is_some() {
                        <p class="more">{ "no documents" }</p>
                    }
                    { for stage.documents.iter().map(|doc| html! { <pre class="doc">{ doc }</pre> }) }
                    if let Some(count) = stage.count.filter(|count| *count > stage.documents.len()) {
                        <p class="more">{ format!("… and {} more", count - stage.documents.len()) }</p>
                    }
                </div>
            }
        </div>
    }
}

#[function_component(ResultPane)]
pub fn result_pane(props: &ResultPaneProps) -> Html {
    let side = props.side;
    // Explain results by call text; a new Run shows new statements, so stale plans are dropped.
    let plans = use_state(std::collections::HashMap::<String, Result<String, String>>::new);
    {
        let plans = plans.clone();
        use_effect_with(props.statements.clone(), move |_| {
            plans.set(std::collections::HashMap::new());
            || ()
        });
    }
    // The stage each strip has open, by (statement, aggregation) position; not reset by a new Run.
    let stage_choices = use_state(std::collections::HashMap::<(usize, usize), usize>::new);
    html! {
        <section class={classes!("pane", test_id(side))} data-testid={test_id(side)} aria-label={title(side)}>
            <h2 class="pane-title">{ title(side) }</h2>
            if props.statements.is_empty() {
                <p class="pane-empty">{ "Run a command to see what reaches the database." }</p>
            }
            { for props.statements.iter().enumerate().map(|(statement_index, statement)| {
                let sent = !statement.sent.is_empty();
                html! {
                    <article class="statement" data-testid="statement">
                        <pre class="statement-text">{ &statement.text }</pre>
                        { for statement.ran_instead.iter().map(|ran| html! {
                            <div class="mirrored" title="The statement was written for the other world; this is what runs here">
                                { "runs here as " }<code>{ ran.to_string() }</code>
                            </div>
                        }) }
                        { for statement.requests.iter().map(request_lane) }
                        if side == Side::Mongoose && !statement.trace.is_empty() {
                            { trace_strip(&statement.trace, sent) }
                        }
                        if statement.sent.len() > 1 {
                            <div class="call-count" data-testid="call-count" title="Round trips to the database this statement made">
                                { format!("{} database calls", statement.sent.len()) }
                            </div>
                        } else if sent {
                            <div class="call-count" data-testid="call-count" title="Round trips to the database this statement made">{ "1 database call" }</div>
                        }
                        { for statement.sent.iter().map(|call| {
                            let explainable = call.explained().is_some();
                            let text = call.to_string();
                            let onclick = {
                                let (plans, explain, call, text) = (plans.clone(), props.explain.clone(), call.clone(), text.clone());
                                Callback::from(move |_: MouseEvent| {
                                    let mut next = (*plans).clone();
                                    next.insert(text.clone(), (explain.0)(side, &call));
                                    plans.set(next);
                                })
                            };
                            html! {
                                <div class="driver-call" data-testid="driver-call">
                                    <span class="arrow">{ "→ database: " }</span><code>{ text.clone() }</code>
                                    if explainable {
                                        <button type="button" class="explain" data-testid="explain" {onclick}
                                            title="How did the database answer? Collection scan or index?">{ "Explain" }</button>
                                    }
                                    if let Some(plan) = plans.get(&text) {
                                        <div class={classes!("plan", plan.is_err().then_some("failed"))} data-testid="plan">
                                            { match plan { Ok(text) | Err(text) => text.clone() } }
                                        </div>
                                    }
                                </div>
                            }
                        }) }
                        { for statement.pipelines.iter().enumerate().map(|(pipeline_index, pipeline)| {
                            let key = (statement_index, pipeline_index);
                            let choose = {
                                let stage_choices = stage_choices.clone();
                                Callback::from(move |stage: usize| {
                                    let mut next = (*stage_choices).clone();
                                    next.insert(key, stage);
                                    stage_choices.set(next);
                                })
                            };
                            pipeline_strip(pipeline, stage_choices.get(&key).copied(), choose)
                        }) }
                        { for statement.sql.iter().map(|sql| html! {
                            <div class="sql" data-testid="sql" title="The same operation in a relational database"><span class="arrow">{ "in SQL: " }</span><code>{ sql }</code></div>
                        }) }
                        { for statement.console.iter().map(|line| html! { <pre class="console">{ line }</pre> }) }
                        if let Some(result) = &statement.result {
                            <pre class="result" data-testid="result">{ result }</pre>
                        }
                        if let Some(error) = &statement.error {
                            <div class="error" data-testid="error" role="alert">
                                <div class="error-message">
                                    <strong>{ format!("{}: ", error.name) }</strong>{ &error.message }
                                    <span class="where">{ match &error.stage {
                                        Some(stage) => format!(" (in {stage}, line {}, column {})", error.line, error.column),
                                        None => format!(" (line {}, column {})", error.line, error.column),
                                    } }</span>
                                </div>
                                if let Some(hint) = &error.hint { <div class="hint">{ hint }</div> }
                                if let Some(lesson) = error.lesson {
                                    <a class="lesson-link" href={format!("#lesson-{lesson}")}>{ "Which lesson explains this →" }</a>
                                }
                            </div>
                        }
                        if !statement.references.is_empty() {
                            <div class="references" data-testid="references">
                                <div class="references-title">{ "References" }</div>
                                { for statement.references.iter().map(|reference| match &reference.document {
                                    Some(doc) => html! {
                                        <details class="reference-link">
                                            <summary>{ format!("{} → {} ", reference.path, reference.target) }<code>{ format!("ObjectId('{}')", reference.id) }</code></summary>
                                            <pre class="doc">{ format_document(doc) }</pre>
                                        </details>
                                    },
                                    None => html! {
                                        <div class="reference-link dangling" data-testid="dangling">
                                            { format!("{} → {} ", reference.path, reference.target) }<code>{ format!("ObjectId('{}')", reference.id) }</code>
                                            <span class="badge danger">{ "dangling: no such document" }</span>
                                        </div>
                                    },
                                }) }
                            </div>
                        }
                        { for statement.notes.iter().map(|note| html! { <div class="note">{ note }</div> }) }
                        { for statement.diffs.iter().map(|diff| html! { <DiffView diff={diff.clone()} /> }) }
                        { for statement.collections_after.iter().map(|collection| html! {
                            <details class="collection-after">
                                <summary>{ format!("{} after the call: {} document(s)", collection.namespace, collection.total) }</summary>
                                { for collection.documents.iter().map(|doc| html! { <pre class="doc">{ format_document(doc) }</pre> }) }
                                if collection.total > collection.documents.len() {
                                    <p class="more">{ format!("… and {} more", collection.total - collection.documents.len()) }</p>
                                }
                            </details>
                        }) }
                    </article>
                }
            }) }
        </section>
    }
}
