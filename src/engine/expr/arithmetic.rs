//! Expression arithmetic: `$add $subtract $multiply $divide $mod $abs`, keeping MongoDB's result types
//! (int stays int until it overflows to long; any double makes a double; dates plus milliseconds stay dates).

use super::{evaluate_all, type_name_of, Expression};
use crate::engine::error::{MongoError, MongoResult};
use crate::engine::value::as_f64;
use bson::{Bson, Document};

/// A number with MongoDB's widening rules.
#[derive(Debug, Clone, Copy)]
enum Number {
    Int(i32),
    Long(i64),
    Double(f64),
}

impl Number {
    fn from_bson(value: &Bson) -> Option<Number> {
        match value {
            Bson::Int32(i) => Some(Number::Int(*i)),
            Bson::Int64(i) => Some(Number::Long(*i)),
            Bson::Double(d) => Some(Number::Double(*d)),
            Bson::Decimal128(_) => as_f64(value).map(Number::Double),
            _ => None,
        }
    }

    fn to_bson(self) -> Bson {
        match self {
            Number::Int(i) => Bson::Int32(i),
            Number::Long(i) => Bson::Int64(i),
            Number::Double(d) => Bson::Double(d),
        }
    }

    fn as_f64(self) -> f64 {
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
    fn combine(self, other: Number, exact: fn(i64, i64) -> Option<i64>, float: fn(f64, f64) -> f64) -> Number {
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

fn error(code: i32, message: String) -> MongoError {
    MongoError::new(crate::engine::error::ErrorCode::Location(code), message)
}

fn is_nullish(value: Option<&Bson>) -> bool {
    matches!(value, None | Some(Bson::Null | Bson::Undefined))
}

pub(super) fn evaluate(name: &str, args: &[Expression], root: &Document) -> MongoResult<Option<Bson>> {
    let values = evaluate_all(args, root)?;
    let first = values.first().and_then(Option::as_ref);
    let second = values.get(1).and_then(Option::as_ref);
    match name {
        "$add" => add(&values),
        "$multiply" => {
            let mut product = Number::Int(1);
            let mut any_null = false;
            for value in &values {
                let value = value.as_ref();
                if is_nullish(value) {
                    any_null = true;
                    continue;
                }
                let Some(number) = value.and_then(Number::from_bson) else {
                    return Err(error(
                        16555,
                        format!("$multiply only supports numeric types, not {}", type_name_of(value)),
                    ));
                };
                product = product.combine(number, i64::checked_mul, |a, b| a * b);
            }
            Ok(Some(if any_null { Bson::Null } else { product.to_bson() }))
        }
        "$subtract" => subtract(first, second),
        "$divide" | "$mod" => {
            if is_nullish(first) || is_nullish(second) {
                return Ok(Some(Bson::Null));
            }
            let (Some(a), Some(b)) = (first.and_then(Number::from_bson), second.and_then(Number::from_bson)) else {
                let code = if name == "$divide" { 16609 } else { 16611 };
                return Err(error(
                    code,
                    format!(
                        "{name} only supports numeric types, not {} and {}",
                        type_name_of(first),
                        type_name_of(second)
                    ),
                ));
            };
            if b.as_f64() == 0.0 {
                return Err(if name == "$divide" {
                    error(16608, "can't $divide by zero".to_string())
                } else {
                    error(16610, "can't $mod by zero".to_string())
                });
            }
            Ok(Some(if name == "$divide" {
                Bson::Double(a.as_f64() / b.as_f64())
            } else {
                a.combine(b, i64::checked_rem, |x, y| x % y).to_bson()
            }))
        }
        _ => {
            // $abs
            if is_nullish(first) {
                return Ok(Some(Bson::Null));
            }
            let Some(number) = first.and_then(Number::from_bson) else {
                return Err(error(28765, format!("$abs only supports numeric types, not {}", type_name_of(first))));
            };
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
    }
}

fn add(values: &[Option<Bson>]) -> MongoResult<Option<Bson>> {
    let mut sum = Number::Int(0);
    let mut date: Option<i64> = None;
    let mut any_null = false;
    for value in values {
        let value = value.as_ref();
        match value {
            _ if is_nullish(value) => any_null = true,
            Some(Bson::DateTime(d)) => {
                if date.is_some() {
                    return Err(error(16612, "only one date allowed in an $add expression".to_string()));
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
        return Ok(Some(Bson::Null));
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

fn subtract(first: Option<&Bson>, second: Option<&Bson>) -> MongoResult<Option<Bson>> {
    if is_nullish(first) || is_nullish(second) {
        return Ok(Some(Bson::Null));
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::error::MongoResult;
    use crate::engine::expr::Expression;
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> MongoResult<Option<Bson>> {
        let root = doc! {"a": 7, "b": 2, "d": 1.5, "big": 2147483647, "s": "x",
        "when": bson::DateTime::from_millis(1000)};
        Expression::parse(&e)?.evaluate(&root)
    }

    #[test]
    fn result_types_widen_like_mongodb() {
        assert_eq!(eval(bson!({"$add": ["$a", "$b"]})).unwrap(), Some(bson!(9)));
        assert_eq!(eval(bson!({"$add": ["$big", 1]})).unwrap(), Some(Bson::Int64(2147483648)));
        assert_eq!(eval(bson!({"$add": ["$a", "$d"]})).unwrap(), Some(bson!(8.5)));
        assert_eq!(eval(bson!({"$add": ["$a", null]})).unwrap(), Some(Bson::Null));
        assert_eq!(eval(bson!({"$subtract": ["$a", "$b"]})).unwrap(), Some(bson!(5)));
        assert_eq!(eval(bson!({"$multiply": ["$a", "$b", "$d"]})).unwrap(), Some(bson!(21.0)));
        assert_eq!(eval(bson!({"$divide": ["$a", "$b"]})).unwrap(), Some(bson!(3.5)));
        assert_eq!(eval(bson!({"$mod": ["$a", "$b"]})).unwrap(), Some(bson!(1)));
        assert_eq!(eval(bson!({"$abs": -3})).unwrap(), Some(bson!(3)));
    }

    #[test]
    fn dates() {
        assert_eq!(
            eval(bson!({"$add": ["$when", 500]})).unwrap(),
            Some(Bson::DateTime(bson::DateTime::from_millis(1500)))
        );
        assert_eq!(eval(bson!({"$subtract": ["$when", "$when"]})).unwrap(), Some(Bson::Int64(0)));
    }

    #[test]
    fn runtime_errors() {
        let msg = |e: Bson| eval(e).unwrap_err().message;
        assert_eq!(msg(bson!({"$divide": ["$a", 0]})), "can't $divide by zero");
        assert_eq!(msg(bson!({"$mod": ["$a", 0]})), "can't $mod by zero");
        assert_eq!(msg(bson!({"$add": ["$a", "$s"]})), "$add only supports numeric or date types, not string");
        assert_eq!(msg(bson!({"$subtract": ["$s", "$a"]})), "can't $subtract int from string");
        assert_eq!(msg(bson!({"$multiply": ["$s"]})), "$multiply only supports numeric types, not string");
        assert_eq!(msg(bson!({"$abs": "$s"})), "$abs only supports numeric types, not string");
    }
}
