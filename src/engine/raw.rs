//! Stored documents as BSON bytes, read in place: the element walker that collection scans match filters with.
//!
//! Each record keeps its document's BSON encoding beside the document tree (see `Collection`). A scan reads the
//! few fields a filter names by walking the element list of one contiguous buffer — a document tree spreads the
//! same fields over dozens of heap blocks, and at 100k documents a scan is bound by those cache misses. Only the
//! values a predicate compares are looked at, and numbers, booleans, ids and dates are read without decoding.
//! Every read is bounds-checked: bytes that do not parse are reported as [`Malformed`], and the caller then
//! decides with the document tree instead, so a damaged buffer can never change an answer.

use bson::oid::ObjectId;
use bson::{Bson, DateTime, Document};

/// The bytes did not parse as BSON where they were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// A BSON document (or array: the same layout, with keys "0", "1", …) as bytes.
#[derive(Debug, Clone, Copy)]
pub struct RawDoc<'a> {
    bytes: &'a [u8],
}

/// One element's value: its BSON type byte and the bytes of the value.
#[derive(Debug, Clone, Copy)]
pub struct RawValue<'a> {
    kind: u8,
    bytes: &'a [u8],
}

/// BSON type bytes the walker distinguishes.
pub mod kind {
    pub const DOUBLE: u8 = 0x01;
    pub const STRING: u8 = 0x02;
    pub const DOCUMENT: u8 = 0x03;
    pub const ARRAY: u8 = 0x04;
    pub const OBJECT_ID: u8 = 0x07;
    pub const BOOLEAN: u8 = 0x08;
    pub const DATE_TIME: u8 = 0x09;
    pub const NULL: u8 = 0x0A;
    pub const INT32: u8 = 0x10;
    pub const INT64: u8 = 0x12;
}

fn read_u32(bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    let word: [u8; 4] = bytes.get(at..at + 4).and_then(|b| b.try_into().ok()).ok_or(Malformed)?;
    usize::try_from(u32::from_le_bytes(word)).map_err(|_| Malformed)
}

/// How many bytes the value of an element of type `kind` starting at `at` takes.
fn value_length(kind: u8, bytes: &[u8], at: usize) -> Result<usize, Malformed> {
    Ok(match kind {
        0x01 | 0x09 | 0x11 | 0x12 => 8,
        0x10 => 4,
        0x08 => 1,
        0x06 | 0x0A | 0x7F | 0xFF => 0,
        0x07 => 12,
        0x13 => 16,
        // string, JavaScript code, symbol: length (counting the trailing NUL) then the text.
        0x02 | 0x0D | 0x0E => read_u32(bytes, at)?.checked_add(4).ok_or(Malformed)?,
        // document, array, code with scope: the length counts itself.
        0x03 | 0x04 | 0x0F => read_u32(bytes, at)?,
        // binary: length, subtype, bytes.
        0x05 => read_u32(bytes, at)?.checked_add(5).ok_or(Malformed)?,
        // regular expression: two C strings.
        0x0B => {
            let first = bytes.get(at..).and_then(|b| b.iter().position(|&c| c == 0)).ok_or(Malformed)?;
            let second = bytes.get(at + first + 1..).and_then(|b| b.iter().position(|&c| c == 0)).ok_or(Malformed)?;
            first + second + 2
        }
        // DBPointer: string then a 12-byte id.
        0x0C => read_u32(bytes, at)?.checked_add(16).ok_or(Malformed)?,
        _ => return Err(Malformed),
    })
}

impl<'a> RawDoc<'a> {
    /// A document's bytes, as `bson` writes them (length, elements, NUL).
    pub fn new(bytes: &'a [u8]) -> Result<RawDoc<'a>, Malformed> {
        // The final NUL is checked when a walk reaches it (see `Elements`): a lookup that stops at an early field
        // never touches the document's last cache line.
        let length = read_u32(bytes, 0)?;
        if length < 5 || length != bytes.len() {
            return Err(Malformed);
        }
        Ok(RawDoc { bytes })
    }

    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The elements in order, as `(name, value)`; stops with `Err` at the first element that does not parse.
    pub fn elements(&self) -> Elements<'a> {
        Elements { bytes: self.bytes, at: 4, failed: false }
    }

    /// The first field named `name` (documents hold each name once), or `None`.
    pub fn field(&self, name: &str) -> Result<Option<RawValue<'a>>, Malformed> {
        for element in self.elements() {
            let (key, value) = element?;
            if key == name.as_bytes() {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// How many elements there are (an array's length).
    pub fn len(&self) -> Result<usize, Malformed> {
        let mut count = 0;
        for element in self.elements() {
            element?;
            count += 1;
        }
        Ok(count)
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.len() <= 5
    }

    /// The document as a tree, built by walking the bytes once (several times faster than `bson`'s reader, which
    /// copies the bytes and goes through its generic raw values: what loading 100k stored documents spends most
    /// on), noting whether some document in it repeats a name. Bytes this walker does not read — a value of a
    /// rarer type that does not parse, nesting deeper than documents may — go to `bson`'s reader, so the tree is
    /// always the one `Document::from_reader` gives.
    /// Reads every byte [`RawDoc::decode`] would without building anything: `Ok` means the bytes decode (to the
    /// tree `bson`'s reader gives), with whether a name repeats or the nesting passes MongoDB's limit. `Err` means
    /// the walker cannot vouch for them, and only decoding them says what they hold.
    pub fn check_stored(&self) -> Result<StoredCheck, Malformed> {
        let mut check = StoredCheck { repeats_a_name: false, too_deep: false };
        let mut names = Vec::new();
        check_document(*self, 1, &mut names, &mut check)?;
        Ok(check)
    }

    /// The top-level fields named in `names`, decoded (what an index reads of a document).
    pub fn decode_fields(&self, names: &[&str]) -> Result<Document, Malformed> {
        let mut fields = Document::new();
        let mut repeats = false;
        for element in self.elements() {
            let (name, value) = element?;
            let name = std::str::from_utf8(name).map_err(|_| Malformed)?;
            if names.contains(&name) {
                fields.insert(name, decode_value(value, 1, &mut repeats)?);
            }
        }
        Ok(fields)
    }

    pub fn decode(&self) -> Result<Decoded, Malformed> {
        let mut repeats = false;
        match decode_document(*self, 0, &mut repeats) {
            Ok(document) => Ok(Decoded { document, repeats_a_name: repeats }),
            Err(Malformed) => {
                let document = Document::from_reader(self.bytes).map_err(|_| Malformed)?;
                Ok(Decoded { document, repeats_a_name: has_repeated_names(*self).unwrap_or(true) })
            }
        }
    }
}

/// A stored document as reads see it: its BSON bytes when it has them, and its tree, which a record loaded from
/// storage decodes only when something asks for it (scans, counts, sorts and a leading `$group` read the bytes).
pub trait Record<'a> {
    fn bytes(&self) -> Option<&'a [u8]>;
    fn document(&self) -> &'a Document;
}

impl<'a> Record<'a> for (&'a Document, Option<&'a [u8]>) {
    fn bytes(&self) -> Option<&'a [u8]> {
        self.1
    }

    fn document(&self) -> &'a Document {
        self.0
    }
}

/// What [`RawDoc::check_stored`] found in bytes read from storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredCheck {
    /// Some document in it holds a name twice (the tree keeps one of the values).
    pub repeats_a_name: bool,
    /// It nests documents and arrays deeper than MongoDB's 100 levels.
    pub too_deep: bool,
}

impl StoredCheck {
    /// The bytes are exactly what storing their tree would write, within MongoDB's limits: they can stand for
    /// the document until something needs its tree.
    pub fn exact(&self) -> bool {
        !self.repeats_a_name && !self.too_deep
    }
}

/// A document decoded from its bytes ([`RawDoc::decode`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub document: Document,
    /// Some document in it (itself or one nested in it) holds a name twice: the tree kept one of the values, so
    /// the bytes are not the tree's encoding.
    pub repeats_a_name: bool,
}

/// [`RawDoc::check_stored`] of a document at nesting `level` (the stored document is level 1); `names` holds the
/// names of the documents being walked, each document's after the ones around it.
fn check_document<'a>(
    raw: RawDoc<'a>,
    level: usize,
    names: &mut Vec<&'a [u8]>,
    check: &mut StoredCheck,
) -> Result<(), Malformed> {
    if level > crate::engine::limits::MAX_NESTING_DEPTH {
        check.too_deep = true;
        return Ok(());
    }
    let first = names.len();
    for element in raw.elements() {
        let (name, value) = element?;
        std::str::from_utf8(name).map_err(|_| Malformed)?;
        if names.get(first..).is_some_and(|seen| seen.contains(&name)) {
            check.repeats_a_name = true;
        }
        names.push(name);
        check_value(value, level, names, check)?;
    }
    names.truncate(first);
    Ok(())
}

fn check_value<'a>(
    value: RawValue<'a>,
    level: usize,
    names: &mut Vec<&'a [u8]>,
    check: &mut StoredCheck,
) -> Result<(), Malformed> {
    match value.kind {
        kind::DOCUMENT => check_document(RawDoc::new(value.bytes)?, level + 1, names, check),
        kind::ARRAY => {
            if level + 1 > crate::engine::limits::MAX_NESTING_DEPTH {
                check.too_deep = true;
                return Ok(());
            }
            for element in RawDoc::new(value.bytes)?.elements() {
                let (key, value) = element?;
                std::str::from_utf8(key).map_err(|_| Malformed)?;
                check_value(value, level + 1, names, check)?;
            }
            Ok(())
        }
        kind::STRING => value.as_str()?.map(|_| ()).ok_or(Malformed),
        // Numbers, booleans, null, ids and dates are read without allocating; rarer values are decoded.
        _ => value.to_bson().map(|_| ()),
    }
}

fn decode_document(raw: RawDoc<'_>, depth: usize, repeats: &mut bool) -> Result<Document, Malformed> {
    if depth > crate::engine::limits::MAX_NESTING_DEPTH + 1 {
        return Err(Malformed);
    }
    let mut document = Document::new();
    for element in raw.elements() {
        let (name, value) = element?;
        let name = std::str::from_utf8(name).map_err(|_| Malformed)?;
        let value = decode_value(value, depth, repeats)?;
        if document.insert(name, value).is_some() {
            *repeats = true;
        }
    }
    Ok(document)
}

fn decode_value(value: RawValue<'_>, depth: usize, repeats: &mut bool) -> Result<Bson, Malformed> {
    match value.kind {
        kind::DOCUMENT => Ok(Bson::Document(decode_document(RawDoc::new(value.bytes)?, depth + 1, repeats)?)),
        kind::ARRAY => {
            if depth > crate::engine::limits::MAX_NESTING_DEPTH {
                return Err(Malformed);
            }
            let items = RawDoc::new(value.bytes)?;
            let mut array = Vec::new();
            for element in items.elements() {
                // Array keys are positions, which a tree does not keep; `bson`'s reader still refuses one that is
                // not UTF-8, and so does this walker.
                let (key, value) = element?;
                std::str::from_utf8(key).map_err(|_| Malformed)?;
                array.push(decode_value(value, depth + 1, repeats)?);
            }
            Ok(Bson::Array(array))
        }
        _ => value.to_bson(),
    }
}

/// The elements of a [`RawDoc`].
pub struct Elements<'a> {
    bytes: &'a [u8],
    at: usize,
    failed: bool,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<(&'a [u8], RawValue<'a>), Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if self.at + 1 >= self.bytes.len() {
            // The walk reached the document's end: only its NUL may be left.
            if self.bytes.get(self.at..) == Some(&[0]) {
                return None;
            }
            self.failed = true;
            return Some(Err(Malformed));
        }
        let step = || -> Result<(&'a [u8], RawValue<'a>, usize), Malformed> {
            let bytes = self.bytes;
            let kind = *bytes.get(self.at).ok_or(Malformed)?;
            let key_start = self.at + 1;
            let key_length = bytes.get(key_start..).and_then(|b| b.iter().position(|&c| c == 0)).ok_or(Malformed)?;
            let key = bytes.get(key_start..key_start + key_length).ok_or(Malformed)?;
            let value_start = key_start + key_length + 1;
            let length = value_length(kind, bytes, value_start)?;
            let end = value_start.checked_add(length).ok_or(Malformed)?;
            // The document's final NUL stays after the last element.
            let value = bytes.get(value_start..end).filter(|_| end < bytes.len()).ok_or(Malformed)?;
            Ok((key, RawValue { kind, bytes: value }, end))
        };
        match step() {
            Ok((key, value, end)) => {
                self.at = end;
                Some(Ok((key, value)))
            }
            Err(malformed) => {
                self.failed = true;
                Some(Err(malformed))
            }
        }
    }
}

impl<'a> RawValue<'a> {
    pub fn kind(&self) -> u8 {
        self.kind
    }

    /// The embedded document, when the value is one.
    pub fn as_document(&self) -> Result<Option<RawDoc<'a>>, Malformed> {
        match self.kind {
            kind::DOCUMENT => RawDoc::new(self.bytes).map(Some),
            _ => Ok(None),
        }
    }

    /// The array (a document keyed "0", "1", …), when the value is one.
    pub fn as_array(&self) -> Result<Option<RawDoc<'a>>, Malformed> {
        match self.kind {
            kind::ARRAY => RawDoc::new(self.bytes).map(Some),
            _ => Ok(None),
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Result<Option<&'a str>, Malformed> {
        if self.kind != kind::STRING {
            return Ok(None);
        }
        let text = self.bytes.get(4..self.bytes.len().saturating_sub(1)).ok_or(Malformed)?;
        if self.bytes.last() != Some(&0) {
            return Err(Malformed);
        }
        std::str::from_utf8(text).map(Some).map_err(|_| Malformed)
    }

    fn fixed<const N: usize>(&self) -> Result<[u8; N], Malformed> {
        self.bytes.try_into().map_err(|_| Malformed)
    }

    /// The value as a tree. Numbers, booleans, null, ids and dates are built without allocating; anything else is
    /// decoded.
    pub fn to_bson(&self) -> Result<Bson, Malformed> {
        Ok(match self.kind {
            kind::DOUBLE => Bson::Double(f64::from_le_bytes(self.fixed()?)),
            kind::INT32 => Bson::Int32(i32::from_le_bytes(self.fixed()?)),
            kind::INT64 => Bson::Int64(i64::from_le_bytes(self.fixed()?)),
            kind::BOOLEAN => match self.bytes {
                [0] => Bson::Boolean(false),
                [1] => Bson::Boolean(true),
                _ => return Err(Malformed),
            },
            kind::NULL => Bson::Null,
            kind::OBJECT_ID => Bson::ObjectId(ObjectId::from_bytes(self.fixed()?)),
            kind::DATE_TIME => Bson::DateTime(DateTime::from_millis(i64::from_le_bytes(self.fixed()?))),
            kind::STRING => Bson::String(self.as_str()?.ok_or(Malformed)?.to_string()),
            _ => self.decode()?,
        })
    }

    /// Any value, decoded by `bson` from a one-field document built around it.
    fn decode(&self) -> Result<Bson, Malformed> {
        let total = 4 + 1 + 1 + self.bytes.len() + 1;
        let mut wrapped = Vec::with_capacity(total);
        wrapped.extend_from_slice(&u32::try_from(total).map_err(|_| Malformed)?.to_le_bytes());
        wrapped.push(self.kind);
        wrapped.push(0);
        wrapped.extend_from_slice(self.bytes);
        wrapped.push(0);
        let mut document = Document::from_reader(wrapped.as_slice()).map_err(|_| Malformed)?;
        document.remove("").ok_or(Malformed)
    }
}

/// Calls `visit` with every place `parts` reaches in `document` — the tree's `path::reach` on the bytes: arrays
/// before the last component entered element by element (and indexed by a numeric component) — until it answers
/// true. The filter matcher and the sort read paths through it.
pub fn reach<'a, E: From<Malformed>>(
    document: RawDoc<'a>,
    parts: &[String],
    visit: &mut dyn FnMut(Option<RawValue<'a>>) -> Result<bool, E>,
) -> Result<bool, E> {
    let Some((head, rest)) = parts.split_first() else {
        return Ok(false);
    };
    match document.field(head)? {
        None => visit(None),
        Some(value) => reach_value(value, rest, visit),
    }
}

fn reach_value<'a, E: From<Malformed>>(
    value: RawValue<'a>,
    rest: &[String],
    visit: &mut dyn FnMut(Option<RawValue<'a>>) -> Result<bool, E>,
) -> Result<bool, E> {
    let Some(next) = rest.first() else {
        return visit(Some(value));
    };
    if let Some(inner) = value.as_document()? {
        return reach(inner, rest, visit);
    }
    let Some(items) = value.as_array()? else {
        return visit(None);
    };
    let mut reached = false;
    if let Some(index) = crate::engine::path::array_index(next) {
        if let Some(item) = items.elements().nth(index) {
            reached = true;
            if reach_value(item?.1, rest.get(1..).unwrap_or_default(), visit)? {
                return Ok(true);
            }
        }
    }
    for element in items.elements() {
        // Only documents inside the array can hold the next field; nested arrays are not entered.
        if let Some(inner) = element?.1.as_document()? {
            reached = true;
            if reach(inner, rest, visit)? {
                return Ok(true);
            }
        }
    }
    if reached {
        Ok(false)
    } else {
        visit(None)
    }
}

/// True when some document in `document` (itself or one nested in it) holds a name twice. A tree decoded from such
/// bytes keeps one of the values, so bytes read from storage are kept only when this is false.
pub fn has_repeated_names(document: RawDoc<'_>) -> Result<bool, Malformed> {
    fn walk(document: RawDoc<'_>, depth: usize, is_array: bool) -> Result<bool, Malformed> {
        if depth > crate::engine::limits::MAX_NESTING_DEPTH + 1 {
            return Err(Malformed);
        }
        let mut names: Vec<&[u8]> = Vec::new();
        for element in document.elements() {
            let (name, value) = element?;
            // Array keys are positions; a tree ignores them, so repeats there change nothing.
            if !is_array {
                if names.contains(&name) {
                    return Ok(true);
                }
                names.push(name);
            }
            if let Some(inner) = value.as_document()? {
                if walk(inner, depth + 1, false)? {
                    return Ok(true);
                }
            } else if let Some(inner) = value.as_array()? {
                if walk(inner, depth + 1, true)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
    walk(document, 0, false)
}

/// Where one document's bytes are in an [`Arena`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    chunk: u32,
    start: u32,
    length: u32,
}

/// The BSON bytes of a collection's documents, packed one after another in large chunks in natural order, so a
/// scan reads memory in sequence (documents allocated one by one land between the blocks of their trees, and a
/// scan of 100k of them was bound by the misses). Bytes of removed or replaced documents become garbage; the
/// collection compacts the arena when garbage outgrows what is live.
#[derive(Debug, Clone, Default)]
pub struct Arena {
    chunks: Vec<Vec<u8>>,
    live: usize,
    garbage: usize,
}

/// The size of a chunk; a larger document gets a chunk of its own.
const CHUNK_BYTES: usize = 1 << 20;

impl Arena {
    /// Appends a document's bytes.
    pub fn push(&mut self, bytes: &[u8]) -> Option<Span> {
        let length = u32::try_from(bytes.len()).ok()?;
        let fits = self.chunks.last().is_some_and(|chunk| chunk.capacity() - chunk.len() >= bytes.len());
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK_BYTES.max(bytes.len())));
        }
        let chunk_index = self.chunks.len() - 1;
        let chunk = self.chunks.last_mut()?;
        let start = u32::try_from(chunk.len()).ok()?;
        chunk.extend_from_slice(bytes);
        self.live += bytes.len();
        Some(Span { chunk: u32::try_from(chunk_index).ok()?, start, length })
    }

    /// The bytes at `span`.
    pub fn get(&self, span: Span) -> &[u8] {
        let start = span.start as usize;
        self.chunks
            .get(span.chunk as usize)
            .and_then(|chunk| chunk.get(start..start + span.length as usize))
            .unwrap_or_default()
    }

    /// Marks the bytes at `span` as garbage.
    pub fn release(&mut self, span: Span) {
        let length = span.length as usize;
        self.live = self.live.saturating_sub(length);
        self.garbage += length;
    }

    /// True when more than half of what the arena holds is garbage (and enough of it to be worth a copy).
    pub fn wants_compaction(&self) -> bool {
        self.garbage > self.live && self.garbage > CHUNK_BYTES
    }

    /// The bytes of removed or replaced documents the arena still holds.
    pub fn garbage_bytes(&self) -> usize {
        self.garbage
    }

    /// The bytes the arena holds for live documents.
    pub fn live_bytes(&self) -> usize {
        self.live
    }
}

/// A document's BSON bytes, or `None` when it cannot be encoded (a field name with a NUL): such a record is
/// matched through its tree.
pub fn encode(document: &Document) -> Option<Box<[u8]>> {
    let mut bytes = Vec::new();
    document.to_writer(&mut bytes).ok()?;
    Some(bytes.into_boxed_slice())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::{bson, doc, Binary, Decimal128, Regex, Timestamp};

    #[test]
    fn every_type_reads_back_as_the_tree_holds_it() {
        let document = doc! {
            "d": 1.5, "s": "héllo", "o": {"a": 1}, "a": [1, "x", {"b": null}], "bin": Binary { subtype: bson::spec::BinarySubtype::Generic, bytes: vec![1, 2] },
            "u": Bson::Undefined, "id": ObjectId::from_bytes([7; 12]), "t": true, "f": false, "date": DateTime::from_millis(-5),
            "n": null, "re": Regex { pattern: "^a".to_string().try_into().unwrap(), options: "i".to_string().try_into().unwrap() },
            "code": Bson::JavaScriptCode("x".into()), "sym": Bson::Symbol("y".into()), "i": 7, "ts": Timestamp { time: 1, increment: 2 },
            "l": 9_i64, "dec": Decimal128::from_bytes([1; 16]), "min": Bson::MinKey, "max": Bson::MaxKey,
        };
        let bytes = encode(&document).unwrap();
        let raw = RawDoc::new(&bytes).unwrap();
        let mut names = Vec::new();
        for element in raw.elements() {
            let (key, value) = element.unwrap();
            let name = std::str::from_utf8(key).unwrap();
            assert_eq!(Some(&value.to_bson().unwrap()), document.get(name), "{name}");
            names.push(name.to_string());
        }
        assert_eq!(names, document.keys().cloned().collect::<Vec<_>>());
        assert_eq!(raw.decode().unwrap(), Decoded { document: document.clone(), repeats_a_name: false });
        assert_eq!(raw.field("i").unwrap().unwrap().to_bson().unwrap(), bson!(7));
        assert!(raw.field("nope").unwrap().is_none());
        let array = raw.field("a").unwrap().unwrap().as_array().unwrap().unwrap();
        assert_eq!(array.len().unwrap(), 3);
        assert_eq!(raw.field("s").unwrap().unwrap().as_str().unwrap(), Some("héllo"));
    }

    #[test]
    fn an_arena_packs_documents_and_counts_its_garbage() {
        let mut arena = Arena::default();
        let small = arena.push(b"abc").unwrap();
        let big = arena.push(&vec![7; CHUNK_BYTES + 1]).unwrap();
        let after = arena.push(b"de").unwrap();
        assert_eq!(arena.get(small), b"abc");
        assert_eq!(arena.get(big).len(), CHUNK_BYTES + 1);
        assert_eq!(arena.get(after), b"de");
        assert_eq!(arena.live_bytes(), CHUNK_BYTES + 6);
        arena.release(small);
        assert!(!arena.wants_compaction(), "a few bytes of garbage are not worth a copy");
        arena.release(big);
        assert!(arena.wants_compaction());
    }

    #[test]
    fn repeated_names_are_found_at_any_depth() {
        let once = encode(&doc! {"a": 1, "b": {"c": [{"d": 1}, 2]}}).unwrap();
        assert_eq!(has_repeated_names(RawDoc::new(&once).unwrap()), Ok(false));
        // {a: 1, b: {c: 1, c: 2}} written by hand: the inner document repeats "c".
        let inner: Vec<u8> =
            [&[19u8, 0, 0, 0][..], &[0x10, b'c', 0, 1, 0, 0, 0], &[0x10, b'c', 0, 2, 0, 0, 0], &[0]].concat();
        let outer: Vec<u8> = [&[(4 + 3 + inner.len() + 1) as u8, 0, 0, 0][..], &[0x03, b'b', 0], &inner, &[0]].concat();
        let raw = RawDoc::new(&outer).unwrap();
        assert_eq!(has_repeated_names(raw), Ok(true));
    }

    #[test]
    fn the_stored_check_sees_nesting_as_the_insert_limit_does() {
        for depth in [98, 99, 100, 101, 102] {
            for array in [false, true] {
                let mut value = bson!(1);
                for _ in 0..depth {
                    value = if array { Bson::Array(vec![value]) } else { Bson::Document(doc! {"n": value}) };
                }
                let document = doc! {"_id": 1, "deep": value};
                let check = RawDoc::new(&encode(&document).unwrap()).unwrap().check_stored().unwrap();
                let refused = crate::engine::limits::check_document(&document).is_err();
                assert_eq!(check.too_deep, refused, "{depth} levels of {}", if array { "arrays" } else { "documents" });
                assert_eq!(check.exact(), !refused);
            }
        }
        let repeated = RawDoc::new(&[13, 0, 0, 0, 0x08, b'a', 0, 1, 0x08, b'a', 0, 0, 0]).unwrap().check_stored();
        assert_eq!(repeated, Ok(StoredCheck { repeats_a_name: true, too_deep: false }));
    }

    #[test]
    fn damaged_bytes_are_reported_never_read_past() {
        let bytes = encode(&doc! {"a": "text", "b": {"c": 1}, "l": [[null], 2.5, {"d": false}]}).unwrap().to_vec();
        assert!(RawDoc::new(&bytes[..bytes.len() - 1]).is_err());
        // Every truncation and every single-byte change either parses or says Malformed; none panics.
        for cut in 0..bytes.len() {
            let _ = RawDoc::new(&bytes[..cut]).map(|raw| raw.elements().count());
        }
        for at in 0..bytes.len() {
            for byte in 0..=u8::MAX {
                let mut damaged = bytes.clone();
                damaged[at] = byte;
                if let Ok(raw) = RawDoc::new(&damaged) {
                    // The walker's tree is always the one bson's reader gives (or both refuse the bytes).
                    let walked = raw.decode().ok().map(|decoded| decoded.document);
                    let read = Document::from_reader(damaged.as_slice()).ok();
                    assert_eq!(walked, read, "byte {at} set to {byte}");
                    // Bytes the check vouches for decode, and it sees the repeated names decoding sees.
                    if let Ok(check) = raw.check_stored() {
                        assert!(read.is_some(), "byte {at} set to {byte}");
                        assert_eq!(Ok(check.repeats_a_name), has_repeated_names(raw), "byte {at} set to {byte}");
                    }
                    for element in raw.elements().flatten() {
                        let _ = element.1.to_bson();
                        let _ = element.1.as_document().map(|d| d.map(|d| d.len()));
                    }
                }
            }
        }
    }
}
