//! What each pane shows for a Run, computed without the browser: per statement the call that reached the database,
//! the result as the library prints it, the error in the library's words with a plain-language line, Mongoose's
//! write trace, the diff of every touched collection and that collection after the call. Also the sidebar's tree.

use super::diff::{diff, CollectionDiff};
use super::{Playground, RunOutcome, Side};
use crate::engine::error::ErrorCode;
use crate::js::mongosh_format::format_value;
use crate::runtime::calls::{Call, DriverCall};
use crate::runtime::error::{ErrorSource, RuntimeError};
use crate::runtime::StatementReport;
use crate::schema::trace::TraceStep;
use crate::shell::span::Location;
use bson::Document;

/// How many documents of a touched collection a pane lists before "… and N more".
pub const COLLECTION_PREVIEW: usize = 20;

/// A result as the pane prints it: mongosh's batch of [`BATCH_SIZE`] documents, then `Type "it" for more` when the
/// result goes on, so a `find()` over 100,000 documents never freezes the page.
pub fn result_text(report: &StatementReport) -> Option<String> {
    let value = report.printed_value()?;
    let text = format_value(&value);
    Some(if report.more { format!("{text}\nType \"it\" for more") } else { text })
}

#[derive(Debug, Clone, PartialEq)]
pub struct ErrorView {
    pub name: String,
    pub message: String,
    pub hint: Option<String>,
    pub line: usize,
    pub column: usize,
    /// The byte range in the Run's text the error points at (the editor underlines it).
    pub start: usize,
    pub end: usize,
    /// For an aggregation that failed in one stage: `stage 2 of 3 ($group)`.
    pub stage: Option<String>,
    /// The lesson that explains this kind of error, by lesson id.
    pub lesson: Option<&'static str>,
}

/// One trace step as the strip shows it: which stage of Mongoose's pipeline, and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceView {
    /// `cast`, `strict`, `defaults`, `setters`, `validate`, `save`.
    pub stage: &'static str,
    pub text: String,
    /// The step changed or rejected something (the UI highlights it).
    pub notable: bool,
    pub failed: bool,
}

/// An ObjectId reference in a result, resolved against the referenced model's collection: a link to the document,
/// or marked dangling when no document has that id.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceView {
    /// Where the id sits: `purchasedCourses.0`, `author`.
    pub path: String,
    pub id: String,
    /// `test.courses`.
    pub target: String,
    pub document: Option<Document>,
}

/// How many references a pane resolves per statement.
const MAX_REFERENCES: usize = 40;

#[derive(Debug, Clone, PartialEq)]
pub struct CollectionView {
    pub namespace: String,
    pub documents: Vec<Document>,
    pub total: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatementView {
    pub text: String,
    /// When the statement was written for the other world: the calls this world ran instead.
    pub ran_instead: Vec<Call>,
    /// The calls that reached the database, as sent.
    pub sent: Vec<DriverCall>,
    /// The one-line SQL equivalent of each driver call that has one.
    pub sql: Vec<String>,
    pub console: Vec<String>,
    /// The value as mongosh / Node prints it.
    pub result: Option<String>,
    pub error: Option<ErrorView>,
    pub notes: Vec<String>,
    pub trace: Vec<TraceView>,
    pub diffs: Vec<CollectionDiff>,
    pub collections_after: Vec<CollectionView>,
    /// ObjectId references in the result that point at other models' documents.
    pub references: Vec<ReferenceView>,
    /// Each request `fetch` sent, as its lane: browser → Express → database → response.
    pub requests: Vec<RequestView>,
    /// Each aggregation's stage strip.
    pub pipelines: Vec<PipelineView>,
}

/// An aggregation's stages as the strip under the call shows them, as Compass does: each stage's name, how many
/// documents came out of it and the first of them; a failed stage and the ones after it that never ran.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineView {
    pub stages: Vec<StageView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageView {
    /// `$match`, as written.
    pub name: String,
    /// Documents out of the stage; `None` when it did not run.
    pub count: Option<usize>,
    /// Its first documents, as mongosh prints them.
    pub documents: Vec<String>,
    pub failed: bool,
}

impl StageView {
    /// `3 documents`, `1 document`, `failed`, `not run`.
    pub fn summary(&self) -> String {
        match (self.count, self.failed) {
            (_, true) => "failed".to_string(),
            (Some(1), _) => "1 document".to_string(),
            (Some(count), _) => format!("{count} documents"),
            (None, _) => "not run".to_string(),
        }
    }
}

/// The strip of an aggregation call: previews of the stages that ran, then the failed stage and those after it.
fn pipeline_view(call: &crate::runtime::report::CallReport) -> Option<PipelineView> {
    let run = call.pipeline.as_ref()?;
    let written: Vec<String> = call
        .sent
        .last()
        .and_then(|sent| sent.args.first())
        .and_then(bson::Bson::as_array)
        .map(|stages| {
            stages
                .iter()
                .map(|stage| stage.as_document().and_then(|d| d.keys().next().cloned()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    let mut stages: Vec<StageView> = run
        .stages
        .iter()
        .map(|preview| StageView {
            name: preview.name.to_string(),
            count: Some(preview.count),
            documents: preview.documents.iter().map(crate::js::mongosh_format::format_document).collect(),
            failed: false,
        })
        .collect();
    if let Some(failed) = run.failed_stage {
        // A result too large for the cursor fails after the last stage produced it.
        if let Some(stage) = stages.get_mut(failed) {
            stage.failed = true;
        }
        for (index, name) in written.iter().enumerate().skip(stages.len()) {
            stages.push(StageView { name: name.clone(), count: None, documents: Vec::new(), failed: index == failed });
        }
    }
    (!stages.is_empty()).then_some(PipelineView { stages })
}

/// One request's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestView {
    pub method: String,
    pub path: String,
    pub headers: Vec<String>,
    pub body: Option<String>,
    /// `(middleware or handler, what it did)`, in the order they ran.
    pub steps: Vec<(String, String)>,
    /// The database calls the handlers made, as sent.
    pub database: Vec<String>,
    /// `401 Unauthorized`, or `no response`.
    pub status: String,
    pub response: String,
    /// A 4xx/5xx answer or none at all.
    pub failed: bool,
}

/// Which lesson explains an error, so the pane can link to it: by the error's kind and code, never its text.
pub fn lesson_for_error(error: &RuntimeError) -> Option<&'static str> {
    match &error.source {
        ErrorSource::Server(e) | ErrorSource::BulkWrite(e) if e.code == ErrorCode::DuplicateKey => {
            Some("05-schemaless-vs-strict")
        }
        ErrorSource::Server(_) | ErrorSource::RemovedModelMethod => Some("04-crud"),
        ErrorSource::Script { name: "MongoInvalidArgumentError" } => Some("04-crud"),
        ErrorSource::Mongoose { name, .. } => match name.as_str() {
            "ValidationError" | "StrictModeError" | "CastError" => Some("05-schemaless-vs-strict"),
            "MissingSchemaError" | "StrictPopulateError" => Some("06-relationships"),
            _ => None,
        },
        ErrorSource::Script { name: "MissingSchemaError" } => Some("06-relationships"),
        _ => None,
    }
}

fn trace_view(step: &TraceStep) -> TraceView {
    let (stage, notable, failed) = match step {
        TraceStep::Cast { changed, .. } => ("cast", *changed, false),
        TraceStep::CastFailed { .. } => ("cast", true, true),
        TraceStep::Dropped { .. } => ("strict", true, false),
        TraceStep::StrictThrow { .. } => ("strict", true, true),
        TraceStep::KeptUnknown { .. } => ("strict", true, false),
        TraceStep::DefaultApplied { .. } => ("defaults", true, false),
        TraceStep::Setter { before, after, .. } => ("setters", before != after, false),
        TraceStep::Validator { passed, .. } => ("validate", !passed, !passed),
        TraceStep::IdGenerated { .. } | TraceStep::VersionKey { .. } | TraceStep::Timestamp { .. } => {
            ("save", true, false)
        }
        TraceStep::WrappedInSet { .. } => ("cast", true, false),
        TraceStep::Hook { .. } => ("hooks", true, false),
        TraceStep::NotCast { .. } => ("cast", true, false),
        TraceStep::SubdocumentInFilter { .. } => ("cast", true, false),
        TraceStep::Alias { .. } | TraceStep::AliasNotTranslated { .. } => ("cast", true, false),
        TraceStep::VirtualSetter { .. } => ("setters", true, false),
    };
    TraceView { stage, text: step.describe(), notable, failed }
}

/// A request's lane from its report.
fn request_view(
    report: &crate::runtime::StatementReport,
    request: &crate::runtime::express::RequestReport,
) -> RequestView {
    use crate::runtime::express::{shown_body, status_text, NO_RESPONSE};
    let answered = request.note.as_deref() != Some(NO_RESPONSE);
    let database = report
        .calls
        .get(request.calls.clone())
        .unwrap_or_default()
        .iter()
        .flat_map(|call| call.sent.iter().map(|sent| sent.to_string()))
        .collect();
    RequestView {
        method: request.method.clone(),
        path: request.path.clone(),
        headers: request.headers.iter().map(|(name, value)| format!("{name}: {value}")).collect(),
        body: request.body.clone(),
        steps: request.steps.iter().map(|step| (step.name.clone(), step.outcome.clone())).collect(),
        database,
        status: if request.stopped.is_some() {
            "stopped".to_string()
        } else if answered {
            format!("{} {}", request.status, status_text(request.status)).trim_end().to_string()
        } else {
            "no response".to_string()
        },
        response: match &request.stopped {
            Some(why) => why.clone(),
            None if answered => shown_body(&request.response_body),
            None => request.note.clone().unwrap_or_default(),
        },
        failed: request.stopped.is_some() || !answered || request.status >= 400,
    }
}

/// The pane of one world for a Run.
pub fn pane(playground: &Playground, outcome: &RunOutcome, side: Side) -> Vec<StatementView> {
    let world = playground.world(side);
    outcome
        .statements
        .iter()
        .map(|pair| {
            let report = pair.report(side);
            let mut view = StatementView {
                text: pair.text.clone(),
                ran_instead: Vec::new(),
                sent: Vec::new(),
                sql: Vec::new(),
                console: report.console.clone(),
                result: None,
                error: None,
                notes: Vec::new(),
                trace: Vec::new(),
                diffs: Vec::new(),
                collections_after: Vec::new(),
                references: Vec::new(),
                requests: report.requests.iter().map(|request| request_view(report, request)).collect(),
                pipelines: report.calls.iter().filter_map(pipeline_view).collect(),
            };
            let mut namespaces: Vec<(String, String)> = Vec::new();
            for call in &report.calls {
                if call.translated_from.is_some() {
                    view.ran_instead.push(call.ran.clone());
                }
                view.sent.extend(call.sent.iter().cloned());
                view.notes.extend(call.note.iter().flat_map(|note| note.lines().map(str::to_string)));
                if let Some(trace) = &call.trace {
                    view.trace.extend(trace.iter().map(trace_view));
                }
                if !call.namespace.1.is_empty() && !namespaces.contains(&call.namespace) {
                    namespaces.push(call.namespace.clone());
                }
            }
            view.sql = view.sent.iter().filter_map(super::sql::sql_for).collect();
            view.diffs = diff(&report.changes());
            for diff in &view.diffs {
                let namespace = (diff.database.clone(), diff.collection.clone());
                if !namespaces.contains(&namespace) {
                    namespaces.push(namespace);
                }
            }
            for (database, collection) in namespaces {
                let touched = view.diffs.iter().any(|d| d.database == database && d.collection == collection);
                if !touched {
                    continue;
                }
                let coll = world.cluster.database(&database).and_then(|db| db.collection(&collection));
                view.collections_after.push(CollectionView {
                    namespace: format!("{database}.{collection}"),
                    documents: coll
                        .map(|c| c.documents().take(COLLECTION_PREVIEW).cloned().collect())
                        .unwrap_or_default(),
                    total: coll.map_or(0, |c| c.len()),
                });
            }
            if let Some(error) = &report.error {
                let at = Location::new(&outcome.source, error.span);
                // The failed call is the last one; its strip is the last of the statement's strips.
                let stage = report.calls.last().and_then(|call| {
                    let run = call.pipeline.as_ref()?;
                    let failed = run.failed_stage?;
                    let name = &view.pipelines.last()?.stages.get(failed)?.name;
                    Some(format!("stage {} of {} ({name})", failed + 1, run.length))
                });
                view.error = Some(ErrorView {
                    name: error.name().to_string(),
                    message: error.message.clone(),
                    hint: error.hint.clone(),
                    line: at.line,
                    column: at.column,
                    start: error.span.start,
                    end: error.span.end,
                    // A stage's error is the aggregation lesson's subject, whatever its kind.
                    lesson: if stage.is_some() { Some("09-the-database-computes") } else { lesson_for_error(error) },
                    stage,
                });
            } else if let Some(text) = &report.printed {
                view.result = Some(text.clone());
            } else if let Some(value) = &report.value {
                view.result = result_text(report);
                if let Some(namespace) = report.calls.last().map(|call| call.namespace.clone()) {
                    view.references = references(playground, side, &namespace, value);
                }
            }
            view
        })
        .collect()
}

/// The reference paths of the model stored in `namespace`'s collection: `(path, is array, referenced model)`.
fn reference_paths(playground: &Playground, collection: &str) -> Vec<(String, bool, String)> {
    let world = playground.world(Side::Mongoose);
    let Some(entry) = world.models.values().find(|entry| entry.collection == collection) else {
        return Vec::new();
    };
    entry
        .model
        .schema
        .paths()
        .into_iter()
        .filter_map(|(path, def)| match &def.field_type {
            crate::schema::FieldType::Array(element) => element.reference.clone().map(|r| (path, true, r)),
            _ => def.reference.clone().map(|r| (path, false, r)),
        })
        .collect()
}

fn references(
    playground: &Playground,
    side: Side,
    namespace: &(String, String),
    value: &bson::Bson,
) -> Vec<ReferenceView> {
    let paths = reference_paths(playground, &namespace.1);
    if paths.is_empty() {
        return Vec::new();
    }
    let documents: Vec<&Document> = match value {
        bson::Bson::Document(doc) => vec![doc],
        bson::Bson::Array(items) => items.iter().filter_map(|item| item.as_document()).collect(),
        _ => Vec::new(),
    };
    let models = &playground.world(Side::Mongoose).models;
    let cluster = &playground.world(side).cluster;
    let mut out = Vec::new();
    for doc in documents {
        for (path, is_array, model) in &paths {
            let Some(target) = models.get(model).map(|entry| entry.collection.clone()) else { continue };
            let parts: Vec<String> = path.split('.').map(str::to_string).collect();
            let ids: Vec<(String, bson::oid::ObjectId)> = match crate::engine::path::get_single(doc, &parts) {
                Some(bson::Bson::ObjectId(id)) if !is_array => vec![(path.clone(), *id)],
                Some(bson::Bson::Array(items)) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| item.as_object_id().map(|id| (format!("{path}.{i}"), id)))
                    .collect(),
                _ => Vec::new(),
            };
            for (at, id) in ids {
                if out.len() >= MAX_REFERENCES {
                    return out;
                }
                let document = cluster
                    .database(&namespace.0)
                    .and_then(|db| db.collection(&target))
                    // Through the `_id_` index: a scan would decode every document of a collection loaded from
                    // storage to find one.
                    .and_then(|coll| {
                        let by_id = bson::doc! { "_id": id };
                        coll.find_one(&by_id, &crate::engine::collection::FindOptions::default()).ok().flatten()
                    });
                out.push(ReferenceView {
                    path: at,
                    id: id.to_hex(),
                    target: format!("{}.{target}", namespace.0),
                    document,
                });
            }
        }
    }
    out
}

/// One database in the sidebar tree.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseNode {
    pub name: String,
    /// `(collection, raw count, mongoose count)`: the same collection in both worlds.
    pub collections: Vec<(String, Option<usize>, Option<usize>)>,
}

/// A model and its schema, for the sidebar.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelNode {
    pub name: String,
    pub collection: String,
    /// `(path, type, notes like "required", "unique", "ref Course")`.
    pub fields: Vec<(String, String, Vec<String>)>,
}

/// The cluster › database › collection tree of both worlds, and the models.
pub fn tree(playground: &Playground) -> (Vec<DatabaseNode>, Vec<ModelNode>) {
    let mut databases: Vec<DatabaseNode> = Vec::new();
    for side in Side::BOTH {
        for db in playground.world(side).cluster.databases() {
            let position = databases.iter().position(|node| node.name == db.name);
            let index = match position {
                Some(index) => index,
                None => {
                    databases.push(DatabaseNode { name: db.name.clone(), collections: Vec::new() });
                    databases.len() - 1
                }
            };
            let node = &mut databases[index];
            for coll in db.collections() {
                let slot = match node.collections.iter().position(|(name, _, _)| name == coll.name()) {
                    Some(slot) => slot,
                    None => {
                        node.collections.push((coll.name().to_string(), None, None));
                        node.collections.len() - 1
                    }
                };
                let entry = &mut node.collections[slot];
                match side {
                    Side::Raw => entry.1 = Some(coll.len()),
                    Side::Mongoose => entry.2 = Some(coll.len()),
                }
            }
        }
    }
    for node in &mut databases {
        node.collections.sort_by(|a, b| a.0.cmp(&b.0));
    }
    databases.sort_by(|a, b| a.name.cmp(&b.name));
    let models = playground
        .world(Side::Mongoose)
        .models
        .values()
        .map(|entry| ModelNode {
            name: entry.name.clone(),
            collection: entry.collection.clone(),
            fields: entry
                .model
                .schema
                .paths()
                .into_iter()
                .map(|(path, def)| {
                    let mut notes = Vec::new();
                    let conditional = def.validators.iter().any(|validator| {
                        matches!(validator, crate::schema::Validator::Required { condition: Some(_), .. })
                    });
                    if conditional {
                        notes.push("required (when its function says so)".to_string());
                    } else if def.is_required() {
                        notes.push("required".to_string());
                    }
                    if def.unique {
                        notes.push("unique".to_string());
                    }
                    if def.sparse {
                        notes.push("sparse".to_string());
                    }
                    if let Some(seconds) = &def.expire_after_seconds {
                        notes.push(format!("expires after {}s", crate::js::inspect::inspect(seconds)));
                    }
                    if let Some(reference) = &def.reference {
                        notes.push(format!("ref {reference}"));
                    }
                    if let crate::schema::FieldType::Array(element) = &def.field_type {
                        if let Some(reference) = &element.reference {
                            notes.push(format!("ref {reference}"));
                        }
                    }
                    if def.default.is_some() {
                        notes.push("default".to_string());
                    }
                    if def.select == Some(false) {
                        notes.push("select: false".to_string());
                    }
                    let kind = match &def.field_type {
                        crate::schema::FieldType::Array(element) => format!("[{}]", element.instance()),
                        crate::schema::FieldType::DocumentArray(_) => "[subdocument]".to_string(),
                        crate::schema::FieldType::Subdocument(_) => "subdocument".to_string(),
                        crate::schema::FieldType::Scalar(t) => t.name().to_string(),
                    };
                    (path, kind, notes)
                })
                .collect(),
        })
        .collect();
    (databases, models)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_results_print_a_batch_of_twenty_and_it_shows_the_next() {
        let mut playground = Playground::new(true);
        let docs: Vec<String> = (0..45).map(|i| format!("{{ i: {i} }}")).collect();
        playground.run(&format!("db.items.insertMany([{}])", docs.join(", "))).unwrap();
        let printed = |playground: &mut Playground, text: &str| {
            let outcome = playground.run(text).unwrap();
            let report = &outcome.statements[0].raw;
            (result_text(report).or_else(|| report.printed.clone()).unwrap_or_default(), report.value.clone())
        };
        let (first, value) = printed(&mut playground, "db.items.find({}, { _id: 0 })");
        assert!(first.contains("{ i: 19 }") && !first.contains("{ i: 20 }"), "{first}");
        assert!(first.ends_with("Type \"it\" for more"), "{first}");
        // The report keeps the printed batch; the whole result is the cursor's (what a lesson check reads).
        assert!(matches!(&value, Some(bson::Bson::Array(items)) if items.len() == 20), "{value:?}");
        assert_eq!(playground.world(Side::Raw).unprinted_whole_result().map(<[_]>::len), Some(45));
        let (second, _) = printed(&mut playground, "it");
        assert!(second.starts_with("[\n  { i: 20 }") && second.contains("{ i: 39 }"), "{second}");
        assert_eq!(playground.world(Side::Raw).unprinted_whole_result(), None, "the cursor moved on");
        assert!(second.ends_with("Type \"it\" for more"), "{second}");
        let (third, _) = printed(&mut playground, "it");
        assert!(third.contains("{ i: 44 }") && !third.contains("Type \"it\""), "{third}");
        assert_eq!(printed(&mut playground, "it").0, "no cursor");
        assert_eq!(printed(&mut playground, "db.items.countDocuments()").0, "45");
        let (short, _) = printed(&mut playground, "db.items.find({ i: { $lt: 3 } }, { _id: 0 })");
        assert_eq!(short, "[ { i: 0 }, { i: 1 }, { i: 2 } ]");
    }

    #[test]
    fn an_aggregation_shows_a_strip_of_stages_and_a_failed_stage_is_named_and_pointed_at() {
        let mut playground = Playground::new(true);
        playground
            .run(r#"db.posts.insertMany([{ author: "ada", likes: 3 }, { author: "bob", likes: 1 }, { author: "ada", likes: 5 }])"#)
            .unwrap();
        let outcome = playground
            .run(r#"db.posts.aggregate([{ $match: { likes: { $gt: 1 } } }, { $group: { _id: "$author", likes: { $sum: "$likes" } } }])"#)
            .unwrap();
        let statements = pane(&playground, &outcome, Side::Raw);
        let [strip] = statements[0].pipelines.as_slice() else { panic!("{:?}", statements[0].pipelines) };
        let summary: Vec<(String, String)> = strip.stages.iter().map(|s| (s.name.clone(), s.summary())).collect();
        assert_eq!(
            summary,
            vec![("$match".to_string(), "2 documents".to_string()), ("$group".to_string(), "1 document".to_string())]
        );
        assert_eq!(strip.stages[1].documents, vec!["{ _id: 'ada', likes: 8 }".to_string()]);
        // Mirrored: the Mongoose pane has its own strip for the same pipeline.
        assert_eq!(pane(&playground, &outcome, Side::Mongoose)[0].pipelines.len(), 1);

        let text = r#"db.posts.aggregate([{ $match: {} }, { $group: { likes: { $sum: 1 } } }, { $limit: 1 }])"#;
        let outcome = playground.run(text).unwrap();
        let statements = pane(&playground, &outcome, Side::Raw);
        let error = statements[0].error.as_ref().unwrap();
        assert_eq!(error.stage.as_deref(), Some("stage 2 of 3 ($group)"));
        let lesson = error.lesson.unwrap();
        assert!(crate::lessons::bundled().0.iter().any(|l| l.id == lesson), "{lesson} is a bundled lesson");
        assert_eq!(&text[error.start..error.end], "{ $group: { likes: { $sum: 1 } } }", "{error:?}");
        let stages: Vec<String> = statements[0].pipelines[0].stages.iter().map(StageView::summary).collect();
        // The pipeline is compiled before it runs: no stage ran, the $group is the one that failed.
        assert_eq!(stages, ["not run", "failed", "not run"]);

        // A stage that fails while running: the stages before it keep their previews.
        let text = r#"db.posts.aggregate({ $match: {} }, { $project: { n: { $toInt: "$author" } } })"#;
        let outcome = playground.run(text).unwrap();
        let statements = pane(&playground, &outcome, Side::Raw);
        let error = statements[0].error.as_ref().unwrap();
        assert_eq!(error.stage.as_deref(), Some("stage 2 of 2 ($project)"));
        assert_eq!(&text[error.start..error.end], r#"{ $project: { n: { $toInt: "$author" } } }"#);
        let stages: Vec<String> = statements[0].pipelines[0].stages.iter().map(StageView::summary).collect();
        assert_eq!(stages, ["3 documents", "failed"]);
    }

    #[test]
    fn a_handler_stopped_by_the_step_budget_is_drawn_as_a_failed_lane_and_its_writes_are_undone() {
        let mut playground = Playground::new(true);
        let program = r#"const express = require("express")
const app = express()
app.get("/spin", async (req, res) => {
  await db.visits.insertOne({ at: 1 })
  while (true) {}
})
app.listen(3000)
await fetch("/spin")"#;
        let outcome = playground.run(program).unwrap();
        for side in [Side::Raw, Side::Mongoose] {
            let statements = pane(&playground, &outcome, side);
            let last = statements.last().unwrap();
            assert_eq!(last.error.as_ref().map(|e| e.name.as_str()), Some("StepLimitError"), "{side:?}");
            let [lane] = last.requests.as_slice() else { panic!("{side:?}: one lane, got {:?}", last.requests) };
            assert!(lane.failed, "{lane:?}");
            assert_eq!(lane.status, "stopped");
            assert!(lane.response.contains("writes were undone"), "{}", lane.response);
            assert_eq!(
                lane.steps,
                vec![(
                    "GET /spin".to_string(),
                    "stopped: it ran past the step budget (a loop that never ends?)".to_string()
                )]
            );
        }
        let count = playground.run("db.visits.countDocuments()").unwrap();
        assert_eq!(count.statements[0].raw.value, Some(bson::Bson::Int32(0)), "the insert before the loop is undone");
    }

    #[test]
    fn a_pipeline_gets_its_sql_whether_its_stages_come_as_an_array_one_by_one_or_from_the_builder() {
        let mut playground = Playground::new(true);
        playground
            .run(
                r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ name: String, city: String }))"#,
            )
            .unwrap();
        let expected =
            vec!["SELECT city AS _id, COUNT(*) AS n FROM users WHERE (city <> 'x' OR city IS NULL) GROUP BY city;"
                .to_string()];
        for text in [
            r#"db.users.aggregate([{ $match: { city: { $ne: "x" } } }, { $group: { _id: "$city", n: { $sum: 1 } } }])"#,
            r#"db.users.aggregate({ $match: { city: { $ne: "x" } } }, { $group: { _id: "$city", n: { $sum: 1 } } })"#,
            r#"User.aggregate([{ $match: { city: { $ne: "x" } } }, { $group: { _id: "$city", n: { $sum: 1 } } }])"#,
            r#"User.aggregate().match({ city: { $ne: "x" } }).group({ _id: "$city", n: { $sum: 1 } })"#,
        ] {
            let outcome = playground.run(text).unwrap();
            for side in [Side::Raw, Side::Mongoose] {
                assert_eq!(pane(&playground, &outcome, side)[0].sql, expected, "{text} ({side:?})");
            }
        }
    }

    #[test]
    fn panes_show_calls_results_errors_traces_and_diffs() {
        let mut playground = Playground::new(true);
        playground
            .run(
                r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: { type: String, required: true }, age: Number }))"#,
            )
            .unwrap();
        let outcome = playground.run(r#"User.create({ username: "ada", age: "42", hacker: true })"#).unwrap();
        let raw = pane(&playground, &outcome, Side::Raw);
        let mongoose = pane(&playground, &outcome, Side::Mongoose);
        assert_eq!(raw[0].sent.len(), 1);
        assert!(raw[0].sent[0].to_string().contains("age: '42'"));
        assert!(mongoose[0].sent[0].to_string().contains("age: 42"));
        assert!(mongoose[0].trace.iter().any(|t| t.stage == "strict" && t.text.contains("hacker")));
        assert!(mongoose[0].trace.iter().any(|t| t.stage == "cast" && t.notable));
        assert_eq!(mongoose[0].collections_after[0].namespace, "test.users");
        assert_eq!(mongoose[0].collections_after[0].total, 1);
        assert_eq!(mongoose[0].diffs[0].documents.len(), 1);

        let outcome = playground.run(r#"User.create({ age: 1 })"#).unwrap();
        let mongoose = pane(&playground, &outcome, Side::Mongoose);
        let error = mongoose[0].error.as_ref().unwrap();
        assert_eq!(error.name, "ValidationError");
        assert_eq!((error.line, error.column), (1, 1));
        assert_eq!(error.lesson, Some("05-schemaless-vs-strict"));
        assert!(mongoose[0].trace.iter().any(|t| t.failed));

        let outcome = playground
            .run(r#"const Course = mongoose.model("Course", new mongoose.Schema({ title: String }))
const Buyer = mongoose.model("Buyer", new mongoose.Schema({ courses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }] }))
const c = await Course.create({ title: "DB" })
await Buyer.create({ courses: [c._id, "659200800000000001000abc"] })
Buyer.findOne()"#)
            .unwrap();
        let last = pane(&playground, &outcome, Side::Mongoose).pop().unwrap();
        assert_eq!(last.references.len(), 2);
        assert_eq!(last.references[0].path, "courses.0");
        assert_eq!(last.references[0].target, "test.courses");
        assert!(last.references[0].document.is_some());
        assert!(last.references[1].document.is_none(), "dangling");

        let (databases, models) = tree(&playground);
        assert!(databases[0].collections.contains(&("users".to_string(), Some(2), Some(1))));
        let user = models.iter().find(|m| m.name == "User").unwrap();
        assert_eq!(user.fields[0], ("username".to_string(), "String".to_string(), vec!["required".to_string()]));
    }

    #[test]
    fn the_sidebar_names_sparse_and_ttl_paths() {
        let mut playground = Playground::new(true);
        playground
            .run(
                r#"const mongoose = require("mongoose")
mongoose.model("Session", new mongoose.Schema({ email: { type: String, unique: true, sparse: true }, at: { type: Date, expires: "1h" } }))"#,
            )
            .unwrap();
        let (_, models) = tree(&playground);
        let fields = &models[0].fields;
        assert_eq!(fields[0].2, vec!["unique".to_string(), "sparse".to_string()]);
        assert_eq!(fields[1].2, vec!["expires after 3600s".to_string()]);
    }
}
