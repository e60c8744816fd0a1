//! BSON value semantics shared by filters, sorts, updates and indexes: MongoDB's comparison order, numeric equality and `$type` names.

use bson::{Bson, Document};
use std::cmp::Ordering;

/// The rank of a value's type in MongoDB's cross-type comparison order
/// (MinKey < Null < Numbers < Symbol/String < Object < Array < BinData < ObjectId < Boolean < Date < Timestamp < Regex < MaxKey).
pub fn type_rank(value: &Bson) -> u8 {
    match value {
        Bson::MinKey => 1,
        Bson::Null | Bson::Undefined => 2,
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => 3,
        Bson::String(_) | Bson::Symbol(_) => 4,
        Bson::Document(_) => 5,
        Bson::Array(_) => 6,
        Bson::Binary(_) => 7,
        Bson::ObjectId(_) => 8,
        Bson::Boolean(_) => 9,
        Bson::DateTime(_) => 10,
        Bson::Timestamp(_) => 11,
        Bson::RegularExpression(_) => 12,
        Bson::DbPointer(_) => 13,
        Bson::JavaScriptCode(_) => 14,
        Bson::JavaScriptCodeWithScope(_) => 15,
        Bson::MaxKey => 127,
    }
}

/// A numeric value as a double, for comparisons by value across Int32, Int64, Double and Decimal128.
pub fn as_f64(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int32(i) => Some(f64::from(*i)),
        // Precision loss above 2^53 is accepted: comparisons of such longs with doubles are approximate in MongoDB too.
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(d) => Some(*d),
        Bson::Decimal128(d) => d.to_string().parse::<f64>().ok(),
        _ => None,
    }
}

/// True when the value is one of BSON's numeric types.
pub fn is_number(value: &Bson) -> bool {
    matches!(value, Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_))
}

fn compare_numbers(a: &Bson, b: &Bson) -> Ordering {
    // Exact integer comparison where both sides are integers, so large longs compare correctly.
    let int = |v: &Bson| match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        _ => None,
    };
    if let (Some(x), Some(y)) = (int(a), int(b)) {
        return x.cmp(&y);
    }
    let x = as_f64(a).unwrap_or(f64::NAN);
    let y = as_f64(b).unwrap_or(f64::NAN);
    // MongoDB sorts NaN below every other number and equal to itself.
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// MongoDB's total order over BSON values (the order used by sort, indexes and `$gt`/`$lt` within a type).
pub fn compare(a: &Bson, b: &Bson) -> Ordering {
    let (ra, rb) = (type_rank(a), type_rank(b));
    if ra != rb {
        return ra.cmp(&rb);
    }
    match (a, b) {
        (Bson::String(x) | Bson::Symbol(x), Bson::String(y) | Bson::Symbol(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Bson::Document(x), Bson::Document(y)) => compare_documents(x, y),
        (Bson::Array(x), Bson::Array(y)) => {
            for (u, v) in x.iter().zip(y.iter()) {
                let ord = compare(u, v);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            x.len().cmp(&y.len())
        }
        (Bson::Binary(x), Bson::Binary(y)) => x
            .bytes
            .len()
            .cmp(&y.bytes.len())
            .then_with(|| u8::from(x.subtype).cmp(&u8::from(y.subtype)))
            .then_with(|| x.bytes.cmp(&y.bytes)),
        (Bson::ObjectId(x), Bson::ObjectId(y)) => x.bytes().cmp(&y.bytes()),
        (Bson::Boolean(x), Bson::Boolean(y)) => x.cmp(y),
        (Bson::DateTime(x), Bson::DateTime(y)) => x.timestamp_millis().cmp(&y.timestamp_millis()),
        (Bson::Timestamp(x), Bson::Timestamp(y)) => (x.time, x.increment).cmp(&(y.time, y.increment)),
        (Bson::RegularExpression(x), Bson::RegularExpression(y)) => {
            x.pattern.as_str().cmp(y.pattern.as_str()).then_with(|| x.options.as_str().cmp(y.options.as_str()))
        }
        (Bson::JavaScriptCode(x), Bson::JavaScriptCode(y)) => x.cmp(y),
        (Bson::JavaScriptCodeWithScope(x), Bson::JavaScriptCodeWithScope(y)) => {
            x.code.cmp(&y.code).then_with(|| compare_documents(&x.scope, &y.scope))
        }
        _ if ra == 3 => compare_numbers(a, b),
        // MinKey, MaxKey, Null/Undefined and DbPointer compare equal within their rank.
        _ => Ordering::Equal,
    }
}

/// Documents compare field by field: first the field's type rank, then its name, then its value; a prefix is smaller.
pub fn compare_documents(x: &Document, y: &Document) -> Ordering {
    for ((kx, vx), (ky, vy)) in x.iter().zip(y.iter()) {
        let ord = type_rank(vx)
            .cmp(&type_rank(vy))
            .then_with(|| kx.as_bytes().cmp(ky.as_bytes()))
            .then_with(|| compare(vx, vy));
        if ord != Ordering::Equal {
            return ord;
        }
    }
    x.len().cmp(&y.len())
}

/// Equality as `$eq` sees it: numbers by value (`36 == 36.0`), documents and arrays field by field in order.
pub fn equal(a: &Bson, b: &Bson) -> bool {
    match (a, b) {
        (Bson::Null | Bson::Undefined, Bson::Null | Bson::Undefined) => true,
        (Bson::Document(x), Bson::Document(y)) => documents_equal(x, y),
        (Bson::Array(x), Bson::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(u, v)| equal(u, v)),
        _ => type_rank(a) == type_rank(b) && compare(a, b) == Ordering::Equal,
    }
}

/// Documents are equal when they have the same fields, in the same order, with equal values.
pub fn documents_equal(x: &Document, y: &Document) -> bool {
    x.len() == y.len() && x.iter().zip(y.iter()).all(|((kx, vx), (ky, vy))| kx == ky && equal(vx, vy))
}

/// The `$type` alias of a value (`"double"`, `"string"`, `"object"`, `"array"`, `"objectId"`, `"bool"`, ...).
pub fn type_name(value: &Bson) -> &'static str {
    match value {
        Bson::Double(_) => "double",
        Bson::String(_) => "string",
        Bson::Document(_) => "object",
        Bson::Array(_) => "array",
        Bson::Binary(_) => "binData",
        Bson::Undefined => "undefined",
        Bson::ObjectId(_) => "objectId",
        Bson::Boolean(_) => "bool",
        Bson::DateTime(_) => "date",
        Bson::Null => "null",
        Bson::RegularExpression(_) => "regex",
        Bson::DbPointer(_) => "dbPointer",
        Bson::JavaScriptCode(_) => "javascript",
        Bson::Symbol(_) => "symbol",
        Bson::JavaScriptCodeWithScope(_) => "javascriptWithScope",
        Bson::Int32(_) => "int",
        Bson::Timestamp(_) => "timestamp",
        Bson::Int64(_) => "long",
        Bson::Decimal128(_) => "decimal",
        Bson::MinKey => "minKey",
        Bson::MaxKey => "maxKey",
    }
}

/// The numeric `$type` code of a value (1 double, 2 string, 3 object, 4 array, ..., -1 minKey, 127 maxKey).
pub fn type_code(value: &Bson) -> i32 {
    match value {
        Bson::Double(_) => 1,
        Bson::String(_) => 2,
        Bson::Document(_) => 3,
        Bson::Array(_) => 4,
        Bson::Binary(_) => 5,
        Bson::Undefined => 6,
        Bson::ObjectId(_) => 7,
        Bson::Boolean(_) => 8,
        Bson::DateTime(_) => 9,
        Bson::Null => 10,
        Bson::RegularExpression(_) => 11,
        Bson::DbPointer(_) => 12,
        Bson::JavaScriptCode(_) => 13,
        Bson::Symbol(_) => 14,
        Bson::JavaScriptCodeWithScope(_) => 15,
        Bson::Int32(_) => 16,
        Bson::Timestamp(_) => 17,
        Bson::Int64(_) => 18,
        Bson::Decimal128(_) => 19,
        Bson::MinKey => -1,
        Bson::MaxKey => 127,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{bson, doc};

    #[test]
    fn numbers_compare_by_value_across_types() {
        assert!(equal(&Bson::Int32(36), &Bson::Double(36.0)));
        assert!(equal(&Bson::Int64(7), &Bson::Int32(7)));
        assert_eq!(compare(&Bson::Int32(2), &Bson::Double(2.5)), Ordering::Less);
        assert_eq!(compare(&Bson::Double(f64::NAN), &Bson::Int32(i32::MIN)), Ordering::Less);
    }

    #[test]
    fn types_follow_mongodb_order() {
        let ordered = [
            Bson::MinKey,
            Bson::Null,
            Bson::Int32(1000),
            bson!("a"),
            bson!({"a": 1}),
            bson!([1]),
            Bson::ObjectId(bson::oid::ObjectId::from_bytes([0; 12])),
            Bson::Boolean(false),
            Bson::DateTime(bson::DateTime::from_millis(0)),
            Bson::MaxKey,
        ];
        for pair in ordered.windows(2) {
            assert_eq!(compare(&pair[0], &pair[1]), Ordering::Less, "{:?} < {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn documents_are_order_sensitive() {
        assert!(documents_equal(&doc! {"a": 1, "b": 2}, &doc! {"a": 1.0, "b": 2}));
        assert!(!documents_equal(&doc! {"a": 1, "b": 2}, &doc! {"b": 2, "a": 1}));
        assert_eq!(compare_documents(&doc! {"a": 1}, &doc! {"a": 1, "b": 1}), Ordering::Less);
    }

    #[test]
    fn type_names_match_dollar_type_aliases() {
        assert_eq!(type_name(&Bson::Int32(1)), "int");
        assert_eq!(type_name(&Bson::Boolean(true)), "bool");
        assert_eq!(type_code(&Bson::String(String::new())), 2);
    }
}
