//! The interpreter: statements and expressions of the command language run with JavaScript's semantics — scopes
//! and closures, loops, destructuring, spread, templates, `this` — over the values of `value.rs`. Database, model
//! and library calls are handed to `world.rs`; the standard library is in `builtins.rs`.
//!
//! Every statement, loop iteration and call costs one step; a top-level statement may take [`MAX_STEPS`], so an
//! endless loop ends with a located error instead of a frozen page, and the world undoes what it wrote.

use super::error::{ErrorSource, RuntimeError};
use super::operators;
use super::scope::{Assigned, ScopeRef};
use super::value::{ArrayRef, Builtin, Closure, FunctionRef, Global, ObjectRef, Value};
use super::world::World;
use crate::shell::ast::{
    BinaryOp, DeclKind, Expr, ExprKind, ForHead, Function, FunctionBody, KeyStyle, Pattern, Stmt, StmtKind, UnaryOp,
};
use crate::shell::span::Span;
use bson::Bson;
use std::rc::Rc;

/// The most steps (statements, loop iterations and calls) one top-level statement may take. At about a million
/// simple steps a second in the browser, an endless loop stops within a second or two.
pub const MAX_STEPS: u64 = 1_000_000;

/// What one database call costs in steps.
pub const STEPS_PER_DATABASE_CALL: u64 = 50;

/// How deeply functions may call each other (recursion) before JavaScript's `RangeError`; each call uses several
/// Rust frames, and WebAssembly gives the page 1 MiB of stack.
pub const MAX_CALL_DEPTH: usize = 64;

/// What running a statement leads to.
pub(super) enum Flow {
    Next(Value),
    Return(Value),
    Break,
    Continue,
}

/// How a pattern binds: declaring names (`const` forbids assigning them again) or assigning existing ones.
#[derive(Clone, Copy)]
enum Binding {
    Declare { constant: bool, var: bool },
    Assign,
}

impl World {
    /// Counts one step; past [`MAX_STEPS`] the statement stops (the error cannot be caught).
    pub(super) fn tick(&mut self, span: Span) -> Result<(), RuntimeError> {
        self.steps += 1;
        if self.steps <= MAX_STEPS {
            return Ok(());
        }
        Err(RuntimeError {
            source: ErrorSource::StepLimit { at_loop: false },
            span,
            message: format!("this statement ran {MAX_STEPS} steps without finishing and was stopped"),
            hint: Some(
                "A loop here may never end: check that its condition becomes false (or that it reaches `break`). \
                 Nothing it wrote to the database was kept."
                    .to_string(),
            ),
        })
    }

    /// Runs `f` with `scope` as the current scope.
    pub(super) fn in_scope<T>(&mut self, scope: ScopeRef, f: impl FnOnce(&mut Self) -> T) -> T {
        let outer = std::mem::replace(&mut self.scope, scope);
        let result = f(self);
        self.scope = outer;
        result
    }

    /// Declares the function declarations of `stmts` before any of them runs, as JavaScript hoists them.
    pub(super) fn hoist(&mut self, source: &str, stmts: &[Stmt]) {
        for stmt in stmts {
            let function = match &stmt.kind {
                StmtKind::Function(function) => function,
                StmtKind::Export(inner) => match &inner.kind {
                    StmtKind::Function(function) => function,
                    _ => continue,
                },
                _ => continue,
            };
            if let Some(name) = &function.name {
                let value = self.closure(source, function);
                self.scope.declare(&name.name, value, false);
            }
        }
    }

    /// A function value closing over the current scope.
    pub(super) fn closure(&mut self, source: &str, function: &Function) -> Value {
        let source = self.shared_source(source);
        Value::Function(FunctionRef(Rc::new(Closure {
            function: Rc::new(function.clone()),
            scope: self.scope.clone(),
            source,
        })))
    }

    pub(super) fn statement(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        self.tick(stmt.span)?;
        let is_loop = matches!(
            stmt.kind,
            StmtKind::For { .. }
                | StmtKind::ForOf { .. }
                | StmtKind::ForIn { .. }
                | StmtKind::While { .. }
                | StmtKind::DoWhile { .. }
        );
        let result = self.statement_kind(source, stmt);
        match result {
            // The step limit points at the innermost loop that was running: that loop never ended.
            Err(mut error) if is_loop && error.source == (ErrorSource::StepLimit { at_loop: false }) => {
                error.source = ErrorSource::StepLimit { at_loop: true };
                error.span = stmt.span;
                let line = crate::shell::span::Location::new(source, stmt.span).line;
                error.hint = Some(format!(
                    "The loop at line {line} never ended: check that its condition becomes false (or that it reaches `break`). Nothing it wrote to the database was kept."
                ));
                Err(error)
            }
            other => other,
        }
    }

    fn statement_kind(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        match &stmt.kind {
            StmtKind::Declaration { .. } => self.run_declaration(source, stmt),
            StmtKind::Expression(expr) => {
                if self.append_in_place(source, expr)? {
                    return Ok(Flow::Next(Value::undefined()));
                }
                Ok(Flow::Next(self.eval(source, expr)?))
            }
            StmtKind::Import(import) => {
                self.import(import)?;
                Ok(Flow::Next(Value::undefined()))
            }
            StmtKind::ExportDefault(expr) => Ok(Flow::Next(self.eval(source, expr)?)),
            StmtKind::Export(inner) => self.statement(source, inner),
            StmtKind::ShellCommand { .. } => {
                self.shell_command(stmt)?;
                Ok(Flow::Next(Value::undefined()))
            }
            StmtKind::Block(stmts) => self.block(source, stmts),
            StmtKind::If { .. } => self.run_if(source, stmt),
            StmtKind::Return(..) => self.run_return(source, stmt),
            StmtKind::Throw(..) => self.run_throw(source, stmt),
            StmtKind::Try { .. } => self.run_try(source, stmt),
            StmtKind::Function(..) => self.run_function(source, stmt),
            StmtKind::For { .. } => self.run_for(source, stmt),
            StmtKind::ForOf { .. } => self.run_for_of(source, stmt),
            StmtKind::ForIn { .. } => self.run_for_in(source, stmt),
            StmtKind::While { .. } => self.run_while(source, stmt),
            StmtKind::DoWhile { .. } => self.run_do_while(source, stmt),
            StmtKind::Break => Ok(Flow::Break),
            StmtKind::Continue => Ok(Flow::Continue),
            StmtKind::Switch { .. } => self.run_switch(source, stmt),
            StmtKind::Empty => Ok(Flow::Next(Value::undefined())),
        }
    }

    #[inline(never)]
    fn run_declaration(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::Declaration { kind, declarators } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_declaration reached with another kind"));
        };
        for declarator in declarators {
            // A query bound to a name stays a query (`const cursor = db.users.find()`) until it is used.
            let value = match (&declarator.init, &declarator.target) {
                (Some(init), Pattern::Name(name)) => self.eval_named(source, init, &name.name)?,
                (Some(init), _) => self.eval(source, init)?,
                (None, _) => Value::undefined(),
            };
            let binding = Binding::Declare { constant: *kind == DeclKind::Const, var: *kind == DeclKind::Var };
            self.bind(source, &declarator.target, value, binding)?;
        }
        Ok(Flow::Next(Value::undefined()))
    }

    #[inline(never)]
    fn run_if(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::If { test, consequent, alternate } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_if reached with another kind"));
        };
        if self.condition(source, test)? {
            self.statement(source, consequent)
        } else if let Some(alternate) = alternate {
            self.statement(source, alternate)
        } else {
            Ok(Flow::Next(Value::undefined()))
        }
    }

    #[inline(never)]
    fn run_return(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::Return(expr) = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_return reached with another kind"));
        };
        let value = match expr {
            Some(expr) => {
                let value = self.eval(source, expr)?;
                self.settle(value, expr.span)?
            }
            None => Value::undefined(),
        };
        Ok(Flow::Return(value))
    }

    #[inline(never)]
    fn run_throw(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::Throw(expr) = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_throw reached with another kind"));
        };
        let value = self.eval(source, expr)?;
        let value = self.settle(value, expr.span)?;
        Err(thrown(value, expr.span))
    }

    #[inline(never)]
    fn run_try(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::Try { block, catch_param, catch_block, finally_block } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_try reached with another kind"));
        };
        let outcome = self.block(source, block);
        let outcome = match (outcome, catch_block) {
            (Err(error), Some(catch_block)) if !matches!(error.source, ErrorSource::StepLimit { .. }) => {
                let scope = self.scope.child(false);
                if let Some(param) = catch_param {
                    scope.declare(&param.name, caught(&error), false);
                }
                self.in_scope(scope, |world| world.statements(source, catch_block))
            }
            (other, _) => other,
        };
        match finally_block {
            Some(finally_block) => match self.block(source, finally_block)? {
                Flow::Next(_) => outcome,
                // A `return`/`break` inside `finally` wins over what the `try` did.
                other => Ok(other),
            },
            None => outcome,
        }
    }

    #[inline(never)]
    fn run_function(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::Function(function) = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_function reached with another kind"));
        };
        if let Some(name) = &function.name {
            let value = self.closure(source, function);
            self.scope.declare(&name.name, value, false);
        }
        Ok(Flow::Next(Value::undefined()))
    }

    #[inline(never)]
    fn run_for(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::For { init, test, update, body } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_for reached with another kind"));
        };
        let loop_scope = self.scope.child(false);
        self.in_scope(loop_scope, |world| {
            if let Some(init) = init {
                world.statement(source, init)?;
            }
            loop {
                if let Some(test) = test {
                    if !world.condition(source, test)? {
                        break;
                    }
                }
                // Each iteration gets its own copy of the loop's `let` names, so closures made in the body
                // keep the value of their iteration.
                let iteration = world.scope.child(false);
                for name in world.scope.own_names() {
                    if let Some(value) = world.scope.own(&name) {
                        iteration.declare(&name, value, false);
                    }
                }
                let flow = world.in_scope(iteration.clone(), |world| world.statement(source, body))?;
                for name in world.scope.own_names() {
                    if let Some(value) = iteration.own(&name) {
                        world.scope.assign(&name, value);
                    }
                }
                match flow {
                    Flow::Break => break,
                    Flow::Return(value) => return Ok(Flow::Return(value)),
                    Flow::Next(_) | Flow::Continue => {}
                }
                if let Some(update) = update {
                    if !world.append_in_place(source, update)? {
                        world.eval(source, update)?;
                    }
                }
                world.tick(stmt.span)?;
            }
            Ok(Flow::Next(Value::undefined()))
        })
    }

    #[inline(never)]
    fn run_for_of(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::ForOf { head, iterable, body } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_for_of reached with another kind"));
        };
        let value = self.eval(source, iterable)?;
        let value = self.settle(value, iterable.span)?;
        let items = self.iterate_named(value, iterable.span, Some(iterable.span.text(source)))?;
        self.for_each_item(source, head, items, body, stmt.span)
    }

    #[inline(never)]
    fn run_for_in(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::ForIn { head, object, body } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_for_in reached with another kind"));
        };
        let value = self.eval(source, object)?;
        let value = self.settle(value, object.span)?;
        let keys = self.own_keys(&value).into_iter().map(Value::string).collect();
        self.for_each_item(source, head, keys, body, stmt.span)
    }

    #[inline(never)]
    fn run_while(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::While { test, body } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_while reached with another kind"));
        };
        while self.condition(source, test)? {
            match self.statement(source, body)? {
                Flow::Break => break,
                Flow::Return(value) => return Ok(Flow::Return(value)),
                Flow::Next(_) | Flow::Continue => {}
            }
            self.tick(stmt.span)?;
        }
        Ok(Flow::Next(Value::undefined()))
    }

    #[inline(never)]
    fn run_do_while(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::DoWhile { body, test } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_do_while reached with another kind"));
        };
        loop {
            match self.statement(source, body)? {
                Flow::Break => break,
                Flow::Return(value) => return Ok(Flow::Return(value)),
                Flow::Next(_) | Flow::Continue => {}
            }
            if !self.condition(source, test)? {
                break;
            }
            self.tick(stmt.span)?;
        }
        Ok(Flow::Next(Value::undefined()))
    }

    #[inline(never)]
    fn run_switch(&mut self, source: &str, stmt: &Stmt) -> Result<Flow, RuntimeError> {
        let StmtKind::Switch { discriminant, cases } = &stmt.kind else {
            return Err(RuntimeError::type_error(stmt.span, "internal: run_switch reached with another kind"));
        };
        let value = self.eval(source, discriminant)?;
        let value = self.settle(value, discriminant.span)?;
        let mut matched = None;
        for (index, case) in cases.iter().enumerate() {
            if let Some(test) = &case.test {
                let candidate = self.eval(source, test)?;
                if operators::strict_equals(&value, &candidate) {
                    matched = Some(index);
                    break;
                }
            }
        }
        let start = matched.or_else(|| cases.iter().position(|case| case.test.is_none()));
        let Some(start) = start else { return Ok(Flow::Next(Value::undefined())) };
        let scope = self.scope.child(false);
        self.in_scope(scope, |world| {
            for case in cases.iter().skip(start) {
                match world.statements(source, &case.body)? {
                    Flow::Break => return Ok(Flow::Next(Value::undefined())),
                    Flow::Next(_) => {}
                    other => return Ok(other),
                }
            }
            Ok(Flow::Next(Value::undefined()))
        })
    }

    /// The body of a `for…of`/`for…in` once per item, each iteration with its own binding of the head.
    fn for_each_item(
        &mut self,
        source: &str,
        head: &ForHead,
        items: Vec<Value>,
        body: &Stmt,
        span: Span,
    ) -> Result<Flow, RuntimeError> {
        for item in items {
            self.tick(span)?;
            let iteration = self.scope.child(false);
            let flow = self.in_scope(iteration, |world| {
                let binding = match head.kind {
                    Some(kind) => Binding::Declare { constant: kind == DeclKind::Const, var: false },
                    None => Binding::Assign,
                };
                world.bind(source, &head.target, item, binding)?;
                world.statement(source, body)
            })?;
            match flow {
                Flow::Break => break,
                Flow::Return(value) => return Ok(Flow::Return(value)),
                Flow::Next(_) | Flow::Continue => {}
            }
        }
        Ok(Flow::Next(Value::undefined()))
    }

    /// The items `for…of` and spread walk: an array's elements, a string's characters.
    pub(super) fn iterate(&mut self, value: Value, span: Span) -> Result<Vec<Value>, RuntimeError> {
        self.iterate_named(value, span, None)
    }

    /// [`World::iterate`], naming the value in the error as it was written (`users is not iterable`).
    pub(super) fn iterate_named(
        &mut self,
        value: Value,
        span: Span,
        written: Option<&str>,
    ) -> Result<Vec<Value>, RuntimeError> {
        match value.shared() {
            Value::Array(items) => {
                let mut items = items.0.borrow_mut();
                Ok(items.iter_mut().map(super::value::share_in_place).collect())
            }
            Value::Data(Bson::String(text)) => Ok(text.chars().map(|c| Value::string(c.to_string())).collect()),
            other => Err(RuntimeError::type_error(
                span,
                format!("{} is not iterable", written.map_or_else(|| describe_for_error(&other), str::to_string)),
            )
            .with_hint(
                "`for…of` and `...` walk arrays and strings; for an object's keys use `for…in` or Object.keys(…).",
            )),
        }
    }

    /// The own enumerable keys `for…in` and `Object.keys` list.
    pub(super) fn own_keys(&self, value: &Value) -> Vec<String> {
        match value {
            Value::Object(object) => object.0.borrow().properties.iter().map(|(k, _)| k.clone()).collect(),
            Value::Array(items) => (0..items.0.borrow().len()).map(|i| i.to_string()).collect(),
            Value::Data(Bson::Document(document)) => document.keys().cloned().collect(),
            Value::Data(Bson::Array(items)) => (0..items.len()).map(|i| i.to_string()).collect(),
            Value::Data(Bson::String(text)) => (0..text.encode_utf16().count()).map(|i| i.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    fn condition(&mut self, source: &str, test: &Expr) -> Result<bool, RuntimeError> {
        let value = self.eval(source, test)?;
        let value = self.settle(value, test.span)?;
        Ok(operators::truthy(&value))
    }

    /// A `{ … }` block: its own scope, its functions hoisted.
    pub(super) fn block(&mut self, source: &str, stmts: &[Stmt]) -> Result<Flow, RuntimeError> {
        let scope = self.scope.child(false);
        self.in_scope(scope, |world| world.statements(source, stmts))
    }

    /// Statements in the current scope; stops at `return`, `break` and `continue`.
    pub(super) fn statements(&mut self, source: &str, stmts: &[Stmt]) -> Result<Flow, RuntimeError> {
        self.hoist(source, stmts);
        let mut last = Value::undefined();
        for stmt in stmts {
            match self.statement(source, stmt)? {
                Flow::Next(value) => {
                    // A statement's pending query runs when the statement ends, as `await` would run it.
                    last = self.settle(value, stmt.span)?;
                }
                other => return Ok(other),
            }
        }
        Ok(Flow::Next(last))
    }

    /// Binds `pattern` to `value`: names, object and array destructuring, defaults.
    fn bind(&mut self, source: &str, pattern: &Pattern, value: Value, binding: Binding) -> Result<(), RuntimeError> {
        match pattern {
            Pattern::Name(name) => {
                let value = value.shared();
                match binding {
                    Binding::Declare { constant, var } => {
                        let scope = if var { self.scope.function_scope() } else { self.scope.clone() };
                        scope.declare(&name.name, value, constant);
                    }
                    Binding::Assign => self.assign_name(&name.name, value, name.span)?,
                }
                Ok(())
            }
            Pattern::Default { target, default, .. } => {
                let value = match value {
                    Value::Data(Bson::Undefined) => {
                        let value = self.eval(source, default)?;
                        self.settle(value, default.span)?
                    }
                    other => other,
                };
                self.bind(source, target, value, binding)
            }
            Pattern::Object { fields, rest, span } => {
                if value.is_nullish() {
                    let nothing = if matches!(value, Value::Data(Bson::Null)) { "null" } else { "undefined" };
                    let first = fields.first().map(|(name, _)| name.name.as_str()).unwrap_or("");
                    return Err(RuntimeError::type_error(
                        *span,
                        format!("Cannot destructure property '{first}' of '{nothing}' as it is {nothing}."),
                    ));
                }
                let value = value.shared();
                for (property, target) in fields {
                    let item = self.get_property(value.clone(), &property.name, property.span)?;
                    self.bind(source, target, item, binding)?;
                }
                if let Some(rest) = rest {
                    let taken: Vec<&str> = fields.iter().map(|(name, _)| name.name.as_str()).collect();
                    let mut remaining = Vec::new();
                    for key in self.own_keys(&value) {
                        if !taken.contains(&key.as_str()) {
                            let item = self.get_property(value.clone(), &key, rest.span)?;
                            remaining.push((key, item));
                        }
                    }
                    self.bind(source, &Pattern::Name(rest.clone()), Value::Object(ObjectRef::new(remaining)), binding)?;
                }
                Ok(())
            }
            Pattern::Array { items, rest, span } => {
                let values = self.iterate(value, *span)?;
                for (index, item) in items.iter().enumerate() {
                    if let Some(target) = item {
                        let value = values.get(index).cloned().unwrap_or_else(Value::undefined);
                        self.bind(source, target, value, binding)?;
                    }
                }
                if let Some(rest) = rest {
                    let remaining: Vec<Value> = values.into_iter().skip(items.len()).collect();
                    self.bind(source, rest, Value::Array(ArrayRef::new(remaining)), binding)?;
                }
                Ok(())
            }
        }
    }

    fn assign_name(&mut self, name: &str, value: Value, span: Span) -> Result<(), RuntimeError> {
        match self.scope.assign(name, value.clone()) {
            Assigned::Done => Ok(()),
            Assigned::Constant => Err(RuntimeError::type_error(span, "Assignment to constant variable.")
                .with_hint(format!("`{name}` was declared with `const`; declare it with `let` to change it."))),
            // Assigning an undeclared name creates a global, as sloppy-mode JavaScript (and mongosh) does.
            Assigned::Undeclared => {
                self.globals.declare(name, value, false);
                Ok(())
            }
        }
    }

    /// Evaluates an expression bound to `name`: an anonymous function takes the name, as JavaScript names
    /// `const add = (a, b) => a + b` "add".
    fn eval_named(&mut self, source: &str, expr: &Expr, name: &str) -> Result<Value, RuntimeError> {
        match &expr.kind {
            ExprKind::Function(function) if function.name.is_none() => {
                let mut named = (**function).clone();
                named.name = Some(crate::shell::ast::Name { name: name.to_string(), span: expr.span });
                let closure = self.closure(source, &named);
                // The inferred name is only the function's `name`; it does not bind inside the body.
                Ok(closure)
            }
            _ => self.eval(source, expr),
        }
    }

    /// Evaluates an expression.
    pub(super) fn eval(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        match &expr.kind {
            ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Template(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Undefined => self.literal(source, expr),
            ExprKind::Regex { pattern, flags } => {
                Ok(Value::RegExp(Rc::new(super::value::JsRegExp { pattern: pattern.clone(), flags: flags.clone() })))
            }
            ExprKind::Ident(name) => self.lookup(name, expr.span),
            ExprKind::TemplateLiteral { .. } => self.eval_template_literal(source, expr),
            ExprKind::Array(..) => self.eval_array(source, expr),
            ExprKind::Object(..) => self.eval_object(source, expr),
            ExprKind::Spread(_) => Err(RuntimeError::script(
                "SyntaxError",
                expr.span,
                "`...` can only spread into an array, an object or a call's arguments",
            )),
            ExprKind::Member { .. } => self.eval_member(source, expr),
            ExprKind::Index { .. } => self.eval_index(source, expr),
            ExprKind::Call { callee, args, optional } => {
                self.call_expression(source, callee, args, *optional, expr.span)
            }
            ExprKind::New { callee, args } => self.new_expression(source, expr, callee, args),
            ExprKind::Await(..) => self.eval_await(source, expr),
            ExprKind::Unary { op, operand } => self.unary(source, *op, operand, expr.span),
            ExprKind::Binary { op: BinaryOp::And | BinaryOp::Or | BinaryOp::Nullish, .. } => {
                self.eval_logical(source, expr)
            }
            ExprKind::Binary { .. } => self.eval_binary(source, expr),
            ExprKind::Conditional { .. } => self.eval_conditional(source, expr),
            ExprKind::Assign { .. } => self.eval_assign(source, expr),
            ExprKind::CompoundAssign { .. } => self.eval_compound_assign(source, expr),
            ExprKind::Update { .. } => self.eval_update(source, expr),
            ExprKind::Function(function) => Ok(self.closure(source, function)),
        }
    }

    #[inline(never)]
    fn eval_template_literal(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::TemplateLiteral { quasis, exprs } = &expr.kind else {
            return Err(RuntimeError::type_error(
                expr.span,
                "internal: eval_template_literal reached with another kind",
            ));
        };
        let mut text = String::new();
        for (index, quasi) in quasis.iter().enumerate() {
            text.push_str(quasi);
            if let Some(part) = exprs.get(index) {
                let value = self.eval(source, part)?;
                let value = self.settle(value, part.span)?;
                text.push_str(&operators::to_js_string(&value));
                if text.len() > operators::MAX_STRING_LENGTH {
                    return Err(operators::invalid_string_length(expr.span));
                }
            }
        }
        Ok(Value::string(text))
    }

    #[inline(never)]
    fn eval_array(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Array(items) = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_array reached with another kind"));
        };
        if is_constant(expr) {
            return self.literal(source, expr);
        }
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            match &item.kind {
                ExprKind::Spread(inner) => {
                    let value = self.eval(source, inner)?;
                    let value = self.settle(value, inner.span)?;
                    values.extend(self.iterate_named(value, inner.span, Some(inner.span.text(source)))?);
                }
                _ => {
                    let value = self.eval(source, item)?;
                    values.push(self.settle(value, item.span)?.shared());
                }
            }
            if values.len() > operators::MAX_ARRAY_LENGTH {
                return Err(operators::invalid_array_length(expr.span));
            }
        }
        Ok(Value::Array(ArrayRef::new(values)))
    }

    #[inline(never)]
    fn eval_object(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Object(properties) = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_object reached with another kind"));
        };
        if is_constant(expr) {
            return self.literal(source, expr);
        }
        let object = ObjectRef::new(Vec::with_capacity(properties.len()));
        for property in properties {
            match property.key_style {
                KeyStyle::Spread => {
                    let value = self.eval(source, &property.value)?;
                    let value = self.settle(value, property.value.span)?.shared();
                    for key in self.own_keys(&value) {
                        let item = self.get_property(value.clone(), &key, property.span)?;
                        object.0.borrow_mut().set(&key, item);
                    }
                }
                _ => {
                    let key = match &property.computed_key {
                        Some(key_expr) => {
                            let key = self.eval(source, key_expr)?;
                            let key = self.settle(key, key_expr.span)?;
                            operators::to_js_string(&key)
                        }
                        None => property.key.clone(),
                    };
                    let value = self.eval_named(source, &property.value, &key)?;
                    let value = self.settle(value, property.value.span)?.shared();
                    object.0.borrow_mut().set(&key, value);
                }
            }
        }
        Ok(Value::Object(object))
    }

    #[inline(never)]
    fn eval_member(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Member { object, property, optional } = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_member reached with another kind"));
        };
        let object_value = self.eval(source, object)?;
        if *optional && object_value.is_nullish() {
            return Ok(Value::undefined());
        }
        self.get_property(object_value, &property.name, property.span)
    }

    #[inline(never)]
    fn eval_index(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Index { object, index, optional } = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_index reached with another kind"));
        };
        let object_value = self.eval(source, object)?;
        if *optional && object_value.is_nullish() {
            return Ok(Value::undefined());
        }
        let key = self.eval(source, index)?;
        let key = self.settle(key, index.span)?;
        let key = property_key(&key);
        self.get_property(object_value, &key, expr.span)
    }

    #[inline(never)]
    fn eval_await(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Await(inner) = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_await reached with another kind"));
        };
        let value = self.eval(source, inner)?;
        let value = self.settle(value, inner.span)?;
        Ok(match value {
            Value::Promise(inner) => *inner,
            other => other,
        })
    }

    #[inline(never)]
    fn eval_logical(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Binary { op: op @ (BinaryOp::And | BinaryOp::Or | BinaryOp::Nullish), left, right } = &expr.kind
        else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_logical reached with another kind"));
        };
        let left_value = self.eval(source, left)?;
        let left_value = self.settle(left_value, left.span)?;
        if short_circuits(*op, &left_value) {
            return Ok(left_value);
        }
        let right_value = self.eval(source, right)?;
        self.settle(right_value, right.span)
    }

    #[inline(never)]
    fn eval_binary(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Binary { op, left, right } = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_binary reached with another kind"));
        };
        let left_value = self.eval(source, left)?;
        let left_value = self.settle(left_value, left.span)?;
        let right_value = self.eval(source, right)?;
        let right_value = self.settle(right_value, right.span)?;
        self.binary(*op, &left_value, &right_value, expr.span)
    }

    #[inline(never)]
    fn eval_conditional(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Conditional { test, consequent, alternate } = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_conditional reached with another kind"));
        };
        if self.condition(source, test)? {
            self.eval(source, consequent)
        } else {
            self.eval(source, alternate)
        }
    }

    #[inline(never)]
    fn eval_assign(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Assign { target, value } = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_assign reached with another kind"));
        };
        let new_value = self.eval(source, value)?.shared();
        self.assign(source, target, new_value.clone())?;
        Ok(new_value)
    }

    #[inline(never)]
    fn eval_compound_assign(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::CompoundAssign { op, target, value } = &expr.kind else {
            return Err(RuntimeError::type_error(
                expr.span,
                "internal: eval_compound_assign reached with another kind",
            ));
        };
        let current = self.eval(source, target)?;
        let current = self.settle(current, target.span)?;
        let new_value = match op {
            BinaryOp::And | BinaryOp::Or | BinaryOp::Nullish => {
                if short_circuits(*op, &current) {
                    return Ok(current);
                }
                let value = self.eval(source, value)?;
                self.settle(value, expr.span)?
            }
            _ => {
                let right = self.eval(source, value)?;
                let right = self.settle(right, value.span)?;
                self.binary(*op, &current, &right, expr.span)?
            }
        };
        self.assign(source, target, new_value.clone())?;
        Ok(new_value)
    }

    /// `text += value` whose value nobody reads (a statement, a `for` update), on a variable holding a string:
    /// appended in place. Returns false when the expression is anything else (then it is evaluated as usual).
    #[inline(never)]
    pub(super) fn append_in_place(&mut self, source: &str, expr: &Expr) -> Result<bool, RuntimeError> {
        let ExprKind::CompoundAssign { op: BinaryOp::Add, target, value } = &expr.kind else { return Ok(false) };
        let ExprKind::Ident(name) = &target.kind else { return Ok(false) };
        if !self.scope.holds_string(name) {
            return Ok(false);
        }
        let right = self.eval(source, value)?;
        let right = self.settle(right, value.span)?;
        let text = operators::to_js_string(&right);
        match self.scope.append_to_string(name, &text, operators::MAX_STRING_LENGTH) {
            Some(Ok(super::scope::Assigned::Done)) => Ok(true),
            Some(Ok(_)) => {
                // A constant: the assignment's own error.
                self.assign(source, target, Value::string(String::new())).map(|_| true)
            }
            Some(Err(_)) => Err(operators::invalid_string_length(expr.span)),
            None => Ok(false),
        }
    }

    #[inline(never)]
    fn eval_update(&mut self, source: &str, expr: &Expr) -> Result<Value, RuntimeError> {
        let ExprKind::Update { increment, prefix, target } = &expr.kind else {
            return Err(RuntimeError::type_error(expr.span, "internal: eval_update reached with another kind"));
        };
        let current = self.eval(source, target)?;
        let current = self.settle(current, target.span)?;
        let old = operators::to_number(&current);
        let new = if *increment { old + 1.0 } else { old - 1.0 };
        self.assign(source, target, Value::number(new))?;
        Ok(Value::number(if *prefix { new } else { old }))
    }

    fn unary(&mut self, source: &str, op: UnaryOp, operand: &Expr, span: Span) -> Result<Value, RuntimeError> {
        if op == UnaryOp::Delete {
            return match &operand.kind {
                ExprKind::Member { object, property, .. } => {
                    let object = self.eval(source, object)?;
                    Ok(Value::boolean(self.delete_property(object, &property.name)))
                }
                ExprKind::Index { object, index, .. } => {
                    let object = self.eval(source, object)?;
                    let key = self.eval(source, index)?;
                    Ok(Value::boolean(self.delete_property(object, &property_key(&key))))
                }
                _ => Ok(Value::boolean(true)),
            };
        }
        if op == UnaryOp::Typeof {
            // `typeof notDeclared` is "undefined", not a ReferenceError.
            if let ExprKind::Ident(name) = &operand.kind {
                if !self.scope.contains(name) && self.lookup(name, operand.span).is_err() {
                    return Ok(Value::string("undefined"));
                }
            }
        }
        let value = self.eval(source, operand)?;
        let value = self.settle(value, operand.span)?;
        Ok(match op {
            UnaryOp::Not => Value::boolean(!operators::truthy(&value)),
            UnaryOp::Minus => Value::number(-operators::to_number(&value)),
            UnaryOp::Plus => Value::number(operators::to_number(&value)),
            UnaryOp::Typeof => Value::string(operators::type_of(&value)),
            UnaryOp::Void | UnaryOp::Delete => {
                let _ = span;
                Value::undefined()
            }
        })
    }

    fn binary(&mut self, op: BinaryOp, left: &Value, right: &Value, span: Span) -> Result<Value, RuntimeError> {
        Ok(match op {
            BinaryOp::Add => operators::add(left, right, span)?,
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem | BinaryOp::Pow => {
                operators::arithmetic(op, left, right)
            }
            BinaryOp::StrictEq => Value::boolean(operators::strict_equals(left, right)),
            BinaryOp::StrictNotEq => Value::boolean(!operators::strict_equals(left, right)),
            BinaryOp::LooseEq => Value::boolean(operators::loose_equals(left, right)),
            BinaryOp::LooseNotEq => Value::boolean(!operators::loose_equals(left, right)),
            BinaryOp::Less | BinaryOp::LessEq | BinaryOp::Greater | BinaryOp::GreaterEq => {
                Value::boolean(operators::compare(op, left, right))
            }
            BinaryOp::In => {
                if !matches!(
                    right,
                    Value::Object(_) | Value::Array(_) | Value::Data(Bson::Document(_) | Bson::Array(_))
                ) {
                    return Err(RuntimeError::type_error(
                        span,
                        format!(
                            "Cannot use 'in' operator to search for '{}' in {}",
                            operators::to_js_string(left),
                            operators::to_js_string(right)
                        ),
                    ));
                }
                let key = property_key(left);
                Value::boolean(
                    self.own_keys(right).contains(&key) || (key == "length" && matches!(right, Value::Array(_))),
                )
            }
            BinaryOp::InstanceOf => Value::boolean(self.instance_of(left, right, span)?),
            BinaryOp::And | BinaryOp::Or | BinaryOp::Nullish => {
                if short_circuits(op, left) {
                    left.clone()
                } else {
                    right.clone()
                }
            }
        })
    }

    fn instance_of(&mut self, value: &Value, class: &Value, span: Span) -> Result<bool, RuntimeError> {
        Ok(match class {
            Value::Global(Global::Error(kind)) => match value {
                Value::Object(object) => {
                    let object = object.0.borrow();
                    match &object.error_kind {
                        Some(actual) => *kind == "Error" || actual == kind,
                        None => false,
                    }
                }
                _ => false,
            },
            Value::Global(Global::Array) => matches!(value, Value::Array(_) | Value::Data(Bson::Array(_))),
            Value::Global(Global::Object) => {
                !matches!(value, Value::Data(Bson::String(_) | Bson::Boolean(_) | Bson::Null | Bson::Undefined))
                    && operators::number_of(value).is_none()
            }
            Value::Global(Global::Date) => matches!(value, Value::Data(Bson::DateTime(_))),
            Value::Global(Global::Promise) => matches!(value, Value::Promise(_) | Value::Pending(_)),
            Value::Function(_) | Value::Builtin(_) | Value::Global(_) | Value::Model(_) | Value::SchemaClass => false,
            other => {
                return Err(RuntimeError::type_error(
                    span,
                    format!("Right-hand side of 'instanceof' is not callable ({})", other.describe()),
                ))
            }
        })
    }

    /// Assigns to a name, a property or an index.
    fn assign(&mut self, source: &str, target: &Expr, value: Value) -> Result<(), RuntimeError> {
        match &target.kind {
            ExprKind::Ident(name) => self.assign_name(name, value, target.span),
            ExprKind::Member { object, property, .. } => {
                let object = self.eval(source, object)?;
                self.set_property(object, &property.name, value, property.span)
            }
            ExprKind::Index { object, index, .. } => {
                let object = self.eval(source, object)?;
                let key = self.eval(source, index)?;
                let key = self.settle(key, index.span)?;
                self.set_property(object, &property_key(&key), value, target.span)
            }
            _ => Err(RuntimeError::script("SyntaxError", target.span, "Invalid left-hand side in assignment")),
        }
    }

    /// `object.key = value`.
    pub(super) fn set_property(
        &mut self,
        object: Value,
        key: &str,
        value: Value,
        span: Span,
    ) -> Result<(), RuntimeError> {
        let value = value.shared();
        match object {
            Value::Object(object) => {
                object.0.borrow_mut().set(key, value);
                Ok(())
            }
            Value::Document(document) => {
                // An alias is a virtual whose setter sets its path (`doc.name = v` sets `n`, cast as an assignment).
                if let Some(path) = self.alias_path(&document.model(), key) {
                    let path = Value::Data(bson::Bson::String(path));
                    self.document_method(document, "set", vec![path, value], span, span)?;
                    return Ok(());
                }
                if !self.set_virtual(&document, key, &value, span)? {
                    self.set_document_property(&document, key, value, span)?;
                }
                Ok(())
            }
            Value::Array(items) => {
                if key == "length" {
                    let length = operators::to_number(&value);
                    if length < 0.0 || length.fract() != 0.0 || length > operators::MAX_ARRAY_LENGTH as f64 {
                        return Err(operators::invalid_array_length(span));
                    }
                    items.0.borrow_mut().resize(length as usize, Value::undefined());
                    return Ok(());
                }
                match key.parse::<usize>() {
                    Ok(index) if index < operators::MAX_ARRAY_LENGTH => {
                        let mut items = items.0.borrow_mut();
                        if index >= items.len() {
                            items.resize(index + 1, Value::undefined());
                        }
                        if let Some(slot) = items.get_mut(index) {
                            *slot = value;
                        }
                        Ok(())
                    }
                    Ok(_) => Err(operators::invalid_array_length(span)),
                    // Named properties on arrays are possible in JavaScript but never useful here.
                    Err(_) => Ok(()),
                }
            }
            Value::Data(data @ (Bson::Null | Bson::Undefined)) => {
                let nothing = if data == Bson::Null { "null" } else { "undefined" };
                Err(RuntimeError::type_error(span, format!("Cannot set properties of {nothing} (setting '{key}')"))
                    .with_hint("The value before the `.` is empty: check that it exists first, e.g. if (user) { … }."))
            }
            // A property set on a temporary copy (or on a string or number) has no effect, as in JavaScript.
            Value::Data(_) => Ok(()),
            Value::Query(query) => {
                let properties = &mut query.0.borrow_mut().properties;
                match properties.iter_mut().find(|(name, _)| name == key) {
                    Some((_, slot)) => *slot = value,
                    None => properties.push((key.to_string(), value)),
                }
                Ok(())
            }
            other => Err(RuntimeError::type_error(span, format!("crudlab cannot set `{key}` on {}", other.describe()))),
        }
    }

    fn delete_property(&mut self, object: Value, key: &str) -> bool {
        match object {
            Value::Object(object) => {
                object.0.borrow_mut().remove(key);
                true
            }
            Value::Array(items) => {
                if let Ok(index) = key.parse::<usize>() {
                    if let Some(slot) = items.0.borrow_mut().get_mut(index) {
                        *slot = Value::undefined();
                    }
                }
                true
            }
            _ => true,
        }
    }

    /// Evaluates arguments, spreading `...args`.
    pub(super) fn arguments(&mut self, source: &str, args: &[Expr]) -> Result<Vec<Value>, RuntimeError> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            match &arg.kind {
                ExprKind::Spread(inner) => {
                    let value = self.eval(source, inner)?;
                    let value = self.settle(value, inner.span)?;
                    values.extend(self.iterate_named(value, inner.span, Some(inner.span.text(source)))?);
                }
                _ => values.push(self.eval(source, arg)?),
            }
        }
        Ok(values)
    }

    /// Calls a function value with `this` and arguments: the program's own functions, the standard library's,
    /// and the library objects that are callable.
    pub(super) fn call_value(
        &mut self,
        callee: &Value,
        this: Value,
        args: Vec<Value>,
        span: Span,
    ) -> Result<Value, RuntimeError> {
        match callee {
            Value::Function(function) => self.call_closure(function, this, args, span),
            Value::Builtin(builtin) => match builtin.as_ref() {
                Builtin::Console(level) => self.console(level, &args, span),
                Builtin::Global(name) => self.global_builtin(name, &args, span),
                Builtin::Static(global, name) => self.static_method(*global, name, args, span),
                Builtin::Method(receiver, name) => self.method(receiver.as_ref().clone(), name, args, span, span),
            },
            Value::Global(global) => self.call_global(*global, args, span),
            Value::Express => Ok(self.new_express_app()),
            Value::ExpressNext(chain) => self.call_next(chain, args, span),
            other => Err(RuntimeError::type_error(span, format!("{} is not a function", describe_for_error(other)))),
        }
    }

    /// Runs a function the program wrote.
    /// Spans inside a function declared in an earlier Run point into that Run's text: the error is shown at the
    /// call in this Run's text instead, naming where it happened.
    #[inline(never)]
    fn respan_error(&self, mut error: RuntimeError, source: &Rc<str>, code: &Function, span: Span) -> RuntimeError {
        if !Rc::ptr_eq(source, &self.run_source) && error.span.end <= source.len() {
            let inside = code.name.as_ref().map_or("a function".to_string(), |n| format!("`{}`", n.name));
            let where_ = crate::shell::span::Location::new(source, error.span);
            let note = format!("This happened inside {inside}, declared in an earlier Run (its line {}).", where_.line);
            if !error.hint.as_deref().is_some_and(|hint| hint.starts_with("This happened inside")) {
                error.hint = Some(match error.hint.take() {
                    Some(hint) => format!("{note} {hint}"),
                    None => note,
                });
            }
            error.span = span;
        }
        error
    }

    pub(super) fn call_closure(
        &mut self,
        function: &FunctionRef,
        this: Value,
        args: Vec<Value>,
        span: Span,
    ) -> Result<Value, RuntimeError> {
        if self.call_depth >= MAX_CALL_DEPTH {
            return Err(too_deep(span));
        }
        self.tick(span)?;
        let closure = function.0.clone();
        let code = closure.function.clone();
        let scope = closure.scope.child(!code.is_arrow);
        if !code.is_arrow {
            scope.declare("this", this, true);
            scope.declare("arguments", Value::Array(ArrayRef::new(args.clone())), false);
        }
        let source = closure.source.clone();
        self.call_depth += 1;
        let result = self.in_scope(scope, |world| {
            let mut args = args.into_iter();
            for param in &code.params {
                let value = args.next().unwrap_or_else(Value::undefined);
                world.bind(&source, param, value, Binding::Declare { constant: false, var: false })?;
            }
            if let Some(rest) = &code.rest {
                let remaining = Value::Array(ArrayRef::new(args.collect()));
                world.bind(&source, rest, remaining, Binding::Declare { constant: false, var: false })?;
            }
            match &code.body {
                FunctionBody::Block(stmts) => world.statements(&source, stmts).map(|flow| match flow {
                    Flow::Return(value) => value,
                    _ => Value::undefined(),
                }),
                FunctionBody::Expression(expr) => world.eval(&source, expr),
            }
        });
        self.call_depth -= 1;
        // Spans inside a function declared in an earlier Run point into that Run's text: the error is shown at the
        // call in this Run's text instead, naming where it happened.
        let value = result.map_err(|error| self.respan_error(error, &source, &code, span));
        let value = value?;
        if code.is_async {
            let value = self.settle(value, span)?;
            return Ok(match value {
                promise @ Value::Promise(_) => promise,
                other => Value::Promise(Box::new(other)),
            });
        }
        Ok(value)
    }
}

/// Whether `&&`, `||` or `??` stops at its left operand.
fn short_circuits(op: BinaryOp, left: &Value) -> bool {
    match op {
        BinaryOp::And => !operators::truthy(left),
        BinaryOp::Or => operators::truthy(left),
        _ => !left.is_nullish(),
    }
}

/// A property key from a value: `arr[0]`, `obj["name"]`.
pub(super) fn property_key(value: &Value) -> String {
    match operators::number_of(value) {
        Some(number) => operators::number_key(number),
        None => operators::to_js_string(value),
    }
}

/// How an error message names a value (`undefined`, `"text"`, `db.users`...).
pub(super) fn describe_for_error(value: &Value) -> String {
    match value {
        Value::Data(Bson::String(text)) => format!("\"{text}\""),
        Value::Data(Bson::Undefined) => "undefined".to_string(),
        Value::Data(Bson::Null) => "null".to_string(),
        Value::Data(data) if operators::number_of(value).is_some() => crate::js::inspect::js_string(data),
        other => other.describe().to_string(),
    }
}

/// Whether a literal holds only constants (no names, calls, functions or spreads), so the constant evaluator can
/// build it as BSON directly, with mongosh's number rules and no intermediate objects.
pub fn is_constant(expr: &Expr) -> bool {
    let mut stack = vec![expr];
    while let Some(expr) = stack.pop() {
        match &expr.kind {
            ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Template(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Undefined
            | ExprKind::Regex { .. } => {}
            ExprKind::Unary { op: UnaryOp::Minus | UnaryOp::Plus, operand } => stack.push(operand),
            ExprKind::Array(items) => stack.extend(items.iter()),
            ExprKind::Object(properties) => {
                for property in properties {
                    if matches!(property.key_style, KeyStyle::Spread | KeyStyle::Computed) {
                        return false;
                    }
                    stack.push(&property.value);
                }
            }
            _ => return false,
        }
    }
    true
}

/// The error for `throw value`: an Error object keeps its name and message, anything else is thrown as it is.
fn thrown(value: Value, span: Span) -> RuntimeError {
    let (name, message) = match &value {
        Value::Object(object) => {
            let object = object.0.borrow();
            let text =
                |key: &str| object.properties.iter().find(|(k, _)| k == key).map(|(_, v)| operators::to_js_string(v));
            match &object.error_kind {
                Some(kind) => (text("name").unwrap_or_else(|| kind.clone()), text("message").unwrap_or_default()),
                None => ("Uncaught".to_string(), operators::display_name(&value)),
            }
        }
        // `throw "401 Unauthorized"`: the text is the message (lessons check `lastError.message`).
        Value::Data(Bson::String(text)) => ("Uncaught".to_string(), text.clone()),
        other => ("Uncaught".to_string(), operators::display_name(other)),
    };
    RuntimeError { source: ErrorSource::Thrown { name, value: Box::new(value) }, span, message, hint: None }
}

/// What `catch (err)` binds: the thrown value itself, or the library's error as an Error object with its
/// properties (`name`, `message`, `code`, `errors` ...).
pub(super) fn caught(error: &RuntimeError) -> Value {
    if let ErrorSource::Thrown { value, .. } = &error.source {
        return value.as_ref().clone();
    }
    let object = match Value::Data(Bson::Document(error.to_document())).shared() {
        Value::Object(object) => object,
        _ => ObjectRef::new(Vec::new()),
    };
    object.0.borrow_mut().error_kind = Some(error.name().to_string());
    Value::Object(object)
}

/// JavaScript's error for recursion past [`MAX_CALL_DEPTH`].
#[inline(never)]
fn too_deep(span: Span) -> RuntimeError {
    RuntimeError::script("RangeError", span, "Maximum call stack size exceeded").with_hint(format!(
        "Functions called each other more than {MAX_CALL_DEPTH} levels deep: a recursive function may never reach its base case."
    ))
}
