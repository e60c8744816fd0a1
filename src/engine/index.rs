//! Secondary indexes: sorted keys (multikey over arrays) pointing at records, unique constraints, and range scans for the planner.

use super::error::{MongoError, MongoResult};
use super::query::{Bound, FieldBounds};
use super::value;
use bson::{Bson, Document};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound as RangeBound;

/// An index key: one value per indexed field, ordered by MongoDB's comparison order.
#[derive(Debug, Clone)]
pub struct IndexKey(pub Vec<Bson>);

impl Ord for IndexKey {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.0.iter().zip(other.0.iter()) {
            let ord = value::compare(a, b);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for IndexKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for IndexKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for IndexKey {}

/// The options of an index beyond its keys and name, as `createIndex(keys, options)` takes them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexOptions {
    pub unique: bool,
    /// `sparse: true`: a document with none of the indexed fields has no entry (a field holding `null` has one).
    pub sparse: bool,
    /// `expireAfterSeconds`: a TTL index; the TTL monitor removes documents whose indexed date is older.
    pub expire_after_seconds: Option<Bson>,
}

impl IndexOptions {
    pub fn unique(unique: bool) -> Self {
        IndexOptions { unique, ..IndexOptions::default() }
    }

    /// The options as `listIndexes` prints them after `v`, `key` and `name` (the `_id_` index prints none).
    pub fn write_into(&self, doc: &mut Document) {
        if self.unique {
            doc.insert("unique", true);
        }
        if self.sparse {
            doc.insert("sparse", true);
        }
        if let Some(seconds) = &self.expire_after_seconds {
            doc.insert("expireAfterSeconds", seconds.clone());
        }
    }

    /// The options as `createIndex`'s second argument holds them (`unique`, `sparse`, `expireAfterSeconds`); other
    /// keys are not read here.
    pub fn from_document(options: &Document) -> Self {
        let truthy = |key: &str| options.get(key).is_some_and(crate::js::truthy);
        IndexOptions {
            unique: truthy("unique"),
            sparse: truthy("sparse"),
            expire_after_seconds: options.get("expireAfterSeconds").cloned(),
        }
    }
}

/// One index of a collection.
#[derive(Debug, Clone)]
pub struct Index {
    /// `username_1`, `_id_`, or the name given at creation.
    pub name: String,
    /// The key pattern: field paths with 1 (ascending) or -1 (descending).
    pub keys: Vec<(String, i32)>,
    pub unique: bool,
    pub sparse: bool,
    /// A TTL index's `expireAfterSeconds`, as given.
    pub expire_after_seconds: Option<Bson>,
    /// True once some document put several keys in the index (an array field): MongoDB's `isMultiKey`.
    pub multikey: bool,
    entries: BTreeMap<IndexKey, BTreeSet<u64>>,
}

/// What a scan visited: matching record ids in key order, and how many keys it examined.
#[derive(Debug, Default)]
pub struct ScanResult {
    pub records: Vec<u64>,
    pub keys_examined: u64,
}

impl Index {
    pub fn new(name: impl Into<String>, keys: Vec<(String, i32)>, unique: bool) -> Self {
        Self::with_options(name, keys, &IndexOptions::unique(unique))
    }

    pub fn with_options(name: impl Into<String>, keys: Vec<(String, i32)>, options: &IndexOptions) -> Self {
        Self {
            name: name.into(),
            keys,
            unique: options.unique,
            sparse: options.sparse,
            expire_after_seconds: options.expire_after_seconds.clone(),
            multikey: false,
            entries: BTreeMap::new(),
        }
    }

    pub fn options(&self) -> IndexOptions {
        IndexOptions {
            unique: self.unique,
            sparse: self.sparse,
            expire_after_seconds: self.expire_after_seconds.clone(),
        }
    }

    /// Whether a query's bounds on this index's first field could match a document the index leaves out: a
    /// sparse index has no entry for a document without the field, so a scan for `null` (which matches missing
    /// fields) would miss it. MongoDB does not use a sparse index for such a query unless hinted ("Sparse
    /// Indexes": "sparse Index and Incomplete Results").
    pub fn would_miss_documents(&self, bounds: &FieldBounds) -> bool {
        let matches_missing = |value: &Bson| matches!(value, Bson::Null | Bson::Undefined);
        self.sparse
            && match bounds {
                FieldBounds::Equal(value) => matches_missing(value),
                FieldBounds::In(values) => values.iter().any(matches_missing),
                FieldBounds::Range { lower, upper } => {
                    lower.iter().chain(upper.iter()).any(|bound| matches_missing(&bound.value))
                }
            }
    }

    /// MongoDB's default index name: `field_1_other_-1`.
    pub fn default_name(keys: &[(String, i32)]) -> String {
        keys.iter().map(|(field, dir)| format!("{field}_{dir}")).collect::<Vec<_>>().join("_")
    }

    /// The key pattern as a document, e.g. `{ username: 1 }`.
    pub fn key_document(&self) -> Document {
        let mut doc = Document::new();
        for (field, dir) in &self.keys {
            doc.insert(field.clone(), Bson::Int32(*dir));
        }
        doc
    }

    /// The top-level fields this index's keys start with (`profile` for `profile.city`): all it reads of a
    /// document.
    pub fn top_level_fields(&self) -> Vec<&str> {
        self.keys.iter().map(|(field, _)| field.split('.').next().unwrap_or(field)).collect()
    }

    /// Every key a document puts into this index (several when an indexed field holds an array).
    pub fn keys_of(&self, doc: &Document) -> Vec<IndexKey> {
        // A sparse index skips a document that has none of its fields (a compound sparse index keeps one that has
        // at least one of them, MongoDB's "Sparse Compound Indexes").
        if self.sparse && !self.keys.iter().any(|(field, _)| field_exists(doc, field)) {
            return Vec::new();
        }
        let mut keys: Vec<Vec<Bson>> = vec![Vec::new()];
        for (field, _) in &self.keys {
            let values = values_at(doc, field);
            let mut next = Vec::with_capacity(keys.len() * values.len());
            for prefix in &keys {
                for value in &values {
                    let mut key = prefix.clone();
                    key.push(value.clone());
                    next.push(key);
                }
            }
            keys = next;
        }
        let mut out: Vec<IndexKey> = keys.into_iter().map(IndexKey).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Fails with MongoDB's E11000 error when a unique index already holds one of the document's keys for another record.
    pub fn check_unique(&self, namespace: &str, record: u64, doc: &Document) -> MongoResult<()> {
        if !self.unique {
            return Ok(());
        }
        for key in self.keys_of(doc) {
            if self.entries.get(&key).is_some_and(|records| records.iter().any(|r| *r != record)) {
                return Err(self.duplicate_key_error(namespace, &key));
            }
        }
        Ok(())
    }

    /// `E11000 duplicate key error collection: shop.users index: username_1 dup key: { username: "ada" }`.
    pub fn duplicate_key_error(&self, namespace: &str, key: &IndexKey) -> MongoError {
        let fields: Vec<String> = self
            .keys
            .iter()
            .zip(key.0.iter())
            .map(|((field, _), value)| format!("{field}: {}", shell_value(value)))
            .collect();
        MongoError::duplicate_key(format!(
            "E11000 duplicate key error collection: {namespace} index: {} dup key: {{ {} }}",
            self.name,
            fields.join(", ")
        ))
    }

    pub fn insert(&mut self, record: u64, doc: &Document) {
        self.insert_keys(record, self.keys_of(doc));
    }

    /// Moves a record's entries from its old document's keys to its new one's; nothing to do when the indexed
    /// fields did not change (the `_id` index on every update, most indexes on most updates).
    pub fn replace(&mut self, record: u64, old: &Document, new: &Document) {
        let (old_keys, new_keys) = (self.keys_of(old), self.keys_of(new));
        if old_keys == new_keys {
            return;
        }
        self.remove_keys(record, old_keys);
        self.insert_keys(record, new_keys);
    }

    pub fn remove(&mut self, record: u64, doc: &Document) {
        self.remove_keys(record, self.keys_of(doc));
    }

    fn insert_keys(&mut self, record: u64, keys: Vec<IndexKey>) {
        if keys.len() > 1 {
            self.multikey = true;
        }
        for key in keys {
            self.entries.entry(key).or_default().insert(record);
        }
    }

    fn remove_keys(&mut self, record: u64, keys: Vec<IndexKey>) {
        for key in keys {
            if let Some(records) = self.entries.get_mut(&key) {
                records.remove(&record);
                if records.is_empty() {
                    self.entries.remove(&key);
                }
            }
        }
    }

    /// The number of keys in the index.
    pub fn len(&self) -> usize {
        self.entries.values().map(BTreeSet::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether the planner can answer `bounds` on this index's first field exactly enough to use it.
    pub fn can_scan(bounds: &FieldBounds) -> bool {
        let usable = |v: &Bson| {
            !matches!(
                v,
                Bson::Array(_)
                    | Bson::Null
                    | Bson::Undefined
                    | Bson::RegularExpression(_)
                    | Bson::MinKey
                    | Bson::MaxKey
            )
        };
        match bounds {
            FieldBounds::Equal(v) => usable(v),
            FieldBounds::In(values) => values.iter().all(usable),
            FieldBounds::Range { lower, upper } => {
                lower.iter().chain(upper.iter()).all(|b| usable(&b.value)) && (lower.is_some() || upper.is_some())
            }
        }
    }

    /// Scans the records whose first key field satisfies `bounds`, in key order (deduplicated).
    pub fn scan(&self, bounds: &FieldBounds) -> ScanResult {
        let mut result = ScanResult::default();
        let mut seen = BTreeSet::new();
        match bounds {
            FieldBounds::Equal(v) => self.scan_range(
                Some(&Bound { value: v.clone(), inclusive: true }),
                Some(&Bound { value: v.clone(), inclusive: true }),
                &mut result,
                &mut seen,
            ),
            FieldBounds::In(values) => {
                let mut sorted = values.clone();
                sorted.sort_by(value::compare);
                sorted.dedup_by(|a, b| value::compare(a, b) == Ordering::Equal);
                for v in &sorted {
                    let bound = Bound { value: v.clone(), inclusive: true };
                    self.scan_range(Some(&bound), Some(&bound), &mut result, &mut seen);
                }
            }
            FieldBounds::Range { lower, upper } => {
                self.scan_range(lower.as_ref(), upper.as_ref(), &mut result, &mut seen)
            }
        }
        result
    }

    fn scan_range(
        &self,
        lower: Option<&Bound>,
        upper: Option<&Bound>,
        result: &mut ScanResult,
        seen: &mut BTreeSet<u64>,
    ) {
        // A range never crosses its type bracket: {$gt: 5} stops at the last number.
        let bracket = lower.or(upper).map(|b| value::type_rank(&b.value)).unwrap_or(0);
        let start = match lower {
            Some(bound) => RangeBound::Included(IndexKey(vec![bound.value.clone()])),
            None => RangeBound::Unbounded,
        };
        for (key, records) in self.entries.range((start, RangeBound::Unbounded)) {
            let Some(first) = key.0.first() else { continue };
            if value::type_rank(first) < bracket {
                continue;
            }
            if value::type_rank(first) > bracket {
                break;
            }
            if let Some(bound) = lower {
                let ord = value::compare(first, &bound.value);
                if ord == Ordering::Less || (ord == Ordering::Equal && !bound.inclusive) {
                    continue;
                }
            }
            if let Some(bound) = upper {
                let ord = value::compare(first, &bound.value);
                if ord == Ordering::Greater || (ord == Ordering::Equal && !bound.inclusive) {
                    break;
                }
            }
            result.keys_examined += records.len() as u64;
            for record in records {
                if seen.insert(*record) {
                    result.records.push(*record);
                }
            }
        }
    }

    /// The `indexBounds` of explain output for a scan, e.g. `{ username: ['["ada", "ada"]'] }`.
    pub fn bounds_document(&self, bounds: &FieldBounds) -> Document {
        let interval = |lo: Option<&Bound>, hi: Option<&Bound>| {
            let open = if lo.is_some_and(|b| b.inclusive) || lo.is_none() { '[' } else { '(' };
            let close = if hi.is_some_and(|b| b.inclusive) || hi.is_none() { ']' } else { ')' };
            let lo_text = lo.map(|b| shell_value(&b.value)).unwrap_or_else(|| bracket_edge(hi, false));
            let hi_text = hi.map(|b| shell_value(&b.value)).unwrap_or_else(|| bracket_edge(lo, true));
            Bson::String(format!("{open}{lo_text}, {hi_text}{close}"))
        };
        let intervals: Vec<Bson> = match bounds {
            FieldBounds::Equal(v) => {
                let b = Bound { value: v.clone(), inclusive: true };
                vec![interval(Some(&b), Some(&b))]
            }
            FieldBounds::In(values) => values
                .iter()
                .map(|v| {
                    let b = Bound { value: v.clone(), inclusive: true };
                    interval(Some(&b), Some(&b))
                })
                .collect(),
            FieldBounds::Range { lower, upper } => vec![interval(lower.as_ref(), upper.as_ref())],
        };
        let mut doc = Document::new();
        for (i, (field, _)) in self.keys.iter().enumerate() {
            let value = if i == 0 {
                Bson::Array(intervals.clone())
            } else {
                Bson::Array(vec![Bson::String("[MinKey, MaxKey]".into())])
            };
            doc.insert(field.clone(), value);
        }
        doc
    }
}

/// The open end of a one-sided range as explain prints it: numbers run to `inf`, strings to `{}`, and so on.
fn bracket_edge(other_side: Option<&Bound>, upper: bool) -> String {
    let rank = other_side.map(|b| value::type_rank(&b.value)).unwrap_or(0);
    match (rank, upper) {
        (3, true) => "inf".into(),
        (3, false) => "-inf".into(),
        (4, true) => "{}".into(),
        (4, false) => "\"\"".into(),
        (_, true) => "MaxKey".into(),
        (_, false) => "MinKey".into(),
    }
}

/// Whether a document has a field at a dotted path (through arrays of documents, as a sparse index reads it);
/// a field holding `null` exists.
pub fn field_exists(doc: &Document, dotted: &str) -> bool {
    let mut out = Vec::new();
    let parts: Vec<&str> = dotted.split('.').collect();
    if let Some((first, rest)) = parts.split_first() {
        if let Some(value) = doc.get(*first) {
            collect_values(value, rest, &mut out, 0);
        }
    }
    !out.is_empty()
}

/// The values a document holds at a dotted path, as an index sees them: array elements one by one, missing as null.
pub fn values_at(doc: &Document, dotted: &str) -> Vec<Bson> {
    let mut out = Vec::new();
    let parts: Vec<&str> = dotted.split('.').collect();
    if let Some((first, rest)) = parts.split_first() {
        if let Some(value) = doc.get(*first) {
            collect_values(value, rest, &mut out, 0);
        }
    }
    if out.is_empty() {
        out.push(Bson::Null);
    }
    out
}

fn collect_values(value: &Bson, parts: &[&str], out: &mut Vec<Bson>, depth: usize) {
    if depth > 200 {
        return;
    }
    let Some((first, rest)) = parts.split_first() else {
        match value {
            Bson::Array(items) if items.is_empty() => out.push(Bson::Undefined),
            Bson::Array(items) => out.extend(items.iter().cloned()),
            other => out.push(other.clone()),
        }
        return;
    };
    match value {
        Bson::Document(doc) => {
            if let Some(next) = doc.get(*first) {
                collect_values(next, rest, out, depth + 1);
            }
        }
        Bson::Array(items) => {
            if let Ok(position) = first.parse::<usize>() {
                if let Some(item) = items.get(position) {
                    collect_values(item, rest, out, depth + 1);
                }
            } else {
                for item in items {
                    if let Bson::Document(_) = item {
                        collect_values(item, parts, out, depth + 1);
                    }
                }
            }
        }
        _ => {}
    }
}

/// A value the way MongoDB's server messages print it: `"ada"`, `42`, `ObjectId('…')`, `{ a: 1 }`.
pub fn shell_value(value: &Bson) -> String {
    match value {
        Bson::String(s) => format!("{s:?}"),
        Bson::ObjectId(oid) => format!("ObjectId('{}')", oid.to_hex()),
        Bson::Int32(i) => i.to_string(),
        Bson::Int64(i) => i.to_string(),
        Bson::Double(d) if d.is_infinite() => {
            if *d > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            }
        }
        Bson::Double(d) => format!("{d}"),
        Bson::Boolean(b) => b.to_string(),
        Bson::Null => "null".into(),
        Bson::Undefined => "undefined".into(),
        Bson::DateTime(dt) => {
            format!("new Date({})", dt.timestamp_millis())
        }
        Bson::Document(doc) => {
            let fields: Vec<String> = doc.iter().map(|(k, v)| format!("{k}: {}", shell_value(v))).collect();
            if fields.is_empty() {
                "{}".into()
            } else {
                format!("{{ {} }}", fields.join(", "))
            }
        }
        Bson::Array(items) => format!("[ {} ]", items.iter().map(shell_value).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn index(field: &str, unique: bool) -> Index {
        let keys = vec![(field.to_string(), 1)];
        Index::new(Index::default_name(&keys), keys, unique)
    }

    #[test]
    fn arrays_make_one_key_per_element() {
        let mut idx = index("tags", false);
        idx.insert(1, &doc! {"tags": ["a", "b", "a"]});
        assert!(idx.multikey);
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.scan(&FieldBounds::Equal(Bson::String("b".into()))).records, vec![1]);
    }

    #[test]
    fn unique_violation_has_mongodb_message() {
        let mut idx = index("username", true);
        idx.insert(1, &doc! {"username": "ada"});
        let err = idx.check_unique("shop.users", 2, &doc! {"username": "ada"}).unwrap_err();
        assert_eq!(err.code, 11000);
        assert_eq!(
            err.message,
            r#"E11000 duplicate key error collection: shop.users index: username_1 dup key: { username: "ada" }"#
        );
        assert!(
            idx.check_unique("shop.users", 1, &doc! {"username": "ada"}).is_ok(),
            "a record never collides with itself"
        );
    }

    #[test]
    fn ranges_stay_inside_their_type_bracket() {
        let mut idx = index("age", false);
        idx.insert(1, &doc! {"age": 30});
        idx.insert(2, &doc! {"age": "85"});
        idx.insert(3, &doc! {"age": 50.5});
        idx.insert(4, &doc! {"name": "no age"});
        let over_40 =
            FieldBounds::Range { lower: Some(Bound { value: Bson::Int32(40), inclusive: false }), upper: None };
        assert_eq!(idx.scan(&over_40).records, vec![3]);
        let under_40 =
            FieldBounds::Range { lower: None, upper: Some(Bound { value: Bson::Int32(40), inclusive: true }) };
        assert_eq!(idx.scan(&under_40).records, vec![1]);
        assert_eq!(idx.bounds_document(&over_40), doc! {"age": ["(40, inf]"]});
    }

    #[test]
    fn missing_fields_index_as_null() {
        assert_eq!(values_at(&doc! {"a": 1}, "b"), vec![Bson::Null]);
        assert_eq!(values_at(&doc! {"a": [{"b": 1}, {"b": 2}]}, "a.b"), vec![Bson::Int32(1), Bson::Int32(2)]);
    }
}
