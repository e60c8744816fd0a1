//! Data-driven runs of whole programs: each `tests/scripts/*.js` runs in the schemaless and the Mongoose world
//! side by side, and the output (results, errors, Mongoose's trace, the calls that reached the database) must
//! equal the `.out` file next to it. `UPDATE_EXPECT=1 cargo test --test scripts` rewrites the `.out` files;
//! review the diff before committing. The same scripts run in the browser with the live clock
//! (`tests/browser_suites.rs`), and natively live too.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::disallowed_methods, reason = "a native test: it lists the scripts folder and re-records on request")]

mod suites;

use std::path::PathBuf;
use suites::scripts::{transcript, ALL};

fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scripts")
}

#[test]
fn scripts_match_their_recorded_output() {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        for script in ALL {
            let path = scripts_dir().join(format!("{}.out", script.name));
            std::fs::write(path, transcript(script.source, true)).unwrap();
        }
        return;
    }
    let failures = suites::scripts::failures(true);
    assert!(failures.is_empty(), "(run with UPDATE_EXPECT=1 to record)\n{}", failures.join("\n\n"));
}

#[test]
fn scripts_match_their_recorded_output_with_the_live_clock() {
    let failures = suites::scripts::failures(false);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_suite_lists_every_script_in_the_folder() {
    let mut on_disk: Vec<String> = std::fs::read_dir(scripts_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "js"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let listed: Vec<String> = ALL.iter().map(|script| script.name.to_string()).collect();
    assert_eq!(listed, on_disk, "tests/suites/scripts.rs must list every script");
    assert!(listed.len() >= 5);
}
