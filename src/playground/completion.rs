//! Completion for the editor: what can be typed at the cursor, from the command language's cursor analysis and the
//! worlds' state — collection names after `db.`, methods after a collection, model or query, operators inside
//! filters and updates, and (in the Mongoose world only) the schema's field names inside a model call's documents.

use super::{Playground, Side};
use crate::runtime::calls::{AggregateMethod, CursorMethod, DriverMethod, ModelMethod, QueryMethod};
use crate::runtime::value::{PendingCall, Value};
use crate::shell::cursor::{cursor_context, CursorPosition};

/// One suggestion: the text to insert in place of the partial word, its kind (`collection`, `method`, `operator`,
/// `field`, `name`), and a short description (an operator's one-line doc, a field's schema type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub label: String,
    pub kind: &'static str,
    pub detail: String,
}

/// The replacement range (byte offsets) and the suggestions for the cursor at `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completions {
    pub start: usize,
    pub end: usize,
    pub suggestions: Vec<Suggestion>,
}

/// Query operators a filter may use, from the engine's registry (the one the operator reference shows).
fn query_operator_names() -> Vec<String> {
    crate::engine::operators::query_operators()
        .iter()
        .filter(|op| !matches!(op.category, "projection" | "expression"))
        .map(|op| op.name.to_string())
        .collect()
}

/// Update operators, from the engine's registry.
fn update_operator_names() -> Vec<String> {
    crate::engine::update::update_operators().iter().map(|op| op.name.to_string()).collect()
}

/// The path inside one stage: `aggregate([{ … }])` puts the stage's array index first, `aggregate({ … })` does not.
fn stage_path(key_path: &[String]) -> &[String] {
    match key_path.split_first() {
        Some((index, rest)) if index.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => key_path,
    }
}

/// Inside a pipeline's `$match` (its filter is a query: query operators and the schema's fields apply).
fn in_match(key_path: &[String]) -> bool {
    stage_path(key_path).first().is_some_and(|stage| stage == "$match")
}

/// At most this many suggestions are offered.
const MAX_SUGGESTIONS: usize = 30;

fn suggest(names: impl IntoIterator<Item = String>, detail: &str, partial: &str, out: &mut Vec<Suggestion>) {
    let kind = match detail {
        d if d.ends_with("method") || d == "mongoose" => "method",
        d if d.ends_with("field") => "field",
        d if d.contains("operator") => "operator",
        "collection" => "collection",
        _ => "name",
    };
    for name in names {
        if name.starts_with(partial) && name != partial && !out.iter().any(|s| s.label == name) {
            // Operators and stages carry their one-line reference from the engine's registry.
            let doc = crate::engine::operators::reference(&name)
                .filter(|_| kind == "operator")
                .map(|entry| entry.summary.to_string());
            out.push(Suggestion { label: name, kind, detail: doc.unwrap_or_else(|| detail.to_string()) });
        }
    }
}

/// Suggestions at byte `offset` of `source`.
pub fn complete(playground: &Playground, source: &str, offset: usize) -> Completions {
    let context = cursor_context(source, offset);
    let mut out = Vec::new();
    let (start, end) = (context.partial_span.start, context.partial_span.end);
    if context.in_comment {
        return Completions { start, end, suggestions: out };
    }
    let world = playground.world(Side::Mongoose);
    let partial = context.partial.as_str();
    let collections = |side: Side| -> Vec<String> {
        playground
            .world(side)
            .cluster
            .database(&playground.world(side).database)
            .map(|db| db.collection_names())
            .unwrap_or_default()
    };
    let receiver_kind = |chain: &[crate::shell::cursor::ChainLink]| -> Receiver {
        match chain {
            [db] if db.name == "db" && !db.called => Receiver::Db,
            [db, _] if db.name == "db" => Receiver::Collection,
            [db, _, method, ..] if db.name == "db" && method.called && method.name == "aggregate" => {
                Receiver::AggregationCursor
            }
            [db, _, method, ..] if db.name == "db" && method.called => Receiver::Cursor,
            [model] if world.models.contains_key(&model.name) => Receiver::Model(model.name.clone()),
            [model, method, ..] if world.models.contains_key(&model.name) && method.called => {
                if method.name == "aggregate" {
                    Receiver::Aggregate(model.name.clone())
                } else {
                    Receiver::Query(model.name.clone())
                }
            }
            [name] if name.name == "mongoose" => Receiver::Mongoose,
            [single] => match world.binding(&single.name) {
                Some(Value::Model(model)) => Receiver::Model(model.clone()),
                Some(Value::Document(document)) => Receiver::Document(document.model()),
                // `const pipeline = User.aggregate()`, then `pipeline.`: the builder's methods.
                Some(Value::Pending(pending)) => match pending.as_ref() {
                    PendingCall::Model(call) if call.method == ModelMethod::Aggregate => {
                        Receiver::Aggregate(call.model.clone())
                    }
                    PendingCall::Model(call) => Receiver::Query(call.model.clone()),
                    PendingCall::Driver(call) if call.method == DriverMethod::Aggregate => Receiver::AggregationCursor,
                    PendingCall::Driver(_) => Receiver::Cursor,
                },
                _ => Receiver::Other,
            },
            _ => Receiver::Other,
        }
    };
    match context.position {
        CursorPosition::Member => match receiver_kind(&context.receiver) {
            Receiver::Db => {
                let mut names = collections(Side::Raw);
                names.extend(collections(Side::Mongoose));
                names.sort();
                suggest(names, "collection", partial, &mut out);
                suggest(
                    ["getCollection", "getCollectionNames", "dropDatabase"].map(String::from),
                    "db method",
                    partial,
                    &mut out,
                );
            }
            Receiver::Collection => suggest(
                DriverMethod::collection_methods().into_iter().map(str::to_string),
                "collection method",
                partial,
                &mut out,
            ),
            Receiver::Cursor => {
                suggest(CursorMethod::names().into_iter().map(str::to_string), "cursor method", partial, &mut out)
            }
            Receiver::Model(_) => {
                suggest(ModelMethod::static_names().into_iter().map(str::to_string), "model method", partial, &mut out)
            }
            Receiver::AggregationCursor => suggest(
                CursorMethod::aggregation_cursor_names().into_iter().map(str::to_string),
                "cursor method",
                partial,
                &mut out,
            ),
            Receiver::Query(_) => {
                suggest(QueryMethod::names().into_iter().map(str::to_string), "query method", partial, &mut out)
            }
            Receiver::Aggregate(_) => {
                suggest(AggregateMethod::names().into_iter().map(str::to_string), "aggregate method", partial, &mut out)
            }
            Receiver::Mongoose => {
                suggest(["Schema", "model", "connect", "Types"].map(String::from), "mongoose", partial, &mut out)
            }
            // A Mongoose document: its schema's paths, the program's methods and virtuals, then Mongoose's methods.
            Receiver::Document(model) => {
                if let Some(entry) = world.models.get(&model) {
                    let fields: Vec<String> = entry.model.schema.tree.iter().map(|(name, _)| name.clone()).collect();
                    suggest(fields, "field", partial, &mut out);
                    let methods: Vec<String> =
                        entry.schema.methods.0.borrow().properties.iter().map(|(name, _)| name.clone()).collect();
                    suggest(methods, "schema method", partial, &mut out);
                    let virtuals: Vec<String> = entry.schema.virtuals.borrow().iter().map(|v| v.name.clone()).collect();
                    suggest(virtuals, "virtual", partial, &mut out);
                }
                suggest(
                    crate::runtime::documents::DOCUMENT_METHODS.iter().map(|m| m.to_string()),
                    "document method",
                    partial,
                    &mut out,
                );
            }
            Receiver::Other => {}
        },
        CursorPosition::Key if context.method.as_deref() == Some("aggregate") && !in_match(&context.key_path) => {
            // Inside a pipeline: a stage's name at the top of a stage, accumulators for a `$group` field,
            // expression operators elsewhere — each from the engine's own table.
            match stage_path(&context.key_path) {
                [] => suggest(
                    crate::engine::aggregate::stage_reference().map(|stage| stage.name.to_string()),
                    "aggregation stage operator",
                    partial,
                    &mut out,
                ),
                [group, _] if group == "$group" => suggest(
                    crate::engine::aggregate::accumulator_reference().map(|a| a.name.to_string()),
                    "accumulator operator",
                    partial,
                    &mut out,
                ),
                _ if partial.starts_with('$') => suggest(
                    crate::engine::expr::expression_operators().map(|op| op.name.to_string()),
                    "expression operator",
                    partial,
                    &mut out,
                ),
                _ => {}
            }
        }
        CursorPosition::Key => {
            let method = context.method.clone().unwrap_or_default();
            // A pipeline's `$match` is a filter: its paths count from the filter, not from the pipeline.
            let key_path: &[String] = if method == "aggregate" {
                stage_path(&context.key_path).get(1..).unwrap_or_default()
            } else {
                &context.key_path
            };
            let is_update_argument = context.argument_index == Some(1)
                && matches!(method.as_str(), "updateOne" | "updateMany" | "findOneAndUpdate" | "findByIdAndUpdate");
            if partial.starts_with('$') || key_path.last().is_some_and(|k| !k.starts_with('$')) && !is_update_argument {
                let operators = if is_update_argument && key_path.is_empty() {
                    update_operator_names()
                } else {
                    query_operator_names()
                };
                suggest(operators, "operator", partial, &mut out);
            }
            if is_update_argument && key_path.is_empty() {
                suggest(update_operator_names(), "update operator", partial, &mut out);
            }
            // Schema fields: only where a model call takes documents, and only the Mongoose world knows them.
            let model = match receiver_kind(&context.receiver) {
                Receiver::Model(model) | Receiver::Query(model) | Receiver::Aggregate(model) => Some(model),
                _ => None,
            };
            if let Some(entry) = model.and_then(|model| world.models.get(&model)) {
                let prefix: Vec<&String> = key_path.iter().filter(|k| !k.starts_with('$')).collect();
                let prefix = prefix.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(".");
                let fields = entry.model.schema.paths().into_iter().filter_map(|(path, def)| {
                    let rest =
                        if prefix.is_empty() { Some(path.as_str()) } else { path.strip_prefix(&format!("{prefix}.")) }?;
                    Some((rest.split('.').next().unwrap_or(rest).to_string(), def.instance()))
                });
                for (field, instance) in fields {
                    if !context.sibling_keys.contains(&field) {
                        suggest([field], &format!("{} field", instance), partial, &mut out);
                    }
                }
            }
        }
        CursorPosition::Name => {
            let mut names = world.binding_names();
            names.extend(world.models.keys().cloned());
            names.extend(["db", "mongoose", "await", "const", "use", "show"].map(String::from));
            suggest(names, "name", partial, &mut out);
        }
        CursorPosition::Value => {}
    }
    out.truncate(MAX_SUGGESTIONS);
    Completions { start, end, suggestions: out }
}

enum Receiver {
    Db,
    Collection,
    Cursor,
    /// `db.users.aggregate(...)`: mongosh's AggregationCursor, which runs or explains.
    AggregationCursor,
    Model(String),
    Query(String),
    /// `User.aggregate()`: Mongoose's Aggregate builder.
    Aggregate(String),
    Mongoose,
    /// A Mongoose document of this model (`const ada = new User(…)`).
    Document(String),
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(playground: &Playground, source: &str) -> Vec<String> {
        complete(playground, source, source.len()).suggestions.into_iter().map(|s| s.label).collect()
    }

    fn playground() -> Playground {
        let mut playground = Playground::new(true);
        playground
            .run(
                r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: String, age: Number, profile: { city: String } }))
db.posts.insertOne({ text: "hi" })"#,
            )
            .unwrap();
        playground
    }

    #[test]
    fn members_of_db_collections_models_and_queries() {
        let p = playground();
        assert_eq!(labels(&p, "db.po"), vec!["posts"]);
        assert!(labels(&p, "db.posts.ins").contains(&"insertOne".to_string()));
        assert_eq!(labels(&p, "User.findBy"), vec!["findById", "findByIdAndUpdate", "findByIdAndDelete"]);
        assert!(labels(&p, "User.find({}).so").contains(&"sort".to_string()));
        assert!(labels(&p, "db.posts.find({}).li").contains(&"limit".to_string()));
    }

    #[test]
    fn members_of_an_aggregation() {
        let mut p = playground();
        assert_eq!(labels(&p, "User.aggregate().so"), vec!["sort", "sortByCount"]);
        assert_eq!(labels(&p, "User.aggregate([]).match({}).gr"), vec!["group"]);
        assert!(labels(&p, "User.aggregate().").contains(&"unwind".to_string()));
        assert!(!labels(&p, "User.aggregate().").contains(&"populate".to_string()), "a query's, not an aggregate's");
        assert_eq!(labels(&p, "await User.aggregate().match({ ag"), vec!["age"]);
        // mongosh's aggregation cursor runs or explains; its stages are the pipeline's.
        assert_eq!(labels(&p, "db.posts.aggregate([])."), vec!["toArray", "pretty", "explain"]);
        p.run(r#"const adults = User.aggregate().match({ age: { $gte: 18 } })"#).unwrap();
        assert_eq!(labels(&p, "adults.pro"), vec!["project"]);
    }

    #[test]
    fn inside_a_pipeline_stages_accumulators_and_expressions_come_from_the_engine() {
        let p = playground();
        assert_eq!(labels(&p, "db.posts.aggregate([{ $gr"), vec!["$group"]);
        assert_eq!(labels(&p, "db.posts.aggregate({ $match: {} }, { $so"), vec!["$sortByCount", "$sort"]);
        assert!(labels(&p, "User.aggregate([{ $group: { _id: \"$city\", n: { $su").contains(&"$sum".to_string()));
        assert!(labels(&p, "db.posts.aggregate([{ $project: { up: { $toU").contains(&"$toUpper".to_string()));
        assert_eq!(labels(&p, "User.aggregate([{ $match: { ag"), vec!["age"], "a $match is a query");
        assert!(labels(&p, "User.aggregate([{ $match: { age: { $g").contains(&"$gte".to_string()));
        let text = "db.posts.aggregate([{ $unw";
        let first = complete(&p, text, text.len()).suggestions.remove(0);
        assert_eq!(first.label, "$unwind");
        assert_eq!(first.detail, crate::engine::operators::reference("$unwind").unwrap().summary);
    }

    #[test]
    fn members_of_a_mongoose_document() {
        let mut p = playground();
        p.run(r#"const ada = new User({ username: "ada" })"#).unwrap();
        assert_eq!(labels(&p, "ada.sa"), vec!["save"]);
        assert_eq!(labels(&p, "ada.us"), vec!["username"]);
        assert!(labels(&p, "ada.is").contains(&"isModified".to_string()));
    }

    #[test]
    fn schema_fields_inside_model_calls_only() {
        let p = playground();
        assert_eq!(labels(&p, "User.find({ us"), vec!["username"]);
        assert_eq!(labels(&p, "User.create({ profile: { ci"), vec!["city"]);
        assert!(labels(&p, "db.users.find({ us").is_empty(), "the driver knows no schema");
        assert!(labels(&p, "User.updateOne({}, { $s").contains(&"$set".to_string()));
        assert!(labels(&p, "User.find({ age: { $g").contains(&"$gte".to_string()));
        assert!(labels(&p, "// User.fi").is_empty());
        let gte = complete(&p, "User.find({ age: { $gt", 22).suggestions;
        assert_eq!(gte[0].kind, "operator");
        assert!(gte[0].detail.contains("greater"), "{:?}", gte[0]);
        let field = complete(&p, "User.find({ ag", 14).suggestions;
        assert_eq!((field[0].kind, field[0].detail.as_str()), ("field", "Number field"));
    }
}
