//! `$sort`, `$skip` and `$limit`. `$sort` reuses the engine's sort order (arrays by their smallest or largest
//! element, missing as null) and is stable, so ties keep their input order; the documents it holds are counted
//! against its memory limit. `$skip` and `$limit` read their count as MongoDB does.

use super::memory::{Holder, Memory};
use super::{describe, Compiler, Runner, Stage};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::sort::SortSpec;
use bson::{Bson, Document};

/// A compiled `$sort`.
#[derive(Debug, Clone)]
pub(crate) struct Sort {
    spec: SortSpec,
    /// The specification as written, for `explain`.
    pub(crate) keys: Document,
}

pub(super) fn compile_sort(_: &'static str, argument: &Bson, _: &mut Compiler) -> MongoResult<Stage> {
    let Bson::Document(keys) = argument else {
        return Err(MongoError::new(ErrorCode::Location(15973), "the $sort key specification must be an object"));
    };
    if keys.is_empty() {
        return Err(MongoError::new(ErrorCode::Location(15976), "$sort stage must have at least one sort key"));
    }
    for (field, direction) in keys {
        if field.starts_with('$') {
            return Err(MongoError::new(
                ErrorCode::Location(16410),
                "FieldPath field names may not start with '$'. Consider using $getField or $setField.",
            ));
        }
        // The server reads numbers only (the driver turns "asc" into 1 for find, never inside a pipeline).
        if !crate::engine::value::is_number(direction) && !matches!(direction, Bson::Document(_)) {
            return Err(MongoError::new(
                ErrorCode::Location(15974),
                format!("Illegal key in $sort specification: {field}: {}", describe(direction)),
            ));
        }
    }
    Ok(Stage::Sort(Sort { spec: SortSpec::compile(keys)?, keys: keys.clone() }))
}

impl Sort {
    pub(super) fn apply<'d>(&self, documents: super::Docs<'d>, runner: &Runner<'d>) -> MongoResult<super::Docs<'d>> {
        let mut memory = Memory::new(Holder::Sort, runner.memory_limit);
        for document in &documents {
            memory.add(super::size_of(document))?;
        }
        runner
            .spend((documents.len() as u64).saturating_mul(u64::from(usize::BITS - documents.len().leading_zeros())))?;
        // The documents move into their sorted places; none is copied.
        let order = self.spec.order(&documents);
        let mut taken: Vec<Option<std::borrow::Cow<'d, bson::Document>>> = documents.into_iter().map(Some).collect();
        Ok(order.into_iter().filter_map(|index| taken.get_mut(index).and_then(Option::take)).collect())
    }
}

/// The count of `$skip` / `$limit`: an integral, non-negative number (a double such as 2.0 is fine).
fn count(stage: &str, argument: &Bson, code: i32) -> MongoResult<u64> {
    let reason = |why: &str| {
        MongoError::new(
            ErrorCode::Location(code),
            format!("invalid argument to {stage} stage: {why}: {stage}: {}", describe(argument)),
        )
    };
    if !crate::engine::value::is_number(argument) {
        return Err(reason("Expected a number in"));
    }
    let as_long = match argument {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        other => {
            let d = crate::engine::value::as_f64(other).unwrap_or(f64::NAN);
            if d.fract() != 0.0 || d.is_nan() {
                let why = if matches!(other, Bson::Decimal128(_)) {
                    "Cannot represent as a 64-bit integer"
                } else {
                    "Expected an integer"
                };
                return Err(reason(why));
            }
            if d.abs() >= 9.2e18 {
                return Err(reason("Cannot represent as a 64-bit integer"));
            }
            Some(d as i64)
        }
    };
    match as_long {
        Some(n) if n >= 0 => Ok(n.unsigned_abs()),
        _ => Err(reason("Expected a non-negative number in")),
    }
}

pub(super) fn compile_skip(name: &'static str, argument: &Bson, _: &mut Compiler) -> MongoResult<Stage> {
    Ok(Stage::Skip(count(name, argument, 5107200)?))
}

pub(super) fn compile_limit(name: &'static str, argument: &Bson, _: &mut Compiler) -> MongoResult<Stage> {
    let limit = count(name, argument, 5107201)?;
    if limit == 0 {
        return Err(MongoError::new(ErrorCode::Location(15958), "the limit must be positive"));
    }
    Ok(Stage::Limit(limit))
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use super::super::{aggregate, AggregateOptions};
    use bson::{doc, Document};

    fn restaurants() -> Vec<Document> {
        // The collection of MongoDB's $sort page ("Sort Consistency").
        vec![
            doc! {"_id": 1, "name": "Central Park Cafe", "borough": "Manhattan"},
            doc! {"_id": 2, "name": "Rock A Feller Bar and Grill", "borough": "Queens"},
            doc! {"_id": 3, "name": "Empire State Pub", "borough": "Brooklyn"},
            doc! {"_id": 4, "name": "Stan's Pizzaria", "borough": "Manhattan"},
            doc! {"_id": 5, "name": "Jane's Deli", "borough": "Brooklyn"},
        ]
    }

    #[test]
    fn sort_skip_limit() {
        assert_eq!(
            run(restaurants(), vec![doc! {"$sort": {"borough": 1, "_id": 1}}, doc! {"$project": {"_id": 1}}]),
            "{ _id: 3 }\n{ _id: 5 }\n{ _id: 1 }\n{ _id: 4 }\n{ _id: 2 }"
        );
        assert_eq!(
            run(
                restaurants(),
                vec![doc! {"$sort": {"_id": -1}}, doc! {"$skip": 1}, doc! {"$limit": 2}, doc! {"$project": {"_id": 1}}]
            ),
            "{ _id: 4 }\n{ _id: 3 }"
        );
        assert_eq!(
            run(restaurants(), vec![doc! {"$skip": 2.0}, doc! {"$limit": 1}, doc! {"$project": {"_id": 1}}]),
            "{ _id: 3 }"
        );
    }

    #[test]
    fn malformed_counts_and_keys() {
        assert_eq!(run(vec![], vec![doc! {"$limit": 0}]), "error 15958: the limit must be positive");
        assert_eq!(
            run(vec![], vec![doc! {"$limit": -1}]),
            "error 5107201: invalid argument to $limit stage: Expected a non-negative number in: $limit: -1"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$limit": "2"}]),
            "error 5107201: invalid argument to $limit stage: Expected a number in: $limit: \"2\""
        );
        assert_eq!(
            run(vec![], vec![doc! {"$skip": -2}]),
            "error 5107200: invalid argument to $skip stage: Expected a non-negative number in: $skip: -2"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$skip": 1.5}]),
            "error 5107200: invalid argument to $skip stage: Expected an integer: $skip: 1.5"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$sort": {"age": 2}}]),
            "error 15975: $sort key ordering must be 1 (for ascending) or -1 (for descending)"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$sort": {"age": "asc"}}]),
            "error 15974: Illegal key in $sort specification: age: \"asc\""
        );
        assert_eq!(run(vec![], vec![doc! {"$sort": {}}]), "error 15976: $sort stage must have at least one sort key");
        assert_eq!(run(vec![], vec![doc! {"$sort": 1}]), "error 15973: the $sort key specification must be an object");
    }

    #[test]
    fn sort_memory_is_bounded() {
        let database = super::super::tests::database(&[("c", restaurants())]);
        let options = AggregateOptions { stage_memory_bytes: 200, ..AggregateOptions::default() };
        let failure = aggregate(&database, "c", &[doc! {"$sort": {"name": 1}}], &options).unwrap_err();
        assert_eq!(failure.error.code.number(), 292);
        assert_eq!(
            failure.error.message,
            "PlanExecutor error during aggregation :: caused by :: Sort exceeded memory limit of 200 bytes, but did not opt in to external sorting."
        );
        assert!(
            aggregate(&database, "c", &[doc! {"$match": {"_id": 1}}, doc! {"$sort": {"name": 1}}], &options).is_ok()
        );
    }
}
