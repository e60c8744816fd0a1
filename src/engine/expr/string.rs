//! Expression string operators: `$concat $toLower $toUpper`.

use super::{evaluate_all, type_name_of, Expression};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use bson::{Bson, Document};

/// `$toLower`/`$toUpper` accept numbers and dates by converting them to text first.
fn coerce_to_string(value: Option<&Bson>) -> MongoResult<String> {
    Ok(match value {
        None | Some(Bson::Null | Bson::Undefined) => String::new(),
        Some(Bson::String(s) | Bson::Symbol(s)) => s.clone(),
        Some(Bson::Int32(i)) => i.to_string(),
        Some(Bson::Int64(i)) => i.to_string(),
        Some(Bson::Double(d)) => d.to_string(),
        Some(Bson::Decimal128(d)) => d.to_string(),
        Some(Bson::DateTime(d)) => d.try_to_rfc3339_string().unwrap_or_else(|_| d.timestamp_millis().to_string()),
        Some(other) => {
            return Err(MongoError::new(
                ErrorCode::Location(16007),
                format!("can't convert from BSON type {} to String", type_name_of(Some(other))),
            ))
        }
    })
}

pub(super) fn evaluate(name: &str, args: &[Expression], root: &Document) -> MongoResult<Option<Bson>> {
    let values = evaluate_all(args, root)?;
    match name {
        "$concat" => {
            let mut out = String::new();
            for value in &values {
                match value {
                    None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
                    Some(Bson::String(s)) => out.push_str(s),
                    Some(other) => {
                        return Err(MongoError::new(
                            ErrorCode::Location(16702),
                            format!("$concat only supports strings, not {}", type_name_of(Some(other))),
                        ))
                    }
                }
            }
            Ok(Some(Bson::String(out)))
        }
        _ => {
            // MongoDB changes case for ASCII letters only.
            let text = coerce_to_string(values.first().and_then(Option::as_ref))?;
            Ok(Some(Bson::String(if name == "$toLower" {
                text.to_ascii_lowercase()
            } else {
                text.to_ascii_uppercase()
            })))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::error::MongoResult;
    use crate::engine::expr::Expression;
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> MongoResult<Option<Bson>> {
        let root = doc! {"first": "Ada", "last": "Lovelace", "n": 5};
        Expression::parse(&e)?.evaluate(&root)
    }

    #[test]
    fn concat_and_case() {
        assert_eq!(eval(bson!({"$concat": ["$first", " ", "$last"]})).unwrap(), Some(bson!("Ada Lovelace")));
        assert_eq!(eval(bson!({"$concat": ["$first", "$nope"]})).unwrap(), Some(Bson::Null));
        assert_eq!(
            eval(bson!({"$concat": ["$first", "$n"]})).unwrap_err().message,
            "$concat only supports strings, not int"
        );
        assert_eq!(eval(bson!({"$toLower": "$first"})).unwrap(), Some(bson!("ada")));
        assert_eq!(eval(bson!({"$toUpper": ["$last"]})).unwrap(), Some(bson!("LOVELACE")));
        assert_eq!(eval(bson!({"$toUpper": "$nope"})).unwrap(), Some(bson!("")));
        assert_eq!(eval(bson!({"$toLower": "$n"})).unwrap(), Some(bson!("5")));
    }
}
