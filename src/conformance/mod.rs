//! Runs the conformance case files (query, update, schema) recorded from real mingo and Mongoose.

pub mod ejson;
pub mod update;

/// The outcome of running one suite: how many cases passed, and a line per failing case.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SuiteReport {
    pub passed: usize,
    pub failures: Vec<String>,
}
