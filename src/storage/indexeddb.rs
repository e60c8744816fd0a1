//! The IndexedDB storage backend: records of BSON bytes (pages of documents, see `codec.rs`) in one object store,
//! each batch in one readwrite transaction with relaxed durability.

use super::{RecordChange, StorageError};
use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use wasm_bindgen::{JsCast, JsValue};

/// The on-disk format version; `onupgradeneeded` migrates older layouts forward instead of wiping them.
pub const FORMAT_VERSION: u32 = 1;

/// The object store holding every record, keyed by a string key.
pub const RECORDS_STORE: &str = "records";

fn js_reason(err: impl std::fmt::Debug) -> String {
    format!("{err:?}")
}

/// An open IndexedDB database holding crudlab's records.
pub struct IdbStore {
    db: Database,
}

impl IdbStore {
    /// Opens (creating or upgrading as needed) the IndexedDB database `name`.
    pub async fn open(name: &str) -> Result<Self, StorageError> {
        let db = Database::open(name)
            .with_version(FORMAT_VERSION)
            .with_on_upgrade_needed(|event, db| {
                // Version 0 → 1 creates the layout; later versions add their migrations here, keeping the records.
                if event.old_version() < 1.0 {
                    db.create_object_store(RECORDS_STORE).build()?;
                }
                Ok(())
            })
            .await
            .map_err(|e| StorageError::new(format!("open database {name}"), js_reason(e)))?;
        Ok(Self { db })
    }

    /// Closes the connection (the data stays on disk).
    pub fn close(self) {
        self.db.close();
    }

    /// Writes every change of the batch in one readwrite transaction: all of them are committed, or none.
    /// Durability "relaxed": the commit is reported once the browser has the data, before the OS flushed it to
    /// disk (a power cut may lose the last Run, never a half-written one) — several times faster per Run.
    pub async fn apply(&self, batch: &[RecordChange]) -> Result<(), StorageError> {
        use indexed_db_futures::transaction::{TransactionDurability, TransactionOptions};
        let fail = |e| StorageError::new("write a batch of records", js_reason(e));
        let tx = self
            .db
            .transaction(RECORDS_STORE)
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Relaxed))
            .build()
            .map_err(fail)?;
        let store = tx.object_store(RECORDS_STORE).map_err(fail)?;
        for change in batch {
            match change {
                RecordChange::Put { key, bytes } => {
                    let value: JsValue = js_sys::Uint8Array::from(bytes.as_slice()).into();
                    store.put(value).with_key(key.as_str()).primitive().map_err(fail)?;
                }
                RecordChange::Delete { key } => {
                    store.delete(key.as_str()).primitive().map_err(fail)?;
                }
            }
        }
        tx.commit().await.map_err(|e| StorageError::new("commit transaction", js_reason(e)))
    }

    /// Every record, in key order, read in one transaction (start-up loads the whole cluster once).
    pub async fn load_all(&self) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        let fail = |e| StorageError::new("read every record", js_reason(e));
        let tx = self.db.transaction(RECORDS_STORE).build().map_err(fail)?;
        let store = tx.object_store(RECORDS_STORE).map_err(fail)?;
        let keys = store.get_all_keys::<JsValue>().primitive().map_err(fail)?.await.map_err(fail)?;
        let values = store.get_all::<JsValue>().primitive().map_err(fail)?.await.map_err(fail)?;
        let mut records = Vec::new();
        for (key, value) in keys.zip(values) {
            let key = key.map_err(fail)?;
            let value = value.map_err(fail)?;
            // A key or value of another shape is kept with empty bytes, so loading reports it as corrupt by name.
            let key = key.as_string().unwrap_or_else(|| format!("{key:?}"));
            let bytes = value.dyn_into::<js_sys::Uint8Array>().map(|array| array.to_vec()).unwrap_or_default();
            records.push((key, bytes));
        }
        Ok(records)
    }

    /// Removes every record (Reset to empty).
    pub async fn clear(&self) -> Result<(), StorageError> {
        let fail = |e| StorageError::new("clear the records", js_reason(e));
        let tx = self.db.transaction(RECORDS_STORE).with_mode(TransactionMode::Readwrite).build().map_err(fail)?;
        let store = tx.object_store(RECORDS_STORE).map_err(fail)?;
        store.clear().map_err(fail)?;
        tx.commit().await.map_err(|e| StorageError::new("commit transaction", js_reason(e)))
    }

    /// Writes arbitrary values (not records) in one transaction: the benchmark compares record formats with it.
    #[cfg(feature = "bench-exports")]
    pub async fn put_values(&self, values: Vec<(String, JsValue)>) -> Result<(), StorageError> {
        let fail = |e| StorageError::new("write values", js_reason(e));
        let tx = self.db.transaction(RECORDS_STORE).with_mode(TransactionMode::Readwrite).build().map_err(fail)?;
        let store = tx.object_store(RECORDS_STORE).map_err(fail)?;
        for (key, value) in values {
            store.put(value).with_key(key).primitive().map_err(fail)?;
        }
        tx.commit().await.map_err(|e| StorageError::new("commit transaction", js_reason(e)))
    }

    /// Every stored value in key order, as the browser hands it back.
    #[cfg(feature = "bench-exports")]
    pub async fn values(&self) -> Result<Vec<JsValue>, StorageError> {
        let fail = |e| StorageError::new("read values", js_reason(e));
        let tx = self.db.transaction(RECORDS_STORE).build().map_err(fail)?;
        let store = tx.object_store(RECORDS_STORE).map_err(fail)?;
        let values = store.get_all::<JsValue>().primitive().map_err(fail)?.await.map_err(fail)?;
        values.map(|value| value.map_err(fail)).collect()
    }

    /// Reads one record's bytes.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let fail = |e| StorageError::new(format!("read record {key}"), js_reason(e));
        let tx = self.db.transaction(RECORDS_STORE).build().map_err(fail)?;
        let store = tx.object_store(RECORDS_STORE).map_err(fail)?;
        let value: Option<JsValue> = store.get(key).primitive().map_err(fail)?.await.map_err(fail)?;
        Ok(value.and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok()).map(|array| array.to_vec()))
    }
}

impl super::Store for IdbStore {
    fn apply_batch(&mut self, batch: &[RecordChange]) -> impl std::future::Future<Output = Result<(), StorageError>> {
        IdbStore::apply(self, batch)
    }

    fn records(&self) -> impl std::future::Future<Output = Result<Vec<(String, Vec<u8>)>, StorageError>> {
        self.load_all()
    }
}
