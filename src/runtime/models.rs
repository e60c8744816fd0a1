//! Models in a world: declaring them, and translating between model calls and driver calls, so the same statement
//! runs in both panes (`User.create(doc)` ↔ `db.users.insertOne(doc)`, `User.findById(id)` ↔ `db.users.findOne({ _id: id })`).

use super::error::RuntimeError;
use super::mongosh_format::format_inline;
use super::value::{PendingCall, SchemaValue, Target};
use super::world::{CallReport, World};
use crate::shell::span::Span;
use bson::{Bson, Document};
use std::rc::Rc;

/// Model methods the lecture's code may call.
pub const MODEL_METHODS: &[&str] = &[
    "create",
    "insertMany",
    "find",
    "findOne",
    "findById",
    "countDocuments",
    "estimatedDocumentCount",
    "exists",
    "distinct",
    "updateOne",
    "updateMany",
    "replaceOne",
    "findOneAndUpdate",
    "findByIdAndUpdate",
    "findOneAndReplace",
    "deleteOne",
    "deleteMany",
    "findOneAndDelete",
    "findByIdAndDelete",
];

/// Methods that chain on a Mongoose query.
pub const QUERY_METHODS: &[&str] =
    &["sort", "skip", "limit", "select", "populate", "lean", "exec", "then", "countDocuments", "explain", "orFail"];

/// A model the program declared.
#[derive(Debug, Clone)]
pub struct ModelEntry {
    pub name: String,
    /// The collection Mongoose derives (`User` → `users`) or the schema's `collection` option.
    pub collection: String,
    pub schema: Rc<SchemaValue>,
    pub model: crate::schema::Model,
    /// Run update validators on every update of this model (the playground's live switch), as
    /// `mongoose.set('runValidators', true)` would.
    pub run_validators: bool,
}

/// Declares a model in this world (`mongoose.model("User", userSchema)`): builds the schema and, as Mongoose's
/// autoIndex does, creates the unique indexes its paths ask for.
pub fn register(
    world: &mut World,
    name: &str,
    schema: &Rc<SchemaValue>,
    database: &str,
    span: Span,
) -> Result<Option<CallReport>, RuntimeError> {
    if let Some(existing) = world.models.get(name) {
        if existing.schema.as_ref() == schema.as_ref() {
            return Ok(None);
        }
        return Err(RuntimeError::script(
            "OverwriteModelError",
            span,
            format!("Cannot overwrite `{name}` model once compiled."),
        ));
    }
    let built = crate::schema::Schema::new(&schema.definition, &schema.options)
        .map_err(|e| RuntimeError::type_error(span, e.message))?;
    let model = crate::schema::Model::new(name, built);
    let collection = model.collection.clone();
    let unique = model.schema.unique_paths();
    world.models.insert(
        name.to_string(),
        ModelEntry {
            name: name.to_string(),
            collection: collection.clone(),
            schema: schema.clone(),
            model,
            run_validators: false,
        },
    );
    if unique.is_empty() {
        return Ok(None);
    }
    if world.mode == super::Mode::Schemaless {
        // The raw driver never hears of the schema, so nobody asks the database for the unique index.
        return Ok(Some(CallReport {
            written: format!("mongoose.model('{name}', schema)"),
            namespace: (database.to_string(), collection),
            note: Some(format!(
                "Without Mongoose nobody creates the unique index on {}: the database will accept duplicates here.",
                unique.join(", ")
            )),
            ..CallReport::default()
        }));
    }
    let mut report = CallReport {
        written: format!("mongoose.model('{name}', schema)"),
        namespace: (database.to_string(), collection.clone()),
        note: Some(
            "`unique` is not a validator: Mongoose asks the database for a unique index, and the database enforces it."
                .to_string(),
        ),
        ..CallReport::default()
    };
    for path in unique {
        let keys = bson::doc! { path.clone(): 1 };
        let options = bson::doc! {"unique": true};
        let outcome = super::driver::run(
            &mut world.cluster,
            database,
            &collection,
            "createIndex",
            &[Bson::Document(keys), Bson::Document(options)],
            &[],
        );
        report.driver_calls.push(outcome.call_text.clone());
        report.changes.entries.extend(outcome.changes.entries);
        report.changes.collections.extend(outcome.changes.collections);
        if let Some(Err(super::driver::DriverError::Server(error))) = outcome.result {
            return Err(RuntimeError::server(span, error));
        }
    }
    Ok(Some(report))
}

/// The model whose collection is `collection`, if the program declared one.
pub fn model_for_collection(world: &World, collection: &str) -> Option<String> {
    world.models.values().find(|entry| entry.collection == collection).map(|entry| entry.name.clone())
}

/// A model call written back as text: `User.find({ age: { $gt: 18 } }).sort({ age: -1 })`.
pub fn written_model_call(pending: &PendingCall) -> String {
    let receiver = match &pending.target {
        Target::Model(name) => name.clone(),
        Target::Collection(name) => format!("db.{name}"),
    };
    let mut text = format!(
        "{receiver}.{}({})",
        pending.method,
        pending.args.iter().map(format_inline).collect::<Vec<_>>().join(", ")
    );
    for (name, args) in &pending.chain {
        text.push_str(&format!(".{name}({})", args.iter().map(format_inline).collect::<Vec<_>>().join(", ")));
    }
    text
}

fn arg(args: &[Bson], index: usize) -> Bson {
    args.get(index).cloned().unwrap_or(Bson::Document(Document::new()))
}

fn id_filter(id: Bson) -> Bson {
    Bson::Document(bson::doc! {"_id": id})
}

/// Mongoose's select string (`"username -password"`) or object as a driver projection.
pub fn select_to_projection(select: &Bson) -> Bson {
    match select {
        Bson::String(text) => {
            let mut projection = Document::new();
            for word in text.split_whitespace() {
                if let Some(field) = word.strip_prefix('-') {
                    projection.insert(field, 0);
                } else {
                    projection.insert(word.trim_start_matches('+'), 1);
                }
            }
            Bson::Document(projection)
        }
        other => other.clone(),
    }
}

/// Mongoose's sort string (`"-age name"`) or object as a driver sort document.
pub fn sort_to_document(sort: &Bson) -> Bson {
    match sort {
        Bson::String(text) => {
            let mut doc = Document::new();
            for word in text.split_whitespace() {
                match word.strip_prefix('-') {
                    Some(field) => doc.insert(field, -1),
                    None => doc.insert(word.trim_start_matches('+'), 1),
                };
            }
            Bson::Document(doc)
        }
        other => other.clone(),
    }
}

/// A driver call: which collection, which method, its arguments and cursor chain.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverCall {
    pub collection: String,
    pub method: String,
    pub args: Vec<Bson>,
    pub chain: Vec<(String, Vec<Bson>)>,
    /// A `findOne` run as `find(...).limit(1)`: the result is its first document (or null).
    pub first_only: bool,
}

/// What the raw driver runs for a model call (the schemaless mirror).
/// No casting happens here, on purpose: the database stores whatever it gets.
pub fn model_to_driver(world: &World, pending: &PendingCall) -> Result<DriverCall, String> {
    let Target::Model(model) = &pending.target else {
        return Err("not a model call".into());
    };
    let entry = world.models.get(model).ok_or_else(|| format!("{model} is not a model"))?;
    let args = &pending.args;
    let options_with_new = |options: Bson| -> Bson {
        let mut options = options.as_document().cloned().unwrap_or_default();
        if matches!(options.remove("new"), Some(Bson::Boolean(true))) {
            options.insert("returnDocument", "after");
        }
        options.remove("runValidators");
        Bson::Document(options)
    };
    let (method, driver_args): (&str, Vec<Bson>) = match pending.method.as_str() {
        "create" => match args.first() {
            Some(Bson::Array(items)) => ("insertMany", vec![Bson::Array(items.clone())]),
            Some(first) if args.len() > 1 => (
                "insertMany",
                vec![Bson::Array(std::iter::once(first.clone()).chain(args[1..].iter().cloned()).collect())],
            ),
            _ => ("insertOne", vec![arg(args, 0)]),
        },
        "insertMany" => ("insertMany", vec![args.first().cloned().unwrap_or(Bson::Array(Vec::new()))]),
        "find" => ("find", vec![arg(args, 0), arg(args, 1)]),
        "findOne" => ("findOne", vec![arg(args, 0), arg(args, 1)]),
        "findById" => ("findOne", vec![id_filter(args.first().cloned().unwrap_or(Bson::Undefined)), arg(args, 1)]),
        "countDocuments" => ("countDocuments", vec![arg(args, 0)]),
        "estimatedDocumentCount" => ("estimatedDocumentCount", vec![]),
        "exists" => ("findOne", vec![arg(args, 0), Bson::Document(bson::doc! {"_id": 1})]),
        "distinct" => ("distinct", vec![args.first().cloned().unwrap_or(Bson::Undefined), arg(args, 1)]),
        "updateOne" | "updateMany" | "replaceOne" => {
            (pending.method.as_str(), vec![arg(args, 0), arg(args, 1), options_with_new(arg(args, 2))])
        }
        "findOneAndUpdate" | "findOneAndReplace" => {
            (pending.method.as_str(), vec![arg(args, 0), arg(args, 1), options_with_new(arg(args, 2))])
        }
        "findByIdAndUpdate" => (
            "findOneAndUpdate",
            vec![
                id_filter(args.first().cloned().unwrap_or(Bson::Undefined)),
                arg(args, 1),
                options_with_new(arg(args, 2)),
            ],
        ),
        "deleteOne" | "deleteMany" => (pending.method.as_str(), vec![arg(args, 0)]),
        "findOneAndDelete" => ("findOneAndDelete", vec![arg(args, 0)]),
        "findByIdAndDelete" => ("findOneAndDelete", vec![id_filter(args.first().cloned().unwrap_or(Bson::Undefined))]),
        other => return Err(format!("{model}.{other} has no driver equivalent")),
    };
    let mut chain = Vec::new();
    let mut projection = match driver_args.get(1) {
        Some(Bson::Document(doc)) if matches!(method, "find" | "findOne") => doc.clone(),
        _ => Document::new(),
    };
    for (name, chain_args) in &pending.chain {
        match name.as_str() {
            "sort" => chain
                .push(("sort".to_string(), vec![sort_to_document(&chain_args.first().cloned().unwrap_or_default())])),
            "skip" | "limit" => chain.push((name.clone(), chain_args.clone())),
            "select" => {
                // `+path` forces a `select: false` path in; without a schema nothing is hidden, so it means nothing.
                let selected = select_to_projection(&chain_args.first().cloned().unwrap_or_default());
                let forced = match chain_args.first() {
                    Some(Bson::String(text)) => {
                        text.split_whitespace().filter_map(|w| w.strip_prefix('+')).map(str::to_string).collect()
                    }
                    _ => Vec::new(),
                };
                for (key, value) in selected.as_document().cloned().unwrap_or_default() {
                    if !forced.contains(&key) {
                        projection.insert(key, value);
                    }
                }
            }
            "countDocuments" => chain.push(("count".to_string(), Vec::new())),
            "explain" => chain.push(("explain".to_string(), chain_args.clone())),
            // populate, lean, exec, orFail: Mongoose features with no driver counterpart.
            _ => {}
        }
    }
    let mut method = method.to_string();
    let mut driver_args = driver_args;
    let mut first_only = false;
    if method == "find" || method == "findOne" {
        driver_args.truncate(1);
        if !projection.is_empty() {
            driver_args.push(Bson::Document(projection));
        }
        // The shell's findOne takes no sort or skip: a sorted findOne is a find limited to one document.
        if method == "findOne" && chain.iter().any(|(name, _)| name == "sort" || name == "skip") {
            method = "find".to_string();
            chain.retain(|(name, _)| name != "limit");
            chain.push(("limit".to_string(), vec![Bson::Int32(1)]));
            first_only = true;
        }
    }
    // Trailing empty option documents are left out, as a student would write the call.
    let required = match method.as_str() {
        "updateOne" | "updateMany" | "replaceOne" | "findOneAndUpdate" | "findOneAndReplace" => 2,
        "estimatedDocumentCount" => 0,
        _ => 1,
    };
    while driver_args.len() > required && matches!(driver_args.last(), Some(Bson::Document(d)) if d.is_empty()) {
        driver_args.pop();
    }
    Ok(DriverCall { collection: entry.collection.clone(), method, args: driver_args, chain, first_only })
}

/// What Mongoose runs for a driver call on a modelled collection (the Mongoose mirror), or an error when the
/// call has no model equivalent.
pub fn driver_to_model(model: &str, pending: &PendingCall) -> Result<PendingCall, String> {
    let args = &pending.args;
    let (method, model_args): (&str, Vec<Bson>) = match pending.method.as_str() {
        "insertOne" => ("create", vec![arg(args, 0)]),
        "insertMany" => ("insertMany", vec![args.first().cloned().unwrap_or(Bson::Array(Vec::new()))]),
        "find" | "findOne" | "countDocuments" | "deleteOne" | "deleteMany" | "findOneAndDelete" => {
            let mut out = vec![arg(args, 0)];
            if let Some(projection) = args.get(1) {
                if pending.method == "find" || pending.method == "findOne" {
                    out.push(projection.clone());
                }
            }
            (pending.method.as_str(), out)
        }
        "estimatedDocumentCount" => ("estimatedDocumentCount", vec![]),
        "distinct" => ("distinct", vec![args.first().cloned().unwrap_or(Bson::Undefined), arg(args, 1)]),
        "updateOne" | "updateMany" | "replaceOne" | "findOneAndUpdate" | "findOneAndReplace" => {
            let mut options = arg(args, 2).as_document().cloned().unwrap_or_default();
            if let Some(Bson::String(when)) = options.remove("returnDocument") {
                options.insert("new", when == "after");
            }
            (pending.method.as_str(), vec![arg(args, 0), arg(args, 1), Bson::Document(options)])
        }
        other => return Err(format!("db.<collection>.{other} has no Mongoose model equivalent")),
    };
    let mut chain = Vec::new();
    for (name, chain_args) in &pending.chain {
        match name.as_str() {
            "sort" | "skip" | "limit" | "explain" => chain.push((name.clone(), chain_args.clone())),
            "projection" | "project" => chain.push(("select".to_string(), chain_args.clone())),
            "count" => chain.push(("countDocuments".to_string(), Vec::new())),
            _ => {}
        }
    }
    let mut model_args = model_args;
    let required = match method {
        "updateOne" | "updateMany" | "replaceOne" | "findOneAndUpdate" | "findOneAndReplace" => 2,
        "estimatedDocumentCount" => 0,
        _ => 1,
    };
    while model_args.len() > required && matches!(model_args.last(), Some(Bson::Document(d)) if d.is_empty()) {
        model_args.pop();
    }
    Ok(PendingCall { target: Target::Model(model.to_string()), method: method.to_string(), args: model_args, chain })
}
