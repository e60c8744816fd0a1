//! The front door of crudlab: our own parser for the Mongoose and mongosh code students type (never a JavaScript eval).

pub mod error;
pub mod lexer;
pub mod span;
pub mod ast;
pub mod parser;
