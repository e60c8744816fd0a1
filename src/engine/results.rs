//! The driver's result objects (`InsertOneResult`, `UpdateResult`, ...) and how mongosh prints them.

use super::error::MongoError;
use bson::{Bson, Document};

/// `{ acknowledged: true, insertedId: ... }`
#[derive(Debug, Clone, PartialEq)]
pub struct InsertOneResult {
    pub inserted_id: Bson,
}

/// `{ acknowledged: true, insertedIds: { '0': ..., '1': ... } }`
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InsertManyResult {
    /// (position in the input, `_id`) of each inserted document.
    pub inserted_ids: Vec<(usize, Bson)>,
}

/// `{ acknowledged: true, matchedCount, modifiedCount, upsertedId, upsertedCount }`
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateResult {
    pub matched_count: u64,
    pub modified_count: u64,
    pub upserted_id: Option<Bson>,
}

/// `{ acknowledged: true, deletedCount }`
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeleteResult {
    pub deleted_count: u64,
}

/// What the driver throws when some inserts of an `insertMany` fail (`MongoBulkWriteError`).
#[derive(Debug, Clone, PartialEq)]
pub struct BulkWriteError {
    /// (position in the input, error) of each failed insert.
    pub write_errors: Vec<(usize, MongoError)>,
    /// What was inserted anyway.
    pub result: InsertManyResult,
}

impl InsertOneResult {
    pub fn to_document(&self) -> Document {
        let mut doc = Document::new();
        doc.insert("acknowledged", true);
        doc.insert("insertedId", self.inserted_id.clone());
        doc
    }
}

impl InsertManyResult {
    pub fn to_document(&self) -> Document {
        let mut ids = Document::new();
        for (position, id) in &self.inserted_ids {
            ids.insert(position.to_string(), id.clone());
        }
        let mut doc = Document::new();
        doc.insert("acknowledged", true);
        doc.insert("insertedIds", ids);
        doc
    }
}

impl UpdateResult {
    /// The Node driver's `UpdateResult`, fields in the order the driver builds it.
    pub fn to_document(&self) -> Document {
        let mut doc = Document::new();
        doc.insert("acknowledged", true);
        doc.insert("modifiedCount", count(self.modified_count));
        doc.insert("upsertedId", self.upserted_id.clone().unwrap_or(Bson::Null));
        doc.insert("upsertedCount", count(u64::from(self.upserted_id.is_some())));
        doc.insert("matchedCount", count(self.matched_count));
        doc
    }

    /// What mongosh prints for an update (it renames `upsertedId` to `insertedId`).
    pub fn to_mongosh_document(&self) -> Document {
        let mut doc = Document::new();
        doc.insert("acknowledged", true);
        doc.insert("insertedId", self.upserted_id.clone().unwrap_or(Bson::Null));
        doc.insert("matchedCount", count(self.matched_count));
        doc.insert("modifiedCount", count(self.modified_count));
        doc.insert("upsertedCount", count(u64::from(self.upserted_id.is_some())));
        doc
    }
}

impl DeleteResult {
    pub fn to_document(&self) -> Document {
        let mut doc = Document::new();
        doc.insert("acknowledged", true);
        doc.insert("deletedCount", count(self.deleted_count));
        doc
    }
}

impl BulkWriteError {
    /// The message mongosh shows: the first write error's message.
    pub fn message(&self) -> String {
        self.write_errors.first().map(|(_, e)| e.message.clone()).unwrap_or_default()
    }
}

/// A count as mongosh shows it: an Int32 when it fits.
pub fn count(n: u64) -> Bson {
    match i32::try_from(n) {
        Ok(small) => Bson::Int32(small),
        Err(_) => Bson::Int64(i64::try_from(n).unwrap_or(i64::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn result_documents_have_the_drivers_field_order() {
        let update = UpdateResult { matched_count: 1, modified_count: 1, upserted_id: None };
        assert_eq!(
            update.to_mongosh_document(),
            doc! {"acknowledged": true, "insertedId": null, "matchedCount": 1, "modifiedCount": 1, "upsertedCount": 0}
        );
        assert_eq!(
            update.to_document(),
            doc! {"acknowledged": true, "modifiedCount": 1, "upsertedId": null, "upsertedCount": 0, "matchedCount": 1}
        );
        assert_eq!(DeleteResult { deleted_count: 2 }.to_document(), doc! {"acknowledged": true, "deletedCount": 2});
        let many = InsertManyResult { inserted_ids: vec![(0, Bson::Int32(1)), (1, Bson::Int32(2))] };
        assert_eq!(many.to_document(), doc! {"acknowledged": true, "insertedIds": {"0": 1, "1": 2}});
    }
}
