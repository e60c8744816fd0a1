//! Runs the query conformance suite (`tests/conformance/query.json`): find with filter, sort, skip, limit and projection.

use super::ejson::to_document;
use super::{same_document, SuiteReport};
use crate::engine::collection::{Collection, FindOptions};
use crate::engine::error::MongoError;
use bson::Document;
use serde_json::Value;

enum Outcome {
    Docs(Vec<Document>),
    Rejected(MongoError),
}

/// Runs every case of the query suite and reports which ones differ from their expectation.
pub fn run_query_suite(json: &str) -> SuiteReport {
    let mut report = SuiteReport { passed: 0, failures: Vec::new() };
    let suite: Value = match serde_json::from_str(json) {
        Ok(suite) => suite,
        Err(e) => {
            report.failures.push(format!("suite: invalid JSON: {e}"));
            return report;
        }
    };
    let Some(cases) = suite.get("cases").and_then(Value::as_array) else {
        report.failures.push("suite: no \"cases\" array".to_string());
        return report;
    };
    for case in cases {
        let id = case.get("id").and_then(Value::as_str).unwrap_or("?");
        match check_case(case) {
            Ok(()) => report.passed += 1,
            Err(why) => report.failures.push(format!("{id}: {why}")),
        }
    }
    report
}

fn field_document(case: &Value, name: &str) -> Result<Option<Document>, String> {
    match case.get(name) {
        None => Ok(None),
        Some(value) => to_document(value).map(Some).map_err(|e| format!("bad {name}: {e}")),
    }
}

fn count(case: &Value, name: &str) -> usize {
    case.get(name).and_then(Value::as_u64).and_then(|n| usize::try_from(n).ok()).unwrap_or(0)
}

/// Runs the case the way the playground does: the documents go into a `Collection` (natural order, `_id` index),
/// and `Collection::find` plans, filters, sorts, skips, limits and projects.
fn execute(case: &Value) -> Result<Outcome, String> {
    let mut collection = Collection::new("conformance", "cases");
    let docs = case.get("docs").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for (record, doc) in docs.iter().enumerate() {
        let doc = to_document(doc).map_err(|e| format!("bad doc: {e}"))?;
        // Stored as given (no generated `_id`), so results compare with the oracle's documents.
        collection.restore_record(record as u64 + 1, doc).map_err(|e| format!("bad doc: {}", e.message))?;
    }
    let filter = field_document(case, "filter")?.unwrap_or_default();
    let options = FindOptions {
        projection: field_document(case, "projection")?,
        sort: field_document(case, "sort")?,
        skip: count(case, "skip") as u64,
        limit: i64::try_from(count(case, "limit")).unwrap_or(0),
    };
    Ok(match collection.find(&filter, &options) {
        Ok(docs) => Outcome::Docs(docs),
        Err(e) => Outcome::Rejected(e),
    })
}

fn check_case(case: &Value) -> Result<(), String> {
    let expect = case.get("expect").ok_or("no expect")?;
    let outcome = execute(case)?;
    let wants_error = expect.get("error").and_then(Value::as_bool) == Some(true);
    match (outcome, wants_error) {
        (Outcome::Rejected(_), true) => Ok(()),
        (Outcome::Rejected(e), false) => {
            Err(format!("expected documents, got error {} ({}): {}", e.code.number(), e.code.name(), e.message))
        }
        (Outcome::Docs(docs), true) => Err(format!("expected an error, got {}", show(&docs))),
        (Outcome::Docs(docs), false) => {
            let expected_json =
                expect.get("docs").and_then(Value::as_array).ok_or("expect has neither docs nor error")?;
            let expected = expected_json
                .iter()
                .map(to_document)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("bad expected doc: {e}"))?;
            let same = expected.len() == docs.len() && expected.iter().zip(&docs).all(|(e, a)| same_document(e, a));
            if same {
                Ok(())
            } else {
                Err(format!("expected {}, got {}", show(&expected), show(&docs)))
            }
        }
    }
}

fn show(docs: &[Document]) -> String {
    let shown: Vec<String> = docs.iter().map(Document::to_string).collect();
    format!("[{}]", shown.join(", "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn query_suite_passes_every_case() {
        // v2 states MongoDB's documented result in `expect` where mingo differs (`oracleNote`): no exceptions here.
        let report = run_query_suite(include_str!("../../tests/conformance/query.json"));
        assert!(report.failures.is_empty(), "failing cases:\n{:#?}", report.failures);
        assert_eq!(report.passed, 200);
    }

    #[test]
    fn a_wrong_expectation_is_reported() {
        let suite = r#"{"cases": [{"id": "x-1", "docs": [{"_id": 1}], "filter": {"_id": 2},
                        "expect": {"docs": [{"_id": 1}]}}]}"#;
        let report = run_query_suite(suite);
        assert_eq!(report.passed, 0);
        assert_eq!(report.failures, vec!["x-1: expected [{ \"_id\": 1 }], got []"]);
    }
}
