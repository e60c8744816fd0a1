//! `$match`: keeps the documents a query filter matches, compiled by the query engine (so every query operator and
//! `$expr` work as in `find`, with the pipeline's variables in scope). As the first stage of a pipeline it is
//! answered by the collection's planner, which uses an index on its field.

use super::{Compiler, Docs, Runner, Stage};
use crate::engine::collection::Collection;
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::query::Filter;
use bson::{Bson, Document};
use std::borrow::Cow;

/// A compiled `$match`.
#[derive(Debug, Clone)]
pub(crate) struct Match {
    filter: Filter,
    /// The filter as written, for `explain`.
    pub(crate) spec: Document,
}

pub(super) fn compile(_: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let Bson::Document(spec) = argument else {
        return Err(MongoError::new(ErrorCode::Location(15959), "the match filter must be an expression in an object"));
    };
    let filter = Filter::compile_with_variables(spec, &compiler.variables)?;
    Ok(Stage::Match(Match { filter, spec: spec.clone() }))
}

impl Match {
    pub(super) fn apply<'d>(&self, documents: Docs<'d>, runner: &Runner<'d>) -> MongoResult<Docs<'d>> {
        let mut kept = Vec::with_capacity(documents.len());
        for document in documents {
            if self.filter.try_matches_in(&document, runner.environment)? {
                kept.push(document);
            }
        }
        Ok(kept)
    }

    /// The documents of `collection` the filter matches, in natural order, found the way `find` finds them.
    pub(super) fn scan<'d>(&self, collection: &'d Collection, runner: &Runner<'d>) -> MongoResult<Docs<'d>> {
        let (records, _) = collection.matching_records_in(&self.filter, runner.environment)?;
        Ok(records.into_iter().filter_map(|record| collection.get_record(record).map(Cow::Borrowed)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use bson::doc;

    #[test]
    fn matches_like_find() {
        let docs = vec![
            doc! {"_id": 1, "author": "dave", "score": 80, "views": 100},
            doc! {"_id": 2, "author": "dave", "score": 85, "views": 521},
            doc! {"_id": 3, "author": "ahn", "score": 60, "views": 1000},
        ];
        // The examples of MongoDB's $match page.
        assert_eq!(
            run(docs.clone(), vec![doc! {"$match": {"author": "dave"}}, doc! {"$project": {"_id": 1}}]),
            "{ _id: 1 }\n{ _id: 2 }"
        );
        assert_eq!(
            run(
                docs.clone(),
                vec![
                    doc! {"$match": {"$or": [{"score": {"$gt": 70, "$lt": 90}}, {"views": {"$gte": 1000}}]}},
                    doc! {"$count": "n"}
                ]
            ),
            "{ n: 3 }"
        );
        assert_eq!(
            run(
                docs.clone(),
                vec![
                    doc! {"$skip": 0},
                    doc! {"$match": {"$expr": {"$gt": ["$views", {"$multiply": ["$score", 2]}]}}},
                    doc! {"$project": {"_id": 1}}
                ]
            ),
            "{ _id: 2 }\n{ _id: 3 }"
        );
        assert_eq!(run(docs.clone(), vec![doc! {"$match": {"score": {"$gtr": 1}}}]), "error 2: unknown operator: $gtr");
        assert_eq!(
            run(docs.clone(), vec![doc! {"$match": [1]}]),
            "error 15959: the match filter must be an expression in an object"
        );
        assert_eq!(
            run(docs, vec![doc! {"$match": {"$expr": {"$eq": ["$a", "$$x"]}}}]),
            "error 17276: Use of undefined variable: x"
        );
    }
}
