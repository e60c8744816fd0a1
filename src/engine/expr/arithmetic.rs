//! Expression arithmetic: `$add $subtract $multiply $divide $mod $abs $ceil $floor $round $trunc $sqrt $pow $exp
//! $ln $log $log10`, keeping MongoDB's result types (int stays int until it overflows to long; any double makes a
//! double; dates plus milliseconds stay dates) and its half-to-even rounding.

use super::{argument, error, evaluate_all, is_nullish, type_name_of, Arguments, Call, Context, Evaluated, Operator};
use crate::engine::error::MongoResult;
use crate::engine::value::as_f64;
use bson::Bson;

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$add",
        arguments: Arguments::Any,
        evaluate: add,
        summary: "Adds numbers, or milliseconds to one date.",
    },
    Operator {
        name: "$subtract",
        arguments: Arguments::Exactly(2),
        evaluate: subtract,
        summary: "Subtracts the second number (or date) from the first; two dates give milliseconds.",
    },
    Operator { name: "$multiply", arguments: Arguments::Any, evaluate: multiply, summary: "Multiplies numbers." },
    Operator {
        name: "$divide",
        arguments: Arguments::Exactly(2),
        evaluate: divide,
        summary: "Divides the first number by the second (always a double).",
    },
    Operator {
        name: "$mod",
        arguments: Arguments::Exactly(2),
        evaluate: modulo,
        summary: "The remainder of dividing the first number by the second.",
    },
    Operator {
        name: "$abs",
        arguments: Arguments::Exactly(1),
        evaluate: abs,
        summary: "The absolute value of a number.",
    },
    Operator {
        name: "$ceil",
        arguments: Arguments::Exactly(1),
        evaluate: ceil,
        summary: "The smallest integer greater than or equal to a number.",
    },
    Operator {
        name: "$floor",
        arguments: Arguments::Exactly(1),
        evaluate: floor,
        summary: "The largest integer less than or equal to a number.",
    },
    Operator {
        name: "$round",
        arguments: Arguments::Between(1, 2),
        evaluate: round,
        summary: "Rounds to a number of decimal places, a half to the even neighbour (10.5 → 10).",
    },
    Operator {
        name: "$trunc",
        arguments: Arguments::Between(1, 2),
        evaluate: trunc,
        summary: "Cuts a number to a number of decimal places, towards zero.",
    },
    Operator {
        name: "$sqrt",
        arguments: Arguments::Exactly(1),
        evaluate: sqrt,
        summary: "The square root of a non-negative number.",
    },
    Operator {
        name: "$pow",
        arguments: Arguments::Exactly(2),
        evaluate: pow,
        summary: "Raises a number to an exponent.",
    },
    Operator { name: "$exp", arguments: Arguments::Exactly(1), evaluate: exp, summary: "e raised to a number." },
    Operator {
        name: "$ln",
        arguments: Arguments::Exactly(1),
        evaluate: ln,
        summary: "The natural logarithm of a positive number.",
    },
    Operator {
        name: "$log",
        arguments: Arguments::Exactly(2),
        evaluate: log,
        summary: "The logarithm of a number in a base.",
    },
    Operator {
        name: "$log10",
        arguments: Arguments::Exactly(1),
        evaluate: log10,
        summary: "The base-10 logarithm of a positive number.",
    },
];

/// A number with MongoDB's widening rules.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Number {
    Int(i32),
    Long(i64),
    Double(f64),
}

impl Number {
    pub(crate) fn from_bson(value: &Bson) -> Option<Number> {
        match value {
            Bson::Int32(i) => Some(Number::Int(*i)),
            Bson::Int64(i) => Some(Number::Long(*i)),
            Bson::Double(d) => Some(Number::Double(*d)),
            Bson::Decimal128(_) => as_f64(value).map(Number::Double),
            _ => None,
        }
    }

    pub(crate) fn to_bson(self) -> Bson {
        match self {
            Number::Int(i) => Bson::Int32(i),
            Number::Long(i) => Bson::Int64(i),
            Number::Double(d) => Bson::Double(d),
        }
    }

    pub(crate) fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => f64::from(i),
            // Precision loss above 2^53 matches MongoDB's own long-to-double promotion.
            Number::Long(i) => i as f64,
            Number::Double(d) => d,
        }
    }

    fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i64::from(i)),
            Number::Long(i) => Some(i),
            Number::Double(_) => None,
        }
    }

    /// Combines two numbers: exact integer arithmetic when both are integers (narrowest type that fits),
    /// double arithmetic otherwise.
    pub(crate) fn combine(
        self,
        other: Number,
        exact: fn(i64, i64) -> Option<i64>,
        float: fn(f64, f64) -> f64,
    ) -> Number {
        let both_int = matches!((self, other), (Number::Int(_), Number::Int(_)));
        if let (Some(a), Some(b)) = (self.as_i64(), other.as_i64()) {
            if let Some(result) = exact(a, b) {
                if both_int {
                    if let Ok(small) = i32::try_from(result) {
                        return Number::Int(small);
                    }
                }
                return Number::Long(result);
            }
        }
        Number::Double(float(self.as_f64(), other.as_f64()))
    }
}

/// The single numeric argument of `$abs`, `$ceil`, ...: `Ok(None)` for null or missing (the result is `null`).
fn single_number(call: &Call, context: &mut Context<'_>, code: i32) -> MongoResult<Option<Number>> {
    let value = argument(call, 0, context)?;
    if is_nullish(value.as_ref()) {
        return Ok(None);
    }
    match value.as_ref().and_then(Number::from_bson) {
        Some(number) => Ok(Some(number)),
        None => Err(error(
            code,
            format!("{} only supports numeric types, not {}", call.operator.name, type_name_of(value.as_ref())),
        )),
    }
}

fn null() -> MongoResult<Evaluated> {
    Ok(Some(Bson::Null))
}

fn add(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let values = evaluate_all(&call.args, context)?;
    let mut sum = Number::Int(0);
    let mut date: Option<i64> = None;
    let mut any_null = false;
    for value in &values {
        let value = value.as_ref();
        match value {
            _ if is_nullish(value) => any_null = true,
            Some(Bson::DateTime(d)) => {
                if date.is_some() {
                    return Err(error(16612, "only one date allowed in an $add expression"));
                }
                date = Some(d.timestamp_millis());
            }
            _ => {
                let Some(number) = value.and_then(Number::from_bson) else {
                    return Err(error(
                        16554,
                        format!("$add only supports numeric or date types, not {}", type_name_of(value)),
                    ));
                };
                sum = sum.combine(number, i64::checked_add, |a, b| a + b);
            }
        }
    }
    if any_null {
        return null();
    }
    Ok(Some(match date {
        Some(millis) => Bson::DateTime(bson::DateTime::from_millis(millis.saturating_add(round_millis(sum)))),
        None => sum.to_bson(),
    }))
}

fn round_millis(number: Number) -> i64 {
    match number.as_i64() {
        Some(i) => i,
        // Saturating cast: dates beyond i64 milliseconds are clamped rather than wrapped.
        None => number.as_f64().round() as i64,
    }
}

fn subtract(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let first = argument(call, 0, context)?;
    let second = argument(call, 1, context)?;
    let (first, second) = (first.as_ref(), second.as_ref());
    if is_nullish(first) || is_nullish(second) {
        return null();
    }
    let result = match (first, second) {
        (Some(Bson::DateTime(a)), Some(Bson::DateTime(b))) => {
            Some(Bson::Int64(a.timestamp_millis().saturating_sub(b.timestamp_millis())))
        }
        (Some(Bson::DateTime(a)), Some(b)) => Number::from_bson(b)
            .map(|n| Bson::DateTime(bson::DateTime::from_millis(a.timestamp_millis().saturating_sub(round_millis(n))))),
        (Some(a), Some(b)) => match (Number::from_bson(a), Number::from_bson(b)) {
            (Some(x), Some(y)) => Some(x.combine(y, i64::checked_sub, |p, q| p - q).to_bson()),
            _ => None,
        },
        _ => None,
    };
    result
        .map(Some)
        .ok_or_else(|| error(16556, format!("can't $subtract {} from {}", type_name_of(second), type_name_of(first))))
}

fn multiply(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let values = evaluate_all(&call.args, context)?;
    let mut product = Number::Int(1);
    let mut any_null = false;
    for value in &values {
        let value = value.as_ref();
        if is_nullish(value) {
            any_null = true;
            continue;
        }
        let Some(number) = value.and_then(Number::from_bson) else {
            return Err(error(16555, format!("$multiply only supports numeric types, not {}", type_name_of(value))));
        };
        product = product.combine(number, i64::checked_mul, |a, b| a * b);
    }
    Ok(Some(if any_null { Bson::Null } else { product.to_bson() }))
}

/// The two numeric operands of `$divide` / `$mod`, or `None` when either is null or missing.
fn two_numbers(call: &Call, context: &mut Context<'_>, code: i32) -> MongoResult<Option<(Number, Number)>> {
    let first = argument(call, 0, context)?;
    let second = argument(call, 1, context)?;
    if is_nullish(first.as_ref()) || is_nullish(second.as_ref()) {
        return Ok(None);
    }
    match (first.as_ref().and_then(Number::from_bson), second.as_ref().and_then(Number::from_bson)) {
        (Some(a), Some(b)) => Ok(Some((a, b))),
        _ => Err(error(
            code,
            format!(
                "{} only supports numeric types, not {} and {}",
                call.operator.name,
                type_name_of(first.as_ref()),
                type_name_of(second.as_ref())
            ),
        )),
    }
}

fn divide(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((a, b)) = two_numbers(call, context, 16609)? else { return null() };
    if b.as_f64() == 0.0 {
        return Err(error(16608, "can't $divide by zero"));
    }
    Ok(Some(Bson::Double(a.as_f64() / b.as_f64())))
}

fn modulo(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((a, b)) = two_numbers(call, context, 16611)? else { return null() };
    if b.as_f64() == 0.0 {
        return Err(error(16610, "can't $mod by zero"));
    }
    Ok(Some(a.combine(b, i64::checked_rem, |x, y| x % y).to_bson()))
}

fn abs(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(number) = single_number(call, context, 28765)? else { return null() };
    Ok(Some(
        match number {
            Number::Int(i) => match i.checked_abs() {
                Some(a) => Number::Int(a),
                None => Number::Long(i64::from(i).abs()),
            },
            Number::Long(i) => match i.checked_abs() {
                Some(a) => Number::Long(a),
                None => Number::Double((i as f64).abs()),
            },
            Number::Double(d) => Number::Double(d.abs()),
        }
        .to_bson(),
    ))
}

fn ceil(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(number) = single_number(call, context, 28765)? else { return null() };
    Ok(Some(match number {
        Number::Double(d) => Bson::Double(d.ceil()),
        integer => integer.to_bson(),
    }))
}

fn floor(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(number) = single_number(call, context, 28765)? else { return null() };
    Ok(Some(match number {
        Number::Double(d) => Bson::Double(d.floor()),
        integer => integer.to_bson(),
    }))
}

/// How `$round` and `$trunc` treat the digits they drop.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rounding {
    HalfToEven,
    TowardZero,
}

fn round(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    round_or_trunc(call, context, Rounding::HalfToEven)
}

fn trunc(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    round_or_trunc(call, context, Rounding::TowardZero)
}

fn round_or_trunc(call: &Call, context: &mut Context<'_>, rounding: Rounding) -> MongoResult<Evaluated> {
    let name = call.operator.name;
    let value = argument(call, 0, context)?;
    let place = match call.args.get(1) {
        Some(place) => place.eval(context)?,
        None => Some(Bson::Int32(0)),
    };
    if is_nullish(value.as_ref()) || is_nullish(place.as_ref()) {
        return null();
    }
    let Some(number) = value.as_ref().and_then(Number::from_bson) else {
        return Err(error(51081, format!("{name} only supports numeric types, not {}", type_name_of(value.as_ref()))));
    };
    let Some(place) = place.as_ref().and_then(super::as_integer) else {
        return Err(error(51082, format!("precision argument to {name} must be a integral value")));
    };
    if !(-20..=100).contains(&place) {
        return Err(error(
            51083,
            format!("cannot apply {name} with precision value {place} value must be in [-20, 100]"),
        ));
    }
    let place = i32::try_from(place).unwrap_or(0);
    Ok(Some(match number {
        Number::Double(d) => Bson::Double(round_double(d, place, rounding)),
        Number::Int(i) => match round_integer(i64::from(i), place, rounding) {
            Some(rounded) => match i32::try_from(rounded) {
                Ok(small) => Bson::Int32(small),
                Err(_) => Bson::Int64(rounded),
            },
            None => Bson::Double(round_double(f64::from(i), place, rounding)),
        },
        Number::Long(i) => match round_integer(i, place, rounding) {
            Some(rounded) => Bson::Int64(rounded),
            None => Bson::Double(round_double(i as f64, place, rounding)),
        },
    }))
}

/// An integer rounded to `place` decimal places (only negative places change it); `None` on overflow.
fn round_integer(n: i64, place: i32, rounding: Rounding) -> Option<i64> {
    if place >= 0 {
        return Some(n);
    }
    let Some(factor) = 10i64.checked_pow(place.unsigned_abs()) else {
        return Some(0);
    };
    let (quotient, remainder) = (n / factor, n % factor);
    let away = match rounding {
        Rounding::TowardZero => false,
        Rounding::HalfToEven => {
            let twice = remainder.unsigned_abs().saturating_mul(2);
            let half = factor.unsigned_abs();
            twice > half || (twice == half && quotient % 2 != 0)
        }
    };
    let quotient = if away { quotient.checked_add(n.signum())? } else { quotient };
    quotient.checked_mul(factor)
}

/// A double rounded to `place` decimal places the way MongoDB does it: on its 15 significant decimal digits (so
/// 2.675 is 2.675, not 2.67499999...), a half going to the even neighbour.
fn round_double(d: f64, place: i32, rounding: Rounding) -> f64 {
    if !d.is_finite() || d == 0.0 {
        return d;
    }
    let scientific = format!("{:.14e}", d.abs());
    let Some((mantissa, exponent)) = scientific.split_once('e') else { return d };
    let Ok(exponent) = exponent.parse::<i32>() else { return d };
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    let keep = exponent + place + 1;
    if keep >= digits.len() as i32 {
        return d;
    }
    let sign = if d < 0.0 { "-" } else { "" };
    if keep < 0 {
        return if d < 0.0 { -0.0 } else { 0.0 };
    }
    let keep = keep as usize;
    let (kept, dropped) = digits.split_at(keep);
    let mut kept: Vec<u8> = kept.to_vec();
    let round_up = match rounding {
        Rounding::TowardZero => false,
        Rounding::HalfToEven => {
            let first = dropped.first().copied().unwrap_or(0);
            let rest_zero = dropped.iter().skip(1).all(|&digit| digit == 0);
            let last_odd = kept.last().is_some_and(|digit| digit % 2 == 1);
            first > 5 || (first == 5 && (!rest_zero || last_odd))
        }
    };
    if round_up {
        let mut carry = true;
        for digit in kept.iter_mut().rev() {
            if *digit == 9 {
                *digit = 0;
            } else {
                *digit += 1;
                carry = false;
                break;
            }
        }
        if carry {
            kept.insert(0, 1);
        }
    }
    let scale = -place;
    let text: String = kept.iter().map(|digit| char::from(b'0' + digit)).collect();
    let text = if text.is_empty() { "0".to_string() } else { text };
    format!("{sign}{text}e{scale}").parse().unwrap_or(d)
}

fn sqrt(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(number) = single_number(call, context, 28765)? else { return null() };
    let x = number.as_f64();
    if x < 0.0 {
        return Err(error(28714, "$sqrt's argument must be greater than or equal to 0"));
    }
    Ok(Some(Bson::Double(x.sqrt())))
}

fn exp(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(number) = single_number(call, context, 28765)? else { return null() };
    Ok(Some(Bson::Double(number.as_f64().exp())))
}

fn ln(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(number) = single_number(call, context, 28765)? else { return null() };
    let x = number.as_f64();
    if x <= 0.0 || x.is_nan() {
        return Err(error(
            28766,
            format!("$ln's argument must be a positive number, but is {}", super::describe(Some(&number.to_bson()))),
        ));
    }
    Ok(Some(Bson::Double(x.ln())))
}

fn log10(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(number) = single_number(call, context, 28765)? else { return null() };
    let x = number.as_f64();
    if x <= 0.0 || x.is_nan() {
        return Err(error(
            28761,
            format!("$log10's argument must be a positive number, but is {}", super::describe(Some(&number.to_bson()))),
        ));
    }
    Ok(Some(Bson::Double(x.log10())))
}

fn log(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let value = argument(call, 0, context)?;
    let base = argument(call, 1, context)?;
    if is_nullish(value.as_ref()) || is_nullish(base.as_ref()) {
        return null();
    }
    let Some(x) = value.as_ref().and_then(Number::from_bson) else {
        return Err(error(28756, format!("$log's argument must be numeric, not {}", type_name_of(value.as_ref()))));
    };
    let Some(b) = base.as_ref().and_then(Number::from_bson) else {
        return Err(error(28757, format!("$log's base must be numeric, not {}", type_name_of(base.as_ref()))));
    };
    if x.as_f64() <= 0.0 {
        return Err(error(
            28758,
            format!("$log's argument must be a positive number, but is {}", super::describe(Some(&x.to_bson()))),
        ));
    }
    if b.as_f64() <= 0.0 || b.as_f64() == 1.0 {
        return Err(error(
            28759,
            format!(
                "$log's base must be a positive number not equal to 1, but is {}",
                super::describe(Some(&b.to_bson()))
            ),
        ));
    }
    Ok(Some(Bson::Double(x.as_f64().ln() / b.as_f64().ln())))
}

fn pow(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let base = argument(call, 0, context)?;
    let exponent = argument(call, 1, context)?;
    if is_nullish(base.as_ref()) || is_nullish(exponent.as_ref()) {
        return null();
    }
    let Some(b) = base.as_ref().and_then(Number::from_bson) else {
        return Err(error(28762, format!("$pow's base must be numeric, not {}", type_name_of(base.as_ref()))));
    };
    let Some(e) = exponent.as_ref().and_then(Number::from_bson) else {
        return Err(error(28763, format!("$pow's exponent must be numeric, not {}", type_name_of(exponent.as_ref()))));
    };
    if b.as_f64() == 0.0 && e.as_f64() < 0.0 {
        return Err(error(28764, "$pow cannot take a base of 0 and a negative exponent"));
    }
    if let (Some(base), Some(exponent)) = (b.as_i64(), e.as_i64()) {
        if let Ok(exponent) = u32::try_from(exponent) {
            if let Some(power) = base.checked_pow(exponent) {
                let both_int = matches!((b, e), (Number::Int(_), Number::Int(_)));
                return Ok(Some(match i32::try_from(power) {
                    Ok(small) if both_int => Bson::Int32(small),
                    _ => Bson::Int64(power),
                }));
            }
        }
    }
    Ok(Some(Bson::Double(b.as_f64().powf(e.as_f64()))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson, Document};

    fn root() -> Document {
        doc! {"a": 7, "b": 2, "d": 1.5, "big": 2147483647, "s": "x", "when": bson::DateTime::from_millis(1000)}
    }

    fn eval(e: Bson) -> String {
        show(eval_on(e, &root()))
    }

    #[test]
    fn result_types_widen_like_mongodb() {
        assert_eq!(eval(bson!({"$add": ["$a", "$b"]})), "9");
        assert_eq!(eval_on(bson!({"$add": ["$big", 1]}), &root()).unwrap(), Some(Bson::Int64(2147483648)));
        assert_eq!(eval(bson!({"$add": ["$a", "$d"]})), "8.5");
        assert_eq!(eval(bson!({"$add": ["$a", null]})), "null");
        assert_eq!(eval(bson!({"$subtract": ["$a", "$b"]})), "5");
        assert_eq!(eval(bson!({"$multiply": ["$a", "$b", "$d"]})), "21.0");
        assert_eq!(eval(bson!({"$divide": ["$a", "$b"]})), "3.5");
        assert_eq!(eval(bson!({"$mod": ["$a", "$b"]})), "1");
        assert_eq!(eval(bson!({"$abs": -3})), "3");
    }

    #[test]
    fn dates() {
        assert_eq!(eval(bson!({"$add": ["$when", 500]})), "new Date(1500)");
        assert_eq!(eval_on(bson!({"$subtract": ["$when", "$when"]}), &root()).unwrap(), Some(Bson::Int64(0)));
        assert_eq!(eval(bson!({"$subtract": ["$when", 1]})), "new Date(999)");
    }

    #[test]
    fn runtime_errors() {
        assert_eq!(eval(bson!({"$divide": ["$a", 0]})), "error: can't $divide by zero");
        assert_eq!(eval(bson!({"$mod": ["$a", 0]})), "error: can't $mod by zero");
        assert_eq!(eval(bson!({"$add": ["$a", "$s"]})), "error: $add only supports numeric or date types, not string");
        assert_eq!(eval(bson!({"$subtract": ["$s", "$a"]})), "error: can't $subtract int from string");
        assert_eq!(eval(bson!({"$multiply": ["$s"]})), "error: $multiply only supports numeric types, not string");
        assert_eq!(eval(bson!({"$abs": "$s"})), "error: $abs only supports numeric types, not string");
        assert_eq!(eval(bson!({"$sqrt": -1})), "error: $sqrt's argument must be greater than or equal to 0");
        assert_eq!(eval(bson!({"$ln": 0})), "error: $ln's argument must be a positive number, but is 0");
        assert_eq!(eval(bson!({"$pow": [0, -1]})), "error: $pow cannot take a base of 0 and a negative exponent");
    }

    #[test]
    fn round_is_half_to_even_on_decimal_digits() {
        // The examples of MongoDB's $round page.
        expect_test::expect![[r#"10.0 11.5 12.0 -12.0 20.0 1230.0 0.0 2.68 1200 10"#]].assert_eq(
            &[
                bson!({"$round": [10.5, 0]}),
                bson!({"$round": [11.46, 1]}),
                bson!({"$round": [11.5, 0]}),
                bson!({"$round": [-12.0, 0]}),
                bson!({"$round": [19.99, 0]}),
                bson!({"$round": [1234.0, -1]}),
                bson!({"$round": [0.0001, 2]}),
                bson!({"$round": [2.675, 2]}),
                bson!({"$round": [1250, -2]}),
                bson!({"$round": 10}),
            ]
            .into_iter()
            .map(eval)
            .collect::<Vec<_>>()
            .join(" "),
        );
        assert_eq!(eval(bson!({"$round": [1350, -2]})), "1400");
        assert_eq!(eval(bson!({"$round": [59.988, 2]})), "59.99");
        assert_eq!(eval(bson!({"$round": [9.99, 1]})), "10.0");
        assert_eq!(eval(bson!({"$round": ["$s", 1]})), "error: $round only supports numeric types, not string");
        assert_eq!(
            eval(bson!({"$round": [1, 101]})),
            "error: cannot apply $round with precision value 101 value must be in [-20, 100]"
        );
        assert_eq!(eval(bson!({"$round": [null, 1]})), "null");
    }

    #[test]
    fn trunc_ceil_floor_pow_and_logs() {
        assert_eq!(eval(bson!({"$trunc": [7.89, 1]})), "7.8");
        assert_eq!(eval(bson!({"$trunc": [-7.89, 0]})), "-7.0");
        assert_eq!(eval(bson!({"$trunc": [1299, -2]})), "1200");
        assert_eq!(eval(bson!({"$ceil": 1.2})), "2.0");
        assert_eq!(eval(bson!({"$floor": -1.2})), "-2.0");
        assert_eq!(eval(bson!({"$floor": 3})), "3");
        assert_eq!(eval(bson!({"$pow": [2, 10]})), "1024");
        assert_eq!(eval(bson!({"$pow": [2, -1]})), "0.5");
        assert_eq!(eval(bson!({"$pow": [2, 40]})), "1099511627776");
        assert_eq!(eval(bson!({"$sqrt": 25})), "5.0");
        assert_eq!(eval(bson!({"$log": [100, 10]})), "2.0");
        assert_eq!(eval(bson!({"$log10": 1000})), "3.0");
        assert_eq!(eval(bson!({"$exp": 0})), "1.0");
    }
}
