//! Find projections (`{name: 1, _id: 0}`, `{"profile.langs": 0}`, `{arr: {$slice: -2}}`, `{arr: {$elemMatch: ...}}`)
//! with MongoDB's (4.4+) rules for `_id`, dotted paths, arrays and mixing inclusion with exclusion.

use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::Expression;
use crate::engine::query::Filter;
use bson::{Bson, Document};

/// How deeply nested sub-projections (`{a: {b: {c: 1}}}`) may go.
const MAX_PROJECTION_DEPTH: usize = 100;

/// A compiled projection.
#[derive(Debug, Clone)]
pub struct Projection {
    mode: Mode,
    items: Vec<(String, Item)>,
    include_id: bool,
    positional: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No projection: documents are returned whole.
    Identity,
    /// Only the listed fields (and `_id` unless excluded).
    Inclusion,
    /// Everything except the listed fields.
    Exclusion,
}

#[derive(Debug, Clone)]
enum Item {
    Include,
    Exclude,
    /// `$slice`: `skip` is `None` for the one-number form (`n` first or `-n` last elements).
    Slice {
        skip: Option<i64>,
        limit: i64,
    },
    /// `$elemMatch`: the first element matching the filter `{<field>: {$elemMatch: ...}}`.
    ElemMatch(Box<Filter>),
    /// `"field.$": 1`: the element of the array the query matched (see [`Projection::apply_with_position`]).
    Positional,
    /// A computed field (`{full: {$concat: [...]}}`, `{label: "x"}`), evaluated against the whole document.
    Computed(Expression),
    Nested(Vec<(String, Item)>),
}

struct Builder {
    mode: Mode,
    items: Vec<(String, Item)>,
    include_id: Option<bool>,
    positional: Option<String>,
    has_elem_match: bool,
    has_slice: bool,
}

impl Projection {
    /// Compiles a projection document. An empty document is no projection.
    pub fn compile(spec: &Document) -> MongoResult<Projection> {
        let mut builder = Builder {
            mode: Mode::Identity,
            items: Vec::new(),
            include_id: None,
            positional: None,
            has_elem_match: false,
            has_slice: false,
        };
        builder.add_fields(spec, "", 0)?;
        let Builder { mut mode, items, include_id, positional, has_elem_match, has_slice } = builder;
        // find()'s defaults when no field fixed the kind: "The $slice projection by itself is
        // considered an exclusion", $elemMatch alone is an inclusion, and `{_id: 0}` excludes.
        if mode == Mode::Identity && !spec.is_empty() {
            mode = if has_elem_match && !has_slice { Mode::Inclusion } else { Mode::Exclusion };
        }
        Ok(Projection { mode, items, include_id: include_id.unwrap_or(true), positional })
    }

    /// Applies the projection to one document.
    pub fn apply(&self, doc: &Document) -> Document {
        self.apply_with_position(doc, None)
    }

    /// The array path of a positional projection (`"grades"` for `{"grades.$": 1}`), if there is one.
    /// The caller then passes the position from [`Filter::matches_positional`] to [`Projection::apply_with_position`].
    pub fn positional_path(&self) -> Option<&str> {
        self.positional.as_deref()
    }

    /// Checks that a positional projection's array is constrained by the query, as MongoDB requires.
    pub fn check_positional_against(&self, filter: &Filter) -> MongoResult<()> {
        let Some(path) = &self.positional else {
            return Ok(());
        };
        let top = path.split('.').next().unwrap_or_default();
        let constrained = filter.paths().iter().any(|tested| tested.split('.').next() == Some(top));
        if constrained {
            Ok(())
        } else {
            Err(MongoError::new(
                ErrorCode::Location(31277),
                format!("Positional projection '{path}.$' does not match the query document."),
            ))
        }
    }

    /// Compiles a find projection together with its query, so a positional (`.$`) projection is checked
    /// against the query as MongoDB does (error 31277 when the query does not test that array).
    pub fn compile_for_query(spec: &Document, filter: &Filter) -> MongoResult<Projection> {
        let projection = Projection::compile(spec)?;
        projection.check_positional_against(filter)?;
        Ok(projection)
    }

    /// Applies the projection to a document the filter matched, finding the positional (`.$`) element
    /// from the filter when the projection has one.
    pub fn apply_matched(&self, doc: &Document, filter: &Filter) -> Document {
        let position = match self.positional {
            Some(_) => filter.matches_positional(doc).flatten(),
            None => None,
        };
        self.apply_with_position(doc, position)
    }

    /// Applies the projection; `position` is the matched array index for a positional (`.$`) projection.
    /// Without a position, or past the array's end, the positional field is left out.
    pub fn apply_with_position(&self, doc: &Document, position: Option<usize>) -> Document {
        match self.mode {
            Mode::Identity => doc.clone(),
            Mode::Inclusion => {
                let mut out = include_level(doc, &self.items, Some(self.include_id), 0, position);
                add_computed(&mut out, &self.items, doc, 0);
                out
            }
            Mode::Exclusion => exclude_level(doc, &self.items, Some(self.include_id), 0, position),
        }
    }

    /// True when the projection returns documents unchanged.
    pub fn is_identity(&self) -> bool {
        self.mode == Mode::Identity
    }
}

fn is_flag(value: &Bson) -> Option<bool> {
    match value {
        Bson::Boolean(b) => Some(*b),
        Bson::Int32(i) => Some(*i != 0),
        Bson::Int64(i) => Some(*i != 0),
        Bson::Double(d) => Some(*d != 0.0),
        Bson::Decimal128(_) => crate::engine::value::as_f64(value).map(|d| d != 0.0),
        _ => None,
    }
}

impl Builder {
    fn set_mode(&mut self, wanted: Mode, path: &str) -> MongoResult<()> {
        match (self.mode, wanted) {
            (Mode::Inclusion, Mode::Exclusion) => Err(MongoError::new(
                ErrorCode::Location(31254),
                format!("Cannot do exclusion on field {path} in inclusion projection"),
            )),
            (Mode::Exclusion, Mode::Inclusion) => Err(MongoError::new(
                ErrorCode::Location(31253),
                format!("Cannot do inclusion on field {path} in exclusion projection"),
            )),
            _ => {
                self.mode = wanted;
                Ok(())
            }
        }
    }

    fn add_fields(&mut self, spec: &Document, prefix: &str, depth: usize) -> MongoResult<()> {
        if depth > MAX_PROJECTION_DEPTH {
            return Err(MongoError::bad_value(format!("projection nests deeper than {MAX_PROJECTION_DEPTH} levels")));
        }
        for (key, value) in spec {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            if key.starts_with('$') {
                return Err(MongoError::new(
                    ErrorCode::Location(16410),
                    format!("FieldPath field names may not start with '$'. Consider using $getField or $setField. Field: {key}"),
                ));
            }
            crate::engine::path::FieldPath::parse_checked(&path)?;
            if let Some(base) = path.strip_suffix(".$") {
                self.add_positional(&path, base, value)?;
                continue;
            }
            if path.contains(".$.") || path.ends_with('$') {
                return Err(MongoError::bad_value(format!(
                    "Positional projection '{path}' must end with '.$' and use it once."
                )));
            }
            if path.split('.').any(str::is_empty) {
                return Err(MongoError::new(
                    ErrorCode::Location(15998),
                    "FieldPath field names may not be empty strings.",
                ));
            }
            let item = match value {
                _ if is_flag(value).is_some() => {
                    let include = is_flag(value) == Some(true);
                    if path == "_id" {
                        self.include_id = Some(include);
                        // `_id: 1` makes the projection an inclusion; `_id: 0` fits either kind.
                        if include {
                            self.set_mode(Mode::Inclusion, &path)?;
                        }
                        continue;
                    }
                    if include {
                        self.set_mode(Mode::Inclusion, &path)?;
                        Item::Include
                    } else {
                        self.set_mode(Mode::Exclusion, &path)?;
                        Item::Exclude
                    }
                }
                Bson::Document(sub) => match sub.keys().next().map(String::as_str) {
                    Some("$slice") => {
                        self.has_slice = true;
                        parse_slice(sub.get("$slice").unwrap_or(&Bson::Null))?
                    }
                    Some("$elemMatch") => {
                        let condition = sub.get("$elemMatch").unwrap_or(&Bson::Null);
                        if !matches!(condition, Bson::Document(_)) {
                            return Err(MongoError::new(
                                ErrorCode::Location(31274),
                                format!(
                                    "elemMatch: Invalid argument, object required, but got {}",
                                    crate::engine::value::type_name(condition)
                                ),
                            ));
                        }
                        if path.contains('.') {
                            return Err(MongoError::new(
                                ErrorCode::Location(31275),
                                "Cannot use $elemMatch projection on a nested field.",
                            ));
                        }
                        let mut filter = Document::new();
                        let mut elem_match = Document::new();
                        elem_match.insert("$elemMatch", condition.clone());
                        filter.insert(path.clone(), elem_match);
                        if self.positional.is_some() {
                            return Err(MongoError::new(
                                ErrorCode::Location(31255),
                                "Cannot specify positional operator and $elemMatch.",
                            ));
                        }
                        self.has_elem_match = true;
                        Item::ElemMatch(Box::new(Filter::compile(&filter)?))
                    }
                    Some("$meta") => {
                        return Err(MongoError::bad_value(
                            "$meta projections are not supported by crudlab (there is no text search)",
                        ))
                    }
                    Some(first) if first.starts_with('$') => {
                        self.computed()?;
                        Item::Computed(Expression::parse(value)?)
                    }
                    Some(_) => {
                        self.add_fields(sub, &path, depth + 1)?;
                        continue;
                    }
                    None => {
                        return Err(MongoError::new(
                            ErrorCode::Location(51270),
                            format!("An empty sub-projection is not a valid value. Found empty object at path {path}"),
                        ))
                    }
                },
                literal => {
                    self.computed()?;
                    Item::Computed(Expression::parse(literal)?)
                }
            };
            insert_item(&mut self.items, &path, item)?;
        }
        Ok(())
    }

    fn add_positional(&mut self, path: &str, base: &str, value: &Bson) -> MongoResult<()> {
        if base.contains(".$") || base == "$" {
            return Err(MongoError::new(
                ErrorCode::Location(31287),
                format!("Cannot use positional operator twice: {path}"),
            ));
        }
        if matches!(value, Bson::Document(_)) {
            return Err(MongoError::new(
                ErrorCode::Location(31271),
                "positional projection cannot be used with an expression",
            ));
        }
        if is_flag(value) != Some(true) {
            return Err(MongoError::bad_value("Cannot exclude array elements with the positional operator."));
        }
        if self.positional.is_some() {
            return Err(MongoError::new(
                ErrorCode::Location(31276),
                "Cannot specify more than one positional projection per query.",
            ));
        }
        if self.has_elem_match {
            return Err(MongoError::new(
                ErrorCode::Location(31256),
                "Cannot specify positional operator and $elemMatch.",
            ));
        }
        self.set_mode(Mode::Inclusion, path)?;
        self.positional = Some(base.to_string());
        insert_item(&mut self.items, base, Item::Positional)
    }

    fn computed(&mut self) -> MongoResult<()> {
        if self.mode == Mode::Exclusion {
            return Err(MongoError::new(
                ErrorCode::Location(31252),
                "Cannot use expression other than $meta in exclusion projection",
            ));
        }
        self.mode = Mode::Inclusion;
        Ok(())
    }
}

fn parse_slice(argument: &Bson) -> MongoResult<Item> {
    // MongoDB reads $slice arguments as 32-bit integers (doubles truncated, out-of-range values clamped).
    let as_int = |v: &Bson| -> Option<i64> {
        let clamp = |d: f64| d.trunc().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i64;
        match v {
            Bson::Int32(i) => Some(i64::from(*i)),
            Bson::Int64(i) => Some((*i).clamp(i64::from(i32::MIN), i64::from(i32::MAX))),
            Bson::Double(d) if d.is_nan() => Some(0),
            Bson::Double(d) => Some(clamp(*d)),
            Bson::Decimal128(_) => crate::engine::value::as_f64(v).map(clamp),
            _ => None,
        }
    };
    let type_of = |v: Option<&Bson>| v.map_or("missing", crate::engine::value::type_name);
    match argument {
        Bson::Array(items) => {
            if items.len() != 2 {
                return Err(MongoError::new(
                    ErrorCode::Location(31272),
                    "$slice array argument should be of form [skip, limit]",
                ));
            }
            let Some(skip) = items.first().and_then(as_int) else {
                return Err(MongoError::new(
                    ErrorCode::Location(31257),
                    format!("$slice expects the skip argument to be a number, got {}", type_of(items.first())),
                ));
            };
            let Some(limit) = items.get(1).and_then(as_int) else {
                return Err(MongoError::new(
                    ErrorCode::Location(31258),
                    format!("$slice expects the limit argument to be a number, got {}", type_of(items.get(1))),
                ));
            };
            if limit <= 0 {
                return Err(MongoError::new(
                    ErrorCode::Location(31259),
                    format!("$slice limit must be positive, got {limit}"),
                ));
            }
            Ok(Item::Slice { skip: Some(skip), limit })
        }
        single => match as_int(single) {
            Some(limit) => Ok(Item::Slice { skip: None, limit }),
            None => Err(MongoError::new(
                ErrorCode::Location(31273),
                "$slice only supports numbers and [skip, limit] arrays",
            )),
        },
    }
}

fn insert_item(items: &mut Vec<(String, Item)>, path: &str, item: Item) -> MongoResult<()> {
    let mut level = items;
    let parts: Vec<&str> = path.split('.').collect();
    let Some((last, parents)) = parts.split_last() else {
        return Ok(());
    };
    for (depth, part) in parents.iter().enumerate() {
        let position = match level.iter().position(|(name, _)| name == part) {
            Some(position) => position,
            None => {
                level.push((part.to_string(), Item::Nested(Vec::new())));
                level.len() - 1
            }
        };
        let Some((_, existing)) = level.get_mut(position) else {
            return Ok(());
        };
        let Item::Nested(children) = existing else {
            let remaining = parts.get(depth + 1..).unwrap_or_default().join(".");
            return Err(MongoError::new(
                ErrorCode::Location(31249),
                format!("Path collision at {path} remaining portion {remaining}"),
            ));
        };
        level = children;
    }
    if level.iter().any(|(name, _)| name == last) {
        return Err(MongoError::new(ErrorCode::Location(31250), format!("Path collision at {path}")));
    }
    level.push((last.to_string(), item));
    Ok(())
}

fn find<'a>(items: &'a [(String, Item)], key: &str) -> Option<&'a Item> {
    items.iter().find(|(name, _)| name == key).map(|(_, item)| item)
}

fn slice_array(items: &[Bson], skip: Option<i64>, limit: i64) -> Vec<Bson> {
    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let (start, count) = match skip {
        None if limit >= 0 => (0, limit),
        None => ((len + limit).max(0), len),
        Some(skip) if skip >= 0 => (skip.min(len), limit),
        Some(skip) => ((len + skip).max(0), limit),
    };
    let start = usize::try_from(start).unwrap_or(usize::MAX);
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    items.iter().skip(start).take(count).cloned().collect()
}

/// The value an item gives an existing field, or `None` to leave the field out.
fn project_special(item: &Item, name: &str, value: &Bson, position: Option<usize>) -> Option<Bson> {
    match item {
        Item::Positional => match value {
            Bson::Array(items) => {
                position.and_then(|index| items.get(index)).map(|found| Bson::Array(vec![found.clone()]))
            }
            _ => None,
        },
        Item::Slice { skip, limit } => Some(match value {
            Bson::Array(items) => Bson::Array(slice_array(items, *skip, *limit)),
            other => other.clone(),
        }),
        Item::ElemMatch(filter) => {
            let Bson::Array(items) = value else {
                return None;
            };
            items
                .iter()
                .find(|item| filter.matches_wrapped(name, &Bson::Array(vec![(*item).clone()])))
                .map(|found| Bson::Array(vec![found.clone()]))
        }
        _ => None,
    }
}

/// Inclusion at one level. `include_id` is `Some` only at the top level.
fn include_level(
    doc: &Document,
    items: &[(String, Item)],
    include_id: Option<bool>,
    depth: usize,
    position: Option<usize>,
) -> Document {
    let mut out = Document::new();
    for (key, value) in doc {
        let item = find(items, key);
        if key == "_id" && item.is_none() {
            if include_id == Some(true) {
                out.insert(key.clone(), value.clone());
            }
            continue;
        }
        match item {
            None | Some(Item::Exclude | Item::Computed(_)) => {}
            Some(Item::Include) => {
                out.insert(key.clone(), value.clone());
            }
            Some(Item::Nested(children)) => {
                if let Some(projected) = include_nested(value, children, depth + 1, position) {
                    out.insert(key.clone(), projected);
                }
            }
            Some(special) => {
                if let Some(projected) = project_special(special, key, value, position) {
                    out.insert(key.clone(), projected);
                }
            }
        }
    }
    out
}

fn include_nested(value: &Bson, children: &[(String, Item)], depth: usize, position: Option<usize>) -> Option<Bson> {
    if depth > MAX_PROJECTION_DEPTH {
        return None;
    }
    match value {
        Bson::Document(inner) => Some(Bson::Document(include_level(inner, children, None, depth, position))),
        Bson::Array(elements) => Some(Bson::Array(
            elements
                .iter()
                .filter_map(|element| match element {
                    Bson::Document(_) | Bson::Array(_) => include_nested(element, children, depth + 1, position),
                    _ => None,
                })
                .collect(),
        )),
        _ => None,
    }
}

/// Adds computed fields after the included ones, as MongoDB does; expressions see the whole document.
fn add_computed(out: &mut Document, items: &[(String, Item)], root: &Document, depth: usize) {
    if depth > MAX_PROJECTION_DEPTH {
        return;
    }
    for (key, item) in items {
        match item {
            Item::Computed(expression) => {
                if let Ok(Some(value)) = expression.evaluate(root) {
                    out.insert(key.clone(), value);
                }
            }
            Item::Nested(children) if has_computed(children) => {
                let mut sub = match out.get(key) {
                    Some(Bson::Document(existing)) => existing.clone(),
                    _ => Document::new(),
                };
                add_computed(&mut sub, children, root, depth + 1);
                out.insert(key.clone(), sub);
            }
            _ => {}
        }
    }
}

fn has_computed(items: &[(String, Item)]) -> bool {
    items.iter().any(|(_, item)| match item {
        Item::Computed(_) => true,
        Item::Nested(children) => has_computed(children),
        _ => false,
    })
}

fn exclude_level(
    doc: &Document,
    items: &[(String, Item)],
    include_id: Option<bool>,
    depth: usize,
    position: Option<usize>,
) -> Document {
    let mut out = Document::new();
    for (key, value) in doc {
        let item = find(items, key);
        if key == "_id" && item.is_none() {
            if include_id != Some(false) {
                out.insert(key.clone(), value.clone());
            }
            continue;
        }
        match item {
            None | Some(Item::Include | Item::Computed(_)) => {
                out.insert(key.clone(), value.clone());
            }
            Some(Item::Exclude) => {}
            Some(Item::Nested(children)) => {
                out.insert(key.clone(), exclude_nested(value, children, depth + 1, position));
            }
            Some(special) => {
                if let Some(projected) = project_special(special, key, value, position) {
                    out.insert(key.clone(), projected);
                }
            }
        }
    }
    out
}

fn exclude_nested(value: &Bson, children: &[(String, Item)], depth: usize, position: Option<usize>) -> Bson {
    if depth > MAX_PROJECTION_DEPTH {
        return value.clone();
    }
    match value {
        Bson::Document(inner) => Bson::Document(exclude_level(inner, children, None, depth, position)),
        Bson::Array(elements) => {
            Bson::Array(elements.iter().map(|element| exclude_nested(element, children, depth + 1, position)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::doc;

    fn project(spec: Document, doc: &Document) -> Document {
        Projection::compile(&spec).unwrap().apply(doc)
    }

    fn ada() -> Document {
        doc! {"_id": 1, "username": "ada", "age": 36,
        "profile": {"title": "Engineer", "langs": ["en", "fr"]},
        "courses": [101, 102, 103, 104],
        "scores": [{"subject": "c", "score": 90}, {"subject": "git", "score": 75}, 7]}
    }

    #[test]
    fn inclusion_keeps_id_and_document_order() {
        assert_eq!(project(doc! {"username": 1}, &ada()), doc! {"_id": 1, "username": "ada"});
        assert_eq!(project(doc! {"username": 1, "_id": 0}, &ada()), doc! {"username": "ada"});
        assert_eq!(project(doc! {"_id": 1}, &ada()), doc! {"_id": 1});
        assert_eq!(project(doc! {"age": true, "username": 1}, &ada()), doc! {"_id": 1, "username": "ada", "age": 36});
    }

    #[test]
    fn dotted_paths_reach_into_arrays_of_documents() {
        assert_eq!(
            project(doc! {"scores.score": 1}, &ada()),
            doc! {"_id": 1, "scores": [{"score": 90}, {"score": 75}]}
        );
        assert_eq!(project(doc! {"profile": {"title": 1}, "_id": 0}, &ada()), doc! {"profile": {"title": "Engineer"}});
        assert_eq!(
            project(doc! {"scores.subject": 0, "courses": 0, "profile": 0}, &ada()),
            doc! {"_id": 1, "username": "ada", "age": 36,
            "scores": [{"score": 90}, {"score": 75}, 7]}
        );
    }

    #[test]
    fn exclusion() {
        assert_eq!(
            project(doc! {"profile.langs": 0, "scores": 0, "courses": 0}, &ada()),
            doc! {"_id": 1, "username": "ada", "age": 36, "profile": {"title": "Engineer"}}
        );
        assert_eq!(
            project(doc! {"_id": 0, "profile": 0, "scores": 0, "courses": 0}, &ada()),
            doc! {"username": "ada", "age": 36}
        );
    }

    #[test]
    fn slice_forms() {
        let courses = |spec: Bson| {
            project(doc! {"courses": {"$slice": spec}, "_id": 0, "username": 1}, &ada()).get("courses").cloned()
        };
        assert_eq!(courses(Bson::Int32(2)), Some(bson::bson!([101, 102])));
        assert_eq!(courses(Bson::Int32(-1)), Some(bson::bson!([104])));
        assert_eq!(courses(bson::bson!([1, 2])), Some(bson::bson!([102, 103])));
        assert_eq!(courses(bson::bson!([-3, 2])), Some(bson::bson!([102, 103])));
        assert_eq!(courses(bson::bson!([10, 2])), Some(bson::bson!([])));
        // $slice alone is an exclusion projection: every other field stays.
        let alone = project(doc! {"courses": {"$slice": 1}}, &ada());
        assert_eq!(alone.get("courses"), Some(&bson::bson!([101])));
        assert_eq!(alone.get("username"), Some(&bson::bson!("ada")));
    }

    #[test]
    fn kind_defaults_follow_find() {
        // $elemMatch alone is an inclusion; with $slice and nothing else, an exclusion.
        let only_elem_match = project(doc! {"scores": {"$elemMatch": {"score": 90}}}, &ada());
        assert_eq!(only_elem_match.keys().collect::<Vec<_>>(), vec!["_id", "scores"]);
        let both = project(doc! {"scores": {"$elemMatch": {"score": 90}}, "courses": {"$slice": 1}}, &ada());
        assert_eq!(both.get("username"), Some(&bson::bson!("ada")));
        assert_eq!(both.get("courses"), Some(&bson::bson!([101])));
        // An exclusion may carry $elemMatch.
        let excluded = project(doc! {"age": 0, "scores": {"$elemMatch": {"score": 75}}}, &ada());
        assert_eq!(excluded.get("age"), None);
        assert_eq!(excluded.get("scores"), Some(&bson::bson!([{"subject": "git", "score": 75}])));
        assert_eq!(project(doc! {"_id": 0}, &ada()).get("_id"), None);
    }

    #[test]
    fn elem_match_returns_first_matching_element() {
        assert_eq!(
            project(doc! {"scores": {"$elemMatch": {"score": {"$lt": 80}}}}, &ada()),
            doc! {"_id": 1, "scores": [{"subject": "git", "score": 75}]}
        );
        assert_eq!(project(doc! {"scores": {"$elemMatch": {"score": {"$gt": 100}}}}, &ada()), doc! {"_id": 1});
    }

    #[test]
    fn computed_fields() {
        assert_eq!(
            project(doc! {"username": 1, "label": {"$toUpper": "$username"}, "k": "lit"}, &ada()),
            doc! {"_id": 1, "username": "ada", "label": "ADA", "k": "lit"}
        );
    }

    #[test]
    fn errors() {
        let err = |spec: Document| Projection::compile(&spec).unwrap_err();
        assert_eq!(
            err(doc! {"username": 1, "age": 0}).message,
            "Cannot do exclusion on field age in inclusion projection"
        );
        assert_eq!(err(doc! {"username": 1, "age": 0}).code, 31254);
        assert_eq!(
            err(doc! {"age": 0, "username": 1}).message,
            "Cannot do inclusion on field username in exclusion projection"
        );
        assert_eq!(err(doc! {"a": {"$slice": [1]}}).message, "$slice array argument should be of form [skip, limit]");
        assert_eq!(err(doc! {"a": {"$slice": [1, 0]}}).message, "$slice limit must be positive, got 0");
        assert_eq!(
            err(doc! {"a": {"$slice": ["x", 1]}}).message,
            "$slice expects the skip argument to be a number, got string"
        );
        assert_eq!(
            err(doc! {"a": {"$elemMatch": 1}}).message,
            "elemMatch: Invalid argument, object required, but got int"
        );
        assert_eq!(
            err(doc! {"a": 0, "b": {"$size": "$c"}}).message,
            "Cannot use expression other than $meta in exclusion projection"
        );
        assert_eq!(err(doc! {"a": 0, "_id": 1}).message, "Cannot do inclusion on field _id in exclusion projection");
        assert_eq!(err(doc! {"a": {"$slice": "x"}}).message, "$slice only supports numbers and [skip, limit] arrays");
        assert_eq!(
            err(doc! {"a.b": {"$elemMatch": {"x": 1}}}).message,
            "Cannot use $elemMatch projection on a nested field."
        );
        assert_eq!(err(doc! {"a": 1, "a.b": 1}).code, 31249);
        assert_eq!(err(doc! {"a.b": 1, "a": 1}).code, 31250);
        assert_eq!(err(doc! {"a": {"$foo": 1}}).message, "Unrecognized expression '$foo'");
    }

    #[test]
    fn positional_projection_uses_the_matched_index() {
        let filter = Filter::compile(&doc! {"scores.score": {"$lt": 80}}).unwrap();
        let projection = Projection::compile(&doc! {"scores.$": 1, "_id": 0}).unwrap();
        projection.check_positional_against(&filter).unwrap();
        assert_eq!(projection.positional_path(), Some("scores"));
        let position = filter.matches_positional(&ada()).unwrap();
        assert_eq!(
            projection.apply_with_position(&ada(), position),
            doc! {"scores": [{"subject": "git", "score": 75}]}
        );
        let both = Projection::compile_for_query(&doc! {"scores.$": 1}, &filter).unwrap();
        assert_eq!(both.apply_matched(&ada(), &filter), doc! {"_id": 1, "scores": [{"subject": "git", "score": 75}]});
        let unrelated = Filter::compile(&doc! {"username": "ada"}).unwrap();
        assert_eq!(Projection::compile_for_query(&doc! {"scores.$": 1}, &unrelated).unwrap_err().code, 31277);
        assert_eq!(
            projection.check_positional_against(&unrelated).unwrap_err().message,
            "Positional projection 'scores.$' does not match the query document."
        );
        let err = |spec: Document| Projection::compile(&spec).unwrap_err().message;
        assert_eq!(err(doc! {"a.$": 1, "b.$": 1}), "Cannot specify more than one positional projection per query.");
        assert_eq!(err(doc! {"a.$": 0}), "Cannot exclude array elements with the positional operator.");
    }

    #[test]
    fn empty_projection_is_identity() {
        assert_eq!(project(doc! {}, &ada()), ada());
    }
}
