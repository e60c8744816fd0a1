//! Errors the database itself reports, shaped like MongoDB's server errors (`code`, `codeName`, `errmsg`).

use std::fmt;

/// MongoDB's error codes, each with its one name: the named codes of the server's `error_codes.yml` that crudlab
/// reports, and the numbered assertion codes (`Location<N>`) the server names after their number. A code and its
/// name can never disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 2: a malformed argument (`$in needs an array`, `$and/$or/$nor must be a nonempty array`).
    BadValue,
    /// 8: a failure with no more specific code.
    UnknownError,
    /// 9: a document that does not parse as the expected form (`Modifiers operate on fields...`).
    FailedToParse,
    /// 14: an operand of the wrong type (`Cannot apply $inc to a value of non-numeric type`).
    TypeMismatch,
    /// 15: a number that does not fit.
    Overflow,
    /// 26: a collection that does not exist, for a command that needs one (`listIndexes`).
    NamespaceNotFound,
    /// 27: `dropIndex` of an index that does not exist.
    IndexNotFound,
    /// 28: an update path through a value that is not a document or array.
    PathNotViable,
    /// 40: two update operators touching the same path.
    ConflictingUpdateOperators,
    /// 52: a stored field name starting with `$`.
    DollarPrefixedFieldName,
    /// 53: an `_id` that cannot be stored (an array, a regex).
    InvalidIdField,
    /// 56: an empty field name in an update path.
    EmptyFieldName,
    /// 66: an attempt to change `_id`.
    ImmutableField,
    /// 67: an index the server cannot build.
    CannotCreateIndex,
    /// 72: options that do not go together.
    InvalidOptions,
    /// 73: a collection or database name the server refuses.
    InvalidNamespace,
    /// 85: an index with these keys exists with other options.
    IndexOptionsConflict,
    /// 86: an index with this name exists with other keys.
    IndexKeySpecsConflict,
    /// 20: an operation not allowed here (`$out` inside `$lookup`).
    IllegalOperation,
    /// 50: the operation ran out of time (crudlab's aggregation budget).
    MaxTimeMSExpired,
    /// 146: an operation needs more memory than it may use.
    ExceededMemoryLimit,
    /// 168: an unknown expression operator.
    InvalidPipelineOperator,
    /// 241: a value `$convert` cannot turn into the requested type.
    ConversionFailure,
    /// 292: a blocking stage (`$group`, `$sort`) needs more than its 100 MB.
    QueryExceededMemoryLimitNoDiskUseAllowed,
    /// 10334: a document larger than 16 MiB, or nested deeper than BSON allows.
    BSONObjectTooLarge,
    /// 11000: a unique index already holds the key.
    DuplicateKey,
    /// A numbered assertion, named `Location<N>` by the server.
    Location(i32),
    /// Not the server's: the driver refuses before sending (`MongoInvalidArgumentError`), as for a replacement
    /// document with update operators; the driver path reports it as the driver's error.
    DriverInvalidArgument,
}

impl ErrorCode {
    /// The code as the server reports it (`code`).
    pub fn number(self) -> i32 {
        match self {
            ErrorCode::BadValue => 2,
            ErrorCode::UnknownError => 8,
            ErrorCode::FailedToParse => 9,
            ErrorCode::TypeMismatch => 14,
            ErrorCode::Overflow => 15,
            ErrorCode::NamespaceNotFound => 26,
            ErrorCode::IndexNotFound => 27,
            ErrorCode::PathNotViable => 28,
            ErrorCode::ConflictingUpdateOperators => 40,
            ErrorCode::DollarPrefixedFieldName => 52,
            ErrorCode::InvalidIdField => 53,
            ErrorCode::EmptyFieldName => 56,
            ErrorCode::ImmutableField => 66,
            ErrorCode::CannotCreateIndex => 67,
            ErrorCode::InvalidOptions => 72,
            ErrorCode::InvalidNamespace => 73,
            ErrorCode::IndexOptionsConflict => 85,
            ErrorCode::IndexKeySpecsConflict => 86,
            ErrorCode::IllegalOperation => 20,
            ErrorCode::MaxTimeMSExpired => 50,
            ErrorCode::ExceededMemoryLimit => 146,
            ErrorCode::InvalidPipelineOperator => 168,
            ErrorCode::ConversionFailure => 241,
            ErrorCode::QueryExceededMemoryLimitNoDiskUseAllowed => 292,
            ErrorCode::BSONObjectTooLarge => 10334,
            ErrorCode::DuplicateKey => 11000,
            ErrorCode::Location(code) => code,
            ErrorCode::DriverInvalidArgument => 0,
        }
    }

    /// The code's name as the server reports it (`codeName`).
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            ErrorCode::BadValue => "BadValue".into(),
            ErrorCode::UnknownError => "UnknownError".into(),
            ErrorCode::FailedToParse => "FailedToParse".into(),
            ErrorCode::TypeMismatch => "TypeMismatch".into(),
            ErrorCode::Overflow => "Overflow".into(),
            ErrorCode::NamespaceNotFound => "NamespaceNotFound".into(),
            ErrorCode::IndexNotFound => "IndexNotFound".into(),
            ErrorCode::PathNotViable => "PathNotViable".into(),
            ErrorCode::ConflictingUpdateOperators => "ConflictingUpdateOperators".into(),
            ErrorCode::DollarPrefixedFieldName => "DollarPrefixedFieldName".into(),
            ErrorCode::InvalidIdField => "InvalidIdField".into(),
            ErrorCode::EmptyFieldName => "EmptyFieldName".into(),
            ErrorCode::ImmutableField => "ImmutableField".into(),
            ErrorCode::CannotCreateIndex => "CannotCreateIndex".into(),
            ErrorCode::InvalidOptions => "InvalidOptions".into(),
            ErrorCode::InvalidNamespace => "InvalidNamespace".into(),
            ErrorCode::IndexOptionsConflict => "IndexOptionsConflict".into(),
            ErrorCode::IndexKeySpecsConflict => "IndexKeySpecsConflict".into(),
            ErrorCode::IllegalOperation => "IllegalOperation".into(),
            ErrorCode::MaxTimeMSExpired => "MaxTimeMSExpired".into(),
            ErrorCode::ExceededMemoryLimit => "ExceededMemoryLimit".into(),
            ErrorCode::InvalidPipelineOperator => "InvalidPipelineOperator".into(),
            ErrorCode::ConversionFailure => "ConversionFailure".into(),
            ErrorCode::QueryExceededMemoryLimitNoDiskUseAllowed => "QueryExceededMemoryLimitNoDiskUseAllowed".into(),
            ErrorCode::BSONObjectTooLarge => "BSONObjectTooLarge".into(),
            ErrorCode::DuplicateKey => "DuplicateKey".into(),
            ErrorCode::Location(code) => format!("Location{code}").into(),
            ErrorCode::DriverInvalidArgument => "MongoInvalidArgumentError".into(),
        }
    }
}

/// Tests and hints compare a code with its number: `assert_eq!(error.code, 11000)`.
impl PartialEq<i32> for ErrorCode {
    fn eq(&self, other: &i32) -> bool {
        self.number() == *other
    }
}

/// A MongoDB server error: what the driver surfaces as `MongoServerError` (or `MongoBulkWriteError` for inserts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MongoError {
    /// MongoDB's error code and its name, e.g. 2 (BadValue) or 11000 (DuplicateKey).
    pub code: ErrorCode,
    /// The message exactly as the server words it.
    pub message: String,
    /// A plain-language line for beginners, when the place that raised the error knows one better than its code
    /// does (an unknown `$` operator is a BadValue like many others).
    pub hint: Option<&'static str>,
}

impl MongoError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), hint: None }
    }

    /// The error with a beginner's hint attached.
    pub fn with_hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }

    /// Code 2: a malformed argument (`$in needs an array`, `$and/$or/$nor must be a nonempty array`).
    pub fn bad_value(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadValue, message)
    }

    /// Code 9: a document that does not parse as the expected form (`Modifiers operate on fields...`).
    pub fn failed_to_parse(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::FailedToParse, message)
    }

    /// Code 14: an operand of the wrong type (`Cannot apply $inc to a value of non-numeric type`).
    pub fn type_mismatch(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::TypeMismatch, message)
    }

    /// Code 40: two update operators touching the same path.
    pub fn conflicting_update_operators(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ConflictingUpdateOperators, message)
    }

    /// Code 66: an attempt to change `_id`.
    pub fn immutable_field(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ImmutableField, message)
    }

    /// Code 11000: a unique index already holds the key.
    pub fn duplicate_key(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::DuplicateKey, message)
    }

    /// Code 10334: a document larger than 16 MiB, or nested deeper than BSON allows.
    pub fn bson_object_too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BSONObjectTooLarge, message)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_number_and_one_name() {
        assert_eq!((ErrorCode::DuplicateKey.number(), ErrorCode::DuplicateKey.name()), (11000, "DuplicateKey".into()));
        assert_eq!(ErrorCode::Location(31250).name(), "Location31250");
        assert_eq!(ErrorCode::BadValue, 2);
        assert_ne!(ErrorCode::BadValue, 9);
    }
}
