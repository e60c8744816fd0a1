//! The data's real schema, as Compass's schema tab shows it: for a collection, each top-level field with the BSON
//! types its values have and in how many documents. Computed by an aggregation the student can open in the editor
//! and run themselves — a schemaless collection has a schema too, it is just whatever the documents hold.

use super::{Playground, Side};
use crate::engine::aggregate::AggregateOptions;
use crate::engine::database::Cluster;
use bson::{doc, Bson, Document};

/// One field: the types found, most frequent first, with how many documents hold each.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTypes {
    pub field: String,
    pub types: Vec<(String, usize)>,
}

impl FieldTypes {
    /// Documents that have the field at all.
    pub fn present(&self) -> usize {
        self.types.iter().map(|(_, count)| count).sum()
    }
}

/// One world's view of a collection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CollectionSchema {
    /// Documents in the collection.
    pub total: usize,
    pub fields: Vec<FieldTypes>,
}

impl CollectionSchema {
    /// `string in 1 of 4, int in 3 of 4`, and `missing in 1 of 4` when some documents lack the field.
    pub fn describe(&self, field: &FieldTypes) -> String {
        let mut parts: Vec<String> =
            field.types.iter().map(|(kind, count)| format!("{kind} in {count} of {}", self.total)).collect();
        let missing = self.total.saturating_sub(field.present());
        if missing > 0 {
            parts.push(format!("missing in {missing} of {}", self.total));
        }
        parts.join(", ")
    }
}

/// Both worlds' schema of one collection, and the command that computes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaView {
    pub database: String,
    pub collection: String,
    /// `db.users.aggregate([...])`: what the student can open in the editor and run.
    pub command: String,
    pub raw: Result<CollectionSchema, String>,
    pub mongoose: Result<CollectionSchema, String>,
}

/// The pipeline: every top-level field as a `{ k, v }` pair, then one group per (field, type).
pub fn schema_pipeline() -> Vec<Document> {
    vec![
        doc! { "$project": { "_id": 0, "field": { "$objectToArray": "$$ROOT" } } },
        doc! { "$unwind": "$field" },
        doc! { "$group": { "_id": { "field": "$field.k", "type": { "$type": "$field.v" } }, "count": { "$sum": 1 } } },
        doc! { "$sort": { "_id.field": 1, "count": -1, "_id.type": 1 } },
    ]
}

/// The pipeline as a command for the editor (`db.getCollection("…")` when the name is not an identifier).
pub fn schema_command(collection: &str) -> String {
    let is_identifier = collection.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && collection.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    let target = if is_identifier {
        format!("db.{collection}")
    } else {
        format!("db.getCollection({})", Bson::String(collection.to_string()))
    };
    let pipeline = Bson::Array(schema_pipeline().into_iter().map(Bson::Document).collect());
    format!("{target}.aggregate({})", crate::js::mongosh_format::format_value(&pipeline))
}

/// Runs the pipeline on one world's collection; a missing collection has no fields.
pub fn collection_schema(cluster: &Cluster, database: &str, collection: &str) -> Result<CollectionSchema, String> {
    let Some(db) = cluster.database(database) else { return Ok(CollectionSchema::default()) };
    let total = db.collection(collection).map_or(0, |c| c.len());
    let outcome = db
        .aggregate(collection, &schema_pipeline(), &AggregateOptions::default())
        .map_err(|failure| failure.error.message)?;
    let mut fields: Vec<FieldTypes> = Vec::new();
    for group in outcome.documents {
        let key = group.get_document("_id").ok();
        let field = key.and_then(|k| k.get_str("field").ok()).unwrap_or_default().to_string();
        let kind = key.and_then(|k| k.get_str("type").ok()).unwrap_or_default().to_string();
        let count = group.get("count").and_then(crate::engine::value::as_f64).map_or(0, |n| n as usize);
        match fields.last_mut() {
            Some(last) if last.field == field => last.types.push((kind, count)),
            _ => fields.push(FieldTypes { field, types: vec![(kind, count)] }),
        }
    }
    Ok(CollectionSchema { total, fields })
}

/// The schema view of `database.collection` in both worlds.
pub fn schema_view(playground: &Playground, database: &str, collection: &str) -> SchemaView {
    SchemaView {
        database: database.to_string(),
        collection: collection.to_string(),
        command: schema_command(collection),
        raw: collection_schema(&playground.world(Side::Raw).cluster, database, collection),
        mongoose: collection_schema(&playground.world(Side::Mongoose).cluster, database, collection),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schemaless_collection_shows_each_field_with_its_types_and_frequency() {
        let mut playground = Playground::new(true);
        playground
            .run(
                r#"db.users.insertMany([{ name: "ada", age: 36 }, { name: "bob", age: "25" }, { name: "cy", age: 41, admin: true }, { name: "di" }])"#,
            )
            .unwrap();
        let view = schema_view(&playground, "test", "users");
        let raw = view.raw.as_ref().unwrap();
        assert_eq!(raw.total, 4);
        let described: Vec<String> =
            raw.fields.iter().map(|field| format!("{}: {}", field.field, raw.describe(field))).collect();
        expect_test::expect![[r#"
            [
                "_id: objectId in 4 of 4",
                "admin: bool in 1 of 4, missing in 3 of 4",
                "age: int in 2 of 4, string in 1 of 4, missing in 1 of 4",
                "name: string in 4 of 4",
            ]
        "#]]
        .assert_debug_eq(&described);
        assert_eq!(view.mongoose.as_ref().unwrap().total, 4, "mirrored into the Mongoose world's database");
    }

    #[test]
    fn the_command_is_the_same_aggregation_and_runs_in_the_editor() {
        let mut playground = Playground::new(true);
        playground.run(r#"db.users.insertMany([{ age: 36 }, { age: "25" }])"#).unwrap();
        let command = schema_command("users");
        expect_test::expect![[r#"
            db.users.aggregate([
              { $project: { _id: 0, field: { $objectToArray: '$$ROOT' } } },
              { $unwind: '$field' },
              {
                $group: {
                  _id: { field: '$field.k', type: { $type: '$field.v' } },
                  count: { $sum: 1 }
                }
              },
              { $sort: { '_id.field': 1, count: -1, '_id.type': 1 } }
            ])"#]]
        .assert_eq(&command);
        let outcome = playground.run(&command).unwrap();
        let report = &outcome.statements[0].raw;
        assert!(report.error.is_none(), "{:?}", report.error);
        let Some(Bson::Array(groups)) = &report.value else { panic!("{:?}", report.value) };
        assert_eq!(groups.len(), 3, "_id, age as int, age as string: {groups:?}");
        assert_eq!(schema_command("my-things").lines().next().unwrap(), r#"db.getCollection("my-things").aggregate(["#);
    }
}
