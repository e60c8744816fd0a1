//! House rules checked on the source tree: every file opens with a `//!` line; web crates stay in `web/`, the
//! IndexedDB backend and the clock; clocks and new ObjectIds are read only in `src/clock.rs`.
#![allow(clippy::disallowed_methods, reason = "a native test: it reads the source tree")]

use std::path::{Path, PathBuf};

const WEB_CRATES: &[&str] = &[
    "yew",
    "web_sys",
    "wasm_bindgen",
    "js_sys",
    "gloo",
    "indexed_db_futures",
    "serde_wasm_bindgen",
    "wasm_bindgen_futures",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn all_sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["src", "tests", "xtask/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    files.sort();
    files
}

/// True when `text` uses `name` as a crate path (`yew::`, `use yew`), not as part of a longer word.
fn names_crate(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = &text[at + name.len()..];
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && (after.starts_with("::") || after.starts_with(';'))
    })
}

#[test]
fn every_source_file_opens_with_a_module_doc_line() {
    let offenders: Vec<String> = all_sources()
        .into_iter()
        .filter(|path| !std::fs::read_to_string(path).unwrap_or_default().starts_with("//!"))
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "files without a leading `//!` line: {offenders:#?}");
}

#[test]
fn web_crates_stay_in_the_web_layer_and_the_indexeddb_backend() {
    let src = root().join("src");
    let allowed = |path: &Path| {
        path.starts_with(src.join("web")) || path == src.join("storage/indexeddb.rs") || path == src.join("clock.rs")
    };
    let mut offenders = Vec::new();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for path in files.iter().filter(|p| !allowed(p)) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for name in WEB_CRATES.iter().filter(|name| names_crate(&text, name)) {
            offenders.push(format!("{} names `{name}`", path.display()));
        }
    }
    assert!(offenders.is_empty(), "web crates outside web/ and storage/indexeddb.rs: {offenders:#?}");
}

/// What panics on wasm32-unknown-unknown or makes a value only the clock module may make (clippy's
/// `disallowed-methods` forbids the same calls; this also covers code clippy is told to allow).
const CLOCK_READS: &[&str] = &["SystemTime::now", "Instant::now", "DateTime::now", "ObjectId::new"];

#[test]
fn only_the_clock_module_reads_clocks_or_makes_object_ids() {
    let clock = root().join("src/clock.rs");
    let this_file = root().join("tests/tidy.rs");
    let mut files = Vec::new();
    for dir in ["src", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut offenders = Vec::new();
    for path in files.iter().filter(|p| **p != clock && **p != this_file) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for call in CLOCK_READS.iter().filter(|call| text.contains(&format!("{call}("))) {
            offenders.push(format!("{} calls `{call}`", path.display()));
        }
    }
    assert!(offenders.is_empty(), "read clocks and make ObjectIds through crate::clock: {offenders:#?}");
}

#[test]
fn clippy_forbids_the_clock_reads_outside_the_clock_module() {
    let config = std::fs::read_to_string(root().join("clippy.toml")).unwrap();
    for path in
        ["std::time::SystemTime::now", "std::time::Instant::now", "bson::DateTime::now", "bson::oid::ObjectId::new"]
    {
        assert!(config.contains(&format!("path = \"{path}\"")), "clippy.toml must disallow {path}");
    }
}

#[test]
fn the_mongoose_path_does_not_import_the_interpreter() {
    // The Mongoose path takes the cluster, the model registry and the report; it never reaches back into the World
    // that called it, so the runtime has no import circle.
    for file in
        ["src/runtime/models.rs", "src/runtime/mongoose_calls.rs", "src/runtime/calls.rs", "src/runtime/driver.rs"]
    {
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for needle in ["super::world", "runtime::world", "runtime::World", "&mut World", "&World"] {
            assert!(
                !text.contains(needle),
                "{file} names `{needle}`: the Mongoose path must not import runtime/world.rs"
            );
        }
    }
}

#[test]
fn every_database_call_of_a_program_goes_through_the_driver() {
    // Only driver.rs turns a call into engine writes; the interpreter and the Mongoose path hand it DriverCalls.
    let mut files = Vec::new();
    rust_files(&root().join("src/runtime"), &mut files);
    rust_files(&root().join("src/playground"), &mut files);
    rust_files(&root().join("src/lab"), &mut files);
    let driver = root().join("src/runtime/driver.rs");
    let mut offenders = Vec::new();
    for path in files.iter().filter(|p| **p != driver) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for write in [".database_mut(", ".collection_mut(", ".drop_database(", ".drop_collection("] {
            if text.contains(write) {
                offenders.push(format!("{} calls `{write}`", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "database writes bypass runtime::driver::run: {offenders:#?}");
}

#[test]
fn javascript_semantics_are_defined_once_in_src_js() {
    // Truthiness, number printing and calendar arithmetic had several copies that disagreed (0.0, Int64(0)).
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let js = root().join("src/js");
    let mut offenders = Vec::new();
    for path in files.iter().filter(|p| !p.starts_with(&js)) {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for definition in [
            "fn truthy(value: &Bson)",
            "fn js_truthy(",
            "fn days_from_civil(",
            "fn civil_from_days(",
            "fn js_number_to_string(",
        ] {
            if text.contains(definition) {
                offenders.push(format!("{} defines `{definition}`", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "JavaScript semantics belong in src/js/: {offenders:#?}");
}

#[test]
fn architecture_md_lists_every_source_file() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let missing: Vec<String> = files
        .iter()
        .filter_map(|path| path.strip_prefix(root()).ok())
        .map(|path| path.display().to_string())
        .filter(|path| !architecture.contains(&format!("`{path}`")))
        .collect();
    assert!(missing.is_empty(), "ARCHITECTURE.md's file index lacks: {missing:#?}");
}

#[test]
fn the_crate_check_itself_detects_web_crate_paths() {
    assert!(names_crate("use yew::prelude::*;", "yew"));
    assert!(names_crate("let x = web_sys::window();", "web_sys"));
    assert!(!names_crate("// a yewtree is not yew", "yew"));
    assert!(!names_crate("let gloomy = 1;", "gloo"));
}
