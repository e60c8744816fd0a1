//! The document store: BSON value semantics, filters, updates, projections, sorts and collections.

pub mod error;
pub mod value;
