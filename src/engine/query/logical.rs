//! Logical query operators: `$and $or $nor` (top level) and `$not` (on a field), plus the other top-level operators.

use super::{evaluation, parse_document, parse_operators, Leaf, Level, Node};
use crate::engine::error::{MongoError, MongoResult};
use crate::engine::path::FieldPath;
use crate::engine::query::evaluation::RegexMatcher;
use bson::Bson;

/// Parses a top-level `$operator: argument`. Returns `None` for operators that match everything (`$comment`).
pub(super) fn parse_top_level(
    operator: &str,
    key: &str,
    argument: &Bson,
    level: Level<'_>,
    depth: usize,
) -> MongoResult<Option<Node>> {
    match operator {
        "and" | "or" | "nor" => {
            let Bson::Array(items) = argument else {
                return Err(MongoError::bad_value(format!("{key} must be an array")));
            };
            if items.is_empty() {
                return Err(MongoError::bad_value(
                    "$and/$or/$nor must be a nonempty array",
                ));
            }
            let mut children = Vec::with_capacity(items.len());
            for item in items {
                let Bson::Document(sub) = item else {
                    return Err(MongoError::bad_value(
                        "$or/$and/$nor entries need to be full objects",
                    ));
                };
                children.push(parse_document(sub, level, depth + 1)?);
            }
            Ok(Some(match operator {
                "and" => Node::And(children),
                "or" => Node::Or(children),
                _ => Node::Nor(children),
            }))
        }
        "expr" => evaluation::parse_expr(argument, level).map(Some),
        "comment" => Ok(None),
        "alwaysTrue" | "alwaysFalse" => {
            let is_one = matches!(argument, Bson::Int32(1) | Bson::Int64(1))
                || matches!(argument, Bson::Double(d) if *d == 1.0);
            if !is_one {
                return Err(MongoError::failed_to_parse(format!(
                    "{key} must be an integer value of 1"
                )));
            }
            Ok(Some(if operator == "alwaysTrue" {
                Node::And(Vec::new())
            } else {
                Node::AlwaysFalse
            }))
        }
        "where" => Err(MongoError::bad_value(
            "$where is not allowed in this context",
        )),
        "text" | "jsonSchema" | "sampleRate" => Err(MongoError::bad_value(format!(
            "{key} is a MongoDB operator that crudlab does not support"
        ))),
        _ => Err(MongoError::bad_value(format!(
            "unknown top level operator: {key}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField."
        ))),
    }
}

/// `{field: {$not: {...}}}` or `{field: {$not: /regex/}}`: true where the inner condition is false (including missing fields).
pub(super) fn parse_not(
    path: &FieldPath,
    argument: &Bson,
    level: Level<'_>,
    depth: usize,
) -> MongoResult<Option<Node>> {
    match argument {
        Bson::RegularExpression(regex) => Ok(Some(Node::Not(Box::new(Node::Path {
            path: path.clone(),
            leaf: Leaf::Regex(RegexMatcher::from_bson_regex(regex)?),
        })))),
        Bson::Document(inner) => {
            if inner.is_empty() {
                return Err(MongoError::bad_value("$not cannot be empty"));
            }
            if depth + 1 > super::MAX_FILTER_DEPTH {
                return Err(MongoError::bad_value(format!(
                    "exceeded maximum query tree depth of {}",
                    super::MAX_FILTER_DEPTH
                )));
            }
            let mut children = Vec::new();
            parse_operators(path, inner, level, depth + 1, &mut children)?;
            Ok(Some(Node::Not(Box::new(Node::And(children)))))
        }
        _ => Err(MongoError::bad_value("$not needs a regex or a document")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::query::Filter;
    use bson::{doc, Document};

    fn ids(filter: Document) -> Vec<i32> {
        let docs = [doc! {"_id": 1, "a": 1, "b": "x"}, doc! {"_id": 2, "a": 2, "b": "y"}, doc! {"_id": 3, "b": "x"}];
        let f = Filter::compile(&filter).unwrap();
        docs.iter().filter(|d| f.matches(d)).map(|d| d.get_i32("_id").unwrap()).collect()
    }

    #[test]
    fn and_or_nor() {
        assert_eq!(ids(doc! {"$and": [{"a": 1}, {"b": "x"}]}), vec![1]);
        assert_eq!(ids(doc! {"$or": [{"a": 2}, {"a": {"$exists": false}}]}), vec![2, 3]);
        assert_eq!(ids(doc! {"$nor": [{"a": 1}, {"b": "y"}]}), vec![3]);
        assert_eq!(ids(doc! {"$comment": "hi", "a": 1}), vec![1]);
    }

    #[test]
    fn not_includes_missing_fields() {
        assert_eq!(ids(doc! {"a": {"$not": {"$gt": 1}}}), vec![1, 3]);
        let regex =
            bson::Regex { pattern: "x".to_string().try_into().unwrap(), options: String::new().try_into().unwrap() };
        assert_eq!(ids(doc! {"b": {"$not": regex}}), vec![2]);
    }

    #[test]
    fn malformed_logical_operators() {
        let err = |f: Document| Filter::compile(&f).unwrap_err();
        assert_eq!(err(doc! {"$or": "x"}).message, "$or must be an array");
        assert_eq!(err(doc! {"$or": "x"}).code, 2);
        assert_eq!(err(doc! {"$and": []}).message, "$and/$or/$nor must be a nonempty array");
        assert_eq!(err(doc! {"$nor": [1]}).message, "$or/$and/$nor entries need to be full objects");
        assert!(err(doc! {"$foo": 1}).message.starts_with("unknown top level operator: $foo"));
        assert_eq!(err(doc! {"a": {"$not": 5}}).message, "$not needs a regex or a document");
        assert_eq!(err(doc! {"a": {"$not": {}}}).message, "$not cannot be empty");
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowed() {
        let mut filter = doc! {"a": 1};
        for _ in 0..150 {
            filter = doc! {"$and": [filter]};
        }
        assert!(Filter::compile(&filter).unwrap_err().message.contains("depth"));
    }
}
