//! Element query operators: `$exists` and `$type` (aliases, numeric codes, `"number"`, arrays of types).

use super::{Leaf, Node};
use crate::engine::error::{MongoError, MongoResult};
use crate::engine::path::FieldPath;
use crate::engine::value::{is_number, type_code};
use bson::Bson;

/// One type a `$type` query accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeSpec {
    /// A BSON type code (1 double, 2 string, ..., -1 minKey, 127 maxKey).
    Code(i32),
    /// The `"number"` alias: any numeric type.
    Number,
}

impl TypeSpec {
    pub fn matches(&self, value: &Bson) -> bool {
        match self {
            TypeSpec::Number => is_number(value),
            TypeSpec::Code(code) => type_code(value) == *code,
        }
    }
}

const ALIASES: &[(&str, i32)] = &[
    ("double", 1),
    ("string", 2),
    ("object", 3),
    ("array", 4),
    ("binData", 5),
    ("undefined", 6),
    ("objectId", 7),
    ("bool", 8),
    ("date", 9),
    ("null", 10),
    ("regex", 11),
    ("dbPointer", 12),
    ("javascript", 13),
    ("symbol", 14),
    ("javascriptWithScope", 15),
    ("int", 16),
    ("timestamp", 17),
    ("long", 18),
    ("decimal", 19),
    ("minKey", -1),
    ("maxKey", 127),
];

pub(super) fn parse(path: &FieldPath, name: &str, argument: &Bson) -> MongoResult<Option<Node>> {
    let leaf = |leaf| Node::Path { path: path.clone(), leaf };
    if name == "$exists" {
        let exists = leaf(Leaf::Exists);
        return Ok(Some(if true_value(argument) { exists } else { Node::Not(Box::new(exists)) }));
    }
    let specs = match argument {
        Bson::Array(items) => items.iter().map(parse_type_spec).collect::<MongoResult<Vec<_>>>()?,
        single => vec![parse_type_spec(single)?],
    };
    if specs.is_empty() {
        return Err(MongoError::failed_to_parse(format!("{} must match at least one type", path.dotted())));
    }
    Ok(Some(leaf(Leaf::Type(specs))))
}

/// BSON "truthiness" as `$exists` reads it: false, 0, null and undefined are false.
fn true_value(value: &Bson) -> bool {
    match value {
        Bson::Boolean(b) => *b,
        Bson::Null | Bson::Undefined => false,
        Bson::Int32(i) => *i != 0,
        Bson::Int64(i) => *i != 0,
        Bson::Double(d) => *d != 0.0,
        Bson::Decimal128(d) => d.to_string().parse::<f64>() != Ok(0.0),
        _ => true,
    }
}

fn parse_type_spec(value: &Bson) -> MongoResult<TypeSpec> {
    match value {
        Bson::String(alias) => {
            if alias == "number" {
                return Ok(TypeSpec::Number);
            }
            ALIASES
                .iter()
                .find(|(name, _)| name == alias)
                .map(|(_, code)| TypeSpec::Code(*code))
                .ok_or_else(|| MongoError::bad_value(format!("Unknown type name alias: {alias}")))
        }
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => {
            let number = crate::engine::value::as_f64(value).unwrap_or(f64::NAN);
            if number.fract() != 0.0 || !number.is_finite() {
                return Err(MongoError::failed_to_parse(format!("Expected an integer: $type: {value}")));
            }
            // Truncation is exact here: the value is integral and the range check follows.
            let code = number as i64;
            let valid = (1..=19).contains(&code) || code == -1 || code == 127;
            if valid {
                Ok(TypeSpec::Code(code as i32))
            } else {
                Err(MongoError::bad_value(format!("Invalid numerical type code: {code}")))
            }
        }
        _ => Err(MongoError::type_mismatch("type must be represented as a number or a string")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::query::Filter;
    use bson::{doc, Bson, Document};

    fn ids(filter: Document) -> Vec<i32> {
        let docs = [
            doc! {"_id": 1, "v": 1},
            doc! {"_id": 2, "v": 1.5},
            doc! {"_id": 3, "v": "s"},
            doc! {"_id": 4, "v": ["s", 2_i64]},
            doc! {"_id": 5, "v": null},
            doc! {"_id": 6},
            doc! {"_id": 7, "v": {"x": 1}},
        ];
        let f = Filter::compile(&filter).unwrap();
        docs.iter().filter(|d| f.matches(d)).map(|d| d.get_i32("_id").unwrap()).collect()
    }

    #[test]
    fn exists() {
        assert_eq!(ids(doc! {"v": {"$exists": true}}), vec![1, 2, 3, 4, 5, 7]);
        assert_eq!(ids(doc! {"v": {"$exists": false}}), vec![6]);
        assert_eq!(ids(doc! {"v": {"$exists": 0}}), vec![6]);
        assert_eq!(ids(doc! {"v.x": {"$exists": 1}}), vec![7]);
    }

    #[test]
    fn type_aliases_codes_and_lists() {
        assert_eq!(ids(doc! {"v": {"$type": "number"}}), vec![1, 2, 4]);
        assert_eq!(ids(doc! {"v": {"$type": "string"}}), vec![3, 4]);
        assert_eq!(ids(doc! {"v": {"$type": 2}}), vec![3, 4]);
        assert_eq!(ids(doc! {"v": {"$type": "array"}}), vec![4]);
        assert_eq!(ids(doc! {"v": {"$type": "null"}}), vec![5]);
        assert_eq!(ids(doc! {"v": {"$type": ["double", "object"]}}), vec![2, 7]);
        assert_eq!(ids(doc! {"v": {"$type": "long"}}), vec![4]);
    }

    #[test]
    fn bad_type_arguments() {
        let err = |arg: Bson| Filter::compile(&doc! {"v": {"$type": arg}}).unwrap_err();
        assert_eq!(err(Bson::String("nope".into())).message, "Unknown type name alias: nope");
        assert_eq!(err(Bson::Int32(99)).message, "Invalid numerical type code: 99");
        assert_eq!(err(Bson::Boolean(true)).code, 14);
        assert_eq!(err(Bson::Array(vec![])).message, "v must match at least one type");
    }
}
