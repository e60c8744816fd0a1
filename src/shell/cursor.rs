//! What the student is typing at the cursor, for completion: inside which call (receiver chain, method,
//! argument index), at which object key path, at a key or a value, and the partial word. Works on
//! incomplete text by reading the tokens before the cursor instead of the parsed tree.

use super::lexer::{tokenize_partial, Punct, Token, TokenKind};
use super::span::{floor_char_boundary, Span};

/// One link of a receiver chain: `db`, `users`, `find()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    pub name: String,
    /// The link was called: `find` in `db.users.find({}).sort(…)`.
    pub called: bool,
}

impl ChainLink {
    fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), called: false }
    }
}

/// Renders a chain as `db.users.find()`.
pub fn chain_to_string(chain: &[ChainLink]) -> String {
    chain
        .iter()
        .map(|link| if link.called { format!("{}()", link.name) } else { link.name.clone() })
        .collect::<Vec<_>>()
        .join(".")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorPosition {
    /// Where a name starts a statement or an expression outside any call (`Us|` → `User`).
    Name,
    /// Right after `receiver.` (`User.fi|` → `findById`).
    Member,
    /// Where an object key goes (`find({ na|`).
    Key,
    /// Where a value goes: an argument, an array element, or after `key:`.
    Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorContext {
    pub position: CursorPosition,
    /// For [`CursorPosition::Member`]: the chain before the `.`. Otherwise: the receiver of the innermost
    /// enclosing call (`[User]` in `User.find({ |`), empty when there is no call or no receiver.
    pub receiver: Vec<ChainLink>,
    /// The innermost enclosing call's name (`find`), if the cursor is inside a call's parentheses.
    pub method: Option<String>,
    /// The innermost call was written with `new` (`new mongoose.Schema({ |`).
    pub is_constructor: bool,
    /// Which argument of that call holds the cursor (0-based).
    pub argument_index: Option<usize>,
    /// Keys (and array indexes, as decimal strings) from the argument down to the cursor. At a
    /// [`CursorPosition::Value`] after `key:` the path ends with that key; at a [`CursorPosition::Key`]
    /// it is the path of the object whose key is being typed.
    pub key_path: Vec<String>,
    /// The word (or unfinished string content) immediately before the cursor.
    pub partial: String,
    /// Where `partial` is in the source, so a completion can replace it (for a string: its raw text after
    /// the opening quote, which differs from `partial` only when the string contains escapes).
    pub partial_span: Span,
    /// The cursor is inside an unfinished string literal.
    pub in_string: bool,
    /// The cursor is inside a `//` or `/* */` comment: nothing should be completed there.
    pub in_comment: bool,
    /// Keys already written in the object around the cursor (so completion can leave them out).
    pub sibling_keys: Vec<String>,
}

#[derive(Debug, Clone)]
enum FrameKind {
    /// `(` of a call: callee chain (method last).
    Call {
        chain: Vec<ChainLink>,
        is_constructor: bool,
    },
    /// `(` of grouping or parameters.
    Group,
    Array,
    Object {
        /// After `key:`, the key; `None` while a key is expected.
        value_of: Option<String>,
        /// The last key-like token seen in key position (for `key:`).
        pending_key: Option<String>,
        /// Keys already written in this object.
        keys: Vec<String>,
    },
    Block,
}

#[derive(Debug, Clone)]
struct Frame {
    kind: FrameKind,
    commas: usize,
}

/// Analyses `source` as if the text ended at byte `offset` (clamped to a character boundary).
pub fn cursor_context(source: &str, offset: usize) -> CursorContext {
    let offset = floor_char_boundary(source, offset);
    let prefix = source.get(..offset).unwrap_or("");
    let (mut tokens, _error) = tokenize_partial(prefix);
    tokens.retain(|token| token.kind != TokenKind::Eof);

    let mut partial = String::new();
    let mut partial_span = Span::point(offset);
    let mut in_string = false;
    if let Some(last) = tokens.last() {
        match &last.kind {
            TokenKind::Ident(name) if last.span.end == offset => {
                partial = name.clone();
                partial_span = last.span;
                tokens.pop();
            }
            TokenKind::Str { value, terminated: false } => {
                partial = value.clone();
                partial_span = Span::new(last.span.start + 1, offset);
                in_string = true;
                tokens.pop();
            }
            _ => {}
        }
    }

    // Between the last token and the cursor there is only whitespace and comments; an open comment there
    // holds the cursor.
    let gap_start = tokens.last().map_or(0, |token| token.span.end);
    let in_comment = !in_string && partial.is_empty() && ends_inside_comment(prefix.get(gap_start..).unwrap_or(""));

    let closers = match_closers(&tokens);
    let mut frames: Vec<Frame> = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        match &token.kind {
            TokenKind::Punct(Punct::LParen) => {
                let kind = match call_chain(&tokens, &closers, index) {
                    Some((chain, is_constructor)) => FrameKind::Call { chain, is_constructor },
                    None => FrameKind::Group,
                };
                frames.push(Frame { kind, commas: 0 });
            }
            TokenKind::Punct(Punct::LBracket) => frames.push(Frame { kind: FrameKind::Array, commas: 0 }),
            TokenKind::Punct(Punct::LBrace) => {
                let previous = index.checked_sub(1).and_then(|i| tokens.get(i));
                let kind = if brace_opens_object(previous) {
                    FrameKind::Object { value_of: None, pending_key: None, keys: Vec::new() }
                } else {
                    FrameKind::Block
                };
                frames.push(Frame { kind, commas: 0 });
            }
            TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace) => {
                frames.pop();
            }
            TokenKind::Punct(Punct::Comma) => {
                if let Some(frame) = frames.last_mut() {
                    frame.commas += 1;
                    if let FrameKind::Object { value_of, pending_key, keys } = &mut frame.kind {
                        finish_property(value_of, pending_key, keys);
                    }
                }
            }
            TokenKind::Punct(Punct::Colon) => {
                if let Some(Frame { kind: FrameKind::Object { value_of, pending_key, keys }, .. }) = frames.last_mut() {
                    if value_of.is_none() {
                        let key = pending_key.take().unwrap_or_default();
                        keys.push(key.clone());
                        *value_of = Some(key);
                    }
                }
            }
            TokenKind::Punct(Punct::Semicolon) => {
                // Inside `{ }` of an object a `;` is a typo for `,`; treat it the same way.
                if let Some(Frame { kind: FrameKind::Object { value_of, pending_key, keys }, .. }) = frames.last_mut() {
                    finish_property(value_of, pending_key, keys);
                }
            }
            TokenKind::Ident(name) | TokenKind::Str { value: name, .. } => {
                if let Some(Frame { kind: FrameKind::Object { value_of: None, pending_key, .. }, .. }) =
                    frames.last_mut()
                {
                    *pending_key = Some(name.clone());
                }
            }
            TokenKind::Number(value) => {
                if let Some(Frame { kind: FrameKind::Object { value_of: None, pending_key, .. }, .. }) =
                    frames.last_mut()
                {
                    *pending_key = Some(crate::js::inspect::js_number(*value));
                }
            }
            _ => {}
        }
    }

    // The innermost call and the key path below it.
    // A block (`=> { … }`, `if (…) { … }`) starts a new scope: calls around it do not describe the cursor.
    let scope_start =
        frames.iter().rposition(|frame| matches!(frame.kind, FrameKind::Block)).map_or(0, |block| block + 1);
    let call_index = frames
        .iter()
        .rposition(|frame| matches!(frame.kind, FrameKind::Call { .. }))
        .filter(|&call| call >= scope_start);
    let mut receiver = Vec::new();
    let mut method = None;
    let mut is_constructor = false;
    let mut argument_index = None;
    let mut key_path = Vec::new();
    if let Some(call_index) = call_index {
        if let Some(Frame { kind: FrameKind::Call { chain, is_constructor: constructor }, commas }) =
            frames.get(call_index)
        {
            let mut chain = chain.clone();
            method = chain.pop().map(|link| link.name);
            receiver = chain;
            is_constructor = *constructor;
            argument_index = Some(*commas);
        }
        for frame in frames.iter().skip(call_index + 1) {
            match &frame.kind {
                FrameKind::Object { value_of: Some(key), .. } => key_path.push(key.clone()),
                FrameKind::Array => key_path.push(frame.commas.to_string()),
                _ => {}
            }
        }
    }

    let sibling_keys = match frames.last().map(|frame| &frame.kind) {
        Some(FrameKind::Object { keys, .. }) => keys.clone(),
        _ => Vec::new(),
    };

    let last = tokens.last();
    let after_dot = last.is_some_and(|t| t.is_punct(Punct::Dot) || t.is_punct(Punct::QuestionDot));
    let position = if after_dot && !in_string {
        let dot_index = tokens.len().saturating_sub(1);
        receiver = dot_index.checked_sub(1).map(|end| chain_ending_at(&tokens, &closers, end).0).unwrap_or_default();
        CursorPosition::Member
    } else {
        match frames.last().map(|frame| &frame.kind) {
            Some(FrameKind::Object { value_of: None, .. }) => CursorPosition::Key,
            Some(FrameKind::Object { .. } | FrameKind::Array | FrameKind::Call { .. }) => CursorPosition::Value,
            Some(FrameKind::Group | FrameKind::Block) | None => {
                if in_string {
                    CursorPosition::Value
                } else {
                    CursorPosition::Name
                }
            }
        }
    };

    CursorContext {
        position,
        receiver,
        method,
        is_constructor,
        argument_index,
        key_path,
        partial,
        partial_span,
        in_string,
        in_comment,
        sibling_keys,
    }
}

/// At `,` (or a mistyped `;`) in an object: a key without `:` was a shorthand property.
fn finish_property(value_of: &mut Option<String>, pending_key: &mut Option<String>, keys: &mut Vec<String>) {
    if value_of.is_none() {
        if let Some(shorthand) = pending_key.take() {
            keys.push(shorthand);
        }
    }
    *value_of = None;
    *pending_key = None;
}

/// Whether text made only of whitespace and comments ends inside a comment.
fn ends_inside_comment(gap: &str) -> bool {
    let mut rest = gap;
    loop {
        let line = rest.find("//");
        let block = rest.find("/*");
        match (line, block) {
            (Some(l), b) if b.is_none_or(|b| l < b) => {
                let after = rest.get(l..).unwrap_or("");
                match after.find(['\n', '\r', '\u{2028}', '\u{2029}']) {
                    Some(end) => rest = after.get(end..).unwrap_or(""),
                    None => return true,
                }
            }
            (_, Some(b)) => {
                let after = rest.get(b + 2..).unwrap_or("");
                match after.find("*/") {
                    Some(end) => rest = after.get(end + 2..).unwrap_or(""),
                    None => return true,
                }
            }
            _ => return false,
        }
    }
}

/// Whether a `{` after `previous` starts an object literal (rather than a block).
fn brace_opens_object(previous: Option<&Token>) -> bool {
    let Some(previous) = previous else {
        return false;
    };
    match &previous.kind {
        TokenKind::Punct(p) => !matches!(
            p,
            Punct::RParen | Punct::RBrace | Punct::RBracket | Punct::Arrow | Punct::Semicolon | Punct::LBrace
        ),
        TokenKind::Ident(word) => matches!(word.as_str(), "return" | "await" | "typeof" | "export" | "default"),
        _ => false,
    }
}

/// For each closing bracket index, the index of its opening bracket.
fn match_closers(tokens: &[Token]) -> Vec<Option<usize>> {
    let mut openers = vec![None; tokens.len()];
    let mut stack = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        match token.kind {
            TokenKind::Punct(Punct::LParen | Punct::LBracket | Punct::LBrace) => stack.push(index),
            TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace) => {
                if let (Some(open), Some(slot)) = (stack.pop(), openers.get_mut(index)) {
                    *slot = Some(open);
                }
            }
            _ => {}
        }
    }
    openers
}

/// The callee chain of the call whose `(` is at `open`, or `None` for a grouping parenthesis.
fn call_chain(tokens: &[Token], closers: &[Option<usize>], open: usize) -> Option<(Vec<ChainLink>, bool)> {
    let end = open.checked_sub(1)?;
    let before = tokens.get(end)?;
    let callable = match &before.kind {
        TokenKind::Ident(word) => !matches!(
            word.as_str(),
            "if" | "while" | "for" | "switch" | "catch" | "return" | "typeof" | "await" | "function" | "async"
        ),
        TokenKind::Punct(Punct::RParen | Punct::RBracket) => true,
        _ => false,
    };
    if !callable {
        return None;
    }
    let (chain, start) = chain_ending_at(tokens, closers, end);
    if chain.is_empty() {
        return None;
    }
    let is_constructor = start.checked_sub(1).and_then(|i| tokens.get(i)).is_some_and(|t| t.is_ident("new"));
    Some((chain, is_constructor))
}

/// How many links of a receiver chain the cursor analysis keeps (`db.users.find().sort()` has four).
const MAX_CHAIN_LINKS: usize = 32;

/// Reads a chain like `db.users.find({}).sort` backwards from token `end`; returns it and its first index.
fn chain_ending_at(tokens: &[Token], closers: &[Option<usize>], end: usize) -> (Vec<ChainLink>, usize) {
    let mut links = Vec::new();
    let mut index = end;
    let mut next_is_called = false;
    // Each step moves left by at least one token, so this ends. Only the links nearest the cursor matter
    // for completion; the cap keeps text like `a().a().a()…` linear instead of quadratic.
    while let Some(token) = tokens.get(index) {
        if links.len() >= MAX_CHAIN_LINKS {
            break;
        }
        match &token.kind {
            TokenKind::Ident(name) => {
                let mut link = ChainLink::new(name.clone());
                link.called = next_is_called;
                next_is_called = false;
                links.push(link);
                let dotted = index
                    .checked_sub(1)
                    .and_then(|i| tokens.get(i))
                    .is_some_and(|t| t.is_punct(Punct::Dot) || t.is_punct(Punct::QuestionDot));
                if dotted && index >= 2 {
                    index -= 2;
                    continue;
                }
                break;
            }
            TokenKind::Punct(Punct::RParen) => {
                let Some(open) = closers.get(index).copied().flatten() else {
                    break;
                };
                let Some(before) = open.checked_sub(1) else {
                    break;
                };
                next_is_called = true;
                index = before;
            }
            TokenKind::Punct(Punct::RBracket) => {
                let Some(open) = closers.get(index).copied().flatten() else {
                    break;
                };
                // `db["users"]` reads as the link `users`.
                if open + 2 == index {
                    if let Some(TokenKind::Str { value, .. }) = tokens.get(open + 1).map(|t| &t.kind) {
                        links.push(ChainLink::new(value.clone()));
                    }
                }
                let Some(before) = open.checked_sub(1) else {
                    break;
                };
                index = before;
            }
            _ => break,
        }
    }
    links.reverse();
    (links, index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    /// `|` in the text marks the cursor.
    fn show(text_with_cursor: &str) -> String {
        let offset = text_with_cursor.find('|').unwrap();
        let source = text_with_cursor.replacen('|', "", 1);
        let context = cursor_context(&source, offset);
        let mut out = format!("{:?}", context.position);
        if !context.receiver.is_empty() {
            out.push_str(&format!(" receiver={}", chain_to_string(&context.receiver)));
        }
        if let Some(method) = &context.method {
            let new = if context.is_constructor { "new " } else { "" };
            out.push_str(&format!(" method={new}{method}"));
        }
        if let Some(index) = context.argument_index {
            out.push_str(&format!(" arg={index}"));
        }
        if !context.key_path.is_empty() {
            out.push_str(&format!(" path={}", context.key_path.join(".")));
        }
        out.push_str(&format!(" partial={:?}", context.partial));
        if context.in_string {
            out.push_str(" in_string");
        }
        if context.in_comment {
            out.push_str(" in_comment");
        }
        if !context.sibling_keys.is_empty() {
            out.push_str(&format!(" siblings={}", context.sibling_keys.join(",")));
        }
        assert_eq!(context.partial_span.text(&source), context.partial.as_str(), "partial span");
        out
    }

    #[test]
    fn contexts_on_incomplete_text() {
        let table: &[(&str, Expect)] = &[
            ("|", expect![[r#"Name partial="""#]]),
            ("Us|", expect![[r#"Name partial="Us""#]]),
            ("User.|", expect![[r#"Member receiver=User partial="""#]]),
            ("User.fi|", expect![[r#"Member receiver=User partial="fi""#]]),
            ("User.find(|", expect![[r#"Value receiver=User method=find arg=0 partial="""#]]),
            ("User.find({ |", expect![[r#"Key receiver=User method=find arg=0 partial="""#]]),
            ("User.find({ na|", expect![[r#"Key receiver=User method=find arg=0 partial="na""#]]),
            (
                "User.find({ name: |",
                expect![[r#"Value receiver=User method=find arg=0 path=name partial="" siblings=name"#]],
            ),
            (
                "User.find({ name: \"ad|",
                expect![[r#"Value receiver=User method=find arg=0 path=name partial="ad" in_string siblings=name"#]],
            ),
            (
                "User.find({ \"first na|",
                expect![[r#"Key receiver=User method=find arg=0 partial="first na" in_string"#]],
            ),
            ("User.find({ age: { $g|", expect![[r#"Key receiver=User method=find arg=0 path=age partial="$g""#]]),
            (
                "User.find({ age: { $gt: 1 }, |",
                expect![[r#"Key receiver=User method=find arg=0 partial="" siblings=age"#]],
            ),
            (
                "User.updateOne({ _id: id }, { $set: { |",
                expect![[r#"Key receiver=User method=updateOne arg=1 path=$set partial="""#]],
            ),
            (
                "User.find({ $or: [{ a: 1 }, { b|",
                expect![[r#"Key receiver=User method=find arg=0 path=$or.1 partial="b""#]],
            ),
            (
                "User.find({ tags: [\"a\", |",
                expect![[r#"Value receiver=User method=find arg=0 path=tags.1 partial="""#]],
            ),
            (
                "db.users.find({}).sort({ age: -1 }).limit(|",
                expect![[r#"Value receiver=db.users.find().sort() method=limit arg=0 partial="""#]],
            ),
            ("db.users.find({}).so|", expect![[r#"Member receiver=db.users.find() partial="so""#]]),
            ("db.us|", expect![[r#"Member receiver=db partial="us""#]]),
            ("db[\"users\"].find({ |", expect![[r#"Key receiver=db.users method=find arg=0 partial="""#]]),
            ("mongoose.Schema.Types.|", expect![[r#"Member receiver=mongoose.Schema.Types partial="""#]]),
            (
                "const userSchema = new mongoose.Schema({\n  username: { type: Str|",
                expect![[
                    r#"Value receiver=mongoose method=new Schema arg=0 path=username.type partial="Str" siblings=type"#
                ]],
            ),
            (
                "const userSchema = new mongoose.Schema({\n  username: { ty|",
                expect![[r#"Key receiver=mongoose method=new Schema arg=0 path=username partial="ty""#]],
            ),
            (
                "app.post(\"/signup\", async (req, res) => {\n  await User.cr|",
                expect![[r#"Member receiver=User partial="cr""#]],
            ),
            (
                "app.post(\"/signup\", async (req, res) => {\n  await User.create({ username: req.body.|",
                expect![[r#"Member receiver=req.body method=create arg=0 path=username partial="" siblings=username"#]],
            ),
            ("User.find({ _id: ObjectId(|", expect![[r#"Value method=ObjectId arg=0 partial="""#]]),
            (
                "User.create({ username : req.body.username ; pass|",
                expect![[r#"Key receiver=User method=create arg=0 partial="pass" siblings=username"#]],
            ),
            ("User.find({ a: 1 }).limit(5)\nUser.|", expect![[r#"Member receiver=User partial="""#]]),
            ("User.find({ a: 1 })|", expect![[r#"Name partial="""#]]),
            ("if (user) { Us|", expect![[r#"Name partial="Us""#]]),
            ("x = a?.b?.|", expect![[r#"Member receiver=a.b partial="""#]]),
            ("User.find({ 1: |", expect![[r#"Value receiver=User method=find arg=0 path=1 partial="" siblings=1"#]]),
            (
                "User.create({ username, password: \"x\", |",
                expect![[r#"Key receiver=User method=create arg=0 partial="" siblings=username,password"#]],
            ),
            ("User.find() // all Us|", expect![[r#"Name partial="" in_comment"#]]),
            ("User.find() // all\nUs|", expect![[r#"Name partial="Us""#]]),
            ("/* a */ User.fi|", expect![[r#"Member receiver=User partial="fi""#]]),
            ("User.find({ /* |", expect![[r#"Key receiver=User method=find arg=0 partial="" in_comment"#]]),
            ("User.find({ /* x */ |", expect![[r#"Key receiver=User method=find arg=0 partial="""#]]),
            (
                "mongoose.connect(\"mongodb://localhost:27017/shop\", { |",
                expect![[r#"Key receiver=mongoose method=connect arg=1 partial="""#]],
            ),
        ];
        for (text, expected) in table {
            expected.assert_eq(&show(text));
        }
    }

    #[test]
    fn offsets_out_of_range_or_inside_characters_are_clamped() {
        let source = "é.find({ a: ";
        for offset in 0..source.len() + 5 {
            let _ = cursor_context(source, offset);
        }
        assert_eq!(cursor_context(source, 1).partial, "");
        assert_eq!(cursor_context(source, 2).partial, "é");
    }
}
