//! The document store: BSON value semantics, filters, updates, projections, sorts, indexes, collections and
//! aggregation pipelines.

pub mod aggregate;
pub mod changes;
pub mod collection;
pub mod database;
pub mod error;
pub mod explain;
pub mod expr;
pub mod generator;
pub mod index;
pub mod limits;
pub mod operators;
pub mod path;
pub mod projection;
pub mod query;
pub mod raw;
pub mod results;
pub mod revert;
pub mod sort;
pub mod update;
pub mod value;
