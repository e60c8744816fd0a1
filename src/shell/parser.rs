//! Recursive-descent parser from tokens to the [`Program`] tree, following JavaScript's grammar for the
//! subset lectures use, with automatic semicolon insertion and beginner-worded, located errors.
//!
//! Nesting is capped at [`MAX_DEPTH`] levels so deep input (10,000 `[`) gives an error instead of a stack
//! overflow; the first error stops parsing.

use super::ast::{
    BinaryOp, DeclKind, Declarator, Expr, ExprKind, ForHead, Function, FunctionBody, Import, KeyStyle, Name, Pattern,
    Program, Property, ShellCommandKind, Stmt, StmtKind, SwitchCase, UnaryOp,
};
use super::error::{ErrorKind, ParseError};
use super::lexer::{describe, tokenize, Punct, Token, TokenKind};
use super::span::{LineColumn, Span};
use crate::js::inspect::js_number;

/// How deeply brackets, blocks, operators and `.` links may nest. MongoDB itself refuses documents nested
/// deeper than 100 levels; the cap leaves room for a 100-level document inside a call such as
/// `db.c.insertOne({…})`, so students can still meet MongoDB's own limit. At this cap the optimised build uses about
/// 420 KiB of stack in the worst case (measured natively: ~3.8 KiB per level of `[`), well inside the
/// 1 MiB WebAssembly gives the page; an unoptimised debug build needs about 7 times more.
pub const MAX_DEPTH: usize = 110;

type PResult<T> = Result<T, ParseError>;

/// Parses a whole program (statements separated by `;` or line breaks).
pub fn parse(source: &str) -> Result<Program, ParseError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser::new(source, tokens);
    parser.parse_program()
}

/// The most program text the playground runs at once (200 KB): more is refused before any work, so a pasted file
/// cannot freeze the page. (The parser itself handles megabytes; this is a limit on what a student runs.)
pub const MAX_SOURCE_BYTES: usize = 200_000;

/// Refuses program text longer than [`MAX_SOURCE_BYTES`] with a located error.
pub fn check_length(source: &str) -> Result<(), ParseError> {
    if source.len() <= MAX_SOURCE_BYTES {
        return Ok(());
    }
    let mut error = ParseError::new(
        ErrorKind::TooLong,
        source,
        Span::new(0, 0),
        format!("this program is {} bytes long; crudlab runs at most {MAX_SOURCE_BYTES} bytes at once", source.len()),
    );
    error.hint = Some("Run it in smaller parts, or insert big data sets with insertMany in several steps.".into());
    Err(error)
}

/// Parses text that must be exactly one expression, such as a filter typed into a query box.
pub fn parse_expression(source: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser::new(source, tokens);
    let expr = parser.parse_expression()?;
    if parser.peek().is_punct(Punct::Semicolon) {
        parser.advance();
    }
    if parser.peek().kind != TokenKind::Eof {
        let token = parser.peek().clone();
        return Err(parser.error(
            ErrorKind::UnexpectedToken,
            token.span,
            format!("expected only one expression, but found {} after it", describe(&token.kind)),
        ));
    }
    Ok(expr)
}

/// Words that cannot be used as plain names (a subset of JavaScript's reserved words that matters here).
const RESERVED: &[&str] = &[
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "debugger",
    "default",
    "delete",
    "do",
    "else",
    "export",
    "extends",
    "finally",
    "for",
    "function",
    "if",
    "import",
    "in",
    "instanceof",
    "let",
    "new",
    "return",
    "switch",
    "throw",
    "try",
    "typeof",
    "var",
    "void",
    "while",
    "with",
    "yield",
    "await",
];

/// Statement keywords crudlab understands as JavaScript but does not run.
const UNSUPPORTED_STATEMENTS: &[(&str, &str)] = &[
    ("class", "classes are not supported in crudlab's shell"),
    ("with", "`with` is not supported"),
    ("debugger", "`debugger` is not supported"),
    ("yield", "`yield` is not supported"),
];

struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    /// For each opening bracket token, the index of its matching closing token (if any).
    matching: Vec<Option<usize>>,
    pos: usize,
    depth: usize,
    previous_end: usize,
    eof: Token,
}

impl<'a> Parser<'a> {
    fn new(source: &'a str, tokens: Vec<Token>) -> Self {
        let matching = match_brackets(&tokens);
        Self {
            source,
            eof: Token { kind: TokenKind::Eof, span: Span::point(source.len()), newline_before: false },
            tokens,
            matching,
            pos: 0,
            depth: 0,
            previous_end: 0,
        }
    }

    // ----- token helpers -------------------------------------------------------------------------

    fn peek(&self) -> &Token {
        self.tokens.get(self.pos).unwrap_or(&self.eof)
    }

    fn peek_at(&self, ahead: usize) -> &Token {
        self.tokens.get(self.pos + ahead).unwrap_or(&self.eof)
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
            self.previous_end = token.span.end;
        }
        token
    }

    fn eat(&mut self, punct: Punct) -> bool {
        if self.peek().is_punct(punct) {
            self.advance();
            true
        } else {
            false
        }
    }

    #[cold]
    #[inline(never)]
    fn error(&self, kind: ErrorKind, span: Span, message: impl Into<String>) -> ParseError {
        ParseError::new(kind, self.source, span, message)
    }

    fn line_column(&self, offset: usize) -> LineColumn {
        LineColumn::of(self.source, offset)
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.previous_end.max(start))
    }

    /// Does the opening bracket at token index `open` have a matching closer followed by `=>`?
    fn is_arrow_params(&self, open: usize) -> bool {
        self.matching
            .get(open)
            .copied()
            .flatten()
            .and_then(|close| self.tokens.get(close + 1))
            .is_some_and(|token| token.is_punct(Punct::Arrow) && !token.newline_before)
    }

    fn has_matching_closer(&self, open: usize) -> bool {
        self.matching.get(open).copied().flatten().is_some()
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.peek().span;
            return Err(self
                .error(
                    ErrorKind::TooDeep,
                    span,
                    format!("this code is nested too deeply (more than {MAX_DEPTH} levels of brackets, operators or `.` links)"),
                )
                .with_hint("MongoDB documents may nest at most 100 levels; split long chains or flatten the structure"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    #[cold]
    #[inline(never)]
    fn unclosed(&self, open: &Token, found: &Token) -> ParseError {
        let (open_text, close_text) = match open.kind {
            TokenKind::Punct(Punct::LParen) => ("(", ")"),
            TokenKind::Punct(Punct::LBracket) => ("[", "]"),
            _ => ("{", "}"),
        };
        let message = if found.kind == TokenKind::Eof {
            format!("this `{open_text}` is never closed")
        } else {
            let at = self.line_column(found.span.start);
            format!(
                "this `{open_text}` is never closed: {} at line {}, column {} comes before its `{close_text}`",
                describe(&found.kind),
                at.line,
                at.column
            )
        };
        self.error(ErrorKind::Unclosed, open.span, message).with_hint(format!("add the missing `{close_text}`"))
    }

    #[cold]
    #[inline(never)]
    fn expected(&self, what: &str) -> ParseError {
        let token = self.peek();
        if token.kind == TokenKind::Eof {
            return self
                .error(ErrorKind::UnexpectedEnd, token.span, format!("the code ends here, but {what} is missing"))
                .with_hint("finish the statement, or check for a missing closing bracket or quote");
        }
        self.error(ErrorKind::UnexpectedToken, token.span, format!("expected {what}, found {}", describe(&token.kind)))
    }

    // ----- statements ----------------------------------------------------------------------------

    fn parse_program(&mut self) -> PResult<Program> {
        let mut statements = Vec::new();
        while self.peek().kind != TokenKind::Eof {
            if self.peek().is_punct(Punct::RBrace)
                || self.peek().is_punct(Punct::RParen)
                || self.peek().is_punct(Punct::RBracket)
            {
                let token = self.peek().clone();
                return Err(self
                    .error(
                        ErrorKind::UnexpectedToken,
                        token.span,
                        format!(
                            "{} closes nothing: there is no matching opening bracket before it",
                            describe(&token.kind)
                        ),
                    )
                    .with_hint("remove it, or add the opening bracket it belongs to"));
            }
            statements.push(self.parse_statement()?);
        }
        Ok(Program { statements, span: Span::new(0, self.source.len()) })
    }

    fn parse_statement(&mut self) -> PResult<Stmt> {
        self.enter()?;
        let result = self.parse_statement_inner();
        self.leave();
        result
    }

    fn parse_statement_inner(&mut self) -> PResult<Stmt> {
        let start = self.peek().span.start;
        let token = self.peek().clone();
        let word = token.ident().map(str::to_string);
        let kind = match word.as_deref() {
            Some("const") => self.parse_declaration(DeclKind::Const)?,
            Some("let") => self.parse_declaration(DeclKind::Let)?,
            Some("var") => self.parse_declaration(DeclKind::Var)?,
            Some("import") if !self.peek_at(1).is_punct(Punct::LParen) => self.parse_import()?,
            Some("export") => self.parse_export()?,
            Some("use" | "show") if self.is_shell_command() => self.parse_shell_command()?,
            Some("if") => self.parse_if()?,
            Some("return") => {
                self.advance();
                let next = self.peek();
                // `return` followed by a line break returns nothing (the restricted production).
                let value = if next.newline_before
                    || next.kind == TokenKind::Eof
                    || next.is_punct(Punct::Semicolon)
                    || next.is_punct(Punct::RBrace)
                {
                    None
                } else {
                    Some(self.parse_expression()?)
                };
                self.end_statement()?;
                StmtKind::Return(value)
            }
            Some("throw") => {
                self.advance();
                if self.peek().newline_before {
                    return Err(self.expected("a value on the same line as `throw`"));
                }
                let value = self.parse_expression()?;
                self.end_statement()?;
                StmtKind::Throw(value)
            }
            Some("try") => self.parse_try()?,
            Some("for") => self.parse_for()?,
            Some("while") => {
                self.advance();
                let test = self.parse_parenthesised("`while`")?;
                StmtKind::While { test, body: Box::new(self.parse_statement()?) }
            }
            Some("do") => {
                self.advance();
                let body = Box::new(self.parse_statement()?);
                if !self.peek().is_ident("while") {
                    return Err(self.expected("`while (…)` after the body of `do`"));
                }
                self.advance();
                let test = self.parse_parenthesised("`while`")?;
                self.eat(Punct::Semicolon);
                StmtKind::DoWhile { body, test }
            }
            Some(word @ ("break" | "continue")) => {
                self.advance();
                if self.peek().ident().is_some() && !self.peek().newline_before {
                    let span = self.peek().span;
                    return Err(self.error(
                        ErrorKind::Unsupported,
                        span,
                        "labels are not supported in crudlab's shell",
                    ));
                }
                self.end_statement()?;
                if word == "break" {
                    StmtKind::Break
                } else {
                    StmtKind::Continue
                }
            }
            Some("switch") => self.parse_switch()?,
            Some("function") => {
                let function = self.parse_function(false, true)?;
                StmtKind::Function(function)
            }
            Some("async") if self.peek_at(1).is_ident("function") && !self.peek_at(1).newline_before => {
                self.advance();
                let function = self.parse_function(true, true)?;
                StmtKind::Function(function)
            }
            Some(word) if UNSUPPORTED_STATEMENTS.iter().any(|(w, _)| *w == word) => {
                let message = UNSUPPORTED_STATEMENTS
                    .iter()
                    .find(|(w, _)| *w == word)
                    .map_or("this statement is not supported", |(_, m)| m);
                return Err(self.error(ErrorKind::Unsupported, token.span, message));
            }
            // `{ name: "ada" }` typed alone is an object, as mongosh and the Node.js REPL read it; crudlab has
            // no labels, so `{ key:` can never start a block.
            _ if token.is_punct(Punct::LBrace) && self.starts_object_literal() => {
                let expr = self.parse_expression()?;
                self.end_statement()?;
                StmtKind::Expression(expr)
            }
            _ if token.is_punct(Punct::LBrace) => StmtKind::Block(self.parse_block()?),
            _ if token.is_punct(Punct::Semicolon) => {
                self.advance();
                StmtKind::Empty
            }
            _ => {
                let expr = self.parse_expression()?;
                self.end_statement()?;
                StmtKind::Expression(expr)
            }
        };
        Ok(Stmt { kind, span: self.span_from(start) })
    }

    fn starts_object_literal(&self) -> bool {
        let key = self.peek_at(1);
        let key_like = matches!(key.kind, TokenKind::Ident(_) | TokenKind::Str { .. } | TokenKind::Number(_));
        key_like && self.peek_at(2).is_punct(Punct::Colon)
    }

    /// Automatic semicolon insertion: a statement ends at `;`, before `}`, at the end, or at a line break.
    fn end_statement(&mut self) -> PResult<()> {
        let token = self.peek().clone();
        if self.eat(Punct::Semicolon) {
            return Ok(());
        }
        if token.kind == TokenKind::Eof || token.is_punct(Punct::RBrace) || token.newline_before {
            return Ok(());
        }
        let (kind, message, hint) = match &token.kind {
            TokenKind::Punct(closer @ (Punct::RParen | Punct::RBracket)) => (
                ErrorKind::UnexpectedToken,
                format!(
                    "`{}` closes nothing: there is no matching `{}` before it",
                    closer.as_str(),
                    if *closer == Punct::RParen { "(" } else { "[" }
                ),
                "remove it, or add the opening bracket it belongs to".to_string(),
            ),
            TokenKind::Punct(Punct::Colon) => (
                ErrorKind::UnexpectedToken,
                "`:` can only be used inside `{ }` (between a key and its value) or in `a ? b : c`".to_string(),
                "wrap the key and value in `{ }`".to_string(),
            ),
            _ => (
                ErrorKind::UnexpectedToken,
                format!("expected the end of the statement, found {}", describe(&token.kind)),
                "put each statement on its own line or separate statements with `;`; a `,` or an operator may be missing".to_string(),
            ),
        };
        Err(self.error(kind, token.span, message).with_hint(hint))
    }

    fn parse_name(&mut self, what: &str) -> PResult<Name> {
        let token = self.peek().clone();
        match token.ident() {
            Some(name) if !RESERVED.contains(&name) => {
                self.advance();
                Ok(Name { name: name.to_string(), span: token.span })
            }
            Some(name) => Err(self
                .error(
                    ErrorKind::UnexpectedToken,
                    token.span,
                    format!("`{name}` is a reserved word and cannot be used as {what}"),
                )
                .with_hint("choose another name")),
            None => Err(self.expected(what)),
        }
    }

    /// A binding pattern, with an optional `= default` after it.
    fn parse_pattern_with_default(&mut self) -> PResult<Pattern> {
        let start = self.peek().span.start;
        let target = self.parse_pattern()?;
        if !self.eat(Punct::Assign) {
            return Ok(target);
        }
        let default = self.parse_assignment()?;
        Ok(Pattern::Default { target: Box::new(target), default: Box::new(default), span: self.span_from(start) })
    }

    fn parse_pattern(&mut self) -> PResult<Pattern> {
        self.enter()?;
        let result = self.parse_pattern_inner();
        self.leave();
        result
    }

    fn parse_pattern_inner(&mut self) -> PResult<Pattern> {
        let token = self.peek().clone();
        if token.is_punct(Punct::LBrace) {
            self.advance();
            let mut fields = Vec::new();
            let mut rest = None;
            loop {
                if self.eat(Punct::RBrace) {
                    break;
                }
                if self.peek().kind == TokenKind::Eof {
                    let found = self.peek().clone();
                    return Err(self.unclosed(&token, &found));
                }
                if self.eat(Punct::Ellipsis) {
                    rest = Some(self.parse_name("a name for the remaining properties")?);
                    if !self.peek().is_punct(Punct::RBrace) {
                        return Err(self.expected("`}` after the `...rest` element (it must come last)"));
                    }
                    continue;
                }
                let key_token = self.peek().clone();
                let key = match &key_token.kind {
                    TokenKind::Ident(name) => name.clone(),
                    TokenKind::Str { value, .. } => value.clone(),
                    _ => return Err(self.expected("a name to take out of the object")),
                };
                self.advance();
                let property = Name { name: key, span: key_token.span };
                let target = if self.eat(Punct::Colon) {
                    self.parse_pattern_with_default()?
                } else {
                    if RESERVED.contains(&property.name.as_str()) || key_token.ident().is_none() {
                        return Err(self.error(
                            ErrorKind::UnexpectedToken,
                            property.span,
                            format!("`{}` is a reserved word and cannot be used as a variable name", property.name),
                        ));
                    }
                    let name = Pattern::Name(property.clone());
                    if self.eat(Punct::Assign) {
                        let default = self.parse_assignment()?;
                        Pattern::Default {
                            target: Box::new(name),
                            default: Box::new(default),
                            span: self.span_from(key_token.span.start),
                        }
                    } else {
                        name
                    }
                };
                fields.push((property, target));
                if !self.eat(Punct::Comma) && !self.peek().is_punct(Punct::RBrace) {
                    if self.peek().kind == TokenKind::Eof {
                        let found = self.peek().clone();
                        return Err(self.unclosed(&token, &found));
                    }
                    return Err(self.expected("`,` or `}`"));
                }
            }
            return Ok(Pattern::Object { fields, rest, span: self.span_from(token.span.start) });
        }
        if token.is_punct(Punct::LBracket) {
            self.advance();
            let mut items = Vec::new();
            let mut rest = None;
            loop {
                if self.eat(Punct::RBracket) {
                    break;
                }
                if self.peek().kind == TokenKind::Eof {
                    let found = self.peek().clone();
                    return Err(self.unclosed(&token, &found));
                }
                if self.eat(Punct::Comma) {
                    items.push(None);
                    continue;
                }
                if self.eat(Punct::Ellipsis) {
                    rest = Some(Box::new(self.parse_pattern()?));
                    if !self.peek().is_punct(Punct::RBracket) {
                        return Err(self.expected("`]` after the `...rest` element (it must come last)"));
                    }
                    continue;
                }
                items.push(Some(self.parse_pattern_with_default()?));
                if !self.eat(Punct::Comma) && !self.peek().is_punct(Punct::RBracket) {
                    if self.peek().kind == TokenKind::Eof {
                        let found = self.peek().clone();
                        return Err(self.unclosed(&token, &found));
                    }
                    return Err(self.expected("`,` or `]`"));
                }
            }
            return Ok(Pattern::Array { items, rest, span: self.span_from(token.span.start) });
        }
        Ok(Pattern::Name(self.parse_name("a variable name")?))
    }

    fn parse_declaration(&mut self, kind: DeclKind) -> PResult<StmtKind> {
        self.advance();
        let declaration = self.parse_declaration_list(kind)?;
        self.end_statement()?;
        Ok(declaration)
    }

    /// The declarators after `const`/`let`/`var`, up to (not including) the end of the statement.
    fn parse_declaration_list(&mut self, kind: DeclKind) -> PResult<StmtKind> {
        let mut declarators = Vec::new();
        loop {
            let start = self.peek().span.start;
            let target = self.parse_pattern()?;
            let init = if self.eat(Punct::Assign) {
                Some(self.parse_assignment()?)
            } else {
                if kind == DeclKind::Const {
                    let span = target.span();
                    return Err(self
                        .error(ErrorKind::UnexpectedToken, Span::point(span.end), "a `const` needs a value")
                        .with_hint("write `const name = value`"));
                }
                if matches!(target, Pattern::Object { .. } | Pattern::Array { .. }) {
                    return Err(self.expected("`=` and a value to destructure"));
                }
                None
            };
            declarators.push(Declarator { target, init, span: self.span_from(start) });
            if !self.eat(Punct::Comma) {
                break;
            }
        }
        Ok(StmtKind::Declaration { kind, declarators })
    }

    fn parse_import(&mut self) -> PResult<StmtKind> {
        self.advance();
        let mut import = Import {
            default: None,
            namespace: None,
            named: Vec::new(),
            source: String::new(),
            source_span: Span::default(),
        };
        let bare = matches!(self.peek().kind, TokenKind::Str { .. });
        if !bare {
            if self.peek().ident().is_some() && !self.peek().is_ident("from") {
                import.default = Some(self.parse_name("the imported name")?);
                if !self.eat(Punct::Comma) && !self.peek().is_ident("from") {
                    return Err(self.expected("`from` and the module name, like `from \"mongoose\"`"));
                }
            }
            if self.eat(Punct::Star) {
                if !self.peek().is_ident("as") {
                    return Err(self.expected("`as` and a name after `import *`"));
                }
                self.advance();
                import.namespace = Some(self.parse_name("a name")?);
            } else if self.peek().is_punct(Punct::LBrace) {
                let open = self.advance();
                loop {
                    if self.eat(Punct::RBrace) {
                        break;
                    }
                    let token = self.peek().clone();
                    let Some(imported) = token.ident().map(str::to_string) else {
                        if token.kind == TokenKind::Eof {
                            return Err(self.unclosed(&open, &token));
                        }
                        return Err(self.expected("a name to import"));
                    };
                    self.advance();
                    let imported = Name { name: imported, span: token.span };
                    let local = if self.peek().is_ident("as") {
                        self.advance();
                        self.parse_name("a local name after `as`")?
                    } else {
                        imported.clone()
                    };
                    import.named.push((imported, local));
                    if !self.eat(Punct::Comma) && !self.peek().is_punct(Punct::RBrace) {
                        if self.peek().kind == TokenKind::Eof {
                            let found = self.peek().clone();
                            return Err(self.unclosed(&open, &found));
                        }
                        return Err(self.expected("`,` or `}` in the import list"));
                    }
                }
            }
            if !self.peek().is_ident("from") {
                return Err(self.expected("`from` and the module name, like `from \"mongoose\"`"));
            }
            self.advance();
        }
        let token = self.peek().clone();
        match token.kind {
            TokenKind::Str { value, .. } => {
                self.advance();
                import.source = value;
                import.source_span = token.span;
            }
            _ => return Err(self.expected("the module name in quotes, like `\"mongoose\"`")),
        }
        self.end_statement()?;
        Ok(StmtKind::Import(import))
    }

    fn parse_export(&mut self) -> PResult<StmtKind> {
        let export = self.advance();
        if self.peek().is_ident("default") {
            self.advance();
            let value = self.parse_assignment()?;
            self.end_statement()?;
            return Ok(StmtKind::ExportDefault(value));
        }
        let next = self.peek();
        let declaration = ["const", "let", "var", "function", "async"].iter().any(|word| next.is_ident(word));
        if declaration {
            let inner = self.parse_statement()?;
            return Ok(StmtKind::Export(Box::new(inner)));
        }
        Err(self
            .error(ErrorKind::Unsupported, export.span, "only `export default …` and `export const …` are supported")
            .with_hint("or use `module.exports = …`"))
    }

    /// `use shop` / `show dbs`: the command word, then a word on the same line that ends the line.
    fn is_shell_command(&self) -> bool {
        let argument = self.peek_at(1);
        let after = self.peek_at(2);
        let argument_ok =
            matches!(argument.kind, TokenKind::Ident(_) | TokenKind::Str { .. }) && !argument.newline_before;
        argument_ok
            && (after.newline_before
                || after.kind == TokenKind::Eof
                || after.is_punct(Punct::Semicolon)
                // Database names may contain `-`/`.` (`use my-shop`), which lex as operators.
                || after.is_punct(Punct::Minus)
                || after.is_punct(Punct::Dot))
    }

    fn parse_shell_command(&mut self) -> PResult<StmtKind> {
        let command_token = self.advance();
        let command = if command_token.is_ident("use") { ShellCommandKind::Use } else { ShellCommandKind::Show };
        let argument_start = self.peek().span.start;
        let rest = self.source.get(argument_start..).unwrap_or("");
        let line_length = rest.find(['\n', '\r', ';']).unwrap_or(rest.len());
        let raw = rest.get(..line_length).unwrap_or("");
        let trimmed = raw.trim_end();
        let argument_end = argument_start + trimmed.len();
        // Skip the tokens the raw argument covered; comments after it were never tokens.
        while self.peek().kind != TokenKind::Eof && self.peek().span.start < argument_end {
            self.advance();
        }
        let text = match &self.tokens.get(self.pos.saturating_sub(1)).map(|t| &t.kind) {
            Some(TokenKind::Str { value, .. })
                if self.pos.saturating_sub(1) > 0 && trimmed.starts_with(['"', '\'']) =>
            {
                value.clone()
            }
            _ => trimmed.split("//").next().unwrap_or("").trim().to_string(),
        };
        self.end_statement()?;
        Ok(StmtKind::ShellCommand {
            command,
            argument: Name { name: text, span: Span::new(argument_start, argument_end) },
        })
    }

    fn parse_if(&mut self) -> PResult<StmtKind> {
        self.advance();
        let open = self.peek().clone();
        if !self.eat(Punct::LParen) {
            return Err(self.expected("`(` after `if`"));
        }
        let test = self.parse_expression()?;
        self.expect_closer(&open, Punct::RParen)?;
        let consequent = Box::new(self.parse_statement()?);
        let alternate = if self.peek().is_ident("else") {
            self.advance();
            Some(Box::new(self.parse_statement()?))
        } else {
            None
        };
        Ok(StmtKind::If { test, consequent, alternate })
    }

    /// `( expression )` after `while`, `switch`...
    fn parse_parenthesised(&mut self, after: &str) -> PResult<Expr> {
        let open = self.peek().clone();
        if !self.eat(Punct::LParen) {
            return Err(self.expected(&format!("`(` after {after}")));
        }
        let test = self.parse_expression()?;
        self.expect_closer(&open, Punct::RParen)?;
        Ok(test)
    }

    /// `for (init; test; update)`, `for (const x of …)`, `for (const key in …)`.
    fn parse_for(&mut self) -> PResult<StmtKind> {
        let for_token = self.advance();
        if self.peek().is_ident("await") {
            let span = self.peek().span;
            return Err(self
                .error(ErrorKind::Unsupported, span, "`for await` is not supported in crudlab's shell")
                .with_hint("write `for (const x of await …)`: crudlab's calls finish before the loop starts"));
        }
        let open = self.peek().clone();
        if !self.eat(Punct::LParen) {
            return Err(self.expected("`(` after `for`"));
        }
        // `for (const x of …)` / `for (x in …)`: a declaration keyword (or a plain name) followed by a pattern and
        // `of`/`in`.
        let kind = match self.peek().ident() {
            Some("const") => Some(DeclKind::Const),
            Some("let") => Some(DeclKind::Let),
            Some("var") => Some(DeclKind::Var),
            _ => None,
        };
        let head_start = self.pos;
        if kind.is_some() {
            self.advance();
        }
        let looks_like_head =
            matches!(self.peek().kind, TokenKind::Ident(_) | TokenKind::Punct(Punct::LBrace | Punct::LBracket));
        if looks_like_head {
            let before = self.pos;
            if let Ok(target) = self.parse_pattern() {
                if self.peek().is_ident("of") || self.peek().is_ident("in") {
                    let is_of = self.peek().is_ident("of");
                    self.advance();
                    let source = if is_of { self.parse_assignment()? } else { self.parse_expression()? };
                    self.expect_closer(&open, Punct::RParen)?;
                    let body = Box::new(self.parse_statement()?);
                    let head = ForHead { kind, target };
                    return Ok(if is_of {
                        StmtKind::ForOf { head, iterable: source, body }
                    } else {
                        StmtKind::ForIn { head, object: source, body }
                    });
                }
            }
            self.pos = before;
        }
        self.pos = head_start;
        if kind.is_some() {
            self.advance();
        }
        let _ = for_token;
        let init = if self.eat(Punct::Semicolon) {
            None
        } else {
            let start = self.peek().span.start;
            let kind = match kind {
                Some(kind) => self.parse_declaration_list(kind)?,
                None => StmtKind::Expression(self.parse_expression()?),
            };
            if !self.eat(Punct::Semicolon) {
                return Err(self.expected("`;` after the first part of `for (…; …; …)`"));
            }
            Some(Box::new(Stmt { kind, span: self.span_from(start) }))
        };
        let test = if self.peek().is_punct(Punct::Semicolon) { None } else { Some(self.parse_expression()?) };
        if !self.eat(Punct::Semicolon) {
            return Err(self.expected("`;` after the condition of `for (…; …; …)`"));
        }
        let update = if self.peek().is_punct(Punct::RParen) { None } else { Some(self.parse_expression()?) };
        self.expect_closer(&open, Punct::RParen)?;
        let body = Box::new(self.parse_statement()?);
        Ok(StmtKind::For { init, test, update, body })
    }

    fn parse_switch(&mut self) -> PResult<StmtKind> {
        self.advance();
        let discriminant = self.parse_parenthesised("`switch`")?;
        let open = self.peek().clone();
        if !self.eat(Punct::LBrace) {
            return Err(self.expected("`{` and the cases of the `switch`"));
        }
        let mut cases: Vec<SwitchCase> = Vec::new();
        loop {
            let token = self.peek().clone();
            if self.eat(Punct::RBrace) {
                break;
            }
            if token.kind == TokenKind::Eof {
                return Err(self.unclosed(&open, &token));
            }
            let test = if token.is_ident("case") {
                self.advance();
                Some(self.parse_expression()?)
            } else if token.is_ident("default") {
                self.advance();
                None
            } else if let Some(case) = cases.last_mut() {
                let statement = self.parse_statement()?;
                case.body.push(statement);
                case.span = self.span_from(case.span.start);
                continue;
            } else {
                return Err(self.expected("`case …:` or `default:` inside the `switch`"));
            };
            if !self.eat(Punct::Colon) {
                return Err(self.expected("`:` after the case"));
            }
            cases.push(SwitchCase { test, body: Vec::new(), span: self.span_from(token.span.start) });
        }
        Ok(StmtKind::Switch { discriminant, cases })
    }

    fn parse_try(&mut self) -> PResult<StmtKind> {
        self.advance();
        let block = self.parse_block()?;
        let mut catch_param = None;
        let mut catch_block = None;
        let mut finally_block = None;
        if self.peek().is_ident("catch") {
            self.advance();
            if self.peek().is_punct(Punct::LParen) {
                let open = self.advance();
                catch_param = Some(self.parse_name("the error's name")?);
                self.expect_closer(&open, Punct::RParen)?;
            }
            catch_block = Some(self.parse_block()?);
        }
        if self.peek().is_ident("finally") {
            self.advance();
            finally_block = Some(self.parse_block()?);
        }
        if catch_block.is_none() && finally_block.is_none() {
            return Err(self.expected("`catch` or `finally` after the `try` block"));
        }
        Ok(StmtKind::Try { block, catch_param, catch_block, finally_block })
    }

    fn parse_block(&mut self) -> PResult<Vec<Stmt>> {
        let open = self.peek().clone();
        if !self.eat(Punct::LBrace) {
            return Err(self.expected("`{`"));
        }
        let mut statements = Vec::new();
        loop {
            let token = self.peek().clone();
            if self.eat(Punct::RBrace) {
                return Ok(statements);
            }
            if token.kind == TokenKind::Eof {
                return Err(self.unclosed(&open, &token));
            }
            if token.is_punct(Punct::RParen) || token.is_punct(Punct::RBracket) {
                return Err(self.unclosed(&open, &token));
            }
            statements.push(self.parse_statement()?);
        }
    }

    fn expect_closer(&mut self, open: &Token, closer: Punct) -> PResult<()> {
        if self.eat(closer) {
            return Ok(());
        }
        let found = self.peek().clone();
        if found.kind == TokenKind::Eof
            || matches!(found.kind, TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace))
        {
            return Err(self.unclosed(open, &found));
        }
        Err(self.expected(&format!("`{}`", closer.as_str())))
    }

    // ----- functions -----------------------------------------------------------------------------

    /// `function name(params) { body }`; `self.peek()` is `function`.
    fn parse_function(&mut self, is_async: bool, needs_name: bool) -> PResult<Function> {
        self.advance();
        if self.peek().is_punct(Punct::Star) {
            let span = self.peek().span;
            return Err(self.error(ErrorKind::Unsupported, span, "generator functions are not supported"));
        }
        let name = if self.peek().ident().is_some() {
            Some(self.parse_name("the function's name")?)
        } else if needs_name {
            return Err(self.expected("the function's name"));
        } else {
            None
        };
        let (params, rest) = self.parse_parameters()?;
        let body = FunctionBody::Block(self.parse_block()?);
        Ok(Function { is_async, is_arrow: false, name, params, rest, body })
    }

    /// `(a, { b } = {}, ...rest)`: the parameters and the rest parameter.
    fn parse_parameters(&mut self) -> PResult<(Vec<Pattern>, Option<Pattern>)> {
        let open = self.peek().clone();
        if !self.eat(Punct::LParen) {
            return Err(self.expected("`(` and the parameter names"));
        }
        let mut params = Vec::new();
        let mut rest = None;
        loop {
            if self.eat(Punct::RParen) {
                return Ok((params, rest));
            }
            let token = self.peek().clone();
            if token.kind == TokenKind::Eof {
                return Err(self.unclosed(&open, &token));
            }
            if self.eat(Punct::Ellipsis) {
                rest = Some(self.parse_pattern()?);
                if !self.peek().is_punct(Punct::RParen) {
                    return Err(self.expected("`)` after the rest parameter (it must come last)"));
                }
                continue;
            }
            params.push(self.parse_pattern_with_default()?);
            if !self.eat(Punct::Comma) && !self.peek().is_punct(Punct::RParen) {
                let found = self.peek().clone();
                if found.kind == TokenKind::Eof {
                    return Err(self.unclosed(&open, &found));
                }
                return Err(self.expected("`,` or `)` after a parameter"));
            }
        }
    }

    fn parse_arrow(&mut self, is_async: bool) -> PResult<Expr> {
        let start = self.peek().span.start;
        let (params, rest) = if self.peek().is_punct(Punct::LParen) {
            self.parse_parameters()?
        } else {
            (vec![Pattern::Name(self.parse_name("a parameter name")?)], None)
        };
        if !self.eat(Punct::Arrow) {
            return Err(self.expected("`=>`"));
        }
        let body = if self.peek().is_punct(Punct::LBrace) {
            FunctionBody::Block(self.parse_block()?)
        } else {
            FunctionBody::Expression(Box::new(self.parse_assignment()?))
        };
        Ok(Expr {
            kind: ExprKind::Function(Box::new(Function { is_async, is_arrow: true, name: None, params, rest, body })),
            span: self.span_from(start),
        })
    }

    // ----- expressions ---------------------------------------------------------------------------

    fn parse_expression(&mut self) -> PResult<Expr> {
        self.parse_assignment()
    }

    fn parse_assignment(&mut self) -> PResult<Expr> {
        self.enter()?;
        let result = self.parse_assignment_inner();
        self.leave();
        result
    }

    fn parse_assignment_inner(&mut self) -> PResult<Expr> {
        let token = self.peek().clone();
        let start = token.span.start;
        // Arrow functions: `x => …`, `(a, b) => …`, `async (a) => …`, `async x => …`.
        if token.ident().is_some_and(|w| !RESERVED.contains(&w)) && self.peek_at(1).is_punct(Punct::Arrow) {
            return self.parse_arrow(false);
        }
        if token.is_punct(Punct::LParen) && self.is_arrow_params(self.pos) {
            return self.parse_arrow(false);
        }
        if token.is_ident("async") && !self.peek_at(1).newline_before {
            let next = self.peek_at(1);
            let single = next.ident().is_some_and(|w| !RESERVED.contains(&w)) && self.peek_at(2).is_punct(Punct::Arrow);
            let list = next.is_punct(Punct::LParen) && self.is_arrow_params(self.pos + 1);
            if single || list {
                self.advance();
                let mut arrow = self.parse_arrow(true)?;
                arrow.span = self.span_from(start);
                return Ok(arrow);
            }
        }
        let left = self.parse_conditional()?;
        let next = self.peek().clone();
        if next.is_punct(Punct::Assign) {
            if !matches!(left.kind, ExprKind::Ident(_) | ExprKind::Member { .. } | ExprKind::Index { .. }) {
                return Err(self
                    .error(
                        ErrorKind::UnexpectedToken,
                        next.span,
                        "cannot assign to this: the left of `=` must be a name or a property",
                    )
                    .with_hint("to compare values write `===`"));
            }
            self.advance();
            let value = self.parse_assignment()?;
            return Ok(Expr {
                kind: ExprKind::Assign { target: Box::new(left), value: Box::new(value) },
                span: self.span_from(start),
            });
        }
        if let Some(op) = compound_operator(&next.kind) {
            if !matches!(left.kind, ExprKind::Ident(_) | ExprKind::Member { .. } | ExprKind::Index { .. }) {
                return Err(self.error(
                    ErrorKind::UnexpectedToken,
                    next.span,
                    format!(
                        "cannot assign to this: the left of `{}` must be a name or a property",
                        next.span.text(self.source)
                    ),
                ));
            }
            self.advance();
            let value = self.parse_assignment()?;
            return Ok(Expr {
                kind: ExprKind::CompoundAssign { op, target: Box::new(left), value: Box::new(value) },
                span: self.span_from(start),
            });
        }
        Ok(left)
    }

    fn parse_conditional(&mut self) -> PResult<Expr> {
        let start = self.peek().span.start;
        let test = self.parse_binary(0)?;
        if !self.eat(Punct::Question) {
            return Ok(test);
        }
        let consequent = self.parse_assignment()?;
        if !self.eat(Punct::Colon) {
            return Err(self.expected("`:` and the value for when the condition is false"));
        }
        let alternate = self.parse_assignment()?;
        Ok(Expr {
            kind: ExprKind::Conditional {
                test: Box::new(test),
                consequent: Box::new(consequent),
                alternate: Box::new(alternate),
            },
            span: self.span_from(start),
        })
    }

    /// Precedence climbing over binary operators; only the right operand recurses, one level per precedence.
    fn parse_binary(&mut self, min_precedence: u8) -> PResult<Expr> {
        let levels_before = self.depth;
        let result = self.parse_binary_inner(min_precedence);
        self.depth = levels_before;
        result
    }

    fn parse_binary_inner(&mut self, min_precedence: u8) -> PResult<Expr> {
        let start = self.peek().span.start;
        let mut left = self.parse_unary()?;
        loop {
            let Some((op, precedence)) = binary_operator(&self.peek().kind) else {
                return Ok(left);
            };
            if precedence < min_precedence {
                return Ok(left);
            }
            // Each operator in `a + b + c + …` nests the tree one level deeper (dropping and walking it
            // recurses), so a long chain counts against the depth limit like nested brackets do.
            self.enter()?;
            self.advance();
            // `**` is right-associative: `2 ** 3 ** 2` is `2 ** (3 ** 2)`.
            let right = self.parse_binary(if op == BinaryOp::Pow { precedence } else { precedence + 1 })?;
            left = Expr {
                kind: ExprKind::Binary { op, left: Box::new(left), right: Box::new(right) },
                span: self.span_from(start),
            };
        }
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        let token = self.peek().clone();
        let op = match &token.kind {
            TokenKind::Punct(Punct::Bang) => Some(UnaryOp::Not),
            TokenKind::Punct(Punct::Minus) => Some(UnaryOp::Minus),
            TokenKind::Punct(Punct::Plus) => Some(UnaryOp::Plus),
            TokenKind::Ident(word) if word == "typeof" => Some(UnaryOp::Typeof),
            TokenKind::Ident(word) if word == "delete" => Some(UnaryOp::Delete),
            TokenKind::Ident(word) if word == "void" => Some(UnaryOp::Void),
            _ => None,
        };
        let is_await = token.is_ident("await");
        if token.is_punct(Punct::Increment) || token.is_punct(Punct::Decrement) {
            return self.parse_prefix_update();
        }
        if op.is_none() && !is_await {
            let start = token.span.start;
            let expr = self.parse_postfix()?;
            return self.parse_postfix_update(start, expr);
        }
        self.enter()?;
        self.advance();
        let operand = self.parse_unary();
        self.leave();
        let operand = Box::new(operand?);
        let kind = match op {
            Some(op) => ExprKind::Unary { op, operand },
            None => ExprKind::Await(operand),
        };
        Ok(Expr { kind, span: self.span_from(token.span.start) })
    }

    // The update operators live in their own functions so `parse_unary`, which recurses once per nesting level,
    // keeps a small stack frame.
    #[inline(never)]
    fn parse_prefix_update(&mut self) -> PResult<Expr> {
        let token = self.advance();
        self.enter()?;
        let target = self.parse_unary();
        self.leave();
        let target = target?;
        self.check_update_target(&target, &token)?;
        Ok(Expr {
            kind: ExprKind::Update {
                increment: token.is_punct(Punct::Increment),
                prefix: true,
                target: Box::new(target),
            },
            span: self.span_from(token.span.start),
        })
    }

    #[inline(never)]
    fn parse_postfix_update(&mut self, start: usize, expr: Expr) -> PResult<Expr> {
        let next = self.peek();
        if !(next.is_punct(Punct::Increment) || next.is_punct(Punct::Decrement)) || next.newline_before {
            return Ok(expr);
        }
        let next = next.clone();
        self.check_update_target(&expr, &next)?;
        self.advance();
        Ok(Expr {
            kind: ExprKind::Update {
                increment: next.is_punct(Punct::Increment),
                prefix: false,
                target: Box::new(expr),
            },
            span: self.span_from(start),
        })
    }

    /// `++`/`--` need a name or a property to change, as in JavaScript.
    fn check_update_target(&self, target: &Expr, operator: &Token) -> PResult<()> {
        if matches!(target.kind, ExprKind::Ident(_) | ExprKind::Member { .. } | ExprKind::Index { .. }) {
            return Ok(());
        }
        Err(self.error(
            ErrorKind::UnexpectedToken,
            operator.span,
            format!(
                "Invalid left-hand side expression in {} operation",
                if operator.span.start < target.span.start { "prefix" } else { "postfix" }
            ),
        ))
    }

    fn parse_postfix(&mut self) -> PResult<Expr> {
        let levels_before = self.depth;
        let result = self.parse_postfix_inner();
        self.depth = levels_before;
        result
    }

    fn parse_postfix_inner(&mut self) -> PResult<Expr> {
        let start = self.peek().span.start;
        let mut expr = if self.peek().is_ident("new") { self.parse_new()? } else { self.parse_primary()? };
        loop {
            let token = self.peek().clone();
            if matches!(token.kind, TokenKind::Punct(Punct::Dot | Punct::QuestionDot | Punct::LBracket | Punct::LParen))
            {
                // Every link of `a.b(c).d…` nests the tree one level deeper.
                self.enter()?;
            }
            match token.kind {
                TokenKind::Punct(Punct::Dot) => {
                    self.advance();
                    let property = self.parse_property_name()?;
                    expr = Expr {
                        kind: ExprKind::Member { object: Box::new(expr), property, optional: false },
                        span: self.span_from(start),
                    };
                }
                TokenKind::Punct(Punct::QuestionDot) => {
                    self.advance();
                    if self.peek().is_punct(Punct::LParen) {
                        let args = self.parse_arguments()?;
                        expr = Expr {
                            kind: ExprKind::Call { callee: Box::new(expr), args, optional: true },
                            span: self.span_from(start),
                        };
                    } else if self.peek().is_punct(Punct::LBracket) {
                        let index = self.parse_index()?;
                        expr = Expr {
                            kind: ExprKind::Index { object: Box::new(expr), index: Box::new(index), optional: true },
                            span: self.span_from(start),
                        };
                    } else {
                        let property = self.parse_property_name()?;
                        expr = Expr {
                            kind: ExprKind::Member { object: Box::new(expr), property, optional: true },
                            span: self.span_from(start),
                        };
                    }
                }
                TokenKind::Punct(Punct::LBracket) => {
                    let index = self.parse_index()?;
                    expr = Expr {
                        kind: ExprKind::Index { object: Box::new(expr), index: Box::new(index), optional: false },
                        span: self.span_from(start),
                    };
                }
                TokenKind::Punct(Punct::LParen) => {
                    let args = self.parse_arguments()?;
                    expr = Expr {
                        kind: ExprKind::Call { callee: Box::new(expr), args, optional: false },
                        span: self.span_from(start),
                    };
                }
                TokenKind::Template(_) if !token.newline_before => {
                    return Err(self.error(
                        ErrorKind::Unsupported,
                        token.span,
                        "tagged template strings (a name directly before `…`) are not supported",
                    ));
                }
                _ => return Ok(expr),
            }
        }
    }

    /// After `.`: any identifier name, keywords included (`Model.delete`, `options.new`).
    fn parse_property_name(&mut self) -> PResult<Name> {
        let token = self.peek().clone();
        match token.ident() {
            Some(name) => {
                self.advance();
                Ok(Name { name: name.to_string(), span: token.span })
            }
            None => Err(self
                .expected("a property name after `.`")
                .with_hint("for a property whose name is not a plain word write `object[\"the name\"]`")),
        }
    }

    fn parse_index(&mut self) -> PResult<Expr> {
        let open = self.advance();
        if self.peek().is_punct(Punct::RBracket) {
            return Err(self.expected("a property name or index between `[` and `]`"));
        }
        let index = self.parse_expression()?;
        self.expect_closer(&open, Punct::RBracket)?;
        Ok(index)
    }

    fn parse_new(&mut self) -> PResult<Expr> {
        let new = self.advance();
        if self.peek().is_punct(Punct::Dot) {
            return Err(self.error(ErrorKind::Unsupported, new.span, "`new.target` is not supported"));
        }
        self.enter()?;
        let callee = self.parse_new_callee();
        self.leave();
        let callee = callee?;
        let args = if self.peek().is_punct(Punct::LParen) { self.parse_arguments()? } else { Vec::new() };
        Ok(Expr { kind: ExprKind::New { callee: Box::new(callee), args }, span: self.span_from(new.span.start) })
    }

    /// The callee of `new`: a member expression without calls (`mongoose.Schema`, `Date`).
    fn parse_new_callee(&mut self) -> PResult<Expr> {
        let start = self.peek().span.start;
        let expr = if self.peek().is_ident("new") { self.parse_new()? } else { self.parse_primary()? };
        let levels_before = self.depth;
        let result = self.parse_new_callee_links(start, expr);
        self.depth = levels_before;
        result
    }

    fn parse_new_callee_links(&mut self, start: usize, mut expr: Expr) -> PResult<Expr> {
        loop {
            if self.peek().is_punct(Punct::Dot) || self.peek().is_punct(Punct::LBracket) {
                self.enter()?;
            }
            if self.eat(Punct::Dot) {
                let property = self.parse_property_name()?;
                expr = Expr {
                    kind: ExprKind::Member { object: Box::new(expr), property, optional: false },
                    span: self.span_from(start),
                };
            } else if self.peek().is_punct(Punct::LBracket) {
                let index = self.parse_index()?;
                expr = Expr {
                    kind: ExprKind::Index { object: Box::new(expr), index: Box::new(index), optional: false },
                    span: self.span_from(start),
                };
            } else {
                return Ok(expr);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn spread_error(&self, span: Span) -> ParseError {
        self.error(
            ErrorKind::SpreadNotSupported,
            span,
            "`...` can only spread into an array, an object or a call's arguments",
        )
        .with_hint("write `[...items]`, `{ ...doc }` or `f(...args)`")
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let token = self.peek().clone();
        let literal = |kind| Expr { kind, span: token.span };
        match &token.kind {
            TokenKind::Number(value) => {
                self.advance();
                Ok(literal(ExprKind::Number(*value)))
            }
            TokenKind::Str { value, .. } => {
                self.advance();
                Ok(literal(ExprKind::String(value.clone())))
            }
            TokenKind::Template(value) => {
                self.advance();
                Ok(literal(ExprKind::Template(value.clone())))
            }
            TokenKind::TemplateHead(head) => {
                self.advance();
                let mut quasis = vec![head.clone()];
                let mut exprs = Vec::new();
                loop {
                    self.enter()?;
                    let expr = self.parse_expression();
                    self.leave();
                    exprs.push(expr?);
                    let next = self.peek().clone();
                    match &next.kind {
                        TokenKind::TemplateMiddle(text) => {
                            self.advance();
                            quasis.push(text.clone());
                        }
                        TokenKind::TemplateTail(text) => {
                            self.advance();
                            quasis.push(text.clone());
                            break;
                        }
                        _ => return Err(self.expected("`}` to close the `${` placeholder")),
                    }
                }
                Ok(Expr { kind: ExprKind::TemplateLiteral { quasis, exprs }, span: self.span_from(token.span.start) })
            }
            TokenKind::Regex { pattern, flags } => {
                self.advance();
                Ok(literal(ExprKind::Regex { pattern: pattern.clone(), flags: flags.clone() }))
            }
            TokenKind::Ident(word) => {
                let kind = match word.as_str() {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" => ExprKind::Null,
                    "undefined" => ExprKind::Undefined,
                    "Infinity" => ExprKind::Number(f64::INFINITY),
                    "NaN" => ExprKind::Number(f64::NAN),
                    "function" => {
                        let start = token.span.start;
                        let function = self.parse_function(false, false)?;
                        return Ok(Expr { kind: ExprKind::Function(Box::new(function)), span: self.span_from(start) });
                    }
                    "async" if self.peek_at(1).is_ident("function") && !self.peek_at(1).newline_before => {
                        let start = token.span.start;
                        self.advance();
                        let function = self.parse_function(true, false)?;
                        return Ok(Expr { kind: ExprKind::Function(Box::new(function)), span: self.span_from(start) });
                    }
                    "class" => {
                        return Err(self.error(
                            ErrorKind::Unsupported,
                            token.span,
                            "classes are not supported in crudlab's shell",
                        ));
                    }
                    "this" => ExprKind::Ident(word.clone()),
                    reserved if RESERVED.contains(&reserved) => {
                        return Err(self
                            .error(
                                ErrorKind::UnexpectedToken,
                                token.span,
                                format!("`{reserved}` cannot be used here: a value was expected"),
                            )
                            .with_hint("a statement keyword must start its own statement; check the line before for a missing value"));
                    }
                    _ => ExprKind::Ident(word.clone()),
                };
                self.advance();
                Ok(literal(kind))
            }
            TokenKind::Punct(Punct::LParen) => {
                let open = self.advance();
                if self.peek().is_punct(Punct::RParen) {
                    return Err(self.expected("a value between `(` and `)`"));
                }
                let mut inner = self.parse_expression()?;
                if self.peek().is_punct(Punct::Comma) {
                    let span = self.peek().span;
                    return Err(self.error(
                        ErrorKind::Unsupported,
                        span,
                        "the comma operator `(a, b)` is not supported",
                    ));
                }
                self.expect_closer(&open, Punct::RParen)?;
                inner.span = self.span_from(open.span.start);
                Ok(inner)
            }
            TokenKind::Punct(Punct::LBracket) => self.parse_array(),
            TokenKind::Punct(Punct::LBrace) => self.parse_object(),
            TokenKind::Punct(Punct::Ellipsis) => Err(self.spread_error(token.span)),
            TokenKind::TemplateMiddle(_) | TokenKind::TemplateTail(_) => Err(self.expected("a value")),
            TokenKind::Punct(Punct::Arrow) => Err(self
                .error(ErrorKind::UnexpectedToken, token.span, "`=>` needs parameters before it")
                .with_hint("write `(req, res) => { … }`")),
            TokenKind::Punct(Punct::Slash) => Err(self.expected("a value")),
            TokenKind::Punct(p) => {
                let what = match p {
                    Punct::RParen | Punct::RBracket | Punct::RBrace | Punct::Comma | Punct::Semicolon => {
                        format!("a value before `{}`", p.as_str())
                    }
                    _ => "a value".to_string(),
                };
                Err(self.expected(&what))
            }
            TokenKind::Eof => Err(self.expected("a value")),
        }
    }

    fn parse_arguments(&mut self) -> PResult<Vec<Expr>> {
        let open = self.advance();
        self.parse_list(&open, Punct::RParen, "arguments")
    }

    fn parse_array(&mut self) -> PResult<Expr> {
        let open = self.advance();
        let items = self.parse_list(&open, Punct::RBracket, "array elements")?;
        Ok(Expr { kind: ExprKind::Array(items), span: self.span_from(open.span.start) })
    }

    /// Comma-separated expressions up to `closer`, trailing comma allowed; `open` is the consumed opener.
    fn parse_list(&mut self, open: &Token, closer: Punct, what: &str) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        loop {
            if self.eat(closer) {
                return Ok(items);
            }
            let token = self.peek().clone();
            if token.kind == TokenKind::Eof {
                return Err(self.unclosed(open, &token));
            }
            if token.is_punct(Punct::Comma) {
                let message = if items.is_empty() {
                    format!("a `,` cannot come before the first of the {what}")
                } else {
                    "two `,` in a row leave an empty slot".to_string()
                };
                return Err(self
                    .error(ErrorKind::UnexpectedToken, token.span, message)
                    .with_hint("remove the extra `,`"));
            }
            if token.is_punct(Punct::Ellipsis) {
                self.advance();
                let inner = self.parse_assignment()?;
                items.push(Expr { kind: ExprKind::Spread(Box::new(inner)), span: self.span_from(token.span.start) });
            } else {
                items.push(self.parse_assignment()?);
            }
            if self.eat(Punct::Comma) {
                continue;
            }
            let next = self.peek().clone();
            if next.is_punct(closer) {
                continue;
            }
            return Err(self.list_separator_error(open, &next, closer, what));
        }
    }

    #[cold]
    #[inline(never)]
    fn list_separator_error(&self, open: &Token, next: &Token, closer: Punct, what: &str) -> ParseError {
        let open_index = self.pos_of(open);
        match &next.kind {
            TokenKind::Eof | TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace) => {
                self.unclosed(open, next)
            }
            TokenKind::Punct(Punct::Semicolon) if open_index.is_some_and(|index| self.has_matching_closer(index)) => {
                let (open_text, close_text) = if closer == Punct::RParen { ("(", ")") } else { ("[", "]") };
                self.error(
                    ErrorKind::MissingComma,
                    next.span,
                    format!("`;` cannot separate {what} inside `{open_text} {close_text}` — use `,`"),
                )
                .with_hint("replace the `;` with `,`")
            }
            TokenKind::Punct(Punct::Semicolon) => self.unclosed(open, next),
            TokenKind::Punct(Punct::Colon) if closer == Punct::RParen => self
                .error(ErrorKind::UnexpectedToken, next.span, "`key: value` pairs must be inside `{ }`")
                .with_hint("wrap the document in braces: `find({ name: \"ada\" })`"),
            // A value on the next line while this bracket is never closed: the bracket is the mistake.
            _ if next.newline_before && !open_index.is_some_and(|index| self.has_matching_closer(index)) => {
                self.unclosed(open, next)
            }
            _ if starts_expression(next) => self
                .error(ErrorKind::MissingComma, next.span, format!("missing `,` between {what}"))
                .with_hint("add `,` before this"),
            _ => self.error(
                ErrorKind::UnexpectedToken,
                next.span,
                format!("expected `,` or `{}`, found {}", closer.as_str(), describe(&next.kind)),
            ),
        }
    }

    fn pos_of(&self, token: &Token) -> Option<usize> {
        self.tokens
            .get(..self.pos)
            .and_then(|before| before.iter().rposition(|t| t.span == token.span && t.kind == token.kind))
    }

    fn parse_object(&mut self) -> PResult<Expr> {
        let open = self.advance();
        let open_index = self.pos.saturating_sub(1);
        let mut properties: Vec<Property> = Vec::new();
        loop {
            if self.eat(Punct::RBrace) {
                break;
            }
            let token = self.peek().clone();
            let (key, key_style) = match &token.kind {
                TokenKind::Eof => return Err(self.unclosed(&open, &token)),
                TokenKind::Ident(name) => (name.clone(), KeyStyle::Ident),
                TokenKind::Str { value, .. } => (value.clone(), KeyStyle::Quoted),
                TokenKind::Number(value) => (js_number(*value), KeyStyle::Numeric),
                TokenKind::Template(_) => {
                    return Err(self
                        .error(ErrorKind::UnexpectedToken, token.span, "a backtick string cannot be an object key")
                        .with_hint("use \"double\" or 'single' quotes for the key"));
                }
                TokenKind::Punct(Punct::Ellipsis) => {
                    self.advance();
                    let value = self.parse_assignment()?;
                    properties.push(Property {
                        key: "...".to_string(),
                        key_span: token.span,
                        key_style: KeyStyle::Spread,
                        value,
                        shorthand: false,
                        computed_key: None,
                        span: self.span_from(token.span.start),
                    });
                    if self.eat(Punct::Comma) || self.peek().is_punct(Punct::RBrace) {
                        continue;
                    }
                    let next = self.peek().clone();
                    return Err(self.object_separator_error(&open, open_index, &next));
                }
                TokenKind::Punct(Punct::LBracket) => {
                    let key = self.parse_index()?;
                    if !self.eat(Punct::Colon) {
                        return Err(self.expected("`:` and a value after the computed key `[…]`"));
                    }
                    let value = self.parse_assignment()?;
                    properties.push(Property {
                        key: String::new(),
                        key_span: key.span,
                        key_style: KeyStyle::Computed,
                        value,
                        shorthand: false,
                        computed_key: Some(Box::new(key)),
                        span: self.span_from(token.span.start),
                    });
                    if self.eat(Punct::Comma) || self.peek().is_punct(Punct::RBrace) {
                        continue;
                    }
                    let next = self.peek().clone();
                    return Err(self.object_separator_error(&open, open_index, &next));
                }
                TokenKind::Punct(Punct::Comma) => {
                    let message = if properties.is_empty() {
                        "a `,` cannot come before the first property"
                    } else {
                        "two `,` in a row: a property is missing"
                    };
                    return Err(self
                        .error(ErrorKind::UnexpectedToken, token.span, message)
                        .with_hint("remove the extra `,`"));
                }
                TokenKind::Punct(Punct::Semicolon) => {
                    return Err(self
                        .error(
                            ErrorKind::SemicolonInObject,
                            token.span,
                            "`;` cannot separate properties inside `{ }` — use `,`",
                        )
                        .with_hint("replace the `;` with `,`"));
                }
                TokenKind::Punct(Punct::RParen | Punct::RBracket) => return Err(self.unclosed(&open, &token)),
                _ => {
                    return Err(self.expected("a property name (a key such as `name` or `\"name\"`)"));
                }
            };
            self.advance();
            let next = self.peek().clone();
            let property = if self.eat(Punct::Colon) {
                if self.peek().is_punct(Punct::Comma) || self.peek().is_punct(Punct::RBrace) {
                    let at = self.peek().clone();
                    return Err(self
                        .error(
                            ErrorKind::UnexpectedToken,
                            at.span,
                            format!("the key `{key}` has no value after its `:`"),
                        )
                        .with_hint("write a value after `:`"));
                }
                let value = self.parse_assignment()?;
                Property {
                    key,
                    key_span: token.span,
                    key_style,
                    value,
                    shorthand: false,
                    computed_key: None,
                    span: self.span_from(token.span.start),
                }
            } else if next.is_punct(Punct::Assign) {
                return Err(self
                    .error(
                        ErrorKind::EqualsInObject,
                        next.span,
                        "use `:` between a key and its value inside `{ }`, not `=`",
                    )
                    .with_hint(format!("write `{key}: …`")));
            } else if key_style == KeyStyle::Ident && (next.is_punct(Punct::Comma) || next.is_punct(Punct::RBrace)) {
                if RESERVED.contains(&key.as_str()) || matches!(key.as_str(), "true" | "false" | "null") {
                    return Err(self.error(
                        ErrorKind::UnexpectedToken,
                        token.span,
                        format!("`{key}` needs a value: write `{key}: …`"),
                    ));
                }
                Property {
                    key: key.clone(),
                    key_span: token.span,
                    key_style,
                    value: Expr { kind: ExprKind::Ident(key), span: token.span },
                    shorthand: true,
                    computed_key: None,
                    span: token.span,
                }
            } else if next.is_punct(Punct::LParen) {
                // `name(params) { … }`: a method, i.e. a `function` expression under that key.
                let (params, rest) = self.parse_parameters()?;
                let body = FunctionBody::Block(self.parse_block()?);
                let name = Some(Name { name: key.clone(), span: token.span });
                let function = Function { is_async: false, is_arrow: false, name, params, rest, body };
                Property {
                    key,
                    key_span: token.span,
                    key_style,
                    value: Expr {
                        kind: ExprKind::Function(Box::new(function)),
                        span: self.span_from(token.span.start),
                    },
                    shorthand: false,
                    computed_key: None,
                    span: self.span_from(token.span.start),
                }
            } else if next.kind == TokenKind::Eof {
                return Err(self.expected(&format!("`:` and a value after the key `{key}`")));
            } else {
                let mut error = self.error(
                    ErrorKind::UnexpectedToken,
                    next.span,
                    format!("expected `:` after the key `{key}`, found {}", describe(&next.kind)),
                );
                error = error.with_hint(if key_style == KeyStyle::Ident && next.ident().is_some() {
                    "a `:` or a `,` is missing between these two words"
                } else {
                    "write `key: value`"
                });
                return Err(error);
            };
            properties.push(property);
            if self.eat(Punct::Comma) {
                continue;
            }
            let next = self.peek().clone();
            if next.is_punct(Punct::RBrace) {
                continue;
            }
            return Err(self.object_separator_error(&open, open_index, &next));
        }
        Ok(Expr { kind: ExprKind::Object(properties), span: self.span_from(open.span.start) })
    }

    #[cold]
    #[inline(never)]
    fn object_separator_error(&self, open: &Token, open_index: usize, next: &Token) -> ParseError {
        let looks_like_key = |index: usize| {
            let key = self.tokens.get(index);
            let colon = self.tokens.get(index + 1);
            key.is_some_and(|k| matches!(k.kind, TokenKind::Ident(_) | TokenKind::Str { .. } | TokenKind::Number(_)))
                && colon.is_some_and(|c| c.is_punct(Punct::Colon))
        };
        match &next.kind {
            TokenKind::Punct(Punct::Semicolon)
                if self.has_matching_closer(open_index) || looks_like_key(self.pos + 1) =>
            {
                self.error(
                    ErrorKind::SemicolonInObject,
                    next.span,
                    "`;` cannot separate properties inside `{ }` — use `,`",
                )
                .with_hint("replace the `;` with `,`")
            }
            TokenKind::Eof | TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::Semicolon) => {
                self.unclosed(open, next)
            }
            _ if looks_like_key(self.pos) => self
                .error(ErrorKind::MissingComma, next.span, "missing `,` between properties")
                .with_hint("add `,` after the previous value"),
            _ if next.newline_before && !self.has_matching_closer(open_index) => self.unclosed(open, next),
            TokenKind::Punct(Punct::Assign) => self
                .error(ErrorKind::EqualsInObject, next.span, "`=` cannot be used inside `{ }`")
                .with_hint("properties are written `key: value`, separated by `,`"),
            _ => self
                .error(
                    ErrorKind::UnexpectedToken,
                    next.span,
                    format!("expected `,` or `}}` after this property's value, found {}", describe(&next.kind)),
                )
                .with_hint("separate properties with `,`; an operator may be missing"),
        }
    }
}

/// The operator a compound assignment applies: `+=` adds, `??=` assigns when `null`/`undefined`.
fn compound_operator(kind: &TokenKind) -> Option<BinaryOp> {
    let TokenKind::Punct(punct) = kind else {
        return None;
    };
    Some(match punct {
        Punct::PlusAssign => BinaryOp::Add,
        Punct::MinusAssign => BinaryOp::Sub,
        Punct::StarAssign => BinaryOp::Mul,
        Punct::SlashAssign => BinaryOp::Div,
        Punct::PercentAssign => BinaryOp::Rem,
        Punct::StarStarAssign => BinaryOp::Pow,
        Punct::AndAndAssign => BinaryOp::And,
        Punct::OrOrAssign => BinaryOp::Or,
        Punct::NullishAssign => BinaryOp::Nullish,
        _ => return None,
    })
}

fn binary_operator(kind: &TokenKind) -> Option<(BinaryOp, u8)> {
    let punct = match kind {
        TokenKind::Punct(punct) => punct,
        TokenKind::Ident(word) if word == "instanceof" => return Some((BinaryOp::InstanceOf, 4)),
        TokenKind::Ident(word) if word == "in" => return Some((BinaryOp::In, 4)),
        _ => return None,
    };
    Some(match punct {
        Punct::OrOr => (BinaryOp::Or, 1),
        Punct::QuestionQuestion => (BinaryOp::Nullish, 1),
        Punct::AndAnd => (BinaryOp::And, 2),
        Punct::EqEqEq => (BinaryOp::StrictEq, 3),
        Punct::NotEqEq => (BinaryOp::StrictNotEq, 3),
        Punct::EqEq => (BinaryOp::LooseEq, 3),
        Punct::NotEq => (BinaryOp::LooseNotEq, 3),
        Punct::Less => (BinaryOp::Less, 4),
        Punct::LessEq => (BinaryOp::LessEq, 4),
        Punct::Greater => (BinaryOp::Greater, 4),
        Punct::GreaterEq => (BinaryOp::GreaterEq, 4),
        Punct::Plus => (BinaryOp::Add, 5),
        Punct::Minus => (BinaryOp::Sub, 5),
        Punct::Star => (BinaryOp::Mul, 6),
        Punct::Slash => (BinaryOp::Div, 6),
        Punct::Percent => (BinaryOp::Rem, 6),
        Punct::StarStar => (BinaryOp::Pow, 7),
        _ => return None,
    })
}

/// Whether a token can begin a value (used to recognise a forgotten `,`).
fn starts_expression(token: &Token) -> bool {
    match &token.kind {
        TokenKind::Ident(_)
        | TokenKind::Number(_)
        | TokenKind::Str { .. }
        | TokenKind::Template(_)
        | TokenKind::TemplateHead(_)
        | TokenKind::Regex { .. } => true,
        TokenKind::TemplateMiddle(_) | TokenKind::TemplateTail(_) => false,
        TokenKind::Punct(p) => {
            matches!(p, Punct::LBrace | Punct::LBracket | Punct::LParen | Punct::Bang | Punct::Minus | Punct::Plus)
        }
        TokenKind::Eof => false,
    }
}

/// For each opening bracket, the index of the closing bracket of the same kind that balances it.
pub(crate) fn match_brackets(tokens: &[Token]) -> Vec<Option<usize>> {
    let mut matching = vec![None; tokens.len()];
    let mut stack: Vec<(usize, Punct)> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let TokenKind::Punct(punct) = token.kind else {
            continue;
        };
        match punct {
            Punct::LParen | Punct::LBracket | Punct::LBrace => stack.push((index, punct)),
            Punct::RParen | Punct::RBracket | Punct::RBrace => {
                let opener = match punct {
                    Punct::RParen => Punct::LParen,
                    Punct::RBracket => Punct::LBracket,
                    _ => Punct::LBrace,
                };
                if stack.last().is_some_and(|(_, open)| *open == opener) {
                    if let Some((open_index, _)) = stack.pop() {
                        if let Some(slot) = matching.get_mut(open_index) {
                            *slot = Some(index);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    matching
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(source: &str, expected: Expect) {
        expected.assert_eq(&show(source));
    }

    fn show(source: &str) -> String {
        match parse(source) {
            Ok(program) => program.to_string(),
            Err(error) => format!(
                "error {}:{} {:?}: {}{}",
                error.span.line,
                error.span.column,
                error.kind,
                error.message,
                error.hint.map(|h| format!("\nhint: {h}")).unwrap_or_default()
            ),
        }
    }

    #[test]
    fn declarations_members_and_calls() {
        check(
            "const a = 1; let b = a.b[\"c\"](x, y)\nvar c, d = 2\nconst { Schema, model: makeModel } = mongoose",
            expect![[r#"
                const a = 1;
                let b = a.b["c"](x, y);
                var c, d = 2;
                const { Schema, model: makeModel } = mongoose;
            "#]],
        );
        check(
            "db.users.find({}).sort({a: 1}).limit(5)\ndb.users\n  .find({ age: { $gt: 18 } })\n  .limit(10)",
            expect![[r#"
                db.users.find({}).sort({ a: 1 }).limit(5);
                db.users.find({ age: { $gt: 18 } }).limit(10);
            "#]],
        );
        check(
            "new X(1)\nnew Date\nnew mongoose.Schema({})\nnew new F()()",
            expect![[r#"
            (new X(1));
            (new Date());
            (new mongoose.Schema({}));
            (new (new F())());
        "#]],
        );
        check(
            "a?.b?.[0]?.(1)\nuser?.profile.name",
            expect![[r#"
            a?.b?.[0]?.(1);
            user?.profile.name;
        "#]],
        );
        check(
            "options.new; Model.delete(); x.default",
            expect![[r#"
            options.new;
            Model.delete();
            x.default;
        "#]],
        );
        check(
            "user.premium = true; module.exports = User\na = b = 3",
            expect![[r#"
            (user.premium = true);
            (module.exports = User);
            (a = (b = 3));
        "#]],
        );
    }

    #[test]
    fn operators_and_precedence() {
        check(
            "a === b && c !== d || !e\nx < 1 + 2 * 3 - -4 % 5 / +6\ny >= 1 == z <= 2 != w > 3\nt ?? u\ntypeof v === \"string\"",
            expect![[r#"
                (((a === b) && (c !== d)) || (!e));
                (x < ((1 + (2 * 3)) - (((-4) % 5) / (+6))));
                (((y >= 1) == (z <= 2)) != (w > 3));
                (t ?? u);
                ((typeof v) === "string");
            "#]],
        );
        check(
            "c ? d : e ? f : g;\n(a || b) && c",
            expect![[r#"
            (c ? d : (e ? f : g));
            ((a || b) && c);
        "#]],
        );
        check(
            "a / b / c; x = /^ada/i.test(name); y = (1) / 2",
            expect![[r#"
            ((a / b) / c);
            (x = /^ada/i.test(name));
            (y = (1 / 2));
        "#]],
        );
        check(
            "await await x; await User.find().sort({a:-1})",
            expect![[r#"
            (await (await x));
            (await User.find().sort({ a: (-1) }));
        "#]],
        );
    }

    #[test]
    fn modules_and_shell_commands() {
        check(
            "const mongoose = require(\"mongoose\")\nimport mongoose from \"mongoose\"\nimport { Schema, model as m } from 'mongoose'\nimport express, { Router } from \"express\"\nimport * as all from \"x\"\nimport \"dotenv/config\"",
            expect![[r#"
                const mongoose = require("mongoose");
                import mongoose from "mongoose";
                import { Schema, model as m } from "mongoose";
                import express, { Router } from "express";
                import * as all from "x";
                import "dotenv/config";
            "#]],
        );
        check(
            "module.exports = User\nexport default User\nexport const x = 1",
            expect![[r#"
            (module.exports = User);
            export default User;
            export const x = 1;
        "#]],
        );
        check(
            "use shop\nshow dbs\nshow collections;\nuse my-shop // comment\nuse(x)\nshow = 2",
            expect![[r#"
            <shell use "shop">
            <shell show "dbs">
            <shell show "collections">
            <shell use "my-shop">
            use(x);
            (show = 2);
        "#]],
        );
    }

    #[test]
    fn functions_and_handlers() {
        check(
            r#"app.post("/signup", async (req, res) => {
  const { username, password } = req.body;
  const existing = await User.findOne({ username });
  if (existing) {
    return res.status(403).json({ message: "User already exists" });
  } else res.json({ ok: true })
  try { await User.create({ username, password }) } catch (e) { throw e } finally { done() }
  return
})
app.get("/", (req, res) => res.send("hi"))
const f = async x => x * 2; const g = y => ({ y })
function auth(req, res, next) { next() }
async function main() { await mongoose.connect(url) }
const h = function () {}"#,
            expect![[r#"
                app.post("/signup", (async (req, res) => {
                  const { username, password } = req.body;
                  const existing = (await User.findOne({ username }));
                  if (existing) {
                    return res.status(403).json({ message: "User already exists" });
                  } else res.json({ ok: true });
                  try {
                    (await User.create({ username, password }));
                  } catch (e) {
                    throw e;
                  } finally {
                    done();
                  }
                  return;
                }));
                app.get("/", ((req, res) => res.send("hi")));
                const f = (async (x) => (x * 2));
                const g = ((y) => ({ y }));
                function auth(req, res, next) {
                  next();
                }
                async function main() {
                  (await mongoose.connect(url));
                }
                const h = (function () {
                });
            "#]],
        );
    }

    #[test]
    fn literals() {
        check(
            r#"x = { username, "first name": 1, 2: 'two', 1.50: 3, 0x10: 4, $push: { a: [1, 2,] }, new: true, }"#,
            expect![[r#"
                (x = { username, "first name": 1, [num 2]: "two", [num 1.5]: 3, [num 16]: 4, $push: { a: [1, 2] }, new: true });
            "#]],
        );
        check(
            "[1, -2, 3.5, 1e3, 0xff, 1_000, Infinity, -Infinity, NaN, true, false, null, undefined, `t`, /a/g]",
            expect![[r#"
                [1, (-2), 3.5, 1000, 255, 1000, Infinity, (-Infinity), NaN, true, false, null, undefined, `t`, /a/g];
            "#]],
        );
        check(
            r#"[ObjectId("64b7f0c2a1b2c3d4e5f60718"), new ObjectId(), ISODate("2024-01-01"), new Date(2024, 0, 1), Date.now(), NumberInt(5), NumberLong("9007199254740993"), NumberDecimal("1.5")]"#,
            expect![[r#"
                [ObjectId("64b7f0c2a1b2c3d4e5f60718"), (new ObjectId()), ISODate("2024-01-01"), (new Date(2024, 0, 1)), Date.now(), NumberInt(5), NumberLong("9007199254740993"), NumberDecimal("1.5")];
            "#]],
        );
    }

    #[test]
    fn automatic_semicolon_insertion() {
        check(
            "a\nb\n(c)\nd",
            expect![[r#"
            a;
            b(c);
            d;
        "#]],
        );
        check(
            "return\nx",
            expect![[r#"
            return;
            x;
        "#]],
        );
        check(
            "const a = 1 2",
            expect![[r#"
            error 1:13 UnexpectedToken: expected the end of the statement, found a number
            hint: put each statement on its own line or separate statements with `;`; a `,` or an operator may be missing"#]],
        );
        check(
            "{ name: \"ada\", age: 36 }\n{ \"a\": 1 }.a\n{}",
            expect![[r#"
            { name: "ada", age: 36 };
            { "a": 1 }.a;
            {
            }
        "#]],
        );
        check(
            "{ a; b }  ;;",
            expect![[r#"
            {
              a;
              b;
            }
            ;
            ;
        "#]],
        );
        check(
            "x++",
            expect![[r#"
                (x++);
            "#]],
        );
        check(
            "x += 1",
            expect![[r#"
                (x += 1);
            "#]],
        );
    }

    #[test]
    fn beginner_errors() {
        let table: &[(&str, Expect)] = &[
            (
                "User.create({ username : req.body.username ; password: req.body.password })",
                expect![[r#"
                    error 1:44 SemicolonInObject: `;` cannot separate properties inside `{ }` — use `,`
                    hint: replace the `;` with `,`"#]],
            ),
            (
                "User.create({ username = \"ada\" })",
                expect![[r#"
                error 1:24 EqualsInObject: use `:` between a key and its value inside `{ }`, not `=`
                hint: write `username: …`"#]],
            ),
            (
                "db.users.insertOne({ name: \"ada\" age: 36 })",
                expect![[r#"
                error 1:34 MissingComma: missing `,` between properties
                hint: add `,` after the previous value"#]],
            ),
            (
                "db.users.insertOne({ name: \"ada\"\n  age: 36 })",
                expect![[r#"
                error 2:3 MissingComma: missing `,` between properties
                hint: add `,` after the previous value"#]],
            ),
            (
                "[1 2]",
                expect![[r#"
                error 1:4 MissingComma: missing `,` between array elements
                hint: add `,` before this"#]],
            ),
            (
                "f(a b)",
                expect![[r#"
                error 1:5 MissingComma: missing `,` between arguments
                hint: add `,` before this"#]],
            ),
            (
                "f(a; b)",
                expect![[r#"
                error 1:4 MissingComma: `;` cannot separate arguments inside `( )` — use `,`
                hint: replace the `;` with `,`"#]],
            ),
            (
                "User.find({ name: \"ada\" ",
                expect![[r#"
                error 1:11 Unclosed: this `{` is never closed
                hint: add the missing `}`"#]],
            ),
            (
                "User.find({ name: \"ada\" )",
                expect![[r#"
                error 1:11 Unclosed: this `{` is never closed: `)` at line 1, column 25 comes before its `}`
                hint: add the missing `}`"#]],
            ),
            (
                "User.find({ tags: [1, 2 }",
                expect![[r#"
                error 1:19 Unclosed: this `[` is never closed: `}` at line 1, column 25 comes before its `]`
                hint: add the missing `]`"#]],
            ),
            (
                "User.find(\n  { a: 1 }\n",
                expect![[r#"
                error 1:10 Unclosed: this `(` is never closed
                hint: add the missing `)`"#]],
            ),
            (
                "app.get(\"/\", (req, res) => {\n  res.send(1)\n",
                expect![[r#"
                error 1:28 Unclosed: this `{` is never closed
                hint: add the missing `}`"#]],
            ),
            (
                "User.find({ name: \"ada })",
                expect![[r#"
                error 1:19 UnterminatedString: this string is never closed
                hint: add the closing " before the end of the line (strings in "…" cannot span lines; use backticks for that)"#]],
            ),
            (
                "User.find({ name: ",
                expect![[r#"
                error 1:19 UnexpectedEnd: the code ends here, but a value is missing
                hint: finish the statement, or check for a missing closing bracket or quote"#]],
            ),
            (
                "User.find(",
                expect![[r#"
                error 1:10 Unclosed: this `(` is never closed
                hint: add the missing `)`"#]],
            ),
            (
                "User.",
                expect![[r#"
                error 1:6 UnexpectedEnd: the code ends here, but a property name after `.` is missing
                hint: for a property whose name is not a plain word write `object["the name"]`"#]],
            ),
            (
                "db.users.find({ ...filter })",
                expect![[r#"
                    db.users.find({ ...filter });
                "#]],
            ),
            (
                "f(...args)",
                expect![[r#"
                    f(...args);
                "#]],
            ),
            (
                "[...xs]",
                expect![[r#"
                    [...xs];
                "#]],
            ),
            ("const = 5", expect!["error 1:7 UnexpectedToken: expected a variable name, found `=`"]),
            (
                "const x",
                expect![[r#"
                error 1:8 UnexpectedToken: a `const` needs a value
                hint: write `const name = value`"#]],
            ),
            (
                "User.find(name: \"ada\")",
                expect![[r#"
                error 1:15 UnexpectedToken: `key: value` pairs must be inside `{ }`
                hint: wrap the document in braces: `find({ name: "ada" })`"#]],
            ),
            (
                "x = { a: 1,, b: 2 }",
                expect![[r#"
                error 1:12 UnexpectedToken: two `,` in a row: a property is missing
                hint: remove the extra `,`"#]],
            ),
            (
                "x = { a: }",
                expect![[r#"
                error 1:10 UnexpectedToken: the key `a` has no value after its `:`
                hint: write a value after `:`"#]],
            ),
            (
                "x = { a b }",
                expect![[r#"
                error 1:9 UnexpectedToken: expected `:` after the key `a`, found `b`
                hint: a `:` or a `,` is missing between these two words"#]],
            ),
            (
                "x = { [k]: 1 }",
                expect![[r#"
                    (x = { [k]: 1 });
                "#]],
            ),
            (
                "x = { f() {} }",
                expect![[r#"
                    (x = { f: (function f() {
                    }) });
                "#]],
            ),
            (
                "})",
                expect![[r#"
                error 1:1 UnexpectedToken: `}` closes nothing: there is no matching opening bracket before it
                hint: remove it, or add the opening bracket it belongs to"#]],
            ),
            ("class A {}", expect!["error 1:1 Unsupported: classes are not supported in crudlab's shell"]),
            ("for (;;) {}", expect![[r#"
                for (;;) {
                }
            "#]]),
            (
                "x = if",
                expect![[r#"
                error 1:5 UnexpectedToken: `if` cannot be used here: a value was expected
                hint: a statement keyword must start its own statement; check the line before for a missing value"#]],
            ),
            (
                "f(,)",
                expect![[r#"
                error 1:3 UnexpectedToken: a `,` cannot come before the first of the arguments
                hint: remove the extra `,`"#]],
            ),
            (
                "1 = 2",
                expect![[r#"
                error 1:3 UnexpectedToken: cannot assign to this: the left of `=` must be a name or a property
                hint: to compare values write `===`"#]],
            ),
            (
                "x = `hi ${name}`",
                expect![[r#"
                    (x = `hi ${name}`);
                "#]],
            ),
            ("new Schema({ a: String }) @", expect!["error 1:27 UnexpectedCharacter: `@` has no meaning here"]),
            (
                "a => ",
                expect![[r#"
                error 1:6 UnexpectedEnd: the code ends here, but a value is missing
                hint: finish the statement, or check for a missing closing bracket or quote"#]],
            ),
            ("x = ()", expect!["error 1:6 UnexpectedToken: expected a value between `(` and `)`, found `)`"]),
            (
                "x.",
                expect![[r#"
                error 1:3 UnexpectedEnd: the code ends here, but a property name after `.` is missing
                hint: for a property whose name is not a plain word write `object["the name"]`"#]],
            ),
            (
                "x.1",
                expect![[r#"
                error 1:2 UnexpectedToken: expected the end of the statement, found a number
                hint: put each statement on its own line or separate statements with `;`; a `,` or an operator may be missing"#]],
            ),
            (
                "import x",
                expect![[r#"
                error 1:9 UnexpectedEnd: the code ends here, but `from` and the module name, like `from "mongoose"` is missing
                hint: finish the statement, or check for a missing closing bracket or quote"#]],
            ),
            ("User.find({ a: 1 }\nUser.find()", expect![[r#"
                error 1:10 Unclosed: this `(` is never closed: `User` at line 2, column 1 comes before its `)`
                hint: add the missing `)`"#]]),
            ("User.create({ a: 1\nUser.find()", expect![[r#"
                error 1:13 Unclosed: this `{` is never closed: `User` at line 2, column 1 comes before its `}`
                hint: add the missing `}`"#]]),
            ("x = [1, 2\nfoo()", expect![[r#"
                error 1:5 Unclosed: this `[` is never closed: `foo` at line 2, column 1 comes before its `]`
                hint: add the missing `]`"#]]),
            ("db.c.insertOne({\n  name: \"ada\"\n  age: 36\n})", expect![[r#"
                error 3:3 MissingComma: missing `,` between properties
                hint: add `,` after the previous value"#]]),
            ("User.find({ name: \"ada\" }", expect![[r#"
                error 1:10 Unclosed: this `(` is never closed
                hint: add the missing `)`"#]]),
            ("User.find({ name: \"ada\" }))", expect![[r#"
                error 1:27 UnexpectedToken: `)` closes nothing: there is no matching `(` before it
                hint: remove it, or add the opening bracket it belongs to"#]]),
            ("const user = await User.findOne({ username })\nif (!user) {\n  res.status(403).json({ message: \"no\" })\n", expect![[r#"
                error 2:12 Unclosed: this `{` is never closed
                hint: add the missing `}`"#]]),
            (
                "a: 1",
                expect![[r#"
                error 1:2 UnexpectedToken: `:` can only be used inside `{ }` (between a key and its value) or in `a ? b : c`
                hint: wrap the key and value in `{ }`"#]],
            ),
        ];
        for (source, expected) in table {
            expected.assert_eq(&show(source));
        }
    }
}
