//! Comparison query operators: `$eq $ne $gt $gte $lt $lte $in $nin`, with MongoDB's type bracketing.

use super::{is_operator_document, Leaf, Node};
use crate::engine::error::{MongoError, MongoResult};
use crate::engine::path::FieldPath;
use crate::engine::query::evaluation::RegexMatcher;
use crate::engine::value::{compare, equal, type_rank};
use bson::Bson;
use std::cmp::Ordering;

/// An ordering comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

pub(super) fn parse(path: &FieldPath, name: &str, argument: &Bson) -> MongoResult<Option<Node>> {
    let leaf_node = |leaf| Node::Path { path: path.clone(), leaf };
    let is_regex = matches!(argument, Bson::RegularExpression(_));
    let op = match name {
        "$eq" => return Ok(Some(leaf_node(Leaf::Eq(argument.clone())))),
        "$ne" => {
            if is_regex {
                return Err(MongoError::bad_value("Can't have regex as arg to $ne."));
            }
            return Ok(Some(Node::Not(Box::new(leaf_node(Leaf::Eq(argument.clone()))))));
        }
        "$in" | "$nin" => {
            let Bson::Array(items) = argument else {
                return Err(MongoError::bad_value(format!("{name} needs an array")));
            };
            let mut values = Vec::new();
            let mut regexes = Vec::new();
            for item in items {
                if is_operator_document(item, false) {
                    return Err(MongoError::bad_value("cannot nest $ under $in"));
                }
                match item {
                    Bson::RegularExpression(regex) => regexes.push(RegexMatcher::from_bson_regex(regex)?),
                    other => values.push(other.clone()),
                }
            }
            let node = leaf_node(Leaf::In { values, regexes });
            return Ok(Some(if name == "$nin" { Node::Not(Box::new(node)) } else { node }));
        }
        "$gt" => CmpOp::Gt,
        "$gte" => CmpOp::Gte,
        "$lt" => CmpOp::Lt,
        _ => CmpOp::Lte,
    };
    if is_regex {
        return Err(MongoError::bad_value(format!(
            "Can't have RegEx as arg to predicate over field '{}'.",
            path.dotted()
        )));
    }
    Ok(Some(leaf_node(Leaf::Cmp(op, argument.clone()))))
}

fn is_nan(value: &Bson) -> bool {
    match value {
        Bson::Double(d) => d.is_nan(),
        Bson::Decimal128(d) => d.to_string().contains("NaN"),
        _ => false,
    }
}

/// Query equality: `null` matches `null` (and `undefined`), NaN equals NaN, numbers compare by value.
pub(crate) fn equals(value: &Bson, expected: &Bson) -> bool {
    if is_nan(value) || is_nan(expected) {
        return is_nan(value) && is_nan(expected);
    }
    equal(value, expected)
}

/// `$gt`-style comparison: values of different type brackets never match, except against MinKey/MaxKey.
pub(crate) fn compare_matches(op: CmpOp, value: &Bson, operand: &Bson) -> bool {
    if type_rank(value) != type_rank(operand) {
        return match operand {
            Bson::MinKey => matches!(op, CmpOp::Gt | CmpOp::Gte),
            Bson::MaxKey => matches!(op, CmpOp::Lt | CmpOp::Lte),
            _ => false,
        };
    }
    if is_nan(value) || is_nan(operand) {
        return matches!(op, CmpOp::Gte | CmpOp::Lte) && is_nan(value) && is_nan(operand);
    }
    op.accepts(compare(value, operand))
}

impl CmpOp {
    /// Whether a value that compares `ordering` to the operand satisfies the operator.
    pub(crate) fn accepts(self, ordering: Ordering) -> bool {
        match self {
            CmpOp::Gt => ordering == Ordering::Greater,
            CmpOp::Gte => ordering != Ordering::Less,
            CmpOp::Lt => ordering == Ordering::Less,
            CmpOp::Lte => ordering != Ordering::Greater,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::query::Filter;
    use bson::{doc, Document};

    fn ids(filter: Document, docs: &[Document]) -> Vec<i32> {
        let f = Filter::compile(&filter).unwrap();
        docs.iter().filter(|d| f.matches(d)).map(|d| d.get_i32("_id").unwrap()).collect()
    }

    fn people() -> Vec<Document> {
        vec![
            doc! {"_id": 1, "age": 36},
            doc! {"_id": 2, "age": "85"},
            doc! {"_id": 3, "age": null},
            doc! {"_id": 4},
            doc! {"_id": 5, "age": [20, 50]},
            doc! {"_id": 6, "age": 36.0},
        ]
    }

    #[test]
    fn equality_by_value_and_null_matches_missing() {
        let p = people();
        assert_eq!(ids(doc! {"age": 36}, &p), vec![1, 6]);
        assert_eq!(ids(doc! {"age": {"$eq": 50}}, &p), vec![5]);
        assert_eq!(ids(doc! {"age": null}, &p), vec![3, 4]);
        assert_eq!(ids(doc! {"age": [20, 50]}, &p), vec![5]);
    }

    #[test]
    fn ne_and_nin_negate_the_whole_path() {
        let p = people();
        assert_eq!(ids(doc! {"age": {"$ne": 50}}, &p), vec![1, 2, 3, 4, 6]);
        assert_eq!(ids(doc! {"age": {"$ne": null}}, &p), vec![1, 2, 5, 6]);
        assert_eq!(ids(doc! {"age": {"$nin": [36, null]}}, &p), vec![2, 5]);
    }

    #[test]
    fn ranges_stay_within_type_bracket() {
        let p = people();
        assert_eq!(ids(doc! {"age": {"$gt": 30}}, &p), vec![1, 5, 6]);
        assert_eq!(ids(doc! {"age": {"$gt": "50"}}, &p), vec![2]);
        assert_eq!(ids(doc! {"age": {"$lte": 20}}, &p), vec![5]);
        assert_eq!(ids(doc! {"age": {"$gte": null}}, &p), vec![3, 4]);
        // Each bound may be met by a different array element.
        assert_eq!(ids(doc! {"age": {"$gt": 30, "$lt": 40}}, &p), vec![1, 5, 6]);
    }

    #[test]
    fn in_accepts_values_and_regexes() {
        let p = people();
        assert_eq!(ids(doc! {"age": {"$in": [50, null]}}, &p), vec![3, 4, 5]);
        let regex =
            bson::Regex { pattern: "^8".to_string().try_into().unwrap(), options: String::new().try_into().unwrap() };
        assert_eq!(ids(doc! {"age": {"$in": [regex]}}, &p), vec![2]);
        assert_eq!(ids(doc! {"age": {"$in": []}}, &p), Vec::<i32>::new());
    }

    #[test]
    fn malformed_arguments_are_rejected_with_mongodb_messages() {
        let err = |f: Document| Filter::compile(&f).unwrap_err().message;
        assert_eq!(err(doc! {"a": {"$in": 5}}), "$in needs an array");
        assert_eq!(err(doc! {"a": {"$nin": "x"}}), "$nin needs an array");
        assert_eq!(err(doc! {"a": {"$in": [{"$gt": 1}]}}), "cannot nest $ under $in");
        assert_eq!(err(doc! {"a": {"$gtr": 1}}), "unknown operator: $gtr");
        let regex =
            bson::Regex { pattern: "x".to_string().try_into().unwrap(), options: String::new().try_into().unwrap() };
        assert_eq!(err(doc! {"a": {"$ne": regex.clone()}}), "Can't have regex as arg to $ne.");
        assert_eq!(err(doc! {"a": {"$gt": regex}}), "Can't have RegEx as arg to predicate over field 'a'.");
    }
}
