//! MongoDB's query language: a filter document is compiled once into a typed tree (`Filter`) and then matched against documents.
//!
//! Operators live in one file per family, grouped as MongoDB's reference groups them: comparison, logical,
//! element, evaluation and array.

mod array;
mod bitwise;
mod comparison;
mod element;
mod evaluation;
mod logical;
mod raw_match;

use crate::engine::error::{MongoError, MongoResult};
use crate::engine::expr::{Environment, Expression};
use crate::engine::path::{reach, FieldPath};
use bson::{Bson, Document};

pub use bitwise::BitTest;
pub use comparison::CmpOp;
pub use element::TypeSpec;
pub use evaluation::RegexMatcher;

/// Operators that can follow a field name (`{field: {$op: ...}}`).
pub const FIELD_OPERATORS: &[&str] = &[
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$not",
    "$exists",
    "$type",
    "$regex",
    "$options",
    "$mod",
    "$all",
    "$elemMatch",
    "$size",
    "$bitsAllSet",
    "$bitsAnySet",
    "$bitsAllClear",
    "$bitsAnyClear",
];

/// Real MongoDB operators crudlab does not implement: rejected with an honest message rather than "unknown operator".
const UNSUPPORTED_FIELD_OPERATORS: &[&str] =
    &["$geoIntersects", "$geoWithin", "$near", "$nearSphere", "$maxDistance", "$minDistance"];

/// How deeply `$and`/`$or`/`$nor`/`$not`/`$elemMatch` may nest before a filter is rejected
/// (MongoDB caps match expression trees at 100 levels too).
pub(crate) const MAX_FILTER_DEPTH: usize = 100;

/// A compiled query filter.
///
/// `Filter::compile(&doc! {"age": {"$gt": 30}})` checks every operator and argument once (unknown operators
/// and malformed arguments are errors with MongoDB's message and code); `matches` then runs the tree.
///
/// **Matching single array elements (for the update engine).** `$pull` conditions and `arrayFilters` test one
/// array element at a time. Wrap the element as a one-field document and compile the condition under the
/// same name, exactly as MongoDB does internally:
/// - `$pull: {n: {$gte: 103}}` → compile `{"": {"$gte": 103}}` (or any name) and test `{"": element}`
///   with [`Filter::matches_wrapped`];
/// - `$pull: {scores: {score: {$lt: 80}}}` (a condition without operators at its top) → compile
///   `{score: {$lt: 80}}` directly and test the element when it is a document;
/// - `arrayFilters: [{"s.score": {$gte: 80}}]` → compile the filter as is and test `{"s": element}`.
///
/// [`Filter::compile_element_condition`] picks between the first two forms the way `$pull` does.
#[derive(Debug, Clone)]
pub struct Filter {
    root: Node,
}

/// A node of the compiled tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Nor(Vec<Node>),
    Not(Box<Node>),
    /// A predicate on the values a path reaches.
    Path {
        path: FieldPath,
        leaf: Leaf,
    },
    /// `$expr`: an aggregation expression evaluated against the whole document.
    Expr(Expression),
    AlwaysFalse,
}

/// A predicate on one value (with MongoDB's array rules applied by the path walker).
#[derive(Debug, Clone)]
pub(crate) enum Leaf {
    Eq(Bson),
    Cmp(CmpOp, Bson),
    In {
        values: Vec<Bson>,
        regexes: Vec<RegexMatcher>,
    },
    Exists,
    Type(Vec<TypeSpec>),
    Regex(RegexMatcher),
    Mod {
        divisor: i64,
        remainder: i64,
    },
    Size(usize),
    /// `$bitsAllSet` and friends, with the bit positions to test.
    Bits {
        test: BitTest,
        positions: Vec<u32>,
    },
    /// `$elemMatch` whose argument is a query on the element documents.
    ElemMatchObject(Box<Node>),
    /// `$elemMatch` whose argument is operators applied to each element itself (nodes have an empty path).
    ElemMatchValue(Vec<Node>),
}

/// Whether a sub-document is the top-level query (where `$expr` is allowed, with the variables a pipeline's
/// `$lookup` binds) or a query inside `$elemMatch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level<'v> {
    Top(&'v [String]),
    Sub,
}

/// The whole document a match started from (what `$expr` evaluates against), and what `$expr` may read besides it.
struct Root<'a> {
    doc: &'a Document,
    environment: Environment<'a>,
}

/// What a node is matched against: a document, or (inside `$elemMatch` on scalars) a bare value.
#[derive(Clone, Copy)]
enum Subject<'a> {
    Doc(&'a Document),
    Value(&'a Bson),
}

/// Outcome of matching: `None` = no match, `Some(position)` = match, with the first array index the match went through.
type Matched = Option<Option<usize>>;

/// A range or equality bound a query planner can use on one field (see [`Filter::equality_and_ranges`]).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldBounds {
    /// `{f: v}` or `{f: {$eq: v}}`. Matches also documents whose array field contains `v`;
    /// `Equal(null)` also matches documents that lack the field.
    Equal(Bson),
    /// `{f: {$in: [...]}}` without regexes.
    In(Vec<Bson>),
    /// `$gt`/`$gte`/`$lt`/`$lte` on the field, merged. MongoDB compares only within a type bracket,
    /// so `{$gt: 5}` never matches strings: the missing side of a range ends at its type's bracket.
    Range { lower: Option<Bound>, upper: Option<Bound> },
}

/// One end of a [`FieldBounds::Range`].
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub value: Bson,
    pub inclusive: bool,
}

impl Filter {
    /// Compiles a filter document, rejecting unknown operators and malformed arguments.
    pub fn compile(filter: &Document) -> MongoResult<Filter> {
        Ok(Filter { root: parse_document(filter, Level::Top(&[]), 0)? })
    }

    /// Compiles a filter whose `$expr` may read the named variables (a `$match` inside a `$lookup` pipeline reads the
    /// `$lookup`'s `let` variables).
    pub fn compile_with_variables(filter: &Document, variables: &[String]) -> MongoResult<Filter> {
        Ok(Filter { root: parse_document(filter, Level::Top(variables), 0)? })
    }

    /// Compiles a `$pull` condition the way MongoDB does: a document whose first field is not a field
    /// operator (`{score: {$lt: 80}}`, `{$or: [...]}`, `{}`) is a query on element documents; anything else
    /// (`{$gte: 103}`, `5`, a regex) is a condition on the element value itself.
    /// Test elements with [`ElementFilter::matches`].
    pub fn compile_element_condition(condition: &Bson) -> MongoResult<ElementFilter> {
        match condition {
            Bson::Document(doc)
                if !doc.keys().next().is_some_and(|first| FIELD_OPERATORS.contains(&first.as_str())) =>
            {
                Ok(ElementFilter::OnDocuments(Filter::compile(doc)?))
            }
            _ => {
                let mut wrapped = Document::new();
                wrapped.insert(ELEMENT_NAME, condition.clone());
                Ok(ElementFilter::OnValue(Filter::compile(&wrapped)?))
            }
        }
    }

    /// True when the document matches. A runtime error inside `$expr` counts as no match; use
    /// [`Filter::try_matches`] to see it.
    pub fn matches(&self, doc: &Document) -> bool {
        self.try_matches(doc).unwrap_or(false)
    }

    /// Like `matches`, but reports `$expr` runtime errors (`can't $divide by zero`), which fail a whole query in MongoDB.
    pub fn try_matches(&self, doc: &Document) -> MongoResult<bool> {
        self.try_matches_in(doc, Environment::default())
    }

    /// Like `try_matches`, with the variables, `$$NOW` and work budget `$expr` sees inside a pipeline.
    pub fn try_matches_in(&self, doc: &Document, environment: Environment<'_>) -> MongoResult<bool> {
        let root = Root { doc, environment };
        Ok(eval_node(&self.root, Subject::Doc(doc), &root)?.is_some())
    }

    /// Matches a stored document's BSON bytes in place (see [`crate::engine::raw`]), with the tree matcher's
    /// answer; `None` when this document needs the tree (`$expr`, a predicate on the whole document, bytes that
    /// do not parse): then call [`Filter::try_matches_in`].
    pub fn matches_raw(&self, bytes: &[u8]) -> Option<bool> {
        let document = crate::engine::raw::RawDoc::new(bytes).ok()?;
        raw_match::matches(&self.root, document).ok()
    }

    /// `None` = no match; `Some(Some(i))` = match, and the array the query traversed matched at element `i`
    /// (what the positional `$` update operator needs); `Some(None)` = match without an array.
    /// When several predicates cross arrays, the last one wins, as in MongoDB.
    pub fn matches_positional(&self, doc: &Document) -> Option<Option<usize>> {
        let root = Root { doc, environment: Environment::default() };
        eval_node(&self.root, Subject::Doc(doc), &root).unwrap_or(None)
    }

    /// Tests a one-field document `{name: value}`: the wrapped form of an array element (see the type docs).
    pub fn matches_wrapped(&self, name: &str, value: &Bson) -> bool {
        let mut wrapped = Document::new();
        wrapped.insert(name, value.clone());
        self.matches(&wrapped)
    }

    /// The dotted paths the filter tests (outside `$elemMatch` sub-queries), in order, without repeats.
    pub fn paths(&self) -> Vec<&str> {
        fn collect<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
            match node {
                Node::And(children) | Node::Or(children) | Node::Nor(children) => {
                    children.iter().for_each(|child| collect(child, out))
                }
                Node::Not(inner) => collect(inner, out),
                Node::Path { path, .. } => {
                    if !out.contains(&path.dotted()) {
                        out.push(path.dotted());
                    }
                }
                Node::Expr(_) | Node::AlwaysFalse => {}
            }
        }
        let mut out = Vec::new();
        collect(&self.root, &mut out);
        out
    }

    /// Top-level equality, `$in` and range predicates per field, for index selection. Only predicates
    /// that every matching document must satisfy are returned (children of the top-level AND); the
    /// documents an index yields must still be checked with [`Filter::matches`].
    pub fn equality_and_ranges(&self) -> Vec<(String, FieldBounds)> {
        let children: &[Node] = match &self.root {
            Node::And(children) => children,
            single => std::slice::from_ref(single),
        };
        let mut out: Vec<(String, FieldBounds)> = Vec::new();
        for child in children {
            let Node::Path { path, leaf } = child else {
                continue;
            };
            let field = path.dotted().to_string();
            let bounds = match leaf {
                Leaf::Eq(value) => FieldBounds::Equal(value.clone()),
                Leaf::In { values, regexes } if regexes.is_empty() => FieldBounds::In(values.clone()),
                Leaf::Cmp(op, value) => {
                    let bound = Some(Bound { value: value.clone(), inclusive: matches!(op, CmpOp::Gte | CmpOp::Lte) });
                    let (lower, upper) = match op {
                        CmpOp::Gt | CmpOp::Gte => (bound, None),
                        CmpOp::Lt | CmpOp::Lte => (None, bound),
                    };
                    if let Some((_, FieldBounds::Range { lower: l, upper: u })) =
                        out.iter_mut().find(|(name, b)| *name == field && matches!(b, FieldBounds::Range { .. }))
                    {
                        if lower.is_some() {
                            *l = lower;
                        }
                        if upper.is_some() {
                            *u = upper;
                        }
                        continue;
                    }
                    FieldBounds::Range { lower, upper }
                }
                _ => continue,
            };
            out.push((field, bounds));
        }
        out
    }
}

/// The field name [`Filter::compile_element_condition`] wraps values under.
const ELEMENT_NAME: &str = "";

/// A compiled `$pull`-style condition on single array elements.
#[derive(Debug, Clone)]
pub enum ElementFilter {
    /// The condition is a query on element documents; non-document elements never match.
    OnDocuments(Filter),
    /// The condition applies to the element value (wrapped as `{"": element}`).
    OnValue(Filter),
}

impl ElementFilter {
    pub fn matches(&self, element: &Bson) -> bool {
        match (self, element) {
            (ElementFilter::OnDocuments(filter), Bson::Document(doc)) => filter.matches(doc),
            (ElementFilter::OnDocuments(_), _) => false,
            (ElementFilter::OnValue(filter), value) => filter.matches_wrapped(ELEMENT_NAME, value),
        }
    }
}

/// True when a value is a document whose first field is an operator (`{$gt: 5}`), i.e. not a literal to
/// compare with. DBRef-like documents (`{$ref, $id}`) are literals.
pub(crate) fn is_operator_document(value: &Bson, allow_incomplete_dbref: bool) -> bool {
    let Bson::Document(doc) = value else {
        return false;
    };
    let Some(first) = doc.keys().next() else {
        return false;
    };
    if !first.starts_with('$') {
        return false;
    }
    let has = |key: &str| doc.contains_key(key);
    let is_dbref =
        if allow_incomplete_dbref { has("$ref") || has("$id") || has("$db") } else { has("$ref") && has("$id") };
    !is_dbref
}

/// Parses a query document (`{field: condition, $and: [...], ...}`) into an AND of its parts.
pub(crate) fn parse_document(doc: &Document, level: Level<'_>, depth: usize) -> MongoResult<Node> {
    if depth > MAX_FILTER_DEPTH {
        return Err(MongoError::bad_value(format!("exceeded maximum query tree depth of {MAX_FILTER_DEPTH}")));
    }
    let mut children = Vec::new();
    for (key, value) in doc {
        if let Some(operator) = key.strip_prefix('$') {
            if let Some(node) = logical::parse_top_level(operator, key, value, level, depth)? {
                children.push(node);
            }
            continue;
        }
        let path = FieldPath::parse_checked(key)?;
        if is_operator_document(value, false) {
            if let Bson::Document(sub) = value {
                parse_operators(&path, sub, level, depth, &mut children)?;
            }
            continue;
        }
        if let Bson::RegularExpression(regex) = value {
            children.push(Node::Path { path, leaf: Leaf::Regex(RegexMatcher::from_bson_regex(regex)?) });
            continue;
        }
        children.push(Node::Path { path, leaf: Leaf::Eq(value.clone()) });
    }
    Ok(single_or_and(children))
}

fn single_or_and(mut children: Vec<Node>) -> Node {
    if children.len() == 1 {
        if let Some(only) = children.pop() {
            return only;
        }
    }
    Node::And(children)
}

/// Parses `{ $gt: 5, $lt: 8 }` applied to `path`, pushing one node per operator.
pub(crate) fn parse_operators(
    path: &FieldPath,
    operators: &Document,
    level: Level<'_>,
    depth: usize,
    out: &mut Vec<Node>,
) -> MongoResult<()> {
    for (name, argument) in operators {
        let node = match name.as_str() {
            "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$in" | "$nin" => {
                comparison::parse(path, name, argument)?
            }
            "$not" => logical::parse_not(path, argument, level, depth)?,
            "$exists" | "$type" => element::parse(path, name, argument)?,
            "$regex" | "$options" => evaluation::parse_regex_document(name, operators)?
                .map(|matcher| Node::Path { path: path.clone(), leaf: Leaf::Regex(matcher) }),
            "$mod" => Some(evaluation::parse_mod(path, argument)?),
            "$size" | "$all" | "$elemMatch" => array::parse(path, name, argument, level, depth)?,
            "$bitsAllSet" | "$bitsAnySet" | "$bitsAllClear" | "$bitsAnyClear" => {
                Some(bitwise::parse(path, name, argument)?)
            }
            "$where" => {
                return Err(MongoError::bad_value("$where cannot be applied to a field"));
            }
            _ if UNSUPPORTED_FIELD_OPERATORS.contains(&name.as_str()) => {
                return Err(MongoError::bad_value(format!(
                    "{name} is a MongoDB operator that crudlab does not support"
                )));
            }
            _ => {
                return Err(MongoError::bad_value(format!("unknown operator: {name}"))
                    .with_hint("This `$` operator does not exist; check its spelling in the operator reference."));
            }
        };
        if let Some(node) = node {
            out.push(node);
        }
    }
    Ok(())
}

fn eval_node(node: &Node, subject: Subject<'_>, root: &Root<'_>) -> MongoResult<Matched> {
    Ok(match node {
        Node::And(children) => {
            let mut position = None;
            for child in children {
                match eval_node(child, subject, root)? {
                    None => return Ok(None),
                    Some(Some(found)) => position = Some(found),
                    Some(None) => {}
                }
            }
            Some(position)
        }
        Node::Or(children) => {
            for child in children {
                if let Some(found) = eval_node(child, subject, root)? {
                    return Ok(Some(found));
                }
            }
            None
        }
        Node::Nor(children) => {
            for child in children {
                if eval_node(child, subject, root)?.is_some() {
                    return Ok(None);
                }
            }
            Some(None)
        }
        Node::Not(inner) => match eval_node(inner, subject, root)? {
            Some(_) => None,
            None => Some(None),
        },
        Node::AlwaysFalse => None,
        Node::Expr(expression) => {
            let value = expression.evaluate_in(root.doc, root.environment)?;
            crate::engine::expr::is_truthy(value.as_ref()).then_some(None)
        }
        Node::Path { path, leaf } => match subject {
            Subject::Value(value) if path.is_empty() => leaf.matches_value(value, root)?.then_some(None),
            Subject::Value(_) => None,
            Subject::Doc(doc) if path.is_empty() => {
                leaf.matches_value(&Bson::Document(doc.clone()), root)?.then_some(None)
            }
            // A top-level field reaches exactly one place: skip the general walk and its allocation.
            Subject::Doc(doc) if path.parts().len() == 1 => {
                let value = path.parts().first().and_then(|field| crate::engine::path::field(doc, field));
                leaf.matches_reached(value, None, root)?
            }
            Subject::Doc(doc) => {
                for reached in reach(doc, path.parts()) {
                    if let Some(found) = leaf.matches_reached(reached.value, reached.array_position, root)? {
                        return Ok(Some(found));
                    }
                }
                None
            }
        },
    })
}

impl Leaf {
    /// Whether the predicate also looks at each element of an array it reaches (MongoDB's leaf array expansion).
    fn expands_arrays(&self) -> bool {
        !matches!(self, Leaf::Size(_) | Leaf::ElemMatchObject(_) | Leaf::ElemMatchValue(_) | Leaf::Exists)
    }

    fn matches_missing(&self) -> bool {
        match self {
            Leaf::Eq(value) => matches!(value, Bson::Null),
            Leaf::Cmp(CmpOp::Gte | CmpOp::Lte, Bson::Null) => true,
            Leaf::In { values, .. } => values.iter().any(|v| matches!(v, Bson::Null)),
            _ => false,
        }
    }

    fn matches_reached(
        &self,
        value: Option<&Bson>,
        array_position: Option<usize>,
        root: &Root<'_>,
    ) -> MongoResult<Matched> {
        let Some(value) = value else {
            return Ok(self.matches_missing().then_some(array_position));
        };
        if matches!(self, Leaf::ElemMatchObject(_) | Leaf::ElemMatchValue(_)) {
            return Ok(self.elem_match_index(value, root)?.map(|index| array_position.or(Some(index))));
        }
        if let (true, Bson::Array(items)) = (self.expands_arrays(), value) {
            for (index, item) in items.iter().enumerate() {
                if self.matches_value(item, root)? {
                    return Ok(Some(array_position.or(Some(index))));
                }
            }
        }
        Ok(self.matches_value(value, root)?.then_some(array_position))
    }

    /// The predicate applied to one value, without looking inside arrays.
    fn matches_value(&self, value: &Bson, root: &Root<'_>) -> MongoResult<bool> {
        match self.matches_scalar(value) {
            Some(decided) => Ok(decided),
            None => Ok(self.elem_match_index(value, root)?.is_some()),
        }
    }

    /// [`Leaf::matches_value`] for every predicate but `$elemMatch` (`None`), which needs the whole match's root.
    fn matches_scalar(&self, value: &Bson) -> Option<bool> {
        Some(match self {
            Leaf::Eq(expected) => comparison::equals(value, expected),
            Leaf::Cmp(op, operand) => comparison::compare_matches(*op, value, operand),
            Leaf::In { values, regexes } => {
                values.iter().any(|v| comparison::equals(value, v)) || regexes.iter().any(|r| r.matches_value(value))
            }
            Leaf::Exists => true,
            Leaf::Type(types) => types.iter().any(|t| t.matches(value)),
            Leaf::Regex(regex) => regex.matches_value(value),
            Leaf::Mod { divisor, remainder } => evaluation::mod_matches(value, *divisor, *remainder),
            Leaf::Size(size) => matches!(value, Bson::Array(items) if items.len() == *size),
            Leaf::Bits { test, positions } => bitwise::matches(value, *test, positions),
            Leaf::ElemMatchObject(_) | Leaf::ElemMatchValue(_) => return None,
        })
    }
}

impl Leaf {
    /// For `$elemMatch`: the index of the first array element that satisfies the condition.
    fn elem_match_index(&self, value: &Bson, root: &Root<'_>) -> MongoResult<Option<usize>> {
        let Bson::Array(items) = value else {
            return Ok(None);
        };
        for (index, item) in items.iter().enumerate() {
            let satisfied = match self {
                Leaf::ElemMatchObject(query) => match item {
                    Bson::Document(element) => eval_node(query, Subject::Doc(element), root)?.is_some(),
                    _ => false,
                },
                Leaf::ElemMatchValue(conditions) => {
                    let mut all = true;
                    for condition in conditions {
                        if eval_node(condition, Subject::Value(item), root)?.is_none() {
                            all = false;
                            break;
                        }
                    }
                    all
                }
                _ => false,
            };
            if satisfied {
                return Ok(Some(index));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::{bson, doc};

    #[test]
    fn dotted_paths_through_documents_and_arrays() {
        let d = doc! {"profile": {"langs": ["en", "fr"], "address": {"zip": "02139"}},
        "scores": [{"subject": "c", "score": 90}, {"subject": "git", "score": 75}],
        "tags": ["code", ["nested"]]};
        let yes = |f: Document| Filter::compile(&f).unwrap().matches(&d);
        assert!(yes(doc! {"profile.langs": "fr"}));
        assert!(yes(doc! {"profile.address.zip": "02139"}));
        assert!(yes(doc! {"scores.subject": "git"}));
        assert!(yes(doc! {"scores.0.score": {"$lt": 95}}));
        assert!(!yes(doc! {"scores.1.score": {"$gt": 80}}));
        assert!(yes(doc! {"tags.1.0": "nested"}));
        assert!(yes(doc! {"tags": ["nested"]}));
        assert!(yes(doc! {"profile.missing": null}));
        assert!(!yes(doc! {"profile": {"langs": ["en", "fr"]}}));
        assert!(yes(doc! {}));
    }

    #[test]
    fn element_conditions_for_pull_and_array_filters() {
        let by_value = Filter::compile_element_condition(&bson!({"$gte": 103})).unwrap();
        assert!(by_value.matches(&bson!(104)));
        assert!(!by_value.matches(&bson!(101)));
        let by_doc = Filter::compile_element_condition(&bson!({"score": {"$lt": 80}})).unwrap();
        assert!(by_doc.matches(&bson!({"score": 75})));
        assert!(!by_doc.matches(&bson!({"score": 85})));
        assert!(!by_doc.matches(&bson!(75)));
        let logical = Filter::compile_element_condition(&bson!({"$or": [{"score": 1}, {"score": 2}]})).unwrap();
        assert!(logical.matches(&bson!({"score": 2})));
        let everything = Filter::compile_element_condition(&bson!({})).unwrap();
        assert!(everything.matches(&bson!({"any": 1})));
        assert!(!everything.matches(&bson!(1)));
        let literal = Filter::compile_element_condition(&bson!("b")).unwrap();
        assert!(literal.matches(&bson!("b")));
        let array_filter = Filter::compile(&doc! {"s.score": {"$gte": 80}}).unwrap();
        assert!(array_filter.matches_wrapped("s", &bson!({"score": 80})));
        assert!(!array_filter.matches_wrapped("s", &bson!({"score": 79})));
    }

    #[test]
    fn equality_and_ranges_for_the_planner() {
        let f = Filter::compile(&doc! {"a": 5, "b": {"$gt": 1, "$lte": 9}, "c": {"$in": [1, 2]},
        "$or": [{"d": 1}], "e": {"$ne": 3}})
        .unwrap();
        assert_eq!(
            f.equality_and_ranges(),
            vec![
                ("a".to_string(), FieldBounds::Equal(bson!(5))),
                (
                    "b".to_string(),
                    FieldBounds::Range {
                        lower: Some(Bound { value: bson!(1), inclusive: false }),
                        upper: Some(Bound { value: bson!(9), inclusive: true }),
                    }
                ),
                ("c".to_string(), FieldBounds::In(vec![bson!(1), bson!(2)])),
            ]
        );
        let single = Filter::compile(&doc! {"x": {"$lt": 3}}).unwrap();
        assert_eq!(single.equality_and_ranges().len(), 1);
    }

    #[test]
    fn expr_runtime_errors_surface_in_try_matches() {
        let f = Filter::compile(&doc! {"$expr": {"$divide": [1, "$z"]}}).unwrap();
        assert!(f.try_matches(&doc! {"z": 0}).is_err());
        assert!(!f.matches(&doc! {"z": 0}));
    }
}

#[cfg(test)]
mod robustness {
    //! Random filters, projections and sorts over random documents: compiling and running them must never panic.
    use super::Filter;
    use crate::engine::projection::Projection;
    use crate::engine::sort::SortSpec;
    use bson::{Bson, Document};
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-c]{1,2}(\\.[0-2a-c]){0,2}",
            prop::sample::select(vec![
                "$eq",
                "$ne",
                "$gt",
                "$lte",
                "$in",
                "$nin",
                "$all",
                "$elemMatch",
                "$size",
                "$not",
                "$exists",
                "$type",
                "$regex",
                "$options",
                "$mod",
                "$and",
                "$or",
                "$nor",
                "$expr",
                "$add",
                "$divide",
                "$cond",
                "$ifNull",
                "$concat",
                "$slice",
                "$literal",
                "$cmp",
            ])
            .prop_map(String::from),
        ]
    }

    fn value() -> impl Strategy<Value = Bson> {
        let leaf = prop_oneof![
            Just(Bson::Null),
            (-3i32..5).prop_map(Bson::Int32),
            any::<f64>().prop_map(Bson::Double),
            "[a-c$.()*\\\\]{0,4}".prop_map(Bson::String),
            any::<bool>().prop_map(Bson::Boolean),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Bson::Array),
                prop::collection::vec((key(), inner), 0..4)
                    .prop_map(|fields| Bson::Document(fields.into_iter().collect())),
            ]
        })
    }

    fn document() -> impl Strategy<Value = Document> {
        prop::collection::vec((key(), value()), 0..5).prop_map(|f| f.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn single_operators_never_panic(
            path in "[a-c]{1,2}(\\.[0-2a-c]){0,2}",
            operator in key(),
            argument in value(),
            docs in prop::collection::vec(document(), 1..4),
        ) {
            let mut condition = Document::new();
            condition.insert(operator, argument);
            let mut spec = Document::new();
            spec.insert(path, condition);
            if let Ok(filter) = Filter::compile(&spec) {
                for doc in &docs {
                    let _ = filter.try_matches(doc);
                    let _ = filter.matches_positional(doc);
                }
            }
        }

        #[test]
        fn never_panics(spec in document(), docs in prop::collection::vec(document(), 0..4)) {
            if let Ok(filter) = Filter::compile(&spec) {
                for doc in &docs {
                    let _ = filter.try_matches(doc);
                    let _ = filter.matches_positional(doc);
                }
                let _ = filter.equality_and_ranges();
            }
            if let Ok(projection) = Projection::compile(&spec) {
                for doc in &docs {
                    let _ = projection.apply_with_position(doc, Some(1));
                }
            }
            let sort_spec: Document = spec.keys().map(|k| (k.clone(), Bson::Int32(-1))).collect();
            if let Ok(sort) = SortSpec::compile(&sort_spec) {
                let mut sorted = docs.clone();
                sort.sort(&mut sorted);
                prop_assert_eq!(sorted.len(), docs.len());
            }
            if let Ok(sort) = SortSpec::compile(&spec) {
                let mut sorted = docs.clone();
                sort.sort(&mut sorted);
                prop_assert_eq!(sorted.len(), docs.len());
            }
        }
    }
}

#[cfg(test)]
mod manual_examples {
    //! The examples of MongoDB's manual pages "Query an Array", "Query an Array of Embedded Documents" and
    //! "Query for Null or Missing Fields", with the results the manual shows.
    use super::Filter;
    use bson::{doc, Document};

    fn items(filter: Document, docs: &[Document]) -> Vec<String> {
        let filter = Filter::compile(&filter).unwrap();
        docs.iter().filter(|d| filter.matches(d)).map(|d| d.get_str("item").unwrap().to_string()).collect()
    }

    #[test]
    fn query_an_array() {
        let inventory = [
            doc! {"item": "journal", "qty": 25, "tags": ["blank", "red"], "dim_cm": [14, 21]},
            doc! {"item": "notebook", "qty": 50, "tags": ["red", "blank"], "dim_cm": [14, 21]},
            doc! {"item": "paper", "qty": 100, "tags": ["red", "blank", "plain"], "dim_cm": [14, 21]},
            doc! {"item": "planner", "qty": 75, "tags": ["blank", "red"], "dim_cm": [22.85, 30]},
            doc! {"item": "postcard", "qty": 45, "tags": ["blue"], "dim_cm": [10, 15.25]},
        ];
        assert_eq!(items(doc! {"tags": ["red", "blank"]}, &inventory), ["notebook"]);
        assert_eq!(
            items(doc! {"tags": {"$all": ["red", "blank"]}}, &inventory),
            ["journal", "notebook", "paper", "planner"]
        );
        assert_eq!(items(doc! {"tags": "red"}, &inventory), ["journal", "notebook", "paper", "planner"]);
        assert_eq!(items(doc! {"dim_cm": {"$gt": 25}}, &inventory), ["planner"]);
        assert_eq!(
            items(doc! {"dim_cm": {"$gt": 15, "$lt": 20}}, &inventory),
            ["journal", "notebook", "paper", "postcard"]
        );
        assert_eq!(items(doc! {"dim_cm": {"$elemMatch": {"$gt": 22, "$lt": 30}}}, &inventory), ["planner"]);
        assert_eq!(items(doc! {"dim_cm.1": {"$gt": 25}}, &inventory), ["planner"]);
        assert_eq!(items(doc! {"tags": {"$size": 3}}, &inventory), ["paper"]);
    }

    #[test]
    fn query_an_array_of_embedded_documents() {
        let inventory = [
            doc! {"item": "journal", "instock": [{"warehouse": "A", "qty": 5}, {"warehouse": "C", "qty": 15}]},
            doc! {"item": "notebook", "instock": [{"warehouse": "C", "qty": 5}]},
            doc! {"item": "paper", "instock": [{"warehouse": "A", "qty": 60}, {"warehouse": "B", "qty": 15}]},
            doc! {"item": "planner", "instock": [{"warehouse": "A", "qty": 40}, {"warehouse": "B", "qty": 5}]},
            doc! {"item": "postcard", "instock": [{"warehouse": "B", "qty": 15}, {"warehouse": "C", "qty": 35}]},
        ];
        assert_eq!(items(doc! {"instock": {"warehouse": "A", "qty": 5}}, &inventory), ["journal"]);
        assert!(items(doc! {"instock": {"qty": 5, "warehouse": "A"}}, &inventory).is_empty());
        assert_eq!(items(doc! {"instock.0.qty": {"$lte": 20}}, &inventory), ["journal", "notebook", "postcard"]);
        assert_eq!(items(doc! {"instock.qty": {"$lte": 20}}, &inventory).len(), 5);
        assert_eq!(items(doc! {"instock": {"$elemMatch": {"qty": 5, "warehouse": "A"}}}, &inventory), ["journal"]);
        assert_eq!(
            items(doc! {"instock": {"$elemMatch": {"qty": {"$gt": 10, "$lte": 20}}}}, &inventory),
            ["journal", "paper", "postcard"]
        );
        assert_eq!(
            items(doc! {"instock.qty": {"$gt": 10, "$lte": 20}}, &inventory),
            ["journal", "paper", "planner", "postcard"]
        );
        assert_eq!(items(doc! {"instock.qty": 5, "instock.warehouse": "A"}, &inventory), ["journal", "planner"]);
    }

    #[test]
    fn query_for_null_or_missing_fields() {
        let inventory = [doc! {"_id": 1, "item": null}, doc! {"_id": 2}];
        let ids = |filter: Document| {
            let filter = Filter::compile(&filter).unwrap();
            inventory.iter().filter(|d| filter.matches(d)).map(|d| d.get_i32("_id").unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(ids(doc! {"item": null}), [1, 2]);
        assert_eq!(ids(doc! {"item": {"$ne": null}}), Vec::<i32>::new());
        assert_eq!(ids(doc! {"item": {"$type": 10}}), [1]);
        assert_eq!(ids(doc! {"item": {"$exists": false}}), [2]);
    }
}
