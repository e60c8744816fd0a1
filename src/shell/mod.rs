//! The front door of crudlab: our own parser for the Mongoose and mongosh code students type (never a JavaScript eval).

pub mod ast;
pub mod error;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod span;

#[cfg(test)]
mod robustness_tests;
