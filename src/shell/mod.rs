//! The front door of crudlab: our own parser for the Mongoose and mongosh code students type (never a
//! JavaScript eval), producing a typed [`Program`] that the executor runs against the database.
//!
//! - [`parse`] / [`parse_expression`]: text → [`ast`] tree with spans, or a located [`ParseError`] worded for
//!   beginners ([`ParseError::render`] underlines it).
//! - [`literal::evaluate`]: constant expressions → `bson::Bson`, with a [`literal::Resolver`] for names.
//! - [`cursor_context`] / [`node_path_at`]: what is at the cursor, for completion (works on incomplete text).
//! - [`nearest`]: "did you mean `findById`?".
//!
//! What parses: statements separated by `;` or line breaks (JavaScript's automatic semicolon insertion,
//! so `db.users.find()` followed by `.sort(…)` on the next line is one chain); `const`/`let`/`var` with names
//! or `{ a, b: c }` destructuring; `require(…)`, `import … from …`, `export default …`, `export const …`,
//! `module.exports = …`; mongosh's `use shop`, `show dbs`, `show collections`; `if`/`else`, `return`,
//! `throw`, `try`/`catch`/`finally`, blocks, `function` declarations and expressions, arrow functions
//! (`async (req, res) => { … }`, `x => x.age`); member access `a.b`, `a["b"]`, `?.`, calls, `new`,
//! `await` (kept in the tree); operators `= || ?? && === !== == != < <= > >= + - * / % ! typeof` and
//! `? :` with JavaScript's precedence; literals as JavaScript writes them, including regexes, which are
//! told apart from division by the previous token.
//!
//! Deliberate limits, each reported with a located, explained error: `${…}` in backtick strings (no code
//! runs inside strings), spread `...`, computed keys, object methods, classes, loops, `++`/`+=`, BigInt
//! literals, legacy octal numbers and escapes, labels. A statement starting with `{ key:` is an object
//! (as mongosh reads it), not a block. Lone UTF-16 surrogates written as `\uD800` become U+FFFD.

pub mod ast;
pub mod cursor;
pub mod error;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod span;
pub mod suggest;

pub use ast::{node_path_at, ChainItem, ChainStep, Expr, ExprKind, NodeRef, Program, Stmt, StmtKind};
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
