//! `$project`, `$addFields` / `$set` and `$unset`: one tree of field paths per stage, each leaf included, excluded or
//! computed from an expression, applied with MongoDB's rules (`_id` kept unless excluded, dotted paths walking into
//! arrays of documents, computed fields replacing scalars with documents, `$$REMOVE` leaving a field out).

use super::memory::Memory;
use super::{Compiler, Runner, Stage};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::{Expression, Parser};
use bson::{Bson, Document};

/// How deeply nested sub-specifications (`{a: {b: {c: 1}}}`) may go.
const MAX_SPEC_DEPTH: usize = 100;

/// One field of a projection tree.
#[derive(Debug, Clone)]
enum Node {
    Include,
    Exclude,
    Compute(Expression),
    Children(Vec<(String, Node)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `$project` with `field: 1` or computed fields: only the listed fields (and `_id`).
    Inclusion,
    /// `$project` with `field: 0`, or `$unset`: everything but the listed fields.
    Exclusion,
    /// `$addFields` / `$set`: every field, with the computed ones added or replaced.
    AddFields,
}

/// A compiled `$project`, `$addFields` or `$unset`.
#[derive(Debug, Clone)]
pub(crate) struct Projection {
    kind: Kind,
    fields: Vec<(String, Node)>,
    /// `_id: 0` in an inclusion projection.
    exclude_id: bool,
}

/// MongoDB reports a malformed `$project` / `$addFields` with the stage's name in front: `Invalid $project :: caused
/// by :: ...`, keeping the code.
fn invalid(stage: &str) -> impl Fn(MongoError) -> MongoError + '_ {
    move |error| MongoError { message: format!("Invalid {stage} :: caused by :: {}", error.message), ..error }
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

/// Checks one field name of a specification and joins it to its prefix.
fn field_path(prefix: &str, key: &str) -> MongoResult<String> {
    if key.starts_with('$') {
        return Err(MongoError::new(
            ErrorCode::Location(16410),
            "FieldPath field names may not start with '$'. Consider using $getField or $setField.",
        ));
    }
    let path = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
    if path.is_empty() {
        return Err(MongoError::new(ErrorCode::Location(40352), "FieldPath cannot be constructed with empty string"));
    }
    if path.split('.').any(str::is_empty) {
        return Err(MongoError::new(ErrorCode::Location(15998), "FieldPath field names may not be empty strings."));
    }
    if let Some(part) = path.split('.').find(|part| part.starts_with('$')) {
        return Err(MongoError::new(
            ErrorCode::Location(16410),
            format!(
                "FieldPath field names may not start with '$'. Consider using $getField or $setField. Field: {part}"
            ),
        ));
    }
    crate::engine::path::FieldPath::parse_checked(&path)?;
    Ok(path)
}

/// Puts `node` at `path` in the tree, refusing a path that collides with another (`a` and `a.b`).
fn insert(fields: &mut Vec<(String, Node)>, path: &str, node: Node) -> MongoResult<()> {
    let parts: Vec<&str> = path.split('.').collect();
    let Some((last, parents)) = parts.split_last() else { return Ok(()) };
    let mut level = fields;
    for (depth, part) in parents.iter().enumerate() {
        let position = match level.iter().position(|(name, _)| name == part) {
            Some(position) => position,
            None => {
                level.push((part.to_string(), Node::Children(Vec::new())));
                level.len() - 1
            }
        };
        let Some((_, Node::Children(children))) = level.get_mut(position) else {
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
    level.push((last.to_string(), node));
    Ok(())
}

/// Reads a `$project` specification.
struct ProjectBuilder {
    kind: Option<Kind>,
    fields: Vec<(String, Node)>,
    id: Option<bool>,
    parser: Parser,
}

impl ProjectBuilder {
    fn set_kind(&mut self, wanted: Kind, path: &str) -> MongoResult<()> {
        match (self.kind, wanted) {
            (Some(Kind::Inclusion), Kind::Exclusion) => Err(MongoError::new(
                ErrorCode::Location(31254),
                format!("Cannot do exclusion on field {path} in inclusion projection"),
            )),
            (Some(Kind::Exclusion), Kind::Inclusion) => Err(MongoError::new(
                ErrorCode::Location(31253),
                format!("Cannot do inclusion on field {path} in exclusion projection"),
            )),
            _ => {
                self.kind = Some(wanted);
                Ok(())
            }
        }
    }

    fn computed(&mut self, path: &str, value: &Bson) -> MongoResult<()> {
        if self.kind == Some(Kind::Exclusion) {
            return Err(MongoError::new(
                ErrorCode::Location(31252),
                "Cannot use expression other than $meta in exclusion projection",
            ));
        }
        self.kind = Some(Kind::Inclusion);
        let expression = self.parser.expression(value)?;
        insert(&mut self.fields, path, Node::Compute(expression))
    }

    fn add(&mut self, spec: &Document, prefix: &str, depth: usize) -> MongoResult<()> {
        if depth > MAX_SPEC_DEPTH {
            return Err(MongoError::bad_value(format!("projection nests deeper than {MAX_SPEC_DEPTH} levels")));
        }
        for (key, value) in spec {
            let path = field_path(prefix, key)?;
            match value {
                flag if is_flag(flag).is_some() => {
                    let include = is_flag(flag) == Some(true);
                    if path == "_id" {
                        self.id = Some(include);
                        if include {
                            self.set_kind(Kind::Inclusion, &path)?;
                        }
                        continue;
                    }
                    let kind = if include { Kind::Inclusion } else { Kind::Exclusion };
                    self.set_kind(kind, &path)?;
                    insert(&mut self.fields, &path, if include { Node::Include } else { Node::Exclude })?;
                }
                Bson::Document(sub) if sub.keys().next().is_some_and(|k| k.starts_with('$')) => {
                    self.computed(&path, value)?
                }
                Bson::Document(sub) if sub.is_empty() => {
                    return Err(MongoError::new(
                        ErrorCode::Location(51270),
                        format!("An empty sub-projection is not a valid value. Found empty object at path {path}"),
                    ))
                }
                Bson::Document(sub) => self.add(sub, &path, depth + 1)?,
                other => self.computed(&path, other)?,
            }
        }
        Ok(())
    }
}

pub(super) fn compile_project(name: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let Bson::Document(spec) = argument else {
        return Err(MongoError::new(ErrorCode::Location(15969), "$project specification must be an object"));
    };
    let mut builder = ProjectBuilder { kind: None, fields: Vec::new(), id: None, parser: compiler.parser() };
    builder.add(spec, "", 0).map_err(invalid(name))?;
    if spec.is_empty() {
        return Err(invalid(name)(MongoError::new(
            ErrorCode::Location(51272),
            "projection specification must have at least one field",
        )));
    }
    let ProjectBuilder { kind, mut fields, id, .. } = builder;
    let kind = match kind {
        Some(kind) => kind,
        // Only `_id: 0`: an exclusion; only `_id: 1` was made an inclusion above.
        None => Kind::Exclusion,
    };
    if kind == Kind::Exclusion && id == Some(false) {
        fields.push(("_id".to_string(), Node::Exclude));
    }
    Ok(Stage::Project(Projection { kind, fields, exclude_id: id == Some(false) }))
}

/// `$addFields` / `$set`: every value is an expression (`1` is the number one, not "include"); a sub-document without
/// operators sets the fields inside the existing one.
pub(super) fn compile_add_fields(name: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let Bson::Document(spec) = argument else {
        return Err(MongoError::new(
            ErrorCode::Location(40272),
            format!("{name} specification stage must be an object, got {}", crate::engine::value::type_name(argument)),
        ));
    };
    if spec.is_empty() {
        return Err(invalid(name)(MongoError::new(
            ErrorCode::Location(40177),
            "specification must have at least one field",
        )));
    }
    let mut fields = Vec::new();
    let mut parser = compiler.parser();
    add_computed(&mut fields, spec, "", &mut parser, 0).map_err(invalid(name))?;
    Ok(Stage::Project(Projection { kind: Kind::AddFields, fields, exclude_id: false }))
}

fn add_computed(
    fields: &mut Vec<(String, Node)>,
    spec: &Document,
    prefix: &str,
    parser: &mut Parser,
    depth: usize,
) -> MongoResult<()> {
    if depth > MAX_SPEC_DEPTH {
        return Err(MongoError::bad_value(format!("specification nests deeper than {MAX_SPEC_DEPTH} levels")));
    }
    for (key, value) in spec {
        let path = field_path(prefix, key)?;
        match value {
            Bson::Document(sub) if !sub.is_empty() && !sub.keys().next().is_some_and(|k| k.starts_with('$')) => {
                add_computed(fields, sub, &path, parser, depth + 1)?;
            }
            other => insert(fields, &path, Node::Compute(parser.expression(other)?))?,
        }
    }
    Ok(())
}

/// `$unset`: a field name or an array of them, removed like an exclusion projection.
pub(super) fn compile_unset(_: &'static str, argument: &Bson, _: &mut Compiler) -> MongoResult<Stage> {
    let names: Vec<&str> = match argument {
        Bson::String(name) => vec![name.as_str()],
        Bson::Array(items) => {
            if items.is_empty() {
                return Err(MongoError::new(
                    ErrorCode::Location(31119),
                    "$unset specification must be a string or an array with at least one field",
                ));
            }
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                let Bson::String(name) = item else {
                    return Err(MongoError::new(
                        ErrorCode::Location(31120),
                        "$unset specification must be a string or an array containing only string values",
                    ));
                };
                names.push(name.as_str());
            }
            names
        }
        _ => {
            return Err(MongoError::new(
                ErrorCode::Location(31002),
                "$unset specification must be a string or an array",
            ))
        }
    };
    let mut fields = Vec::new();
    for name in names {
        let path = field_path("", name).map_err(invalid("$unset"))?;
        insert(&mut fields, &path, Node::Exclude).map_err(invalid("$unset"))?;
    }
    Ok(Stage::Project(Projection { kind: Kind::Exclusion, fields, exclude_id: false }))
}

impl Projection {
    pub(super) fn apply<'d>(
        &self,
        name: &'static str,
        documents: super::Docs<'d>,
        runner: &Runner<'d>,
    ) -> MongoResult<super::Docs<'d>> {
        let mut output = Memory::output(name, &documents, runner.memory_limit);
        let mut out = Vec::with_capacity(documents.len());
        for document in &documents {
            let projected = self.project(document, runner)?;
            output.add_document(&projected)?;
            out.push(std::borrow::Cow::Owned(projected));
        }
        Ok(out)
    }

    fn project(&self, document: &Document, runner: &Runner<'_>) -> MongoResult<Document> {
        Ok(match self.kind {
            Kind::Inclusion => {
                let mut out = include_level(document, &self.fields, Some(!self.exclude_id));
                compute_level(&mut out, &self.fields, document, runner)?;
                out
            }
            Kind::Exclusion => exclude_level(document, &self.fields),
            Kind::AddFields => {
                let mut out = document.clone();
                compute_level(&mut out, &self.fields, document, runner)?;
                out
            }
        })
    }
}

fn find<'a>(fields: &'a [(String, Node)], key: &str) -> Option<&'a Node> {
    fields.iter().find(|(name, _)| name == key).map(|(_, node)| node)
}

/// The included fields of one level, in the document's order. `keep_id` is `Some` only at the top level.
fn include_level(document: &Document, fields: &[(String, Node)], keep_id: Option<bool>) -> Document {
    let mut out = Document::new();
    for (key, value) in document {
        let node = find(fields, key);
        if let (Some(keep), "_id", None) = (keep_id, key.as_str(), node) {
            if keep {
                out.insert(key.clone(), value.clone());
            }
            continue;
        }
        match node {
            Some(Node::Include) => {
                out.insert(key.clone(), value.clone());
            }
            Some(Node::Children(children)) => {
                if let Some(projected) = include_value(value, children) {
                    out.insert(key.clone(), projected);
                }
            }
            _ => {}
        }
    }
    out
}

/// Inclusion below a field: into a document, into each document (or array) of an array; a scalar has none of the
/// sub-fields and is left out.
fn include_value(value: &Bson, children: &[(String, Node)]) -> Option<Bson> {
    match value {
        Bson::Document(inner) => Some(Bson::Document(include_level(inner, children, None))),
        Bson::Array(items) => {
            Some(Bson::Array(items.iter().filter_map(|item| include_value(item, children)).collect()))
        }
        _ => None,
    }
}

fn has_computed(fields: &[(String, Node)]) -> bool {
    fields.iter().any(|(_, node)| match node {
        Node::Compute(_) => true,
        Node::Children(children) => has_computed(children),
        _ => false,
    })
}

/// Adds the computed fields of one level to `out`; expressions see the whole input document. A computed value that
/// is missing (`$$REMOVE`, a missing path) leaves the field out.
fn compute_level(
    out: &mut Document,
    fields: &[(String, Node)],
    root: &Document,
    runner: &Runner<'_>,
) -> MongoResult<()> {
    for (key, node) in fields {
        match node {
            Node::Compute(expression) => match expression.evaluate_in(root, runner.environment)? {
                Some(value) => {
                    out.insert(key.clone(), value);
                }
                None => {
                    out.remove(key);
                }
            },
            Node::Children(children) if has_computed(children) => match out.get_mut(key) {
                // Set in place, so the field keeps its position among the others.
                Some(slot) => {
                    let existing = std::mem::replace(slot, Bson::Null);
                    *slot = compute_value(Some(existing), children, root, runner)?;
                }
                None => {
                    let value = compute_value(None, children, root, runner)?;
                    out.insert(key.clone(), value);
                }
            },
            _ => {}
        }
    }
    Ok(())
}

/// Computed sub-fields set inside a value: into a document, into every element of an array, and otherwise (a
/// scalar, or nothing there) into a new document, as MongoDB replaces the scalar.
fn compute_value(
    existing: Option<Bson>,
    fields: &[(String, Node)],
    root: &Document,
    runner: &Runner<'_>,
) -> MongoResult<Bson> {
    Ok(match existing {
        Some(Bson::Document(mut inner)) => {
            compute_level(&mut inner, fields, root, runner)?;
            Bson::Document(inner)
        }
        Some(Bson::Array(items)) => Bson::Array(
            items
                .into_iter()
                .map(|item| compute_value(Some(item), fields, root, runner))
                .collect::<MongoResult<_>>()?,
        ),
        _ => {
            let mut inner = Document::new();
            compute_level(&mut inner, fields, root, runner)?;
            Bson::Document(inner)
        }
    })
}

/// Everything but the excluded fields of one level, in the document's order.
fn exclude_level(document: &Document, fields: &[(String, Node)]) -> Document {
    let mut out = Document::new();
    for (key, value) in document {
        match find(fields, key) {
            Some(Node::Exclude) => {}
            Some(Node::Children(children)) => {
                out.insert(key.clone(), exclude_value(value, children));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    out
}

fn exclude_value(value: &Bson, children: &[(String, Node)]) -> Bson {
    match value {
        Bson::Document(inner) => Bson::Document(exclude_level(inner, children)),
        Bson::Array(items) => Bson::Array(items.iter().map(|item| exclude_value(item, children)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use bson::{doc, Document};

    fn books() -> Vec<Document> {
        // The document of MongoDB's $project page.
        vec![doc! {"_id": 1, "title": "abc123", "isbn": "0001122223334",
        "author": {"last": "zzz", "first": "aaa"}, "copies": 5, "lastModified": "2016-07-28"}]
    }

    #[test]
    fn inclusion_exclusion_and_id() {
        assert_eq!(
            run(books(), vec![doc! {"$project": {"title": 1, "author": 1}}]),
            "{ _id: 1, title: \"abc123\", author: { last: \"zzz\", first: \"aaa\" } }"
        );
        assert_eq!(
            run(books(), vec![doc! {"$project": {"_id": 0, "title": 1, "author": 1}}]),
            "{ title: \"abc123\", author: { last: \"zzz\", first: \"aaa\" } }"
        );
        assert_eq!(
            run(books(), vec![doc! {"$project": {"lastModified": 0, "isbn": 0, "author.first": 0}}]),
            "{ _id: 1, title: \"abc123\", author: { last: \"zzz\" }, copies: 5 }"
        );
        assert_eq!(run(books(), vec![doc! {"$project": {"_id": 0}}]), "{ title: \"abc123\", isbn: \"0001122223334\", author: { last: \"zzz\", first: \"aaa\" }, copies: 5, lastModified: \"2016-07-28\" }");
        assert_eq!(run(books(), vec![doc! {"$project": {"author.last": 1}}]), "{ _id: 1, author: { last: \"zzz\" } }");
        assert_eq!(
            run(books(), vec![doc! {"$project": {"author": {"first": 1}}}]),
            "{ _id: 1, author: { first: \"aaa\" } }"
        );
    }

    #[test]
    fn computed_fields() {
        // "Include Computed Fields" of MongoDB's $project page.
        assert_eq!(
            run(
                books(),
                vec![doc! {"$project": {"title": 1,
                "isbn": {"prefix": {"$substr": ["$isbn", 0, 3]}, "group": {"$substr": ["$isbn", 3, 2]}},
                "lastName": "$author.last", "copiesSold": "$copies"}}]
            ),
            "{ _id: 1, title: \"abc123\", isbn: { prefix: \"000\", group: \"11\" }, lastName: \"zzz\", copiesSold: 5 }"
        );
        assert_eq!(
            run(books(), vec![doc! {"$project": {"_id": 0, "myArray": ["$copies", "$nope"]}}]),
            "{ myArray: [ 5, null ] }"
        );
        assert_eq!(
            run(books(), vec![doc! {"$project": {"_id": 0, "title": 1, "gone": "$$REMOVE", "label": "x"}}]),
            "{ title: \"abc123\", label: \"x\" }"
        );
        assert_eq!(
            run(vec![doc! {"_id": 1, "a": [{"b": 1}, 2]}], vec![doc! {"$project": {"a.c": {"$literal": 0}}}]),
            "{ _id: 1, a: [ { c: 0 } ] }"
        );
    }

    #[test]
    fn malformed_projections() {
        assert_eq!(
            run(books(), vec![doc! {"$project": {"title": 1, "isbn": 0}}]),
            "error 31254: Invalid $project :: caused by :: Cannot do exclusion on field isbn in inclusion projection"
        );
        assert_eq!(
            run(books(), vec![doc! {"$project": {"isbn": 0, "title": 1}}]),
            "error 31253: Invalid $project :: caused by :: Cannot do inclusion on field title in exclusion projection"
        );
        assert_eq!(run(books(), vec![doc! {"$project": {"isbn": 0, "t": "$title"}}]), "error 31252: Invalid $project :: caused by :: Cannot use expression other than $meta in exclusion projection");
        assert_eq!(
            run(books(), vec![doc! {"$project": {"x": {"$bogus": 1}}}]),
            "error 168: Invalid $project :: caused by :: Unrecognized expression '$bogus'"
        );
        assert_eq!(
            run(books(), vec![doc! {"$project": {"a": 1, "a.b": 1}}]),
            "error 31249: Invalid $project :: caused by :: Path collision at a.b remaining portion b"
        );
        assert_eq!(
            run(books(), vec![doc! {"$project": {"a.b": 1, "a": 1}}]),
            "error 31250: Invalid $project :: caused by :: Path collision at a"
        );
        assert_eq!(
            run(books(), vec![doc! {"$project": {}}]),
            "error 51272: Invalid $project :: caused by :: projection specification must have at least one field"
        );
        assert_eq!(run(books(), vec![doc! {"$project": {"a": {}}}]), "error 51270: Invalid $project :: caused by :: An empty sub-projection is not a valid value. Found empty object at path a");
        assert_eq!(
            run(books(), vec![doc! {"$project": "title"}]),
            "error 15969: $project specification must be an object"
        );
    }

    #[test]
    fn add_fields_and_set() {
        // The examples of MongoDB's $addFields page.
        let scores =
            vec![doc! {"_id": 1, "student": "Maya", "homework": [10, 5, 10], "quiz": [10, 8], "extraCredit": 0}];
        assert_eq!(
            run(
                scores.clone(),
                vec![
                    doc! {"$addFields": {"totalHomework": {"$sum": "$homework"}, "totalQuiz": {"$sum": "$quiz"}}},
                    doc! {"$addFields": {"totalScore": {"$add": ["$totalHomework", "$totalQuiz", "$extraCredit"]}}},
                    doc! {"$project": {"_id": 0, "totalHomework": 1, "totalQuiz": 1, "totalScore": 1}}
                ]
            ),
            "{ totalHomework: 25, totalQuiz: 18, totalScore: 43 }"
        );
        let vehicles = vec![doc! {"_id": 1, "type": "car", "specs": {"doors": 4, "wheels": 4}}];
        assert_eq!(
            run(vehicles.clone(), vec![doc! {"$set": {"specs.fuel_type": "unleaded"}}]),
            "{ _id: 1, type: \"car\", specs: { doors: 4, wheels: 4, fuel_type: \"unleaded\" } }"
        );
        assert_eq!(
            run(vehicles.clone(), vec![doc! {"$addFields": {"specs": {"doors": 2}}}]),
            "{ _id: 1, type: \"car\", specs: { doors: 2, wheels: 4 } }"
        );
        assert_eq!(
            run(vehicles.clone(), vec![doc! {"$addFields": {"type": "$$REMOVE", "n": 1}}]),
            "{ _id: 1, specs: { doors: 4, wheels: 4 }, n: 1 }"
        );
        assert_eq!(
            run(vehicles.clone(), vec![doc! {"$set": {"_id": "x"}}]),
            "{ _id: \"x\", type: \"car\", specs: { doors: 4, wheels: 4 } }"
        );
        assert_eq!(run(vehicles.clone(), vec![doc! {"$addFields": {"$x": 1}}]), "error 16410: Invalid $addFields :: caused by :: FieldPath field names may not start with '$'. Consider using $getField or $setField.");
        assert_eq!(
            run(vehicles, vec![doc! {"$set": {}}]),
            "error 40177: Invalid $set :: caused by :: specification must have at least one field"
        );
    }

    #[test]
    fn unset() {
        let docs = vec![
            doc! {"_id": 1, "title": "Antelope Antics", "isbn": "0001122223334", "author": {"last": "An", "first": "Auntie"}, "copies": [{"warehouse": "A", "qty": 5}, {"warehouse": "B", "qty": 15}]},
        ];
        assert_eq!(
            run(docs.clone(), vec![doc! {"$unset": ["isbn", "author.first", "copies.warehouse"]}]),
            "{ _id: 1, title: \"Antelope Antics\", author: { last: \"An\" }, copies: [ { qty: 5 }, { qty: 15 } ] }"
        );
        assert_eq!(
            run(docs.clone(), vec![doc! {"$unset": "_id"}, doc! {"$project": {"title": 1}}]),
            "{ title: \"Antelope Antics\" }"
        );
        assert_eq!(
            run(docs.clone(), vec![doc! {"$unset": [1]}]),
            "error 31120: $unset specification must be a string or an array containing only string values"
        );
        assert_eq!(
            run(docs, vec![doc! {"$unset": 1}]),
            "error 31002: $unset specification must be a string or an array"
        );
    }
}
