//! Turns constant expressions (documents, arrays, numbers, `ObjectId("…")`, `ISODate("…")`, regexes …) into
//! `bson::Bson`, the way mongosh and the Node.js driver would store them.
//!
//! Number rules (js-bson's serializer, which mongosh and Mongoose use): every JavaScript number is a double;
//! when stored, an integral value in the 32-bit range becomes `Int32` and anything else (fractions,
//! integers beyond ±2³¹, `-0`, `NaN`, `±Infinity`) stays `Double`. `Int64` only comes from `NumberLong(…)`,
//! `Decimal128` only from `NumberDecimal(…)`. So `{ a: 1.0 }` stores `Int32(1)`, and `Date.now()` a `Double`.
//!
//! Helpers follow mongosh: `NumberInt(v)` is `parseInt(String(v), 10)` wrapped to 32 bits (`NumberInt("12abc")`
//! is 12, `NumberInt("abc")` is 0); `NumberLong(n)` truncates a number; `NumberDecimal(n)` reads `String(n)`.
//! One deliberate difference: `NumberLong("12x")` is an error here, where js-bson's lenient `Long.fromString`
//! would silently produce some number.
//!
//! Regex flags follow js-bson too: `i` and `m` are kept, `g` is stored as `s` (a long-standing js-bson quirk),
//! and `s`, `u`, `y`, `d`, `v` are dropped.
//!
//! `undefined` evaluates to `Bson::Undefined` (also for a missing property such as `req.body.nope`), so the
//! executor can tell it apart from `null`; [`driver_form`] turns nested `undefined` into `null` as the
//! driver does when it sends a document (its default `ignoreUndefined: false`).
//!
//! Dates are computed in UTC (crudlab's clock has no local time zone): `new Date(2024, 0, 1)` is
//! 2024-01-01T00:00:00Z. `new Date("…")` accepts the ISO forms `ISODate` accepts; JavaScript's other,
//! engine-specific formats (`"Jan 5 2024"`) are reported as an Invalid Date with a hint.

use crate::js::inspect::js_number;
use bson::oid::ObjectId;
use bson::{Bson, DateTime, Decimal128, Document, Regex};

use super::ast::{BinaryOp, Expr, ExprKind, UnaryOp};
use super::error::{ErrorKind, ParseError};
use super::span::Span;
use crate::js::dates::{civil_from_days, days_from_civil, parse_isodate};

/// Supplies what a constant expression may refer to but the evaluator does not know itself.
pub trait Resolver {
    /// The value of a free name such as `req`, `courseId` or `String`; `None` means "not defined".
    fn resolve_name(&self, name: &str) -> Option<Bson>;

    /// A chance to evaluate any expression first (e.g. `mongoose.Schema.Types.ObjectId` or a call the
    /// executor understands). `None` lets the evaluator continue with its own rules.
    fn resolve_expression(&self, expr: &Expr) -> Option<Result<Bson, ParseError>> {
        let _ = expr;
        None
    }

    /// The current time for `new Date()`, `ISODate()` and `Date.now()`.
    fn now(&self) -> DateTime;

    /// A fresh id for `new ObjectId()` / `ObjectId()`.
    fn new_object_id(&self) -> ObjectId;
}

/// How deeply the evaluator follows nested values; the parser already caps nesting lower than this.
const MAX_EVALUATION_DEPTH: usize = 200;

/// Evaluates `expr` (parsed from `source`, used for error locations) to a BSON value.
pub fn evaluate(expr: &Expr, source: &str, resolver: &dyn Resolver) -> Result<Bson, ParseError> {
    Evaluator { source, resolver }.value(expr, 0)
}

/// Evaluates `expr`, which must be an object literal, to a document (keys in written order).
pub fn evaluate_document(expr: &Expr, source: &str, resolver: &dyn Resolver) -> Result<Document, ParseError> {
    match evaluate(expr, source, resolver)? {
        Bson::Document(document) => Ok(document),
        other => Err(ParseError::new(
            ErrorKind::NotConstant,
            source,
            expr.span,
            format!("expected a document `{{ … }}` here, but this is {}", describe_bson(&other)),
        )),
    }
}

/// The value as the Node.js driver sends it: `undefined` inside documents and arrays becomes `null`.
pub fn driver_form(value: Bson) -> Bson {
    fn convert(value: Bson, depth: usize) -> Bson {
        if depth > MAX_EVALUATION_DEPTH {
            return value;
        }
        match value {
            Bson::Undefined => Bson::Null,
            Bson::Document(document) => {
                Bson::Document(document.into_iter().map(|(key, value)| (key, convert(value, depth + 1))).collect())
            }
            Bson::Array(items) => Bson::Array(items.into_iter().map(|item| convert(item, depth + 1)).collect()),
            other => other,
        }
    }
    match value {
        Bson::Undefined => Bson::Undefined,
        other => convert(other, 0),
    }
}

/// How js-bson stores a JavaScript regex `/pattern/flags`: `i` and `m` kept, `g` stored as `s`, the rest dropped;
/// `None` when the pattern holds U+0000, which BSON cannot store.
pub fn regex_to_bson(pattern: &str, flags: &str) -> Option<Bson> {
    let mut options: Vec<char> = Vec::new();
    for flag in flags.chars() {
        let stored = match flag {
            'i' => 'i',
            'm' => 'm',
            'g' => 's',
            _ => continue,
        };
        if !options.contains(&stored) {
            options.push(stored);
        }
    }
    options.sort_unstable();
    let options: String = options.into_iter().collect();
    let pattern = pattern.to_string().try_into().ok()?;
    let options = options.try_into().ok()?;
    Some(Bson::RegularExpression(Regex { pattern, options }))
}

/// How js-bson stores a JavaScript number.
pub fn js_number_to_bson(value: f64) -> Bson {
    let is_negative_zero = value == 0.0 && value.is_sign_negative();
    if value.fract() == 0.0 && value >= f64::from(i32::MIN) && value <= f64::from(i32::MAX) && !is_negative_zero {
        Bson::Int32(value as i32)
    } else {
        Bson::Double(value)
    }
}

fn describe_bson(value: &Bson) -> &'static str {
    match value {
        Bson::Document(_) => "a document",
        Bson::Array(_) => "an array",
        Bson::String(_) => "a string",
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => "a number",
        Bson::Boolean(_) => "a boolean",
        Bson::Null => "null",
        Bson::Undefined => "undefined",
        Bson::ObjectId(_) => "an ObjectId",
        Bson::DateTime(_) => "a date",
        Bson::RegularExpression(_) => "a regular expression",
        _ => "a value of another type",
    }
}

struct Evaluator<'a> {
    source: &'a str,
    resolver: &'a dyn Resolver,
}

impl Evaluator<'_> {
    fn error(&self, kind: ErrorKind, span: Span, message: impl Into<String>) -> ParseError {
        ParseError::new(kind, self.source, span, message)
    }

    fn not_constant(&self, expr: &Expr, what: &str) -> ParseError {
        self.error(
            ErrorKind::NotConstant,
            expr.span,
            format!("{what} cannot be used as a value here"),
        )
        .with_hint("write the value itself: a number, a string, a document `{ … }`, an array `[ … ]`, ObjectId(\"…\"), new Date(…) …")
    }

    fn value(&self, expr: &Expr, depth: usize) -> Result<Bson, ParseError> {
        if depth > MAX_EVALUATION_DEPTH {
            return Err(self.error(ErrorKind::TooDeep, expr.span, "this value is nested too deeply"));
        }
        if let Some(resolved) = self.resolver.resolve_expression(expr) {
            return resolved;
        }
        match &expr.kind {
            ExprKind::Number(value) => Ok(js_number_to_bson(*value)),
            ExprKind::String(value) | ExprKind::Template(value) => Ok(Bson::String(value.clone())),
            ExprKind::Bool(value) => Ok(Bson::Boolean(*value)),
            ExprKind::Null => Ok(Bson::Null),
            ExprKind::Undefined => Ok(Bson::Undefined),
            ExprKind::Regex { pattern, flags } => self.regex(expr.span, pattern, flags),
            ExprKind::Ident(name) => self.resolver.resolve_name(name).ok_or_else(|| {
                self.error(ErrorKind::UnknownIdentifier, expr.span, format!("{name} is not defined"))
                    .with_hint("define it first with `const`, or put the value in quotes if you meant a string")
            }),
            ExprKind::Array(items) => {
                items.iter().map(|item| self.value(item, depth + 1)).collect::<Result<Vec<_>, _>>().map(Bson::Array)
            }
            ExprKind::Object(properties) => {
                let mut document = Document::new();
                for property in properties {
                    let value = self.value(&property.value, depth + 1)?;
                    // A repeated key keeps its first position and its last value, as in JavaScript.
                    document.insert(property.key.clone(), value);
                }
                Ok(Bson::Document(document))
            }
            ExprKind::Member { object, property, optional } => {
                if let Some(value) = self.static_member(expr) {
                    return value;
                }
                let base = self.value(object, depth + 1)?;
                self.property_of(&base, &property.name, *optional, expr.span)
            }
            ExprKind::Index { object, index, optional } => {
                let base = self.value(object, depth + 1)?;
                let key = match self.value(index, depth + 1)? {
                    Bson::String(key) => key,
                    Bson::Int32(n) => n.to_string(),
                    Bson::Double(n) => js_number(n),
                    _ => return Err(self.not_constant(index, "this index")),
                };
                self.property_of(&base, &key, *optional, expr.span)
            }
            ExprKind::Call { callee, args, .. } => self.call(expr, callee, args, false, depth),
            ExprKind::New { callee, args } => self.call(expr, callee, args, true, depth),
            ExprKind::Await(inner) => self.value(inner, depth + 1),
            ExprKind::Unary { op, operand } => {
                let value = self.value(operand, depth + 1)?;
                match (op, number_of(&value)) {
                    (UnaryOp::Minus, Some(n)) => Ok(js_number_to_bson(-n)),
                    (UnaryOp::Plus, Some(n)) => Ok(js_number_to_bson(n)),
                    (UnaryOp::Not, _) => Ok(Bson::Boolean(!crate::js::truthy(&value))),
                    _ => Err(self.not_constant(expr, "this operation")),
                }
            }
            ExprKind::Binary { op, left, right } => {
                let left_value = self.value(left, depth + 1)?;
                let right_value = self.value(right, depth + 1)?;
                self.arithmetic(expr, *op, &left_value, &right_value)
            }
            ExprKind::Conditional { .. } => Err(self.not_constant(expr, "a `? :` expression")),
            ExprKind::Assign { .. } => Err(self.not_constant(expr, "an assignment")),
            ExprKind::Function(_) => Err(self.not_constant(expr, "a function")),
            ExprKind::TemplateLiteral { .. } => Err(self.not_constant(expr, "a template with `${…}`")),
            ExprKind::Spread(_) => Err(self.not_constant(expr, "a spread `...`")),
            ExprKind::Update { .. } | ExprKind::CompoundAssign { .. } => Err(self.not_constant(expr, "an assignment")),
        }
    }

    /// `Number.MAX_SAFE_INTEGER` and friends, which need no resolver.
    fn static_member(&self, expr: &Expr) -> Option<Result<Bson, ParseError>> {
        let path = expr.dotted_path()?;
        // The function itself, not called: what `default: Date.now` in a schema hands Mongoose to call per document.
        if path.as_slice() == ["Date", "now"] {
            return Some(Ok(Bson::JavaScriptCode("Date.now".to_string())));
        }
        let value = match path.as_slice() {
            ["Number", "MAX_SAFE_INTEGER"] => 9_007_199_254_740_991.0,
            ["Number", "MIN_SAFE_INTEGER"] => -9_007_199_254_740_991.0,
            ["Number", "POSITIVE_INFINITY"] => f64::INFINITY,
            ["Number", "NEGATIVE_INFINITY"] => f64::NEG_INFINITY,
            ["Number", "NaN"] => f64::NAN,
            ["Math", "PI"] => std::f64::consts::PI,
            _ => return None,
        };
        Some(Ok(js_number_to_bson(value)))
    }

    fn property_of(&self, base: &Bson, key: &str, optional: bool, span: Span) -> Result<Bson, ParseError> {
        match base {
            Bson::Document(document) => Ok(document.get(key).cloned().unwrap_or(Bson::Undefined)),
            Bson::Array(items) if key == "length" => Ok(js_number_to_bson(items.len() as f64)),
            Bson::Array(items) => {
                Ok(key.parse::<usize>().ok().and_then(|index| items.get(index)).cloned().unwrap_or(Bson::Undefined))
            }
            Bson::String(text) if key == "length" => Ok(js_number_to_bson(text.encode_utf16().count() as f64)),
            Bson::Null | Bson::Undefined if optional => Ok(Bson::Undefined),
            Bson::Null | Bson::Undefined => Err(self
                .error(
                    ErrorKind::NotConstant,
                    span,
                    format!(
                        "TypeError: Cannot read properties of {} (reading '{key}')",
                        if matches!(base, Bson::Null) { "null" } else { "undefined" }
                    ),
                )
                .with_hint("the value before the `.` does not exist; check the spelling, or use `?.`")),
            _ => Ok(Bson::Undefined),
        }
    }

    fn arithmetic(&self, expr: &Expr, op: BinaryOp, left: &Bson, right: &Bson) -> Result<Bson, ParseError> {
        if op == BinaryOp::Add {
            if let (Bson::String(a), Bson::String(b)) = (left, right) {
                return Ok(Bson::String(format!("{a}{b}")));
            }
            let as_text = |value: &Bson| match value {
                Bson::String(text) => Some(text.clone()),
                other => number_of(other).map(js_number),
            };
            if matches!(left, Bson::String(_)) || matches!(right, Bson::String(_)) {
                if let (Some(a), Some(b)) = (as_text(left), as_text(right)) {
                    return Ok(Bson::String(format!("{a}{b}")));
                }
            }
        }
        let (Some(a), Some(b)) = (number_of(left), number_of(right)) else {
            return Err(self.not_constant(expr, &format!("the `{}` operation", op.as_str())));
        };
        let result = match op {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Rem => a % b,
            _ => return Err(self.not_constant(expr, &format!("the `{}` comparison", op.as_str()))),
        };
        Ok(js_number_to_bson(result))
    }

    fn regex(&self, span: Span, pattern: &str, flags: &str) -> Result<Bson, ParseError> {
        regex_to_bson(pattern, flags).ok_or_else(|| {
            self.error(ErrorKind::InvalidArgument, span, "a regular expression cannot contain the character U+0000")
        })
    }

    fn call(&self, expr: &Expr, callee: &Expr, args: &[Expr], is_new: bool, depth: usize) -> Result<Bson, ParseError> {
        let Some(path) = callee.dotted_path() else {
            return Err(self.not_constant(expr, "this call"));
        };
        let name = path.last().copied().unwrap_or("");
        let is_object_id = matches!(path.as_slice(), ["ObjectId"] | ["ObjectID"])
            || (name == "ObjectId" && path.len() >= 2 && path.get(path.len() - 2) == Some(&"Types"));
        let evaluated = |index: usize| -> Result<Option<Bson>, ParseError> {
            args.get(index).map(|arg| self.value(arg, depth + 1)).transpose()
        };
        if is_object_id || matches!(path.as_slice(), ["ObjectId", "createFromHexString"]) {
            return match evaluated(0)? {
                None | Some(Bson::Undefined) => Ok(Bson::ObjectId(self.resolver.new_object_id())),
                Some(Bson::String(hex)) if hex.len() == 24 => {
                    ObjectId::parse_str(&hex).map(Bson::ObjectId).map_err(|_| self.object_id_error(expr))
                }
                Some(Bson::ObjectId(id)) => Ok(Bson::ObjectId(id)),
                Some(_) => Err(self.object_id_error(expr)),
            };
        }
        match path.as_slice() {
            ["ISODate"] => match evaluated(0)? {
                None | Some(Bson::Undefined) => Ok(Bson::DateTime(self.resolver.now())),
                Some(Bson::String(text)) => {
                    parse_isodate(&text).map(|millis| Bson::DateTime(DateTime::from_millis(millis))).ok_or_else(|| {
                        self.error(
                            ErrorKind::InvalidIsoDate,
                            expr.span,
                            format!("{} is not a valid ISODate", serde_json::to_string(&text).unwrap_or(text.clone())),
                        )
                        .with_hint("write the date as \"YYYY-MM-DD\" or \"YYYY-MM-DDTHH:MM:SSZ\"")
                    })
                }
                Some(Bson::DateTime(date)) => Ok(Bson::DateTime(date)),
                Some(_) => Err(self.error(
                    ErrorKind::InvalidArgument,
                    expr.span,
                    "ISODate(…) needs a date string like \"2024-01-31\"",
                )),
            },
            ["Date"] if is_new => self.new_date(expr, args, depth),
            ["Date"] => Ok(Bson::String(date_to_js_string(self.resolver.now().timestamp_millis()))),
            ["Date", "now"] if !is_new => Ok(js_number_to_bson(self.resolver.now().timestamp_millis() as f64)),
            // mongosh: `new Int32(parseInt(`${v}`, 10))`, and js-bson's Int32 keeps `value | 0`.
            ["NumberInt"] | ["Int32"] => {
                let text = match evaluated(0)? {
                    None | Some(Bson::Null | Bson::Undefined) => "0".to_string(),
                    Some(Bson::String(text)) => text,
                    Some(Bson::Int32(n)) => n.to_string(),
                    Some(Bson::Int64(n)) => n.to_string(),
                    Some(Bson::Double(n)) => js_number(n),
                    Some(_) => {
                        return Err(self.error(
                            ErrorKind::InvalidArgument,
                            expr.span,
                            "NumberInt(…) needs a number or a string of digits",
                        ))
                    }
                };
                Ok(Bson::Int32(js_to_int32(js_parse_int(&text))))
            }
            ["NumberLong"] | ["Long"] => match evaluated(0)? {
                None => Ok(Bson::Int64(0)),
                Some(Bson::String(text)) => parse_long(&text).map(Bson::Int64).ok_or_else(|| {
                    self.error(
                        ErrorKind::InvalidArgument,
                        expr.span,
                        format!(
                            "NumberLong({}) is not a valid 64-bit integer",
                            serde_json::to_string(&text).unwrap_or(text.clone())
                        ),
                    )
                    .with_hint("write digits only, like NumberLong(\"9007199254740993\")")
                }),
                Some(value) => match number_of(&value) {
                    Some(n) => Ok(Bson::Int64(js_number_to_long(n))),
                    None => Err(self.error(
                        ErrorKind::InvalidArgument,
                        expr.span,
                        "NumberLong(…) needs a number or a string of digits",
                    )),
                },
            },
            ["NumberDecimal"] | ["Decimal128"] => {
                let text = match evaluated(0)? {
                    None => "0".to_string(),
                    Some(Bson::String(text)) => text,
                    Some(value) => match number_of(&value) {
                        Some(n) => js_number(n),
                        None => {
                            return Err(self.error(
                                ErrorKind::InvalidArgument,
                                expr.span,
                                "NumberDecimal(…) needs a number or a numeric string",
                            ))
                        }
                    },
                };
                text.parse::<Decimal128>().map(Bson::Decimal128).map_err(|_| {
                    self.error(
                        ErrorKind::InvalidArgument,
                        expr.span,
                        format!(
                            "{} is not a valid Decimal128 string",
                            serde_json::to_string(&text).unwrap_or(text.clone())
                        ),
                    )
                    .with_hint("write a decimal number in quotes, like NumberDecimal(\"19.99\")")
                })
            }
            ["RegExp"] => {
                let pattern = match evaluated(0)? {
                    Some(Bson::String(text)) => text,
                    Some(Bson::RegularExpression(regex)) => return Ok(Bson::RegularExpression(regex)),
                    _ => {
                        return Err(self.error(
                            ErrorKind::InvalidArgument,
                            expr.span,
                            "RegExp(…) needs the pattern as a string",
                        ))
                    }
                };
                let flags = match evaluated(1)? {
                    None | Some(Bson::Undefined) => String::new(),
                    Some(Bson::String(flags)) => flags,
                    Some(_) => {
                        return Err(self.error(
                            ErrorKind::InvalidArgument,
                            expr.span,
                            "the flags of RegExp(…) must be a string like \"i\"",
                        ))
                    }
                };
                if let Some(bad) = flags.chars().find(|c| !"dgimsuyv".contains(*c)) {
                    return Err(self.error(
                        ErrorKind::InvalidRegexFlags,
                        expr.span,
                        format!("`{bad}` is not a regular-expression flag"),
                    ));
                }
                self.regex(expr.span, &pattern, &flags)
            }
            _ => Err(self.not_constant(expr, &format!("the call `{}(…)`", path.join(".")))),
        }
    }

    fn object_id_error(&self, expr: &Expr) -> ParseError {
        self.error(
            ErrorKind::InvalidObjectId,
            expr.span,
            "BSONError: input must be a 24 character hex string, 12 byte Uint8Array, or an integer",
        )
        .with_hint("an ObjectId is written with 24 hex digits (0-9, a-f), like ObjectId(\"64b7f0c2a1b2c3d4e5f60718\")")
    }

    fn new_date(&self, expr: &Expr, args: &[Expr], depth: usize) -> Result<Bson, ParseError> {
        let values = args.iter().map(|arg| self.value(arg, depth + 1)).collect::<Result<Vec<_>, _>>()?;
        let invalid = || {
            self.error(ErrorKind::InvalidArgument, expr.span, "this makes an Invalid Date")
                .with_hint("use new Date(\"2024-01-31\"), new Date(2024, 0, 31) or new Date(milliseconds)")
        };
        let millis = match values.as_slice() {
            [] => return Ok(Bson::DateTime(self.resolver.now())),
            [Bson::DateTime(date)] => return Ok(Bson::DateTime(*date)),
            [Bson::String(text)] => parse_isodate(text).ok_or_else(invalid)?,
            [single] => {
                let n = number_of(single).ok_or_else(invalid)?;
                time_clip(n).ok_or_else(invalid)?
            }
            parts => {
                let mut numbers = [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
                for (slot, value) in numbers.iter_mut().zip(parts) {
                    *slot = number_of(value).ok_or_else(invalid)?;
                }
                let [mut year, month, day, hours, minutes, seconds, ms] = numbers;
                // Beyond ±300,000 years every date is out of JavaScript's range anyway; checking first keeps
                // the calendar arithmetic below far from integer overflow.
                if numbers.iter().any(|n| !n.is_finite() || n.abs() > 1e15) || year.abs() > 300_000.0 {
                    return Err(invalid());
                }
                let year_integer = year.trunc();
                if (0.0..=99.0).contains(&year_integer) {
                    year = 1900.0 + year_integer;
                }
                let total_months = year.trunc() * 12.0 + month.trunc();
                let whole_year = (total_months / 12.0).floor();
                let month_in_year = total_months - whole_year * 12.0;
                let days = days_from_civil(whole_year as i64, month_in_year as i64 + 1, 1) as f64 + day.trunc() - 1.0;
                let time =
                    hours.trunc() * 3_600_000.0 + minutes.trunc() * 60_000.0 + seconds.trunc() * 1000.0 + ms.trunc();
                time_clip(days * 86_400_000.0 + time).ok_or_else(invalid)?
            }
        };
        Ok(Bson::DateTime(DateTime::from_millis(millis)))
    }
}

/// JavaScript's `parseInt(text, 10)`: skips leading whitespace, reads an optional sign and the longest run of
/// decimal digits, ignores the rest (`"12abc"` → 12, `"1e3"` → 1); no digits gives NaN.
fn js_parse_int(text: &str) -> f64 {
    let trimmed = text.trim_start();
    let (negative, unsigned) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let digits: String = unsigned.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    let value = digits.parse::<f64>().unwrap_or(f64::NAN);
    if negative {
        -value
    } else {
        value
    }
}

fn number_of(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int32(n) => Some(f64::from(*n)),
        Bson::Double(n) => Some(*n),
        _ => None,
    }
}

/// JavaScript's ToInt32: truncate, wrap modulo 2³², NaN and infinities become 0.
fn js_to_int32(value: f64) -> i32 {
    if !value.is_finite() {
        return 0;
    }
    let wrapped = value.trunc().rem_euclid(4_294_967_296.0);
    if wrapped >= 2_147_483_648.0 {
        (wrapped - 4_294_967_296.0) as i32
    } else {
        wrapped as i32
    }
}

/// js-bson's `Long.fromNumber`: truncates, saturates at the 64-bit range, NaN becomes 0.
fn js_number_to_long(value: f64) -> i64 {
    if value.is_nan() {
        0
    } else {
        // `as` saturates at i64::MIN / i64::MAX.
        value.trunc() as i64
    }
}

fn parse_long(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    digits.parse::<i64>().ok()
}

/// ECMAScript TimeClip: a time value must be within ±8.64e15 ms.
fn time_clip(value: f64) -> Option<i64> {
    if !value.is_finite() || value.abs() > 8.64e15 {
        return None;
    }
    Some(value.trunc() as i64)
}

/// What `Date()` (called without `new`) returns in a UTC environment: `Tue Nov 24 2026 18:07:43 GMT+0000 (Coordinated Universal Time)`.
pub fn date_to_js_string(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let weekday = WEEKDAYS.get(days.rem_euclid(7) as usize).copied().unwrap_or("");
    let month_name = MONTHS.get((month - 1) as usize).copied().unwrap_or("");
    let year_text = if year < 0 { format!("-{:06}", -year) } else { format!("{year:04}") };
    format!(
        "{weekday} {month_name} {day:02} {year_text} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::parser::parse_expression;
    use bson::doc;
    use expect_test::{expect, Expect};
    use std::cell::Cell;

    /// Fixed clock (2024-05-06T07:08:09.010Z) and counting ObjectIds so results are reproducible.
    struct TestResolver {
        bindings: Document,
        counter: Cell<u8>,
    }

    impl Resolver for TestResolver {
        fn resolve_name(&self, name: &str) -> Option<Bson> {
            self.bindings.get(name).cloned()
        }
        fn now(&self) -> DateTime {
            DateTime::from_millis(1_714_979_289_010)
        }
        fn new_object_id(&self) -> ObjectId {
            self.counter.set(self.counter.get() + 1);
            let mut bytes = [0u8; 12];
            bytes[11] = self.counter.get();
            ObjectId::from_bytes(bytes)
        }
    }

    fn resolver() -> TestResolver {
        TestResolver {
            bindings: doc! {
                "req": { "body": { "username": "ada", "password": "pw" } },
                "courseId": ObjectId::parse_str("64b7f0c2a1b2c3d4e5f60718").unwrap(),
                "String": "<String>",
            },
            counter: Cell::new(0),
        }
    }

    fn show(source: &str) -> String {
        let expr = match parse_expression(source) {
            Ok(expr) => expr,
            Err(error) => return format!("parse error: {}", error.message),
        };
        match evaluate(&expr, source, &resolver()) {
            Ok(value) => format!("{value:?}"),
            Err(error) => {
                format!("error {}:{} {:?}: {}", error.span.line, error.span.column, error.kind, error.message)
            }
        }
    }

    fn check(source: &str, expected: Expect) {
        expected.assert_eq(&show(source));
    }

    #[test]
    fn numbers_follow_js_bson() {
        let table: &[(&str, Expect)] = &[
            ("1", expect!["Int32(1)"]),
            ("1.0", expect!["Int32(1)"]),
            ("-1", expect!["Int32(-1)"]),
            ("1.5", expect!["Double(1.5)"]),
            ("2147483647", expect!["Int32(2147483647)"]),
            ("2147483648", expect!["Double(2147483648.0)"]),
            ("-2147483648", expect!["Int32(-2147483648)"]),
            ("-2147483649", expect!["Double(-2147483649.0)"]),
            ("-0", expect!["Double(-0.0)"]),
            ("1e3", expect!["Int32(1000)"]),
            ("0x10", expect!["Int32(16)"]),
            ("Infinity", expect!["Double(inf)"]),
            ("-Infinity", expect!["Double(-inf)"]),
            ("NaN", expect!["Double(NaN)"]),
            ("1_000_000", expect!["Int32(1000000)"]),
            ("24 * 60 * 60 * 1000", expect!["Int32(86400000)"]),
            ("7 / 2", expect!["Double(3.5)"]),
            ("Number.MAX_SAFE_INTEGER", expect!["Double(9007199254740991.0)"]),
            ("NumberInt(5)", expect!["Int32(5)"]),
            ("NumberInt(\"42\")", expect!["Int32(42)"]),
            ("NumberInt(5.9)", expect!["Int32(5)"]),
            ("NumberInt(2147483648)", expect!["Int32(-2147483648)"]),
            ("NumberInt(\"abc\")", expect!["Int32(0)"]),
            ("NumberInt(\" -12abc\")", expect!["Int32(-12)"]),
            ("NumberInt(\"1e3\")", expect!["Int32(1)"]),
            ("NumberInt(1e21)", expect!["Int32(1)"]),
            ("NumberInt(\"4294967301\")", expect!["Int32(5)"]),
            ("NumberInt()", expect!["Int32(0)"]),
            (
                "NumberInt(true)",
                expect!["error 1:1 InvalidArgument: NumberInt(…) needs a number or a string of digits"],
            ),
            ("NumberLong(\"9007199254740993\")", expect!["Int64(9007199254740993)"]),
            ("NumberLong(5)", expect!["Int64(5)"]),
            ("NumberLong()", expect!["Int64(0)"]),
            (
                "NumberLong(\"12x\")",
                expect![[r#"error 1:1 InvalidArgument: NumberLong("12x") is not a valid 64-bit integer"#]],
            ),
            ("NumberDecimal(\"19.99\")", expect!["Decimal128(cf070000000000000000000000003c30)"]),
            ("NumberDecimal(1.5)", expect!["Decimal128(0f000000000000000000000000003e30)"]),
            (
                "NumberDecimal(\"abc\")",
                expect![[r#"error 1:1 InvalidArgument: "abc" is not a valid Decimal128 string"#]],
            ),
        ];
        for (source, expected) in table {
            expected.assert_eq(&show(source));
        }
    }

    #[test]
    fn documents_keep_key_order_and_resolve_names() {
        check(
            r#"{ z: 1, a: "x", 2: true, "b c": null, nested: { list: [1, "two", [3]] }, z: 9 }"#,
            expect![[
                r#"Document({"z": Int32(9), "a": String("x"), "2": Boolean(true), "b c": Null, "nested": Document({"list": Array([Int32(1), String("two"), Array([Int32(3)])])})})"#
            ]],
        );
        check(
            "{ username: req.body.username, password: req.body.password, missing: req.body.nope }",
            expect![[r#"Document({"username": String("ada"), "password": String("pw"), "missing": Undefined})"#]],
        );
        check(
            "{ $push: { purchasedCourses: courseId } }",
            expect![[r#"Document({"$push": Document({"purchasedCourses": ObjectId("64b7f0c2a1b2c3d4e5f60718")})})"#]],
        );
        check(
            "{ type: String, required: true }",
            expect![[r#"Document({"type": String("<String>"), "required": Boolean(true)})"#]],
        );
        check("{ who: nobody }", expect!["error 1:8 UnknownIdentifier: nobody is not defined"]);
        check(
            "req.nothing.deeper",
            expect!["error 1:1 NotConstant: TypeError: Cannot read properties of undefined (reading 'deeper')"],
        );
        check("req.nothing?.deeper", expect!["Undefined"]);
        check("req[\"body\"][\"username\"]", expect![[r#"String("ada")"#]]);
        check("\"a\" + \"b\" + 1", expect![[r#"String("ab1")"#]]);
        check("{ f: x => x }", expect!["error 1:6 NotConstant: a function cannot be used as a value here"]);
        check("{ a: foo(1) }", expect!["error 1:6 NotConstant: the call `foo(…)` cannot be used as a value here"]);
        check("{ a: 1 < 2 }", expect!["error 1:6 NotConstant: the `<` comparison cannot be used as a value here"]);
        check("`tpl`", expect![[r#"String("tpl")"#]]);
        check("undefined", expect!["Undefined"]);
    }

    #[test]
    fn object_ids_dates_and_regexes() {
        let table: &[(&str, Expect)] = &[
            ("ObjectId(\"64b7f0c2a1b2c3d4e5f60718\")", expect![[r#"ObjectId("64b7f0c2a1b2c3d4e5f60718")"#]]),
            ("new ObjectId()", expect![[r#"ObjectId("000000000000000000000001")"#]]),
            ("new mongoose.Types.ObjectId(\"64b7f0c2a1b2c3d4e5f60718\")", expect![[r#"ObjectId("64b7f0c2a1b2c3d4e5f60718")"#]]),
            ("ObjectId(\"xyz\")", expect!["error 1:1 InvalidObjectId: BSONError: input must be a 24 character hex string, 12 byte Uint8Array, or an integer"]),
            ("ObjectId(\"64b7f0c2a1b2c3d4e5f6071z\")", expect!["error 1:1 InvalidObjectId: BSONError: input must be a 24 character hex string, 12 byte Uint8Array, or an integer"]),
            ("ISODate(\"2024-01-31\")", expect!["DateTime(2024-01-31 0:00:00.0 +00:00:00)"]),
            ("ISODate(\"2024-01-31T10:20:30.5Z\")", expect!["DateTime(2024-01-31 10:20:30.5 +00:00:00)"]),
            ("ISODate(\"20201002 102950+0200\")", expect!["DateTime(2020-10-02 8:29:50.0 +00:00:00)"]),
            ("ISODate(\"2020-10-02T10:29:50-02:00\")", expect!["DateTime(2020-10-02 12:29:50.0 +00:00:00)"]),
            ("ISODate(\"1815-12-10\")", expect!["DateTime(1815-12-10 0:00:00.0 +00:00:00)"]),
            ("ISODate()", expect!["DateTime(2024-05-06 7:08:09.01 +00:00:00)"]),
            ("ISODate(\"1/4/1977\")", expect![[r#"error 1:1 InvalidIsoDate: "1/4/1977" is not a valid ISODate"#]]),
            ("ISODate(\"9999-12-31T23:99:59.999Z\")", expect![[r#"error 1:1 InvalidIsoDate: "9999-12-31T23:99:59.999Z" is not a valid ISODate"#]]),
            ("new Date()", expect!["DateTime(2024-05-06 7:08:09.01 +00:00:00)"]),
            ("new Date(0)", expect!["DateTime(1970-01-01 0:00:00.0 +00:00:00)"]),
            ("new Date(\"2024-02-29T12:00:00Z\")", expect!["DateTime(2024-02-29 12:00:00.0 +00:00:00)"]),
            ("new Date(2024, 0, 31)", expect!["DateTime(2024-01-31 0:00:00.0 +00:00:00)"]),
            ("new Date(2024, 12, 1, 10, 30)", expect!["DateTime(2025-01-01 10:30:00.0 +00:00:00)"]),
            ("new Date(99, 0)", expect!["DateTime(1999-01-01 0:00:00.0 +00:00:00)"]),
            ("new Date(Date.now() - 24 * 60 * 60 * 1000)", expect!["DateTime(2024-05-05 7:08:09.01 +00:00:00)"]),
            ("new Date(\"yesterday\")", expect!["error 1:1 InvalidArgument: this makes an Invalid Date"]),
            ("new Date(1e300, 0)", expect!["error 1:1 InvalidArgument: this makes an Invalid Date"]),
            ("new Date(275760, 8, 13)", expect!["DateTime(8640000000000000)"]),
            ("new Date(275760, 8, 14)", expect!["error 1:1 InvalidArgument: this makes an Invalid Date"]),
            ("new Date(8.64e15 + 1)", expect!["error 1:1 InvalidArgument: this makes an Invalid Date"]),
            ("Date.now()", expect!["Double(1714979289010.0)"]),
            ("Date()", expect![[r#"String("Mon May 06 2024 07:08:09 GMT+0000 (Coordinated Universal Time)")"#]]),
            ("/^ada/i", expect![[r#"Regex { pattern: "^ada", options: "i" }"#]]),
            ("/a/gim", expect![[r#"Regex { pattern: "a", options: "ims" }"#]]),
            ("/a/suy", expect![[r#"Regex { pattern: "a", options: "" }"#]]),
            ("new RegExp(\"^ad\", \"i\")", expect![[r#"Regex { pattern: "^ad", options: "i" }"#]]),
            ("RegExp(\"x\", \"q\")", expect!["error 1:1 InvalidRegexFlags: `q` is not a regular-expression flag"]),
        ];
        for (source, expected) in table {
            expected.assert_eq(&show(source));
        }
    }

    #[test]
    fn driver_form_turns_nested_undefined_into_null() {
        let value = Bson::Document(doc! { "a": Bson::Undefined, "b": [Bson::Undefined, 1] });
        assert_eq!(driver_form(value), Bson::Document(doc! { "a": Bson::Null, "b": [Bson::Null, 1] }));
        assert_eq!(driver_form(Bson::Undefined), Bson::Undefined);
    }

    #[test]
    fn calendar_round_trips() {
        for days in [-800_000, -719_468, -1, 0, 1, 59, 365, 11_016, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(1970, 13, 1), days_from_civil(1971, 1, 1));
        assert_eq!(days_from_civil(1970, 0, 1), days_from_civil(1969, 12, 1));
        let _ = days_from_civil(i64::MAX, i64::MIN, i64::MAX);
        let _ = civil_from_days(i64::MIN);
        let _ = civil_from_days(i64::MAX);
        assert_eq!(date_to_js_string(0), "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)");
        assert_eq!(js_to_int32(4_294_967_301.0), 5);
        assert_eq!(js_to_int32(-1.5), -1);
    }

    #[test]
    fn evaluate_document_requires_an_object() {
        let source = "[1]";
        let expr = parse_expression(source).unwrap();
        let error = evaluate_document(&expr, source, &resolver()).unwrap_err();
        assert_eq!(error.message, "expected a document `{ … }` here, but this is an array");
    }
}
