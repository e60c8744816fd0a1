//! A collection: documents in natural (insertion) order, its indexes, and the driver's CRUD calls with their result shapes.

use super::changes::Change;
use super::error::{ErrorCode, MongoError, MongoResult};
use super::expr::Environment;
use super::generator::Generator;
use super::index::{Index, IndexOptions, ScanResult};
use super::limits;
use super::projection::Projection;
use super::query::{FieldBounds, Filter};
use super::raw::{Arena, Span};
use super::raw::{RawDoc, Record};
use super::results::{DeleteResult, InsertManyResult, InsertOneResult, UpdateResult};
use super::sort::SortSpec;
use super::update::{upsert_seed, Update, UpdateContext};
use bson::{Bson, Document};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Options of `find` (and of the calls built on it).
#[derive(Debug, Clone, Default)]
pub struct FindOptions {
    pub projection: Option<Document>,
    pub sort: Option<Document>,
    pub skip: u64,
    /// 0 means no limit; a negative limit returns at most |limit| documents, as in MongoDB.
    pub limit: i64,
}

/// Which document `findOneAndUpdate` / `findOneAndReplace` return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReturnDocument {
    #[default]
    Before,
    After,
}

/// Options of the `findOneAnd*` calls.
#[derive(Debug, Clone, Default)]
pub struct FindAndModifyOptions {
    pub sort: Option<Document>,
    pub projection: Option<Document>,
    pub upsert: bool,
    pub return_document: ReturnDocument,
}

/// How a query was answered, for `explain()`.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The index used, with the bounds on its first field; `None` for a collection scan.
    pub index: Option<(String, FieldBounds)>,
    pub keys_examined: u64,
    pub docs_examined: u64,
    pub returned: u64,
}

/// One record: where its document's BSON bytes are in the collection's arena — what collection scans, counts and
/// sorts read in place ([`super::raw`]) and storage writes as they are — and its document as a tree.
#[derive(Debug, Clone)]
struct Stored {
    /// The tree, shared with the changes that inserted or updated it (undo, redo and the diff read it there), so
    /// recording a change copies no document. A record loaded from storage starts without one and decodes it from
    /// its bytes the first time something needs it (a result, an update, a filter the bytes cannot decide): a
    /// student's collection opens without decoding every document, and a scan never visits the trees.
    tree: OnceCell<Arc<Document>>,
    /// `None` when the document cannot be encoded (a field name with a NUL): such a record always has its tree, is
    /// matched through it and cannot be stored.
    bytes: Option<Span>,
}

impl Stored {
    /// A document with its bytes put in `arena`.
    fn new(document: Arc<Document>, arena: &mut Arena) -> Stored {
        let bytes = super::raw::encode(&document).and_then(|bytes| arena.push(&bytes));
        Stored { tree: OnceCell::from(document), bytes }
    }

    /// The document's tree, decoded from the bytes when this is the first time it is needed. The bytes of a
    /// record without a tree were checked when they were stored ([`Collection::restore_unchecked_tree`]), so they
    /// decode; were they ever not to, the record reads as an empty document rather than failing the page.
    fn document<'s>(&'s self, arena: &Arena) -> &'s Arc<Document> {
        self.tree.get_or_init(|| {
            let bytes = self.bytes.map(|span| arena.get(span)).unwrap_or_default();
            Arc::new(
                RawDoc::new(bytes).and_then(|raw| raw.decode()).map(|decoded| decoded.document).unwrap_or_default(),
            )
        })
    }

    /// What `index` reads of the record: the tree when it has one, else only the top-level fields the index's
    /// keys start with, decoded from the bytes. An index reads nothing else, so its keys are the same.
    fn indexed<'s>(&'s self, arena: &Arena, index: &Index) -> Cow<'s, Document> {
        if let Some(tree) = self.tree.get() {
            return Cow::Borrowed(tree);
        }
        let bytes = self.bytes.map(|span| arena.get(span)).unwrap_or_default();
        match RawDoc::new(bytes).and_then(|raw| raw.decode_fields(&index.top_level_fields())) {
            Ok(fields) => Cow::Owned(fields),
            Err(_) => Cow::Borrowed(self.document(arena)),
        }
    }
}

/// A record as a read sees it: its document's bytes when it has them, and its tree, decoded on demand.
#[derive(Debug, Clone, Copy)]
pub struct StoredRecord<'a> {
    stored: &'a Stored,
    arena: &'a Arena,
}

impl<'a> super::raw::Record<'a> for StoredRecord<'a> {
    fn bytes(&self) -> Option<&'a [u8]> {
        self.stored.bytes.map(|span| self.arena.get(span))
    }

    fn document(&self) -> &'a Document {
        self.stored.document(self.arena)
    }
}

/// A collection of one database.
#[derive(Debug, Clone)]
pub struct Collection {
    /// `database.collection`, as MongoDB names it in messages.
    namespace: String,
    name: String,
    /// Records keyed by a sequence number that only grows: iteration order is natural order.
    records: BTreeMap<u64, Stored>,
    /// The records' BSON bytes.
    arena: Arena,
    next_record: u64,
    /// The `_id_` index first, then user indexes in creation order.
    indexes: Vec<Index>,
}

impl Collection {
    pub fn new(database: &str, name: &str) -> Self {
        let id_keys = vec![("_id".to_string(), 1)];
        Self {
            namespace: format!("{database}.{name}"),
            name: name.to_string(),
            records: BTreeMap::new(),
            arena: Arena::default(),
            next_record: 1,
            indexes: vec![Index::new("_id_", id_keys, true)],
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Documents in natural order.
    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.records.values().map(|stored| &**stored.document(&self.arena))
    }

    /// Records in natural order as reads see them: their bytes, their trees on demand.
    pub fn stored_documents(&self) -> impl Iterator<Item = StoredRecord<'_>> {
        self.records.values().map(|stored| StoredRecord { stored, arena: &self.arena })
    }

    /// Records (sequence number and document) in natural order.
    pub fn records(&self) -> impl Iterator<Item = (u64, &Document)> {
        self.records.iter().map(|(k, v)| (*k, &**v.document(&self.arena)))
    }

    /// The BSON size of every document together (what `show dbs` reports), from the records' bytes.
    pub fn data_size(&self) -> usize {
        self.records.values().filter_map(|stored| stored.bytes).map(|span| self.arena.get(span).len()).sum()
    }

    /// Every record with its document shared (what dropping the collection records as deleted, copying nothing).
    pub fn shared_records(&self) -> impl Iterator<Item = (u64, Arc<Document>)> + '_ {
        self.records.iter().map(|(k, v)| (*k, Arc::clone(v.document(&self.arena))))
    }

    /// The records whose numbers fall in `range`, in order, as BSON bytes (what a storage page holds); a record
    /// whose document cannot be encoded is left out.
    pub fn encoded_records_in(&self, range: std::ops::Range<u64>) -> impl Iterator<Item = (u64, &[u8])> {
        self.records.range(range).filter_map(|(k, v)| v.bytes.map(|span| (*k, self.arena.get(span))))
    }

    pub fn indexes(&self) -> &[Index] {
        &self.indexes
    }

    /// Puts a stored record back as it was (loading from storage, undo): no `_id` generation, no result.
    pub fn restore_record(&mut self, record: u64, doc: impl Into<Arc<Document>>) -> MongoResult<()> {
        self.restore(record, doc.into(), None)
    }

    /// Like [`Collection::restore_record`], for a document read from storage with its BSON `bytes`: the bytes are
    /// kept as they are (no second encoding) unless they repeat a field name, which the tree cannot hold.
    pub fn restore_encoded(&mut self, record: u64, decoded: super::raw::Decoded, bytes: &[u8]) -> MongoResult<()> {
        let exact = !decoded.repeats_a_name;
        self.restore(record, Arc::new(decoded.document), exact.then_some(bytes))
    }

    fn restore(&mut self, record: u64, doc: Arc<Document>, bytes: Option<&[u8]>) -> MongoResult<()> {
        for index in &self.indexes {
            index.check_unique(&self.namespace, record, &doc)?;
        }
        self.forget(record);
        for index in &mut self.indexes {
            index.insert(record, &doc);
        }
        let stored = match bytes {
            Some(bytes) => Stored { bytes: self.arena.push(bytes), tree: OnceCell::from(doc) },
            None => Stored::new(doc, &mut self.arena),
        };
        self.records.insert(record, stored);
        self.next_record = self.next_record.max(record + 1);
        Ok(())
    }

    /// Gives the bytes of a removed or replaced document back; when most of the arena is garbage, the live bytes
    /// are copied into a new one, in natural order.
    fn release(&mut self, span: Option<Span>) {
        let Some(span) = span else { return };
        self.arena.release(span);
        if self.arena.wants_compaction() {
            let mut packed = Arena::default();
            for stored in self.records.values_mut() {
                if let Some(span) = stored.bytes {
                    stored.bytes = packed.push(self.arena.get(span));
                }
            }
            self.arena = packed;
        }
    }

    /// Removes a record without a result (undo of an insert).
    pub fn remove_record(&mut self, record: u64) -> Option<Arc<Document>> {
        let stored = self.records.remove(&record)?;
        let doc = Arc::clone(stored.document(&self.arena));
        for index in &mut self.indexes {
            index.remove(record, &doc);
        }
        self.release(stored.bytes);
        Some(doc)
    }

    /// Removes a record being restored over, without decoding its tree.
    fn forget(&mut self, record: u64) {
        if let Some(old) = self.records.remove(&record) {
            for index in &mut self.indexes {
                index.remove(record, &old.indexed(&self.arena, index));
            }
            self.release(old.bytes);
        }
    }

    /// Puts back a record read from storage as its bytes alone: its tree is decoded the first time it is needed,
    /// and its index keys are read from the few fields the indexes name. For bytes [`RawDoc::check_stored`]
    /// found exact (they decode, repeat no name, and fit MongoDB's size and nesting limits); anything else goes
    /// through [`Collection::restore_encoded`].
    pub fn restore_unchecked_tree(&mut self, record: u64, bytes: &[u8]) -> MongoResult<()> {
        let raw = RawDoc::new(bytes).map_err(|_| malformed_record(record))?;
        let mut keys = Vec::with_capacity(self.indexes.len());
        for index in &self.indexes {
            let fields = raw.decode_fields(&index.top_level_fields()).map_err(|_| malformed_record(record))?;
            index.check_unique(&self.namespace, record, &fields)?;
            keys.push(fields);
        }
        // After `forget`, whose release may compact the arena (a span pushed before it would point into the old
        // one), and before the keys go in, so a refused push leaves no key without its record.
        self.forget(record);
        let bytes = self.arena.push(bytes).ok_or_else(|| malformed_record(record))?;
        for (index, fields) in self.indexes.iter_mut().zip(&keys) {
            index.insert(record, fields);
        }
        self.records.insert(record, Stored { tree: OnceCell::new(), bytes: Some(bytes) });
        self.next_record = self.next_record.max(record + 1);
        Ok(())
    }

    /// Validates and stores one document; `_id` first, generated when absent, as the driver does.
    fn insert_document(&mut self, doc: Document, generator: &mut Generator) -> MongoResult<(Bson, Change)> {
        let doc = with_id_first(doc, generator);
        limits::check_document(&doc)?;
        let id = doc.get("_id").cloned().unwrap_or(Bson::Null);
        if let Bson::Array(_) | Bson::RegularExpression(_) | Bson::Undefined = id {
            return Err(MongoError::new(
                ErrorCode::InvalidIdField,
                format!("The '_id' value cannot be of type {}", super::value::type_name(&id)),
            ));
        }
        let record = self.next_record;
        for index in &self.indexes {
            index.check_unique(&self.namespace, record, &doc)?;
        }
        for index in &mut self.indexes {
            index.insert(record, &doc);
        }
        self.next_record += 1;
        let doc = Arc::new(doc);
        let stored = Stored::new(Arc::clone(&doc), &mut self.arena);
        self.records.insert(record, stored);
        Ok((id, Change::Inserted { record, doc }))
    }

    /// `insertOne`: `{ acknowledged: true, insertedId }`.
    pub fn insert_one(
        &mut self,
        doc: Document,
        generator: &mut Generator,
    ) -> MongoResult<(InsertOneResult, Vec<Change>)> {
        let (id, change) = self.insert_document(doc, generator)?;
        Ok((InsertOneResult { inserted_id: id }, vec![change]))
    }

    /// `insertMany`: ordered inserts stop at the first error and report what was inserted before it
    /// (MongoDB's bulk write error); unordered inserts go on and report every error.
    pub fn insert_many(
        &mut self,
        docs: Vec<Document>,
        ordered: bool,
        generator: &mut Generator,
    ) -> (Result<InsertManyResult, super::results::BulkWriteError>, Vec<Change>) {
        let mut inserted = Vec::new();
        let mut errors = Vec::new();
        let mut changes = Vec::new();
        for (position, doc) in docs.into_iter().enumerate() {
            match self.insert_document(doc, generator) {
                Ok((id, change)) => {
                    inserted.push((position, id));
                    changes.push(change);
                }
                Err(error) => {
                    errors.push((position, error));
                    if ordered {
                        break;
                    }
                }
            }
        }
        let result = InsertManyResult { inserted_ids: inserted };
        if errors.is_empty() {
            (Ok(result), changes)
        } else {
            (Err(super::results::BulkWriteError { write_errors: errors, result }), changes)
        }
    }

    /// Chooses how to find the candidates of a filter: an index scan when a top-level equality or range predicate
    /// falls on an index's first field, else a collection scan (`None`). Index candidates come in natural order.
    fn index_candidates(&self, filter: &Filter) -> Option<(Vec<u64>, String, FieldBounds, u64)> {
        let predicates = filter.equality_and_ranges();
        let mut best: Option<(&Index, &FieldBounds, ScanResult)> = None;
        for (field, bounds) in &predicates {
            if !Index::can_scan(bounds) {
                continue;
            }
            for index in &self.indexes {
                if index.would_miss_documents(bounds) {
                    continue;
                }
                if index.keys.first().is_some_and(|(first, _)| first == field) {
                    let scan = index.scan(bounds);
                    // The plan that examines the fewest keys wins, as MongoDB's trial runs would pick.
                    if best.as_ref().is_none_or(|(_, _, b)| scan.keys_examined < b.keys_examined) {
                        best = Some((index, bounds, scan));
                    }
                }
            }
        }
        best.map(|(index, bounds, scan)| {
            let mut records = scan.records;
            records.sort_unstable();
            (records, index.name.clone(), bounds.clone(), scan.keys_examined)
        })
    }

    /// The records matching a filter, in natural order, with the plan used.
    pub fn matching_records(&self, filter: &Filter) -> MongoResult<(Vec<u64>, Plan)> {
        self.matching_records_in(filter, Environment::default())
    }

    /// Like [`Collection::matching_records`], with the variables, `$$NOW` and work budget a pipeline's `$expr` sees
    /// (an aggregation's leading `$match` is answered here, so it uses the collection's indexes).
    pub fn matching_records_in(&self, filter: &Filter, environment: Environment<'_>) -> MongoResult<(Vec<u64>, Plan)> {
        let (matched, plan) = self.matching_up_to(filter, usize::MAX, environment)?;
        Ok((matched.into_iter().map(|(record, _)| record).collect(), plan))
    }

    /// The matching records and their documents in natural order, stopping after `cap` matches (an unsorted find
    /// with a limit stops early, as MongoDB's does: `findOne` examines documents only up to the first match).
    fn matching_up_to(
        &self,
        filter: &Filter,
        cap: usize,
        environment: Environment<'_>,
    ) -> MongoResult<(Vec<(u64, &Stored)>, Plan)> {
        // An index scan looks its candidates up; a collection scan walks the records in order, with no lookup per
        // document (at 100k documents the lookups cost more than the matching itself: cache misses in the tree).
        let ((matched, docs_examined), index, keys_examined) = match self.index_candidates(filter) {
            Some((records, name, bounds, keys_examined)) => (
                first_matches(
                    records.into_iter().filter_map(|record| self.records.get(&record).map(|stored| (record, stored))),
                    &self.arena,
                    filter,
                    cap,
                    environment,
                )?,
                Some((name, bounds)),
                keys_examined,
            ),
            None => (
                first_matches(
                    self.records.iter().map(|(&record, stored)| (record, stored)),
                    &self.arena,
                    filter,
                    cap,
                    environment,
                )?,
                None,
                0,
            ),
        };
        let returned = matched.len() as u64;
        Ok((matched, Plan { index, keys_examined, docs_examined, returned }))
    }

    /// Matched records as their documents with their bytes (what a sort reads its keys from).
    fn with_bytes<'a>(&'a self, matched: Vec<(u64, &'a Stored)>) -> Vec<StoredRecord<'a>> {
        matched.into_iter().map(|(_, stored)| StoredRecord { stored, arena: &self.arena }).collect()
    }

    /// `find(filter, options)`: matching documents after sort, skip, limit and projection.
    pub fn find(&self, filter: &Document, options: &FindOptions) -> MongoResult<Vec<Document>> {
        Ok(self.find_with_plan(filter, options)?.0)
    }

    /// `find` without copying: the stored documents after sort, skip and limit (the projection option is not
    /// applied). What a cursor over the collection sees; the benchmark compares it with mingo's cursor.
    pub fn find_refs(&self, filter: &Document, options: &FindOptions) -> MongoResult<Vec<&Document>> {
        let filter = Filter::compile(filter)?;
        let sort = options.sort.as_ref().map(SortSpec::compile).transpose()?;
        let (matched, _) = self.matching_up_to(&filter, match_cap(sort.as_ref(), options), Environment::default())?;
        let matched = self.with_bytes(matched);
        Ok(window(sort.as_ref(), &matched, options)
            .into_iter()
            .filter_map(|index| matched.get(index).map(Record::document))
            .collect())
    }

    /// Like `find`, also returning the plan for `explain()`.
    pub fn find_with_plan(&self, filter: &Document, options: &FindOptions) -> MongoResult<(Vec<Document>, Plan)> {
        let filter = Filter::compile(filter)?;
        // Compiled with the query: a positional (`comments.$`) projection needs the element the query matched.
        let projection =
            options.projection.as_ref().map(|spec| Projection::compile_for_query(spec, &filter)).transpose()?;
        let sort = options.sort.as_ref().map(SortSpec::compile).transpose()?;
        let (matched, mut plan) =
            self.matching_up_to(&filter, match_cap(sort.as_ref(), options), Environment::default())?;
        // Sort references; copy (or project) only the documents the skip/limit window returns.
        let matched = self.with_bytes(matched);
        let docs: Vec<Document> = window(sort.as_ref(), &matched, options)
            .into_iter()
            .filter_map(|index| matched.get(index).map(Record::document))
            .map(|doc| match &projection {
                Some(projection) => projection.apply_matched(doc, &filter),
                None => doc.clone(),
            })
            .collect();
        plan.returned = docs.len() as u64;
        Ok((docs, plan))
    }

    /// `findOne(filter, options)`: the first match, or `None` (mongosh prints `null`).
    pub fn find_one(&self, filter: &Document, options: &FindOptions) -> MongoResult<Option<Document>> {
        let options = FindOptions { limit: 1, ..options.clone() };
        Ok(self.find(filter, &options)?.into_iter().next())
    }

    /// `countDocuments(filter, { skip, limit })`.
    pub fn count_documents(&self, filter: &Document, skip: u64, limit: u64) -> MongoResult<u64> {
        let filter = Filter::compile(filter)?;
        let (matched, _) = self.matching_up_to(&filter, usize::MAX, Environment::default())?;
        let after_skip = (matched.len() as u64).saturating_sub(skip);
        Ok(if limit == 0 { after_skip } else { after_skip.min(limit) })
    }

    /// `estimatedDocumentCount()`: the collection's size from metadata, without a filter.
    pub fn estimated_document_count(&self) -> u64 {
        self.records.len() as u64
    }

    /// `distinct(field, filter)`: distinct values (array elements counted one by one), sorted as MongoDB returns them.
    pub fn distinct(&self, field: &str, filter: &Document) -> MongoResult<Vec<Bson>> {
        let filter = Filter::compile(filter)?;
        let (matched, _) = self.matching_up_to(&filter, usize::MAX, Environment::default())?;
        let mut values: Vec<Bson> = Vec::new();
        for (_, stored) in matched {
            let doc = stored.document(&self.arena);
            for value in super::index::values_at(doc, field) {
                if matches!(value, Bson::Null) && !has_path(doc, field) {
                    continue;
                }
                if !values.iter().any(|v| {
                    super::value::equal(v, &value) && super::value::type_rank(v) == super::value::type_rank(&value)
                }) {
                    values.push(value);
                }
            }
        }
        values.sort_by(super::value::compare);
        Ok(values)
    }

    /// `deleteOne` / `deleteMany`: `{ acknowledged: true, deletedCount }`.
    pub fn delete(&mut self, filter: &Document, many: bool) -> MongoResult<(DeleteResult, Vec<Change>)> {
        let filter = Filter::compile(filter)?;
        let (records, _) = self.matching_records(&filter)?;
        let records: Vec<u64> = if many { records } else { records.into_iter().take(1).collect() };
        let mut changes = Vec::with_capacity(records.len());
        for record in records {
            if let Some(doc) = self.remove_record(record) {
                changes.push(Change::Deleted { record, doc });
            }
        }
        Ok((DeleteResult { deleted_count: changes.len() as u64 }, changes))
    }

    /// `updateOne` / `updateMany` / `replaceOne` with a compiled update (see [`Update::compile_operators`] and
    /// [`Update::compile_replacement`]). Like MongoDB, a multi-document update that fails part-way keeps what it
    /// already changed: the returned changes list exactly that, whatever the result.
    pub fn update(
        &mut self,
        filter: &Document,
        update: &Update,
        many: bool,
        upsert: bool,
        generator: &mut Generator,
    ) -> (MongoResult<UpdateResult>, Vec<Change>) {
        let mut changes = Vec::new();
        let result = self.update_inner(filter, update, many, upsert, generator, &mut changes, None);
        (result.map(|(result, _)| result), changes)
    }

    #[allow(clippy::too_many_arguments)]
    fn update_inner(
        &mut self,
        filter: &Document,
        update: &Update,
        many: bool,
        upsert: bool,
        generator: &mut Generator,
        changes: &mut Vec<Change>,
        sort: Option<&SortSpec>,
    ) -> MongoResult<(UpdateResult, Option<u64>)> {
        let compiled = Filter::compile(filter)?;
        let (mut records, _) = self.matching_records(&compiled)?;
        if let Some(sort) = sort {
            records.sort_by(|a, b| match (self.get_record(*a), self.get_record(*b)) {
                (Some(x), Some(y)) => sort.compare(x, y),
                _ => std::cmp::Ordering::Equal,
            });
        }
        if !many {
            records.truncate(1);
        }
        let mut result = UpdateResult { matched_count: records.len() as u64, ..UpdateResult::default() };
        let now = generator.now();
        for record in &records {
            let Some(original) = self.get_record(*record) else { continue };
            let positional = compiled.matches_positional(original).flatten();
            let ctx = UpdateContext { positional, is_upsert_insert: false, now };
            if let Some(updated) = update.updated(original, &ctx)? {
                changes.push(self.replace_record(*record, updated)?);
                result.modified_count += 1;
            }
        }
        if records.is_empty() && upsert {
            let mut doc = upsert_seed(filter);
            let ctx = UpdateContext { positional: None, is_upsert_insert: true, now };
            update.apply(&mut doc, &ctx)?;
            let (id, change) = self.insert_document(doc, generator)?;
            let record = match &change {
                Change::Inserted { record, .. } => Some(*record),
                _ => None,
            };
            changes.push(change);
            result.upserted_id = Some(id);
            return Ok((result, record));
        }
        Ok((result, records.first().copied()))
    }

    /// `findOneAndUpdate` / `findOneAndReplace`: the document before or after the change (projected), or `None`.
    pub fn find_one_and_update(
        &mut self,
        filter: &Document,
        update: &Update,
        options: &FindAndModifyOptions,
        generator: &mut Generator,
    ) -> (MongoResult<Option<Document>>, Vec<Change>) {
        let mut changes = Vec::new();
        let result = (|| {
            let sort = options.sort.as_ref().map(SortSpec::compile).transpose()?;
            let compiled = Filter::compile(filter)?;
            let projection =
                options.projection.as_ref().map(|spec| Projection::compile_for_query(spec, &compiled)).transpose()?;
            let (mut matched, _) = self.matching_records(&compiled)?;
            if let Some(sort) = &sort {
                matched.sort_by(|a, b| match (self.get_record(*a), self.get_record(*b)) {
                    (Some(x), Some(y)) => sort.compare(x, y),
                    _ => std::cmp::Ordering::Equal,
                });
            }
            let before = matched.first().and_then(|r| self.get_record(*r)).cloned();
            // A positional (`.$`) projection shows the element the query matched in the document it found.
            let position = before.as_ref().and_then(|doc| compiled.matches_positional(doc).flatten());
            let (_, record) =
                self.update_inner(filter, update, false, options.upsert, generator, &mut changes, sort.as_ref())?;
            let chosen = match options.return_document {
                ReturnDocument::Before => before,
                ReturnDocument::After => record.and_then(|r| self.get_record(r)).cloned(),
            };
            Ok(chosen
                .map(|doc| projection.as_ref().map_or_else(|| doc.clone(), |p| p.apply_with_position(&doc, position))))
        })();
        (result, changes)
    }

    /// `findOneAndDelete`: the deleted document (projected), or `None`.
    pub fn find_one_and_delete(
        &mut self,
        filter: &Document,
        sort: Option<&Document>,
        projection: Option<&Document>,
    ) -> MongoResult<(Option<Document>, Vec<Change>)> {
        let sort = sort.map(SortSpec::compile).transpose()?;
        let compiled = Filter::compile(filter)?;
        let projection = projection.map(|spec| Projection::compile_for_query(spec, &compiled)).transpose()?;
        let (mut matched, _) = self.matching_records(&compiled)?;
        if let Some(sort) = &sort {
            matched.sort_by(|a, b| match (self.get_record(*a), self.get_record(*b)) {
                (Some(x), Some(y)) => sort.compare(x, y),
                _ => std::cmp::Ordering::Equal,
            });
        }
        let Some(record) = matched.first().copied() else { return Ok((None, Vec::new())) };
        let Some(doc) = self.remove_record(record) else { return Ok((None, Vec::new())) };
        let shown = projection.as_ref().map_or_else(|| (*doc).clone(), |p| p.apply_matched(&doc, &compiled));
        Ok((Some(shown), vec![Change::Deleted { record, doc }]))
    }

    /// Replaces the document of a record, keeping indexes right; fails (changing nothing) on a unique violation.
    pub fn replace_record(&mut self, record: u64, new_doc: Document) -> MongoResult<Change> {
        limits::check_document(&new_doc)?;
        for index in &self.indexes {
            index.check_unique(&self.namespace, record, &new_doc)?;
        }
        let Some(slot) = self.records.get_mut(&record) else {
            return Err(MongoError::new(ErrorCode::UnknownError, "record vanished during the update"));
        };
        // The old document moves into the change and the new one is shared with it: nothing is copied.
        let old = std::mem::replace(slot, Stored::new(Arc::new(new_doc), &mut self.arena));
        let after = Arc::clone(slot.document(&self.arena));
        let before = Arc::clone(old.document(&self.arena));
        for index in &mut self.indexes {
            index.replace(record, &before, &after);
        }
        self.release(old.bytes);
        Ok(Change::Updated { record, before, after })
    }

    /// The document stored under a record.
    pub fn get_record(&self, record: u64) -> Option<&Document> {
        self.records.get(&record).map(|stored| &**stored.document(&self.arena))
    }

    /// `createIndex(keys, { unique, name })`: returns the index name. Creating an identical index again is a no-op;
    /// a unique index over existing duplicates fails with E11000 and is not created.
    pub fn create_index(
        &mut self,
        keys: &Document,
        unique: bool,
        name: Option<&str>,
    ) -> MongoResult<(String, Vec<Change>)> {
        self.create_index_with(keys, &IndexOptions::unique(unique), name)
    }

    /// `createIndex(keys, { unique, sparse, expireAfterSeconds, name })`.
    pub fn create_index_with(
        &mut self,
        keys: &Document,
        options: &IndexOptions,
        name: Option<&str>,
    ) -> MongoResult<(String, Vec<Change>)> {
        let unique = options.unique;
        if keys.is_empty() {
            return Err(MongoError::new(ErrorCode::CannotCreateIndex, "Index keys cannot be empty."));
        }
        let mut pattern = Vec::new();
        for (field, direction) in keys {
            let dir = match direction {
                Bson::Int32(1) | Bson::Int64(1) => 1,
                Bson::Int32(-1) | Bson::Int64(-1) => -1,
                Bson::Double(d) if *d == 1.0 => 1,
                Bson::Double(d) if *d == -1.0 => -1,
                other => {
                    return Err(MongoError::new(
                        ErrorCode::CannotCreateIndex,
                        format!("Values in the index key pattern can only be 1 or -1 here, found {field}: {other}"),
                    ))
                }
            };
            pattern.push((field.clone(), dir));
        }
        // index_key_validate.cpp's validateIndexSpecTTL: a number, not NaN, within 32 bits, on one field.
        if let Some(seconds) = &options.expire_after_seconds {
            let reason = match crate::js::inspect::js_number_value(seconds) {
                None => Some(format!(
                    "TTL index 'expireAfterSeconds' option must be numeric, but received a type of '{}'",
                    super::value::type_name(seconds)
                )),
                Some(n) if n.is_nan() => Some("TTL index 'expireAfterSeconds' option must not be NaN".to_string()),
                Some(n) if n.trunc() < f64::from(i32::MIN) || n.trunc() > f64::from(i32::MAX) => {
                    Some("TTL index 'expireAfterSeconds' must be within the range of a 32-bit integer".to_string())
                }
                Some(n) if n < 0.0 => Some("TTL index 'expireAfterSeconds' option cannot be less than 0".to_string()),
                Some(_) if pattern.len() != 1 => {
                    Some("TTL indexes are single-field indexes, compound indexes do not support TTL".to_string())
                }
                Some(_) => None,
            };
            if let Some(reason) = reason {
                return Err(MongoError::new(ErrorCode::CannotCreateIndex, reason));
            }
        }
        let name = name.map(str::to_string).unwrap_or_else(|| Index::default_name(&pattern));
        if let Some(existing) = self.indexes.iter().find(|i| i.name == name) {
            if existing.keys == pattern && &existing.options() == options {
                return Ok((name, Vec::new()));
            }
            return Err(MongoError::new(
                ErrorCode::IndexKeySpecsConflict,
                format!("An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: {{ v: 2, key: {}, name: \"{name}\" }}, existing index: {{ v: 2, key: {}, name: \"{name}\" }}", super::index::shell_value(&Bson::Document(keys.clone())), super::index::shell_value(&Bson::Document(existing.key_document())))));
        }
        if let Some(existing) = self.indexes.iter().find(|i| i.keys == pattern) {
            return Err(MongoError::new(
                ErrorCode::IndexOptionsConflict,
                format!("Index already exists with a different name: {}", existing.name),
            ));
        }
        let _ = unique;
        let mut index = Index::with_options(name.clone(), pattern, options);
        for (record, stored) in &self.records {
            let indexed = stored.indexed(&self.arena, &index);
            index.check_unique(&self.namespace, *record, &indexed)?;
            index.insert(*record, &indexed);
        }
        let change = Change::IndexCreated { name: name.clone(), keys: index.key_document(), options: options.clone() };
        self.indexes.push(index);
        Ok((name, vec![change]))
    }

    /// `dropIndex(name)`; the `_id_` index cannot be dropped.
    pub fn drop_index(&mut self, name: &str) -> MongoResult<Vec<Change>> {
        if name == "_id_" {
            return Err(MongoError::new(ErrorCode::InvalidOptions, "cannot drop _id index"));
        }
        let Some(position) = self.indexes.iter().position(|i| i.name == name) else {
            return Err(MongoError::new(ErrorCode::IndexNotFound, format!("index not found with name [{name}]")));
        };
        let index = self.indexes.remove(position);
        Ok(vec![Change::IndexDropped { name: name.to_string(), keys: index.key_document(), options: index.options() }])
    }

    /// `listIndexes()`: `[{ v: 2, key: { _id: 1 }, name: '_id_' }, ...]`.
    pub fn list_indexes(&self) -> Vec<Document> {
        self.indexes
            .iter()
            .map(|index| {
                let mut doc = Document::new();
                doc.insert("v", 2);
                doc.insert("key", index.key_document());
                doc.insert("name", index.name.clone());
                if index.name != "_id_" {
                    index.options().write_into(&mut doc);
                }
                doc
            })
            .collect()
    }

    /// `find(...).explain("executionStats")`, in the shape of MongoDB's explain output.
    pub fn explain(&self, filter: &Document, options: &FindOptions) -> MongoResult<Document> {
        let (_, plan) = self.find_with_plan(filter, options)?;
        Ok(super::explain::explain_document(self, filter, options, &plan))
    }
}

fn has_path(doc: &Document, dotted: &str) -> bool {
    let parts: Vec<String> = dotted.split('.').map(str::to_string).collect();
    super::path::get_single(doc, &parts).is_some()
}

/// The first `cap` candidates matching the filter, and how many documents were examined to find them (generic, so
/// both scans keep static dispatch on the hot loop).
fn first_matches<'a>(
    candidates: impl Iterator<Item = (u64, &'a Stored)>,
    arena: &Arena,
    filter: &Filter,
    cap: usize,
    environment: Environment<'_>,
) -> MongoResult<(Vec<(u64, &'a Stored)>, u64)> {
    let mut matched = Vec::new();
    let mut docs_examined = 0;
    for (record, stored) in candidates {
        if matched.len() >= cap {
            break;
        }
        docs_examined += 1;
        if let Some(budget) = environment.budget {
            budget.spend(1)?;
        }
        // The bytes answer when they can (`$expr` and a few rare predicates need the tree); the answer is the same.
        let matches = match stored.bytes.and_then(|span| filter.matches_raw(arena.get(span))) {
            Some(matches) => matches,
            None => filter.try_matches_in(stored.document(arena), environment)?,
        };
        if matches {
            matched.push((record, stored));
        }
    }
    Ok((matched, docs_examined))
}

/// The positions of the matched documents a find returns: sorted (only as far as skip + limit reaches), then the
/// skip/limit window. A limit of 0 means none; a negative limit counts like its absolute value.
fn window(sort: Option<&SortSpec>, matched: &[StoredRecord<'_>], options: &FindOptions) -> Vec<usize> {
    let skip = usize::try_from(options.skip).unwrap_or(usize::MAX);
    let limit = match usize::try_from(options.limit.unsigned_abs()).unwrap_or(usize::MAX) {
        0 => usize::MAX,
        limit => limit,
    };
    let order: Vec<usize> = match sort {
        Some(sort) => sort.order_first_stored(matched, skip.saturating_add(limit)),
        None => (0..matched.len()).collect(),
    };
    order.into_iter().skip(skip).take(limit).collect()
}

/// How many matches an unsorted find needs before it can stop (`skip + limit`); a sort needs them all.
fn match_cap(sort: Option<&SortSpec>, options: &FindOptions) -> usize {
    let sorted = sort.is_some_and(|s| !s.is_empty() || s.natural_order().is_some());
    if sorted || options.limit == 0 {
        return usize::MAX;
    }
    let skip = usize::try_from(options.skip).unwrap_or(usize::MAX);
    let limit = usize::try_from(options.limit.unsigned_abs()).unwrap_or(usize::MAX);
    skip.saturating_add(limit)
}

/// A stored record whose bytes do not parse where they were checked to (storage hands checked bytes only).
fn malformed_record(record: u64) -> MongoError {
    MongoError::new(ErrorCode::UnknownError, format!("record {record} is not valid BSON"))
}

/// The document with `_id` as its first field, generating an ObjectId when there is none (what the driver does).
pub fn with_id_first(doc: Document, generator: &mut Generator) -> Document {
    if doc.keys().next().is_some_and(|k| k == "_id") {
        return doc;
    }
    let mut out = Document::new();
    let id = doc.get("_id").cloned().unwrap_or_else(|| Bson::ObjectId(generator.object_id()));
    out.insert("_id", id);
    for (key, value) in doc {
        if key != "_id" {
            out.insert(key, value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn users() -> (Collection, Generator) {
        let mut generator = Generator::deterministic(1);
        let mut users = Collection::new("shop", "users");
        for d in [
            doc! {"_id": 1, "username": "ada", "age": 36},
            doc! {"_id": 2, "username": "alan", "age": 41},
            doc! {"_id": 3, "username": "grace", "age": 85},
        ] {
            users.insert_one(d, &mut generator).unwrap();
        }
        (users, generator)
    }

    #[test]
    fn insert_generates_an_object_id_first() {
        let mut generator = Generator::deterministic(1);
        let mut c = Collection::new("shop", "users");
        let (result, changes) = c.insert_one(doc! {"username": "ada"}, &mut generator).unwrap();
        assert!(matches!(result.inserted_id, Bson::ObjectId(_)));
        let stored = c.documents().next().unwrap();
        assert_eq!(stored.keys().next().map(String::as_str), Some("_id"));
        assert_eq!(changes.len(), 1);
    }

    #[test]
    fn duplicate_id_is_e11000_and_changes_nothing() {
        let (mut c, mut generator) = users();
        let err = c.insert_one(doc! {"_id": 1, "username": "again"}, &mut generator).unwrap_err();
        assert_eq!(err.message, "E11000 duplicate key error collection: shop.users index: _id_ dup key: { _id: 1 }");
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn ordered_insert_many_stops_at_the_first_error() {
        let (mut c, mut generator) = users();
        let (result, changes) =
            c.insert_many(vec![doc! {"_id": 4}, doc! {"_id": 1}, doc! {"_id": 5}], true, &mut generator);
        let err = result.unwrap_err();
        assert_eq!(err.result.inserted_ids.len(), 1);
        assert_eq!(err.write_errors[0].0, 1);
        assert_eq!(changes.len(), 1);
        assert_eq!(c.len(), 4);
        let (result, _) = c.insert_many(vec![doc! {"_id": 6}, doc! {"_id": 1}, doc! {"_id": 7}], false, &mut generator);
        assert_eq!(result.unwrap_err().result.inserted_ids.len(), 2, "unordered goes on past errors");
    }

    #[test]
    fn unique_index_is_used_and_enforced() {
        let (mut c, mut generator) = users();
        let (name, _) = c.create_index(&doc! {"username": 1}, true, None).unwrap();
        assert_eq!(name, "username_1");
        let (docs, plan) = c.find_with_plan(&doc! {"username": "alan"}, &FindOptions::default()).unwrap();
        assert_eq!(docs, vec![doc! {"_id": 2, "username": "alan", "age": 41}]);
        assert_eq!(plan.index.as_ref().map(|(n, _)| n.as_str()), Some("username_1"));
        assert_eq!((plan.keys_examined, plan.docs_examined), (1, 1));
        let err = c.insert_one(doc! {"username": "ada"}, &mut generator).unwrap_err();
        assert_eq!(
            err.message,
            r#"E11000 duplicate key error collection: shop.users index: username_1 dup key: { username: "ada" }"#
        );
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn unique_index_over_duplicates_is_refused() {
        let (mut c, mut generator) = users();
        c.insert_one(doc! {"username": "ada"}, &mut generator).unwrap();
        assert_eq!(c.create_index(&doc! {"username": 1}, true, None).unwrap_err().code, 11000);
        assert_eq!(c.indexes().len(), 1);
    }

    #[test]
    fn collection_scan_examines_every_document() {
        let (c, _) = users();
        let (docs, plan) = c.find_with_plan(&doc! {"age": {"$gt": 40}}, &FindOptions::default()).unwrap();
        assert_eq!(docs.len(), 2);
        assert!(plan.index.is_none());
        assert_eq!(plan.docs_examined, 3);
    }

    #[test]
    fn find_sorts_skips_limits_and_projects() {
        let (c, _) = users();
        let options = FindOptions {
            projection: Some(doc! {"username": 1, "_id": 0}),
            sort: Some(doc! {"age": -1}),
            skip: 1,
            limit: 1,
        };
        assert_eq!(c.find(&doc! {}, &options).unwrap(), vec![doc! {"username": "alan"}]);
    }

    #[test]
    fn delete_one_and_many() {
        let (mut c, _) = users();
        let (result, changes) = c.delete(&doc! {"age": {"$gt": 40}}, false).unwrap();
        assert_eq!(result.deleted_count, 1);
        assert_eq!(changes.len(), 1);
        let (result, _) = c.delete(&doc! {}, true).unwrap();
        assert_eq!(result.deleted_count, 2);
        assert!(c.is_empty());
    }

    #[test]
    fn count_distinct_and_estimated_count() {
        let (mut c, mut generator) = users();
        c.insert_one(doc! {"_id": 4, "tags": ["a", "b"], "age": 36}, &mut generator).unwrap();
        assert_eq!(c.count_documents(&doc! {"age": 36}, 0, 0).unwrap(), 2);
        assert_eq!(c.count_documents(&doc! {}, 1, 2).unwrap(), 2);
        assert_eq!(c.estimated_document_count(), 4);
        assert_eq!(c.distinct("age", &doc! {}).unwrap(), vec![Bson::Int32(36), Bson::Int32(41), Bson::Int32(85)]);
        assert_eq!(c.distinct("tags", &doc! {}).unwrap(), vec![Bson::String("a".into()), Bson::String("b".into())]);
    }

    #[test]
    fn bad_filters_are_errors_not_panics() {
        let (c, _) = users();
        let err = c.find(&doc! {"age": {"$gtr": 1}}, &FindOptions::default()).unwrap_err();
        assert_eq!(err.message, "unknown operator: $gtr");
    }

    fn ops(update: Document) -> Update {
        Update::compile_operators(&update, &[]).unwrap()
    }

    #[test]
    fn update_one_and_many_count_matches_and_modifications() {
        let (mut c, mut generator) = users();
        let (result, changes) =
            c.update(&doc! {"age": {"$gt": 30}}, &ops(doc! {"$set": {"premium": true}}), true, false, &mut generator);
        let result = result.unwrap();
        assert_eq!((result.matched_count, result.modified_count), (3, 3));
        assert_eq!(changes.len(), 3);
        let (result, changes) =
            c.update(&doc! {"_id": 1}, &ops(doc! {"$set": {"premium": true}}), false, false, &mut generator);
        assert_eq!((result.unwrap().modified_count, changes.len()), (0, 0), "an equal value is not a modification");
    }

    #[test]
    fn upsert_inserts_from_the_filter_seed() {
        let (mut c, mut generator) = users();
        let update = ops(doc! {"$set": {"age": 20}, "$setOnInsert": {"premium": false}});
        let (result, changes) = c.update(&doc! {"username": "linus"}, &update, false, true, &mut generator);
        let result = result.unwrap();
        assert_eq!(result.matched_count, 0);
        assert!(matches!(result.upserted_id, Some(Bson::ObjectId(_))));
        assert_eq!(changes.len(), 1);
        let stored = c.find_one(&doc! {"username": "linus"}, &FindOptions::default()).unwrap().unwrap();
        assert_eq!(stored.keys().collect::<Vec<_>>(), vec!["_id", "username", "age", "premium"]);
    }

    #[test]
    fn update_breaking_a_unique_index_fails_and_keeps_the_document() {
        let (mut c, mut generator) = users();
        c.create_index(&doc! {"username": 1}, true, None).unwrap();
        let (result, changes) =
            c.update(&doc! {"_id": 2}, &ops(doc! {"$set": {"username": "ada"}}), false, false, &mut generator);
        assert_eq!(result.unwrap_err().code, 11000);
        assert!(changes.is_empty());
        assert_eq!(
            c.find_one(&doc! {"_id": 2}, &FindOptions::default()).unwrap().unwrap().get_str("username").unwrap(),
            "alan"
        );
    }

    #[test]
    fn changes_share_the_stored_documents_instead_of_copying_them() {
        let (mut c, mut generator) = users();
        let (_, inserted) = c.insert_one(doc! {"_id": 7, "username": "grace"}, &mut generator).unwrap();
        let [Change::Inserted { record, doc }] = inserted.as_slice() else { panic!("{inserted:?}") };
        assert!(std::ptr::eq(c.get_record(*record).unwrap(), &**doc));
        let (result, updated) =
            c.update(&doc! {"_id": 7}, &ops(doc! {"$set": {"age": 85}}), false, false, &mut generator);
        assert_eq!(result.unwrap().modified_count, 1);
        let [Change::Updated { record, before, after }] = updated.as_slice() else { panic!("{updated:?}") };
        assert!(std::ptr::eq(c.get_record(*record).unwrap(), &**after));
        assert!(Arc::ptr_eq(before, doc), "the old document moves into the change");
        assert_eq!(**after, doc! {"_id": 7, "username": "grace", "age": 85});
        assert_eq!(**before, doc! {"_id": 7, "username": "grace"});
    }

    #[test]
    fn replace_one_keeps_the_id() {
        let (mut c, mut generator) = users();
        let replacement = Update::compile_replacement(&doc! {"username": "ada lovelace"}).unwrap();
        let (result, _) = c.update(&doc! {"_id": 1}, &replacement, false, false, &mut generator);
        assert_eq!(result.unwrap().modified_count, 1);
        assert_eq!(
            c.find_one(&doc! {"_id": 1}, &FindOptions::default()).unwrap(),
            Some(doc! {"_id": 1, "username": "ada lovelace"})
        );
    }

    #[test]
    fn positional_operator_uses_the_matched_element() {
        let mut generator = Generator::deterministic(1);
        let mut c = Collection::new("shop", "posts");
        c.insert_one(doc! {"_id": 1, "comments": [{"by": 1, "votes": 0}, {"by": 2, "votes": 5}]}, &mut generator)
            .unwrap();
        let (result, _) = c.update(
            &doc! {"comments.by": 2},
            &ops(doc! {"$inc": {"comments.$.votes": 1}}),
            false,
            false,
            &mut generator,
        );
        assert_eq!(result.unwrap().modified_count, 1);
        assert_eq!(
            c.find_one(&doc! {}, &FindOptions::default()).unwrap().unwrap(),
            doc! {"_id": 1, "comments": [{"by": 1, "votes": 0}, {"by": 2, "votes": 6}]}
        );
    }

    #[test]
    fn positional_projection_shows_the_matched_element_in_find_and_find_and_modify() {
        let mut generator = Generator::deterministic(1);
        let mut c = Collection::new("shop", "posts");
        c.insert_one(doc! {"_id": 1, "comments": [{"votes": 0}, {"votes": 5}]}, &mut generator).unwrap();
        let filter = doc! {"comments.votes": {"$gte": 2}};
        let projection = doc! {"comments.$": 1};
        let options = FindOptions { projection: Some(projection.clone()), ..FindOptions::default() };
        assert_eq!(c.find(&filter, &options).unwrap(), vec![doc! {"_id": 1, "comments": [{"votes": 5}]}]);
        let modify = FindAndModifyOptions {
            projection: Some(projection.clone()),
            return_document: ReturnDocument::After,
            ..FindAndModifyOptions::default()
        };
        let (after, _) =
            c.find_one_and_update(&filter, &ops(doc! {"$inc": {"comments.$.votes": 1}}), &modify, &mut generator);
        assert_eq!(after.unwrap(), Some(doc! {"_id": 1, "comments": [{"votes": 6}]}));
        let (deleted, _) = c.find_one_and_delete(&filter, None, Some(&projection)).unwrap();
        assert_eq!(deleted, Some(doc! {"_id": 1, "comments": [{"votes": 6}]}));
        let unrelated = FindOptions { projection: Some(projection), ..FindOptions::default() };
        assert_eq!(c.find(&doc! {"x": 1}, &unrelated).unwrap_err().code, 31277, "the query must test the array");
    }

    #[test]
    fn find_one_and_update_returns_before_or_after() {
        let (mut c, mut generator) = users();
        let options = FindAndModifyOptions { sort: Some(doc! {"age": -1}), ..FindAndModifyOptions::default() };
        let (before, _) = c.find_one_and_update(&doc! {}, &ops(doc! {"$inc": {"age": 1}}), &options, &mut generator);
        assert_eq!(before.unwrap(), Some(doc! {"_id": 3, "username": "grace", "age": 85}));
        let options = FindAndModifyOptions {
            return_document: ReturnDocument::After,
            projection: Some(doc! {"age": 1}),
            ..options
        };
        let (after, _) =
            c.find_one_and_update(&doc! {"_id": 3}, &ops(doc! {"$inc": {"age": 1}}), &options, &mut generator);
        assert_eq!(after.unwrap(), Some(doc! {"_id": 3, "age": 87}));
        let (deleted, changes) = c.find_one_and_delete(&doc! {}, Some(&doc! {"age": 1}), None).unwrap();
        assert_eq!(deleted, Some(doc! {"_id": 1, "username": "ada", "age": 36}));
        assert_eq!(changes.len(), 1);
    }

    #[test]
    fn indexes_list_and_drop() {
        let (mut c, _) = users();
        c.create_index(&doc! {"age": -1}, false, None).unwrap();
        assert_eq!(
            c.list_indexes(),
            vec![doc! {"v": 2, "key": {"_id": 1}, "name": "_id_"}, doc! {"v": 2, "key": {"age": -1}, "name": "age_-1"}]
        );
        assert_eq!(c.drop_index("_id_").unwrap_err().message, "cannot drop _id index");
        c.drop_index("age_-1").unwrap();
        assert_eq!(c.drop_index("age_-1").unwrap_err().message, "index not found with name [age_-1]");
    }

    #[test]
    fn records_read_from_storage_keep_their_bytes_unless_a_name_repeats() {
        let mut c = Collection::new("shop", "users");
        let bytes = super::super::raw::encode(&doc! {"_id": 1, "age": 36}).unwrap();
        let decoded = super::super::raw::RawDoc::new(&bytes).unwrap().decode().unwrap();
        assert!(!decoded.repeats_a_name);
        c.restore_encoded(1, decoded, &bytes).unwrap();
        assert_eq!(c.encoded_records_in(0..10).collect::<Vec<_>>(), vec![(1, &bytes[..])]);
        // {_id: 2, age: 1, age: 40}, as a damaged record might hold it: the tree keeps the last age, and so must
        // every scan; the bytes kept are the tree's.
        let repeated: Vec<u8> = [
            &[32u8, 0, 0, 0][..],
            &[0x10, b'_', b'i', b'd', 0, 2, 0, 0, 0],
            &[0x10, b'a', b'g', b'e', 0, 1, 0, 0, 0],
            &[0x10, b'a', b'g', b'e', 0, 40, 0, 0, 0],
            &[0],
        ]
        .concat();
        let tree = Document::from_reader(repeated.as_slice()).unwrap();
        assert_eq!(tree.get_i32("age").unwrap(), 40);
        let decoded = super::super::raw::RawDoc::new(&repeated).unwrap().decode().unwrap();
        assert_eq!(decoded.document, tree, "the walker decodes as bson's reader does");
        assert!(decoded.repeats_a_name);
        c.restore_encoded(2, decoded, &repeated).unwrap();
        let found = c.find(&doc! {"age": 40}, &FindOptions::default()).unwrap();
        assert_eq!(found, vec![tree.clone()]);
        assert!(c.find(&doc! {"age": 1}, &FindOptions::default()).unwrap().is_empty());
        assert_eq!(
            c.encoded_records_in(2..3).map(|(_, b)| b.to_vec()).collect::<Vec<_>>(),
            vec![tree.to_vec().unwrap()]
        );
    }

    #[test]
    fn the_bytes_stay_the_documents_through_updates_deletes_and_compaction() {
        let mut generator = Generator::deterministic(1);
        let mut c = Collection::new("shop", "users");
        let padding = "x".repeat(1000);
        let docs: Vec<Document> = (0..3000).map(|i| doc! {"_id": i, "n": i % 7, "pad": padding.clone()}).collect();
        let _ = c.insert_many(docs, true, &mut generator);
        c.update(
            &doc! {"n": 3},
            &Update::compile_operators(&doc! {"$set": {"n": 30}}, &[]).unwrap(),
            true,
            false,
            &mut generator,
        )
        .0
        .unwrap();
        // Deleting two thirds leaves more garbage than live bytes: the arena is compacted on the way.
        c.delete(&doc! {"_id": {"$lt": 2000}}, true).unwrap();
        assert_eq!(c.len(), 1000);
        for ((record, bytes), (same, document)) in c.encoded_records_in(0..u64::MAX).zip(c.records()) {
            assert_eq!(record, same);
            assert_eq!(bytes, document.to_vec().unwrap().as_slice());
        }
        assert!(c.arena.live_bytes() < 1100 * 1000);
        assert!(c.arena.garbage_bytes() < c.arena.live_bytes(), "compacted");
        assert_eq!(c.count_documents(&doc! {"n": 30}, 0, 0).unwrap(), 143);
    }

    /// A collection loaded as storage loads exact bytes (no trees), beside the same documents inserted.
    fn loaded_without_trees(docs: &[Document]) -> Collection {
        let mut c = Collection::new("shop", "users");
        c.create_index(&doc! {"profile.city": 1, "age": -1}, false, None).unwrap();
        for (record, doc) in docs.iter().enumerate() {
            let bytes = doc.to_vec().unwrap();
            assert!(RawDoc::new(&bytes).unwrap().check_stored().unwrap().exact());
            c.restore_unchecked_tree(record as u64 + 1, &bytes).unwrap();
        }
        c
    }

    fn trees(c: &Collection) -> usize {
        c.records.values().filter(|stored| stored.tree.get().is_some()).count()
    }

    #[test]
    fn records_loaded_as_bytes_decode_their_trees_only_when_something_needs_them() {
        let docs: Vec<Document> = (0..50)
            .map(|i: i32| {
                let city = ["Paris", "Oslo", "Lima"][i as usize % 3];
                doc! {"_id": i, "age": i % 9, "profile": {"city": city}}
            })
            .collect();
        let mut c = loaded_without_trees(&docs);
        let mut eager = Collection::new("shop", "users");
        eager.create_index(&doc! {"profile.city": 1, "age": -1}, false, None).unwrap();
        let _ = eager.insert_many(docs.clone(), true, &mut Generator::deterministic(1));
        assert_eq!(trees(&c), 0, "loading decodes nothing");
        // Scans, counts, sorts and index builds read the bytes (and the few fields an index names).
        let count = |c: &Collection| c.count_documents(&doc! {"age": {"$gte": 4}}, 0, 0).unwrap();
        assert_eq!((count(&c), count(&eager)), (26, 26));
        c.create_index(&doc! {"age": 1}, false, None).unwrap();
        eager.create_index(&doc! {"age": 1}, false, None).unwrap();
        let top = FindOptions { sort: Some(doc! {"age": -1, "_id": 1}), limit: 3, ..FindOptions::default() };
        let found = c.find_refs(&doc! {}, &top).unwrap().into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(found, eager.find_refs(&doc! {}, &top).unwrap().into_iter().cloned().collect::<Vec<_>>());
        assert_eq!(trees(&c), 3, "only the returned documents were decoded");
        // Indexes built from the bytes answer as the ones built from trees.
        for filter in [doc! {"profile.city": "Oslo"}, doc! {"age": 2}, doc! {"profile.city": "Lima", "age": {"$lt": 4}}]
        {
            let (lazy, plan) = c.find_with_plan(&filter, &FindOptions::default()).unwrap();
            let (tree, same) = eager.find_with_plan(&filter, &FindOptions::default()).unwrap();
            assert_eq!(lazy, tree, "{filter}");
            assert_eq!((plan.index, plan.keys_examined), (same.index, same.keys_examined), "{filter}");
        }
        // Writes on a record without a tree: the change holds its document, and the indexes forget its keys.
        let inc = Update::compile_operators(&doc! {"$inc": {"age": 100}}, &[]).unwrap();
        for c in [&mut c, &mut eager] {
            let (result, changes) = c.update(&doc! {"_id": 40}, &inc, false, false, &mut Generator::deterministic(2));
            assert_eq!(result.unwrap().modified_count, 1);
            let [Change::Updated { before, .. }] = changes.as_slice() else { panic!("{changes:?}") };
            assert_eq!(**before, docs[40]);
            let (_, deleted) = c.delete(&doc! {"profile.city": "Paris"}, true).unwrap();
            assert_eq!(deleted.len(), 17);
            let [Change::Deleted { doc, .. }, ..] = deleted.as_slice() else { panic!("{deleted:?}") };
            assert_eq!(**doc, docs[0]);
        }
        for filter in [doc! {"profile.city": "Paris"}, doc! {"age": 104}, doc! {"age": 4}, doc! {}] {
            let lazy = c.find_with_plan(&filter, &FindOptions::default()).unwrap();
            let tree = eager.find_with_plan(&filter, &FindOptions::default()).unwrap();
            assert_eq!(lazy.0, tree.0, "{filter}");
            assert_eq!(lazy.1.keys_examined, tree.1.keys_examined, "{filter}");
        }
        assert_eq!(c.len(), 33);
    }

    #[test]
    fn records_restored_as_bytes_over_themselves_survive_compaction() {
        // Each restore over a record releases its old bytes; enough of them compact the arena on the way.
        let mut c = Collection::new("shop", "users");
        let padding = "x".repeat(4000);
        for round in 0..600 {
            let record = round % 3 + 1;
            let doc = doc! {"_id": record as i64, "round": round as i64, "pad": padding.clone()};
            c.restore_unchecked_tree(record, &doc.to_vec().unwrap()).unwrap();
        }
        assert!(c.arena.garbage_bytes() <= (1 << 20) + c.arena.live_bytes(), "compacted on the way");
        assert_eq!(c.len(), 3);
        for ((record, bytes), (same, document)) in c.encoded_records_in(0..u64::MAX).zip(c.records()) {
            assert_eq!(record, same);
            assert_eq!(bytes, document.to_vec().unwrap().as_slice());
            assert_eq!(document.get_i64("round").unwrap(), 597 + record as i64 - 1);
        }
        assert_eq!(c.find(&doc! {"_id": 2_i64}, &FindOptions::default()).unwrap().len(), 1, "through the _id index");
    }

    #[test]
    fn the_data_size_is_the_documents_bson_size() {
        let (mut c, _) = users();
        let loaded = doc! {"_id": 9, "bio": "loaded as bytes"};
        c.restore_unchecked_tree(9, &loaded.to_vec().unwrap()).unwrap();
        let expected: usize = c.documents().map(|d| d.to_vec().unwrap().len()).sum();
        assert_eq!(c.data_size(), expected);
        assert_eq!(c.len(), 4);
        assert!(expected > 4 * 5, "four non-empty documents");
    }

    #[test]
    fn a_record_loaded_as_bytes_breaking_a_unique_index_is_refused_as_a_tree_would_be() {
        let mut c = Collection::new("shop", "users");
        c.create_index(&doc! {"email": 1}, true, None).unwrap();
        c.restore_unchecked_tree(1, &doc! {"_id": 1, "email": "a@x"}.to_vec().unwrap()).unwrap();
        let error = c.restore_unchecked_tree(2, &doc! {"_id": 2, "email": "a@x"}.to_vec().unwrap()).unwrap_err();
        let mut eager = Collection::new("shop", "users");
        eager.create_index(&doc! {"email": 1}, true, None).unwrap();
        eager.restore_record(1, doc! {"_id": 1, "email": "a@x"}).unwrap();
        assert_eq!(error, eager.restore_record(2, doc! {"_id": 2, "email": "a@x"}).unwrap_err());
        assert_eq!(c.len(), 1);
        assert_eq!(trees(&c), 0);
    }

    #[test]
    fn a_sparse_unique_index_skips_documents_without_the_field_and_is_not_planned_for_null() {
        // MongoDB's "Sparse Indexes": documents without the field are not indexed, so a unique sparse index lets
        // several lack it (a plain unique index holds one null); `{ email: null }` can match them, so the planner
        // leaves the sparse index out.
        let (mut c, mut generator) = users();
        let options = IndexOptions { unique: true, sparse: true, expire_after_seconds: None };
        c.create_index_with(&doc! {"email": 1}, &options, None).unwrap();
        c.insert_one(doc! {"_id": 4, "email": "ada@x"}, &mut generator).unwrap();
        let err = c.insert_one(doc! {"_id": 5, "email": "ada@x"}, &mut generator).unwrap_err();
        assert_eq!(err.code, 11000);
        c.insert_one(doc! {"_id": 6, "email": null}, &mut generator).unwrap();
        assert_eq!(
            c.insert_one(doc! {"_id": 7, "email": null}, &mut generator).unwrap_err().code,
            11000,
            "null is a key"
        );
        assert_eq!(c.indexes()[1].len(), 2, "ada@x and null; the three without email are not in it");
        let (found, plan) = c.find_with_plan(&doc! {"email": null}, &FindOptions::default()).unwrap();
        assert_eq!((found.len(), plan.index), (4, None));
        let (found, plan) = c.find_with_plan(&doc! {"email": "ada@x"}, &FindOptions::default()).unwrap();
        assert_eq!((found.len(), plan.index.map(|(name, _)| name)), (1, Some("email_1".to_string())));
        assert_eq!(
            c.list_indexes()[1],
            doc! {"v": 2, "key": {"email": 1}, "name": "email_1", "unique": true, "sparse": true}
        );
        // A plain unique index refuses a second document without the field: both index as null.
        let mut plain = Collection::new("shop", "plain");
        plain.create_index(&doc! {"email": 1}, true, None).unwrap();
        plain.insert_one(doc! {"_id": 1}, &mut generator).unwrap();
        assert_eq!(plain.insert_one(doc! {"_id": 2}, &mut generator).unwrap_err().code, 11000);
    }

    #[test]
    fn ttl_options_are_checked_as_the_server_checks_them() {
        let (mut c, _) = users();
        let ttl = |seconds: Bson| IndexOptions { expire_after_seconds: Some(seconds), ..IndexOptions::default() };
        let refused = |c: &mut Collection, keys: Document, seconds: Bson| {
            c.create_index_with(&keys, &ttl(seconds), None).unwrap_err().message
        };
        assert_eq!(
            refused(&mut c, doc! {"at": 1}, Bson::String("60".into())),
            "TTL index 'expireAfterSeconds' option must be numeric, but received a type of 'string'"
        );
        assert_eq!(
            refused(&mut c, doc! {"at": 1, "b": 1}, Bson::Int32(60)),
            "TTL indexes are single-field indexes, compound indexes do not support TTL"
        );
        let (name, changes) = c.create_index_with(&doc! {"at": 1}, &ttl(Bson::Int32(60)), None).unwrap();
        assert_eq!(name, "at_1");
        assert!(matches!(&changes[0], Change::IndexCreated { options, .. } if options.expire_after_seconds.is_some()));
        assert_eq!(c.list_indexes()[1], doc! {"v": 2, "key": {"at": 1}, "name": "at_1", "expireAfterSeconds": 60});
    }
}
