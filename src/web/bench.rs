//! In-browser benchmark entry points (feature `bench-exports`): the engine's workloads (finds, writes and
//! aggregations) and IndexedDB persistence, called from JavaScript by `e2e/bench/browser-bench.mjs` so crudlab and
//! mingo are timed in the same page.

use crate::conformance::ejson::to_document;
use crate::engine::collection::{Collection, FindOptions};
use crate::engine::database::{Cluster, Database};
use crate::engine::generator::Generator;
use crate::engine::update::Update;
use crate::storage::codec;
use crate::storage::indexeddb::IdbStore;
use bson::Document;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    /// The benchmark database: the loaded documents as `users`, and `courses` once loaded.
    static DATABASE: RefCell<Option<Database>> = const { RefCell::new(None) };
}

/// The collection [`bench_load`] fills.
const USERS: &str = "users";

fn js_error(message: impl std::fmt::Display) -> JsValue {
    JsValue::from_str(&message.to_string())
}

fn document(json: &str) -> Result<Document, JsValue> {
    if json.trim().is_empty() {
        return Ok(Document::new());
    }
    let value: serde_json::Value = serde_json::from_str(json).map_err(js_error)?;
    to_document(&value).map_err(js_error)
}

fn documents(json: &str) -> Result<Vec<Document>, JsValue> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(js_error)?;
    let serde_json::Value::Array(items) = value else { return Err(js_error("expected a JSON array")) };
    // Extended JSON (`{"$oid": …}`, `{"$date": …}`) read the same way as the conformance cases.
    items.iter().map(|item| to_document(item).map_err(js_error)).collect()
}

fn now() -> f64 {
    crate::clock::monotonic_millis()
}

/// Replaces the benchmark collection with `docs_json` (a JSON array); indexes `index_field` (unique) if non-empty.
/// Returns the time the `insertMany` took, in milliseconds.
#[wasm_bindgen]
pub fn bench_load(docs_json: &str, index_field: &str, unique: bool) -> Result<f64, JsValue> {
    let docs = documents(docs_json)?;
    let mut collection = Collection::new("bench", USERS);
    if !index_field.is_empty() {
        collection.create_index(&bson::doc! { index_field: 1 }, unique, None).map_err(|e| js_error(e.message))?;
    }
    let mut generator = Generator::deterministic(1);
    let start = now();
    let (result, _) = collection.insert_many(docs, true, &mut generator);
    let elapsed = now() - start;
    result.map_err(|e| js_error(e.message()))?;
    DATABASE.with(|cell| cell.borrow_mut().get_or_insert_with(|| Database::new("bench")).insert_collection(collection));
    Ok(elapsed)
}

fn with_collection<T>(f: impl FnOnce(&mut Collection) -> Result<T, JsValue>) -> Result<T, JsValue> {
    DATABASE.with(|cell| match cell.borrow_mut().as_mut().filter(|db| db.collection(USERS).is_some()) {
        Some(database) => f(database.collection_mut(USERS).map_err(|e| js_error(e.message))?.0),
        None => Err(js_error("call bench_load first")),
    })
}

/// Loads the benchmark's `courses` (those `purchasedCourses` refer to) and returns them, with the aggregation
/// pipelines, as relaxed Extended JSON `{courses: [...], pipelines: {name: [stages]}}`, so mingo gets the same.
#[wasm_bindgen]
pub fn bench_load_courses() -> Result<String, JsValue> {
    let courses = crate::dataset::courses();
    let mut collection = Collection::new("bench", "courses");
    let (result, _) = collection.insert_many(courses.clone(), true, &mut Generator::deterministic(1));
    result.map_err(|e| js_error(e.message()))?;
    DATABASE.with(|cell| cell.borrow_mut().get_or_insert_with(|| Database::new("bench")).insert_collection(collection));
    let workloads = crate::dataset::workloads(0);
    let mut pipelines = Document::new();
    for name in crate::dataset::AGGREGATIONS {
        if let Some(pipeline) = workloads.get(name) {
            pipelines.insert(name, pipeline.clone());
        }
    }
    let courses = bson::Bson::Array(courses.into_iter().map(bson::Bson::Document).collect());
    Ok(bson::Bson::Document(bson::doc! { "courses": courses, "pipelines": pipelines })
        .into_relaxed_extjson()
        .to_string())
}

fn aggregate(pipeline_json: &str) -> Result<Vec<Document>, JsValue> {
    let value: serde_json::Value = serde_json::from_str(pipeline_json).map_err(js_error)?;
    let serde_json::Value::Array(stages) = value else { return Err(js_error("expected a JSON array of stages")) };
    let pipeline = stages.iter().map(|stage| to_document(stage).map_err(js_error)).collect::<Result<Vec<_>, _>>()?;
    DATABASE.with(|cell| match cell.borrow().as_ref() {
        Some(database) => database
            .aggregate(USERS, &pipeline, &crate::dataset::aggregate_options())
            .map(|outcome| outcome.documents)
            .map_err(js_error),
        None => Err(js_error("call bench_load first")),
    })
}

/// `db.users.aggregate(pipeline)` with the result documents, as mingo's `Aggregator.run`; returns how many.
#[wasm_bindgen]
pub fn bench_aggregate(pipeline_json: &str) -> Result<u32, JsValue> {
    Ok(aggregate(pipeline_json)?.len() as u32)
}

/// What `workload`'s pipeline computed ([`crate::dataset::aggregate_check`]), as relaxed Extended JSON.
#[wasm_bindgen]
pub fn bench_aggregate_check(workload: &str, pipeline_json: &str) -> Result<String, JsValue> {
    let results = aggregate(pipeline_json)?;
    Ok(crate::dataset::aggregate_check(workload, &results).into_relaxed_extjson().to_string())
}

/// `find(filter).sort(sort).limit(limit)`; returns how many documents came back.
#[wasm_bindgen]
pub fn bench_find(filter_json: &str, sort_json: &str, limit: i32) -> Result<u32, JsValue> {
    let filter = document(filter_json)?;
    let sort = document(sort_json)?;
    let options =
        FindOptions { sort: (!sort.is_empty()).then_some(sort), limit: i64::from(limit), ..FindOptions::default() };
    // Like mingo's cursor, hand out the stored documents (no copies).
    with_collection(|c| Ok(c.find_refs(&filter, &options).map_err(|e| js_error(e.message))?.len() as u32))
}

/// `findOne(filter)`; returns 1 when found.
#[wasm_bindgen]
pub fn bench_find_one(filter_json: &str) -> Result<u32, JsValue> {
    let filter = document(filter_json)?;
    with_collection(|c| {
        Ok(u32::from(c.find_one(&filter, &FindOptions::default()).map_err(|e| js_error(e.message))?.is_some()))
    })
}

/// `countDocuments(filter)`.
#[wasm_bindgen]
pub fn bench_count(filter_json: &str) -> Result<u32, JsValue> {
    let filter = document(filter_json)?;
    with_collection(|c| Ok(c.count_documents(&filter, 0, 0).map_err(|e| js_error(e.message))? as u32))
}

/// `updateMany(filter, update)`; returns the modified count.
#[wasm_bindgen]
pub fn bench_update_many(filter_json: &str, update_json: &str) -> Result<u32, JsValue> {
    let filter = document(filter_json)?;
    let update = Update::compile_operators(&document(update_json)?, &[]).map_err(|e| js_error(e.message))?;
    let mut generator = Generator::deterministic(2);
    with_collection(|c| {
        let (result, _) = c.update(&filter, &update, true, false, &mut generator);
        let result = result.map_err(|e| js_error(e.message))?;
        Ok(result.to_document().get_i32("modifiedCount").unwrap_or(0) as u32)
    })
}

/// `deleteMany(filter)`; returns the deleted count.
#[wasm_bindgen]
pub fn bench_delete_many(filter_json: &str) -> Result<u32, JsValue> {
    let filter = document(filter_json)?;
    with_collection(|c| {
        let (result, _) = c.delete(&filter, true).map_err(|e| js_error(e.message))?;
        Ok(result.to_document().get_i32("deletedCount").unwrap_or(0) as u32)
    })
}

/// `insertMany` of `docs_json` persisted to IndexedDB in one transaction, as a Run does; returns milliseconds
/// (engine insert + record encoding + the committed transaction).
#[wasm_bindgen]
pub async fn bench_idb_insert_many(docs_json: String) -> Result<f64, JsValue> {
    let docs = documents(&docs_json)?;
    let store = IdbStore::open("crudlab-bench").await.map_err(js_error)?;
    store.clear().await.map_err(js_error)?;
    let mut cluster = Cluster::new(Generator::deterministic(3));
    let start = now();
    let changes = {
        let (db, generator) = cluster.database_mut("bench").map_err(|e| js_error(e.message))?;
        let (collection, _) = db.collection_mut("docs").map_err(|e| js_error(e.message))?;
        let (result, changes) = collection.insert_many(docs, true, generator);
        result.map_err(|e| js_error(e.message()))?;
        let mut set = crate::engine::changes::ChangeSet::default();
        set.collections.push(("bench".into(), "docs".into(), true));
        set.push_all("bench", "docs", changes);
        set
    };
    store.apply(&codec::batch_for(&cluster, &changes)).await.map_err(js_error)?;
    let elapsed = now() - start;
    store.close();
    Ok(elapsed)
}

/// One persisted `insertOne` into the store `bench_idb_insert_many` filled; returns milliseconds.
#[wasm_bindgen]
pub async fn bench_idb_insert_one() -> Result<f64, JsValue> {
    let store = IdbStore::open("crudlab-bench").await.map_err(js_error)?;
    let mut cluster = Cluster::new(Generator::Live);
    codec::load(&mut cluster, &store.load_all().await.map_err(js_error)?);
    let start = now();
    let (db, generator) = cluster.database_mut("bench").map_err(|e| js_error(e.message))?;
    let (collection, _) = db.collection_mut("docs").map_err(|e| js_error(e.message))?;
    let (_, changes) =
        collection.insert_one(bson::doc! {"username": "one-more"}, generator).map_err(|e| js_error(e.message))?;
    let mut set = crate::engine::changes::ChangeSet::default();
    set.push_all("bench", "docs", changes);
    store.apply(&codec::batch_for(&cluster, &set)).await.map_err(js_error)?;
    let elapsed = now() - start;
    store.close();
    Ok(elapsed)
}

/// Cold start: open the store `bench_idb_insert_many` filled, read every record and rebuild the cluster, as the
/// page does at start-up; returns milliseconds and checks the document count.
#[wasm_bindgen]
pub async fn bench_idb_cold_load(expected: u32) -> Result<f64, JsValue> {
    let start = now();
    let store = IdbStore::open("crudlab-bench").await.map_err(js_error)?;
    let records = store.load_all().await.map_err(js_error)?;
    let mut cluster = Cluster::new(Generator::Live);
    let problems = codec::load(&mut cluster, &records);
    let elapsed = now() - start;
    store.close();
    let loaded = cluster.database("bench").and_then(|db| db.collection("docs")).map_or(0, |c| c.len());
    if !problems.is_empty() || loaded < expected as usize {
        return Err(js_error(format!("loaded {loaded} documents with {} problem(s)", problems.len())));
    }
    Ok(elapsed)
}

/// The IndexedDB part of a cold start alone: open the store `bench_idb_insert_many` filled and read every record
/// (what [`bench_idb_cold_load`] does before rebuilding the cluster); returns milliseconds and checks that records
/// came back.
#[wasm_bindgen]
pub async fn bench_idb_read_records() -> Result<f64, JsValue> {
    let start = now();
    let store = IdbStore::open("crudlab-bench").await.map_err(js_error)?;
    let records = store.load_all().await.map_err(js_error)?;
    let elapsed = now() - start;
    store.close();
    if records.is_empty() {
        return Err(js_error("no records to read"));
    }
    Ok(elapsed)
}

/// How to store a document in IndexedDB: the issue left the choice between BSON bytes and serde-wasm-bindgen
/// objects to measurement. Writes `n` LinkedIn-like users (with a date, a double and a 64-bit integer) both ways,
/// each in one transaction, reads them back and decodes them; returns, per format, the write and read times and how
/// many documents came back different from what was written (as JSON).
#[wasm_bindgen]
pub async fn bench_record_formats(n: u32) -> Result<String, JsValue> {
    let docs: Vec<Document> = crate::dataset::users(u64::from(n))
        .into_iter()
        .enumerate()
        .map(|(i, mut doc)| {
            doc.insert("joined", bson::DateTime::from_millis(1_700_000_000_000 + i as i64));
            doc.insert("balance", 1.0);
            doc.insert("views", i64::from(n) * 1_000_000 + i as i64);
            doc
        })
        .collect();
    let mut report = serde_json::Map::new();
    for format in ["bson_bytes", "serde_wasm_bindgen"] {
        let store = IdbStore::open(&format!("crudlab-bench-{format}")).await.map_err(js_error)?;
        store.clear().await.map_err(js_error)?;
        let start = now();
        let mut values = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let value: JsValue = match format {
                "bson_bytes" => js_sys::Uint8Array::from(doc.to_vec().map_err(js_error)?.as_slice()).into(),
                _ => serde_wasm_bindgen::to_value(doc).map_err(js_error)?,
            };
            values.push((format!("{i:08}"), value));
        }
        store.put_values(values).await.map_err(js_error)?;
        let write_ms = now() - start;
        let start = now();
        let mut decoded = Vec::with_capacity(docs.len());
        for value in store.values().await.map_err(js_error)? {
            decoded.push(match format {
                "bson_bytes" => {
                    let bytes = value.dyn_into::<js_sys::Uint8Array>().map_err(|_| js_error("not bytes"))?.to_vec();
                    Document::from_reader(bytes.as_slice()).map_err(js_error)?
                }
                _ => serde_wasm_bindgen::from_value::<Document>(value).map_err(js_error)?,
            });
        }
        let read_ms = now() - start;
        store.close();
        let changed = docs.iter().zip(&decoded).filter(|(written, read)| written != read).count()
            + docs.len().abs_diff(decoded.len());
        // The first field that came back different, with both values as BSON sees them (type included).
        let example = docs.iter().zip(&decoded).find(|(written, read)| written != read).map(|(written, read)| {
            written.iter().find(|(key, value)| read.get(key.as_str()) != Some(*value)).map_or_else(
                || "the fields came back in another order".to_string(),
                |(key, value)| format!("{key}: wrote {value:?}, read {:?}", read.get(key.as_str())),
            )
        });
        report.insert(
            format.to_string(),
            serde_json::json!({ "write_ms": write_ms, "read_ms": read_ms, "changed": changed, "example": example }),
        );
    }
    Ok(serde_json::Value::Object(report).to_string())
}
