//! Runs the `aggregate` conformance suite (`tests/conformance/aggregate.json`): each case's collections go into one
//! database, `db.<collection>.aggregate(pipeline)` runs through `Database::aggregate_and_write`, and the result
//! documents are compared in order (as maps), or the pipeline must be rejected.

use super::ejson::to_document;
use super::{same_document, SuiteReport};
use crate::engine::aggregate::AggregateOptions;
use crate::engine::database::Database;
use crate::engine::generator::Generator;
use bson::Document;
use serde_json::Value;

enum Outcome {
    Docs(Vec<Document>),
    Rejected(String),
}

/// Runs every case of the aggregate suite and reports which ones differ from their expectation.
pub fn run_aggregate_suite(json: &str) -> SuiteReport {
    let mut report = SuiteReport::default();
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

fn documents(value: Option<&Value>, what: &str) -> Result<Vec<Document>, String> {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|doc| to_document(doc).map_err(|e| format!("bad {what}: {e}")))
        .collect()
}

/// Runs the case the way the playground will: the collections are filled (documents stored as given, so results
/// compare with the oracle's), then the pipeline runs with its `$out` / `$merge` applied.
fn execute(case: &Value) -> Result<Outcome, String> {
    let mut database = Database::new("conformance");
    let mut generator = Generator::deterministic(1);
    if let Some(collections) = case.get("collections").and_then(Value::as_object) {
        for (name, docs) in collections {
            let (collection, _) =
                database.collection_mut(name).map_err(|e| format!("bad collection {name}: {}", e.message))?;
            for (record, doc) in documents(Some(docs), "doc")?.into_iter().enumerate() {
                if doc.contains_key("_id") {
                    collection.restore_record(record as u64 + 1, doc).map_err(|e| format!("bad doc: {}", e.message))?;
                } else {
                    collection.insert_one(doc, &mut generator).map_err(|e| format!("bad doc: {}", e.message))?;
                }
            }
        }
    }
    let collection = case.get("collection").and_then(Value::as_str).ok_or("no collection")?;
    let pipeline = documents(case.get("pipeline"), "stage")?;
    let (result, _) = database.aggregate_and_write(collection, &pipeline, &AggregateOptions::default(), &mut generator);
    Ok(match result {
        Ok(outcome) => Outcome::Docs(outcome.documents),
        Err(failure) => Outcome::Rejected(format!(
            "{} ({}) at stage {:?}: {}",
            failure.error.code.number(),
            failure.error.code.name(),
            failure.stage,
            failure.error.message
        )),
    })
}

fn check_case(case: &Value) -> Result<(), String> {
    let expect = case.get("expect").ok_or("no expect")?;
    let wants_error = expect.get("error").and_then(Value::as_bool) == Some(true);
    match (execute(case)?, wants_error) {
        (Outcome::Rejected(_), true) => Ok(()),
        (Outcome::Rejected(why), false) => Err(format!("expected documents, got error {why}")),
        (Outcome::Docs(docs), true) => Err(format!("expected an error, got {}", show(&docs))),
        (Outcome::Docs(docs), false) => {
            let expected =
                documents(Some(expect.get("docs").ok_or("expect has neither docs nor error")?), "expected doc")?;
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
mod tests {
    use super::*;

    #[test]
    fn aggregate_suite_passes_every_case() {
        // v2 states MongoDB's documented result in `expect` where mingo differs (`oracleNote`): no exceptions here.
        let report = run_aggregate_suite(include_str!("../../tests/conformance/aggregate.json"));
        assert!(report.failures.is_empty(), "failing cases:\n{:#?}", report.failures);
        assert_eq!(report.passed, 96);
    }

    #[test]
    fn a_wrong_expectation_is_reported() {
        let suite = r#"{"cases": [{"id": "x-1", "collections": {"c": [{"_id": 1}]}, "collection": "c",
                        "pipeline": [{"$match": {"_id": 2}}], "expect": {"docs": [{"_id": 1}]}},
                       {"id": "x-2", "collections": {}, "collection": "c", "pipeline": [{"$limit": 0}],
                        "expect": {"docs": []}}]}"#;
        let report = run_aggregate_suite(suite);
        assert_eq!(report.passed, 0);
        assert_eq!(report.failures[0], "x-1: expected [{ \"_id\": 1 }], got []");
        assert_eq!(
            report.failures[1],
            "x-2: expected documents, got error 15958 (Location15958) at stage Some(0): the limit must be positive"
        );
    }
}
