//! The conformance case files recorded from real mingo and Mongoose, scored against the engine and schema layer.
//! A suite passes when it fails exactly the cases documented as mingo-vs-MongoDB differences.

use crudlab::conformance::{query, schema, update, SuiteReport};

/// A case id and why its recorded expectation differs from MongoDB.
type Documented = &'static [(&'static str, &'static str)];

/// One message per unexpected result in any suite, and how many cases ran.
pub fn failures() -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut cases = 0;
    let suites: [(&str, SuiteReport, Documented); 2] = [
        ("query", query::run_query_suite(include_str!("../conformance/query.json")), query::MONGODB_DIFFERENCES),
        (
            "update",
            update::run_update_suite(include_str!("../conformance/update.json")),
            update::KNOWN_MONGODB_DIVERGENCES,
        ),
    ];
    for (name, report, documented) in suites {
        cases += report.passed + report.failures.len();
        let is_documented = |line: &String| documented.iter().any(|(id, _)| line.starts_with(&format!("{id}:")));
        failures.extend(report.failures.iter().filter(|l| !is_documented(l)).map(|l| format!("{name}: {l}")));
        for (id, _) in documented {
            if !report.failures.iter().any(|line| line.starts_with(&format!("{id}:"))) {
                failures.push(format!("{name}: {id} is documented as a difference but passes"));
            }
        }
    }
    let scored = schema::run_schema_suite_scored(include_str!("../conformance/schema.json"));
    cases += scored.report.passed + scored.report.failures.len();
    failures.extend(scored.report.failures.iter().map(|l| format!("schema: {l}")));
    failures.extend(scored.message_mismatches.iter().map(|l| format!("schema message: {l}")));
    (cases, failures)
}
