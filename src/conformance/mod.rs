//! Runs the conformance case files (query, update, schema, aggregate) recorded from real mingo and Mongoose.

pub mod aggregate;
pub mod ejson;
pub mod query;
pub mod schema;
pub mod update;

/// The outcome of running one conformance suite.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteReport {
    /// How many cases matched their expectation.
    pub passed: usize,
    /// One line per failing case: its id, then expected vs actual.
    pub failures: Vec<String>,
}

/// Documents compared as FORMAT.md asks: as maps (field order is not scored: mingo puts `_id` last in projections,
/// MongoDB keeps document order), arrays in order, numbers by value, dates by instant, and
/// `{"$generated": "ObjectId"}` matching any ObjectId the implementation generated.
pub fn same_document(expected: &bson::Document, actual: &bson::Document) -> bool {
    expected.len() == actual.len()
        && expected.iter().all(|(key, value)| actual.get(key).is_some_and(|other| same_value(value, other)))
}

/// Values compared as [`same_document`] compares fields.
pub fn same_value(expected: &bson::Bson, actual: &bson::Bson) -> bool {
    use bson::Bson;
    match (expected, actual) {
        (Bson::Document(e), _) if e.len() == 1 && e.get_str("$generated").ok() == Some("ObjectId") => {
            matches!(actual, Bson::ObjectId(_))
        }
        (Bson::Document(e), Bson::Document(a)) => same_document(e, a),
        (Bson::Array(e), Bson::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(x, y)| same_value(x, y)),
        _ => crate::engine::value::equal(expected, actual),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{bson, Bson};

    #[test]
    fn matching_rules() {
        assert!(same_value(&bson!({"$generated": "ObjectId"}), &Bson::ObjectId(crate::clock::new_object_id())));
        assert!(!same_value(&bson!({"$generated": "ObjectId"}), &bson!("65a1")));
        assert!(same_value(&bson!({"a": 36}), &bson!({"a": 36.0})));
        assert!(same_value(&bson!({"a": 1, "b": 2}), &bson!({"b": 2, "a": 1})), "field order is not scored");
        assert!(!same_value(&bson!([1, 2]), &bson!([2, 1])), "arrays keep their order");
        assert!(!same_value(&bson!({"a": 1}), &bson!({"a": 1, "b": 2})));
    }
}
