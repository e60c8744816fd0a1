//! What a call did to a collection, document by document and field by field, for the panes' diff view:
//! inserted, updated (which fields, and whether a value changed type) and removed documents.

use crate::engine::changes::{Change, ChangeSet};
use bson::{Bson, Document};
use std::sync::Arc;

/// How one field differs between a document's before and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldChangeKind {
    Added,
    Removed,
    /// Same type, new value.
    Changed,
    /// The value's BSON type changed (`"42"` → `42`): what casting does, so the UI marks it.
    TypeChanged,
}

/// One changed field, by dotted path.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub path: String,
    pub kind: FieldChangeKind,
    pub before: Option<Bson>,
    pub after: Option<Bson>,
}

/// One document's change.
#[derive(Debug, Clone, PartialEq)]
pub enum DocumentChange {
    /// Documents shared with the change set (nothing copied for the view).
    Inserted(Arc<Document>),
    Updated {
        before: Arc<Document>,
        after: Arc<Document>,
        fields: Vec<FieldChange>,
    },
    Removed(Arc<Document>),
}

/// The changes of one call in one collection.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionDiff {
    pub database: String,
    pub collection: String,
    pub documents: Vec<DocumentChange>,
    /// Indexes created (`+ username_1`) or dropped (`- username_1`).
    pub indexes: Vec<String>,
    /// Whether the call created or dropped the collection itself.
    pub created: bool,
    pub dropped: bool,
}

/// How deep field diffs descend into nested documents before reporting the whole subdocument as changed.
const MAX_DIFF_DEPTH: usize = 16;

/// Groups a change set by collection, in the order the collections were first touched.
pub fn diff(changes: &ChangeSet) -> Vec<CollectionDiff> {
    let mut out: Vec<CollectionDiff> = Vec::new();
    fn slot<'a>(out: &'a mut Vec<CollectionDiff>, database: &str, collection: &str) -> &'a mut CollectionDiff {
        let position = out.iter().position(|d| d.database == database && d.collection == collection);
        let index = match position {
            Some(index) => index,
            None => {
                out.push(CollectionDiff {
                    database: database.to_string(),
                    collection: collection.to_string(),
                    documents: Vec::new(),
                    indexes: Vec::new(),
                    created: false,
                    dropped: false,
                });
                out.len() - 1
            }
        };
        &mut out[index]
    }
    for (database, collection, created) in &changes.collections {
        let entry = slot(&mut out, database, collection);
        if *created {
            entry.created = true;
        } else {
            entry.dropped = true;
        }
    }
    for (database, collection, change) in &changes.entries {
        let entry = slot(&mut out, database, collection);
        match change {
            Change::Inserted { doc, .. } => entry.documents.push(DocumentChange::Inserted(Arc::clone(doc))),
            Change::Deleted { doc, .. } => entry.documents.push(DocumentChange::Removed(Arc::clone(doc))),
            Change::Updated { before, after, .. } => entry.documents.push(DocumentChange::Updated {
                before: Arc::clone(before),
                after: Arc::clone(after),
                fields: field_changes(before, after),
            }),
            Change::IndexCreated { name, .. } => entry.indexes.push(format!("+ {name}")),
            Change::IndexDropped { name, .. } => entry.indexes.push(format!("- {name}")),
        }
    }
    out
}

/// Field-level differences between two versions of a document, nested documents by dotted path.
pub fn field_changes(before: &Document, after: &Document) -> Vec<FieldChange> {
    let mut out = Vec::new();
    compare(before, after, "", 0, &mut out);
    out
}

fn compare(before: &Document, after: &Document, prefix: &str, depth: usize, out: &mut Vec<FieldChange>) {
    for (key, old) in before {
        let path = format!("{prefix}{key}");
        match after.get(key) {
            None => {
                out.push(FieldChange { path, kind: FieldChangeKind::Removed, before: Some(old.clone()), after: None })
            }
            Some(new) if new == old => {}
            Some(Bson::Document(new_doc)) if depth < MAX_DIFF_DEPTH => match old {
                Bson::Document(old_doc) => compare(old_doc, new_doc, &format!("{path}."), depth + 1, out),
                _ => out.push(changed(path, old, &Bson::Document(new_doc.clone()))),
            },
            Some(new) => out.push(changed(path, old, new)),
        }
    }
    for (key, new) in after {
        if !before.contains_key(key) {
            out.push(FieldChange {
                path: format!("{prefix}{key}"),
                kind: FieldChangeKind::Added,
                before: None,
                after: Some(new.clone()),
            });
        }
    }
}

fn changed(path: String, old: &Bson, new: &Bson) -> FieldChange {
    let kind = if std::mem::discriminant(old) == std::mem::discriminant(new) {
        FieldChangeKind::Changed
    } else {
        FieldChangeKind::TypeChanged
    };
    FieldChange { path, kind, before: Some(old.clone()), after: Some(new.clone()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn field_changes_mark_type_changes_and_nested_paths() {
        let before = doc! {"_id": 1, "age": "42", "profile": {"city": "Paris", "zip": 75}, "gone": true};
        let after = doc! {"_id": 1, "age": 42, "profile": {"city": "Lyon", "zip": 75}, "premium": true};
        let kinds: Vec<(String, FieldChangeKind)> =
            field_changes(&before, &after).into_iter().map(|c| (c.path, c.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("age".to_string(), FieldChangeKind::TypeChanged),
                ("profile.city".to_string(), FieldChangeKind::Changed),
                ("gone".to_string(), FieldChangeKind::Removed),
                ("premium".to_string(), FieldChangeKind::Added),
            ]
        );
    }

    #[test]
    fn diff_groups_by_collection() {
        let mut changes = ChangeSet::default();
        changes.collections.push(("test".into(), "users".into(), true));
        changes.push_all("test", "users", vec![Change::Inserted { record: 1, doc: doc! {"_id": 1}.into() }]);
        changes.push_all("test", "posts", vec![Change::Deleted { record: 4, doc: doc! {"_id": 9}.into() }]);
        let diffs = diff(&changes);
        assert_eq!(diffs.len(), 2);
        assert!(diffs[0].created);
        assert_eq!(diffs[0].documents, vec![DocumentChange::Inserted(doc! {"_id": 1}.into())]);
        assert_eq!(diffs[1].collection, "posts");
        assert_eq!(diffs[1].documents, vec![DocumentChange::Removed(doc! {"_id": 9}.into())]);
    }
}
