//! Parse and evaluation errors worded for beginners: what went wrong, where (byte span and line:column), and the likely fix.

use std::fmt;

use super::span::{floor_char_boundary, Location, Span};

/// What kind of mistake an error reports, so the UI and tests can react without reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A character that has no meaning in JavaScript code, such as `@` or `#`.
    UnexpectedCharacter,
    /// A `"…"` or `'…'` string without its closing quote on the same line.
    UnterminatedString,
    /// A `` `…` `` string without its closing backtick.
    UnterminatedTemplate,
    /// A `/* …` comment without `*/`.
    UnterminatedComment,
    /// A `/…/` regular expression without its closing `/` on the same line.
    UnterminatedRegex,
    /// A backslash escape inside a string that JavaScript rejects (`\x4`, `\u{110000}`, octal escapes).
    InvalidEscape,
    /// A malformed number such as `1__0`, `0x`, `1e` or `12abc`.
    InvalidNumber,
    /// Regular-expression flags that are unknown or repeated.
    InvalidRegexFlags,
    /// `${…}` inside a backtick string: crudlab does not evaluate template placeholders.
    TemplatePlaceholder,
    /// A token that cannot appear at this place.
    UnexpectedToken,
    /// The text ended while something was still expected.
    UnexpectedEnd,
    /// A `{`, `(` or `[` that is never closed (the span points at the opening bracket).
    Unclosed,
    /// `;` used between properties of an object literal.
    SemicolonInObject,
    /// `=` used instead of `:` between a key and its value.
    EqualsInObject,
    /// Two properties, elements or arguments with no `,` between them.
    MissingComma,
    /// `...spread` syntax, which crudlab does not support.
    SpreadNotSupported,
    /// Valid JavaScript that crudlab's shell does not run (classes, loops, ...).
    Unsupported,
    /// Brackets or expressions nested deeper than the parser allows.
    TooDeep,
    /// More program text than the shell accepts at once.
    TooLong,
    /// A property read on `null` or `undefined` while evaluating a value (`user._id` when `user` is null): at run
    /// time this is JavaScript's TypeError, not a syntax error.
    PropertyOfNothing,
    /// An expression that has to be a constant value (a document, a number, ...) but is not.
    NotConstant,
    /// A name that is not defined where a value was expected.
    UnknownIdentifier,
    /// A constant helper (`ObjectId`, `ISODate`, `NumberLong`, ...) called with an argument it rejects.
    InvalidArgument,
    /// `ObjectId("xyz")`: js-bson refuses the text (a `BSONError` at run time).
    InvalidObjectId,
    /// `ISODate("1/4/1977")`: mongosh refuses the text (a `MongoshInvalidInputError` at run time).
    InvalidIsoDate,
}

/// A located, explained error in the student's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ErrorKind,
    /// Where the problem is: byte range plus 1-based line and column of its start.
    pub span: Location,
    /// One sentence in plain words.
    pub message: String,
    /// The likely fix, when we can guess it.
    pub hint: Option<String>,
}

impl ParseError {
    pub fn new(kind: ErrorKind, source: &str, span: Span, message: impl Into<String>) -> Self {
        Self { kind, span: Location::new(source, span), message: message.into(), hint: None }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The error as a student reads it: position, message, the source line with a caret underline, and the hint.
    ///
    /// ```text
    /// line 1, column 44: `;` cannot separate properties inside `{ }` — use `,`
    ///   User.create({ username : req.body.username ; password: req.body.password })
    ///                                              ^
    /// hint: ...
    /// ```
    pub fn render(&self, source: &str) -> String {
        let start = floor_char_boundary(source, self.span.start);
        let line_start = source.get(..start).and_then(|before| before.rfind('\n')).map_or(0, |newline| newline + 1);
        let line_end =
            source.get(start..).and_then(|after| after.find('\n')).map_or(source.len(), |newline| start + newline);
        let line_text = source.get(line_start..line_end).unwrap_or("").trim_end_matches('\r');
        let column_index = source.get(line_start..start).unwrap_or("").chars().count();
        let end = floor_char_boundary(source, self.span.end.max(start)).min(line_end);
        let underline_width = source.get(start..end).unwrap_or("").chars().count().max(1);

        let line_chars: Vec<char> = line_text.chars().collect();
        // Very long lines (minified code, a pasted 1 MB document) are cut to a window around the error.
        const WINDOW: usize = 60;
        let window_start = column_index.saturating_sub(WINDOW);
        let window_end = (column_index + WINDOW).min(line_chars.len());
        let shown: String = line_chars.get(window_start..window_end.max(window_start)).unwrap_or(&[]).iter().collect();
        let prefix = if window_start > 0 { "…" } else { "" };
        let suffix = if window_end < line_chars.len() { "…" } else { "" };
        // Keep tabs in the padding so the caret lines up under tab-indented code.
        let padding: String = prefix
            .chars()
            .map(|_| ' ')
            .chain(line_chars.get(window_start..column_index.min(line_chars.len())).unwrap_or(&[]).iter().map(|&c| {
                if c == '\t' {
                    '\t'
                } else {
                    ' '
                }
            }))
            .collect();
        let carets = "^".repeat(underline_width.min(WINDOW));

        let mut out = format!(
            "line {}, column {}: {}\n  {prefix}{shown}{suffix}\n  {padding}{carets}",
            self.span.line, self.span.column, self.message
        );
        if let Some(hint) = &self.hint {
            out.push_str("\nhint: ");
            out.push_str(hint);
        }
        out
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.span.line, self.span.column, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn render_underlines_the_span_on_its_line() {
        let source = "let a = 1;\n\tfoo(@bar)\n";
        let at = source.find('@').unwrap();
        let error =
            ParseError::new(ErrorKind::UnexpectedCharacter, source, Span::new(at, at + 1), "`@` has no meaning here")
                .with_hint("remove it");
        expect![[r#"
            line 2, column 6: `@` has no meaning here
              	foo(@bar)
              	    ^
            hint: remove it"#]]
        .assert_eq(&error.render(source));
    }

    #[test]
    fn render_survives_out_of_range_spans_and_long_lines() {
        let error = ParseError::new(ErrorKind::UnexpectedEnd, "abc", Span::new(50, 60), "end");
        expect![[r#"
            line 1, column 4: end
              abc
                 ^"#]]
        .assert_eq(&error.render("abc"));
        let long = format!("{}X{}", "a".repeat(100), "b".repeat(100));
        let error = ParseError::new(ErrorKind::UnexpectedToken, &long, Span::new(100, 101), "X");
        let rendered = error.render(&long);
        assert!(rendered.contains("…aaaa"), "{rendered}");
        assert!(rendered.contains("bbbb…"), "{rendered}");
    }
}
