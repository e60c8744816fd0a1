//! How a cluster lives as records: the key layout, pages of BSON documents (format 2; format 1 kept one record per
//! document and is migrated on load), a metadata record per collection, the batch a change set becomes, and
//! loading everything back (skipping and reporting records that do not decode).

use super::RecordChange;
use crate::engine::changes::{Change, ChangeSet};
use crate::engine::collection::Collection;
use crate::engine::database::Cluster;
use crate::engine::error::MongoResult;
use crate::engine::raw::{Decoded, RawDoc};
use bson::{Bson, Document};
use std::fmt;

/// Written into every store; a later release that changes the layout migrates records whose version is older.
/// Format 1: one record per document. Format 2: pages of [`PAGE_RECORDS`] record numbers per record — IndexedDB
/// costs tens of microseconds per `put`, so 10,000 inserted documents are 40 writes, not 10,000.
pub const FORMAT_VERSION: i32 = 2;

/// Record numbers per page: a page holds the collection's records `n * PAGE_RECORDS .. (n + 1) * PAGE_RECORDS`
/// (about 100 KB for the lecture's users; a Run that touches one document rewrites its page).
pub const PAGE_RECORDS: u64 = 256;

/// Key separator: NUL can appear in neither database nor collection names.
const SEP: char = '\0';

/// The key of the format record.
pub const FORMAT_KEY: &str = "format";

/// `d␀shop␀users␀000000000000002a`: documents sort by collection, then by record number (natural order).
pub fn document_key(database: &str, collection: &str, record: u64) -> String {
    format!("d{SEP}{database}{SEP}{collection}{SEP}{record:016x}")
}

/// `p␀shop␀users␀0000000000000001`: page 1 of the collection (format 2), sorting by collection, then page.
pub fn page_key(database: &str, collection: &str, page: u64) -> String {
    format!("p{SEP}{database}{SEP}{collection}{SEP}{page:016x}")
}

/// A page's bytes: for each record in order, its number (8 bytes, little-endian) then the document's BSON (which
/// carries its own length). The collection keeps every record's BSON, so a page is copied, not encoded.
fn encode_page<'a>(records: impl Iterator<Item = (u64, &'a [u8])>) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (record, document) in records {
        bytes.extend_from_slice(&record.to_le_bytes());
        bytes.extend_from_slice(document);
    }
    bytes
}

/// One record of a page: its number and its document.
type PageEntry<'a> = (u64, StoredDocument<'a>);

/// A stored document as loading found it.
enum StoredDocument<'a> {
    /// Bytes that are exactly what storing their tree would write, within MongoDB's limits: the record keeps them
    /// and decodes its tree when something first needs it (most of a cold start was decoding every document).
    Exact(&'a [u8]),
    /// Anything else (a repeated name, too deep or too large, a value the byte walker does not vouch for): decoded
    /// now, checked like any document, and stored as its tree encodes.
    Decoded(Decoded, &'a [u8]),
}

/// A stored document's bytes as loading keeps them, or `bson`'s reason why they are not BSON.
fn read_document(bytes: &[u8]) -> Result<StoredDocument<'_>, String> {
    let raw = RawDoc::new(bytes);
    let exact = raw.and_then(|raw| raw.check_stored()).is_ok_and(|check| check.exact());
    if exact && bytes.len() <= crate::engine::limits::MAX_DOCUMENT_BYTES {
        return Ok(StoredDocument::Exact(bytes));
    }
    raw.and_then(|raw| raw.decode())
        .map(|decoded| StoredDocument::Decoded(decoded, bytes))
        .map_err(|_| Document::from_reader(bytes).err().map_or_else(|| "malformed".to_string(), |e| e.to_string()))
}

/// Puts one stored document back into its collection.
fn restore(collection: &mut Collection, record: u64, document: StoredDocument<'_>) -> MongoResult<()> {
    match document {
        StoredDocument::Exact(bytes) => collection.restore_unchecked_tree(record, bytes),
        StoredDocument::Decoded(decoded, bytes) => {
            crate::engine::limits::check_document(&decoded.document)?;
            collection.restore_encoded(record, decoded, bytes)
        }
    }
}

/// A page back into `(record, document, its bytes)`s; any damage rejects the whole page, with where it starts.
fn decode_page(bytes: &[u8]) -> Result<Vec<PageEntry<'_>>, String> {
    let mut records = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let number: [u8; 8] = bytes
            .get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("the page ends inside a record number (byte {at})"))?;
        let length = bytes
            .get(at + 8..at + 12)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(i32::from_le_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n >= 5)
            .ok_or_else(|| format!("the page has no document length at byte {}", at + 8))?;
        let document = bytes
            .get(at + 8..at + 8 + length)
            .ok_or_else(|| format!("the page ends inside a document (byte {})", at + 8))?;
        let doc =
            read_document(document).map_err(|e| format!("the document at byte {} is not valid BSON ({e})", at + 8))?;
        records.push((u64::from_le_bytes(number), doc));
        at += 8 + length;
    }
    Ok(records)
}

/// The record of one page as the collection now holds it: written, or removed when the page is empty.
fn page_record(database: &str, collection: &Collection, page: u64) -> RecordChange {
    let key = page_key(database, collection.name(), page);
    let start = page.saturating_mul(PAGE_RECORDS);
    let bytes = encode_page(collection.encoded_records_in(start..start.saturating_add(PAGE_RECORDS)));
    if bytes.is_empty() {
        RecordChange::Delete { key }
    } else {
        RecordChange::Put { key, bytes }
    }
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

/// The metadata record of a collection: `{ indexes: [{ name, key, unique, sparse?, expireAfterSeconds? }] }` (the
/// `_id_` index is implicit; `sparse` and `expireAfterSeconds` only when set, so older records, which lack them,
/// read as before).
pub fn collection_record(database: &str, collection: &Collection) -> RecordChange {
    let indexes: Vec<Bson> = collection
        .indexes()
        .iter()
        .filter(|index| index.name != "_id_")
        .map(|index| {
            let mut spec = bson::doc! {"name": index.name.clone(), "key": index.key_document(), "unique": index.unique};
            if index.sparse {
                spec.insert("sparse", true);
            }
            if let Some(seconds) = &index.expire_after_seconds {
                spec.insert("expireAfterSeconds", seconds.clone());
            }
            Bson::Document(spec)
        })
        .collect();
    let doc = bson::doc! {"indexes": indexes};
    RecordChange::Put { key: collection_key(database, collection.name()), bytes: encode(&doc) }
}

/// The records to write for a change set, given the cluster as it is after the call: each touched page once, as
/// it now is, and the metadata of touched collections.
pub fn batch_for(cluster: &Cluster, changes: &ChangeSet) -> Vec<RecordChange> {
    let mut batch = Vec::new();
    let mut touched_meta: Vec<(String, String)> = Vec::new();
    let mut touched_pages: Vec<(&str, &str, u64)> = Vec::new();
    for (database, collection, created) in &changes.collections {
        if *created {
            touched_meta.push((database.clone(), collection.clone()));
        } else {
            batch.push(RecordChange::Delete { key: collection_key(database, collection) });
        }
    }
    for (database, collection, change) in &changes.entries {
        match change {
            Change::Inserted { record, .. } | Change::Updated { record, .. } | Change::Deleted { record, .. } => {
                touched_pages.push((database, collection, record / PAGE_RECORDS));
            }
            Change::IndexCreated { .. } | Change::IndexDropped { .. } => {
                touched_meta.push((database.clone(), collection.clone()));
            }
        }
    }
    touched_pages.sort_unstable();
    touched_pages.dedup();
    for (database, collection, page) in touched_pages {
        match cluster.database(database).and_then(|db| db.collection(collection)) {
            Some(coll) => batch.push(page_record(database, coll, page)),
            // A dropped collection: its pages go with it.
            None => batch.push(RecordChange::Delete { key: page_key(database, collection, page) }),
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

/// Every record of a whole cluster (export to a fresh store, migration, tests).
pub fn records_of(cluster: &Cluster) -> Vec<RecordChange> {
    let mut batch = vec![format_record()];
    for db in cluster.databases() {
        for coll in db.collections() {
            batch.push(collection_record(&db.name, coll));
            let mut pages: Vec<u64> = coll.records().map(|(record, _)| record / PAGE_RECORDS).collect();
            pages.dedup();
            batch.extend(pages.into_iter().map(|page| page_record(&db.name, coll, page)));
        }
    }
    batch
}

/// A cluster in format 1 (one record per document, format record 1), as crudlab wrote it before pages: what a
/// student's browser may still hold. Kept for the migration's tests.
pub fn format_1_records_of(cluster: &Cluster) -> Vec<RecordChange> {
    let doc = bson::doc! {"format": 1, "app": "crudlab"};
    let mut batch = vec![RecordChange::Put { key: FORMAT_KEY.into(), bytes: doc.to_vec().unwrap_or_default() }];
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

/// The one batch that moves records of an older format to this one, once `cluster` holds what they loaded: every
/// page written, every format-1 document record that loaded removed (a record that did not load is kept, so
/// nothing is lost), the format record rewritten. `None` when the records are already in this format.
pub fn migration_batch(
    cluster: &Cluster,
    records: &[(String, Vec<u8>)],
    problems: &[LoadProblem],
) -> Option<Vec<RecordChange>> {
    let old_documents: Vec<&String> = records
        .iter()
        .map(|(key, _)| key)
        .filter(|key| key.split(SEP).next() == Some("d") && !problems.iter().any(|p| &p.key == *key))
        .collect();
    let outdated = stored_format(records).is_some_and(|version| version < FORMAT_VERSION);
    if old_documents.is_empty() && !outdated {
        return None;
    }
    let mut batch: Vec<RecordChange> =
        old_documents.into_iter().map(|key| RecordChange::Delete { key: key.clone() }).collect();
    batch.extend(records_of(cluster));
    Some(batch)
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
            ["p", database, collection, page] => {
                if u64::from_str_radix(page, 16).is_err() {
                    problems.push(problem("the page number is not hexadecimal".into()));
                    continue;
                }
                let entries = match decode_page(bytes) {
                    Ok(entries) => entries,
                    Err(reason) => {
                        problems.push(problem(reason));
                        continue;
                    }
                };
                for (record, document) in entries {
                    let restored = cluster.database_mut(database).and_then(|(db, _)| {
                        let (coll, _) = db.collection_mut(collection)?;
                        restore(coll, record, document)
                    });
                    if let Err(e) = restored {
                        problems.push(problem(format!("record {record}: {}", e.message)));
                    }
                }
            }
            // Format 1: one document per record (migrated to pages once loaded).
            ["d", database, collection, record] => {
                let Ok(record) = u64::from_str_radix(record, 16) else {
                    problems.push(problem("the record number is not hexadecimal".into()));
                    continue;
                };
                let document = match read_document(bytes) {
                    Ok(document) => document,
                    Err(e) => {
                        problems.push(problem(format!("the document is not valid BSON ({e})")));
                        continue;
                    }
                };
                let restored = cluster.database_mut(database).and_then(|(db, _)| {
                    let (coll, _) = db.collection_mut(collection)?;
                    restore(coll, record, document)
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
            let options = crate::engine::index::IndexOptions {
                unique: spec.get_bool("unique").unwrap_or(false),
                sparse: spec.get_bool("sparse").unwrap_or(false),
                expire_after_seconds: spec.get("expireAfterSeconds").cloned(),
            };
            let created = cluster.database_mut(&database).and_then(|(db, _)| {
                db.collection_mut(&collection).and_then(|(c, _)| c.create_index_with(keys, &options, Some(name)))
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
    fn sparse_and_ttl_options_round_trip_and_old_index_records_still_load() {
        let (mut cluster, mut changes) = sample();
        let (db, _) = cluster.database_mut("shop").unwrap();
        let (users, _) = db.collection_mut("users").unwrap();
        let sparse = crate::engine::index::IndexOptions { unique: true, sparse: true, expire_after_seconds: None };
        let (_, c) = users.create_index_with(&doc! {"email": 1}, &sparse, None).unwrap();
        changes.push_all("shop", "users", c);
        let ttl =
            crate::engine::index::IndexOptions { expire_after_seconds: Some(Bson::Int32(3600)), ..Default::default() };
        let (_, c) = users.create_index_with(&doc! {"seen": 1}, &ttl, None).unwrap();
        changes.push_all("shop", "users", c);
        let mut store = MemoryStore::new();
        store.apply(&batch_for(&cluster, &changes)).unwrap();
        let mut loaded = Cluster::default();
        assert!(load(&mut loaded, &store.load_all()).is_empty());
        assert_eq!(contents(&loaded), contents(&cluster));
        let indexes = contents(&loaded)[0].2.clone();
        assert_eq!(indexes[2], doc! {"v": 2, "key": {"email": 1}, "name": "email_1", "unique": true, "sparse": true});
        assert_eq!(indexes[3], doc! {"v": 2, "key": {"seen": 1}, "name": "seen_1", "expireAfterSeconds": 3600});
        // A metadata record written before these options existed (`{ name, key, unique }` only) loads as before.
        let old = doc! {"indexes": [{"name": "username_1", "key": {"username": 1}, "unique": true}]};
        store
            .apply(&[RecordChange::Put { key: collection_key("shop", "users"), bytes: old.to_vec().unwrap() }])
            .unwrap();
        let mut loaded = Cluster::default();
        assert!(load(&mut loaded, &store.load_all()).is_empty());
        let indexes = contents(&loaded)[0].2.clone();
        assert_eq!(indexes.len(), 2);
        assert_eq!(indexes[1], doc! {"v": 2, "key": {"username": 1}, "name": "username_1", "unique": true});
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
        // The page still holds alan: it is rewritten without ada.
        let [RecordChange::Put { key, bytes }] = batch.as_slice() else { panic!("{batch:?}") };
        assert_eq!(key, &page_key("shop", "users", 0));
        let entries = decode_page(bytes).unwrap();
        assert_eq!(entries.len(), 1);
        let StoredDocument::Exact(bytes) = entries[0].1 else { panic!("a page written here holds exact documents") };
        assert_eq!(Document::from_reader(bytes).unwrap().get_str("username").unwrap(), "alan");
        // Its last document gone, the page record goes too.
        let (db, _) = cluster.database_mut("shop").unwrap();
        let (users, _) = db.collection_mut("users").unwrap();
        let mut changes = ChangeSet::default();
        let (_, c) = users.delete(&doc! {"username": "alan"}, false).unwrap();
        changes.push_all("shop", "users", c);
        assert_eq!(batch_for(&cluster, &changes), vec![RecordChange::Delete { key: page_key("shop", "users", 0) }]);
    }

    /// A collection of `n` users inserted in one call, and that call's change set.
    fn many(n: usize) -> (Cluster, ChangeSet) {
        let mut cluster = Cluster::new(Generator::deterministic(5));
        let mut changes = ChangeSet::default();
        let (db, generator) = cluster.database_mut("test").unwrap();
        let (users, _) = db.collection_mut("users").unwrap();
        changes.collections.push(("test".into(), "users".into(), true));
        let docs = (0..n).map(|i| doc! {"username": format!("user{i}"), "age": i as i32}).collect();
        let (result, c) = users.insert_many(docs, true, generator);
        result.unwrap();
        changes.push_all("test", "users", c);
        (cluster, changes)
    }

    #[test]
    fn ten_thousand_inserted_documents_are_forty_page_records() {
        let (cluster, changes) = many(10_000);
        let batch = batch_for(&cluster, &changes);
        let pages = batch
            .iter()
            .filter(|change| matches!(change, RecordChange::Put { key, .. } if key.starts_with('p')))
            .count();
        assert_eq!(pages, 40, "10,000 / {PAGE_RECORDS} per page, rounded up");
        let mut store = MemoryStore::new();
        store.apply(&batch).unwrap();
        let mut loaded = Cluster::default();
        assert!(load(&mut loaded, &store.load_all()).is_empty());
        assert_eq!(contents(&loaded), contents(&cluster));
    }

    #[test]
    fn a_corrupt_page_is_reported_and_the_other_pages_load() {
        let (cluster, _) = many(600);
        let mut store = MemoryStore::new();
        store.apply(&records_of(&cluster)).unwrap();
        let key = page_key("test", "users", 1);
        let mut bytes = store.get(&key).unwrap().to_vec();
        bytes.truncate(bytes.len() / 2 + 20); // inside a document, not at a boundary
        store.apply(&[RecordChange::Put { key: key.clone(), bytes }]).unwrap();
        let mut loaded = Cluster::default();
        let problems = load(&mut loaded, &store.load_all());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, key);
        assert!(problems[0].reason.starts_with("the page ends inside a document"), "{}", problems[0]);
        let users = loaded.database("test").unwrap().collection("users").unwrap();
        assert_eq!(users.len(), 600 - PAGE_RECORDS as usize, "pages 0 and 2 loaded whole");
    }

    #[test]
    fn format_one_records_move_to_pages_in_one_batch_and_nothing_is_lost() {
        let (cluster, _) = many(300);
        let mut store = MemoryStore::new();
        store.apply(&format_1_records_of(&cluster)).unwrap();
        // A damaged format-1 record is reported, and kept for a later crudlab to try again.
        let bad = document_key("test", "users", 9_999);
        store.apply(&[RecordChange::Put { key: bad.clone(), bytes: vec![1, 2, 3] }]).unwrap();
        let records = store.load_all();
        assert_eq!(stored_format(&records), Some(1));
        let mut loaded = Cluster::default();
        let problems = load(&mut loaded, &records);
        assert_eq!(problems.iter().map(|p| p.key.clone()).collect::<Vec<_>>(), vec![bad.clone()]);
        assert_eq!(contents(&loaded), contents(&cluster));
        let batch = migration_batch(&loaded, &records, &problems).expect("format 1 is migrated");
        store.apply(&batch).unwrap();
        let after = store.load_all();
        assert_eq!(stored_format(&after), Some(FORMAT_VERSION));
        let kinds: Vec<&str> = after.iter().map(|(key, _)| key.split(SEP).next().unwrap()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "d").count(), 1, "only the damaged record is left");
        assert_eq!(kinds.iter().filter(|k| **k == "p").count(), 2);
        let mut reloaded = Cluster::default();
        assert_eq!(load(&mut reloaded, &after).len(), 1, "the damaged record, reported again");
        assert_eq!(contents(&reloaded), contents(&cluster), "every document, equal");
        assert!(migration_batch(&reloaded, &after, &load(&mut Cluster::default(), &after)).is_none());
    }
}
