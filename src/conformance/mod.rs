//! Runs the conformance case files (query, update, schema) recorded from real mingo and Mongoose.

pub mod ejson;
