//! Replacement updates (`replaceOne`) and the seed document an upsert starts from.

use super::path::{describe_element, identical};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::value::equal;
use bson::{Bson, Document};

/// Checks a replacement document's top-level names: `$`-prefixed fields are not allowed there.
pub(crate) fn check_replacement(replacement: &Document) -> MongoResult<()> {
    match replacement.keys().find(|key| key.starts_with('$')) {
        Some(key) => Err(dollar_prefixed_field(key)),
        None => Ok(()),
    }
}

/// The server's storage error for a top-level `$`-prefixed field; it words it this way for operator
/// updates too.
pub(crate) fn dollar_prefixed_field(key: &str) -> MongoError {
    MongoError::new(
        ErrorCode::DollarPrefixedFieldName,
        format!(
            "The dollar ($) prefixed field '{key}' in '{key}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith."
        ),
    )
}

/// The document after replacing `doc` by `replacement`: `_id` is kept (and stays first); a different
/// `_id` in the replacement is an error.
pub(crate) fn replace(doc: &Document, replacement: &Document) -> MongoResult<Document> {
    let mut out = Document::new();
    match (doc.get("_id"), replacement.get("_id")) {
        (Some(old), Some(new)) if !equal(old, new) => {
            return Err(MongoError::immutable_field(format!(
                "After applying the update, the (immutable) field '_id' was found to have been altered to {}",
                describe_element("_id", new)
            )))
        }
        (Some(id), _) | (None, Some(id)) => {
            out.insert("_id", id.clone());
        }
        (None, None) => {}
    }
    for (key, value) in replacement {
        if key != "_id" {
            out.insert(key.clone(), value.clone());
        }
    }
    Ok(out)
}

/// The fields an upsert's new document starts with: the filter's equality conditions (`{a: 1}`,
/// `{a: {$eq: 1}}`, those inside `$and` or a one-branch `$or`), with dotted names expanded into nested
/// documents.
pub fn upsert_seed(filter: &Document) -> Document {
    let mut seed = Document::new();
    collect_equalities(filter, &mut seed, 0);
    seed
}

/// How deep `$and` nesting is followed when seeding an upsert.
const MAX_SEED_DEPTH: usize = 20;

fn collect_equalities(filter: &Document, seed: &mut Document, depth: usize) {
    if depth > MAX_SEED_DEPTH {
        return;
    }
    for (key, condition) in filter {
        // `$and` branches all hold; a `$or` with one branch is that branch (the server normalizes it).
        let single_or = matches!(condition, Bson::Array(branches) if branches.len() == 1);
        if key == "$and" || (key == "$or" && single_or) {
            if let Bson::Array(branches) = condition {
                for branch in branches {
                    if let Bson::Document(branch) = branch {
                        collect_equalities(branch, seed, depth + 1);
                    }
                }
            }
            continue;
        }
        if key.starts_with('$') {
            continue;
        }
        let value = match condition {
            Bson::Document(ops) if ops.keys().next().is_some_and(|k| k.starts_with('$')) => {
                // `{a: {$eq: 1, $gt: 0}}` still pins `a` to 1.
                match ops.get("$eq") {
                    Some(value) => value.clone(),
                    None => continue,
                }
            }
            Bson::RegularExpression(_) => continue,
            other => other.clone(),
        };
        let parts: Vec<&str> = key.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) || parts.len() > super::path::MAX_PATH_PARTS {
            continue;
        }
        insert_path(seed, &parts, value);
    }
}

/// Writes `value` at a dotted path, creating documents; a path that runs into a non-document is skipped.
fn insert_path(doc: &mut Document, parts: &[&str], value: Bson) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    if rest.is_empty() {
        if !doc.get(*first).is_some_and(|existing| identical(existing, &value)) {
            doc.insert(first.to_string(), value);
        }
        return;
    }
    if !doc.contains_key(*first) {
        doc.insert(first.to_string(), Document::new());
    }
    if let Some(Bson::Document(inner)) = doc.get_mut(*first) {
        insert_path(inner, rest, value);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn replacement_keeps_id_first() {
        let doc = doc! {"_id": 1, "a": 1};
        assert_eq!(replace(&doc, &doc! {"b": 2, "_id": 1}).unwrap(), doc! {"_id": 1, "b": 2});
        let err = replace(&doc, &doc! {"_id": 2}).unwrap_err();
        assert_eq!(err.code, 66);
        assert_eq!(
            err.message,
            "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2"
        );
    }

    #[test]
    fn upsert_seed_reads_single_branch_or_and_nested_and() {
        let filter = doc! {"$or": [{"a": 1}], "$and": [{"$and": [{"b.c": null}]}]};
        assert_eq!(upsert_seed(&filter), doc! {"a": 1, "b": {"c": null}});
    }

    #[test]
    fn upsert_seed_takes_equalities_only() {
        let filter = doc! {
            "username": "ada",
            "age": {"$gt": 3},
            "city": {"$eq": "Paris"},
            "profile.title": "CTO",
            "$and": [{"premium": true}],
            "$or": [{"x": 1}, {"y": 1}],
            "$nor": [{"z": 1}],
        };
        assert_eq!(
            upsert_seed(&filter),
            doc! {"username": "ada", "city": "Paris", "profile": {"title": "CTO"}, "premium": true}
        );
    }
}
