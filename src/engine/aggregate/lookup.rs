//! `$lookup` and `$unionWith`: stages that read another collection of the same database. `$lookup` joins by
//! `localField` / `foreignField` (an array local value matches any of its elements, a missing one matches null or
//! missing), or runs a pipeline with `let` variables per document, or both; the foreign documents are found with the
//! query engine, so an index on `foreignField` is used. A collection that does not exist is empty, as in MongoDB.

use super::unwind::set_nested;
use super::{describe, Compiler, Docs, Pipeline, Place, Runner, Stage};
use crate::engine::collection::Collection;
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::SetKey;
use crate::engine::expr::{validate_variable_name_for_write, Environment, Expression};
use crate::engine::query::Filter;
use crate::engine::value::type_name;
use bson::{Bson, Document};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How deeply the documents between stages may nest.
const MAX_DEPTH: usize = super::MAX_DOCUMENT_DEPTH;

/// How deeply a `localField` walk may descend through nested arrays.
const MAX_LOCAL_NESTING: usize = 100;

/// A compiled `$lookup`.
#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    from: String,
    as_path: Vec<String>,
    /// `localField` (split) and `foreignField`, when the stage joins on them.
    join: Option<(Vec<String>, String)>,
    lets: Vec<(String, Expression)>,
    pipeline: Option<Pipeline>,
}

/// A compiled `$unionWith`.
#[derive(Debug, Clone)]
pub(crate) struct UnionWith {
    collection: String,
    pipeline: Option<Pipeline>,
}

fn failed(message: impl Into<String>) -> MongoError {
    MongoError::failed_to_parse(message)
}

/// The stages of a nested `pipeline` argument.
fn stages(argument: &Bson, option: &str) -> MongoResult<Vec<Document>> {
    let Bson::Array(items) = argument else {
        return Err(failed(format!("'{option}' option must be specified as an array")));
    };
    items
        .iter()
        .map(|item| match item {
            Bson::Document(stage) => Ok(stage.clone()),
            _ => Err(failed(format!("Each element of the '{option}' array must be an object"))),
        })
        .collect()
}

fn collection_name(argument: &Bson, stage: &str) -> MongoResult<String> {
    match argument {
        Bson::String(name) => {
            crate::engine::database::validate_collection_name(name)?;
            Ok(name.clone())
        }
        Bson::Document(_) => Err(MongoError::bad_value(format!(
            "crudlab's {stage} reads collections of the current database only: give the collection's name"
        ))),
        other => Err(failed(format!(
            "{stage} 'from' field must be either a string or an object, but found {}",
            type_name(other)
        ))),
    }
}

pub(super) fn compile_lookup(_: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let Bson::Document(spec) = argument else {
        return Err(failed(format!(
            "the $lookup stage specification must be an object, but found {}",
            type_name(argument)
        )));
    };
    let mut from = None;
    let mut as_field = None;
    let mut local = None;
    let mut foreign = None;
    let mut lets = Vec::new();
    let mut pipeline = None;
    let mut parser = compiler.parser();
    for (key, value) in spec {
        match key.as_str() {
            "from" => from = Some(collection_name(value, "$lookup")?),
            "pipeline" => pipeline = Some(stages(value, "pipeline")?),
            "let" => {
                let Bson::Document(variables) = value else {
                    return Err(failed(format!(
                        "$lookup argument 'let: {}' must be an object, is type {}",
                        describe(value),
                        type_name(value)
                    )));
                };
                for (name, expression) in variables {
                    validate_variable_name_for_write(name)?;
                    lets.push((name.clone(), parser.expression(expression)?));
                }
            }
            "as" | "localField" | "foreignField" => {
                let Bson::String(text) = value else {
                    return Err(failed(format!(
                        "$lookup argument '{key}: {}' must be a string, is type {}",
                        describe(value),
                        type_name(value)
                    )));
                };
                match key.as_str() {
                    "as" => as_field = Some(text.clone()),
                    "localField" => local = Some(text.clone()),
                    _ => foreign = Some(text.clone()),
                }
            }
            other => return Err(failed(format!("unknown argument to $lookup: {other}"))),
        }
    }
    let Some(from) = from else {
        return Err(failed("must specify 'from' field for a $lookup"));
    };
    let Some(as_field) = as_field else {
        return Err(failed("must specify 'as' field for a $lookup"));
    };
    let as_path = crate::engine::expr::field_path(&as_field)?.parts().to_vec();
    let join = match (local, foreign) {
        (Some(local), Some(foreign)) => {
            let local = crate::engine::expr::field_path(&local)?.parts().to_vec();
            crate::engine::expr::field_path(&foreign)?;
            Some((local, foreign))
        }
        (None, None) => None,
        _ => return Err(failed("$lookup requires both or neither of 'localField' and 'foreignField' to be specified")),
    };
    if join.is_none() && pipeline.is_none() {
        return Err(failed(
            "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified",
        ));
    }
    if pipeline.is_none() && !lets.is_empty() {
        return Err(failed("$lookup with a 'let' argument must also specify 'pipeline'"));
    }
    let names: Vec<String> = lets.iter().map(|(name, _)| name.clone()).collect();
    let pipeline = match pipeline {
        Some(stages) => Some(compiler.sub_pipeline(&stages, Place::Lookup, &names)?),
        None => None,
    };
    Ok(Stage::Lookup(Box::new(Lookup { from, as_path, join, lets, pipeline })))
}

/// Every value at `path` in `document`, arrays opened at every level (what `localField` joins on).
fn local_values(document: &Document, path: &[String]) -> Vec<Bson> {
    fn walk(value: &Bson, rest: &[String], out: &mut Vec<Bson>, nesting: usize) {
        if nesting > MAX_LOCAL_NESTING {
            return;
        }
        let Some((head, tail)) = rest.split_first() else {
            match value {
                Bson::Array(items) => out.extend(items.iter().cloned()),
                other => out.push(other.clone()),
            }
            return;
        };
        match value {
            Bson::Document(inner) => {
                if let Some(next) = inner.get(head) {
                    walk(next, tail, out, nesting + 1);
                }
            }
            Bson::Array(items) => {
                for item in items.iter().filter(|item| matches!(item, Bson::Document(_))) {
                    walk(item, rest, out, nesting + 1);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some((head, tail)) = path.split_first() {
        if let Some(value) = document.get(head) {
            walk(value, tail, &mut out, 0);
        }
    }
    out
}

/// `{foreignField: {$in: values}}`: what a join on fields looks the foreign documents up with.
fn in_filter(foreign_field: &str, values: Vec<Bson>) -> MongoResult<Filter> {
    let mut condition = Document::new();
    condition.insert("$in", Bson::Array(values));
    let mut filter = Document::new();
    filter.insert(foreign_field.to_string(), condition);
    Filter::compile(&filter)
}

/// A local or foreign value a hash join can key on: the types whose `$in` equality is exactly "compares equal" in
/// MongoDB's order (numbers by value across types), so a `BTreeMap` of them answers as the query would.
fn is_plain_key(value: &Bson) -> bool {
    match value {
        Bson::Double(number) => !number.is_nan(),
        Bson::Int32(_) | Bson::Int64(_) | Bson::String(_) | Bson::ObjectId(_) | Bson::Boolean(_) => true,
        Bson::DateTime(_) | Bson::Null => true,
        _ => false,
    }
}

/// The foreign collection's records by the values of `foreignField`, built once per stage run: what
/// `{foreignField: {$in: values}}` finds for plain values, without compiling and running a query per input
/// document. A record whose field holds anything else (a document, an array inside the array, a regex…) is in
/// `other` and checked with the query for every input document.
struct HashJoin {
    by_value: BTreeMap<SetKey, Vec<u64>>,
    other: Vec<u64>,
}

impl HashJoin {
    fn build(collection: &Collection, foreign_field: &str) -> HashJoin {
        let path = crate::engine::path::FieldPath::parse(foreign_field);
        let mut by_value: BTreeMap<SetKey, Vec<u64>> = BTreeMap::new();
        let mut other = Vec::new();
        for (record, document) in collection.records() {
            let mut keys = Vec::new();
            let mut plain = true;
            for reached in crate::engine::path::reach(document, path.parts()) {
                match reached.value {
                    // A missing field equals null for `$in`.
                    None => keys.push(Bson::Null),
                    // `$in` looks inside an array it reaches (one level), and compares the array itself — which never
                    // equals a plain value, so an array of plain values is keyed by its items.
                    Some(Bson::Array(items)) => {
                        plain &= items.iter().all(is_plain_key);
                        keys.extend(items.iter().filter(|item| is_plain_key(item)).cloned());
                    }
                    Some(value) if is_plain_key(value) => keys.push(value.clone()),
                    Some(_) => plain = false,
                }
            }
            if !plain {
                other.push(record);
            }
            for key in keys {
                let records = by_value.entry(SetKey(key)).or_default();
                if records.last() != Some(&record) {
                    records.push(record);
                }
            }
        }
        HashJoin { by_value, other }
    }

    /// The records `{foreignField: {$in: values}}` matches, in natural order; `None` when a value is not plain
    /// (the caller runs the query).
    fn matching(
        &self,
        values: &[Bson],
        collection: &Collection,
        foreign_field: &str,
        runner: &Runner<'_>,
    ) -> MongoResult<Option<Vec<u64>>> {
        if !values.iter().all(is_plain_key) {
            return Ok(None);
        }
        let mut records: Vec<u64> = Vec::new();
        for value in values {
            if let Some(found) = self.by_value.get(&SetKey(value.clone())) {
                records.extend(found);
            }
        }
        if !self.other.is_empty() {
            // Records whose field holds documents or arrays inside arrays: the query decides (such an array may
            // also hold plain values, already keyed above; a record found twice is kept once, below).
            let filter = in_filter(foreign_field, values.to_vec())?;
            for record in &self.other {
                if collection.get_record(*record).is_some_and(|document| filter.matches(document)) {
                    records.push(*record);
                }
            }
        }
        records.sort_unstable();
        records.dedup();
        runner.spend(records.len() as u64 + 1)?;
        Ok(Some(records))
    }
}

impl Lookup {
    pub(super) fn apply<'d>(&self, documents: Docs<'d>, runner: &Runner<'d>) -> MongoResult<Docs<'d>> {
        let foreign = runner.collection(&self.from);
        let hash_join = match (&self.join, foreign) {
            (Some((_, foreign_field)), Some(collection)) if documents.len() > 1 => {
                runner.spend(collection.len() as u64)?;
                Some(HashJoin::build(collection, foreign_field))
            }
            _ => None,
        };
        let sizes: Vec<usize> = documents.iter().map(super::size_of).collect();
        let input_size = sizes.iter().fold(0usize, |total, size| total.saturating_add(*size));
        let mut output = super::memory::Memory::new(
            super::memory::Holder::Output("$lookup"),
            input_size.saturating_add(runner.memory_limit),
        );
        let mut out = Vec::with_capacity(documents.len());
        let mut too_deep = false;
        for (document, size) in documents.into_iter().zip(sizes) {
            let stored = matches!(document, Cow::Borrowed(_));
            let matched: Docs<'d> = match (&self.join, foreign) {
                (_, None) => Vec::new(),
                (Some((local, foreign_field)), Some(collection)) => {
                    let mut values = local_values(&document, local);
                    // A missing local value (or an empty array) joins with null and missing foreign values.
                    if values.is_empty() {
                        values.push(Bson::Null);
                    }
                    let joined = match &hash_join {
                        Some(join) => join.matching(&values, collection, foreign_field, runner)?,
                        None => None,
                    };
                    let records = match joined {
                        Some(records) => records,
                        None => {
                            let filter = in_filter(foreign_field, values)?;
                            collection.matching_records_in(&filter, runner.environment)?.0
                        }
                    };
                    records.into_iter().filter_map(|record| collection.get_record(record).map(Cow::Borrowed)).collect()
                }
                (None, Some(collection)) => {
                    runner.spend(collection.len() as u64)?;
                    collection.documents().map(Cow::Borrowed).collect()
                }
            };
            let matched = match &self.pipeline {
                Some(pipeline) => {
                    let mut variables = runner.environment.variables.to_vec();
                    for (name, expression) in &self.lets {
                        let value = expression.evaluate_in(&document, runner.environment)?.unwrap_or(Bson::Null);
                        variables.push((name.clone(), value));
                    }
                    let inner = Runner {
                        database: runner.database,
                        environment: Environment { variables: &variables, ..runner.environment },
                        memory_limit: runner.memory_limit,
                    };
                    let matched = pipeline.run(matched, &inner)?;
                    (matched.iter().all(|joined| matches!(joined, Cow::Borrowed(_))), super::owned(matched))
                }
                None => (true, super::owned(matched)),
            };
            let (joined_stored, matched) = matched;
            let joined = Bson::Array(matched.into_iter().map(Bson::Document).collect());
            let joined_size = crate::engine::limits::value_size(&joined);
            if joined_size > crate::engine::limits::MAX_DOCUMENT_BYTES {
                return Err(MongoError::new(
                    ErrorCode::Location(4568),
                    format!(
                        "Total size of documents in {} matching pipeline's $lookup stage exceeds {} bytes",
                        self.from,
                        crate::engine::limits::MAX_DOCUMENT_BYTES
                    ),
                ));
            }
            let mut document = document.into_owned();
            // The output's size is the input's with the `as` field replaced (BSON sizes add up), when that field is
            // a top-level one; a document with a NUL in a field name measures as too large, so it is measured anew.
            let grown = match self.as_path.as_slice() {
                [field] if size != usize::MAX && !field.contains('\0') => {
                    // A finite size means no field name holds a NUL: the old value needs no check either.
                    let old = crate::engine::path::field(&document, field)
                        .map_or(0, |old| 2 + field.len() + crate::engine::limits::stored_value_size(old));
                    Some(size.saturating_sub(old).saturating_add(2 + field.len()).saturating_add(joined_size))
                }
                _ => None,
            };
            // Stored documents nest at most 100 levels, so with stored joined documents close to the top the
            // result cannot be too deep; otherwise the joined array (or, for a built input, the whole document) is
            // walked. Reported once the stage has run, as for the other stages that build documents.
            let shallow_path = self.as_path.len() + 1 + crate::engine::limits::MAX_NESTING_DEPTH + 2 <= MAX_DEPTH;
            too_deep = too_deep
                || match (stored, joined_stored && shallow_path) {
                    (true, true) => false,
                    (true, false) => {
                        crate::engine::limits::value_nests_deeper_than(&joined, self.as_path.len() + 1, MAX_DEPTH)
                    }
                    (false, _) => false,
                };
            set_nested(&mut document, &self.as_path, joined);
            if !stored {
                too_deep = too_deep || crate::engine::limits::nests_deeper_than(&document, MAX_DEPTH);
            }
            match grown {
                Some(size) => output.add(size)?,
                None => output.add_document(&document)?,
            }
            out.push(Cow::Owned(document));
        }
        if too_deep {
            return Err(super::too_deep("$lookup"));
        }
        Ok(out)
    }
}

pub(super) fn compile_union_with(_: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let (collection, pipeline) = match argument {
        Bson::String(name) => (collection_name(argument, "$unionWith").map(|_| name.clone())?, None),
        Bson::Document(spec) => {
            let mut collection = None;
            let mut pipeline = None;
            for (key, value) in spec {
                match (key.as_str(), value) {
                    ("coll", Bson::String(_)) => collection = Some(collection_name(value, "$unionWith")?),
                    ("coll", other) => {
                        return Err(MongoError::type_mismatch(format!(
                            "BSON field '$unionWith.coll' is the wrong type '{}', expected type 'string'",
                            type_name(other)
                        )))
                    }
                    ("pipeline", Bson::Array(_)) => pipeline = Some(stages(value, "pipeline")?),
                    ("pipeline", other) => {
                        return Err(MongoError::type_mismatch(format!(
                            "BSON field '$unionWith.pipeline' is the wrong type '{}', expected type 'array'",
                            type_name(other)
                        )))
                    }
                    (other, _) => {
                        return Err(MongoError::new(
                            ErrorCode::Location(40415),
                            format!("BSON field '$unionWith.{other}' is an unknown field."),
                        ))
                    }
                }
            }
            let Some(collection) = collection else {
                return Err(MongoError::new(
                    ErrorCode::Location(40414),
                    "BSON field '$unionWith.coll' is missing but a required field",
                ));
            };
            (collection, pipeline)
        }
        other => {
            return Err(failed(format!(
                "the $unionWith stage specification must be an object or string, but found {}",
                type_name(other)
            )))
        }
    };
    let pipeline = match pipeline {
        Some(stages) => Some(compiler.sub_pipeline(&stages, Place::Lookup, &[])?),
        None => None,
    };
    Ok(Stage::UnionWith(Box::new(UnionWith { collection, pipeline })))
}

impl UnionWith {
    pub(super) fn apply<'d>(&self, mut documents: Docs<'d>, runner: &Runner<'d>) -> MongoResult<Docs<'d>> {
        let other: Docs<'d> =
            runner.collection(&self.collection).map(|c| c.documents().map(Cow::Borrowed).collect()).unwrap_or_default();
        runner.spend(other.len() as u64)?;
        let other = match &self.pipeline {
            Some(pipeline) => pipeline.run(other, runner)?,
            None => other,
        };
        documents.extend(other);
        Ok(documents)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{database, run_in};
    use bson::{doc, Document};

    fn shop() -> crate::engine::database::Database {
        // The orders / inventory example of MongoDB's $lookup page, plus an array local field.
        database(&[
            (
                "c",
                vec![
                    doc! {"_id": 1, "item": "almonds", "price": 12, "quantity": 2},
                    doc! {"_id": 2, "item": "pecans", "price": 20, "quantity": 1},
                    doc! {"_id": 3},
                    doc! {"_id": 4, "item": ["almonds", "bread"]},
                ],
            ),
            (
                "inventory",
                vec![
                    doc! {"_id": 1, "sku": "almonds", "instock": 120},
                    doc! {"_id": 2, "sku": "bread", "instock": 80},
                    doc! {"_id": 3, "sku": "cashews", "instock": 60},
                    doc! {"_id": 4, "sku": "pecans", "instock": 70},
                    doc! {"_id": 5, "sku": null},
                    doc! {"_id": 6},
                ],
            ),
        ])
    }

    fn ids(docs: &str) -> String {
        docs.to_string()
    }

    #[test]
    fn the_hash_join_over_many_documents_finds_what_the_query_finds_for_each() {
        // Local and foreign values of every kind `$in` treats specially: numbers of three types, null and missing,
        // arrays (of plain values, of documents, nested), documents, a regex, NaN, a path through an array.
        let regex = bson::Bson::RegularExpression(bson::Regex {
            pattern: "^a".to_string().try_into().unwrap(),
            options: String::new().try_into().unwrap(),
        });
        let locals = vec![
            doc! {"_id": 1, "k": 1},
            doc! {"_id": 2, "k": 1.0},
            doc! {"_id": 3, "k": 1_i64},
            doc! {"_id": 4, "k": null},
            doc! {"_id": 5},
            doc! {"_id": 6, "k": [1, "a", [2]]},
            doc! {"_id": 7, "k": {"x": 1}},
            doc! {"_id": 8, "k": "a"},
            doc! {"_id": 9, "k": regex.clone()},
            doc! {"_id": 10, "k": f64::NAN},
            doc! {"_id": 11, "k": []},
            doc! {"_id": 12, "k": [{"x": 1}, 3]},
            doc! {"_id": 13, "k": true},
        ];
        let foreign = vec![
            doc! {"_id": 101, "f": 1},
            doc! {"_id": 102, "f": [1, 2]},
            doc! {"_id": 103, "f": null},
            doc! {"_id": 104},
            doc! {"_id": 105, "f": "a"},
            doc! {"_id": 106, "f": "apple"},
            doc! {"_id": 107, "f": {"x": 1}},
            doc! {"_id": 108, "f": [[2], 3]},
            doc! {"_id": 109, "f": [{"x": 1}]},
            doc! {"_id": 110, "f": f64::NAN},
            doc! {"_id": 111, "f": [null]},
            doc! {"_id": 112, "f": true},
            doc! {"_id": 113, "f": 1.0},
        ];
        for foreign_field in ["f", "f.x"] {
            let database = database(&[("c", locals.clone()), ("other", foreign.clone())]);
            let lookup =
                doc! {"$lookup": {"from": "other", "localField": "k", "foreignField": foreign_field, "as": "j"}};
            let all = run_in(&database, vec![lookup.clone()]);
            let one_by_one: Vec<String> = locals
                .iter()
                .map(|local| {
                    run_in(&database, vec![doc! {"$match": {"_id": local.get("_id").unwrap()}}, lookup.clone()])
                })
                .collect();
            assert_eq!(all, one_by_one.join("\n"), "foreignField {foreign_field}");
            assert!(all.contains("_id: 101"), "{all}");
        }
    }

    #[test]
    fn joins_on_fields() {
        let joined = run_in(
            &shop(),
            vec![
                doc! {"$lookup": {"from": "inventory", "localField": "item", "foreignField": "sku", "as": "stock"}},
                doc! {"$project": {"ids": "$stock._id"}},
            ],
        );
        expect_test::expect![[r#"
            { _id: 1, ids: [ 1 ] }
            { _id: 2, ids: [ 4 ] }
            { _id: 3, ids: [ 5, 6 ] }
            { _id: 4, ids: [ 1, 2 ] }"#]]
        .assert_eq(&ids(&joined));
        assert_eq!(
            run_in(
                &shop(),
                vec![
                    doc! {"$match": {"_id": 1}},
                    doc! {"$lookup": {"from": "nowhere", "localField": "item", "foreignField": "sku", "as": "x"}}
                ]
            ),
            "{ _id: 1, item: \"almonds\", price: 12, quantity: 2, x: [] }"
        );
    }

    #[test]
    fn joins_with_let_and_a_pipeline() {
        let joined = run_in(
            &shop(),
            vec![
                doc! {"$match": {"_id": {"$lte": 2}}},
                doc! {"$lookup": {"from": "inventory", "let": {"wanted": "$item", "qty": "$quantity"},
                "pipeline": [{"$match": {"$expr": {"$and": [{"$eq": ["$sku", "$$wanted"]}, {"$gte": ["$instock", {"$multiply": ["$$qty", 60]}]}]}}}, {"$project": {"_id": 0, "sku": 1}}],
                "as": "ok"}},
                doc! {"$project": {"ok": 1}},
            ],
        );
        assert_eq!(joined, "{ _id: 1, ok: [ { sku: \"almonds\" } ] }\n{ _id: 2, ok: [ { sku: \"pecans\" } ] }");
        // The concise form: the join, then the pipeline over the joined documents.
        assert_eq!(
            run_in(
                &shop(),
                vec![
                    doc! {"$match": {"_id": 4}},
                    doc! {"$lookup": {"from": "inventory", "localField": "item", "foreignField": "sku", "pipeline": [{"$count": "n"}], "as": "n"}},
                    doc! {"$project": {"n": 1}}
                ]
            ),
            "{ _id: 4, n: [ { n: 2 } ] }"
        );
    }

    #[test]
    fn malformed_lookups() {
        let check = |spec: Document| run_in(&shop(), vec![doc! {"$lookup": spec}]);
        assert_eq!(
            check(doc! {"from": "inventory", "localField": "item", "foreignField": "sku"}),
            "error 9: must specify 'as' field for a $lookup"
        );
        assert_eq!(
            check(doc! {"from": "inventory", "localField": "item", "as": "x"}),
            "error 9: $lookup requires both or neither of 'localField' and 'foreignField' to be specified"
        );
        assert_eq!(
            check(doc! {"from": "inventory", "as": "x"}),
            "error 9: $lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified"
        );
        assert_eq!(
            check(doc! {"from": "inventory", "as": "x", "bogus": 1}),
            "error 9: unknown argument to $lookup: bogus"
        );
        assert_eq!(
            check(doc! {"from": "inventory", "as": "x", "pipeline": [{"$out": "y"}]}),
            "error 51047: $out is not allowed within a $lookup's sub-pipeline"
        );
        assert_eq!(
            check(doc! {"from": "inventory", "as": "x", "pipeline": [{"$match": {"$expr": "$$nope"}}]}),
            "error 17276: Use of undefined variable: nope"
        );
        assert_eq!(
            check(doc! {"from": "inventory", "as": 1, "localField": "a", "foreignField": "b"}),
            "error 9: $lookup argument 'as: 1' must be a string, is type int"
        );
    }

    #[test]
    fn union_with_appends_another_collection() {
        assert_eq!(
            run_in(
                &shop(),
                vec![
                    doc! {"$match": {"_id": 1}},
                    doc! {"$project": {"_id": 1}},
                    doc! {"$unionWith": {"coll": "inventory", "pipeline": [{"$match": {"instock": {"$gt": 75}}}, {"$project": {"sku": 1}}]}}
                ]
            ),
            "{ _id: 1 }\n{ _id: 1, sku: \"almonds\" }\n{ _id: 2, sku: \"bread\" }"
        );
        assert_eq!(
            run_in(&shop(), vec![doc! {"$unionWith": {"pipeline": []}}]),
            "error 40414: BSON field '$unionWith.coll' is missing but a required field"
        );
    }
}
