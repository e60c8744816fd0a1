//! Databases and the cluster: the jargon the lecture teaches (cluster › database › collection ≈ table › document ≈ row).

use super::aggregate::{AggregateError, AggregateOptions, AggregateOutcome, PendingWrite, WriteSummary};
use super::changes::ChangeSet;
use super::collection::Collection;
use super::error::{ErrorCode, MongoError, MongoResult};
use super::generator::Generator;
use bson::Document;
use std::collections::BTreeMap;

/// One database: named collections, created implicitly by the first write.
#[derive(Debug, Clone, Default)]
pub struct Database {
    pub name: String,
    collections: BTreeMap<String, Collection>,
}

impl Database {
    pub fn new(name: &str) -> Self {
        Self { name: name.to_string(), collections: BTreeMap::new() }
    }

    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.get(name)
    }

    /// The collection, created empty when it does not exist yet (as a first insert does in MongoDB).
    /// The bool says whether it was created now.
    pub fn collection_mut(&mut self, name: &str) -> MongoResult<(&mut Collection, bool)> {
        validate_collection_name(name)?;
        let created = !self.collections.contains_key(name);
        let db_name = self.name.clone();
        let collection = self.collections.entry(name.to_string()).or_insert_with(|| Collection::new(&db_name, name));
        Ok((collection, created))
    }

    /// Collection names in alphabetical order (what `show collections` lists).
    pub fn collection_names(&self) -> Vec<String> {
        self.collections.keys().cloned().collect()
    }

    pub fn collections(&self) -> impl Iterator<Item = &Collection> {
        self.collections.values()
    }

    /// `db.users.drop()`: true when the collection existed.
    pub fn drop_collection(&mut self, name: &str) -> bool {
        self.collections.remove(name).is_some()
    }

    /// Puts a whole collection back (loading from storage).
    pub fn insert_collection(&mut self, collection: Collection) {
        self.collections.insert(collection.name().to_string(), collection);
    }

    /// `db.<collection>.aggregate(pipeline)`, read-only: the result documents, a preview after every stage, and the
    /// write a final `$out` / `$merge` asks for (applied by [`Database::apply_aggregate_write`]). A collection that
    /// does not exist is empty.
    pub fn aggregate(
        &self,
        collection: &str,
        pipeline: &[Document],
        options: &AggregateOptions,
    ) -> Result<AggregateOutcome, AggregateError> {
        super::aggregate::aggregate(self, collection, pipeline, options)
    }

    /// Applies the write of a `$out` / `$merge` through the collections' write path; the change set lists what was
    /// written (also when the write failed part-way), for storage and undo.
    pub fn apply_aggregate_write(
        &mut self,
        write: &PendingWrite,
        generator: &mut Generator,
    ) -> (MongoResult<WriteSummary>, ChangeSet) {
        super::aggregate::apply_write(self, write, generator)
    }

    /// `aggregate` and, for a pipeline ending in `$out` / `$merge`, its write: what the driver's `aggregate()` does.
    pub fn aggregate_and_write(
        &mut self,
        collection: &str,
        pipeline: &[Document],
        options: &AggregateOptions,
        generator: &mut Generator,
    ) -> (Result<AggregateOutcome, AggregateError>, ChangeSet) {
        let mut outcome = match self.aggregate(collection, pipeline, options) {
            Ok(outcome) => outcome,
            Err(failure) => return (Err(failure), ChangeSet::default()),
        };
        let Some(write) = outcome.write.clone() else {
            return (Ok(outcome), ChangeSet::default());
        };
        let (written, changes) = self.apply_aggregate_write(&write, generator);
        match written {
            Ok(summary) => {
                outcome.written = Some(summary);
                (Ok(outcome), changes)
            }
            Err(error) => {
                let message = format!("PlanExecutor error during aggregation :: caused by :: {}", error.message);
                let error = MongoError { message, ..error };
                (Err(AggregateError { stage: pipeline.len().checked_sub(1), error, ran: Vec::new() }), changes)
            }
        }
    }

    /// `db.<collection>.explain("executionStats").aggregate(pipeline)`: the leading `$match` (and `$sort`) with the
    /// planner's winning plan, then every other stage with how many documents it returned.
    pub fn explain_aggregate(
        &self,
        collection: &str,
        pipeline: &[Document],
        options: &AggregateOptions,
    ) -> Result<Document, AggregateError> {
        super::aggregate::explain_aggregate(self, collection, pipeline, options)
    }
}

/// MongoDB's rules for collection names: not empty, no `$`, no NUL, not starting with `system.`.
pub fn validate_collection_name(name: &str) -> MongoResult<()> {
    if name.is_empty() {
        return Err(MongoError::new(
            ErrorCode::InvalidNamespace,
            "Invalid namespace specified: collection name is empty",
        ));
    }
    if name.contains('$') || name.contains('\0') || name.starts_with('.') || name.starts_with("system.") {
        return Err(MongoError::new(ErrorCode::InvalidNamespace, format!("Invalid collection name: {name}")));
    }
    Ok(())
}

/// MongoDB's rules for database names: not empty, at most 63 bytes, none of `/\. "$` or NUL.
pub fn validate_database_name(name: &str) -> MongoResult<()> {
    if name.is_empty() || name.len() > 63 || name.chars().any(|c| "/\\. \"$\0".contains(c)) {
        return Err(MongoError::new(ErrorCode::InvalidNamespace, format!("Invalid database name: '{name}'")));
    }
    Ok(())
}

/// The whole deployment a student talks to: databases by name, and where ObjectIds and "now" come from.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    databases: BTreeMap<String, Database>,
    pub generator: Generator,
}

impl Cluster {
    pub fn new(generator: Generator) -> Self {
        Self { databases: BTreeMap::new(), generator }
    }

    pub fn database(&self, name: &str) -> Option<&Database> {
        self.databases.get(name)
    }

    /// The database (created on first use, as `use shop` then a write does) and the generator, borrowed together.
    pub fn database_mut(&mut self, name: &str) -> MongoResult<(&mut Database, &mut Generator)> {
        validate_database_name(name)?;
        let db = self.databases.entry(name.to_string()).or_insert_with(|| Database::new(name));
        Ok((db, &mut self.generator))
    }

    /// Databases that hold at least one collection (what `show dbs` lists), alphabetically.
    pub fn database_names(&self) -> Vec<String> {
        self.databases.iter().filter(|(_, db)| db.collections().next().is_some()).map(|(n, _)| n.clone()).collect()
    }

    pub fn databases(&self) -> impl Iterator<Item = &Database> {
        self.databases.values()
    }

    /// `db.dropDatabase()`.
    pub fn drop_database(&mut self, name: &str) -> bool {
        self.databases.remove(name).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn first_insert_creates_database_and_collection() {
        let mut cluster = Cluster::new(Generator::deterministic(1));
        assert!(cluster.database_names().is_empty());
        let (db, generator) = cluster.database_mut("shop").unwrap();
        let (users, created) = db.collection_mut("users").unwrap();
        assert!(created);
        users.insert_one(doc! {"username": "ada"}, generator).unwrap();
        assert_eq!(cluster.database_names(), vec!["shop".to_string()]);
        assert_eq!(cluster.database("shop").unwrap().collection_names(), vec!["users".to_string()]);
    }

    #[test]
    fn invalid_names_are_refused() {
        let mut cluster = Cluster::default();
        assert_eq!(cluster.database_mut("my db").unwrap_err().message, "Invalid database name: 'my db'");
        let (db, _) = cluster.database_mut("shop").unwrap();
        assert_eq!(db.collection_mut("").unwrap_err().code, 73);
        assert_eq!(db.collection_mut("a$b").unwrap_err().message, "Invalid collection name: a$b");
    }
}
