//! Expression conditional operators: `$cond` (array and object forms), `$ifNull` and `$switch`.

use super::{error, is_nullish, is_truthy, type_name_of, Arguments, Call, Context, Evaluated, Operator, Parser};
use crate::engine::error::MongoResult;
use bson::Bson;

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$cond",
        arguments: Arguments::Named(parse_cond),
        evaluate: cond,
        summary: "`then` when `if` is truthy, else `else`: {$cond: {if, then, else}} or [if, then, else].",
    },
    Operator {
        name: "$ifNull",
        arguments: Arguments::AtLeastTwo,
        evaluate: if_null,
        summary: "The first argument that is not null or missing; the last one otherwise.",
    },
    Operator {
        name: "$switch",
        arguments: Arguments::Named(parse_switch),
        evaluate: switch,
        summary: "The `then` of the first branch whose `case` is truthy, else `default`.",
    },
];

/// `$cond`'s arguments in order: `if`, `then`, `else`.
fn parse_cond(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let args = match argument {
        bson::Bson::Document(spec) => {
            for key in spec.keys() {
                if !matches!(key.as_str(), "if" | "then" | "else") {
                    return Err(error(17083, format!("Unrecognized parameter to $cond: {key}")));
                }
            }
            let mut args = Vec::with_capacity(3);
            for (key, code) in [("if", 17080), ("then", 17081), ("else", 17082)] {
                let Some(value) = spec.get(key) else {
                    return Err(error(code, format!("Missing '{key}' parameter to $cond")));
                };
                args.push(parser.expression(value)?);
            }
            args
        }
        other => {
            let args = parser.positional(other)?;
            if args.len() != 3 {
                return Err(error(
                    16020,
                    format!("Expression $cond takes exactly 3 arguments. {} were passed in.", args.len()),
                ));
            }
            args
        }
    };
    Ok(Call { operator, args, bound: Vec::new() })
}

fn cond(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let (Some(condition), Some(then), Some(otherwise)) = (call.args.first(), call.args.get(1), call.args.get(2)) else {
        return Ok(None);
    };
    if is_truthy(condition.eval(context)?.as_ref()) {
        then.eval(context)
    } else {
        otherwise.eval(context)
    }
}

fn if_null(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((replacement, candidates)) = call.args.split_last() else {
        return Ok(None);
    };
    for candidate in candidates {
        let value = candidate.eval(context)?;
        if !is_nullish(value.as_ref()) {
            return Ok(value);
        }
    }
    replacement.eval(context)
}

/// `$switch`'s arguments: `case`, `then` for each branch in order, then `default` (omitted when not given).
fn parse_switch(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let Bson::Document(spec) = argument else {
        return Err(error(
            40060,
            format!("$switch requires an object as an argument, found: {}", type_name_of(Some(argument))),
        ));
    };
    let mut args = Vec::new();
    let mut default = None;
    let mut saw_branches = false;
    for (key, value) in spec {
        match key.as_str() {
            "branches" => {
                saw_branches = true;
                let Bson::Array(branches) = value else {
                    return Err(error(
                        40061,
                        format!("$switch expected an array for 'branches', found: {}", type_name_of(Some(value))),
                    ));
                };
                for branch in branches {
                    let Bson::Document(branch) = branch else {
                        return Err(error(
                            40062,
                            format!(
                                "$switch expected each branch to be an object, found: {}",
                                type_name_of(Some(branch))
                            ),
                        ));
                    };
                    let (mut case, mut then) = (None, None);
                    for (part, expression) in branch {
                        match part.as_str() {
                            "case" => case = Some(parser.expression(expression)?),
                            "then" => then = Some(parser.expression(expression)?),
                            other => {
                                return Err(error(
                                    40063,
                                    format!("$switch found an unknown argument to a branch: {other}"),
                                ))
                            }
                        }
                    }
                    let Some(case) = case else {
                        return Err(error(40064, "$switch requires each branch have a 'case' expression"));
                    };
                    let Some(then) = then else {
                        return Err(error(40065, "$switch requires each branch have a 'then' expression."));
                    };
                    args.push(case);
                    args.push(then);
                }
            }
            "default" => default = Some(parser.expression(value)?),
            other => return Err(error(40067, format!("$switch found an unknown argument: {other}"))),
        }
    }
    if !saw_branches || args.is_empty() {
        return Err(error(40068, "$switch requires at least one branch."));
    }
    args.push(default.unwrap_or(super::Expression::Omitted));
    Ok(Call { operator, args, bound: Vec::new() })
}

fn switch(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((default, branches)) = call.args.split_last() else {
        return Ok(None);
    };
    for branch in branches.chunks(2) {
        if let [case, then] = branch {
            if is_truthy(case.eval(context)?.as_ref()) {
                return then.eval(context);
            }
        }
    }
    if default.is_omitted() {
        return Err(error(
            40066,
            "$switch could not find a matching branch for an input, and no default was specified.",
        ));
    }
    default.eval(context)
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(e, &doc! {"n": 5, "z": null, "qty": 250}))
    }

    #[test]
    fn cond_in_both_forms() {
        assert_eq!(eval(bson!({"$cond": {"if": {"$gte": ["$qty", 250]}, "then": 30, "else": 20}})), "30");
        assert_eq!(eval(bson!({"$cond": [{"$gte": ["$qty", 300]}, 30, 20]})), "20");
        assert_eq!(eval(bson!({"$cond": {"if": true, "then": 1}})), "error: Missing 'else' parameter to $cond");
        assert_eq!(
            eval(bson!({"$cond": {"if": true, "then": 1, "else": 2, "x": 3}})),
            "error: Unrecognized parameter to $cond: x"
        );
        assert_eq!(
            eval(bson!({"$cond": [true, 1]})),
            "error: Expression $cond takes exactly 3 arguments. 2 were passed in."
        );
    }

    #[test]
    fn if_null_takes_the_first_non_null() {
        assert_eq!(eval(bson!({"$ifNull": ["$z", "$missing", 7]})), "7");
        assert_eq!(eval(bson!({"$ifNull": ["$n", 7]})), "5");
        assert_eq!(eval(bson!({"$ifNull": ["$z", "$missing"]})), "MISSING");
        assert_eq!(eval(bson!({"$ifNull": ["$z"]})), "error: $ifNull needs at least two arguments, had: 1");
    }

    #[test]
    fn switch_takes_the_first_true_branch() {
        let grade = |score: i32| {
            show(eval_on(
                bson!({"$switch": {"branches": [
                    {"case": {"$gte": ["$score", 90]}, "then": "A"},
                    {"case": {"$gte": ["$score", 80]}, "then": "B"}
                ], "default": "C"}}),
                &doc! {"score": score},
            ))
        };
        assert_eq!([grade(95), grade(85), grade(10)].join(" "), "\"A\" \"B\" \"C\"");
        assert_eq!(
            eval(bson!({"$switch": {"branches": [{"case": false, "then": 1}]}})),
            "error: $switch could not find a matching branch for an input, and no default was specified."
        );
        assert_eq!(eval(bson!({"$switch": {"branches": []}})), "error: $switch requires at least one branch.");
        assert_eq!(
            eval(bson!({"$switch": {"branches": [{"then": 1}]}})),
            "error: $switch requires each branch have a 'case' expression"
        );
        assert_eq!(eval(bson!({"$switch": 1})), "error: $switch requires an object as an argument, found: int");
    }
}
