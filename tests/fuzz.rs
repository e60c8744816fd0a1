//! Fuzz targets on stable Rust (proptest): the command parser, filter compile + match, update compile + apply,
//! schema definitions and casts, Extended JSON import, share-link decoding and whole programs in both worlds. Each
//! must answer every input with a value or an error — never a panic — and in reasonable time. `cargo test` runs a
//! few cases (`CRUDLAB_FUZZ_CASES`, default 48); `cargo xtask fuzz --seconds N` runs each target for N seconds.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::print_stderr)]

use bson::{Bson, Document};
use crudlab::engine::collection::{Collection, FindOptions};
use crudlab::engine::generator::Generator;
use crudlab::engine::query::Filter;
use crudlab::engine::update::Update;
use proptest::prelude::*;

#[allow(clippy::disallowed_methods, reason = "a native test: `cargo xtask fuzz` sets the number of cases")]
fn cases() -> u32 {
    std::env::var("CRUDLAB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48)
}

fn config() -> ProptestConfig {
    ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() }
}

/// Reports (without failing: timing is not a test) any input that took longer than a second.
fn timed<T>(target: &str, input: &dyn std::fmt::Debug, f: impl FnOnce() -> T) -> T {
    let start = crudlab::clock::monotonic_millis();
    let out = f();
    let took = crudlab::clock::monotonic_millis() - start;
    if took > 1000.0 {
        eprintln!("fuzz {target}: slow input ({took:.0} ms): {input:?}");
    }
    out
}

const LECTURE: &str = r#"const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({ username: { type: String, required: true, unique: true }, age: { type: Number, min: 0 }, purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }] })
const User = mongoose.model("User", userSchema)
await User.create({ username: "ada", age: "36" })
db.users.find({ age: { $gt: 18 }, tags: { $in: ["a", /^b/i] } }).sort({ age: -1 }).limit(5)
await User.updateOne({ username: "ada" }, { $push: { purchasedCourses: "659200800000000001000001" } })
db.users.updateMany({}, { $inc: { age: 1 }, $set: { "profile.city": "Paris" } })
await User.findOne({ username: "ada" }).populate("purchasedCourses").select("-age")
db.users.deleteMany({ $or: [{ age: { $lt: 0 } }, { username: { $exists: false } }] })"#;

const KEYS: [&str; 16] = [
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
const UPDATE_KEYS: [&str; 14] = [
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

fn value(keys: &'static [&'static str]) -> impl Strategy<Value = Bson> {
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

fn document(keys: &'static [&'static str]) -> impl Strategy<Value = Document> {
    value(keys).prop_map(|v| match v {
        Bson::Document(d) => d,
        other => bson::doc! {"a": other},
    })
}

/// A valid program with a few characters inserted, deleted or replaced.
fn mutated_lecture() -> impl Strategy<Value = String> {
    prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 1..6).prop_map(|edits| {
        let mut chars: Vec<char> = LECTURE.chars().collect();
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

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parser(source in prop_oneof![".{0,200}", mutated_lecture(), "[{}()\\[\\]\"'`/*:;,. a-z0-9$]{0,300}"]) {
        let _ = timed("parser", &source, || crudlab::shell::parse(&source));
        let _ = crudlab::shell::cursor::cursor_context(&source, source.len() / 2);
        let _ = crudlab::playground::highlight::highlight(&source);
    }

    #[test]
    fn filter_compile_and_match(filter in document(&KEYS), docs in prop::collection::vec(document(&KEYS), 0..4)) {
        timed("filter", &filter, || {
            if let Ok(compiled) = Filter::compile(&filter) {
                for doc in &docs {
                    let _ = compiled.try_matches(doc);
                }
            }
            let mut collection = Collection::new("f", "c");
            let _ = collection.create_index(&bson::doc! {"a": 1}, false, None);
            let _ = collection.insert_many(docs.clone(), false, &mut Generator::deterministic(1));
            let _ = collection.find(&filter, &FindOptions { sort: Some(bson::doc! {"a": -1}), limit: 2, ..FindOptions::default() });
            let _ = collection.explain(&filter, &FindOptions::default());
        });
    }

    #[test]
    fn update_compile_and_apply(update in document(&UPDATE_KEYS), docs in prop::collection::vec(document(&KEYS), 1..4)) {
        timed("update", &update, || {
            let mut collection = Collection::new("u", "c");
            let _ = collection.insert_many(docs, false, &mut Generator::deterministic(1));
            for compiled in [Update::compile_operators(&update, &[]), Update::compile_replacement(&update)].into_iter().flatten() {
                let (_, changes) = collection.update(&Document::new(), &compiled, true, true, &mut Generator::deterministic(2));
                let mut changeset = crudlab::engine::changes::ChangeSet::default();
                changeset.push_all("u", "c", changes);
                let _ = changeset.inverse();
            }
        });
    }

    #[test]
    fn schema_definitions(definition in document(&["type", "required", "default", "min", "enum", "ref", "a", "b", "String", "Number"]), input in document(&KEYS)) {
        timed("schema", &definition, || {
            if let Ok(schema) = crudlab::schema::Schema::new(&definition, &Document::new()) {
                let model = crudlab::schema::Model::new("Fuzz", schema);
                let mut ids = crudlab::schema::SequentialIds::default();
                let mut ctx = crudlab::schema::WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
                let _ = crudlab::schema::create_document(&model, &input, &mut ctx);
                let _ = crudlab::schema::cast_filter(&model, &input, &mut Vec::new());
            }
        });
    }

    #[test]
    fn extended_json_import(text in prop_oneof![".{0,200}", document(&KEYS).prop_map(|d| format!("[{}]", Bson::Document(d).into_canonical_extjson()))], mutate in any::<prop::sample::Index>()) {
        let cluster = crudlab::engine::database::Cluster::new(Generator::deterministic(1));
        let mut mutated = text.clone();
        if !mutated.is_empty() {
            let at = mutate.index(mutated.len());
            if mutated.is_char_boundary(at) {
                mutated.insert(at, '{');
            }
        }
        for candidate in [&text, &mutated] {
            timed("import", candidate, || {
                if let Ok(plan) = crudlab::storage::exchange::plan_import(&cluster, candidate, Some(("db", "c"))) {
                    let mut target = cluster.clone();
                    let _ = crudlab::storage::exchange::apply_import(&mut target, &plan);
                }
            });
        }
    }

    #[test]
    fn share_links(garbage in ".{0,120}", script in ".{0,200}", flip in any::<prop::sample::Index>()) {
        let _ = crudlab::playground::share::decode(&garbage);
        let _ = crudlab::playground::share::decode(&format!("s=v1.{garbage}"));
        let link = crudlab::playground::share::encode(&script);
        prop_assert_eq!(crudlab::playground::share::decode(&link), Ok(script));
        let mut damaged: Vec<char> = link.chars().collect();
        let at = flip.index(damaged.len());
        damaged[at] = if damaged[at] == 'A' { 'B' } else { 'A' };
        let _ = crudlab::playground::share::decode(&damaged.into_iter().collect::<String>());
    }

    #[test]
    fn whole_programs_in_both_worlds(statements in prop::collection::vec(prop_oneof![
        document(&KEYS).prop_map(|d| format!("db.c.insertOne({})", Bson::Document(d).into_relaxed_extjson())),
        document(&KEYS).prop_map(|d| format!("db.c.find({}).sort({{ a: 1 }}).limit(3)", Bson::Document(d).into_relaxed_extjson())),
        document(&UPDATE_KEYS).prop_map(|d| format!("db.c.updateMany({{}}, {})", Bson::Document(d).into_relaxed_extjson())),
        document(&KEYS).prop_map(|d| format!("User.create({})", Bson::Document(d).into_relaxed_extjson())),
        document(&KEYS).prop_map(|d| format!("User.find({}).populate(\"friends\")", Bson::Document(d).into_relaxed_extjson())),
        document(&UPDATE_KEYS).prop_map(|d| format!("User.updateOne({{}}, {}, {{ upsert: true, runValidators: true }})", Bson::Document(d).into_relaxed_extjson())),
        Just("db.c.deleteMany({})".to_string()),
        Just("User.deleteOne({ a: 1 })".to_string()),
    ], 1..6)) {
        let mut playground = crudlab::playground::Playground::new(true);
        playground.run(r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ a: { type: Number, min: 0 }, b: String, tags: [String], friends: [{ type: mongoose.Schema.Types.ObjectId, ref: "User" }] }, { timestamps: true }))"#).unwrap();
        let program = statements.join("\n");
        timed("program", &program, || {
            if let Ok(outcome) = playground.run(&program) {
                for side in crudlab::playground::Side::BOTH {
                    let _ = crudlab::playground::view::pane(&playground, &outcome, side);
                }
            }
            let _ = playground.undo();
            let _ = playground.redo();
        });
    }
}
