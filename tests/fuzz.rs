//! Fuzz targets on stable Rust (proptest): the command parser, filter compile + match, update compile + apply,
//! aggregation pipelines, stored records loaded back (and damaged), schema definitions and casts, Extended JSON import, share-link decoding and whole programs
//! in both worlds. Each must answer every input with a value or an error — never a panic — and in reasonable time.
//! `cargo test` runs a few cases (`CRUDLAB_FUZZ_CASES`, default 48); `cargo xtask fuzz --seconds N` runs each target for N seconds.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod suites;

use bson::Bson;
use proptest::prelude::*;
use suites::fuzz_targets::*;

#[allow(clippy::disallowed_methods, reason = "a native test: `cargo xtask fuzz` sets the number of cases")]
fn cases() -> u32 {
    std::env::var("CRUDLAB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() }
}

/// Reports (without failing: timing is not a test) any input that took longer than a second.
fn timed<T>(target: &str, input: &dyn std::fmt::Debug, f: impl FnOnce() -> T) -> T {
    let start = crudlab::clock::monotonic_millis();
    let out = f();
    let took = crudlab::clock::monotonic_millis() - start;
    if took > 1000.0 {
        eprintln!("fuzz {target}: slow input ({took:.0} ms): {input:?}");
    }
    out
}

#[test]
#[allow(clippy::disallowed_methods, reason = "a native test: a thread with room for unoptimised frames")]
fn the_regression_corpus_replays_clean() {
    // The corpus holds inputs nested to the limits; unoptimised test builds need several times the stack of the
    // optimised ones (the browser suite replays the corpus optimised, in WebAssembly's 1 MiB), so natively the
    // replay runs on a thread with room for debug frames.
    let worker = std::thread::Builder::new().stack_size(32 * 1024 * 1024).spawn(|| {
        for deterministic in [true, false] {
            let (count, failures) = replay_corpus(deterministic);
            assert!(count > 0 && failures.is_empty(), "{count} corpus cases:\n{}", failures.join("\n"));
        }
    });
    if let Err(panic) = worker.unwrap().join() {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn the_seeded_sample_is_clean() {
    let failures = seeded_sample(16, true);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parser(source in parser_input()) {
        timed("parser", &source, || suites::fuzz_targets::parser(&source));
    }

    #[test]
    fn filter_compile_and_match(filter in document(&KEYS), docs in prop::collection::vec(document(&KEYS), 0..4)) {
        timed("filter", &filter, || suites::fuzz_targets::filter_compile_and_match(&filter, &docs));
    }

    #[test]
    fn stored_records(docs in prop::collection::vec(document(&KEYS), 0..6), filter in document(&KEYS), at in any::<usize>(), byte in any::<u8>()) {
        timed("stored", &filter, || suites::fuzz_targets::stored_records(&docs, &filter, at, byte));
    }

    #[test]
    fn update_compile_and_apply(update in document(&UPDATE_KEYS), docs in prop::collection::vec(document(&KEYS), 1..4)) {
        timed("update", &update, || suites::fuzz_targets::update_compile_and_apply(&update, &docs));
    }

    #[test]
    fn aggregation_pipelines(stages in pipeline(), docs in prop::collection::vec(document(&KEYS), 0..4)) {
        timed("aggregate", &stages, || suites::fuzz_targets::aggregate_pipeline(&stages, &docs));
    }

    #[test]
    fn schema_definitions(definition in document(&SCHEMA_KEYS), input in document(&KEYS)) {
        timed("schema", &definition, || suites::fuzz_targets::schema_definitions(&definition, &input));
    }

    #[test]
    fn extended_json_import(text in prop_oneof![".{0,200}", document(&KEYS).prop_map(|d| format!("[{}]", Bson::Document(d).into_canonical_extjson()))], mutate in any::<prop::sample::Index>()) {
        let mut mutated = text.clone();
        if !mutated.is_empty() {
            let at = mutate.index(mutated.len());
            if mutated.is_char_boundary(at) {
                mutated.insert(at, '{');
            }
        }
        for candidate in [&text, &mutated] {
            timed("import", candidate, || suites::fuzz_targets::extended_json_import(candidate));
        }
    }

    #[test]
    fn share_links(garbage in ".{0,120}", script in ".{0,200}", flip in any::<prop::sample::Index>()) {
        let result = suites::fuzz_targets::share_links(&garbage, &script, flip.index(usize::MAX));
        prop_assert!(result.is_ok(), "{:?}", result);
    }

    #[test]
    fn whole_programs_in_both_worlds(statements in program_statements()) {
        let program = statements.join("\n");
        timed("program", &program, || suites::fuzz_targets::whole_program_in_both_worlds(&program, true));
    }
}
