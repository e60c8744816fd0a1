//! The conformance case files recorded from real mingo and Mongoose (format v2), scored against the engine and
//! schema layer: every case must pass, and every error message must match exactly. Where mingo differs from
//! MongoDB the case's `expect` already states MongoDB's result (`oracleNote`), so there are no exceptions here.

use crudlab::conformance::{aggregate, query, schema, update, SuiteReport};

/// One message per unexpected result in any suite, and how many cases ran.
pub fn failures() -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut cases = 0;
    let suites: [(&str, SuiteReport); 3] = [
        ("query", query::run_query_suite(include_str!("../conformance/query.json"))),
        ("update", update::run_update_suite(include_str!("../conformance/update.json"))),
        ("aggregate", aggregate::run_aggregate_suite(include_str!("../conformance/aggregate.json"))),
    ];
    for (name, report) in suites {
        cases += report.passed + report.failures.len();
        failures.extend(report.failures.iter().map(|l| format!("{name}: {l}")));
    }
    let scored = schema::run_schema_suite_scored(include_str!("../conformance/schema.json"));
    cases += scored.report.passed + scored.report.failures.len();
    failures.extend(scored.report.failures.iter().map(|l| format!("schema: {l}")));
    failures.extend(scored.message_mismatches.iter().map(|l| format!("schema message: {l}")));
    (cases, failures)
}
