//! Bitwise query operators: `$bitsAllSet $bitsAnySet $bitsAllClear $bitsAnyClear` on integers and BinData.

use super::{Leaf, Node};
use crate::engine::error::{MongoError, MongoResult};
use crate::engine::path::FieldPath;
use bson::Bson;

/// Which bit test an operator performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitTest {
    AllSet,
    AnySet,
    AllClear,
    AnyClear,
}

/// The largest bit position accepted (MongoDB reads positions as 32-bit integers).
const MAX_POSITION: i64 = i32::MAX as i64;

pub(super) fn parse(path: &FieldPath, name: &str, argument: &Bson) -> MongoResult<Node> {
    let test = match name {
        "$bitsAllSet" => BitTest::AllSet,
        "$bitsAnySet" => BitTest::AnySet,
        "$bitsAllClear" => BitTest::AllClear,
        _ => BitTest::AnyClear,
    };
    let positions = match argument {
        Bson::Array(items) => {
            let mut positions = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let position = integral(item).map_err(|why| {
                    MongoError::bad_value(format!("Failed to parse bit position. {why} in: {index}: {item}"))
                })?;
                if !(0..=MAX_POSITION).contains(&position) {
                    return Err(MongoError::bad_value(format!(
                        "Failed to parse bit position. Expected a non-negative number in: {index}: {item}"
                    )));
                }
                // In range 0..=i32::MAX after the check above.
                positions.push(position as u32);
            }
            positions
        }
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => {
            let mask = integral(argument)
                .map_err(|why| MongoError::failed_to_parse(format!("{why} in: {name}: {argument}")))?;
            if mask < 0 {
                return Err(MongoError::failed_to_parse(format!(
                    "Expected a non-negative number in: {name}: {argument}"
                )));
            }
            (0..63).filter(|bit| mask >> bit & 1 == 1).collect()
        }
        Bson::Binary(binary) => binary
            .bytes
            .iter()
            .enumerate()
            .flat_map(|(byte_index, byte)| {
                (0..8u32).filter(move |bit| byte >> bit & 1 == 1).map(move |bit| byte_index as u32 * 8 + bit)
            })
            .collect(),
        other => {
            return Err(MongoError::bad_value(format!(
                "{name} takes an Array, a number, or a BinData but received: {name}: {other}"
            )))
        }
    };
    Ok(Node::Path { path: path.clone(), leaf: Leaf::Bits { test, positions } })
}

/// A number that is an exact 64-bit integer, or why not.
fn integral(value: &Bson) -> Result<i64, &'static str> {
    match value {
        Bson::Int32(i) => Ok(i64::from(*i)),
        Bson::Int64(i) => Ok(*i),
        Bson::Double(_) | Bson::Decimal128(_) => {
            let d = crate::engine::value::as_f64(value).unwrap_or(f64::NAN);
            if d.is_nan() {
                Err("Expected an integer, but found NaN")
            } else if d.fract() != 0.0 {
                Err("Expected an integer")
            } else if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
                Err("Cannot represent as a 64-bit integer")
            } else {
                // Integral and in range after the checks above.
                Ok(d as i64)
            }
        }
        _ => Err("Expected a number"),
    }
}

/// Tests one value: integers (two's complement, sign-extended beyond bit 63) and BinData bytes (little-endian
/// bit order); fractional numbers and other types never match.
pub(super) fn matches(value: &Bson, test: BitTest, positions: &[u32]) -> bool {
    let bit: Box<dyn Fn(u32) -> bool + '_> = match value {
        Bson::Binary(binary) => Box::new(move |position: u32| {
            let byte = usize::try_from(position / 8).ok().and_then(|i| binary.bytes.get(i)).copied().unwrap_or(0);
            byte >> (position % 8) & 1 == 1
        }),
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) | Bson::Decimal128(_) => match integral(value) {
            Ok(number) => {
                Box::new(move |position: u32| if position < 64 { number >> position & 1 == 1 } else { number < 0 })
            }
            Err(_) => return false,
        },
        _ => return false,
    };
    match test {
        BitTest::AllSet => positions.iter().all(|&p| bit(p)),
        BitTest::AnySet => positions.iter().any(|&p| bit(p)),
        BitTest::AllClear => positions.iter().all(|&p| !bit(p)),
        BitTest::AnyClear => positions.iter().any(|&p| !bit(p)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::query::Filter;
    use bson::{doc, spec::BinarySubtype, Binary, Bson, Document};

    fn ids(filter: Document) -> Vec<i32> {
        // Values from the manual's examples: 54 (0b110110), -128 (two's complement), 20.0 (0b10100) and a
        // one-byte BinData 0b01100110.
        let docs = [
            doc! {"_id": 1, "a": 54},
            doc! {"_id": 2, "a": -128},
            doc! {"_id": 3, "a": 20.0},
            doc! {"_id": 4, "a": Bson::Binary(Binary { subtype: BinarySubtype::Generic, bytes: vec![0b0110_0110] })},
            doc! {"_id": 5, "a": 2.5},
            doc! {"_id": 6, "a": "54"},
        ];
        let f = Filter::compile(&filter).unwrap();
        docs.iter().filter(|d| f.matches(d)).map(|d| d.get_i32("_id").unwrap()).collect()
    }

    #[test]
    fn manual_examples() {
        assert_eq!(ids(doc! {"a": {"$bitsAllSet": [1, 5]}}), [1, 4]);
        assert_eq!(ids(doc! {"a": {"$bitsAllSet": 50}}), [1]);
        assert_eq!(ids(doc! {"a": {"$bitsAnySet": [1, 5]}}), [1, 4]);
        assert_eq!(ids(doc! {"a": {"$bitsAllClear": [1, 5]}}), [2, 3]);
        assert_eq!(ids(doc! {"a": {"$bitsAnyClear": [1, 5]}}), [2, 3]);
        assert_eq!(ids(doc! {"a": {"$bitsAllSet": [70]}}), [2]);
    }

    #[test]
    fn malformed_arguments() {
        let err = |f: Document| Filter::compile(&f).unwrap_err().message;
        assert_eq!(
            err(doc! {"a": {"$bitsAllSet": "x"}}),
            "$bitsAllSet takes an Array, a number, or a BinData but received: $bitsAllSet: \"x\""
        );
        assert!(err(doc! {"a": {"$bitsAnySet": [-1]}}).starts_with("Failed to parse bit position."));
        assert_eq!(err(doc! {"a": {"$bitsAllClear": -1}}), "Expected a non-negative number in: $bitsAllClear: -1");
    }
}
