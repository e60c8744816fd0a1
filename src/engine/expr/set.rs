//! Expression set operators: `$setUnion $setIntersection $setDifference $setEquals $setIsSubset $anyElementTrue
//! $allElementsTrue`, treating arrays as sets (duplicates ignored, numbers equal by value).

use super::{
    argument, error, evaluate_all, is_nullish, is_truthy, type_name_of, Arguments, Call, Context, Evaluated, Operator,
};
use crate::engine::error::MongoResult;
use crate::engine::value::compare;
use bson::Bson;
use std::cmp::Ordering;
use std::collections::BTreeSet;

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$setUnion",
        arguments: Arguments::Any,
        evaluate: set_union,
        summary: "The distinct elements found in any of the arrays.",
    },
    Operator {
        name: "$setIntersection",
        arguments: Arguments::Any,
        evaluate: set_intersection,
        summary: "The distinct elements found in every array.",
    },
    Operator {
        name: "$setDifference",
        arguments: Arguments::Exactly(2),
        evaluate: set_difference,
        summary: "The distinct elements of the first array that the second lacks.",
    },
    Operator {
        name: "$setEquals",
        arguments: Arguments::Any,
        evaluate: set_equals,
        summary: "True when the arrays hold the same distinct elements.",
    },
    Operator {
        name: "$setIsSubset",
        arguments: Arguments::Exactly(2),
        evaluate: set_is_subset,
        summary: "True when every element of the first array is in the second.",
    },
    Operator {
        name: "$anyElementTrue",
        arguments: Arguments::Exactly(1),
        evaluate: any_element_true,
        summary: "True when some element of the array is truthy.",
    },
    Operator {
        name: "$allElementsTrue",
        arguments: Arguments::Exactly(1),
        evaluate: all_elements_true,
        summary: "True when every element of the array is truthy.",
    },
];

/// A value ordered by MongoDB's comparison (numbers by value), so sets and group keys can use ordered collections.
#[derive(Debug, Clone)]
pub(crate) struct SetKey(pub(crate) Bson);

impl PartialEq for SetKey {
    fn eq(&self, other: &Self) -> bool {
        compare(&self.0, &other.0) == Ordering::Equal
    }
}

impl Eq for SetKey {}

impl PartialOrd for SetKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SetKey {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(&self.0, &other.0)
    }
}

/// The distinct values of `items`, first occurrence kept, in their order.
pub(crate) fn distinct(items: impl IntoIterator<Item = Bson>) -> Vec<Bson> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in items {
        if seen.insert(SetKey(item.clone())) {
            out.push(item);
        }
    }
    out
}

/// Every argument as an array; `None` when one is null or missing (the result is null).
fn arrays(call: &Call, context: &mut Context<'_>, code: i32) -> MongoResult<Option<Vec<Vec<Bson>>>> {
    let mut out = Vec::with_capacity(call.args.len());
    for value in evaluate_all(&call.args, context)? {
        match value {
            value if is_nullish(value.as_ref()) => return Ok(None),
            Some(Bson::Array(items)) => out.push(items),
            other => {
                return Err(error(
                    code,
                    format!(
                        "All operands of {} must be arrays. One argument is of type: {}",
                        call.operator.name,
                        type_name_of(other.as_ref())
                    ),
                ))
            }
        }
    }
    Ok(Some(out))
}

fn set_union(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(arrays) = arrays(call, context, 17043)? else { return Ok(Some(Bson::Null)) };
    Ok(Some(context.built(Bson::Array(distinct(arrays.into_iter().flatten())))?))
}

fn set_intersection(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(arrays) = arrays(call, context, 17047)? else { return Ok(Some(Bson::Null)) };
    let mut arrays = arrays.into_iter();
    let Some(first) = arrays.next() else { return Ok(Some(Bson::Array(Vec::new()))) };
    let mut result = distinct(first);
    for other in arrays {
        let other: BTreeSet<SetKey> = other.into_iter().map(SetKey).collect();
        result.retain(|item| other.contains(&SetKey(item.clone())));
    }
    Ok(Some(Bson::Array(result)))
}

/// The two array operands of `$setDifference` / `$setIsSubset`, or `None` when one is null or missing.
fn two_sets(
    call: &Call,
    context: &mut Context<'_>,
    codes: (i32, i32),
    allow_null: bool,
) -> MongoResult<Option<(Vec<Bson>, Vec<Bson>)>> {
    let first = argument(call, 0, context)?;
    let second = argument(call, 1, context)?;
    if allow_null && (is_nullish(first.as_ref()) || is_nullish(second.as_ref())) {
        return Ok(None);
    }
    let name = call.operator.name;
    match (first, second) {
        (Some(Bson::Array(a)), Some(Bson::Array(b))) => Ok(Some((a, b))),
        (Some(Bson::Array(_)), other) => Err(error(
            codes.1,
            format!(
                "both operands of {name} must be arrays. Second argument is of type: {}",
                type_name_of(other.as_ref())
            ),
        )),
        (other, _) => Err(error(
            codes.0,
            format!(
                "both operands of {name} must be arrays. First argument is of type: {}",
                type_name_of(other.as_ref())
            ),
        )),
    }
}

fn set_difference(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((first, second)) = two_sets(call, context, (17048, 17049), true)? else { return Ok(Some(Bson::Null)) };
    let second: BTreeSet<SetKey> = second.into_iter().map(SetKey).collect();
    Ok(Some(Bson::Array(distinct(first.into_iter().filter(|item| !second.contains(&SetKey(item.clone())))))))
}

fn set_is_subset(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((first, second)) = two_sets(call, context, (17046, 17042), false)? else { return Ok(Some(Bson::Null)) };
    let second: BTreeSet<SetKey> = second.into_iter().map(SetKey).collect();
    Ok(Some(Bson::Boolean(first.into_iter().all(|item| second.contains(&SetKey(item))))))
}

fn set_equals(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    if call.args.len() < 2 {
        return Err(error(17045, format!("$setEquals needs at least two arguments had: {}", call.args.len())));
    }
    let mut sets = Vec::with_capacity(call.args.len());
    for value in evaluate_all(&call.args, context)? {
        match value {
            Some(Bson::Array(items)) => sets.push(items.into_iter().map(SetKey).collect::<BTreeSet<_>>()),
            other => {
                return Err(error(
                    17044,
                    format!(
                        "All operands of $setEquals must be arrays. One argument is of type: {}",
                        type_name_of(other.as_ref())
                    ),
                ))
            }
        }
    }
    Ok(Some(Bson::Boolean(sets.windows(2).all(|pair| pair.first() == pair.get(1)))))
}

fn elements(call: &Call, context: &mut Context<'_>, code: i32) -> MongoResult<Vec<Bson>> {
    match argument(call, 0, context)? {
        Some(Bson::Array(items)) => Ok(items),
        other => Err(error(
            code,
            format!("{}'s argument must be an array, but is {}", call.operator.name, type_name_of(other.as_ref())),
        )),
    }
}

fn any_element_true(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(Bson::Boolean(elements(call, context, 17041)?.iter().any(|item| is_truthy(Some(item))))))
}

fn all_elements_true(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(Bson::Boolean(elements(call, context, 17040)?.iter().all(|item| is_truthy(Some(item))))))
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(e, &doc! {"a": ["red", "blue"], "b": ["blue", "green", "blue"], "z": null}))
    }

    #[test]
    fn sets_ignore_duplicates() {
        assert_eq!(eval(bson!({"$setUnion": ["$a", "$b"]})), "[ \"red\", \"blue\", \"green\" ]");
        assert_eq!(eval(bson!({"$setIntersection": ["$a", "$b"]})), "[ \"blue\" ]");
        assert_eq!(eval(bson!({"$setDifference": ["$b", "$a"]})), "[ \"green\" ]");
        assert_eq!(eval(bson!({"$setEquals": [[1, 2, 2], [2.0, 1]]})), "true");
        assert_eq!(eval(bson!({"$setIsSubset": [["blue"], "$b"]})), "true");
        assert_eq!(eval(bson!({"$setUnion": ["$a", "$z"]})), "null");
        assert_eq!(
            eval(bson!({"$setUnion": ["$a", 1]})),
            "error: All operands of $setUnion must be arrays. One argument is of type: int"
        );
        assert_eq!(eval(bson!({"$anyElementTrue": [[0, false, 1]]})), "true");
        assert_eq!(eval(bson!({"$allElementsTrue": [[1, []]]})), "true");
        assert_eq!(eval(bson!({"$allElementsTrue": [[1, null]]})), "false");
    }
}
