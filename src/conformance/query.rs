//! Runs the query conformance suite (`tests/conformance/query.json`): find with filter, sort, skip, limit and projection.

use super::ejson::to_document;
use super::SuiteReport;
use crate::engine::collection::{Collection, FindOptions};
use crate::engine::error::MongoError;
use crate::engine::value::equal;
use bson::{Bson, Document};
use serde_json::Value;

/// Cases whose recorded (mingo) expectation differs from what real MongoDB does; crudlab follows MongoDB.
pub const MONGODB_DIFFERENCES: &[(&str, &str)] = &[
    (
        "query-035",
        "{tags: {$all: [\"code\"]}}: MongoDB's $all is an AND of equality matches (MongoDB manual, $all: \
         'Equivalent to $and Operation'; expression_parser.cpp parseAll builds EqualityMatchExpressions), and \
         equality matches a scalar field, so document 5 (tags: \"code\") matches; mingo requires an array",
    ),
    (
        "query-090",
        "{$expr: {$gt: [\"$age\", 40]}}: aggregation comparison has no type bracketing, so the string \"85\" \
         is greater than any number and document 3 matches in MongoDB (docs: $gt (aggregation) compares \
         'both value and type, using the specified BSON comparison order'); mingo leaves it out",
    ),
    (
        "query-108",
        "{age: {$regex: 5}}: MongoDB rejects a non-string $regex with BadValue \"$regex has to be a string\" \
         (src/mongo/db/matcher/expression_parser.cpp, parseRegexDocument); mingo coerces 5 to /5/",
    ),
    (
        "query-132",
        "{purchasedCourses: {$slice: 1}}: \"The $slice projection by itself is considered an exclusion\" \
         (MongoDB manual, $slice (projection), 4.4+), so every other field is returned; mingo returns only _id and the slice",
    ),
    (
        "query-154",
        "same as query-132: a projection made only of $slice keeps the other fields in MongoDB",
    ),
];

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

/// Documents are compared field by field regardless of field order (mingo puts `_id` last in projections,
/// MongoDB keeps document order); numbers compare by value and dates by instant.
fn same_document(expected: &Document, actual: &Document) -> bool {
    expected.len() == actual.len()
        && expected.iter().all(|(key, value)| actual.get(key).is_some_and(|other| same_value(value, other)))
}

fn same_value(expected: &Bson, actual: &Bson) -> bool {
    match (expected, actual) {
        (Bson::Document(e), Bson::Document(a)) => same_document(e, a),
        (Bson::Array(e), Bson::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(x, y)| same_value(x, y)),
        _ => equal(expected, actual),
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
    fn query_suite_passes_except_documented_mongodb_differences() {
        let report = run_query_suite(include_str!("../../tests/conformance/query.json"));
        let documented: Vec<&str> = MONGODB_DIFFERENCES.iter().map(|(id, _)| *id).collect();
        let unexpected: Vec<&String> = report
            .failures
            .iter()
            .filter(|line| !documented.iter().any(|id| line.starts_with(&format!("{id}:"))))
            .collect();
        assert!(unexpected.is_empty(), "failing cases:\n{unexpected:#?}");
        // Each documented difference must really differ, so the list cannot go stale.
        for id in &documented {
            assert!(
                report.failures.iter().any(|line| line.starts_with(&format!("{id}:"))),
                "{id} is documented as a MongoDB/mingo difference but passes"
            );
        }
        assert_eq!(report.passed + report.failures.len(), 101);
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
