//! The typed program a student's code parses into: statements and expressions, each with its source span.

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

/// What a declaration binds: `x`, or `{ Schema, model: makeModel }` destructured from an object.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    Name(Name),
    Object {
        /// `(property, local name)`; `{ Schema }` binds property `Schema` to local `Schema`.
        fields: Vec<(Name, Name)>,
        span: Span,
    },
}

impl Pattern {
    pub fn span(&self) -> Span {
        match self {
            Pattern::Name(name) => name.span,
            Pattern::Object { span, .. } => *span,
        }
    }
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
    /// A lone `;`.
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Minus,
    Plus,
    Typeof,
}

impl UnaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Minus => "-",
            UnaryOp::Plus => "+",
            UnaryOp::Typeof => "typeof ",
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub key: String,
    pub key_span: Span,
    pub key_style: KeyStyle,
    pub value: Expr,
    /// `{ username }`: the value is the identifier `username`.
    pub shorthand: bool,
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

/// Formats a number the way JavaScript's `String(n)` does (`1`, `1.5`, `1e+21`, `1e-7`, `-0` → `0`).
pub fn js_number_to_string(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if value == 0.0 {
        return "0".to_string();
    }
    let sign = if value < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest round-trip digits, e.g. `1.5e-7`.
    let scientific = format!("{:e}", value.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i64;
    let n = exponent + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at((n as usize).min(digits.len()));
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let exp_sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1.min(digits.len()));
        if rest.is_empty() {
            format!("{first}e{exp_sign}{}", (n - 1).abs())
        } else {
            format!("{first}.{rest}e{exp_sign}{}", (n - 1).abs())
        }
    };
    format!("{sign}{body}")
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
        Pattern::Object { fields, .. } => {
            out.push_str("{ ");
            let parts: Vec<String> = fields
                .iter()
                .map(|(property, local)| {
                    if property.name == local.name {
                        property.name.clone()
                    } else {
                        format!("{}: {}", property.name, local.name)
                    }
                })
                .collect();
            out.push_str(&parts.join(", "));
            out.push_str(" }");
        }
    }
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
        ExprKind::Number(value) => out.push_str(&js_number_to_string(*value)),
        ExprKind::String(value) => out.push_str(&quote(value)),
        ExprKind::Template(value) => {
            out.push('`');
            out.push_str(&value.replace('\\', "\\\\").replace('`', "\\`"));
            out.push('`');
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
#[allow(clippy::unwrap_used)] // unwrap is allowed in tests (house rules)
mod tests {
    use super::*;

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
            assert_eq!(js_number_to_string(value), expected, "{value:?}");
        }
    }
}
