//! The grouping stages: `$group`, and the ones MongoDB builds on it: `$count`, `$sortByCount` and `$bucket`. Groups
//! come out in the order their first document came in (MongoDB leaves the order unspecified); the memory the groups
//! hold is counted and bounded.

use super::accumulator::{parse_fields, Accumulator};
use super::memory::{Holder, Memory};
use super::{describe, Compiler, Runner, Stage};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::{compare_values, Expression, SetKey};
use crate::engine::limits::value_size;
use crate::engine::raw::Record;
use crate::engine::value::type_name;
use bson::{Bson, Document};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A compiled grouping stage.
#[derive(Debug, Clone)]
pub(crate) enum Group {
    /// `$group`: documents grouped by `_id`, with accumulators.
    By { id: Expression, accumulators: Vec<(String, Accumulator)> },
    /// `$count: "name"`: one document `{name: n}`, none for no input.
    Count(String),
    /// `$sortByCount: expression`: `{_id, count}` per value, most frequent first.
    SortByCount(Expression),
    /// `$bucket`.
    Bucket(Bucket),
}

/// A compiled `$bucket`: `groupBy` values between consecutive boundaries go to the lower boundary's bucket.
#[derive(Debug, Clone)]
pub(crate) struct Bucket {
    group_by: Expression,
    boundaries: Vec<Bson>,
    default: Option<Bson>,
    accumulators: Vec<(String, Accumulator)>,
}

fn error(code: i32, message: impl Into<String>) -> MongoError {
    MongoError::new(ErrorCode::Location(code), message)
}

pub(super) fn compile_group(_: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let Bson::Document(spec) = argument else {
        return Err(error(15947, "a group's fields must be specified in an object"));
    };
    let mut parser = compiler.parser();
    let Some(id) = spec.get("_id") else {
        return Err(error(15955, "a group specification must include an _id"));
    };
    let id = parser.expression(id)?;
    let accumulators = parse_fields(spec.iter().filter(|(name, _)| *name != "_id"), &mut parser)?;
    Ok(Stage::Group(Box::new(Group::By { id, accumulators })))
}

pub(super) fn compile_count(_: &'static str, argument: &Bson, _: &mut Compiler) -> MongoResult<Stage> {
    let Bson::String(name) = argument else {
        return Err(error(40156, "the count field must be a non-empty string"));
    };
    if name.is_empty() {
        return Err(error(40157, "the count field must be a non-empty string"));
    }
    if name.starts_with('$') {
        return Err(error(40158, "the count field cannot be a $-prefixed path"));
    }
    if name.contains('\0') {
        return Err(error(40159, "the count field cannot contain a null byte"));
    }
    if name.contains('.') {
        return Err(error(40160, "the count field cannot contain '.'"));
    }
    Ok(Stage::Group(Box::new(Group::Count(name.clone()))))
}

pub(super) fn compile_sort_by_count(_: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    const MESSAGE: &str =
        "the sortByCount field must be defined as a $-prefixed path or an expression inside an object";
    match argument {
        Bson::String(path) if path.starts_with('$') => {}
        Bson::String(_) => return Err(error(40148, MESSAGE)),
        Bson::Document(spec) if spec.keys().next().is_some_and(|k| k.starts_with('$')) => {}
        Bson::Document(_) => return Err(error(40147, MESSAGE)),
        _ => return Err(error(40149, "the sortByCount field must be specified as a string or as an object")),
    }
    let expression = compiler.parser().expression(argument)?;
    Ok(Stage::Group(Box::new(Group::SortByCount(expression))))
}

pub(super) fn compile_bucket(_: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let Bson::Document(spec) = argument else {
        return Err(error(
            40201,
            format!("Argument to $bucket stage must be an object, but found type: {}.", type_name(argument)),
        ));
    };
    let mut parser = compiler.parser();
    let mut group_by = None;
    let mut boundaries = Vec::new();
    let mut default = None;
    let mut accumulators = None;
    for (name, value) in spec {
        match name.as_str() {
            "groupBy" => {
                let is_expression =
                    matches!(value, Bson::Document(d) if d.keys().next().is_some_and(|k| k.starts_with('$')));
                let is_path = matches!(value, Bson::String(s) if s.starts_with('$'));
                if !is_expression && !is_path {
                    return Err(error(40202, format!("The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression, but found: {}.", describe(value))));
                }
                group_by = Some(parser.expression(value)?);
            }
            "boundaries" => {
                let Bson::Array(items) = value else {
                    return Err(error(
                        40200,
                        format!(
                            "The $bucket 'boundaries' field must be an array, but found type: {}.",
                            type_name(value)
                        ),
                    ));
                };
                for item in items {
                    let parsed = parser.expression(item)?;
                    let Some(constant) = parsed.constant() else {
                        return Err(error(40191, format!("The $bucket 'boundaries' field must be an array of constant values, but found value: {}.", describe(item))));
                    };
                    boundaries.push(constant.clone());
                }
                if boundaries.len() < 2 {
                    return Err(error(
                        40192,
                        format!(
                            "The $bucket 'boundaries' field must have at least 2 values, but found {} value(s).",
                            boundaries.len()
                        ),
                    ));
                }
                for (i, pair) in boundaries.windows(2).enumerate() {
                    let (Some(lower), Some(upper)) = (pair.first(), pair.get(1)) else { continue };
                    if crate::engine::value::type_rank(lower) != crate::engine::value::type_rank(upper) {
                        return Err(error(40193, format!("All values in the the 'boundaries' option to $bucket must have the same type. Found conflicting types {} and {}.", type_name(lower), type_name(upper))));
                    }
                    if compare_values(Some(lower), Some(upper)) != Ordering::Less {
                        return Err(error(40194, format!("The 'boundaries' option to $bucket must be sorted, but elements {} and {} are not in ascending order ({} is not less than {}).", i, i + 1, describe(lower), describe(upper))));
                    }
                }
            }
            "default" => {
                let parsed = parser.expression(value)?;
                let Some(constant) = parsed.constant() else {
                    return Err(error(
                        40195,
                        format!(
                            "The $bucket 'default' field must be a constant expression, but found: {}.",
                            describe(value)
                        ),
                    ));
                };
                default = Some(constant.clone());
            }
            "output" => {
                let Bson::Document(output) = value else {
                    return Err(error(
                        40196,
                        format!("The $bucket 'output' field must be an object, but found type: {}.", type_name(value)),
                    ));
                };
                accumulators = Some(parse_fields(output.iter(), &mut parser)?);
            }
            other => return Err(error(40197, format!("Unrecognized option to $bucket: {other}."))),
        }
    }
    let (Some(group_by), false) = (group_by, boundaries.is_empty()) else {
        return Err(error(40198, "$bucket requires 'groupBy' and 'boundaries' to be specified."));
    };
    if let (Some(default), Some(lowest), Some(highest)) = (&default, boundaries.first(), boundaries.last()) {
        let same_type = crate::engine::value::type_rank(default) == crate::engine::value::type_rank(lowest);
        let outside = compare_values(Some(default), Some(lowest)) == Ordering::Less
            || compare_values(Some(default), Some(highest)) != Ordering::Less;
        if same_type && !outside {
            return Err(error(40199, "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary."));
        }
    }
    // Without `output`, a bucket counts its documents.
    let accumulators = match accumulators {
        Some(accumulators) => accumulators,
        None => parse_fields(
            [("count".to_string(), Bson::Document(bson::doc! {"$sum": 1}))].iter().map(|(k, v)| (k, v)),
            &mut parser,
        )?,
    };
    Ok(Stage::Group(Box::new(Group::Bucket(Bucket { group_by, boundaries, default, accumulators }))))
}

/// The groups being built: keys in first-seen order, each with its accumulators' states.
struct Groups<'a> {
    accumulators: &'a [(String, Accumulator)],
    /// The groups of string (and symbol) keys by their text: strings equal only strings and symbols of the same
    /// text, so they are found without copying the key.
    by_text: BTreeMap<String, usize>,
    /// The groups of every other key, by MongoDB's comparison (numbers by value).
    index: BTreeMap<SetKey, usize>,
    groups: Vec<(Bson, Vec<super::accumulator::State>)>,
    memory: Memory,
}

impl<'a> Groups<'a> {
    fn new(accumulators: &'a [(String, Accumulator)], runner: &Runner<'_>) -> Groups<'a> {
        Groups {
            accumulators,
            by_text: BTreeMap::new(),
            index: BTreeMap::new(),
            groups: Vec::new(),
            memory: Memory::new(Holder::Group, runner.memory_limit),
        }
    }

    /// Adds one document to the group of `key`.
    fn add(&mut self, key: Cow<'_, Bson>, document: &Document, runner: &Runner<'_>) -> MongoResult<()> {
        self.add_with(key, |accumulator| accumulator.argument().evaluate_in(document, runner.environment))
    }

    /// Adds to the group of `key` the values `argument` gives for each accumulator.
    fn add_with(
        &mut self,
        key: Cow<'_, Bson>,
        mut argument: impl FnMut(&Accumulator) -> MongoResult<super::super::expr::Evaluated>,
    ) -> MongoResult<()> {
        let found = match &*key {
            Bson::String(text) | Bson::Symbol(text) => self.by_text.get(text.as_str()).copied(),
            other => self.index.get(&SetKey(other.clone())).copied(),
        };
        let position = match found {
            Some(position) => position,
            None => {
                // A group costs its key, and a little per accumulator.
                self.memory.add(value_size(&key) + 64 * (self.accumulators.len() + 1))?;
                let states = self.accumulators.iter().map(|(_, accumulator)| accumulator.start()).collect();
                let key = key.into_owned();
                let position = self.groups.len();
                match &key {
                    Bson::String(text) | Bson::Symbol(text) => {
                        self.by_text.insert(text.clone(), position);
                    }
                    other => {
                        self.index.insert(SetKey(other.clone()), position);
                    }
                }
                self.groups.push((key, states));
                position
            }
        };
        let Some((_, states)) = self.groups.get_mut(position) else { return Ok(()) };
        for ((_, accumulator), state) in self.accumulators.iter().zip(states.iter_mut()) {
            let value = argument(accumulator)?;
            let grown = accumulator.process(state, value)?;
            self.memory.add(grown)?;
        }
        Ok(())
    }

    /// One document per group: `{_id: key, <accumulator>: result, ...}`.
    fn finish(self) -> Vec<Document> {
        let accumulators = self.accumulators;
        self.groups
            .into_iter()
            .map(|(key, states)| {
                let mut out = Document::new();
                out.insert("_id", key);
                for ((name, accumulator), state) in accumulators.iter().zip(states) {
                    out.insert(name.clone(), accumulator.finish(state));
                }
                out
            })
            .collect()
    }
}

impl Group {
    /// The paths of its input documents the stage reads, or `None` when it may read whole documents.
    pub(super) fn reads_paths(&self) -> Option<Vec<Vec<String>>> {
        let mut fields = Vec::new();
        let all_known = match self {
            Group::By { id, accumulators } => {
                id.reads_paths(&mut fields)
                    && accumulators.iter().all(|(_, accumulator)| accumulator.argument().reads_paths(&mut fields))
            }
            Group::Count(_) => true,
            Group::SortByCount(expression) => expression.reads_paths(&mut fields),
            Group::Bucket(bucket) => {
                bucket.group_by.reads_paths(&mut fields)
                    && bucket
                        .accumulators
                        .iter()
                        .all(|(_, accumulator)| accumulator.argument().reads_paths(&mut fields))
            }
        };
        all_known.then_some(fields)
    }

    pub(super) fn apply<'d>(&self, documents: super::Docs<'d>, runner: &Runner<'d>) -> MongoResult<super::Docs<'d>> {
        let mut grouping = self.start(runner);
        for document in &documents {
            grouping.add(document, runner)?;
        }
        Ok(grouping.finish().into_iter().map(Cow::Owned).collect())
    }

    /// Whether [`Group::apply_to_collection`] reads the stage's fields from the records' bytes.
    pub(super) fn reads_stored_bytes(&self) -> bool {
        matches!(self, Group::By { .. })
    }

    /// The stage run first over a whole collection: as [`Group::apply`] over its documents (the same results,
    /// errors and work spent), with the key and accumulator fields read from each record's BSON bytes where they
    /// can be — a scan of contiguous bytes instead of a walk through each document tree.
    pub(super) fn apply_to_collection<'d>(
        &self,
        collection: &'d crate::engine::collection::Collection,
        runner: &Runner<'d>,
    ) -> MongoResult<super::Docs<'d>> {
        // What reading the collection and then applying the stage to its documents spend.
        runner.spend(collection.len() as u64)?;
        runner.spend(collection.len() as u64)?;
        let mut grouping = self.start(runner);
        for record in collection.stored_documents() {
            grouping.add_stored(record, runner)?;
        }
        Ok(grouping.finish().into_iter().map(Cow::Owned).collect())
    }

    /// Starts grouping: documents are then added one at a time (an `$unwind` before the stage feeds them as it
    /// makes them), and [`Grouping::finish`] gives the stage's output.
    pub(super) fn start<'g>(&'g self, runner: &Runner<'_>) -> Grouping<'g> {
        let state = match self {
            Group::By { accumulators, .. } => Tally::Groups(Groups::new(accumulators, runner)),
            Group::Bucket(bucket) => Tally::Groups(Groups::new(&bucket.accumulators, runner)),
            Group::Count(_) => Tally::Count(0),
            Group::SortByCount(_) => Tally::Counts {
                counts: Vec::new(),
                index: BTreeMap::new(),
                memory: Memory::new(Holder::Group, runner.memory_limit),
            },
        };
        Grouping { group: self, state }
    }
}

/// What a grouping stage holds while its documents come in.
enum Tally<'g> {
    Groups(Groups<'g>),
    Count(usize),
    Counts { counts: Vec<(Bson, i64)>, index: BTreeMap<SetKey, usize>, memory: Memory },
}

/// A grouping stage under way (see [`Group::start`]).
pub(super) struct Grouping<'g> {
    group: &'g Group,
    state: Tally<'g>,
}

impl Grouping<'_> {
    /// Adds a stored document, reading the fields of a `$group` from its BSON `bytes` where they can answer.
    fn add_stored<'a>(&mut self, record: impl Record<'a>, runner: &Runner<'_>) -> MongoResult<()> {
        let raw = record.bytes().and_then(|bytes| crate::engine::raw::RawDoc::new(bytes).ok());
        let (Group::By { id, .. }, Tally::Groups(groups), Some(raw)) = (self.group, &mut self.state, raw) else {
            return self.add(record.document(), runner);
        };
        let environment = runner.environment;
        let key = match id.evaluate_raw(raw, environment)? {
            Some(value) => value.map(Cow::Owned),
            None => id.evaluate_borrowed(record.document(), environment)?,
        };
        // A missing _id groups with null.
        groups.add_with(key.unwrap_or(Cow::Owned(Bson::Null)), |accumulator| {
            match accumulator.argument().evaluate_raw(raw, environment)? {
                Some(value) => Ok(value),
                None => accumulator.argument().evaluate_in(record.document(), environment),
            }
        })
    }

    /// Adds one input document.
    pub(super) fn add(&mut self, document: &Document, runner: &Runner<'_>) -> MongoResult<()> {
        match (self.group, &mut self.state) {
            (Group::By { id, .. }, Tally::Groups(groups)) => {
                // A missing _id groups with null.
                let key = id.evaluate_borrowed(document, runner.environment)?.unwrap_or(Cow::Owned(Bson::Null));
                groups.add(key, document, runner)
            }
            (Group::Bucket(bucket), Tally::Groups(groups)) => {
                let key = bucket.key(document, runner)?;
                groups.add(Cow::Owned(key), document, runner)
            }
            (Group::Count(_), Tally::Count(seen)) => {
                *seen += 1;
                Ok(())
            }
            (Group::SortByCount(expression), Tally::Counts { counts, index, memory }) => {
                let key = expression.evaluate_in(document, runner.environment)?.unwrap_or(Bson::Null);
                match index.get(&SetKey(key.clone())) {
                    Some(&position) => {
                        if let Some((_, count)) = counts.get_mut(position) {
                            *count += 1;
                        }
                    }
                    None => {
                        memory.add(value_size(&key) + 64)?;
                        index.insert(SetKey(key.clone()), counts.len());
                        counts.push((key, 1));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The stage's output documents.
    pub(super) fn finish(self) -> Vec<Document> {
        match (self.group, self.state) {
            (Group::Bucket(_), Tally::Groups(groups)) => {
                // $bucket sorts its buckets by _id.
                let mut out = groups.finish();
                out.sort_by(|a, b| compare_values(a.get("_id"), b.get("_id")));
                out
            }
            (_, Tally::Groups(groups)) => groups.finish(),
            (Group::Count(name), Tally::Count(seen)) => {
                if seen == 0 {
                    return Vec::new();
                }
                let mut out = Document::new();
                out.insert(name.clone(), crate::engine::expr::size_value(seen));
                vec![out]
            }
            (_, Tally::Count(_)) => Vec::new(),
            (_, Tally::Counts { mut counts, .. }) => {
                // Most frequent first; ties keep their first-seen order (MongoDB leaves them unspecified).
                counts.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
                counts
                    .into_iter()
                    .map(|(key, count)| {
                        let mut out = Document::new();
                        out.insert("_id", key);
                        out.insert("count", crate::engine::expr::int_value(count));
                        out
                    })
                    .collect()
            }
        }
    }
}

impl Bucket {
    /// The bucket of one document: the lower boundary of the range its `groupBy` value falls in, or the default.
    fn key(&self, document: &Document, runner: &Runner<'_>) -> MongoResult<Bson> {
        let value = self.group_by.evaluate_in(document, runner.environment)?;
        // Each pair of boundaries is an inclusive lower and an exclusive upper bound.
        let bucket = self.boundaries.windows(2).find_map(|pair| match pair {
            [lower, upper]
                if compare_values(value.as_ref(), Some(lower)) != Ordering::Less
                    && compare_values(value.as_ref(), Some(upper)) == Ordering::Less =>
            {
                Some(lower.clone())
            }
            _ => None,
        });
        match (bucket, &self.default) {
            (Some(lower), _) => Ok(lower),
            (None, Some(default)) => Ok(default.clone()),
            (None, None) => Err(error(
                40066,
                "$switch could not find a matching branch for an input, and no default was specified.",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use bson::{doc, Document};

    fn artists() -> Vec<Document> {
        // The artists collection of MongoDB's $bucket page (fewer fields).
        vec![
            doc! {"_id": 1, "last_name": "Bernard", "year_born": 1845},
            doc! {"_id": 2, "last_name": "Rippl-Ronai", "year_born": 1861},
            doc! {"_id": 3, "last_name": "Ostroumova", "year_born": 1871},
            doc! {"_id": 4, "last_name": "Van Gogh", "year_born": 1853},
            doc! {"_id": 5, "last_name": "Maurer", "year_born": 1868},
            doc! {"_id": 6, "last_name": "Munch", "year_born": 1863},
            doc! {"_id": 7, "last_name": "Redon", "year_born": 1840},
            doc! {"_id": 8, "last_name": "Diriks", "year_born": "unknown"},
        ]
    }

    #[test]
    fn a_leading_group_reads_the_bytes_and_answers_as_the_tree_does() {
        // Keys and accumulated values of every kind, paths through documents, through arrays (the tree answers) and
        // missing; a leading `{$match: {}}` makes the same `$group` run on the trees.
        let docs = vec![
            doc! {"_id": 1, "k": "a", "p": {"c": "x", "n": 2}, "v": 1},
            doc! {"_id": 2, "k": bson::Bson::Symbol("a".into()), "p": {"c": "y", "n": 2.5}, "v": 2_i64},
            doc! {"_id": 3, "k": 1, "p": [{"c": "x", "n": 4}, {"c": "z"}], "v": "s"},
            doc! {"_id": 4, "k": 1.0, "p": {"c": null}, "v": [1, 2]},
            doc! {"_id": 5, "p": 7, "v": {"o": 1}},
            doc! {"_id": 6, "k": [1, 2], "p": {"c": {"deep": true}}, "v": null},
        ];
        let groups = [
            doc! {"_id": "$k", "n": {"$sum": 1}, "v": {"$push": "$v"}},
            doc! {"_id": "$p.c", "n": {"$sum": "$p.n"}, "avg": {"$avg": "$p.n"}, "first": {"$first": "$v"}},
            doc! {"_id": "$p.c.deep", "min": {"$min": "$v"}, "max": {"$max": "$v"}, "set": {"$addToSet": "$k"}},
            doc! {"_id": null, "ids": {"$push": "$_id"}, "last": {"$last": "$p"}},
            doc! {"_id": {"k": "$k"}, "n": {"$sum": {"$ifNull": ["$p.n", 1]}}},
            doc! {"_id": "$missing.path", "n": {"$count": {}}},
        ];
        let mut errors = 0;
        for group in groups.into_iter().chain([doc! {"_id": "$k", "n": {"$sum": {"$add": ["$p.n", 1]}}}]) {
            let raw = run(docs.clone(), vec![doc! {"$group": group.clone()}, doc! {"$sort": {"_id": 1}}]);
            let tree = run(
                docs.clone(),
                vec![doc! {"$match": {}}, doc! {"$group": group.clone()}, doc! {"$sort": {"_id": 1}}],
            );
            assert_eq!(raw, tree, "{group:?}");
            errors += usize::from(raw.starts_with("error"));
        }
        // Only the last one fails (`$add` of an array), with the same error both ways.
        assert_eq!(errors, 1);
    }

    #[test]
    fn group_by_a_key_or_everything() {
        let docs = vec![
            doc! {"_id": 1, "item": "a", "qty": 2},
            doc! {"_id": 2, "item": "b", "qty": 1},
            doc! {"_id": 3, "item": "a", "qty": 3},
        ];
        assert_eq!(
            run(docs.clone(), vec![doc! {"$group": {"_id": "$item", "qty": {"$sum": "$qty"}}}]),
            "{ _id: \"a\", qty: 5 }\n{ _id: \"b\", qty: 1 }"
        );
        assert_eq!(run(docs.clone(), vec![doc! {"$group": {"_id": null, "n": {"$sum": 1}}}]), "{ _id: null, n: 3 }");
        assert_eq!(run(docs.clone(), vec![doc! {"$group": {"_id": "$nope"}}]), "{ _id: null }");
        assert_eq!(
            run(docs.clone(), vec![doc! {"$group": {"_id": {"i": "$item", "big": {"$gt": ["$qty", 1]}}}}]),
            "{ _id: { i: \"a\", big: true } }\n{ _id: { i: \"b\", big: false } }"
        );
        assert_eq!(
            run(vec![doc! {"a": 1}, doc! {"a": 1.0}], vec![doc! {"$group": {"_id": "$a", "n": {"$sum": 1}}}]),
            "{ _id: 1, n: 2 }",
            "numbers group by value"
        );
        assert_eq!(run(vec![], vec![doc! {"$group": {"_id": null, "n": {"$sum": 1}}}]), "");
        assert_eq!(
            run(docs.clone(), vec![doc! {"$group": {"n": {"$sum": 1}}}]),
            "error 15955: a group specification must include an _id"
        );
        assert_eq!(run(docs, vec![doc! {"$group": 1}]), "error 15947: a group's fields must be specified in an object");
    }

    #[test]
    fn count_and_sort_by_count() {
        assert_eq!(run(artists(), vec![doc! {"$count": "n"}]), "{ n: 8 }");
        assert_eq!(run(vec![], vec![doc! {"$count": "n"}]), "");
        assert_eq!(
            run(vec![], vec![doc! {"$count": "$n"}]),
            "error 40158: the count field cannot be a $-prefixed path"
        );
        assert_eq!(run(vec![], vec![doc! {"$count": ""}]), "error 40157: the count field must be a non-empty string");
        assert_eq!(run(vec![], vec![doc! {"$count": 1}]), "error 40156: the count field must be a non-empty string");
        let tags =
            vec![doc! {"t": "a"}, doc! {"t": "b"}, doc! {"t": "b"}, doc! {"t": "c"}, doc! {"t": "b"}, doc! {"t": "c"}];
        assert_eq!(
            run(tags, vec![doc! {"$sortByCount": "$t"}]),
            "{ _id: \"b\", count: 3 }\n{ _id: \"c\", count: 2 }\n{ _id: \"a\", count: 1 }"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$sortByCount": "t"}]),
            "error 40148: the sortByCount field must be defined as a $-prefixed path or an expression inside an object"
        );
    }

    #[test]
    fn buckets() {
        assert_eq!(
            run(artists(), vec![doc! {"$bucket": {"groupBy": "$year_born", "boundaries": [1840, 1850, 1860, 1870, 1880], "default": "Other",
                "output": {"count": {"$sum": 1}, "artists": {"$push": "$last_name"}}}}]),
            "{ _id: 1840, count: 2, artists: [ \"Bernard\", \"Redon\" ] }\n{ _id: 1850, count: 1, artists: [ \"Van Gogh\" ] }\n{ _id: 1860, count: 3, artists: [ \"Rippl-Ronai\", \"Maurer\", \"Munch\" ] }\n{ _id: 1870, count: 1, artists: [ \"Ostroumova\" ] }\n{ _id: \"Other\", count: 1, artists: [ \"Diriks\" ] }"
        );
        assert_eq!(
            run(artists(), vec![doc! {"$bucket": {"groupBy": "$year_born", "boundaries": [1840, 1860]}}]),
            "error 40066: PlanExecutor error during aggregation :: caused by :: $switch could not find a matching branch for an input, and no default was specified."
        );
        assert_eq!(
            run(
                artists(),
                vec![
                    doc! {"$match": {"_id": {"$lt": 3}}},
                    doc! {"$bucket": {"groupBy": "$year_born", "boundaries": [1840, 1861, 1900]}}
                ]
            ),
            "{ _id: 1840, count: 1 }\n{ _id: 1861, count: 1 }"
        );
        assert_eq!(run(vec![], vec![doc! {"$bucket": {"groupBy": "$x", "boundaries": [3, 1]}}]), "error 40194: The 'boundaries' option to $bucket must be sorted, but elements 0 and 1 are not in ascending order (3 is not less than 1).");
        assert_eq!(run(vec![], vec![doc! {"$bucket": {"groupBy": "$x", "boundaries": [1, "a"]}}]), "error 40193: All values in the the 'boundaries' option to $bucket must have the same type. Found conflicting types int and string.");
        assert_eq!(run(vec![], vec![doc! {"$bucket": {"groupBy": "$x", "boundaries": [1, 5], "default": 2}}]), "error 40199: The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.");
        assert_eq!(run(vec![], vec![doc! {"$bucket": {"groupBy": "x", "boundaries": [1, 5]}}]), "error 40202: The $bucket 'groupBy' field must be defined as a $-prefixed path or an expression, but found: \"x\".");
        assert_eq!(
            run(vec![], vec![doc! {"$bucket": {"boundaries": [1, 5]}}]),
            "error 40198: $bucket requires 'groupBy' and 'boundaries' to be specified."
        );
    }
}
