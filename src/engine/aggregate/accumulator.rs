//! `$group`'s accumulators: `$sum $avg $min $max $push $addToSet $first $last $count $mergeObjects $stdDevPop
//! $stdDevSamp`, with MongoDB's rules for missing values (skipped by most, `null` for `$first` / `$last`). The table
//! drives parsing and gives the names the reference shows.

use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::{extreme, Deviation, Evaluated, Expression, Parser, SetKey, Sum};
use crate::engine::limits::value_size;
use bson::{Bson, Document};
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// What an accumulator computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Sum,
    Avg,
    Min,
    Max,
    Push,
    AddToSet,
    First,
    Last,
    Count,
    MergeObjects,
    StdDevPop,
    StdDevSamp,
}

/// One row of the accumulator table.
pub(crate) struct AccumulatorKind {
    pub(crate) name: &'static str,
    op: Op,
    pub(crate) summary: &'static str,
}

pub(crate) const ACCUMULATORS: &[AccumulatorKind] = &[
    AccumulatorKind {
        name: "$sum",
        op: Op::Sum,
        summary: "The sum of the numbers in the group ($sum: 1 counts the documents).",
    },
    AccumulatorKind {
        name: "$avg",
        op: Op::Avg,
        summary: "The average of the numbers in the group; null when there are none.",
    },
    AccumulatorKind {
        name: "$min",
        op: Op::Min,
        summary: "The smallest value in the group, ignoring null and missing.",
    },
    AccumulatorKind {
        name: "$max",
        op: Op::Max,
        summary: "The largest value in the group, ignoring null and missing.",
    },
    AccumulatorKind {
        name: "$push",
        op: Op::Push,
        summary: "An array of the values, in the order the documents came.",
    },
    AccumulatorKind {
        name: "$addToSet",
        op: Op::AddToSet,
        summary: "An array of the distinct values (in no particular order).",
    },
    AccumulatorKind {
        name: "$first",
        op: Op::First,
        summary: "The value of the first document of the group (sort before grouping).",
    },
    AccumulatorKind {
        name: "$last",
        op: Op::Last,
        summary: "The value of the last document of the group (sort before grouping).",
    },
    AccumulatorKind { name: "$count", op: Op::Count, summary: "The number of documents in the group ($count: {})." },
    AccumulatorKind {
        name: "$mergeObjects",
        op: Op::MergeObjects,
        summary: "One document with the fields of all the documents' values (later ones win).",
    },
    AccumulatorKind {
        name: "$stdDevPop",
        op: Op::StdDevPop,
        summary: "The population standard deviation of the numbers in the group.",
    },
    AccumulatorKind {
        name: "$stdDevSamp",
        op: Op::StdDevSamp,
        summary: "The sample standard deviation of the numbers in the group.",
    },
];

/// Real MongoDB accumulators crudlab does not implement.
const UNSUPPORTED_ACCUMULATORS: &[&str] = &[
    "$accumulator",
    "$bottom",
    "$bottomN",
    "$firstN",
    "$lastN",
    "$maxN",
    "$median",
    "$minN",
    "$percentile",
    "$top",
    "$topN",
];

/// A compiled accumulator: what it computes and the expression it reads from each document.
#[derive(Debug, Clone)]
pub(crate) struct Accumulator {
    op: Op,
    argument: Expression,
}

/// The running state of one accumulator in one group.
#[derive(Debug, Clone)]
pub(crate) enum State {
    Sum(Sum),
    Extreme(Option<Bson>),
    Values(Vec<Bson>),
    Distinct(BTreeSet<SetKey>, Vec<Bson>),
    /// `$first` / `$last`: `None` until the first document.
    Picked(Option<Bson>),
    Merged(Document),
    Deviation(Deviation),
}

/// Parses the accumulator fields of a `$group` (or `$bucket`'s `output`): `name: {$op: expression}` each.
pub(crate) fn parse_fields<'a>(
    fields: impl Iterator<Item = (&'a String, &'a Bson)>,
    parser: &mut Parser,
) -> MongoResult<Vec<(String, Accumulator)>> {
    let mut out = Vec::new();
    for (name, spec) in fields {
        out.push((name.clone(), parse(name, spec, parser)?));
    }
    Ok(out)
}

fn parse(field: &str, spec: &Bson, parser: &mut Parser) -> MongoResult<Accumulator> {
    let error = |code: i32, message: String| MongoError::new(ErrorCode::Location(code), message);
    let Bson::Document(spec) = spec else {
        return Err(error(40234, format!("The field '{field}' must be an accumulator object")));
    };
    if !spec.keys().next().is_some_and(|k| k.starts_with('$')) {
        return Err(error(40234, format!("The field '{field}' must be an accumulator object")));
    }
    if field.contains('.') {
        return Err(error(40235, format!("The field name '{field}' cannot contain '.'")));
    }
    if field.starts_with('$') {
        return Err(error(40236, format!("The field name '{field}' cannot be an operator name")));
    }
    let (Some((name, argument)), 1) = (spec.iter().next(), spec.len()) else {
        return Err(error(40238, format!("The field '{field}' must specify one accumulator")));
    };
    if matches!(argument, Bson::Array(_)) {
        return Err(error(40237, format!("The {name} accumulator is a unary operator")));
    }
    let Some(kind) = ACCUMULATORS.iter().find(|kind| kind.name == name) else {
        if UNSUPPORTED_ACCUMULATORS.contains(&name.as_str()) {
            return Err(MongoError::bad_value(format!(
                "{name} is a MongoDB accumulator that crudlab does not support"
            )));
        }
        return Err(error(15952, format!("unknown group operator '{name}'")).with_hint(
            "$group's accumulators are $sum, $avg, $min, $max, $push, $addToSet, $first, $last, $count, ...",
        ));
    };
    if kind.op == Op::Count {
        if !matches!(argument, Bson::Document(empty) if empty.is_empty()) {
            return Err(error(5371, "$count takes no arguments, i.e. $count:{}".to_string()));
        }
        return Ok(Accumulator { op: Op::Count, argument: Expression::Literal(Bson::Int32(1)) });
    }
    Ok(Accumulator { op: kind.op, argument: parser.expression(argument)? })
}

impl Accumulator {
    pub(crate) fn argument(&self) -> &Expression {
        &self.argument
    }

    /// The state of a new group.
    pub(crate) fn start(&self) -> State {
        match self.op {
            Op::Sum | Op::Avg | Op::Count => State::Sum(Sum::default()),
            Op::Min | Op::Max => State::Extreme(None),
            Op::Push => State::Values(Vec::new()),
            Op::AddToSet => State::Distinct(BTreeSet::new(), Vec::new()),
            Op::First | Op::Last => State::Picked(None),
            Op::MergeObjects => State::Merged(Document::new()),
            Op::StdDevPop | Op::StdDevSamp => State::Deviation(Deviation::default()),
        }
    }

    /// Folds one document's value into the state; returns roughly how many bytes the state grew by.
    pub(crate) fn process(&self, state: &mut State, value: Evaluated) -> MongoResult<usize> {
        match (self.op, state) {
            (Op::Sum | Op::Avg | Op::Count, State::Sum(sum)) => {
                if let Some(value) = &value {
                    sum.add(value);
                }
                Ok(0)
            }
            (Op::Min | Op::Max, State::Extreme(best)) => {
                let wanted = if self.op == Op::Min { Ordering::Less } else { Ordering::Greater };
                if let Some(value) = value.filter(|v| !matches!(v, Bson::Null | Bson::Undefined)) {
                    let candidates = best.take().into_iter().chain(std::iter::once(value));
                    *best = Some(extreme(candidates, wanted));
                }
                Ok(0)
            }
            (Op::Push, State::Values(values)) => Ok(match value {
                Some(value) => {
                    let size = value_size(&value);
                    values.push(value);
                    size
                }
                None => 0,
            }),
            (Op::AddToSet, State::Distinct(seen, values)) => Ok(match value {
                Some(value) if seen.insert(SetKey(value.clone())) => {
                    let size = value_size(&value);
                    values.push(value);
                    size * 2
                }
                _ => 0,
            }),
            (Op::First, State::Picked(picked)) => {
                if picked.is_none() {
                    let value = value.unwrap_or(Bson::Null);
                    let size = value_size(&value);
                    *picked = Some(value);
                    return Ok(size);
                }
                Ok(0)
            }
            (Op::Last, State::Picked(picked)) => {
                *picked = Some(value.unwrap_or(Bson::Null));
                Ok(0)
            }
            (Op::MergeObjects, State::Merged(merged)) => match value {
                None | Some(Bson::Null | Bson::Undefined) => Ok(0),
                Some(Bson::Document(doc)) => {
                    let size = crate::engine::limits::bson_size(&doc);
                    for (key, field) in doc {
                        merged.insert(key, field);
                    }
                    Ok(size)
                }
                Some(other) => Err(MongoError::new(
                    ErrorCode::Location(40400),
                    format!(
                        "$mergeObjects requires object inputs, but input {} is of type {}",
                        super::describe(&other),
                        crate::engine::value::type_name(&other)
                    ),
                )),
            },
            (Op::StdDevPop | Op::StdDevSamp, State::Deviation(deviation)) => {
                if let Some(value) = &value {
                    deviation.add(value);
                }
                Ok(0)
            }
            _ => Ok(0),
        }
    }

    /// The accumulator's result for a group.
    pub(crate) fn finish(&self, state: State) -> Bson {
        match (self.op, state) {
            (Op::Avg, State::Sum(sum)) => sum.average(),
            (_, State::Sum(sum)) => sum.value(),
            (_, State::Extreme(best)) => best.unwrap_or(Bson::Null),
            (_, State::Values(values) | State::Distinct(_, values)) => Bson::Array(values),
            (_, State::Picked(picked)) => picked.unwrap_or(Bson::Null),
            (_, State::Merged(merged)) => Bson::Document(merged),
            (op, State::Deviation(deviation)) => deviation.value(op == Op::StdDevSamp),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use bson::{doc, Document};

    fn sales() -> Vec<Document> {
        // The sales collection of MongoDB's $group page (dates left out).
        vec![
            doc! {"_id": 1, "item": "abc", "price": 10, "quantity": 2},
            doc! {"_id": 2, "item": "jkl", "price": 20, "quantity": 1},
            doc! {"_id": 3, "item": "xyz", "price": 5, "quantity": 10},
            doc! {"_id": 4, "item": "xyz", "price": 5, "quantity": 20},
            doc! {"_id": 5, "item": "abc", "price": 10, "quantity": 10},
            doc! {"_id": 6, "item": "def", "price": 7.5, "quantity": 5},
            doc! {"_id": 7, "item": "def", "price": 7.5, "quantity": 10},
            doc! {"_id": 8, "item": "abc", "price": 10, "quantity": 5},
        ]
    }

    #[test]
    fn every_accumulator() {
        let grouped = run(
            sales(),
            vec![
                doc! {"$group": {"_id": "$item",
                "total": {"$sum": {"$multiply": ["$price", "$quantity"]}}, "n": {"$sum": 1}, "count": {"$count": {}},
                "avgQty": {"$avg": "$quantity"}, "min": {"$min": "$quantity"}, "max": {"$max": "$quantity"},
                "all": {"$push": "$quantity"}, "prices": {"$addToSet": "$price"},
                "first": {"$first": "$_id"}, "last": {"$last": "$_id"}, "nothing": {"$first": "$nope"},
                "merged": {"$mergeObjects": {"q": "$quantity"}}, "sd": {"$stdDevPop": "$quantity"}}},
                doc! {"$sort": {"_id": 1}},
            ],
        );
        expect_test::expect![[r#"
            { _id: "abc", total: 170, n: 3, count: 3, avgQty: 5.666666666666667, min: 2, max: 10, all: [ 2, 10, 5 ], prices: [ 10 ], first: 1, last: 8, nothing: null, merged: { q: 5 }, sd: 3.2998316455372216 }
            { _id: "def", total: 112.5, n: 2, count: 2, avgQty: 7.5, min: 5, max: 10, all: [ 5, 10 ], prices: [ 7.5 ], first: 6, last: 7, nothing: null, merged: { q: 10 }, sd: 2.5 }
            { _id: "jkl", total: 20, n: 1, count: 1, avgQty: 1.0, min: 1, max: 1, all: [ 1 ], prices: [ 20 ], first: 2, last: 2, nothing: null, merged: { q: 1 }, sd: 0.0 }
            { _id: "xyz", total: 150, n: 2, count: 2, avgQty: 15.0, min: 10, max: 20, all: [ 10, 20 ], prices: [ 5 ], first: 3, last: 4, nothing: null, merged: { q: 20 }, sd: 5.0 }"#]]
        .assert_eq(&grouped);
    }

    #[test]
    fn missing_and_null_values() {
        let docs = vec![doc! {"_id": 1, "a": 1}, doc! {"_id": 2, "a": null}, doc! {"_id": 3}];
        assert_eq!(
            run(
                docs,
                vec![
                    doc! {"$group": {"_id": null, "push": {"$push": "$a"}, "set": {"$addToSet": "$a"}, "min": {"$min": "$a"}, "avg": {"$avg": "$a"}, "sum": {"$sum": "$a"}, "last": {"$last": "$a"}}}
                ]
            ),
            "{ _id: null, push: [ 1, null ], set: [ 1, null ], min: 1, avg: 1.0, sum: 1, last: null }"
        );
    }

    #[test]
    fn malformed_accumulators() {
        let group = |fields: Document| run(sales(), vec![doc! {"$group": fields}]);
        assert_eq!(group(doc! {"_id": null, "x": {"$foo": "$a"}}), "error 15952: unknown group operator '$foo'");
        assert_eq!(group(doc! {"_id": null, "x": 1}), "error 40234: The field 'x' must be an accumulator object");
        assert_eq!(
            group(doc! {"_id": null, "x": {"$sum": 1, "$avg": 1}}),
            "error 40238: The field 'x' must specify one accumulator"
        );
        assert_eq!(
            group(doc! {"_id": null, "x": {"$sum": [1, 2]}}),
            "error 40237: The $sum accumulator is a unary operator"
        );
        assert_eq!(
            group(doc! {"_id": null, "a.b": {"$sum": 1}}),
            "error 40235: The field name 'a.b' cannot contain '.'"
        );
        assert_eq!(
            group(doc! {"_id": null, "x": {"$count": 1}}),
            "error 5371: $count takes no arguments, i.e. $count:{}"
        );
        assert_eq!(
            group(doc! {"_id": null, "x": {"$top": {}}}),
            "error 2: $top is a MongoDB accumulator that crudlab does not support"
        );
        assert_eq!(
            group(doc! {"_id": null, "x": {"$mergeObjects": "$price"}}),
            "error 40400: PlanExecutor error during aggregation :: caused by :: $mergeObjects requires object inputs, but input 10 is of type int"
        );
    }
}
