//! Export and import: a collection as MongoDB Extended JSON (the array `mongoexport --jsonArray` writes, relaxed or
//! canonical), a whole cluster as a bundle of such arrays with their indexes, or as a mongosh script that recreates
//! it; import reads relaxed or canonical Extended JSON, validates everything first, says how many documents each
//! collection gains or has replaced, and applies all of it or nothing.

use crate::engine::changes::ChangeSet;
use crate::engine::collection::Collection;
use crate::engine::database::{validate_collection_name, validate_database_name, Cluster};
use crate::engine::limits::check_document;
use crate::js::mongosh_format::format_inline;
use bson::{Bson, Document};
use serde_json::Value;
use std::collections::HashMap;

/// Which Extended JSON flavour to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Numbers and dates as JSON writes them where that loses nothing (`mongoexport`'s default).
    Relaxed,
    /// Every value typed (`{"$numberInt": "1"}`), for exact round trips.
    Canonical,
}

fn extjson(doc: &Document, flavor: Flavor) -> Value {
    let value = Bson::Document(doc.clone());
    match flavor {
        Flavor::Relaxed => value.into_relaxed_extjson(),
        Flavor::Canonical => value.into_canonical_extjson(),
    }
}

/// One collection as a JSON array, one document per line, as `mongoexport --jsonArray` writes it.
pub fn export_collection(collection: &Collection, flavor: Flavor) -> String {
    let lines: Vec<String> = collection.documents().map(|doc| extjson(doc, flavor).to_string()).collect();
    format!("[{}]\n", lines.join(",\n"))
}

/// The key under which a bundle says what it is.
const BUNDLE_FORMAT: &str = "crudlab-export";

/// Every database and collection of a cluster: `{ "format": "crudlab-export", "version": 1, "databases": { db: {
/// coll: { "indexes": [...], "documents": [...] } } } }`.
pub fn export_cluster(cluster: &Cluster, flavor: Flavor) -> String {
    let mut databases = serde_json::Map::new();
    for db in cluster.databases() {
        let mut collections = serde_json::Map::new();
        for coll in db.collections() {
            let indexes: Vec<Value> = coll
                .indexes()
                .iter()
                .filter(|index| index.name != "_id_")
                .map(|index| {
                    let mut spec = serde_json::json!({
                        "name": index.name,
                        "key": extjson(&index.key_document(), Flavor::Relaxed),
                        "unique": index.unique,
                    });
                    if let Value::Object(spec) = &mut spec {
                        if index.sparse {
                            spec.insert("sparse".into(), Value::Bool(true));
                        }
                        if let Some(seconds) = &index.expire_after_seconds {
                            spec.insert("expireAfterSeconds".into(), seconds.clone().into_relaxed_extjson());
                        }
                    }
                    spec
                })
                .collect();
            let documents: Vec<Value> = coll.documents().map(|doc| extjson(doc, flavor)).collect();
            collections
                .insert(coll.name().to_string(), serde_json::json!({"indexes": indexes, "documents": documents}));
        }
        databases.insert(db.name.clone(), Value::Object(collections));
    }
    let bundle = serde_json::json!({"format": BUNDLE_FORMAT, "version": 1, "databases": databases});
    serde_json::to_string_pretty(&bundle).unwrap_or_default()
}

/// A mongosh script that recreates the cluster: per collection `drop()`, `insertMany([...])` and its indexes.
pub fn export_script(cluster: &Cluster) -> String {
    let mut script = String::from("// Recreates the data exported from crudlab. Run it in mongosh (or in crudlab).\n");
    for db in cluster.databases() {
        script.push_str(&format!("use {}\n", db.name));
        for coll in db.collections() {
            script
                .push_str(&format!("db.getCollection({}).drop()\n", format_inline(&Bson::String(coll.name().into()))));
            let docs: Vec<Bson> = coll.documents().cloned().map(Bson::Document).collect();
            if !docs.is_empty() {
                script.push_str(&format!(
                    "db.getCollection({}).insertMany({})\n",
                    format_inline(&Bson::String(coll.name().into())),
                    format_inline(&Bson::Array(docs))
                ));
            }
            for index in coll.indexes().iter().filter(|index| index.name != "_id_") {
                let mut options = bson::doc! {"name": index.name.clone()};
                index.options().write_into(&mut options);
                let options = format_inline(&Bson::Document(options));
                script.push_str(&format!(
                    "db.getCollection({}).createIndex({}, {options})\n",
                    format_inline(&Bson::String(coll.name().into())),
                    format_inline(&Bson::Document(index.key_document()))
                ));
            }
        }
    }
    script
}

/// Why an import cannot be applied; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// Where: `test.users, document 3`, or `the file`.
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// One collection of an import, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCollection {
    pub database: String,
    pub collection: String,
    pub documents: Vec<Document>,
    /// `(name, key, options)`.
    pub indexes: Vec<(String, Document, crate::engine::index::IndexOptions)>,
    /// Documents whose `_id` is new to the collection.
    pub added: usize,
    /// Documents that replace a stored document with the same `_id`.
    pub replaced: usize,
}

/// What an import will do, shown to the student before it is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportPlan {
    pub collections: Vec<ImportedCollection>,
}

impl ImportPlan {
    /// `test.users: 3 added, 1 replaced`, one line per collection.
    pub fn summary(&self) -> Vec<String> {
        self.collections
            .iter()
            .map(|c| format!("{}.{}: {} added, {} replaced", c.database, c.collection, c.added, c.replaced))
            .collect()
    }
}

/// The largest import text accepted (a bundle of a few thousand documents is far below it).
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

fn id_key(id: &Bson) -> String {
    // Debug output names the type, so `1` (int) and `"1"` (string) stay different ids, as in MongoDB.
    format!("{id:?}")
}

fn documents_of(location: &str, items: &[Value]) -> Result<Vec<Document>, ImportError> {
    let mut docs = Vec::with_capacity(items.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let at = || format!("{location}, document {}", index + 1);
        let doc = match Bson::try_from(item.clone()) {
            Ok(Bson::Document(doc)) => doc,
            Ok(other) => {
                return Err(ImportError {
                    location: at(),
                    message: format!("expected a document, found {}", crate::engine::value::type_name(&other)),
                })
            }
            Err(e) => return Err(ImportError { location: at(), message: format!("not valid Extended JSON: {e}") }),
        };
        check_document(&doc).map_err(|e| ImportError { location: at(), message: e.message })?;
        if let Some(id) = doc.get("_id") {
            if let Some(first) = seen.insert(id_key(id), index + 1) {
                return Err(ImportError {
                    location: at(),
                    message: format!("E11000 duplicate key: _id {} is also document {first}", format_inline(id)),
                });
            }
        }
        docs.push(doc);
    }
    Ok(docs)
}

/// Reads and validates an import. A JSON array goes into `target` (database, collection); a crudlab bundle names
/// its own databases and collections. Nothing is changed.
pub fn plan_import(cluster: &Cluster, text: &str, target: Option<(&str, &str)>) -> Result<ImportPlan, ImportError> {
    let whole = |message: String| ImportError { location: "the file".into(), message };
    if text.len() > MAX_IMPORT_BYTES {
        return Err(whole(format!("{} bytes is more than the {MAX_IMPORT_BYTES} an import may hold", text.len())));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| whole(format!("not JSON (line {}, column {}): {e}", e.line(), e.column())))?;
    let mut collections = Vec::new();
    match &value {
        Value::Array(items) => {
            let Some((database, collection)) = target else {
                return Err(whole(
                    "a JSON array is one collection: choose the database and collection to import into".into(),
                ));
            };
            validate_database_name(database).map_err(|e| whole(e.message))?;
            validate_collection_name(collection).map_err(|e| whole(e.message))?;
            let documents = documents_of(&format!("{database}.{collection}"), items)?;
            collections.push(ImportedCollection {
                database: database.into(),
                collection: collection.into(),
                documents,
                indexes: Vec::new(),
                added: 0,
                replaced: 0,
            });
        }
        Value::Object(bundle) if bundle.get("format").and_then(Value::as_str) == Some(BUNDLE_FORMAT) => {
            let Some(Value::Object(databases)) = bundle.get("databases") else {
                return Err(whole("the bundle has no \"databases\" object".into()));
            };
            for (database, colls) in databases {
                validate_database_name(database).map_err(|e| whole(e.message))?;
                let Value::Object(colls) = colls else {
                    return Err(whole(format!("database {database} must map collection names to collections")));
                };
                for (collection, content) in colls {
                    let location = format!("{database}.{collection}");
                    validate_collection_name(collection)
                        .map_err(|e| ImportError { location: location.clone(), message: e.message })?;
                    let items =
                        content.get("documents").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                    let documents = documents_of(&location, items)?;
                    let mut indexes = Vec::new();
                    for index in content.get("indexes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
                    {
                        let name = index.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
                        let key = index.get("key").map(|k| Bson::try_from(k.clone()));
                        let Some(Ok(Bson::Document(key))) = key else {
                            return Err(ImportError { location, message: format!("index {name:?} has no valid key") });
                        };
                        let options = crate::engine::index::IndexOptions {
                            unique: index.get("unique").and_then(Value::as_bool).unwrap_or(false),
                            sparse: index.get("sparse").and_then(Value::as_bool).unwrap_or(false),
                            expire_after_seconds: index
                                .get("expireAfterSeconds")
                                .and_then(|seconds| Bson::try_from(seconds.clone()).ok()),
                        };
                        indexes.push((name, key, options));
                    }
                    collections.push(ImportedCollection {
                        database: database.clone(),
                        collection: collection.clone(),
                        documents,
                        indexes,
                        added: 0,
                        replaced: 0,
                    });
                }
            }
        }
        _ => return Err(whole("expected a JSON array of documents or a crudlab export bundle".into())),
    }
    for imported in &mut collections {
        let existing: HashMap<String, ()> = cluster
            .database(&imported.database)
            .and_then(|db| db.collection(&imported.collection))
            .map(|coll| coll.documents().filter_map(|d| d.get("_id")).map(|id| (id_key(id), ())).collect())
            .unwrap_or_default();
        imported.replaced = imported
            .documents
            .iter()
            .filter(|d| d.get("_id").is_some_and(|id| existing.contains_key(&id_key(id))))
            .count();
        imported.added = imported.documents.len() - imported.replaced;
    }
    Ok(ImportPlan { collections })
}

/// Applies a validated import: documents with a known `_id` replace the stored one, the others are inserted, indexes
/// are created. Everything or nothing: on the first failure (a unique index refusing a value) the cluster is put back.
pub fn apply_import(cluster: &mut Cluster, plan: &ImportPlan) -> Result<ChangeSet, ImportError> {
    let mut changes = ChangeSet::default();
    let result = apply_all(cluster, plan, &mut changes);
    if let Err(error) = result {
        let _ = crate::engine::revert::revert(cluster, &changes);
        return Err(error);
    }
    Ok(changes)
}

fn apply_all(cluster: &mut Cluster, plan: &ImportPlan, changes: &mut ChangeSet) -> Result<(), ImportError> {
    for imported in &plan.collections {
        let location = format!("{}.{}", imported.database, imported.collection);
        let fail = |message: String| ImportError { location: location.clone(), message };
        let (db, generator) = cluster.database_mut(&imported.database).map_err(|e| fail(e.message))?;
        let (coll, created) = db.collection_mut(&imported.collection).map_err(|e| fail(e.message))?;
        if created {
            changes.collections.push((imported.database.clone(), imported.collection.clone(), true));
        }
        for (name, key, options) in &imported.indexes {
            if coll.indexes().iter().any(|index| &index.name == name) {
                continue;
            }
            let created = coll.create_index_with(key, options, Some(name)).map_err(|e| fail(e.message))?;
            changes.push_all(&imported.database, &imported.collection, created.1);
        }
        let records: HashMap<String, u64> =
            coll.records().filter_map(|(record, doc)| doc.get("_id").map(|id| (id_key(id), record))).collect();
        for (index, doc) in imported.documents.iter().enumerate() {
            let at = |message: String| ImportError { location: format!("{location}, document {}", index + 1), message };
            match doc.get("_id").and_then(|id| records.get(&id_key(id))) {
                Some(&record) => {
                    let change = coll.replace_record(record, doc.clone()).map_err(|e| at(e.message))?;
                    changes.push_all(&imported.database, &imported.collection, vec![change]);
                }
                None => {
                    let (_, inserted) = coll.insert_one(doc.clone(), generator).map_err(|e| at(e.message))?;
                    changes.push_all(&imported.database, &imported.collection, inserted);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::generator::Generator;
    use bson::doc;
    use proptest::prelude::*;

    fn cluster() -> Cluster {
        let mut cluster = Cluster::new(Generator::deterministic(1));
        let (db, generator) = cluster.database_mut("shop").unwrap();
        let (users, _) = db.collection_mut("users").unwrap();
        users.create_index(&doc! {"username": 1}, true, None).unwrap();
        for d in [
            doc! {"_id": 1, "username": "ada", "joined": bson::DateTime::from_millis(1_600_000_000_000), "score": 1.5},
            doc! {"_id": 2, "username": "alan", "n": 3_i64, "tags": ["x"], "profile": {"city": "Paris"}},
        ] {
            users.insert_one(d, generator).unwrap();
        }
        cluster
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
    fn a_collection_exports_as_mongoexport_json_array() {
        let cluster = cluster();
        let users = cluster.database("shop").unwrap().collection("users").unwrap();
        let relaxed = export_collection(users, Flavor::Relaxed);
        assert!(
            relaxed.starts_with("[{\"_id\":1,\"username\":\"ada\",\"joined\":{\"$date\":\"2020-09-13T12:26:40Z\"}"),
            "{relaxed}"
        );
        let canonical = export_collection(users, Flavor::Canonical);
        assert!(canonical.contains("{\"$numberInt\":\"1\"}"), "{canonical}");
        assert!(canonical.contains("{\"$numberLong\":\"3\"}"), "{canonical}");
    }

    #[test]
    fn a_bundle_round_trips_exactly_canonical_and_by_value_relaxed() {
        let original = cluster();
        for flavor in [Flavor::Relaxed, Flavor::Canonical] {
            let text = export_cluster(&original, flavor);
            let mut restored = Cluster::new(Generator::deterministic(9));
            let plan = plan_import(&restored, &text, None).unwrap();
            assert_eq!(plan.summary(), vec!["shop.users: 2 added, 0 replaced".to_string()]);
            apply_import(&mut restored, &plan).unwrap();
            let (got, want) = (contents(&restored), contents(&original));
            if flavor == Flavor::Canonical {
                assert_eq!(got, want);
            } else {
                // Relaxed JSON writes small 64-bit integers as plain numbers, as mongoexport does: equal by value.
                assert_eq!(got[0].2, want[0].2);
                assert!(got[0].1.iter().zip(&want[0].1).all(|(a, b)| crate::engine::value::documents_equal(a, b)));
            }
        }
    }

    #[test]
    fn a_mongosh_script_recreates_the_cluster() {
        let original = cluster();
        let script = export_script(&original);
        let mut world = crate::runtime::World::new(crate::runtime::Mode::Natural, Generator::deterministic(3));
        let reports = world.run_source(&script).unwrap();
        assert!(reports.iter().all(|r| r.error.is_none()), "{script}");
        assert_eq!(contents(&world.cluster), contents(&original));
    }

    #[test]
    fn imports_count_replacements_and_apply_all_or_nothing() {
        let mut cluster = cluster();
        let text = r#"[{"_id": 2, "username": "alan", "age": 41}, {"_id": 3, "username": "grace"}]"#;
        let plan = plan_import(&cluster, text, Some(("shop", "users"))).unwrap();
        assert_eq!(plan.summary(), vec!["shop.users: 1 added, 1 replaced".to_string()]);
        let changes = apply_import(&mut cluster, &plan).unwrap();
        assert_eq!(changes.entries.len(), 2);
        assert_eq!(cluster.database("shop").unwrap().collection("users").unwrap().len(), 3);

        // The second document breaks the unique index: the first one must not stay behind.
        let before = contents(&cluster);
        let text = r#"[{"_id": 10, "username": "new"}, {"_id": 11, "username": "ada"}]"#;
        let plan = plan_import(&cluster, text, Some(("shop", "users"))).unwrap();
        let error = apply_import(&mut cluster, &plan).unwrap_err();
        assert_eq!(error.location, "shop.users, document 2");
        assert!(
            error.message.starts_with("E11000 duplicate key error collection: shop.users index: username_1"),
            "{error}"
        );
        assert_eq!(contents(&cluster), before);
    }

    #[test]
    fn bad_imports_say_what_and_where() {
        let cluster = cluster();
        let cases = [
            ("[{\"a\": 1}", None, "the file: not JSON (line 1, column 9)"),
            ("[1]", Some(("shop", "users")), "shop.users, document 1: expected a document, found int"),
            (
                "[{\"_id\": 1}, {\"_id\": 1}]",
                Some(("shop", "users")),
                "shop.users, document 2: E11000 duplicate key: _id 1 is also document 1",
            ),
            (
                "[{\"d\": {\"$date\": \"not a date\"}}]",
                Some(("shop", "users")),
                "shop.users, document 1: not valid Extended JSON",
            ),
            ("[]", None, "the file: a JSON array is one collection"),
            ("[]", Some(("", "users")), "the file: "),
            ("{\"x\": 1}", None, "the file: expected a JSON array of documents or a crudlab export bundle"),
        ];
        for (text, target, expected) in cases {
            let error = plan_import(&cluster, text, target).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{error}\n  expected: {expected}");
        }
        let deep = format!("[{}1{}]", "{\"a\":".repeat(120), "}".repeat(120));
        let error = plan_import(&cluster, &deep, Some(("shop", "deep"))).unwrap_err();
        assert_eq!(error.location, "shop.deep, document 1");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_stored_documents_round_trip(values in prop::collection::vec((any::<i32>(), any::<f64>(), "[a-z]{0,8}", any::<bool>(), any::<i64>()), 0..12)) {
            let mut original = Cluster::new(Generator::deterministic(1));
            {
                let (db, generator) = original.database_mut("t").unwrap();
                let (coll, _) = db.collection_mut("c").unwrap();
                for (i, (n, x, s, b, l)) in values.into_iter().enumerate() {
                    let x = if x.is_finite() { x } else { 0.5 };
                    coll.insert_one(doc! {"_id": i as i32, "n": n, "x": x, "s": s, "b": b, "l": l, "nested": {"arr": [n, x]}}, generator).unwrap();
                }
            }
            let text = export_cluster(&original, Flavor::Canonical);
            let mut restored = Cluster::new(Generator::deterministic(2));
            let plan = plan_import(&restored, &text, None).unwrap();
            apply_import(&mut restored, &plan).unwrap();
            prop_assert_eq!(contents(&restored), contents(&original));
        }
    }
}
