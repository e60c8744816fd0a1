//! Persistence: one small key-value trait over records of BSON bytes, an in-memory backend and (in the browser) IndexedDB.

pub mod codec;
pub mod exchange;
pub mod memory;

#[cfg(target_arch = "wasm32")]
pub mod indexeddb;

use std::fmt;

/// What a storage backend reports when it cannot do what was asked; the caller keeps its in-memory state unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    /// What was being done (`"open database crudlab"`, `"commit transaction"`).
    pub action: String,
    /// Why it failed, in the backend's words (`QuotaExceededError: ...`).
    pub reason: String,
}

impl StorageError {
    pub fn new(action: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { action: action.into(), reason: reason.into() }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage failed to {}: {}", self.action, self.reason)
    }
}

impl std::error::Error for StorageError {}

/// The one small interface every backend offers: apply a batch atomically, and read every record back in key order.
/// Futures, because IndexedDB answers asynchronously; the in-memory backend answers at once.
pub trait Store {
    /// Writes every change of the batch, or none of them.
    fn apply_batch(&mut self, batch: &[RecordChange]) -> impl std::future::Future<Output = Result<(), StorageError>>;
    /// Every record, in key order.
    fn records(&self) -> impl std::future::Future<Output = Result<Vec<(String, Vec<u8>)>, StorageError>>;
}

/// Persists one call's changes through any backend, rolling the cluster back when the backend refuses: memory and
/// storage stay equal either way.
pub async fn persist_or_roll_back<S: Store>(
    store: &mut S,
    cluster: &mut crate::engine::database::Cluster,
    changes: &crate::engine::changes::ChangeSet,
) -> Result<(), StorageError> {
    let batch = codec::batch_for(cluster, changes);
    match store.apply_batch(&batch).await {
        Ok(()) => Ok(()),
        Err(error) => {
            let _ = crate::engine::revert::revert(cluster, changes);
            Err(error)
        }
    }
}

/// Loads one world's cluster from any backend: records that do not decode are skipped and reported, the rest loads.
/// An empty store gets its format record; a store written by a newer crudlab is read as far as it can be.
pub async fn load_cluster<S: Store>(
    store: &mut S,
) -> Result<(crate::engine::database::Cluster, Vec<codec::LoadProblem>), StorageError> {
    let records = store.records().await?;
    let mut cluster = crate::engine::database::Cluster::default();
    let mut problems = Vec::new();
    match codec::stored_format(&records) {
        None if records.is_empty() => store.apply_batch(&[codec::format_record()]).await?,
        Some(version) if version > codec::FORMAT_VERSION => {
            problems.push(codec::LoadProblem {
                key: codec::FORMAT_KEY.to_string(),
                reason: format!(
                    "stored by a newer crudlab (format {version}, this page reads {}); loading what it can",
                    codec::FORMAT_VERSION
                ),
            });
        }
        _ => {}
    }
    let load_problems = codec::load(&mut cluster, &records);
    // Records of an older format are rewritten in this one, in one transaction; if that fails they stay as they
    // were (and load again next time).
    if let Some(batch) = codec::migration_batch(&cluster, &records, &load_problems) {
        if let Err(error) = store.apply_batch(&batch).await {
            problems.push(codec::LoadProblem {
                key: codec::FORMAT_KEY.to_string(),
                reason: format!("could not move the data to format {}: {error}", codec::FORMAT_VERSION),
            });
        }
    }
    problems.extend(load_problems);
    Ok((cluster, problems))
}

/// Empties a store in one transaction (every record removed, the format record written again).
pub async fn clear<S: Store>(store: &mut S) -> Result<(), StorageError> {
    let mut batch: Vec<RecordChange> =
        store.records().await?.into_iter().map(|(key, _)| RecordChange::Delete { key }).collect();
    batch.push(codec::format_record());
    store.apply_batch(&batch).await
}

/// One change in a batch: a record written or removed. A batch is applied all together or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordChange {
    Put { key: String, bytes: Vec<u8> },
    Delete { key: String },
}
