//! The document store: BSON value semantics, filters, updates, projections, sorts and collections.

pub mod error;
pub mod expr;
pub mod path;
pub mod query;
pub mod update;
pub mod value;
