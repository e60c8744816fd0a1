//! The document store: BSON value semantics, filters, updates, projections, sorts and collections.

pub mod error;
pub mod expr;
pub mod operators;
pub mod path;
pub mod projection;
pub mod query;
pub mod sort;
pub mod update;
pub mod value;
