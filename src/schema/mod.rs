//! The Mongoose layer: schemas, casting, strict mode, defaults, validation and the write trace.
