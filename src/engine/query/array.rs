//! Array query operators: `$all`, `$elemMatch` (on documents and on scalars) and `$size`.

use super::{
    is_operator_document, parse_document, parse_operators, Leaf, Level, Node, FIELD_OPERATORS, MAX_FILTER_DEPTH,
};
use crate::engine::error::{MongoError, MongoResult};
use crate::engine::path::FieldPath;
use crate::engine::query::evaluation::RegexMatcher;
use bson::{Bson, Document};

/// Operators that only make sense at the top of a query: an `$elemMatch` starting with one of them is a query on element documents.
const TOP_LEVEL_OPERATORS: &[&str] =
    &["$and", "$or", "$nor", "$expr", "$comment", "$where", "$text", "$alwaysTrue", "$alwaysFalse", "$jsonSchema"];

pub(super) fn parse(
    path: &FieldPath,
    name: &str,
    argument: &Bson,
    level: Level<'_>,
    depth: usize,
) -> MongoResult<Option<Node>> {
    match name {
        "$size" => parse_size(path, argument).map(Some),
        "$all" => parse_all(path, argument, level, depth).map(Some),
        _ => parse_elem_match(path, argument, depth).map(Some),
    }
}

fn parse_size(path: &FieldPath, argument: &Bson) -> MongoResult<Node> {
    let size: i64 = match argument {
        Bson::Int32(i) => i64::from(*i),
        Bson::Int64(i) => match i32::try_from(*i) {
            Ok(small) => i64::from(small),
            Err(_) => return Err(MongoError::bad_value("$size must be representable as a 32-bit integer")),
        },
        Bson::Double(d) => {
            if d.fract() != 0.0 || !d.is_finite() {
                return Err(MongoError::bad_value("$size must be a whole number"));
            }
            // Integral and finite: the cast is exact up to the i64 range, and the sign check follows.
            *d as i64
        }
        _ => return Err(MongoError::bad_value("$size needs a number")),
    };
    let Ok(size) = usize::try_from(size) else {
        return Err(MongoError::bad_value("$size may not be negative"));
    };
    Ok(Node::Path { path: path.clone(), leaf: Leaf::Size(size) })
}

fn parse_all(path: &FieldPath, argument: &Bson, level: Level<'_>, depth: usize) -> MongoResult<Node> {
    let Bson::Array(items) = argument else {
        return Err(MongoError::bad_value("$all needs an array"));
    };
    let starts_with_elem_match =
        |item: &Bson| matches!(item, Bson::Document(d) if d.keys().next().is_some_and(|k| k == "$elemMatch"));
    let mut children = Vec::with_capacity(items.len());
    if items.first().is_some_and(starts_with_elem_match) {
        for item in items {
            let Bson::Document(inner) = item else {
                return Err(MongoError::bad_value("$all/$elemMatch has to be consistent"));
            };
            let Some((first, elem_match)) = inner.iter().next() else {
                return Err(MongoError::bad_value("$all/$elemMatch has to be consistent"));
            };
            if first != "$elemMatch" {
                return Err(MongoError::bad_value("$all/$elemMatch has to be consistent"));
            }
            children.push(parse_elem_match(path, elem_match, depth)?);
        }
        let _ = level;
        return Ok(Node::And(children));
    }
    for item in items {
        let leaf = match item {
            Bson::RegularExpression(regex) => Leaf::Regex(RegexMatcher::from_bson_regex(regex)?),
            Bson::Document(inner) if inner.keys().next().is_some_and(|k| FIELD_OPERATORS.contains(&k.as_str())) => {
                return Err(MongoError::bad_value("no $ expressions in $all"));
            }
            other => Leaf::Eq(other.clone()),
        };
        children.push(Node::Path { path: path.clone(), leaf });
    }
    if children.is_empty() {
        return Ok(Node::AlwaysFalse);
    }
    Ok(Node::And(children))
}

fn parse_elem_match(path: &FieldPath, argument: &Bson, depth: usize) -> MongoResult<Node> {
    let Bson::Document(query) = argument else {
        return Err(MongoError::bad_value("$elemMatch needs an Object"));
    };
    if depth + 1 > MAX_FILTER_DEPTH {
        return Err(MongoError::bad_value(format!("exceeded maximum query tree depth of {MAX_FILTER_DEPTH}")));
    }
    let value_form = is_operator_document(argument, true)
        && query.keys().next().is_some_and(|k| !TOP_LEVEL_OPERATORS.contains(&k.as_str()));
    let leaf = if value_form {
        let mut conditions = Vec::new();
        parse_operators(&FieldPath::empty(), query, Level::Sub, depth + 1, &mut conditions)?;
        Leaf::ElemMatchValue(conditions)
    } else {
        let inner: &Document = query;
        Leaf::ElemMatchObject(Box::new(parse_document(inner, Level::Sub, depth + 1)?))
    };
    Ok(Node::Path { path: path.clone(), leaf })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::query::Filter;
    use bson::{doc, Document};

    fn ids(filter: Document) -> Vec<i32> {
        let docs = [
            doc! {"_id": 1, "tags": ["a", "b", "c"], "n": [101, 102], "s": [{"k": "x", "v": 90}, {"k": "y", "v": 70}]},
            doc! {"_id": 2, "tags": ["b"], "n": [104, 101], "s": [{"k": "x", "v": 60}, {"k": "y", "v": 95}]},
            doc! {"_id": 3, "tags": "b", "n": [], "s": []},
            doc! {"_id": 4},
        ];
        let f = Filter::compile(&filter).unwrap();
        docs.iter().filter(|d| f.matches(d)).map(|d| d.get_i32("_id").unwrap()).collect()
    }

    #[test]
    fn size() {
        assert_eq!(ids(doc! {"tags": {"$size": 3}}), vec![1]);
        assert_eq!(ids(doc! {"n": {"$size": 0}}), vec![3]);
        assert_eq!(ids(doc! {"tags": {"$size": 1.0}}), vec![2]);
        let err = |f: Document| Filter::compile(&f).unwrap_err().message;
        assert_eq!(err(doc! {"a": {"$size": "2"}}), "$size needs a number");
        assert_eq!(err(doc! {"a": {"$size": -1}}), "$size may not be negative");
        assert_eq!(err(doc! {"a": {"$size": 1.5}}), "$size must be a whole number");
    }

    #[test]
    fn all() {
        assert_eq!(ids(doc! {"tags": {"$all": ["b", "a"]}}), vec![1]);
        assert_eq!(ids(doc! {"tags": {"$all": ["b"]}}), vec![1, 2, 3]);
        assert_eq!(ids(doc! {"tags": {"$all": []}}), Vec::<i32>::new());
        assert_eq!(
            ids(doc! {"s": {"$all": [{"$elemMatch": {"k": "x", "v": {"$gt": 80}}}, {"$elemMatch": {"k": "y"}}]}}),
            vec![1]
        );
        let err = |f: Document| Filter::compile(&f).unwrap_err().message;
        assert_eq!(err(doc! {"a": {"$all": 1}}), "$all needs an array");
        assert_eq!(err(doc! {"a": {"$all": [{"$gt": 1}]}}), "no $ expressions in $all");
        assert_eq!(err(doc! {"a": {"$all": [{"$elemMatch": {"b": 1}}, 5]}}), "$all/$elemMatch has to be consistent");
    }

    #[test]
    fn all_is_an_and_of_equalities() {
        // MongoDB manual, $all: "Equivalent to $and Operation" and its nested-array example.
        let f = Filter::compile(&doc! {"tags": {"$all": [["ssl", "security"]]}}).unwrap();
        assert!(f.matches(&doc! {"tags": [["ssl", "security"], "x"]}));
        assert!(f.matches(&doc! {"tags": ["ssl", "security"]}));
        assert!(!f.matches(&doc! {"tags": ["ssl"]}));
        // Equality also matches a scalar field.
        let scalar = Filter::compile(&doc! {"qty": {"$all": [50]}}).unwrap();
        assert!(scalar.matches(&doc! {"qty": 50}));
    }

    #[test]
    fn elem_match_on_documents_and_scalars() {
        assert_eq!(ids(doc! {"n": {"$elemMatch": {"$gt": 101, "$lt": 103}}}), vec![1]);
        assert_eq!(ids(doc! {"n": {"$gt": 101, "$lt": 103}}), vec![1, 2]);
        assert_eq!(ids(doc! {"s": {"$elemMatch": {"k": "x", "v": {"$gte": 90}}}}), vec![1]);
        assert_eq!(ids(doc! {"s.k": "x", "s.v": {"$gte": 90}}), vec![1, 2]);
        assert_eq!(ids(doc! {"s": {"$elemMatch": {"$or": [{"v": 95}, {"v": 90}]}}}), vec![1, 2]);
        assert_eq!(ids(doc! {"tags": {"$elemMatch": {"$eq": "b"}}}), vec![1, 2]);
        assert_eq!(Filter::compile(&doc! {"a": {"$elemMatch": 1}}).unwrap_err().message, "$elemMatch needs an Object");
    }

    #[test]
    fn positional_reports_matching_element() {
        let d = doc! {"s": [{"k": "x", "v": 60}, {"k": "y", "v": 95}]};
        let f = Filter::compile(&doc! {"s.v": {"$gt": 90}}).unwrap();
        assert_eq!(f.matches_positional(&d), Some(Some(1)));
        let f = Filter::compile(&doc! {"s": {"$elemMatch": {"k": "y"}}}).unwrap();
        assert_eq!(f.matches_positional(&d), Some(Some(1)));
        let f = Filter::compile(&doc! {"n": 1}).unwrap();
        assert_eq!(f.matches_positional(&doc! {"n": [3, 1]}), Some(Some(1)));
        assert_eq!(f.matches_positional(&doc! {"n": 1}), Some(None));
        assert_eq!(f.matches_positional(&doc! {"n": 2}), None);
    }
}
