//! `explain` for a pipeline, in the shape MongoDB returns: the stages the query layer answers (a leading `$match`,
//! and a `$sort` right after it) become a `$cursor` stage with the planner's winning plan (IXSCAN when the match
//! is on an indexed field) and its execution counters; every later stage is listed as written, with how many
//! documents it returned.

use super::{aggregate, AggregateError, AggregateOptions, Stage};
use crate::engine::collection::{Collection, FindOptions};
use crate::engine::database::Database;
use crate::engine::results::count;
use bson::{Bson, Document};

/// `db.<collection>.explain("executionStats").aggregate(pipeline)`.
pub(crate) fn explain_aggregate(
    database: &Database,
    collection: &str,
    pipeline: &[Document],
    options: &AggregateOptions,
) -> Result<Document, AggregateError> {
    let compiled = super::Pipeline::compile(pipeline)?;
    // Explaining runs the pipeline (read-only: a final $out / $merge is not applied) for the counters.
    let outcome =
        aggregate(database, collection, pipeline, &AggregateOptions { preview_documents: 0, ..options.clone() })?;
    let empty = Collection::new(&database.name, collection);
    let source = database.collection(collection).unwrap_or(&empty);

    let stages = compiled.stages();
    let mut absorbed = 0;
    let mut options = FindOptions::default();
    let mut filter = Document::new();
    if let Some((_, Stage::Match(matched))) = stages.first() {
        filter = matched.spec.clone();
        absorbed = 1;
        if let Some((_, Stage::Sort(sort))) = stages.get(1) {
            options.sort = Some(sort.keys.clone());
            absorbed = 2;
        }
    } else if let Some((_, Stage::Sort(sort))) = stages.first() {
        options.sort = Some(sort.keys.clone());
        absorbed = 1;
    }
    let (_, plan) = source.find_with_plan(&filter, &options).map_err(AggregateError::from)?;
    let find = crate::engine::explain::explain_document(source, &filter, &options, &plan);

    let mut command = Document::new();
    command.insert("aggregate", collection);
    command.insert("pipeline", Bson::Array(pipeline.iter().cloned().map(Bson::Document).collect()));
    command.insert("cursor", Document::new());
    command.insert("$db", database.name.clone());

    let mut out = Document::new();
    out.insert("explainVersion", "1");
    if absorbed == stages.len() {
        // The whole pipeline is a query: MongoDB explains it as one.
        for key in ["queryPlanner", "executionStats"] {
            if let Some(section) = find.get(key) {
                out.insert(key, section.clone());
            }
        }
    } else {
        let mut cursor = Document::new();
        for key in ["queryPlanner", "executionStats"] {
            if let Some(section) = find.get(key) {
                cursor.insert(key, section.clone());
            }
        }
        let mut listed = vec![Bson::Document(bson::doc! {"$cursor": cursor})];
        for (index, spec) in pipeline.iter().enumerate().skip(absorbed) {
            let mut stage = spec.clone();
            if let Some(preview) = outcome.stages.get(index) {
                stage.insert("nReturned", count(preview.count as u64));
            }
            listed.push(Bson::Document(stage));
        }
        out.insert("stages", Bson::Array(listed));
    }
    out.insert("command", command);
    out.insert("ok", 1.0);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::tests::database;
    use super::super::AggregateOptions;
    use bson::doc;

    #[test]
    fn a_leading_match_on_an_indexed_field_uses_the_index() {
        let mut db = database(&[(
            "c",
            (0..10).map(|i| doc! {"_id": i, "city": if i % 2 == 0 { "Boston" } else { "London" }, "n": i}).collect(),
        )]);
        db.collection_mut("c").unwrap().0.create_index(&doc! {"city": 1}, false, None).unwrap();
        let options = AggregateOptions::default();
        let explain = db
            .explain_aggregate(
                "c",
                &[doc! {"$match": {"city": "Boston"}}, doc! {"$group": {"_id": null, "n": {"$sum": "$n"}}}],
                &options,
            )
            .unwrap();
        let stages = explain.get_array("stages").unwrap();
        let cursor = stages[0].as_document().unwrap().get_document("$cursor").unwrap();
        let plan = cursor.get_document("queryPlanner").unwrap().get_document("winningPlan").unwrap();
        assert_eq!(plan.get_str("stage").unwrap(), "FETCH");
        assert_eq!(plan.get_document("inputStage").unwrap().get_str("indexName").unwrap(), "city_1");
        assert_eq!(
            cursor.get_document("executionStats").unwrap().get("totalDocsExamined"),
            Some(&bson::Bson::Int32(5))
        );
        assert_eq!(stages[1].as_document().unwrap().get("nReturned"), Some(&bson::Bson::Int32(1)));

        let explain = db
            .explain_aggregate("c", &[doc! {"$match": {"n": {"$gt": 5}}}, doc! {"$sort": {"n": -1}}], &options)
            .unwrap();
        let plan = explain.get_document("queryPlanner").unwrap().get_document("winningPlan").unwrap();
        assert_eq!(plan.get_str("stage").unwrap(), "SORT");
        assert_eq!(plan.get_document("inputStage").unwrap().get_str("stage").unwrap(), "COLLSCAN");
        assert!(db.explain_aggregate("c", &[doc! {"$bogus": 1}], &options).is_err());
    }
}
