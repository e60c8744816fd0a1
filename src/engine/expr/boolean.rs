//! Expression boolean operators: `$and $or $not`, with MongoDB's truthiness (false, null, missing and zero are false)
//! and short-circuiting.

use super::{argument, is_truthy, Arguments, Call, Context, Evaluated, Operator};
use crate::engine::error::MongoResult;
use bson::Bson;

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$and",
        arguments: Arguments::Any,
        evaluate: and,
        summary: "True when every expression is truthy (stops at the first falsy one).",
    },
    Operator {
        name: "$or",
        arguments: Arguments::Any,
        evaluate: or,
        summary: "True when any expression is truthy (stops at the first truthy one).",
    },
    Operator {
        name: "$not",
        arguments: Arguments::Exactly(1),
        evaluate: not,
        summary: "True when the expression is falsy (false, null, missing or 0).",
    },
];

fn and(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    for arg in &call.args {
        if !is_truthy(arg.eval(context)?.as_ref()) {
            return Ok(Some(Bson::Boolean(false)));
        }
    }
    Ok(Some(Bson::Boolean(true)))
}

fn or(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    for arg in &call.args {
        if is_truthy(arg.eval(context)?.as_ref()) {
            return Ok(Some(Bson::Boolean(true)));
        }
    }
    Ok(Some(Bson::Boolean(false)))
}

fn not(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(Bson::Boolean(!is_truthy(argument(call, 0, context)?.as_ref()))))
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(e, &doc! {"z": null, "n": 5}))
    }

    #[test]
    fn truthiness_and_short_circuits() {
        assert_eq!(eval(bson!({"$and": [1, "$n"]})), "true");
        assert_eq!(eval(bson!({"$and": [1, "$z"]})), "false");
        assert_eq!(eval(bson!({"$and": []})), "true");
        assert_eq!(eval(bson!({"$or": [0, "$missing"]})), "false");
        assert_eq!(eval(bson!({"$or": [true, {"$divide": [1, 0]}]})), "true", "the division never runs");
        assert_eq!(eval(bson!({"$not": ["$z"]})), "true");
        assert_eq!(eval(bson!({"$not": [[]]})), "false", "an array is truthy");
    }
}
