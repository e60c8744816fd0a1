//! Expression comparison operators (`$eq $ne $gt $gte $lt $lte $cmp`): full BSON order across types, missing below null.

use super::{evaluate_all, Expression};
use crate::engine::error::MongoResult;
use crate::engine::value::compare;
use bson::{Bson, Document};
use std::cmp::Ordering;

/// Compares two evaluated values the way aggregation does: unlike queries there is no type bracketing
/// (`"85" > 40` is true because strings sort after numbers), and a missing value sorts below `null`.
pub(crate) fn compare_values(a: Option<&Bson>, b: Option<&Bson>) -> Ordering {
    let is_missing = |v: Option<&Bson>| matches!(v, None | Some(Bson::Undefined));
    match (a, b) {
        _ if is_missing(a) && is_missing(b) => Ordering::Equal,
        _ if is_missing(a) => {
            if matches!(b, Some(Bson::MinKey)) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        _ if is_missing(b) => compare_values(b, a).reverse(),
        (Some(x), Some(y)) => compare(x, y),
        _ => Ordering::Equal,
    }
}

pub(super) fn evaluate(name: &str, args: &[Expression], root: &Document) -> MongoResult<Option<Bson>> {
    let values = evaluate_all(args, root)?;
    let ordering = compare_values(values.first().and_then(Option::as_ref), values.get(1).and_then(Option::as_ref));
    Ok(Some(match name {
        "$cmp" => Bson::Int32(match ordering {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }),
        "$eq" => Bson::Boolean(ordering == Ordering::Equal),
        "$ne" => Bson::Boolean(ordering != Ordering::Equal),
        "$gt" => Bson::Boolean(ordering == Ordering::Greater),
        "$gte" => Bson::Boolean(ordering != Ordering::Less),
        "$lt" => Bson::Boolean(ordering == Ordering::Less),
        _ => Bson::Boolean(ordering != Ordering::Greater),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::expr::Expression;
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> Option<Bson> {
        let root = doc! {"age": "85", "n": 36, "z": null};
        Expression::parse(&e).unwrap().evaluate(&root).unwrap()
    }

    #[test]
    fn compares_across_types_in_bson_order() {
        assert_eq!(eval(bson!({"$gt": ["$age", 40]})), Some(bson!(true)));
        assert_eq!(eval(bson!({"$gt": ["$n", 40]})), Some(bson!(false)));
        assert_eq!(eval(bson!({"$eq": ["$n", 36.0]})), Some(bson!(true)));
        assert_eq!(eval(bson!({"$ne": ["$n", 36]})), Some(bson!(false)));
        assert_eq!(eval(bson!({"$lte": ["$n", 36]})), Some(bson!(true)));
        assert_eq!(eval(bson!({"$gte": ["$n", 37]})), Some(bson!(false)));
        assert_eq!(eval(bson!({"$lt": ["$missing", null]})), Some(bson!(true)));
        assert_eq!(eval(bson!({"$eq": ["$missing", null]})), Some(bson!(false)));
        assert_eq!(eval(bson!({"$eq": ["$z", null]})), Some(bson!(true)));
        assert_eq!(eval(bson!({"$cmp": ["$n", 40]})), Some(bson!(-1)));
        assert_eq!(eval(bson!({"$cmp": ["b", "a"]})), Some(bson!(1)));
    }
}
