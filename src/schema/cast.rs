//! Mongoose's casters for each scalar type (lib/cast/*.js) and its String setters (trim, lowercase, uppercase),
//! on BSON values interpreted the way JavaScript would see them.

use bson::{oid::ObjectId, Binary, Bson};

use super::definition::{PathDef, ScalarType};
use super::errors::CastError;
use super::trace::{SetterKind, Trace, TraceStep};
use crate::js::dates::{parse_js_date, MAX_DATE_MILLIS};
use crate::js::inspect::{js_number, js_number_value, js_string, number_to_bson};

/// The `kind` a failed cast reports for each type.
pub fn cast_kind(t: ScalarType) -> &'static str {
    match t {
        ScalarType::String => "string",
        ScalarType::Number => "Number",
        ScalarType::Boolean => "Boolean",
        ScalarType::Date => "date",
        ScalarType::ObjectId => "ObjectId",
        ScalarType::Buffer => "Buffer",
        ScalarType::Mixed => "Mixed",
    }
}

/// The constructor name of the caster's own error (only `CastError` shows up in messages).
fn cast_reason(t: ScalarType) -> Option<&'static str> {
    match t {
        ScalarType::Boolean => Some("CastError"),
        ScalarType::Number => Some("Error"),
        ScalarType::Date => Some("AssertionError"),
        ScalarType::ObjectId => Some("BSONError"),
        _ => None,
    }
}

/// Casts `value` to a scalar type; `path` is used for the error.
pub fn cast_scalar(t: ScalarType, value: &Bson, path: &str) -> Result<Bson, Box<CastError>> {
    if matches!(value, Bson::Null | Bson::Undefined) {
        return Ok(Bson::Null);
    }
    let cast = match t {
        ScalarType::String => cast_string(value),
        ScalarType::Number => cast_number(value),
        ScalarType::Boolean => cast_boolean(value),
        ScalarType::Date => cast_date(value),
        ScalarType::ObjectId => cast_object_id(value),
        ScalarType::Buffer => cast_buffer(value),
        ScalarType::Mixed => Some(value.clone()),
    };
    cast.ok_or_else(|| Box::new(CastError::new(cast_kind(t), value, path, cast_reason(t))))
}

/// `castString`: anything with a useful `toString()`; plain objects and arrays fail.
pub fn cast_string(value: &Bson) -> Option<Bson> {
    match value {
        Bson::String(_) => Some(value.clone()),
        Bson::Document(doc) => match doc.get("_id") {
            Some(Bson::String(id)) => Some(Bson::String(id.clone())),
            _ => None,
        },
        Bson::Array(_) => None,
        other => Some(Bson::String(js_string(other))),
    }
}

/// JavaScript's `Number(string)`.
pub fn js_string_to_number(text: &str) -> f64 {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = trimmed.strip_prefix(prefix) {
            if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                return f64::NAN;
            }
            return digits
                .chars()
                .fold(0.0, |acc, c| acc * f64::from(radix) + f64::from(c.to_digit(radix).unwrap_or(0)));
        }
    }
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if unsigned == "Infinity" {
        return if trimmed.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    if !is_decimal_literal(unsigned) {
        return f64::NAN;
    }
    trimmed.parse::<f64>().unwrap_or(f64::NAN)
}

fn is_decimal_literal(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    let int_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - int_start;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == bytes.len()
}

/// `castNumber`: numeric strings (`"42"`, `"1e2"`, `" 7 "`), booleans, dates; `""` becomes null.
pub fn cast_number(value: &Bson) -> Option<Bson> {
    let x = match value {
        Bson::String(s) if s.is_empty() => return Some(Bson::Null),
        Bson::String(s) => js_string_to_number(s),
        Bson::Boolean(b) => f64::from(u8::from(*b)),
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => js_number_value(value).unwrap_or(f64::NAN),
        Bson::DateTime(d) => d.timestamp_millis() as f64,
        Bson::Document(doc) => match doc.get("_id") {
            Some(id) if !matches!(id, Bson::Document(_)) => return cast_number(id),
            _ => f64::NAN,
        },
        _ => f64::NAN,
    };
    if x.is_nan() {
        return None;
    }
    Some(number_to_bson(x))
}

/// `castBoolean`: `true "true" 1 "1" "yes"` and `false "false" 0 "0" "no"`.
pub fn cast_boolean(value: &Bson) -> Option<Bson> {
    match value {
        Bson::Boolean(_) => Some(value.clone()),
        Bson::String(s) => match s.as_str() {
            "true" | "1" | "yes" => Some(Bson::Boolean(true)),
            "false" | "0" | "no" => Some(Bson::Boolean(false)),
            _ => None,
        },
        other => match js_number_value(other) {
            Some(1.0) => Some(Bson::Boolean(true)),
            Some(0.0) => Some(Bson::Boolean(false)),
            _ => None,
        },
    }
}

fn date_from_millis(x: f64) -> Option<Bson> {
    if !x.is_finite() || x.abs() > MAX_DATE_MILLIS {
        return None;
    }
    Some(Bson::DateTime(bson::DateTime::from_millis(x.trunc() as i64)))
}

/// `castDate`: dates, epoch milliseconds, ISO-8601 strings; `""` becomes null.
pub fn cast_date(value: &Bson) -> Option<Bson> {
    match value {
        Bson::String(s) if s.is_empty() => Some(Bson::Null),
        Bson::DateTime(_) => Some(value.clone()),
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => {
            date_from_millis(js_number_value(value).unwrap_or(f64::NAN))
        }
        Bson::String(s) => {
            let as_number = js_string_to_number(s);
            if !as_number.is_nan() && !(-271_820.0..275_761.0).contains(&as_number) {
                return date_from_millis(as_number);
            }
            parse_js_date(s).map(|ms| Bson::DateTime(bson::DateTime::from_millis(ms)))
        }
        _ => None,
    }
}

fn object_id_from_string(text: &str) -> Option<Bson> {
    if text.len() == 24 {
        return ObjectId::parse_str(text).ok().map(Bson::ObjectId);
    }
    None
}

/// `castObjectId`: ObjectIds, 24-hex strings, documents with an `_id`.
pub fn cast_object_id(value: &Bson) -> Option<Bson> {
    match value {
        Bson::ObjectId(_) => Some(value.clone()),
        Bson::Document(doc) => match doc.get("_id") {
            Some(Bson::ObjectId(oid)) => Some(Bson::ObjectId(*oid)),
            Some(id) if !matches!(id, Bson::Null | Bson::Boolean(false)) => object_id_from_string(&js_string(id)),
            _ => None,
        },
        Bson::String(s) => object_id_from_string(s),
        Bson::Array(_) => None,
        other => object_id_from_string(&js_string(other)),
    }
}

/// Buffers from strings (UTF-8), byte arrays and binary values.
pub fn cast_buffer(value: &Bson) -> Option<Bson> {
    let bytes = match value {
        Bson::Binary(_) => return Some(value.clone()),
        Bson::String(s) => s.as_bytes().to_vec(),
        Bson::Array(items) => items
            .iter()
            .map(|item| js_number_value(item).map(|x| (x as i64 & 0xff) as u8))
            .collect::<Option<Vec<u8>>>()?,
        _ => return None,
    };
    Some(Bson::Binary(Binary { subtype: bson::spec::BinarySubtype::Generic, bytes }))
}

/// Runs a path's setters, last declared first, as `SchemaType.prototype._applySetters` does: `trim`,
/// `lowercase` and `uppercase` (which cast a non-string first and leave `null`/`undefined` alone) and the
/// program's `set` function, whose answer the runtime computed (`functions::setter_value`; skipped when no cast
/// asked for it).
pub fn apply_setters(def: &PathDef, value: &Bson, path: &str, trace: &mut Trace) -> Result<Bson, Box<CastError>> {
    let mut current = value.clone();
    for setter in def.setters.iter().rev() {
        if *setter == SetterKind::Function {
            let Some(function) = def.setter else { continue };
            let Some(after) = super::functions::setter_value(path, function, &current) else { continue };
            trace.push(TraceStep::Setter {
                path: path.to_string(),
                setter: SetterKind::Function,
                before: current.clone(),
                after: after.clone(),
            });
            current = after;
            continue;
        }
        if matches!(current, Bson::Null | Bson::Undefined) {
            continue;
        }
        let as_string = match &current {
            Bson::String(s) => s.clone(),
            other => match cast_scalar(ScalarType::String, other, path)? {
                Bson::String(s) => s,
                _ => continue,
            },
        };
        let changed = match setter {
            SetterKind::Trim => as_string.trim().to_string(),
            SetterKind::Lowercase => as_string.to_lowercase(),
            SetterKind::Uppercase => as_string.to_uppercase(),
            SetterKind::Function => continue,
        };
        let after = Bson::String(changed);
        trace.push(TraceStep::Setter {
            path: path.to_string(),
            setter: *setter,
            before: current.clone(),
            after: after.clone(),
        });
        current = after;
    }
    Ok(current)
}

/// `SchemaType.applySetters` for a scalar path: setters, then the caster.
pub fn setters_then_cast(
    def: &PathDef,
    t: ScalarType,
    value: &Bson,
    path: &str,
    trace: &mut Trace,
) -> Result<Bson, Box<CastError>> {
    let after_setters = apply_setters(def, value, path, trace)?;
    match cast_scalar(t, &after_setters, path) {
        Ok(cast) => {
            trace.push(TraceStep::cast(path, &after_setters, &cast));
            Ok(cast)
        }
        Err(e) => {
            trace.push(TraceStep::CastFailed {
                path: path.to_string(),
                input: after_setters,
                message: e.message.clone(),
            });
            Err(e)
        }
    }
}

/// Shown in messages: `js_number` for numbers, `String(v)` otherwise.
pub fn value_text(value: &Bson) -> String {
    match js_number_value(value) {
        Some(x) => js_number(x),
        None => js_string(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::bson;

    fn ok(t: ScalarType, v: Bson) -> Bson {
        cast_scalar(t, &v, "p").unwrap()
    }

    #[test]
    fn strings() {
        assert_eq!(ok(ScalarType::String, bson!(12345)), bson!("12345"));
        assert_eq!(ok(ScalarType::String, bson!(true)), bson!("true"));
        assert_eq!(ok(ScalarType::String, bson!(36.5)), bson!("36.5"));
        let e = cast_scalar(ScalarType::String, &bson!({"first": "ada"}), "username").unwrap_err();
        assert_eq!(e.kind, "string");
        assert_eq!(
            e.message,
            "Cast to string failed for value \"{ first: 'ada' }\" (type Object) at path \"username\""
        );
        assert!(cast_scalar(ScalarType::String, &bson!(["a"]), "p").is_err());
    }

    #[test]
    fn numbers() {
        let cases = [
            (bson!("42"), bson!(42)),
            (bson!("1e2"), bson!(100)),
            (bson!(" 7 "), bson!(7)),
            (bson!("0x10"), bson!(16)),
            (bson!(""), Bson::Null),
            (bson!(true), bson!(1)),
            (bson!(36.6), bson!(36.6)),
            (bson!(42.0), bson!(42)),
            (bson!("-2.5"), bson!(-2.5)),
        ];
        for (input, expected) in cases {
            assert_eq!(ok(ScalarType::Number, input.clone()), expected, "{input:?}");
        }
        for bad in [bson!("x"), bson!([5]), bson!({"n": 5}), bson!("1e"), bson!("inf"), bson!("NaN")] {
            assert!(cast_scalar(ScalarType::Number, &bad, "p").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn booleans() {
        for (input, expected) in [
            (bson!("yes"), true),
            (bson!("1"), true),
            (bson!(1), true),
            (bson!(1.0), true),
            (bson!("no"), false),
            (bson!(0), false),
            (bson!("false"), false),
        ] {
            assert_eq!(ok(ScalarType::Boolean, input), Bson::Boolean(expected));
        }
        let e = cast_scalar(ScalarType::Boolean, &bson!("maybe"), "premium").unwrap_err();
        assert!(e.message.ends_with("because of \"CastError\""));
    }

    #[test]
    fn dates() {
        let d = |iso: &str| Bson::DateTime(bson::DateTime::parse_rfc3339_str(iso).unwrap());
        assert_eq!(ok(ScalarType::Date, bson!("2020-01-02")), d("2020-01-02T00:00:00Z"));
        assert_eq!(ok(ScalarType::Date, bson!("2020-01-02T03:04:05.678Z")), d("2020-01-02T03:04:05.678Z"));
        assert_eq!(ok(ScalarType::Date, bson!("2020-01-02T03:04:05+01:00")), d("2020-01-02T02:04:05Z"));
        assert_eq!(ok(ScalarType::Date, bson!(0)), d("1970-01-01T00:00:00Z"));
        assert_eq!(ok(ScalarType::Date, bson!("1577836800000")), d("2020-01-01T00:00:00Z"));
        assert_eq!(ok(ScalarType::Date, bson!("")), Bson::Null);
        for (informal, iso) in [
            ("March 7, 2024", "2024-03-07T00:00:00Z"),
            ("7 Mar 2024 10:30", "2024-03-07T10:30:00Z"),
            ("3/7/2024", "2024-03-07T00:00:00Z"),
            ("2024/03/07", "2024-03-07T00:00:00Z"),
            ("Thu, 07 Mar 2024 10:30:00 GMT", "2024-03-07T10:30:00Z"),
            ("Thu Mar 07 2024 10:30:00 GMT+0100 (Central European Standard Time)", "2024-03-07T09:30:00Z"),
            ("Mar 7 2024 2:05 pm", "2024-03-07T14:05:00Z"),
        ] {
            assert_eq!(ok(ScalarType::Date, bson!(informal)), d(iso), "{informal}");
        }
        for bad in ["March", "7 2024", "Marchy 7 2024 x", "13/45/2024", "soon"] {
            assert!(cast_scalar(ScalarType::Date, &bson!(bad), "p").is_err(), "{bad}");
        }
        let e = cast_scalar(ScalarType::Date, &bson!("yesterday"), "joined").unwrap_err();
        assert_eq!(e.message, "Cast to date failed for value \"yesterday\" (type string) at path \"joined\"");
        assert!(cast_scalar(ScalarType::Date, &bson!(true), "p").is_err());
    }

    #[test]
    fn object_ids() {
        let oid = ObjectId::parse_str("000000000000000000000065").unwrap();
        assert_eq!(ok(ScalarType::ObjectId, bson!("000000000000000000000065")), Bson::ObjectId(oid));
        assert_eq!(ok(ScalarType::ObjectId, bson!({"_id": oid})), Bson::ObjectId(oid));
        let e = cast_scalar(ScalarType::ObjectId, &bson!("bad"), "_id").unwrap_err();
        assert_eq!(e.message, "Cast to ObjectId failed for value \"bad\" (type string) at path \"_id\"");
        assert!(cast_scalar(ScalarType::ObjectId, &bson!(5), "p").is_err());
    }

    #[test]
    fn setters_run_last_first_and_cast_non_strings() {
        let mut def = PathDef::of(super::super::definition::FieldType::Scalar(ScalarType::String));
        def.setters = vec![SetterKind::Trim, SetterKind::Lowercase];
        let mut trace = Trace::new();
        let out = setters_then_cast(&def, ScalarType::String, &bson!("  ALAN  "), "username", &mut trace).unwrap();
        assert_eq!(out, bson!("alan"));
        assert!(matches!(trace.first(), Some(TraceStep::Setter { setter: SetterKind::Lowercase, .. })));
        let out = setters_then_cast(&def, ScalarType::String, &bson!(12), "username", &mut trace).unwrap();
        assert_eq!(out, bson!("12"));
    }

    #[test]
    fn a_set_function_runs_at_its_place_in_the_chain_with_the_answer_the_runtime_computed() {
        use crate::schema::functions::{collect_setter_calls, with_setter_answers, SetterCall};
        // `{ trim: true, set: fn, uppercase: true }`: uppercase, then the function, then trim.
        let mut def = PathDef::of(super::super::definition::FieldType::Scalar(ScalarType::String));
        def.setters = vec![SetterKind::Trim, SetterKind::Function, SetterKind::Uppercase];
        def.setter = Some(4);
        let (out, calls) = collect_setter_calls(|| {
            setters_then_cast(&def, ScalarType::String, &bson!(" ab "), "name", &mut Trace::new()).unwrap()
        });
        assert_eq!(out, bson!("AB"));
        assert_eq!(calls, vec![SetterCall { path: "name".into(), function: 4, value: bson!(" AB ") }]);
        let answers = vec![(calls[0].clone(), bson!(" AB x"))];
        let mut trace = Trace::new();
        let out = with_setter_answers(&answers, || {
            setters_then_cast(&def, ScalarType::String, &bson!(" ab "), "name", &mut trace).unwrap()
        });
        assert_eq!(out, bson!("AB x"));
        let kinds: Vec<SetterKind> = trace
            .iter()
            .filter_map(|step| match step {
                TraceStep::Setter { setter, .. } => Some(*setter),
                _ => None,
            })
            .collect();
        assert_eq!(kinds, vec![SetterKind::Uppercase, SetterKind::Function, SetterKind::Trim]);
        // Outside a collecting or answering cast (a save of a built document) the function is skipped.
        let out = setters_then_cast(&def, ScalarType::String, &bson!(" ab "), "name", &mut Trace::new()).unwrap();
        assert_eq!(out, bson!("AB"));
    }
}
