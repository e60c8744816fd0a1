//! Path helpers for updates: splitting and checking dotted paths, reading and writing one slot of a document
//! or array, and printing values the way MongoDB's server prints them inside error messages.

use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use bson::{Bson, Document};
use std::cmp::Ordering;

/// The deepest dotted path an update accepts; deeper paths are rejected rather than recursed into.
pub(crate) const MAX_PATH_PARTS: usize = 100;

/// MongoDB's document size limit; padding an array beyond it is rejected instead of allocated.
const MAX_BSON_BYTES: usize = 16 * 1024 * 1024;

/// The BSON bytes of null elements at indexes `from..to`: a type byte, the index as a name, a terminator.
fn null_padding_bytes(from: usize, to: usize) -> usize {
    let mut total = 0usize;
    let mut band_start = 0usize;
    let mut band_end = 10usize;
    let mut digits = 1usize;
    while band_start < to {
        let lo = from.max(band_start);
        let hi = to.min(band_end);
        if lo < hi {
            total = total.saturating_add((hi - lo).saturating_mul(digits + 2));
        }
        band_start = band_end;
        band_end = band_end.saturating_mul(10);
        digits += 1;
        if band_start == usize::MAX {
            break;
        }
    }
    total
}

/// How deep `describe` and `identical` descend before they stop; documents deeper than this are not printed in full.
const MAX_VALUE_DEPTH: usize = 150;

/// Splits a dotted update path into its parts, rejecting the paths MongoDB rejects (`''`, `a..b`, `a.`).
pub(crate) fn split_update_path(path: &str) -> MongoResult<Vec<String>> {
    if path.is_empty() {
        return Err(MongoError::new(ErrorCode::EmptyFieldName, "An empty update path is not valid."));
    }
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    if parts.iter().any(String::is_empty) {
        return Err(MongoError::new(
            ErrorCode::EmptyFieldName,
            format!("The update path '{path}' contains an empty field name, which is not allowed."),
        ));
    }
    if parts.len() > MAX_PATH_PARTS {
        return Err(MongoError::bad_value(format!("The update path '{path}' has more than {MAX_PATH_PARTS} parts")));
    }
    Ok(parts)
}

/// An array index written as a path part (`tags.5`): only plain decimal digits count.
pub(crate) fn parse_index(part: &str) -> Option<usize> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// True for the three positional forms: `$`, `$[]` and `$[<identifier>]`.
pub(crate) fn is_dynamic_part(part: &str) -> bool {
    part == "$" || (part.starts_with("$[") && part.ends_with(']'))
}

/// The order in which MongoDB applies sibling update paths: numeric parts by value, other parts bytewise.
pub(crate) fn compare_parts(a: &str, b: &str) -> Ordering {
    match (parse_index(a), parse_index(b)) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        _ => a.as_bytes().cmp(b.as_bytes()),
    }
}

/// Follows a dotted path through documents only (never through arrays).
pub(crate) fn lookup_in_documents<'a>(doc: &'a Document, parts: &[String]) -> Option<&'a Bson> {
    let (last, parents) = parts.split_last()?;
    let mut current = doc;
    for part in parents {
        match current.get(part)? {
            Bson::Document(inner) => current = inner,
            _ => return None,
        }
    }
    current.get(last)
}

/// One place a value lives or would live: a field of a document or an element of an array.
pub(crate) enum Slot<'a> {
    Field(&'a mut Document, &'a str),
    Element(&'a mut Vec<Bson>, usize),
}

impl Slot<'_> {
    pub(crate) fn get_mut(&mut self) -> Option<&mut Bson> {
        match self {
            Slot::Field(doc, key) => doc.get_mut(*key),
            Slot::Element(items, index) => items.get_mut(*index),
        }
    }

    /// Writes the value: an existing field keeps its position, a new field goes last, and writing past
    /// the end of an array pads it with nulls (up to what a 16 MB document could hold).
    pub(crate) fn put(&mut self, value: Bson) -> MongoResult<()> {
        match self {
            Slot::Field(doc, key) => {
                doc.insert(key.to_string(), value);
            }
            Slot::Element(items, index) => {
                if *index < items.len() {
                    if let Some(item) = items.get_mut(*index) {
                        *item = value;
                    }
                } else if null_padding_bytes(items.len(), *index) > MAX_BSON_BYTES {
                    return Err(MongoError::new(
                        ErrorCode::Location(17419),
                        "Resulting document after update is larger than 16777216",
                    ));
                } else {
                    items.resize(*index, Bson::Null);
                    items.push(value);
                }
            }
        }
        Ok(())
    }

    /// `$unset` semantics: a field disappears, an array element becomes null (arrays never shrink).
    pub(crate) fn remove(&mut self) {
        match self {
            Slot::Field(doc, key) => {
                doc.remove(*key);
            }
            Slot::Element(items, index) => {
                if let Some(item) = items.get_mut(*index) {
                    *item = Bson::Null;
                }
            }
        }
    }

    pub(crate) fn is_array_element(&self) -> bool {
        matches!(self, Slot::Element(..))
    }
}

/// Exact sameness (type and value), as MongoDB decides whether an update was a no-op: `36` and `36.0` differ.
pub(crate) fn identical(a: &Bson, b: &Bson) -> bool {
    identical_at(a, b, 0)
}

fn identical_at(a: &Bson, b: &Bson, depth: usize) -> bool {
    if depth > MAX_VALUE_DEPTH {
        // Too deep to inspect: report a difference, which at worst counts a no-op as a modification.
        return false;
    }
    match (a, b) {
        (Bson::Document(x), Bson::Document(y)) => documents_identical_at(x, y, depth + 1),
        (Bson::Array(x), Bson::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(u, v)| identical_at(u, v, depth + 1))
        }
        (Bson::Double(x), Bson::Double(y)) => x.to_bits() == y.to_bits() || x == y,
        _ => a == b,
    }
}

/// Exact sameness of two documents, field order included.
pub(crate) fn documents_identical(x: &Document, y: &Document) -> bool {
    documents_identical_at(x, y, 0)
}

fn documents_identical_at(x: &Document, y: &Document, depth: usize) -> bool {
    x.len() == y.len() && x.iter().zip(y.iter()).all(|((kx, vx), (ky, vy))| kx == ky && identical_at(vx, vy, depth))
}

/// A value printed as the server prints it in messages: `"London"`, `36`, `28.5`, `{ a: 1 }`, `[ 1, 2 ]`.
pub(crate) fn describe(value: &Bson) -> String {
    let mut out = String::new();
    describe_into(value, &mut out, 0);
    out
}

/// A field printed as `name: value`, the server's form for one element.
pub(crate) fn describe_element(name: &str, value: &Bson) -> String {
    format!("{name}: {}", describe(value))
}

/// A whole document printed as the server prints it: `{ _id: 1, a: "x" }`.
pub(crate) fn describe_document(doc: &Document) -> String {
    let mut out = String::new();
    describe_fields(doc.iter(), &mut out, 0);
    out
}

/// The `_id` of a document as error messages quote it (`_id: 3`), or `no id`.
pub(crate) fn describe_id(doc: &Document) -> String {
    doc.get("_id").map(|id| describe_element("_id", id)).unwrap_or_else(|| "no id".to_string())
}

fn describe_fields<'a>(fields: impl Iterator<Item = (&'a String, &'a Bson)>, out: &mut String, depth: usize) {
    let mut empty = true;
    for (key, value) in fields {
        out.push_str(if empty { "{ " } else { ", " });
        empty = false;
        out.push_str(key);
        out.push_str(": ");
        describe_into(value, out, depth + 1);
    }
    out.push_str(if empty { "{}" } else { " }" });
}

fn describe_into(value: &Bson, out: &mut String, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        out.push_str("...");
        return;
    }
    match value {
        Bson::Document(doc) => describe_fields(doc.iter(), out, depth),
        Bson::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push_str("[ ");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                describe_into(item, out, depth + 1);
            }
            out.push_str(" ]");
        }
        Bson::String(s) | Bson::Symbol(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Bson::Double(d) => out.push_str(&describe_double(*d)),
        Bson::Int32(i) => out.push_str(&i.to_string()),
        Bson::Int64(i) => out.push_str(&i.to_string()),
        Bson::Decimal128(d) => out.push_str(&format!("NumberDecimal(\"{d}\")")),
        Bson::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Bson::Null => out.push_str("null"),
        Bson::Undefined => out.push_str("undefined"),
        Bson::ObjectId(oid) => out.push_str(&format!("ObjectId('{}')", oid.to_hex())),
        Bson::DateTime(dt) => out.push_str(&format!("new Date({})", dt.timestamp_millis())),
        Bson::Timestamp(ts) => out.push_str(&format!("Timestamp({}, {})", ts.time, ts.increment)),
        Bson::RegularExpression(re) => out.push_str(&format!("/{}/{}", re.pattern.as_str(), re.options.as_str())),
        Bson::MinKey => out.push_str("MinKey"),
        Bson::MaxKey => out.push_str("MaxKey"),
        Bson::JavaScriptCode(code) => out.push_str(code),
        Bson::JavaScriptCodeWithScope(code) => out.push_str(&code.code),
        Bson::Binary(bin) => out.push_str(&format!("BinData({}, ...)", u8::from(bin.subtype))),
        Bson::DbPointer(_) => out.push_str("DBRef(...)"),
    }
}

/// Doubles print with a fractional part when integral (`36.0`), like the server's shell-style printing.
fn describe_double(d: f64) -> String {
    if d.is_nan() {
        "nan.0".to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "inf.0" } else { "-inf.0" }.to_string()
    } else if d.fract() == 0.0 && d.abs() < 1e15 {
        format!("{d:.1}")
    } else {
        d.to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::{bson, doc};

    #[test]
    fn paths_split_and_reject_empty_parts() {
        assert_eq!(split_update_path("a.b").unwrap(), vec!["a", "b"]);
        assert_eq!(split_update_path("").unwrap_err().code, 56);
        let err = split_update_path("a..b").unwrap_err();
        assert_eq!(err.message, "The update path 'a..b' contains an empty field name, which is not allowed.");
    }

    #[test]
    fn numeric_parts_sort_by_value() {
        assert_eq!(compare_parts("10", "9"), Ordering::Greater);
        assert_eq!(compare_parts("b", "a"), Ordering::Greater);
        assert_eq!(compare_parts("a", "B"), Ordering::Greater);
    }

    #[test]
    fn values_print_like_the_server() {
        let cases = [
            (bson!("x"), "\"x\""),
            (bson!(36), "36"),
            (bson!(36.0), "36.0"),
            (bson!(28.5), "28.5"),
            (bson!({"a": 1, "b": [1, "x"]}), "{ a: 1, b: [ 1, \"x\" ] }"),
            (bson!({}), "{}"),
            (bson!([]), "[]"),
            (Bson::Null, "null"),
        ];
        for (value, printed) in cases {
            assert_eq!(describe(&value), printed);
        }
        assert_eq!(describe_id(&doc! {"_id": 3}), "_id: 3");
    }

    #[test]
    fn slots_pad_arrays_and_null_out_elements() {
        let mut items = vec![bson!(1)];
        Slot::Element(&mut items, 3).put(bson!(9)).unwrap();
        assert_eq!(Slot::Element(&mut items, usize::MAX).put(bson!(9)).unwrap_err().code, 17419);
        assert_eq!(items, vec![bson!(1), Bson::Null, Bson::Null, bson!(9)]);
        Slot::Element(&mut items, 0).remove();
        assert_eq!(items.first(), Some(&Bson::Null));
    }

    #[test]
    fn padding_is_measured_in_bson_bytes() {
        assert_eq!(null_padding_bytes(0, 10), 30);
        assert_eq!(null_padding_bytes(8, 12), 2 * 3 + 2 * 4);
        assert!(null_padding_bytes(0, 2_000_000) > MAX_BSON_BYTES);
        assert!(null_padding_bytes(0, 1_000_000) < MAX_BSON_BYTES);
    }

    #[test]
    fn identical_distinguishes_numeric_types() {
        assert!(!identical(&bson!(36), &bson!(36.0)));
        assert!(identical(&bson!({"a": [1]}), &bson!({"a": [1]})));
        assert!(!documents_identical(&doc! {"a": 1, "b": 2}, &doc! {"b": 2, "a": 1}));
    }
}
