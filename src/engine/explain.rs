//! `explain("executionStats")` output in the shape MongoDB returns: the winning plan (COLLSCAN or IXSCAN under FETCH)
//! and how many keys and documents were examined to return how many.

use super::collection::{Collection, FindOptions, Plan};
use super::results::count;
use bson::{Bson, Document};

/// The filter as MongoDB's planner reports it: implicit equality made explicit, several fields joined by `$and`.
pub fn parsed_query(filter: &Document) -> Document {
    let mut parts: Vec<Document> = Vec::new();
    for (key, value) in filter {
        let normalized = match value {
            Bson::Document(inner)
                if key.starts_with('$') || inner.keys().next().is_some_and(|k| k.starts_with('$')) =>
            {
                value.clone()
            }
            _ if key.starts_with('$') => value.clone(),
            _ => {
                let mut eq = Document::new();
                eq.insert("$eq", value.clone());
                Bson::Document(eq)
            }
        };
        let mut part = Document::new();
        part.insert(key.clone(), normalized);
        parts.push(part);
    }
    match parts.len() {
        0 => Document::new(),
        1 => parts.pop().unwrap_or_default(),
        _ => {
            let mut and = Document::new();
            and.insert("$and", Bson::Array(parts.into_iter().map(Bson::Document).collect()));
            and
        }
    }
}

fn stage(name: &str) -> Document {
    let mut doc = Document::new();
    doc.insert("stage", name);
    doc
}

/// The winning plan, with execution counters when `stats` is given.
fn plan_tree(collection: &Collection, filter: &Document, options: &FindOptions, plan: &Plan, stats: bool) -> Document {
    let parsed = parsed_query(filter);
    let mut tree = match &plan.index {
        None => {
            let mut scan = stage("COLLSCAN");
            if !parsed.is_empty() {
                scan.insert("filter", parsed.clone());
            }
            if stats {
                scan.insert("nReturned", count(plan.returned));
                scan.insert("docsExamined", count(plan.docs_examined));
            }
            scan.insert("direction", "forward");
            scan
        }
        Some((name, bounds)) => {
            let index = collection.indexes().iter().find(|i| &i.name == name);
            let mut ixscan = stage("IXSCAN");
            if stats {
                ixscan.insert("nReturned", count(plan.docs_examined));
                ixscan.insert("keysExamined", count(plan.keys_examined));
            }
            if let Some(index) = index {
                ixscan.insert("keyPattern", index.key_document());
                ixscan.insert("indexName", index.name.clone());
                ixscan.insert("isMultiKey", index.multikey);
                ixscan.insert("isUnique", index.unique);
                ixscan.insert("direction", "forward");
                ixscan.insert("indexBounds", index.bounds_document(bounds));
            }
            let mut fetch = stage("FETCH");
            if stats {
                fetch.insert("nReturned", count(plan.returned));
                fetch.insert("docsExamined", count(plan.docs_examined));
            }
            fetch.insert("inputStage", ixscan);
            fetch
        }
    };
    if let Some(sort) = &options.sort {
        let mut sort_stage = stage("SORT");
        sort_stage.insert("sortPattern", sort.clone());
        if options.limit != 0 {
            sort_stage.insert("limitAmount", count(options.limit.unsigned_abs()));
        }
        sort_stage.insert("inputStage", tree);
        tree = sort_stage;
    } else if options.limit != 0 {
        let mut limit = stage("LIMIT");
        limit.insert("limitAmount", count(options.limit.unsigned_abs()));
        limit.insert("inputStage", tree);
        tree = limit;
    }
    if options.skip > 0 {
        let mut skip = stage("SKIP");
        skip.insert("skipAmount", count(options.skip));
        skip.insert("inputStage", tree);
        tree = skip;
    }
    if let Some(projection) = &options.projection {
        let mut project = stage("PROJECTION_SIMPLE");
        project.insert("transformBy", projection.clone());
        project.insert("inputStage", tree);
        tree = project;
    }
    tree
}

/// The whole explain document for `find(filter, options).explain("executionStats")`.
pub fn explain_document(collection: &Collection, filter: &Document, options: &FindOptions, plan: &Plan) -> Document {
    let mut planner = Document::new();
    planner.insert("namespace", collection.namespace());
    planner.insert("parsedQuery", parsed_query(filter));
    planner.insert("indexFilterSet", false);
    planner.insert("winningPlan", plan_tree(collection, filter, options, plan, false));
    planner.insert("rejectedPlans", Bson::Array(Vec::new()));

    let mut stats = Document::new();
    stats.insert("executionSuccess", true);
    stats.insert("nReturned", count(plan.returned));
    stats.insert("executionTimeMillis", 0);
    stats.insert("totalKeysExamined", count(plan.keys_examined));
    stats.insert("totalDocsExamined", count(plan.docs_examined));
    stats.insert("executionStages", plan_tree(collection, filter, options, plan, true));

    let mut command = Document::new();
    command.insert("find", collection.name());
    command.insert("filter", filter.clone());
    if let Some(sort) = &options.sort {
        command.insert("sort", sort.clone());
    }
    if let Some(projection) = &options.projection {
        command.insert("projection", projection.clone());
    }
    if options.skip > 0 {
        command.insert("skip", count(options.skip));
    }
    if options.limit != 0 {
        command.insert("limit", options.limit);
    }
    let database = collection.namespace().split('.').next().unwrap_or_default().to_string();
    command.insert("$db", database);

    let mut doc = Document::new();
    doc.insert("explainVersion", "1");
    doc.insert("queryPlanner", planner);
    doc.insert("executionStats", stats);
    doc.insert("command", command);
    doc.insert("ok", 1.0);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::generator::Generator;
    use bson::doc;

    fn collection() -> Collection {
        let mut generator = Generator::deterministic(3);
        let mut c = Collection::new("shop", "users");
        for i in 0..10 {
            c.insert_one(doc! {"_id": i, "username": format!("user{i}"), "age": 20 + i}, &mut generator).unwrap();
        }
        c
    }

    #[test]
    fn parsed_query_makes_equality_explicit() {
        assert_eq!(parsed_query(&doc! {"a": 1}), doc! {"a": {"$eq": 1}});
        assert_eq!(
            parsed_query(&doc! {"a": 1, "b": {"$gt": 2}}),
            doc! {"$and": [{"a": {"$eq": 1}}, {"b": {"$gt": 2}}]}
        );
    }

    #[test]
    fn collscan_reports_every_document_examined() {
        let c = collection();
        let explain = c.explain(&doc! {"age": {"$gte": 27}}, &FindOptions::default()).unwrap();
        let stats = explain.get_document("executionStats").unwrap();
        assert_eq!(stats.get("nReturned"), Some(&Bson::Int32(3)));
        assert_eq!(stats.get("totalDocsExamined"), Some(&Bson::Int32(10)));
        assert_eq!(stats.get("totalKeysExamined"), Some(&Bson::Int32(0)));
        let plan = explain.get_document("queryPlanner").unwrap().get_document("winningPlan").unwrap();
        assert_eq!(plan, &doc! {"stage": "COLLSCAN", "filter": {"age": {"$gte": 27}}, "direction": "forward"});
    }

    #[test]
    fn ixscan_reports_index_name_and_keys_examined() {
        let mut c = collection();
        c.create_index(&doc! {"username": 1}, true, None).unwrap();
        let explain = c.explain(&doc! {"username": "user4"}, &FindOptions::default()).unwrap();
        let stats = explain.get_document("executionStats").unwrap();
        assert_eq!(stats.get("totalKeysExamined"), Some(&Bson::Int32(1)));
        assert_eq!(stats.get("totalDocsExamined"), Some(&Bson::Int32(1)));
        let plan = explain.get_document("queryPlanner").unwrap().get_document("winningPlan").unwrap();
        assert_eq!(plan.get_str("stage").unwrap(), "FETCH");
        let input = plan.get_document("inputStage").unwrap();
        assert_eq!(input.get_str("stage").unwrap(), "IXSCAN");
        assert_eq!(input.get_str("indexName").unwrap(), "username_1");
        assert_eq!(input.get_document("indexBounds").unwrap(), &doc! {"username": ["[\"user4\", \"user4\"]"]});
    }
}
