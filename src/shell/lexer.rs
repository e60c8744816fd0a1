//! Splits the student's JavaScript / mongosh text into tokens (names, numbers, strings, regexes, punctuation).
//!
//! A template literal without placeholders is one [`TokenKind::Template`]; with placeholders it is read as
//! JavaScript's lexer reads it: a head (text up to the first `${`), the placeholder's own tokens, a middle for each
//! further `}…${`, and a tail (`}…` up to the closing backtick). A stack of brace depths tells a `}` that closes a
//! placeholder from one that closes an object inside it.
//! Lone UTF-16 surrogates written as `\uD800` are replaced with U+FFFD, since Rust strings cannot hold them.

use super::error::{ErrorKind, ParseError};
use super::span::Span;

/// Punctuation and operators the parser understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Punct {
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Semicolon,
    Comma,
    Dot,
    /// `?.`
    QuestionDot,
    /// `...`
    Ellipsis,
    Colon,
    Question,
    /// `??`
    QuestionQuestion,
    Assign,
    /// `=>`
    Arrow,
    EqEq,
    EqEqEq,
    NotEq,
    NotEqEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    AndAnd,
    OrOr,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    /// `**`
    StarStar,
    PlusAssign,
    MinusAssign,
    StarAssign,
    SlashAssign,
    PercentAssign,
    StarStarAssign,
    AndAndAssign,
    OrOrAssign,
    NullishAssign,
    Increment,
    Decrement,
}

impl Punct {
    pub fn as_str(self) -> &'static str {
        match self {
            Punct::LBrace => "{",
            Punct::RBrace => "}",
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::LBracket => "[",
            Punct::RBracket => "]",
            Punct::Semicolon => ";",
            Punct::Comma => ",",
            Punct::Dot => ".",
            Punct::QuestionDot => "?.",
            Punct::Ellipsis => "...",
            Punct::Colon => ":",
            Punct::Question => "?",
            Punct::QuestionQuestion => "??",
            Punct::Assign => "=",
            Punct::Arrow => "=>",
            Punct::EqEq => "==",
            Punct::EqEqEq => "===",
            Punct::NotEq => "!=",
            Punct::NotEqEq => "!==",
            Punct::Less => "<",
            Punct::LessEq => "<=",
            Punct::Greater => ">",
            Punct::GreaterEq => ">=",
            Punct::AndAnd => "&&",
            Punct::OrOr => "||",
            Punct::Bang => "!",
            Punct::Plus => "+",
            Punct::Minus => "-",
            Punct::Star => "*",
            Punct::Slash => "/",
            Punct::Percent => "%",
            Punct::StarStar => "**",
            Punct::PlusAssign => "+=",
            Punct::MinusAssign => "-=",
            Punct::StarAssign => "*=",
            Punct::SlashAssign => "/=",
            Punct::PercentAssign => "%=",
            Punct::StarStarAssign => "**=",
            Punct::AndAndAssign => "&&=",
            Punct::OrOrAssign => "||=",
            Punct::NullishAssign => "??=",
            Punct::Increment => "++",
            Punct::Decrement => "--",
        }
    }
}

/// Longest-match table of operators; order matters (longer first).
const PUNCTUATION: &[(&str, Punct)] = &[
    ("===", Punct::EqEqEq),
    ("!==", Punct::NotEqEq),
    ("...", Punct::Ellipsis),
    ("**=", Punct::StarStarAssign),
    ("&&=", Punct::AndAndAssign),
    ("||=", Punct::OrOrAssign),
    ("??=", Punct::NullishAssign),
    ("=>", Punct::Arrow),
    ("==", Punct::EqEq),
    ("!=", Punct::NotEq),
    ("<=", Punct::LessEq),
    (">=", Punct::GreaterEq),
    ("&&", Punct::AndAnd),
    ("||", Punct::OrOr),
    ("??", Punct::QuestionQuestion),
    ("++", Punct::Increment),
    ("--", Punct::Decrement),
    ("**", Punct::StarStar),
    ("+=", Punct::PlusAssign),
    ("-=", Punct::MinusAssign),
    ("*=", Punct::StarAssign),
    ("/=", Punct::SlashAssign),
    ("%=", Punct::PercentAssign),
    ("{", Punct::LBrace),
    ("}", Punct::RBrace),
    ("(", Punct::LParen),
    (")", Punct::RParen),
    ("[", Punct::LBracket),
    ("]", Punct::RBracket),
    (";", Punct::Semicolon),
    (",", Punct::Comma),
    (".", Punct::Dot),
    (":", Punct::Colon),
    ("?", Punct::Question),
    ("=", Punct::Assign),
    ("<", Punct::Less),
    (">", Punct::Greater),
    ("!", Punct::Bang),
    ("+", Punct::Plus),
    ("-", Punct::Minus),
    ("*", Punct::Star),
    ("/", Punct::Slash),
    ("%", Punct::Percent),
];

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A name or keyword (`db`, `const`, `$gt`, `await`).
    Ident(String),
    Number(f64),
    /// A `'…'` or `"…"` string with escapes decoded. `terminated` is false only in partial lexing,
    /// when the text ends inside the string (the student is still typing it).
    Str {
        value: String,
        terminated: bool,
    },
    /// A backtick string without placeholders.
    Template(String),
    /// `` `text${ ``: a template literal's text up to its first placeholder.
    TemplateHead(String),
    /// `` }text${ ``: the text between two placeholders.
    TemplateMiddle(String),
    /// `` }text` ``: the text after the last placeholder.
    TemplateTail(String),
    Regex {
        pattern: String,
        flags: String,
    },
    Punct(Punct),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// A line break (or a comment containing one) comes between the previous token and this one;
    /// automatic semicolon insertion depends on it.
    pub newline_before: bool,
}

impl Token {
    pub fn is_punct(&self, punct: Punct) -> bool {
        self.kind == TokenKind::Punct(punct)
    }

    pub fn ident(&self) -> Option<&str> {
        match &self.kind {
            TokenKind::Ident(name) => Some(name),
            _ => None,
        }
    }

    pub fn is_ident(&self, name: &str) -> bool {
        self.ident() == Some(name)
    }
}

/// Describes a token for error messages: `` `{` ``, `the name \`foo\``, `the end of the text`.
pub fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Ident(name) => format!("`{name}`"),
        TokenKind::Number(_) => "a number".to_string(),
        TokenKind::Str { .. } => "a string".to_string(),
        TokenKind::Template(_) | TokenKind::TemplateHead(_) => "a template string".to_string(),
        TokenKind::TemplateMiddle(_) | TokenKind::TemplateTail(_) => "the rest of a template string".to_string(),
        TokenKind::Regex { .. } => "a regular expression".to_string(),
        TokenKind::Punct(p) => format!("`{}`", p.as_str()),
        TokenKind::Eof => "the end of the text".to_string(),
    }
}

/// Keywords after which a `/` starts a regular expression rather than a division.
const REGEX_AFTER_KEYWORDS: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "await",
    "yield",
];

/// Lexes the whole text; the first error stops lexing. The token list always ends with [`TokenKind::Eof`].
pub fn tokenize(source: &str) -> Result<Vec<Token>, ParseError> {
    let (tokens, error) = Lexer::new(source, false).run();
    match error {
        Some(error) => Err(error),
        None => Ok(tokens),
    }
}

/// Lexes as far as possible for editor features working on incomplete text: returns the tokens read
/// before the first error (a string still being typed at the end becomes an unterminated `Str` token).
pub fn tokenize_partial(source: &str) -> (Vec<Token>, Option<ParseError>) {
    Lexer::new(source, true).run()
}

struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    newline_before: bool,
    partial: bool,
    /// How many `{` are open (placeholders' `${` included).
    brace_depth: usize,
    /// For each template placeholder being read, the brace depth its `${` opened.
    placeholders: Vec<usize>,
}

impl<'a> Lexer<'a> {
    fn new(source: &'a str, partial: bool) -> Self {
        Self {
            source,
            bytes: source.as_bytes(),
            pos: 0,
            tokens: Vec::new(),
            newline_before: false,
            partial,
            brace_depth: 0,
            placeholders: Vec::new(),
        }
    }

    fn run(mut self) -> (Vec<Token>, Option<ParseError>) {
        let error = loop {
            match self.next_token() {
                Ok(true) => {}
                Ok(false) => break None,
                Err(error) => break Some(error),
            }
        };
        let end = self.source.len();
        self.tokens.push(Token { kind: TokenKind::Eof, span: Span::point(end), newline_before: self.newline_before });
        (self.tokens, error)
    }

    fn error(&self, kind: ErrorKind, span: Span, message: impl Into<String>) -> ParseError {
        ParseError::new(kind, self.source, span, message)
    }

    fn peek_char(&self) -> Option<char> {
        self.source.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    fn char_at(&self, offset: usize) -> Option<char> {
        self.source.get(offset..).and_then(|rest| rest.chars().next())
    }

    fn byte_at(&self, offset: usize) -> Option<u8> {
        self.bytes.get(offset).copied()
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token { kind, span: Span::new(start, self.pos), newline_before: self.newline_before });
        self.newline_before = false;
    }

    /// Skips whitespace and comments, then reads one token. Returns `Ok(false)` at the end of the text.
    fn next_token(&mut self) -> Result<bool, ParseError> {
        self.skip_trivia()?;
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(false);
        };
        if is_identifier_start(c) {
            while let Some(c) = self.peek_char() {
                if !is_identifier_part(c) {
                    break;
                }
                self.pos += c.len_utf8();
            }
            let name = self.source.get(start..self.pos).unwrap_or("").to_string();
            self.push(TokenKind::Ident(name), start);
            return Ok(true);
        }
        if c.is_ascii_digit() || (c == '.' && self.byte_at(start + 1).is_some_and(|b| b.is_ascii_digit())) {
            let value = self.number()?;
            self.push(TokenKind::Number(value), start);
            return Ok(true);
        }
        match c {
            '"' | '\'' => return self.string(c),
            '`' => return self.template(start, false),
            '}' if self.placeholders.last() == Some(&self.brace_depth) => {
                self.placeholders.pop();
                self.brace_depth = self.brace_depth.saturating_sub(1);
                return self.template(start, true);
            }
            '{' => self.brace_depth += 1,
            '}' => self.brace_depth = self.brace_depth.saturating_sub(1),
            '/' if self.regex_allowed() => return self.regex(),
            _ => {}
        }
        // `?.` followed by a digit is `? .5` (a conditional), as JavaScript specifies.
        if c == '?'
            && self.byte_at(start + 1) == Some(b'.')
            && !self.byte_at(start + 2).is_some_and(|b| b.is_ascii_digit())
        {
            self.pos += 2;
            self.push(TokenKind::Punct(Punct::QuestionDot), start);
            return Ok(true);
        }
        let rest = self.source.get(start..).unwrap_or("");
        for &(text, punct) in PUNCTUATION {
            if text == "?." {
                continue;
            }
            if rest.starts_with(text) {
                self.pos += text.len();
                self.push(TokenKind::Punct(punct), start);
                return Ok(true);
            }
        }
        let span = Span::new(start, start + c.len_utf8());
        let (message, hint) = match c {
            '&' => ("a single `&` is not supported".to_string(), Some("for \"and\" write `&&`")),
            '|' => ("a single `|` is not supported".to_string(), Some("for \"or\" write `||`")),
            '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}' => (
                format!("`{c}` is a typographic quote, not a JavaScript quote"),
                Some("use straight quotes `\"` or `'` (word processors replace them with curly ones)"),
            ),
            '\u{2013}' | '\u{2014}' | '\u{2212}' => (
                format!("`{c}` is a typographic dash, not a minus sign"),
                Some("use the plain `-` key (slides and word processors turn it into a dash)"),
            ),
            '\u{200b}' | '\u{2060}' | '\u{00ad}' => (
                format!("an invisible character (U+{:04X}) is hidden here", c as u32),
                Some("delete it; it often comes from copying code out of a web page or PDF"),
            ),
            '#' | '@' | '~' | '^' | '\\' => (format!("`{c}` has no meaning here"), None),
            _ if c.is_control() => (
                format!("unexpected control character U+{:04X}", c as u32),
                Some("remove it; it may come from copying text out of a PDF or chat"),
            ),
            _ => (format!("unexpected character `{c}`"), None),
        };
        let mut error = self.error(ErrorKind::UnexpectedCharacter, span, message);
        if let Some(hint) = hint {
            error = error.with_hint(hint);
        }
        Err(error)
    }

    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            let Some(c) = self.peek_char() else {
                return Ok(());
            };
            if is_line_terminator(c) {
                self.newline_before = true;
                self.pos += c.len_utf8();
            } else if c.is_whitespace() || c == '\u{feff}' {
                self.pos += c.len_utf8();
            } else if c == '/' && self.byte_at(self.pos + 1) == Some(b'/') {
                while let Some(c) = self.peek_char() {
                    if is_line_terminator(c) {
                        break;
                    }
                    self.pos += c.len_utf8();
                }
            } else if c == '/' && self.byte_at(self.pos + 1) == Some(b'*') {
                let start = self.pos;
                let body = self.source.get(start + 2..).unwrap_or("");
                match body.find("*/") {
                    Some(close) => {
                        let comment = body.get(..close).unwrap_or("");
                        if comment.chars().any(is_line_terminator) {
                            self.newline_before = true;
                        }
                        self.pos = start + 2 + close + 2;
                    }
                    None if self.partial => {
                        self.pos = self.source.len();
                        return Ok(());
                    }
                    None => {
                        return Err(self
                            .error(
                                ErrorKind::UnterminatedComment,
                                Span::new(start, start + 2),
                                "this `/*` comment is never closed",
                            )
                            .with_hint("end the comment with `*/`"));
                    }
                }
            } else if c == '#' && self.pos == 0 && self.byte_at(1) == Some(b'!') {
                // A `#!/usr/bin/env node` line at the very top, as Node.js allows.
                while let Some(c) = self.peek_char() {
                    if is_line_terminator(c) {
                        break;
                    }
                    self.pos += c.len_utf8();
                }
            } else {
                return Ok(());
            }
        }
    }

    /// Whether a `/` here starts a regex: after an operator, an opening bracket, a comma, a keyword like
    /// `return`, or at the start; after a name, a number, a string or a closing bracket it is a division.
    fn regex_allowed(&self) -> bool {
        match self.tokens.last().map(|token| &token.kind) {
            None => true,
            Some(TokenKind::Punct(p)) => !matches!(p, Punct::RParen | Punct::RBracket | Punct::RBrace),
            Some(TokenKind::TemplateHead(_) | TokenKind::TemplateMiddle(_)) => true,
            Some(TokenKind::Ident(name)) => REGEX_AFTER_KEYWORDS.contains(&name.as_str()),
            Some(_) => false,
        }
    }

    fn number(&mut self) -> Result<f64, ParseError> {
        let start = self.pos;
        let radix = if self.byte_at(start) == Some(b'0') {
            match self.byte_at(start + 1) {
                Some(b'x' | b'X') => 16,
                Some(b'o' | b'O') => 8,
                Some(b'b' | b'B') => 2,
                _ => 10,
            }
        } else {
            10
        };
        let value = if radix != 10 {
            self.pos += 2;
            let digits = self.digits(radix)?;
            if digits.is_empty() {
                return Err(self.invalid_number(start, "this number has a prefix but no digits"));
            }
            let mut wide: Option<u128> = Some(0);
            let mut approximate = 0f64;
            for digit in digits.chars().filter_map(|c| c.to_digit(radix)) {
                wide =
                    wide.and_then(|w| w.checked_mul(u128::from(radix))).and_then(|w| w.checked_add(u128::from(digit)));
                approximate = approximate * f64::from(radix) + f64::from(digit);
            }
            wide.map_or(approximate, |w| w as f64)
        } else {
            let mut text = String::new();
            let integer = self.digits(10)?;
            if integer.len() > 1 && integer.starts_with('0') {
                return Err(self
                    .invalid_number(start, "numbers cannot start with `0` followed by digits")
                    .with_hint("remove the leading zero (old JavaScript read `010` as octal 8)"));
            }
            text.push_str(&integer);
            if self.byte_at(self.pos) == Some(b'.') {
                self.pos += 1;
                text.push('.');
                if self.byte_at(self.pos) == Some(b'_') {
                    return Err(self.invalid_number(start, "`_` cannot follow the decimal point"));
                }
                text.push_str(&self.digits(10)?);
            }
            if matches!(self.byte_at(self.pos), Some(b'e' | b'E')) {
                self.pos += 1;
                text.push('e');
                if let Some(sign @ (b'+' | b'-')) = self.byte_at(self.pos) {
                    text.push(char::from(sign));
                    self.pos += 1;
                }
                let exponent = self.digits(10)?;
                if exponent.is_empty() {
                    return Err(self.invalid_number(start, "this number's exponent has no digits"));
                }
                text.push_str(&exponent);
            }
            let text = if text.starts_with('.') { format!("0{text}") } else { text };
            text.parse::<f64>().map_err(|_| self.invalid_number(start, "this is not a valid number"))?
        };
        if self.byte_at(self.pos) == Some(b'n') {
            self.pos += 1;
            return Err(self
                .invalid_number(start, "BigInt literals like `123n` are not supported")
                .with_hint("for a 64-bit integer write `NumberLong(\"123\")`"));
        }
        if let Some(c) = self.peek_char() {
            if is_identifier_part(c) {
                let mut end = self.pos;
                while let Some(c) = self.char_at(end) {
                    if !is_identifier_part(c) {
                        break;
                    }
                    end += c.len_utf8();
                }
                self.pos = end;
                return Err(self
                    .invalid_number(start, "a number cannot be directly followed by letters")
                    .with_hint("names cannot start with a digit; add a space or an operator if you meant two things"));
            }
        }
        Ok(value)
    }

    fn invalid_number(&self, start: usize, message: &str) -> ParseError {
        self.error(ErrorKind::InvalidNumber, Span::new(start, self.pos.max(start + 1)), message)
    }

    /// Reads digits of `radix` with `_` separators (only allowed between two digits) and returns them without `_`.
    fn digits(&mut self, radix: u32) -> Result<String, ParseError> {
        let mut digits = String::new();
        let mut previous_was_digit = false;
        while let Some(c) = self.peek_char() {
            if c == '_' {
                let next_is_digit = self.char_at(self.pos + 1).is_some_and(|n| n.is_digit(radix));
                if !previous_was_digit || !next_is_digit {
                    self.pos += 1;
                    return Err(self
                        .error(
                            ErrorKind::InvalidNumber,
                            Span::new(self.pos - 1, self.pos),
                            "`_` in a number must stand between two digits",
                        )
                        .with_hint("write `1_000_000`, not `1__000` or `1000_`"));
                }
                previous_was_digit = false;
                self.pos += 1;
            } else if c.is_digit(radix) {
                digits.push(c);
                previous_was_digit = true;
                self.pos += 1;
            } else {
                break;
            }
        }
        Ok(digits)
    }

    fn string(&mut self, quote: char) -> Result<bool, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                return self.unterminated_string(start, value, quote);
            };
            if c == quote {
                self.pos += 1;
                self.push(TokenKind::Str { value, terminated: true }, start);
                return Ok(true);
            }
            if c == '\n' || c == '\r' {
                return self.unterminated_string(start, value, quote);
            }
            if c == '\\' {
                self.escape(&mut value)?;
            } else {
                value.push(c);
                self.pos += c.len_utf8();
            }
        }
    }

    fn unterminated_string(&mut self, start: usize, value: String, quote: char) -> Result<bool, ParseError> {
        if self.partial && self.pos >= self.source.len() {
            self.push(TokenKind::Str { value, terminated: false }, start);
            return Ok(false);
        }
        Err(self
            .error(
                ErrorKind::UnterminatedString,
                Span::new(start, start + 1),
                "this string is never closed",
            )
            .with_hint(format!(
                "add the closing {quote} before the end of the line (strings in {quote}…{quote} cannot span lines; use backticks for that)"
            )))
    }

    /// Reads template text from `start` (a backtick, or the `}` closing a placeholder when `continued`) up to the
    /// closing backtick or the next `${`.
    fn template(&mut self, start: usize, continued: bool) -> Result<bool, ParseError> {
        self.pos = start + 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                if self.partial {
                    self.push(TokenKind::Str { value, terminated: false }, start);
                    return Ok(false);
                }
                return Err(self
                    .error(
                        ErrorKind::UnterminatedTemplate,
                        Span::new(start, start + 1),
                        "this backtick string is never closed",
                    )
                    .with_hint("add the closing `"));
            };
            match c {
                '`' => {
                    self.pos += 1;
                    let kind = if continued { TokenKind::TemplateTail(value) } else { TokenKind::Template(value) };
                    self.push(kind, start);
                    return Ok(true);
                }
                '\\' => self.escape(&mut value)?,
                '$' if self.byte_at(self.pos + 1) == Some(b'{') => {
                    self.pos += 2;
                    let kind =
                        if continued { TokenKind::TemplateMiddle(value) } else { TokenKind::TemplateHead(value) };
                    self.push(kind, start);
                    self.brace_depth += 1;
                    self.placeholders.push(self.brace_depth);
                    return Ok(true);
                }
                '\r' => {
                    // JavaScript normalises CRLF and CR inside templates to LF.
                    self.pos += 1;
                    if self.byte_at(self.pos) == Some(b'\n') {
                        self.pos += 1;
                    }
                    value.push('\n');
                }
                _ => {
                    value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// Decodes one backslash escape starting at `self.pos` (the backslash) into `out`.
    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.peek_char() else {
            // The text ends right after the backslash; the caller reports the unterminated string.
            return Ok(());
        };
        self.pos += c.len_utf8();
        match c {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '0' if !self.byte_at(self.pos).is_some_and(|b| b.is_ascii_digit()) => out.push('\0'),
            '1'..='9' | '0' => {
                return Err(self
                    .error(
                        ErrorKind::InvalidEscape,
                        Span::new(start, self.pos),
                        format!("the escape `\\{c}` (an old octal escape) is not allowed"),
                    )
                    .with_hint("write the character itself, or use `\\u00XX`"));
            }
            'x' => {
                let code = self.hex_digits(start, 2)?;
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            'u' => {
                let code = self.unicode_escape(start)?;
                if (0xD800..0xDC00).contains(&code) {
                    // A high surrogate: JavaScript pairs it with an immediately following `\uDC00`-`\uDFFF`.
                    let save = self.pos;
                    if self.byte_at(self.pos) == Some(b'\\') && self.byte_at(self.pos + 1) == Some(b'u') {
                        self.pos += 2;
                        let low = self.unicode_escape(save).ok();
                        match low {
                            Some(low) if (0xDC00..0xE000).contains(&low) => {
                                let combined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                                out.push(char::from_u32(combined).unwrap_or('\u{fffd}'));
                                return Ok(());
                            }
                            _ => self.pos = save,
                        }
                    }
                    out.push('\u{fffd}');
                } else {
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
            }
            '\r' => {
                // Line continuation: backslash + line break adds nothing.
                if self.byte_at(self.pos) == Some(b'\n') {
                    self.pos += 1;
                }
            }
            '\n' | '\u{2028}' | '\u{2029}' => {}
            other => out.push(other),
        }
        Ok(())
    }

    /// After `\u`: either four hex digits or `{hex}` up to 10FFFF. `self.pos` is just after the `u`.
    fn unicode_escape(&mut self, start: usize) -> Result<u32, ParseError> {
        if self.byte_at(self.pos) == Some(b'{') {
            self.pos += 1;
            let digits_start = self.pos;
            let mut code: u32 = 0;
            while let Some(b) = self.byte_at(self.pos) {
                let Some(digit) = char::from(b).to_digit(16) else {
                    break;
                };
                code = code.saturating_mul(16).saturating_add(digit);
                self.pos += 1;
            }
            let has_digits = self.pos > digits_start;
            if !has_digits || self.byte_at(self.pos) != Some(b'}') || code > 0x10FFFF {
                if self.byte_at(self.pos) == Some(b'}') {
                    self.pos += 1;
                }
                return Err(self
                    .error(ErrorKind::InvalidEscape, Span::new(start, self.pos), "invalid `\\u{…}` escape")
                    .with_hint("write 1 to 6 hex digits up to 10FFFF, e.g. `\\u{1F600}`"));
            }
            self.pos += 1;
            Ok(code)
        } else {
            self.hex_digits(start, 4)
        }
    }

    fn hex_digits(&mut self, start: usize, count: usize) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..count {
            match self.byte_at(self.pos).and_then(|b| char::from(b).to_digit(16)) {
                Some(digit) => {
                    code = code * 16 + digit;
                    self.pos += 1;
                }
                None => {
                    let example = if count == 2 { "\\x41" } else { "\\u0041" };
                    return Err(self
                        .error(
                            ErrorKind::InvalidEscape,
                            Span::new(start, self.pos),
                            format!("this escape needs exactly {count} hex digits"),
                        )
                        .with_hint(format!("e.g. `{example}`; to write a backslash itself, write `\\\\`")));
                }
            }
        }
        Ok(code)
    }

    fn regex(&mut self) -> Result<bool, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut in_class = false;
        loop {
            let Some(c) = self.peek_char() else {
                return self.unterminated_regex(start);
            };
            if is_line_terminator(c) {
                return self.unterminated_regex(start);
            }
            self.pos += c.len_utf8();
            match c {
                '\\' => {
                    if let Some(next) = self.peek_char() {
                        if is_line_terminator(next) {
                            return self.unterminated_regex(start);
                        }
                        self.pos += next.len_utf8();
                    }
                }
                '[' => in_class = true,
                ']' => in_class = false,
                '/' if !in_class => break,
                _ => {}
            }
        }
        let pattern = self.source.get(start + 1..self.pos - 1).unwrap_or("").to_string();
        let flags_start = self.pos;
        while let Some(c) = self.peek_char() {
            if !is_identifier_part(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        let flags = self.source.get(flags_start..self.pos).unwrap_or("").to_string();
        for (index, flag) in flags.char_indices() {
            let repeated = flags.get(..index).is_some_and(|before| before.contains(flag));
            if !"dgimsuyv".contains(flag) || repeated {
                let at = flags_start + index;
                let message = if repeated {
                    format!("the regular-expression flag `{flag}` is repeated")
                } else {
                    format!("`{flag}` is not a regular-expression flag")
                };
                return Err(self
                    .error(ErrorKind::InvalidRegexFlags, Span::new(at, at + flag.len_utf8()), message)
                    .with_hint("flags are letters among d g i m s u v y, e.g. `/ada/i` for case-insensitive"));
            }
        }
        self.push(TokenKind::Regex { pattern, flags }, start);
        Ok(true)
    }

    fn unterminated_regex(&mut self, start: usize) -> Result<bool, ParseError> {
        if self.partial && self.peek_char().is_none() {
            self.pos = self.source.len();
            return Ok(false);
        }
        Err(self
            .error(ErrorKind::UnterminatedRegex, Span::new(start, start + 1), "this regular expression is never closed")
            .with_hint("end it with `/` on the same line, like `/^ada/i`; for a division put a value before `/`"))
    }
}

pub fn is_identifier_start(c: char) -> bool {
    c == '$' || c == '_' || c.is_alphabetic()
}

pub fn is_identifier_part(c: char) -> bool {
    c == '$' || c == '_' || c.is_alphanumeric() || c == '\u{200c}' || c == '\u{200d}'
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn show(source: &str) -> String {
        match tokenize(source) {
            Ok(tokens) => tokens
                .iter()
                .map(|token| {
                    let text = match &token.kind {
                        TokenKind::Ident(name) => format!("id:{name}"),
                        TokenKind::Number(n) => format!("num:{n:?}"),
                        TokenKind::Str { value, .. } => format!("str:{value:?}"),
                        TokenKind::Template(value) => format!("tpl:{value:?}"),
                        TokenKind::TemplateHead(value) => format!("tpl-head:{value:?}"),
                        TokenKind::TemplateMiddle(value) => format!("tpl-middle:{value:?}"),
                        TokenKind::TemplateTail(value) => format!("tpl-tail:{value:?}"),
                        TokenKind::Regex { pattern, flags } => format!("re:/{pattern}/{flags}"),
                        TokenKind::Punct(p) => p.as_str().to_string(),
                        TokenKind::Eof => "eof".to_string(),
                    };
                    if token.newline_before {
                        format!("⏎{text}")
                    } else {
                        text
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            Err(error) => {
                format!("error {}:{} {:?}: {}", error.span.line, error.span.column, error.kind, error.message)
            }
        }
    }

    fn check(source: &str, expected: Expect) {
        expected.assert_eq(&show(source));
    }

    #[test]
    fn numbers() {
        check(
            "1 -2 3.5 .5 1e3 2E-2 0x1F 0o17 0b101 1_000_000 0 0.0",
            expect![[
                r#"num:1.0 - num:2.0 num:3.5 num:0.5 num:1000.0 num:0.02 num:31.0 num:15.0 num:5.0 num:1000000.0 num:0.0 num:0.0 eof"#
            ]],
        );
        check("0xFFFFFFFFFFFFFFFFFF", expect![[r#"num:4.722366482869645e21 eof"#]]);
        check("1__0", expect!["error 1:2 InvalidNumber: `_` in a number must stand between two digits"]);
        check("10_", expect![[r#"error 1:3 InvalidNumber: `_` in a number must stand between two digits"#]]);
        check("1e", expect![[r#"error 1:1 InvalidNumber: this number's exponent has no digits"#]]);
        check("0x", expect![[r#"error 1:1 InvalidNumber: this number has a prefix but no digits"#]]);
        check("12abc", expect![[r#"error 1:1 InvalidNumber: a number cannot be directly followed by letters"#]]);
        check("123n", expect![[r#"error 1:1 InvalidNumber: BigInt literals like `123n` are not supported"#]]);
        check("010", expect![[r#"error 1:1 InvalidNumber: numbers cannot start with `0` followed by digits"#]]);
        check("1.toString", expect![[r#"error 1:1 InvalidNumber: a number cannot be directly followed by letters"#]]);
    }

    #[test]
    fn strings_and_escapes() {
        check(
            r#"'a"b' "c'd" "\n\t\\\"" "\x41\u0042\u{1F600}" "\uD83D\uDE00" "\uD800x" "\uDC00" 'a\
b' "\q""#,
            expect![[
                r#"str:"a\"b" str:"c'd" str:"\n\t\\\"" str:"AB😀" str:"😀" str:"�x" str:"�" str:"ab" str:"q" eof"#
            ]],
        );
        check("`multi\nline $ {}`", expect![[r#"tpl:"multi\nline $ {}" eof"#]]);
        check("`a ${b}`", expect![[r#"tpl-head:"a " id:b tpl-tail:"" eof"#]]);
        check(
            "`${ {a: 1}.a } and ${`in ${x}`}!` / 2",
            expect![[
                r#"tpl-head:"" { id:a : num:1.0 } . id:a tpl-middle:" and " tpl-head:"in " id:x tpl-tail:"" tpl-tail:"!" / num:2.0 eof"#
            ]],
        );
        check("`a \\${b}`", expect![[r#"tpl:"a ${b}" eof"#]]);
        check("\"abc\nd\"", expect![[r#"error 1:1 UnterminatedString: this string is never closed"#]]);
        check("x = 'abc", expect![[r#"error 1:5 UnterminatedString: this string is never closed"#]]);
        check(r#""\u{110000}""#, expect![[r#"error 1:2 InvalidEscape: invalid `\u{…}` escape"#]]);
        check(r#""\u12""#, expect![[r#"error 1:2 InvalidEscape: this escape needs exactly 4 hex digits"#]]);
        check(r#""\1""#, expect![[r#"error 1:2 InvalidEscape: the escape `\1` (an old octal escape) is not allowed"#]]);
        check(r#""\0""#, expect![[r#"str:"\0" eof"#]]);
        check("\"\\", expect![[r#"error 1:1 UnterminatedString: this string is never closed"#]]);
    }

    #[test]
    fn regex_versus_division() {
        check(
            "a / b / c; x = /^ada/i; f(/a\\/b[/]/g) (1) / 2",
            expect![[r#"id:a / id:b / id:c ; id:x = re:/^ada/i ; id:f ( re:/a\/b[/]/g ) ( num:1.0 ) / num:2.0 eof"#]],
        );
        check("return /x/", expect![[r#"id:return re:/x/ eof"#]]);
        check("/abc", expect![[r#"error 1:1 UnterminatedRegex: this regular expression is never closed"#]]);
        check("/a/gg", expect![[r#"error 1:5 InvalidRegexFlags: the regular-expression flag `g` is repeated"#]]);
        check("/a/q", expect![[r#"error 1:4 InvalidRegexFlags: `q` is not a regular-expression flag"#]]);
    }

    #[test]
    fn punctuation_comments_and_newlines() {
        check(
            "a?.b ?? c ? .5 : d // comment\n/* multi\nline */ x === y !== z => ... /* same line */ w",
            expect![[r#"id:a ?. id:b ?? id:c ? num:0.5 : id:d ⏎id:x === id:y !== id:z => ... id:w eof"#]],
        );
        check("/* open", expect![[r#"error 1:1 UnterminatedComment: this `/*` comment is never closed"#]]);
        check("a @ b", expect![[r#"error 1:3 UnexpectedCharacter: `@` has no meaning here"#]]);
        check("a & b", expect![[r#"error 1:3 UnexpectedCharacter: a single `&` is not supported"#]]);
        check(
            "“hi”",
            expect![[r#"error 1:1 UnexpectedCharacter: `“` is a typographic quote, not a JavaScript quote"#]],
        );
        check(
            "sort({ age: \u{2013}1 })",
            expect!["error 1:13 UnexpectedCharacter: `–` is a typographic dash, not a minus sign"],
        );
        check(
            "find(\u{200b})",
            expect!["error 1:6 UnexpectedCharacter: an invisible character (U+200B) is hidden here"],
        );
        check("#!/usr/bin/env node\nx", expect![[r#"⏎id:x eof"#]]);
        check("", expect![[r#"eof"#]]);
        check("$gt _id café", expect![[r#"id:$gt id:_id id:café eof"#]]);
    }

    #[test]
    fn partial_lexing_keeps_an_unfinished_string() {
        let (tokens, error) = tokenize_partial("find({ name: \"ad");
        assert!(error.is_none());
        let kinds: Vec<_> = tokens.iter().map(|t| t.kind.clone()).collect();
        assert_eq!(kinds.get(5), Some(&TokenKind::Str { value: "ad".to_string(), terminated: false }));
        let (tokens, error) = tokenize_partial("a @ b");
        assert_eq!(tokens.len(), 2);
        assert!(error.is_some());
    }
}
