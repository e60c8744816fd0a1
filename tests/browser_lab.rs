//! The lab's user actions on IndexedDB in headless Chromium, with the live clock: each action persisted, read
//! back by a lab opened afresh on the same databases (as a reload or another tab does), memory equal to disk.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use crudlab::engine::generator::Generator;
use crudlab::lab::{Lab, WorldStores};
use crudlab::playground::{DatabaseAccess, Playground, Side};
use crudlab::storage::indexeddb::IdbStore;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn names(test: &str) -> [String; 2] {
    [format!("crudlab-test-lab-{test}-raw"), format!("crudlab-test-lab-{test}-mongoose")]
}

async fn open(test: &str) -> Lab<IdbStore> {
    let [raw, mongoose] = names(test);
    let stores =
        WorldStores { raw: IdbStore::open(&raw).await.unwrap(), mongoose: IdbStore::open(&mongoose).await.unwrap() };
    Lab::open(stores, names(test), Generator::Live, &[]).await.unwrap().0
}

/// What both worlds hold: per namespace, the documents in natural order.
fn contents(lab: &Lab<IdbStore>) -> Vec<(String, Vec<bson::Document>)> {
    Side::BOTH
        .iter()
        .flat_map(|side| {
            lab.playground()
                .world(*side)
                .cluster
                .databases()
                .flat_map(|db| db.collections().map(|c| (c.namespace().to_string(), c.documents().cloned().collect())))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn count(lab: &Lab<IdbStore>, side: Side, namespace: &str) -> usize {
    let cluster = &lab.playground().world(side).cluster;
    cluster.databases().flat_map(|db| db.collections()).find(|c| c.namespace() == namespace).map_or(0, |c| c.len())
}

/// A lab opened afresh on the same databases sees exactly what this one holds.
async fn assert_on_disk(lab: &Lab<IdbStore>, test: &str) {
    let reopened = open(test).await;
    assert_eq!(contents(lab), contents(&reopened), "memory equals disk");
}

#[wasm_bindgen_test]
async fn run_undo_redo_restart_and_reset_are_persisted_in_indexeddb() {
    let test = "actions";
    let mut lab = open(test).await;
    let _ = lab.reset(Generator::Live).await;
    let (_, done) = lab.run("db.notes.insertOne({ at: new Date() })", DatabaseAccess::Direct).await.unwrap();
    assert!(done.wrote && done.notices.is_empty(), "{done:?}");
    assert_on_disk(&lab, test).await;
    lab.run("db.notes.deleteMany({})", DatabaseAccess::Direct).await.unwrap();
    lab.undo().await.unwrap();
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 1);
    assert_on_disk(&lab, test).await;
    lab.redo().await.unwrap();
    assert_eq!(count(&lab, Side::Mongoose, "test.notes"), 0);
    assert_on_disk(&lab, test).await;
    lab.undo().await.unwrap();
    let (log, _) = lab.restart().await.unwrap();
    assert!(log.restored.iter().any(|(_, ns, n)| ns == "test.notes" && *n == 1), "{log:?}");
    let done = lab.reset(Generator::Live).await;
    assert!(done.wrote, "{done:?}");
    assert_eq!(contents(&lab), Vec::new());
    assert_on_disk(&lab, test).await;
}

#[wasm_bindgen_test]
async fn an_import_and_a_write_from_another_tab_reach_indexeddb() {
    let test = "tabs";
    let mut lab = open(test).await;
    let _ = lab.reset(Generator::Live).await;
    let done = lab.import(Side::Mongoose, r#"[{ "_id": 1, "a": 1 }]"#, Some(("test", "imported"))).await.unwrap();
    assert!(done.wrote);
    assert_on_disk(&lab, test).await;
    let mut other_tab = open(test).await;
    other_tab.run("db.fromOtherTab.insertOne({ x: 1 })", DatabaseAccess::Direct).await.unwrap();
    lab.reload_after_write_elsewhere().await.unwrap();
    assert_eq!(count(&lab, Side::Raw, "test.fromOtherTab"), 1);
    assert_on_disk(&lab, test).await;
}

#[wasm_bindgen_test]
async fn a_lesson_lab_replaces_what_its_databases_held() {
    let test = "lesson";
    let mut old = open(test).await;
    old.run("db.old.insertOne({ x: 1 })", DatabaseAccess::Direct).await.unwrap();
    let mut seeded = Playground::new(false);
    seeded.run("db.seed.insertMany([{ a: 1 }, { a: 2 }])").unwrap();
    let [raw, mongoose] = names(test);
    let stores =
        WorldStores { raw: IdbStore::open(&raw).await.unwrap(), mongoose: IdbStore::open(&mongoose).await.unwrap() };
    let lab = Lab::replace(stores, names(test), seeded).await.unwrap();
    assert_eq!(count(&lab, Side::Raw, "test.old"), 0);
    assert_eq!(count(&lab, Side::Raw, "test.seed"), 2);
    assert_on_disk(&lab, test).await;
}
