//! The in-memory storage backend used by native tests and the CLI: a sorted map of keys to record bytes.

use super::{RecordChange, StorageError};
use std::collections::BTreeMap;

/// Records kept in a sorted map, so loading returns them in key order like IndexedDB does.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    records: BTreeMap<String, Vec<u8>>,
    /// When set, the next batch fails as a browser refusal would: lets tests prove that failures change nothing.
    fail_next_batch: Option<String>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies every change of the batch, or none of them when the batch fails.
    pub fn apply(&mut self, batch: &[RecordChange]) -> Result<(), StorageError> {
        if let Some(reason) = self.fail_next_batch.take() {
            return Err(StorageError::new("commit transaction", reason));
        }
        for change in batch {
            match change {
                RecordChange::Put { key, bytes } => {
                    self.records.insert(key.clone(), bytes.clone());
                }
                RecordChange::Delete { key } => {
                    self.records.remove(key);
                }
            }
        }
        Ok(())
    }

    /// Every record, in key order.
    pub fn load_all(&self) -> Vec<(String, Vec<u8>)> {
        self.records.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.records.get(key).map(Vec::as_slice)
    }

    /// Makes the next [`MemoryStore::apply`] fail with `reason`.
    pub fn fail_next_batch(&mut self, reason: impl Into<String>) {
        self.fail_next_batch = Some(reason.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, bytes: &[u8]) -> RecordChange {
        RecordChange::Put { key: key.into(), bytes: bytes.to_vec() }
    }

    #[test]
    fn batch_applies_in_order() {
        let mut store = MemoryStore::new();
        store.apply(&[put("a", b"1"), put("b", b"2"), RecordChange::Delete { key: "a".into() }]).unwrap();
        assert_eq!(store.load_all(), vec![("b".to_string(), b"2".to_vec())]);
    }

    #[test]
    fn failed_batch_changes_nothing() {
        let mut store = MemoryStore::new();
        store.apply(&[put("a", b"1")]).unwrap();
        store.fail_next_batch("QuotaExceededError");
        let err = store.apply(&[put("a", b"2"), put("c", b"3")]).unwrap_err();
        assert_eq!(err.to_string(), "storage failed to commit transaction: QuotaExceededError");
        assert_eq!(store.load_all(), vec![("a".to_string(), b"1".to_vec())]);
    }
}

impl super::Store for MemoryStore {
    fn apply_batch(&mut self, batch: &[RecordChange]) -> impl std::future::Future<Output = Result<(), StorageError>> {
        std::future::ready(self.apply(batch))
    }

    fn records(&self) -> impl std::future::Future<Output = Result<Vec<(String, Vec<u8>)>, StorageError>> {
        std::future::ready(Ok(self.load_all()))
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;
    use crate::engine::generator::Generator;
    use crate::storage::{codec, persist_or_roll_back};

    /// Drives a future that is already complete (the in-memory backend never waits).
    fn now<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut context) {
                return out;
            }
        }
    }

    #[test]
    fn a_refused_batch_rolls_memory_back_so_memory_equals_storage() {
        let mut playground = crate::playground::Playground::new(true);
        let side = crate::playground::Side::Raw;
        let mut store = MemoryStore::new();
        let first = playground.run("db.users.insertOne({ username: 'ada' })").unwrap();
        let mut cluster = playground.world(side).cluster.clone();
        now(persist_or_roll_back(&mut store, &mut cluster, first.changes(side))).unwrap();
        let second = playground.run("db.users.insertMany([{ username: 'alan' }, { username: 'grace' }])").unwrap();
        let mut cluster = playground.world(side).cluster.clone();
        store.fail_next_batch = Some("QuotaExceededError".into());
        let error = now(persist_or_roll_back(&mut store, &mut cluster, second.changes(side))).unwrap_err();
        assert_eq!(error.to_string(), "storage failed to commit transaction: QuotaExceededError");
        let mut on_disk = crate::engine::database::Cluster::new(Generator::deterministic(1));
        codec::load(&mut on_disk, &now(crate::storage::Store::records(&store)).unwrap());
        let docs = |c: &crate::engine::database::Cluster| {
            c.database("test").and_then(|db| db.collection("users")).map(|u| u.documents().cloned().collect::<Vec<_>>())
        };
        assert_eq!(docs(&cluster), docs(&on_disk));
        assert_eq!(docs(&cluster).map(|d| d.len()), Some(1));
    }

    #[test]
    fn loading_a_format_one_store_migrates_it_and_a_failed_migration_keeps_it_readable() {
        let mut playground = crate::playground::Playground::new(true);
        playground.run("db.users.insertMany([{ username: 'ada' }, { username: 'alan' }])").unwrap();
        let cluster = playground.world(crate::playground::Side::Raw).cluster.clone();
        let docs = |c: &crate::engine::database::Cluster| {
            c.database("test").and_then(|db| db.collection("users")).map(|u| u.documents().cloned().collect::<Vec<_>>())
        };
        // The migration's transaction is refused: the data is read from format 1 and stays there.
        let mut store = MemoryStore::new();
        store.apply(&codec::format_1_records_of(&cluster)).unwrap();
        store.fail_next_batch("QuotaExceededError");
        let (loaded, problems) = now(crate::storage::load_cluster(&mut store)).unwrap();
        assert_eq!(docs(&loaded), docs(&cluster));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].reason.starts_with("could not move the data to format 2"), "{}", problems[0]);
        assert_eq!(codec::stored_format(&store.load_all()), Some(1));
        // Next load: migrated in one batch, every document equal, no format-1 record left.
        let (loaded, problems) = now(crate::storage::load_cluster(&mut store)).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(docs(&loaded), docs(&cluster));
        let records = store.load_all();
        assert_eq!(codec::stored_format(&records), Some(codec::FORMAT_VERSION));
        assert!(records.iter().all(|(key, _)| !key.starts_with('d')), "{records:?}");
        let (again, _) = now(crate::storage::load_cluster(&mut store)).unwrap();
        assert_eq!(docs(&again), docs(&cluster));
    }
}
