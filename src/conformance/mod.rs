//! Runs the conformance case files (query, update, schema) recorded from real mingo and Mongoose.

pub mod ejson;
pub mod query;
pub mod schema;
pub mod update;

/// The outcome of running one conformance suite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteReport {
    /// How many cases matched their expectation.
    pub passed: usize,
    /// One line per failing case: its id, then expected vs actual.
    pub failures: Vec<String>,
}
