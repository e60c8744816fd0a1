//! Mongoose's `Aggregate` builder (lib/aggregate.js): `User.aggregate()` chains `.match()`, `.group()`,
//! `.sort("-age")`, `.unwind("tags")` ..., each appending the stages Mongoose appends, after Mongoose's own checks of
//! its arguments (a bad one throws at once, as in Mongoose). The steps stay typed on the `ModelCall`, so the pane
//! shows the chain as written; the pipeline is computed from them here, for the Mongoose path, the driver mirror
//! and `.pipeline()`.

use super::calls::{AggregateMethod, ModelCall};
use crate::js::inspect::js_string;
use bson::{Bson, Document};

/// Mongoose refused a builder call: its error's name (`MongooseError` or `TypeError`) and message.
#[derive(Debug, Clone, PartialEq)]
pub struct BuilderError {
    pub name: &'static str,
    pub message: String,
}

impl BuilderError {
    fn mongoose(message: impl Into<String>) -> Self {
        BuilderError { name: "MongooseError", message: message.into() }
    }

    fn type_error(message: impl Into<String>) -> Self {
        BuilderError { name: "TypeError", message: message.into() }
    }
}

/// The stages one builder step appends, as lib/aggregate.js builds them (`exec`, `then`, `explain` and
/// `pipeline` append none).
pub fn stages(method: AggregateMethod, args: &[Bson]) -> Result<Vec<Bson>, BuilderError> {
    use AggregateMethod as A;
    let first = args.first().map(sent).unwrap_or(Bson::Null);
    let stage = |name: &str, value: Bson| -> Result<Vec<Bson>, BuilderError> {
        let mut stage = Document::new();
        stage.insert(name, value);
        Ok(vec![Bson::Document(stage)])
    };
    match method {
        // Mongoose copies the argument in as it is: `{ $match: arg }`.
        A::Match => stage("$match", first),
        A::Group => stage("$group", first),
        A::Limit => stage("$limit", first),
        A::Skip => stage("$skip", first),
        A::Lookup => stage("$lookup", first),
        A::Facet => stage("$facet", first),
        A::Count => stage("$count", first),
        A::Sort => stage("$sort", Bson::Document(sort(args)?)),
        A::Project => stage("$project", Bson::Document(project(args)?)),
        A::AddFields => match args.first() {
            Some(Bson::Document(fields)) => stage("$addFields", Bson::Document(fields.clone())),
            Some(other) if is_object(other) && !matches!(other, Bson::Array(_)) => {
                stage("$addFields", Bson::Document(Document::new()))
            }
            _ => Err(BuilderError::mongoose("Invalid addFields() argument. Must be an object")),
        },
        A::Unwind => args
            .iter()
            .map(|arg| match arg {
                Bson::String(path) => Ok(unwind_stage(Bson::String(with_dollar(path)))),
                arg if is_object(arg) => Ok(unwind_stage(arg.clone())),
                arg => Err(BuilderError::mongoose(format!(
                    "Invalid arg \"{}\" to unwind(), must be string or object",
                    js_string(arg)
                ))),
            })
            .collect(),
        A::SortByCount => match args.first().unwrap_or(&Bson::Undefined) {
            Bson::String(path) => stage("$sortByCount", Bson::String(with_dollar(path))),
            arg if is_object(arg) => stage("$sortByCount", arg.clone()),
            arg => Err(BuilderError::type_error(format!(
                "Invalid arg \"{}\" to sortByCount(), must be string or object",
                js_string(arg)
            ))),
        },
        A::ReplaceRoot => {
            let root = match &first {
                Bson::String(path) => Bson::String(with_dollar(path)),
                other => other.clone(),
            };
            stage("$replaceRoot", Bson::Document(bson::doc! { "newRoot": root }))
        }
        // `append(a, b)` or `append([a, b])`: each must be one `$operator`.
        A::Append => {
            let given = match args {
                [Bson::Array(items)] => items.as_slice(),
                _ => args,
            };
            if !given.iter().all(is_operator) {
                return Err(BuilderError::mongoose("Arguments must be aggregate pipeline operators"));
            }
            Ok(given.to_vec())
        }
        A::Pipeline | A::Explain | A::Exec | A::Then => Ok(Vec::new()),
    }
}

/// `arg` as the driver serialises it inside a stage: `undefined` is sent as `null`.
fn sent(arg: &Bson) -> Bson {
    match arg {
        Bson::Undefined => Bson::Null,
        other => other.clone(),
    }
}

fn unwind_stage(path: Bson) -> Bson {
    Bson::Document(bson::doc! { "$unwind": path })
}

/// `"tags"` → `"$tags"`; a path that has its `$` keeps it.
fn with_dollar(path: &str) -> String {
    if path.starts_with('$') {
        path.to_string()
    } else {
        format!("${path}")
    }
}

/// What JavaScript's `arg && typeof arg === "object"` says of a value (dates, ids and regexes are objects too).
fn is_object(value: &Bson) -> bool {
    matches!(
        value,
        Bson::Document(_) | Bson::Array(_) | Bson::ObjectId(_) | Bson::DateTime(_) | Bson::RegularExpression(_)
    )
}

/// Mongoose's `isOperator`: an object with exactly one key, and that key starts with `$`.
fn is_operator(stage: &Bson) -> bool {
    let Bson::Document(stage) = stage else { return false };
    let mut keys = stage.keys();
    matches!((keys.next(), keys.next()), (Some(key), None) if key.starts_with('$'))
}

/// `sort({ age: -1 })` or `sort("-age name")`: every value becomes 1 or -1 (`-1`, `"desc"` and `"descending"` are
/// descending, anything else ascending); a `{ $meta: ... }` is kept.
fn sort(args: &[Bson]) -> Result<Document, BuilderError> {
    match args {
        [Bson::Document(spec), ..] => Ok(spec
            .iter()
            .map(|(field, value)| {
                let direction = match value {
                    Bson::Document(meta) if meta.contains_key("$meta") => value.clone(),
                    Bson::String(word) if word == "desc" || word == "descending" => Bson::Int32(-1),
                    Bson::Int32(-1) => Bson::Int32(-1),
                    Bson::Double(n) if *n == -1.0 => Bson::Int32(-1),
                    _ => Bson::Int32(1),
                };
                (field.clone(), direction)
            })
            .collect()),
        [Bson::String(fields)] => Ok(fields_from_text(fields, -1)),
        _ => Err(BuilderError::type_error("Invalid sort() argument. Must be a string or object.")),
    }
}

/// `project({ name: 1 })` or `project("name -_id")`.
fn project(args: &[Bson]) -> Result<Document, BuilderError> {
    match args {
        [Bson::Document(spec), ..] => Ok(spec.clone()),
        // `Object.keys(null)`, inside Mongoose.
        [Bson::Null, ..] => Err(BuilderError::type_error("Cannot convert undefined or null to object")),
        [other, ..] if is_object(other) && !matches!(other, Bson::Array(_)) => Ok(Document::new()),
        [Bson::String(fields)] => Ok(fields_from_text(fields, 0)),
        _ => Err(BuilderError::mongoose("Invalid project() argument. Must be string or object")),
    }
}

/// Space-separated fields, each 1, or `minus` when it starts with `-` (`"-age name"` → `{ age: -1, name: 1 }`).
fn fields_from_text(text: &str, minus: i32) -> Document {
    text.split_whitespace()
        .map(|field| match field.strip_prefix('-') {
            Some(field) => (field.to_string(), Bson::Int32(minus)),
            None => (field.to_string(), Bson::Int32(1)),
        })
        .collect()
}

/// The pipeline `Model.aggregate(pipeline)` starts from: Mongoose takes an array's stages and ignores anything else.
fn initial(call: &ModelCall) -> &[Bson] {
    match call.args.first() {
        Some(Bson::Array(stages)) => stages,
        _ => &[],
    }
}

/// The stages every builder step of the call appended, in order.
fn built(call: &ModelCall) -> Result<Vec<Bson>, BuilderError> {
    let mut stages_so_far = Vec::new();
    for (method, args) in &call.builder {
        stages_so_far.extend(stages(*method, args)?);
    }
    Ok(stages_so_far)
}

/// `.pipeline()`: the stages the aggregation holds, the initial array's then the builder's.
pub fn pipeline(call: &ModelCall) -> Result<Vec<Bson>, BuilderError> {
    let mut pipeline = initial(call).to_vec();
    pipeline.extend(built(call)?);
    Ok(pipeline)
}

/// The pipeline as Mongoose sends it: `new Aggregate(pipeline)` refuses a stage that is not one `$operator`, and
/// `exec()` an empty pipeline.
pub fn mongoose_pipeline(call: &ModelCall) -> Result<Vec<Bson>, BuilderError> {
    if !initial(call).iter().all(is_operator) {
        return Err(BuilderError::mongoose("Arguments must be aggregate pipeline operators"));
    }
    let pipeline = pipeline(call)?;
    if pipeline.is_empty() {
        return Err(BuilderError::mongoose("Aggregate has empty pipeline"));
    }
    Ok(pipeline)
}

/// The driver's arguments in the schemaless mirror: the pipeline as the program wrote it, the builder's stages
/// after it, then the options.
pub fn driver_args(call: &ModelCall) -> Result<Vec<Bson>, BuilderError> {
    let built = built(call)?;
    let mut args = call.args.clone();
    match args.first_mut() {
        Some(Bson::Array(stages)) => stages.extend(built),
        Some(first @ Bson::Undefined) => *first = Bson::Array(built),
        None => args = vec![Bson::Array(built)],
        // Not an array: the driver refuses it as written, whatever the builder added.
        Some(_) => {}
    }
    Ok(args)
}

/// The verbosity of a final `.explain(...)`, when the chain asks for the plan.
pub fn explain(call: &ModelCall) -> Option<&[Bson]> {
    call.builder.iter().find(|(method, _)| *method == AggregateMethod::Explain).map(|(_, args)| args.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::calls::ModelMethod;
    use bson::bson;

    fn text(value: &str) -> Bson {
        Bson::String(value.to_string())
    }

    #[test]
    fn each_builder_method_appends_the_stages_mongoose_appends() {
        use AggregateMethod as A;
        let cases: Vec<(A, Vec<Bson>, Bson)> = vec![
            (A::Match, vec![bson!({"age": {"$gte": 18}})], bson!([{"$match": {"age": {"$gte": 18}}}])),
            (A::Group, vec![bson!({"_id": "$city"})], bson!([{"$group": {"_id": "$city"}}])),
            (A::Sort, vec![text("-age  name")], bson!([{"$sort": {"age": -1, "name": 1}}])),
            (
                A::Sort,
                vec![bson!({"a": "desc", "b": "descending", "c": -1, "d": 0, "e": "asc", "f": {"$meta": "textScore"}})],
                bson!([{"$sort": {"a": -1, "b": -1, "c": -1, "d": 1, "e": 1, "f": {"$meta": "textScore"}}}]),
            ),
            (A::Limit, vec![Bson::Int32(5)], bson!([{"$limit": 5}])),
            (A::Skip, vec![Bson::Int32(5)], bson!([{"$skip": 5}])),
            (A::Project, vec![text("name -_id")], bson!([{"$project": {"name": 1, "_id": 0}}])),
            (A::Project, vec![bson!({"name": 1})], bson!([{"$project": {"name": 1}}])),
            (
                A::Unwind,
                vec![text("tags"), text("$skills"), bson!({"path": "$x"})],
                bson!([{"$unwind": "$tags"}, {"$unwind": "$skills"}, {"$unwind": {"path": "$x"}}]),
            ),
            (A::Unwind, vec![], bson!([])),
            (A::Lookup, vec![bson!({"from": "courses"})], bson!([{"$lookup": {"from": "courses"}}])),
            (A::AddFields, vec![bson!({"n": 1})], bson!([{"$addFields": {"n": 1}}])),
            (A::Count, vec![text("n")], bson!([{"$count": "n"}])),
            (A::SortByCount, vec![text("city")], bson!([{"$sortByCount": "$city"}])),
            (A::ReplaceRoot, vec![text("profile")], bson!([{"$replaceRoot": {"newRoot": "$profile"}}])),
            (
                A::ReplaceRoot,
                vec![bson!({"$mergeObjects": ["$a", "$b"]})],
                bson!([{"$replaceRoot": {"newRoot": {"$mergeObjects": ["$a", "$b"]}}}]),
            ),
            (A::Facet, vec![bson!({"n": [{"$count": "n"}]})], bson!([{"$facet": {"n": [{"$count": "n"}]}}])),
            (A::Append, vec![bson!({"$limit": 1}), bson!({"$skip": 1})], bson!([{"$limit": 1}, {"$skip": 1}])),
            (A::Append, vec![bson!([{"$limit": 1}])], bson!([{"$limit": 1}])),
            // `match()` without an argument sends `{ $match: null }` and the server refuses it.
            (A::Match, vec![], bson!([{"$match": null}])),
            (A::Exec, vec![], bson!([])),
        ];
        for (method, args, expected) in cases {
            assert_eq!(stages(method, &args).map(Bson::Array), Ok(expected), "{method}({args:?})");
        }
    }

    #[test]
    fn bad_arguments_get_mongooses_own_errors() {
        use AggregateMethod as A;
        let cases: Vec<(A, Vec<Bson>, &str, &str)> = vec![
            (
                A::Unwind,
                vec![Bson::Int32(3)],
                "MongooseError",
                "Invalid arg \"3\" to unwind(), must be string or object",
            ),
            (
                A::Unwind,
                vec![text("a"), Bson::Null],
                "MongooseError",
                "Invalid arg \"null\" to unwind(), must be string or object",
            ),
            (
                A::SortByCount,
                vec![],
                "TypeError",
                "Invalid arg \"undefined\" to sortByCount(), must be string or object",
            ),
            (
                A::Sort,
                vec![text("age"), Bson::Int32(-1)],
                "TypeError",
                "Invalid sort() argument. Must be a string or object.",
            ),
            (A::Sort, vec![bson!(["age"])], "TypeError", "Invalid sort() argument. Must be a string or object."),
            (A::Project, vec![Bson::Int32(1)], "MongooseError", "Invalid project() argument. Must be string or object"),
            (A::Project, vec![Bson::Null], "TypeError", "Cannot convert undefined or null to object"),
            (A::AddFields, vec![bson!([1])], "MongooseError", "Invalid addFields() argument. Must be an object"),
            (
                A::Append,
                vec![bson!({"$match": {}, "$limit": 1})],
                "MongooseError",
                "Arguments must be aggregate pipeline operators",
            ),
            (A::Append, vec![bson!({"match": {}})], "MongooseError", "Arguments must be aggregate pipeline operators"),
        ];
        for (method, args, name, message) in cases {
            assert_eq!(stages(method, &args), Err(BuilderError { name, message: message.to_string() }), "{method}");
        }
    }

    #[test]
    fn a_pipeline_is_the_initial_array_then_the_builders_stages() {
        let call = ModelCall::new("User", ModelMethod::Aggregate, vec![bson!([{"$match": {"a": 1}}])])
            .then_build(AggregateMethod::Sort, vec![text("-a")]);
        assert_eq!(pipeline(&call), Ok(vec![bson!({"$match": {"a": 1}}), bson!({"$sort": {"a": -1}})]));
        assert_eq!(driver_args(&call), Ok(vec![bson!([{"$match": {"a": 1}}, {"$sort": {"a": -1}}])]));
        let empty = ModelCall::new("User", ModelMethod::Aggregate, vec![]);
        assert_eq!(driver_args(&empty), Ok(vec![bson!([])]));
        assert_eq!(mongoose_pipeline(&empty), Err(BuilderError::mongoose("Aggregate has empty pipeline")));
        // Mongoose ignores a pipeline that is not an array (`aggregate({ $match: … })`), so nothing is left.
        let stage_alone = ModelCall::new("User", ModelMethod::Aggregate, vec![bson!({"$match": {}})]);
        assert_eq!(mongoose_pipeline(&stage_alone), Err(BuilderError::mongoose("Aggregate has empty pipeline")));
        let two_in_one = ModelCall::new("User", ModelMethod::Aggregate, vec![bson!([{"$match": {}, "$limit": 1}])]);
        assert_eq!(
            mongoose_pipeline(&two_in_one),
            Err(BuilderError::mongoose("Arguments must be aggregate pipeline operators"))
        );
    }
}
