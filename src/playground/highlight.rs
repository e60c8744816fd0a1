//! Syntax highlighting for the editor: the command language's own lexer splits the text into classed pieces
//! (keywords, names, strings, numbers, operators, comments), so what is coloured is exactly what the parser sees.

use crate::shell::lexer::{tokenize_partial, TokenKind};

/// What a piece of text is, as a CSS class suffix (`tok-string`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenClass {
    Keyword,
    /// `$gt`, `$set`: MongoDB operators.
    Operator,
    Name,
    String,
    Number,
    Regex,
    Punctuation,
    /// Comments and whitespace: whatever lies between tokens.
    Plain,
}

impl TokenClass {
    pub fn css(self) -> &'static str {
        match self {
            TokenClass::Keyword => "tok-keyword",
            TokenClass::Operator => "tok-operator",
            TokenClass::Name => "tok-name",
            TokenClass::String => "tok-string",
            TokenClass::Number => "tok-number",
            TokenClass::Regex => "tok-regex",
            TokenClass::Punctuation => "tok-punct",
            TokenClass::Plain => "tok-plain",
        }
    }
}

const KEYWORDS: [&str; 20] = [
    "const", "let", "var", "await", "async", "new", "function", "return", "if", "else", "try", "catch", "finally",
    "throw", "import", "from", "export", "default", "true", "false",
];

/// The whole text cut into consecutive classed pieces (their concatenation is the text).
pub fn highlight(source: &str) -> Vec<(TokenClass, String)> {
    let (tokens, _error) = tokenize_partial(source);
    let mut pieces = Vec::new();
    let mut at = 0;
    for token in tokens {
        if token.kind == TokenKind::Eof {
            break;
        }
        let (start, end) = (token.span.start.min(source.len()), token.span.end.min(source.len()));
        if start < at || !source.is_char_boundary(start) || !source.is_char_boundary(end) {
            continue;
        }
        if start > at {
            pieces.push((TokenClass::Plain, source[at..start].to_string()));
        }
        let class = match &token.kind {
            TokenKind::Ident(name) if KEYWORDS.contains(&name.as_str()) || name == "null" || name == "undefined" => {
                TokenClass::Keyword
            }
            TokenKind::Ident(name) if name.starts_with('$') => TokenClass::Operator,
            TokenKind::Ident(_) => TokenClass::Name,
            TokenKind::Str { .. }
            | TokenKind::Template(_)
            | TokenKind::TemplateHead(_)
            | TokenKind::TemplateMiddle(_)
            | TokenKind::TemplateTail(_) => TokenClass::String,
            TokenKind::Number(_) => TokenClass::Number,
            TokenKind::Regex { .. } => TokenClass::Regex,
            TokenKind::Punct(_) => TokenClass::Punctuation,
            TokenKind::Eof => TokenClass::Plain,
        };
        pieces.push((class, source[start..end].to_string()));
        at = end;
    }
    if at < source.len() {
        pieces.push((TokenClass::Plain, source[at..].to_string()));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_text_and_class_tokens() {
        let source = "const u = await User.find({ age: { $gt: 18 }, name: /^a/i }) // who\n'x";
        let pieces = highlight(source);
        assert_eq!(pieces.iter().map(|(_, text)| text.as_str()).collect::<String>(), source);
        let class_of = |text: &str| pieces.iter().find(|(_, t)| t == text).map(|(c, _)| *c);
        assert_eq!(class_of("const"), Some(TokenClass::Keyword));
        assert_eq!(class_of("$gt"), Some(TokenClass::Operator));
        assert_eq!(class_of("18"), Some(TokenClass::Number));
        assert_eq!(class_of("/^a/i"), Some(TokenClass::Regex));
        assert_eq!(class_of("User"), Some(TokenClass::Name));
    }

    #[test]
    fn any_text_is_covered_exactly() {
        for source in ["", "é\"unterminated", "`a", "{{{", "a @ b", "/* open"] {
            let joined: String = highlight(source).into_iter().map(|(_, text)| text).collect();
            assert_eq!(joined, source);
        }
    }
}
