//! `$facet`: several pipelines over the same input, one output document with each pipeline's results under its
//! name. The output document is bounded (MongoDB's 100 MB for `$facet`), and its pipelines cannot hold `$facet`,
//! `$out` or `$merge`.

use super::memory::{Holder, Memory};
use super::{describe, Compiler, Pipeline, Place, Runner, Stage};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::value::type_name;
use bson::{Bson, Document};

/// A compiled `$facet`.
#[derive(Debug, Clone)]
pub(crate) struct Facet {
    facets: Vec<(String, Pipeline)>,
}

pub(super) fn compile(name: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let spec = match argument {
        Bson::Document(spec) if !spec.is_empty() => spec,
        other => {
            return Err(MongoError::new(
                ErrorCode::Location(40169),
                format!("the $facet specification must be a non-empty object, but found: {name}: {}", describe(other)),
            ))
        }
    };
    let mut facets = Vec::with_capacity(spec.len());
    for (facet, value) in spec {
        if facet.starts_with('$') || facet.contains('.') || facet.is_empty() {
            return Err(MongoError::new(
                ErrorCode::Location(40173),
                format!(
                    "the $facet pipeline name '{facet}' must be a valid field name (not empty, no '$' first, no '.')"
                ),
            ));
        }
        let Bson::Array(items) = value else {
            return Err(MongoError::new(
                ErrorCode::Location(40170),
                format!("arguments to $facet must be arrays, {facet} is type {}", type_name(value)),
            ));
        };
        let mut stages = Vec::with_capacity(items.len());
        for (position, item) in items.iter().enumerate() {
            match item {
                Bson::Document(stage) if !stage.is_empty() => stages.push(stage.clone()),
                other => {
                    return Err(MongoError::new(
                        ErrorCode::Location(40171),
                        format!("elements of arrays in $facet spec must be non-empty objects, {facet} argument contained an element of type {}: {position}: {}", type_name(other), describe(other)),
                    ))
                }
            }
        }
        if stages.is_empty() {
            return Err(MongoError::bad_value("sub-pipeline in $facet stage cannot be empty"));
        }
        facets.push((facet.clone(), compiler.sub_pipeline(&stages, Place::Facet, &[])?));
    }
    Ok(Stage::Facet(Facet { facets }))
}

impl Facet {
    pub(super) fn apply<'d>(&self, documents: super::Docs<'d>, runner: &Runner<'d>) -> MongoResult<super::Docs<'d>> {
        let mut memory = Memory::new(Holder::Facet, runner.memory_limit);
        let mut out = Document::new();
        for (name, pipeline) in &self.facets {
            let results = pipeline.run(documents.clone(), runner)?;
            for result in &results {
                memory.add(crate::engine::limits::bson_size(result))?;
            }
            out.insert(
                name.clone(),
                Bson::Array(results.into_iter().map(|d| Bson::Document(d.into_owned())).collect()),
            );
        }
        Ok(vec![std::borrow::Cow::Owned(out)])
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use super::super::{aggregate, AggregateOptions};
    use bson::{doc, Document};

    fn artwork() -> Vec<Document> {
        vec![
            doc! {"_id": 1, "title": "The Pillars of Society", "price": 199, "tags": ["painting", "satire"]},
            doc! {"_id": 2, "title": "Melancholy III", "price": 280, "tags": ["woodcut", "Expressionism"]},
            doc! {"_id": 3, "title": "Dancer", "price": 76, "tags": ["oil", "Expressionism"]},
        ]
    }

    #[test]
    fn runs_each_pipeline_over_the_same_input() {
        assert_eq!(
            run(
                artwork(),
                vec![doc! {"$facet": {
                    "byTags": [{"$unwind": "$tags"}, {"$sortByCount": "$tags"}, {"$limit": 1}],
                    "cheap": [{"$match": {"price": {"$lt": 100}}}, {"$project": {"title": 1}}],
                    "none": [{"$match": {"price": 0}}],
                }}]
            ),
            "{ byTags: [ { _id: \"Expressionism\", count: 2 } ], cheap: [ { _id: 3, title: \"Dancer\" } ], none: [] }"
        );
    }

    #[test]
    fn malformed_facets_and_memory() {
        assert_eq!(
            run(vec![], vec![doc! {"$facet": "x"}]),
            "error 40169: the $facet specification must be a non-empty object, but found: $facet: \"x\""
        );
        assert_eq!(
            run(vec![], vec![doc! {"$facet": {"a": 1}}]),
            "error 40170: arguments to $facet must be arrays, a is type int"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$facet": {"a": []}}]),
            "error 2: sub-pipeline in $facet stage cannot be empty"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$facet": {"a": [{"$facet": {"b": [{"$limit": 1}]}}]}}]),
            "error 40600: $facet is not allowed to be used within a $facet stage"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$facet": {"a": [{"$out": "x"}]}}]),
            "error 40600: $out is not allowed to be used within a $facet stage"
        );
        let database = super::super::tests::database(&[("c", artwork())]);
        let options = AggregateOptions { stage_memory_bytes: 100, ..AggregateOptions::default() };
        let failure = aggregate(&database, "c", &[doc! {"$facet": {"all": [{"$skip": 0}]}}], &options).unwrap_err();
        assert_eq!(failure.error.code.number(), 4031700);
        assert!(
            failure.error.message.contains(":: caused by :: document constructed by $facet is "),
            "{}",
            failure.error.message
        );
    }
}
