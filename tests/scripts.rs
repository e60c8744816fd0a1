//! Data-driven runs of whole programs: each `tests/scripts/*.js` runs in the schemaless and the Mongoose world
//! side by side, and the output (results, errors, Mongoose's trace, the calls that reached the database) must
//! equal the `.out` file next to it. `UPDATE_EXPECT=1 cargo test --test scripts` rewrites the `.out` files;
//! review the diff before committing.
#![cfg(not(target_arch = "wasm32"))]

use crudlab::cli::run::{run_script, RunOptions};
use std::path::PathBuf;

#[test]
fn scripts_match_their_recorded_output() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "js"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 5, "expected the script corpus in {}", dir.display());
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for script in &scripts {
        let source = std::fs::read_to_string(script).unwrap();
        let options = RunOptions { deterministic: true, mirror: true, calls: true };
        let actual = run_script(&source, options).unwrap_or_else(|parse_error| parse_error) + "\n";
        let expected_path = script.with_extension("out");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{} differs from {} (run with UPDATE_EXPECT=1 to record):\n{}",
                script.display(),
                expected_path.display(),
                first_difference(&expected, &actual)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn first_difference(expected: &str, actual: &str) -> String {
    let line = expected
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    format!(
        "line {}:\n  expected: {}\n  actual:   {}",
        line + 1,
        expected.lines().nth(line).unwrap_or("<end>"),
        actual.lines().nth(line).unwrap_or("<end>")
    )
}
