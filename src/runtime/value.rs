//! What a name or expression can stand for while a student's program runs: plain data, or one of the objects the
//! lecture's code talks to (`db`, a collection, `mongoose`, a schema, a model, a query not yet executed).

use super::calls::{DriverCall, ModelCall};
use bson::{Bson, Document};
use std::rc::Rc;

/// A database call whose result is not needed yet: `db.users.find(...)` (a cursor) or `User.find(...)` (a Mongoose
/// query). Chained calls (`.sort()`, `.limit()`, `.populate()`) accumulate; `await`, `.toArray()` or the end of the
/// statement run it.
#[derive(Debug, Clone, PartialEq)]
pub enum PendingCall {
    Driver(DriverCall),
    Model(ModelCall),
}

/// A schema declared with `new mongoose.Schema(definition, options)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaValue {
    pub definition: Document,
    pub options: Document,
}

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Documents, arrays, strings, numbers, ObjectIds ...
    Data(Bson),
    /// The shell's `db`: the current database.
    Db,
    /// `db.users` or `db.getCollection("users")`.
    Collection(String),
    Pending(Box<PendingCall>),
    /// The `mongoose` module (from `require("mongoose")` or `import mongoose from "mongoose"`).
    Mongoose,
    /// `mongoose.Schema`, ready for `new`.
    SchemaClass,
    /// `mongoose.Schema.Types` (and `mongoose.Types`).
    SchemaTypes,
    Schema(Rc<SchemaValue>),
    /// A model by name, from `mongoose.model("User", schema)`.
    Model(String),
    /// `console`, and `console.log` itself.
    Console,
    ConsoleLog,
    /// `require`.
    Require,
    /// A function the program declared (an Express handler, say); calling it runs its body.
    Function(Rc<crate::shell::ast::Function>),
}

impl Value {
    /// What `typeof`-style messages call this value.
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Data(Bson::Document(_)) => "a document",
            Value::Data(Bson::Array(_)) => "an array",
            Value::Data(Bson::String(_)) => "a string",
            Value::Data(Bson::Undefined) => "undefined",
            Value::Data(Bson::Null) => "null",
            Value::Data(_) => "a value",
            Value::Db => "the database `db`",
            Value::Collection(_) => "a collection",
            Value::Pending(_) => "a query",
            Value::Mongoose => "the mongoose module",
            Value::SchemaClass => "mongoose.Schema",
            Value::SchemaTypes => "mongoose.Schema.Types",
            Value::Schema(_) => "a schema",
            Value::Model(_) => "a model",
            Value::Console | Value::ConsoleLog => "console",
            Value::Require => "require",
            Value::Function(_) => "a function",
        }
    }
}
