//! Limits MongoDB enforces on documents, checked before anything is stored: 16 MiB of BSON and 100 levels of nesting.

use super::error::{MongoError, MongoResult};
use bson::{Bson, Document};

/// MongoDB's maximum BSON document size.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// MongoDB's maximum nesting depth of documents and arrays.
pub const MAX_NESTING_DEPTH: usize = 100;

/// Rejects documents nested deeper than 100 levels or larger than 16 MiB, with MongoDB's wording.
pub fn check_document(doc: &Document) -> MongoResult<()> {
    if depth_exceeds(doc, 1) {
        return Err(MongoError::new(
            15,
            "Overflow",
            format!("cannot insert document because it exceeds {MAX_NESTING_DEPTH} levels of nesting"),
        ));
    }
    let size = doc.to_vec().map(|bytes| bytes.len()).unwrap_or(usize::MAX);
    if size > MAX_DOCUMENT_BYTES {
        return Err(MongoError::bson_object_too_large(format!(
            "object to insert too large. size in bytes: {size}, max size: {MAX_DOCUMENT_BYTES}"
        )));
    }
    Ok(())
}

/// Depth check without recursion on the Rust stack beyond the limit itself.
fn depth_exceeds(doc: &Document, depth: usize) -> bool {
    if depth > MAX_NESTING_DEPTH {
        return true;
    }
    doc.values().any(|value| value_depth_exceeds(value, depth))
}

fn value_depth_exceeds(value: &Bson, depth: usize) -> bool {
    match value {
        Bson::Document(inner) => depth_exceeds(inner, depth + 1),
        Bson::Array(items) => depth + 1 > MAX_NESTING_DEPTH || items.iter().any(|v| value_depth_exceeds(v, depth + 1)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn nested(levels: usize) -> Document {
        let mut doc = doc! {"leaf": 1};
        for _ in 1..levels {
            doc = doc! {"a": doc};
        }
        doc
    }

    #[test]
    fn one_hundred_levels_pass_and_one_more_fails() {
        assert!(check_document(&nested(100)).is_ok());
        let err = check_document(&nested(101)).unwrap_err();
        assert_eq!(err.message, "cannot insert document because it exceeds 100 levels of nesting");
    }

    #[test]
    fn documents_over_16_mib_are_rejected() {
        let big = doc! {"blob": "x".repeat(MAX_DOCUMENT_BYTES)};
        let err = check_document(&big).unwrap_err();
        assert_eq!(err.code, 10334);
        assert_eq!(err.message, "object to insert too large. size in bytes: 16777232, max size: 16777216");
    }
}
