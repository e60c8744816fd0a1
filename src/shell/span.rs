//! Byte ranges in the student's source text, and their translation to 1-based line and column numbers.

use std::fmt;

/// A half-open byte range `start..end` into the source text a node or token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// An empty span at `offset`, used for "something is missing here" errors.
    pub fn point(offset: usize) -> Self {
        Self { start: offset, end: offset }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// Whether `offset` lies inside the span; the end counts as inside so a cursor right after a node finds it.
    pub fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The text this span covers, or `""` when the span does not fit `source` (never panics).
    pub fn text(self, source: &str) -> &str {
        source.get(self.start..self.end).unwrap_or("")
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A 1-based line and column. Columns count Unicode characters (not bytes), as an editor shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineColumn {
    pub line: usize,
    pub column: usize,
}

impl LineColumn {
    /// The line and column of byte `offset` in `source`. Offsets past the end or inside a multi-byte
    /// character are clamped to the nearest earlier character boundary.
    pub fn of(source: &str, offset: usize) -> Self {
        let offset = floor_char_boundary(source, offset);
        let before = source.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before.get(line_start..).unwrap_or("").chars().count() + 1;
        Self { line, column }
    }
}

impl fmt::Display for LineColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A span together with the line and column of its start: what an error needs to be shown to a student.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    pub start: usize,
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column of `start`, counted in characters.
    pub column: usize,
}

impl Location {
    pub fn new(source: &str, span: Span) -> Self {
        let LineColumn { line, column } = LineColumn::of(source, span.start);
        Self { start: span.start, end: span.end, line, column }
    }

    pub fn span(&self) -> Span {
        Span::new(self.start, self.end)
    }
}

/// The largest character boundary of `source` that is `<= offset`.
pub fn floor_char_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while offset > 0 && !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // unwrap is allowed in tests (house rules)
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters_from_one() {
        let source = "ab\ncdé\nf";
        let table =
            [(0, (1, 1)), (2, (1, 3)), (3, (2, 1)), (5, (2, 3)), (7, (2, 4)), (8, (3, 1)), (9, (3, 2)), (100, (3, 2))];
        for (offset, (line, column)) in table {
            assert_eq!(LineColumn::of(source, offset), LineColumn { line, column }, "offset {offset}");
        }
        // Offset 6 is inside `é`: clamped to its start.
        assert_eq!(LineColumn::of(source, 6), LineColumn { line: 2, column: 3 });
    }

    #[test]
    fn span_text_never_panics() {
        // Bytes 0..2 end inside `é`: not a character boundary, so no text rather than a panic.
        assert_eq!(Span::new(0, 2).text("héllo"), "");
        assert_eq!(Span::new(10, 20).text("abc"), "");
        assert_eq!(Span::new(1, 3).text("abc"), "bc");
        assert!(Span::new(1, 3).contains(3));
        assert!(!Span::new(1, 3).contains(4));
    }
}
