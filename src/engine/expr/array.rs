//! Expression array operators: `$arrayElemAt $first $last $size $in $slice $concatArrays $isArray $reverseArray
//! $indexOfArray $range $zip $sortArray` and the ones that bind a variable per element: `$filter $map $reduce`.

use super::comparison::compare_values;
use super::{
    argument, as_int32, describe, error, is_nullish, is_truthy, size_value, type_name_of,
    validate_variable_name_for_write, Arguments, Call, Context, Evaluated, Expression, Operator, Parser,
};
use crate::engine::error::MongoResult;
use bson::{Bson, Document};
use std::cmp::Ordering;

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$arrayElemAt",
        arguments: Arguments::Exactly(2),
        evaluate: array_elem_at,
        summary: "The element at an index (negative counts from the end).",
    },
    Operator {
        name: "$first",
        arguments: Arguments::Exactly(1),
        evaluate: first_or_last,
        summary: "The first element of an array.",
    },
    Operator {
        name: "$last",
        arguments: Arguments::Exactly(1),
        evaluate: first_or_last,
        summary: "The last element of an array.",
    },
    Operator {
        name: "$size",
        arguments: Arguments::Exactly(1),
        evaluate: size,
        summary: "The number of elements of an array (an error for anything else).",
    },
    Operator {
        name: "$in",
        arguments: Arguments::Exactly(2),
        evaluate: contains,
        summary: "True when a value is an element of an array.",
    },
    Operator {
        name: "$slice",
        arguments: Arguments::Between(2, 3),
        evaluate: slice,
        summary: "A part of an array: [array, n] or [array, position, n].",
    },
    Operator {
        name: "$concatArrays",
        arguments: Arguments::Any,
        evaluate: concat_arrays,
        summary: "Joins arrays into one.",
    },
    Operator {
        name: "$isArray",
        arguments: Arguments::Exactly(1),
        evaluate: is_array,
        summary: "True when the value is an array.",
    },
    Operator {
        name: "$reverseArray",
        arguments: Arguments::Exactly(1),
        evaluate: reverse_array,
        summary: "The elements of an array in reverse order.",
    },
    Operator {
        name: "$indexOfArray",
        arguments: Arguments::Between(2, 4),
        evaluate: index_of_array,
        summary: "The index of the first element equal to a value, or -1.",
    },
    Operator {
        name: "$range",
        arguments: Arguments::Between(2, 3),
        evaluate: range,
        summary: "The integers from a start up to (not including) an end, by a step.",
    },
    Operator {
        name: "$filter",
        arguments: Arguments::Named(parse_filter),
        evaluate: filter,
        summary: "The elements for which `cond` is truthy; each is `$$this` (or the `as` name).",
    },
    Operator {
        name: "$map",
        arguments: Arguments::Named(parse_map),
        evaluate: map,
        summary: "Applies `in` to every element; each is `$$this` (or the `as` name).",
    },
    Operator {
        name: "$reduce",
        arguments: Arguments::Named(parse_reduce),
        evaluate: reduce,
        summary: "Folds an array: `in` sees the running `$$value` and the element `$$this`.",
    },
    Operator {
        name: "$zip",
        arguments: Arguments::Named(parse_zip),
        evaluate: zip,
        summary: "Pairs up elements of several arrays by position.",
    },
    Operator {
        name: "$sortArray",
        arguments: Arguments::Named(parse_sort_array),
        evaluate: sort_array,
        summary: "The elements of an array sorted by value (1 / -1) or by fields of its documents.",
    },
];

fn null() -> MongoResult<Evaluated> {
    Ok(Some(Bson::Null))
}

fn array_elem_at(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let array = argument(call, 0, context)?;
    let index = argument(call, 1, context)?;
    if is_nullish(array.as_ref()) || is_nullish(index.as_ref()) {
        return null();
    }
    let Some(Bson::Array(items)) = array else {
        return Err(error(
            28689,
            format!("$arrayElemAt's first argument must be an array, but is {}", type_name_of(array.as_ref())),
        ));
    };
    let Some(index_value) = index.as_ref().filter(|v| crate::engine::value::is_number(v)) else {
        return Err(error(
            28690,
            format!("$arrayElemAt's second argument must be a numeric value, but is {}", type_name_of(index.as_ref())),
        ));
    };
    let Some(position) = as_int32(index_value) else {
        return Err(error(
            28691,
            format!(
                "$arrayElemAt's second argument must be representable as a 32-bit integer: {}",
                describe(index.as_ref())
            ),
        ));
    };
    Ok(element_at(items, i64::from(position)))
}

/// The element at `position` (negative counts from the end), or missing past either end.
fn element_at(mut items: Vec<Bson>, position: i64) -> Evaluated {
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let index = if position < 0 { len + position } else { position };
    if index < 0 || index >= len {
        return None;
    }
    let index = usize::try_from(index).ok()?;
    (index < items.len()).then(|| items.swap_remove(index))
}

fn first_or_last(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let name = call.operator.name;
    let array = argument(call, 0, context)?;
    if is_nullish(array.as_ref()) {
        return null();
    }
    let Some(Bson::Array(items)) = array else {
        return Err(error(
            28689,
            format!("{name}'s argument must be an array, but is {}", type_name_of(array.as_ref())),
        ));
    };
    Ok(element_at(items, if name == "$first" { 0 } else { -1 }))
}

fn size(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    match argument(call, 0, context)? {
        Some(Bson::Array(items)) => Ok(Some(size_value(items.len()))),
        other => Err(error(
            17124,
            format!("The argument to $size must be an array. Type of argument was: {}", type_name_of(other.as_ref())),
        )),
    }
}

fn contains(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let needle = argument(call, 0, context)?;
    match argument(call, 1, context)? {
        Some(Bson::Array(items)) => Ok(Some(Bson::Boolean(
            items.iter().any(|item| compare_values(needle.as_ref(), Some(item)) == Ordering::Equal),
        ))),
        other => Err(error(
            40081,
            format!("$in requires an array as a second argument, found: {}", type_name_of(other.as_ref())),
        )),
    }
}

fn slice(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let array = argument(call, 0, context)?;
    let second = argument(call, 1, context)?;
    let third = if call.args.len() == 3 { argument(call, 2, context)? } else { None };
    if is_nullish(array.as_ref()) || is_nullish(second.as_ref()) || (call.args.len() == 3 && is_nullish(third.as_ref()))
    {
        return null();
    }
    let Some(Bson::Array(items)) = array else {
        return Err(error(
            28724,
            format!("First argument to $slice must be an array, but is of type: {}", type_name_of(array.as_ref())),
        ));
    };
    let Some(second_value) = second.as_ref().filter(|v| crate::engine::value::is_number(v)) else {
        return Err(error(
            28725,
            format!(
                "Second argument to $slice must be a numeric value, but was of type: {}",
                type_name_of(second.as_ref())
            ),
        ));
    };
    let Some(second_int) = as_int32(second_value) else {
        return Err(error(
            28726,
            format!(
                "Second argument to $slice can't be represented as a 32-bit integer: {}",
                describe(second.as_ref())
            ),
        ));
    };
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let (start, count) = if call.args.len() == 2 {
        let n = i64::from(second_int);
        if n >= 0 {
            (0, n)
        } else {
            ((len + n).max(0), len)
        }
    } else {
        let Some(third_value) = third.as_ref().filter(|v| crate::engine::value::is_number(v)) else {
            return Err(error(
                28727,
                format!("Third argument to $slice must be numeric, but was of type: {}", type_name_of(third.as_ref())),
            ));
        };
        let Some(count) = as_int32(third_value) else {
            return Err(error(
                28728,
                format!(
                    "Third argument to $slice can't be represented as a 32-bit integer: {}",
                    describe(third.as_ref())
                ),
            ));
        };
        if count <= 0 {
            return Err(error(
                28729,
                format!("Third argument to $slice must be positive: {}", describe(third.as_ref())),
            ));
        }
        let position = i64::from(second_int);
        let start = if position < 0 { (len + position).max(0) } else { position.min(len) };
        (start, i64::from(count))
    };
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    Ok(Some(Bson::Array(items.into_iter().skip(start).take(count).collect())))
}

fn concat_arrays(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let mut out = Vec::new();
    let mut size = 0;
    for arg in &call.args {
        match arg.eval(context)? {
            value if is_nullish(value.as_ref()) => return null(),
            Some(Bson::Array(items)) => {
                // Checked as it grows, so a doubling argument stops before it is copied once more.
                super::grow(&mut size, items.iter().map(|item| crate::engine::limits::value_size(item) + 8).sum())?;
                out.extend(items);
            }
            other => {
                return Err(error(
                    28664,
                    format!("$concatArrays only supports arrays, not {}", type_name_of(other.as_ref())),
                ))
            }
        }
    }
    context.account(size)?;
    Ok(Some(Bson::Array(out)))
}

fn is_array(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(Bson::Boolean(matches!(argument(call, 0, context)?, Some(Bson::Array(_))))))
}

fn reverse_array(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    match argument(call, 0, context)? {
        value if is_nullish(value.as_ref()) => null(),
        Some(Bson::Array(mut items)) => {
            items.reverse();
            Ok(Some(Bson::Array(items)))
        }
        other => Err(error(
            34435,
            format!(
                "The argument to $reverseArray must be an array, but was of type: {}",
                type_name_of(other.as_ref())
            ),
        )),
    }
}

fn index_of_array(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let array = argument(call, 0, context)?;
    let needle = argument(call, 1, context)?;
    if is_nullish(array.as_ref()) {
        return null();
    }
    let Some(Bson::Array(items)) = array else {
        return Err(error(
            40090,
            format!("$indexOfArray requires an array as a first argument, found: {}", type_name_of(array.as_ref())),
        ));
    };
    let mut bounds = [0usize, items.len()];
    for (slot, (index, which)) in bounds.iter_mut().zip([(2, "starting"), (3, "ending")]) {
        if call.args.len() <= index {
            continue;
        }
        let value = argument(call, index, context)?;
        let Some(n) = value.as_ref().and_then(as_int32) else {
            return Err(error(
                40096,
                format!(
                    "$indexOfArray requires an integral {which} index, found a value of type: {}, with value: {}",
                    type_name_of(value.as_ref()),
                    describe(value.as_ref())
                ),
            ));
        };
        if n < 0 {
            return Err(error(40097, format!("$indexOfArray requires a nonnegative {which} index, found: {n}")));
        }
        *slot = usize::try_from(n).unwrap_or(0);
    }
    let [start, end] = bounds;
    let found = items
        .iter()
        .enumerate()
        .take(end.min(items.len()))
        .skip(start)
        .find(|(_, item)| compare_values(Some(item), needle.as_ref()) == Ordering::Equal)
        .map(|(index, _)| index);
    Ok(Some(found.map_or(Bson::Int32(-1), size_value)))
}

fn range(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    // Per argument: its name in messages, and the codes for "not a number" and "not a 32-bit integer".
    const ARGUMENTS: [(&str, &str, i32, i32); 3] = [
        ("starting", "a starting", 34443, 34444),
        ("ending", "an ending", 34445, 34446),
        ("step", "a step", 34447, 34448),
    ];
    let mut numbers = [0i64, 0, 1];
    for (index, (slot, (noun, with_article, type_code, int_code))) in numbers.iter_mut().zip(ARGUMENTS).enumerate() {
        if index >= call.args.len() {
            continue;
        }
        let value = argument(call, index, context)?;
        let Some(number) = value.as_ref().filter(|v| crate::engine::value::is_number(v)) else {
            return Err(error(
                type_code,
                format!(
                    "$range requires a numeric {noun} value, found value of type: {}",
                    type_name_of(value.as_ref())
                ),
            ));
        };
        let Some(n) = as_int32(number) else {
            return Err(error(
                int_code,
                format!(
                    "$range requires {with_article} value that can be represented as a 32-bit integer, found value: {}",
                    describe(value.as_ref())
                ),
            ));
        };
        *slot = i64::from(n);
    }
    let [start, end, step] = numbers;
    if step == 0 {
        return Err(error(34449, "$range requires a non-zero step value"));
    }
    let count = if (step > 0 && end > start) || (step < 0 && end < start) {
        ((end - start).abs() + step.abs() - 1) / step.abs()
    } else {
        0
    };
    // Each element costs about 12 bytes of BSON; refused before the array is built.
    if count.saturating_mul(12) > i64::try_from(super::MAX_VALUE_BYTES).unwrap_or(i64::MAX) {
        return Err(crate::engine::error::MongoError::bson_object_too_large(format!(
            "$range would build {count} elements, more than a BSON document can hold (16MB)"
        )));
    }
    context.spend(u64::try_from(count).unwrap_or(u64::MAX))?;
    let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    let mut value = start;
    for _ in 0..count {
        out.push(Bson::Int32(i32::try_from(value).unwrap_or(i32::MAX)));
        value += step;
    }
    Ok(Some(Bson::Array(out)))
}

/// The variable name an `as` argument gives (the default `this` when absent).
fn bound_name(value: Option<&Bson>, operator: &str) -> MongoResult<String> {
    match value {
        None => Ok("this".to_string()),
        Some(Bson::String(name)) => {
            validate_variable_name_for_write(name)?;
            Ok(name.clone())
        }
        Some(other) => {
            Err(error(16866, format!("'as' of {operator} must be a string, found: {}", type_name_of(Some(other)))))
        }
    }
}

/// `$filter`: arguments `input`, `cond`, `limit` (omitted when absent); binds the `as` name.
fn parse_filter(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let Bson::Document(spec) = argument else {
        return Err(error(28646, "$filter only supports an object as its argument"));
    };
    for key in spec.keys() {
        if !matches!(key.as_str(), "input" | "as" | "cond" | "limit") {
            return Err(error(28647, format!("Unrecognized parameter to $filter: {key}")));
        }
    }
    let Some(input) = spec.get("input") else {
        return Err(error(28648, "Missing 'input' parameter to $filter"));
    };
    let Some(cond) = spec.get("cond") else {
        return Err(error(28650, "Missing 'cond' parameter to $filter"));
    };
    let name = bound_name(spec.get("as"), "$filter")?;
    let input = parser.expression(input)?;
    let cond = parser.with_variables(std::slice::from_ref(&name), |inner| inner.expression(cond))?;
    let limit = parser.optional(spec.get("limit"))?;
    Ok(Call { operator, args: vec![input, cond, limit], bound: vec![name] })
}

/// Evaluates the `input` of `$filter`, `$map` or `$reduce`: `None` for null or missing (the result is null).
fn input_array(call: &Call, context: &mut Context<'_>, code: i32) -> MongoResult<Option<Vec<Bson>>> {
    match argument(call, 0, context)? {
        value if is_nullish(value.as_ref()) => Ok(None),
        Some(Bson::Array(items)) => Ok(Some(items)),
        other => Err(error(
            code,
            format!("input to {} must be an array not {}", call.operator.name, type_name_of(other.as_ref())),
        )),
    }
}

fn filter(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(items) = input_array(call, context, 28651)? else { return null() };
    let limit = match call.args.get(2) {
        Some(limit) if !limit.is_omitted() => match limit.eval(context)? {
            value if is_nullish(value.as_ref()) => None,
            Some(value) => {
                let Some(n) = as_int32(&value) else {
                    return Err(error(
                        327391,
                        format!(
                            "$filter: limit must be represented as a 32-bit integral value: {}",
                            describe(Some(&value))
                        ),
                    ));
                };
                if n < 1 {
                    return Err(error(327392, format!("$filter: limit must be greater than 0: {n}")));
                }
                usize::try_from(n).ok()
            }
            None => None,
        },
        _ => None,
    };
    let (Some(cond), Some(name)) = (call.args.get(1), call.bound.first()) else { return null() };
    let mut out = Vec::new();
    for item in items {
        if limit.is_some_and(|limit| out.len() >= limit) {
            break;
        }
        let keep = context.with_bindings([(name.clone(), item.clone())], |inner| cond.eval(inner))?;
        if is_truthy(keep.as_ref()) {
            out.push(item);
        }
    }
    Ok(Some(Bson::Array(out)))
}

/// `$map`: arguments `input`, `in`; binds the `as` name.
fn parse_map(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let Bson::Document(spec) = argument else {
        return Err(error(16878, "$map only supports an object as its argument"));
    };
    for key in spec.keys() {
        if !matches!(key.as_str(), "input" | "as" | "in") {
            return Err(error(16879, format!("Unrecognized parameter to $map: {key}")));
        }
    }
    let Some(input) = spec.get("input") else {
        return Err(error(16880, "Missing 'input' parameter to $map"));
    };
    let Some(body) = spec.get("in") else {
        return Err(error(16882, "Missing 'in' parameter to $map"));
    };
    let name = bound_name(spec.get("as"), "$map")?;
    let input = parser.expression(input)?;
    let body = parser.with_variables(std::slice::from_ref(&name), |inner| inner.expression(body))?;
    Ok(Call { operator, args: vec![input, body], bound: vec![name] })
}

fn map(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(items) = input_array(call, context, 16883)? else { return null() };
    let (Some(body), Some(name)) = (call.args.get(1), call.bound.first()) else { return null() };
    let mut out = Vec::with_capacity(items.len());
    let mut size = 0;
    for item in items {
        let value = context.with_bindings([(name.clone(), item)], |inner| body.eval(inner))?.unwrap_or(Bson::Null);
        super::grow(&mut size, crate::engine::limits::value_size(&value) + 8)?;
        out.push(value);
    }
    context.account(size)?;
    Ok(Some(Bson::Array(out)))
}

/// `$reduce`: arguments `input`, `initialValue`, `in`; binds `value` and `this`.
fn parse_reduce(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let Bson::Document(spec) = argument else {
        return Err(error(
            40075,
            format!("$reduce requires an object as an argument, found: {}", type_name_of(Some(argument))),
        ));
    };
    for key in spec.keys() {
        if !matches!(key.as_str(), "input" | "initialValue" | "in") {
            return Err(error(40076, format!("$reduce found an unknown argument: {key}")));
        }
    }
    let mut args = Vec::with_capacity(3);
    let bound = vec!["value".to_string(), "this".to_string()];
    for (key, code) in [("input", 40077), ("initialValue", 40078), ("in", 40079)] {
        let Some(value) = spec.get(key) else {
            return Err(error(code, format!("$reduce requires '{key}' to be specified")));
        };
        args.push(if key == "in" {
            parser.with_variables(&bound, |inner| inner.expression(value))?
        } else {
            parser.expression(value)?
        });
    }
    Ok(Call { operator, args, bound })
}

fn reduce(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(items) = input_array(call, context, 40080)? else { return null() };
    let mut value = argument(call, 1, context)?;
    let Some(body) = call.args.get(2) else { return null() };
    for item in items {
        let running = value.take().unwrap_or(Bson::Null);
        value = context
            .with_bindings([("value".to_string(), running), ("this".to_string(), item)], |inner| body.eval(inner))?;
    }
    Ok(value)
}

/// `$zip`: arguments: the `inputs` expressions, then `useLongestLength`, then the `defaults` (omitted when absent).
fn parse_zip(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let Bson::Document(spec) = argument else {
        return Err(error(
            34460,
            format!("$zip only supports an object as an argument, found {}", type_name_of(Some(argument))),
        ));
    };
    let mut inputs = None;
    let mut longest = false;
    let mut defaults = None;
    for (key, value) in spec {
        match key.as_str() {
            "inputs" => {
                let Bson::Array(items) = value else {
                    return Err(error(
                        34461,
                        format!("inputs must be an array of expressions, found {}", type_name_of(Some(value))),
                    ));
                };
                inputs = Some(items.iter().map(|item| parser.expression(item)).collect::<MongoResult<Vec<_>>>()?);
            }
            "useLongestLength" => {
                let Bson::Boolean(flag) = value else {
                    return Err(error(
                        34463,
                        format!("useLongestLength must be a bool, found {}", type_name_of(Some(value))),
                    ));
                };
                longest = *flag;
            }
            "defaults" => {
                let Bson::Array(items) = value else {
                    return Err(error(
                        34462,
                        format!("defaults must be an array of expressions, found {}", type_name_of(Some(value))),
                    ));
                };
                defaults = Some(items.iter().map(|item| parser.expression(item)).collect::<MongoResult<Vec<_>>>()?);
            }
            other => return Err(error(34464, format!("$zip found an unknown argument: {other}"))),
        }
    }
    let Some(inputs) = inputs else {
        return Err(error(34465, "$zip requires at least one input array"));
    };
    if defaults.is_some() && !longest {
        return Err(error(34466, "cannot specify defaults unless useLongestLength is true"));
    }
    if defaults.as_ref().is_some_and(|d| d.len() != inputs.len()) {
        return Err(error(34467, "defaults and inputs must be the same length"));
    }
    let count = inputs.len();
    let mut args = inputs;
    args.push(Expression::Literal(Bson::Boolean(longest)));
    args.extend(defaults.unwrap_or_else(|| (0..count).map(|_| Expression::Omitted).collect()));
    Ok(Call { operator, args, bound: Vec::new() })
}

fn zip(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let count = call.args.len().saturating_sub(1) / 2;
    let longest = matches!(call.args.get(count), Some(Expression::Literal(Bson::Boolean(true))));
    let mut arrays = Vec::with_capacity(count);
    for index in 0..count {
        match argument(call, index, context)? {
            value if is_nullish(value.as_ref()) => return null(),
            Some(Bson::Array(items)) => arrays.push(items),
            other => {
                return Err(error(
                    34468,
                    format!("$zip found a non-array expression in input: {}", describe(other.as_ref())),
                ))
            }
        }
    }
    let mut defaults = Vec::with_capacity(count);
    for index in 0..count {
        defaults.push(argument(call, count + 1 + index, context)?.unwrap_or(Bson::Null));
    }
    let lengths = arrays.iter().map(Vec::len);
    let length = if longest { lengths.max() } else { lengths.min() }.unwrap_or(0);
    let mut out = Vec::with_capacity(length);
    for position in 0..length {
        let tuple: Vec<Bson> = arrays
            .iter()
            .zip(&defaults)
            .map(|(items, default)| items.get(position).cloned().unwrap_or_else(|| default.clone()))
            .collect();
        out.push(Bson::Array(tuple));
    }
    Ok(Some(context.built(Bson::Array(out))?))
}

/// `$sortArray`: arguments `input` and the `sortBy` constant.
fn parse_sort_array(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let Bson::Document(spec) = argument else {
        return Err(error(
            2942500,
            format!("$sortArray requires an object as an argument, found: {}", type_name_of(Some(argument))),
        ));
    };
    let mut input = None;
    let mut sort_by = None;
    for (key, value) in spec {
        match key.as_str() {
            "input" => input = Some(parser.expression(value)?),
            "sortBy" => {
                match value {
                    Bson::Document(keys) => {
                        crate::engine::sort::SortSpec::compile(keys)?;
                    }
                    other if matches!(super::as_integer(other), Some(1 | -1)) => {}
                    _ => {
                        return Err(error(
                            2942503,
                            "$sortArray requires 'sortBy' to be 1, -1 or an object of sort keys",
                        ))
                    }
                }
                sort_by = Some(Expression::Literal(value.clone()));
            }
            other => return Err(error(2942501, format!("$sortArray found an unknown argument: {other}"))),
        }
    }
    let Some(input) = input else {
        return Err(error(2942502, "$sortArray requires 'input' to be specified"));
    };
    let Some(sort_by) = sort_by else {
        return Err(error(2942503, "$sortArray requires 'sortBy' to be specified"));
    };
    Ok(Call { operator, args: vec![input, sort_by], bound: Vec::new() })
}

fn sort_array(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let mut items = match argument(call, 0, context)? {
        value if is_nullish(value.as_ref()) => return null(),
        Some(Bson::Array(items)) => items,
        other => {
            return Err(error(
                2942504,
                format!(
                    "The input argument to $sortArray must be an array, but was of type: {}",
                    type_name_of(other.as_ref())
                ),
            ))
        }
    };
    match call.args.get(1).and_then(Expression::constant) {
        Some(Bson::Document(keys)) => {
            let spec = crate::engine::sort::SortSpec::compile(keys)?;
            // Non-document elements sort as documents without the keys.
            let wrapped: Vec<Document> = items
                .iter()
                .map(|item| match item {
                    Bson::Document(doc) => doc.clone(),
                    _ => Document::new(),
                })
                .collect();
            let order = spec.order(&wrapped);
            let mut slots: Vec<Option<Bson>> = items.into_iter().map(Some).collect();
            items = order.into_iter().filter_map(|index| slots.get_mut(index).and_then(Option::take)).collect();
        }
        Some(direction) => {
            let descending = super::as_integer(direction) == Some(-1);
            items.sort_by(|a, b| {
                let ordering = crate::engine::value::compare(a, b);
                if descending {
                    ordering.reverse()
                } else {
                    ordering
                }
            });
        }
        None => {}
    }
    Ok(Some(Bson::Array(items)))
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson, Document};

    fn root() -> Document {
        doc! {"tags": ["a", "b", "c", "d"], "n": [1, 2, 3], "z": null, "s": "x",
        "comments": [{"by": "ada", "votes": 3}, {"by": "alan", "votes": 1}]}
    }

    fn eval(e: Bson) -> String {
        show(eval_on(e, &root()))
    }

    #[test]
    fn element_access() {
        assert_eq!(eval(bson!({"$arrayElemAt": ["$tags", 0]})), "\"a\"");
        assert_eq!(eval(bson!({"$arrayElemAt": ["$tags", -1]})), "\"d\"");
        assert_eq!(eval(bson!({"$arrayElemAt": ["$tags", 15]})), "MISSING");
        assert_eq!(eval(bson!({"$arrayElemAt": ["$missing", 0]})), "null");
        assert_eq!(
            eval(bson!({"$arrayElemAt": ["$s", 0]})),
            "error: $arrayElemAt's first argument must be an array, but is string"
        );
        assert_eq!(
            eval(bson!({"$arrayElemAt": ["$tags", 1.5]})),
            "error: $arrayElemAt's second argument must be representable as a 32-bit integer: 1.5"
        );
        assert_eq!(eval(bson!({"$first": "$tags"})), "\"a\"");
        assert_eq!(eval(bson!({"$last": "$tags"})), "\"d\"");
        assert_eq!(eval(bson!({"$first": [[]]})), "MISSING");
        assert_eq!(eval(bson!({"$last": "$s"})), "error: $last's argument must be an array, but is string");
    }

    #[test]
    fn size_in_and_shape() {
        assert_eq!(eval(bson!({"$size": "$tags"})), "4");
        assert_eq!(
            eval(bson!({"$size": "$nope"})),
            "error: The argument to $size must be an array. Type of argument was: missing"
        );
        assert_eq!(eval(bson!({"$in": [2.0, "$n"]})), "true");
        assert_eq!(eval(bson!({"$in": [1, "$s"]})), "error: $in requires an array as a second argument, found: string");
        assert_eq!(eval(bson!({"$isArray": ["$n"]})), "true");
        assert_eq!(eval(bson!({"$isArray": "$s"})), "false");
        assert_eq!(eval(bson!({"$reverseArray": "$n"})), "[ 3, 2, 1 ]");
        assert_eq!(eval(bson!({"$concatArrays": ["$n", [4], []]})), "[ 1, 2, 3, 4 ]");
        assert_eq!(eval(bson!({"$concatArrays": ["$n", "$z"]})), "null");
        assert_eq!(
            eval(bson!({"$concatArrays": ["$n", "$s"]})),
            "error: $concatArrays only supports arrays, not string"
        );
        assert_eq!(eval(bson!({"$indexOfArray": ["$tags", "c"]})), "2");
        assert_eq!(eval(bson!({"$indexOfArray": ["$tags", "c", 3]})), "-1");
        assert_eq!(eval(bson!({"$indexOfArray": ["$z", "c"]})), "null");
    }

    #[test]
    fn slice_and_range() {
        assert_eq!(eval(bson!({"$slice": ["$tags", 2]})), "[ \"a\", \"b\" ]");
        assert_eq!(eval(bson!({"$slice": ["$tags", -2]})), "[ \"c\", \"d\" ]");
        assert_eq!(eval(bson!({"$slice": ["$tags", 1, 2]})), "[ \"b\", \"c\" ]");
        assert_eq!(eval(bson!({"$slice": ["$tags", -3, 2]})), "[ \"b\", \"c\" ]");
        assert_eq!(eval(bson!({"$slice": ["$tags", 10, 2]})), "[]");
        assert_eq!(eval(bson!({"$slice": ["$tags", 1, 0]})), "error: Third argument to $slice must be positive: 0");
        assert_eq!(eval(bson!({"$range": [0, 10, 3]})), "[ 0, 3, 6, 9 ]");
        assert_eq!(eval(bson!({"$range": [5, 0, -2]})), "[ 5, 3, 1 ]");
        assert_eq!(eval(bson!({"$range": [0, 5, -1]})), "[]");
        assert_eq!(eval(bson!({"$range": [0, 5, 0]})), "error: $range requires a non-zero step value");
        assert!(eval(bson!({"$range": [0, 2000000000]})).starts_with("error: $range would build"));
    }

    #[test]
    fn filter_map_reduce_bind_their_variables() {
        assert_eq!(
            eval(bson!({"$filter": {"input": "$comments", "as": "c", "cond": {"$gte": ["$$c.votes", 2]}}})),
            "[ { by: \"ada\", votes: 3 } ]"
        );
        assert_eq!(eval(bson!({"$filter": {"input": "$n", "cond": {"$gt": ["$$this", 1]}, "limit": 1}})), "[ 2 ]");
        assert_eq!(eval(bson!({"$map": {"input": "$comments", "as": "c", "in": "$$c.by"}})), "[ \"ada\", \"alan\" ]");
        assert_eq!(eval(bson!({"$map": {"input": "$n", "in": "$$this.nope"}})), "[ null, null, null ]");
        assert_eq!(eval(bson!({"$map": {"input": "$z", "in": 1}})), "null");
        assert_eq!(
            eval(bson!({"$reduce": {"input": "$n", "initialValue": 0, "in": {"$add": ["$$value", "$$this"]}}})),
            "6"
        );
        assert_eq!(
            eval(bson!({"$reduce": {"input": "$tags", "initialValue": "", "in": {"$concat": ["$$value", "$$this"]}}})),
            "\"abcd\""
        );
        assert_eq!(eval(bson!({"$map": {"input": "$s", "in": 1}})), "error: input to $map must be an array not string");
        assert_eq!(eval(bson!({"$filter": {"input": "$n"}})), "error: Missing 'cond' parameter to $filter");
        assert_eq!(eval(bson!({"$filter": {"input": "$n", "cond": "$$c"}})), "error: Use of undefined variable: c");
        assert_eq!(
            eval(bson!({"$map": {"input": "$n", "as": "Bad", "in": 1}})),
            "error: 'Bad' starts with an invalid character for a user variable name"
        );
        assert_eq!(
            eval(bson!({"$reduce": {"input": "$n", "in": 1}})),
            "error: $reduce requires 'initialValue' to be specified"
        );
    }

    #[test]
    fn zip_and_sort_array() {
        assert_eq!(eval(bson!({"$zip": {"inputs": ["$n", "$tags"]}})), "[ [ 1, \"a\" ], [ 2, \"b\" ], [ 3, \"c\" ] ]");
        assert_eq!(
            eval(bson!({"$zip": {"inputs": [[1], [2, 3]], "useLongestLength": true, "defaults": [0, 0]}})),
            "[ [ 1, 2 ], [ 0, 3 ] ]"
        );
        assert_eq!(eval(bson!({"$sortArray": {"input": [3, 1, 2], "sortBy": -1}})), "[ 3, 2, 1 ]");
        assert_eq!(
            eval(bson!({"$sortArray": {"input": "$comments", "sortBy": {"votes": 1}}})),
            "[ { by: \"alan\", votes: 1 }, { by: \"ada\", votes: 3 } ]"
        );
    }
}
