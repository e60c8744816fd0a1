//! Browser tests of the playground page's state and actions (the `Reducible`), and of a whole Run persisted to
//! IndexedDB and loaded back, run by wasm-bindgen-test in headless Chromium.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

use crudlab::engine::database::Cluster;
use crudlab::engine::generator::Generator;
use crudlab::playground::{view, Playground, Side};
use crudlab::storage::codec;
use crudlab::storage::indexeddb::IdbStore;
use crudlab::web::state::{Action, AppState, Notice, NoticeKind, Phase, Snapshot};
use std::rc::Rc;
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

fn empty_snapshot(can_undo: bool) -> Snapshot {
    Snapshot { databases: Vec::new(), models: Vec::new(), switches: Vec::new(), can_undo, can_redo: false }
}

#[wasm_bindgen_test]
fn actions_move_the_page_through_its_phases() {
    let state = Rc::new(AppState::new("db.users.find()".into()));
    assert_eq!(state.phase, Phase::Loading);
    let state = state.reduce(Action::Refreshed(empty_snapshot(false)));
    assert_eq!(state.phase, Phase::Ready);
    let state = state.reduce(Action::Saving);
    assert_eq!(state.phase, Phase::Saving);

    let mut playground = Playground::new(true);
    let outcome = playground.run("db.users.insertOne({ name: 'ada' })").unwrap();
    let state = state.reduce(Action::Ran {
        source: outcome.source.clone(),
        raw: view::pane(&playground, &outcome, Side::Raw),
        mongoose: view::pane(&playground, &outcome, Side::Mongoose),
        snapshot: empty_snapshot(true),
    });
    assert_eq!(state.phase, Phase::Ready);
    assert_eq!(state.raw.len(), 1);
    assert!(state.can_undo);
    assert_eq!(state.last_run.as_deref(), Some("db.users.insertOne({ name: 'ada' })"));

    let error = playground.run("db.users.find({").unwrap_err();
    let state = state.reduce(Action::ParseFailed(error));
    assert!(state.parse_error.is_some());
    let state = state.reduce(Action::Edit("db.users.find({})".into()));
    assert!(state.parse_error.is_none(), "editing clears the stale error");
    assert_eq!(state.raw.len(), 1, "the panes keep the last run until the next one");
    let state = state.reduce(Action::ClearPanes);
    assert!(state.raw.is_empty() && state.mongoose.is_empty());
}

#[wasm_bindgen_test]
fn the_notice_strip_keeps_the_latest_six() {
    let mut state = Rc::new(AppState::new(String::new()));
    for i in 0..9 {
        state = state.reduce(Action::Notice(Notice { kind: NoticeKind::Info, text: format!("line {i}") }));
    }
    assert_eq!(state.notices.len(), 6);
    assert_eq!(state.notices[0].text, "line 3");
    let state = state.reduce(Action::DismissNotices);
    assert!(state.notices.is_empty());
}

#[wasm_bindgen_test]
async fn a_run_persisted_in_indexeddb_loads_back_equal() {
    let store = IdbStore::open("crudlab-test-run").await.expect("open");
    store.clear().await.expect("clear");
    let mut playground = Playground::new(true);
    let outcome = playground
        .run(
            r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: { type: String, unique: true }, age: Number }))
await User.insertMany([{ username: "ada", age: "36" }, { username: "alan", age: 41 }])
await User.updateOne({ username: "ada" }, { $inc: { age: 1 } })
await User.deleteOne({ username: "alan" })"#,
        )
        .unwrap();
    let cluster = &playground.world(Side::Mongoose).cluster;
    store.apply(&codec::batch_for(cluster, outcome.changes(Side::Mongoose))).await.expect("persist");
    let mut loaded = Cluster::new(Generator::Live);
    let problems = codec::load(&mut loaded, &store.load_all().await.expect("load"));
    assert!(problems.is_empty(), "{problems:?}");
    let users = loaded.database("test").and_then(|db| db.collection("users")).expect("users");
    let original = cluster.database("test").and_then(|db| db.collection("users")).expect("users");
    assert_eq!(users.documents().cloned().collect::<Vec<_>>(), original.documents().cloned().collect::<Vec<_>>());
    assert_eq!(users.list_indexes(), original.list_indexes());
    store.close();
}
