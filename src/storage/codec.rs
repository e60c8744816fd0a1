//! How a cluster lives as records: the key layout, BSON bytes per document, a metadata record per collection, the
//! batch a change set becomes, and loading everything back (skipping and reporting records that do not decode).

use super::RecordChange;
use crate::engine::changes::{Change, ChangeSet};
use crate::engine::collection::Collection;
use crate::engine::database::Cluster;
use bson::{Bson, Document};
use std::fmt;

/// Written into every store; a later release that changes the layout migrates records whose version is older.
pub const FORMAT_VERSION: i32 = 1;

/// Key separator: NUL can appear in neither database nor collection names.
const SEP: char = '\0';

/// The key of the format record.
pub const FORMAT_KEY: &str = "format";

/// `d␀shop␀users␀000000000000002a`: documents sort by collection, then by record number (natural order).
pub fn document_key(database: &str, collection: &str, record: u64) -> String {
    format!("d{SEP}{database}{SEP}{collection}{SEP}{record:016x}")
}

/// `c␀shop␀users`: the collection's metadata (its indexes), present even when the collection is empty.
pub fn collection_key(database: &str, collection: &str) -> String {
    format!("c{SEP}{database}{SEP}{collection}")
}

/// The format record's value.
pub fn format_record() -> RecordChange {
    let doc = bson::doc! {"format": FORMAT_VERSION, "app": "crudlab"};
    RecordChange::Put { key: FORMAT_KEY.into(), bytes: doc.to_vec().unwrap_or_default() }
}

fn encode(doc: &Document) -> Vec<u8> {
    // Documents in the engine already passed the size and depth checks, so encoding cannot fail in practice;
    // an empty record would be reported as corrupt on load rather than crash now.
    doc.to_vec().unwrap_or_default()
}

/// The metadata record of a collection: `{ indexes: [{ name, key, unique }] }` (the `_id_` index is implicit).
pub fn collection_record(database: &str, collection: &Collection) -> RecordChange {
    let indexes: Vec<Bson> = collection
        .indexes()
        .iter()
        .filter(|index| index.name != "_id_")
        .map(|index| {
            Bson::Document(bson::doc! {"name": index.name.clone(), "key": index.key_document(), "unique": index.unique})
        })
        .collect();
    let doc = bson::doc! {"indexes": indexes};
    RecordChange::Put { key: collection_key(database, collection.name()), bytes: encode(&doc) }
}

/// The records to write for a change set, given the cluster as it is after the call.
pub fn batch_for(cluster: &Cluster, changes: &ChangeSet) -> Vec<RecordChange> {
    let mut batch = Vec::new();
    let mut touched_meta: Vec<(String, String)> = Vec::new();
    for (database, collection, created) in &changes.collections {
        if *created {
            touched_meta.push((database.clone(), collection.clone()));
        } else {
            batch.push(RecordChange::Delete { key: collection_key(database, collection) });
        }
    }
    for (database, collection, change) in &changes.entries {
        match change {
            Change::Inserted { record, doc } | Change::Updated { record, after: doc, .. } => {
                batch.push(RecordChange::Put { key: document_key(database, collection, *record), bytes: encode(doc) });
            }
            Change::Deleted { record, .. } => {
                batch.push(RecordChange::Delete { key: document_key(database, collection, *record) });
            }
            Change::IndexCreated { .. } | Change::IndexDropped { .. } => {
                touched_meta.push((database.clone(), collection.clone()));
            }
        }
    }
    touched_meta.sort();
    touched_meta.dedup();
    for (database, collection) in touched_meta {
        if let Some(coll) = cluster.database(&database).and_then(|db| db.collection(&collection)) {
            batch.push(collection_record(&database, coll));
        }
    }
    batch
}

/// Every record of a whole cluster (export to a fresh store, tests).
pub fn records_of(cluster: &Cluster) -> Vec<RecordChange> {
    let mut batch = vec![format_record()];
    for db in cluster.databases() {
        for coll in db.collections() {
            batch.push(collection_record(&db.name, coll));
            for (record, doc) in coll.records() {
                batch.push(RecordChange::Put { key: document_key(&db.name, coll.name(), record), bytes: encode(doc) });
            }
        }
    }
    batch
}

/// A record that could not be loaded: where it is and why; the rest still loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    pub key: String,
    pub reason: String,
}

impl fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped record {}: {}", self.key.replace(SEP, "/"), self.reason)
    }
}

/// The format version found in stored records, if any.
pub fn stored_format(records: &[(String, Vec<u8>)]) -> Option<i32> {
    let (_, bytes) = records.iter().find(|(key, _)| key == FORMAT_KEY)?;
    Document::from_reader(bytes.as_slice()).ok()?.get_i32("format").ok()
}

/// Rebuilds a cluster's databases from records. Records that do not decode, or that break a unique index, are skipped
/// and reported; everything else loads.
pub fn load(cluster: &mut Cluster, records: &[(String, Vec<u8>)]) -> Vec<LoadProblem> {
    let mut problems = Vec::new();
    let mut index_specs: Vec<(String, String, Document)> = Vec::new();
    for (key, bytes) in records {
        let parts: Vec<&str> = key.split(SEP).collect();
        let problem = |reason: String| LoadProblem { key: key.clone(), reason };
        match parts.as_slice() {
            [FORMAT_KEY] => {}
            ["c", database, collection] => match Document::from_reader(bytes.as_slice()) {
                Ok(meta) => {
                    match cluster.database_mut(database).and_then(|(db, _)| db.collection_mut(collection).map(|_| ())) {
                        Ok(()) => index_specs.push((database.to_string(), collection.to_string(), meta)),
                        Err(e) => problems.push(problem(e.message)),
                    }
                }
                Err(e) => problems.push(problem(format!("collection metadata is not valid BSON ({e})"))),
            },
            ["d", database, collection, record] => {
                let Ok(record) = u64::from_str_radix(record, 16) else {
                    problems.push(problem("the record number is not hexadecimal".into()));
                    continue;
                };
                let doc = match Document::from_reader(bytes.as_slice()) {
                    Ok(doc) => doc,
                    Err(e) => {
                        problems.push(problem(format!("the document is not valid BSON ({e})")));
                        continue;
                    }
                };
                let restored = cluster.database_mut(database).and_then(|(db, _)| {
                    let (coll, _) = db.collection_mut(collection)?;
                    crate::engine::limits::check_document(&doc)?;
                    coll.restore_record(record, doc)
                });
                if let Err(e) = restored {
                    problems.push(problem(e.message));
                }
            }
            _ => problems.push(problem("unknown kind of record".into())),
        }
    }
    for (database, collection, meta) in index_specs {
        let Ok(indexes) = meta.get_array("indexes") else { continue };
        for spec in indexes {
            let Bson::Document(spec) = spec else { continue };
            let (Ok(name), Ok(keys)) = (spec.get_str("name"), spec.get_document("key")) else {
                problems.push(LoadProblem {
                    key: collection_key(&database, &collection),
                    reason: "an index has no name or key".into(),
                });
                continue;
            };
            let unique = spec.get_bool("unique").unwrap_or(false);
            let created = cluster.database_mut(&database).and_then(|(db, _)| {
                db.collection_mut(&collection).and_then(|(c, _)| c.create_index(keys, unique, Some(name)))
            });
            if let Err(e) = created {
                problems.push(LoadProblem {
                    key: collection_key(&database, &collection),
                    reason: format!("index {name} could not be rebuilt: {}", e.message),
                });
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::generator::Generator;
    use crate::storage::memory::MemoryStore;
    use bson::doc;

    fn sample() -> (Cluster, ChangeSet) {
        let mut cluster = Cluster::new(Generator::deterministic(5));
        let mut changes = ChangeSet::default();
        let (db, generator) = cluster.database_mut("shop").unwrap();
        let (users, _) = db.collection_mut("users").unwrap();
        changes.collections.push(("shop".into(), "users".into(), true));
        for d in [doc! {"username": "ada"}, doc! {"username": "alan"}] {
            let (_, c) = users.insert_one(d, generator).unwrap();
            changes.push_all("shop", "users", c);
        }
        let (_, c) = users.create_index(&doc! {"username": 1}, true, None).unwrap();
        changes.push_all("shop", "users", c);
        (cluster, changes)
    }

    fn contents(cluster: &Cluster) -> Vec<(String, Vec<Document>, Vec<Document>)> {
        cluster
            .databases()
            .flat_map(|db| {
                db.collections()
                    .map(|c| (c.namespace().to_string(), c.documents().cloned().collect(), c.list_indexes()))
            })
            .collect()
    }

    #[test]
    fn a_change_set_round_trips_through_records() {
        let (cluster, changes) = sample();
        let mut store = MemoryStore::new();
        store.apply(&batch_for(&cluster, &changes)).unwrap();
        let mut loaded = Cluster::default();
        assert!(load(&mut loaded, &store.load_all()).is_empty());
        assert_eq!(contents(&loaded), contents(&cluster));
    }

    #[test]
    fn corrupt_records_are_reported_and_skipped() {
        let (cluster, _) = sample();
        let mut store = MemoryStore::new();
        store.apply(&records_of(&cluster)).unwrap();
        store.apply(&[RecordChange::Put { key: document_key("shop", "users", 99), bytes: vec![1, 2, 3] }]).unwrap();
        store.apply(&[RecordChange::Put { key: "zzz".into(), bytes: vec![] }]).unwrap();
        let mut loaded = Cluster::default();
        let problems = load(&mut loaded, &store.load_all());
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].key, document_key("shop", "users", 99));
        assert!(problems[0]
            .to_string()
            .starts_with("skipped record d/shop/users/0000000000000063: the document is not valid BSON"));
        assert_eq!(problems[1].reason, "unknown kind of record");
        assert_eq!(contents(&loaded), contents(&cluster), "everything else loads");
        assert_eq!(stored_format(&store.load_all()), Some(FORMAT_VERSION));
    }

    #[test]
    fn deletes_and_updates_become_record_changes() {
        let (mut cluster, _) = sample();
        let mut changes = ChangeSet::default();
        let (db, _) = cluster.database_mut("shop").unwrap();
        let (users, _) = db.collection_mut("users").unwrap();
        let (_, c) = users.delete(&doc! {"username": "ada"}, false).unwrap();
        changes.push_all("shop", "users", c);
        let batch = batch_for(&cluster, &changes);
        assert_eq!(batch, vec![RecordChange::Delete { key: document_key("shop", "users", 1) }]);
    }
}
