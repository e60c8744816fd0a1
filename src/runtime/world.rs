//! A world: one cluster, the current database, the program's scopes and models, and the calls a program makes to
//! the database, Mongoose and the shell. The same statement runs in a schemaless world (model calls become driver
//! calls) and in a Mongoose world (driver calls on modelled collections become model calls): that is the
//! side-by-side view. The language itself is `interpreter.rs`; the standard library is `builtins.rs`.

use super::calls::{
    AggregateMethod, Call, ChainEffect, CursorMethod, DriverCall, DriverMethod, ModelCall, ModelMethod, QueryMethod,
};
use super::driver;
use super::error::{ErrorSource, RuntimeError};
use super::interpreter::Flow;
use super::models::{self, Models};
use super::mongoose_calls::{run_model_call, ModelWorld};
use super::operators::{self, Functions};
use super::report::{CallReport, StatementReport, BATCH_SIZE};
use super::scope::ScopeRef;
use super::value::{Builtin, Global, PendingCall, SchemaValue, Value};
use crate::engine::database::Cluster;
use crate::engine::generator::Generator;
use crate::js::mongosh_format::format_inline;
use crate::shell::ast::{Expr, ExprKind, Import, ShellCommandKind, Stmt, StmtKind};
use crate::shell::error::ParseError;
use crate::shell::literal::{self, Resolver};
use crate::shell::span::Span;
use bson::oid::ObjectId;
use bson::{Bson, DateTime, Document};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The text the TTL monitor's removals are shown under (it runs before a Run's statements).
pub const TTL_MONITOR: &str = "(TTL monitor)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every call runs as written (the CLI without `--mirror`).
    Natural,
    /// The raw MongoDB driver: model calls run as their driver equivalents, no schema is applied.
    Schemaless,
    /// Mongoose: driver calls on a collection that has a model run as that model's calls.
    Mongoose,
}

/// A world and its interpreter.
pub struct World {
    pub mode: Mode,
    pub cluster: Cluster,
    /// The current database (`use shop` switches; mongosh starts in `test`).
    pub database: String,
    /// The program's top-level names; they live from Run to Run, as in a REPL.
    pub(super) globals: ScopeRef,
    /// The scope the interpreter is in (a block, a function call, or the globals).
    pub(super) scope: ScopeRef,
    /// Models declared by the program, by name.
    pub models: Models,
    /// Per statement: console lines and calls made so far.
    pub(super) console: Vec<String>,
    pub(super) calls: Vec<CallReport>,
    /// Express apps the program made (`fetch` goes to the one that listens, else the last).
    pub(super) express_apps: Vec<super::express::AppRef>,
    /// Requests of the statement being run.
    pub(super) requests: Vec<super::express::RequestReport>,
    /// The raw bodies of the requests being handled (innermost last), for the body parsers.
    pub(super) request_bodies: Vec<Option<String>>,
    pub(super) call_depth: usize,
    /// Steps the current top-level statement took (see `interpreter::MAX_STEPS`).
    pub(super) steps: u64,
    /// The spans of the arguments of the call being dispatched (for errors about one argument).
    pub(super) arg_spans: Vec<Span>,
    /// The spans of each stage of the aggregations this statement's own text called (`(call span, stage spans)`),
    /// so an error raised by a stage is pointed at that stage in the editor.
    pub(super) pipeline_spans: Vec<(Span, Vec<Span>)>,
    /// The source text of the method being dispatched (`users.mapp`), for JavaScript's
    /// "`users.mapp` is not a function"; taken by the first method that reports it.
    pub(super) callee_text: Option<String>,
    /// The program text closures were made in, shared by every closure of one Run.
    source_cache: Option<(usize, usize, Rc<str>)>,
    /// The text of the Run in progress (errors inside functions declared in an earlier Run are reported at the call).
    pub(super) run_source: Rc<str>,
    /// The rest of the last long result, for `it`: the documents and how many were shown.
    cursor: Option<(Vec<Bson>, usize)>,
    /// Set while the editor plays the browser of a lesson's web app: database calls are refused unless they come
    /// from a function the program declared (the server's code).
    server_only: bool,
}

impl World {
    pub fn new(mode: Mode, generator: Generator) -> Self {
        let globals = ScopeRef::global();
        Self {
            mode,
            cluster: Cluster::new(generator),
            database: "test".to_string(),
            scope: globals.clone(),
            globals,
            models: BTreeMap::new(),
            console: Vec::new(),
            calls: Vec::new(),
            express_apps: Vec::new(),
            requests: Vec::new(),
            request_bodies: Vec::new(),
            call_depth: 0,
            steps: 0,
            arg_spans: Vec::new(),
            pipeline_spans: Vec::new(),
            callee_text: None,
            source_cache: None,
            run_source: Rc::from(""),
            cursor: None,
            server_only: false,
        }
    }
    /// Makes the typed code play the browser: it may call the program's functions (the server) but not the database.
    pub fn set_server_only(&mut self, server_only: bool) {
        self.server_only = server_only;
    }

    /// Refuses a database call typed directly into the "browser" while the database is reachable only via the server.
    fn refuse_browser_access(&self, call: &str, span: Span) -> Result<(), RuntimeError> {
        if !self.server_only || self.call_depth > 0 {
            return Ok(());
        }
        Err(RuntimeError::script(
            "Error",
            span,
            format!("The browser cannot reach the database: {call} must run on the server"),
        )
        .with_hint(
            "Browsers speak HTTP, not MongoDB's wire protocol, and the database cannot tell which of your app's users \
             is asking. Send a request to your server with fetch(\"/feed\"), or flip \"Browser → database\" to \"directly\" to \
             see what would happen if it could.",
        ))
    }

    /// Binds a name to plain data, as a lesson binds `req` for a simulated Express request.
    pub fn bind_data(&mut self, name: &str, value: Bson) {
        self.globals.declare(name, Value::Data(value), false);
    }

    /// Forgets a binding (a lesson check's `lastResult` once the check ran).
    pub fn unbind(&mut self, name: &str) {
        self.globals.remove(name);
    }

    /// The names currently bound (for completion and "did you mean").
    pub fn binding_names(&self) -> Vec<String> {
        let mut names = self.globals.own_names();
        names.sort();
        names
    }

    /// The value bound to a top-level name, if any.
    pub fn binding(&self, name: &str) -> Option<Value> {
        self.globals.own(name)
    }

    /// The program text as a shared string for closures, made once per program text.
    pub(super) fn shared_source(&mut self, source: &str) -> Rc<str> {
        let key = (source.as_ptr() as usize, source.len());
        if let Some((pointer, length, shared)) = &self.source_cache {
            if (*pointer, *length) == key && **shared == *source {
                return shared.clone();
            }
        }
        let shared: Rc<str> = Rc::from(source);
        self.source_cache = Some((key.0, key.1, shared.clone()));
        shared
    }

    /// The whole result of the last statement when it was longer than one batch and only its first batch has been
    /// printed (its report holds that batch; `it` has not moved on yet): what a lesson check sees as `lastResult`.
    pub fn unprinted_whole_result(&self) -> Option<&[Bson]> {
        match &self.cursor {
            Some((items, BATCH_SIZE)) => Some(items),
            _ => None,
        }
    }

    /// Parses and runs a whole script; a parse error stops everything before anything runs.
    ///
    /// For code run aside from what the student typed (lesson checks, explain): the cursor of the student's last
    /// long result is kept, so `it` still shows its next batch afterwards.
    pub fn run_source(&mut self, source: &str) -> Result<Vec<StatementReport>, ParseError> {
        let program = crate::shell::parser::parse(source)?;
        let cursor = self.cursor.take();
        self.hoist_program(source, &program.statements);
        let reports = program.statements.iter().map(|stmt| self.run_statement(source, stmt)).collect();
        self.cursor = cursor;
        Ok(reports)
    }

    /// Declares a program's top-level functions before its first statement runs, as JavaScript hoists them.
    pub fn hoist_program(&mut self, source: &str, statements: &[Stmt]) {
        self.scope = self.globals.clone();
        self.hoist(source, statements);
    }
    pub fn run_statement(&mut self, source: &str, stmt: &Stmt) -> StatementReport {
        let _running = super::running::running(source.get(stmt.span.start..stmt.span.end).unwrap_or_default());
        #[cfg(feature = "crash-test")]
        if source.get(stmt.span.start..stmt.span.end) == Some("crashForTest()") {
            panic!("a deliberate crash (the crash-test feature, never in the published build)");
        }
        self.console.clear();
        self.calls.clear();
        self.pipeline_spans.clear();
        self.call_depth = 0;
        self.steps = 0;
        self.scope = self.globals.clone();
        self.run_source = self.shared_source(source);
        let mut report = StatementReport {
            span: stmt.span,
            text: source.get(stmt.span.start..stmt.span.end).unwrap_or_default().to_string(),
            value: None,
            printed: None,
            console: Vec::new(),
            error: None,
            calls: Vec::new(),
            more: false,
            requests: Vec::new(),
        };
        // mongosh's `it`: the next batch of the last long result (unless the program bound a variable `it`).
        let is_it = matches!(&stmt.kind, StmtKind::Expression(expr) if matches!(&expr.kind, ExprKind::Ident(name) if name == "it"))
            && !self.globals.contains("it");
        if is_it {
            match self.cursor.take() {
                Some((items, shown)) => {
                    let next = shown.saturating_add(BATCH_SIZE).min(items.len());
                    report.value = Some(Bson::Array(items.get(shown..next).unwrap_or_default().to_vec()));
                    report.more = next < items.len();
                    if report.more {
                        self.cursor = Some((items, next));
                    }
                }
                None => report.printed = Some("no cursor".to_string()),
            }
            return report;
        }
        self.cursor = None;
        match self.top_statement(source, stmt) {
            Ok(Some(Printed::Value(value))) => report.value = Some(value),
            Ok(Some(Printed::Text(text))) => report.printed = Some(text),
            Ok(None) => {}
            Err(mut error) => {
                if matches!(error.source, ErrorSource::StepLimit { .. }) {
                    self.undo_statement();
                }
                if let Some(stage) = self.failed_stage_span(&error) {
                    error.span = stage;
                }
                report.error = Some(error);
            }
        }
        self.scope = self.globals.clone();
        report.console = std::mem::take(&mut self.console);
        report.calls = std::mem::take(&mut self.calls);
        report.requests = std::mem::take(&mut self.requests);
        // A long result is printed a batch at a time: the report keeps the first batch, the cursor the whole result
        // (moved, not copied: at 10k documents the copy was a third of the Run).
        if let Some(Bson::Array(items)) = &mut report.value {
            if items.len() > BATCH_SIZE {
                let whole = std::mem::take(items);
                *items = whole.get(..BATCH_SIZE).unwrap_or_default().to_vec();
                report.more = true;
                self.cursor = Some((whole, BATCH_SIZE));
            }
        }
        report
    }

    /// Where the stage that raised a server error is written, when the failed aggregation is in this Run's text.
    fn failed_stage_span(&self, error: &RuntimeError) -> Option<Span> {
        if !matches!(error.source, ErrorSource::Server(_)) {
            return None;
        }
        let failed = self.calls.last()?.pipeline.as_ref()?.failed_stage?;
        let (call, stages) = self.pipeline_spans.last()?;
        let stage = *stages.get(failed)?;
        (error.span.start <= call.start && call.end <= error.span.end).then_some(stage)
    }

    /// Undoes every write of the statement being run (after it ran out of steps), so the data is as before it.
    fn undo_statement(&mut self) {
        for report in self.calls.iter().rev() {
            // Reverting a change set the engine itself produced cannot fail; if it did, the data would be left
            // as the statement wrote it, which the report still describes.
            if crate::engine::revert::revert(&mut self.cluster, &report.changes).is_ok() {}
        }
        self.calls.clear();
    }

    fn top_statement(&mut self, source: &str, stmt: &Stmt) -> Result<Option<Printed>, RuntimeError> {
        match &stmt.kind {
            StmtKind::ShellCommand { .. } => self.shell_command(stmt).map(|text| text.map(Printed::Text)),
            StmtKind::Expression(expr) => {
                let value = self.eval(source, expr)?;
                let value = self.settle(value, expr.span)?;
                let value = match value {
                    Value::Promise(inner) => *inner,
                    other => other,
                };
                // The REPL prints a value with util.inspect, which shows a Mongoose document as its `toObject()`.
                let value = self.inspect_ready(value, expr.span)?;
                Ok(match value {
                    Value::Data(Bson::Undefined) => None,
                    Value::Data(data) => Some(Printed::Value(data)),
                    Value::Object(_) | Value::Array(_) | Value::Document(_) => {
                        Some(Printed::Value(operators::to_display(&value)))
                    }
                    Value::Collection(name) => Some(Printed::Text(format!("{}.{name}", self.database))),
                    Value::Db => Some(Printed::Text(self.database.clone())),
                    Value::Model(name) => Some(Printed::Text(format!("Model {{ {name} }}"))),
                    Value::Schema(_) => Some(Printed::Text("Schema {}".to_string())),
                    Value::Function(_) | Value::Builtin(_) | Value::Global(_) | Value::RegExp(_) => {
                        Some(Printed::Text(operators::display_name(&value)))
                    }
                    _ => None,
                })
            }
            _ => match self.statement(source, stmt)? {
                Flow::Next(_) | Flow::Return(_) | Flow::Break | Flow::Continue => Ok(None),
            },
        }
    }

    /// `use shop` / `show collections`: the line they print.
    pub(super) fn shell_command(&mut self, stmt: &Stmt) -> Result<Option<String>, RuntimeError> {
        match &stmt.kind {
            StmtKind::ShellCommand { command: ShellCommandKind::Use, argument } => {
                crate::engine::database::validate_database_name(&argument.name)
                    .map_err(|e| RuntimeError::server(argument.span, e))?;
                self.database = argument.name.clone();
                Ok(Some(format!("switched to db {}", argument.name)))
            }
            StmtKind::ShellCommand { command: ShellCommandKind::Show, argument } => {
                self.refuse_browser_access(&format!("show {}", argument.name), stmt.span)?;
                self.show(&argument.name, argument.span).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// `import mongoose, { Schema } from "mongoose"`.
    pub(super) fn import(&mut self, import: &Import) -> Result<(), RuntimeError> {
        if import.source != "mongoose" {
            return Err(RuntimeError::script(
                "Error",
                import.source_span,
                format!("Cannot find module '{}'", import.source),
            )
            .with_hint("crudlab knows one library: import mongoose from \"mongoose\"."));
        }
        for name in import.default.iter().chain(import.namespace.iter()) {
            self.scope.declare(&name.name, Value::Mongoose, false);
        }
        for (imported, local) in &import.named {
            let value = self.get_property(Value::Mongoose, &imported.name, imported.span)?;
            self.scope.declare(&local.name, value, false);
        }
        Ok(())
    }

    fn show(&self, what: &str, span: Span) -> Result<String, RuntimeError> {
        match what {
            "dbs" | "databases" => Ok(self
                .cluster
                .databases()
                .filter(|db| db.collections().next().is_some())
                .map(|db| {
                    let bytes: usize = db.collections().map(|c| c.data_size()).sum();
                    format!("{:<10}{:.2} KiB", db.name, (bytes as f64 / 1024.0).max(8.0))
                })
                .collect::<Vec<_>>()
                .join("\n")),
            "collections" | "tables" => {
                Ok(self.cluster.database(&self.database).map(|db| db.collection_names().join("\n")).unwrap_or_default())
            }
            other => Err(RuntimeError::script(
                "MongoshInvalidInputError",
                span,
                format!("[COMMON-10001] '{other}' is not a valid argument for \"show\"."),
            )
            .with_hint("Try `show dbs` or `show collections`.")),
        }
    }

    /// Runs a pending query; other values pass through.
    pub(super) fn settle(&mut self, value: Value, span: Span) -> Result<Value, RuntimeError> {
        match value {
            Value::Pending(pending) => self.run_pending(*pending, span),
            other => Ok(other),
        }
    }

    /// The value as data for a database call (a pending query runs first); `undefined` inside documents becomes
    /// `null`, as the driver sends it.
    pub(super) fn data(&mut self, value: Value, span: Span) -> Result<Bson, RuntimeError> {
        let value = self.settle(value, span)?;
        operators::to_bson(&value, Functions::Skip, span).map(literal::driver_form)
    }

    pub(super) fn data_list(&mut self, values: Vec<Value>, span: Span) -> Result<Vec<Bson>, RuntimeError> {
        values.into_iter().map(|value| self.data(value, span)).collect()
    }

    /// Evaluates a constant expression (numbers, strings, `ObjectId("…")`, `new Date()` ...) with the shell's rules.
    pub(super) fn literal(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let resolver =
            ScopeResolver { scope: &self.scope, source, generator: RefCell::new(&mut self.cluster.generator) };
        literal::evaluate(expr, source, &resolver).map(Value::Data).map_err(|e| RuntimeError::from_parse(&e))
    }

    /// `ObjectId(hex)`, `new Date(millis)`, `ISODate(text)`, `NumberInt(v)` ...: the shell's constant helpers, with
    /// arguments the program computed (their values take the place of the argument expressions).
    fn constant_call(
        &mut self,
        source: &str,
        callee: &Expr,
        args: &[Expr],
        is_new: bool,
        span: Span,
    ) -> Result<Value, RuntimeError> {
        let mut constant_args = Vec::with_capacity(args.len());
        for arg in args {
            let value = self.eval(source, arg)?;
            let value = self.settle(value, arg.span)?;
            let kind = match &value {
                Value::Data(Bson::String(text)) => ExprKind::String(text.clone()),
                Value::Data(Bson::Boolean(b)) => ExprKind::Bool(*b),
                Value::Data(Bson::Null) => ExprKind::Null,
                Value::Data(Bson::Undefined) => ExprKind::Undefined,
                Value::Data(Bson::DateTime(date)) => ExprKind::Number(date.timestamp_millis() as f64),
                Value::Data(Bson::ObjectId(oid)) => ExprKind::String(oid.to_hex()),
                other if operators::number_of(other).is_some() => {
                    ExprKind::Number(operators::number_of(other).unwrap_or(f64::NAN))
                }
                _ => {
                    constant_args.push(arg.clone());
                    continue;
                }
            };
            constant_args.push(Expr { kind, span: arg.span });
        }
        let kind = if is_new {
            ExprKind::New { callee: Box::new(callee.clone()), args: constant_args }
        } else {
            ExprKind::Call { callee: Box::new(callee.clone()), args: constant_args, optional: false }
        };
        self.literal(source, &Expr { kind, span })
    }

    /// The value of a name: the program's own, then the shell's and JavaScript's globals.
    pub(super) fn lookup(&mut self, name: &str, span: Span) -> Result<Value, RuntimeError> {
        if let Some(value) = self.scope.lookup(name) {
            return Ok(value);
        }
        if let Some(global) = Global::from_name(name) {
            return Ok(Value::Global(global));
        }
        Ok(match name {
            "db" => Value::Db,
            "mongoose" => Value::Mongoose,
            "console" => Value::Console,
            // A CommonJS module's top-level `this` is its (empty) `module.exports`: an arrow function written at the
            // top level sees that, not the document it is called on.
            "this" => Value::Object(super::value::ObjectRef::new(Vec::new())),
            "globalThis" => Value::undefined(),
            "require" | "parseInt" | "parseFloat" | "isNaN" | "isFinite" | "fetch" => {
                let name: &'static str = match name {
                    "require" => "require",
                    "fetch" => "fetch",
                    "parseInt" => "parseInt",
                    "parseFloat" => "parseFloat",
                    "isNaN" => "isNaN",
                    _ => "isFinite",
                };
                Value::Builtin(Rc::new(Builtin::Global(name)))
            }
            _ => {
                let mut known: Vec<String> = self.scope.visible_names();
                known.extend(self.models.keys().cloned());
                known.extend(["db", "mongoose", "console"].map(str::to_string));
                let candidates: Vec<&str> = known.iter().map(String::as_str).collect();
                let error = RuntimeError::reference_error(span, format!("{name} is not defined"));
                return Err(match crate::shell::nearest(name, &candidates) {
                    Some(near) => error.with_hint(format!("Did you mean `{near}`?")),
                    None if name.chars().next().is_some_and(char::is_uppercase) && !self.models.is_empty() => {
                        error.with_hint(format!(
                            "The models declared so far are {}. Declare {name} first with mongoose.model(\"{name}\", schema).",
                            self.models.keys().cloned().collect::<Vec<_>>().join(", ")
                        ))
                    }
                    None if name.chars().next().is_some_and(char::is_uppercase) => error.with_hint(format!(
                        "Declare it first, e.g. `const {name} = mongoose.model(\"{name}\", {}Schema)`.",
                        name.to_lowercase()
                    )),
                    None => error.with_hint("Declare it first with `const`."),
                });
            }
        })
    }

    /// A call expression: `f(x)`, `object.method(x)`, `object?.method?.(x)`.
    pub(super) fn call_expression(
        &mut self,
        source: &str,
        callee: &Expr,
        args: &[Expr],
        optional: bool,
        span: Span,
    ) -> Result<Value, RuntimeError> {
        // Each form in its own function: recursion through calls stays shallow on the stack (WebAssembly's is 1 MiB).
        match &callee.kind {
            ExprKind::Member { .. } => self.call_member(source, callee, args, optional, span),
            ExprKind::Index { .. } => self.call_index(source, callee, args, span),
            ExprKind::Ident(name) if !self.scope.contains(name) && is_constant_constructor(name) => {
                self.constant_call(source, callee, args, false, span)
            }
            _ => self.call_function(source, callee, args, optional, span),
        }
    }

    /// `receiver.method(args)`.
    #[inline(never)]
    fn call_member(
        &mut self,
        source: &str,
        callee: &Expr,
        args: &[Expr],
        optional: bool,
        span: Span,
    ) -> Result<Value, RuntimeError> {
        let ExprKind::Member { object, property, optional: member_optional } = &callee.kind else {
            return Err(RuntimeError::type_error(callee.span, "internal: call_member reached with another kind"));
        };
        // `Date.now()` and `ObjectId.createFromHexString(…)` are the constant evaluator's, as inside a
        // document, unless the program bound the name itself.
        if matches!(&object.kind, ExprKind::Ident(name) if name == "ObjectId" && !self.scope.contains(name)) {
            return self.constant_call(source, callee, args, false, span);
        }
        let receiver = self.eval(source, object)?;
        if *member_optional && receiver.is_nullish() {
            return Ok(Value::undefined());
        }
        if optional {
            let method = self.get_property(receiver.clone(), &property.name, property.span)?;
            if method.is_nullish() {
                return Ok(Value::undefined());
            }
        }
        let text = callee.span.text(source).to_string();
        self.method_call(source, receiver, &property.name, args, span, property.span, text)
    }

    /// `receiver[key](args)`.
    #[inline(never)]
    fn call_index(&mut self, source: &str, callee: &Expr, args: &[Expr], span: Span) -> Result<Value, RuntimeError> {
        let ExprKind::Index { object, index, .. } = &callee.kind else {
            return Err(RuntimeError::type_error(callee.span, "internal: call_index reached with another kind"));
        };
        let receiver = self.eval(source, object)?;
        let key = self.eval(source, index)?;
        let key = super::interpreter::property_key(&self.settle(key, index.span)?);
        let text = callee.span.text(source).to_string();
        self.method_call(source, receiver, &key, args, span, index.span, text)
    }

    /// `f(args)`.
    #[inline(never)]
    fn call_function(
        &mut self,
        source: &str,
        callee: &Expr,
        args: &[Expr],
        optional: bool,
        span: Span,
    ) -> Result<Value, RuntimeError> {
        let function = self.eval(source, callee)?;
        if optional && function.is_nullish() {
            return Ok(Value::undefined());
        }
        if !is_callable(&function) {
            let name = callee.span.text(source);
            return Err(RuntimeError::type_error(callee.span, format!("{name} is not a function")));
        }
        let args = self.arguments(source, args)?;
        self.call_value(&function, Value::undefined(), args, span)
    }

    /// `receiver.method(args)`: the shell's and the libraries' objects here, the standard library in builtins.rs.
    #[allow(clippy::too_many_arguments)]
    fn method_call(
        &mut self,
        source: &str,
        receiver: Value,
        method: &str,
        args: &[Expr],
        span: Span,
        method_span: Span,
        callee_text: String,
    ) -> Result<Value, RuntimeError> {
        // An unknown collection or model method is reported before its arguments run.
        match &receiver {
            Value::Collection(collection)
                if deprecated_alias(method).is_none()
                    && DriverMethod::from_name(method).filter(|m| !m.is_database_method()).is_none() =>
            {
                return Err(unknown_method(
                    &format!("db.{collection}"),
                    method,
                    &DriverMethod::collection_methods(),
                    method_span,
                ));
            }
            Value::Model(model)
                if ModelMethod::static_from_name(method).is_none() && self.model_static(model, method).is_none() =>
            {
                let mut error = unknown_method(model, method, &ModelMethod::static_names(), method_span);
                if method == "update" {
                    error.source = ErrorSource::RemovedModelMethod;
                    error.hint = Some(format!(
                        "Mongoose 7 removed Model.update(). Use {model}.updateOne() for one document or {model}.updateMany() for all that match."
                    ));
                }
                return Err(error);
            }
            _ => {}
        }
        if method == "aggregate"
            && matches!(receiver, Value::Collection(_) | Value::Model(_))
            && source == &*self.run_source
        {
            let stages = match args {
                [Expr { kind: ExprKind::Array(elements), .. }] => elements.iter().map(|stage| stage.span).collect(),
                _ => args.iter().map(|stage| stage.span).collect(),
            };
            self.pipeline_spans.push((span, stages));
        }
        let arg_spans = args.iter().map(|arg| arg.span).collect();
        let args = self.arguments(source, args)?;
        self.arg_spans = arg_spans;
        self.callee_text = Some(callee_text);
        let result = self.method(receiver, method, args, span, method_span);
        self.callee_text = None;
        result
    }

    /// Calls `method` on `receiver` with evaluated arguments.
    pub(super) fn method(
        &mut self,
        receiver: Value,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        match receiver {
            Value::Console => match method {
                "log" | "info" | "error" | "warn" | "table" | "debug" => self.console(method, &args, span),
                other => Err(unknown_method("console", other, &["log", "info", "error", "warn", "table"], method_span)),
            },
            Value::Db => self.db_method(method, args, method_span),
            Value::Collection(collection) => self.collection_method(collection, method, args, span, method_span),
            Value::Pending(pending) => self.chain_method(*pending, method, args, span, method_span),
            Value::Mongoose => self.mongoose_method(method, args, span, method_span),
            Value::Model(model) => {
                if ModelMethod::static_from_name(method).is_none() {
                    if let Some(function) = self.model_static(&model, method) {
                        return self.call_value(&function, Value::Model(model), args, span);
                    }
                }
                let Some(known) = ModelMethod::static_from_name(method) else {
                    return Err(unknown_method(&model, method, &ModelMethod::static_names(), method_span));
                };
                self.refuse_browser_access(&format!("{model}.{method}(...)"), span)?;
                // `Model.create(doc)` is `new Model(doc).save()`: with save middleware, it runs as that.
                if known == ModelMethod::Create && self.mode != Mode::Schemaless && self.has_save_hooks(&model) {
                    return self.create_with_hooks(model, args, span);
                }
                // `Model.insertMany(docs)` builds every document with `new Model(doc)` and validates it first.
                if known == ModelMethod::InsertMany && self.mode != Mode::Schemaless && self.has_save_hooks(&model) {
                    return self.insert_many_with_hooks(model, args, span);
                }
                let args = self.data_list(args, span)?;
                Ok(Value::Pending(Box::new(PendingCall::Model(ModelCall::new(model, known, args)))))
            }
            Value::Builtin(builtin) if matches!(builtin.as_ref(), Builtin::Global("require")) => {
                Err(RuntimeError::type_error(method_span, format!("require.{method} is not a function")))
            }
            Value::Schema(schema) => self.schema_method(schema, method, args, span, method_span),
            Value::VirtualType(schema, name) => self.virtual_method(schema, name, method, args, method_span),
            Value::Query(query) => self.query_method(query, method, args, span, method_span),
            Value::Express => self.express_module_method(method, method_span),
            Value::Jwt => self.jwt_method(method, args, span, method_span),
            Value::ExpressApp(app) => self.express_app_method(app, method, args, span, method_span),
            Value::ExpressResponse(response) => self.express_response_method(response, method, args, span, method_span),
            Value::FetchResponse(response) => self.fetch_response_method(response, method, span, method_span),
            Value::FetchHeaders(response) if method == "get" => {
                let name = args.first().map(operators::to_js_string).unwrap_or_default().to_ascii_lowercase();
                Ok(response
                    .headers
                    .iter()
                    .find(|(n, _)| n.to_ascii_lowercase() == name)
                    .map(|(_, v)| Value::string(v.clone()))
                    .unwrap_or(Value::Data(Bson::Null)))
            }
            other @ (Value::SchemaClass | Value::SchemaTypes) => {
                Err(RuntimeError::type_error(method_span, format!("{}.{method} is not a function", other.describe())))
            }
            Value::Document(document) => self.document_method(document, method, args, span, method_span),
            other => self.value_method(other, method, args, method_span),
        }
    }

    fn collection_method(
        &mut self,
        collection: String,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        // mongosh still accepts the legacy methods, with a deprecation warning: run their modern form.
        let (method, args) = match deprecated_alias(method) {
            Some((warning, modernize)) => {
                self.console.push(format!("DeprecationWarning: {warning}"));
                modernize(self.data_list(args, span)?)
            }
            None => match DriverMethod::from_name(method).filter(|m| !m.is_database_method()) {
                Some(known) => (known, self.data_list(args, span)?),
                None => {
                    return Err(unknown_method(
                        &format!("db.{collection}"),
                        method,
                        &DriverMethod::collection_methods(),
                        method_span,
                    ))
                }
            },
        };
        // mongosh checks required arguments before anything is sent (`deleteMany()` deletes nothing).
        let required = method.required_args();
        if let Some(missing) = (0..required).find(|&i| matches!(args.get(i), None | Some(Bson::Undefined))) {
            return Err(RuntimeError::script(
                "MongoshInvalidInputError",
                span,
                format!("[COMMON-10001] Missing required argument at position {missing} (Collection.{method})"),
            )
            .with_hint(if matches!(method, DriverMethod::DeleteOne | DriverMethod::DeleteMany) && missing == 0 {
                "Say which documents: deleteMany({ ... }). To delete every document, write deleteMany({}) on purpose."
                    .to_string()
            } else {
                format!("{method} needs {required} argument(s); see the operator reference.")
            }));
        }
        self.refuse_browser_access(&format!("db.{collection}.{method}(...)"), span)?;
        // mongosh takes a pipeline array and options, or the stages as separate arguments.
        let args = match (method, args.first()) {
            (DriverMethod::Aggregate, Some(first)) if !matches!(first, Bson::Array(_) | Bson::Undefined) => {
                vec![Bson::Array(args)]
            }
            _ => args,
        };
        let call = DriverCall::new(collection, method, args);
        if method.returns_cursor() {
            Ok(Value::Pending(Box::new(PendingCall::Driver(call))))
        } else {
            self.execute(PendingCall::Driver(call), span).map(Value::Data)
        }
    }

    /// `.sort()`, `.limit()`, `.toArray()`, `.populate()`, `.then()` ... on a query not yet run.
    fn chain_method(
        &mut self,
        pending: PendingCall,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        if matches!(method, "then" | "catch" | "finally") {
            let value = self.run_pending(pending, span)?;
            return self.value_method(Value::Promise(Box::new(value)), method, args, span);
        }
        let (effect, pending) = match pending {
            PendingCall::Driver(mut call) => {
                // An aggregation cursor's sort, skip and limit would be stages: mongosh's cursor has none of them.
                let aggregation = call.method == DriverMethod::Aggregate;
                let Some(step) =
                    CursorMethod::from_name(method).filter(|step| !aggregation || step.on_aggregation_cursor())
                else {
                    let shown = format!("db.{}.{}(...)", call.collection, call.method);
                    let names =
                        if aggregation { CursorMethod::aggregation_cursor_names() } else { CursorMethod::names() };
                    return Err(unknown_method(&shown, method, &names, method_span));
                };
                if step.effect() != ChainEffect::Run {
                    let step_args = self.data_list(args, span)?;
                    call.chain.push((step, step_args));
                }
                (step.effect(), PendingCall::Driver(call))
            }
            // Mongoose's Aggregate builder: each stage method appends, after Mongoose's checks of its argument.
            PendingCall::Model(call) if call.method == ModelMethod::Aggregate => {
                let Some(step) = AggregateMethod::from_name(method) else {
                    let shown = format!("{}.{}(...)", call.model, call.method);
                    return Err(unknown_method(&shown, method, &AggregateMethod::names(), method_span));
                };
                let step_args = self.data_list(args, span)?;
                let refused = |error| super::mongoose_calls::builder_error(error, &call.model, span);
                if step == AggregateMethod::Pipeline {
                    let stages = super::aggregate_builder::pipeline(&call).map_err(refused)?;
                    return Ok(Value::Data(Bson::Array(stages)));
                }
                super::aggregate_builder::stages(step, &step_args).map_err(refused)?;
                let call = if step.effect() == ChainEffect::Run { call } else { call.then_build(step, step_args) };
                (step.effect(), PendingCall::Model(call))
            }
            PendingCall::Model(mut call) => {
                let Some(step) = QueryMethod::from_name(method) else {
                    let shown = format!("{}.{}(...)", call.model, call.method);
                    return Err(unknown_method(&shown, method, &QueryMethod::names(), method_span));
                };
                if step.effect() != ChainEffect::Run {
                    let step_args = self.data_list(args, span)?;
                    call.chain.push((step, step_args));
                }
                (step.effect(), PendingCall::Model(call))
            }
        };
        match effect {
            ChainEffect::Add => Ok(Value::Pending(Box::new(pending))),
            ChainEffect::Run | ChainEffect::AddAndRun => self.run_pending(pending, span),
        }
    }

    /// `new mongoose.Types.ObjectId()` / `(hex)` / `(objectId)`.
    fn new_object_id(&mut self, args: Vec<Value>, span: Span) -> Result<Value, RuntimeError> {
        let first = match args.into_iter().next() {
            Some(value) => self.data(value, span)?,
            None => Bson::Undefined,
        };
        match first {
            Bson::Undefined | Bson::Null => Ok(Value::Data(Bson::ObjectId(self.cluster.generator.object_id()))),
            Bson::ObjectId(id) => Ok(Value::Data(Bson::ObjectId(id))),
            Bson::String(hex) if hex.len() == 24 => bson::oid::ObjectId::parse_str(&hex)
                .map(|id| Value::Data(Bson::ObjectId(id)))
                .map_err(|_| invalid_object_id(span)),
            _ => Err(invalid_object_id(span)),
        }
    }

    /// `new X(args)`.
    pub(super) fn new_expression(
        &mut self,
        source: &str,
        expr: &Expr,
        callee: &Expr,
        args: &[Expr],
    ) -> Result<Value, RuntimeError> {
        let span = expr.span;
        if let ExprKind::Ident(name) = &callee.kind {
            if !self.scope.contains(name) && (is_constant_constructor(name) || name == "Date") {
                return self.constant_call(source, callee, args, true, span);
            }
            if !self.scope.contains(name) && Global::from_name(name).is_none() && !matches!(name.as_str(), "mongoose") {
                let error = RuntimeError::reference_error(callee.span, format!("{name} is not defined"));
                return Err(if name == "Schema" {
                    error.with_hint(
                        "Schema lives on mongoose: write new mongoose.Schema({ ... }), or first const { Schema } = mongoose.",
                    )
                } else {
                    error.with_hint("Declare it first with `const`.")
                });
            }
        }
        // `new mongoose.Types.ObjectId(id)` (and `mongoose.Schema.Types.ObjectId`): an ObjectId, as bson's class.
        if let ExprKind::Member { object, property, .. } = &callee.kind {
            if property.name == "ObjectId" && matches!(self.eval(source, object)?, Value::SchemaTypes) {
                let args = self.arguments(source, args)?;
                return self.new_object_id(args, span);
            }
        }
        let constructor = self.eval(source, callee)?;
        let args = self.arguments(source, args)?;
        match constructor {
            Value::SchemaClass => self.new_schema(args, span),
            Value::Global(Global::Error(kind)) => {
                Ok(super::builtins::error_object(kind, args.first().unwrap_or(&Value::undefined())))
            }
            Value::Global(Global::Date) => {
                // Only reached when `Date` came through a name the program bound to it.
                self.call_global(Global::Date, args, span)
            }
            Value::Global(Global::Object) => Ok(Value::Object(super::value::ObjectRef::new(Vec::new()))),
            Value::Global(Global::Array) => self.call_global(Global::Array, args, span),
            Value::Global(Global::Promise) => {
                Err(RuntimeError::type_error(span, "new Promise(…) is not supported in crudlab's shell")
                    .with_hint("crudlab's database calls finish at once; `await` them directly."))
            }
            Value::Model(model) => self.construct_document(model, args, span),
            other => Err(RuntimeError::type_error(
                callee.span,
                format!("{} is not a constructor", callee.span.text(source).trim()),
            )
            .with_hint(format!(
                "`new` works with mongoose.Schema, Date, Error and the shell's helpers; this is {}.",
                other.describe()
            ))),
        }
    }

    fn require(&mut self, args: &[Value], span: Span) -> Result<Value, RuntimeError> {
        match args.first() {
            Some(Value::Data(Bson::String(name))) if name == "mongoose" => Ok(Value::Mongoose),
            Some(Value::Data(Bson::String(name))) if name == "express" => Ok(Value::Express),
            Some(Value::Data(Bson::String(name))) if name == "jsonwebtoken" => Ok(Value::Jwt),
            Some(Value::Data(Bson::String(name))) => {
                Err(RuntimeError::script("Error", span, format!("Cannot find module '{name}'")).with_hint(
                    "crudlab knows require(\"mongoose\"), require(\"express\") and require(\"jsonwebtoken\").",
                ))
            }
            _ => Err(RuntimeError::type_error(span, "require needs a module name, e.g. require(\"mongoose\")")),
        }
    }

    fn db_method(&mut self, method: &str, args: Vec<Value>, span: Span) -> Result<Value, RuntimeError> {
        if method != "getCollection" {
            self.refuse_browser_access(&format!("db.{method}(...)"), span)?;
        }
        let args = self.data_list(args, span)?;
        match method {
            "getCollection" | "createCollection" => match args.first() {
                Some(Bson::String(name)) => {
                    crate::engine::database::validate_collection_name(name)
                        .map_err(|e| RuntimeError::server(span, e))?;
                    if method == "createCollection" {
                        let call = DriverCall::new(name.clone(), DriverMethod::CreateCollection, Vec::new());
                        return self.run_driver_call(call, None, None, span).map(Value::Data);
                    }
                    Ok(Value::Collection(name.clone()))
                }
                other => Err(RuntimeError::script(
                    "MongoshInvalidInputError",
                    span,
                    format!(
                        "[COMMON-10001] Argument at position 0 must be of type string, got {} instead (Database.{method})",
                        match other {
                            Some(Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_)) => "number",
                            Some(Bson::Boolean(_)) => "boolean",
                            None | Some(Bson::Undefined) => "undefined",
                            Some(_) => "object",
                        }
                    ),
                )
                .with_hint(format!("db.{method}(\"users\") takes the collection's name in quotes."))),
            },
            "getName" => Ok(Value::Data(Bson::String(self.database.clone()))),
            "getCollectionNames" => Ok(Value::Data(Bson::Array(
                self.cluster
                    .database(&self.database)
                    .map(|db| db.collection_names().into_iter().map(Bson::String).collect())
                    .unwrap_or_default(),
            ))),
            "dropDatabase" => {
                let call = DriverCall::new(String::new(), DriverMethod::DropDatabase, Vec::new());
                self.run_driver_call(call, None, None, span).map(Value::Data)
            }
            other => Err(unknown_method(
                "db",
                other,
                &["getCollection", "getName", "getCollectionNames", "createCollection", "dropDatabase"],
                span,
            )
            .with_hint(format!(
                "To reach a collection named {other}, write db.{other} or db.getCollection(\"{other}\")."
            ))),
        }
    }

    fn mongoose_method(
        &mut self,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        let schema_span = self.arg_spans.get(1).copied().unwrap_or(span);
        match method {
            "model" => {
                let mut args = args.into_iter();
                let (Some(name_value), schema_value) = (args.next(), args.next()) else {
                    return Err(RuntimeError::type_error(span, "mongoose.model needs a name and a schema"));
                };
                let Value::Data(Bson::String(name)) = self.settle(name_value, span)? else {
                    return Err(RuntimeError::type_error(span, "the model name must be a string, e.g. \"User\""));
                };
                let schema = match schema_value {
                    Some(value) => match value {
                        Value::Schema(schema) => schema,
                        value @ (Value::Object(_) | Value::Data(Bson::Document(_))) => {
                            let Bson::Document(definition) = self.data(value, span)? else {
                                return Err(RuntimeError::type_error(span, "mongoose.model needs a schema"));
                            };
                            Rc::new(SchemaValue::new(definition, Document::new(), Vec::new()))
                        }
                        other => {
                            return Err(RuntimeError::type_error(
                                schema_span,
                                format!(
                                    "mongoose.model(\"{name}\", …) needs a schema, but this is {}",
                                    other.describe()
                                ),
                            ))
                        }
                    },
                    None => match self.models.get(&name) {
                        Some(_) => return Ok(Value::Model(name)),
                        None => {
                            return Err(RuntimeError::script(
                                "MissingSchemaError",
                                span,
                                format!(
                                "Schema hasn't been registered for model \"{name}\".\nUse mongoose.model(name, schema)"
                            ),
                            ))
                        }
                    },
                };
                let database = self.database.clone();
                let schemaless = self.mode == Mode::Schemaless;
                let report = models::register(
                    &mut self.cluster,
                    &mut self.models,
                    schemaless,
                    (&name, &schema),
                    &database,
                    span,
                )?;
                if let Some(report) = report {
                    self.calls.push(report);
                }
                Ok(Value::Model(name))
            }
            "connect" | "set" | "disconnect" => {
                self.data_list(args, span)?;
                Ok(Value::undefined())
            }
            "Schema" => self.new_schema(args, span),
            other => Err(unknown_method("mongoose", other, &["model", "Schema", "connect"], method_span)),
        }
    }

    fn new_schema(&mut self, args: Vec<Value>, span: Span) -> Result<Value, RuntimeError> {
        let mut settled = Vec::with_capacity(args.len());
        let mut functions = Vec::new();
        for value in args {
            let value = self.settle(value, span)?;
            settled.push(schema_definition(&value, &mut functions, span, 0).map(literal::driver_form)?);
        }
        let args = settled;
        let definition = match args.first() {
            Some(Bson::Document(doc)) => doc.clone(),
            None => Document::new(),
            Some(other) => {
                return Err(RuntimeError::type_error(
                    span,
                    format!(
                        "new mongoose.Schema(…) needs an object describing the fields, not {}",
                        crate::engine::value::type_name(other)
                    ),
                ))
            }
        };
        let options = match args.get(1) {
            Some(Bson::Document(doc)) => doc.clone(),
            _ => Document::new(),
        };
        crate::schema::Schema::new(&definition, &options).map_err(|e| {
            RuntimeError::script(e.name, span, e.message.clone())
                .with_hint("Check the field types and options of the schema.")
        })?;
        Ok(Value::Schema(Rc::new(SchemaValue::new(definition, options, functions))))
    }

    /// A call of `require`, `parseInt` ... held as a value.
    pub(super) fn global_builtin(&mut self, name: &str, args: &[Value], span: Span) -> Result<Value, RuntimeError> {
        if name == "require" {
            return self.require(args, span);
        }
        if name == "fetch" {
            return self.fetch(args.to_vec(), span);
        }
        self.global_function(name, args, span)
    }

    /// Runs a pending call; a model call's documents become Mongoose documents (unless `.lean()`).
    pub(super) fn run_pending(&mut self, pending: PendingCall, span: Span) -> Result<Value, RuntimeError> {
        match pending {
            PendingCall::Model(call) => {
                // With query middleware the hooks' call ran (and its documents were hydrated for `post`).
                if let Some(result) = self.run_with_query_hooks(call.clone(), span)? {
                    return Ok(result);
                }
                let result = self.execute(PendingCall::Model(call.clone()), span)?;
                self.model_result(&call, result, span)
            }
            driver => self.execute(driver, span).map(Value::Data),
        }
    }

    /// Runs a pending call in this world, translating it when it was written for the other world.
    pub(super) fn execute(&mut self, pending: PendingCall, span: Span) -> Result<Bson, RuntimeError> {
        // A database call does far more work than a statement: it costs more steps, so an endless loop that
        // writes stops after a few thousand writes (all undone), not hundreds of thousands.
        for _ in 0..super::interpreter::STEPS_PER_DATABASE_CALL {
            self.tick(span)?;
        }
        match (pending, self.mode) {
            (PendingCall::Driver(call), Mode::Mongoose) => {
                let model = models::model_for_collection(&self.models, &call.collection);
                let mirror = model.as_ref().and_then(|model| models::driver_to_model(model, &call).ok());
                match mirror {
                    Some(model_call) => self.run_model(model_call, Some(Call::Driver(call)), span),
                    None => {
                        let note = match model {
                            Some(model) => format!(
                                "Mongoose models have no {}(); like {model}.collection.{}(...), this went to the database without the schema.",
                                call.method, call.method
                            ),
                            None => format!(
                                "No model uses the collection `{}`, so this call went to the database without a schema.",
                                call.collection
                            ),
                        };
                        let note = self.missing_collection_note(&call).unwrap_or(note);
                        self.run_driver_call(call, None, Some(note), span)
                    }
                }
            }
            (PendingCall::Driver(call), _) => {
                let note = self.missing_collection_note(&call);
                self.run_driver_call(call, None, note, span)
            }
            (PendingCall::Model(call), Mode::Schemaless) => {
                let equivalent = models::model_to_driver(&self.models, &call)
                    .map_err(|message| RuntimeError::type_error(span, message))?;
                let mut note = call
                    .has_step(QueryMethod::Populate)
                    .then(|| format!("The driver has no populate: {}'s references stay ObjectIds here.", call.model));
                let creates = matches!(call.method, ModelMethod::Create | ModelMethod::InsertMany)
                    || (call.method == ModelMethod::Save && matches!(call.args.get(1), Some(Bson::Null) | None));
                let as_array =
                    call.method == ModelMethod::InsertMany || equivalent.call.method == DriverMethod::InsertMany;
                let outcome = driver::run(&mut self.cluster, &self.database, &equivalent.call);
                // The driver adds `_id` to the documents it is given, so `const ada = await User.create({...})`
                // goes on holding the stored document, `ada._id` included.
                let inserted: Vec<Bson> = outcome
                    .changes
                    .entries
                    .iter()
                    .filter_map(|(_, _, change)| match change {
                        crate::engine::changes::Change::Inserted { doc, .. } => Some(Bson::Document((**doc).clone())),
                        _ => None,
                    })
                    .collect();
                if creates {
                    if let Some(Ok(result)) = &outcome.result {
                        note = Some(format!(
                            "The driver answered {}; the document you passed now carries its _id, as the driver adds it.",
                            format_inline(result)
                        ));
                    }
                }
                let value = self.record_driver_call(equivalent.call, outcome, Some(Call::Model(call)), note, span)?;
                Ok(match (creates, as_array) {
                    (true, true) => Bson::Array(inserted),
                    (true, false) => inserted.into_iter().next().unwrap_or(Bson::Null),
                    _ if equivalent.first_only => match value {
                        Bson::Array(items) => items.into_iter().next().unwrap_or(Bson::Null),
                        other => other,
                    },
                    _ => value,
                })
            }
            (PendingCall::Model(call), _) => self.run_model(call, None, span),
        }
    }

    /// A read of a collection that does not exist: the note saying so (reading never creates one).
    fn missing_collection_note(&self, call: &DriverCall) -> Option<String> {
        let (database, collection) = (&self.database, &call.collection);
        let existing = self.cluster.database(database).map(|db| db.collection_names()).unwrap_or_default();
        if !call.method.reads_documents() || existing.contains(collection) {
            return None;
        }
        let near = crate::shell::nearest(collection, &existing.iter().map(String::as_str).collect::<Vec<_>>())
            .map(|n| format!(" Did you mean `{n}`?"))
            .unwrap_or_default();
        Some(if existing.is_empty() {
            format!("The database `{database}` has no collection `{collection}` yet (reading never creates one).")
        } else {
            format!("The database `{database}` has no collection `{collection}`; it has {}.{near}", existing.join(", "))
        })
    }

    /// Runs a model call through the Mongoose path and records its report.
    fn run_model(&mut self, call: ModelCall, translated_from: Option<Call>, span: Span) -> Result<Bson, RuntimeError> {
        let mut functions = self.update_required_answers(&call, span)?;
        functions.setters = self.query_setter_answers(&call, span)?;
        functions.defaults = self.update_default_answers(&call, &functions.setters, span)?;
        let (replacement, virtual_steps) = match self.replacement_construction(&call, span)? {
            Some((replacement, steps)) => (Some(replacement), steps),
            None => (None, Vec::new()),
        };
        let world = ModelWorld {
            cluster: &mut self.cluster,
            models: &self.models,
            database: &self.database,
            functions,
            replacement,
        };
        let (report, result) = run_model_call(world, call, translated_from, span);
        self.calls.extend(report);
        self.add_virtual_steps(virtual_steps);
        result
    }

    /// `replaceOne` / `findOneAndReplace` cast the replacement as `new Model(replacement, null, { skipId: true })`
    /// (lib/query.js): on a schema with functions of the program, its virtuals' setters, `set` functions (`this`
    /// the document being built) and default functions run as the constructor runs them, on the replacement
    /// Mongoose prepared (`prepared_replacement`, with the `now` the call reads). `None` when there is nothing
    /// of the program to run.
    fn replacement_construction(
        &mut self,
        call: &ModelCall,
        span: Span,
    ) -> Result<Option<(super::mongoose_calls::Replacement, Vec<crate::schema::TraceStep>)>, RuntimeError> {
        if !matches!(call.method, ModelMethod::ReplaceOne | ModelMethod::FindOneAndReplace) {
            return Ok(None);
        }
        let Some(entry) = self.models.get(&call.model).cloned() else { return Ok(None) };
        let has_virtual_setters = entry.schema.virtuals.borrow().iter().any(|virtual_type| virtual_type.set.is_some());
        let Some(Bson::Document(replacement)) = call.args.get(1) else { return Ok(None) };
        if entry.schema.functions.is_empty() && !has_virtual_setters {
            return Ok(None);
        }
        let options = call.args.get(2).and_then(Bson::as_document).cloned().unwrap_or_default();
        let now = self.cluster.generator.clone().now();
        let model = super::mongoose_calls::replacement_model(&entry.model, call.method, &options);
        let (prepared, added) =
            super::mongoose_calls::prepared_replacement(&model, call.method, replacement, &options, now);
        let built = self.construction(&entry, &model, Bson::Document(prepared), true, span)?;
        let document = built.input.as_document().cloned().unwrap_or_default();
        let replacement = super::mongoose_calls::Replacement { document, added, functions: built.functions };
        Ok(Some((replacement, built.virtual_steps)))
    }

    /// The answers of the schema's `required` functions for an update's validators: Mongoose calls each with `this`
    /// the query (lib/helpers/updateValidators.js passes the query as the validators' context), so
    /// `function () { return this.role === "admin" }` reads `role` of the query, finds nothing and answers false —
    /// surprising, but that is Mongoose 9.
    fn update_required_answers(
        &mut self,
        call: &ModelCall,
        span: Span,
    ) -> Result<crate::schema::functions::FunctionResults, RuntimeError> {
        use crate::schema::functions::{required_functions, FunctionResults};
        let (event, filter_index) = match call.method {
            ModelMethod::UpdateOne => ("updateOne", Some(0)),
            ModelMethod::UpdateMany => ("updateMany", Some(0)),
            ModelMethod::FindOneAndUpdate => ("findOneAndUpdate", Some(0)),
            ModelMethod::FindByIdAndUpdate => ("findOneAndUpdate", None),
            _ => return Ok(FunctionResults::default()),
        };
        let Some(entry) = self.models.get(&call.model).cloned() else { return Ok(FunctionResults::default()) };
        let wanted = required_functions(&entry.model.schema);
        if wanted.is_empty() {
            return Ok(FunctionResults::default());
        }
        let as_document = |value: Option<&Bson>| value.and_then(Bson::as_document).cloned().unwrap_or_default();
        let filter = match filter_index {
            Some(index) => as_document(call.args.get(index)),
            None => bson::doc! { "_id": call.args.first().cloned().unwrap_or(Bson::Null) },
        };
        let query = super::value::QueryRef(std::rc::Rc::new(std::cell::RefCell::new(super::value::QueryState {
            model: call.model.clone(),
            op: event.to_string(),
            filter,
            update: Some(as_document(call.args.get(1))),
            properties: Vec::new(),
        })));
        let mut required = Vec::new();
        for (path, id) in wanted {
            let Some(function) = entry.schema.functions.get(id).cloned() else { continue };
            let answer = self.call_value(&function, Value::Query(query.clone()), Vec::new(), span)?;
            required.push((path, operators::truthy(&answer)));
        }
        Ok(FunctionResults { required, ..FunctionResults::default() })
    }

    /// The answers of the `set` functions a query's filter and update casts reach: Mongoose 9 runs every setter
    /// on filter values (`castForQuery` → `applySetters`, except the operators whose handlers only cast, such as a
    /// Number's `$gt`) and on update values (castUpdate.js), with `this` the query.
    fn query_setter_answers(
        &mut self,
        call: &ModelCall,
        span: Span,
    ) -> Result<Vec<(crate::schema::functions::SetterCall, Bson)>, RuntimeError> {
        let Some(entry) = self.models.get(&call.model).cloned() else { return Ok(Vec::new()) };
        if !entry.model.schema.has_setter_functions() {
            return Ok(Vec::new());
        }
        let calls = super::mongoose_calls::query_setter_calls(&entry, call);
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let as_document = |value: Option<Bson>| value.and_then(|v| v.as_document().cloned()).unwrap_or_default();
        let (filter, update) = super::mongoose_calls::query_parts(call);
        let update = update.map(|update| as_document(Some(update)));
        let query = super::value::QueryRef(std::rc::Rc::new(std::cell::RefCell::new(super::value::QueryState {
            model: call.model.clone(),
            op: call.method.to_string(),
            filter: as_document(filter),
            update,
            properties: Vec::new(),
        })));
        self.setter_answers(&call.model, calls, Value::Query(query), span)
    }

    /// The values of the default functions inside the subdocuments an update builds: castUpdate casts a `$push`ed
    /// element, a `$set` array of subdocuments or a single nested one through the path's caster, whose constructor
    /// applies the subdocument's defaults, functions of the program among them (`this` the subdocument).
    fn update_default_answers(
        &mut self,
        call: &ModelCall,
        setters: &[(crate::schema::functions::SetterCall, Bson)],
        span: Span,
    ) -> Result<Document, RuntimeError> {
        let updates = matches!(
            call.method,
            ModelMethod::UpdateOne
                | ModelMethod::UpdateMany
                | ModelMethod::FindOneAndUpdate
                | ModelMethod::FindByIdAndUpdate
        );
        let Some(entry) = self.models.get(&call.model).cloned() else { return Ok(Document::new()) };
        if !updates || !crate::schema::functions::has_function_defaults(&entry.model.schema) {
            return Ok(Document::new());
        }
        // A default's value can be a subdocument with default functions of its own (`box: { type: boxSchema,
        // default: () => ({}) }`): the cast is observed again with the values known until none is missing.
        let mut defaults = Document::new();
        loop {
            self.tick(span)?;
            let generator = self.cluster.generator.clone();
            let observation =
                super::mongoose_calls::observe_update_defaults(&entry, call, setters, &defaults, generator);
            if observation.pending_defaults.is_empty() {
                return Ok(defaults);
            }
            let found = self.update_function_defaults(&call.model, observation, span)?;
            if found.is_empty() {
                return Ok(defaults);
            }
            defaults.extend(found);
        }
    }

    /// MongoDB's TTL monitor (it runs every 60 seconds on a server; here once before each Run): every document a
    /// TTL index says has expired is removed with a `deleteMany` the pane shows, with a note saying why. Nothing
    /// is read from the clock unless some collection has a TTL index. `None` when nothing expired.
    pub fn run_ttl_monitor(&mut self) -> Option<StatementReport> {
        if !driver::has_ttl_indexes(&self.cluster) {
            return None;
        }
        let now = self.cluster.generator.now();
        let expired = driver::ttl_expired(&self.cluster, now);
        if expired.is_empty() {
            return None;
        }
        self.calls.clear();
        let database = self.database.clone();
        for expiry in expired {
            self.database = expiry.database.clone();
            let count = expiry.ids.len();
            let note = format!(
                "TTL monitor removed {count} document(s) from db.{} (expireAfterSeconds {}): their `{}` is more than that many seconds in the past.",
                expiry.collection,
                format_inline(&expiry.expire_after_seconds),
                expiry.field
            );
            let filter = bson::doc! { "_id": { "$in": expiry.ids } };
            let call =
                DriverCall::new(expiry.collection.clone(), DriverMethod::DeleteMany, vec![Bson::Document(filter)]);
            let _ = self.run_driver_call(call, None, Some(note), Span::default());
        }
        self.database = database;
        Some(StatementReport {
            span: Span::default(),
            text: TTL_MONITOR.to_string(),
            value: None,
            printed: None,
            console: Vec::new(),
            error: None,
            calls: std::mem::take(&mut self.calls),
            more: false,
            requests: Vec::new(),
        })
    }

    /// Runs a driver call as written and records its report.
    fn run_driver_call(
        &mut self,
        call: DriverCall,
        translated_from: Option<Call>,
        note: Option<String>,
        span: Span,
    ) -> Result<Bson, RuntimeError> {
        let outcome = driver::run(&mut self.cluster, &self.database, &call);
        self.record_driver_call(call, outcome, translated_from, note, span)
    }

    fn record_driver_call(
        &mut self,
        call: DriverCall,
        outcome: driver::DriverOutcome,
        translated_from: Option<Call>,
        note: Option<String>,
        span: Span,
    ) -> Result<Bson, RuntimeError> {
        let sent = outcome.sent.unwrap_or_else(|| call.clone());
        // What ran is what reached the database: the driver's form, with the `_id`s it added.
        let namespace = (self.database.clone(), call.collection.clone());
        let mut report = CallReport::new(Call::Driver(sent.clone()), namespace);
        report.translated_from = translated_from;
        report.note = note;
        report.record_sent(sent, outcome.changes);
        report.pipeline = outcome.pipeline;
        self.calls.push(report);
        match outcome.result {
            Some(Ok(value)) => Ok(value),
            Some(Err(error)) => Err(error.at(span)),
            None => Ok(Bson::Null),
        }
    }

    /// Changes a declared model's `strict` option and its `runValidators` default, rebuilding its schema.
    pub fn set_model_options(&mut self, model: &str, strict: Bson, run_validators: bool) -> Result<(), String> {
        let entry = self.models.get_mut(model).ok_or_else(|| format!("{model} is not a model"))?;
        let mut options = entry.schema.options.clone();
        options.insert("strict", strict);
        let schema = crate::schema::Schema::new(&entry.schema.definition, &options).map_err(|e| e.message)?;
        let virtuals = std::mem::take(&mut entry.model.schema.virtuals);
        entry.model = crate::schema::Model::new(model, schema);
        entry.model.schema.virtuals = virtuals;
        // The program's methods, statics, virtuals and middleware stay attached.
        let mut value = (*entry.schema).clone();
        value.options = options;
        entry.schema = Rc::new(value);
        entry.run_validators = run_validators;
        Ok(())
    }
}

enum Printed {
    Value(Bson),
    Text(String),
}

/// Resolves names inside constant literals from the scope, and `mongoose.Schema.Types.ObjectId`.
struct ScopeResolver<'a> {
    scope: &'a ScopeRef,
    /// The program text, for error locations.
    source: &'a str,
    generator: RefCell<&'a mut Generator>,
}

impl Resolver for ScopeResolver<'_> {
    fn resolve_name(&self, name: &str) -> Option<Bson> {
        match self.scope.lookup(name) {
            Some(value) => operators::to_bson(&value, Functions::Skip, Span::default()).ok(),
            None => Global::from_name(name).map(|global| Bson::String(global.name().to_string())),
        }
    }

    fn resolve_expression(&self, expr: &Expr) -> Option<Result<Bson, ParseError>> {
        let _ = self.source;
        let path = expr.dotted_path()?;
        let root = path.first()?;
        let is_mongoose = match self.scope.lookup(root) {
            Some(Value::SchemaTypes | Value::SchemaClass | Value::Mongoose) => true,
            None => *root == "mongoose",
            Some(_) => false,
        };
        if is_mongoose && path.len() > 1 && path.contains(&"Types") {
            return path.last().map(|t| Ok(Bson::String((*t).to_string())));
        }
        None
    }

    fn now(&self) -> DateTime {
        self.generator.borrow_mut().now()
    }

    fn new_object_id(&self) -> ObjectId {
        self.generator.borrow_mut().object_id()
    }
}

/// How a deprecated call's arguments become its modern method and arguments.
type Modernize = fn(Vec<Bson>) -> (DriverMethod, Vec<Bson>);

/// mongosh's deprecated collection methods: the warning mongosh prints, and the modern call to run instead.
fn deprecated_alias(method: &str) -> Option<(&'static str, Modernize)> {
    Some(match method {
        "insert" => ("Collection.insert() is deprecated. Use insertOne, insertMany, or bulkWrite.", |mut args| {
            if let Some(Bson::Document(doc)) = args.first().cloned() {
                args[0] = Bson::Array(vec![Bson::Document(doc)]);
            }
            (DriverMethod::InsertMany, args)
        }),
        "count" => ("Collection.count() is deprecated. Use countDocuments or estimatedDocumentCount.", |args| {
            (DriverMethod::CountDocuments, args)
        }),
        "remove" => (
            "Collection.remove() is deprecated. Use deleteOne, deleteMany, findOneAndDelete, or bulkWrite.",
            |mut args| {
                let just_one = match args.get(1) {
                    Some(Bson::Boolean(b)) => *b,
                    Some(Bson::Document(options)) => matches!(options.get("justOne"), Some(Bson::Boolean(true))),
                    _ => false,
                };
                args.truncate(1);
                (if just_one { DriverMethod::DeleteOne } else { DriverMethod::DeleteMany }, args)
            },
        ),
        "update" => {
            ("Collection.update() is deprecated. Use updateOne, updateMany, or bulkWrite.", |mut args| {
                let multi = matches!(args.get(2), Some(Bson::Document(o)) if matches!(o.get("multi"), Some(Bson::Boolean(true))));
                if let Some(Bson::Document(options)) = args.get_mut(2) {
                    options.remove("multi");
                }
                let replacement = matches!(args.get(1), Some(Bson::Document(u)) if u.keys().next().is_some_and(|k| !k.starts_with('$')));
                let method = if replacement {
                    DriverMethod::ReplaceOne
                } else if multi {
                    DriverMethod::UpdateMany
                } else {
                    DriverMethod::UpdateOne
                };
                (method, args)
            })
        }
        _ => return None,
    })
}

/// Constructors the shell evaluates as literals (`new Date()`, `new ObjectId()`, ...).
fn is_constant_constructor(name: &str) -> bool {
    matches!(
        name,
        "Date"
            | "ObjectId"
            | "ISODate"
            | "NumberInt"
            | "NumberLong"
            | "NumberDecimal"
            | "RegExp"
            | "Timestamp"
            | "Decimal128"
            | "Int32"
            | "Long"
            | "Double"
            | "BinData"
            | "UUID"
    )
}

pub(super) fn unknown_method(receiver: &str, method: &str, known: &[&str], span: Span) -> RuntimeError {
    let error = RuntimeError::type_error(span, format!("{receiver}.{method} is not a function"));
    match crate::shell::nearest(method, known) {
        Some(near) => error.with_hint(format!("Did you mean `{near}`?")),
        None => error.with_hint(format!("Available here: {}.", known.join(", "))),
    }
}

/// A schema definition as data: each function in it (`validate: v => …`, `default: () => …`) is kept aside and
/// named by a marker the schema layer knows; `default: Date.now` stays the schema layer's own.
fn schema_definition(
    value: &Value,
    functions: &mut Vec<Value>,
    span: Span,
    depth: usize,
) -> Result<Bson, RuntimeError> {
    if depth > 150 {
        return Err(RuntimeError::type_error(
            span,
            "this schema definition is nested too deeply (more than 150 levels)",
        ));
    }
    match value {
        Value::Object(object) => {
            let properties = object.0.borrow().properties.clone();
            let mut document = Document::new();
            for (key, item) in &properties {
                document.insert(key.clone(), schema_definition(item, functions, span, depth + 1)?);
            }
            Ok(Bson::Document(document))
        }
        Value::Array(items) => {
            let items = items.0.borrow().clone();
            let converted: Result<Vec<Bson>, RuntimeError> =
                items.iter().map(|item| schema_definition(item, functions, span, depth + 1)).collect();
            Ok(Bson::Array(converted?))
        }
        Value::Builtin(builtin) if matches!(builtin.as_ref(), Builtin::Static(Global::Date, name) if name == "now") => {
            Ok(Bson::JavaScriptCode("Date.now".to_string()))
        }
        Value::Function(_) | Value::Builtin(_) => {
            functions.push(value.clone());
            Ok(crate::schema::functions::function_marker(functions.len() - 1))
        }
        // A schema used inside another (`stats: statsSchema`, `posts: [postSchema]`): its definition and options
        // travel together under keys no path name can have; its functions are numbered after the outer ones.
        Value::Schema(inner) => {
            let has_own_functions = !inner.hooks.borrow().is_empty()
                || !inner.virtuals.borrow().is_empty()
                || !inner.methods.0.borrow().properties.is_empty();
            if has_own_functions {
                return Err(RuntimeError::type_error(
                    span,
                    "crudlab does not run the middleware, virtuals or methods of a schema used inside another schema",
                )
                .with_hint("Declare hooks, virtuals and methods on the top-level schema, or use plain fields here."));
            }
            let offset = functions.len();
            functions.extend(inner.functions.iter().cloned());
            let mut embedded = Document::new();
            embedded.insert(
                crate::schema::definition::EMBEDDED_SCHEMA_KEY,
                crate::schema::functions::shift_function_markers(&Bson::Document(inner.definition.clone()), offset),
            );
            embedded.insert(crate::schema::definition::EMBEDDED_OPTIONS_KEY, Bson::Document(inner.options.clone()));
            Ok(Bson::Document(embedded))
        }
        other => operators::to_bson(other, Functions::Skip, span),
    }
}

/// bson's error for an ObjectId made from something that is not one.
fn invalid_object_id(span: Span) -> RuntimeError {
    RuntimeError::script(
        "BSONError",
        span,
        "input must be a 24 character hex string, 12 byte Uint8Array, or an integer",
    )
}

/// Whether a value can be called.
pub(super) fn is_callable(value: &Value) -> bool {
    match value {
        Value::Function(_) | Value::Builtin(_) | Value::Express | Value::ExpressNext(_) => true,
        Value::Global(global) => global.is_callable(),
        _ => false,
    }
}
