//! Array update operators: `$push` (with `$each`, `$slice`, `$sort`, `$position`), `$addToSet`, `$pop`, `$pull`, `$pullAll`.

use super::matcher::ElementMatcher;
use super::path::{describe_document, describe_id};
use crate::engine::error::{MongoError, MongoResult};
use crate::engine::value::{compare, equal, is_number, type_name};
use bson::{Bson, Document};
use std::cmp::Ordering;

/// One array operator with its parsed argument.
#[derive(Debug)]
pub(crate) enum ArrayOp {
    Push(PushSpec),
    AddToSet(Vec<Bson>),
    Pop { from_front: bool },
    Pull(PullMatcher),
    PullAll(Vec<Bson>),
}

/// `$push` after parsing: what to insert, where, and how to sort and trim afterwards.
#[derive(Debug)]
pub(crate) struct PushSpec {
    values: Vec<Bson>,
    position: Option<i64>,
    slice: Option<i64>,
    sort: Option<PushSort>,
}

/// `$sort: 1 | -1` sorts whole elements; `$sort: {field: 1 | -1, ...}` sorts documents by fields.
#[derive(Debug)]
enum PushSort {
    Whole(bool),
    Fields(Vec<(Vec<String>, bool)>),
}

/// What `$pull` removes: elements equal to a value, or elements matching a condition.
#[derive(Debug)]
pub(crate) enum PullMatcher {
    Equal(Bson),
    Condition(ElementMatcher),
}

/// Parses one `field: argument` pair of an array operator.
pub(crate) fn parse(op: &str, field: &str, arg: &Bson) -> MongoResult<ArrayOp> {
    Ok(match op {
        "$push" => ArrayOp::Push(parse_push(arg)?),
        "$addToSet" => ArrayOp::AddToSet(parse_add_to_set(arg)?),
        "$pop" => {
            let n = integer_argument(arg, field)?;
            if n != 1 && n != -1 {
                return Err(MongoError::failed_to_parse(format!(
                    "$pop expects 1 or -1, found: {n}"
                )));
            }
            ArrayOp::Pop {
                from_front: n == -1,
            }
        }
        "$pull" => ArrayOp::Pull(parse_pull(arg)?),
        "$pullAll" => match arg {
            Bson::Array(items) => ArrayOp::PullAll(items.clone()),
            other => {
                return Err(MongoError::bad_value(format!(
                    "$pullAll requires an array argument but was given a {}",
                    type_name(other)
                )))
            }
        },
        other => {
            return Err(MongoError::failed_to_parse(format!(
                "Unknown modifier: {other}. Expected a valid update modifier or pipeline-style update specified as an array"
            )))
        }
    })
}

/// An integral number argument (`$pop`, `$slice`, `$position`), as MongoDB's `parseIntegerElementToLong` reads it.
fn integer_argument(arg: &Bson, field: &str) -> MongoResult<i64> {
    let shown = super::path::describe_element(field, arg);
    match arg {
        Bson::Int32(i) => Ok(i64::from(*i)),
        Bson::Int64(i) => Ok(*i),
        Bson::Double(_) | Bson::Decimal128(_) => {
            let d = crate::engine::value::as_f64(arg).unwrap_or(f64::NAN);
            if d.fract() == 0.0 && d.abs() < 9.2e18 {
                Ok(d as i64)
            } else {
                Err(MongoError::failed_to_parse(format!("Expected an integer: {shown}")))
            }
        }
        _ => Err(MongoError::failed_to_parse(format!("Expected a number in: {shown}"))),
    }
}

fn parse_push(arg: &Bson) -> MongoResult<PushSpec> {
    let Bson::Document(spec) = arg else {
        return Ok(PushSpec::single(arg.clone()));
    };
    if !spec.contains_key("$each") {
        return Ok(PushSpec::single(arg.clone()));
    }
    let mut push = PushSpec { values: Vec::new(), position: None, slice: None, sort: None };
    for (clause, value) in spec {
        match clause.as_str() {
            "$each" => match value {
                Bson::Array(items) => push.values = items.clone(),
                other => {
                    return Err(MongoError::bad_value(format!(
                        "The argument to $each in $push must be an array but it was of type: {}",
                        type_name(other)
                    )))
                }
            },
            "$slice" => {
                push.slice = Some(integer_argument(value, clause).map_err(|_| {
                    MongoError::bad_value(format!(
                        "The value for $slice must be an integer value but was given type: {}",
                        type_name(value)
                    ))
                })?)
            }
            "$position" => {
                push.position = Some(integer_argument(value, clause).map_err(|_| {
                    MongoError::bad_value(format!(
                        "The value for $position must be an integer value, not of type: {}",
                        type_name(value)
                    ))
                })?)
            }
            "$sort" => push.sort = Some(parse_push_sort(value)?),
            other => return Err(MongoError::bad_value(format!("Unrecognized clause in $push: {other}"))),
        }
    }
    Ok(push)
}

fn sort_direction(value: &Bson) -> Option<bool> {
    let d = if is_number(value) {
        crate::engine::value::as_f64(value)?
    } else {
        return None;
    };
    if d == 1.0 {
        Some(true)
    } else if d == -1.0 {
        Some(false)
    } else {
        None
    }
}

fn parse_push_sort(value: &Bson) -> MongoResult<PushSort> {
    let bad_direction = || MongoError::bad_value("The $sort element value must be either 1 or -1");
    match value {
        Bson::Document(pattern) => {
            if pattern.is_empty() {
                return Err(MongoError::bad_value("The $sort pattern is empty when it should be a set of fields."));
            }
            let mut fields = Vec::new();
            for (field, direction) in pattern {
                let ascending = sort_direction(direction).ok_or_else(bad_direction)?;
                if field.is_empty() {
                    return Err(MongoError::bad_value("The $sort field cannot be empty"));
                }
                let parts: Vec<String> = field.split('.').map(str::to_string).collect();
                if parts.iter().any(String::is_empty) {
                    return Err(MongoError::bad_value(format!(
                        "The $sort field is a dotted field but has an empty part: {field}"
                    )));
                }
                fields.push((parts, ascending));
            }
            Ok(PushSort::Fields(fields))
        }
        v if is_number(v) => Ok(PushSort::Whole(sort_direction(v).ok_or_else(bad_direction)?)),
        _ => Err(MongoError::bad_value(
            "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields",
        )),
    }
}

fn parse_add_to_set(arg: &Bson) -> MongoResult<Vec<Bson>> {
    let values = match arg {
        Bson::Document(spec) if spec.keys().next().map(String::as_str) == Some("$each") => {
            let each = spec.get("$each").unwrap_or(&Bson::Null);
            let Bson::Array(items) = each else {
                return Err(MongoError::type_mismatch(format!(
                    "The argument to $each in $addToSet must be an array but it was of type {}",
                    type_name(each)
                )));
            };
            if spec.len() > 1 {
                return Err(MongoError::bad_value(format!(
                    "Found unexpected fields after $each in $addToSet: {}",
                    describe_document(spec)
                )));
            }
            items.clone()
        }
        other => vec![other.clone()],
    };
    let mut unique: Vec<Bson> = Vec::with_capacity(values.len());
    for value in values {
        if !unique.iter().any(|seen| equal(seen, &value)) {
            unique.push(value);
        }
    }
    Ok(unique)
}

/// Query keywords that take a path (`{$gte: 3}`): a `$pull` argument starting with one is a condition on
/// the element itself, while `{field: cond}` or `{$and: [...]}` is a query on document elements.
fn is_path_accepting_keyword(key: &str) -> bool {
    key.starts_with('$') && !matches!(key, "$and" | "$or" | "$nor" | "$expr" | "$where" | "$text" | "$comment")
}

fn parse_pull(arg: &Bson) -> MongoResult<PullMatcher> {
    Ok(match arg {
        Bson::Document(cond) => match cond.keys().next() {
            Some(first) if is_path_accepting_keyword(first) => PullMatcher::Condition(ElementMatcher::on_element(arg)?),
            _ => PullMatcher::Condition(ElementMatcher::on_document(cond)?),
        },
        Bson::RegularExpression(_) => PullMatcher::Condition(ElementMatcher::on_element(arg)?),
        other => PullMatcher::Equal(other.clone()),
    })
}

impl PushSpec {
    fn single(value: Bson) -> Self {
        PushSpec { values: vec![value], position: None, slice: None, sort: None }
    }

    fn apply(&self, items: &mut Vec<Bson>) {
        let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let at = match self.position {
            None => len,
            Some(p) if p >= 0 => p.min(len),
            Some(p) => (len + p).max(0),
        };
        let at = usize::try_from(at).unwrap_or(items.len()).min(items.len());
        let tail = items.split_off(at);
        items.extend(self.values.iter().cloned());
        items.extend(tail);
        if let Some(sort) = &self.sort {
            items.sort_by(|a, b| sort.compare(a, b));
        }
        if let Some(slice) = self.slice {
            let keep = usize::try_from(slice.unsigned_abs()).unwrap_or(usize::MAX);
            if items.len() > keep {
                if slice >= 0 {
                    items.truncate(keep);
                } else {
                    items.drain(..items.len() - keep);
                }
            }
        }
    }
}

impl PushSort {
    fn compare(&self, a: &Bson, b: &Bson) -> Ordering {
        match self {
            PushSort::Whole(ascending) => directed(compare(a, b), *ascending),
            PushSort::Fields(fields) => match (a, b) {
                (Bson::Document(x), Bson::Document(y)) => {
                    for (path, ascending) in fields {
                        let ord = compare(&sort_key(x, path), &sort_key(y, path));
                        if ord != Ordering::Equal {
                            return directed(ord, *ascending);
                        }
                    }
                    Ordering::Equal
                }
                _ => {
                    let ascending = fields.first().map(|(_, asc)| *asc).unwrap_or(true);
                    directed(compare(a, b), ascending)
                }
            },
        }
    }
}

fn directed(ord: Ordering, ascending: bool) -> Ordering {
    if ascending {
        ord
    } else {
        ord.reverse()
    }
}

/// A sort key inside a document element; missing fields sort as null, as MongoDB's `$push` `$sort` does.
fn sort_key(doc: &Document, path: &[String]) -> Bson {
    super::path::lookup_in_documents(doc, path).cloned().unwrap_or(Bson::Null)
}

impl ArrayOp {
    /// True for operators that create the array when the field is missing.
    pub(crate) fn creates(&self) -> bool {
        matches!(self, ArrayOp::Push(_) | ArrayOp::AddToSet(_))
    }

    /// `$push` with `$sort` counts as a modification of an existing array even when the order was already
    /// right, as the server reports it.
    pub(crate) fn always_modifies(&self) -> bool {
        matches!(self, ArrayOp::Push(spec) if spec.sort.is_some())
    }

    /// The array to create for a missing field, or `None` to leave it missing.
    pub(crate) fn create(&self) -> Option<Bson> {
        match self {
            ArrayOp::Push(spec) => {
                let mut items = Vec::new();
                spec.apply(&mut items);
                Some(Bson::Array(items))
            }
            ArrayOp::AddToSet(values) => Some(Bson::Array(values.clone())),
            _ => None,
        }
    }

    /// Changes an existing value, which must be an array. `name` is the field name, `path` the path taken.
    pub(crate) fn update_existing(&self, value: &mut Bson, name: &str, path: &str, root: &Document) -> MongoResult<()> {
        let Bson::Array(items) = value else {
            return Err(match self {
                ArrayOp::Push(_) => MongoError::bad_value(format!(
                    "The field '{path}' must be an array but is of type {} in document {{{}}}",
                    type_name(value),
                    describe_id(root)
                )),
                ArrayOp::AddToSet(_) => MongoError::bad_value(format!(
                    "Cannot apply $addToSet to non-array field. Field named '{name}' has non-array type {}",
                    type_name(value)
                )),
                ArrayOp::Pop { .. } => MongoError::type_mismatch(format!(
                    "Path '{path}' contains an element of non-array type '{}'",
                    type_name(value)
                )),
                ArrayOp::Pull(_) | ArrayOp::PullAll(_) => {
                    MongoError::bad_value("Cannot apply $pull to a non-array value")
                }
            });
        };
        match self {
            ArrayOp::Push(spec) => spec.apply(items),
            ArrayOp::AddToSet(values) => {
                for value in values {
                    if !items.iter().any(|existing| equal(existing, value)) {
                        items.push(value.clone());
                    }
                }
            }
            ArrayOp::Pop { from_front } => {
                if *from_front {
                    if !items.is_empty() {
                        items.remove(0);
                    }
                } else {
                    items.pop();
                }
            }
            ArrayOp::Pull(matcher) => items.retain(|item| !matcher.matches(item)),
            ArrayOp::PullAll(values) => items.retain(|item| !values.iter().any(|v| equal(item, v))),
        }
        Ok(())
    }
}

impl PullMatcher {
    fn matches(&self, item: &Bson) -> bool {
        match self {
            PullMatcher::Equal(value) => equal(item, value),
            PullMatcher::Condition(matcher) => matcher.matches(item),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::{bson, doc};

    fn run(op: &str, arg: Bson, start: Bson) -> MongoResult<Bson> {
        let parsed = parse(op, "tags", &arg)?;
        let mut value = start;
        parsed.update_existing(&mut value, "tags", "tags", &doc! {"_id": 5})?;
        Ok(value)
    }

    #[test]
    fn push_modifiers_follow_mongodb() {
        let table = [
            (bson!(3), bson!([1, 2]), bson!([1, 2, 3])),
            (bson!([3]), bson!([1]), bson!([1, [3]])),
            (bson!({"$each": [0], "$position": 0}), bson!([1, 2]), bson!([0, 1, 2])),
            (bson!({"$each": [0], "$position": -1}), bson!([1, 2]), bson!([1, 0, 2])),
            (bson!({"$each": [0], "$position": -9}), bson!([1, 2]), bson!([0, 1, 2])),
            (bson!({"$each": [99, 200], "$sort": -1, "$slice": 2}), bson!([102, 103, 104]), bson!([200, 104])),
            (bson!({"$each": [5], "$slice": -2}), bson!([1, 2, 3]), bson!([3, 5])),
            (bson!({"$each": [], "$slice": 0}), bson!([1, 2]), bson!([])),
            (
                bson!({"$each": [{"s": 80}], "$sort": {"s": -1}}),
                bson!([{"s": 90}, {"s": 75}]),
                bson!([{"s": 90}, {"s": 80}, {"s": 75}]),
            ),
        ];
        for (arg, start, expected) in table {
            assert_eq!(run("$push", arg.clone(), start).unwrap(), expected, "{arg}");
        }
    }

    #[test]
    fn push_rejects_bad_clauses_and_non_arrays() {
        assert!(run("$push", bson!({"$each": 1}), bson!([])).is_err());
        assert!(run("$push", bson!({"$each": [], "$sort": 2}), bson!([])).is_err());
        assert!(run("$push", bson!({"$each": [], "$bogus": 2}), bson!([])).is_err());
        assert_eq!(
            run("$push", bson!(1), bson!("code")).unwrap_err().message,
            "The field 'tags' must be an array but is of type string in document {_id: 5}"
        );
    }

    #[test]
    fn add_to_set_skips_existing_and_duplicate_values() {
        let each = bson!({"$each": ["code", "rust", "rust"]});
        assert_eq!(run("$addToSet", each, bson!(["math", "code"])).unwrap(), bson!(["math", "code", "rust"]));
        assert_eq!(run("$addToSet", bson!(["a"]), bson!(["code"])).unwrap(), bson!(["code", ["a"]]));
        assert_eq!(run("$addToSet", bson!(1.0), bson!([1])).unwrap(), bson!([1]));
    }

    #[test]
    fn pop_pull_and_pull_all() {
        assert_eq!(run("$pop", bson!(1), bson!([1, 2])).unwrap(), bson!([1]));
        assert_eq!(run("$pop", bson!(-1), bson!([1, 2])).unwrap(), bson!([2]));
        assert_eq!(run("$pop", bson!(1), bson!([])).unwrap(), bson!([]));
        assert_eq!(parse("$pop", "tags", &bson!(2)).unwrap_err().message, "$pop expects 1 or -1, found: 2");
        assert_eq!(run("$pull", bson!(2), bson!([1, 2, 2.0, 3])).unwrap(), bson!([1, 3]));
        assert_eq!(run("$pullAll", bson!([1, 3, 9]), bson!([1, 2, 3])).unwrap(), bson!([2]));
        assert_eq!(run("$pull", bson!(1), bson!("x")).unwrap_err().code, 2);
        assert!(parse("$pullAll", "tags", &bson!(1)).is_err());
    }
}
