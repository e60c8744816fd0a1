//! Sort specifications (`{age: -1, name: 1}`): MongoDB's order across types, missing fields and arrays.

use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::path::{reach, FieldPath};
use crate::engine::raw::Record;
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
        self.order_keyed(docs.len(), wanted, |index, keys| {
            if let Some(doc) = docs.get(index) {
                self.fill_keys(doc.borrow(), keys);
            }
        })
    }

    /// [`SortSpec::order_first`] for stored documents: each one's keys are read from its BSON bytes when it has
    /// them (the tree is not visited; bytes that do not parse are read through the tree), with the same answer.
    pub fn order_first_stored<'a>(&self, docs: &[impl Record<'a>], wanted: usize) -> Vec<usize> {
        self.order_keyed(docs.len(), wanted, |index, keys| {
            let Some(record) = docs.get(index) else {
                return;
            };
            let from_bytes = record.bytes().map(|bytes| {
                let raw = crate::engine::raw::RawDoc::new(bytes)?;
                self.keys.iter().try_for_each(|(path, direction)| {
                    keys.push(raw_sort_key(raw, path, *direction)?);
                    Ok::<(), crate::engine::raw::Malformed>(())
                })
            });
            if from_bytes != Some(Ok(())) {
                keys.clear();
                self.fill_keys(record.document(), keys);
            }
        })
    }

    fn fill_keys(&self, doc: &Document, keys: &mut Vec<SortKey>) {
        keys.extend(self.keys.iter().map(|(path, direction)| sort_key(doc, path, *direction)));
    }

    /// The sorted order of `count` documents whose keys `fill` pushes (one per key of the spec), cut to `wanted`.
    /// Ties are broken by the place before sorting (the rank), which keeps the order stable. With a small `wanted`
    /// only the best candidates are kept: a document that sorts after the current `wanted`-th is dropped when its
    /// keys are read, so a sort + limit over a large collection holds and sorts a few keys, not all of them.
    fn order_keyed(&self, count: usize, wanted: usize, mut fill: impl FnMut(usize, &mut Vec<SortKey>)) -> Vec<usize> {
        let mut positions: Vec<usize> = (0..count).collect();
        if self.natural == Some(Direction::Descending) {
            positions.reverse();
        }
        if self.keys.is_empty() || wanted == 0 {
            positions.truncate(wanted);
            return positions;
        }
        let compare = |(a, _, rank_a): &Keyed, (b, _, rank_b): &Keyed| {
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
        // Candidates are gathered up to twice `wanted`, then cut back to the best `wanted`; the last of those is the
        // bar every later document must sort before (its rank is larger, so a tie with the bar loses).
        let keep = wanted.saturating_mul(2).max(64);
        let mut candidates: Vec<Keyed> = Vec::with_capacity(count.min(keep));
        let mut bar: Option<Keyed> = None;
        let mut scratch: Vec<SortKey> = Vec::with_capacity(self.keys.len());
        for (rank, index) in positions.into_iter().enumerate() {
            scratch.clear();
            fill(index, &mut scratch);
            let candidate = (std::mem::take(&mut scratch), index, rank);
            if bar.as_ref().is_some_and(|bar| compare(&candidate, bar) != Ordering::Less) {
                scratch = candidate.0;
                continue;
            }
            candidates.push(candidate);
            scratch = Vec::with_capacity(self.keys.len());
            if candidates.len() >= keep && wanted < candidates.len() {
                candidates.select_nth_unstable_by(wanted - 1, compare);
                candidates.truncate(wanted);
                bar = candidates.get(wanted - 1).cloned();
            }
        }
        if wanted < candidates.len() {
            candidates.select_nth_unstable_by(wanted, compare);
            candidates.truncate(wanted);
        }
        candidates.sort_unstable_by(compare);
        candidates.into_iter().map(|(_, index, _)| index).collect()
    }
}

/// One document's sort keys, its position and its rank (place before sorting).
type Keyed = (Vec<SortKey>, usize, usize);

/// [`sort_key`] read from a document's BSON bytes: the same places reached, the same smallest or largest value.
fn raw_sort_key(
    document: crate::engine::raw::RawDoc<'_>,
    path: &FieldPath,
    direction: Direction,
) -> Result<SortKey, crate::engine::raw::Malformed> {
    let mut best: Option<SortKey> = None;
    let mut consider = |candidate: SortKey| {
        if best.as_ref().is_none_or(|current| better(&candidate, current, direction)) {
            best = Some(candidate);
        }
    };
    crate::engine::raw::reach(document, path.parts(), &mut |reached| {
        match reached {
            None => consider(SortKey::Value(Bson::Null)),
            Some(value) => match value.as_array()? {
                Some(items) if items.is_empty() => consider(SortKey::EmptyArray),
                Some(items) => {
                    for item in items.elements() {
                        consider(SortKey::Value(item?.1.to_bson()?));
                    }
                }
                None => consider(SortKey::Value(value.to_bson()?)),
            },
        }
        Ok::<bool, crate::engine::raw::Malformed>(false)
    })?;
    Ok(best.unwrap_or(SortKey::Value(Bson::Null)))
}

/// Whether `candidate` replaces `current` as a document's key: ascending sorts keep the smallest, descending the largest.
fn better(candidate: &SortKey, current: &SortKey, direction: Direction) -> bool {
    let ordering = compare_keys(candidate, current);
    match direction {
        Direction::Ascending => ordering == Ordering::Less,
        Direction::Descending => ordering == Ordering::Greater,
    }
}

/// The key a document sorts by: every value the path reaches, arrays opened into their elements;
/// ascending sorts use the smallest, descending the largest. Missing counts as `null`.
fn sort_key(doc: &Document, path: &FieldPath, direction: Direction) -> SortKey {
    let mut best: Option<SortKey> = None;
    let mut consider = |candidate: SortKey| {
        if best.as_ref().is_none_or(|current| better(&candidate, current, direction)) {
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
    fn keys_read_from_the_bytes_order_as_the_trees_do() {
        let mut docs = people();
        docs.extend([
            doc! {"_id": 7, "age": [40, "x", null], "tags": [[1, 2], 0], "p": [{"t": "c"}, {"t": "0"}]},
            doc! {"_id": 8, "age": {"y": 1}, "tags": [{"a": 1}], "p": {"t": ["z", "a"]}},
            doc! {"_id": 9, "age": bson::Bson::MinKey, "tags": [bson::Bson::MaxKey], "p": [[{"t": "q"}], 3]},
            doc! {"_id": 10, "age": 36i64, "tags": [3.5, -1], "p": {"t": null}},
            doc! {"_id": 11, "age": 36.0, "p": [{"u": 1}]},
        ]);
        let encoded: Vec<Vec<u8>> = docs.iter().map(|d| crate::engine::raw::encode(d).unwrap().into_vec()).collect();
        let mut stored: Vec<(&Document, Option<&[u8]>)> =
            docs.iter().zip(&encoded).map(|(d, b)| (d, Some(b.as_slice()))).collect();
        // Bytes that do not parse are read through the tree, with the same answer.
        stored[2].1 = Some(&encoded[2][..encoded[2].len() - 3]);
        stored[4].1 = None;
        for spec in [
            doc! {"age": 1},
            doc! {"age": -1, "_id": 1},
            doc! {"tags": 1},
            doc! {"tags": -1},
            doc! {"tags.0": 1},
            doc! {"p.t": 1},
            doc! {"p.t": -1, "age": 1},
            doc! {"p.0.t": 1},
            doc! {"missing": 1},
            doc! {"$natural": -1},
        ] {
            let sort = SortSpec::compile(&spec).unwrap();
            for wanted in [0, 1, 2, 3, 5, 11, 12, usize::MAX] {
                assert_eq!(
                    sort.order_first_stored(&stored, wanted),
                    sort.order_first(&docs, wanted),
                    "{spec} first {wanted}"
                );
            }
        }
    }

    #[test]
    fn a_small_limit_over_many_documents_keeps_the_stable_prefix() {
        // More documents than the candidate buffer holds, with many ties: the bar must drop only later ties.
        let docs: Vec<Document> = (0..1000).map(|i| doc! {"_id": i, "k": (i * 7919) % 13}).collect();
        for spec in [doc! {"k": 1}, doc! {"k": -1}, doc! {"k": 1, "_id": -1}] {
            let sort = SortSpec::compile(&spec).unwrap();
            let full = sort.order(&docs);
            for wanted in [1, 10, 31, 64, 65, 200, 999] {
                assert_eq!(sort.order_first(&docs, wanted), full[..wanted].to_vec(), "{spec} first {wanted}");
            }
            let mut sorted = docs.clone();
            sorted.sort_by(|a, b| sort.compare(a, b));
            let ids: Vec<i32> = full.iter().map(|&i| docs[i].get_i32("_id").unwrap()).collect();
            assert_eq!(ids, sorted.iter().map(|d| d.get_i32("_id").unwrap()).collect::<Vec<_>>());
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
