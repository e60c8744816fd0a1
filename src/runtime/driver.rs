//! The raw driver path: every call that reaches the database is a [`DriverCall`] run here against the engine
//! exactly as written, with the result shaped as the driver returns it and the call as it reached the database.

use super::calls::{CursorMethod, DriverCall, DriverMethod};
use super::error::{ErrorSource, RuntimeError};
use crate::engine::changes::ChangeSet;
use crate::engine::collection::{FindAndModifyOptions, FindOptions, ReturnDocument};
use crate::engine::database::Cluster;
use crate::engine::error::{ErrorCode, MongoError};
use crate::engine::results::count;
use crate::engine::update::Update;
use crate::js::mongosh_format::format_inline;
use crate::shell::span::Span;
use bson::{Bson, Document};

/// What one driver call did.
#[derive(Debug, Clone, Default)]
pub struct DriverOutcome {
    /// The value the call returns, or the error the server (or the driver) reports.
    pub result: Option<Result<Bson, DriverError>>,
    pub changes: ChangeSet,
    /// The call as it reached the database, e.g. `db.users.insertOne({ _id: ObjectId('…'), name: 'ada' })`.
    pub sent: Option<DriverCall>,
    /// For an aggregation: what came out of each stage, and which stage failed.
    pub pipeline: Option<PipelineRun>,
}

/// An aggregation's stages as they ran: the preview after every stage that ran (Compass's stage strip), and the
/// stage that raised the error, if one did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineRun {
    pub stages: Vec<crate::engine::aggregate::StagePreview>,
    /// The stage count of the pipeline as written (an error stops the previews before the end).
    pub length: usize,
    pub failed_stage: Option<usize>,
}

/// What MongoDB's TTL monitor would remove from one collection for one TTL index: the `_id`s of the documents
/// whose indexed date (the earliest one, for an array of dates) lies more than `expireAfterSeconds` before now.
#[derive(Debug, Clone, PartialEq)]
pub struct TtlExpiry {
    pub database: String,
    pub collection: String,
    pub field: String,
    pub expire_after_seconds: Bson,
    pub ids: Vec<Bson>,
}

/// Whether any collection of the cluster has a TTL index (so the monitor needs to read the clock at all).
pub fn has_ttl_indexes(cluster: &Cluster) -> bool {
    cluster
        .databases()
        .any(|db| db.collections().any(|coll| coll.indexes().iter().any(|index| index.expire_after_seconds.is_some())))
}

/// The documents the TTL monitor removes at `now` ("TTL Indexes": a document expires once its indexed date plus
/// `expireAfterSeconds` is in the past; for an array the earliest date counts; a document whose field is missing
/// or holds no date never expires). A compound index never carries the option (`createIndex` refuses it).
pub fn ttl_expired(cluster: &Cluster, now: bson::DateTime) -> Vec<TtlExpiry> {
    let mut out: Vec<TtlExpiry> = Vec::new();
    for db in cluster.databases() {
        for coll in db.collections() {
            for index in coll.indexes() {
                let (Some(seconds), [(field, _)]) = (&index.expire_after_seconds, index.keys.as_slice()) else {
                    continue;
                };
                let Some(seconds_f) = crate::js::inspect::js_number_value(seconds).filter(|n| n.is_finite()) else {
                    continue;
                };
                let cutoff = now.timestamp_millis().saturating_sub((seconds_f * 1000.0) as i64);
                let ids: Vec<Bson> = coll
                    .documents()
                    .filter(|doc| {
                        let earliest = crate::engine::index::values_at(doc, field)
                            .into_iter()
                            .filter_map(|value| match value {
                                Bson::DateTime(date) => Some(date.timestamp_millis()),
                                _ => None,
                            })
                            .min();
                        earliest.is_some_and(|millis| millis < cutoff)
                    })
                    .filter_map(|doc| doc.get("_id").cloned())
                    .filter(|id| !out.iter().any(|expiry| expiry.ids.contains(id)))
                    .collect();
                if !ids.is_empty() {
                    out.push(TtlExpiry {
                        database: db.name.clone(),
                        collection: coll.name().to_string(),
                        field: field.clone(),
                        expire_after_seconds: seconds.clone(),
                        ids,
                    });
                }
            }
        }
    }
    out
}

/// A failed driver call: the server's error, or a bulk write error after partial inserts.
#[derive(Debug, Clone, PartialEq)]
pub enum DriverError {
    Server(MongoError),
    BulkWrite {
        error: Box<MongoError>,
        inserted: Box<Bson>,
    },
    /// The driver itself refused before sending (`MongoInvalidArgumentError`).
    InvalidArgument(String),
    /// `updateOne(filter, { premium: true })`: an update whose first key is not an operator, refused by the driver
    /// before sending (`MongoInvalidArgumentError`).
    UpdateWithoutOperators,
    /// An error the driver's JavaScript meets before sending: a `TypeError` (setting `_id` on a number) or the
    /// BSON serializer's `BSONError`.
    Thrown {
        name: &'static str,
        message: String,
    },
}

/// The driver's words for [`DriverError::UpdateWithoutOperators`].
pub const UPDATE_WITHOUT_OPERATORS: &str = "Update document requires atomic operators";

impl DriverError {
    /// The failure in the words the driver (or the server behind it) uses, with a hint for beginners.
    pub fn at(self, span: Span) -> RuntimeError {
        match self {
            DriverError::Server(error) => RuntimeError::server(span, error),
            DriverError::BulkWrite { error, inserted } => {
                let error = *error;
                let hint = format!(
                    "The documents before the failing one were inserted: {}. An ordered insertMany stops at the first error.",
                    format_inline(&inserted)
                );
                RuntimeError {
                    source: ErrorSource::BulkWrite(error.clone()),
                    span,
                    message: error.message,
                    hint: Some(hint),
                }
            }
            DriverError::InvalidArgument(message) => RuntimeError::script("MongoInvalidArgumentError", span, message),
            DriverError::Thrown { name, message } => RuntimeError::script(name, span, message),
            DriverError::UpdateWithoutOperators => {
                RuntimeError::script("MongoInvalidArgumentError", span, UPDATE_WITHOUT_OPERATORS)
                    .with_hint("Wrap the change in an operator, e.g. { $set: { premium: true } }.")
            }
        }
    }
}

fn doc_arg(args: &[Bson], index: usize) -> Result<Document, DriverError> {
    match args.get(index) {
        None | Some(Bson::Undefined) => Ok(Document::new()),
        Some(Bson::Document(doc)) => Ok(doc.clone()),
        Some(other) => Err(DriverError::InvalidArgument(format!(
            "Argument {} must be an object, not {}",
            index + 1,
            crate::engine::value::type_name(other)
        ))),
    }
}

fn bool_option(options: &Document, name: &str) -> bool {
    matches!(options.get(name), Some(Bson::Boolean(true)))
}

fn int_of(value: Option<&Bson>) -> i64 {
    match value {
        Some(Bson::Int32(i)) => i64::from(*i),
        Some(Bson::Int64(i)) => *i,
        Some(Bson::Double(d)) if d.is_finite() => *d as i64,
        _ => 0,
    }
}

/// Find options accumulated from `find(filter, projection)` and a cursor chain.
fn find_options(args: &[Bson], chain: &[(CursorMethod, Vec<Bson>)]) -> Result<FindOptions, DriverError> {
    let mut options = FindOptions::default();
    let projection = doc_arg(args, 1)?;
    if !projection.is_empty() {
        options.projection = Some(projection);
    }
    for (name, chain_args) in chain {
        match name {
            CursorMethod::Sort => options.sort = Some(doc_arg(chain_args, 0)?),
            CursorMethod::Skip => {
                let skip = int_of(chain_args.first());
                options.skip = u64::try_from(skip).map_err(|_| {
                    DriverError::Server(MongoError::bad_value(format!(
                        "Skip value must be non-negative, but received: {skip}"
                    )))
                })?;
            }
            CursorMethod::Limit => options.limit = int_of(chain_args.first()),
            CursorMethod::Projection | CursorMethod::Project => options.projection = Some(doc_arg(chain_args, 0)?),
            CursorMethod::ToArray | CursorMethod::Pretty | CursorMethod::Explain | CursorMethod::Count => {}
        }
    }
    Ok(options)
}

/// Runs one driver call in database `database` of the cluster: every call that reaches the database comes here.
pub fn run(cluster: &mut Cluster, database: &str, call: &DriverCall) -> DriverOutcome {
    let mut outcome = DriverOutcome::default();
    let result = run_inner(cluster, database, call, &mut outcome);
    outcome.sent.get_or_insert_with(|| call.clone());
    outcome.result = Some(result);
    outcome
}

/// `db.<collection>.aggregate(pipeline, options)`: read-only pipelines from what exists; `$out`/`$merge` write
/// through the collections' write path, their changes persisted and undone like any write.
fn aggregate(
    cluster: &mut Cluster,
    database: &str,
    call: &DriverCall,
    outcome: &mut DriverOutcome,
) -> crate::engine::error::MongoResult<Bson> {
    use crate::engine::aggregate::AggregateOptions;
    let pipeline: Vec<Document> = match call.args.first() {
        Some(Bson::Array(stages)) => stages
            .iter()
            .map(|stage| match stage {
                Bson::Document(stage) => Ok(stage.clone()),
                _ => Err(MongoError::new(
                    ErrorCode::TypeMismatch,
                    "Each element of the 'pipeline' array must be an object",
                )),
            })
            .collect::<Result<_, _>>()?,
        None | Some(Bson::Undefined) => Vec::new(),
        Some(_) => {
            return Err(MongoError::new(ErrorCode::TypeMismatch, "'pipeline' option must be specified as an array"))
        }
    };
    let writes = pipeline.last().is_some_and(|stage| stage.contains_key("$out") || stage.contains_key("$merge"));
    let options = AggregateOptions { now: Some(cluster.generator.now()), ..AggregateOptions::default() };
    let explain = call.steps(CursorMethod::Explain).next().is_some();
    let result = if explain || !writes {
        let empty = crate::engine::database::Database::new(database);
        let db = cluster.database(database).unwrap_or(&empty);
        if explain {
            return db.explain_aggregate(&call.collection, &pipeline, &options).map(Bson::Document).map_err(Into::into);
        }
        db.aggregate(&call.collection, &pipeline, &options)
    } else {
        let (db, generator) = cluster.database_mut(database)?;
        let (result, changes) = db.aggregate_and_write(&call.collection, &pipeline, &options, generator);
        outcome.changes.extend(&changes);
        result
    };
    let length = pipeline.len();
    match result {
        Ok(result) => {
            outcome.pipeline = Some(PipelineRun { stages: result.stages, length, failed_stage: None });
            Ok(Bson::Array(result.documents.into_iter().map(Bson::Document).collect()))
        }
        Err(failure) => {
            outcome.pipeline = Some(PipelineRun { stages: failure.ran, length, failed_stage: failure.stage });
            Err(failure.error)
        }
    }
}

/// The documents `insertMany(docs)` sends, as the Node driver (mongodb 7) makes them: `bulkWrite` turns each
/// element into `{ insertOne: { document } }` and `maybeAddIdToDocuments` sets its `_id`, which on a number,
/// string or boolean is a TypeError (nothing is sent); a `null` element inserts the operation itself,
/// `{ document: null }` (the driver's fallback for a missing `document`); and the BSON serializer refuses the
/// other values that are not documents (arrays, dates, ObjectIds ...) when the batch is sent, so nothing is
/// inserted either.
fn insert_many_documents(items: Vec<Bson>) -> Result<Vec<Document>, DriverError> {
    let refused = |item: &Bson| match item {
        Bson::Double(_) | Bson::Int32(_) | Bson::Int64(_) | Bson::String(_) | Bson::Boolean(_) => {
            Some(DriverError::Thrown {
                name: "TypeError",
                message: format!(
                    "Cannot create property '_id' on {} '{}'",
                    crate::js::inspect::js_value_type(item),
                    crate::js::inspect::js_string(item)
                ),
            })
        }
        _ => None,
    };
    if let Some(error) = items.iter().find_map(refused) {
        return Err(error);
    }
    let unserializable = |item: &Bson| {
        let message = match item {
            Bson::Document(_) | Bson::Null | Bson::Undefined => return None,
            Bson::Array(_) => "serialize does not support an array as the root input",
            Bson::DateTime(_) | Bson::RegularExpression(_) | Bson::Binary(_) => {
                "date, regexp, typedarray, and arraybuffer cannot be BSON documents"
            }
            _ => "BSON types cannot be serialized as a document",
        };
        Some(DriverError::Thrown { name: "BSONError", message: message.to_string() })
    };
    if let Some(error) = items.iter().find_map(unserializable) {
        return Err(error);
    }
    Ok(items
        .into_iter()
        .map(|item| match item {
            Bson::Document(document) => document,
            _ => bson::doc! { "document": Bson::Null },
        })
        .collect())
}

/// The inserted documents as they will be stored (with `_id`), so the call text shows what reached the database.
fn with_ids(docs: Vec<Document>, cluster: &mut Cluster) -> Vec<Document> {
    docs.into_iter().map(|d| crate::engine::collection::with_id_first(d, &mut cluster.generator)).collect()
}

fn run_inner(
    cluster: &mut Cluster,
    database: &str,
    call: &DriverCall,
    outcome: &mut DriverOutcome,
) -> Result<Bson, DriverError> {
    // The engine's few driver-side refusals (a replacement with operators) are the driver's error, not the server's.
    let server = |error: MongoError| match error.code {
        ErrorCode::DriverInvalidArgument => DriverError::InvalidArgument(error.message),
        _ => DriverError::Server(error),
    };
    let DriverCall { collection, method, args, chain } = call;
    let (collection, method) = (collection.as_str(), *method);
    match method {
        DriverMethod::CreateCollection => return create_collection(cluster, database, collection, outcome),
        DriverMethod::DropDatabase => return Ok(drop_database(cluster, database, outcome)),
        _ => {}
    }
    if method == DriverMethod::Aggregate {
        return aggregate(cluster, database, call, outcome).map_err(server);
    }
    // Reads never create a collection; answer them from what exists.
    if method.is_read() {
        let existing = cluster.database(database).and_then(|db| db.collection(collection));
        let empty = crate::engine::collection::Collection::new(database, collection);
        let coll = existing.unwrap_or(&empty);
        return match method {
            DriverMethod::Find => {
                let filter = doc_arg(args, 0)?;
                let options = find_options(args, chain)?;
                if call.steps(CursorMethod::Explain).next().is_some() {
                    return coll.explain(&filter, &options).map(Bson::Document).map_err(server);
                }
                let docs = coll.find(&filter, &options).map_err(server)?;
                if call.steps(CursorMethod::Count).next().is_some() {
                    return Ok(count(docs.len() as u64));
                }
                Ok(Bson::Array(docs.into_iter().map(Bson::Document).collect()))
            }
            DriverMethod::FindOne => {
                let filter = doc_arg(args, 0)?;
                let options = find_options(args, &[])?;
                Ok(coll.find_one(&filter, &options).map_err(server)?.map(Bson::Document).unwrap_or(Bson::Null))
            }
            DriverMethod::CountDocuments => {
                let filter = doc_arg(args, 0)?;
                let options = doc_arg(args, 1)?;
                let skip = u64::try_from(int_of(options.get("skip"))).unwrap_or(0);
                let limit = u64::try_from(int_of(options.get("limit"))).unwrap_or(0);
                Ok(count(coll.count_documents(&filter, skip, limit).map_err(server)?))
            }
            DriverMethod::EstimatedDocumentCount => Ok(count(coll.estimated_document_count())),
            DriverMethod::Distinct => {
                let Some(Bson::String(field)) = args.first() else {
                    return Err(DriverError::InvalidArgument("distinct needs a field name as a string".into()));
                };
                let filter = doc_arg(args, 1)?;
                Ok(Bson::Array(coll.distinct(field, &filter).map_err(server)?))
            }
            // `listIndexes` of a collection that does not exist fails (list_indexes.cpp), in mongosh's
            // `getIndexes()` too.
            _ if existing.is_none() => Err(DriverError::Server(
                MongoError::new(ErrorCode::NamespaceNotFound, format!("ns does not exist: {database}.{collection}"))
                    .with_hint(
                        "This collection does not exist yet: it is created by its first insert (or createCollection).",
                    ),
            )),
            _ => Ok(Bson::Array(coll.list_indexes().into_iter().map(Bson::Document).collect())),
        };
    }
    if method == DriverMethod::Drop {
        let (db, _) = cluster.database_mut(database).map_err(server)?;
        // Every stored document goes with the collection, so storage forgets them too (and undo brings them back).
        let removed: Vec<crate::engine::changes::Change> = db
            .collection(collection)
            .map(|coll| {
                coll.shared_records()
                    .map(|(record, doc)| crate::engine::changes::Change::Deleted { record, doc })
                    .collect()
            })
            .unwrap_or_default();
        let existed = db.drop_collection(collection);
        if existed {
            outcome.changes.push_all(database, collection, removed);
            outcome.changes.collections.push((database.to_string(), collection.to_string(), false));
        }
        return Ok(Bson::Boolean(existed));
    }
    // Documents get their `_id` before the call text is written, as the driver adds it before sending.
    let mut args = args.to_vec();
    match method {
        DriverMethod::InsertOne => {
            if let Some(Bson::Document(doc)) = args.first().cloned() {
                args[0] = Bson::Document(with_ids(vec![doc], cluster).into_iter().next().unwrap_or_default());
            }
        }
        DriverMethod::InsertMany => {
            if let Some(Bson::Array(items)) = args.first().cloned() {
                let docs = insert_many_documents(items)?;
                args[0] = Bson::Array(with_ids(docs, cluster).into_iter().map(Bson::Document).collect());
            }
        }
        _ => {}
    }
    outcome.sent =
        Some(DriverCall { collection: collection.to_string(), method, args: args.clone(), chain: chain.clone() });
    let (db, generator) = cluster.database_mut(database).map_err(server)?;
    let (coll, created) = db.collection_mut(collection).map_err(server)?;
    let mut changes = Vec::new();
    let result = match method {
        DriverMethod::InsertOne => {
            let doc = match args.first() {
                Some(Bson::Document(doc)) => doc.clone(),
                _ => return Err(DriverError::InvalidArgument("insertOne needs a document: insertOne({ ... })".into())),
            };
            coll.insert_one(doc, generator).map(|(result, c)| {
                changes = c;
                Bson::Document(result.to_document())
            })
        }
        DriverMethod::InsertMany => {
            let Some(Bson::Array(items)) = args.first() else {
                return Err(DriverError::InvalidArgument("Argument \"docs\" must be an array of documents".into()));
            };
            let mut docs = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Bson::Document(doc) => docs.push(doc.clone()),
                    _ => {
                        return Err(DriverError::InvalidArgument(
                            "Argument \"docs\" must be an array of documents".into(),
                        ))
                    }
                }
            }
            let ordered = !matches!(doc_arg(&args, 1)?.get("ordered"), Some(Bson::Boolean(false)));
            let (result, c) = coll.insert_many(docs, ordered, generator);
            changes = c;
            match result {
                Ok(result) => Ok(Bson::Document(result.to_document())),
                Err(bulk) => {
                    if created && coll.is_empty() {
                        db.drop_collection(collection);
                    } else if created {
                        outcome.changes.collections.push((database.to_string(), collection.to_string(), true));
                    }
                    outcome.changes.push_all(database, collection, changes);
                    let error =
                        bulk.write_errors.first().map(|(_, e)| e.clone()).unwrap_or_else(|| MongoError::bad_value(""));
                    return Err(DriverError::BulkWrite {
                        error: Box::new(error),
                        inserted: Box::new(Bson::Document(bulk.result.to_document())),
                    });
                }
            }
        }
        DriverMethod::UpdateOne | DriverMethod::UpdateMany | DriverMethod::ReplaceOne => {
            let filter = doc_arg(&args, 0)?;
            let options = doc_arg(&args, 2)?;
            let array_filters: Vec<Document> = match options.get("arrayFilters") {
                Some(Bson::Array(items)) => items.iter().filter_map(|i| i.as_document().cloned()).collect(),
                _ => Vec::new(),
            };
            let update = match (method, args.get(1)) {
                (DriverMethod::ReplaceOne, Some(Bson::Document(doc))) => Update::compile_replacement(doc),
                (_, Some(Bson::Document(doc))) => {
                    if doc.keys().next().is_some_and(|k| !k.starts_with('$')) {
                        return Err(DriverError::UpdateWithoutOperators);
                    }
                    Update::compile_operators(doc, &array_filters)
                }
                (_, Some(Bson::Array(_))) => {
                    return Err(DriverError::InvalidArgument(
                        "Aggregation pipeline updates are not supported by crudlab".into(),
                    ))
                }
                _ => {
                    return Err(DriverError::InvalidArgument(format!("{method} needs a filter and an update document")))
                }
            };
            match update {
                Ok(update) => {
                    let (result, c) = coll.update(
                        &filter,
                        &update,
                        method == DriverMethod::UpdateMany,
                        bool_option(&options, "upsert"),
                        generator,
                    );
                    changes = c;
                    result.map(|r| Bson::Document(r.to_document()))
                }
                Err(e) => Err(e),
            }
        }
        DriverMethod::DeleteOne | DriverMethod::DeleteMany => {
            let filter = doc_arg(&args, 0)?;
            coll.delete(&filter, method == DriverMethod::DeleteMany).map(|(result, c)| {
                changes = c;
                Bson::Document(result.to_document())
            })
        }
        DriverMethod::FindOneAndUpdate | DriverMethod::FindOneAndReplace => {
            let filter = doc_arg(&args, 0)?;
            let options = doc_arg(&args, 2)?;
            let update = match args.get(1) {
                Some(Bson::Document(doc)) if method == DriverMethod::FindOneAndReplace => {
                    Update::compile_replacement(doc)
                }
                Some(Bson::Document(doc)) => {
                    if doc.keys().next().is_some_and(|k| !k.starts_with('$')) {
                        return Err(DriverError::UpdateWithoutOperators);
                    }
                    Update::compile_operators(doc, &[])
                }
                _ => {
                    return Err(DriverError::InvalidArgument(format!("{method} needs a filter and an update document")))
                }
            };
            match update {
                Ok(update) => {
                    let return_after = matches!(options.get("returnDocument"), Some(Bson::String(s)) if s == "after")
                        || bool_option(&options, "returnNewDocument");
                    let modify = FindAndModifyOptions {
                        sort: options.get_document("sort").ok().cloned(),
                        projection: options.get_document("projection").ok().cloned(),
                        upsert: bool_option(&options, "upsert"),
                        return_document: if return_after { ReturnDocument::After } else { ReturnDocument::Before },
                    };
                    let (result, c) = coll.find_one_and_update(&filter, &update, &modify, generator);
                    changes = c;
                    result.map(|doc| doc.map(Bson::Document).unwrap_or(Bson::Null))
                }
                Err(e) => Err(e),
            }
        }
        DriverMethod::FindOneAndDelete => {
            let filter = doc_arg(&args, 0)?;
            let options = doc_arg(&args, 1)?;
            coll.find_one_and_delete(
                &filter,
                options.get_document("sort").ok(),
                options.get_document("projection").ok(),
            )
            .map(|(doc, c)| {
                changes = c;
                doc.map(Bson::Document).unwrap_or(Bson::Null)
            })
        }
        DriverMethod::CreateIndex => {
            let keys = doc_arg(&args, 0)?;
            let options = doc_arg(&args, 1)?;
            let name = options.get_str("name").ok().map(str::to_string);
            let index_options = crate::engine::index::IndexOptions {
                unique: bool_option(&options, "unique"),
                sparse: bool_option(&options, "sparse"),
                expire_after_seconds: options.get("expireAfterSeconds").cloned(),
            };
            coll.create_index_with(&keys, &index_options, name.as_deref()).map(|(name, c)| {
                changes = c;
                Bson::String(name)
            })
        }
        DriverMethod::DropIndex => match args.first() {
            Some(Bson::String(name)) => coll.drop_index(name).map(|c| {
                changes = c;
                bson::bson!({"nIndexesWas": count(coll.indexes().len() as u64 + 1), "ok": 1})
            }),
            Some(Bson::Document(keys)) => {
                let name = coll
                    .indexes()
                    .iter()
                    .find(|i| &i.key_document() == keys)
                    .map(|i| i.name.clone())
                    .unwrap_or_else(|| crate::engine::index::Index::default_name(&[]));
                coll.drop_index(&name).map(|c| {
                    changes = c;
                    bson::bson!({"nIndexesWas": count(coll.indexes().len() as u64 + 1), "ok": 1})
                })
            }
            _ => return Err(DriverError::InvalidArgument("dropIndex needs an index name or key pattern".into())),
        },
        // Reads, drop and the database methods were answered above.
        DriverMethod::Find
        | DriverMethod::FindOne
        | DriverMethod::CountDocuments
        | DriverMethod::EstimatedDocumentCount
        | DriverMethod::Distinct
        | DriverMethod::Aggregate
        | DriverMethod::GetIndexes
        | DriverMethod::ListIndexes
        | DriverMethod::Drop
        | DriverMethod::CreateCollection
        | DriverMethod::DropDatabase => {
            return Err(DriverError::InvalidArgument(format!("crudlab cannot run {method} here")))
        }
    };
    // A write that failed before storing anything does not leave an empty collection behind.
    let keep_collection = !(created && coll.is_empty() && coll.indexes().len() == 1 && changes.is_empty());
    if created && keep_collection {
        outcome.changes.collections.push((database.to_string(), collection.to_string(), true));
    } else if created {
        db.drop_collection(collection);
    }
    outcome.changes.push_all(database, collection, changes);
    result.map_err(server)
}

/// `db.createCollection(name)`: a new, empty collection (or `{ ok: 1 }` for one that exists, as mongosh answers).
fn create_collection(
    cluster: &mut Cluster,
    database: &str,
    name: &str,
    outcome: &mut DriverOutcome,
) -> Result<Bson, DriverError> {
    crate::engine::database::validate_collection_name(name).map_err(DriverError::Server)?;
    let (db, _) = cluster.database_mut(database).map_err(DriverError::Server)?;
    let (_, created) = db.collection_mut(name).map_err(DriverError::Server)?;
    if created {
        outcome.changes.collections.push((database.to_string(), name.to_string(), true));
    }
    Ok(bson::bson!({"ok": 1}))
}

/// `db.dropDatabase()`: every collection and document of the database goes, so storage forgets them too (and undo
/// brings them back).
fn drop_database(cluster: &mut Cluster, database: &str, outcome: &mut DriverOutcome) -> Bson {
    if let Some(db) = cluster.database(database) {
        for coll in db.collections() {
            outcome.changes.collections.push((database.to_string(), coll.name().to_string(), false));
            for (record, doc) in coll.shared_records() {
                outcome.changes.entries.push((
                    database.to_string(),
                    coll.name().to_string(),
                    crate::engine::changes::Change::Deleted { record, doc },
                ));
            }
        }
    }
    cluster.drop_database(database);
    bson::bson!({"ok": 1, "dropped": database})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::generator::Generator;
    use bson::{bson, doc};

    fn call(collection: &str, method: DriverMethod, args: Vec<Bson>) -> DriverCall {
        DriverCall::new(collection, method, args)
    }

    fn cluster() -> Cluster {
        Cluster::new(Generator::deterministic(1))
    }

    #[test]
    fn insert_many_refuses_what_the_node_driver_refuses_and_inserts_nothing() {
        let mut c = cluster();
        let thrown = |name: &'static str, message: &str| Err(DriverError::Thrown { name, message: message.into() });
        let cases = [
            (bson!([5]), thrown("TypeError", "Cannot create property '_id' on number '5'")),
            (bson!([{"a": 1}, "ab"]), thrown("TypeError", "Cannot create property '_id' on string 'ab'")),
            // Setting `_id` fails while the bulk is built, before the batch is serialized.
            (bson!([[1], true]), thrown("TypeError", "Cannot create property '_id' on boolean 'true'")),
            (bson!([{"a": 1}, [1]]), thrown("BSONError", "serialize does not support an array as the root input")),
        ];
        for (docs, expected) in cases {
            let outcome = run(&mut c, "test", &call("t", DriverMethod::InsertMany, vec![docs]));
            assert_eq!(outcome.result, Some(expected));
        }
        assert!(c.database("test").and_then(|db| db.collection("t")).is_none());
        // A null element: the driver inserts its `{ document: null }` operation.
        let outcome = run(&mut c, "test", &call("t", DriverMethod::InsertMany, vec![bson!([null])]));
        assert!(matches!(outcome.result, Some(Ok(_))));
        let stored = run(&mut c, "test", &call("t", DriverMethod::Find, vec![bson!({}), bson!({"_id": 0})]));
        assert_eq!(stored.result, Some(Ok(bson!([{"document": null}]))));
    }

    #[test]
    fn listing_the_indexes_of_a_collection_that_does_not_exist_is_namespace_not_found() {
        let mut c = cluster();
        let outcome = run(&mut c, "test", &call("ghosts", DriverMethod::GetIndexes, vec![]));
        let Some(Err(DriverError::Server(error))) = outcome.result else { panic!("{:?}", outcome.result) };
        assert_eq!((error.code.number(), error.code.name().as_ref()), (26, "NamespaceNotFound"));
        assert_eq!(error.message, "ns does not exist: test.ghosts");
        run(&mut c, "test", &call("ghosts", DriverMethod::InsertOne, vec![bson!({"a": 1})]));
        let outcome = run(&mut c, "test", &call("ghosts", DriverMethod::ListIndexes, vec![]));
        assert_eq!(outcome.result, Some(Ok(bson!([{"v": 2, "key": {"_id": 1}, "name": "_id_"}]))));
    }

    #[test]
    fn insert_shows_the_generated_id_in_the_call_text() {
        let mut c = cluster();
        let outcome = run(&mut c, "test", &call("users", DriverMethod::InsertOne, vec![bson!({"name": "ada"})]));
        assert_eq!(
            outcome.sent.unwrap().to_string(),
            "db.users.insertOne({ _id: ObjectId('659200800000000001000001'), name: 'ada' })"
        );
        let result = outcome.result.unwrap().unwrap();
        assert_eq!(
            result,
            bson!({"acknowledged": true, "insertedId": bson::oid::ObjectId::parse_str("659200800000000001000001").unwrap()})
        );
        assert_eq!(outcome.changes.collections, vec![("test".to_string(), "users".to_string(), true)]);
    }

    #[test]
    fn failed_first_write_leaves_no_collection() {
        let mut c = cluster();
        let outcome =
            run(&mut c, "test", &call("users", DriverMethod::UpdateOne, vec![bson!({}), bson!({"$bogus": {"a": 1}})]));
        assert!(matches!(outcome.result, Some(Err(DriverError::Server(_)))));
        assert!(c.database_names().is_empty());
        assert!(outcome.changes.is_empty());
    }

    #[test]
    fn update_without_operators_is_refused_by_the_driver() {
        let mut c = cluster();
        run(&mut c, "test", &call("users", DriverMethod::InsertOne, vec![bson!({"_id": 1})]));
        let outcome = run(
            &mut c,
            "test",
            &call("users", DriverMethod::UpdateOne, vec![bson!({"_id": 1}), bson!({"premium": true})]),
        );
        assert_eq!(outcome.result, Some(Err(DriverError::UpdateWithoutOperators)));
    }

    #[test]
    fn find_applies_the_cursor_chain() {
        let mut c = cluster();
        let docs = bson!([{"_id": 1, "a": 3}, {"_id": 2, "a": 1}, {"_id": 3, "a": 2}]);
        run(&mut c, "test", &call("t", DriverMethod::InsertMany, vec![docs]));
        let find = call("t", DriverMethod::Find, vec![bson!({})])
            .then(CursorMethod::Sort, vec![bson!({"a": 1})])
            .then(CursorMethod::Limit, vec![Bson::Int32(2)]);
        let outcome = run(&mut c, "test", &find);
        assert_eq!(outcome.result.unwrap().unwrap(), bson!([{"_id": 2, "a": 1}, {"_id": 3, "a": 2}]));
        assert_eq!(outcome.sent.unwrap().to_string(), "db.t.find({}).sort({ a: 1 }).limit(2)");
        let explain = run(
            &mut c,
            "test",
            &call("t", DriverMethod::Find, vec![bson!({"a": 1})]).then(CursorMethod::Explain, vec![]),
        );
        let explain = explain.result.unwrap().unwrap();
        assert_eq!(
            explain.as_document().unwrap().get_document("executionStats").unwrap().get("totalDocsExamined"),
            Some(&Bson::Int32(3))
        );
    }

    #[test]
    fn ordered_insert_many_reports_a_bulk_write_error() {
        let mut c = cluster();
        let outcome = run(
            &mut c,
            "test",
            &call("t", DriverMethod::InsertMany, vec![bson!([{"_id": 1}, {"_id": 1}, {"_id": 2}])]),
        );
        match outcome.result {
            Some(Err(DriverError::BulkWrite { error, inserted })) => {
                assert_eq!(error.code, 11000);
                assert_eq!(*inserted, bson!({"acknowledged": true, "insertedIds": {"0": 1}}));
            }
            other => panic!("expected a bulk write error, got {other:?}"),
        }
        assert_eq!(outcome.changes.entries.len(), 1);
        assert_eq!(c.database("test").unwrap().collection("t").unwrap().len(), 1);
        let _ = doc! {};
    }

    #[test]
    fn database_methods_go_through_the_driver_too() {
        let mut c = cluster();
        let created = run(&mut c, "shop", &call("orders", DriverMethod::CreateCollection, vec![]));
        assert_eq!(created.result, Some(Ok(bson!({"ok": 1}))));
        assert_eq!(created.changes.collections, vec![("shop".to_string(), "orders".to_string(), true)]);
        run(&mut c, "shop", &call("orders", DriverMethod::InsertOne, vec![bson!({"_id": 1})]));
        let dropped = run(&mut c, "shop", &call("", DriverMethod::DropDatabase, vec![]));
        assert_eq!(dropped.result, Some(Ok(bson!({"ok": 1, "dropped": "shop"}))));
        assert_eq!(dropped.changes.entries.len(), 1, "the stored document is forgotten with its database");
        assert!(c.database_names().is_empty());
        let refused = run(&mut c, "shop", &call("bad$name", DriverMethod::CreateCollection, vec![]));
        assert!(matches!(refused.result, Some(Err(DriverError::Server(_)))));
    }
}
