//! Browser tests of the IndexedDB backend, run by wasm-bindgen-test in headless Chromium.
#![cfg(target_arch = "wasm32")]

use crudlab::storage::indexeddb::IdbStore;
use crudlab::storage::RecordChange;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn a_record_survives_close_and_reopen() {
    let name = "crudlab-test-reopen";
    let store = IdbStore::open(name).await.expect("open");
    let bytes = bson::doc! {"_id": 1, "username": "ada"}.to_vec().expect("encode");
    store.apply(&[RecordChange::Put { key: "shop/users/1".into(), bytes: bytes.clone() }]).await.expect("write");
    store.close();

    let reopened = IdbStore::open(name).await.expect("reopen");
    let read = reopened.get("shop/users/1").await.expect("read");
    assert_eq!(read, Some(bytes));
    assert_eq!(reopened.get("shop/users/2").await.expect("read missing"), None);
    reopened.close();
}

#[wasm_bindgen_test]
async fn a_batch_with_a_delete_is_one_transaction() {
    let store = IdbStore::open("crudlab-test-batch").await.expect("open");
    store
        .apply(&[
            RecordChange::Put { key: "a".into(), bytes: vec![1] },
            RecordChange::Put { key: "b".into(), bytes: vec![2] },
            RecordChange::Delete { key: "a".into() },
        ])
        .await
        .expect("batch");
    assert_eq!(store.get("a").await.expect("read a"), None);
    assert_eq!(store.get("b").await.expect("read b"), Some(vec![2]));
    store.close();
}

/// A cluster holding one document with every BSON type the sandbox can store.
fn every_type_cluster() -> crudlab::engine::database::Cluster {
    use bson::{spec::BinarySubtype, Binary, Bson, JavaScriptCodeWithScope, Regex, Timestamp};
    let mut cluster = crudlab::engine::database::Cluster::new(crudlab::engine::generator::Generator::deterministic(4));
    let (db, generator) = cluster.database_mut("types").expect("database");
    let (coll, _) = db.collection_mut("all").expect("collection");
    let doc = bson::doc! {
        "_id": bson::oid::ObjectId::parse_str("659200800000000004000001").expect("oid"),
        "double": 1.5, "negative_zero": -0.0, "string": "Zoë 🦀", "int32": 7_i32, "int64": 9_000_000_000_i64,
        "bool": true, "null": Bson::Null, "undefined": Bson::Undefined,
        "date": bson::DateTime::from_millis(1_700_000_000_123),
        "array": [1, "two", [3]], "document": { "nested": { "deep": 1 } },
        "binary": Bson::Binary(Binary { subtype: BinarySubtype::Generic, bytes: vec![0, 1, 255] }),
        "regex": Bson::RegularExpression(Regex { pattern: "^a.*".to_string().try_into().expect("cstr"), options: "i".to_string().try_into().expect("cstr") }),
        "code": Bson::JavaScriptCode("function () {}".into()),
        "code_with_scope": Bson::JavaScriptCodeWithScope(JavaScriptCodeWithScope { code: "x".into(), scope: bson::doc! {"x": 1} }),
        "timestamp": Bson::Timestamp(Timestamp { time: 1, increment: 2 }),
        "decimal": Bson::Decimal128("1.10".parse().expect("decimal")),
        "min": Bson::MinKey, "max": Bson::MaxKey,
    };
    coll.insert_one(doc, generator).expect("insert");
    coll.create_index(&bson::doc! {"string": 1}, true, None).expect("index");
    cluster
}

fn contents(cluster: &crudlab::engine::database::Cluster) -> Vec<(String, Vec<bson::Document>, Vec<bson::Document>)> {
    cluster
        .databases()
        .flat_map(|db| {
            db.collections().map(|c| (c.namespace().to_string(), c.documents().cloned().collect(), c.list_indexes()))
        })
        .collect()
}

async fn load(store: &IdbStore) -> (crudlab::engine::database::Cluster, Vec<crudlab::storage::codec::LoadProblem>) {
    let mut cluster = crudlab::engine::database::Cluster::default();
    let problems = crudlab::storage::codec::load(&mut cluster, &store.load_all().await.expect("load all"));
    (cluster, problems)
}

#[wasm_bindgen_test]
async fn every_bson_type_round_trips_and_reload_equals_before() {
    let store = IdbStore::open("crudlab-test-types").await.expect("open");
    store.clear().await.expect("clear");
    let cluster = every_type_cluster();
    store.apply(&crudlab::storage::codec::records_of(&cluster)).await.expect("write");
    store.close();
    let reopened = IdbStore::open("crudlab-test-types").await.expect("reopen");
    let (loaded, problems) = load(&reopened).await;
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(contents(&loaded), contents(&cluster));
    reopened.close();
}

#[wasm_bindgen_test]
async fn two_connections_see_each_others_commits() {
    let first = IdbStore::open("crudlab-test-two").await.expect("open first");
    let second = IdbStore::open("crudlab-test-two").await.expect("open second");
    first.clear().await.expect("clear");
    first.apply(&[RecordChange::Put { key: "k".into(), bytes: vec![9] }]).await.expect("write");
    assert_eq!(second.get("k").await.expect("read"), Some(vec![9]));
    second.apply(&[RecordChange::Delete { key: "k".into() }]).await.expect("delete");
    assert_eq!(first.get("k").await.expect("read again"), None);
    first.close();
    second.close();
}

#[wasm_bindgen_test]
async fn a_corrupt_record_is_reported_and_the_rest_loads() {
    let store = IdbStore::open("crudlab-test-corrupt").await.expect("open");
    store.clear().await.expect("clear");
    let cluster = every_type_cluster();
    store.apply(&crudlab::storage::codec::records_of(&cluster)).await.expect("write");
    let bad_key = crudlab::storage::codec::page_key("types", "all", 99);
    store.apply(&[RecordChange::Put { key: bad_key.clone(), bytes: vec![1, 2, 3] }]).await.expect("write corrupt");
    let (loaded, problems) = load(&store).await;
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].key, bad_key);
    assert!(problems[0].reason.starts_with("the page ends inside a record number"), "{}", problems[0].reason);
    assert_eq!(contents(&loaded), contents(&cluster));
    store.close();
}

#[wasm_bindgen_test]
async fn a_format_one_store_is_migrated_to_pages_on_load_with_every_document_equal() {
    use crudlab::storage::codec;
    let name = "crudlab-test-migrate";
    let store = IdbStore::open(name).await.expect("open");
    store.clear().await.expect("clear");
    // A student's data as crudlab wrote it before pages: one record per document, format record 1.
    let mut cluster = every_type_cluster();
    let (db, generator) = cluster.database_mut("test").expect("database");
    let (users, _) = db.collection_mut("users").expect("collection");
    let docs = (0..700).map(|i| bson::doc! {"username": format!("user{i}"), "skills": ["rust", "sql"]}).collect();
    users.insert_many(docs, true, generator).0.expect("insert");
    store.apply(&codec::format_1_records_of(&cluster)).await.expect("write format 1");
    store.close();

    let mut reopened = IdbStore::open(name).await.expect("reopen");
    let (loaded, problems) = crudlab::storage::load_cluster(&mut reopened).await.expect("load");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(contents(&loaded), contents(&cluster));
    let records = reopened.load_all().await.expect("records");
    assert_eq!(codec::stored_format(&records), Some(codec::FORMAT_VERSION));
    assert!(records.iter().all(|(key, _)| !key.starts_with('d')), "no format-1 record left");
    let pages = records.iter().filter(|(key, _)| key.starts_with('p')).count();
    assert_eq!(pages, 4, "700 users in pages of {} and the one typed document", codec::PAGE_RECORDS);
    reopened.close();
    let mut again = IdbStore::open(name).await.expect("reopen again");
    let (reloaded, problems) = crudlab::storage::load_cluster(&mut again).await.expect("reload");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(contents(&reloaded), contents(&cluster), "the migrated pages load equal");
    again.close();
}

#[wasm_bindgen_test]
async fn ten_thousand_documents_in_forty_pages_in_one_transaction_and_an_aborted_one_changes_nothing() {
    use indexed_db_futures::prelude::*;
    use indexed_db_futures::transaction::TransactionMode;
    let name = "crudlab-test-10k";
    let store = IdbStore::open(name).await.expect("open");
    store.clear().await.expect("clear");
    let mut playground = crudlab::playground::Playground::new(true);
    let docs: Vec<String> = (0..10_000).map(|i| format!("{{ i: {i} }}")).collect();
    let outcome = playground.run(&format!("db.big.insertMany([{}])", docs.join(", "))).expect("run");
    let side = crudlab::playground::Side::Raw;
    let batch = crudlab::storage::codec::batch_for(&playground.world(side).cluster, outcome.changes(side));
    // Pages: 10,000 documents are 40 records (and the collection's metadata), not 10,000.
    assert_eq!(batch.len(), 41, "{} records", batch.len());
    store.apply(&batch).await.expect("one transaction");
    let (loaded, _) = load(&store).await;
    assert_eq!(loaded.database("test").and_then(|db| db.collection("big")).map(|c| c.len()), Some(10_000));

    // A transaction that is aborted half-way leaves nothing behind: IndexedDB's atomicity, which every Run uses.
    let db = indexed_db_futures::database::Database::open(name).await.expect("raw open");
    let tx = db.transaction("records").with_mode(TransactionMode::Readwrite).build().expect("tx");
    let raw = tx.object_store("records").expect("store");
    for i in 0..100 {
        raw.put(wasm_bindgen::JsValue::from(js_sys::Uint8Array::from(&[1u8][..])))
            .with_key(format!("zz{i}"))
            .primitive()
            .expect("put");
    }
    tx.abort().await.expect("abort");
    db.close();
    let records = store.load_all().await.expect("load");
    assert!(records.iter().all(|(key, _)| !key.starts_with("zz")), "an aborted transaction wrote records");
    store.close();
}

#[wasm_bindgen_test]
async fn a_failed_write_rolls_memory_back_and_restart_reloads_what_was_committed() {
    let store = IdbStore::open("crudlab-test-rollback").await.expect("open");
    store.clear().await.expect("clear");
    let mut playground = crudlab::playground::Playground::new(true);
    let side = crudlab::playground::Side::Mongoose;
    let first = playground.run("db.users.insertOne({ username: 'ada' })").expect("run");
    store
        .apply(&crudlab::storage::codec::batch_for(&playground.world(side).cluster, first.changes(side)))
        .await
        .expect("write");
    // The next write "fails" (as a refused transaction would): the page rolls memory back.
    let second = playground.run("db.users.insertOne({ username: 'alan' })").expect("run");
    playground.roll_back(side, second.changes(side));
    let (on_disk, _) = load(&store).await;
    assert_eq!(contents(&playground.world(side).cluster), contents(&on_disk), "memory equals disk after the rollback");
    // Restart server: memory is rebuilt from what IndexedDB holds.
    let (raw, _) = load(&store).await;
    let (mongoose, _) = load(&store).await;
    let log = playground.restart(raw, mongoose);
    assert!(log.restored.contains(&(side, "test.users".to_string(), 1)));
    store.close();
}

#[wasm_bindgen_test]
fn export_then_import_is_equal_in_the_browser() {
    use crudlab::storage::exchange::{apply_import, export_cluster, plan_import, Flavor};
    let original = every_type_cluster();
    let text = export_cluster(&original, Flavor::Canonical);
    let mut restored = crudlab::engine::database::Cluster::default();
    let plan = plan_import(&restored, &text, None).expect("plan");
    apply_import(&mut restored, &plan).expect("apply");
    assert_eq!(contents(&restored), contents(&original));
}
