//! The ordered record of what the schema layer did to a write: casts, strict drops, defaults, setters,
//! validators, `_id`/`__v`/timestamps. The UI renders it; tests assert on it.

use bson::Bson;

use crate::js::inspect::{inspect, js_value_type};

/// A setter Mongoose applies before casting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetterKind {
    Trim,
    Lowercase,
    Uppercase,
    /// `set: fn`, a function of the program (the runtime applies it).
    Function,
}

impl SetterKind {
    pub fn name(self) -> &'static str {
        match self {
            SetterKind::Trim => "trim",
            SetterKind::Lowercase => "lowercase",
            SetterKind::Uppercase => "uppercase",
            SetterKind::Function => "set",
        }
    }
}

/// Why a field did not reach the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Not in the schema and strict mode is on.
    NotInSchema,
    /// A nested path was given something that is not an object.
    NotAnObject,
    /// An update operator ended up empty.
    EmptyOperator,
    /// An update tried to change an `immutable` path.
    Immutable,
    /// A filter path not in the schema, under `strictQuery: true`.
    NotInSchemaQuery,
    /// An update named a path by its alias, which updates translate only with `translateAliases: true`.
    AliasNotTranslated,
    /// A document was given a virtual (`fullName`, `id`): its setter (if any) ran, the virtual is not stored.
    Virtual,
    /// An update set a virtual: a virtual is not stored, and updates do not run its setter.
    VirtualInUpdate,
}

/// One step, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceStep {
    /// A value was cast to the path's type.
    /// `changed` is false when the value already had the right type (the UI may fold those away).
    Cast { path: String, input: Bson, input_type: String, output: Bson, output_type: String, changed: bool },
    /// Casting failed; the error is reported (create: collected for validation; queries: thrown).
    CastFailed { path: String, input: Bson, message: String },
    /// A field was dropped before reaching the database.
    Dropped { path: String, value: Bson, reason: DropReason },
    /// Strict mode "throw" rejected a field.
    StrictThrow { path: String },
    /// A field was kept although it is not in the schema (strict: false).
    KeptUnknown { path: String, value: Bson },
    /// A default filled a missing path.
    DefaultApplied { path: String, value: Bson },
    /// A setter changed (or looked at) a value.
    Setter { path: String, setter: SetterKind, before: Bson, after: Bson },
    /// A validator ran.
    Validator { path: String, kind: String, passed: bool, message: Option<String> },
    /// An `_id` was generated.
    IdGenerated { path: String, value: Bson },
    /// The version key was added.
    VersionKey { path: String, value: Bson },
    /// A timestamp was set.
    Timestamp { path: String, value: Bson },
    /// An update's plain fields were wrapped in `$set`.
    WrappedInSet { path: String },
    /// A middleware function of the schema ran (`schema.pre("save", fn)`): `when` is `pre` or `post`.
    Hook { when: String, event: String, function: String },
    /// `Model.aggregate()` sent a `$match` value as written where `find()` would have cast it (Mongoose does not
    /// cast pipelines): the value sent, and the one `find()` would have sent.
    NotCast { path: String, sent: Bson, would_send: Bson },
    /// A filter compared a whole subdocument (`{ stats: { followers: 10 } }`): Mongoose built it as a new
    /// subdocument (schema order, defaults, and a fresh `_id` when `id_generated`), and MongoDB compares it whole.
    /// `array` is the path of the array of subdocuments it is an element of, if it is one.
    SubdocumentInFilter { path: String, value: Bson, id_generated: bool, array: Option<String> },
    /// An alias (`alias: "name"` on path `n`) was translated to its path: by the alias's virtual setter in a new
    /// document, or by `translateAliases` in a query.
    Alias { alias: String, path: String },
    /// A filter named a path by its alias and `translateAliases` is off: it is sent as written (and matches
    /// nothing the schema stored).
    AliasNotTranslated { alias: String, path: String },
    /// `new Model({ fullName: "Ada Lovelace" })`: the virtual's setter ran with the value (and set these paths).
    VirtualSetter { path: String, value: Bson, set: Vec<String> },
}

impl TraceStep {
    /// A cast step, with the JavaScript type names of both values.
    pub fn cast(path: &str, input: &Bson, output: &Bson) -> Self {
        TraceStep::Cast {
            path: path.to_string(),
            input: input.clone(),
            input_type: js_value_type(input),
            output: output.clone(),
            output_type: js_value_type(output),
            changed: input != output,
        }
    }

    /// The path the step is about, if it names one.
    pub fn path_mut(&mut self) -> Option<&mut String> {
        match self {
            TraceStep::Cast { path, .. }
            | TraceStep::CastFailed { path, .. }
            | TraceStep::Dropped { path, .. }
            | TraceStep::StrictThrow { path }
            | TraceStep::KeptUnknown { path, .. }
            | TraceStep::DefaultApplied { path, .. }
            | TraceStep::Setter { path, .. }
            | TraceStep::Validator { path, .. }
            | TraceStep::IdGenerated { path, .. }
            | TraceStep::VersionKey { path, .. }
            | TraceStep::Timestamp { path, .. }
            | TraceStep::WrappedInSet { path }
            | TraceStep::NotCast { path, .. }
            | TraceStep::SubdocumentInFilter { path, .. }
            | TraceStep::Alias { alias: _, path }
            | TraceStep::AliasNotTranslated { alias: _, path }
            | TraceStep::VirtualSetter { path, .. } => Some(path),
            TraceStep::Hook { .. } => None,
        }
    }

    /// One line a student can read.
    pub fn describe(&self) -> String {
        match self {
            TraceStep::Hook { when, event, function } => format!("{when}('{event}') hook {function} ran"),
            TraceStep::NotCast { path, sent, would_send } => format!(
                "not cast: $match {path} sent as {} ({}); find() would cast it to {} ({})",
                inspect(sent),
                js_value_type(sent),
                inspect(would_send),
                js_value_type(would_send)
            ),
            TraceStep::Cast { path, input, input_type, changed: false, .. } => {
                format!("cast {path}: {} ({input_type}) unchanged", inspect(input))
            }
            TraceStep::Cast { path, input, input_type, output, output_type, changed: true } => {
                format!("cast {path}: {} ({input_type}) -> {} ({output_type})", inspect(input), inspect(output))
            }
            TraceStep::CastFailed { path, input, message } => {
                format!("cast {path} failed for {}: {message}", inspect(input))
            }
            TraceStep::Dropped { path, value, reason } => {
                let why = match reason {
                    DropReason::NotInSchema => "not in schema (strict)",
                    DropReason::NotAnObject => "nested path needs an object",
                    DropReason::EmptyOperator => "empty operator",
                    DropReason::Immutable => "immutable path",
                    DropReason::NotInSchemaQuery => "not in schema (strictQuery)",
                    DropReason::Virtual => "a virtual, which is not stored",
                    DropReason::VirtualInUpdate => "a virtual, which is not stored (updates do not run its setter)",
                    DropReason::AliasNotTranslated => {
                        "an alias, which updates translate only with the option translateAliases: true"
                    }
                };
                format!("dropped {path} = {}: {why}", inspect(value))
            }
            TraceStep::StrictThrow { path } => format!("strict 'throw': {path} is not in schema"),
            TraceStep::KeptUnknown { path, value } => {
                format!("kept {path} = {} (strict: false)", inspect(value))
            }
            TraceStep::DefaultApplied { path, value } => {
                format!("default {path} = {}", inspect(value))
            }
            TraceStep::Setter { path, setter, before, after } => {
                format!("{} {path}: {} -> {}", setter.name(), inspect(before), inspect(after))
            }
            TraceStep::Validator { path, kind, passed, message } => match (passed, message) {
                (true, _) => format!("validator {kind} on {path}: ok"),
                (false, Some(m)) => format!("validator {kind} on {path}: failed: {m}"),
                (false, None) => format!("validator {kind} on {path}: failed"),
            },
            TraceStep::IdGenerated { path, value } => {
                format!("generated {path} = {}", inspect(value))
            }
            TraceStep::VersionKey { path, value } => {
                format!("version key {path} = {}", inspect(value))
            }
            TraceStep::Timestamp { path, value } => {
                format!("timestamp {path} = {}", inspect(value))
            }
            TraceStep::WrappedInSet { path } => format!("{path} wrapped in $set"),
            TraceStep::Alias { alias, path } => format!("alias {alias} -> {path}"),
            TraceStep::VirtualSetter { path, value, set } => match set.as_slice() {
                [] => format!("virtual {path} = {}: its setter ran and set nothing", inspect(value)),
                paths => format!("virtual {path} = {}: its setter set {}", inspect(value), paths.join(", ")),
            },
            TraceStep::AliasNotTranslated { alias, path } => format!(
                "{alias} is an alias of {path}, but filters keep it as written unless the query has translateAliases: true"
            ),
            TraceStep::SubdocumentInFilter { path, value, id_generated, array } => {
                let same =
                    if *id_generated { "same fields, same order, this new _id" } else { "same fields, same order" };
                let instead = match array {
                    Some(array) => format!("filter on '{array}.<field>' or use $elemMatch"),
                    None => format!("filter on '{path}.<field>'"),
                };
                format!(
                    "whole subdocument {path} sent as {}: it matches only an identical stored subdocument ({same}); to compare fields, {instead}",
                    inspect(value)
                )
            }
        }
    }
}

/// The trace of one operation.
pub type Trace = Vec<TraceStep>;

#[cfg(test)]
mod tests {
    use super::*;
    use bson::bson;

    #[test]
    fn describes_steps() {
        let step = TraceStep::cast("age", &bson!("42"), &bson!(42));
        assert_eq!(step.describe(), "cast age: '42' (string) -> 42 (number)");
        assert_eq!(TraceStep::cast("age", &bson!(4), &bson!(4)).describe(), "cast age: 4 (number) unchanged");
        let step = TraceStep::Setter {
            path: "username".into(),
            setter: SetterKind::Trim,
            before: bson!("  ALAN  "),
            after: bson!("ALAN"),
        };
        assert_eq!(step.describe(), "trim username: '  ALAN  ' -> 'ALAN'");
    }
}
