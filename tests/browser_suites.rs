//! The native data-driven suites run again in headless Chromium on wasm32, with the live generator (the browser's
//! clock and `crypto.getRandomValues`), as a student's page runs them: every bundled lesson, every recorded
//! script, the catalogue of mistakes and the conformance case files. A panic fails the test with its message.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)]

mod suites;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn report(suite: &str, count: usize, failures: &[String]) {
    assert!(count > 0, "{suite}: no case ran");
    assert!(failures.is_empty(), "{suite}: {} of {count} failed:\n{}", failures.len(), failures.join("\n"));
    web_sys::console::log_1(&format!("{suite}: {count} passed, 0 failed").into());
}

#[wasm_bindgen_test]
fn every_lesson_step_passes_with_the_live_clock() {
    let (steps, failures) = suites::lessons::failures(false);
    report("lessons", steps, &failures);
}

#[wasm_bindgen_test]
fn every_script_matches_its_recording_with_the_live_clock() {
    let failures = suites::scripts::failures(false);
    report("scripts", suites::scripts::ALL.len(), &failures);
}

#[wasm_bindgen_test]
fn every_mistake_gets_its_error_and_changes_nothing_with_the_live_clock() {
    let (count, failures) = suites::catalogue::failures(false);
    report("catalogue", count, &failures);
}

#[wasm_bindgen_test]
fn the_conformance_cases_pass_in_the_browser() {
    let (count, failures) = suites::conformance::failures();
    report("conformance", count, &failures);
}

#[wasm_bindgen_test]
fn live_dates_and_object_ids_come_from_the_browser() {
    let mut playground = crudlab::playground::Playground::new(false);
    let outcome = playground
        .run("db.users.insertOne({ at: new Date() })\ndb.users.updateOne({}, { $currentDate: { seen: true } })\ndb.users.findOne()")
        .unwrap();
    let last = outcome.statements.last().unwrap().report(crudlab::playground::Side::Raw);
    assert!(last.error.is_none(), "{:?}", last.error);
    let doc = playground
        .world(crudlab::playground::Side::Raw)
        .cluster
        .databases()
        .next()
        .unwrap()
        .collections()
        .next()
        .unwrap()
        .documents()
        .next()
        .unwrap()
        .clone();
    let now = js_sys::Date::now() as i64;
    let at = doc.get_datetime("at").unwrap().timestamp_millis();
    assert!((now - at).abs() < 60_000, "new Date() reads the browser's clock: {at} vs {now}");
    let id = doc.get_object_id("_id").unwrap();
    let seconds = i64::from(u32::from_be_bytes(id.bytes()[..4].try_into().unwrap()));
    assert!((now / 1000 - seconds).abs() < 60, "the ObjectId's timestamp is the browser's time");
}

#[wasm_bindgen_test]
fn the_fuzz_corpus_replays_clean_with_the_live_clock() {
    let (count, failures) = suites::fuzz_targets::replay_corpus(false);
    report("fuzz corpus", count, &failures);
}

#[wasm_bindgen_test]
fn a_seeded_sample_of_every_fuzz_target_is_clean_in_the_browser() {
    const CASES: u32 = 24;
    let failures = suites::fuzz_targets::seeded_sample(CASES, false);
    report("fuzz sample (6 targets)", 6 * CASES as usize, &failures);
}
