//! The Mongoose layer: schemas, casting, strict mode, defaults, validation and the write trace.
//!
//! Pure functions deciding what reaches the database, matching Mongoose 9.12.1:
//! - [`Schema::new`] reads a definition (FORMAT.md's JSON dialect, or the command parser's output) and options;
//!   [`Model::new`] names the collection (`User` → `users`).
//! - [`create_document`] is `Model.create` up to `insertOne`: [`build_document`] (`new Model(input)`),
//!   [`validate_document`] (every error collected in a `ValidationError`), then timestamps and `__v`.
//! - [`cast_filter`] is `Model.find(filter)`'s casting; [`apply_schema_projection`] applies `select: false`.
//! - [`cast_update`] is `updateOne`'s casting; [`apply_update_timestamps`] runs before it when the schema has
//!   `timestamps`; [`validate_update`] only when the call asks for `runValidators`.
//! - Every step lands in a [`Trace`] the UI can render; `_id`s come from an [`IdGenerator`].

pub mod cast;
pub mod definition;
pub mod delta;
pub mod document;
pub mod errors;
pub mod functions;
pub mod hydrate;
pub mod model;
pub mod query_cast;
pub mod trace;
pub mod update_cast;

pub use definition::{
    CustomMessage, FieldType, PathDef, ScalarType, Schema, SchemaNode, SchemaOptions, Strict, Validator,
};
pub use delta::{save_delta, SaveDelta, SaveState};
pub use document::{
    build_document, build_document_with, build_new_document, build_replacement, create_document, finish_document,
    validate_document, validate_document_with, BuiltDocument, CreatedDocument, IdGenerator, RandomIds, SequentialIds,
    WriteContext,
};
pub use errors::{
    CastError, DocumentNotFoundError, MongooseError, PathError, SchemaDefinitionError, SchemaError, StrictModeError,
    ValidationError, ValidatorError,
};
pub use hydrate::hydrate_document;
pub use model::{IndexSpec, Model};
pub use query_cast::{apply_schema_projection, cast_filter};
pub use trace::{Trace, TraceStep};
pub use update_cast::{
    apply_update_timestamps, cast_update, set_defaults_on_insert, validate_update, validate_update_with, UpdateOptions,
};

#[cfg(test)]
mod robustness_tests {
    //! Whatever a student types, the schema layer answers with a value or an error, never a panic.

    use super::*;
    use bson::{Bson, Document};
    use proptest::prelude::*;

    const KEYS: [&str; 14] = [
        "name",
        "age",
        "tags",
        "ids",
        "scores",
        "profile",
        "profile.title",
        "meta",
        "$in",
        "$set",
        "$each",
        "$gt",
        "extra",
        "0",
    ];
    const STRINGS: [&str; 12] = [
        "",
        "42",
        "1e2",
        "yes",
        "no",
        "x",
        "000000000000000000000065",
        "2020-01-01",
        " A ",
        "String",
        "Number",
        "$now",
    ];

    fn leaf() -> impl Strategy<Value = Bson> {
        prop_oneof![
            Just(Bson::Null),
            any::<bool>().prop_map(Bson::Boolean),
            any::<i32>().prop_map(Bson::Int32),
            any::<f64>().prop_map(Bson::Double),
            any::<i64>().prop_map(|ms| Bson::DateTime(bson::DateTime::from_millis(ms))),
            (0..STRINGS.len()).prop_map(|i| Bson::String(STRINGS[i].to_string())),
            "[a-z$.0-9 ]{0,6}".prop_map(Bson::String),
        ]
    }

    fn value() -> impl Strategy<Value = Bson> {
        leaf().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Bson::Array),
                prop::collection::vec(((0..KEYS.len()), inner), 0..4).prop_map(|fields| {
                    let mut doc = Document::new();
                    for (k, v) in fields {
                        doc.insert(KEYS[k], v);
                    }
                    Bson::Document(doc)
                }),
            ]
        })
    }

    fn document() -> impl Strategy<Value = Document> {
        value().prop_map(|v| match v {
            Bson::Document(d) => d,
            other => bson::doc! {"name": other},
        })
    }

    fn model(strict: &str) -> Model {
        let definition = bson::doc! {
            "name": {"type": "String", "required": true, "trim": true, "lowercase": true, "minlength": 2, "match": "^[a-z]+$"},
            "age": {"type": "Number", "min": 0, "max": 120, "enum": [1, 2, 3]},
            "tags": {"type": ["String"], "enum": ["a", "b"]},
            "ids": [{"type": "ObjectId", "ref": "X"}],
            "scores": [{"subject": {"type": "String", "required": true}, "n": "Number", "deep": [{"x": "Date"}]}],
            "profile": {"title": {"type": "String", "default": "t"}, "at": {"type": "Date", "default": "Date.now"}},
            "meta": "Mixed",
            "ok": "Boolean",
            "raw": "Buffer",
        };
        let strict = match strict {
            "false" => Bson::Boolean(false),
            "throw" => Bson::String("throw".into()),
            _ => Bson::Boolean(true),
        };
        let schema = Schema::new(&definition, &bson::doc! {"strict": strict, "timestamps": true}).unwrap();
        Model::new("User", schema)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(192))]

        #[test]
        fn nothing_panics(input in document(), strict in prop_oneof![Just("true"), Just("false"), Just("throw")]) {
            let model = model(strict);
            let mut ids = SequentialIds::default();
            let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
            let mut trace = Trace::new();
            let _ = create_document(&model, &input, &mut ctx);
            let _ = cast_filter(&model, &input, &mut ctx, &mut trace);
            if let Ok(update) = cast_update(&model, &input, &UpdateOptions::default(), &mut ctx, &mut trace) {
                let _ = validate_update(&model, &update, &mut trace);
            }
            let _ = Schema::new(&input, &input);
            for step in &trace {
                let _ = step.describe();
            }
        }
    }
}
