//! Runs the `update` conformance suite: inserts each case's documents, runs updateOne/updateMany and
//! compares matchedCount, modifiedCount and every document afterwards.

use super::ejson::to_document;
use super::same_document;
use super::SuiteReport;
use crate::engine::query::Filter;
use crate::engine::update::{Update, UpdateContext};
use bson::Document;
use serde_json::Value;

/// What running one case produced.
#[derive(Debug, PartialEq)]
enum Outcome {
    Rejected(String),
    Done { matched: u64, modified: u64, docs: Vec<Document> },
}

/// Runs every case of an update suite file and reports which failed and why.
pub fn run_update_suite(json: &str) -> SuiteReport {
    let mut report = SuiteReport::default();
    let suite: Value = match serde_json::from_str(json) {
        Ok(suite) => suite,
        Err(e) => {
            report.failures.push(format!("suite: not JSON: {e}"));
            return report;
        }
    };
    let Some(cases) = suite.get("cases").and_then(Value::as_array) else {
        report.failures.push("suite: no \"cases\" array".to_string());
        return report;
    };
    for case in cases {
        let id = case.get("id").and_then(Value::as_str).unwrap_or("<no id>");
        match check_case(case) {
            Ok(()) => report.passed += 1,
            Err(why) => report.failures.push(format!("{id}: {why}")),
        }
    }
    report
}

fn check_case(case: &Value) -> Result<(), String> {
    let expect = case.get("expect").ok_or("no expect")?;
    let outcome = run_case(case)?;
    let wants_error = expect.get("error").and_then(Value::as_bool) == Some(true);
    match outcome {
        Outcome::Rejected(_) if wants_error => Ok(()),
        Outcome::Rejected(message) => Err(format!("rejected: {message}")),
        Outcome::Done { .. } if wants_error => Err("expected an error, the update succeeded".to_string()),
        Outcome::Done { matched, modified, docs } => {
            let want_matched = expect.get("matchedCount").and_then(Value::as_u64);
            let want_modified = expect.get("modifiedCount").and_then(Value::as_u64);
            if want_matched != Some(matched) {
                return Err(format!("matchedCount {matched}, expected {want_matched:?}"));
            }
            if want_modified != Some(modified) {
                return Err(format!("modifiedCount {modified}, expected {want_modified:?}"));
            }
            let want_docs = documents(expect.get("docs").ok_or("expect has no docs")?)?;
            if want_docs.len() != docs.len() {
                return Err(format!("{} documents, expected {}", docs.len(), want_docs.len()));
            }
            for (got, want) in docs.iter().zip(&want_docs) {
                if !same_document(want, got) {
                    return Err(format!("document {got} differs from expected {want}"));
                }
            }
            Ok(())
        }
    }
}

fn documents(value: &Value) -> Result<Vec<Document>, String> {
    value.as_array().ok_or("expected an array of documents")?.iter().map(to_document).collect()
}

/// Runs the case's update; errors in the case file itself are `Err`, a rejected update is `Rejected`.
fn run_case(case: &Value) -> Result<Outcome, String> {
    let mut docs = documents(case.get("docs").ok_or("no docs")?)?;
    let filter = to_document(case.get("filter").ok_or("no filter")?)?;
    let update = to_document(case.get("update").ok_or("no update")?)?;
    let multi = case.get("multi").and_then(Value::as_bool).unwrap_or(false);
    let array_filters = match case.get("arrayFilters") {
        Some(value) => documents(value)?,
        None => Vec::new(),
    };
    let filter = match Filter::compile(&filter) {
        Ok(filter) => filter,
        Err(e) => return Ok(Outcome::Rejected(e.message)),
    };
    let update = match Update::compile_operators(&update, &array_filters) {
        Ok(update) => update,
        Err(e) => return Ok(Outcome::Rejected(e.message)),
    };
    // `now` fixes the clock `$currentDate` reads; without it a fixed instant keeps runs reproducible.
    let now = match case.get("now").and_then(Value::as_str) {
        Some(text) => bson::DateTime::parse_rfc3339_str(text).map_err(|e| format!("bad now {text:?}: {e}"))?,
        None => bson::DateTime::from_millis(0),
    };
    let (mut matched, mut modified) = (0, 0);
    for doc in docs.iter_mut() {
        let Some(positional) = filter.matches_positional(doc) else {
            continue;
        };
        matched += 1;
        let ctx = UpdateContext { positional, is_upsert_insert: false, now };
        match update.apply(doc, &ctx) {
            Ok(true) => modified += 1,
            Ok(false) => {}
            Err(e) => return Ok(Outcome::Rejected(e.message)),
        }
        if !multi {
            break;
        }
    }
    Ok(Outcome::Done { matched, modified, docs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_suite_passes_every_case() {
        let report = run_update_suite(include_str!("../../tests/conformance/update.json"));
        assert!(report.failures.is_empty(), "{} passed, failed:\n{}", report.passed, report.failures.join("\n"));
        assert_eq!(report.passed, 137);
    }

    #[test]
    fn a_wrong_expectation_is_reported() {
        let suite = r#"{"suite": "update", "cases": [{"id": "x", "docs": [{"_id": 1, "a": 1}],
            "filter": {}, "update": {"$set": {"a": 2}}, "multi": false,
            "expect": {"matchedCount": 1, "modifiedCount": 1, "docs": [{"_id": 1, "a": 3}]}}]}"#;
        let report = run_update_suite(suite);
        assert_eq!(report.passed, 0);
        assert_eq!(report.failures.len(), 1);
    }
}
