//! The typed program a student's code parses into: statements and expressions, each with its source span.

use crate::js::inspect::js_number;
use std::fmt::{self, Write as _};

use super::span::Span;

/// A whole input: the statements in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub statements: Vec<Stmt>,
    pub span: Span,
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclKind {
    Const,
    Let,
    Var,
}

impl DeclKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclKind::Const => "const",
            DeclKind::Let => "let",
            DeclKind::Var => "var",
        }
    }
}

/// What a declaration, a parameter or a `for…of` binds: `x`, `{ Schema, model: makeModel }` taken out of an
/// object, `[first, ...others]` out of an array, and any of them with a default (`{ page = 1 }`).
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Name(Name),
    Object {
        /// `(property, target)`; `{ Schema }` binds property `Schema` to the name `Schema`.
        fields: Vec<(Name, Pattern)>,
        /// `{ a, ...others }`: the remaining properties.
        rest: Option<Name>,
        span: Span,
    },
    Array {
        /// `None` for a hole: `[, second]`.
        items: Vec<Option<Pattern>>,
        rest: Option<Box<Pattern>>,
        span: Span,
    },
    /// `target = default`: the default is evaluated when the value is `undefined`.
    Default {
        target: Box<Pattern>,
        default: Box<Expr>,
        span: Span,
    },
}

impl Pattern {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Name(name) => name.span,
            Pattern::Object { span, .. } | Pattern::Array { span, .. } | Pattern::Default { span, .. } => *span,
        }
    }

    /// Every name the pattern binds, in written order.
    pub fn names(&self) -> Vec<&Name> {
        let mut names = Vec::new();
        let mut stack = vec![self];
        while let Some(pattern) = stack.pop() {
            match pattern {
                Pattern::Name(name) => names.push(name),
                Pattern::Object { fields, rest, .. } => {
                    names.extend(rest.iter());
                    stack.extend(fields.iter().rev().map(|(_, target)| target));
                }
                Pattern::Array { items, rest, .. } => {
                    stack.extend(rest.iter().map(|rest| rest.as_ref()));
                    stack.extend(items.iter().rev().flatten());
                }
                Pattern::Default { target, .. } => stack.push(target),
            }
        }
        names
    }
}

/// The head of `for (const x of …)` / `for (key in …)`: a declaration, or an existing name when `kind` is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForHead {
    pub kind: Option<DeclKind>,
    pub target: Pattern,
}

/// One `case test:` (or `default:` when `test` is `None`) of a `switch`, with the statements after it.
#[derive(Debug, Clone, PartialEq)]
pub struct SwitchCase {
    pub test: Option<Expr>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Declarator {
    pub target: Pattern,
    pub init: Option<Expr>,
    pub span: Span,
}

/// `import mongoose, { Schema as S } from "mongoose"` / `import * as m from "mongoose"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    pub default: Option<Name>,
    pub namespace: Option<Name>,
    /// `(imported name, local name)`.
    pub named: Vec<(Name, Name)>,
    pub source: String,
    pub source_span: Span,
}

/// mongosh commands that are not JavaScript: `use shop`, `show dbs`, `show collections`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellCommandKind {
    Use,
    Show,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Declaration {
        kind: DeclKind,
        declarators: Vec<Declarator>,
    },
    Expression(Expr),
    Import(Import),
    /// `export default expr` (accepted so lecture files paste cleanly).
    ExportDefault(Expr),
    /// `export const x = …`: the inner declaration.
    Export(Box<Stmt>),
    /// `use shop` / `show collections`; `argument` is the rest of the line, trimmed.
    ShellCommand {
        command: ShellCommandKind,
        argument: Name,
    },
    Block(Vec<Stmt>),
    If {
        test: Expr,
        consequent: Box<Stmt>,
        alternate: Option<Box<Stmt>>,
    },
    Return(Option<Expr>),
    Throw(Expr),
    Try {
        block: Vec<Stmt>,
        catch_param: Option<Name>,
        catch_block: Option<Vec<Stmt>>,
        finally_block: Option<Vec<Stmt>>,
    },
    /// `function name(params) { … }` at statement level.
    Function(Function),
    /// `for (init; test; update) body`.
    For {
        init: Option<Box<Stmt>>,
        test: Option<Expr>,
        update: Option<Expr>,
        body: Box<Stmt>,
    },
    /// `for (const x of iterable) body`.
    ForOf {
        head: ForHead,
        iterable: Expr,
        body: Box<Stmt>,
    },
    /// `for (const key in object) body`.
    ForIn {
        head: ForHead,
        object: Expr,
        body: Box<Stmt>,
    },
    While {
        test: Expr,
        body: Box<Stmt>,
    },
    DoWhile {
        body: Box<Stmt>,
        test: Expr,
    },
    Break,
    Continue,
    Switch {
        discriminant: Expr,
        cases: Vec<SwitchCase>,
    },
    /// A lone `;`.
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Minus,
    Plus,
    Typeof,
    Delete,
    Void,
}

impl UnaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Minus => "-",
            UnaryOp::Plus => "+",
            UnaryOp::Typeof => "typeof ",
            UnaryOp::Delete => "delete ",
            UnaryOp::Void => "void ",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    StrictEq,
    StrictNotEq,
    LooseEq,
    LooseNotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    And,
    Or,
    Nullish,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    /// `key in object`.
    In,
    InstanceOf,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::StrictEq => "===",
            BinaryOp::StrictNotEq => "!==",
            BinaryOp::LooseEq => "==",
            BinaryOp::LooseNotEq => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessEq => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterEq => ">=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
            BinaryOp::Nullish => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Pow => "**",
            BinaryOp::In => "in",
            BinaryOp::InstanceOf => "instanceof",
        }
    }
}

/// How an object key was written; the key itself is always the string JavaScript would use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStyle {
    /// `username:` (keywords such as `new:` or `default:` included).
    Ident,
    /// `"first name":`.
    Quoted,
    /// `1:` / `1.5:` / `0x10:` — the key is the number's JavaScript string form (`"1"`, `"1.5"`, `"16"`).
    Numeric,
    /// `...other`: the value's own properties are copied in (the key is `"..."`).
    Spread,
    /// `[expression]: value`: the key is computed from `computed_key` when the object is built.
    Computed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub key: String,
    pub key_span: Span,
    pub key_style: KeyStyle,
    pub value: Expr,
    /// `{ username }`: the value is the identifier `username`.
    pub shorthand: bool,
    /// For [`KeyStyle::Computed`], the expression inside `[…]`.
    pub computed_key: Option<Box<Expr>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FunctionBody {
    Block(Vec<Stmt>),
    /// `x => x.age`.
    Expression(Box<Expr>),
}

/// An arrow function or `function` expression, kept so Express handlers and middleware parse.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub is_async: bool,
    pub is_arrow: bool,
    pub name: Option<Name>,
    pub params: Vec<Pattern>,
    /// `...rest`: the arguments after the named parameters, as an array.
    pub rest: Option<Pattern>,
    pub body: FunctionBody,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// Every JavaScript number is a double; `Infinity` and `NaN` land here too.
    Number(f64),
    String(String),
    /// A backtick string (no placeholders).
    Template(String),
    /// `` `text ${expr} text` ``: `quasis` has one more element than `exprs`.
    TemplateLiteral {
        quasis: Vec<String>,
        exprs: Vec<Expr>,
    },
    /// `...value` inside an array literal or an argument list.
    Spread(Box<Expr>),
    /// `x++`, `--x`.
    Update {
        increment: bool,
        prefix: bool,
        target: Box<Expr>,
    },
    /// `x += 1`, `total ??= 0` (`op` is the operator applied: `Add`, `Nullish`, ...).
    CompoundAssign {
        op: BinaryOp,
        target: Box<Expr>,
        value: Box<Expr>,
    },
    Bool(bool),
    Null,
    Undefined,
    Regex {
        pattern: String,
        flags: String,
    },
    Ident(String),
    Array(Vec<Expr>),
    Object(Vec<Property>),
    /// `object.property` or `object?.property`.
    Member {
        object: Box<Expr>,
        property: Name,
        optional: bool,
    },
    /// `object[index]` or `object?.[index]`.
    Index {
        object: Box<Expr>,
        index: Box<Expr>,
        optional: bool,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Expr>,
        optional: bool,
    },
    /// `new Callee(args)`; `new Date` without parentheses has no arguments.
    New {
        callee: Box<Expr>,
        args: Vec<Expr>,
    },
    /// Kept in the tree; the executor treats it as a no-op.
    Await(Box<Expr>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Conditional {
        test: Box<Expr>,
        consequent: Box<Expr>,
        alternate: Box<Expr>,
    },
    /// `target = value` (`module.exports = User`, `user.premium = true`).
    Assign {
        target: Box<Expr>,
        value: Box<Expr>,
    },
    Function(Box<Function>),
}

impl Expr {
    /// For `a.b.c`, `["a", "b", "c"]`; `None` when the expression is not a plain dotted name.
    pub fn dotted_path(&self) -> Option<Vec<&str>> {
        let mut parts = Vec::new();
        let mut current = self;
        loop {
            match &current.kind {
                ExprKind::Ident(name) => {
                    parts.push(name.as_str());
                    parts.reverse();
                    return Some(parts);
                }
                ExprKind::Member { object, property, .. } => {
                    parts.push(property.name.as_str());
                    current = object;
                }
                _ => return None,
            }
        }
    }
}

/// One step of a member/call chain, as returned by [`Expr::chain`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChainStep<'a> {
    /// `.name` or `?.name`.
    Property { name: &'a Name, optional: bool },
    /// `[index]` or `?.[index]`.
    Index { index: &'a Expr, optional: bool },
    /// `(args)` or `?.(args)`.
    Call { args: &'a [Expr], optional: bool },
}

/// A step together with the expression it completes (`db.users.find` for the step `.find`), whose span
/// covers the chain from its root up to and including that step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainItem<'a> {
    pub step: ChainStep<'a>,
    pub expr: &'a Expr,
}

impl Expr {
    /// Flattens `db.users.find({}).sort({ a: 1 }).limit(5)` into its root (`db`) and the steps in reading
    /// order: `.users`, `.find`, `({})`, `.sort`, `({ a: 1 })`, `.limit`, `(5)`. Iterative, so any depth is fine.
    pub fn chain(&self) -> (&Expr, Vec<ChainItem<'_>>) {
        let mut items = Vec::new();
        let mut current = self;
        loop {
            let (step, inner) = match &current.kind {
                ExprKind::Member { object, property, optional } => {
                    (ChainStep::Property { name: property, optional: *optional }, object.as_ref())
                }
                ExprKind::Index { object, index, optional } => {
                    (ChainStep::Index { index, optional: *optional }, object.as_ref())
                }
                ExprKind::Call { callee, args, optional } => {
                    (ChainStep::Call { args, optional: *optional }, callee.as_ref())
                }
                _ => break,
            };
            items.push(ChainItem { step, expr: current });
            current = inner;
        }
        items.reverse();
        (current, items)
    }

    /// The expression inside any number of `await`s (the executor runs `await x` as `x`).
    pub fn without_await(&self) -> &Expr {
        let mut current = self;
        while let ExprKind::Await(inner) = &current.kind {
            current = inner;
        }
        current
    }
}

/// A node of the tree, as returned by [`node_path_at`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeRef<'a> {
    Stmt(&'a Stmt),
    Expr(&'a Expr),
    /// An object property; its key span tells whether the offset is on the key.
    Property(&'a Property),
}

impl NodeRef<'_> {
    pub fn span(&self) -> Span {
        match self {
            NodeRef::Stmt(stmt) => stmt.span,
            NodeRef::Expr(expr) => expr.span,
            NodeRef::Property(property) => property.span,
        }
    }
}

/// The nodes whose spans contain byte `offset`, outermost first (statement, then ever smaller
/// expressions). A span's end counts as inside, so the offset just after `find` still finds it.
/// Iterative: no recursion, whatever the tree's depth.
pub fn node_path_at(program: &Program, offset: usize) -> Vec<NodeRef<'_>> {
    let mut path = Vec::new();
    let mut candidates: Vec<NodeRef<'_>> = program.statements.iter().map(NodeRef::Stmt).collect();
    while let Some(node) = candidates.iter().find(|node| node.span().contains(offset)).copied() {
        path.push(node);
        candidates = children(node);
    }
    path
}

fn function_children(function: &Function) -> Vec<NodeRef<'_>> {
    match &function.body {
        FunctionBody::Block(statements) => statements.iter().map(NodeRef::Stmt).collect(),
        FunctionBody::Expression(expr) => vec![NodeRef::Expr(expr)],
    }
}

fn children(node: NodeRef<'_>) -> Vec<NodeRef<'_>> {
    match node {
        NodeRef::Property(property) => vec![NodeRef::Expr(&property.value)],
        NodeRef::Stmt(stmt) => {
            match &stmt.kind {
                StmtKind::Declaration { declarators, .. } => {
                    declarators.iter().filter_map(|declarator| declarator.init.as_ref().map(NodeRef::Expr)).collect()
                }
                StmtKind::Expression(expr) | StmtKind::ExportDefault(expr) | StmtKind::Throw(expr) => {
                    vec![NodeRef::Expr(expr)]
                }
                StmtKind::Return(value) => value.iter().map(NodeRef::Expr).collect(),
                StmtKind::Export(inner) => vec![NodeRef::Stmt(inner)],
                StmtKind::Block(statements) => statements.iter().map(NodeRef::Stmt).collect(),
                StmtKind::If { test, consequent, alternate } => {
                    let mut nodes = vec![NodeRef::Expr(test), NodeRef::Stmt(consequent)];
                    nodes.extend(alternate.iter().map(|alternate| NodeRef::Stmt(alternate)));
                    nodes
                }
                StmtKind::Try { block, catch_block, finally_block, .. } => block
                    .iter()
                    .chain(catch_block.iter().flatten())
                    .chain(finally_block.iter().flatten())
                    .map(NodeRef::Stmt)
                    .collect(),
                StmtKind::Function(function) => function_children(function),
                StmtKind::For { init, test, update, body } => {
                    let mut nodes: Vec<NodeRef<'_>> = init.iter().map(|init| NodeRef::Stmt(init)).collect();
                    nodes.extend(test.iter().chain(update.iter()).map(NodeRef::Expr));
                    nodes.push(NodeRef::Stmt(body));
                    nodes
                }
                StmtKind::ForOf { iterable: expr, body, .. }
                | StmtKind::ForIn { object: expr, body, .. }
                | StmtKind::While { test: expr, body }
                | StmtKind::DoWhile { body, test: expr } => vec![NodeRef::Expr(expr), NodeRef::Stmt(body)],
                StmtKind::Switch { discriminant, cases } => std::iter::once(NodeRef::Expr(discriminant))
                    .chain(cases.iter().flat_map(|case| {
                        case.test.iter().map(NodeRef::Expr).chain(case.body.iter().map(NodeRef::Stmt))
                    }))
                    .collect(),
                StmtKind::Import(_)
                | StmtKind::ShellCommand { .. }
                | StmtKind::Empty
                | StmtKind::Break
                | StmtKind::Continue => Vec::new(),
            }
        }
        NodeRef::Expr(expr) => match &expr.kind {
            ExprKind::Array(items) => items.iter().map(NodeRef::Expr).collect(),
            ExprKind::Object(properties) => properties.iter().map(NodeRef::Property).collect(),
            ExprKind::Member { object, .. } => vec![NodeRef::Expr(object)],
            ExprKind::Index { object, index, .. } => vec![NodeRef::Expr(object), NodeRef::Expr(index)],
            ExprKind::Call { callee, args, .. } | ExprKind::New { callee, args } => {
                std::iter::once(NodeRef::Expr(callee.as_ref())).chain(args.iter().map(NodeRef::Expr)).collect()
            }
            ExprKind::Await(inner) => vec![NodeRef::Expr(inner)],
            ExprKind::Unary { operand, .. } => vec![NodeRef::Expr(operand)],
            ExprKind::Binary { left, right, .. } => vec![NodeRef::Expr(left), NodeRef::Expr(right)],
            ExprKind::Conditional { test, consequent, alternate } => {
                vec![NodeRef::Expr(test), NodeRef::Expr(consequent), NodeRef::Expr(alternate)]
            }
            ExprKind::Assign { target, value } | ExprKind::CompoundAssign { target, value, .. } => {
                vec![NodeRef::Expr(target), NodeRef::Expr(value)]
            }
            ExprKind::TemplateLiteral { exprs, .. } => exprs.iter().map(NodeRef::Expr).collect(),
            ExprKind::Spread(inner) | ExprKind::Update { target: inner, .. } => vec![NodeRef::Expr(inner)],
            ExprKind::Function(function) => function_children(function),
            ExprKind::Number(_)
            | ExprKind::String(_)
            | ExprKind::Template(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Undefined
            | ExprKind::Regex { .. }
            | ExprKind::Ident(_) => Vec::new(),
        },
    }
}

fn quote(text: &str) -> String {
    // JSON-style quoting is unambiguous and readable in test snapshots.
    serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

/// Pretty printing: JavaScript-like text with every operator expression in parentheses, so that
/// snapshot tests show the tree's structure (precedence, what calls what) at a glance.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for statement in &self.statements {
            let mut out = String::new();
            write_stmt(&mut out, statement, 0);
            writeln!(f, "{out}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_expr(&mut out, self, 0);
        f.write_str(&out)
    }
}

impl fmt::Display for Stmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        write_stmt(&mut out, self, 0);
        f.write_str(&out)
    }
}

fn write_block(out: &mut String, statements: &[Stmt], indent: usize) {
    out.push_str("{\n");
    for statement in statements {
        out.push_str(&"  ".repeat(indent + 1));
        write_stmt(out, statement, indent + 1);
        out.push('\n');
    }
    out.push_str(&"  ".repeat(indent));
    out.push('}');
}

fn write_pattern(out: &mut String, pattern: &Pattern) {
    match pattern {
        Pattern::Name(name) => out.push_str(&name.name),
        Pattern::Object { fields, rest, .. } => {
            out.push_str("{ ");
            let mut parts: Vec<String> = fields
                .iter()
                .map(|(property, target)| {
                    let mut text = String::new();
                    write_pattern(&mut text, target);
                    match target {
                        Pattern::Name(local) if local.name == property.name => text,
                        _ => format!("{}: {text}", property.name),
                    }
                })
                .collect();
            parts.extend(rest.iter().map(|rest| format!("...{}", rest.name)));
            out.push_str(&parts.join(", "));
            out.push_str(" }");
        }
        Pattern::Array { items, rest, .. } => {
            out.push('[');
            let mut parts: Vec<String> = items
                .iter()
                .map(|item| {
                    let mut text = String::new();
                    if let Some(item) = item {
                        write_pattern(&mut text, item);
                    }
                    text
                })
                .collect();
            if let Some(rest) = rest {
                let mut text = "...".to_string();
                write_pattern(&mut text, rest);
                parts.push(text);
            }
            out.push_str(&parts.join(", "));
            out.push(']');
        }
        Pattern::Default { target, default, .. } => {
            write_pattern(out, target);
            out.push_str(" = ");
            write_expr(out, default, 0);
        }
    }
}

fn write_for_head(out: &mut String, head: &ForHead) {
    if let Some(kind) = head.kind {
        out.push_str(kind.as_str());
        out.push(' ');
    }
    write_pattern(out, &head.target);
}

fn write_stmt(out: &mut String, statement: &Stmt, indent: usize) {
    match &statement.kind {
        StmtKind::Declaration { kind, declarators } => {
            out.push_str(kind.as_str());
            out.push(' ');
            for (index, declarator) in declarators.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_pattern(out, &declarator.target);
                if let Some(init) = &declarator.init {
                    out.push_str(" = ");
                    write_expr(out, init, indent);
                }
            }
            out.push(';');
        }
        StmtKind::Expression(expr) => {
            write_expr(out, expr, indent);
            out.push(';');
        }
        StmtKind::Import(import) => {
            out.push_str("import ");
            let mut parts = Vec::new();
            if let Some(default) = &import.default {
                parts.push(default.name.clone());
            }
            if let Some(namespace) = &import.namespace {
                parts.push(format!("* as {}", namespace.name));
            }
            if !import.named.is_empty() {
                let named: Vec<String> = import
                    .named
                    .iter()
                    .map(|(imported, local)| {
                        if imported.name == local.name {
                            imported.name.clone()
                        } else {
                            format!("{} as {}", imported.name, local.name)
                        }
                    })
                    .collect();
                parts.push(format!("{{ {} }}", named.join(", ")));
            }
            if !parts.is_empty() {
                out.push_str(&parts.join(", "));
                out.push_str(" from ");
            }
            out.push_str(&quote(&import.source));
            out.push(';');
        }
        StmtKind::ExportDefault(expr) => {
            out.push_str("export default ");
            write_expr(out, expr, indent);
            out.push(';');
        }
        StmtKind::Export(inner) => {
            out.push_str("export ");
            write_stmt(out, inner, indent);
        }
        StmtKind::ShellCommand { command, argument } => {
            out.push_str(match command {
                ShellCommandKind::Use => "<shell use ",
                ShellCommandKind::Show => "<shell show ",
            });
            out.push_str(&quote(&argument.name));
            out.push('>');
        }
        StmtKind::Block(statements) => write_block(out, statements, indent),
        StmtKind::If { test, consequent, alternate } => {
            out.push_str("if (");
            write_expr(out, test, indent);
            out.push_str(") ");
            write_stmt(out, consequent, indent);
            if let Some(alternate) = alternate {
                out.push_str(" else ");
                write_stmt(out, alternate, indent);
            }
        }
        StmtKind::Return(value) => {
            out.push_str("return");
            if let Some(value) = value {
                out.push(' ');
                write_expr(out, value, indent);
            }
            out.push(';');
        }
        StmtKind::Throw(value) => {
            out.push_str("throw ");
            write_expr(out, value, indent);
            out.push(';');
        }
        StmtKind::Try { block, catch_param, catch_block, finally_block } => {
            out.push_str("try ");
            write_block(out, block, indent);
            if let Some(catch_block) = catch_block {
                out.push_str(" catch ");
                if let Some(param) = catch_param {
                    out.push_str(&format!("({}) ", param.name));
                }
                write_block(out, catch_block, indent);
            }
            if let Some(finally_block) = finally_block {
                out.push_str(" finally ");
                write_block(out, finally_block, indent);
            }
        }
        StmtKind::Function(function) => write_function(out, function, indent),
        StmtKind::For { init, test, update, body } => {
            out.push_str("for (");
            match init {
                Some(init) => write_stmt(out, init, indent),
                None => out.push(';'),
            }
            if let Some(test) = test {
                out.push(' ');
                write_expr(out, test, indent);
            }
            out.push(';');
            if let Some(update) = update {
                out.push(' ');
                write_expr(out, update, indent);
            }
            out.push_str(") ");
            write_stmt(out, body, indent);
        }
        StmtKind::ForOf { head, iterable: source, body } | StmtKind::ForIn { head, object: source, body } => {
            out.push_str("for (");
            write_for_head(out, head);
            out.push_str(if matches!(statement.kind, StmtKind::ForOf { .. }) { " of " } else { " in " });
            write_expr(out, source, indent);
            out.push_str(") ");
            write_stmt(out, body, indent);
        }
        StmtKind::While { test, body } => {
            out.push_str("while (");
            write_expr(out, test, indent);
            out.push_str(") ");
            write_stmt(out, body, indent);
        }
        StmtKind::DoWhile { body, test } => {
            out.push_str("do ");
            write_stmt(out, body, indent);
            out.push_str(" while (");
            write_expr(out, test, indent);
            out.push_str(");");
        }
        StmtKind::Break => out.push_str("break;"),
        StmtKind::Continue => out.push_str("continue;"),
        StmtKind::Switch { discriminant, cases } => {
            out.push_str("switch (");
            write_expr(out, discriminant, indent);
            out.push_str(") {\n");
            for case in cases {
                out.push_str(&"  ".repeat(indent + 1));
                match &case.test {
                    Some(test) => {
                        out.push_str("case ");
                        write_expr(out, test, indent + 1);
                        out.push(':');
                    }
                    None => out.push_str("default:"),
                }
                for statement in &case.body {
                    out.push(' ');
                    write_stmt(out, statement, indent + 1);
                }
                out.push('\n');
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
        }
        StmtKind::Empty => out.push(';'),
    }
}

fn write_function(out: &mut String, function: &Function, indent: usize) {
    if function.is_async {
        out.push_str("async ");
    }
    if !function.is_arrow {
        out.push_str("function ");
        if let Some(name) = &function.name {
            out.push_str(&name.name);
        }
    }
    out.push('(');
    for (index, param) in function.params.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_pattern(out, param);
    }
    if let Some(rest) = &function.rest {
        if !function.params.is_empty() {
            out.push_str(", ");
        }
        out.push_str("...");
        write_pattern(out, rest);
    }
    out.push_str(") ");
    if function.is_arrow {
        out.push_str("=> ");
    }
    match &function.body {
        FunctionBody::Block(statements) => write_block(out, statements, indent),
        // An object body needs parentheses, or it would read as a block: `x => ({ x })`.
        FunctionBody::Expression(expr) if matches!(expr.kind, ExprKind::Object(_)) => {
            out.push('(');
            write_expr(out, expr, indent);
            out.push(')');
        }
        FunctionBody::Expression(expr) => write_expr(out, expr, indent),
    }
}

fn write_list(out: &mut String, items: &[Expr], indent: usize) {
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        write_expr(out, item, indent);
    }
}

fn write_expr(out: &mut String, expr: &Expr, indent: usize) {
    match &expr.kind {
        ExprKind::Number(value) => out.push_str(&js_number(*value)),
        ExprKind::String(value) => out.push_str(&quote(value)),
        ExprKind::Template(value) => {
            out.push('`');
            out.push_str(&value.replace('\\', "\\\\").replace('`', "\\`"));
            out.push('`');
        }
        ExprKind::TemplateLiteral { quasis, exprs } => {
            out.push('`');
            for (index, quasi) in quasis.iter().enumerate() {
                out.push_str(&quasi.replace('\\', "\\\\").replace('`', "\\`"));
                if let Some(expr) = exprs.get(index) {
                    out.push_str("${");
                    write_expr(out, expr, indent);
                    out.push('}');
                }
            }
            out.push('`');
        }
        ExprKind::Spread(inner) => {
            out.push_str("...");
            write_expr(out, inner, indent);
        }
        ExprKind::Update { increment, prefix, target } => {
            let op = if *increment { "++" } else { "--" };
            out.push('(');
            if *prefix {
                out.push_str(op);
            }
            write_expr(out, target, indent);
            if !*prefix {
                out.push_str(op);
            }
            out.push(')');
        }
        ExprKind::CompoundAssign { op, target, value } => {
            out.push('(');
            write_expr(out, target, indent);
            let _ = write!(out, " {}= ", op.as_str());
            write_expr(out, value, indent);
            out.push(')');
        }
        ExprKind::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        ExprKind::Null => out.push_str("null"),
        ExprKind::Undefined => out.push_str("undefined"),
        ExprKind::Regex { pattern, flags } => {
            let _ = write!(out, "/{pattern}/{flags}");
        }
        ExprKind::Ident(name) => out.push_str(name),
        ExprKind::Array(items) => {
            out.push('[');
            write_list(out, items, indent);
            out.push(']');
        }
        ExprKind::Object(properties) => {
            if properties.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{ ");
            for (index, property) in properties.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                if property.shorthand {
                    out.push_str(&property.key);
                    continue;
                }
                match property.key_style {
                    KeyStyle::Ident => out.push_str(&property.key),
                    KeyStyle::Quoted => out.push_str(&quote(&property.key)),
                    KeyStyle::Numeric => {
                        let _ = write!(out, "[num {}]", property.key);
                    }
                    KeyStyle::Spread => {
                        out.push_str("...");
                        write_expr(out, &property.value, indent);
                        continue;
                    }
                    KeyStyle::Computed => {
                        out.push('[');
                        if let Some(key) = &property.computed_key {
                            write_expr(out, key, indent);
                        }
                        out.push(']');
                    }
                }
                out.push_str(": ");
                write_expr(out, &property.value, indent);
            }
            out.push_str(" }");
        }
        ExprKind::Member { object, property, optional } => {
            write_expr(out, object, indent);
            out.push_str(if *optional { "?." } else { "." });
            out.push_str(&property.name);
        }
        ExprKind::Index { object, index, optional } => {
            write_expr(out, object, indent);
            out.push_str(if *optional { "?.[" } else { "[" });
            write_expr(out, index, indent);
            out.push(']');
        }
        ExprKind::Call { callee, args, optional } => {
            write_expr(out, callee, indent);
            out.push_str(if *optional { "?.(" } else { "(" });
            write_list(out, args, indent);
            out.push(')');
        }
        ExprKind::New { callee, args } => {
            out.push_str("(new ");
            write_expr(out, callee, indent);
            out.push('(');
            write_list(out, args, indent);
            out.push_str("))");
        }
        ExprKind::Await(inner) => {
            out.push_str("(await ");
            write_expr(out, inner, indent);
            out.push(')');
        }
        ExprKind::Unary { op, operand } => {
            out.push('(');
            out.push_str(op.as_str());
            write_expr(out, operand, indent);
            out.push(')');
        }
        ExprKind::Binary { op, left, right } => {
            out.push('(');
            write_expr(out, left, indent);
            let _ = write!(out, " {} ", op.as_str());
            write_expr(out, right, indent);
            out.push(')');
        }
        ExprKind::Conditional { test, consequent, alternate } => {
            out.push('(');
            write_expr(out, test, indent);
            out.push_str(" ? ");
            write_expr(out, consequent, indent);
            out.push_str(" : ");
            write_expr(out, alternate, indent);
            out.push(')');
        }
        ExprKind::Assign { target, value } => {
            out.push('(');
            write_expr(out, target, indent);
            out.push_str(" = ");
            write_expr(out, value, indent);
            out.push(')');
        }
        ExprKind::Function(function) => {
            out.push('(');
            write_function(out, function, indent);
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_path_finds_the_innermost_nodes_at_an_offset() {
        let source = "const u = await User.find({ age: { $gt: 18 } }).limit(5);";
        let program = crate::shell::parser::parse(source).unwrap();
        let show = |offset: usize| -> Vec<String> {
            node_path_at(&program, offset)
                .iter()
                .map(|node| match node {
                    NodeRef::Stmt(_) => "stmt".to_string(),
                    NodeRef::Property(property) => format!("prop {}", property.key),
                    NodeRef::Expr(expr) => expr.span.text(source).to_string(),
                })
                .collect()
        };
        let at_18 = source.find("18").unwrap();
        expect_test::expect![[r#"
            [
                "stmt",
                "await User.find({ age: { $gt: 18 } }).limit(5)",
                "User.find({ age: { $gt: 18 } }).limit(5)",
                "User.find({ age: { $gt: 18 } }).limit",
                "User.find({ age: { $gt: 18 } })",
                "{ age: { $gt: 18 } }",
                "prop age",
                "{ $gt: 18 }",
                "prop $gt",
                "18",
            ]
        "#]]
        .assert_debug_eq(&show(at_18));
        assert!(node_path_at(&program, 10_000).is_empty());
    }

    #[test]
    fn chains_flatten_in_reading_order() {
        let source = "await db.users.find({ a: 1 })?.sort({ a: -1 }).limit(5)[0]";
        let program = crate::shell::parser::parse(source).unwrap();
        let StmtKind::Expression(expr) = &program.statements[0].kind else { panic!("not an expression") };
        let (root, items) = expr.without_await().chain();
        let steps: Vec<String> = items
            .iter()
            .map(|item| {
                let step = match item.step {
                    ChainStep::Property { name, optional } => {
                        format!("{}.{}", if optional { "?" } else { "" }, name.name)
                    }
                    ChainStep::Index { index, .. } => format!("[{index}]"),
                    ChainStep::Call { args, .. } => format!("({} args)", args.len()),
                };
                format!("{step} <- {}", item.expr.span.text(source))
            })
            .collect();
        assert_eq!(root.span.text(source), "db");
        expect_test::expect![[r#"
            [
                ".users <- db.users",
                ".find <- db.users.find",
                "(1 args) <- db.users.find({ a: 1 })",
                "?.sort <- db.users.find({ a: 1 })?.sort",
                "(1 args) <- db.users.find({ a: 1 })?.sort({ a: -1 })",
                ".limit <- db.users.find({ a: 1 })?.sort({ a: -1 }).limit",
                "(1 args) <- db.users.find({ a: 1 })?.sort({ a: -1 }).limit(5)",
                "[0] <- db.users.find({ a: 1 })?.sort({ a: -1 }).limit(5)[0]",
            ]
        "#]]
        .assert_debug_eq(&steps);
    }

    #[test]
    fn numbers_print_like_javascript_string_conversion() {
        let table = [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012.0, "123456789012"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (1.5e-10, "1.5e-10"),
            (-0.0, "0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (2.5e300, "2.5e+300"),
            (16.0, "16"),
        ];
        for (value, expected) in table {
            assert_eq!(js_number(value), expected, "{value:?}");
        }
    }
}
