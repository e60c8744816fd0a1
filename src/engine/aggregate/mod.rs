//! The aggregation pipeline: a pipeline (`[{$match: ...}, {$group: ...}]`) is compiled once into typed stages,
//! rejecting what the server rejects with its messages, then run over a collection's documents, with the other
//! collections of the database at hand for `$lookup`. `$out` and `$merge` do not write: the run hands back a
//! [`PendingWrite`] that the database applies through its normal write path (see `output.rs`), so every write has its
//! `Change`s for storage and undo. One file per stage family; the [`STAGES`] table drives compilation and gives the
//! names and summaries the reference and completion show.

mod accumulator;
mod explain;
mod facet;
mod group;
mod lookup;
mod match_stage;
mod memory;
mod output;
mod project;
mod replace_root;
mod sort;
mod unwind;

pub use output::{MergeSpec, PendingWrite, WriteKind, WriteSummary};

use crate::engine::collection::Collection;
use crate::engine::database::Database;
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::{Budget, Environment};
use bson::{Bson, Document};
use std::borrow::Cow;

/// The documents flowing between stages: a collection's stored documents are borrowed until a stage changes them
/// (a `$group` or `$match` over a collection copies nothing), the ones a stage builds are owned. A borrowed
/// document is always a stored one (see [`size_of`]).
pub(crate) type Docs<'d> = Vec<Cow<'d, Document>>;

/// The BSON size of a document between stages: a borrowed one is stored, so its field names need no check.
#[allow(clippy::ptr_arg, reason = "whether the document is borrowed is what decides")]
pub(crate) fn size_of(document: &Cow<'_, Document>) -> usize {
    match document {
        Cow::Borrowed(stored) => crate::engine::limits::stored_bson_size(stored),
        Cow::Owned(built) => crate::engine::limits::bson_size(built),
    }
}

/// MongoDB's longest pipeline (`internalPipelineLengthLimit`).
const MAX_PIPELINE_STAGES: usize = 1000;

/// How deeply `$lookup` and `$facet` pipelines may nest inside each other (MongoDB's sub-pipeline limit).
const MAX_SUB_PIPELINE_DEPTH: usize = 20;

/// How deeply the documents between stages may nest (stored ones may nest 100 levels; stages may add more).
const MAX_DOCUMENT_DEPTH: usize = 200;

/// How many documents a stage preview keeps (Compass shows 10 sample documents per stage).
pub const DEFAULT_PREVIEW_DOCUMENTS: usize = 10;

/// The memory a blocking stage (`$group`, `$sort`, `$facet`) may hold: MongoDB's 100 MB.
pub const DEFAULT_STAGE_MEMORY_BYTES: usize = 100 * 1024 * 1024;

/// Options of `aggregate`.
#[derive(Debug, Clone)]
pub struct AggregateOptions {
    /// How many documents each [`StagePreview`] keeps.
    pub preview_documents: usize,
    /// `$$NOW` for the whole pipeline (the clock's when not given).
    pub now: Option<bson::DateTime>,
    /// The memory each blocking stage may hold, measured by BSON size. crudlab has no disk to spill to, so unlike
    /// `allowDiskUse: true` on a server this limit always holds.
    pub stage_memory_bytes: usize,
    /// The work the whole aggregation may do (see [`Budget`]).
    pub budget_steps: u64,
}

impl Default for AggregateOptions {
    fn default() -> Self {
        AggregateOptions {
            preview_documents: DEFAULT_PREVIEW_DOCUMENTS,
            now: None,
            stage_memory_bytes: DEFAULT_STAGE_MEMORY_BYTES,
            budget_steps: crate::engine::expr::DEFAULT_BUDGET_STEPS,
        }
    }
}

/// What flowed out of one top-level stage: the UI shows "a preview after every stage", as Compass does.
#[derive(Debug, Clone, PartialEq)]
pub struct StagePreview {
    /// The stage's position in the pipeline, from 0.
    pub index: usize,
    /// The stage's name as written (`$set`, not `$addFields`).
    pub name: &'static str,
    /// How many documents came out of the stage. For `$out` / `$merge`: how many it writes.
    pub count: usize,
    /// The first [`AggregateOptions::preview_documents`] of them.
    pub documents: Vec<Document>,
}

/// What an aggregation returns.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateOutcome {
    /// The result documents, as the cursor returns them (none after `$out` / `$merge`).
    pub documents: Vec<Document>,
    /// One preview per top-level stage, in order.
    pub stages: Vec<StagePreview>,
    /// The write a final `$out` / `$merge` asks for (see [`Database::apply_aggregate_write`]).
    pub write: Option<PendingWrite>,
    /// What that write did, once applied ([`Database::aggregate_and_write`] applies it).
    pub written: Option<WriteSummary>,
}

/// A failed aggregation: the server's error, and which top-level stage raised it (when one did).
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateError {
    pub stage: Option<usize>,
    pub error: MongoError,
    /// The previews of the stages that ran before the failing one (what the strip still shows).
    pub ran: Vec<StagePreview>,
}

impl AggregateError {
    fn at(stage: usize) -> impl FnOnce(MongoError) -> AggregateError {
        move |error| AggregateError { stage: Some(stage), error, ran: Vec::new() }
    }

    /// A failure while the pipeline runs (not while it is compiled), worded as the server words it.
    fn running(stage: usize) -> impl FnOnce(MongoError) -> AggregateError {
        move |error| AggregateError {
            stage: Some(stage),
            ran: Vec::new(),
            error: MongoError {
                message: format!("PlanExecutor error during aggregation :: caused by :: {}", error.message),
                ..error
            },
        }
    }
}

impl From<MongoError> for AggregateError {
    fn from(error: MongoError) -> Self {
        AggregateError { stage: None, error, ran: Vec::new() }
    }
}

impl From<AggregateError> for MongoError {
    fn from(failure: AggregateError) -> Self {
        failure.error
    }
}

impl std::fmt::Display for AggregateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.stage {
            Some(stage) => write!(f, "{} (stage {stage})", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for AggregateError {}

/// A compiled stage.
#[derive(Debug, Clone)]
pub(crate) enum Stage {
    Match(match_stage::Match),
    Project(project::Projection),
    Group(Box<group::Group>),
    Sort(sort::Sort),
    Skip(u64),
    Limit(u64),
    Unwind(unwind::Unwind),
    Lookup(Box<lookup::Lookup>),
    UnionWith(Box<lookup::UnionWith>),
    ReplaceRoot(replace_root::ReplaceRoot),
    Facet(facet::Facet),
    Out(output::Out),
    Merge(Box<output::Merge>),
}

/// Where a pipeline runs, which decides the stages it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The pipeline of `aggregate()` itself.
    TopLevel,
    /// A `$lookup` or `$unionWith` pipeline.
    Lookup,
    /// One of `$facet`'s pipelines.
    Facet,
    /// `$merge`'s `whenMatched` pipeline, which updates one document.
    MergeUpdate,
}

/// What compiling a (sub-)pipeline knows: the variables in scope, where it runs and how deeply it is nested.
pub(crate) struct Compiler {
    pub(crate) variables: Vec<String>,
    pub(crate) place: Place,
    depth: usize,
}

impl Compiler {
    fn new(place: Place) -> Compiler {
        Compiler { variables: Vec::new(), place, depth: 0 }
    }

    /// Compiles a nested pipeline (`$lookup`'s, `$facet`'s) with more variables in scope.
    pub(crate) fn sub_pipeline(
        &mut self,
        stages: &[Document],
        place: Place,
        variables: &[String],
    ) -> MongoResult<Pipeline> {
        if self.depth >= MAX_SUB_PIPELINE_DEPTH {
            return Err(MongoError::new(
                ErrorCode::Location(5484501),
                format!("Maximum number of nested sub-pipelines exceeded. Limit is {MAX_SUB_PIPELINE_DEPTH}"),
            ));
        }
        let mut inner = Compiler { variables: self.variables.clone(), place, depth: self.depth + 1 };
        inner.variables.extend(variables.iter().cloned());
        Pipeline::compile_with(stages, &mut inner).map_err(|failure| failure.error)
    }

    /// A new expression parser with this pipeline's variables in scope.
    pub(crate) fn parser(&self) -> crate::engine::expr::Parser {
        crate::engine::expr::Parser::new(&self.variables)
    }
}

/// One row of the stage table.
pub(crate) struct StageKind {
    pub(crate) name: &'static str,
    pub(crate) summary: &'static str,
    compile: fn(&'static str, &Bson, &mut Compiler) -> MongoResult<Stage>,
}

/// Every stage crudlab runs.
const STAGES: &[StageKind] = &[
    StageKind {
        name: "$match",
        summary: "Keeps the documents that match a query filter (with $expr for expressions).",
        compile: match_stage::compile,
    },
    StageKind {
        name: "$project",
        summary: "Reshapes each document: include (1) or exclude (0) fields, or compute new ones.",
        compile: project::compile_project,
    },
    StageKind {
        name: "$addFields",
        summary: "Adds or replaces fields computed from expressions, keeping the others.",
        compile: project::compile_add_fields,
    },
    StageKind { name: "$set", summary: "Alias of $addFields.", compile: project::compile_add_fields },
    StageKind {
        name: "$unset",
        summary: "Removes fields (a name or an array of names).",
        compile: project::compile_unset,
    },
    StageKind {
        name: "$group",
        summary: "One document per distinct _id, with accumulators ($sum, $avg, $push, ...) over each group.",
        compile: group::compile_group,
    },
    StageKind {
        name: "$count",
        summary: "One document holding the number of input documents under the given name.",
        compile: group::compile_count,
    },
    StageKind {
        name: "$sortByCount",
        summary: "Groups by an expression and counts, most frequent first.",
        compile: group::compile_sort_by_count,
    },
    StageKind {
        name: "$bucket",
        summary: "Groups documents into ranges of a value between boundaries.",
        compile: group::compile_bucket,
    },
    StageKind {
        name: "$sort",
        summary: "Orders the documents by fields (1 ascending, -1 descending).",
        compile: sort::compile_sort,
    },
    StageKind { name: "$skip", summary: "Drops the first n documents.", compile: sort::compile_skip },
    StageKind { name: "$limit", summary: "Keeps the first n documents.", compile: sort::compile_limit },
    StageKind { name: "$unwind", summary: "One document per element of an array field.", compile: unwind::compile },
    StageKind {
        name: "$lookup",
        summary:
            "Joins: adds the documents of another collection that match (localField/foreignField, or let + pipeline).",
        compile: lookup::compile_lookup,
    },
    StageKind {
        name: "$unionWith",
        summary: "Appends the documents of another collection (optionally through a pipeline).",
        compile: lookup::compile_union_with,
    },
    StageKind {
        name: "$replaceRoot",
        summary: "Replaces each document by a document it computes (newRoot).",
        compile: replace_root::compile_replace_root,
    },
    StageKind {
        name: "$replaceWith",
        summary: "Alias of $replaceRoot that takes the new root directly.",
        compile: replace_root::compile_replace_with,
    },
    StageKind {
        name: "$facet",
        summary: "Runs several pipelines over the same input; one document with each one's results.",
        compile: facet::compile,
    },
    StageKind {
        name: "$out",
        summary: "Writes the results into a collection, replacing its documents (last stage only).",
        compile: output::compile_out,
    },
    StageKind {
        name: "$merge",
        summary: "Merges the results into a collection: insert, replace, merge or keep per document (last stage only).",
        compile: output::compile_merge,
    },
];

/// Real MongoDB stages crudlab does not run: refused with an honest message rather than "Unrecognized".
const UNSUPPORTED_STAGES: &[&str] = &[
    "$bucketAuto",
    "$changeStream",
    "$collStats",
    "$currentOp",
    "$densify",
    "$documents",
    "$fill",
    "$geoNear",
    "$graphLookup",
    "$indexStats",
    "$listSessions",
    "$planCacheStats",
    "$redact",
    "$sample",
    "$search",
    "$searchMeta",
    "$setWindowFields",
    "$vectorSearch",
];

/// One stage as the reference and completion show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageDoc {
    pub name: &'static str,
    pub summary: &'static str,
}

/// Every stage crudlab runs, with one line on what it does.
pub fn stage_reference() -> impl Iterator<Item = StageDoc> {
    STAGES.iter().map(|kind| StageDoc { name: kind.name, summary: kind.summary })
}

/// The accumulators `$group` takes, with one line on what each does.
pub fn accumulator_reference() -> impl Iterator<Item = StageDoc> {
    accumulator::ACCUMULATORS.iter().map(|kind| StageDoc { name: kind.name, summary: kind.summary })
}

/// A compiled pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    stages: Vec<(&'static str, Stage)>,
}

/// What running a pipeline needs besides its input: the database (other collections for `$lookup`), the
/// environment its expressions see and the memory each blocking stage may hold.
pub(crate) struct Runner<'a> {
    pub(crate) database: &'a Database,
    pub(crate) environment: Environment<'a>,
    pub(crate) memory_limit: usize,
}

impl<'a> Runner<'a> {
    /// Takes steps from the run's budget.
    pub(crate) fn spend(&self, steps: u64) -> MongoResult<()> {
        match self.environment.budget {
            Some(budget) => budget.spend(steps),
            None => Ok(()),
        }
    }

    /// The documents of a collection of the database, in natural order (none for a collection that does not exist).
    pub(crate) fn collection(&self, name: &str) -> Option<&'a Collection> {
        self.database.collection(name)
    }
}

impl Pipeline {
    /// Compiles a top-level pipeline.
    pub fn compile(stages: &[Document]) -> Result<Pipeline, AggregateError> {
        Pipeline::compile_with(stages, &mut Compiler::new(Place::TopLevel))
    }

    fn compile_with(stages: &[Document], compiler: &mut Compiler) -> Result<Pipeline, AggregateError> {
        if stages.len() > MAX_PIPELINE_STAGES {
            return Err(MongoError::failed_to_parse(format!(
                "Pipeline length must be no longer than {MAX_PIPELINE_STAGES} stages"
            ))
            .into());
        }
        let mut compiled = Vec::with_capacity(stages.len());
        for (index, spec) in stages.iter().enumerate() {
            let (kind, argument) = stage_kind(spec).map_err(AggregateError::at(index))?;
            check_place(kind.name, compiler).map_err(AggregateError::at(index))?;
            let stage = (kind.compile)(kind.name, argument, compiler).map_err(AggregateError::at(index))?;
            let writes = matches!(stage, Stage::Out(_) | Stage::Merge(_));
            if writes && index + 1 != stages.len() {
                return Err(AggregateError::at(index)(MongoError::new(
                    ErrorCode::Location(40601),
                    format!("{} can only be the final stage in the pipeline", kind.name),
                )));
            }
            compiled.push((kind.name, stage));
        }
        // An `$unwind` right before a grouping stage hands it only the fields it reads (MongoDB's dependency
        // analysis does the same): the results are the same, without a copy of every document per element.
        for index in 1..compiled.len() {
            #[cfg(test)]
            if tests::ONE_STAGE_AT_A_TIME.get() {
                break;
            }
            let reads = match compiled.get(index) {
                Some((_, Stage::Group(group))) => group.reads_paths(),
                _ => None,
            };
            if let (Some(fields), Some((_, Stage::Unwind(unwind)))) = (reads, compiled.get_mut(index - 1)) {
                unwind.keep_only(fields);
            }
        }
        Ok(Pipeline { stages: compiled })
    }

    /// The stages' names, in order.
    pub fn stage_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.stages.iter().map(|(name, _)| *name)
    }

    /// Runs the stages over `documents` (a nested pipeline: it cannot write).
    pub(crate) fn run<'d>(&self, mut documents: Docs<'d>, runner: &Runner<'d>) -> MongoResult<Docs<'d>> {
        let mut index = 0;
        while let Some((name, stage)) = self.stages.get(index) {
            if let Some((grouped, _, _)) = self.fused(index, &documents, runner, 0) {
                documents = grouped.into_iter().map(Cow::Owned).collect();
                index += 2;
                continue;
            }
            let (out, _, _) = apply(name, stage, documents, runner, 0)?;
            documents = out;
            index += 1;
        }
        Ok(documents)
    }

    /// Runs an `$unwind` that hands on only what the grouping stage after it reads together with that stage (see
    /// `Unwind::apply_into_group`): the group's output, and the `$unwind`'s document count and full preview. `None`
    /// when the stages at `index` are not such a pair, or when the run together failed: the caller then runs them
    /// one after the other, which fails exactly as they do (the work spent meanwhile is given back).
    fn fused(
        &self,
        index: usize,
        documents: &Docs<'_>,
        runner: &Runner<'_>,
        preview: usize,
    ) -> Option<(Vec<Document>, usize, Option<Vec<Document>>)> {
        let (Some((_, Stage::Unwind(unwind))), Some((_, Stage::Group(group)))) =
            (self.stages.get(index), self.stages.get(index + 1))
        else {
            return None;
        };
        if !unwind.keeps_some_fields() {
            return None;
        }
        #[cfg(test)]
        if tests::ONE_STAGE_AT_A_TIME.get() {
            return None;
        }
        let left = runner.environment.budget.map(Budget::left);
        let attempt = runner
            .spend(documents.len() as u64)
            .and_then(|()| unwind.apply_into_group(documents, group, runner, preview))
            .ok()
            .filter(|(grouped, _, _)| {
                !grouped.iter().any(|document| crate::engine::limits::nests_deeper_than(document, MAX_DOCUMENT_DEPTH))
            });
        if attempt.is_none() {
            if let (Some(budget), Some(left)) = (runner.environment.budget, left) {
                budget.reset(left);
            }
        }
        attempt
    }

    /// Runs a top-level pipeline over `source`, keeping a preview after every stage. A leading `$match` is
    /// answered by the collection's planner, so an index on its field is used (IXSCAN), as in MongoDB.
    pub(crate) fn run_top_level<'d>(
        &self,
        source: Option<&'d Collection>,
        runner: &Runner<'d>,
        preview_documents: usize,
    ) -> Result<AggregateOutcome, AggregateError> {
        let mut previews = Vec::with_capacity(self.stages.len());
        let mut stages = self.stages.iter().enumerate().peekable();
        let mut documents: Docs<'d> = match (source, stages.peek()) {
            (Some(collection), Some((index, (name, Stage::Match(filter))))) => {
                let matched = filter.scan(collection, runner).map_err(AggregateError::running(*index))?;
                previews.push(preview(*index, name, &matched, preview_documents));
                stages.next();
                matched
            }
            // A leading `$group` reads its fields from the records' bytes.
            (Some(collection), Some((index, (name, Stage::Group(group))))) if group.reads_stored_bytes() => {
                let grouped = group
                    .apply_to_collection(collection, runner)
                    .and_then(|grouped| shallow_enough(name, grouped))
                    .map_err(AggregateError::running(*index))?;
                previews.push(preview(*index, name, &grouped, preview_documents));
                stages.next();
                grouped
            }
            (Some(collection), _) => {
                runner.spend(collection.len() as u64).map_err(AggregateError::running(0))?;
                collection.documents().map(Cow::Borrowed).collect()
            }
            (None, _) => Vec::new(),
        };
        let mut write = None;
        while let Some((index, (name, stage))) = stages.next() {
            if let Some((grouped, count, full)) = self.fused(index, &documents, runner, preview_documents) {
                previews.push(StagePreview { index, name, count, documents: full.unwrap_or_default() });
                let out: Docs<'d> = grouped.into_iter().map(Cow::Owned).collect();
                if let Some((index, (name, _))) = stages.next() {
                    previews.push(preview(index, name, &out, preview_documents));
                }
                documents = out;
                continue;
            }
            let (out, pending, full) = match apply(name, stage, documents, runner, preview_documents) {
                Ok(applied) => applied,
                // The stages that ran keep their previews: the strip shows them up to the failing one.
                Err(error) => return Err(AggregateError { ran: previews, ..AggregateError::running(index)(error) }),
            };
            match (pending, full) {
                (Some(pending), _) => {
                    previews.push(preview(index, name, pending.documents(), preview_documents));
                    write = Some(pending);
                }
                (None, Some(full)) => {
                    previews.push(StagePreview { index, name, count: out.len(), documents: full });
                }
                (None, None) => previews.push(preview(index, name, &out, preview_documents)),
            }
            documents = out;
        }
        for (position, document) in documents.iter().enumerate() {
            let size = size_of(document);
            if size > crate::engine::limits::MAX_DOCUMENT_BYTES {
                return Err(AggregateError {
                    stage: self.stages.len().checked_sub(1),
                    ran: previews,
                    error: MongoError::bson_object_too_large(format!(
                        "BSONObj size: {size} (0x{size:X}) is invalid. Size must be between 0 and 16793600(16MB) (result document {position})"
                    )),
                });
            }
        }
        let documents = documents.into_iter().map(Cow::into_owned).collect();
        Ok(AggregateOutcome { documents, stages: previews, write, written: None })
    }

    pub(crate) fn stages(&self) -> &[(&'static str, Stage)] {
        &self.stages
    }
}

/// The stage kind and argument of one stage document, with MongoDB's errors for a malformed one.
fn stage_kind(spec: &Document) -> MongoResult<(&'static StageKind, &Bson)> {
    let mut fields = spec.iter();
    let (Some((name, argument)), None) = (fields.next(), fields.next()) else {
        return Err(MongoError::new(
            ErrorCode::Location(40323),
            "A pipeline stage specification object must contain exactly one field.",
        ));
    };
    match STAGES.iter().find(|kind| kind.name == name) {
        Some(kind) => Ok((kind, argument)),
        None if UNSUPPORTED_STAGES.contains(&name.as_str()) => {
            Err(MongoError::bad_value(format!("{name} is a MongoDB stage that crudlab does not support")))
        }
        None => Err(MongoError::new(ErrorCode::Location(40324), format!("Unrecognized pipeline stage name: '{name}'"))
            .with_hint(
                "Stage names start with $ and are spelt as in the reference: $match, $group, $project, $sort, ...",
            )),
    }
}

/// Refuses a stage where it cannot run: `$facet` inside `$facet`, anything but reshaping in `$merge`'s update
/// pipeline (`$out` and `$merge` check their own places).
fn check_place(name: &str, compiler: &Compiler) -> MongoResult<()> {
    if compiler.place == Place::Facet && name == "$facet" {
        return Err(MongoError::new(
            ErrorCode::Location(40600),
            "$facet is not allowed to be used within a $facet stage",
        ));
    }
    output::check_update_stage(name, compiler)
}

/// Runs one stage: its output documents, for `$out` / `$merge` the write it asks for, and for an `$unwind` that
/// hands on only some fields the first `preview` output documents in full.
fn apply<'d>(
    name: &'static str,
    stage: &Stage,
    documents: Docs<'d>,
    runner: &Runner<'d>,
    preview: usize,
) -> MongoResult<(Docs<'d>, Option<PendingWrite>, Option<Vec<Document>>)> {
    runner.spend(documents.len() as u64)?;
    let out = match stage {
        Stage::Match(filter) => filter.apply(documents, runner)?,
        Stage::Project(projection) => projection.apply(name, documents, runner)?,
        Stage::Group(group) => group.apply(documents, runner)?,
        Stage::Sort(sort) => sort.apply(documents, runner)?,
        Stage::Skip(n) => documents.into_iter().skip(usize::try_from(*n).unwrap_or(usize::MAX)).collect(),
        Stage::Limit(n) => documents.into_iter().take(usize::try_from(*n).unwrap_or(usize::MAX)).collect(),
        Stage::Unwind(unwind) => {
            let (out, full) = unwind.apply(documents, runner, preview)?;
            return Ok((out, None, full));
        }
        Stage::Lookup(lookup) => lookup.apply(documents, runner)?,
        Stage::UnionWith(union) => union.apply(documents, runner)?,
        Stage::ReplaceRoot(replace) => replace.apply(name, documents, runner)?,
        Stage::Facet(facet) => facet.apply(documents, runner)?,
        Stage::Out(out) => return Ok((Vec::new(), Some(out.pending(owned(documents), runner.environment.now)), None)),
        Stage::Merge(merge) => {
            return Ok((Vec::new(), Some(merge.pending(owned(documents), runner.environment.now)), None))
        }
    };
    // Stages that build documents can nest them one level more each time; a thousand of them must not build a
    // document too deep to compare, copy or drop without exhausting the stack.
    // (`$lookup` checks its own documents.)
    let builds = matches!(stage, Stage::Project(_) | Stage::Group(_) | Stage::ReplaceRoot(_) | Stage::Facet(_));
    let out = if builds { shallow_enough(name, out)? } else { out };
    Ok((out, None, None))
}

/// The documents a stage built, or [`too_deep`] when one nests deeper than [`MAX_DOCUMENT_DEPTH`] levels.
fn shallow_enough<'d>(name: &str, out: Docs<'d>) -> MongoResult<Docs<'d>> {
    if out.iter().any(|document| crate::engine::limits::nests_deeper_than(document, MAX_DOCUMENT_DEPTH)) {
        return Err(too_deep(name));
    }
    Ok(out)
}

/// The error for a stage that built a document nested deeper than [`MAX_DOCUMENT_DEPTH`] levels.
pub(crate) fn too_deep(name: &str) -> MongoError {
    MongoError::new(
        ErrorCode::Overflow,
        format!("{name} built a document nested deeper than {MAX_DOCUMENT_DEPTH} levels"),
    )
}

/// The documents, owned (the borrowed ones copied).
pub(crate) fn owned(documents: Docs<'_>) -> Vec<Document> {
    documents.into_iter().map(Cow::into_owned).collect()
}

fn preview<D: std::borrow::Borrow<Document>>(
    index: usize,
    name: &'static str,
    documents: &[D],
    keep: usize,
) -> StagePreview {
    StagePreview {
        index,
        name,
        count: documents.len(),
        documents: documents.iter().take(keep).map(|d| d.borrow().clone()).collect(),
    }
}

/// Compiles and runs `pipeline` over `collection` of `database` (read-only: a final `$out` / `$merge` comes back as
/// [`AggregateOutcome::write`]).
pub(crate) fn aggregate(
    database: &Database,
    collection: &str,
    pipeline: &[Document],
    options: &AggregateOptions,
) -> Result<AggregateOutcome, AggregateError> {
    let compiled = Pipeline::compile(pipeline)?;
    let budget = Budget::new(options.budget_steps);
    let runner = Runner {
        database,
        environment: Environment { variables: &[], now: options.now, budget: Some(&budget) },
        memory_limit: options.stage_memory_bytes,
    };
    compiled.run_top_level(database.collection(collection), &runner, options.preview_documents)
}

pub(crate) use explain::explain_aggregate;
pub(crate) use output::apply_write;

/// A value as the server prints it inside messages (`"2"`, `-2`, `{ a: 1 }`).
pub(crate) fn describe(value: &Bson) -> String {
    crate::engine::update::describe(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::database::Database;
    use bson::doc;

    thread_local! {
        /// Turns off the `$unwind` + `$group` optimisations, to compare with them.
        pub(super) static ONE_STAGE_AT_A_TIME: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// A database holding `collections`, documents stored as given (an `_id` is generated only where one lacks it).
    pub(crate) fn database(collections: &[(&str, Vec<Document>)]) -> Database {
        let mut database = Database::new("test");
        let mut generator = crate::engine::generator::Generator::deterministic(7);
        for (name, documents) in collections {
            let (collection, _) = database.collection_mut(name).unwrap();
            for document in documents {
                collection.insert_one(document.clone(), &mut generator).unwrap();
            }
        }
        database
    }

    /// The documents `pipeline` returns over collection `c` holding `documents`, one per line as the server prints
    /// them, or `error <code>: <message>`.
    pub(crate) fn run(documents: Vec<Document>, pipeline: Vec<Document>) -> String {
        run_in(&database(&[("c", documents)]), pipeline)
    }

    pub(crate) fn run_in(database: &Database, pipeline: Vec<Document>) -> String {
        let options = AggregateOptions {
            now: Some(bson::DateTime::from_millis(1_704_067_200_000)),
            ..AggregateOptions::default()
        };
        match aggregate(database, "c", &pipeline, &options) {
            Ok(outcome) => {
                outcome.documents.iter().map(crate::engine::update::describe_document).collect::<Vec<_>>().join("\n")
            }
            Err(failure) => format!("error {}: {}", failure.error.code.number(), failure.error.message),
        }
    }

    #[test]
    fn stage_documents_are_checked_first() {
        assert_eq!(run(vec![], vec![doc! {"$foo": {}}]), "error 40324: Unrecognized pipeline stage name: '$foo'");
        assert_eq!(
            run(vec![], vec![doc! {"$match": {}, "$limit": 1}]),
            "error 40323: A pipeline stage specification object must contain exactly one field."
        );
        assert_eq!(
            run(vec![], vec![doc! {}]),
            "error 40323: A pipeline stage specification object must contain exactly one field."
        );
        assert_eq!(
            run(vec![], vec![doc! {"$sample": {"size": 1}}]),
            "error 2: $sample is a MongoDB stage that crudlab does not support"
        );
        let long: Vec<Document> = (0..1001).map(|_| doc! {"$skip": 0}).collect();
        assert_eq!(run(vec![], long), "error 9: Pipeline length must be no longer than 1000 stages");
    }

    #[test]
    fn errors_say_which_stage_failed() {
        let database = database(&[("c", vec![doc! {"_id": 1, "a": "x"}])]);
        let pipeline = [doc! {"$match": {}}, doc! {"$project": {"n": {"$size": "$a"}}}];
        let failure = aggregate(&database, "c", &pipeline, &AggregateOptions::default()).unwrap_err();
        assert_eq!(failure.stage, Some(1));
        assert_eq!(failure.error.code, 17124);
        let failure =
            aggregate(&database, "c", &[doc! {"$skip": 1}, doc! {"$limit": "2"}], &AggregateOptions::default())
                .unwrap_err();
        assert_eq!(
            (failure.stage, failure.error.message.as_str()),
            (Some(1), "invalid argument to $limit stage: Expected a number in: $limit: \"2\"")
        );
    }

    #[test]
    fn every_stage_has_a_preview() {
        let database = database(&[("c", (1..=5).map(|i| doc! {"_id": i, "even": i % 2 == 0}).collect())]);
        let pipeline =
            [doc! {"$match": {"even": false}}, doc! {"$sort": {"_id": -1}}, doc! {"$limit": 2}, doc! {"$count": "n"}];
        let options = AggregateOptions { preview_documents: 1, ..AggregateOptions::default() };
        let outcome = aggregate(&database, "c", &pipeline, &options).unwrap();
        let shown: Vec<String> = outcome
            .stages
            .iter()
            .map(|p| {
                format!(
                    "{} {} {}: {:?}",
                    p.index,
                    p.name,
                    p.count,
                    p.documents.iter().map(crate::engine::update::describe_document).collect::<Vec<_>>()
                )
            })
            .collect();
        expect_test::expect![[r#"
            0 $match 3: ["{ _id: 1, even: false }"]
            1 $sort 3: ["{ _id: 5, even: false }"]
            2 $limit 2: ["{ _id: 5, even: false }"]
            3 $count 1: ["{ n: 2 }"]"#]]
        .assert_eq(&shown.join("\n"));
        assert_eq!(outcome.documents, vec![doc! {"n": 2}]);
    }

    #[test]
    fn a_missing_collection_is_empty() {
        assert_eq!(run_in(&database(&[]), vec![doc! {"$count": "n"}]), "");
        assert_eq!(run_in(&database(&[]), vec![doc! {"$facet": {"n": [{"$count": "n"}]}}]), "{ n: [] }");
    }

    #[test]
    fn a_stage_cannot_grow_its_documents_without_bound() {
        // MongoDB streams documents; crudlab holds each stage's output, so multiplying is bounded too.
        let database = database(&[(
            "c",
            vec![doc! {"_id": 1, "text": "x".repeat(1000), "copies": (0..100).collect::<Vec<i32>>()}],
        )]);
        let options = AggregateOptions { stage_memory_bytes: 20_000, ..AggregateOptions::default() };
        let failure = aggregate(&database, "c", &[doc! {"$unwind": "$copies"}], &options).unwrap_err();
        assert_eq!(
            (failure.error.code.number(), failure.error.message.as_str()),
            (146, "PlanExecutor error during aggregation :: caused by :: Exceeded memory limit for $unwind: its documents are more than 21828 bytes")
        );
        let failure =
            aggregate(&database, "c", &[doc! {"$set": {"more": {"$range": [0, 100000]}}}], &options).unwrap_err();
        assert_eq!(failure.error.code.number(), 146);
        assert!(aggregate(
            &database,
            "c",
            &[doc! {"$unwind": "$copies"}, doc! {"$limit": 1}],
            &AggregateOptions::default()
        )
        .is_ok());
    }

    /// The growth a mapping stage's documents bring (output minus input, in BSON bytes), measured on the documents.
    fn growth(database: &Database, pipeline: &[Document]) -> usize {
        let input: usize = database.collection("c").unwrap().documents().map(crate::engine::limits::bson_size).sum();
        let output: usize = aggregate(database, "c", pipeline, &AggregateOptions::default())
            .unwrap()
            .documents
            .iter()
            .map(crate::engine::limits::bson_size)
            .sum();
        output - input
    }

    fn users() -> Database {
        const CITIES: [&str; 3] = ["Oslo", "Lima", "Pune"];
        database(&[
            (
                "c",
                (0..40i32)
                    .map(|i| {
                        doc! {"_id": i, "name": format!("user{i}"), "city": CITIES[(i % 3) as usize],
                        "tags": (0..(i % 4)).map(|t| format!("t{t}")).collect::<Vec<_>>(), "courses": [i % 5, (i * 3) % 5]}
                    })
                    .collect(),
            ),
            ("courses", (0..5).map(|i| doc! {"_id": i, "title": format!("Course {i}")}).collect()),
        ])
    }

    #[test]
    fn mapping_stages_count_their_documents_at_their_exact_size() {
        // The memory limit of $unwind and $lookup is their input plus the limit: exactly the growth passes.
        let database = users();
        let unwind = [doc! {"$unwind": "$tags"}];
        let lookup =
            [doc! {"$lookup": {"from": "courses", "localField": "courses", "foreignField": "_id", "as": "joined"}}];
        let replace =
            [doc! {"$lookup": {"from": "courses", "localField": "courses", "foreignField": "_id", "as": "name"}}];
        // An $unwind feeding a $group counts its (not kept) documents the same way.
        let grouped = [doc! {"$unwind": "$tags"}, doc! {"$group": {"_id": "$tags", "n": {"$sum": 1}}}];
        for (pipeline, measured) in
            [(&unwind[..], &unwind[..]), (&lookup, &lookup), (&replace, &replace), (&grouped, &unwind)]
        {
            let grown = growth(&database, measured);
            let limited = |limit| AggregateOptions { stage_memory_bytes: limit, ..AggregateOptions::default() };
            assert!(aggregate(&database, "c", pipeline, &limited(grown)).is_ok(), "{pipeline:?}");
            let failure = aggregate(&database, "c", pipeline, &limited(grown - 1)).unwrap_err();
            assert_eq!((failure.stage, failure.error.code.number()), (Some(0), 146), "{pipeline:?}");
        }
    }

    #[test]
    fn an_unwind_feeding_a_group_runs_as_the_two_stages_do() {
        let database = users();
        let groups = [
            doc! {"$group": {"_id": "$tags", "n": {"$sum": 1}, "names": {"$push": "$name"}}},
            doc! {"$group": {"_id": {"city": "$city", "tag": "$tags"}, "first": {"$first": "$$ROOT"}}},
            doc! {"$group": {"_id": "$tags", "top": {"$max": {"$getField": "name"}}}},
            doc! {"$sortByCount": "$tags"},
            doc! {"$count": "n"},
            doc! {"$bucket": {"groupBy": "$_id", "boundaries": [0, 10, 40]}},
        ];
        // Limits that stop the $unwind, the $group, or neither.
        let budgets = [40, 60, 100, 150, 200, 300]
            .map(|budget_steps| AggregateOptions { budget_steps, ..AggregateOptions::default() });
        let memory = [200, 1000, 2000, 3000, 5000]
            .map(|stage_memory_bytes| AggregateOptions { stage_memory_bytes, ..AggregateOptions::default() });
        let previews =
            [0, 3].map(|preview_documents| AggregateOptions { preview_documents, ..AggregateOptions::default() });
        let (mut passed, mut failed) = (0, 0);
        for group in groups {
            let pipeline = [doc! {"$unwind": "$tags"}, group.clone()];
            for options in budgets.iter().chain(&memory).chain(&previews) {
                let fused = aggregate(&database, "c", &pipeline, options);
                ONE_STAGE_AT_A_TIME.set(true);
                let separate = aggregate(&database, "c", &pipeline, options);
                ONE_STAGE_AT_A_TIME.set(false);
                match (&fused, &separate) {
                    (Ok(outcome), Ok(_)) => {
                        passed += 1;
                        assert!(outcome.stages[0].documents.iter().all(|d| d.contains_key("name")), "full documents");
                    }
                    (Err(_), Err(_)) => failed += 1,
                    _ => {}
                }
                assert_eq!(fused, separate, "{group:?} with {options:?}");
            }
        }
        assert!(passed > 20 && failed > 20, "{passed} ran, {failed} failed");
    }

    #[test]
    fn groups_read_fields_whatever_their_order() {
        let docs = vec![
            doc! {"a": 1, "p": {"k": "x", "z": 0}},
            doc! {"p": {"z": 0, "k": "x"}, "a": 2},
            doc! {"b": 1, "p": {"k": "y"}},
            doc! {"p": 1, "a": 4},
            doc! {"a": 8, "p": {"k": "y"}},
        ];
        assert_eq!(
            run(docs, vec![doc! {"$group": {"_id": "$p.k", "n": {"$sum": "$a"}}}]),
            "{ _id: \"x\", n: 3 }\n{ _id: \"y\", n: 8 }\n{ _id: null, n: 4 }"
        );
    }

    #[test]
    fn strings_and_symbols_group_together() {
        let docs = vec![doc! {"k": "a"}, doc! {"k": Bson::Symbol("a".into())}, doc! {"k": 1}, doc! {"k": 1.0}, doc! {}];
        assert_eq!(
            run(docs, vec![doc! {"$group": {"_id": "$k", "n": {"$sum": 1}}}]),
            "{ _id: \"a\", n: 2 }\n{ _id: 1, n: 2 }\n{ _id: null, n: 1 }"
        );
    }

    #[test]
    fn documents_cannot_nest_without_bound() {
        let deeper: Vec<Document> = (0..250).map(|_| doc! {"$set": {"a": {"x": "$a"}}}).collect();
        assert_eq!(
            run(vec![doc! {"_id": 1, "a": 1}], deeper),
            "error 15: PlanExecutor error during aggregation :: caused by :: $set built a document nested deeper than 200 levels"
        );
    }

    #[test]
    fn the_budget_stops_endless_work() {
        let database = database(&[("c", vec![doc! {"_id": 1}])]);
        let pipeline = [doc! {"$project": {"x": {"$reduce": {"input": {"$range": [0, 100000]}, "initialValue": [],
        "in": {"$concatArrays": ["$$value", ["$$this"]]}}}}}];
        let options = AggregateOptions { budget_steps: 1_000_000, ..AggregateOptions::default() };
        let failure = aggregate(&database, "c", &pipeline, &options).unwrap_err();
        assert_eq!((failure.stage, failure.error.code.number()), (Some(0), 50));
    }
}
