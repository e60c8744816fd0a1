//! The functions a program attaches to a schema, as Mongoose 9 runs them: `schema.methods.x` / `schema.method()`
//! (document methods, `this` the document), `schema.statics.x` / `schema.static()` (model methods, `this` the
//! model), `schema.virtual(name).get(fn).set(fn)`, and middleware `schema.pre/post("save" | "validate" |
//! "deleteOne", fn)` — each hook recorded in the write trace of the call it ran around. Mongoose 9 gives pre
//! middleware no `next` (an `async function` or a returned promise replaces it), so `next()` is a TypeError here too.

use super::error::RuntimeError;
use super::value::{DocumentRef, Hook, HookTime, SchemaValue, Value, Virtual};
use super::world::World;
use crate::schema::TraceStep;
use crate::shell::span::Span;
use std::rc::Rc;

/// Document middleware events (`this` the document).
pub const DOCUMENT_EVENTS: &[&str] = &["save", "validate", "deleteOne", "updateOne"];

/// Query middleware events (`this` the query).
pub const QUERY_EVENTS: &[&str] = &[
    "find",
    "findOne",
    "countDocuments",
    "updateOne",
    "updateMany",
    "findOneAndUpdate",
    "deleteOne",
    "deleteMany",
    "findOneAndDelete",
];

/// Methods of a query inside query middleware.
pub const QUERY_METHODS: &[&str] =
    &["getFilter", "getQuery", "getUpdate", "setUpdate", "setQuery", "set", "where", "getOptions"];

/// Schema methods a program calls, for completion and "did you mean".
pub const SCHEMA_METHODS: &[&str] =
    &["virtual", "pre", "post", "method", "static", "index", "add", "path", "set", "alias"];

impl World {
    /// `schema.methods`, `schema.statics`, `schema.obj`.
    pub(super) fn schema_property(&mut self, schema: Rc<SchemaValue>, key: &str) -> Value {
        match key {
            "methods" => Value::Object(schema.methods.clone()),
            "statics" => Value::Object(schema.statics.clone()),
            "obj" => Value::Data(bson::Bson::Document(schema.definition.clone())),
            _ if SCHEMA_METHODS.contains(&key) => super::builtins::method_value(Value::Schema(schema), key),
            _ => Value::undefined(),
        }
    }

    /// `schema.virtual(…)`, `schema.pre(…)`, `schema.method(…)` ...
    pub(super) fn schema_method(
        &mut self,
        schema: Rc<SchemaValue>,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        let text = |value: Option<&Value>| value.map(super::operators::to_js_string).unwrap_or_default();
        match method {
            "virtual" => {
                let name = text(args.first());
                if schema.virtual_named(&name).is_none() {
                    schema.virtuals.borrow_mut().push(Virtual { name: name.clone(), get: None, set: None });
                    // A virtual added after `mongoose.model()` is the model's too (Mongoose reads `schema.virtuals`).
                    for entry in self.models.values_mut().filter(|entry| Rc::ptr_eq(&entry.schema, &schema)) {
                        entry.model.schema.virtuals.push(name.clone());
                    }
                }
                Ok(Value::VirtualType(schema, name))
            }
            "pre" | "post" => {
                // `schema.pre(event, fn)`, `schema.pre(event, { document, query }, fn)`, `schema.pre([events], fn)`.
                let (options, function) = match (args.get(1), args.get(2)) {
                    (Some(options @ (Value::Object(_) | Value::Data(bson::Bson::Document(_)))), Some(function)) => {
                        (Some(options.clone().shared()), function.clone())
                    }
                    (Some(function), _) => (None, function.clone()),
                    (None, _) => (None, Value::undefined()),
                };
                let events: Vec<String> = match args.first().cloned().map(Value::shared) {
                    Some(Value::Array(items)) => items.0.borrow().iter().map(|v| text(Some(v))).collect(),
                    other => vec![text(other.as_ref())],
                };
                let shown = events.first().cloned().unwrap_or_default();
                if !super::world::is_callable(&function) {
                    return Err(RuntimeError::type_error(
                        span,
                        format!("schema.{method}() needs a function, e.g. schema.{method}(\"{shown}\", async function () {{ … }})"),
                    ));
                }
                let flag = |name: &str| -> Option<bool> {
                    match &options {
                        Some(Value::Object(object)) => {
                            object.0.borrow_mut().get(name).map(|v| super::operators::truthy(&v))
                        }
                        _ => None,
                    }
                };
                let when = if method == "pre" { HookTime::Pre } else { HookTime::Post };
                for event in events {
                    let known_document = DOCUMENT_EVENTS.contains(&event.as_str());
                    let known_query = QUERY_EVENTS.contains(&event.as_str());
                    if !known_document && !known_query {
                        let mut known: Vec<&str> = DOCUMENT_EVENTS.to_vec();
                        known.extend(QUERY_EVENTS.iter().filter(|e| !DOCUMENT_EVENTS.contains(e)));
                        return Err(RuntimeError::type_error(
                            self.arg_spans.first().copied().unwrap_or(span),
                            format!(
                                "crudlab does not run {method}(\"{event}\") middleware: it runs {}",
                                known.join(", ")
                            ),
                        ));
                    }
                    // Mongoose's defaults: `save`/`validate` are document middleware, `updateOne`/`deleteOne` query
                    // middleware unless `{ document: true, query: false }` says otherwise.
                    let default_document = matches!(event.as_str(), "save" | "validate");
                    let document = flag("document").unwrap_or(default_document) && known_document;
                    let query = flag("query").unwrap_or(!default_document) && known_query;
                    schema.hooks.borrow_mut().push(Hook { when, event, function: function.clone(), document, query });
                }
                Ok(Value::Schema(schema))
            }
            "method" | "static" => {
                let target = if method == "method" { &schema.methods } else { &schema.statics };
                match (args.first(), args.get(1)) {
                    (Some(Value::Object(many)), None) => {
                        for (key, value) in many.0.borrow().properties.iter() {
                            target.0.borrow_mut().set(key, value.clone());
                        }
                    }
                    (Some(name), Some(function)) => target.0.borrow_mut().set(&text(Some(name)), function.clone()),
                    _ => {}
                }
                Ok(Value::Schema(schema))
            }
            "index" => {
                let document = |value: Option<&Value>| match value
                    .map(|v| super::operators::to_bson(v, super::operators::Functions::Skip, span))
                {
                    Some(Ok(bson::Bson::Document(doc))) => Ok(doc),
                    Some(Err(error)) => Err(error),
                    _ => Ok(bson::Document::new()),
                };
                let fields = document(args.first())?;
                let options = document(args.get(1))?;
                schema.indexes.borrow_mut().push((fields, options));
                Ok(Value::Schema(schema))
            }
            // Mongoose has these too; crudlab's schemas are fixed once declared, so it says what to write instead.
            "add" | "path" | "set" | "alias" => Err(RuntimeError::type_error(
                method_span,
                format!(
                    "crudlab does not support schema.{method}(): {}",
                    match method {
                        "add" => "write every field in new mongoose.Schema({ ... })",
                        "path" => "read the definition from schema.obj",
                        "set" => "pass the option to new mongoose.Schema(definition, { ... })",
                        _ => "declare the alias in the definition, e.g. { n: { type: String, alias: \"name\" } }",
                    }
                ),
            )),
            _ => Err(super::world::unknown_method("schema", method, SCHEMA_METHODS, method_span)),
        }
    }

    /// `.get(fn)` / `.set(fn)` on `schema.virtual(name)`.
    pub(super) fn virtual_method(
        &mut self,
        schema: Rc<SchemaValue>,
        name: String,
        method: &str,
        args: Vec<Value>,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        let function = args.into_iter().next().unwrap_or_else(Value::undefined);
        {
            let mut virtuals = schema.virtuals.borrow_mut();
            let Some(entry) = virtuals.iter_mut().find(|v| v.name == name) else {
                return Ok(Value::undefined());
            };
            match method {
                "get" => entry.get = Some(function),
                "set" => entry.set = Some(function),
                _ => {
                    drop(virtuals);
                    return Err(super::world::unknown_method("VirtualType", method, &["get", "set"], method_span));
                }
            }
        }
        Ok(Value::VirtualType(schema, name))
    }

    /// The schema a document's model was declared with.
    pub(super) fn schema_of(&self, model: &str) -> Option<Rc<SchemaValue>> {
        self.models.get(model).map(|entry| entry.schema.clone())
    }

    /// A virtual's getter or a schema method, when the document has no field of that name.
    pub(super) fn document_schema_property(
        &mut self,
        document: &DocumentRef,
        key: &str,
        span: Span,
    ) -> Result<Option<Value>, RuntimeError> {
        let Some(schema) = self.schema_of(&document.model()) else { return Ok(None) };
        if let Some(virtual_type) = schema.virtual_named(key) {
            return match virtual_type.get {
                Some(getter) => self.call_value(&getter, Value::Document(document.clone()), Vec::new(), span).map(Some),
                None => Ok(Some(Value::undefined())),
            };
        }
        let method = schema.methods.0.borrow_mut().get(key);
        Ok(method)
    }

    /// `doc.fullName = "Ada Lovelace"` on a virtual with a setter: the setter runs with `this` the document.
    pub(super) fn set_virtual(
        &mut self,
        document: &DocumentRef,
        key: &str,
        value: &Value,
        span: Span,
    ) -> Result<bool, RuntimeError> {
        let Some(schema) = self.schema_of(&document.model()) else { return Ok(false) };
        let Some(virtual_type) = schema.virtual_named(key) else { return Ok(false) };
        if let Some(setter) = virtual_type.set {
            self.call_value(&setter, Value::Document(document.clone()), vec![value.clone()], span)?;
        }
        Ok(true)
    }

    /// `User.findByEmail(…)`: a static of the model's schema, `this` the model.
    pub(super) fn model_static(&self, model: &str, name: &str) -> Option<Value> {
        let schema = self.schema_of(model)?;
        let function = schema.statics.0.borrow_mut().get(name);
        function
    }

    /// Runs the `when` middleware of `event` on a document; each hook that ran is returned for the trace. An error
    /// thrown inside a hook stops the operation, as in Mongoose.
    pub(super) fn run_hooks(
        &mut self,
        document: &DocumentRef,
        when: HookTime,
        event: &str,
        span: Span,
    ) -> Result<Vec<TraceStep>, RuntimeError> {
        // Middleware is Mongoose's: the raw driver writes what it is given.
        if self.mode == super::world::Mode::Schemaless {
            return Ok(Vec::new());
        }
        let Some(schema) = self.schema_of(&document.model()) else { return Ok(Vec::new()) };
        let mut steps = Vec::new();
        for function in schema.hooks_for(when, event) {
            // Post hooks receive the document; pre hooks nothing (Mongoose 9 removed `next`).
            let args = match when {
                HookTime::Pre => Vec::new(),
                HookTime::Post => vec![Value::Document(document.clone())],
            };
            let takes_next = match &function {
                Value::Function(f) => {
                    f.0.function.params.first().is_some_and(|p| p.names().iter().any(|n| n.name == "next"))
                }
                _ => false,
            };
            let result = self.call_value(&function, Value::Document(document.clone()), args, span).map_err(|error| {
                if when == HookTime::Pre && takes_next && error.message.contains("is not a function") {
                    error.with_hint(
                        "Mongoose 9 passes pre middleware no `next`: write `async function () { … }` and simply return (or throw to stop the save).",
                    )
                } else {
                    error
                }
            })?;
            // A rejected promise is an error thrown; crudlab's promises are settled, so awaiting is reading it.
            self.settle(result, span)?;
            let name = match &function {
                Value::Function(function) => function.name().map(str::to_string),
                _ => None,
            };
            let _ = name;
            steps.push(hook_step(when, event, &function));
        }
        Ok(steps)
    }
}

impl World {
    /// `this.getUpdate()` ... inside query middleware.
    pub(super) fn query_method(
        &mut self,
        query: super::value::QueryRef,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        let data = |world: &mut World, value: Option<&Value>| -> Result<bson::Document, RuntimeError> {
            match value {
                Some(value) => match world.data(value.clone(), span)? {
                    bson::Bson::Document(doc) => Ok(doc),
                    _ => Ok(bson::Document::new()),
                },
                None => Ok(bson::Document::new()),
            }
        };
        match method {
            "getFilter" | "getQuery" => Ok(Value::Data(bson::Bson::Document(query.0.borrow().filter.clone()))),
            "getUpdate" => Ok(match &query.0.borrow().update {
                Some(update) => Value::Data(bson::Bson::Document(update.clone())),
                None => Value::Data(bson::Bson::Null),
            }),
            "getOptions" => Ok(Value::Data(bson::Bson::Document(bson::Document::new()))),
            "setUpdate" => {
                let update = data(self, args.first())?;
                query.0.borrow_mut().update = Some(update);
                Ok(Value::Query(query))
            }
            "setQuery" => {
                let filter = data(self, args.first())?;
                query.0.borrow_mut().filter = filter;
                Ok(Value::Query(query))
            }
            "where" => {
                let extra = data(self, args.first())?;
                query.0.borrow_mut().filter.extend(extra);
                Ok(Value::Query(query))
            }
            // `this.set({ updatedAt: new Date() })` / `this.set("path", value)`: Mongoose adds them to the update's `$set`.
            "set" => {
                let fields = match (args.first(), args.get(1)) {
                    (Some(path), Some(value)) if !matches!(path, Value::Object(_)) => {
                        let mut fields = bson::Document::new();
                        fields.insert(super::operators::to_js_string(path), self.data(value.clone(), span)?);
                        fields
                    }
                    (first, _) => data(self, first)?,
                };
                {
                    let mut state = query.0.borrow_mut();
                    let update = state.update.get_or_insert_with(bson::Document::new);
                    if !matches!(update.get("$set"), Some(bson::Bson::Document(_))) {
                        update.insert("$set", bson::Document::new());
                    }
                    if let Some(bson::Bson::Document(set)) = update.get_mut("$set") {
                        set.extend(fields);
                    }
                }
                Ok(Value::Query(query))
            }
            _ => Err(super::world::unknown_method("Query", method, QUERY_METHODS, method_span)),
        }
    }

    /// A model call with the schema's query middleware around it: pre hooks see (and may change) the query, post
    /// hooks see the result; each hook that ran is added to the call's trace.
    pub(super) fn run_with_query_hooks(
        &mut self,
        mut call: super::calls::ModelCall,
        span: Span,
    ) -> Result<Option<Value>, RuntimeError> {
        use super::calls::ModelMethod as M;
        if self.mode == super::world::Mode::Schemaless {
            return Ok(None);
        }
        let Some(schema) = self.schema_of(&call.model) else { return Ok(None) };
        let (event, filter_index, update_index) = match call.method {
            M::Find => ("find", Some(0), None),
            M::FindOne => ("findOne", Some(0), None),
            M::FindById => ("findOne", None, None),
            M::CountDocuments => ("countDocuments", Some(0), None),
            M::UpdateOne => ("updateOne", Some(0), Some(1)),
            M::UpdateMany => ("updateMany", Some(0), Some(1)),
            M::FindOneAndUpdate => ("findOneAndUpdate", Some(0), Some(1)),
            M::FindByIdAndUpdate => ("findOneAndUpdate", None, Some(1)),
            M::DeleteOne => ("deleteOne", Some(0), None),
            M::DeleteMany => ("deleteMany", Some(0), None),
            M::FindOneAndDelete => ("findOneAndDelete", Some(0), None),
            M::FindByIdAndDelete => ("findOneAndDelete", None, None),
            _ => return Ok(None),
        };
        let pre = schema.query_hooks_for(HookTime::Pre, event);
        let post = schema.query_hooks_for(HookTime::Post, event);
        if pre.is_empty() && post.is_empty() {
            return Ok(None);
        }
        let as_document =
            |value: Option<&bson::Bson>| value.and_then(bson::Bson::as_document).cloned().unwrap_or_default();
        let filter = match filter_index {
            Some(index) => as_document(call.args.get(index)),
            None => bson::doc! { "_id": call.args.first().cloned().unwrap_or(bson::Bson::Null) },
        };
        let update = update_index.map(|index| as_document(call.args.get(index)));
        let query = super::value::QueryRef(Rc::new(std::cell::RefCell::new(super::value::QueryState {
            model: call.model.clone(),
            op: event.to_string(),
            filter,
            update,
            properties: Vec::new(),
        })));
        let mut pre_steps = Vec::new();
        for function in &pre {
            let result = self.call_value(function, Value::Query(query.clone()), Vec::new(), span)?;
            self.settle(result, span)?;
            pre_steps.push(hook_step(HookTime::Pre, event, function));
        }
        // What the hooks changed goes into the call (a `findById` whose filter changed becomes a `findOne`).
        {
            let state = query.0.borrow();
            match filter_index {
                Some(index) => {
                    if let Some(slot) = call.args.get_mut(index) {
                        *slot = bson::Bson::Document(state.filter.clone());
                    } else {
                        call.args.push(bson::Bson::Document(state.filter.clone()));
                    }
                }
                None => {
                    let unchanged = state.filter.len() == 1 && state.filter.get("_id") == call.args.first();
                    if !unchanged {
                        call.method = match call.method {
                            M::FindById => M::FindOne,
                            M::FindByIdAndUpdate => M::FindOneAndUpdate,
                            _ => M::FindOneAndDelete,
                        };
                        if let Some(first) = call.args.first_mut() {
                            *first = bson::Bson::Document(state.filter.clone());
                        }
                    }
                }
            }
            if let (Some(index), Some(update)) = (update_index, &state.update) {
                while call.args.len() <= index {
                    call.args.push(bson::Bson::Document(bson::Document::new()));
                }
                call.args[index] = bson::Bson::Document(update.clone());
            }
        }
        let result = self.execute(super::value::PendingCall::Model(call.clone()), span)?;
        let result_value = self.model_result(&call, result, span)?;
        let mut post_steps = Vec::new();
        for function in &post {
            let value = self.call_value(function, Value::Query(query.clone()), vec![result_value.clone()], span)?;
            self.settle(value, span)?;
            post_steps.push(hook_step(HookTime::Post, event, function));
        }
        self.add_hook_steps(pre_steps, post_steps);
        Ok(Some(result_value))
    }
}

/// The trace line of a hook that ran.
fn hook_step(when: HookTime, event: &str, function: &Value) -> TraceStep {
    let name = match function {
        Value::Function(function) => function.name().map(str::to_string),
        _ => None,
    };
    TraceStep::Hook {
        when: if when == HookTime::Pre { "pre" } else { "post" }.to_string(),
        event: event.to_string(),
        function: name.map(|n| format!("`{n}`")).unwrap_or_else(|| "(anonymous)".to_string()),
    }
}
