//! Mongoose's error types (`ValidationError`, `ValidatorError`, `CastError`, `StrictModeError`, `MongooseError`,
//! `DocumentNotFoundError`) with the same `name`, `message`, `kind`, `path` and `value` Mongoose reports.

use bson::{Bson, Document};

use crate::js::inspect::{inspect, js_value_type};

/// A value could not be cast to a path's type (`CastError`).
#[derive(Debug, Clone, PartialEq)]
pub struct CastError {
    /// What the cast targeted: `Number`, `string`, `Boolean`, `date`, `ObjectId`, `[ObjectId]`...
    pub kind: String,
    pub value: Bson,
    /// `util.inspect(value)` wrapped in double quotes, as the message shows it.
    pub string_value: String,
    /// `typeof value` or its constructor name.
    pub value_type: String,
    pub path: String,
    /// The constructor name of the underlying error, when Mongoose names it in the message (`because of "CastError"`).
    pub reason: Option<String>,
    pub model: Option<String>,
    pub message: String,
}

/// `util.inspect(value)` with surrounding single quotes turned into double quotes, as `CastError` shows values.
pub fn cast_string_value(value: &Bson) -> String {
    let inspected = inspect(value);
    let mut text = inspected.clone();
    if text.starts_with('\'') {
        text.replace_range(0..1, "\"");
    }
    if text.len() > 1 && text.ends_with('\'') {
        let end = text.len() - 1;
        text.replace_range(end.., "\"");
    }
    if !text.starts_with('"') {
        text = format!("\"{text}\"");
    }
    text
}

impl CastError {
    /// Mongoose's `error.name`.
    pub fn name(&self) -> &'static str {
        "CastError"
    }

    /// A cast failure for `value` at `path`; `reason` is the constructor name of the caster's own error, if any.
    pub fn new(kind: &str, value: &Bson, path: &str, reason: Option<&str>) -> Self {
        let mut error = CastError {
            kind: kind.to_string(),
            value: value.clone(),
            string_value: cast_string_value(value),
            value_type: js_value_type(value),
            path: path.to_string(),
            reason: reason.map(str::to_string),
            model: None,
            message: String::new(),
        };
        error.message = error.format_message();
        error
    }

    /// Names the model in the message (`for model "User"`), as Mongoose does once it knows the model.
    pub fn set_model(&mut self, model: &str) {
        self.model = Some(model.to_string());
        self.message = self.format_message();
    }

    /// Moves the error to another path (Mongoose rewrites paths for array elements and subdocuments).
    pub fn set_path(&mut self, path: &str) {
        self.path = path.to_string();
        self.message = self.format_message();
    }

    fn format_message(&self) -> String {
        let mut message = format!(
            "Cast to {} failed for value {} (type {}) at path \"{}\"",
            self.kind, self.string_value, self.value_type, self.path
        );
        if let Some(model) = &self.model {
            message.push_str(&format!(" for model \"{model}\""));
        }
        if let Some(reason) = &self.reason {
            if reason != "AssertionError" && reason != "Error" && reason != "BSONError" {
                message.push_str(&format!(" because of \"{reason}\""));
            }
        }
        message
    }
}

/// A validator rejected a path's value (`ValidatorError`).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatorError {
    /// `required`, `min`, `max`, `minlength`, `maxlength`, `enum`, `regexp`.
    pub kind: String,
    pub path: String,
    pub value: Bson,
    pub message: String,
}

impl ValidatorError {
    /// Mongoose's `error.name`.
    pub fn name(&self) -> &'static str {
        "ValidatorError"
    }
}

/// One entry of `ValidationError.errors`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathError {
    Validator(ValidatorError),
    Cast(CastError),
    /// An error a `required` function threw, stored as it was thrown (`doc.invalidate(path, err)`): a plain
    /// `Error` with its message and no `kind`.
    Thrown {
        path: String,
        message: String,
    },
    /// The constructor's StrictModeError, put in a ValidationError by `findOneAndReplace`.
    StrictMode(StrictModeError),
}

impl PathError {
    pub fn name(&self) -> &'static str {
        match self {
            PathError::Validator(_) => "ValidatorError",
            PathError::Cast(_) => "CastError",
            PathError::Thrown { .. } => "Error",
            PathError::StrictMode(_) => "StrictModeError",
        }
    }
    pub fn kind(&self) -> &str {
        match self {
            PathError::Validator(e) => &e.kind,
            PathError::Cast(e) => &e.kind,
            PathError::Thrown { .. } | PathError::StrictMode(_) => "",
        }
    }
    pub fn message(&self) -> &str {
        match self {
            PathError::Validator(e) => &e.message,
            PathError::Cast(e) => &e.message,
            PathError::Thrown { message, .. } => message,
            PathError::StrictMode(e) => &e.message,
        }
    }
    pub fn path(&self) -> &str {
        match self {
            PathError::Validator(e) => &e.path,
            PathError::Cast(e) => &e.path,
            PathError::Thrown { path, .. } => path,
            PathError::StrictMode(e) => &e.path,
        }
    }
    pub fn value(&self) -> &Bson {
        match self {
            PathError::Validator(e) => &e.value,
            PathError::Cast(e) => &e.value,
            PathError::Thrown { .. } | PathError::StrictMode(_) => &Bson::Undefined,
        }
    }
}

/// A document failed validation: every failing path, in the order Mongoose met them.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationError {
    pub model: Option<String>,
    pub errors: Vec<(String, PathError)>,
    /// False for one made empty and filled afterwards (`new ValidationError()`, then `errors[path] = err`): its
    /// message, set when it was made, is `Validation failed` alone.
    pub message_lists_errors: bool,
}

impl ValidationError {
    /// Mongoose's `error.name`.
    pub fn name(&self) -> &'static str {
        "ValidationError"
    }

    pub fn new(model: Option<&str>) -> Self {
        ValidationError { model: model.map(str::to_string), errors: Vec::new(), message_lists_errors: true }
    }

    /// `findOneAndReplace`'s wrapping of an error the replacement's constructor threw: `new ValidationError()`,
    /// then `validationError.errors[err.path] = err`.
    pub fn wrapping(path: &str, error: PathError) -> Self {
        ValidationError { model: None, errors: vec![(path.to_string(), error)], message_lists_errors: false }
    }

    /// Records an error for `path`, replacing an earlier one for the same path (like assigning `errors[path]`).
    pub fn add(&mut self, path: &str, error: PathError) {
        if let Some(slot) = self.errors.iter_mut().find(|(p, _)| p == path) {
            slot.1 = error;
        } else {
            self.errors.push((path.to_string(), error));
        }
    }

    pub fn get(&self, path: &str) -> Option<&PathError> {
        self.errors.iter().find(|(p, _)| p == path).map(|(_, e)| e)
    }

    /// `User validation failed: age: Path \`age\` (-1) is less than minimum allowed value (0).`
    pub fn message(&self) -> String {
        let prefix = match &self.model {
            Some(model) => format!("{model} validation failed"),
            None => "Validation failed".to_string(),
        };
        let parts: Vec<String> =
            self.errors.iter().map(|(path, error)| format!("{path}: {}", error.message())).collect();
        if parts.is_empty() || !self.message_lists_errors {
            prefix
        } else {
            format!("{prefix}: {}", parts.join(", "))
        }
    }
}

/// A path outside the schema met strict mode `"throw"` (`StrictModeError`).
#[derive(Debug, Clone, PartialEq)]
pub struct StrictModeError {
    pub path: String,
    pub message: String,
}

impl StrictModeError {
    /// Mongoose's `error.name`.
    pub fn name(&self) -> &'static str {
        "StrictModeError"
    }

    pub fn new(path: &str) -> Self {
        StrictModeError {
            path: path.to_string(),
            message: format!("Field `{path}` is not in schema and strict mode is set to throw."),
        }
    }

    /// A filter named a path not in the schema under `strictQuery: "throw"` (Mongoose's lib/cast.js).
    pub fn query(path: &str) -> Self {
        StrictModeError {
            path: path.to_string(),
            message: format!("Path \"{path}\" is not in schema and strictQuery is 'throw'."),
        }
    }

    /// An update touched an `immutable` path under strict mode "throw".
    pub fn immutable(path: &str) -> Self {
        StrictModeError { path: path.to_string(), message: format!("Field {path} is immutable and strict = 'throw'") }
    }
}

/// A generic Mongoose error. `name` is `MongooseError`, or `Error` where Mongoose throws a plain `Error`.
#[derive(Debug, Clone, PartialEq)]
pub struct MongooseError {
    pub name: String,
    pub message: String,
}

impl MongooseError {
    pub fn new(message: impl Into<String>) -> Self {
        MongooseError { name: "MongooseError".to_string(), message: message.into() }
    }
    /// A plain JavaScript `Error` thrown by Mongoose code.
    pub fn plain(message: impl Into<String>) -> Self {
        MongooseError { name: "Error".to_string(), message: message.into() }
    }
}

/// `orFail()` found nothing, or a save matched no document (`DocumentNotFoundError`).
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentNotFoundError {
    pub filter: Document,
    pub model: String,
    pub message: String,
}

impl DocumentNotFoundError {
    /// Mongoose's `error.name`.
    pub fn name(&self) -> &'static str {
        "DocumentNotFoundError"
    }

    pub fn new(filter: &Document, model: &str) -> Self {
        DocumentNotFoundError {
            filter: filter.clone(),
            model: model.to_string(),
            message: format!(
                "No document found for query \"{}\" on model \"{model}\"",
                inspect(&Bson::Document(filter.clone()))
            ),
        }
    }
}

/// A schema definition Mongoose would refuse.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaDefinitionError {
    pub path: String,
    pub message: String,
    /// What Mongoose throws: a `TypeError` for most definitions it cannot read, a `MongooseError` for some
    /// options (`alias`).
    pub name: &'static str,
}

/// Any error of the schema layer.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaError {
    Validation(ValidationError),
    Cast(Box<CastError>),
    StrictMode(StrictModeError),
    Mongoose(MongooseError),
    DocumentNotFound(Box<DocumentNotFoundError>),
    Definition(SchemaDefinitionError),
}

impl SchemaError {
    /// Mongoose's `error.name`.
    pub fn name(&self) -> &str {
        match self {
            SchemaError::Validation(_) => "ValidationError",
            SchemaError::Cast(_) => "CastError",
            SchemaError::StrictMode(_) => "StrictModeError",
            SchemaError::Mongoose(e) => &e.name,
            SchemaError::DocumentNotFound(_) => "DocumentNotFoundError",
            SchemaError::Definition(e) => e.name,
        }
    }

    /// Mongoose's `error.message`.
    pub fn message(&self) -> String {
        match self {
            SchemaError::Validation(e) => e.message(),
            SchemaError::Cast(e) => e.message.clone(),
            SchemaError::StrictMode(e) => e.message.clone(),
            SchemaError::Mongoose(e) => e.message.clone(),
            SchemaError::DocumentNotFound(e) => e.message.clone(),
            SchemaError::Definition(e) => e.message.clone(),
        }
    }
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

impl std::error::Error for SchemaError {}

impl From<CastError> for SchemaError {
    fn from(e: CastError) -> Self {
        SchemaError::Cast(Box::new(e))
    }
}
impl From<Box<CastError>> for SchemaError {
    fn from(e: Box<CastError>) -> Self {
        SchemaError::Cast(e)
    }
}
impl From<DocumentNotFoundError> for SchemaError {
    fn from(e: DocumentNotFoundError) -> Self {
        SchemaError::DocumentNotFound(Box::new(e))
    }
}
impl From<ValidationError> for SchemaError {
    fn from(e: ValidationError) -> Self {
        SchemaError::Validation(e)
    }
}
impl From<StrictModeError> for SchemaError {
    fn from(e: StrictModeError) -> Self {
        SchemaError::StrictMode(e)
    }
}
impl From<MongooseError> for SchemaError {
    fn from(e: MongooseError) -> Self {
        SchemaError::Mongoose(e)
    }
}
impl From<SchemaDefinitionError> for SchemaError {
    fn from(e: SchemaDefinitionError) -> Self {
        SchemaError::Definition(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::bson;

    #[test]
    fn cast_error_messages() {
        let mut e = CastError::new("Number", &bson!([5]), "age", Some("Error"));
        e.set_model("User");
        assert_eq!(
            e.message,
            "Cast to Number failed for value \"[ 5 ]\" (type Array) at path \"age\" for model \"User\""
        );
        let mut e = CastError::new("Boolean", &bson!("maybe"), "premium", Some("CastError"));
        e.set_model("User");
        assert_eq!(
            e.message,
            "Cast to Boolean failed for value \"maybe\" (type string) at path \"premium\" for model \"User\" because of \"CastError\""
        );
    }

    #[test]
    fn validation_error_message_joins_paths() {
        let mut v = ValidationError::new(Some("User"));
        v.add(
            "age",
            PathError::Validator(ValidatorError {
                kind: "min".into(),
                path: "age".into(),
                value: bson!(-1),
                message: "Path `age` (-1) is less than minimum allowed value (0).".into(),
            }),
        );
        assert_eq!(v.message(), "User validation failed: age: Path `age` (-1) is less than minimum allowed value (0).");
        assert_eq!(SchemaError::from(v).name(), "ValidationError");
    }

    #[test]
    fn strict_and_not_found_messages() {
        assert_eq!(
            StrictModeError::new("extra").message,
            "Field `extra` is not in schema and strict mode is set to throw."
        );
        let e = DocumentNotFoundError::new(&bson::doc! {"name": "x"}, "User");
        assert_eq!(e.message, "No document found for query \"{ name: 'x' }\" on model \"User\"");
    }
}
