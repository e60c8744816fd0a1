//! The fuzz targets' bodies and input strategies, shared by the native proptest targets (`tests/fuzz.rs`, run for
//! minutes by `cargo xtask fuzz`) and the browser suite, which replays the regression corpus
//! (`tests/corpus/fuzz.toml`) and a short seeded random sample on wasm32, where a panic kills the page.
//! Aggregation pipelines are built from random stages and expressions; each must end in a value or an error, and
//! within its work budget.

use bson::{Bson, Document};
use crudlab::engine::collection::{Collection, FindOptions};
use crudlab::engine::generator::Generator;
use crudlab::engine::query::Filter;
use crudlab::engine::update::Update;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

pub const LECTURE: &str = r#"const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({ username: { type: String, required: true, unique: true }, age: { type: Number, min: 0 }, purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }] })
const User = mongoose.model("User", userSchema)
await User.create({ username: "ada", age: "36" })
db.users.find({ age: { $gt: 18 }, tags: { $in: ["a", /^b/i] } }).sort({ age: -1 }).limit(5)
await User.updateOne({ username: "ada" }, { $push: { purchasedCourses: "659200800000000001000001" } })
db.users.updateMany({}, { $inc: { age: 1 }, $set: { "profile.city": "Paris" } })
await User.findOne({ username: "ada" }).populate("purchasedCourses").select("-age")
db.users.deleteMany({ $or: [{ age: { $lt: 0 } }, { username: { $exists: false } }] })"#;

/// The language of the tutorials past the lecture: closures, loops, templates, destructuring, spread, documents
/// that save themselves, schema functions and middleware.
pub const TUTORIAL: &str = r#"const mongoose = require("mongoose")
const schema = new mongoose.Schema({ name: { type: String, set: (v) => v.trim(), validate: (v) => v.length > 1 }, tags: [String], n: { type: Number, default: () => 1 } })
schema.methods.label = function () { return `${this.name} (${this.tags.join(", ")})` }
schema.virtual("upper").get(function () { return this.name.toUpperCase() })
schema.pre("save", async function () { this.n += 1 })
const Item = mongoose.model("Item", schema)
const item = new Item({ name: " box ", tags: ["a"] })
await item.save()
item.tags.push("b"); item.name = "crate"
await item.save()
let total = 0
for (const { n, tags: [first, ...rest] } of await Item.find()) { total += n * (rest.length + 1); if (first === "z") break }
const copy = { ...item.toObject(), extra: [...item.tags, `#${total}`] }
switch (typeof copy.n) { case "number": total **= 2; break; default: total = -1 }
let i = 0; while (i < 10) { i++; if (i % 2) continue }
const found = (await Item.find().lean()).map((x) => x.name).filter(Boolean)
try { JSON.parse("{") } catch (e) { console.log(e.message) } finally { i = 0 }"#;

pub const KEYS: [&str; 16] = [
    "a",
    "b",
    "a.b",
    "tags",
    "tags.0",
    "$gt",
    "$in",
    "$and",
    "$or",
    "$not",
    "$elemMatch",
    "$size",
    "$exists",
    "$regex",
    "$type",
    "$expr",
];
pub const UPDATE_KEYS: [&str; 14] = [
    "$set",
    "$inc",
    "$unset",
    "$push",
    "$pull",
    "$addToSet",
    "$rename",
    "$min",
    "$mul",
    "$pop",
    "$each",
    "a",
    "a.b",
    "tags.$[]",
];

/// Stage names an aggregation pipeline is built from (real ones, and one that does not exist).
pub const STAGE_NAMES: [&str; 20] = [
    "$match",
    "$project",
    "$addFields",
    "$set",
    "$unset",
    "$group",
    "$count",
    "$sortByCount",
    "$bucket",
    "$sort",
    "$skip",
    "$limit",
    "$unwind",
    "$lookup",
    "$unionWith",
    "$replaceRoot",
    "$replaceWith",
    "$facet",
    "$merge",
    "$bogus",
];

/// Keys of stage arguments and expressions: operators, named arguments and field names.
pub const EXPRESSION_KEYS: [&str; 40] = [
    "_id",
    "a",
    "b",
    "a.b",
    "tags",
    "n",
    "$sum",
    "$avg",
    "$push",
    "$addToSet",
    "$first",
    "$add",
    "$multiply",
    "$concat",
    "$cond",
    "$ifNull",
    "$switch",
    "$filter",
    "$map",
    "$reduce",
    "$let",
    "$size",
    "$arrayElemAt",
    "$concatArrays",
    "$range",
    "$dateToString",
    "$toString",
    "$convert",
    "$mergeObjects",
    "$eq",
    "input",
    "as",
    "in",
    "cond",
    "vars",
    "path",
    "from",
    "groupBy",
    "boundaries",
    "newRoot",
];

/// Leaves of expressions: field paths, variables, numbers, strings and the odd literal.
pub fn expression_leaf() -> impl Strategy<Value = Bson> {
    prop_oneof![
        Just(Bson::Null),
        any::<bool>().prop_map(Bson::Boolean),
        (-3i32..40).prop_map(Bson::Int32),
        any::<i64>().prop_map(Bson::Int64),
        any::<f64>().prop_map(Bson::Double),
        prop::sample::select(vec![
            "$a",
            "$b",
            "$a.b",
            "$tags",
            "$n",
            "$$ROOT",
            "$$CURRENT",
            "$$REMOVE",
            "$$NOW",
            "$$this",
            "$$value",
            "$",
            "c",
            "other"
        ])
        .prop_map(|s| Bson::String(s.to_string())),
        "[a-z$.]{0,4}".prop_map(Bson::String),
    ]
}

/// A random expression-like value: documents whose keys are operators, argument names or fields.
pub fn expression_value() -> impl Strategy<Value = Bson> {
    expression_leaf().prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Bson::Array),
            prop::collection::vec((0..EXPRESSION_KEYS.len(), inner), 0..4).prop_map(|fields| {
                let mut doc = Document::new();
                for (k, v) in fields {
                    doc.insert(EXPRESSION_KEYS[k], v);
                }
                Bson::Document(doc)
            }),
        ]
    })
}

/// Operators a random expression applies to its arguments (positional ones; named ones have templates below).
const POSITIONAL_OPERATORS: [&str; 24] = [
    "$add",
    "$subtract",
    "$multiply",
    "$divide",
    "$mod",
    "$round",
    "$concat",
    "$toUpper",
    "$substrCP",
    "$split",
    "$eq",
    "$gt",
    "$and",
    "$not",
    "$ifNull",
    "$size",
    "$arrayElemAt",
    "$concatArrays",
    "$in",
    "$slice",
    "$sum",
    "$max",
    "$toString",
    "$type",
];

/// A random expression that is mostly well formed: operators over paths, variables and literals, and the named-
/// argument operators (`$cond`, `$map`, `$filter`, `$reduce`, `$let`, `$switch`, `$dateToString`) in their shapes.
pub fn expression() -> impl Strategy<Value = Bson> {
    expression_leaf().prop_recursive(4, 32, 3, |inner| {
        prop_oneof![
            4 => (0..POSITIONAL_OPERATORS.len(), prop::collection::vec(inner.clone(), 0..4)).prop_map(|(op, args)| {
                let mut doc = Document::new();
                doc.insert(POSITIONAL_OPERATORS[op], Bson::Array(args));
                Bson::Document(doc)
            }),
            1 => (inner.clone(), inner.clone(), inner.clone()).prop_map(|(i, t, e)| bson::bson!({"$cond": {"if": i, "then": t, "else": e}})),
            1 => inner.clone().prop_map(|body| bson::bson!({"$map": {"input": "$tags", "as": "t", "in": body}})),
            1 => inner.clone().prop_map(|cond| bson::bson!({"$filter": {"input": "$tags", "cond": cond}})),
            1 => inner.clone().prop_map(|body| bson::bson!({"$reduce": {"input": {"$range": [0, 5]}, "initialValue": 0, "in": body}})),
            1 => (inner.clone(), inner.clone()).prop_map(|(value, body)| bson::bson!({"$let": {"vars": {"v": value}, "in": body}})),
            1 => (inner.clone(), inner.clone()).prop_map(|(case, then)| bson::bson!({"$switch": {"branches": [{"case": case, "then": then}], "default": null}})),
            1 => inner.clone().prop_map(|date| bson::bson!({"$dateToString": {"date": date, "format": "%Y-%m-%d %H:%M"}})),
            1 => prop::collection::vec((0..3usize, inner), 0..3).prop_map(|fields| {
                let mut doc = Document::new();
                for (k, v) in fields {
                    doc.insert(["a", "b", "n"][k], v);
                }
                Bson::Document(doc)
            }),
        ]
    })
}

/// One stage: a real stage with an argument of its shape (holding random expressions), or a random one.
pub fn stage() -> impl Strategy<Value = Document> {
    let accumulator =
        prop::sample::select(vec!["$sum", "$avg", "$min", "$max", "$push", "$addToSet", "$first", "$last"]);
    prop_oneof![
        document(&KEYS).prop_map(|filter| bson::doc! {"$match": filter}),
        expression().prop_map(|e| bson::doc! {"$match": {"$expr": e}}),
        (expression(), any::<bool>()).prop_map(|(e, keep)| bson::doc! {"$project": {"a": i32::from(keep), "x": e}}),
        prop::sample::select(vec![bson::doc! {"$project": {"a": 0, "b.c": 0}}, bson::doc! {"$unset": ["a", "tags"]}, bson::doc! {"$project": {"_id": 0, "a.b": 1}}]),
        (expression(), expression()).prop_map(|(x, y)| bson::doc! {"$set": {"x": x, "a.y": y}}),
        (expression(), accumulator, expression()).prop_map(|(id, acc, e)| bson::doc! {"$group": {"_id": id, "f": {acc: e}, "n": {"$sum": 1}}}),
        Just(bson::doc! {"$count": "n"}),
        expression().prop_map(|e| bson::doc! {"$sortByCount": {"$toString": e}}),
        Just(bson::doc! {"$bucket": {"groupBy": "$a", "boundaries": [0, 5, 10], "default": "other", "output": {"n": {"$sum": 1}}}}),
        (prop::sample::select(vec!["a", "n", "_id", "tags", "a.b"]), prop::sample::select(vec![1, -1])).prop_map(|(k, d)| bson::doc! {"$sort": {k: d}}),
        (0i32..4).prop_map(|n| bson::doc! {"$skip": n}),
        (1i32..4).prop_map(|n| bson::doc! {"$limit": n}),
        any::<bool>().prop_map(|keep| bson::doc! {"$unwind": {"path": "$tags", "includeArrayIndex": "i", "preserveNullAndEmptyArrays": keep}}),
        Just(bson::doc! {"$lookup": {"from": "other", "localField": "a", "foreignField": "a", "as": "j"}}),
        expression().prop_map(|e| bson::doc! {"$lookup": {"from": "other", "let": {"v": "$a"}, "pipeline": [{"$match": {"$expr": {"$eq": ["$a", "$$v"]}}}, {"$addFields": {"e": e}}], "as": "j"}}),
        Just(bson::doc! {"$unionWith": {"coll": "other", "pipeline": [{"$limit": 2}]}}),
        expression().prop_map(|e| bson::doc! {"$replaceWith": {"$mergeObjects": ["$$ROOT", {"e": e}]}}),
        (expression(), expression()).prop_map(|(x, y)| bson::doc! {"$facet": {"x": [{"$project": {"x": x}}], "y": [{"$group": {"_id": y}}, {"$count": "n"}]}}),
        Just(bson::doc! {"$merge": {"into": "other", "whenMatched": "merge"}}),
        Just(bson::doc! {"$out": "copy"}),
        (0..STAGE_NAMES.len(), expression_value()).prop_map(|(name, argument)| {
            let mut doc = Document::new();
            doc.insert(STAGE_NAMES[name], argument);
            doc
        }),
    ]
}

/// A random pipeline: up to six stages.
pub fn pipeline() -> impl Strategy<Value = Vec<Document>> {
    prop::collection::vec(stage(), 0..6)
}

/// A pipeline over a small collection (and a second one for `$lookup`): compiled, explained, run with its write
/// applied, and its changes undone, all within a small work budget; and given its SQL line, if it has one.
pub fn aggregate_pipeline(pipeline: &[Document], docs: &[Document]) {
    use crudlab::engine::aggregate::AggregateOptions;
    use crudlab::runtime::calls::{DriverCall, DriverMethod};
    let stages = Bson::Array(pipeline.iter().cloned().map(Bson::Document).collect());
    let _ = crudlab::playground::sql::sql_for(&DriverCall::new("c", DriverMethod::Aggregate, vec![stages]));
    let mut database = crudlab::engine::database::Database::new("f");
    let mut generator = Generator::deterministic(1);
    for name in ["c", "other"] {
        if let Ok((collection, _)) = database.collection_mut(name) {
            let _ = collection.create_index(&bson::doc! {"a": 1}, false, None);
            let _ = collection.insert_many(docs.to_vec(), false, &mut generator);
        }
    }
    let options =
        AggregateOptions { budget_steps: 200_000, stage_memory_bytes: 1 << 20, ..AggregateOptions::default() };
    let _ = database.explain_aggregate("c", pipeline, &options);
    let (_, changes) = database.aggregate_and_write("c", pipeline, &options, &mut generator);
    let _ = changes.inverse();
}

pub fn value(keys: &'static [&'static str]) -> impl Strategy<Value = Bson> {
    let leaf = prop_oneof![
        Just(Bson::Null),
        any::<bool>().prop_map(Bson::Boolean),
        any::<i32>().prop_map(Bson::Int32),
        any::<i64>().prop_map(Bson::Int64),
        any::<f64>().prop_map(Bson::Double),
        "[a-z$.(\\[*+?]{0,6}".prop_map(Bson::String),
    ];
    leaf.prop_recursive(5, 40, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Bson::Array),
            prop::collection::vec((0..keys.len(), inner), 0..4).prop_map(move |fields| {
                let mut doc = Document::new();
                for (k, v) in fields {
                    doc.insert(keys[k], v);
                }
                Bson::Document(doc)
            }),
        ]
    })
}

pub fn document(keys: &'static [&'static str]) -> impl Strategy<Value = Document> {
    value(keys).prop_map(|v| match v {
        Bson::Document(d) => d,
        other => bson::doc! {"a": other},
    })
}

/// A valid program with a few characters inserted, deleted or replaced.
pub fn mutated_lecture() -> impl Strategy<Value = String> {
    mutated(LECTURE)
}

/// The tutorial program with a few characters inserted, deleted or replaced.
pub fn mutated_tutorial() -> impl Strategy<Value = String> {
    mutated(TUTORIAL)
}

fn mutated(program: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6).prop_map(move |edits| {
        let mut chars: Vec<char> = program.chars().collect();
        for (at, kind, ch) in edits {
            let i = at.index(chars.len().max(1));
            match kind {
                0 => chars.insert(i.min(chars.len()), ch),
                1 if !chars.is_empty() => {
                    chars.remove(i.min(chars.len() - 1));
                }
                _ if !chars.is_empty() => {
                    let j = i.min(chars.len() - 1);
                    chars[j] = ch;
                }
                _ => {}
            }
        }
        chars.into_iter().collect()
    })
}

/// The parser target's inputs: any text, the lecture with a few edits, or bracket soup.
pub fn parser_input() -> impl Strategy<Value = String> {
    prop_oneof![".{0,200}", mutated_lecture(), mutated_tutorial(), "[{}()\\[\\]\"'`/*:;,. a-z0-9$]{0,300}"]
}

/// The whole-program target's inputs: a few driver and model calls built from random documents.
pub fn program_statements() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![
            document(&KEYS).prop_map(|d| format!("db.c.insertOne({})", Bson::Document(d).into_relaxed_extjson())),
            document(&KEYS).prop_map(|d| format!(
                "db.c.find({}).sort({{ a: 1 }}).limit(3)",
                Bson::Document(d).into_relaxed_extjson()
            )),
            document(&UPDATE_KEYS)
                .prop_map(|d| format!("db.c.updateMany({{}}, {})", Bson::Document(d).into_relaxed_extjson())),
            document(&KEYS).prop_map(|d| format!("User.create({})", Bson::Document(d).into_relaxed_extjson())),
            document(&KEYS)
                .prop_map(|d| format!("User.find({}).populate(\"friends\")", Bson::Document(d).into_relaxed_extjson())),
            document(&UPDATE_KEYS).prop_map(|d| format!(
                "User.updateOne({{}}, {}, {{ upsert: true, runValidators: true }})",
                Bson::Document(d).into_relaxed_extjson()
            )),
            Just("db.c.deleteMany({})".to_string()),
            Just("User.deleteOne({ a: 1 })".to_string()),
            document(&KEYS).prop_map(|d| format!(
                "const d = new User({}); d.tags.push(\"x\"); await d.save(); d.b = `${{d.a}}`; await d.save()",
                Bson::Document(d).into_relaxed_extjson()
            )),
            document(&KEYS).prop_map(|d| format!(
                "for (const u of await User.find({})) {{ u.a = (u.a ?? 0) + 1; await u.save() }}",
                Bson::Document(d).into_relaxed_extjson()
            )),
            document(&KEYS).prop_map(|d| format!(
                "const {{ a, ...rest }} = {}; const all = [...Object.keys(rest), a]; let k = 0; while (k < all.length) k++",
                Bson::Document(d).into_relaxed_extjson()
            )),
            Just("const f = (n) => n <= 0 ? 0 : 1 + f(n - 1); f(1000)".to_string()),
            Just("let s = \"\"; for (let i = 0; i < 1e9; i++) { s += i }".to_string()),
        ],
        1..6,
    )
}

pub fn parser(source: &str) {
    let _ = crudlab::shell::parse(source);
    let _ = crudlab::shell::cursor::cursor_context(source, source.len() / 2);
    let _ = crudlab::playground::highlight::highlight(source);
}

pub fn filter_compile_and_match(filter: &Document, docs: &[Document]) {
    if let Ok(compiled) = Filter::compile(filter) {
        for doc in docs {
            let _ = compiled.try_matches(doc);
        }
    }
    let mut collection = Collection::new("f", "c");
    let _ = collection.create_index(&bson::doc! {"a": 1}, false, None);
    let _ = collection.insert_many(docs.to_vec(), false, &mut Generator::deterministic(1));
    let _ =
        collection.find(filter, &FindOptions { sort: Some(bson::doc! {"a": -1}), limit: 2, ..FindOptions::default() });
    let _ = collection.explain(filter, &FindOptions::default());
}

/// Storage records of random documents, loaded back as the page loads them at start-up: the records that came
/// back answer a filter, a sorted find and a count exactly as trees decoded from the same bytes (a collection
/// loaded from storage keeps only bytes, goes through the byte matchers and decodes trees on demand); then one byte
/// of one page is changed and loading it never panics, and every document it keeps reads as `bson` reads its bytes.
pub fn stored_records(docs: &[Document], filter: &Document, flip: usize, byte: u8) {
    use crudlab::engine::database::Cluster;
    use crudlab::storage::{codec, RecordChange};
    let mut cluster = Cluster::new(Generator::deterministic(1));
    if let Ok((db, generator)) = cluster.database_mut("s") {
        if let Ok((collection, _)) = db.collection_mut("c") {
            let _ = collection.create_index(&bson::doc! {"a": 1}, false, None);
            let _ = collection.insert_many(docs.to_vec(), false, generator);
        }
    }
    let records: Vec<(String, Vec<u8>)> = codec::records_of(&cluster)
        .into_iter()
        .filter_map(|change| match change {
            RecordChange::Put { key, bytes } => Some((key, bytes)),
            RecordChange::Delete { .. } => None,
        })
        .collect();
    let mut loaded = Cluster::new(Generator::deterministic(1));
    assert_eq!(codec::load(&mut loaded, &records), Vec::new(), "records written here load without a problem");
    if let Some(lazy) = loaded.database("s").and_then(|db| db.collection("c")) {
        let mut trees = Collection::new("s", "c");
        let _ = trees.create_index(&bson::doc! {"a": 1}, false, None);
        for (record, bytes) in lazy.encoded_records_in(0..u64::MAX) {
            trees.restore_record(record, Document::from_reader(bytes).unwrap()).unwrap();
        }
        let sorted = FindOptions { sort: Some(bson::doc! {"a": -1, "_id": 1}), limit: 2, ..FindOptions::default() };
        // Compared as BSON bytes: a NaN is not equal to itself as a tree.
        let encoded = |found: Result<Vec<Document>, _>| {
            found.map(|docs| docs.iter().map(|d| d.to_vec().ok()).collect::<Vec<_>>())
        };
        for options in [FindOptions::default(), sorted] {
            assert_eq!(encoded(lazy.find(filter, &options)), encoded(trees.find(filter, &options)), "{filter}");
        }
        assert_eq!(lazy.count_documents(filter, 0, 0), trees.count_documents(filter, 0, 0), "{filter}");
    }
    let mut damaged = records;
    if let Some((_, bytes)) = damaged.iter_mut().find(|(key, bytes)| key.starts_with('p') && !bytes.is_empty()) {
        let at = flip % bytes.len();
        bytes[at] = byte;
    }
    let mut again = Cluster::new(Generator::deterministic(1));
    let _ = codec::load(&mut again, &damaged);
    for collection in again.databases().flat_map(|db| db.collections()) {
        for ((record, bytes), (same, document)) in collection.encoded_records_in(0..u64::MAX).zip(collection.records())
        {
            assert_eq!(record, same);
            let read = Document::from_reader(bytes).ok().and_then(|read| read.to_vec().ok());
            assert_eq!(read, document.to_vec().ok(), "record {record}");
        }
        let _ = collection.find(filter, &FindOptions::default());
    }
}

pub fn update_compile_and_apply(update: &Document, docs: &[Document]) {
    let mut collection = Collection::new("u", "c");
    let _ = collection.insert_many(docs.to_vec(), false, &mut Generator::deterministic(1));
    for compiled in [Update::compile_operators(update, &[]), Update::compile_replacement(update)].into_iter().flatten()
    {
        let (_, changes) = collection.update(&Document::new(), &compiled, true, true, &mut Generator::deterministic(2));
        let mut changeset = crudlab::engine::changes::ChangeSet::default();
        changeset.push_all("u", "c", changes);
        let _ = changeset.inverse();
    }
}

pub const SCHEMA_KEYS: [&str; 10] = ["type", "required", "default", "min", "enum", "ref", "a", "b", "String", "Number"];

pub fn schema_definitions(definition: &Document, input: &Document) {
    if let Ok(schema) = crudlab::schema::Schema::new(definition, &Document::new()) {
        let model = crudlab::schema::Model::new("Fuzz", schema);
        let mut ids = crudlab::schema::SequentialIds::default();
        let mut ctx = crudlab::schema::WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        let _ = crudlab::schema::create_document(&model, input, &mut ctx);
        let _ = crudlab::schema::cast_filter(&model, input, &mut ctx, &mut Vec::new());
    }
}

pub fn extended_json_import(text: &str) {
    let cluster = crudlab::engine::database::Cluster::new(Generator::deterministic(1));
    if let Ok(plan) = crudlab::storage::exchange::plan_import(&cluster, text, Some(("db", "c"))) {
        let mut target = cluster.clone();
        let _ = crudlab::storage::exchange::apply_import(&mut target, &plan);
    }
}

/// Decoding never panics, and a link decodes to the script it was made from.
pub fn share_links(garbage: &str, script: &str, flip: usize) -> Result<(), String> {
    let _ = crudlab::playground::share::decode(garbage);
    let _ = crudlab::playground::share::decode(&format!("s=v1.{garbage}"));
    let link = crudlab::playground::share::encode(script);
    if crudlab::playground::share::decode(&link) != Ok(script.to_string()) {
        return Err(format!("the link for {script:?} does not decode to it"));
    }
    let mut damaged: Vec<char> = link.chars().collect();
    if !damaged.is_empty() {
        let at = flip % damaged.len();
        damaged[at] = if damaged[at] == 'A' { 'B' } else { 'A' };
    }
    let _ = crudlab::playground::share::decode(&damaged.into_iter().collect::<String>());
    Ok(())
}

const PROGRAM_PRELUDE: &str = r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ a: { type: Number, min: 0 }, b: String, tags: [String], friends: [{ type: mongoose.Schema.Types.ObjectId, ref: "User" }] }, { timestamps: true }))"#;

/// A program in both worlds, its panes rendered, then undone and redone. Live when `deterministic` is false.
pub fn whole_program_in_both_worlds(program: &str, deterministic: bool) {
    let mut playground = crudlab::playground::Playground::new(deterministic);
    let _ = playground.run(PROGRAM_PRELUDE);
    if let Ok(outcome) = playground.run(program) {
        for side in crudlab::playground::Side::BOTH {
            let _ = crudlab::playground::view::pane(&playground, &outcome, side);
        }
    }
    let _ = playground.undo();
    let _ = playground.redo();
}

/// One input of the regression corpus.
#[derive(Debug, serde::Deserialize)]
pub struct CorpusCase {
    pub target: String,
    pub input: String,
    /// The same input repeated this many times (deep nesting without a megabyte of corpus file).
    #[serde(default)]
    pub repeat: Option<usize>,
    /// Appended after the repeated input, to close what it opened.
    #[serde(default)]
    pub then: String,
}

#[derive(Debug, serde::Deserialize)]
struct Corpus {
    case: Vec<CorpusCase>,
}

/// The regression corpus: inputs that found bugs or sit on a limit, replayed before any random input.
pub fn corpus() -> Vec<CorpusCase> {
    toml::from_str::<Corpus>(include_str!("../corpus/fuzz.toml")).unwrap().case
}

/// Replays every corpus case through its target; a failure is a message, a panic fails the caller's test.
pub fn replay_corpus(deterministic: bool) -> (usize, Vec<String>) {
    let cases = corpus();
    let mut failures = Vec::new();
    for case in &cases {
        let input = match case.repeat {
            Some(times) => format!("{}{}", case.input.repeat(times), case.then),
            None => case.input.clone(),
        };
        let as_document = || -> Option<Document> {
            let value: serde_json::Value = serde_json::from_str(&input).ok()?;
            Bson::try_from(value).ok()?.as_document().cloned()
        };
        match case.target.as_str() {
            "parser" => parser(&input),
            "program" => whole_program_in_both_worlds(&input, deterministic),
            "import" => extended_json_import(&input),
            "share" => {
                if let Err(why) = share_links(&input, &input, input.len()) {
                    failures.push(why);
                }
            }
            "aggregate" => {
                let stages: Option<Vec<Document>> = serde_json::from_str::<serde_json::Value>(&input)
                    .ok()
                    .and_then(|value| Bson::try_from(value).ok())
                    .and_then(|value| match value {
                        Bson::Array(items) => items.into_iter().map(|item| item.as_document().cloned()).collect(),
                        // One document: an expression, computed by a $project (deep nesting without a prefix).
                        Bson::Document(expression) => Some(vec![bson::doc! {"$project": {"x": expression}}]),
                        _ => None,
                    });
                match stages {
                    Some(stages) => aggregate_pipeline(
                        &stages,
                        &[bson::doc! {"_id": 1, "a": 1, "tags": ["x", "y"]}, bson::doc! {"_id": 2, "a": "s"}],
                    ),
                    None => {
                        failures.push(format!("corpus: aggregate input is not a JSON array of stages: {input:.60}"))
                    }
                }
            }
            "filter" | "update" | "schema" => match as_document() {
                Some(doc) if case.target == "filter" => filter_compile_and_match(&doc, std::slice::from_ref(&doc)),
                Some(doc) if case.target == "update" => update_compile_and_apply(&doc, &[bson::doc! {"a": 1}]),
                Some(doc) => schema_definitions(&doc, &bson::doc! {"a": "1"}),
                None => failures.push(format!("corpus: {} input is not a JSON document: {input:.60}", case.target)),
            },
            other => failures.push(format!("corpus: unknown target {other}")),
        }
    }
    (cases.len(), failures)
}

/// Runs `test` on `cases` inputs drawn from `strategy` with a fixed seed: the same inputs on every platform.
fn sample<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value)) -> Result<(), String> {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    runner
        .run(&strategy, |value| {
            test(value);
            Ok(())
        })
        .map_err(|error| error.to_string())
}

/// A short random sample of every target from a fixed seed; one message per target that failed.
pub fn seeded_sample(cases: u32, deterministic: bool) -> Vec<String> {
    let results = [
        ("parser", sample(cases, parser_input(), |s| parser(&s))),
        (
            "filter",
            sample(cases, (document(&KEYS), prop::collection::vec(document(&KEYS), 0..4)), |(f, d)| {
                filter_compile_and_match(&f, &d)
            }),
        ),
        (
            "update",
            sample(cases, (document(&UPDATE_KEYS), prop::collection::vec(document(&KEYS), 1..4)), |(u, d)| {
                update_compile_and_apply(&u, &d)
            }),
        ),
        ("schema", sample(cases, (document(&SCHEMA_KEYS), document(&KEYS)), |(s, i)| schema_definitions(&s, &i))),
        (
            "stored",
            sample(
                cases,
                (prop::collection::vec(document(&KEYS), 0..6), document(&KEYS), any::<usize>(), any::<u8>()),
                |(d, f, at, byte)| stored_records(&d, &f, at, byte),
            ),
        ),
        (
            "aggregate",
            sample(cases, (pipeline(), prop::collection::vec(document(&KEYS), 0..4)), |(p, d)| {
                aggregate_pipeline(&p, &d)
            }),
        ),
        (
            "import",
            sample(
                cases,
                document(&KEYS).prop_map(|d| format!("[{}]", Bson::Document(d).into_canonical_extjson())),
                |t| extended_json_import(&t),
            ),
        ),
        (
            "program",
            sample(cases, program_statements(), |statements| {
                whole_program_in_both_worlds(&statements.join("\n"), deterministic)
            }),
        ),
    ];
    results.into_iter().filter_map(|(target, result)| result.err().map(|why| format!("{target}: {why}"))).collect()
}
