//! JavaScript's semantics, in one place for the shell, the runtime, the schema layer, the lessons and storage:
//! truthiness, numbers and strings as Node prints them (`inspect.rs`), dates (`dates.rs`), values as mongosh
//! prints them (`mongosh_format.rs`) and time spans as the `ms` package reads them (`ms.rs`).

pub mod coerce;
pub mod dates;
pub mod inspect;
pub mod mongosh_format;
pub mod ms;

use bson::Bson;

/// JavaScript's truthiness of a value a program holds: `false`, `null`, `undefined`, `0`, `NaN` and `""` are falsy;
/// everything else (objects, arrays, ObjectIds, dates, Decimal128 and Long objects included) is truthy. Int64 is a
/// number here, as the driver hands counts and stored integers to the program.
pub fn truthy(value: &Bson) -> bool {
    match value {
        Bson::Boolean(b) => *b,
        Bson::Null | Bson::Undefined => false,
        Bson::Int32(n) => *n != 0,
        Bson::Int64(n) => *n != 0,
        Bson::Double(n) => *n != 0.0 && !n.is_nan(),
        Bson::String(text) => !text.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::bson;

    #[test]
    fn falsy_values_are_javascripts() {
        for falsy in [
            bson!(false),
            Bson::Null,
            Bson::Undefined,
            bson!(0),
            bson!(0_i64),
            bson!(0.0),
            bson!(-0.0),
            bson!(f64::NAN),
            bson!(""),
        ] {
            assert!(!truthy(&falsy), "{falsy:?} is falsy");
        }
        for truthy_value in
            [bson!(true), bson!(1), bson!(-1_i64), bson!(0.5), bson!("0"), bson!(" "), bson!({}), bson!([])]
        {
            assert!(truthy(&truthy_value), "{truthy_value:?} is truthy");
        }
    }
}
