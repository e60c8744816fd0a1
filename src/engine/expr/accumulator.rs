//! Accumulators used as expressions: `$sum $avg $min $max $stdDevPop $stdDevSamp` over the elements of one array
//! argument or over several arguments. The running sums here are the ones `$group`'s accumulators use too.

use super::arithmetic::Number;
use super::comparison::compare_values;
use super::{evaluate_all, is_nullish, Arguments, Call, Context, Evaluated, Operator};
use crate::engine::error::MongoResult;
use bson::Bson;
use std::cmp::Ordering;

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$sum",
        arguments: Arguments::Any,
        evaluate: sum,
        summary: "The sum of the numbers (of an array, or of the arguments); other values are ignored.",
    },
    Operator {
        name: "$avg",
        arguments: Arguments::Any,
        evaluate: avg,
        summary: "The average of the numbers; null when there are none.",
    },
    Operator {
        name: "$min",
        arguments: Arguments::Any,
        evaluate: min,
        summary: "The smallest value in BSON order, ignoring null and missing.",
    },
    Operator {
        name: "$max",
        arguments: Arguments::Any,
        evaluate: max,
        summary: "The largest value in BSON order, ignoring null and missing.",
    },
    Operator {
        name: "$stdDevPop",
        arguments: Arguments::Any,
        evaluate: std_dev_pop,
        summary: "The population standard deviation of the numbers.",
    },
    Operator {
        name: "$stdDevSamp",
        arguments: Arguments::Any,
        evaluate: std_dev_samp,
        summary: "The sample standard deviation of the numbers.",
    },
];

/// A running sum with MongoDB's result types: int while every addend is an int and the sum fits, then long, then
/// double; non-numeric values are skipped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sum {
    total: Number,
    /// How many numbers were added (what `$avg` divides by).
    pub(crate) count: u64,
}

impl Default for Sum {
    fn default() -> Self {
        Sum { total: Number::Int(0), count: 0 }
    }
}

impl Sum {
    /// Adds `value` if it is a number.
    pub(crate) fn add(&mut self, value: &Bson) {
        if let Some(number) = Number::from_bson(value) {
            self.total = self.total.combine(number, i64::checked_add, |a, b| a + b);
            self.count += 1;
        }
    }

    /// The sum so far.
    pub(crate) fn value(&self) -> Bson {
        self.total.to_bson()
    }

    /// The average so far, `null` when no number was added.
    pub(crate) fn average(&self) -> Bson {
        average_of(self.total.as_f64(), self.count)
    }
}

/// `total / count` as `$avg` returns it: a double, or `null` for no numbers.
pub(crate) fn average_of(total: f64, count: u64) -> Bson {
    if count == 0 {
        Bson::Null
    } else {
        Bson::Double(total / count as f64)
    }
}

/// Welford's running mean and variance, for the standard deviations.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Deviation {
    count: u64,
    mean: f64,
    squares: f64,
}

impl Deviation {
    pub(crate) fn add(&mut self, value: &Bson) {
        if let Some(number) = Number::from_bson(value) {
            let x = number.as_f64();
            self.count += 1;
            let delta = x - self.mean;
            self.mean += delta / self.count as f64;
            self.squares += delta * (x - self.mean);
        }
    }

    /// The population (`sample == false`) or sample standard deviation; `null` without enough numbers.
    pub(crate) fn value(&self, sample: bool) -> Bson {
        let divisor = if sample { self.count.saturating_sub(1) } else { self.count };
        if divisor == 0 {
            Bson::Null
        } else {
            Bson::Double((self.squares / divisor as f64).sqrt())
        }
    }
}

/// The values an accumulator expression folds: the elements of its one array argument, or its arguments.
fn inputs(call: &Call, context: &mut Context<'_>) -> MongoResult<Vec<Bson>> {
    let mut values = evaluate_all(&call.args, context)?;
    if values.len() == 1 {
        return Ok(match values.pop().flatten() {
            Some(Bson::Array(items)) => items,
            Some(single) => vec![single],
            None => Vec::new(),
        });
    }
    Ok(values.into_iter().flatten().collect())
}

fn sum(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let mut total = Sum::default();
    for value in inputs(call, context)? {
        total.add(&value);
    }
    Ok(Some(total.value()))
}

fn avg(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let mut total = Sum::default();
    for value in inputs(call, context)? {
        total.add(&value);
    }
    Ok(Some(total.average()))
}

/// The extreme value in BSON order, ignoring null and missing; `null` when nothing else is there.
pub(crate) fn extreme(values: impl IntoIterator<Item = Bson>, wanted: Ordering) -> Bson {
    let mut best: Option<Bson> = None;
    for value in values {
        if is_nullish(Some(&value)) {
            continue;
        }
        if best.as_ref().is_none_or(|current| compare_values(Some(&value), Some(current)) == wanted) {
            best = Some(value);
        }
    }
    best.unwrap_or(Bson::Null)
}

fn min(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(extreme(inputs(call, context)?, Ordering::Less)))
}

fn max(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(extreme(inputs(call, context)?, Ordering::Greater)))
}

fn deviation(call: &Call, context: &mut Context<'_>) -> MongoResult<Deviation> {
    let mut deviation = Deviation::default();
    for value in inputs(call, context)? {
        deviation.add(&value);
    }
    Ok(deviation)
}

fn std_dev_pop(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(deviation(call, context)?.value(false)))
}

fn std_dev_samp(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    Ok(Some(deviation(call, context)?.value(true)))
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(
            e,
            &doc! {"scores": [{"grade": 90}, {"grade": 75}], "quizzes": [10, 6, 7], "labs": [5, 8], "z": null, "s": "x"},
        ))
    }

    #[test]
    fn over_an_array_or_over_the_arguments() {
        // The examples of MongoDB's $sum / $avg / $max expression pages.
        assert_eq!(eval(bson!({"$sum": "$quizzes"})), "23");
        assert_eq!(eval(bson!({"$avg": "$quizzes"})), "7.666666666666667");
        assert_eq!(eval(bson!({"$max": "$quizzes"})), "10");
        assert_eq!(eval(bson!({"$min": "$labs"})), "5");
        assert_eq!(eval(bson!({"$sum": "$scores.grade"})), "165");
        assert_eq!(eval(bson!({"$sum": [1, 2.5, "$s"]})), "3.5");
        assert_eq!(eval(bson!({"$sum": "$nope"})), "0");
        assert_eq!(eval(bson!({"$sum": 4})), "4");
        assert_eq!(eval(bson!({"$avg": "$s"})), "null");
        assert_eq!(eval(bson!({"$max": ["$z", "$nope"]})), "null");
        assert_eq!(eval(bson!({"$max": [1, "$s"]})), "\"x\"", "strings sort after numbers");
        assert_eq!(eval(bson!({"$stdDevPop": [[1, 2, 3, 4]]})), "1.118033988749895");
        assert_eq!(eval(bson!({"$stdDevSamp": [[1]]})), "null");
    }
}
