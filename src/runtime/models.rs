//! Models in a world: declaring them, and translating between model calls and driver calls, so the same statement
//! runs in both panes (`User.create(doc)` ↔ `db.users.insertOne(doc)`, `User.findById(id)` ↔ `db.users.findOne({ _id: id })`).

use super::calls::{
    trim_empty_options, AggregateMethod, Call, CursorMethod, DriverCall, DriverMethod, ModelCall, ModelMethod,
    QueryMethod,
};
use super::error::RuntimeError;
use super::report::CallReport;
use super::value::SchemaValue;
use crate::engine::database::Cluster;
use crate::shell::span::Span;
use bson::{Bson, Document};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The models a world's program declared, by name.
pub type Models = BTreeMap<String, ModelEntry>;

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
/// autoIndex does, creates the indexes its paths ask for (`unique: true`, `index: true`); what of the schema
/// crudlab does not implement is said in the declaration's note.
/// In a schemaless world the raw driver never hears of the schema, so no index is created.
pub fn register(
    cluster: &mut Cluster,
    models: &mut Models,
    schemaless: bool,
    declaration: (&str, &Rc<SchemaValue>),
    database: &str,
    span: Span,
) -> Result<Option<CallReport>, RuntimeError> {
    let (name, schema) = declaration;
    if let Some(existing) = models.get(name) {
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
    let mut model = crate::schema::Model::new(name, built);
    // `schema.virtuals` in Mongoose's order: the virtuals declared so far, then `id`, which the idGetter plugin
    // adds when the model is compiled (virtuals declared after `mongoose.model()` come after it).
    model.schema.virtuals = schema.virtuals.borrow().iter().map(|v| v.name.clone()).collect();
    if model.schema.is_virtual("id") {
        model.schema.virtuals.push("id".to_string());
    }
    let collection = model.collection.clone();
    let unique = model.schema.unique_paths();
    let mut indexes: Vec<(Document, Document)> = model
        .index_specs()
        .into_iter()
        .map(|index| {
            // The options in the order Mongoose's getIndexes writes them: `unique`, `sparse`, `expireAfterSeconds`.
            let mut options = Document::new();
            if index.unique {
                options.insert("unique", true);
            }
            if index.sparse {
                options.insert("sparse", true);
            }
            if let Some(seconds) = index.expire_after_seconds {
                options.insert("expireAfterSeconds", seconds);
            }
            (index.keys, options)
        })
        .collect();
    let mut unsupported = crate::schema::definition::unsupported_notes(&model.schema);
    // `schema.index(fields, options)` comes after the paths' indexes (Schema.prototype.indexes), its keys
    // translated as Schema.prototype.index does (aliases, "asc"/"desc").
    for (fields, options) in schema.indexes.borrow().iter() {
        let mut keys = Document::new();
        for (key, direction) in fields {
            let key = model.schema.aliases.iter().find(|(alias, _)| alias == key).map_or(key, |(_, path)| path);
            let direction = match direction {
                Bson::String(word) if word == "asc" || word == "ascending" => Bson::Int32(1),
                Bson::String(word) if word == "desc" || word == "descending" => Bson::Int32(-1),
                other => other.clone(),
            };
            keys.insert(key.clone(), direction);
        }
        // Schema.prototype.index runs `utils.expires(options)`: `expires` (a number, or a string through `ms`)
        // becomes `expireAfterSeconds`, in its place at the end.
        let mut options = options.clone();
        if let Some(expires) = options.remove("expires") {
            let seconds = match &expires {
                Bson::String(text) => crate::js::ms::parse(text).map_or(Bson::Double(f64::NAN), |millis| {
                    crate::schema::definition::js_number_bson((millis / 1000.0).round())
                }),
                other => other.clone(),
            };
            options.insert("expireAfterSeconds", seconds);
        }
        for option in options
            .keys()
            .filter(|option| !matches!(option.as_str(), "unique" | "name" | "sparse" | "expireAfterSeconds"))
        {
            unsupported.push(format!(
                "crudlab ignores `{option}` of schema.index(): its indexes know unique, sparse, expireAfterSeconds (expires) and name."
            ));
        }
        indexes.push((keys, options));
    }
    // `autoIndex: false` keeps Mongoose from asking for the indexes when the model is compiled.
    if !model.schema.options.auto_index {
        indexes.clear();
    }
    models.insert(
        name.to_string(),
        ModelEntry {
            name: name.to_string(),
            collection: collection.clone(),
            schema: schema.clone(),
            model,
            run_validators: false,
        },
    );
    let mut report = CallReport::new(Call::DeclareModel(name.to_string()), (database.to_string(), collection.clone()));
    if schemaless {
        if unique.is_empty() {
            return Ok(None);
        }
        // The raw driver never hears of the schema, so nobody asks the database for the unique index.
        report.note = Some(format!(
            "Without Mongoose nobody creates the unique index on {}: the database will accept duplicates here.",
            unique.join(", ")
        ));
        return Ok(Some(report));
    }
    if indexes.is_empty() && unsupported.is_empty() {
        return Ok(None);
    }
    let mut notes = Vec::new();
    if indexes.iter().any(|(_, options)| options.get("unique").is_some_and(crate::js::truthy)) {
        notes.push(
            "`unique` is not a validator: Mongoose asks the database for a unique index, and the database enforces it."
                .to_string(),
        );
    }
    notes.extend(unsupported);
    report.note = Some(notes.join("\n"));
    for (keys, options) in indexes {
        let call = DriverCall::new(
            collection.clone(),
            DriverMethod::CreateIndex,
            vec![Bson::Document(keys), Bson::Document(options)],
        );
        let outcome = super::driver::run(cluster, database, &call);
        report.record_sent(outcome.sent.unwrap_or(call), outcome.changes);
        if let Some(Err(super::driver::DriverError::Server(error))) = outcome.result {
            return Err(RuntimeError::server(span, error));
        }
    }
    Ok(Some(report))
}

/// The model whose collection is `collection`, if the program declared one.
pub fn model_for_collection(models: &Models, collection: &str) -> Option<String> {
    models.values().find(|entry| entry.collection == collection).map(|entry| entry.name.clone())
}

fn arg(args: &[Bson], index: usize) -> Bson {
    args.get(index).cloned().unwrap_or(Bson::Document(Document::new()))
}

fn id_filter(id: Bson) -> Bson {
    Bson::Document(bson::doc! {"_id": id})
}

/// Mongoose's select (`"username -password +secret"`, or an object) as a projection document. `+path` (force a
/// `select: false` path in) stays a `"+path": 1` key, as Mongoose keeps it, for the schema's projection to read.
pub fn select_projection(select: &Bson) -> Document {
    match select {
        Bson::String(text) => {
            let mut projection = Document::new();
            for word in text.split_whitespace() {
                match word.strip_prefix('-') {
                    Some(field) => projection.insert(field, 0),
                    None => projection.insert(word, 1),
                };
            }
            projection
        }
        Bson::Document(doc) => doc.clone(),
        _ => Document::new(),
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

/// What the raw driver runs for a model call (the schemaless mirror).
#[derive(Debug, Clone, PartialEq)]
pub struct DriverEquivalent {
    pub call: DriverCall,
    /// A `findOne` run as `find(...).limit(1)`: the result is its first document (or null).
    pub first_only: bool,
}

/// What the raw driver runs for a model call (the schemaless mirror).
/// No casting happens here, on purpose: the database stores whatever it gets.
pub fn model_to_driver(models: &Models, call: &ModelCall) -> Result<DriverEquivalent, String> {
    let model = &call.model;
    let entry = models.get(model).ok_or_else(|| format!("{model} is not a model"))?;
    let args = &call.args;
    let options_with_new = |options: Bson| -> Bson {
        let mut options = options.as_document().cloned().unwrap_or_default();
        if matches!(options.remove("new"), Some(Bson::Boolean(true))) {
            options.insert("returnDocument", "after");
        }
        options.remove("runValidators");
        Bson::Document(options)
    };
    let first = || args.first().cloned().unwrap_or(Bson::Undefined);
    let (mut method, mut driver_args): (DriverMethod, Vec<Bson>) = match call.method {
        ModelMethod::Create => match args.first() {
            Some(Bson::Array(items)) => (DriverMethod::InsertMany, vec![Bson::Array(items.clone())]),
            Some(first) if args.len() > 1 => (
                DriverMethod::InsertMany,
                vec![Bson::Array(std::iter::once(first.clone()).chain(args[1..].iter().cloned()).collect())],
            ),
            _ => (DriverMethod::InsertOne, vec![arg(args, 0)]),
        },
        ModelMethod::InsertMany => {
            (DriverMethod::InsertMany, vec![args.first().cloned().unwrap_or(Bson::Array(Vec::new()))])
        }
        ModelMethod::Find => (DriverMethod::Find, vec![arg(args, 0), arg(args, 1)]),
        ModelMethod::FindOne => (DriverMethod::FindOne, vec![arg(args, 0), arg(args, 1)]),
        ModelMethod::FindById => (DriverMethod::FindOne, vec![id_filter(first()), arg(args, 1)]),
        ModelMethod::CountDocuments => (DriverMethod::CountDocuments, vec![arg(args, 0)]),
        ModelMethod::EstimatedDocumentCount => (DriverMethod::EstimatedDocumentCount, vec![]),
        ModelMethod::Exists => (DriverMethod::FindOne, vec![arg(args, 0), Bson::Document(bson::doc! {"_id": 1})]),
        ModelMethod::Distinct => (DriverMethod::Distinct, vec![first(), arg(args, 1)]),
        // Mongoose sends a pipeline as written (the builder's stages after it): the driver pane runs the same one.
        ModelMethod::Aggregate => (
            DriverMethod::Aggregate,
            super::aggregate_builder::driver_args(call)
                .map_err(|error| format!("{}: {}", error.name, error.message))?,
        ),
        ModelMethod::UpdateOne => {
            (DriverMethod::UpdateOne, vec![arg(args, 0), arg(args, 1), options_with_new(arg(args, 2))])
        }
        ModelMethod::UpdateMany => {
            (DriverMethod::UpdateMany, vec![arg(args, 0), arg(args, 1), options_with_new(arg(args, 2))])
        }
        ModelMethod::ReplaceOne => {
            (DriverMethod::ReplaceOne, vec![arg(args, 0), arg(args, 1), options_with_new(arg(args, 2))])
        }
        ModelMethod::FindOneAndUpdate => {
            (DriverMethod::FindOneAndUpdate, vec![arg(args, 0), arg(args, 1), options_with_new(arg(args, 2))])
        }
        ModelMethod::FindOneAndReplace => {
            (DriverMethod::FindOneAndReplace, vec![arg(args, 0), arg(args, 1), options_with_new(arg(args, 2))])
        }
        ModelMethod::FindByIdAndUpdate => {
            (DriverMethod::FindOneAndUpdate, vec![id_filter(first()), arg(args, 1), options_with_new(arg(args, 2))])
        }
        ModelMethod::DeleteOne => (DriverMethod::DeleteOne, vec![arg(args, 0)]),
        ModelMethod::DeleteMany => (DriverMethod::DeleteMany, vec![arg(args, 0)]),
        ModelMethod::FindOneAndDelete => (DriverMethod::FindOneAndDelete, vec![arg(args, 0)]),
        ModelMethod::FindByIdAndDelete => (DriverMethod::FindOneAndDelete, vec![id_filter(first())]),
        ModelMethod::New => return Err(format!("new {model}(…) builds a document; it is not a database call")),
        ModelMethod::PopulateDocument => return Err("the driver has no populate".to_string()),
        // The driver has no documents that save themselves: what `save()` would send, without a schema.
        ModelMethod::Save => match args.get(1) {
            Some(Bson::Document(saved)) => {
                let current = args.first().and_then(Bson::as_document).cloned().unwrap_or_default();
                let assigned: Vec<String> = match args.get(2) {
                    Some(Bson::Array(paths)) => paths.iter().filter_map(|p| p.as_str().map(str::to_string)).collect(),
                    _ => Vec::new(),
                };
                let state = crate::schema::SaveState {
                    base: saved,
                    assigned: &assigned,
                    defaulted: &[],
                    version: None,
                    minimize: false,
                };
                let delta = crate::schema::save_delta(&state, &current).ok_or_else(|| "nothing to save".to_string())?;
                (DriverMethod::UpdateOne, vec![Bson::Document(delta.filter), Bson::Document(delta.update)])
            }
            _ => (DriverMethod::InsertOne, vec![arg(args, 0)]),
        },
    };
    let mut chain = Vec::new();
    if let Some(verbosity) = super::aggregate_builder::explain(call) {
        chain.push((CursorMethod::Explain, verbosity.to_vec()));
    }
    let mut projection = match driver_args.get(1) {
        Some(Bson::Document(doc)) if matches!(method, DriverMethod::Find | DriverMethod::FindOne) => doc.clone(),
        _ => Document::new(),
    };
    for (step, step_args) in &call.chain {
        match step {
            QueryMethod::Sort => chain
                .push((CursorMethod::Sort, vec![sort_to_document(&step_args.first().cloned().unwrap_or_default())])),
            QueryMethod::Skip => chain.push((CursorMethod::Skip, step_args.clone())),
            QueryMethod::Limit => chain.push((CursorMethod::Limit, step_args.clone())),
            QueryMethod::Select => {
                // `+path` forces a `select: false` path in; without a schema nothing is hidden, so it means nothing.
                for (key, value) in select_projection(&step_args.first().cloned().unwrap_or_default()) {
                    if !key.starts_with('+') {
                        projection.insert(key, value);
                    }
                }
            }
            QueryMethod::CountDocuments => chain.push((CursorMethod::Count, Vec::new())),
            QueryMethod::Explain => chain.push((CursorMethod::Explain, step_args.clone())),
            // Mongoose features with no driver counterpart; exec and then only run the query.
            QueryMethod::Populate
            | QueryMethod::Lean
            | QueryMethod::Exec
            | QueryMethod::Then
            | QueryMethod::OrFail
            | QueryMethod::SetOptions => {}
        }
    }
    let mut first_only = false;
    if matches!(method, DriverMethod::Find | DriverMethod::FindOne) {
        driver_args.truncate(1);
        if !projection.is_empty() {
            driver_args.push(Bson::Document(projection));
        }
        // The shell's findOne takes no sort or skip: a sorted findOne is a find limited to one document.
        if method == DriverMethod::FindOne
            && chain.iter().any(|(step, _)| matches!(step, CursorMethod::Sort | CursorMethod::Skip))
        {
            method = DriverMethod::Find;
            chain.retain(|(step, _)| *step != CursorMethod::Limit);
            chain.push((CursorMethod::Limit, vec![Bson::Int32(1)]));
            first_only = true;
        }
    }
    trim_empty_options(&mut driver_args, method.leading_args());
    Ok(DriverEquivalent {
        call: DriverCall { collection: entry.collection.clone(), method, args: driver_args, chain },
        first_only,
    })
}

/// What Mongoose runs for a driver call on a modelled collection (the Mongoose mirror), or an error when the
/// call has no model equivalent.
pub fn driver_to_model(model: &str, call: &DriverCall) -> Result<ModelCall, String> {
    let args = &call.args;
    let filter_and_projection = |method: ModelMethod| {
        let mut out = vec![arg(args, 0)];
        if let Some(projection) = args.get(1) {
            out.push(projection.clone());
        }
        (method, out)
    };
    let update = |method: ModelMethod| {
        let mut options = arg(args, 2).as_document().cloned().unwrap_or_default();
        if let Some(Bson::String(when)) = options.remove("returnDocument") {
            options.insert("new", when == "after");
        }
        (method, vec![arg(args, 0), arg(args, 1), Bson::Document(options)])
    };
    let (method, mut model_args): (ModelMethod, Vec<Bson>) = match call.method {
        DriverMethod::InsertOne => (ModelMethod::Create, vec![arg(args, 0)]),
        DriverMethod::InsertMany => {
            (ModelMethod::InsertMany, vec![args.first().cloned().unwrap_or(Bson::Array(Vec::new()))])
        }
        DriverMethod::Find => filter_and_projection(ModelMethod::Find),
        DriverMethod::FindOne => filter_and_projection(ModelMethod::FindOne),
        DriverMethod::CountDocuments => (ModelMethod::CountDocuments, vec![arg(args, 0)]),
        DriverMethod::DeleteOne => (ModelMethod::DeleteOne, vec![arg(args, 0)]),
        DriverMethod::DeleteMany => (ModelMethod::DeleteMany, vec![arg(args, 0)]),
        DriverMethod::FindOneAndDelete => (ModelMethod::FindOneAndDelete, vec![arg(args, 0)]),
        DriverMethod::EstimatedDocumentCount => (ModelMethod::EstimatedDocumentCount, vec![]),
        DriverMethod::Distinct => {
            (ModelMethod::Distinct, vec![args.first().cloned().unwrap_or(Bson::Undefined), arg(args, 1)])
        }
        DriverMethod::Aggregate => (ModelMethod::Aggregate, args.clone()),
        DriverMethod::UpdateOne => update(ModelMethod::UpdateOne),
        DriverMethod::UpdateMany => update(ModelMethod::UpdateMany),
        DriverMethod::ReplaceOne => update(ModelMethod::ReplaceOne),
        DriverMethod::FindOneAndUpdate => update(ModelMethod::FindOneAndUpdate),
        DriverMethod::FindOneAndReplace => update(ModelMethod::FindOneAndReplace),
        other => return Err(format!("db.<collection>.{other} has no Mongoose model equivalent")),
    };
    let mut chain = Vec::new();
    let mut builder = Vec::new();
    for (step, step_args) in &call.chain {
        // An aggregation cursor explains, or runs: Mongoose's Aggregate does the same with `explain()`.
        if method == ModelMethod::Aggregate {
            match step {
                CursorMethod::Explain => builder.push((AggregateMethod::Explain, step_args.clone())),
                CursorMethod::ToArray | CursorMethod::Pretty => {}
                other => return Err(format!("an aggregation cursor has no {other}()")),
            }
            continue;
        }
        match step {
            CursorMethod::Sort => chain.push((QueryMethod::Sort, step_args.clone())),
            CursorMethod::Skip => chain.push((QueryMethod::Skip, step_args.clone())),
            CursorMethod::Limit => chain.push((QueryMethod::Limit, step_args.clone())),
            CursorMethod::Explain => chain.push((QueryMethod::Explain, step_args.clone())),
            CursorMethod::Projection | CursorMethod::Project => chain.push((QueryMethod::Select, step_args.clone())),
            CursorMethod::Count => chain.push((QueryMethod::CountDocuments, Vec::new())),
            CursorMethod::ToArray | CursorMethod::Pretty => {}
        }
    }
    trim_empty_options(&mut model_args, method.leading_args());
    Ok(ModelCall { model: model.to_string(), method, args: model_args, chain, builder })
}
