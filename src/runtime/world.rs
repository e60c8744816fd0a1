//! A world: one cluster, the current database, the program's bindings and models, and the interpreter that runs
//! statements in it. The same statement runs in a schemaless world (model calls become driver calls) and in a
//! Mongoose world (driver calls on modelled collections become model calls): that is the side-by-side view.

use super::calls::{Call, ChainEffect, CursorMethod, DriverCall, DriverMethod, ModelCall, ModelMethod, QueryMethod};
use super::driver;
use super::error::RuntimeError;
use super::models::{self, Models};
use super::mongoose_calls::{run_model_call, ModelWorld};
use super::report::{CallReport, StatementReport, BATCH_SIZE};
use super::value::{PendingCall, SchemaValue, Value};
use crate::engine::database::Cluster;
use crate::engine::generator::Generator;
use crate::js::mongosh_format::{format_inline, format_value};
use crate::shell::ast::{
    BinaryOp, DeclKind, Expr, ExprKind, Function, FunctionBody, Pattern, ShellCommandKind, Stmt, StmtKind, UnaryOp,
};
use crate::shell::error::ParseError;
use crate::shell::literal::{self, Resolver};
use crate::shell::span::Span;
use bson::oid::ObjectId;
use bson::{Bson, DateTime, Document};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// How a world treats calls written for the other world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every call runs as written (the CLI without `--mirror`).
    Natural,
    /// The raw MongoDB driver: model calls run as their driver equivalents, no schema is applied.
    Schemaless,
    /// Mongoose: driver calls on a collection that has a model run as that model's calls.
    Mongoose,
}

/// How deeply declared functions may call each other before we stop (no stack overflow on recursion).
const MAX_CALL_DEPTH: usize = 64;

/// What running a statement inside a function body leads to.
enum Flow {
    Next(Value),
    Return(Value),
}

/// A world and its interpreter.
pub struct World {
    pub mode: Mode,
    pub cluster: Cluster,
    /// The current database (`use shop` switches; mongosh starts in `test`).
    pub database: String,
    bindings: HashMap<String, Value>,
    /// Models declared by the program, by name.
    pub models: Models,
    /// Per statement: console lines and calls made so far.
    console: Vec<String>,
    calls: Vec<CallReport>,
    call_depth: usize,
    /// The rest of the last long result, for `it`: the documents and how many were shown.
    cursor: Option<(Vec<Bson>, usize)>,
    /// Set while the editor plays the browser of a lesson's web app: database calls are refused unless they come
    /// from a function the program declared (the server's code).
    server_only: bool,
}

impl World {
    pub fn new(mode: Mode, generator: Generator) -> Self {
        Self {
            mode,
            cluster: Cluster::new(generator),
            database: "test".to_string(),
            bindings: HashMap::new(),
            models: BTreeMap::new(),
            console: Vec::new(),
            calls: Vec::new(),
            call_depth: 0,
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
             is asking. Call a server function (like getFeed(req)), or flip \"Browser → database\" to \"directly\" to \
             see what would happen if it could.",
        ))
    }

    /// Binds a name to plain data, as a lesson binds `req` for a simulated Express request.
    pub fn bind_data(&mut self, name: &str, value: Bson) {
        self.bindings.insert(name.to_string(), Value::Data(value));
    }

    /// Forgets a binding (a lesson check's `lastResult` once the check ran).
    pub fn unbind(&mut self, name: &str) {
        self.bindings.remove(name);
    }

    /// The names currently bound (for completion and "did you mean").
    pub fn binding_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.bindings.keys().cloned().collect();
        names.sort();
        names
    }

    /// The value bound to a name, if any.
    pub fn binding(&self, name: &str) -> Option<&Value> {
        self.bindings.get(name)
    }

    /// Parses and runs a whole script; a parse error stops everything before anything runs.
    ///
    /// For code run aside from what the student typed (lesson checks, explain): the cursor of the student's last
    /// long result is kept, so `it` still shows its next batch afterwards.
    pub fn run_source(&mut self, source: &str) -> Result<Vec<StatementReport>, ParseError> {
        let program = crate::shell::parser::parse(source)?;
        let cursor = self.cursor.take();
        let reports = program.statements.iter().map(|stmt| self.run_statement(source, stmt)).collect();
        self.cursor = cursor;
        Ok(reports)
    }

    /// Runs one top-level statement and reports what it did. Errors are reported, never thrown further.
    pub fn run_statement(&mut self, source: &str, stmt: &Stmt) -> StatementReport {
        let _running = super::running::running(source.get(stmt.span.start..stmt.span.end).unwrap_or_default());
        #[cfg(feature = "crash-test")]
        if source.get(stmt.span.start..stmt.span.end) == Some("crashForTest()") {
            panic!("a deliberate crash (the crash-test feature, never in the published build)");
        }
        self.console.clear();
        self.calls.clear();
        self.call_depth = 0;
        let mut report = StatementReport {
            span: stmt.span,
            text: source.get(stmt.span.start..stmt.span.end).unwrap_or_default().to_string(),
            value: None,
            printed: None,
            console: Vec::new(),
            error: None,
            calls: Vec::new(),
            more: false,
        };
        // mongosh's `it`: the next batch of the last long result (unless the program bound a variable `it`).
        let is_it = matches!(&stmt.kind, StmtKind::Expression(expr) if matches!(&expr.kind, ExprKind::Ident(name) if name == "it"))
            && !self.bindings.contains_key("it");
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
            Err(error) => report.error = Some(error),
        }
        report.console = std::mem::take(&mut self.console);
        report.calls = std::mem::take(&mut self.calls);
        if let Some(Bson::Array(items)) = &report.value {
            if items.len() > BATCH_SIZE {
                report.more = true;
                self.cursor = Some((items.clone(), BATCH_SIZE));
            }
        }
        report
    }

    fn top_statement(&mut self, source: &str, stmt: &Stmt) -> Result<Option<Printed>, RuntimeError> {
        match &stmt.kind {
            StmtKind::ShellCommand { command: ShellCommandKind::Use, argument } => {
                crate::engine::database::validate_database_name(&argument.name)
                    .map_err(|e| RuntimeError::server(argument.span, e))?;
                self.database = argument.name.clone();
                Ok(Some(Printed::Text(format!("switched to db {}", argument.name))))
            }
            StmtKind::ShellCommand { command: ShellCommandKind::Show, argument } => {
                self.refuse_browser_access(&format!("show {}", argument.name), stmt.span)?;
                self.show(&argument.name, argument.span).map(|text| Some(Printed::Text(text)))
            }
            StmtKind::Expression(expr) => {
                let value = self.eval(source, expr)?;
                let value = self.settle(value, expr.span)?;
                Ok(match value {
                    Value::Data(Bson::Undefined) => None,
                    Value::Data(data) => Some(Printed::Value(data)),
                    Value::Collection(name) => Some(Printed::Text(format!("{}.{name}", self.database))),
                    Value::Db => Some(Printed::Text(self.database.clone())),
                    Value::Model(name) => Some(Printed::Text(format!("Model {{ {name} }}"))),
                    Value::Schema(_) => Some(Printed::Text("Schema {}".to_string())),
                    _ => None,
                })
            }
            _ => match self.statement(source, stmt)? {
                Flow::Next(_) | Flow::Return(_) => Ok(None),
            },
        }
    }

    fn show(&self, what: &str, span: Span) -> Result<String, RuntimeError> {
        match what {
            "dbs" | "databases" => Ok(self
                .cluster
                .databases()
                .filter(|db| db.collections().next().is_some())
                .map(|db| {
                    let bytes: usize = db
                        .collections()
                        .flat_map(|c| c.documents())
                        .map(|d| d.to_vec().map(|v| v.len()).unwrap_or(0))
                        .sum();
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

    fn statement(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        match &stmt.kind {
            StmtKind::Declaration { kind, declarators } => {
                for declarator in declarators {
                    let value = match &declarator.init {
                        Some(init) => self.eval(source, init)?,
                        None => Value::Data(Bson::Undefined),
                    };
                    self.bind_pattern(&declarator.target, value, *kind)?;
                }
                Ok(Flow::Next(Value::Data(Bson::Undefined)))
            }
            StmtKind::Expression(expr) => Ok(Flow::Next(self.eval(source, expr)?)),
            StmtKind::Import(import) => {
                if import.source != "mongoose" {
                    return Err(RuntimeError::script(
                        "Error",
                        import.source_span,
                        format!("Cannot find module '{}'", import.source),
                    )
                    .with_hint("crudlab knows one library: import mongoose from \"mongoose\"."));
                }
                for name in import.default.iter().chain(import.namespace.iter()) {
                    self.bindings.insert(name.name.clone(), Value::Mongoose);
                }
                for (imported, local) in &import.named {
                    let value = self.member(Value::Mongoose, &imported.name, imported.span)?;
                    self.bindings.insert(local.name.clone(), value);
                }
                Ok(Flow::Next(Value::Data(Bson::Undefined)))
            }
            StmtKind::ExportDefault(expr) => Ok(Flow::Next(self.eval(source, expr)?)),
            StmtKind::Export(inner) => self.statement(source, inner),
            StmtKind::ShellCommand { .. } => {
                self.top_statement(source, stmt)?;
                Ok(Flow::Next(Value::Data(Bson::Undefined)))
            }
            StmtKind::Block(stmts) => self.block(source, stmts),
            StmtKind::If { test, consequent, alternate } => {
                let test_value = self.eval(source, test)?;
                let test_value = self.settle(test_value, test.span)?;
                if truthy(&test_value) {
                    self.statement(source, consequent)
                } else if let Some(alternate) = alternate {
                    self.statement(source, alternate)
                } else {
                    Ok(Flow::Next(Value::Data(Bson::Undefined)))
                }
            }
            StmtKind::Return(expr) => {
                let value = match expr {
                    Some(expr) => {
                        let value = self.eval(source, expr)?;
                        self.settle(value, expr.span)?
                    }
                    None => Value::Data(Bson::Undefined),
                };
                Ok(Flow::Return(value))
            }
            StmtKind::Throw(expr) => {
                let value = self.eval(source, expr)?;
                let message = match self.settle(value, expr.span)? {
                    Value::Data(Bson::String(s)) => s,
                    Value::Data(other) => format_inline(&other),
                    other => other.describe().to_string(),
                };
                Err(RuntimeError::script("Error", expr.span, message))
            }
            StmtKind::Try { block, catch_param, catch_block, finally_block } => {
                let outcome = self.block(source, block);
                let outcome = match (outcome, catch_block) {
                    (Err(error), Some(catch_block)) => {
                        if let Some(param) = catch_param {
                            self.bindings.insert(param.name.clone(), Value::Data(Bson::Document(error.to_document())));
                        }
                        self.block(source, catch_block)
                    }
                    (other, _) => other,
                };
                if let Some(finally_block) = finally_block {
                    self.block(source, finally_block)?;
                }
                outcome
            }
            StmtKind::Function(function) => {
                if let Some(name) = &function.name {
                    self.bindings.insert(name.name.clone(), Value::Function(Rc::new(function.clone())));
                }
                Ok(Flow::Next(Value::Data(Bson::Undefined)))
            }
            StmtKind::Empty => Ok(Flow::Next(Value::Data(Bson::Undefined))),
        }
    }

    fn block(&mut self, source: &str, stmts: &[Stmt]) -> Result<Flow, RuntimeError> {
        let mut last = Value::Data(Bson::Undefined);
        for stmt in stmts {
            match self.statement(source, stmt)? {
                Flow::Return(value) => return Ok(Flow::Return(value)),
                Flow::Next(value) => {
                    // A statement's pending query runs when the statement ends, as `await` would run it.
                    last = self.settle(value, stmt.span)?;
                }
            }
        }
        Ok(Flow::Next(last))
    }

    fn bind_pattern(&mut self, pattern: &Pattern, value: Value, kind: DeclKind) -> Result<(), RuntimeError> {
        let _ = kind;
        match pattern {
            Pattern::Name(name) => {
                self.bindings.insert(name.name.clone(), value);
            }
            Pattern::Object { fields, .. } => {
                for (field, local) in fields {
                    let value = self.member(value.clone(), &field.name, field.span)?;
                    self.bindings.insert(local.name.clone(), value);
                }
            }
        }
        Ok(())
    }

    /// Runs a pending query; other values pass through.
    fn settle(&mut self, value: Value, span: Span) -> Result<Value, RuntimeError> {
        match value {
            Value::Pending(pending) => self.execute(*pending, span).map(Value::Data),
            other => Ok(other),
        }
    }

    /// The value as data, running it first when it is a pending query.
    fn data(&mut self, value: Value, span: Span) -> Result<Bson, RuntimeError> {
        match self.settle(value, span)? {
            Value::Data(data) => Ok(data),
            Value::Model(name) => {
                Err(RuntimeError::type_error(span, format!("the model {name} is not a value to store"))
                    .with_hint("Pass a document or an id here, not the model itself."))
            }
            other => {
                Err(RuntimeError::type_error(span, format!("{} cannot be used as a value here", other.describe())))
            }
        }
    }

    fn eval(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        match &expr.kind {
            ExprKind::Ident(name) => self.lookup(name, expr.span),
            ExprKind::Member { object, property, .. } => {
                let object = self.eval(source, object)?;
                self.member(object, &property.name, property.span)
            }
            ExprKind::Index { object, index, .. } => {
                let object = self.eval(source, object)?;
                let object = self.data(object, expr.span)?;
                let index = self.eval(source, index)?;
                let index = self.data(index, expr.span)?;
                Ok(Value::Data(index_data(&object, &index)))
            }
            ExprKind::Call { callee, args, .. } => self.call(source, callee, args, expr.span),
            ExprKind::New { callee, args } => {
                let constructor = match &callee.kind {
                    ExprKind::Ident(_) | ExprKind::Member { .. } => self.eval(source, callee).ok(),
                    _ => None,
                };
                match constructor {
                    Some(Value::SchemaClass) => self.new_schema(source, args, expr.span),
                    None if matches!(&callee.kind, ExprKind::Ident(name) if !is_constant_constructor(name)) => {
                        let ExprKind::Ident(name) = &callee.kind else { return self.literal(source, expr) };
                        let error = RuntimeError::reference_error(callee.span, format!("{name} is not defined"));
                        Err(if name == "Schema" {
                            error.with_hint("Schema lives on mongoose: write new mongoose.Schema({ ... }), or first const { Schema } = mongoose.")
                        } else {
                            error.with_hint("Declare it first with `const`.")
                        })
                    }
                    _ => self.literal(source, expr),
                }
            }
            ExprKind::Await(inner) => {
                let value = self.eval(source, inner)?;
                self.settle(value, inner.span)
            }
            ExprKind::Unary { op: UnaryOp::Not, operand } => {
                let value = self.eval(source, operand)?;
                let value = self.settle(value, operand.span)?;
                Ok(Value::Data(Bson::Boolean(!truthy(&value))))
            }
            ExprKind::Binary { op: op @ (BinaryOp::And | BinaryOp::Or | BinaryOp::Nullish), left, right } => {
                let left_value = self.eval(source, left)?;
                let left_value = self.settle(left_value, left.span)?;
                let take_left = match op {
                    BinaryOp::And => !truthy(&left_value),
                    BinaryOp::Or => truthy(&left_value),
                    _ => !matches!(left_value, Value::Data(Bson::Null | Bson::Undefined)),
                };
                if take_left {
                    Ok(left_value)
                } else {
                    let right_value = self.eval(source, right)?;
                    self.settle(right_value, right.span)
                }
            }
            ExprKind::Binary { op, left, right } if is_comparison(*op) => {
                let left_value = self.eval(source, left)?;
                let l = self.data(left_value, left.span)?;
                let right_value = self.eval(source, right)?;
                let r = self.data(right_value, right.span)?;
                Ok(Value::Data(Bson::Boolean(compare_js(*op, &l, &r))))
            }
            ExprKind::Assign { target, value } => {
                let new_value = self.eval(source, value)?;
                match &target.kind {
                    ExprKind::Ident(name) => {
                        self.bindings.insert(name.clone(), new_value.clone());
                        Ok(new_value)
                    }
                    _ => Err(RuntimeError::type_error(target.span, "crudlab can assign to variables only")
                        .with_hint("Build a new document with the change, then save it with an update call.")),
                }
            }
            ExprKind::Function(function) => Ok(Value::Function(Rc::new((**function).clone()))),
            _ => self.literal(source, expr),
        }
    }

    /// Evaluates a constant-like expression (object literals, `ObjectId("…")`, `new Date()` ...) to data.
    fn literal(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let resolver =
            BindingResolver { bindings: &self.bindings, source, generator: RefCell::new(&mut self.cluster.generator) };
        literal::evaluate(expr, source, &resolver).map(Value::Data).map_err(|e| RuntimeError::from_parse(&e))
    }

    fn lookup(&self, name: &str, span: Span) -> Result<Value, RuntimeError> {
        if let Some(value) = self.bindings.get(name) {
            return Ok(value.clone());
        }
        Ok(match name {
            "db" => Value::Db,
            "mongoose" => Value::Mongoose,
            "console" => Value::Console,
            "require" => Value::Require,
            "String" | "Number" | "Boolean" | "Date" | "Buffer" | "Array" | "Object" | "Map" => {
                Value::Data(Bson::String(name.to_string()))
            }
            _ => {
                let mut known: Vec<String> = self.bindings.keys().cloned().collect();
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

    /// `object.property` for every kind of value.
    fn member(&mut self, object: Value, property: &str, span: Span) -> Result<Value, RuntimeError> {
        Ok(match object {
            Value::Db => match property {
                "getCollection" | "getName" | "dropDatabase" | "getCollectionNames" | "createCollection" => {
                    Value::Data(Bson::Undefined)
                }
                name => Value::Collection(name.to_string()),
            },
            Value::Mongoose => match property {
                "Schema" => Value::SchemaClass,
                "Types" => Value::SchemaTypes,
                _ => Value::Data(Bson::Undefined),
            },
            Value::SchemaClass => match property {
                "Types" => Value::SchemaTypes,
                _ => Value::Data(Bson::Undefined),
            },
            Value::SchemaTypes => Value::Data(Bson::String(property.to_string())),
            Value::Console if property == "log" || property == "info" || property == "error" => Value::ConsoleLog,
            Value::Pending(pending) => {
                let value = self.execute(*pending, span)?;
                if matches!(value, Bson::Null | Bson::Undefined) {
                    return Err(RuntimeError::property_of_nothing(span, &value, property));
                }
                Value::Data(member_data(&value, property))
            }
            Value::Data(data @ (Bson::Null | Bson::Undefined)) => {
                return Err(RuntimeError::property_of_nothing(span, &data, property))
            }
            Value::Data(data) => Value::Data(member_data(&data, property)),
            other => {
                return Err(RuntimeError::type_error(
                    span,
                    format!("{} has no property `{property}`", other.describe()),
                ))
            }
        })
    }

    fn args_data(&mut self, source: &str, args: &[Expr]) -> Result<Vec<Bson>, RuntimeError> {
        let mut out = Vec::with_capacity(args.len());
        for arg in args {
            let value = self.eval(source, arg)?;
            out.push(literal::driver_form(self.data(value, arg.span)?));
        }
        Ok(out)
    }

    fn call(&mut self, source: &str, callee: &Expr, args: &[Expr], span: Span) -> Result<Value, RuntimeError> {
        // `Date.now()` and `ObjectId.createFromHexString(…)` are the constant evaluator's, as inside a document,
        // unless the program bound the name itself.
        if let ExprKind::Member { object, .. } = &callee.kind {
            if matches!(&object.kind, ExprKind::Ident(name) if matches!(name.as_str(), "Date" | "ObjectId") && !self.bindings.contains_key(name))
            {
                let call = ExprKind::Call { callee: Box::new(callee.clone()), args: args.to_vec(), optional: false };
                return self.literal(source, &Expr { kind: call, span });
            }
        }
        let (receiver, method, method_span) = match &callee.kind {
            ExprKind::Member { object, property, .. } => {
                (self.eval(source, object)?, property.name.clone(), property.span)
            }
            ExprKind::Ident(name) => match self.bindings.get(name).cloned() {
                Some(Value::Function(function)) => return self.call_function(source, &function, args, span),
                Some(Value::Require) | None if name == "require" => return self.require(source, args, span),
                Some(Value::ConsoleLog) => return self.console_log(source, args),
                Some(Value::Data(_)) | Some(Value::Collection(_)) | Some(Value::Model(_)) => {
                    return Err(RuntimeError::type_error(callee.span, format!("{name} is not a function")))
                }
                _ => {
                    return self.literal(
                        source,
                        &Expr {
                            kind: ExprKind::Call {
                                callee: Box::new(callee.clone()),
                                args: args.to_vec(),
                                optional: false,
                            },
                            span,
                        },
                    )
                }
            },
            _ => return Err(RuntimeError::type_error(callee.span, "this expression is not a function")),
        };
        match receiver {
            Value::Console => self.console_log(source, args),
            Value::Db => self.db_method(source, &method, args, method_span),
            Value::Collection(collection) => {
                // mongosh still accepts the legacy methods, with a deprecation warning: run their modern form.
                let (method, args) = match deprecated_alias(&method) {
                    Some((warning, modernize)) => {
                        self.console.push(format!("DeprecationWarning: {warning}"));
                        modernize(self.args_data(source, args)?)
                    }
                    None => match DriverMethod::from_name(&method).filter(|m| !m.is_database_method()) {
                        Some(known) => (known, self.args_data(source, args)?),
                        None => {
                            return Err(unknown_method(
                                &format!("db.{collection}"),
                                &method,
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
                    .with_hint(
                        if matches!(method, DriverMethod::DeleteOne | DriverMethod::DeleteMany) && missing == 0 {
                            "Say which documents: deleteMany({ ... }). To delete every document, write deleteMany({}) on purpose."
                                .to_string()
                        } else {
                            format!("{method} needs {required} argument(s); see the operator reference.")
                        },
                    ));
                }
                self.refuse_browser_access(&format!("db.{collection}.{method}(...)"), span)?;
                let call = DriverCall::new(collection, method, args);
                if method.returns_cursor() {
                    Ok(Value::Pending(Box::new(PendingCall::Driver(call))))
                } else {
                    self.execute(PendingCall::Driver(call), span).map(Value::Data)
                }
            }
            Value::Pending(pending) => {
                let (effect, pending) = match *pending {
                    PendingCall::Driver(mut call) => {
                        let Some(step) = CursorMethod::from_name(&method) else {
                            let shown = format!("db.{}.{}(...)", call.collection, call.method);
                            return Err(unknown_method(&shown, &method, &CursorMethod::names(), method_span));
                        };
                        if step.effect() != ChainEffect::Run {
                            let step_args = self.args_data(source, args)?;
                            call.chain.push((step, step_args));
                        }
                        (step.effect(), PendingCall::Driver(call))
                    }
                    PendingCall::Model(mut call) => {
                        let Some(step) = QueryMethod::from_name(&method) else {
                            let shown = format!("{}.{}(...)", call.model, call.method);
                            return Err(unknown_method(&shown, &method, &QueryMethod::names(), method_span));
                        };
                        if step.effect() != ChainEffect::Run {
                            let step_args = self.args_data(source, args)?;
                            call.chain.push((step, step_args));
                        }
                        (step.effect(), PendingCall::Model(call))
                    }
                };
                match effect {
                    ChainEffect::Add => Ok(Value::Pending(Box::new(pending))),
                    ChainEffect::Run | ChainEffect::AddAndRun => self.execute(pending, span).map(Value::Data),
                }
            }
            Value::Mongoose => self.mongoose_method(source, &method, args, span, method_span),
            Value::Model(model) => {
                let Some(known) = ModelMethod::from_name(&method) else {
                    let mut error = unknown_method(&model, &method, &ModelMethod::names(), method_span);
                    if method == "update" {
                        error.source = super::error::ErrorSource::RemovedModelMethod;
                        error.hint = Some(format!(
                            "Mongoose 7 removed Model.update(). Use {model}.updateOne() for one document or {model}.updateMany() for all that match."
                        ));
                    }
                    return Err(error);
                };
                self.refuse_browser_access(&format!("{model}.{method}(...)"), span)?;
                let args = self.args_data(source, args)?;
                Ok(Value::Pending(Box::new(PendingCall::Model(ModelCall::new(model, known, args)))))
            }
            Value::Data(data) => {
                Ok(Value::Data(data_method(&data, &method, &self.args_data(source, args)?, method_span)?))
            }
            Value::Function(function) => self.call_function(source, &function, args, span),
            other => {
                Err(RuntimeError::type_error(method_span, format!("{}.{method} is not a function", other.describe())))
            }
        }
    }

    fn console_log(&mut self, source: &str, args: &[Expr]) -> Result<Value, RuntimeError> {
        let mut parts = Vec::new();
        for arg in args {
            let value = self.eval(source, arg)?;
            let value = self.settle(value, arg.span)?;
            parts.push(match value {
                Value::Data(Bson::String(s)) => s,
                Value::Data(other) => format_value(&other),
                other => other.describe().to_string(),
            });
        }
        self.console.push(parts.join(" "));
        Ok(Value::Data(Bson::Undefined))
    }

    fn require(&mut self, source: &str, args: &[Expr], span: Span) -> Result<Value, RuntimeError> {
        match self.args_data(source, args)?.first() {
            Some(Bson::String(name)) if name == "mongoose" => Ok(Value::Mongoose),
            Some(Bson::String(name)) => {
                Err(RuntimeError::script("Error", span, format!("Cannot find module '{name}'"))
                    .with_hint("crudlab knows one library: require(\"mongoose\")."))
            }
            _ => Err(RuntimeError::type_error(span, "require needs a module name, e.g. require(\"mongoose\")")),
        }
    }

    fn call_function(
        &mut self,
        source: &str,
        function: &Function,
        args: &[Expr],
        span: Span,
    ) -> Result<Value, RuntimeError> {
        if self.call_depth >= MAX_CALL_DEPTH {
            return Err(RuntimeError::script("RangeError", span, "Maximum call stack size exceeded"));
        }
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.eval(source, arg)?);
        }
        for (param, value) in
            function.params.iter().zip(values.into_iter().chain(std::iter::repeat(Value::Data(Bson::Undefined))))
        {
            self.bind_pattern(param, value, DeclKind::Let)?;
        }
        self.call_depth += 1;
        let result = match &function.body {
            FunctionBody::Block(stmts) => self.block(source, stmts).map(|flow| match flow {
                Flow::Return(value) => value,
                Flow::Next(_) => Value::Data(Bson::Undefined),
            }),
            FunctionBody::Expression(expr) => self.eval(source, expr),
        };
        self.call_depth -= 1;
        result
    }

    fn db_method(&mut self, source: &str, method: &str, args: &[Expr], span: Span) -> Result<Value, RuntimeError> {
        if method != "getCollection" {
            self.refuse_browser_access(&format!("db.{method}(...)"), span)?;
        }
        let args = self.args_data(source, args)?;
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
        source: &str,
        method: &str,
        args: &[Expr],
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        match method {
            "model" => {
                let (Some(name_expr), schema_expr) = (args.first(), args.get(1)) else {
                    return Err(RuntimeError::type_error(span, "mongoose.model needs a name and a schema"));
                };
                let name_value = self.eval(source, name_expr)?;
                let Value::Data(Bson::String(name)) = self.settle(name_value, name_expr.span)? else {
                    return Err(RuntimeError::type_error(
                        name_expr.span,
                        "the model name must be a string, e.g. \"User\"",
                    ));
                };
                let schema = match schema_expr {
                    Some(expr) => match self.eval(source, expr)? {
                        Value::Schema(schema) => schema,
                        Value::Data(Bson::Document(definition)) => {
                            Rc::new(SchemaValue { definition, options: Document::new() })
                        }
                        other => {
                            return Err(RuntimeError::type_error(
                                expr.span,
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
                self.args_data(source, args)?;
                Ok(Value::Data(Bson::Undefined))
            }
            "Schema" => self.new_schema(source, args, span),
            other => Err(unknown_method("mongoose", other, &["model", "Schema", "connect"], method_span)),
        }
    }

    fn new_schema(&mut self, source: &str, args: &[Expr], span: Span) -> Result<Value, RuntimeError> {
        let args = self.args_data(source, args)?;
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
            RuntimeError::script("TypeError", span, e.message.clone())
                .with_hint("Check the field types and options of the schema.")
        })?;
        Ok(Value::Schema(Rc::new(SchemaValue { definition, options })))
    }

    /// Runs a pending call in this world, translating it when it was written for the other world.
    fn execute(&mut self, pending: PendingCall, span: Span) -> Result<Bson, RuntimeError> {
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
                let creates = matches!(call.method, ModelMethod::Create | ModelMethod::InsertMany);
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
                        crate::engine::changes::Change::Inserted { doc, .. } => Some(Bson::Document(doc.clone())),
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
        let world = ModelWorld { cluster: &mut self.cluster, models: &self.models, database: &self.database };
        let (report, result) = run_model_call(world, call, translated_from, span);
        self.calls.extend(report);
        result
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
        entry.model = crate::schema::Model::new(model, schema);
        entry.schema = Rc::new(SchemaValue { definition: entry.schema.definition.clone(), options });
        entry.run_validators = run_validators;
        Ok(())
    }
}

enum Printed {
    Value(Bson),
    Text(String),
}

/// Resolves names inside literals from the bindings: `req.body.username`, `user._id`, `String`,
/// `mongoose.Schema.Types.ObjectId`.
struct BindingResolver<'a> {
    bindings: &'a HashMap<String, Value>,
    /// The program text, for error locations.
    source: &'a str,
    generator: RefCell<&'a mut Generator>,
}

impl Resolver for BindingResolver<'_> {
    fn resolve_name(&self, name: &str) -> Option<Bson> {
        match self.bindings.get(name) {
            Some(Value::Data(data)) => Some(data.clone()),
            Some(_) => None,
            None => match name {
                "String" | "Number" | "Boolean" | "Date" | "Buffer" | "Array" | "Object" | "Map" => {
                    Some(Bson::String(name.to_string()))
                }
                _ => None,
            },
        }
    }

    fn resolve_expression(&self, expr: &Expr) -> Option<Result<Bson, ParseError>> {
        let path = expr.dotted_path()?;
        let (root, rest) = path.split_first()?;
        match (self.bindings.get(*root), *root) {
            (Some(Value::Data(data)), _) => {
                let mut current = data.clone();
                for part in rest {
                    if matches!(current, Bson::Null | Bson::Undefined) {
                        let nothing = if current == Bson::Null { "null" } else { "undefined" };
                        let mut error = ParseError::new(
                            crate::shell::error::ErrorKind::PropertyOfNothing,
                            self.source,
                            expr.span,
                            format!("Cannot read properties of {nothing} (reading '{part}')"),
                        );
                        error.hint = Some("The value before the `.` is empty: a findOne/findById that found nothing returns null. Check it first, e.g. if (user) { … }.".into());
                        return Some(Err(error));
                    }
                    current = member_data(&current, part);
                }
                Some(Ok(current))
            }
            (Some(Value::SchemaTypes), _)
            | (Some(Value::SchemaClass), _)
            | (Some(Value::Mongoose), _)
            | (None, "mongoose") => path
                .last()
                .filter(|_| path.len() > 1 && path.contains(&"Types"))
                .map(|t| Ok(Bson::String((*t).to_string()))),
            _ => None,
        }
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

fn unknown_method(receiver: &str, method: &str, known: &[&str], span: Span) -> RuntimeError {
    let error = RuntimeError::type_error(span, format!("{receiver}.{method} is not a function"));
    match crate::shell::nearest(method, known) {
        Some(near) => error.with_hint(format!("Did you mean `{near}`?")),
        None => error.with_hint(format!("Available here: {}.", known.join(", "))),
    }
}

/// Objects the program holds (`db`, a model, a function) are truthy, as in JavaScript.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Data(data) => crate::js::truthy(data),
        _ => true,
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::StrictEq
            | BinaryOp::StrictNotEq
            | BinaryOp::LooseEq
            | BinaryOp::LooseNotEq
            | BinaryOp::Less
            | BinaryOp::LessEq
            | BinaryOp::Greater
            | BinaryOp::GreaterEq
    )
}

/// Comparisons as lesson checks need them: numbers by value, strings, booleans, null; ObjectIds by value (like
/// Mongoose's `equals`), and documents and arrays by content.
fn compare_js(op: BinaryOp, left: &Bson, right: &Bson) -> bool {
    use crate::engine::value::{as_f64, equal, is_number};
    let same = match (left, right) {
        (Bson::Undefined, Bson::Undefined) | (Bson::Null, Bson::Null) => true,
        (Bson::Null | Bson::Undefined, Bson::Null | Bson::Undefined) => {
            matches!(op, BinaryOp::LooseEq | BinaryOp::LooseNotEq)
        }
        (a, b) if is_number(a) && is_number(b) => as_f64(a) == as_f64(b),
        (a, b) => equal(a, b) && crate::engine::value::type_rank(a) == crate::engine::value::type_rank(b),
    };
    let order = || match (as_f64(left), as_f64(right)) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        _ => match (left, right) {
            (Bson::String(a), Bson::String(b)) => Some(a.cmp(b)),
            _ => None,
        },
    };
    match op {
        BinaryOp::StrictEq | BinaryOp::LooseEq => same,
        BinaryOp::StrictNotEq | BinaryOp::LooseNotEq => !same,
        BinaryOp::Less => order().is_some_and(|o| o.is_lt()),
        BinaryOp::LessEq => order().is_some_and(|o| o.is_le()),
        BinaryOp::Greater => order().is_some_and(|o| o.is_gt()),
        BinaryOp::GreaterEq => order().is_some_and(|o| o.is_ge()),
        _ => false,
    }
}

/// `value.property` on data: document fields, `length` of arrays and strings; anything else is `undefined`.
pub fn member_data(value: &Bson, property: &str) -> Bson {
    match (value, property) {
        (Bson::Document(doc), _) => doc.get(property).cloned().unwrap_or(Bson::Undefined),
        (Bson::Array(items), "length") => Bson::Int32(i32::try_from(items.len()).unwrap_or(i32::MAX)),
        (Bson::Array(items), index) => {
            index.parse::<usize>().ok().and_then(|i| items.get(i).cloned()).unwrap_or(Bson::Undefined)
        }
        (Bson::String(s), "length") => Bson::Int32(i32::try_from(s.encode_utf16().count()).unwrap_or(i32::MAX)),
        _ => Bson::Undefined,
    }
}

fn index_data(value: &Bson, index: &Bson) -> Bson {
    match index {
        Bson::String(key) => member_data(value, key),
        number => match crate::engine::value::as_f64(number) {
            Some(i) if i >= 0.0 && i.fract() == 0.0 => member_data(value, &format!("{}", i as u64)),
            _ => Bson::Undefined,
        },
    }
}

/// The few methods students call on data: `toString()`, `toHexString()`, `equals()`, `includes()`.
fn data_method(value: &Bson, method: &str, args: &[Bson], span: Span) -> Result<Bson, RuntimeError> {
    Ok(match (value, method) {
        (Bson::ObjectId(oid), "toString" | "toHexString") => Bson::String(oid.to_hex()),
        (Bson::ObjectId(oid), "equals") => Bson::Boolean(match args.first() {
            Some(Bson::ObjectId(other)) => other == oid,
            Some(Bson::String(hex)) => hex == &oid.to_hex(),
            _ => false,
        }),
        (Bson::ObjectId(oid), "getTimestamp") => {
            Bson::DateTime(DateTime::from_millis(oid.timestamp().timestamp_millis()))
        }
        (Bson::Array(items), "includes") => Bson::Boolean(
            args.first().is_some_and(|needle| items.iter().any(|item| crate::engine::value::equal(item, needle))),
        ),
        (Bson::String(s), "toString") => Bson::String(s.clone()),
        (Bson::String(s), "toUpperCase") => Bson::String(s.to_uppercase()),
        (Bson::String(s), "toLowerCase") => Bson::String(s.to_lowercase()),
        (Bson::String(s), "trim") => Bson::String(s.trim().to_string()),
        (other, "toString") => Bson::String(format_inline(other)),
        (_, "toJSON" | "toObject") => value.clone(),
        (other, _) => {
            return Err(RuntimeError::type_error(
                span,
                format!("{}.{method} is not a function", crate::engine::value::type_name(other)),
            ))
        }
    })
}
