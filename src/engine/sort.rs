//! Sort specifications (`{age: -1, name: 1}`): MongoDB's order across types, missing fields and arrays.

use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::path::{reach, FieldPath};
use crate::engine::value::compare;
use bson::{Bson, Document};
use std::cmp::Ordering;

/// A compiled sort specification.
#[derive(Debug, Clone, PartialEq)]
pub struct SortSpec {
    keys: Vec<(FieldPath, Direction)>,
    /// `{$natural: 1 | -1}`: insertion order, or its reverse.
    natural: Option<Direction>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Ascending,
    Descending,
}

/// The value a document sorts by for one key.
#[derive(Debug, Clone, PartialEq)]
enum SortKey {
    /// An empty array: sorts before `null` and missing fields.
    EmptyArray,
    /// A value; missing fields sort as `null`.
    Value(Bson),
}

fn compare_keys(a: &SortKey, b: &SortKey) -> Ordering {
    match (a, b) {
        (SortKey::EmptyArray, SortKey::EmptyArray) => Ordering::Equal,
        (SortKey::EmptyArray, SortKey::Value(v)) => {
            if matches!(v, Bson::MinKey) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (SortKey::Value(_), SortKey::EmptyArray) => compare_keys(b, a).reverse(),
        (SortKey::Value(x), SortKey::Value(y)) => compare(x, y),
    }
}

impl SortSpec {
    /// Compiles `{field: 1 | -1, ...}`. Any other value is MongoDB's error 15975.
    pub fn compile(spec: &Document) -> MongoResult<SortSpec> {
        let mut keys = Vec::with_capacity(spec.len());
        let mut natural = None;
        for (field, direction) in spec {
            let number = match direction {
                Bson::Int32(i) => Some(f64::from(*i)),
                Bson::Int64(i) => i32::try_from(*i).ok().map(f64::from),
                Bson::Double(d) => Some(*d),
                // The Node.js driver (and so mongosh) turns these words into 1 / -1 before the server sees them.
                Bson::String(word) => match word.to_lowercase().as_str() {
                    "asc" | "ascending" | "1" => Some(1.0),
                    "desc" | "descending" | "-1" => Some(-1.0),
                    _ => None,
                },
                _ => None,
            };
            if let Bson::Document(meta) = direction {
                if meta.contains_key("$meta") {
                    return Err(MongoError::bad_value(
                        "$meta sort keys are not supported by crudlab (there is no text search)",
                    ));
                }
            }
            let direction = match number {
                Some(1.0) => Direction::Ascending,
                Some(-1.0) => Direction::Descending,
                _ => {
                    return Err(MongoError::new(
                        ErrorCode::Location(15975),
                        "$sort key ordering must be 1 (for ascending) or -1 (for descending)",
                    ))
                }
            };
            if field == "$natural" {
                if spec.len() > 1 {
                    return Err(MongoError::bad_value(
                        "crudlab sorts by $natural only on its own, not together with other sort fields",
                    ));
                }
                natural = Some(direction);
                continue;
            }
            if field.split('.').any(|part| part.starts_with('$')) {
                return Err(MongoError::new(
                    ErrorCode::Location(16410),
                    "FieldPath field names may not start with '$'. Consider using $getField or $setField.",
                ));
            }
            if field.is_empty() || field.split('.').any(str::is_empty) {
                return Err(MongoError::new(
                    ErrorCode::Location(40352),
                    "FieldPath cannot be constructed with empty string",
                ));
            }
            keys.push((FieldPath::parse_checked(field)?, direction));
        }
        Ok(SortSpec { keys, natural })
    }

    /// True when the spec has no keys (natural order).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.natural != Some(Direction::Descending)
    }

    /// `Some(true)` for `{$natural: 1}`, `Some(false)` for `{$natural: -1}`: the caller's documents must
    /// be in insertion order, which [`SortSpec::sort`] keeps or reverses.
    pub fn natural_order(&self) -> Option<bool> {
        self.natural.map(|direction| direction == Direction::Ascending)
    }

    /// The fields sorted on, with `true` for ascending.
    pub fn fields(&self) -> impl Iterator<Item = (&str, bool)> {
        self.keys.iter().map(|(path, dir)| (path.dotted(), *dir == Direction::Ascending))
    }

    /// Orders two documents by the spec's keys in turn.
    pub fn compare(&self, a: &Document, b: &Document) -> Ordering {
        for (path, direction) in &self.keys {
            let ordering = compare_keys(&sort_key(a, path, *direction), &sort_key(b, path, *direction));
            let ordering = match direction {
                Direction::Ascending => ordering,
                Direction::Descending => ordering.reverse(),
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    }

    /// Sorts in place; documents that tie keep their relative order (stable), as MongoDB's find does for a collection scan.
    pub fn sort(&self, docs: &mut [Document]) {
        let order = self.order(docs);
        let mut taken: Vec<Option<Document>> = docs.iter_mut().map(|d| Some(std::mem::take(d))).collect();
        for (slot, index) in docs.iter_mut().zip(order) {
            if let Some(doc) = taken.get_mut(index).and_then(Option::take) {
                *slot = doc;
            }
        }
    }

    /// The positions of `docs` in sorted order (stable), without moving or copying any document, so a find can sort
    /// references and copy only the documents it returns.
    pub fn order<D: std::borrow::Borrow<Document>>(&self, docs: &[D]) -> Vec<usize> {
        self.order_first(docs, usize::MAX)
    }

    /// The first `wanted` positions of `order` (a sort with skip + limit needs no more): with a small limit the
    /// rest is only partitioned away, not sorted. The result is exactly the prefix of the full, stable order.
    pub fn order_first<D: std::borrow::Borrow<Document>>(&self, docs: &[D], wanted: usize) -> Vec<usize> {
        let mut positions: Vec<usize> = (0..docs.len()).collect();
        if self.natural == Some(Direction::Descending) {
            positions.reverse();
        }
        if self.keys.is_empty() {
            positions.truncate(wanted);
            return positions;
        }
        // Each document's keys are computed once rather than at every comparison; the rank (place before sorting)
        // breaks ties, which keeps the order stable however the elements are moved.
        let mut keyed: Vec<(Vec<SortKey>, usize, usize)> = positions
            .into_iter()
            .filter_map(|index| {
                let doc = docs.get(index)?.borrow();
                Some((self.keys.iter().map(|(path, direction)| sort_key(doc, path, *direction)).collect(), index))
            })
            .enumerate()
            .map(|(rank, (keys, index))| (keys, index, rank))
            .collect();
        let compare = |(a, _, rank_a): &(Vec<SortKey>, usize, usize), (b, _, rank_b): &(Vec<SortKey>, usize, usize)| {
            for ((x, y), (_, direction)) in a.iter().zip(b.iter()).zip(&self.keys) {
                let ordering = compare_keys(x, y);
                let ordering = match direction {
                    Direction::Ascending => ordering,
                    Direction::Descending => ordering.reverse(),
                };
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
            rank_a.cmp(rank_b)
        };
        if wanted < keyed.len() {
            keyed.select_nth_unstable_by(wanted, compare);
            keyed.truncate(wanted);
        }
        keyed.sort_unstable_by(compare);
        keyed.into_iter().map(|(_, index, _)| index).collect()
    }
}

/// The key a document sorts by: every value the path reaches, arrays opened into their elements;
/// ascending sorts use the smallest, descending the largest. Missing counts as `null`.
fn sort_key(doc: &Document, path: &FieldPath, direction: Direction) -> SortKey {
    let mut best: Option<SortKey> = None;
    let mut consider = |candidate: SortKey| {
        let replace = match &best {
            None => true,
            Some(current) => {
                let ordering = compare_keys(&candidate, current);
                match direction {
                    Direction::Ascending => ordering == Ordering::Less,
                    Direction::Descending => ordering == Ordering::Greater,
                }
            }
        };
        if replace {
            best = Some(candidate);
        }
    };
    for reached in reach(doc, path.parts()) {
        match reached.value {
            None => consider(SortKey::Value(Bson::Null)),
            Some(Bson::Array(items)) if items.is_empty() => consider(SortKey::EmptyArray),
            Some(Bson::Array(items)) => {
                for item in items {
                    consider(SortKey::Value(item.clone()));
                }
            }
            Some(value) => consider(SortKey::Value(value.clone())),
        }
    }
    best.unwrap_or(SortKey::Value(Bson::Null))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::doc;

    fn order(spec: Document, docs: &[Document]) -> Vec<i32> {
        let mut docs = docs.to_vec();
        SortSpec::compile(&spec).unwrap().sort(&mut docs);
        docs.iter().map(|d| d.get_i32("_id").unwrap()).collect()
    }

    fn people() -> Vec<Document> {
        vec![
            doc! {"_id": 1, "age": 36, "tags": [5, 1]},
            doc! {"_id": 2, "age": "85", "tags": []},
            doc! {"_id": 3, "age": null, "tags": 3},
            doc! {"_id": 4, "tags": [2, 9]},
            doc! {"_id": 5, "age": 28.5, "p": {"t": "b"}},
            doc! {"_id": 6, "age": 36, "p": {"t": "a"}},
        ]
    }

    #[test]
    fn mixed_types_follow_bson_order_and_ties_are_stable() {
        assert_eq!(order(doc! {"age": 1}, &people()), vec![3, 4, 5, 1, 6, 2]);
        assert_eq!(order(doc! {"age": -1}, &people()), vec![2, 1, 6, 5, 3, 4]);
        assert_eq!(order(doc! {"age": -1, "_id": -1}, &people()), vec![2, 6, 1, 5, 4, 3]);
        assert_eq!(order(doc! {"p.t": 1}, &people()), vec![1, 2, 3, 4, 6, 5]);
    }

    #[test]
    fn a_limited_sort_is_the_prefix_of_the_full_stable_sort() {
        let docs = people();
        for spec in
            [doc! {"age": 1}, doc! {"age": -1}, doc! {"tags": 1}, doc! {"p.t": -1, "_id": 1}, doc! {"$natural": -1}]
        {
            let sort = SortSpec::compile(&spec).unwrap();
            let full = sort.order(&docs);
            for wanted in 0..=docs.len() + 1 {
                let expected: Vec<usize> = full.iter().copied().take(wanted).collect();
                assert_eq!(sort.order_first(&docs, wanted), expected, "{spec} first {wanted}");
            }
        }
    }

    #[test]
    fn arrays_sort_by_smallest_or_largest_element() {
        // Ascending: [] first, then missing (null), then 1 ([5,1]), 2 ([2,9]), 3.
        assert_eq!(order(doc! {"tags": 1}, &people()), vec![2, 5, 6, 1, 4, 3]);
        // Descending: 9 ([2,9]), 5 ([5,1]), 3, then nulls, then [].
        assert_eq!(order(doc! {"tags": -1}, &people()), vec![4, 1, 3, 5, 6, 2]);
    }

    #[test]
    fn bad_sort_values() {
        let err = |spec: Document| SortSpec::compile(&spec).unwrap_err();
        assert_eq!(err(doc! {"a": 2}).message, "$sort key ordering must be 1 (for ascending) or -1 (for descending)");
        assert_eq!(err(doc! {"a": "up"}).code, 15975);
        assert_eq!(order(doc! {"age": "desc", "_id": "ascending"}, &people()), vec![2, 1, 6, 5, 3, 4]);
        assert!(SortSpec::compile(&doc! {"a": -1.0}).is_ok());
    }

    #[test]
    fn natural_order() {
        assert_eq!(order(doc! {"$natural": -1}, &people()), vec![6, 5, 4, 3, 2, 1]);
        assert_eq!(order(doc! {"$natural": 1}, &people()), vec![1, 2, 3, 4, 5, 6]);
        assert!(SortSpec::compile(&doc! {"$natural": 1, "a": 1}).is_err());
        assert_eq!(SortSpec::compile(&doc! {"$natural": -1}).unwrap().natural_order(), Some(false));
    }

    #[test]
    fn compare_matches_sort() {
        let spec = SortSpec::compile(&doc! {"age": 1}).unwrap();
        let p = people();
        assert_eq!(spec.compare(&p[0], &p[4]), Ordering::Greater);
        assert_eq!(spec.compare(&p[0], &p[5]), Ordering::Equal);
    }
}
