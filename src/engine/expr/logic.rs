//! Expression operators for conditions and arrays: `$and $or $not $cond $ifNull $in $size`.

use super::comparison::compare_values;
use super::{evaluate_all, is_truthy, type_name_of, Expression};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use bson::{Bson, Document};
use std::cmp::Ordering;

/// The `if`, `then`, `else` arguments of `$cond`'s object form, in that order.
pub(super) fn cond_arguments(spec: &Document) -> MongoResult<Vec<&Bson>> {
    for key in spec.keys() {
        if !matches!(key.as_str(), "if" | "then" | "else") {
            return Err(MongoError::new(ErrorCode::Location(17083), format!("Unrecognized parameter to $cond: {key}")));
        }
    }
    let mut out = Vec::with_capacity(3);
    for (key, code) in [("if", 17080), ("then", 17081), ("else", 17082)] {
        let Some(value) = spec.get(key) else {
            return Err(MongoError::new(ErrorCode::Location(code), format!("Missing '{key}' parameter to $cond")));
        };
        out.push(value);
    }
    Ok(out)
}

pub(super) fn evaluate(name: &str, args: &[Expression], root: &Document) -> MongoResult<Option<Bson>> {
    match name {
        "$and" => {
            for arg in args {
                if !is_truthy(arg.evaluate(root)?.as_ref()) {
                    return Ok(Some(Bson::Boolean(false)));
                }
            }
            Ok(Some(Bson::Boolean(true)))
        }
        "$or" => {
            for arg in args {
                if is_truthy(arg.evaluate(root)?.as_ref()) {
                    return Ok(Some(Bson::Boolean(true)));
                }
            }
            Ok(Some(Bson::Boolean(false)))
        }
        "$not" => {
            let value = match args.first() {
                Some(arg) => arg.evaluate(root)?,
                None => None,
            };
            Ok(Some(Bson::Boolean(!is_truthy(value.as_ref()))))
        }
        "$cond" => {
            let (Some(condition), Some(then), Some(otherwise)) = (args.first(), args.get(1), args.get(2)) else {
                return Ok(None);
            };
            if is_truthy(condition.evaluate(root)?.as_ref()) {
                then.evaluate(root)
            } else {
                otherwise.evaluate(root)
            }
        }
        "$ifNull" => {
            let Some((replacement, candidates)) = args.split_last() else {
                return Ok(None);
            };
            for candidate in candidates {
                match candidate.evaluate(root)? {
                    None | Some(Bson::Null | Bson::Undefined) => {}
                    Some(value) => return Ok(Some(value)),
                }
            }
            replacement.evaluate(root)
        }
        "$in" => {
            let values = evaluate_all(args, root)?;
            let needle = values.first().and_then(Option::as_ref);
            match values.get(1).and_then(Option::as_ref) {
                Some(Bson::Array(items)) => Ok(Some(Bson::Boolean(
                    items.iter().any(|item| compare_values(needle, Some(item)) == Ordering::Equal),
                ))),
                other => Err(MongoError::new(
                    ErrorCode::Location(40081),
                    format!("$in requires an array as a second argument, found: {}", type_name_of(other)),
                )),
            }
        }
        _ => {
            // $size
            let value = match args.first() {
                Some(arg) => arg.evaluate(root)?,
                None => None,
            };
            match value {
                Some(Bson::Array(items)) => Ok(Some(match i32::try_from(items.len()) {
                    Ok(small) => Bson::Int32(small),
                    Err(_) => Bson::Int64(i64::try_from(items.len()).unwrap_or(i64::MAX)),
                })),
                other => Err(MongoError::new(
                    ErrorCode::Location(17124),
                    format!(
                        "The argument to $size must be an array. Type of argument was: {}",
                        type_name_of(other.as_ref())
                    ),
                )),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::error::MongoResult;
    use crate::engine::expr::Expression;
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> MongoResult<Option<Bson>> {
        let root = doc! {"courses": [101, 102], "z": null, "n": 5};
        Expression::parse(&e)?.evaluate(&root)
    }

    #[test]
    fn conditions() {
        assert_eq!(eval(bson!({"$and": [1, "$n"]})).unwrap(), Some(bson!(true)));
        assert_eq!(eval(bson!({"$and": [1, "$z"]})).unwrap(), Some(bson!(false)));
        assert_eq!(eval(bson!({"$or": [0, "$missing"]})).unwrap(), Some(bson!(false)));
        assert_eq!(eval(bson!({"$not": ["$z"]})).unwrap(), Some(bson!(true)));
        assert_eq!(
            eval(bson!({"$cond": {"if": {"$gt": ["$n", 3]}, "then": "big", "else": "small"}})).unwrap(),
            Some(bson!("big"))
        );
        assert_eq!(eval(bson!({"$cond": [false, 1, 2]})).unwrap(), Some(bson!(2)));
        assert_eq!(
            eval(bson!({"$cond": {"if": true, "then": 1}})).unwrap_err().message,
            "Missing 'else' parameter to $cond"
        );
    }

    #[test]
    fn if_null_in_and_size() {
        assert_eq!(eval(bson!({"$ifNull": ["$z", "$missing", 7]})).unwrap(), Some(bson!(7)));
        assert_eq!(eval(bson!({"$ifNull": ["$n", 7]})).unwrap(), Some(bson!(5)));
        assert_eq!(eval(bson!({"$size": {"$ifNull": ["$nope", []]}})).unwrap(), Some(bson!(0)));
        assert_eq!(eval(bson!({"$size": "$courses"})).unwrap(), Some(bson!(2)));
        assert_eq!(
            eval(bson!({"$size": "$nope"})).unwrap_err().message,
            "The argument to $size must be an array. Type of argument was: missing"
        );
        assert_eq!(eval(bson!({"$in": [102.0, "$courses"]})).unwrap(), Some(bson!(true)));
        assert_eq!(
            eval(bson!({"$in": [1, "$n"]})).unwrap_err().message,
            "$in requires an array as a second argument, found: int"
        );
    }
}
