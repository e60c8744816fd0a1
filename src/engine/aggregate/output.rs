//! `$out` and `$merge`: the stages that write. Running a pipeline only describes the write (a [`PendingWrite`] with
//! the documents); [`apply_write`] then performs it through the collection's normal write path, so every write is a
//! `Change` that storage persists and undo reverts. `$out` replaces the target's documents all or nothing (indexes
//! kept); `$merge` inserts, replaces, merges or keeps per document, and like MongoDB keeps what it wrote before a
//! failure.

use super::{Compiler, Pipeline, Place, Runner, Stage};
use crate::engine::changes::{Change, ChangeSet};
use crate::engine::collection::Collection;
use crate::engine::database::Database;
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::{validate_variable_name_for_write, Environment, Expression};
use crate::engine::generator::Generator;
use crate::engine::query::Filter;
use crate::engine::value::type_name;
use bson::{Bson, Document};

/// Where a writing stage writes: a collection, and the database if the stage named one.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    database: Option<String>,
    collection: String,
}

/// A compiled `$out`.
#[derive(Debug, Clone)]
pub(crate) struct Out {
    target: Target,
}

/// What `$merge` does with a result document that matches a target document.
#[derive(Debug, Clone)]
enum WhenMatched {
    Replace,
    KeepExisting,
    Merge,
    Fail,
    /// An update pipeline over the target document, with the result document as `$$new`.
    Pipeline(Pipeline),
}

/// What `$merge` does with a result document that matches none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhenNotMatched {
    Insert,
    Discard,
    Fail,
}

/// How `$merge` joins and writes.
#[derive(Debug, Clone)]
pub struct MergeSpec {
    on: Vec<String>,
    lets: Vec<(String, Expression)>,
    when_matched: WhenMatched,
    when_not_matched: WhenNotMatched,
}

/// A compiled `$merge`.
#[derive(Debug, Clone)]
pub(crate) struct Merge {
    target: Target,
    spec: MergeSpec,
}

/// The write a pipeline's final `$out` / `$merge` asks for, not yet applied.
#[derive(Debug, Clone)]
pub struct PendingWrite {
    /// The database the stage names, when it names one (crudlab writes only to the pipeline's own).
    pub database: Option<String>,
    /// The collection written.
    pub collection: String,
    pub kind: WriteKind,
    /// `$$NOW` of the pipeline, for `$merge`'s update pipeline.
    pub now: Option<bson::DateTime>,
}

impl PartialEq for PendingWrite {
    fn eq(&self, other: &Self) -> bool {
        self.database == other.database && self.collection == other.collection && self.documents() == other.documents()
    }
}

/// Which stage writes, with the documents it writes.
#[derive(Debug, Clone)]
pub enum WriteKind {
    /// `$out`: the collection's documents become these.
    Out { documents: Vec<Document> },
    /// `$merge`: each document is merged into the collection as `spec` says.
    Merge { documents: Vec<Document>, spec: MergeSpec },
}

impl PendingWrite {
    /// The documents the stage writes.
    pub fn documents(&self) -> &[Document] {
        match &self.kind {
            WriteKind::Out { documents } | WriteKind::Merge { documents, .. } => documents,
        }
    }
}

/// What an applied write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    pub inserted: u64,
    /// Target documents a `$merge` replaced or changed.
    pub modified: u64,
    /// Target documents `$out` removed (all it held before).
    pub removed: u64,
}

fn unknown_field(stage: &str, field: &str) -> MongoError {
    MongoError::new(ErrorCode::Location(40415), format!("BSON field '{stage}.{field}' is an unknown field."))
}

/// Refuses `$out` / `$merge` where they cannot run.
fn check_place(name: &str, compiler: &Compiler) -> MongoResult<()> {
    match compiler.place {
        Place::Lookup => Err(MongoError::new(
            ErrorCode::Location(51047),
            format!("{name} is not allowed within a $lookup's sub-pipeline"),
        )),
        Place::Facet => Err(MongoError::new(
            ErrorCode::Location(40600),
            format!("{name} is not allowed to be used within a $facet stage"),
        )),
        Place::MergeUpdate => Err(MongoError::new(
            ErrorCode::InvalidOptions,
            format!("{name} is not allowed to be used within an update"),
        )),
        Place::TopLevel => Ok(()),
    }
}

fn collection_name(name: &str) -> MongoResult<String> {
    crate::engine::database::validate_collection_name(name)?;
    Ok(name.to_string())
}

/// `"coll"` or `{db, coll}` of `$out` / `$merge`'s `into`.
fn target(stage: &str, field: &str, argument: &Bson) -> MongoResult<Target> {
    match argument {
        Bson::String(name) => Ok(Target { database: None, collection: collection_name(name)? }),
        Bson::Document(spec) => {
            let mut target = Target { database: None, collection: String::new() };
            for (key, value) in spec {
                let Bson::String(text) = value else {
                    return Err(MongoError::type_mismatch(format!(
                        "BSON field '{field}.{key}' is the wrong type '{}', expected type 'string'",
                        type_name(value)
                    )));
                };
                match key.as_str() {
                    "db" => {
                        crate::engine::database::validate_database_name(text)?;
                        target.database = Some(text.clone());
                    }
                    "coll" => target.collection = collection_name(text)?,
                    other => return Err(unknown_field(field, other)),
                }
            }
            if target.collection.is_empty() {
                return Err(MongoError::new(
                    ErrorCode::Location(40414),
                    format!("BSON field '{field}.coll' is missing but a required field"),
                ));
            }
            Ok(target)
        }
        other => Err(MongoError::type_mismatch(format!(
            "{stage} requires a string or an object argument, but found {}",
            type_name(other)
        ))),
    }
}

pub(super) fn compile_out(name: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    check_place(name, compiler)?;
    Ok(Stage::Out(Out { target: target(name, "$out", argument)? }))
}

pub(super) fn compile_merge(name: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    check_place(name, compiler)?;
    let mut spec = MergeSpec {
        on: vec!["_id".to_string()],
        lets: Vec::new(),
        when_matched: WhenMatched::Merge,
        when_not_matched: WhenNotMatched::Insert,
    };
    let into = match argument {
        Bson::String(_) => target(name, "$merge.into", argument)?,
        Bson::Document(fields) => {
            let mut into = None;
            let mut when_matched = None;
            for (key, value) in fields {
                match key.as_str() {
                    "into" => into = Some(target(name, "$merge.into", value)?),
                    "on" => {
                        let names: Vec<&Bson> = match value {
                            Bson::Array(items) if !items.is_empty() => items.iter().collect(),
                            Bson::String(_) => vec![value],
                            _ => {
                                return Err(MongoError::new(
                                    ErrorCode::Location(51186),
                                    "$merge 'on' field must be either a string or an array of strings",
                                ))
                            }
                        };
                        spec.on = Vec::with_capacity(names.len());
                        for name in names {
                            let Bson::String(path) = name else {
                                return Err(MongoError::new(
                                    ErrorCode::Location(51134),
                                    "$merge 'on' array elements must be strings",
                                ));
                            };
                            crate::engine::expr::field_path(path)?;
                            spec.on.push(path.clone());
                        }
                    }
                    "let" => {
                        let Bson::Document(variables) = value else {
                            return Err(MongoError::type_mismatch(format!(
                                "BSON field '$merge.let' is the wrong type '{}', expected type 'object'",
                                type_name(value)
                            )));
                        };
                        let mut parser = compiler.parser();
                        for (variable, expression) in variables {
                            validate_variable_name_for_write(variable)?;
                            spec.lets.push((variable.clone(), parser.expression(expression)?));
                        }
                    }
                    "whenMatched" => when_matched = Some(value.clone()),
                    "whenNotMatched" => {
                        spec.when_not_matched = match value {
                            Bson::String(mode) if mode == "insert" => WhenNotMatched::Insert,
                            Bson::String(mode) if mode == "discard" => WhenNotMatched::Discard,
                            Bson::String(mode) if mode == "fail" => WhenNotMatched::Fail,
                            other => {
                                return Err(MongoError::bad_value(format!(
                                    "Enumeration value '{}' for field '$merge.whenNotMatched' is not a valid value.",
                                    super::describe(other)
                                )))
                            }
                        }
                    }
                    other => return Err(unknown_field("$merge", other)),
                }
            }
            if let Some(value) = when_matched {
                spec.when_matched = match &value {
                    Bson::String(mode) if mode == "replace" => WhenMatched::Replace,
                    Bson::String(mode) if mode == "keepExisting" => WhenMatched::KeepExisting,
                    Bson::String(mode) if mode == "merge" => WhenMatched::Merge,
                    Bson::String(mode) if mode == "fail" => WhenMatched::Fail,
                    Bson::Array(stages) => {
                        let stages: Vec<Document> = stages.iter().filter_map(|s| s.as_document().cloned()).collect();
                        let mut names = vec!["new".to_string()];
                        names.extend(spec.lets.iter().map(|(name, _)| name.clone()));
                        WhenMatched::Pipeline(compiler.sub_pipeline(&stages, Place::MergeUpdate, &names)?)
                    }
                    other => {
                        return Err(MongoError::bad_value(format!(
                            "Enumeration value '{}' for field '$merge.whenMatched' is not a valid value.",
                            super::describe(other)
                        )))
                    }
                };
            }
            let Some(into) = into else {
                return Err(MongoError::new(
                    ErrorCode::Location(40414),
                    "BSON field '$merge.into' is missing but a required field",
                ));
            };
            into
        }
        other => {
            return Err(MongoError::type_mismatch(format!(
                "$merge requires a string or an object argument, but found {}",
                type_name(other)
            )))
        }
    };
    Ok(Stage::Merge(Box::new(Merge { target: into, spec })))
}

/// Refuses the stages an update pipeline cannot hold (`$merge`'s `whenMatched`).
pub(super) fn check_update_stage(name: &str, compiler: &Compiler) -> MongoResult<()> {
    const ALLOWED: &[&str] = &["$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith"];
    if compiler.place == Place::MergeUpdate && !ALLOWED.contains(&name) {
        return Err(MongoError::new(
            ErrorCode::InvalidOptions,
            format!("{name} is not allowed to be used within an update"),
        ));
    }
    Ok(())
}

impl Out {
    pub(super) fn pending(&self, documents: Vec<Document>, now: Option<bson::DateTime>) -> PendingWrite {
        PendingWrite {
            database: self.target.database.clone(),
            collection: self.target.collection.clone(),
            kind: WriteKind::Out { documents },
            now,
        }
    }
}

impl Merge {
    pub(super) fn pending(&self, documents: Vec<Document>, now: Option<bson::DateTime>) -> PendingWrite {
        PendingWrite {
            database: self.target.database.clone(),
            collection: self.target.collection.clone(),
            kind: WriteKind::Merge { documents, spec: self.spec.clone() },
            now,
        }
    }
}

/// Applies a pending `$out` / `$merge` to `database` through the collection's write path. The change set lists
/// exactly what was written (for storage and undo), also when the write failed part-way.
pub(crate) fn apply_write(
    database: &mut Database,
    write: &PendingWrite,
    generator: &mut Generator,
) -> (MongoResult<WriteSummary>, ChangeSet) {
    let mut changes = ChangeSet::default();
    if let Some(named) = write.database.as_deref().filter(|named| *named != database.name) {
        let error = MongoError::bad_value(format!(
            "crudlab's $out and $merge write to the pipeline's own database ({}), not to {named}",
            database.name
        ));
        return (Err(error), changes);
    }
    let database_name = database.name.clone();
    let (collection, created) = match database.collection_mut(&write.collection) {
        Ok(found) => found,
        Err(error) => return (Err(error), changes),
    };
    let mut made = Vec::new();
    let result = match &write.kind {
        WriteKind::Out { documents } => replace_all(collection, documents, generator, &mut made),
        WriteKind::Merge { documents, spec } => merge(collection, documents, spec, write.now, generator, &mut made),
    };
    // A failed write that stored nothing leaves no empty collection behind; `$out` creates its collection even for
    // no documents, as MongoDB does.
    let keep_collection = result.is_ok() || !made.is_empty();
    if created && keep_collection {
        changes.collections.push((database_name.clone(), write.collection.clone(), true));
    } else if created {
        database.drop_collection(&write.collection);
    }
    changes.push_all(&database_name, &write.collection, made);
    (result, changes)
}

/// `$out`: every document of the collection replaced by `documents`, or nothing changed at all.
fn replace_all(
    collection: &mut Collection,
    documents: &[Document],
    generator: &mut Generator,
    made: &mut Vec<Change>,
) -> MongoResult<WriteSummary> {
    let mut summary = WriteSummary::default();
    let records: Vec<u64> = collection.records().map(|(record, _)| record).collect();
    for record in records {
        if let Some(doc) = collection.remove_record(record) {
            made.push(Change::Deleted { record, doc });
            summary.removed += 1;
        }
    }
    for document in documents {
        match collection.insert_one(document.clone(), generator) {
            Ok((_, inserted)) => {
                made.extend(inserted);
                summary.inserted += 1;
            }
            Err(error) => {
                // All or nothing: undo what was done, newest first.
                for change in made.drain(..).rev() {
                    match change {
                        Change::Inserted { record, .. } => {
                            collection.remove_record(record);
                        }
                        Change::Deleted { record, doc } => {
                            // The document was stored a moment ago, so it fits its indexes again.
                            let _ = collection.restore_record(record, doc);
                        }
                        _ => {}
                    }
                }
                return Err(error);
            }
        }
    }
    Ok(summary)
}

/// The value of one `on` field of a result document, which must be there and not null, undefined or an array.
fn on_value(document: &Document, field: &str) -> MongoResult<Bson> {
    let parts: Vec<String> = field.split('.').map(str::to_string).collect();
    match crate::engine::path::get_single(document, &parts) {
        Some(Bson::Null | Bson::Undefined | Bson::Array(_)) | None => Err(MongoError::new(
            ErrorCode::Location(51132),
            format!("$merge write error: 'on' field '{field}' cannot be missing, null, undefined or an array"),
        )),
        Some(value) => Ok(value.clone()),
    }
}

fn immutable_id() -> MongoError {
    MongoError::immutable_field(
        "$merge failed to update the matching document, did you attempt to modify the _id or the shard key? :: caused by :: Performing an update on the path '_id' would modify the immutable field '_id'",
    )
}

/// `$merge` into `collection`, one result document at a time.
fn merge(
    collection: &mut Collection,
    documents: &[Document],
    spec: &MergeSpec,
    now: Option<bson::DateTime>,
    generator: &mut Generator,
    made: &mut Vec<Change>,
) -> MongoResult<WriteSummary> {
    let on_id = spec.on == ["_id"];
    if !on_id {
        let mut wanted: Vec<&str> = spec.on.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        let has_unique_index = collection.indexes().iter().any(|index| {
            let mut keys: Vec<&str> = index.keys.iter().map(|(field, _)| field.as_str()).collect();
            keys.sort_unstable();
            index.unique && keys == wanted
        });
        if !has_unique_index {
            return Err(MongoError::new(
                ErrorCode::Location(51183),
                "Cannot find index to verify that join fields will be unique",
            ));
        }
    }
    let mut summary = WriteSummary::default();
    // The update pipeline needs no other collection: it runs against an empty database.
    let scratch = Database::new("merge");
    for document in documents {
        // Joining on _id, a document without one gets one (and so matches nothing); joining on other fields, an
        // inserted document gets its _id when it is stored.
        let document = if on_id && !document.contains_key("_id") {
            crate::engine::collection::with_id_first(document.clone(), generator)
        } else {
            document.clone()
        };
        let mut condition = Document::new();
        for field in &spec.on {
            let mut equals = Document::new();
            equals.insert("$eq", on_value(&document, field)?);
            condition.insert(field.clone(), equals);
        }
        let (records, _) = collection.matching_records(&Filter::compile(&condition)?)?;
        let target =
            records.first().and_then(|record| collection.get_record(*record).map(|doc| (*record, doc.clone())));
        let Some((record, existing)) = target else {
            match spec.when_not_matched {
                WhenNotMatched::Insert => {
                    let (_, inserted) = collection.insert_one(document, generator)?;
                    made.extend(inserted);
                    summary.inserted += 1;
                }
                WhenNotMatched::Discard => {}
                WhenNotMatched::Fail => {
                    return Err(MongoError::new(
                        ErrorCode::Location(13113),
                        "$merge could not find a matching document in the target collection for at least one document in the source collection",
                    ))
                }
            }
            continue;
        };
        let existing_id = existing.get("_id").cloned().unwrap_or(Bson::Null);
        let same_id =
            |candidate: &Document| candidate.get("_id").is_none_or(|id| crate::engine::value::equal(id, &existing_id));
        let replacement =
            match &spec.when_matched {
                WhenMatched::KeepExisting => None,
                WhenMatched::Fail => return Err(MongoError::duplicate_key(
                    "$merge with whenMatched: fail found an existing document with the same values for the 'on' fields",
                )),
                WhenMatched::Replace => {
                    if !same_id(&document) {
                        return Err(immutable_id());
                    }
                    let mut replaced = Document::new();
                    replaced.insert("_id", existing_id.clone());
                    for (key, value) in document.iter().filter(|(key, _)| *key != "_id") {
                        replaced.insert(key.clone(), value.clone());
                    }
                    Some(replaced)
                }
                WhenMatched::Merge => {
                    if !same_id(&document) {
                        return Err(immutable_id());
                    }
                    let mut merged = existing.clone();
                    for (key, value) in document.iter().filter(|(key, _)| *key != "_id") {
                        merged.insert(key.clone(), value.clone());
                    }
                    Some(merged)
                }
                WhenMatched::Pipeline(pipeline) => {
                    let mut variables = vec![("new".to_string(), Bson::Document(document.clone()))];
                    for (name, expression) in &spec.lets {
                        let value = expression
                            .evaluate_in(&document, Environment { now, ..Environment::default() })?
                            .unwrap_or(Bson::Null);
                        variables.push((name.clone(), value));
                    }
                    let runner = Runner {
                        database: &scratch,
                        environment: Environment { variables: &variables, now, budget: None },
                        memory_limit: super::DEFAULT_STAGE_MEMORY_BYTES,
                    };
                    let mut updated = pipeline.run(vec![std::borrow::Cow::Borrowed(&existing)], &runner)?.into_iter();
                    let Some(updated) = updated.next().map(std::borrow::Cow::into_owned) else { continue };
                    if !same_id(&updated) {
                        return Err(immutable_id());
                    }
                    let mut with_id = Document::new();
                    with_id.insert("_id", existing_id.clone());
                    for (key, value) in updated.into_iter().filter(|(key, _)| key != "_id") {
                        with_id.insert(key, value);
                    }
                    Some(with_id)
                }
            };
        if let Some(replacement) = replacement.filter(|replacement| *replacement != existing) {
            made.push(collection.replace_record(record, replacement)?);
            summary.modified += 1;
        }
    }
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::tests::database;
    use super::super::AggregateOptions;
    use crate::engine::changes::Change;
    use crate::engine::generator::Generator;
    use bson::{doc, Document};

    fn written(database: &crate::engine::database::Database, name: &str) -> String {
        database
            .collection(name)
            .map(|c| c.documents().map(crate::engine::update::describe_document).collect::<Vec<_>>().join("\n"))
            .unwrap_or_else(|| "(no collection)".to_string())
    }

    fn run(
        database: &mut crate::engine::database::Database,
        pipeline: Vec<Document>,
    ) -> Result<(usize, usize), String> {
        let (result, changes) = database.aggregate_and_write(
            "c",
            &pipeline,
            &AggregateOptions::default(),
            &mut Generator::deterministic(1),
        );
        let inserted = changes.entries.iter().filter(|(_, _, c)| matches!(c, Change::Inserted { .. })).count();
        let updated = changes.entries.iter().filter(|(_, _, c)| matches!(c, Change::Updated { .. })).count();
        result
            .map(|outcome| {
                assert!(outcome.documents.is_empty(), "a writing stage returns no documents");
                (inserted, updated)
            })
            .map_err(|failure| {
                let message =
                    failure.error.message.replace("PlanExecutor error during aggregation :: caused by :: ", "");
                format!("{} {message}", failure.error.code.number())
            })
    }

    fn sales() -> Vec<Document> {
        vec![
            doc! {"_id": 1, "item": "a", "qty": 2},
            doc! {"_id": 2, "item": "b", "qty": 1},
            doc! {"_id": 3, "item": "a", "qty": 3},
        ]
    }

    #[test]
    fn out_replaces_the_target_all_or_nothing() {
        let mut db = database(&[("c", sales()), ("totals", vec![doc! {"_id": "old"}])]);
        assert_eq!(
            run(&mut db, vec![doc! {"$group": {"_id": "$item", "qty": {"$sum": "$qty"}}}, doc! {"$out": "totals"}]),
            Ok((2, 0))
        );
        assert_eq!(written(&db, "totals"), "{ _id: \"a\", qty: 5 }\n{ _id: \"b\", qty: 1 }");
        // Two documents with one _id: nothing is written.
        let failure = run(&mut db, vec![doc! {"$project": {"_id": "$item"}}, doc! {"$out": "totals"}]).unwrap_err();
        assert!(failure.starts_with("11000 E11000 duplicate key error"), "{failure}");
        assert_eq!(written(&db, "totals"), "{ _id: \"a\", qty: 5 }\n{ _id: \"b\", qty: 1 }");
        assert_eq!(run(&mut db, vec![doc! {"$match": {"_id": 0}}, doc! {"$out": "empty"}]), Ok((0, 0)));
        assert_eq!(written(&db, "empty"), "", "$out creates its collection even for no documents");
        assert_eq!(
            run(&mut db, vec![doc! {"$out": "x"}, doc! {"$limit": 1}]),
            Err("40601 $out can only be the final stage in the pipeline".to_string())
        );
    }

    #[test]
    fn merge_inserts_merges_replaces_or_keeps() {
        let mut db = database(&[("c", sales()), ("t", vec![doc! {"_id": 1, "item": "old", "note": "kept"}])]);
        assert_eq!(run(&mut db, vec![doc! {"$merge": "t"}]), Ok((2, 1)));
        assert_eq!(written(&db, "t"), "{ _id: 1, item: \"a\", note: \"kept\", qty: 2 }\n{ _id: 2, item: \"b\", qty: 1 }\n{ _id: 3, item: \"a\", qty: 3 }");
        assert_eq!(
            run(&mut db, vec![doc! {"$match": {"_id": 1}}, doc! {"$merge": {"into": "t", "whenMatched": "replace"}}]),
            Ok((0, 1))
        );
        assert_eq!(written(&db, "t").lines().next(), Some("{ _id: 1, item: \"a\", qty: 2 }"));
        assert_eq!(run(&mut db, vec![doc! {"$merge": {"into": "t", "whenMatched": "keepExisting"}}]), Ok((0, 0)));
        assert_eq!(
            run(
                &mut db,
                vec![
                    doc! {"$merge": {"into": "t", "whenMatched": [{"$set": {"qty": {"$add": ["$qty", "$$new.qty"]}}}]}}
                ]
            ),
            Ok((0, 3))
        );
        assert_eq!(written(&db, "t").lines().next(), Some("{ _id: 1, item: \"a\", qty: 4 }"));
        assert_eq!(run(&mut db, vec![doc! {"$merge": {"into": "t", "whenMatched": "fail"}}]), Err("11000 $merge with whenMatched: fail found an existing document with the same values for the 'on' fields".to_string()));
        assert_eq!(run(&mut db, vec![doc! {"$merge": {"into": "u", "whenNotMatched": "fail"}}]), Err("13113 $merge could not find a matching document in the target collection for at least one document in the source collection".to_string()));
        assert_eq!(written(&db, "u"), "(no collection)", "a failed write leaves no empty collection");
        assert_eq!(
            run(&mut db, vec![doc! {"$merge": {"into": "t", "on": "item"}}]),
            Err("51183 Cannot find index to verify that join fields will be unique".to_string())
        );
        assert_eq!(
            run(&mut db, vec![doc! {"$merge": {"into": "t", "whenMatched": [{"$group": {"_id": 1}}]}}]),
            Err("72 $group is not allowed to be used within an update".to_string())
        );
        assert_eq!(
            run(&mut db, vec![doc! {"$merge": {"into": "t", "bogus": 1}}]),
            Err("40415 BSON field '$merge.bogus' is an unknown field.".to_string())
        );
    }

    #[test]
    fn writes_are_undone_and_redone_like_any_other() {
        use crate::engine::database::Cluster;
        use crate::engine::revert::{reapply, revert};
        let snapshot = |cluster: &Cluster| -> Vec<(String, Vec<Document>)> {
            cluster
                .databases()
                .flat_map(|db| db.collections().map(|c| (c.namespace().to_string(), c.documents().cloned().collect())))
                .collect()
        };
        let mut cluster = Cluster::new(Generator::deterministic(1));
        {
            let (db, generator) = cluster.database_mut("shop").unwrap();
            let (c, _) = db.collection_mut("c").unwrap();
            for doc in sales() {
                c.insert_one(doc, generator).unwrap();
            }
            let (t, _) = db.collection_mut("totals").unwrap();
            t.insert_one(doc! {"_id": "old"}, generator).unwrap();
        }
        let before = snapshot(&cluster);
        let mut changes = crate::engine::changes::ChangeSet::default();
        for pipeline in [
            vec![doc! {"$group": {"_id": "$item", "qty": {"$sum": "$qty"}}}, doc! {"$out": "totals"}],
            vec![doc! {"$project": {"qty": 1}}, doc! {"$merge": {"into": "fresh"}}],
        ] {
            let (db, generator) = cluster.database_mut("shop").unwrap();
            let (result, made) = db.aggregate_and_write("c", &pipeline, &AggregateOptions::default(), generator);
            assert!(result.is_ok());
            changes.extend(&made);
        }
        assert_eq!(changes.collections, vec![("shop".to_string(), "fresh".to_string(), true)]);
        let after = snapshot(&cluster);
        revert(&mut cluster, &changes).unwrap();
        assert_eq!(snapshot(&cluster), before);
        reapply(&mut cluster, &changes).unwrap();
        assert_eq!(snapshot(&cluster), after);
    }

    #[test]
    fn merge_on_a_unique_field() {
        let mut db = database(&[
            ("c", vec![doc! {"sku": "x", "qty": 5}, doc! {"sku": "y", "qty": 1}]),
            ("t", vec![doc! {"_id": 10, "sku": "x", "qty": 0}]),
        ]);
        db.collection_mut("t").unwrap().0.create_index(&doc! {"sku": 1}, true, None).unwrap();
        assert_eq!(
            run(&mut db, vec![doc! {"$project": {"_id": 0}}, doc! {"$merge": {"into": "t", "on": "sku"}}]),
            Ok((1, 1))
        );
        let shown = written(&db, "t");
        assert!(shown.starts_with("{ _id: 10, sku: \"x\", qty: 5 }\n{ _id: ObjectId("), "{shown}");
    }
}
