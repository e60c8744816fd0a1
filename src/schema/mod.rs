//! The Mongoose layer: schemas, casting, strict mode, defaults, validation and the write trace.

pub mod cast;
pub mod definition;
pub mod document;
pub mod errors;
pub mod inspect;
pub mod model;
pub mod query_cast;
pub mod trace;
pub mod update_cast;

pub use definition::{FieldType, PathDef, ScalarType, Schema, SchemaNode, SchemaOptions, Strict, Validator};
pub use document::{
    build_document, create_document, validate_document, BuiltDocument, CreatedDocument, IdGenerator, RandomIds,
    SequentialIds, WriteContext,
};
pub use errors::{
    CastError, DocumentNotFoundError, MongooseError, PathError, SchemaDefinitionError, SchemaError, StrictModeError,
    ValidationError, ValidatorError,
};
pub use model::Model;
pub use query_cast::cast_filter;
pub use trace::{Trace, TraceStep};
pub use update_cast::{apply_update_timestamps, cast_update, validate_update, UpdateOptions};
