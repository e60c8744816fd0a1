//! The Mongoose path: a model call (`User.create(...)`, `User.find(...).populate(...)`) runs through the schema
//! layer (cast, strict, defaults, validate — every step traced) and only then reaches the engine, as the driver
//! calls Mongoose would send. Results are shaped as Mongoose returns them.

use super::calls::{Call, CursorMethod, DriverCall, DriverMethod, ModelCall, ModelMethod, QueryMethod};
use super::driver;
use super::error::{ErrorSource, RuntimeError};
use super::models::{select_projection, sort_to_document, ModelEntry, Models};
use super::report::CallReport;
use crate::engine::database::Cluster;
use crate::schema::delta::value_at_path;
use crate::schema::trace::TraceStep;
use crate::schema::{
    apply_schema_projection, apply_update_timestamps, build_document, cast_filter, cast_update, finish_document,
    set_defaults_on_insert, validate_document, DocumentNotFoundError, FieldType, MongooseError, SchemaError, Strict,
    Trace, UpdateOptions, ValidationError, WriteContext,
};
use crate::shell::span::Span;
use bson::{Bson, Document};

/// Where a model call runs: the world's cluster and current database, and the models its program declared.
pub struct ModelWorld<'w> {
    pub cluster: &'w mut Cluster,
    pub models: &'w Models,
    pub database: &'w str,
    /// What the program's functions answered for this call (the `required` functions of an update's validators).
    pub functions: crate::schema::functions::FunctionResults,
    /// For `replaceOne` / `findOneAndReplace` on a schema with functions of the program: the replacement as the
    /// runtime prepared it for its constructor.
    pub replacement: Option<Replacement>,
}

/// The replacement `new Model(replacement, null, { skipId: true })` builds, as the runtime prepared it: what
/// Mongoose added before the cast ([`prepared_replacement`]), after the virtuals' setters, with the answers of the
/// program's `set` and default functions.
pub struct Replacement {
    pub document: Document,
    pub added: Vec<TraceStep>,
    pub functions: crate::schema::functions::FunctionResults,
}

/// Runs a model call through the Mongoose layer: the report of what reached the database (`translated_from` is the
/// driver call the statement wrote, when this is its Mongoose mirror) and the call's result.
pub fn run_model_call(
    world: ModelWorld<'_>,
    call: ModelCall,
    translated_from: Option<Call>,
    span: Span,
) -> (Option<CallReport>, Result<Bson, RuntimeError>) {
    let Some(entry) = world.models.get(&call.model).cloned() else {
        let error = RuntimeError::reference_error(span, format!("{} is not defined", call.model));
        return (None, Err(error));
    };
    let mut report = CallReport::new(Call::Model(call.clone()), (world.database.to_string(), entry.collection.clone()));
    report.translated_from = translated_from;
    report.trace = Some(Trace::new());
    let translate_aliases = translate_aliases_option(&call, &entry.model.schema);
    let mut run = ModelRun {
        cluster: world.cluster,
        models: world.models,
        database: world.database,
        report,
        entry,
        span,
        translate_aliases,
        functions: world.functions,
        replacement: world.replacement,
    };
    let result = run.dispatch(&call);
    (Some(run.report), result)
}

/// One model call in progress: where it runs and the report it fills.
struct ModelRun<'w> {
    cluster: &'w mut Cluster,
    models: &'w Models,
    database: &'w str,
    entry: ModelEntry,
    report: CallReport,
    span: Span,
    /// Whether the query translates the schema's aliases in its filter, projection and update (the query's
    /// `translateAliases` option, else the schema's).
    translate_aliases: bool,
    functions: crate::schema::functions::FunctionResults,
    replacement: Option<Replacement>,
}

/// Where a model method takes its query options: `find(filter, projection, options)`,
/// `updateOne(filter, update, options)`, `deleteOne(filter, options)` ...
fn query_options_index(method: ModelMethod) -> Option<usize> {
    match method {
        ModelMethod::Find
        | ModelMethod::FindOne
        | ModelMethod::FindById
        | ModelMethod::Distinct
        | ModelMethod::UpdateOne
        | ModelMethod::UpdateMany
        | ModelMethod::FindOneAndUpdate
        | ModelMethod::FindByIdAndUpdate
        | ModelMethod::ReplaceOne
        | ModelMethod::FindOneAndReplace => Some(2),
        ModelMethod::CountDocuments
        | ModelMethod::DeleteOne
        | ModelMethod::DeleteMany
        | ModelMethod::FindOneAndDelete
        | ModelMethod::FindByIdAndDelete => Some(1),
        _ => None,
    }
}

/// `Query.prototype._applyTranslateAliases`'s choice: the query's own `translateAliases` option (its options
/// argument or `.setOptions()`), even when false, else the schema's.
fn translate_aliases_option(call: &ModelCall, schema: &crate::schema::Schema) -> bool {
    let mut option = query_options_index(call.method)
        .and_then(|index| call.args.get(index))
        .and_then(Bson::as_document)
        .and_then(|options| options.get("translateAliases"))
        .map(crate::js::truthy);
    for (step, args) in &call.chain {
        if *step == QueryMethod::SetOptions {
            if let Some(value) = args.first().and_then(Bson::as_document).and_then(|o| o.get("translateAliases")) {
                option = Some(crate::js::truthy(value));
            }
        }
    }
    option.unwrap_or(schema.options.translate_aliases)
}

/// What a Mongoose query chain asked for (`.sort()`, `.select()`, `.populate()` ...).
#[derive(Default)]
struct QueryOptions {
    projection: Document,
    sort: Option<Bson>,
    skip: Option<Bson>,
    limit: Option<Bson>,
    populate: Vec<Populate>,
    or_fail: bool,
    count: bool,
    explain: Option<Vec<Bson>>,
}

/// Runs a build or a cast with `now` and ObjectIds from the world's generator (what the document keeps).
fn with_world_ids<R>(
    generator: &mut crate::engine::generator::Generator,
    now: bson::DateTime,
    work: impl FnOnce(&mut WriteContext<'_>) -> R,
) -> R {
    let mut ids = || generator.object_id();
    work(&mut WriteContext { ids: &mut ids, now })
}

/// `ObjectParameterError`: a value that is not an object given where Mongoose's Document constructor wants one.
fn document_parameter_error(value: &Bson) -> SchemaError {
    SchemaError::Mongoose(MongooseError {
        name: "ObjectParameterError".into(),
        message: format!(
            "Parameter \"obj\" to Document() must be an object, got \"{}\" (type {})",
            crate::js::inspect::js_string(value),
            crate::js::inspect::js_value_type(value)
        ),
    })
}

/// The top-level paths whose values differ, in the document's order (`VersionError`'s `modifiedPaths`).
fn modified_paths(saved: &Document, current: &Document) -> Vec<String> {
    let mut paths: Vec<String> = current
        .iter()
        .filter(|(key, value)| saved.get(key.as_str()) != Some(*value))
        .map(|(key, _)| key.clone())
        .collect();
    paths.extend(saved.keys().filter(|key| !current.contains_key(key.as_str())).cloned());
    paths
}

/// `populate("purchasedCourses")` or `populate({ path, select })`.
pub(super) struct Populate {
    pub(super) path: String,
    pub(super) select: Option<Bson>,
}

fn arg(args: &[Bson], index: usize) -> Bson {
    match args.get(index) {
        Some(Bson::Undefined) | None => Bson::Document(Document::new()),
        Some(value) => value.clone(),
    }
}

fn options_arg(args: &[Bson], index: usize) -> Document {
    match args.get(index) {
        Some(Bson::Document(doc)) => doc.clone(),
        _ => Document::new(),
    }
}

fn is_true(options: &Document, name: &str) -> bool {
    matches!(options.get(name), Some(Bson::Boolean(true)))
}

/// A query's `strict` option (`true`, `false` or `"throw"`), when it gives one.
fn strict_option(options: &Document) -> Option<Strict> {
    match options.get("strict") {
        Some(Bson::Boolean(true)) => Some(Strict::True),
        Some(Bson::Boolean(false)) => Some(Strict::False),
        Some(Bson::String(s)) if s == "throw" => Some(Strict::Throw),
        _ => None,
    }
}

/// What Mongoose hands the replacement's constructor for `replaceOne` / `findOneAndReplace`, and the steps that
/// added to it: `Model.replaceOne` sets the version key to 0 where the replacement's is falsy (in the program's
/// object itself), and the schema's timestamps (`_setTimestampsOnUpdate`, a pre hook) set `updatedAt` and
/// `createdAt` where the replacement's are falsy, unless the call says `timestamps: false`. The constructor then
/// casts them as the schema's paths, in its order.
pub(super) fn prepared_replacement(
    model: &crate::schema::Model,
    method: ModelMethod,
    replacement: &Document,
    options: &Document,
    now: bson::DateTime,
) -> (Document, Vec<TraceStep>) {
    let mut document = replacement.clone();
    let mut added = Vec::new();
    let falsy = |document: &Document, key: &str| !document.get(key).is_some_and(crate::js::truthy);
    if let (ModelMethod::ReplaceOne, Some(version_key)) = (method, &model.schema.options.version_key) {
        if falsy(&document, version_key) {
            document.insert(version_key.clone(), Bson::Int32(0));
            added.push(TraceStep::VersionKey { path: version_key.clone(), value: Bson::Int32(0) });
        }
    }
    let option = options.get("timestamps").filter(|value| !matches!(value, Bson::Null | Bson::Undefined));
    let skipped = |which: &str| match option {
        Some(Bson::Document(choice)) => matches!(choice.get(which), Some(Bson::Boolean(false))),
        Some(other) => !crate::js::truthy(other),
        None => false,
    };
    if let Some(ts) = &model.schema.options.timestamps {
        let stamps = [(&ts.updated_at, "updatedAt"), (&ts.created_at, "createdAt")];
        for (path, which) in stamps {
            let Some(path) = path else { continue };
            if !skipped(which) && falsy(&document, path) {
                document.insert(path.clone(), Bson::DateTime(now));
                added.push(TraceStep::Timestamp { path: path.clone(), value: Bson::DateTime(now) });
            }
        }
    }
    (document, added)
}

/// The model a replacement is built with: `findOneAndReplace` passes the query's `strict` to the constructor
/// (`replaceOne` does not, so the schema's holds).
pub(super) fn replacement_model(
    model: &crate::schema::Model,
    method: ModelMethod,
    options: &Document,
) -> crate::schema::Model {
    let mut model = model.clone();
    if let (ModelMethod::FindOneAndReplace, Some(strict)) = (method, strict_option(options)) {
        model.schema.options.strict = strict;
    }
    model
}

/// The paths a `populate(...)` call's arguments name, each with its `select`.
pub(super) fn populate_specs(args: &[Bson]) -> Vec<Populate> {
    let mut specs = Vec::new();
    for value in args {
        match value {
            Bson::String(paths) => specs.extend(
                paths.split_whitespace().map(|path| Populate { path: path.to_string(), select: args.get(1).cloned() }),
            ),
            Bson::Document(doc) => {
                if let Ok(path) = doc.get_str("path") {
                    specs.extend(
                        path.split_whitespace()
                            .map(|path| Populate { path: path.to_string(), select: doc.get("select").cloned() }),
                    );
                }
            }
            Bson::Array(items) => specs.extend(populate_specs(items)),
            _ => {}
        }
        // `populate("author", "name")`: the second string is a select, not another path.
        if matches!(value, Bson::String(_)) {
            break;
        }
    }
    specs
}

fn query_options(call: &ModelCall, projection_arg: Option<&Bson>) -> QueryOptions {
    let mut options = QueryOptions::default();
    if let Some(projection) = projection_arg.filter(|p| !matches!(p, Bson::Undefined | Bson::Null)) {
        options.projection = select_projection(projection);
    }
    for (step, args) in &call.chain {
        match step {
            QueryMethod::Select => {
                for (key, value) in select_projection(&args.first().cloned().unwrap_or_default()) {
                    options.projection.insert(key, value);
                }
            }
            QueryMethod::Sort => options.sort = args.first().map(sort_to_document),
            QueryMethod::Skip => options.skip = args.first().cloned(),
            QueryMethod::Limit => options.limit = args.first().cloned(),
            QueryMethod::Populate => options.populate.extend(populate_specs(args)),
            QueryMethod::OrFail => options.or_fail = true,
            QueryMethod::CountDocuments => options.count = true,
            QueryMethod::Explain => options.explain = Some(args.clone()),
            // Our documents are plain data already; exec/then run the query. `setOptions` is read where its
            // options act (`translateAliases`).
            QueryMethod::Lean | QueryMethod::Exec | QueryMethod::Then | QueryMethod::SetOptions => {}
        }
    }
    options
}

impl ModelRun<'_> {
    fn model_name(&self) -> &str {
        &self.entry.name
    }

    fn trace(&mut self) -> &mut Trace {
        self.report.trace.get_or_insert_with(Trace::new)
    }

    /// A schema-layer error in Mongoose's words, with a plain-language line.
    fn schema_error(&self, error: SchemaError) -> RuntimeError {
        schema_error_at(error, self.model_name(), self.span)
    }
}

/// `doc.validate()`: the document cast and checked against the model's schema, nothing sent.
pub(super) fn validate_fields(
    entry: &ModelEntry,
    current: &Document,
    functions: &crate::schema::functions::FunctionResults,
    span: Span,
) -> Result<(), RuntimeError> {
    let mut built = dry_build(entry, current, span)?;
    crate::schema::validate_document_with(&entry.model, &mut built, &mut &*functions)
        .map_err(|error| schema_error_at(SchemaError::Validation(error), &entry.name, span))
}

/// The custom validators validation would run on the document, with the cast values they check.
pub(super) fn custom_validator_calls(
    entry: &ModelEntry,
    current: &Document,
    answers: &crate::schema::functions::FunctionResults,
    span: Span,
) -> Result<Vec<crate::schema::functions::ValidatorCall>, RuntimeError> {
    let mut built = dry_build(entry, current, span)?;
    let mut calls = crate::schema::functions::CollectCalls { calls: Vec::new(), required: answers.required.clone() };
    let _ = crate::schema::validate_document_with(&entry.model, &mut built, &mut calls);
    Ok(calls.calls)
}

/// One build of `new Model(input)` (with the default functions' values) as the constructor would make it, each
/// `set` function without a known answer recorded with its `this` (see `functions::observe_setter_calls`); the
/// ids are drawn from a copy of the world's generator, so `this._id` is the id the document will get, and nothing
/// generated is kept.
pub(super) fn observe_new_setter_calls(
    model: &crate::schema::Model,
    input: &Bson,
    defaults: &Document,
    known: &[(crate::schema::functions::SetterCall, Bson)],
    mut generator: crate::engine::generator::Generator,
    skip_id: bool,
) -> crate::schema::functions::Observation {
    let Bson::Document(input) = input else { return Default::default() };
    let now = generator.now();
    let mut ids = || generator.object_id();
    let mut ctx = WriteContext { ids: &mut ids, now };
    let (_, observation) = crate::schema::functions::observe_setter_calls(known, || match skip_id {
        true => crate::schema::build_replacement(model, input, &mut ctx, defaults),
        false => crate::schema::build_new_document(model, input, &mut ctx, defaults),
    });
    observation
}

/// The filter and update a model call casts (`None` where it has none), as `dispatch` finds them.
pub(super) fn query_parts(call: &ModelCall) -> (Option<Bson>, Option<Bson>) {
    let args = &call.args;
    let id_filter = || {
        let id = match args.first() {
            None | Some(Bson::Undefined) => Bson::Null,
            Some(id) => id.clone(),
        };
        Some(Bson::Document(bson::doc! {"_id": id}))
    };
    match call.method {
        ModelMethod::Find
        | ModelMethod::FindOne
        | ModelMethod::Exists
        | ModelMethod::CountDocuments
        | ModelMethod::DeleteOne
        | ModelMethod::DeleteMany
        | ModelMethod::FindOneAndDelete
        | ModelMethod::ReplaceOne
        | ModelMethod::FindOneAndReplace => (Some(arg(args, 0)), None),
        ModelMethod::Distinct => (Some(arg(args, 1)), None),
        ModelMethod::FindById | ModelMethod::FindByIdAndDelete => (id_filter(), None),
        ModelMethod::UpdateOne | ModelMethod::UpdateMany | ModelMethod::FindOneAndUpdate => {
            (Some(arg(args, 0)), Some(arg(args, 1)))
        }
        ModelMethod::FindByIdAndUpdate => (id_filter(), Some(arg(args, 1))),
        _ => (None, None),
    }
}

/// What a query's casts do first with its filter and update: aliases turned into their paths when the call
/// translates them (Mongoose's `translateAliases` option), quietly, as a look ahead of the real cast.
fn alias_translator<'s>(call: &ModelCall, schema: &'s crate::schema::Schema) -> impl Fn(&Document) -> Document + 's {
    let translate = translate_aliases_option(call, schema) && !schema.aliases.is_empty();
    move |fields: &Document| {
        if !translate {
            return fields.clone();
        }
        crate::schema::query_cast::translate_aliases(schema, fields, true, &mut Trace::new())
            .unwrap_or_else(|_| fields.clone())
    }
}

/// The `set` functions a query's filter and update casts reach (`castForQuery` and castUpdate.js run every
/// setter, `this` the query), in the order the casts reach them; nothing is sent and nothing generated is kept.
pub(super) fn query_setter_calls(entry: &ModelEntry, call: &ModelCall) -> Vec<crate::schema::functions::SetterCall> {
    let model = &entry.model;
    let translated = alias_translator(call, &model.schema);
    let (filter, update) = query_parts(call);
    let options = query_options_index(call.method).map(|index| options_arg(&call.args, index)).unwrap_or_default();
    let strict = strict_option(&options);
    let mut ids = || bson::oid::ObjectId::from_bytes([0; 12]);
    let now = bson::DateTime::from_millis(0);
    let mut ctx = WriteContext { ids: &mut ids, now };
    let (_, calls) = crate::schema::functions::collect_setter_calls(|| {
        if let Some(Bson::Document(filter)) = &filter {
            let _ = cast_filter(model, &translated(filter), &mut ctx, &mut Trace::new());
        }
        if let Some(Bson::Document(update)) = &update {
            let mut trace = Trace::new();
            let upsert = is_true(&options, "upsert");
            let mut update = apply_update_timestamps(model, &translated(update), now, upsert, &mut trace);
            crate::schema::update_cast::apply_timestamps_to_children(&model.schema, &mut update, now, &mut trace);
            let _ = cast_update(model, &update, &UpdateOptions { strict }, &mut ctx, &mut trace);
        }
    });
    calls
}

/// What the casts of an update call meet of the default functions inside the subdocuments they build (a
/// `$push`ed element, a `$set` array or subdocument: castUpdate casts them through the path's caster, whose
/// subdocument constructor applies the defaults): each subdocument as its `$set` left it (the functions' `this`)
/// and the functions still without a value, by key path. It casts as [`ModelWorld::update`] does, on a copy of
/// the world's generator (the filter first, then the clock, then the update), so the `_id`s the functions see are
/// the ones the update sends; the `set` functions answer as they will (`setters`), and so do the default
/// functions already called (`defaults`). Nothing is kept.
pub(super) fn observe_update_defaults(
    entry: &ModelEntry,
    call: &ModelCall,
    setters: &[(crate::schema::functions::SetterCall, Bson)],
    defaults: &Document,
    mut generator: crate::engine::generator::Generator,
) -> crate::schema::functions::Observation {
    let model = &entry.model;
    let translated = alias_translator(call, &model.schema);
    let (filter, update) = query_parts(call);
    let Some(Bson::Document(update)) = update else { return Default::default() };
    let options = query_options_index(call.method).map(|index| options_arg(&call.args, index)).unwrap_or_default();
    let strict = strict_option(&options);
    let upsert = is_true(&options, "upsert");
    if let Some(Bson::Document(filter)) = &filter {
        // A whole subdocument in the filter takes its `_id` from the generator before the update's.
        let now = generator.peek_now();
        with_world_ids(&mut generator, now, |ctx| {
            crate::schema::functions::with_setter_answers(setters, || {
                cast_filter(model, &translated(filter), ctx, &mut Trace::new())
            })
        })
        .ok();
    }
    let now = generator.now();
    let mut trace = Trace::new();
    let mut update = apply_update_timestamps(model, &translated(&update), now, upsert, &mut trace);
    crate::schema::update_cast::apply_timestamps_to_children(&model.schema, &mut update, now, &mut trace);
    let (_, observation) = crate::schema::functions::observe_setter_calls(setters, || {
        crate::schema::functions::with_default_answers(defaults, || {
            with_world_ids(&mut generator, now, |ctx| {
                cast_update(model, &update, &UpdateOptions { strict }, ctx, &mut trace)
            })
        })
    });
    observation
}

/// The document cast as `save()` would cast it; nothing generated is kept.
fn dry_build(entry: &ModelEntry, current: &Document, span: Span) -> Result<crate::schema::BuiltDocument, RuntimeError> {
    // The document has its `_id` already; the generator is only a fallback and its id is never used.
    let mut ids = || bson::oid::ObjectId::from_bytes([0; 12]);
    let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
    build_document(&entry.model, current, &mut ctx).map_err(|e| schema_error_at(e, &entry.name, span))
}

/// An aggregate builder's refusal in Mongoose's words: a `MongooseError`, or the plain `TypeError` Mongoose throws.
pub(super) fn builder_error(error: super::aggregate_builder::BuilderError, model: &str, span: Span) -> RuntimeError {
    if error.name == "TypeError" {
        return RuntimeError::type_error(span, error.message)
            .with_hint("Mongoose's Aggregate refused the argument before anything reached the database.");
    }
    schema_error_at(SchemaError::Mongoose(MongooseError::new(error.message)), model, span)
}

/// A schema-layer error in Mongoose's words, located, with a plain-language line.
pub(super) fn schema_error_at(error: SchemaError, model: &str, span: Span) -> RuntimeError {
    let hint = match &error {
        SchemaError::Validation(_) => format!(
            "Mongoose checked the document against {model}'s schema and refused it; nothing reached the database."
        ),
        SchemaError::Cast(_) => {
            "Mongoose could not turn this value into the type the schema asks for, so the query never ran.".to_string()
        }
        SchemaError::StrictMode(_) => {
            "The schema is strict: \"throw\", so an unknown field is an error instead of being dropped.".to_string()
        }
        SchemaError::DocumentNotFound(_) => "orFail() turns \"nothing found\" into an error.".to_string(),
        SchemaError::Mongoose(_) | SchemaError::Definition(_) => {
            "Mongoose refused the call before it reached the database.".to_string()
        }
    };
    RuntimeError {
        source: ErrorSource::Mongoose { name: error.name().to_string(), details: Box::new(error_details(&error)) },
        span,
        message: error.message(),
        hint: Some(hint),
    }
}

impl ModelRun<'_> {
    /// Sends one driver call to the model's collection and records it exactly as sent.
    fn send(&mut self, method: DriverMethod, args: Vec<Bson>) -> Result<Bson, RuntimeError> {
        let call = DriverCall::new(self.entry.collection.clone(), method, args);
        self.send_call(call)
    }

    fn send_call(&mut self, call: DriverCall) -> Result<Bson, RuntimeError> {
        let outcome = driver::run(self.cluster, self.database, &call);
        // Recorded as Mongoose wrote it (its key order; the server then stores `_id` first).
        self.report.record_sent(call, outcome.changes);
        if outcome.pipeline.is_some() {
            self.report.pipeline = outcome.pipeline;
        }
        match outcome.result {
            Some(Ok(value)) => Ok(value),
            Some(Err(error)) => Err(error.at(self.span)),
            None => Ok(Bson::Null),
        }
    }

    fn cast_filter(&mut self, method: ModelMethod, filter: &Bson) -> Result<Document, RuntimeError> {
        let filter = match filter {
            Bson::Document(doc) => doc.clone(),
            Bson::Undefined | Bson::Null => Document::new(),
            other => {
                // Mongoose: `Parameter "filter" to find() must be an object, got "..." (type string)`.
                let error = MongooseError::new(format!(
                    "Parameter \"filter\" to {}() must be an object, got \"{}\" (type {})",
                    method,
                    crate::js::inspect::js_string(other),
                    crate::js::inspect::js_value_type(other)
                ));
                return Err(self.schema_error(SchemaError::Mongoose(MongooseError {
                    name: "ObjectParameterError".into(),
                    ..error
                })));
            }
        };
        let model = self.entry.model.clone();
        let filter = self.translated(&filter)?;
        let cast = {
            // A whole subdocument in the filter is built as a new one, with an `_id` from the world's generator.
            let now = self.cluster.generator.peek_now();
            let trace = self.report.trace.get_or_insert_with(Trace::new);
            with_world_ids(&mut self.cluster.generator, now, |ctx| {
                crate::schema::functions::with_setter_answers(&self.functions.setters, || {
                    cast_filter(&model, &filter, ctx, trace)
                })
            })
        };
        cast.map_err(|e| self.schema_error(e))
    }

    /// With `translateAliases` on, `fields` (a filter, projection or update) with the schema's aliases replaced by
    /// their paths (`Model.translateAliases(fields, true)`: naming both a path and its alias is an error).
    fn translated(&mut self, fields: &Document) -> Result<Document, RuntimeError> {
        if !self.translate_aliases || self.entry.model.schema.aliases.is_empty() {
            return Ok(fields.clone());
        }
        let model = self.entry.model.clone();
        let translated = crate::schema::query_cast::translate_aliases(&model.schema, fields, true, self.trace());
        translated.map_err(|e| self.schema_error(e))
    }

    /// Mongoose sends a pipeline uncast; for each top-level `$match` path whose value `find()` would have cast
    /// (a string id compared with an ObjectId path), the trace shows both values.
    fn show_what_find_would_cast(&mut self, pipeline: Option<&Bson>) {
        let Some(Bson::Array(stages)) = pipeline else { return };
        let model = self.entry.model.clone();
        for stage in stages {
            let Some(Ok(filter)) = stage.as_document().map(|stage| stage.get_document("$match")) else { continue };
            // A filter find() would reject is left to the database, which gets it as written anyway.
            let cast = {
                let now = self.cluster.generator.peek_now();
                with_world_ids(&mut self.cluster.generator, now, |ctx| {
                    cast_filter(&model, filter, ctx, &mut Trace::new())
                })
            };
            let Ok(cast) = cast else { continue };
            for (path, sent) in filter {
                match cast.get(path) {
                    Some(would_send) if would_send != sent => self.trace().push(TraceStep::NotCast {
                        path: path.clone(),
                        sent: sent.clone(),
                        would_send: would_send.clone(),
                    }),
                    _ => {}
                }
            }
        }
    }

    fn dispatch(&mut self, call: &ModelCall) -> Result<Bson, RuntimeError> {
        let args = &call.args;
        let id_filter = |args: &[Bson]| -> Bson {
            // `findById(undefined)` looks for `_id: null`, as Mongoose does.
            let id = match args.first() {
                None | Some(Bson::Undefined) => Bson::Null,
                Some(id) => id.clone(),
            };
            Bson::Document(bson::doc! {"_id": id})
        };
        let method = call.method;
        match method {
            ModelMethod::Create => self.create(args),
            ModelMethod::InsertMany => self.insert_many(args),
            ModelMethod::Find => self.find(call, &arg(args, 0), args.get(1), false),
            ModelMethod::FindOne => self.find(call, &arg(args, 0), args.get(1), true),
            ModelMethod::FindById => self.find(call, &id_filter(args), args.get(1), true),
            ModelMethod::Exists => {
                let filter = self.cast_filter(method, &arg(args, 0))?;
                let projection = Bson::Document(bson::doc! {"_id": 1});
                self.send(DriverMethod::FindOne, vec![Bson::Document(filter), projection])
            }
            ModelMethod::CountDocuments => {
                let filter = self.cast_filter(method, &arg(args, 0))?;
                self.send(DriverMethod::CountDocuments, vec![Bson::Document(filter)])
            }
            ModelMethod::EstimatedDocumentCount => self.send(DriverMethod::EstimatedDocumentCount, vec![]),
            ModelMethod::Distinct => {
                let mut field = args.first().cloned().unwrap_or(Bson::Undefined);
                if self.translate_aliases {
                    let schema = &self.entry.model.schema;
                    if let Some((alias, path)) =
                        schema.aliases.iter().find(|(alias, _)| Some(alias.as_str()) == field.as_str())
                    {
                        let step = TraceStep::Alias { alias: alias.clone(), path: path.clone() };
                        field = Bson::String(path.clone());
                        self.trace().push(step);
                    }
                }
                let filter = self.cast_filter(method, &arg(args, 1))?;
                self.send(DriverMethod::Distinct, vec![field, Bson::Document(filter)])
            }
            ModelMethod::UpdateOne | ModelMethod::UpdateMany | ModelMethod::FindOneAndUpdate => {
                let sent = match method {
                    ModelMethod::UpdateOne => DriverMethod::UpdateOne,
                    ModelMethod::UpdateMany => DriverMethod::UpdateMany,
                    _ => DriverMethod::FindOneAndUpdate,
                };
                self.update(call, sent, &arg(args, 0), &arg(args, 1), &options_arg(args, 2))
            }
            ModelMethod::FindByIdAndUpdate => self.update(
                call,
                DriverMethod::FindOneAndUpdate,
                &id_filter(args),
                &arg(args, 1),
                &options_arg(args, 2),
            ),
            ModelMethod::ReplaceOne | ModelMethod::FindOneAndReplace => {
                let sent = if method == ModelMethod::ReplaceOne {
                    DriverMethod::ReplaceOne
                } else {
                    DriverMethod::FindOneAndReplace
                };
                let replacement = args.get(1).cloned().unwrap_or(Bson::Undefined);
                self.replace(call, sent, &arg(args, 0), &replacement, &options_arg(args, 2))
            }
            ModelMethod::DeleteOne => self.delete(call, DriverMethod::DeleteOne, &arg(args, 0)),
            ModelMethod::DeleteMany => self.delete(call, DriverMethod::DeleteMany, &arg(args, 0)),
            ModelMethod::FindOneAndDelete => self.delete(call, DriverMethod::FindOneAndDelete, &arg(args, 0)),
            ModelMethod::FindByIdAndDelete => self.delete(call, DriverMethod::FindOneAndDelete, &id_filter(args)),
            // Mongoose does not cast aggregation pipelines: `{ $match: { _id: "65a1…" } }` compares a string.
            ModelMethod::Aggregate => self.aggregate(call),
            ModelMethod::New => self.new_document(args),
            ModelMethod::Save => self.save(args),
            ModelMethod::PopulateDocument => {
                // One query per path, to the referenced collection, as `Document.prototype.populate` sends it.
                let mut documents = vec![args.first().and_then(Bson::as_document).cloned().unwrap_or_default()];
                for spec in populate_specs(args.get(1..).unwrap_or_default()) {
                    self.populate(&mut documents, &spec)?;
                }
                Ok(documents.into_iter().next().map(Bson::Document).unwrap_or(Bson::Null))
            }
        }
    }

    /// `Model.aggregate(pipeline, options)` and the builder's chain: the pipeline Mongoose built, sent uncast.
    fn aggregate(&mut self, call: &ModelCall) -> Result<Bson, RuntimeError> {
        let pipeline = super::aggregate_builder::mongoose_pipeline(call)
            .map_err(|error| builder_error(error, self.model_name(), self.span))?;
        self.report.note = Some(if call.builder.is_empty() {
            "Pipeline sent as written: Mongoose does not cast aggregate() (a string id stays a string; use new mongoose.Types.ObjectId(id)). The results are plain objects."
        } else {
            "The builder's methods appended these stages; Mongoose does not cast aggregate() (a string id stays a string; use new mongoose.Types.ObjectId(id)). The results are plain objects."
        }.to_string());
        let pipeline = Bson::Array(pipeline);
        self.show_what_find_would_cast(Some(&pipeline));
        let mut args = vec![pipeline];
        // `aggregate.option(options)`: the options go with the pipeline.
        if let Some(Bson::Document(options)) =
            call.args.get(1).filter(|options| !matches!(options, Bson::Document(d) if d.is_empty()))
        {
            args.push(Bson::Document(options.clone()));
        }
        let mut sent = DriverCall::new(self.entry.collection.clone(), DriverMethod::Aggregate, args);
        if let Some(verbosity) = super::aggregate_builder::explain(call) {
            sent = sent.then(CursorMethod::Explain, verbosity.to_vec());
        }
        self.send_call(sent)
    }

    /// `new User(input)`: cast, strict, defaults and `_id`, as Mongoose's constructor does; nothing reaches the
    /// database. The result is `{ document, invalid }`: the values that failed to cast are kept aside (Mongoose
    /// leaves the path unset and reports the CastError when the document is validated or saved).
    fn new_document(&mut self, args: &[Bson]) -> Result<Bson, RuntimeError> {
        let input = match args.first() {
            Some(Bson::Document(input)) => input.clone(),
            None | Some(Bson::Undefined | Bson::Null) => Document::new(),
            Some(other) => return Err(self.schema_error(document_parameter_error(other))),
        };
        let model = self.entry.model.clone();
        let now = self.cluster.generator.now();
        let functions = crate::schema::functions::FunctionResults::from_bson(args.get(1));
        let built = with_world_ids(&mut self.cluster.generator, now, |ctx| {
            crate::schema::functions::with_setter_answers(&functions.setters, || {
                crate::schema::build_new_document(&model, &input, ctx, &functions.defaults)
            })
        });
        let built = built.map_err(|e| self.schema_error(e))?;
        self.trace().extend(built.trace);
        let mut invalid = Document::new();
        for (path, error) in &built.cast_errors {
            invalid.insert(path.clone(), error.value.clone());
        }
        Ok(Bson::Document(bson::doc! { "document": built.document, "invalid": invalid }))
    }

    /// The replacement as the constructor gets it, or what Mongoose throws first: `Model.replaceOne` sets the
    /// version key on it (a TypeError on a value that is not an object), `_mergeUpdate` refuses an array, the
    /// constructor refuses a value that is not an object, and `findOneAndReplace` merges anything else as `{}`.
    fn replacement_document(&mut self, method: ModelMethod, replacement: &Bson) -> Result<Document, RuntimeError> {
        let version_key = self.entry.model.schema.options.version_key.clone();
        match replacement {
            Bson::Document(document) => return Ok(document.clone()),
            Bson::Array(_) => {
                let message = "Cannot pass an array to query updates unless the `updatePipeline` option is set.";
                return Err(self.schema_error(SchemaError::Mongoose(MongooseError::new(message))));
            }
            _ if method == ModelMethod::FindOneAndReplace => return Ok(Document::new()),
            _ => {}
        }
        let nothing = matches!(replacement, Bson::Null | Bson::Undefined);
        match (version_key, nothing) {
            (Some(key), true) => {
                let message = format!(
                    "Cannot read properties of {} (reading '{key}')",
                    crate::js::inspect::js_string(replacement)
                );
                Err(RuntimeError::type_error(self.span, message))
            }
            (Some(key), false) if !matches!(replacement, Bson::ObjectId(_) | Bson::DateTime(_)) => {
                let message = format!(
                    "Cannot create property '{key}' on {} '{}'",
                    crate::js::inspect::js_value_type(replacement),
                    crate::js::inspect::js_string(replacement)
                );
                Err(RuntimeError::type_error(self.span, message))
            }
            (None, true) => Ok(Document::new()),
            _ => Err(self.schema_error(document_parameter_error(replacement))),
        }
    }

    /// `doc.save()`: a new document is validated and inserted (with timestamps and `__v`); one the database holds is
    /// cast again without defaults, validated, and only its changes are sent (`$__delta`: the modified paths, then
    /// the ones hydration defaulted; `__v` versioning), or, when nothing changed, a `findOne` that checks it still
    /// exists. `args` are the document now, what the database holds (`null` when new), the paths the program
    /// assigned whole, the receiver's name, the program's function results, what the document held when it was
    /// hydrated or last saved, the paths hydration defaulted and whether the query selected the version key.
    fn save(&mut self, args: &[Bson]) -> Result<Bson, RuntimeError> {
        let current = match args.first() {
            Some(Bson::Document(doc)) => doc.clone(),
            _ => Document::new(),
        };
        let saved = match args.get(1) {
            Some(Bson::Document(doc)) => Some(doc.clone()),
            _ => None,
        };
        let assigned: Vec<String> = match args.get(2) {
            Some(Bson::Array(paths)) => paths.iter().filter_map(|p| p.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        let model = self.entry.model.clone();
        let now = self.cluster.generator.now();
        let built = with_world_ids(&mut self.cluster.generator, now, |ctx| match saved {
            None => build_document(&model, &current, ctx),
            // A document the database holds gets no default on save (hydration gave it its defaults).
            Some(_) => crate::schema::document::build_saved_document(&model, &current, ctx),
        });
        let mut built = built.map_err(|e| self.schema_error(e))?;
        // The constructor already cast the document and ran its setters (an assignment runs them too): only what
        // the program changed since shows here, so a setter that finds nothing to change is not listed twice.
        built.trace.retain(|step| match step {
            crate::schema::TraceStep::Cast { changed, .. } => *changed,
            crate::schema::TraceStep::Setter { before, after, .. } => before != after,
            _ => true,
        });
        let functions = crate::schema::functions::FunctionResults::from_bson(args.get(4));
        if let Err(error) = crate::schema::validate_document_with(&model, &mut built, &mut &functions) {
            self.trace().extend(built.trace);
            return Err(self.schema_error(SchemaError::Validation(error)));
        }
        let Some(saved) = saved else {
            // Inserted as the document is held in memory (`toObject()`), minimized.
            let mut created = finish_document(&model, built, now);
            created.document = in_order_of(&current, created.document, false);
            self.trace().extend(created.trace.iter().cloned());
            self.send(DriverMethod::InsertOne, vec![Bson::Document(created.document.clone())])?;
            return Ok(Bson::Document(created.document));
        };
        self.trace().extend(built.trace);
        // The document keeps the order it has in memory (a hydrated one, the order `init` built).
        let mut document = in_order_of(&current, built.document, true);
        let base = match args.get(5) {
            Some(Bson::Document(base)) => base.clone(),
            _ => saved.clone(),
        };
        let defaulted: Vec<String> = match args.get(6) {
            Some(Bson::Array(paths)) => paths.iter().filter_map(|p| p.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        let version_selected = !matches!(args.get(7), Some(Bson::Boolean(false)));
        let version_key = model.schema.options.version_key.clone();
        let state = crate::schema::SaveState {
            base: &base,
            assigned: &assigned,
            defaulted: &defaulted,
            version: version_key.as_deref().map(|key| (key, version_selected)),
            minimize: model.schema.options.minimize,
        };
        if crate::schema::save_delta(&state, &document).is_none() {
            return self.check_exists(document);
        }
        // A changed (or new) subdocument whose schema has timestamps gets its `updatedAt` (its own save middleware).
        let changed = |path: &str| value_at_path(&document, path) != value_at_path(&base, path);
        let mut stamped = document.clone();
        let mut steps = Trace::new();
        crate::schema::document::stamp_subdocuments(&model.schema, &mut stamped, now, &changed, "", &mut steps);
        document = stamped;
        self.trace().extend(steps);
        if let Some(updated) = model.schema.options.timestamps.as_ref().and_then(|ts| ts.updated_at.clone()) {
            document.insert(updated.clone(), Bson::DateTime(now));
            self.trace().push(crate::schema::TraceStep::Timestamp { path: updated, value: Bson::DateTime(now) });
        }
        let Some(delta) = crate::schema::save_delta(&state, &document) else {
            return self.check_exists(document);
        };
        let filter = delta.filter.clone();
        let result =
            self.send(DriverMethod::UpdateOne, vec![Bson::Document(delta.filter), Bson::Document(delta.update)])?;
        if matches!(&result, Bson::Document(r) if matches!(r.get("matchedCount"), Some(Bson::Int32(0) | Bson::Int64(0))))
        {
            // Mongoose: a VersionError when the save was versioned, else a DocumentNotFoundError.
            let error = match version_key.as_deref().filter(|_| delta.versioned) {
                Some(key) => SchemaError::Mongoose(MongooseError {
                    name: "VersionError".into(),
                    message: format!(
                        "No matching document found for id \"{}\" version {} modifiedPaths \"{}\"",
                        crate::js::inspect::js_string(document.get("_id").unwrap_or(&Bson::Null)),
                        crate::js::inspect::js_string(document.get(key).unwrap_or(&Bson::Int32(0))),
                        modified_paths(&base, &document).join(", ")
                    ),
                }),
                None => DocumentNotFoundError::new(&filter, self.model_name()).into(),
            };
            return Err(self.schema_error(error));
        }
        if let (Some(key), Some(version)) = (version_key, delta.new_version) {
            document.insert(key, version);
        }
        Ok(Bson::Document(document))
    }

    /// `save()` of a document with nothing to send: Mongoose checks that the database still holds it
    /// (`findOne({ _id }, { projection: { _id: 1 } })`), a `DocumentNotFoundError` if not.
    fn check_exists(&mut self, document: Document) -> Result<Bson, RuntimeError> {
        let filter = bson::doc! { "_id": document.get("_id").cloned().unwrap_or(Bson::Null) };
        let found = self.send(
            DriverMethod::FindOne,
            vec![Bson::Document(filter.clone()), Bson::Document(bson::doc! { "projection": { "_id": 1 } })],
        )?;
        if matches!(found, Bson::Null) {
            return Err(self.schema_error(DocumentNotFoundError::new(&filter, self.model_name()).into()));
        }
        Ok(Bson::Document(document))
    }

    /// `Model.create(doc)` / `create([docs])`: `new Model(doc)`, `validate()`, then one `insertOne` per document.
    fn create(&mut self, args: &[Bson]) -> Result<Bson, RuntimeError> {
        let (inputs, as_array) = match args {
            [Bson::Array(items)] => (items.clone(), true),
            [single] => (vec![single.clone()], false),
            [] => (Vec::new(), true),
            many => (many.to_vec(), true),
        };
        let mut created = Vec::new();
        let mut first_error = None;
        for input in inputs {
            match self.create_one(&input) {
                Ok(doc) => created.push(Bson::Document(doc)),
                // Mongoose saves the documents in parallel: the valid ones are stored, the first error is thrown.
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        if let Some(error) = first_error {
            return Err(error);
        }
        Ok(if as_array { Bson::Array(created) } else { created.into_iter().next().unwrap_or(Bson::Null) })
    }

    fn create_one(&mut self, input: &Bson) -> Result<Document, RuntimeError> {
        let Bson::Document(input) = input else {
            let error = SchemaError::Mongoose(MongooseError {
                name: "ObjectParameterError".into(),
                message: format!(
                    "Parameter \"obj\" to Document() must be an object, got \"{}\" (type {})",
                    crate::js::inspect::js_string(input),
                    crate::js::inspect::js_value_type(input)
                ),
            });
            return Err(self.schema_error(error));
        };
        let model = self.entry.model.clone();
        let now = self.cluster.generator.now();
        let created = self.build_and_validate(&model, input, now).map_err(|e| self.schema_error(e))?;
        let stored = crate::schema::document::minimized(&model.schema, &created);
        self.send(DriverMethod::InsertOne, vec![Bson::Document(stored)])?;
        // The document `create` answers is the one `new Model()` built, as it is held in memory.
        Ok(created)
    }

    /// `new Model(input)` as its constructor builds it, with ObjectIds from the world's generator: the document as
    /// it is held in memory (the empty nested objects `$__buildDoc` made kept; [`minimized`] is what is stored).
    ///
    /// [`minimized`]: crate::schema::document::minimized
    fn build_in_memory(
        &mut self,
        model: &crate::schema::Model,
        input: &Document,
        now: bson::DateTime,
    ) -> Result<crate::schema::BuiltDocument, SchemaError> {
        with_world_ids(&mut self.cluster.generator, now, |ctx| {
            crate::schema::build_new_document(model, input, ctx, &Document::new())
        })
    }

    /// `new Model(input)` then `validate()`, the trace of both kept even when validation fails; then what
    /// `save()` adds (timestamps, `__v`). The document as it is held in memory.
    fn build_and_validate(
        &mut self,
        model: &crate::schema::Model,
        input: &Document,
        now: bson::DateTime,
    ) -> Result<Document, SchemaError> {
        let mut built = self.build_in_memory(model, input, now)?;
        if let Err(error) = validate_document(model, &mut built) {
            self.trace().extend(built.trace);
            return Err(SchemaError::Validation(error));
        }
        let created = finish_document(model, built, now);
        self.trace().extend(created.trace.iter().cloned());
        Ok(created.document)
    }

    /// `Model.insertMany(docs, options)` as lib/model.js `_insertMany` runs it: every element must be an object
    /// (else `ObjectParameterError`, whatever `ordered` says), every document is built (`new Model(doc)`) and
    /// validated first. With `ordered` (the default) the first invalid document's `ValidationError` is thrown and
    /// nothing is sent; with `ordered: false` the valid documents are sent and the invalid ones skipped (the result
    /// is the inserted documents, `[]` when none was valid), `rawResult` answers the driver's result with
    /// `mongoose: { validationErrors, results }`, and `throwOnValidationError` throws `MongooseBulkWriteError`
    /// after the insert. The options go to the driver as given. `args[2]`, when the runtime built the documents
    /// (`new Model` ran the program's setters, virtuals and defaults), holds each document's function results.
    fn insert_many(&mut self, args: &[Bson]) -> Result<Bson, RuntimeError> {
        let inputs = match args.first() {
            Some(Bson::Array(items)) => items.clone(),
            Some(single) => vec![single.clone()],
            None => Vec::new(),
        };
        let options = options_arg(args, 1);
        let ordered =
            options.get("ordered").is_none_or(|value| matches!(value, Bson::Null) || crate::js::truthy(value));
        let raw_result = options.get("rawResult").is_some_and(crate::js::truthy);
        let throw_on_validation_error = options.get("throwOnValidationError").is_some_and(crate::js::truthy);
        let prebuilt: Vec<crate::schema::functions::FunctionResults> = match args.get(2) {
            Some(Bson::Array(items)) => {
                items.iter().map(|item| crate::schema::functions::FunctionResults::from_bson(Some(item))).collect()
            }
            _ => Vec::new(),
        };
        for (index, input) in inputs.iter().enumerate() {
            if !matches!(input, Bson::Document(_)) && !matches!(input, Bson::Null | Bson::Undefined) {
                let error = SchemaError::Mongoose(MongooseError {
                    name: "ObjectParameterError".into(),
                    message: format!(
                        "Parameter \"arr.{index}\" to insertMany() must be an object, got \"{}\" (type {})",
                        crate::js::inspect::js_string(input),
                        crate::js::inspect::js_value_type(input)
                    ),
                });
                return Err(self.schema_error(error));
            }
        }
        let model = self.entry.model.clone();
        let now = self.cluster.generator.now();
        let mut documents = Vec::new();
        // Per input: the document built, or its ValidationError (with its index, as Mongoose sets `error.index`).
        let mut results: Vec<Result<Document, SchemaError>> = Vec::new();
        let built_by_runtime: Option<Vec<Bson>> = match args.get(3) {
            Some(Bson::Array(items)) => Some(items.clone()),
            _ => None,
        };
        let inputs = built_by_runtime.unwrap_or(inputs);
        for (index, input) in inputs.iter().enumerate() {
            let input = input.as_document().cloned().unwrap_or_default();
            let outcome = match prebuilt.get(index) {
                Some(functions) => self.validate_prebuilt(&model, &input, functions, now),
                None => self.build_and_validate(&model, &input, now),
            };
            match outcome {
                Ok(created) => {
                    documents.push(created.clone());
                    results.push(Ok(created));
                }
                Err(error) => results.push(Err(error)),
            }
        }
        // Ordered: every document was built and validated (in parallel, in Mongoose), the first error is thrown.
        if ordered {
            if let Some(Err(error)) = results.iter().find(|r| r.is_err()) {
                return Err(self.schema_error(error.clone()));
            }
        }
        let validation_errors: Vec<(usize, &SchemaError)> =
            results.iter().enumerate().filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e))).collect();
        let error_value = |index: usize, error: &SchemaError| {
            let mut details = error_details(error);
            details.insert("index", index as i32);
            details.insert("name", error.name());
            details.insert("message", error.message());
            Bson::Document(details)
        };
        let errors_bson: Vec<Bson> = validation_errors.iter().map(|(i, e)| error_value(*i, e)).collect();
        let results_bson: Vec<Bson> = results
            .iter()
            .enumerate()
            .map(|(i, r)| match r {
                Ok(doc) => Bson::Document(doc.clone()),
                Err(e) => error_value(i, e),
            })
            .collect();
        let bulk_error = |this: &Self| {
            let mut preview = validation_errors.iter().map(|(_, e)| e.message()).collect::<Vec<_>>().join(", ");
            if preview.encode_utf16().count() > 200 {
                let units: Vec<u16> = preview.encode_utf16().take(200).collect();
                preview = format!("{}...", String::from_utf16_lossy(&units));
            }
            let message =
                format!("insertMany failed with {} Mongoose validation errors: {preview}", validation_errors.len());
            RuntimeError {
                source: ErrorSource::Mongoose {
                    name: "MongooseBulkWriteError".into(),
                    details: Box::new(bson::doc! {
                        "validationErrors": errors_bson.clone(),
                        "results": results_bson.clone(),
                        "operation": "insertMany",
                    }),
                },
                span: this.span,
                message,
                hint: Some(
                    "throwOnValidationError: the valid documents were inserted, then Mongoose threw for the invalid ones."
                        .into(),
                ),
            }
        };
        if documents.is_empty() {
            if throw_on_validation_error && !validation_errors.is_empty() {
                return Err(bulk_error(self));
            }
            if raw_result {
                let mut res = bson::doc! { "acknowledged": true, "insertedCount": 0, "insertedIds": {} };
                if !ordered {
                    res.insert(
                        "mongoose",
                        bson::doc! { "validationErrors": errors_bson.clone(), "results": errors_bson.clone() },
                    );
                }
                return Ok(Bson::Document(res));
            }
            return Ok(Bson::Array(Vec::new()));
        }
        // Sent minimized; the documents answered are the ones held in memory.
        let sent = Bson::Array(
            documents
                .iter()
                .map(|doc| Bson::Document(crate::schema::document::minimized(&model.schema, doc)))
                .collect(),
        );
        let mut driver_args = vec![sent];
        if !options.is_empty() {
            driver_args.push(Bson::Document(options.clone()));
        }
        let res = self.send(DriverMethod::InsertMany, driver_args)?;
        if !ordered && throw_on_validation_error && !validation_errors.is_empty() {
            return Err(bulk_error(self));
        }
        if raw_result {
            let mut res = match res {
                Bson::Document(doc) => doc,
                _ => Document::new(),
            };
            if !ordered {
                res.insert("mongoose", bson::doc! { "validationErrors": errors_bson, "results": results_bson });
            }
            return Ok(Bson::Document(res));
        }
        Ok(Bson::Array(documents.into_iter().map(Bson::Document).collect()))
    }

    /// A document `new Model(doc)` already built in the runtime (its own call shows the casts, setters and
    /// defaults): validated with its functions' answers, then given what insertMany adds (`__v`, timestamps).
    fn validate_prebuilt(
        &mut self,
        model: &crate::schema::Model,
        current: &Document,
        functions: &crate::schema::functions::FunctionResults,
        now: bson::DateTime,
    ) -> Result<Document, SchemaError> {
        let mut built = self.build_in_memory(model, current, now)?;
        built.document = in_order_of(current, built.document, true);
        // The constructor's steps were shown with its own call: only what validation adds shows here.
        built.trace.retain(|step| match step {
            crate::schema::TraceStep::Cast { changed, .. } => *changed,
            crate::schema::TraceStep::Setter { before, after, .. } => before != after,
            _ => true,
        });
        if let Err(error) = crate::schema::validate_document_with(model, &mut built, &mut &*functions) {
            self.trace().extend(built.trace);
            return Err(SchemaError::Validation(error));
        }
        let created = finish_document(model, built, now);
        self.trace().extend(created.trace.iter().cloned());
        Ok(created.document)
    }

    /// `find` / `findOne` / `findById`, with the query chain.
    fn find(
        &mut self,
        call: &ModelCall,
        filter: &Bson,
        projection: Option<&Bson>,
        one: bool,
    ) -> Result<Bson, RuntimeError> {
        let mut options = query_options(call, projection);
        let filter = self.cast_filter(call.method, filter)?;
        options.projection = self.translated(&options.projection)?;
        if options.count {
            return self.send(DriverMethod::CountDocuments, vec![Bson::Document(filter)]);
        }
        let projection = apply_schema_projection(&self.entry.model.schema, &options.projection);
        let mut args = vec![Bson::Document(filter.clone())];
        if !projection.is_empty() {
            args.push(Bson::Document(projection));
        }
        let mut find = DriverCall::new(self.entry.collection.clone(), DriverMethod::Find, args);
        if let Some(sort) = &options.sort {
            find = find.then(CursorMethod::Sort, vec![sort.clone()]);
        }
        if let Some(skip) = &options.skip {
            find = find.then(CursorMethod::Skip, vec![skip.clone()]);
        }
        if let Some(limit) = &options.limit {
            find = find.then(CursorMethod::Limit, vec![limit.clone()]);
        }
        if let Some(verbosity) = options.explain {
            return self.send_call(find.then(CursorMethod::Explain, verbosity));
        }
        let mut documents = if one {
            // Mongoose's findOne is the driver's findOne: sort and skip apply, limit is 1.
            if find.chain.is_empty() {
                match self.send_call(DriverCall { method: DriverMethod::FindOne, ..find })? {
                    Bson::Document(doc) => vec![doc],
                    _ => Vec::new(),
                }
            } else {
                find.chain.retain(|(step, _)| *step != CursorMethod::Limit);
                documents_of(self.send_call(find.then(CursorMethod::Limit, vec![Bson::Int32(1)]))?)
            }
        } else {
            documents_of(self.send_call(find)?)
        };
        for spec in &options.populate {
            self.populate(&mut documents, spec)?;
        }
        if options.or_fail && documents.is_empty() {
            return Err(self.schema_error(DocumentNotFoundError::new(&filter, self.model_name()).into()));
        }
        Ok(if one {
            documents.into_iter().next().map(Bson::Document).unwrap_or(Bson::Null)
        } else {
            Bson::Array(documents.into_iter().map(Bson::Document).collect())
        })
    }

    /// Replaces the ids at `spec.path` with the referenced documents: one `find({ _id: { $in: ids } })` on the
    /// referenced model's collection, as Mongoose sends it. Ids with no document are dropped from arrays and
    /// become `null` for single references.
    fn populate(&mut self, documents: &mut [Document], spec: &Populate) -> Result<(), RuntimeError> {
        let schema = &self.entry.model.schema;
        let reference = match schema.resolve(&spec.path) {
            crate::schema::definition::ResolvedPath::Path(def) => match &def.field_type {
                FieldType::Array(element) => element.reference.clone(),
                _ => def.reference.clone(),
            },
            crate::schema::definition::ResolvedPath::Unknown => {
                return Err(RuntimeError {
                    source: ErrorSource::Mongoose { name: "StrictPopulateError".into(), details: Box::default() },
                    span: self.span,
                    message: format!(
                        "Cannot populate path `{}` because it is not in your schema. Set the `strictPopulate` option to false to override.",
                        spec.path
                    ),
                    hint: Some("populate() follows a path declared with `ref` in the schema.".into()),
                });
            }
            _ => None,
        };
        let Some(reference) = reference else {
            return Ok(());
        };
        let Some(target) = self.models.get(&reference).map(|entry| entry.collection.clone()) else {
            return Err(RuntimeError {
                source: ErrorSource::Mongoose { name: "MissingSchemaError".into(), details: Box::default() },
                span: self.span,
                message: format!(
                    "Schema hasn't been registered for model \"{reference}\".\nUse mongoose.model(name, schema)"
                ),
                hint: Some(format!("Declare the {reference} model before populating references to it.")),
            });
        };
        let mut ids: Vec<Bson> = Vec::new();
        for doc in documents.iter() {
            match nested_value(doc, &spec.path) {
                Some(Bson::Array(items)) => {
                    for item in items {
                        if !ids.iter().any(|id| crate::engine::value::equal(id, &item)) {
                            ids.push(item.clone());
                        }
                    }
                }
                Some(Bson::Null) | None => {}
                Some(id) => {
                    if !ids.iter().any(|known| crate::engine::value::equal(known, &id)) {
                        ids.push(id.clone());
                    }
                }
            }
        }
        if ids.is_empty() {
            return Ok(());
        }
        let mut args = vec![Bson::Document(bson::doc! {"_id": {"$in": ids}})];
        let requested = spec.select.as_ref().map(select_projection).unwrap_or_default();
        let projection = match self.models.get(&reference) {
            Some(entry) => apply_schema_projection(&entry.model.schema, &requested),
            None => requested,
        };
        if !projection.is_empty() {
            args.push(Bson::Document(projection));
        }
        let found = documents_of(self.send_call(DriverCall::new(target, DriverMethod::Find, args))?);
        let lookup = |id: &Bson| -> Option<Bson> {
            found
                .iter()
                .find(|doc| doc.get("_id").is_some_and(|d| crate::engine::value::equal(d, id)))
                .cloned()
                .map(Bson::Document)
        };
        for doc in documents.iter_mut() {
            let replaced = match nested_value(doc, &spec.path) {
                Some(Bson::Array(items)) => Bson::Array(items.iter().filter_map(lookup).collect()),
                Some(Bson::Null) | None => continue,
                Some(id) => lookup(&id).unwrap_or(Bson::Null),
            };
            set_nested_value(doc, &spec.path, replaced);
        }
        Ok(())
    }

    /// `updateOne` / `updateMany` / `findOneAndUpdate`: cast the filter, add timestamps, cast the update (strict
    /// drops unknown paths; an update left empty is not sent at all), run update validators on request.
    fn update(
        &mut self,
        call: &ModelCall,
        method: DriverMethod,
        filter: &Bson,
        update: &Bson,
        options: &Document,
    ) -> Result<Bson, RuntimeError> {
        let filter = self.cast_filter(call.method, filter)?;
        let Bson::Document(update) = update else {
            return Err(self.schema_error(SchemaError::Mongoose(MongooseError::new(
                "Mongoose updates take an update document, e.g. { $set: { premium: true } }",
            ))));
        };
        let upsert = is_true(options, "upsert");
        let model = self.entry.model.clone();
        let update = self.translated(update)?;
        let now = self.cluster.generator.now();
        let update = {
            let trace = self.trace();
            let mut update = apply_update_timestamps(&model, &update, now, upsert, trace);
            crate::schema::update_cast::apply_timestamps_to_children(&model.schema, &mut update, now, trace);
            update
        };
        let strict = strict_option(options);
        let trace = self.report.trace.get_or_insert_with(Trace::new);
        let cast = with_world_ids(&mut self.cluster.generator, now, |ctx| {
            crate::schema::functions::with_setter_answers(&self.functions.setters, || {
                crate::schema::functions::with_default_answers(&self.functions.defaults, || {
                    cast_update(&model, &update, &UpdateOptions { strict }, ctx, trace)
                })
            })
        });
        let mut cast = cast.map_err(|e| self.schema_error(e))?;
        if upsert {
            let trace = self.report.trace.get_or_insert_with(Trace::new);
            cast = set_defaults_on_insert(&model, &filter, &cast, now, trace);
        }
        let run_validators = match options.get("runValidators") {
            Some(Bson::Boolean(asked)) => *asked,
            _ => self.entry.run_validators,
        };
        if run_validators {
            let functions = std::mem::take(&mut self.functions);
            let result = crate::schema::validate_update_with(&model, &cast, self.trace(), &mut &functions);
            self.functions = functions;
            result.map_err(|e| self.schema_error(SchemaError::Validation(e)))?;
        }
        let or_fail = call.has_step(QueryMethod::OrFail);
        if method == DriverMethod::FindOneAndUpdate {
            let return_after = is_true(options, "new") || options.get_str("returnDocument").is_ok_and(|w| w == "after");
            if cast.is_empty() {
                // Nothing left to change: Mongoose runs a findOne instead.
                self.report.note = Some(
                    "Strict mode removed every field of the update, so Mongoose only looked the document up.".into(),
                );
                let mut args = vec![Bson::Document(filter.clone())];
                if let Some(projection) = self.hidden_paths_projection() {
                    args.push(Bson::Document(projection));
                }
                let found = self.send(DriverMethod::FindOne, args)?;
                return self.or_fail(or_fail && found == Bson::Null, &filter, found);
            }
            let mut driver_options = Document::new();
            if upsert {
                driver_options.insert("upsert", true);
            }
            driver_options.insert("returnDocument", if return_after { "after" } else { "before" });
            if let Some(projection) = self.hidden_paths_projection() {
                driver_options.insert("projection", projection);
            }
            let found = self.send(
                DriverMethod::FindOneAndUpdate,
                vec![Bson::Document(filter.clone()), Bson::Document(cast), Bson::Document(driver_options)],
            )?;
            return self.or_fail(or_fail && found == Bson::Null, &filter, found);
        }
        if cast.is_empty() {
            self.report.note =
                Some("Strict mode removed every field of the update, so Mongoose sent nothing to the database.".into());
            return Ok(Bson::Document(bson::doc! {"acknowledged": false}));
        }
        let mut args = vec![Bson::Document(filter.clone()), Bson::Document(cast)];
        if upsert {
            args.push(Bson::Document(bson::doc! {"upsert": true}));
        }
        let result = self.send(method, args)?;
        let modified = result.as_document().and_then(|r| r.get("modifiedCount")).cloned();
        self.or_fail(or_fail && matches!(modified, Some(Bson::Int32(0) | Bson::Int64(0))), &filter, result)
    }

    /// The projection hiding `select: false` paths, for calls that return a document.
    fn hidden_paths_projection(&self) -> Option<Document> {
        let projection = apply_schema_projection(&self.entry.model.schema, &Document::new());
        (!projection.is_empty()).then_some(projection)
    }

    fn or_fail(&self, failed: bool, filter: &Document, result: Bson) -> Result<Bson, RuntimeError> {
        if failed {
            return Err(self.schema_error(DocumentNotFoundError::new(filter, self.model_name()).into()));
        }
        Ok(result)
    }

    /// `replaceOne` / `findOneAndReplace`: the replacement is built as a new document of the model (cast, strict,
    /// defaults; no generated `_id`), validated on request.
    fn replace(
        &mut self,
        call: &ModelCall,
        method: DriverMethod,
        filter: &Bson,
        replacement: &Bson,
        options: &Document,
    ) -> Result<Bson, RuntimeError> {
        let filter = self.cast_filter(call.method, filter)?;
        let replacement = self.replacement_document(call.method, replacement)?;
        let model = replacement_model(&self.entry.model, call.method, options);
        let now = self.cluster.generator.now();
        let (input, added, functions) = match self.replacement.take() {
            Some(prepared) => (prepared.document, prepared.added, prepared.functions),
            None => {
                let (input, added) = prepared_replacement(&model, call.method, &replacement, options, now);
                (input, added, Default::default())
            }
        };
        self.trace().extend(added);
        let built = with_world_ids(&mut self.cluster.generator, now, |ctx| {
            crate::schema::functions::with_setter_answers(&functions.setters, || {
                crate::schema::build_replacement(&model, &input, ctx, &functions.defaults)
            })
        });
        let mut built = match built {
            Ok(built) => built,
            // `findOneAndReplace` puts what the constructor threw into a ValidationError of its own.
            Err(SchemaError::StrictMode(error)) if call.method == ModelMethod::FindOneAndReplace => {
                let path = error.path.clone();
                let wrapped = ValidationError::wrapping(&path, crate::schema::PathError::StrictMode(error));
                return Err(self.schema_error(SchemaError::Validation(wrapped)));
            }
            Err(error) => return Err(self.schema_error(error)),
        };
        self.trace().extend(std::mem::take(&mut built.trace));
        if is_true(options, "runValidators") {
            validate_document(&model, &mut built).map_err(|e| self.schema_error(SchemaError::Validation(e)))?;
        } else if call.method == ModelMethod::FindOneAndReplace && !built.cast_errors.is_empty() {
            // The constructor's cast errors (`$__.validationError`); `replaceOne` sends the replacement without
            // the paths that failed.
            let mut error = ValidationError::new(Some(&model.name));
            for (path, cast) in &built.cast_errors {
                error.add(path, crate::schema::PathError::Cast(cast.clone()));
            }
            return Err(self.schema_error(SchemaError::Validation(error)));
        }
        let document = built.document;
        let mut driver_options = Document::new();
        if is_true(options, "upsert") {
            driver_options.insert("upsert", true);
        }
        let or_fail = call.has_step(QueryMethod::OrFail);
        if method == DriverMethod::FindOneAndReplace {
            let return_after = is_true(options, "new") || options.get_str("returnDocument").is_ok_and(|w| w == "after");
            driver_options.insert("returnDocument", if return_after { "after" } else { "before" });
            if let Some(projection) = self.hidden_paths_projection() {
                driver_options.insert("projection", projection);
            }
        }
        let mut args = vec![Bson::Document(filter.clone()), Bson::Document(document)];
        if !driver_options.is_empty() {
            args.push(Bson::Document(driver_options));
        }
        let result = self.send(method, args)?;
        let failed = match &result {
            Bson::Null => or_fail,
            Bson::Document(r) if method == DriverMethod::ReplaceOne => {
                or_fail && matches!(r.get("modifiedCount"), Some(Bson::Int32(0) | Bson::Int64(0)))
            }
            _ => false,
        };
        self.or_fail(failed, &filter, result)
    }

    fn delete(&mut self, call: &ModelCall, method: DriverMethod, filter: &Bson) -> Result<Bson, RuntimeError> {
        let filter = self.cast_filter(call.method, filter)?;
        let mut args = vec![Bson::Document(filter.clone())];
        if method == DriverMethod::FindOneAndDelete {
            if let Some(projection) = self.hidden_paths_projection() {
                args.push(Bson::Document(bson::doc! {"projection": projection}));
            }
        }
        let result = self.send(method, args)?;
        let or_fail = call.has_step(QueryMethod::OrFail);
        let failed = match &result {
            Bson::Null => or_fail,
            Bson::Document(r) if method != DriverMethod::FindOneAndDelete => {
                or_fail && matches!(r.get("deletedCount"), Some(Bson::Int32(0) | Bson::Int64(0)))
            }
            _ => false,
        };
        self.or_fail(failed, &filter, result)
    }
}

fn documents_of(value: Bson) -> Vec<Document> {
    match value {
        Bson::Array(items) => items
            .into_iter()
            .filter_map(|item| match item {
                Bson::Document(doc) => Some(doc),
                _ => None,
            })
            .collect(),
        Bson::Document(doc) => vec![doc],
        _ => Vec::new(),
    }
}

/// The value at a dotted path through nested documents (`author`, `profile.company`).
/// `built` (the document as the schema built it for `save()`) with its keys in the order `current` (the document
/// in memory) has them, at every depth; what only `built` has (a generated `_id`, a timestamp) comes after. With
/// `keep_empty`, the empty objects `current` holds stay (`$__buildDoc`'s nested objects: the delta minimizes).
fn in_order_of(current: &Document, built: Document, keep_empty: bool) -> Document {
    ordered_like(current, built, keep_empty, 0)
}

fn ordered_like(current: &Document, mut built: Document, keep_empty: bool, depth: usize) -> Document {
    fn is_empty_tree(value: &Bson) -> bool {
        matches!(value, Bson::Document(doc) if doc.values().all(is_empty_tree))
    }
    if depth > 128 {
        return built;
    }
    let mut out = Document::new();
    for (key, held) in current {
        let Some(value) = built.remove(key) else {
            if keep_empty && is_empty_tree(held) {
                out.insert(key.clone(), held.clone());
            }
            continue;
        };
        let value = match (held, value) {
            (Bson::Document(held), Bson::Document(value)) => {
                Bson::Document(ordered_like(held, value, keep_empty, depth + 1))
            }
            (Bson::Array(held), Bson::Array(values)) => Bson::Array(
                values
                    .into_iter()
                    .enumerate()
                    .map(|(index, value)| match (held.get(index), value) {
                        (Some(Bson::Document(held)), Bson::Document(value)) => {
                            Bson::Document(ordered_like(held, value, keep_empty, depth + 1))
                        }
                        (_, value) => value,
                    })
                    .collect(),
            ),
            (_, value) => value,
        };
        out.insert(key.clone(), value);
    }
    out.extend(built);
    out
}

fn nested_value(doc: &Document, path: &str) -> Option<Bson> {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    crate::engine::path::get_single(doc, &parts).cloned()
}

/// Replaces the value at a dotted path through nested documents; paths that lead elsewhere are left alone.
fn set_nested_value(doc: &mut Document, path: &str, value: Bson) {
    match path.split_once('.') {
        None => {
            doc.insert(path, value);
        }
        Some((head, rest)) => {
            if let Some(Bson::Document(inner)) = doc.get_mut(head) {
                set_nested_value(inner, rest, value);
            }
        }
    }
}

/// The properties Mongoose sets on its errors besides `name` and `message`: a `ValidationError`'s `errors` map (one
/// `ValidatorError` or `CastError` per path, with `kind`, `path`, `value`), a `CastError`'s `kind`, `path`, `value`.
fn error_details(error: &SchemaError) -> Document {
    let path_error = |e: &crate::schema::PathError| {
        if let crate::schema::PathError::Thrown { message, .. } = e {
            // The thrown `Error` itself: no `kind`, `path` or `value`.
            return bson::doc! { "name": "Error", "message": message.clone() };
        }
        if let crate::schema::PathError::StrictMode(e) = e {
            return bson::doc! { "name": e.name(), "message": e.message.clone(), "path": e.path.clone() };
        }
        bson::doc! {
            "name": e.name(),
            "message": e.message(),
            "kind": e.kind(),
            "path": e.path(),
            "value": e.value().clone(),
        }
    };
    match error {
        SchemaError::Validation(validation) => {
            let mut errors = Document::new();
            for (path, e) in &validation.errors {
                errors.insert(path.clone(), path_error(e));
            }
            let message = match &validation.model {
                Some(model) => format!("{model} validation failed"),
                None => "Validation failed".to_string(),
            };
            bson::doc! {"errors": errors, "_message": message}
        }
        SchemaError::Cast(cast) => bson::doc! {
            "kind": cast.kind.clone(),
            "path": cast.path.clone(),
            "value": cast.value.clone(),
            "stringValue": cast.string_value.clone(),
            "valueType": cast.value_type.clone(),
        },
        SchemaError::StrictMode(strict) => bson::doc! {"path": strict.path.clone()},
        _ => Document::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::transcript::{run_script, RunOptions};

    fn model(definition: Document, options: Document) -> crate::schema::Model {
        crate::schema::Model::new("Thing", crate::schema::Schema::new(&definition, &options).unwrap())
    }

    #[test]
    fn a_replacement_gets_the_version_key_and_the_missing_timestamps_before_it_is_cast() {
        let thing = model(bson::doc! {"name": "String"}, bson::doc! {"timestamps": true});
        let now = bson::DateTime::from_millis(5);
        let given = bson::doc! {"name": "a", "createdAt": bson::DateTime::from_millis(1), "__v": 0};
        let (sent, added) = prepared_replacement(&thing, ModelMethod::ReplaceOne, &given, &Document::new(), now);
        // A falsy version key is set to 0 again; a given createdAt stays.
        assert_eq!(
            sent,
            bson::doc! {"name": "a", "createdAt": bson::DateTime::from_millis(1), "__v": 0, "updatedAt": now}
        );
        assert_eq!(added.len(), 2);
        // findOneAndReplace adds no version key; `timestamps: false` skips them.
        let options = bson::doc! {"timestamps": false};
        let (sent, _) =
            prepared_replacement(&thing, ModelMethod::FindOneAndReplace, &bson::doc! {"name": "a"}, &options, now);
        assert_eq!(sent, bson::doc! {"name": "a"});
        let strict = bson::doc! {"strict": "throw"};
        assert_eq!(
            replacement_model(&thing, ModelMethod::FindOneAndReplace, &strict).schema.options.strict,
            Strict::Throw
        );
        assert_eq!(replacement_model(&thing, ModelMethod::ReplaceOne, &strict).schema.options.strict, Strict::True);
    }

    #[test]
    fn a_replacement_is_built_as_new_model_with_its_setters_defaults_and_errors() {
        let source = r#"const mongoose = require("mongoose")
const Item = new mongoose.Schema({ label: String })
const M = mongoose.model("M", new mongoose.Schema({ name: { type: String, set: function (v) { return v + "!" + this.isNew } }, age: Number, code: { type: String, default: function () { return "fn-" + this.name } }, box: Item }))
await M.replaceOne({}, { name: "a", age: "old", box: { label: "b" } })
await M.findOneAndReplace({}, { name: "a", age: "old" })
await M.findOneAndReplace({}, { name: "a", extra: 1 }, { strict: "throw" })
await M.replaceOne({}, 5)"#;
        let options = RunOptions { deterministic: true, mirror: false, calls: true };
        let out = run_script(source, options).unwrap_or_else(|error| error);
        let sent: Vec<&str> =
            out.lines().filter(|line| line.starts_with("  -> ") || line.starts_with("error")).collect();
        assert_eq!(
            sent,
            vec![
                "  -> db.ms.replaceOne({}, { name: 'a!true', box: { label: 'b', _id: ObjectId('659200800000000001000001') }, __v: 0, code: 'fn-a!true' })",
                "error at 5:7: ValidationError: M validation failed: age: Cast to Number failed for value \"old\" (type string) at path \"age\" for model \"M\"",
                "error at 6:7: ValidationError: Validation failed",
                "error at 7:7: TypeError: Cannot create property '__v' on number '5'",
            ]
        );
    }
}
