//! Every user action of the lab, natively, on the in-memory store — with a store that refuses the next batch for
//! each action, proving memory equals disk (and the undo history describes memory) after any failure.

use super::*;
use crate::storage::memory::MemoryStore;
use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// The in-memory store answers at once, so one poll finishes any lab action.
pub(crate) fn now<T>(future: impl Future<Output = T>) -> T {
    let mut context = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut context) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("an in-memory action did not finish at once"),
    }
}

/// A store two labs can share, as two tabs share one IndexedDB database.
#[derive(Clone, Default)]
pub(crate) struct SharedStore(Rc<RefCell<MemoryStore>>);

impl Store for SharedStore {
    fn apply_batch(
        &mut self,
        batch: &[crate::storage::RecordChange],
    ) -> impl Future<Output = Result<(), StorageError>> {
        std::future::ready(self.0.borrow_mut().apply(batch))
    }
    fn records(&self) -> impl Future<Output = Result<Vec<(String, Vec<u8>)>, StorageError>> {
        std::future::ready(Ok(self.0.borrow().load_all()))
    }
}

impl SharedStore {
    pub(crate) fn fail_next_batch(&self, reason: &str) {
        self.0.borrow_mut().fail_next_batch(reason);
    }
}

pub(crate) fn names() -> [String; 2] {
    ["crudlab-raw".to_string(), "crudlab-mongoose".to_string()]
}

fn open_lab(stores: WorldStores<SharedStore>) -> Lab<SharedStore> {
    now(Lab::open(stores, names(), Generator::deterministic(1), &[])).unwrap().0
}

/// A lab opened afresh on these stores, as a reload opens it.
pub(crate) fn open_lab_on(stores: WorldStores<SharedStore>) -> Lab<SharedStore> {
    open_lab(stores)
}

/// Two empty stores two labs can share.
pub(crate) fn fresh_stores() -> WorldStores<SharedStore> {
    WorldStores { raw: SharedStore::default(), mongoose: SharedStore::default() }
}

fn fresh() -> (Lab<SharedStore>, WorldStores<SharedStore>) {
    let stores = WorldStores { raw: SharedStore::default(), mongoose: SharedStore::default() };
    (open_lab(stores.clone()), stores)
}

type Contents = Vec<(String, Vec<bson::Document>, Vec<bson::Document>)>;

fn contents(cluster: &Cluster) -> Contents {
    cluster
        .databases()
        .flat_map(|db| {
            db.collections().map(|c| (c.namespace().to_string(), c.documents().cloned().collect(), c.list_indexes()))
        })
        .collect()
}

/// Memory equals disk in both worlds: what the stores hold loads back to exactly what the lab holds.
fn assert_memory_equals_disk(lab: &Lab<SharedStore>, stores: &WorldStores<SharedStore>) {
    for side in Side::BOTH {
        let (on_disk, problems) = now(load_cluster(&mut stores.get(side).clone())).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(contents(&lab.playground().world(side).cluster), contents(&on_disk), "{side:?}: memory ≠ disk");
    }
}

fn count(lab: &Lab<SharedStore>, side: Side, namespace: &str) -> usize {
    contents(&lab.playground().world(side).cluster)
        .into_iter()
        .find(|(ns, _, _)| ns == namespace)
        .map_or(0, |(_, docs, _)| docs.len())
}

const MODEL: &str = r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: String, age: Number }))"#;

#[test]
fn a_run_is_persisted_in_both_worlds() {
    let (mut lab, stores) = fresh();
    let (outcome, done) =
        now(lab.run(&format!("{MODEL}\nawait User.create({{ username: 'ada', age: '36' }})"), DatabaseAccess::Direct))
            .unwrap();
    assert!(done.wrote && done.notices.is_empty(), "{done:?}");
    assert_eq!(outcome.statements.len(), 3);
    assert_eq!(count(&lab, Side::Raw, "test.users"), 1);
    assert_eq!(count(&lab, Side::Mongoose, "test.users"), 1);
    assert_memory_equals_disk(&lab, &stores);
    let read_only = now(lab.run("db.users.find()", DatabaseAccess::Direct)).unwrap().1;
    assert!(!read_only.wrote, "a read writes nothing");
}

#[test]
fn a_refused_run_is_rolled_back_in_that_world_and_leaves_the_undo_history() {
    let (mut lab, stores) = fresh();
    now(lab.run("db.users.insertOne({ _id: 1 })", DatabaseAccess::Direct)).unwrap();
    stores.mongoose.fail_next_batch("QuotaExceededError: the disk is full");
    let (_, done) = now(lab.run("db.users.insertOne({ _id: 2 })", DatabaseAccess::Direct)).unwrap();
    assert_eq!(done.notices.len(), 1);
    assert_eq!(done.notices[0].kind, NoticeKind::Error);
    assert!(done.notices[0]
        .text
        .starts_with("crudlab-mongoose: storage failed to commit transaction: QuotaExceededError"));
    assert!(done.notices[0].text.ends_with("nothing is lost or half-saved."));
    assert_eq!(count(&lab, Side::Raw, "test.users"), 2, "the raw world's write went through");
    assert_eq!(count(&lab, Side::Mongoose, "test.users"), 1, "the refused world is as its store");
    assert_memory_equals_disk(&lab, &stores);
    // Undo reverts the second insert where it happened and leaves the refused world alone.
    now(lab.undo()).unwrap();
    assert_eq!(count(&lab, Side::Raw, "test.users"), 1);
    assert_eq!(count(&lab, Side::Mongoose, "test.users"), 1);
    assert_memory_equals_disk(&lab, &stores);
}

#[test]
fn undo_and_redo_are_persisted() {
    let (mut lab, stores) = fresh();
    now(lab.run("db.notes.insertOne({ text: 'one' })", DatabaseAccess::Direct)).unwrap();
    now(lab.run("db.notes.deleteMany({})", DatabaseAccess::Direct)).unwrap();
    let done = now(lab.undo()).unwrap();
    assert!(done.wrote);
    assert_eq!(
        done.notices,
        vec![Notice::info("Undone: the last statement's changes were reverted in both databases.")]
    );
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 1);
    assert_memory_equals_disk(&lab, &stores);
    let done = now(lab.redo()).unwrap();
    assert!(done.wrote);
    assert_eq!(count(&lab, Side::Mongoose, "test.notes"), 0);
    assert_memory_equals_disk(&lab, &stores);
    assert!(now(lab.redo()).is_none(), "nothing left to redo");
}

#[test]
fn a_refused_undo_keeps_the_statement_done_and_undoable() {
    let (mut lab, stores) = fresh();
    now(lab.run("db.notes.insertOne({ text: 'one' })", DatabaseAccess::Direct)).unwrap();
    stores.raw.fail_next_batch("AbortError");
    let done = now(lab.undo()).unwrap();
    assert!(done.notices.iter().any(|n| n.kind == NoticeKind::Error && n.text.contains("Undo could not be saved")));
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 1, "the refused world keeps the document");
    assert_eq!(count(&lab, Side::Mongoose, "test.notes"), 0, "the other world's undo went through");
    assert_memory_equals_disk(&lab, &stores);
    assert!(lab.playground().can_undo(), "the refused world's part can still be undone");
    now(lab.undo()).unwrap();
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 0);
    assert_memory_equals_disk(&lab, &stores);
    // Redo brings both parts back.
    now(lab.redo()).unwrap();
    now(lab.redo()).unwrap();
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 1);
    assert_eq!(count(&lab, Side::Mongoose, "test.notes"), 1);
    assert_memory_equals_disk(&lab, &stores);
}

#[test]
fn a_refused_redo_keeps_the_statement_undone_and_redoable() {
    let (mut lab, stores) = fresh();
    now(lab.run("db.notes.insertOne({ text: 'one' })", DatabaseAccess::Direct)).unwrap();
    now(lab.undo()).unwrap();
    stores.mongoose.fail_next_batch("AbortError");
    let done = now(lab.redo()).unwrap();
    assert!(done.notices.iter().any(|n| n.kind == NoticeKind::Error && n.text.contains("Redo could not be saved")));
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 1);
    assert_eq!(count(&lab, Side::Mongoose, "test.notes"), 0);
    assert_memory_equals_disk(&lab, &stores);
    assert!(lab.playground().can_redo());
    now(lab.redo()).unwrap();
    assert_eq!(count(&lab, Side::Mongoose, "test.notes"), 1);
    assert_memory_equals_disk(&lab, &stores);
}

#[test]
fn an_import_is_checked_applied_and_persisted_or_changes_nothing() {
    let (mut lab, stores) = fresh();
    let refused = now(lab.import(Side::Mongoose, r#"[{ "_id": 7 }, { "_id": 7 }]"#, Some(("test", "users"))));
    assert!(refused.unwrap_err().text.starts_with("Import refused, nothing changed: test.users, document 2: E11000"));
    let done = now(lab.import(Side::Mongoose, r#"[{ "_id": 7, "a": 1 }]"#, Some(("test", "users")))).unwrap();
    assert!(done.wrote);
    assert!(done.notices[0].text.starts_with("Imported into crudlab-mongoose: test.users: 1 added"), "{done:?}");
    assert_memory_equals_disk(&lab, &stores);
    stores.mongoose.fail_next_batch("QuotaExceededError");
    let refused = now(lab.import(Side::Mongoose, r#"[{ "_id": 8 }]"#, Some(("test", "users")))).unwrap_err();
    assert!(refused.text.ends_with("Import not saved, nothing changed."), "{refused:?}");
    assert_eq!(count(&lab, Side::Mongoose, "test.users"), 1);
    assert_memory_equals_disk(&lab, &stores);
}

#[test]
fn reset_empties_both_stores_or_says_what_they_hold() {
    let (mut lab, stores) = fresh();
    now(lab.run(&format!("{MODEL}\ndb.users.insertOne({{ username: 'ada' }})"), DatabaseAccess::Direct)).unwrap();
    assert_eq!(count(&lab, Side::Mongoose, "test.users"), 1);
    stores.mongoose.fail_next_batch("AbortError");
    let done = now(lab.reset(Generator::deterministic(2)));
    assert!(done.notices[0].text.starts_with("Reset failed"), "{done:?}");
    assert_eq!(count(&lab, Side::Raw, "test.users"), 0, "the raw store was emptied, and memory says so");
    assert_eq!(count(&lab, Side::Mongoose, "test.users"), 1, "the refused store kept its data, and memory says so");
    assert_memory_equals_disk(&lab, &stores);
    let done = now(lab.reset(Generator::deterministic(2)));
    assert_eq!(done.notices, vec![Notice::info("Reset: both databases are empty and no models are declared.")]);
    assert!(lab.playground().prelude().is_empty());
    assert_memory_equals_disk(&lab, &stores);
}

#[test]
fn restart_drops_variables_and_reloads_the_data() {
    let (mut lab, stores) = fresh();
    now(lab.run(&format!("{MODEL}\nconst ada = await User.create({{ username: 'ada' }})"), DatabaseAccess::Direct))
        .unwrap();
    let (log, done) = now(lab.restart()).unwrap();
    assert_eq!(log.lost, vec!["ada".to_string()]);
    let texts: Vec<&str> = done.notices.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts[0], "Server restarted: its memory is gone, the database kept everything.");
    assert_eq!(texts[1], "Lost with the server's memory: variables ada.");
    assert!(texts[2].starts_with("Came back from the database: test.users (1);"), "{texts:?}");
    let (outcome, _) = now(lab.run("ada", DatabaseAccess::Direct)).unwrap();
    assert!(outcome.statements[0].mongoose.error.is_some(), "ada is gone with the server's memory");
    let (outcome, _) = now(lab.run("await User.countDocuments()", DatabaseAccess::Direct)).unwrap();
    assert_eq!(outcome.statements[0].mongoose.value, Some(bson::Bson::Int32(1)), "the model was declared again");
    assert_memory_equals_disk(&lab, &stores);
}

#[test]
fn a_write_in_another_tab_is_reloaded() {
    let (mut lab, stores) = fresh();
    let mut other_tab = open_lab(stores.clone());
    now(other_tab.run("db.notes.insertOne({ from: 'the other tab' })", DatabaseAccess::Direct)).unwrap();
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 0);
    let done = now(lab.reload_after_write_elsewhere()).unwrap();
    assert_eq!(done.notices, vec![Notice::info("Another tab changed the data: reloaded it from the database.")]);
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 1);
    assert_memory_equals_disk(&lab, &stores);
}

#[test]
fn a_lab_over_seeded_worlds_writes_them_to_the_emptied_stores() {
    let stores = WorldStores { raw: SharedStore::default(), mongoose: SharedStore::default() };
    let mut old = open_lab(stores.clone());
    now(old.run("db.old.insertOne({ x: 1 })", DatabaseAccess::Direct)).unwrap();
    let mut seeded = Playground::new(true);
    seeded.run("db.seed.insertMany([{ a: 1 }, { a: 2 }])").unwrap();
    let lab = now(Lab::replace(stores.clone(), names(), seeded)).unwrap();
    assert_eq!(count(&lab, Side::Raw, "test.seed"), 2);
    assert_eq!(count(&lab, Side::Raw, "test.old"), 0);
    assert_memory_equals_disk(&lab, &stores);
}

#[test]
fn records_that_do_not_load_are_reported_and_the_rest_loads() {
    let stores = WorldStores { raw: SharedStore::default(), mongoose: SharedStore::default() };
    let mut lab = open_lab(stores.clone());
    now(lab.run("db.notes.insertOne({ ok: true })", DatabaseAccess::Direct)).unwrap();
    stores
        .raw
        .0
        .borrow_mut()
        .apply(&[crate::storage::RecordChange::Put { key: "d\0test\0notes\09".into(), bytes: vec![1, 2, 3] }])
        .unwrap();
    let (lab, problems) = now(Lab::open(stores.clone(), names(), Generator::deterministic(3), &[])).unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, NoticeKind::Warning);
    assert!(problems[0].text.starts_with("crudlab-raw: "), "{problems:?}");
    assert_eq!(count(&lab, Side::Raw, "test.notes"), 1);
}
