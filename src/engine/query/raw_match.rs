//! A compiled filter matched against a stored document's BSON bytes ([`crate::engine::raw`]), with exactly the
//! tree matcher's semantics: the same path walk through documents and arrays, the same leaf-array expansion, and
//! each predicate decided by the same comparison functions. Strings are compared in place; numbers, booleans,
//! ids and dates are read without decoding. What it does not decide in place — `$expr`, a predicate on the whole
//! document, bytes that do not parse — it hands back ([`NeedsTree`]) and the caller matches the document tree.

use super::{CmpOp, Leaf, Node};
use crate::engine::raw::{Malformed, RawDoc, RawValue};
use bson::Bson;

/// This document must be matched through its tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NeedsTree;

impl From<Malformed> for NeedsTree {
    fn from(_: Malformed) -> NeedsTree {
        NeedsTree
    }
}

type Decided = Result<bool, NeedsTree>;

/// What a node is matched against, as in the tree matcher.
#[derive(Clone, Copy)]
enum Subject<'a> {
    Doc(RawDoc<'a>),
    Value(RawValue<'a>),
}

pub(super) fn matches(node: &Node, document: RawDoc<'_>) -> Decided {
    eval(node, Subject::Doc(document))
}

fn eval(node: &Node, subject: Subject<'_>) -> Decided {
    match node {
        Node::And(children) => {
            for child in children {
                if !eval(child, subject)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Node::Or(children) => {
            for child in children {
                if eval(child, subject)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Node::Nor(children) => {
            for child in children {
                if eval(child, subject)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Node::Not(inner) => Ok(!eval(inner, subject)?),
        Node::AlwaysFalse => Ok(false),
        Node::Expr(_) => Err(NeedsTree),
        Node::Path { path, leaf } => match subject {
            Subject::Value(value) if path.is_empty() => leaf_value(leaf, value),
            Subject::Value(_) => Ok(false),
            Subject::Doc(_) if path.is_empty() => Err(NeedsTree),
            Subject::Doc(document) => {
                crate::engine::raw::reach(document, path.parts(), &mut |reached| leaf_reached(leaf, reached))
            }
        },
    }
}

/// The tree's `Leaf::matches_reached`, without the array position.
fn leaf_reached(leaf: &Leaf, reached: Option<RawValue<'_>>) -> Decided {
    let Some(value) = reached else {
        return Ok(leaf.matches_missing());
    };
    if matches!(leaf, Leaf::ElemMatchObject(_) | Leaf::ElemMatchValue(_)) {
        return elem_match(leaf, value);
    }
    if leaf.expands_arrays() {
        if let Some(items) = value.as_array()? {
            for element in items.elements() {
                if leaf_value(leaf, element?.1)? {
                    return Ok(true);
                }
            }
        }
    }
    leaf_value(leaf, value)
}

/// True when comparing with `operand` cannot succeed for a document or array value (another type bracket, and
/// not MinKey/MaxKey, which compare with every type).
fn only_scalars_match(operand: &Bson) -> bool {
    !matches!(operand, Bson::Document(_) | Bson::Array(_) | Bson::MinKey | Bson::MaxKey)
}

/// The tree's `Leaf::matches_value`: the predicate on one value, not looking inside arrays.
fn leaf_value(leaf: &Leaf, value: RawValue<'_>) -> Decided {
    if let Some(text) = value.as_str()? {
        if let Some(decided) = on_string(leaf, text) {
            return Ok(decided);
        }
    }
    let container = value.as_document()?.is_some() || value.as_array()?.is_some();
    match leaf {
        Leaf::ElemMatchObject(_) | Leaf::ElemMatchValue(_) => return elem_match(leaf, value),
        Leaf::Exists => return Ok(true),
        Leaf::Size(size) => return Ok(value.as_array()?.map(|items| items.len()).transpose()? == Some(*size)),
        Leaf::Eq(operand) | Leaf::Cmp(_, operand) if container && only_scalars_match(operand) => return Ok(false),
        Leaf::In { values, regexes } if container && regexes.is_empty() && values.iter().all(only_scalars_match) => {
            return Ok(false)
        }
        _ => {}
    }
    leaf.matches_scalar(&value.to_bson()?).ok_or(NeedsTree)
}

/// A predicate on a string value decided without copying it, or `None` to decide on the decoded value.
fn on_string(leaf: &Leaf, text: &str) -> Option<bool> {
    let same_text = |operand: &Bson| matches!(operand, Bson::String(other) | Bson::Symbol(other) if other == text);
    Some(match leaf {
        // A string equals only a string or symbol of the same text.
        Leaf::Eq(operand) => same_text(operand),
        Leaf::Cmp(op, Bson::String(other) | Bson::Symbol(other)) => op.accepts(text.as_bytes().cmp(other.as_bytes())),
        // Another type bracket: only MinKey and MaxKey compare (as `comparison::compare_matches` does).
        Leaf::Cmp(op, Bson::MinKey) => matches!(op, CmpOp::Gt | CmpOp::Gte),
        Leaf::Cmp(op, Bson::MaxKey) => matches!(op, CmpOp::Lt | CmpOp::Lte),
        Leaf::Cmp(..) => false,
        Leaf::In { values, regexes } => {
            values.iter().any(same_text) || regexes.iter().any(|regex| regex.matches_text(text))
        }
        Leaf::Regex(regex) => regex.matches_text(text),
        _ => return None,
    })
}

/// `$elemMatch`: some element of an array value satisfies the condition (the tree's `elem_match_index`).
fn elem_match(leaf: &Leaf, value: RawValue<'_>) -> Decided {
    let Some(items) = value.as_array()? else {
        return Ok(false);
    };
    for element in items.elements() {
        let item = element?.1;
        let satisfied = match leaf {
            Leaf::ElemMatchObject(query) => match item.as_document()? {
                Some(inner) => eval(query, Subject::Doc(inner))?,
                None => false,
            },
            Leaf::ElemMatchValue(conditions) => {
                let mut all = true;
                for condition in conditions {
                    if !eval(condition, Subject::Value(item))? {
                        all = false;
                        break;
                    }
                }
                all
            }
            _ => false,
        };
        if satisfied {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    //! The bytes and the tree must give the same answer; these tests also check that the bytes decide (no silent
    //! fall back to the tree), so a matcher that always said "needs the tree" would fail them.
    use crate::engine::query::Filter;
    use crate::engine::raw::encode;
    use bson::{doc, oid::ObjectId, Bson, DateTime, Document};
    use proptest::prelude::*;

    /// Matches `document` both ways; `true` when the bytes decided.
    fn agree(filter: &Filter, document: &Document, context: &str) -> bool {
        let tree = filter.matches(document);
        match encode(document).and_then(|bytes| filter.matches_raw(&bytes)) {
            Some(raw) => {
                assert_eq!(raw, tree, "bytes and tree disagree on {document:?} ({context})");
                true
            }
            None => false,
        }
    }

    #[test]
    fn every_conformance_query_gives_the_trees_answer() {
        let suite: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/conformance/query.json")).unwrap();
        let (mut decided, mut pairs) = (0, 0);
        for case in suite["cases"].as_array().unwrap() {
            let filter = crate::conformance::ejson::to_document(&case["filter"]).unwrap_or_default();
            let Ok(filter) = Filter::compile(&filter) else { continue };
            for document in case["docs"].as_array().unwrap() {
                let document = crate::conformance::ejson::to_document(document).unwrap();
                pairs += 1;
                decided += usize::from(agree(&filter, &document, case["id"].as_str().unwrap_or("?")));
            }
        }
        // Only `$expr` and whole-document predicates need the tree.
        assert!(decided * 10 >= pairs * 9, "the bytes decided only {decided} of {pairs}");
    }

    #[test]
    fn mongodb_semantics_hold_on_the_bytes() {
        let people = [
            doc! {"_id": 1, "age": 36, "name": "ada", "tags": ["a", "b"], "p": {"city": "London", "zip": [1, 2]}},
            doc! {"_id": 2, "age": "85", "name": Bson::Symbol("ada".into()), "tags": [["a"]], "p": [{"city": "Paris"}, {"city": "Rome"}]},
            doc! {"_id": 3, "age": null, "tags": [], "p": {"city": null}},
            doc! {"_id": 4, "age": [20, 50], "scores": [{"s": 1, "t": "x"}, {"s": 9, "t": "y"}]},
            doc! {"_id": 5, "age": 36.0, "id": ObjectId::from_bytes([1; 12]), "at": DateTime::from_millis(5), "big": 36_i64},
        ];
        let filters = [
            doc! {"age": 36},
            doc! {"age": {"$gt": 30}},
            doc! {"age": {"$gte": null}},
            doc! {"age": null},
            doc! {"age": {"$ne": null}},
            doc! {"age": {"$in": [50, "85"]}},
            doc! {"age": {"$nin": [36]}},
            doc! {"age": {"$gt": Bson::MinKey}},
            doc! {"age": {"$lt": Bson::MaxKey}},
            doc! {"age": {"$type": "array"}},
            doc! {"name": "ada"},
            doc! {"name": {"$gte": "ab"}},
            doc! {"name": {"$gt": "ada"}},
            doc! {"name": {"$lt": "ada"}},
            doc! {"name": {"$lte": "ada"}},
            doc! {"name": {"$gt": Bson::MinKey}},
            doc! {"name": {"$gte": Bson::MinKey}},
            doc! {"name": {"$lte": Bson::MaxKey}},
            doc! {"name": {"$lt": 5}},
            doc! {"name": {"$in": ["x", "ada"]}},
            doc! {"name": {"$regex": "^a"}},
            doc! {"tags": "a"},
            doc! {"tags": ["a"]},
            doc! {"tags": {"$size": 0}},
            doc! {"tags.0": "a"},
            doc! {"tags.0.0": "a"},
            doc! {"p.city": "Rome"},
            doc! {"p.city": null},
            doc! {"p.city": {"$exists": false}},
            doc! {"p.zip": 2},
            doc! {"p.1.city": "Rome"},
            doc! {"p": {"city": "London", "zip": [1, 2]}},
            doc! {"scores": {"$elemMatch": {"s": {"$gt": 5}, "t": "y"}}},
            doc! {"scores.s": {"$all": [1, 9]}},
            doc! {"age": {"$elemMatch": {"$gt": 30, "$lt": 60}}},
            doc! {"$or": [{"age": 36}, {"tags": {"$size": 1}}]},
            doc! {"$nor": [{"age": 36}, {"name": "ada"}]},
            doc! {"age": {"$not": {"$gt": 40}}},
            doc! {"age": {"$mod": [6, 0]}},
            doc! {"big": 36, "id": ObjectId::from_bytes([1; 12]), "at": {"$lt": DateTime::from_millis(9)}},
        ];
        for spec in &filters {
            let filter = Filter::compile(spec).unwrap();
            for person in &people {
                assert!(agree(&filter, person, &format!("{spec:?}")), "{spec:?} fell back to the tree on {person:?}");
            }
        }
        // `$expr` needs the whole document: the bytes hand it over.
        let expr = Filter::compile(&doc! {"$expr": {"$gt": ["$age", 30]}}).unwrap();
        assert!(!agree(&expr, &people[0], "$expr"));
    }

    fn value() -> impl Strategy<Value = Bson> {
        let leaf = prop_oneof![
            Just(Bson::Null),
            (-2i32..3).prop_map(Bson::Int32),
            (-2i64..3).prop_map(Bson::Int64),
            prop_oneof![Just(f64::NAN), Just(0.5), Just(-0.0), Just(2.0)].prop_map(Bson::Double),
            "[ab]{0,2}".prop_map(Bson::String),
            "[ab]{0,1}".prop_map(Bson::Symbol),
            any::<bool>().prop_map(Bson::Boolean),
            Just(Bson::MinKey),
            Just(Bson::MaxKey),
            (0u8..2).prop_map(|b| Bson::ObjectId(ObjectId::from_bytes([b; 12]))),
        ];
        leaf.prop_recursive(3, 16, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Bson::Array),
                prop::collection::vec(("[ab0]", inner), 0..3)
                    .prop_map(|fields| Bson::Document(fields.into_iter().collect())),
            ]
        })
    }

    fn condition() -> impl Strategy<Value = Bson> {
        let operator =
            prop::sample::select(vec!["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$all", "$size"]);
        prop_oneof![
            1 => value(),
            4 => (operator, value()).prop_map(|(op, argument)| {
                let argument = match (op, argument) {
                    ("$in" | "$nin" | "$all", Bson::Array(items)) => Bson::Array(items),
                    ("$in" | "$nin" | "$all", other) => Bson::Array(vec![other]),
                    ("$size", _) => Bson::Int32(1),
                    (_, other) => other,
                };
                Bson::Document(doc! {op: argument})
            }),
            1 => value().prop_map(|v| Bson::Document(doc! {"$elemMatch": {"a": v}})),
            1 => value().prop_map(|v| Bson::Document(doc! {"$elemMatch": {"$gte": v}})),
            1 => any::<bool>().prop_map(|b| Bson::Document(doc! {"$exists": b})),
            1 => Just(Bson::Document(doc! {"$regex": "^a"})),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn random_filters_give_the_trees_answer(
            path in "[ab](\\.[ab01]){0,2}",
            condition in condition(),
            documents in prop::collection::vec(prop::collection::vec(("[ab]", value()), 0..3), 1..4),
        ) {
            let mut spec = Document::new();
            spec.insert(path, condition);
            if let Ok(filter) = Filter::compile(&spec) {
                for fields in documents {
                    let document: Document = fields.into_iter().collect();
                    agree(&filter, &document, &format!("{spec:?}"));
                }
            }
        }
    }
}
