//! What a call changed: inserted, updated (before and after) and deleted documents, and index changes, so storage
//! persists exactly that and the UI can draw diffs.

use bson::Document;

/// One change to one collection, identified by its record number (natural order is record order).
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Inserted { record: u64, doc: Document },
    Updated { record: u64, before: Document, after: Document },
    Deleted { record: u64, doc: Document },
    IndexCreated { name: String, keys: Document, unique: bool },
    IndexDropped { name: String, keys: Document, unique: bool },
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

    pub fn push_all(&mut self, database: &str, collection: &str, changes: Vec<Change>) {
        for change in changes {
            self.entries.push((database.to_string(), collection.to_string(), change));
        }
    }
}
