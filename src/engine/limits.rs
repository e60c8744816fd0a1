//! Limits MongoDB enforces on documents, checked before anything is stored: 16 MiB of BSON and 100 levels of nesting.

use super::error::{ErrorCode, MongoError, MongoResult};
use bson::{Bson, Document};

/// MongoDB's maximum BSON document size.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// MongoDB's maximum nesting depth of documents and arrays.
pub const MAX_NESTING_DEPTH: usize = 100;

/// Rejects documents nested deeper than 100 levels or larger than 16 MiB, with MongoDB's wording.
pub fn check_document(doc: &Document) -> MongoResult<()> {
    if depth_exceeds(doc, 1) {
        return Err(MongoError::new(
            ErrorCode::Overflow,
            format!("cannot insert document because it exceeds {MAX_NESTING_DEPTH} levels of nesting"),
        ));
    }
    let size = bson_size(doc);
    if size > MAX_DOCUMENT_BYTES {
        return Err(MongoError::bson_object_too_large(format!(
            "object to insert too large. size in bytes: {size}, max size: {MAX_DOCUMENT_BYTES}"
        )));
    }
    Ok(())
}

/// The size of a document encoded as BSON, computed without encoding it (inserts check every document, and
/// encoding each one only to measure it was a fifth of `insertMany`). A field name holding a NUL byte cannot be
/// encoded at all and counts as too large, as before.
pub fn bson_size(doc: &Document) -> usize {
    document_size::<true>(doc)
}

/// [`bson_size`] of a stored document, which never holds a NUL byte in a field name (inserts and replacements
/// refuse one, and BSON cannot encode one): the names' bytes are not read, only their lengths, which saves a cache
/// miss per field on large collections.
pub fn stored_bson_size(doc: &Document) -> usize {
    document_size::<false>(doc)
}

fn document_size<const CHECK_NAMES: bool>(doc: &Document) -> usize {
    let mut size: usize = 4 + 1;
    for (key, value) in doc {
        if CHECK_NAMES && key.contains('\0') {
            return usize::MAX;
        }
        size = size.saturating_add(1 + key.len() + 1).saturating_add(size_of_value::<CHECK_NAMES>(value));
    }
    size
}

/// The size of one value encoded as BSON (without a field name), computed without encoding it.
pub fn value_size(value: &Bson) -> usize {
    size_of_value::<true>(value)
}

/// [`value_size`] of a value inside a stored document (see [`stored_bson_size`]).
pub fn stored_value_size(value: &Bson) -> usize {
    size_of_value::<false>(value)
}

fn size_of_value<const CHECK_NAMES: bool>(value: &Bson) -> usize {
    let string = |s: &str| 4 + s.len() + 1;
    match value {
        Bson::Double(_) | Bson::Int64(_) | Bson::Timestamp(_) | Bson::DateTime(_) => 8,
        Bson::Int32(_) => 4,
        Bson::Boolean(_) => 1,
        Bson::Null | Bson::Undefined | Bson::MaxKey | Bson::MinKey => 0,
        Bson::ObjectId(_) => 12,
        Bson::Decimal128(_) => 16,
        Bson::String(s) | Bson::JavaScriptCode(s) | Bson::Symbol(s) => string(s),
        Bson::Document(inner) => document_size::<CHECK_NAMES>(inner),
        Bson::Array(items) => items.iter().enumerate().fold(4 + 1, |size: usize, (index, item)| {
            size.saturating_add(1 + decimal_digits(index) + 1).saturating_add(size_of_value::<CHECK_NAMES>(item))
        }),
        Bson::RegularExpression(regex) => regex.pattern.as_str().len() + 1 + regex.options.as_str().len() + 1,
        Bson::JavaScriptCodeWithScope(code) => {
            (4 + string(&code.code)).saturating_add(document_size::<CHECK_NAMES>(&code.scope))
        }
        Bson::Binary(binary) => {
            // The old binary subtype repeats the length inside the payload.
            let old = if binary.subtype == bson::spec::BinarySubtype::BinaryOld { 4 } else { 0 };
            4 + 1 + old + binary.bytes.len()
        }
        // A deprecated type whose parts are private to the bson crate: measured by encoding it.
        Bson::DbPointer(_) => {
            bson::doc! { "": value.clone() }.to_vec().map_or(usize::MAX, |bytes| bytes.len().saturating_sub(4 + 1 + 2))
        }
    }
}

fn decimal_digits(mut n: usize) -> usize {
    let mut digits = 1;
    while n >= 10 {
        n /= 10;
        digits += 1;
    }
    digits
}

/// True when `doc` nests documents and arrays deeper than `max` levels (the document itself is level 1), walking
/// no deeper than that.
pub fn nests_deeper_than(doc: &Document, max: usize) -> bool {
    fn too_deep(value: &Bson, level: usize, max: usize) -> bool {
        match value {
            Bson::Document(inner) => level > max || inner.values().any(|v| too_deep(v, level + 1, max)),
            Bson::Array(items) => level > max || items.iter().any(|v| too_deep(v, level + 1, max)),
            _ => false,
        }
    }
    max == 0 || doc.values().any(|value| too_deep(value, 2, max))
}

/// True when `value`, a field's value at `level` (a top-level field's value is level 2), nests documents and arrays
/// deeper than `max` levels: [`nests_deeper_than`] for one part of a document.
pub fn value_nests_deeper_than(value: &Bson, level: usize, max: usize) -> bool {
    fn too_deep(value: &Bson, level: usize, max: usize) -> bool {
        match value {
            Bson::Document(inner) => level > max || inner.values().any(|v| too_deep(v, level + 1, max)),
            Bson::Array(items) => level > max || items.iter().any(|v| too_deep(v, level + 1, max)),
            _ => false,
        }
    }
    max == 0 || too_deep(value, level, max)
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
        assert!(!nests_deeper_than(&nested(100), 100) && nests_deeper_than(&nested(101), 100));
        assert!(!nests_deeper_than(&doc! {"a": [[1]]}, 3) && nests_deeper_than(&doc! {"a": [[1]]}, 2));
        let err = check_document(&nested(101)).unwrap_err();
        assert_eq!(err.message, "cannot insert document because it exceeds 100 levels of nesting");
    }

    #[test]
    fn computed_sizes_equal_encoded_sizes() {
        let every_type = doc! {
            "double": 1.5, "string": "héllo", "doc": { "a": 1, "b": [1, 2] }, "bool": true, "null": null,
            "regex": bson::Regex { pattern: "^ada".to_string().try_into().unwrap(), options: "i".to_string().try_into().unwrap() }, "code": Bson::JavaScriptCode("x".into()),
            "scoped": Bson::JavaScriptCodeWithScope(bson::JavaScriptCodeWithScope { code: "y".into(), scope: doc! {"z": 1} }),
            "int": 1, "long": 2i64, "ts": bson::Timestamp { time: 1, increment: 2 },
            "bin": bson::Binary { subtype: bson::spec::BinarySubtype::Generic, bytes: vec![1, 2, 3] },
            "old": bson::Binary { subtype: bson::spec::BinarySubtype::BinaryOld, bytes: vec![1, 2, 3] },
            "oid": crate::clock::new_object_id(), "date": bson::DateTime::from_millis(0), "symbol": Bson::Symbol("s".into()),
            "dec": bson::Decimal128::from_bytes([0; 16]), "undef": Bson::Undefined, "max": Bson::MaxKey, "min": Bson::MinKey,
            "long array": (0..123).map(Bson::Int32).collect::<Vec<_>>(),
        };
        for doc in [doc! {}, doc! {"a": {}}, every_type, nested(100)] {
            assert_eq!(bson_size(&doc), doc.to_vec().unwrap().len(), "{doc}");
        }
    }

    #[test]
    fn documents_over_16_mib_are_rejected() {
        let big = doc! {"blob": "x".repeat(MAX_DOCUMENT_BYTES)};
        let err = check_document(&big).unwrap_err();
        assert_eq!(err.code, 10334);
        assert_eq!(err.message, "object to insert too large. size in bytes: 16777232, max size: 16777216");
    }
}
