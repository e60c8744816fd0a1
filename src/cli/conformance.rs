//! `crudlab conformance FILE...`: runs case files of any suite, prints each failing case, ends with `N passed, M failed`.
//! A file it cannot run (a file that is not a suite) is said on stderr and the others still run.

use crate::conformance::{aggregate, query, schema, update, SuiteReport};

/// Which suite a case file holds, read from its `suite` field.
fn suite_of(json: &str) -> Result<String, String> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("not valid JSON: {e}"))?;
    value.get("suite").and_then(|s| s.as_str()).map(str::to_string).ok_or_else(|| "no `suite` field".to_string())
}

/// Runs one file's suite; the schema suite also reports how many error messages match exactly.
pub fn run_file(json: &str) -> Result<(SuiteReport, Option<String>), String> {
    match suite_of(json)?.as_str() {
        "query" => Ok((query::run_query_suite(json), None)),
        "update" => Ok((update::run_update_suite(json), None)),
        "schema" => {
            let scored = schema::run_schema_suite_scored(json);
            let messages = format!("messages: {} of {} match exactly", scored.messages_matched, scored.messages_total);
            Ok((scored.report, Some(messages)))
        }
        "aggregate" => Ok((aggregate::run_aggregate_suite(json), None)),
        other => Err(format!("unknown suite {other:?} (expected query, update, schema or aggregate)")),
    }
}

#[allow(clippy::disallowed_methods, reason = "the native command-line tool reads and writes files")]
pub fn run(files: &[String]) -> i32 {
    if files.is_empty() {
        eprintln!("usage: crudlab conformance FILE...");
        return 2;
    }
    let (mut passed, mut failed, mut refused) = (0usize, 0usize, 0usize);
    for file in files {
        let json = match std::fs::read_to_string(file) {
            Ok(json) => json,
            Err(e) => {
                eprintln!("{file}: cannot read: {e}");
                return 2;
            }
        };
        match run_file(&json) {
            Ok((report, messages)) => {
                for failure in &report.failures {
                    println!("FAIL {failure}");
                }
                if let Some(messages) = messages {
                    println!("{file}: {messages}");
                }
                println!("{file}: {} passed, {} failed", report.passed, report.failures.len());
                passed += report.passed;
                failed += report.failures.len();
            }
            // A file that cannot be run is said and skipped; the other files still run.
            Err(e) => {
                eprintln!("{file}: {e}");
                refused += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 || refused > 0 {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_runs_and_an_unknown_one_is_refused() {
        let (report, _) = run_file(include_str!("../../tests/conformance/aggregate.json")).unwrap();
        assert_eq!((report.passed, report.failures.len()), (96, 0));
        assert!(run_file(r#"{"suite": "query", "cases": []}"#).is_ok());
        let refused = run_file(r#"{"suite": "mapReduce", "cases": []}"#).unwrap_err();
        assert!(refused.contains("unknown suite"), "{refused}");
    }
}
