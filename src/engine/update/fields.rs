//! Field update operators: `$set`, `$unset`, `$inc`, `$mul`, `$min`, `$max`, `$rename`, `$setOnInsert`, `$currentDate`.

use super::path::{describe_element, describe_id, parse_index};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::value::{compare, is_number};
use bson::{Bson, Document};
use std::cmp::Ordering;

/// One field operator with its parsed argument.
#[derive(Debug, Clone)]
pub(crate) enum FieldOp {
    Set(Bson),
    Unset,
    Inc(Bson),
    Mul(Bson),
    Min(Bson),
    Max(Bson),
    SetOnInsert(Bson),
    CurrentDate {
        timestamp: bool,
    },
    /// The destination side of `$rename`: reads the source from the document as it was before the update.
    RenameTo {
        from: Vec<String>,
        from_dotted: String,
    },
    /// The source side of `$rename`: removes the source field (and reserves its path against conflicts).
    RenameFrom,
}

/// Parses one `field: argument` pair of a field operator; `$rename` is checked by [`check_rename`].
pub(crate) fn parse(op: &str, field: &str, arg: &Bson) -> MongoResult<FieldOp> {
    Ok(match op {
        "$set" => FieldOp::Set(arg.clone()),
        "$unset" => FieldOp::Unset,
        "$setOnInsert" => FieldOp::SetOnInsert(arg.clone()),
        "$inc" | "$mul" => {
            if !is_number(arg) {
                let verb = if op == "$inc" { "increment" } else { "multiply" };
                return Err(MongoError::type_mismatch(format!(
                    "Cannot {verb} with non-numeric argument: {{{}}}",
                    describe_element(field, arg)
                )));
            }
            if op == "$inc" {
                FieldOp::Inc(arg.clone())
            } else {
                FieldOp::Mul(arg.clone())
            }
        }
        "$min" => FieldOp::Min(arg.clone()),
        "$max" => FieldOp::Max(arg.clone()),
        "$currentDate" => FieldOp::CurrentDate {
            timestamp: parse_current_date(arg)?,
        },
        other => {
            return Err(MongoError::failed_to_parse(format!(
                "Unknown modifier: {other}. Expected a valid update modifier or pipeline-style update specified as an array"
            )))
        }
    })
}

/// `$currentDate: {field: true | {$type: "date" | "timestamp"}}`; returns true for a timestamp.
fn parse_current_date(arg: &Bson) -> MongoResult<bool> {
    match arg {
        Bson::Boolean(_) => Ok(false),
        Bson::Document(spec) => {
            let mut timestamp = None;
            for (key, value) in spec {
                if key != "$type" {
                    return Err(MongoError::bad_value(format!(
                        "Unrecognized $currentDate option: {key}"
                    )));
                }
                match value.as_str() {
                    Some("date") => timestamp = Some(false),
                    Some("timestamp") => timestamp = Some(true),
                    _ => {}
                }
            }
            timestamp.ok_or_else(|| {
                MongoError::bad_value(
                    "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}",
                )
            })
        }
        other => Err(MongoError::bad_value(format!(
            "{} is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({{$type: 'timestamp/date'}}).",
            crate::engine::value::type_name(other)
        ))),
    }
}

/// The checks `$rename` makes on its (already split) source and destination paths.
pub(crate) fn check_rename(from: &str, from_parts: &[String], to: &str, to_parts: &[String]) -> MongoResult<()> {
    let quoted = describe_element(from, &Bson::String(to.to_string()));
    if from_parts == to_parts {
        return Err(MongoError::bad_value(format!("The source and target field for $rename must differ: {quoted}")));
    }
    if from_parts.starts_with(to_parts) || to_parts.starts_with(from_parts) {
        return Err(MongoError::bad_value(format!(
            "The source and target field for $rename must not be on the same path: {quoted}"
        )));
    }
    if from_parts.iter().any(|p| super::path::is_dynamic_part(p)) {
        return Err(MongoError::bad_value(format!("The source field for $rename may not be dynamic: {from}")));
    }
    if to_parts.iter().any(|p| super::path::is_dynamic_part(p)) {
        return Err(MongoError::bad_value(format!("The destination field for $rename may not be dynamic: {to}")));
    }
    Ok(())
}

impl FieldOp {
    /// True for operators that create the field when it is missing.
    pub(crate) fn creates(&self) -> bool {
        !matches!(self, FieldOp::Unset | FieldOp::RenameFrom)
    }

    /// `$currentDate` counts as a modification even when the clock has not moved.
    pub(crate) fn always_modifies(&self) -> bool {
        matches!(self, FieldOp::CurrentDate { .. })
    }

    /// Changes an existing value in place. `name` is the field's name, `path` the dotted path taken.
    pub(crate) fn update_existing(
        &self,
        value: &mut Bson,
        name: &str,
        doc_root: &Document,
        now: bson::DateTime,
    ) -> MongoResult<()> {
        match self {
            FieldOp::Set(new) | FieldOp::SetOnInsert(new) => *value = new.clone(),
            FieldOp::Inc(by) | FieldOp::Mul(by) => {
                let is_inc = matches!(self, FieldOp::Inc(_));
                if !is_number(value) {
                    return Err(MongoError::type_mismatch(format!(
                        "Cannot apply {} to a value of non-numeric type. {{{}}} has the field '{name}' of non-numeric type {}",
                        if is_inc { "$inc" } else { "$mul" },
                        describe_id(doc_root),
                        crate::engine::value::type_name(value)
                    )));
                }
                *value = arithmetic(value, by, is_inc).ok_or_else(|| {
                    MongoError::bad_value(format!(
                        "Failed to apply {} operations to current value ({}) for document {{{}}}",
                        if is_inc { "$inc" } else { "$mul" },
                        safe_num_debug(value),
                        describe_id(doc_root)
                    ))
                })?;
            }
            FieldOp::Min(bound) => {
                if compare(bound, value) == Ordering::Less {
                    *value = bound.clone();
                }
            }
            FieldOp::Max(bound) => {
                if compare(bound, value) == Ordering::Greater {
                    *value = bound.clone();
                }
            }
            FieldOp::CurrentDate { timestamp } => *value = current_date(*timestamp, now),
            // Removal and renames are handled by the caller, which owns the slot.
            FieldOp::Unset | FieldOp::RenameFrom | FieldOp::RenameTo { .. } => {}
        }
        Ok(())
    }

    /// The value to create when the field is missing; `None` leaves it missing.
    pub(crate) fn create(&self, is_upsert_insert: bool, now: bson::DateTime) -> MongoResult<Option<Bson>> {
        Ok(match self {
            FieldOp::Set(value) | FieldOp::Min(value) | FieldOp::Max(value) => Some(value.clone()),
            FieldOp::SetOnInsert(value) => is_upsert_insert.then(|| value.clone()),
            FieldOp::Inc(by) => Some(by.clone()),
            // $mul on a missing field creates a zero of the argument's type.
            FieldOp::Mul(by) => Some(zero_like(by)),
            FieldOp::CurrentDate { timestamp } => Some(current_date(*timestamp, now)),
            FieldOp::Unset | FieldOp::RenameFrom | FieldOp::RenameTo { .. } => None,
        })
    }
}

/// Reads the source of a `$rename` from the document before the update, as the server does: the path
/// is followed through documents and (by index) arrays; a missing source is `None`; a path running into
/// a scalar, or into an array by a field name, is not viable; a source inside an array is refused.
pub(crate) fn rename_source(original: &Document, from: &[String], from_dotted: &str) -> MongoResult<Option<Bson>> {
    let not_viable = |name: &str, value: &Bson| {
        MongoError::new(
            ErrorCode::PathNotViable,
            format!(
                "cannot use the part ({name} of {from_dotted}) to traverse the element ({{{}}})",
                describe_element(name, value)
            ),
        )
    };
    let Some((first, rest)) = from.split_first() else {
        return Ok(None);
    };
    let Some(mut current) = original.get(first) else {
        return Ok(None);
    };
    let mut name = first.as_str();
    // The innermost array the path went through, named as the server names it.
    let mut array_parent: Option<&str> = None;
    for part in rest {
        let next = match current {
            Bson::Document(doc) => doc.get(part),
            Bson::Array(items) => match parse_index(part) {
                Some(index) => {
                    array_parent = Some(name);
                    items.get(index)
                }
                None => return Err(not_viable(name, current)),
            },
            scalar => return Err(not_viable(name, scalar)),
        };
        let Some(next) = next else {
            return Ok(None);
        };
        current = next;
        name = part;
    }
    if let Some(array) = array_parent {
        return Err(MongoError::bad_value(format!(
            "The source field cannot be an array element, '{from_dotted}' in doc with {} has an array field called '{array}'",
            describe_id(original)
        )));
    }
    Ok(Some(current.clone()))
}

/// A number as the server's `SafeNum::debugString` prints it in arithmetic overflow errors.
fn safe_num_debug(value: &Bson) -> String {
    match value {
        Bson::Int32(i) => format!("(NumberInt){i}"),
        Bson::Int64(i) => format!("(NumberLong){i}"),
        Bson::Double(d) => format!("(NumberDouble){d}"),
        other => format!("(NumberDecimal){}", super::path::describe(other)),
    }
}

fn current_date(timestamp: bool, now: bson::DateTime) -> Bson {
    if timestamp {
        let seconds = u32::try_from(now.timestamp_millis().max(0) / 1000).unwrap_or(u32::MAX);
        Bson::Timestamp(bson::Timestamp { time: seconds, increment: 1 })
    } else {
        Bson::DateTime(now)
    }
}

fn zero_like(value: &Bson) -> Bson {
    match value {
        Bson::Int32(_) => Bson::Int32(0),
        Bson::Int64(_) => Bson::Int64(0),
        Bson::Decimal128(_) => "0".parse::<bson::Decimal128>().map(Bson::Decimal128).unwrap_or(Bson::Double(0.0)),
        _ => Bson::Double(0.0),
    }
}

/// `$inc`/`$mul` with MongoDB's type promotion: int32 widens to int64 on overflow, any double makes a
/// double, any decimal makes a decimal. `None` when a 64-bit result overflows.
fn arithmetic(current: &Bson, operand: &Bson, add: bool) -> Option<Bson> {
    let as_i64 = |v: &Bson| match v {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        _ => None,
    };
    if matches!(current, Bson::Decimal128(_)) || matches!(operand, Bson::Decimal128(_)) {
        let x = crate::engine::value::as_f64(current)?;
        let y = crate::engine::value::as_f64(operand)?;
        let result = if add { x + y } else { x * y };
        return result.to_string().parse::<bson::Decimal128>().ok().map(Bson::Decimal128);
    }
    if let (Some(x), Some(y)) = (as_i64(current), as_i64(operand)) {
        let result = if add { x.checked_add(y)? } else { x.checked_mul(y)? };
        let both_int32 = matches!(current, Bson::Int32(_)) && matches!(operand, Bson::Int32(_));
        return Some(match i32::try_from(result) {
            Ok(small) if both_int32 => Bson::Int32(small),
            _ => Bson::Int64(result),
        });
    }
    let x = crate::engine::value::as_f64(current)?;
    let y = crate::engine::value::as_f64(operand)?;
    Some(Bson::Double(if add { x + y } else { x * y }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::engine::update::path::split_update_path;
    use bson::{bson, doc};

    fn now() -> bson::DateTime {
        bson::DateTime::from_millis(1_700_000_000_000)
    }

    fn run(op: &FieldOp, start: Bson) -> MongoResult<Bson> {
        let mut value = start;
        op.update_existing(&mut value, "age", &doc! {"_id": 3}, now())?;
        Ok(value)
    }

    #[test]
    fn inc_and_mul_promote_types() {
        let table = [
            (FieldOp::Inc(bson!(1)), bson!(36), bson!(37)),
            (FieldOp::Inc(bson!(-36.5)), bson!(36), bson!(-0.5)),
            (FieldOp::Inc(bson!(1)), Bson::Int32(i32::MAX), Bson::Int64(2_147_483_648)),
            (FieldOp::Inc(Bson::Int64(1)), bson!(1), Bson::Int64(2)),
            (FieldOp::Mul(bson!(2)), bson!(36), bson!(72)),
            (FieldOp::Mul(bson!(1)), bson!(28.5), bson!(28.5)),
        ];
        for (op, start, expected) in table {
            assert_eq!(run(&op, start).unwrap(), expected, "{op:?}");
        }
    }

    #[test]
    fn inc_rejects_non_numeric_values_and_arguments() {
        let err = run(&FieldOp::Inc(bson!(1)), bson!("85")).unwrap_err();
        assert_eq!(
            err.message,
            "Cannot apply $inc to a value of non-numeric type. {_id: 3} has the field 'age' of non-numeric type string"
        );
        let err = parse("$inc", "age", &bson!("1")).unwrap_err();
        assert_eq!(err.message, "Cannot increment with non-numeric argument: {age: \"1\"}");
        assert_eq!(err.code, 14);
    }

    #[test]
    fn long_overflow_is_an_error() {
        let err = run(&FieldOp::Inc(bson!(1)), Bson::Int64(i64::MAX)).unwrap_err();
        assert_eq!(
            err.message,
            "Failed to apply $inc operations to current value ((NumberLong)9223372036854775807) for document {_id: 3}"
        );
    }

    #[test]
    fn min_and_max_compare_in_bson_order() {
        assert_eq!(run(&FieldOp::Min(bson!(30)), bson!(36)).unwrap(), bson!(30));
        assert_eq!(run(&FieldOp::Min(bson!(40)), bson!(36)).unwrap(), bson!(36));
        assert_eq!(run(&FieldOp::Max(bson!(1)), bson!(36)).unwrap(), bson!(36));
        assert_eq!(run(&FieldOp::Max(bson!("a")), bson!(36)).unwrap(), bson!("a"));
    }

    #[test]
    fn missing_fields_are_created_by_most_operators() {
        assert_eq!(FieldOp::Inc(bson!(5)).create(false, now()).unwrap(), Some(bson!(5)));
        assert_eq!(FieldOp::Mul(bson!(5)).create(false, now()).unwrap(), Some(bson!(0)));
        assert_eq!(FieldOp::Unset.create(false, now()).unwrap(), None);
        assert_eq!(FieldOp::SetOnInsert(bson!(1)).create(false, now()).unwrap(), None);
        assert_eq!(FieldOp::SetOnInsert(bson!(1)).create(true, now()).unwrap(), Some(bson!(1)));
        assert_eq!(
            FieldOp::CurrentDate { timestamp: false }.create(false, now()).unwrap(),
            Some(Bson::DateTime(now()))
        );
    }

    #[test]
    fn current_date_and_rename_arguments_are_checked() {
        assert!(parse("$currentDate", "d", &bson!({"$type": "timestamp"})).is_ok());
        assert!(parse("$currentDate", "d", &bson!({"$type": "year"})).is_err());
        let err = parse("$currentDate", "d", &bson!("date")).unwrap_err();
        assert!(err.message.starts_with("string is not valid type for $currentDate."));
        let parts = |p: &str| split_update_path(p).unwrap();
        let check = |from: &str, to: &str| check_rename(from, &parts(from), to, &parts(to));
        assert_eq!(
            check("a", "a").unwrap_err().message,
            "The source and target field for $rename must differ: a: \"a\""
        );
        assert!(check("a", "a.b").is_err());
        assert!(check("a.$", "b").is_err());
        assert!(check("a", "b").is_ok());
    }

    #[test]
    fn rename_sources_may_not_cross_arrays() {
        let doc = doc! {"_id": 1, "a": [1], "p": {"q": 2}, "s": 1};
        let parts = |p: &str| split_update_path(p).unwrap();
        assert_eq!(rename_source(&doc, &parts("p.q"), "p.q").unwrap(), Some(bson!(2)));
        assert_eq!(rename_source(&doc, &parts("x.y"), "x.y").unwrap(), None);
        assert_eq!(
            rename_source(&doc, &parts("a.0"), "a.0").unwrap_err().message,
            "The source field cannot be an array element, 'a.0' in doc with _id: 1 has an array field called 'a'"
        );
        assert_eq!(rename_source(&doc, &parts("a.5"), "a.5").unwrap(), None);
        assert_eq!(
            rename_source(&doc, &parts("a.x"), "a.x").unwrap_err().message,
            "cannot use the part (a of a.x) to traverse the element ({a: [ 1 ]})"
        );
        assert_eq!(
            rename_source(&doc, &parts("s.t"), "s.t").unwrap_err().message,
            "cannot use the part (s of s.t) to traverse the element ({s: 1})"
        );
    }
}
