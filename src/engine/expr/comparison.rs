//! Expression comparison operators (`$eq $ne $gt $gte $lt $lte $cmp`): full BSON order across types, missing below null.

use super::{argument, Arguments, Call, Context, Evaluated, Operator};
use crate::engine::error::MongoResult;
use crate::engine::value::compare;
use bson::Bson;
use std::cmp::Ordering;

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$eq",
        arguments: Arguments::Exactly(2),
        evaluate,
        summary: "True when two values are equal (numbers by value).",
    },
    Operator {
        name: "$ne",
        arguments: Arguments::Exactly(2),
        evaluate,
        summary: "True when two values are not equal.",
    },
    Operator {
        name: "$gt",
        arguments: Arguments::Exactly(2),
        evaluate,
        summary: "True when the first value is greater, in BSON order across types.",
    },
    Operator {
        name: "$gte",
        arguments: Arguments::Exactly(2),
        evaluate,
        summary: "True when the first value is greater or equal.",
    },
    Operator {
        name: "$lt",
        arguments: Arguments::Exactly(2),
        evaluate,
        summary: "True when the first value is less, in BSON order across types.",
    },
    Operator {
        name: "$lte",
        arguments: Arguments::Exactly(2),
        evaluate,
        summary: "True when the first value is less or equal.",
    },
    Operator {
        name: "$cmp",
        arguments: Arguments::Exactly(2),
        evaluate,
        summary: "-1, 0 or 1 as the first value is less than, equal to or greater than the second.",
    },
];

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

fn evaluate(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let first = argument(call, 0, context)?;
    let second = argument(call, 1, context)?;
    let ordering = compare_values(first.as_ref(), second.as_ref());
    Ok(Some(match call.operator.name {
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
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(e, &doc! {"age": "85", "n": 36, "z": null}))
    }

    #[test]
    fn compares_across_types_in_bson_order() {
        assert_eq!(eval(bson!({"$gt": ["$age", 40]})), "true");
        assert_eq!(eval(bson!({"$gt": ["$n", 40]})), "false");
        assert_eq!(eval(bson!({"$eq": ["$n", 36.0]})), "true");
        assert_eq!(eval(bson!({"$ne": ["$n", 36]})), "false");
        assert_eq!(eval(bson!({"$lte": ["$n", 36]})), "true");
        assert_eq!(eval(bson!({"$gte": ["$n", 37]})), "false");
        assert_eq!(eval(bson!({"$lt": ["$missing", null]})), "true");
        assert_eq!(eval(bson!({"$eq": ["$missing", null]})), "false");
        assert_eq!(eval(bson!({"$eq": ["$z", null]})), "true");
        assert_eq!(eval(bson!({"$cmp": ["$n", 40]})), "-1");
        assert_eq!(eval(bson!({"$cmp": ["b", "a"]})), "1");
        assert_eq!(eval(bson!({"$eq": [[1, 2], [1, 2.0]]})), "true");
    }
}
