//! Runs students' programs: the interpreter over the parsed command language, the raw driver path, the Mongoose
//! path, and the translation between them that puts both worlds side by side.

pub mod aggregate_builder;
mod builtins;
pub mod calls;
pub mod documents;
pub mod driver;
pub mod error;
pub mod express;
pub mod interpreter;
#[cfg(test)]
mod interpreter_tests;
pub mod jwt;
pub mod models;
pub mod mongoose_calls;
pub mod operators;
pub mod report;
pub mod running;
pub mod schema_functions;
pub mod scope;
pub mod transcript;
pub mod value;
pub mod world;

pub use report::{CallReport, StatementReport};
pub use world::{Mode, World};
