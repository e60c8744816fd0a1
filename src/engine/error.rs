//! Errors the database itself reports, shaped like MongoDB's server errors (`code`, `codeName`, `errmsg`).

use std::fmt;

/// A MongoDB server error: what the driver surfaces as `MongoServerError` (or `MongoBulkWriteError` for inserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MongoError {
    /// MongoDB's numeric error code, e.g. 2 (BadValue) or 11000 (DuplicateKey).
    pub code: i32,
    /// MongoDB's code name, e.g. `"BadValue"`.
    pub code_name: &'static str,
    /// The message exactly as the server words it.
    pub message: String,
}

impl MongoError {
    pub fn new(code: i32, code_name: &'static str, message: impl Into<String>) -> Self {
        Self { code, code_name, message: message.into() }
    }

    /// Code 2: a malformed argument (`$in needs an array`, `$and/$or/$nor must be a nonempty array`).
    pub fn bad_value(message: impl Into<String>) -> Self {
        Self::new(2, "BadValue", message)
    }

    /// Code 9: a document that does not parse as the expected form (`Modifiers operate on fields...`).
    pub fn failed_to_parse(message: impl Into<String>) -> Self {
        Self::new(9, "FailedToParse", message)
    }

    /// Code 14: an operand of the wrong type (`Cannot apply $inc to a value of non-numeric type`).
    pub fn type_mismatch(message: impl Into<String>) -> Self {
        Self::new(14, "TypeMismatch", message)
    }

    /// Code 40: two update operators touching the same path.
    pub fn conflicting_update_operators(message: impl Into<String>) -> Self {
        Self::new(40, "ConflictingUpdateOperators", message)
    }

    /// Code 66: an attempt to change `_id`.
    pub fn immutable_field(message: impl Into<String>) -> Self {
        Self::new(66, "ImmutableField", message)
    }

    /// Code 11000: a unique index already holds the key.
    pub fn duplicate_key(message: impl Into<String>) -> Self {
        Self::new(11000, "DuplicateKey", message)
    }

    /// Code 10334: a document larger than 16 MiB, or nested deeper than BSON allows.
    pub fn bson_object_too_large(message: impl Into<String>) -> Self {
        Self::new(10334, "BSONObjectTooLarge", message)
    }
}

impl fmt::Display for MongoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MongoServerError: {}", self.message)
    }
}

impl std::error::Error for MongoError {}

/// What an engine call returns on failure.
pub type MongoResult<T> = Result<T, MongoError>;
