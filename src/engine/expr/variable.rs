//! Expression variable operators: `$let`, which binds names for its `in` expression (each `vars` expression sees
//! only the variables outside the `$let`).

use super::{error, validate_variable_name_for_write, Arguments, Call, Context, Evaluated, Operator, Parser};
use crate::engine::error::MongoResult;
use bson::Bson;

pub(super) const OPERATORS: &[Operator] = &[Operator {
    name: "$let",
    arguments: Arguments::Named(parse_let),
    evaluate: evaluate_let,
    summary: "Binds variables (`vars`) for one expression (`in`), read as `$$name`.",
}];

/// `$let`'s arguments: one expression per variable (in `bound`'s order), then `in`.
fn parse_let(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let Bson::Document(spec) = argument else {
        return Err(error(16874, "$let only supports an object as its argument"));
    };
    for key in spec.keys() {
        if !matches!(key.as_str(), "vars" | "in") {
            return Err(error(16875, format!("Unrecognized parameter to $let: {key}")));
        }
    }
    let Some(vars) = spec.get("vars") else {
        return Err(error(16876, "Missing 'vars' parameter to $let"));
    };
    let Some(body) = spec.get("in") else {
        return Err(error(16877, "Missing 'in' parameter to $let"));
    };
    let Bson::Document(vars) = vars else {
        return Err(error(10065, "invalid parameter: expected an object (vars)"));
    };
    let mut args = Vec::with_capacity(vars.len() + 1);
    let mut bound = Vec::with_capacity(vars.len());
    for (name, value) in vars {
        validate_variable_name_for_write(name)?;
        args.push(parser.expression(value)?);
        bound.push(name.clone());
    }
    args.push(parser.with_variables(&bound, |inner| inner.expression(body))?);
    Ok(Call { operator, args, bound })
}

fn evaluate_let(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((body, values)) = call.args.split_last() else { return Ok(None) };
    let mut bindings = Vec::with_capacity(values.len());
    for (name, value) in call.bound.iter().zip(values) {
        bindings.push((name.clone(), value.eval(context)?.unwrap_or(Bson::Null)));
    }
    context.with_bindings(bindings, |inner| body.eval(inner))
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(e, &doc! {"price": 10, "tax": 0.25, "applyDiscount": true}))
    }

    #[test]
    fn let_binds_for_its_in() {
        // The example of MongoDB's $let page.
        assert_eq!(
            eval(bson!({"$let": {
                "vars": {"total": {"$add": ["$price", {"$multiply": ["$price", "$tax"]}]},
                         "discounted": {"$cond": {"if": "$applyDiscount", "then": 0.9, "else": 1}}},
                "in": {"$multiply": ["$$total", "$$discounted"]}
            }})),
            "11.25"
        );
        assert_eq!(
            eval(bson!({"$let": {"vars": {"a": 1, "b": "$$a"}, "in": "$$b"}})),
            "error: Use of undefined variable: a"
        );
        assert_eq!(eval(bson!({"$let": {"vars": {"CURRENT": {"price": 3}}, "in": "$price"}})), "3");
        assert_eq!(eval(bson!({"$let": {"vars": {}}})), "error: Missing 'in' parameter to $let");
        assert_eq!(
            eval(bson!({"$let": {"vars": {"_x": 1}, "in": 1}})),
            "error: '_x' starts with an invalid character for a user variable name"
        );
    }
}
