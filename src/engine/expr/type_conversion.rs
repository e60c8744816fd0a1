//! Expression type operators: `$type $isNumber $convert` and its shorthands `$toString $toInt $toLong $toDouble
//! $toDecimal $toBool $toDate $toObjectId`, with MongoDB's conversion table and its `ConversionFailure` messages.

use super::{
    argument, describe, error, is_nullish, type_name_of, Arguments, Call, Context, Evaluated, Expression, Operator,
    Parser,
};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use bson::Bson;

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$type",
        arguments: Arguments::Exactly(1),
        evaluate: type_of,
        summary: "The BSON type name of a value (\"missing\" for a missing field).",
    },
    Operator {
        name: "$isNumber",
        arguments: Arguments::Exactly(1),
        evaluate: is_number,
        summary: "True for int, long, double and decimal values.",
    },
    Operator {
        name: "$convert",
        arguments: Arguments::Named(parse_convert),
        evaluate: convert,
        summary: "Converts a value to a type, with `onError` and `onNull` fallbacks.",
    },
    Operator {
        name: "$toString",
        arguments: Arguments::Exactly(1),
        evaluate: shorthand,
        summary: "Converts a value to a string.",
    },
    Operator {
        name: "$toInt",
        arguments: Arguments::Exactly(1),
        evaluate: shorthand,
        summary: "Converts a value to an int (doubles are truncated).",
    },
    Operator {
        name: "$toLong",
        arguments: Arguments::Exactly(1),
        evaluate: shorthand,
        summary: "Converts a value to a long.",
    },
    Operator {
        name: "$toDouble",
        arguments: Arguments::Exactly(1),
        evaluate: shorthand,
        summary: "Converts a value to a double.",
    },
    Operator {
        name: "$toDecimal",
        arguments: Arguments::Exactly(1),
        evaluate: shorthand,
        summary: "Converts a value to a decimal.",
    },
    Operator {
        name: "$toBool",
        arguments: Arguments::Exactly(1),
        evaluate: shorthand,
        summary: "Converts a value to a boolean (0 is false, strings are true).",
    },
    Operator {
        name: "$toDate",
        arguments: Arguments::Exactly(1),
        evaluate: shorthand,
        summary: "Converts a number of milliseconds, an ISO string or an ObjectId to a date.",
    },
    Operator {
        name: "$toObjectId",
        arguments: Arguments::Exactly(1),
        evaluate: shorthand,
        summary: "Converts a 24-hex-digit string to an ObjectId.",
    },
];

/// The milliseconds of a value the date operators accept: a date, a timestamp or an ObjectId (its creation time).
pub(crate) fn to_date_millis(value: &Bson) -> MongoResult<i64> {
    match value {
        Bson::DateTime(date) => Ok(date.timestamp_millis()),
        Bson::Timestamp(ts) => Ok(i64::from(ts.time) * 1000),
        Bson::ObjectId(oid) => Ok(oid.timestamp().timestamp_millis()),
        other => Err(error(16006, format!("can't convert from BSON type {} to Date", type_name_of(Some(other))))),
    }
}

fn type_of(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(Bson::String(type_name_of(argument(call, 0, context)?.as_ref()).to_string())))
}

fn is_number(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let value = argument(call, 0, context)?;
    Ok(Some(Bson::Boolean(value.as_ref().is_some_and(crate::engine::value::is_number))))
}

/// A type `$convert` can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Double,
    String,
    ObjectId,
    Bool,
    Date,
    Int,
    Long,
    Decimal,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Target::Double => "double",
            Target::String => "string",
            Target::ObjectId => "objectId",
            Target::Bool => "bool",
            Target::Date => "date",
            Target::Int => "int",
            Target::Long => "long",
            Target::Decimal => "decimal",
        }
    }

    /// `to` as a type name (`"int"`) or number (`16`).
    fn from_bson(value: &Bson) -> MongoResult<Target> {
        let by_name = |name: &str| match name {
            "double" => Some(Target::Double),
            "string" => Some(Target::String),
            "objectId" => Some(Target::ObjectId),
            "bool" => Some(Target::Bool),
            "date" => Some(Target::Date),
            "int" => Some(Target::Int),
            "long" => Some(Target::Long),
            "decimal" => Some(Target::Decimal),
            _ => None,
        };
        match value {
            Bson::String(name) => {
                by_name(name).ok_or_else(|| MongoError::bad_value(format!("Unknown type name: {name}")))
            }
            number if crate::engine::value::is_number(number) => match super::as_integer(number) {
                Some(1) => Ok(Target::Double),
                Some(2) => Ok(Target::String),
                Some(7) => Ok(Target::ObjectId),
                Some(8) => Ok(Target::Bool),
                Some(9) => Ok(Target::Date),
                Some(16) => Ok(Target::Int),
                Some(18) => Ok(Target::Long),
                Some(19) => Ok(Target::Decimal),
                Some(code) => Err(MongoError::bad_value(format!(
                    "In $convert, numeric value for 'to' does not correspond to a BSON type: {code}"
                ))),
                None => Err(MongoError::bad_value(format!(
                    "In $convert, numeric 'to' argument is not an integer: {}",
                    describe(Some(number))
                ))),
            },
            other => Err(error(
                50684,
                format!("$convert's 'to' argument must be a string or number, but is {}", type_name_of(Some(other))),
            )),
        }
    }
}

fn shorthand_target(name: &str) -> Target {
    match name {
        "$toString" => Target::String,
        "$toInt" => Target::Int,
        "$toLong" => Target::Long,
        "$toDouble" => Target::Double,
        "$toDecimal" => Target::Decimal,
        "$toBool" => Target::Bool,
        "$toDate" => Target::Date,
        _ => Target::ObjectId,
    }
}

fn shorthand(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let value = argument(call, 0, context)?;
    if is_nullish(value.as_ref()) {
        return Ok(Some(Bson::Null));
    }
    let Some(value) = value else { return Ok(Some(Bson::Null)) };
    convert_value(value, shorthand_target(call.operator.name)).map(Some)
}

/// `$convert`'s arguments: `input`, `to`, then `onError` and `onNull` (omitted when absent).
fn parse_convert(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let Bson::Document(spec) = argument else {
        return Err(MongoError::failed_to_parse(format!(
            "$convert expects an object of named arguments but found: {}",
            type_name_of(Some(argument))
        )));
    };
    for key in spec.keys() {
        if !matches!(key.as_str(), "input" | "to" | "onError" | "onNull") {
            return Err(MongoError::failed_to_parse(format!("$convert found an unknown argument: {key}")));
        }
    }
    let Some(input) = spec.get("input") else {
        return Err(MongoError::failed_to_parse("Missing 'input' parameter to $convert"));
    };
    let Some(to) = spec.get("to") else {
        return Err(MongoError::failed_to_parse("Missing 'to' parameter to $convert"));
    };
    let args = vec![
        parser.expression(input)?,
        parser.expression(to)?,
        parser.optional(spec.get("onError"))?,
        parser.optional(spec.get("onNull"))?,
    ];
    Ok(Call { operator, args, bound: Vec::new() })
}

fn convert(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let value = argument(call, 0, context)?;
    let to = argument(call, 1, context)?;
    let on_error = call.args.get(2).unwrap_or(&Expression::Omitted);
    let on_null = call.args.get(3).unwrap_or(&Expression::Omitted);
    if is_nullish(to.as_ref()) {
        return Ok(Some(Bson::Null));
    }
    let Some(to) = to else { return Ok(Some(Bson::Null)) };
    let target = Target::from_bson(&to)?;
    let Some(value) = value.filter(|v| !is_nullish(Some(v))) else {
        return if on_null.is_omitted() { Ok(Some(Bson::Null)) } else { on_null.eval(context) };
    };
    match convert_value(value, target) {
        Ok(converted) => Ok(Some(converted)),
        Err(failure) if failure.code == ErrorCode::ConversionFailure && !on_error.is_omitted() => {
            on_error.eval(context)
        }
        Err(failure) => Err(failure),
    }
}

fn failure(message: String) -> MongoError {
    MongoError::new(ErrorCode::ConversionFailure, message)
}

fn unsupported(value: &Bson, target: Target) -> MongoError {
    failure(format!(
        "Unsupported conversion from {} to {} in $convert with no onError value",
        type_name_of(Some(value)),
        target.name()
    ))
}

/// Converts a non-null value following MongoDB's conversion table.
fn convert_value(value: Bson, target: Target) -> MongoResult<Bson> {
    match target {
        Target::Bool => Ok(Bson::Boolean(match &value {
            Bson::Boolean(b) => *b,
            Bson::Int32(i) => *i != 0,
            Bson::Int64(i) => *i != 0,
            Bson::Double(d) => *d != 0.0,
            Bson::Decimal128(_) => crate::engine::value::as_f64(&value) != Some(0.0),
            _ => true,
        })),
        Target::String => match &value {
            Bson::String(_) => Ok(value),
            Bson::Boolean(b) => Ok(Bson::String(b.to_string())),
            Bson::ObjectId(oid) => Ok(Bson::String(oid.to_hex())),
            Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) | Bson::DateTime(_) => {
                Ok(Bson::String(super::string::coerce_to_string(Some(&value))?))
            }
            _ => Err(unsupported(&value, target)),
        },
        Target::Int | Target::Long => {
            let wide = match &value {
                Bson::Boolean(b) => i64::from(*b),
                Bson::Int32(i) => i64::from(*i),
                Bson::Int64(i) => *i,
                Bson::Double(_) | Bson::Decimal128(_) => {
                    let d = crate::engine::value::as_f64(&value).unwrap_or(f64::NAN);
                    if d.is_nan() {
                        return Err(failure("Attempt to convert NaN value to integer type in $convert with no onError value".to_string()));
                    }
                    if d.is_infinite() {
                        return Err(failure("Attempt to convert infinity value to integer type in $convert with no onError value".to_string()));
                    }
                    let truncated = d.trunc();
                    let fits = if target == Target::Int {
                        truncated >= f64::from(i32::MIN) && truncated <= f64::from(i32::MAX)
                    } else {
                        (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&truncated)
                    };
                    if !fits {
                        return Err(failure(format!("Conversion would overflow target type in $convert with no onError value: {}", describe(Some(&value)))));
                    }
                    truncated as i64
                }
                Bson::DateTime(date) if target == Target::Long => date.timestamp_millis(),
                Bson::String(text) => parse_integer(text)?,
                _ => return Err(unsupported(&value, target)),
            };
            if target == Target::Long {
                return Ok(Bson::Int64(wide));
            }
            i32::try_from(wide).map(Bson::Int32).map_err(|_| {
                failure(format!("Conversion would overflow target type in $convert with no onError value: {}", describe(Some(&value))))
            })
        }
        Target::Double => Ok(Bson::Double(match &value {
            Bson::Boolean(b) => f64::from(u8::from(*b)),
            Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => {
                crate::engine::value::as_f64(&value).unwrap_or(f64::NAN)
            }
            Bson::DateTime(date) => date.timestamp_millis() as f64,
            Bson::String(text) => parse_double(text)?,
            _ => return Err(unsupported(&value, target)),
        })),
        Target::Decimal => {
            let text = match &value {
                Bson::Decimal128(_) => return Ok(value),
                Bson::Boolean(b) => u8::from(*b).to_string(),
                Bson::Int32(i) => i.to_string(),
                Bson::Int64(i) => i.to_string(),
                Bson::Double(d) => format!("{d:?}"),
                Bson::DateTime(date) => date.timestamp_millis().to_string(),
                Bson::String(text) => {
                    parse_double(text)?;
                    text.trim().to_string()
                }
                _ => return Err(unsupported(&value, target)),
            };
            text.parse::<bson::Decimal128>()
                .map(Bson::Decimal128)
                .map_err(|_| failure(format!("Failed to parse number '{text}' in $convert with no onError value")))
        }
        Target::Date => match &value {
            Bson::DateTime(_) => Ok(value),
            Bson::Timestamp(_) | Bson::ObjectId(_) => Ok(Bson::DateTime(bson::DateTime::from_millis(to_date_millis(&value)?))),
            Bson::Int64(millis) => Ok(Bson::DateTime(bson::DateTime::from_millis(*millis))),
            Bson::Double(_) | Bson::Decimal128(_) => {
                let d = crate::engine::value::as_f64(&value).unwrap_or(f64::NAN);
                if !d.is_finite() {
                    return Err(failure(format!("Conversion would overflow target type in $convert with no onError value: {}", describe(Some(&value)))));
                }
                Ok(Bson::DateTime(bson::DateTime::from_millis(d.trunc() as i64)))
            }
            Bson::String(text) => match crate::js::dates::parse_isodate(text.trim()) {
                Some(millis) => Ok(Bson::DateTime(bson::DateTime::from_millis(millis))),
                None => Err(failure(format!("Error parsing date string '{text}'; 0: passing a time zone identifier as part of the string is not allowed"))),
            },
            _ => Err(unsupported(&value, target)),
        },
        Target::ObjectId => match &value {
            Bson::ObjectId(_) => Ok(value),
            Bson::String(text) => {
                if text.len() != 24 {
                    return Err(failure(format!("Failed to parse objectId '{text}' in $convert with no onError value: Invalid string length for parsing to OID, expected 24 but found {}", text.len())));
                }
                bson::oid::ObjectId::parse_str(text).map(Bson::ObjectId).map_err(|_| {
                    failure(format!("Failed to parse objectId '{text}' in $convert with no onError value: Invalid character found in hex string: {text}"))
                })
            }
            _ => Err(unsupported(&value, target)),
        },
    }
}

/// A base-10 integer string, as `$convert` parses it (a sign, then digits, nothing else).
fn parse_integer(text: &str) -> MongoResult<i64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(failure(format!(
            "Failed to parse number '{text}' in $convert with no onError value: Did not consume any digits"
        )));
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(failure(format!(
            "Failed to parse number '{text}' in $convert with no onError value: Did not consume whole string."
        )));
    }
    text.parse::<i64>().map_err(|_| {
        failure(format!("Failed to parse number '{text}' in $convert with no onError value: Out of range"))
    })
}

/// A decimal number string, as `$convert` parses it.
fn parse_double(text: &str) -> MongoResult<f64> {
    let lowered = text.to_ascii_lowercase();
    match lowered.as_str() {
        "infinity" | "+infinity" | "inf" => return Ok(f64::INFINITY),
        "-infinity" | "-inf" => return Ok(f64::NEG_INFINITY),
        "nan" => return Ok(f64::NAN),
        _ => {}
    }
    let numeric =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(d) if numeric => Ok(d),
        _ if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) => Err(failure(format!(
            "Failed to parse number '{text}' in $convert with no onError value: Did not consume any digits"
        ))),
        _ => Err(failure(format!(
            "Failed to parse number '{text}' in $convert with no onError value: Did not consume whole string."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(
            e,
            &doc! {"n": 5, "d": 2.7, "s": "42", "bad": "4x", "z": null, "when": bson::DateTime::from_millis(86_400_000)},
        ))
    }

    #[test]
    fn type_names() {
        assert_eq!(eval(bson!({"$type": "$n"})), "\"int\"");
        assert_eq!(eval(bson!({"$type": "$nope"})), "\"missing\"");
        assert_eq!(eval(bson!({"$type": [[1]]})), "\"array\"");
        assert_eq!(eval(bson!({"$isNumber": "$d"})), "true");
        assert_eq!(eval(bson!({"$isNumber": "$s"})), "false");
    }

    #[test]
    fn conversions_follow_the_table() {
        assert_eq!(eval(bson!({"$toInt": "$d"})), "2");
        assert_eq!(eval(bson!({"$toInt": "$s"})), "42");
        assert_eq!(eval(bson!({"$toInt": true})), "1");
        assert_eq!(eval(bson!({"$toDouble": "$s"})), "42.0");
        assert_eq!(eval(bson!({"$toString": "$d"})), "\"2.7\"");
        assert_eq!(eval(bson!({"$toString": "$when"})), "\"1970-01-02T00:00:00.000Z\"");
        assert_eq!(eval(bson!({"$toBool": 0})), "false");
        assert_eq!(eval(bson!({"$toBool": ""})), "true");
        assert_eq!(eval(bson!({"$toLong": "$when"})), "86400000");
        assert_eq!(eval(bson!({"$toDate": "2024-01-01"})), "new Date(1704067200000)");
        assert_eq!(eval(bson!({"$toObjectId": "5ab9cbfa31c2ab715d42129e"})), "ObjectId('5ab9cbfa31c2ab715d42129e')");
        assert_eq!(eval(bson!({"$toInt": "$z"})), "null");
        assert_eq!(eval(bson!({"$toDecimal": 1.5})), "NumberDecimal(\"1.5\")");
        assert_eq!(eval(bson!({"$toDecimal": "12"})), "NumberDecimal(\"12\")");
        assert_eq!(
            eval(bson!({"$toInt": "$bad"})),
            "error: Failed to parse number '4x' in $convert with no onError value: Did not consume whole string."
        );
        assert_eq!(
            eval(bson!({"$toInt": 3e10})),
            "error: Conversion would overflow target type in $convert with no onError value: 30000000000.0"
        );
        assert_eq!(
            eval(bson!({"$toDate": 5})),
            "error: Unsupported conversion from int to date in $convert with no onError value"
        );
    }

    #[test]
    fn convert_falls_back_on_error_and_null() {
        assert_eq!(eval(bson!({"$convert": {"input": "$bad", "to": "int", "onError": -1}})), "-1");
        assert_eq!(eval(bson!({"$convert": {"input": "$z", "to": "int", "onNull": 0}})), "0");
        assert_eq!(eval(bson!({"$convert": {"input": "$s", "to": 16}})), "42");
        assert_eq!(eval(bson!({"$convert": {"input": "$s", "to": "number"}})), "error: Unknown type name: number");
        assert_eq!(eval(bson!({"$convert": {"input": "$s"}})), "error: Missing 'to' parameter to $convert");
        assert_eq!(
            eval(bson!({"$convert": {"input": "$s", "to": "int", "onError": {"$divide": [1, 0]}}})),
            "42",
            "onError runs only on failure"
        );
    }
}
