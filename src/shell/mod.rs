//! The front door of crudlab: our own parser for the Mongoose and mongosh code students type (never a
//! JavaScript eval), producing a typed [`Program`] that the executor runs against the database.
//!
//! - [`parse`] / [`parse_expression`]: text → [`ast`] tree with spans, or a located [`ParseError`] worded for
//!   beginners ([`ParseError::render`] underlines it).
//! - [`literal::evaluate`]: constant expressions → `bson::Bson`, with a [`literal::Resolver`] for names.
//! - [`cursor_context`] / [`node_path_at`]: what is at the cursor, for completion (works on incomplete text).
//! - [`nearest`]: "did you mean `findById`?".

pub mod ast;
pub mod cursor;
pub mod error;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod span;
pub mod suggest;

pub use ast::{node_path_at, Expr, ExprKind, NodeRef, Program, Stmt, StmtKind};
pub use cursor::{cursor_context, ChainLink, CursorContext, CursorPosition};
pub use error::{ErrorKind, ParseError};
pub use literal::{evaluate, evaluate_document, Resolver};
pub use parser::{parse, parse_expression, MAX_DEPTH};
pub use span::{Location, Span};
pub use suggest::nearest;

#[cfg(test)]
mod lecture_tests;
#[cfg(test)]
mod robustness_tests;
