//! Errors a running program reports: the library's own words (MongoDB server, Mongoose, JavaScript's TypeError) with
//! the source location and one plain-language line for beginners.

use crate::engine::error::MongoError;
use crate::shell::error::ParseError;
use crate::shell::span::Span;
use std::fmt;

/// Which library speaks in the error, which decides its name (`MongoServerError`, `TypeError`, ...).
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorSource {
    /// The database refused the call.
    Server(MongoError),
    /// Some inserts of an `insertMany` failed (`MongoBulkWriteError`); the others were inserted.
    BulkWrite(MongoError),
    /// Mongoose refused the call before (or after) the database: `ValidationError`, `CastError`, ...
    /// `details` holds the error's other properties as Mongoose sets them (`errors`, `kind`, `path`, `value`).
    Mongoose { name: String, details: Box<bson::Document> },
    /// JavaScript itself: `TypeError`, `ReferenceError`, `SyntaxError`.
    Script { name: &'static str },
    /// `User.update(...)`: a model method Mongoose 7 removed, so JavaScript's `TypeError` (`… is not a function`).
    RemovedModelMethod,
    /// `throw value`: the value itself, which `catch` hands back; `name` is the Error's name or `Uncaught`.
    Thrown { name: String, value: Box<super::value::Value> },
    /// The statement ran out of steps (an endless loop): never caught by `try`, and its writes are undone.
    /// `at_loop` once the error points at the innermost loop that was running.
    StepLimit { at_loop: bool },
}

/// A runtime error at a place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeError {
    pub source: ErrorSource,
    pub span: Span,
    /// The message exactly as the library words it.
    pub message: String,
    /// One plain-language line with the likely fix, for beginners.
    pub hint: Option<String>,
}

impl RuntimeError {
    pub fn script(name: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self { source: ErrorSource::Script { name }, span, message: message.into(), hint: None }
    }

    pub fn type_error(span: Span, message: impl Into<String>) -> Self {
        Self::script("TypeError", span, message)
    }

    pub fn reference_error(span: Span, message: impl Into<String>) -> Self {
        Self::script("ReferenceError", span, message)
    }

    pub fn server(span: Span, error: MongoError) -> Self {
        let hint = server_hint(&error);
        Self { message: error.message.clone(), source: ErrorSource::Server(error), span, hint }
    }

    pub fn from_parse(error: &ParseError) -> Self {
        use crate::shell::error::ErrorKind;
        let mut message = error.message.clone();
        let name = match error.kind {
            ErrorKind::PropertyOfNothing => "TypeError",
            ErrorKind::UnknownIdentifier => "ReferenceError",
            // The shell's helpers (`ObjectId(…)`, `ISODate(…)`) refuse bad arguments in their own words.
            ErrorKind::InvalidObjectId => {
                message = message.trim_start_matches("BSONError: ").to_string();
                "BSONError"
            }
            ErrorKind::InvalidIsoDate => {
                message = format!("[COMMON-10001] {message}");
                "MongoshInvalidInputError"
            }
            _ => "SyntaxError",
        };
        Self {
            source: ErrorSource::Script { name },
            span: Span::new(error.span.start, error.span.end),
            message,
            hint: error.hint.clone(),
        }
    }

    /// JavaScript's error for reading a property of `null` / `undefined`.
    pub fn property_of_nothing(span: Span, holder: &bson::Bson, property: &str) -> Self {
        let nothing = if matches!(holder, bson::Bson::Null) { "null" } else { "undefined" };
        Self::type_error(span, format!("Cannot read properties of {nothing} (reading '{property}')")).with_hint(
            "The value before the `.` is empty: a findOne/findById that found nothing returns null. Check it first, e.g. if (user) { … }.",
        )
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The error's name as the library prints it.
    pub fn name(&self) -> &str {
        match &self.source {
            ErrorSource::Server(_) => "MongoServerError",
            ErrorSource::BulkWrite(_) => "MongoBulkWriteError",
            ErrorSource::Mongoose { name, .. } => name,
            ErrorSource::Script { name } => name,
            ErrorSource::RemovedModelMethod => "TypeError",
            ErrorSource::Thrown { name, .. } => name,
            ErrorSource::StepLimit { .. } => "StepLimitError",
        }
    }
}

impl RuntimeError {
    /// The error as a program sees it in `catch (err)`: `name`, `message`, and the library's other properties
    /// (`code`, `keyValue` for E11000; `errors`, `kind`, `path`, `value` for Mongoose's errors).
    pub fn to_document(&self) -> bson::Document {
        let mut doc = bson::Document::new();
        doc.insert("name", self.name());
        doc.insert("message", self.message.clone());
        match &self.source {
            ErrorSource::Server(error) | ErrorSource::BulkWrite(error) => {
                doc.insert("code", error.code.number());
                doc.insert("codeName", error.code.name().into_owned());
            }
            ErrorSource::Mongoose { details, .. } => {
                for (key, value) in details.iter() {
                    doc.insert(key.clone(), value.clone());
                }
            }
            ErrorSource::Script { .. }
            | ErrorSource::RemovedModelMethod
            | ErrorSource::Thrown { .. }
            | ErrorSource::StepLimit { .. } => {}
        }
        doc
    }
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message)
    }
}

/// A plain-language line for the server errors students meet most.
fn server_hint(error: &MongoError) -> Option<String> {
    if let Some(hint) = error.hint {
        return Some(hint.to_string());
    }
    let hint = match error.code.number() {
        11000 => "Another document already has this value, and a unique index forbids duplicates.",
        2 | 9 => "The database could not understand this part of the command; check the operator's argument.",
        14 => "The operator got a value of the wrong type.",
        40 => "Two operators in one update change the same field; split them into two updates.",
        66 => "`_id` never changes once a document is stored; insert a new document instead.",
        _ => return None,
    };
    Some(hint.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_operator_gets_its_hint_from_where_it_was_raised_not_from_its_text() {
        let error = crate::engine::query::Filter::compile(&bson::doc! {"age": {"$gtr": 1}}).unwrap_err();
        let runtime = RuntimeError::server(Span::new(0, 0), error);
        assert_eq!(runtime.message, "unknown operator: $gtr");
        assert!(runtime.hint.as_deref().is_some_and(|h| h.contains("operator does not exist")), "{:?}", runtime.hint);
        let other = RuntimeError::server(Span::new(0, 0), MongoError::bad_value("unknown operator: looks alike"));
        assert!(
            other.hint.as_deref().is_some_and(|h| !h.contains("does not exist")),
            "chosen by the code, not the text"
        );
    }
}
