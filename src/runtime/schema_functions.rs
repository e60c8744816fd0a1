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

/// Middleware events crudlab runs hooks for.
pub const HOOK_EVENTS: &[&str] = &["save", "validate", "deleteOne"];

/// Schema methods a program calls, for completion and "did you mean".
pub const SCHEMA_METHODS: &[&str] = &["virtual", "pre", "post", "method", "static", "add", "path", "index"];

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
                }
                Ok(Value::VirtualType(schema, name))
            }
            "pre" | "post" => {
                let event = text(args.first());
                let function = args.get(1).cloned().unwrap_or_else(Value::undefined);
                if !super::world::is_callable(&function) {
                    return Err(RuntimeError::type_error(
                        span,
                        format!("schema.{method}() needs a function, e.g. schema.{method}(\"{event}\", async function () {{ … }})"),
                    ));
                }
                if !HOOK_EVENTS.contains(&event.as_str()) {
                    return Err(RuntimeError::type_error(
                        self.arg_spans.first().copied().unwrap_or(span),
                        format!(
                            "crudlab runs {method}(\"{event}\") middleware not yet: only {}",
                            HOOK_EVENTS.join(", ")
                        ),
                    ));
                }
                let when = if method == "pre" { HookTime::Pre } else { HookTime::Post };
                schema.hooks.borrow_mut().push(Hook { when, event, function });
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
            steps.push(TraceStep::Hook {
                when: if when == HookTime::Pre { "pre" } else { "post" }.to_string(),
                event: event.to_string(),
                function: name.map(|n| format!("`{n}`")).unwrap_or_else(|| "(anonymous)".to_string()),
            });
        }
        Ok(steps)
    }
}
