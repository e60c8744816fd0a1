//! Aggregation expressions as `$expr`, computed projection fields and pipeline stages use them: field paths
//! (`"$a.b"`), variables (`"$$ROOT"`, `"$$this"`, `$let`), literals, objects, arrays and operators, parsed once and
//! evaluated per document. Each operator family is one file whose table drives parsing, dispatch and the names
//! the reference and completion show.

mod accumulator;
mod arithmetic;
mod array;
mod boolean;
mod comparison;
mod conditional;
mod date;
mod object;
mod set;
mod string;
mod type_conversion;
mod variable;

pub(crate) use accumulator::{extreme, Deviation, Sum};
pub(crate) use comparison::compare_values;
pub(crate) use set::SetKey;

use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::path::FieldPath;
use crate::engine::value::type_name;
use bson::{Bson, Document};
use std::cell::Cell;

/// How deeply expressions may nest before parsing is refused (user input must not overflow the stack).
const MAX_EXPRESSION_DEPTH: usize = 150;

/// How deeply a field path may descend through nested arrays before the rest counts as missing.
const MAX_ARRAY_NESTING: usize = 100;

/// The largest value an expression may build (MongoDB's BSON document limit): a value that doubles at every step
/// (`$concatArrays: ["$$value", "$$value"]` in a `$reduce`) stops here instead of exhausting the page's memory.
pub(crate) const MAX_VALUE_BYTES: usize = crate::engine::limits::MAX_DOCUMENT_BYTES;

/// What an evaluation yields: `None` is "missing" (a path that leads nowhere, `$$REMOVE`), distinct from `null`.
pub type Evaluated = Option<Bson>;

/// A parsed aggregation expression.
#[derive(Debug, Clone)]
pub enum Expression {
    /// A constant (also what `$literal` produces).
    Literal(Bson),
    /// `"$a.b"`: the value at a path of the current document; arrays of documents yield arrays of values.
    Field(FieldPath),
    /// `"$$name"` or `"$$name.a.b"`: a variable, or a path inside it.
    Variable { variable: Variable, path: Vec<String> },
    /// `{a: <expr>, b: <expr>}`.
    Object(Vec<(String, Expression)>),
    /// `[<expr>, ...]`.
    Array(Vec<Expression>),
    /// `{$op: args}`.
    Call(Box<Call>),
    /// An optional named argument the call did not give (`$convert` without `onError`): evaluates to missing, and
    /// operators that treat "not given" differently from "given as missing" ask [`Expression::is_omitted`].
    Omitted,
}

/// A variable an expression reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variable {
    /// `$$ROOT`: the document the stage is processing.
    Root,
    /// `$$CURRENT`: the document field paths read (the root unless `$let` rebinds it).
    Current,
    /// `$$REMOVE`: missing, so a computed field holding it is left out.
    Remove,
    /// `$$NOW`: one instant for the whole pipeline.
    Now,
    /// A variable bound by `$let`, `$filter`, `$map`, `$reduce` or `$lookup`'s `let`.
    User(String),
}

/// One operator applied to its arguments.
#[derive(Debug, Clone)]
pub struct Call {
    pub(crate) operator: &'static Operator,
    /// Positional arguments; operators with named arguments put them in a fixed order (see each family).
    pub(crate) args: Vec<Expression>,
    /// The variable names the operator binds, in the order its family documents (`$let`'s vars, `$map`'s `as`).
    pub(crate) bound: Vec<String>,
}

/// How an operator reads its argument.
#[derive(Clone, Copy)]
pub(crate) enum Arguments {
    /// Exactly `n`: one value (`{$abs: -1}`) or an array of them (`{$gt: ["$a", 1]}`).
    Exactly(usize),
    /// Between `min` and `max` arguments.
    Between(usize, usize),
    /// Any number of arguments.
    Any,
    /// At least two arguments, with `$ifNull`'s own message.
    AtLeastTwo,
    /// Named arguments in an object, read by the family's parser.
    Named(fn(&'static Operator, &Bson, &mut Parser) -> MongoResult<Call>),
}

/// One row of an operator family's table: the name, how arguments are read, how it evaluates, and a line for the
/// reference.
pub(crate) struct Operator {
    pub(crate) name: &'static str,
    pub(crate) arguments: Arguments,
    pub(crate) evaluate: fn(&Call, &mut Context<'_>) -> MongoResult<Evaluated>,
    pub(crate) summary: &'static str,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every family's table, in the order MongoDB's reference lists the families.
const FAMILIES: &[(&str, &[Operator])] = &[
    ("arithmetic", arithmetic::OPERATORS),
    ("array", array::OPERATORS),
    ("boolean", boolean::OPERATORS),
    ("comparison", comparison::OPERATORS),
    ("conditional", conditional::OPERATORS),
    ("date", date::OPERATORS),
    ("object", object::OPERATORS),
    ("set", set::OPERATORS),
    ("string", string::OPERATORS),
    ("type", type_conversion::OPERATORS),
    ("accumulator", accumulator::OPERATORS),
    ("variable", variable::OPERATORS),
];

/// Real MongoDB expression operators crudlab does not implement: refused with an honest message rather than
/// "Unrecognized expression".
const UNSUPPORTED_OPERATORS: &[&str] = &[
    "$function",
    "$accumulator",
    "$meta",
    "$rand",
    "$sampleRate",
    "$binarySize",
    "$bsonSize",
    "$toHashedIndexKey",
    "$setField",
    "$unsetField",
    "$tsSecond",
    "$tsIncrement",
    "$bitAnd",
    "$bitOr",
    "$bitXor",
    "$bitNot",
];

/// One expression operator as the reference and completion show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpressionOperatorDoc {
    pub name: &'static str,
    /// MongoDB's family: `"arithmetic"`, `"array"`, `"string"`, `"date"`, ...
    pub family: &'static str,
    pub summary: &'static str,
}

/// Every expression operator this module evaluates, with its family and one line on what it does.
pub fn expression_operators() -> impl Iterator<Item = ExpressionOperatorDoc> {
    FAMILIES
        .iter()
        .flat_map(|(family, operators)| {
            operators.iter().map(move |op| ExpressionOperatorDoc { name: op.name, family, summary: op.summary })
        })
        .chain(std::iter::once(ExpressionOperatorDoc {
            name: "$literal",
            family: "literal",
            summary: "A value taken as is, even if it looks like a field path or an operator.",
        }))
}

/// Names of the expression operators `$expr` supports (for the operator reference).
pub fn operator_names() -> impl Iterator<Item = &'static str> {
    expression_operators().map(|doc| doc.name)
}

fn find_operator(name: &str) -> Option<&'static Operator> {
    FAMILIES.iter().flat_map(|(_, operators)| operators.iter()).find(|op| op.name == name)
}

/// The work one aggregation may do, in steps (an expression node, an array element, a document examined, 16 bytes
/// of a value built). A pipeline that would run for minutes (a quadratic `$reduce` over a million elements) stops with
/// MongoDB's time-limit error instead of freezing the page.
#[derive(Debug)]
pub struct Budget {
    remaining: Cell<u64>,
}

/// Steps an aggregation may take: a few seconds of work in the browser at most (a pipeline over the lecture's
/// largest collections takes a few million).
pub const DEFAULT_BUDGET_STEPS: u64 = 50_000_000;

impl Budget {
    pub fn new(steps: u64) -> Budget {
        Budget { remaining: Cell::new(steps) }
    }

    /// Takes `steps` from the budget, or fails once it is used up.
    pub fn spend(&self, steps: u64) -> MongoResult<()> {
        let left = self.remaining.get();
        if left < steps {
            self.remaining.set(0);
            return Err(MongoError::new(ErrorCode::MaxTimeMSExpired, "operation exceeded time limit").with_hint(
                "crudlab gives one aggregation about a second of work; this pipeline needs more (look for a $reduce \
                 or $lookup over many documents).",
            ));
        }
        self.remaining.set(left - steps);
        Ok(())
    }

    /// The steps left.
    pub(crate) fn left(&self) -> u64 {
        self.remaining.get()
    }

    /// Gives back steps: an attempt that is redone another way (see `Unwind::apply_into_group`) is not paid twice.
    pub(crate) fn reset(&self, left: u64) {
        self.remaining.set(left);
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(DEFAULT_BUDGET_STEPS)
    }
}

/// What an expression may read besides its document: variables bound outside it (`$lookup`'s `let`, `$merge`'s
/// `$$new`), the pipeline's `$$NOW`, and the work budget of the whole run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Environment<'a> {
    pub variables: &'a [(String, Bson)],
    pub now: Option<bson::DateTime>,
    pub budget: Option<&'a Budget>,
}

/// The state of one evaluation: the document, the environment and the variables bound so far (innermost last).
pub struct Context<'a> {
    root: &'a Document,
    environment: Environment<'a>,
    bindings: Vec<(String, Bson)>,
}

impl<'a> Context<'a> {
    pub fn new(root: &'a Document, environment: Environment<'a>) -> Context<'a> {
        Context { root, environment, bindings: Vec::new() }
    }

    /// Evaluates `body` with `bindings` in scope (innermost last), then unbinds them.
    pub(crate) fn with_bindings<T>(
        &mut self,
        bindings: impl IntoIterator<Item = (String, Bson)>,
        body: impl FnOnce(&mut Context<'a>) -> MongoResult<T>,
    ) -> MongoResult<T> {
        let before = self.bindings.len();
        self.bindings.extend(bindings);
        let result = body(self);
        self.bindings.truncate(before);
        result
    }

    fn variable(&self, name: &str) -> Option<&Bson> {
        self.bindings
            .iter()
            .rev()
            .find(|(bound, _)| bound == name)
            .map(|(_, value)| value)
            .or_else(|| self.environment.variables.iter().rev().find(|(bound, _)| bound == name).map(|(_, v)| v))
    }

    /// Takes `steps` from the run's budget (nothing to take when evaluating outside a pipeline).
    pub(crate) fn spend(&self, steps: u64) -> MongoResult<()> {
        match self.environment.budget {
            Some(budget) => budget.spend(steps),
            None => Ok(()),
        }
    }

    /// Checks a value an operator built: not larger than a BSON document may be, and paid for by its size.
    pub(crate) fn built(&self, value: Bson) -> MongoResult<Bson> {
        self.account(crate::engine::limits::value_size(&value))?;
        Ok(value)
    }

    /// Checks the size of a value being built (called as it grows, so a huge value fails before it is all in
    /// memory), and pays for it.
    pub(crate) fn account(&self, size: usize) -> MongoResult<()> {
        if size > MAX_VALUE_BYTES {
            return Err(too_large(size));
        }
        self.spend(u64::try_from(size / 16).unwrap_or(u64::MAX))
    }

    /// `$$NOW`: the pipeline's instant, or the clock's when the expression runs outside a pipeline (a `find`).
    fn now(&self) -> bson::DateTime {
        self.environment.now.unwrap_or_else(crate::clock::now)
    }
}

impl Expression {
    /// Parses an expression, rejecting unknown operators and wrong argument counts with MongoDB's messages.
    pub fn parse(value: &Bson) -> MongoResult<Expression> {
        Parser::new(&[]).expression(value)
    }

    /// Parses an expression that may read the named variables (a `$lookup` pipeline's `let`).
    pub fn parse_with_variables(value: &Bson, variables: &[String]) -> MongoResult<Expression> {
        Parser::new(variables).expression(value)
    }

    /// Evaluates against a document. `Ok(None)` is "missing" (a path that leads nowhere), distinct from `null`.
    pub fn evaluate(&self, root: &Document) -> MongoResult<Evaluated> {
        self.evaluate_in(root, Environment::default())
    }

    /// Evaluates against a document with outside variables, `$$NOW` and a work budget.
    pub fn evaluate_in(&self, root: &Document, environment: Environment<'_>) -> MongoResult<Evaluated> {
        let mut context = Context::new(root, environment);
        self.eval(&mut context)
    }

    /// Like [`Expression::evaluate_in`], but a field path that reaches its value through documents only hands the
    /// value out by reference instead of copying it (a `$group` key read from each of 100k documents). Any other
    /// expression, or a path through arrays, is evaluated as `evaluate_in` does; the budget is spent the same way.
    pub(crate) fn evaluate_borrowed<'d>(
        &self,
        root: &'d Document,
        environment: Environment<'_>,
    ) -> MongoResult<Option<std::borrow::Cow<'d, Bson>>> {
        use std::borrow::Cow;
        let Expression::Field(path) = self else {
            return Ok(self.evaluate_in(root, environment)?.map(Cow::Owned));
        };
        // `$$CURRENT` rebound by the caller: field paths read that instead.
        if environment.variables.iter().any(|(name, _)| name == "CURRENT") {
            return Ok(self.evaluate_in(root, environment)?.map(Cow::Owned));
        }
        if let Some(budget) = environment.budget {
            budget.spend(1)?;
        }
        let Some((head, mut rest)) = path.parts().split_first() else { return Ok(None) };
        let Some(mut value) = crate::engine::path::field(root, head) else { return Ok(None) };
        while let (Some((next, tail)), Bson::Document(inner)) = (rest.split_first(), value) {
            let Some(found) = crate::engine::path::field(inner, next) else { return Ok(None) };
            value = found;
            rest = tail;
        }
        Ok(if rest.is_empty() { Some(Cow::Borrowed(value)) } else { field_value(value, rest, 0).map(Cow::Owned) })
    }

    /// [`Expression::evaluate_borrowed`] on a stored document's BSON bytes ([`crate::engine::raw`]): the same value
    /// and the same budget spent, or `Ok(None)` when the bytes cannot answer alone — anything but a field path
    /// through documents, `$$CURRENT` rebound, bytes that do not parse — and the tree must be evaluated instead.
    pub(crate) fn evaluate_raw(
        &self,
        root: crate::engine::raw::RawDoc<'_>,
        environment: Environment<'_>,
    ) -> MongoResult<Option<Evaluated>> {
        let Expression::Field(path) = self else { return Ok(None) };
        if environment.variables.iter().any(|(name, _)| name == "CURRENT") {
            return Ok(None);
        }
        let Some(found) = raw_field_value(root, path.parts()) else { return Ok(None) };
        if let Some(budget) = environment.budget {
            budget.spend(1)?;
        }
        Ok(Some(found))
    }

    /// Adds to `paths` the paths of the document this expression reads (split into their parts); false when it may
    /// read the whole document (`$$ROOT`, `$$CURRENT`, or an operator that rebinds `CURRENT`). What lets a stage
    /// hand the next one only the fields it reads.
    pub(crate) fn reads_paths(&self, paths: &mut Vec<Vec<String>>) -> bool {
        let mut add = |path: &[String]| {
            if !paths.iter().any(|known| known == path) {
                paths.push(path.to_vec());
            }
        };
        match self {
            Expression::Literal(_) | Expression::Omitted => true,
            Expression::Field(path) => {
                add(path.parts());
                true
            }
            Expression::Variable { variable: Variable::Root | Variable::Current, path } if !path.is_empty() => {
                add(path);
                true
            }
            Expression::Variable { variable: Variable::Root | Variable::Current, .. } => false,
            Expression::Variable { .. } => true,
            Expression::Object(items) => items.iter().all(|(_, item)| item.reads_paths(paths)),
            Expression::Array(items) => items.iter().all(|item| item.reads_paths(paths)),
            Expression::Call(call) => {
                !call.bound.iter().any(|name| name == "CURRENT") && call.args.iter().all(|arg| arg.reads_paths(paths))
            }
        }
    }

    /// True for an optional named argument that was not given.
    pub(crate) fn is_omitted(&self) -> bool {
        matches!(self, Expression::Omitted)
    }

    /// The constant this expression always yields, if it is one (`$bucket` boundaries must be constants).
    pub fn constant(&self) -> Option<&Bson> {
        match self {
            Expression::Literal(value) => Some(value),
            _ => None,
        }
    }

    /// True when the expression is a bare field path (`"$city"`).
    pub fn is_field_path(&self) -> bool {
        matches!(self, Expression::Field(_))
    }

    pub(crate) fn eval(&self, context: &mut Context<'_>) -> MongoResult<Evaluated> {
        context.spend(1)?;
        Ok(match self {
            Expression::Literal(value) => Some(value.clone()),
            Expression::Omitted => None,
            Expression::Field(path) => {
                let current = match context.variable("CURRENT") {
                    Some(Bson::Document(rebound)) => return Ok(path_in_document(rebound, path.parts())),
                    Some(other) => return Ok(path_in_value(other, path.parts())),
                    None => context.root,
                };
                path_in_document(current, path.parts())
            }
            Expression::Variable { variable, path } => {
                let value = match variable {
                    Variable::Root => Some(Bson::Document(context.root.clone())),
                    Variable::Current => match context.variable("CURRENT") {
                        Some(rebound) => Some(rebound.clone()),
                        None => Some(Bson::Document(context.root.clone())),
                    },
                    Variable::Remove => None,
                    Variable::Now => Some(Bson::DateTime(context.now())),
                    Variable::User(name) => context.variable(name).cloned(),
                };
                match value {
                    Some(value) if !path.is_empty() => path_in_value(&value, path),
                    other => other,
                }
            }
            Expression::Object(fields) => {
                let mut out = Document::new();
                let mut size = 0;
                for (name, expression) in fields {
                    if let Some(value) = expression.eval(context)? {
                        grow(&mut size, crate::engine::limits::value_size(&value) + name.len() + 2)?;
                        out.insert(name.clone(), value);
                    }
                }
                context.account(size)?;
                Some(Bson::Document(out))
            }
            Expression::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut size = 0;
                for item in items {
                    let value = item.eval(context)?.unwrap_or(Bson::Null);
                    grow(&mut size, crate::engine::limits::value_size(&value) + 8)?;
                    out.push(value);
                }
                context.account(size)?;
                Some(Bson::Array(out))
            }
            Expression::Call(call) => (call.operator.evaluate)(call, context)?,
        })
    }
}

fn path_in_document(doc: &Document, parts: &[String]) -> Evaluated {
    let (head, rest) = parts.split_first()?;
    crate::engine::path::field(doc, head).and_then(|value| field_value(value, rest, 0))
}

fn path_in_value(value: &Bson, parts: &[String]) -> Evaluated {
    match value {
        Bson::Document(doc) => path_in_document(doc, parts),
        Bson::Array(_) => field_value(value, parts, 0),
        _ if parts.is_empty() => Some(value.clone()),
        _ => None,
    }
}

/// The value at `rest` below `value`: arrays are mapped over (their documents and nested arrays), as MongoDB's
/// field paths do.
/// A field path's value read from BSON bytes, as [`field_value`] reads it from a tree, when it goes through
/// documents only; `None` when it meets an array before its end (which yields an array of values: the tree
/// builds it) or bytes that do not parse.
fn raw_field_value(root: crate::engine::raw::RawDoc<'_>, parts: &[String]) -> Option<Evaluated> {
    let Some((head, mut rest)) = parts.split_first() else { return Some(None) };
    let Some(mut value) = root.field(head).ok()? else { return Some(None) };
    while let Some((next, tail)) = rest.split_first() {
        if let Some(inner) = value.as_document().ok()? {
            let Some(found) = inner.field(next).ok()? else { return Some(None) };
            value = found;
            rest = tail;
        } else if value.as_array().ok()?.is_some() {
            return None;
        } else {
            return Some(None);
        }
    }
    value.to_bson().ok().map(Some)
}

fn field_value(value: &Bson, rest: &[String], nesting: usize) -> Evaluated {
    let Some((head, tail)) = rest.split_first() else {
        return Some(value.clone());
    };
    match value {
        Bson::Document(doc) => crate::engine::path::field(doc, head).and_then(|v| field_value(v, tail, nesting)),
        Bson::Array(items) if nesting < MAX_ARRAY_NESTING => Some(Bson::Array(
            items
                .iter()
                .filter(|item| matches!(item, Bson::Document(_) | Bson::Array(_)))
                .filter_map(|item| field_value(item, rest, nesting + 1))
                .collect(),
        )),
        _ => None,
    }
}

/// Reads expressions: tracks nesting depth and the variables in scope (names bound by enclosing `$let`, `$map`,
/// ... and by the pipeline), so an undefined variable is refused when the pipeline is compiled, as MongoDB does.
pub struct Parser {
    variables: Vec<String>,
    depth: usize,
}

impl Parser {
    pub fn new(variables: &[String]) -> Parser {
        Parser { variables: variables.to_vec(), depth: 0 }
    }

    /// Parses one expression.
    pub fn expression(&mut self, value: &Bson) -> MongoResult<Expression> {
        if self.depth >= MAX_EXPRESSION_DEPTH {
            return Err(MongoError::bad_value(format!("expression nests deeper than {MAX_EXPRESSION_DEPTH} levels")));
        }
        self.depth += 1;
        let parsed = self.expression_at_depth(value);
        self.depth -= 1;
        parsed
    }

    /// Parses `body` with `names` in scope (the `in` of `$let`, the `cond` of `$filter`).
    pub(crate) fn with_variables<T>(
        &mut self,
        names: &[String],
        body: impl FnOnce(&mut Parser) -> MongoResult<T>,
    ) -> MongoResult<T> {
        let before = self.variables.len();
        self.variables.extend(names.iter().cloned());
        let result = body(self);
        self.variables.truncate(before);
        result
    }

    fn expression_at_depth(&mut self, value: &Bson) -> MongoResult<Expression> {
        match value {
            Bson::String(s) if s.starts_with("$$") => self.variable(s.get(2..).unwrap_or_default()),
            Bson::String(s) if s.starts_with('$') => {
                let dotted = s.get(1..).unwrap_or_default();
                Ok(Expression::Field(field_path(dotted)?))
            }
            Bson::Array(items) => {
                Ok(Expression::Array(items.iter().map(|item| self.expression(item)).collect::<MongoResult<_>>()?))
            }
            Bson::Document(doc) => {
                let Some(first) = doc.keys().next() else {
                    return Ok(Expression::Object(Vec::new()));
                };
                if first.starts_with('$') {
                    if doc.len() != 1 {
                        return Err(MongoError::new(
                            ErrorCode::Location(15983),
                            format!(
                                "an expression specification must contain exactly one field, the name of the expression. Found {} fields in {}",
                                doc.len(),
                                crate::engine::update::describe_document(doc)
                            ),
                        ));
                    }
                    let Some((name, argument)) = doc.iter().next() else {
                        return Ok(Expression::Object(Vec::new()));
                    };
                    return self.operator(name, argument);
                }
                let mut fields = Vec::with_capacity(doc.len());
                for (name, item) in doc {
                    check_field_name(name)?;
                    fields.push((name.clone(), self.expression(item)?));
                }
                Ok(Expression::Object(fields))
            }
            other => Ok(Expression::Literal(other.clone())),
        }
    }

    fn variable(&mut self, text: &str) -> MongoResult<Expression> {
        let mut parts = text.split('.');
        let name = parts.next().unwrap_or_default();
        let path: Vec<String> = parts.map(str::to_string).collect();
        if path.iter().any(String::is_empty) {
            return Err(MongoError::new(ErrorCode::Location(15998), "FieldPath field names may not be empty strings."));
        }
        if path.len() > crate::engine::path::MAX_PATH_COMPONENTS {
            return Err(MongoError::bad_value("FieldPath is too long"));
        }
        validate_variable_name_for_read(name)?;
        let variable = match name {
            "ROOT" => Variable::Root,
            "CURRENT" => Variable::Current,
            "REMOVE" => Variable::Remove,
            "NOW" => Variable::Now,
            user if self.variables.iter().any(|bound| bound == user) => Variable::User(user.to_string()),
            _ => return Err(MongoError::new(ErrorCode::Location(17276), format!("Use of undefined variable: {name}"))),
        };
        Ok(Expression::Variable { variable, path })
    }

    fn operator(&mut self, name: &str, argument: &Bson) -> MongoResult<Expression> {
        if name == "$literal" {
            return Ok(Expression::Literal(argument.clone()));
        }
        let Some(operator) = find_operator(name) else {
            if UNSUPPORTED_OPERATORS.contains(&name) {
                return Err(MongoError::bad_value(format!(
                    "{name} is a MongoDB expression operator that crudlab does not support"
                )));
            }
            return Err(MongoError::new(
                ErrorCode::InvalidPipelineOperator,
                format!("Unrecognized expression '{name}'"),
            )
            .with_hint("This `$` operator does not exist; check its spelling in the operator reference."));
        };
        let call = match operator.arguments {
            Arguments::Named(parse) => parse(operator, argument, self)?,
            _ => {
                let args = self.positional(argument)?;
                check_arity(operator, args.len())?;
                Call { operator, args, bound: Vec::new() }
            }
        };
        Ok(Expression::Call(Box::new(call)))
    }

    /// An operator's argument read as an argument list: an array is the list, anything else one argument.
    pub(crate) fn positional(&mut self, argument: &Bson) -> MongoResult<Vec<Expression>> {
        match argument {
            Bson::Array(items) => items.iter().map(|item| self.expression(item)).collect(),
            single => Ok(vec![self.expression(single)?]),
        }
    }

    /// A named argument if present, else [`Expression::Omitted`].
    pub(crate) fn optional(&mut self, value: Option<&Bson>) -> MongoResult<Expression> {
        match value {
            Some(value) => self.expression(value),
            None => Ok(Expression::Omitted),
        }
    }
}

fn check_arity(operator: &Operator, given: usize) -> MongoResult<()> {
    let name = operator.name;
    match operator.arguments {
        Arguments::Exactly(expected) if given != expected => Err(MongoError::new(
            ErrorCode::Location(16020),
            format!("Expression {name} takes exactly {expected} arguments. {given} were passed in."),
        )),
        Arguments::Between(min, max) if given < min || given > max => Err(MongoError::new(
            ErrorCode::Location(28667),
            format!("Expression {name} takes at least {min} arguments, and at most {max}, but {given} were passed in."),
        )),
        Arguments::AtLeastTwo if given < 2 => Err(MongoError::new(
            ErrorCode::Location(1257300),
            format!("{name} needs at least two arguments, had: {given}"),
        )),
        _ => Ok(()),
    }
}

/// A field path after its `$`: not empty, no empty components, no `$`-prefixed component.
pub(crate) fn field_path(dotted: &str) -> MongoResult<FieldPath> {
    if dotted.is_empty() {
        return Err(MongoError::new(ErrorCode::Location(16872), "'$' by itself is not a valid FieldPath"));
    }
    if dotted.split('.').any(str::is_empty) {
        return Err(MongoError::new(ErrorCode::Location(15998), "FieldPath field names may not be empty strings."));
    }
    if let Some(part) = dotted.split('.').find(|part| part.starts_with('$')) {
        return Err(MongoError::new(
            ErrorCode::Location(16410),
            format!(
                "FieldPath field names may not start with '$'. Consider using $getField or $setField. Field: {part}"
            ),
        ));
    }
    FieldPath::parse_checked(dotted)
}

/// A field name of an expression object (`{a: ...}`): not `$`-prefixed, no dots.
fn check_field_name(name: &str) -> MongoResult<()> {
    if name.starts_with('$') {
        return Err(MongoError::new(
            ErrorCode::Location(16410),
            format!(
                "FieldPath field names may not start with '$'. Consider using $getField or $setField. Field: {name}"
            ),
        ));
    }
    if name.contains('.') {
        return Err(MongoError::new(
            ErrorCode::Location(16412),
            format!("FieldPath field names may not contain '.'. Field: {name}"),
        ));
    }
    Ok(())
}

/// MongoDB's rule for a variable read (`$$name`): a letter or non-ASCII first, then letters, digits or `_`.
fn validate_variable_name_for_read(name: &str) -> MongoResult<()> {
    let Some(first) = name.chars().next() else {
        return Err(MongoError::new(ErrorCode::Location(16869), "empty variable names are not allowed"));
    };
    if !first.is_ascii_alphabetic() && first.is_ascii() {
        return Err(MongoError::new(
            ErrorCode::Location(16870),
            format!("'{name}' starts with an invalid character for a variable name"),
        ));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || !c.is_ascii())) {
        return Err(MongoError::new(
            ErrorCode::Location(16871),
            format!("'{name}' contains an invalid character for a variable name: '{bad}'"),
        ));
    }
    Ok(())
}

/// MongoDB's rule for a variable a user defines (`$let`, `as`, `let`): a lowercase or non-ASCII first letter, then
/// letters, digits or `_`; `CURRENT` may be rebound.
pub(crate) fn validate_variable_name_for_write(name: &str) -> MongoResult<()> {
    if name == "CURRENT" {
        return Ok(());
    }
    let Some(first) = name.chars().next() else {
        return Err(MongoError::new(ErrorCode::Location(16866), "empty variable names are not allowed"));
    };
    if !first.is_ascii_lowercase() && first.is_ascii() {
        return Err(MongoError::new(
            ErrorCode::Location(16867),
            format!("'{name}' starts with an invalid character for a user variable name"),
        ));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || !c.is_ascii())) {
        return Err(MongoError::new(
            ErrorCode::Location(16868),
            format!("'{name}' contains an invalid character for a variable name: '{bad}'"),
        ));
    }
    Ok(())
}

/// MongoDB's error for a value over the BSON size limit.
pub(crate) fn too_large(size: usize) -> MongoError {
    MongoError::bson_object_too_large(format!(
        "BSONObj size: {size} (0x{size:X}) is invalid. Size must be between 0 and 16793600(16MB)"
    ))
}

/// Adds one part's size to a value being built, failing as soon as the total passes the BSON limit.
pub(crate) fn grow(total: &mut usize, part: usize) -> MongoResult<()> {
    *total = total.saturating_add(part);
    if *total > MAX_VALUE_BYTES {
        return Err(too_large(*total));
    }
    Ok(())
}

/// MongoDB's truthiness for expressions: false, null, undefined, missing and numeric zero are false.
pub fn is_truthy(value: Option<&Bson>) -> bool {
    match value {
        None | Some(Bson::Null | Bson::Undefined) => false,
        Some(Bson::Boolean(b)) => *b,
        Some(Bson::Int32(i)) => *i != 0,
        Some(Bson::Int64(i)) => *i != 0,
        Some(Bson::Double(d)) => *d != 0.0,
        Some(Bson::Decimal128(d)) => d.to_string().parse::<f64>() != Ok(0.0),
        Some(_) => true,
    }
}

/// The type name MongoDB prints in expression errors (`"missing"` for a path that leads nowhere).
pub(crate) fn type_name_of(value: Option<&Bson>) -> &'static str {
    value.map_or("missing", type_name)
}

/// True for null, undefined and missing: what most operators answer `null` for.
pub(crate) fn is_nullish(value: Option<&Bson>) -> bool {
    matches!(value, None | Some(Bson::Null | Bson::Undefined))
}

/// Evaluates every argument.
pub(crate) fn evaluate_all(args: &[Expression], context: &mut Context<'_>) -> MongoResult<Vec<Evaluated>> {
    args.iter().map(|arg| arg.eval(context)).collect()
}

/// Evaluates argument `index` (missing when the call has fewer).
pub(crate) fn argument(call: &Call, index: usize, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    match call.args.get(index) {
        Some(arg) => arg.eval(context),
        None => Ok(None),
    }
}

/// A value printed the way the server prints it inside messages.
pub(crate) fn describe(value: Option<&Bson>) -> String {
    value.map_or_else(|| "MISSING".to_string(), crate::engine::update::describe)
}

/// An error with a numbered code, as most expression failures are.
pub(crate) fn error(code: i32, message: impl Into<String>) -> MongoError {
    MongoError::new(ErrorCode::Location(code), message)
}

/// An integral number as an `i64` (`2`, `2.0`, `NumberLong(2)`), or `None` for anything else.
pub(crate) fn as_integer(value: &Bson) -> Option<i64> {
    match value {
        Bson::Int32(i) => Some(i64::from(*i)),
        Bson::Int64(i) => Some(*i),
        Bson::Double(d) if d.fract() == 0.0 && d.abs() < 9.2e18 => Some(*d as i64),
        Bson::Decimal128(_) => {
            crate::engine::value::as_f64(value).filter(|d| d.fract() == 0.0 && d.abs() < 9.2e18).map(|d| d as i64)
        }
        _ => None,
    }
}

/// A count or index as MongoDB's array operators read it: an integral number that fits 32 bits.
pub(crate) fn as_int32(value: &Bson) -> Option<i32> {
    as_integer(value).and_then(|i| i32::try_from(i).ok())
}

/// The smallest integer type that holds `n`, as MongoDB returns sizes and indexes.
pub(crate) fn int_value(n: i64) -> Bson {
    match i32::try_from(n) {
        Ok(small) => Bson::Int32(small),
        Err(_) => Bson::Int64(n),
    }
}

/// A length as MongoDB returns it.
pub(crate) fn size_value(n: usize) -> Bson {
    int_value(i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use bson::{bson, doc};

    /// Parses and evaluates `expression` against `root`; the error's message on failure.
    pub(crate) fn eval_on(expression: Bson, root: &Document) -> Result<Evaluated, String> {
        let parsed = Expression::parse(&expression).map_err(|e| e.message)?;
        parsed.evaluate(root).map_err(|e| e.message)
    }

    /// The result printed as the server prints values, `MISSING` for missing, or `error: <message>`.
    pub(crate) fn show(result: Result<Evaluated, String>) -> String {
        match result {
            Ok(value) => describe(value.as_ref()),
            Err(message) => format!("error: {message}"),
        }
    }

    fn eval(expression: Bson, root: &Document) -> MongoResult<Evaluated> {
        Expression::parse(&expression)?.evaluate(root)
    }

    #[test]
    fn field_paths_walk_documents_and_arrays() {
        let root = doc! {"a": {"b": 1}, "s": [{"x": 1}, {"y": 2}, {"x": [3]}, 4]};
        assert_eq!(eval(bson!("$a.b"), &root).unwrap(), Some(bson!(1)));
        assert_eq!(eval(bson!("$s.x"), &root).unwrap(), Some(bson!([1, [3]])));
        assert_eq!(eval(bson!("$nope"), &root).unwrap(), None);
        assert_eq!(eval(bson!("$$ROOT"), &root).unwrap(), Some(Bson::Document(root.clone())));
        assert_eq!(eval(bson!("$$ROOT.a.b"), &root).unwrap(), Some(bson!(1)));
        assert_eq!(eval(bson!("$$CURRENT.s.y"), &root).unwrap(), Some(bson!([2])));
        assert_eq!(eval(bson!({"k": "$a.b", "m": "$nope", "r": "$$REMOVE"}), &root).unwrap(), Some(bson!({"k": 1})));
        assert_eq!(eval(bson!(["$nope", 1]), &root).unwrap(), Some(bson!([null, 1])));
        assert_eq!(eval(bson!({"$literal": "$a"}), &root).unwrap(), Some(bson!("$a")));
    }

    #[test]
    fn parse_errors() {
        let err = |e: Bson| Expression::parse(&e).unwrap_err();
        assert_eq!(err(bson!({"$foo": 1})).message, "Unrecognized expression '$foo'");
        assert_eq!(err(bson!({"$foo": 1})).code, 168);
        assert_eq!(err(bson!({"$gt": [1]})).message, "Expression $gt takes exactly 2 arguments. 1 were passed in.");
        assert_eq!(
            err(bson!({"$slice": [[1]]})).message,
            "Expression $slice takes at least 2 arguments, and at most 3, but 1 were passed in."
        );
        assert_eq!(err(bson!("$$nope")).message, "Use of undefined variable: nope");
        assert_eq!(err(bson!("$$1x")).message, "'1x' starts with an invalid character for a variable name");
        assert_eq!(err(bson!("$")).code, 16872);
        assert_eq!(err(bson!("$a..b")).code, 15998);
        assert_eq!(err(bson!({"a": 1, "$b": 2})).code, 16410);
        expect_test::expect![[r#"an expression specification must contain exactly one field, the name of the expression. Found 2 fields in { $add: 1, $abs: 1 }"#]]
            .assert_eq(&err(bson!({"$add": 1, "$abs": 1})).message);
    }

    #[test]
    fn variables_in_scope_are_accepted_and_read() {
        let parsed = Expression::parse_with_variables(&bson!({"$add": ["$$ids", 1]}), &["ids".to_string()]).unwrap();
        let variables = [("ids".to_string(), bson!(41))];
        let environment = Environment { variables: &variables, ..Environment::default() };
        assert_eq!(parsed.evaluate_in(&doc! {}, environment).unwrap(), Some(bson!(42)));
    }

    #[test]
    fn now_is_the_pipelines_instant() {
        let now = bson::DateTime::from_millis(1_704_067_200_000);
        let parsed = Expression::parse(&bson!("$$NOW")).unwrap();
        let environment = Environment { now: Some(now), ..Environment::default() };
        assert_eq!(parsed.evaluate_in(&doc! {}, environment).unwrap(), Some(Bson::DateTime(now)));
    }

    #[test]
    fn a_doubling_value_stops_at_the_document_limit_and_the_budget_stops_long_runs() {
        // Each step doubles the running array: 40 steps would be 2^40 elements.
        let doubling = bson!({"$reduce": {"input": {"$range": [0, 40]}, "initialValue": "$s",
                                         "in": {"$concatArrays": ["$$value", "$$value"]}}});
        let root = doc! {"s": ["xxxxxxxxxxxxxxxx"]};
        let err = eval(doubling, &root).unwrap_err();
        assert_eq!(err.code, 10334, "{}", err.message);

        let budget = Budget::new(50);
        let parsed = Expression::parse(&bson!({"$map": {"input": {"$range": [0, 1000]}, "in": "$$this"}})).unwrap();
        let environment = Environment { budget: Some(&budget), ..Environment::default() };
        let err = parsed.evaluate_in(&doc! {}, environment).unwrap_err();
        assert_eq!((err.code.number(), err.message.as_str()), (50, "operation exceeded time limit"));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut deep = bson!(1);
        for _ in 0..1000 {
            deep = bson!({"$abs": deep});
        }
        assert!(Expression::parse(&deep).unwrap_err().message.contains("nests deeper"));
    }

    #[test]
    fn truthiness() {
        assert!(!is_truthy(None));
        assert!(!is_truthy(Some(&bson!(0))));
        assert!(!is_truthy(Some(&Bson::Null)));
        assert!(is_truthy(Some(&bson!(""))));
        assert!(is_truthy(Some(&bson!([]))));
    }

    #[test]
    fn every_operator_has_a_summary_and_one_name() {
        let mut names: Vec<&str> = operator_names().collect();
        assert!(expression_operators().all(|doc| !doc.summary.is_empty() && doc.name.starts_with('$')));
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "an operator is listed twice");
        assert!(UNSUPPORTED_OPERATORS.iter().all(|name| find_operator(name).is_none()));
    }
}
