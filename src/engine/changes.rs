//! What a call changed: inserted, updated (before and after) and deleted documents, and index changes, so storage
//! persists exactly that and the UI can draw diffs.

use super::index::IndexOptions;
use bson::Document;
use std::sync::Arc;

/// One change to one collection, identified by its record number (natural order is record order).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Documents are shared with the collection that holds them (an `Arc`): recording a change copies none.
    Inserted {
        record: u64,
        doc: Arc<Document>,
    },
    Updated {
        record: u64,
        before: Arc<Document>,
        after: Arc<Document>,
    },
    Deleted {
        record: u64,
        doc: Arc<Document>,
    },
    IndexCreated {
        name: String,
        keys: Document,
        options: IndexOptions,
    },
    IndexDropped {
        name: String,
        keys: Document,
        options: IndexOptions,
    },
}

/// The changes of one call, per namespace (`shop.users`), in the order they were made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    pub entries: Vec<(String, String, Change)>,
    /// Collections created or dropped by the call, as (database, collection, created?).
    pub collections: Vec<(String, String, bool)>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.collections.is_empty()
    }

    /// The change set that undoes this one: newest first, inserts become deletes, updates swap before and after,
    /// created collections are dropped. Persisting it after `revert` keeps storage equal to memory.
    pub fn inverse(&self) -> ChangeSet {
        let entries = self
            .entries
            .iter()
            .rev()
            .map(|(database, collection, change)| {
                let inverted = match change {
                    Change::Inserted { record, doc } => Change::Deleted { record: *record, doc: doc.clone() },
                    Change::Deleted { record, doc } => Change::Inserted { record: *record, doc: doc.clone() },
                    Change::Updated { record, before, after } => {
                        Change::Updated { record: *record, before: after.clone(), after: before.clone() }
                    }
                    Change::IndexCreated { name, keys, options } => {
                        Change::IndexDropped { name: name.clone(), keys: keys.clone(), options: options.clone() }
                    }
                    Change::IndexDropped { name, keys, options } => {
                        Change::IndexCreated { name: name.clone(), keys: keys.clone(), options: options.clone() }
                    }
                };
                (database.clone(), collection.clone(), inverted)
            })
            .collect();
        let collections = self
            .collections
            .iter()
            .rev()
            .map(|(database, collection, created)| (database.clone(), collection.clone(), !created))
            .collect();
        ChangeSet { entries, collections }
    }

    /// Appends another call's changes after these.
    pub fn extend(&mut self, other: &ChangeSet) {
        self.entries.extend(other.entries.iter().cloned());
        self.collections.extend(other.collections.iter().cloned());
    }

    pub fn push_all(&mut self, database: &str, collection: &str, changes: Vec<Change>) {
        for change in changes {
            self.entries.push((database.to_string(), collection.to_string(), change));
        }
    }
}
