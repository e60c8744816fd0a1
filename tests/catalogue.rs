//! The bad-input catalogue (`tests/catalogue/mistakes.toml`): every mistake gets its exact error (name, message,
//! line, column) in each pane, and a world whose last statement failed keeps its stored data exactly as it was.
//! `CATALOGUE_RECORD=1 cargo test --test catalogue` re-records the expectations; review the diff before committing.
//! The same cases run in the browser with the live clock (`tests/browser_suites.rs`).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::disallowed_methods, reason = "a native test: it re-records the catalogue file on request")]

mod suites;

use std::path::PathBuf;
use suites::catalogue::{load, observe, Expected, TEXT};

fn toml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn render(expected: &Option<Expected>, side: &str) -> String {
    match expected {
        None => String::new(),
        Some(e) => format!(
            "{side} = {{ error = {}, message = {}, line = {}, column = {} }}\n",
            toml_string(&e.error),
            toml_string(&e.message),
            e.line,
            e.column
        ),
    }
}

#[test]
fn every_mistake_gets_its_exact_error_and_changes_nothing() {
    // Unoptimised test builds use several times the stack of the release build for the 100-level documents in the
    // catalogue (the release binary handles them within 512 KiB, below WebAssembly's 1 MiB), so the check runs on
    // a thread with room for debug frames.
    let worker = std::thread::Builder::new().stack_size(32 * 1024 * 1024).spawn(check_catalogue).unwrap();
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}

fn check_catalogue() {
    let catalogue = load();
    assert!(catalogue.mistake.len() >= 100, "the catalogue holds {} mistakes", catalogue.mistake.len());
    if std::env::var_os("CATALOGUE_RECORD").is_some() {
        record(&catalogue);
        return;
    }
    let (count, failures) = suites::catalogue::failures(true);
    assert!(failures.is_empty(), "{} of {count} mistakes:\n{}", failures.len(), failures.join("\n"));
}

/// Rewrites the catalogue with what each pane reports now (the file's leading comment kept).
fn record(catalogue: &suites::catalogue::Catalogue) {
    let mut recorded = String::new();
    let mut problems = Vec::new();
    for mistake in &catalogue.mistake {
        let (raw, mongoose, found) = observe(mistake, true);
        problems.extend(found);
        recorded.push_str(&format!(
            "[[mistake]]\nid = {}\nwhat = {}\nsetup = {}\ninput = '''{}'''\n{}{}{}\n",
            toml_string(&mistake.id),
            toml_string(&mistake.what),
            toml_string(&mistake.setup),
            mistake.input,
            if mistake.keeps_partial { "keeps_partial = true\n" } else { "" },
            render(&raw, "raw"),
            render(&mongoose, "mongoose")
        ));
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/catalogue/mistakes.toml");
    let header: String = TEXT.lines().take_while(|line| line.starts_with('#')).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, format!("{header}\n{recorded}")).unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
