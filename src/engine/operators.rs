//! The registry of query and projection operators crudlab implements (and the `$expr` operators the filter
//! reference shows), for the UI's reference and completion. Every aggregation expression operator and stage carries
//! its own line in its table: `expr::expression_operators()`, `aggregate::stage_reference()`.

/// One operator as the reference shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorDoc {
    /// The operator as typed, e.g. `"$gt"`.
    pub name: &'static str,
    /// MongoDB's grouping: `"comparison"`, `"logical"`, `"element"`, `"evaluation"`, `"array"`, `"bitwise"`,
    /// `"projection"` or `"expression"` (aggregation operators usable inside `$expr`).
    pub category: &'static str,
    /// One sentence on what it does.
    pub summary: &'static str,
    /// A complete example in JSON: a filter, or (for `"projection"`) a projection document.
    pub example: &'static str,
}

const fn op(name: &'static str, category: &'static str, summary: &'static str, example: &'static str) -> OperatorDoc {
    OperatorDoc { name, category, summary, example }
}

static QUERY_OPERATORS: &[OperatorDoc] = &[
    op(
        "$eq",
        "comparison",
        "Matches values equal to the given value (also array fields containing it).",
        r#"{"age": {"$eq": 41}}"#,
    ),
    op(
        "$ne",
        "comparison",
        "Matches values not equal to the given value, including documents without the field.",
        r#"{"premium": {"$ne": true}}"#,
    ),
    op(
        "$gt",
        "comparison",
        "Matches values greater than the given value, within the same type bracket.",
        r#"{"age": {"$gt": 30}}"#,
    ),
    op("$gte", "comparison", "Matches values greater than or equal to the given value.", r#"{"age": {"$gte": 41}}"#),
    op(
        "$lt",
        "comparison",
        "Matches values less than the given value, within the same type bracket.",
        r#"{"age": {"$lt": 40}}"#,
    ),
    op("$lte", "comparison", "Matches values less than or equal to the given value.", r#"{"age": {"$lte": 28.5}}"#),
    op(
        "$in",
        "comparison",
        "Matches any of the values in an array (regexes allowed).",
        r#"{"tags": {"$in": ["os", "lisp"]}}"#,
    ),
    op(
        "$nin",
        "comparison",
        "Matches none of the values in an array, including documents without the field.",
        r#"{"city": {"$nin": ["Boston", "London"]}}"#,
    ),
    op(
        "$and",
        "logical",
        "Matches documents that satisfy every query in the array.",
        r#"{"$and": [{"age": {"$gt": 30}}, {"city": "Boston"}]}"#,
    ),
    op(
        "$or",
        "logical",
        "Matches documents that satisfy at least one query in the array.",
        r#"{"$or": [{"age": {"$lt": 30}}, {"premium": true}]}"#,
    ),
    op(
        "$nor",
        "logical",
        "Matches documents that satisfy none of the queries in the array.",
        r#"{"$nor": [{"premium": true}, {"city": "Boston"}]}"#,
    ),
    op(
        "$not",
        "logical",
        "Inverts an operator expression or regex on a field; also matches missing fields.",
        r#"{"age": {"$not": {"$gt": 40}}}"#,
    ),
    op(
        "$exists",
        "element",
        "Matches documents that have (true) or lack (false) the field.",
        r#"{"city": {"$exists": true}}"#,
    ),
    op(
        "$type",
        "element",
        "Matches values of a BSON type, by alias (\"string\", \"number\", ...), code, or a list of them.",
        r#"{"age": {"$type": "number"}}"#,
    ),
    op(
        "$regex",
        "evaluation",
        "Matches strings against a regular expression (linear-time engine: no backreferences or lookaround).",
        r#"{"username": {"$regex": "^a"}}"#,
    ),
    op(
        "$options",
        "evaluation",
        "Regex flags for $regex: i (case-insensitive), m (multiline), s (dot matches newline), x (extended).",
        r#"{"username": {"$regex": "^A", "$options": "i"}}"#,
    ),
    op(
        "$mod",
        "evaluation",
        "Matches numbers whose remainder after division by the divisor equals the remainder (fractions are truncated).",
        r#"{"age": {"$mod": [5, 1]}}"#,
    ),
    op(
        "$expr",
        "evaluation",
        "Matches documents for which an aggregation expression is true; can compare fields with each other.",
        r#"{"$expr": {"$gt": ["$age", 40]}}"#,
    ),
    op(
        "$comment",
        "evaluation",
        "Attaches a comment to the query; does not affect matching.",
        r#"{"$comment": "find adults", "age": {"$gte": 18}}"#,
    ),
    op(
        "$all",
        "array",
        "Matches arrays that contain every listed value (or satisfy every listed $elemMatch).",
        r#"{"tags": {"$all": ["code", "math"]}}"#,
    ),
    op(
        "$elemMatch",
        "array",
        "Matches arrays with at least one element satisfying all the given conditions together.",
        r#"{"scores": {"$elemMatch": {"subject": "c", "score": {"$gte": 90}}}}"#,
    ),
    op("$size", "array", "Matches arrays with exactly this many elements.", r#"{"tags": {"$size": 2}}"#),
    op(
        "$bitsAllSet",
        "bitwise",
        "Matches integers (or BinData) in which all the given bit positions are 1.",
        r#"{"flags": {"$bitsAllSet": [1, 5]}}"#,
    ),
    op(
        "$bitsAnySet",
        "bitwise",
        "Matches integers (or BinData) in which at least one of the given bit positions is 1.",
        r#"{"flags": {"$bitsAnySet": 34}}"#,
    ),
    op(
        "$bitsAllClear",
        "bitwise",
        "Matches integers (or BinData) in which all the given bit positions are 0.",
        r#"{"flags": {"$bitsAllClear": [0, 3]}}"#,
    ),
    op(
        "$bitsAnyClear",
        "bitwise",
        "Matches integers (or BinData) in which at least one of the given bit positions is 0.",
        r#"{"flags": {"$bitsAnyClear": [1, 5]}}"#,
    ),
    op(
        "$slice",
        "projection",
        "Returns part of an array: the first n, the last n (negative), or [skip, n].",
        r#"{"purchasedCourses": {"$slice": -1}, "username": 1}"#,
    ),
    op(
        "$elemMatch",
        "projection",
        "Returns only the first array element matching the condition.",
        r#"{"scores": {"$elemMatch": {"score": {"$gt": 80}}}}"#,
    ),
    op(
        "$",
        "projection",
        "Returns only the array element the query matched (the query must test that array).",
        r#"{"scores.$": 1}"#,
    ),
    op(
        "$eq",
        "expression",
        "True when two expressions are equal (no type bracketing: full BSON order).",
        r#"{"$expr": {"$eq": ["$username", "ada"]}}"#,
    ),
    op("$ne", "expression", "True when two expressions differ.", r#"{"$expr": {"$ne": ["$city", null]}}"#),
    op(
        "$gt",
        "expression",
        "True when the first expression is greater in BSON order.",
        r#"{"$expr": {"$gt": ["$age", 40]}}"#,
    ),
    op(
        "$gte",
        "expression",
        "True when the first expression is greater or equal in BSON order.",
        r#"{"$expr": {"$gte": ["$age", 41]}}"#,
    ),
    op(
        "$lt",
        "expression",
        "True when the first expression is smaller in BSON order.",
        r#"{"$expr": {"$lt": ["$age", 30]}}"#,
    ),
    op(
        "$lte",
        "expression",
        "True when the first expression is smaller or equal in BSON order.",
        r#"{"$expr": {"$lte": ["$age", 36]}}"#,
    ),
    op(
        "$cmp",
        "expression",
        "Returns -1, 0 or 1 comparing two expressions.",
        r#"{"$expr": {"$eq": [{"$cmp": ["$age", 40]}, 1]}}"#,
    ),
    op(
        "$add",
        "expression",
        "Adds numbers (or milliseconds to one date).",
        r#"{"$expr": {"$gt": [{"$add": ["$age", 10]}, 50]}}"#,
    ),
    op(
        "$subtract",
        "expression",
        "Subtracts numbers or dates.",
        r#"{"$expr": {"$lt": [{"$subtract": ["$age", 30]}, 10]}}"#,
    ),
    op("$multiply", "expression", "Multiplies numbers.", r#"{"$expr": {"$gt": [{"$multiply": ["$age", 2]}, 80]}}"#),
    op(
        "$divide",
        "expression",
        "Divides the first number by the second; dividing by zero is an error.",
        r#"{"$expr": {"$gt": [{"$divide": ["$age", 2]}, 20]}}"#,
    ),
    op(
        "$mod",
        "expression",
        "Remainder of dividing the first number by the second.",
        r#"{"$expr": {"$eq": [{"$mod": ["$age", 2]}, 0]}}"#,
    ),
    op(
        "$abs",
        "expression",
        "Absolute value of a number.",
        r#"{"$expr": {"$gt": [{"$abs": {"$subtract": ["$age", 40]}}, 5]}}"#,
    ),
    op(
        "$size",
        "expression",
        "Number of elements in an array (an error for non-arrays).",
        r#"{"$expr": {"$eq": [{"$size": {"$ifNull": ["$purchasedCourses", []]}}, 2]}}"#,
    ),
    op(
        "$ifNull",
        "expression",
        "The first argument that is neither null nor missing, else the last argument.",
        r#"{"$expr": {"$eq": [{"$ifNull": ["$city", "unknown"]}, "unknown"]}}"#,
    ),
    op(
        "$cond",
        "expression",
        "If-then-else: {if, then, else} or [if, then, else].",
        r#"{"$expr": {"$cond": {"if": "$premium", "then": true, "else": {"$gt": ["$age", 80]}}}}"#,
    ),
    op(
        "$and",
        "expression",
        "True when every expression is truthy.",
        r#"{"$expr": {"$and": [{"$gt": ["$age", 30]}, "$premium"]}}"#,
    ),
    op(
        "$or",
        "expression",
        "True when some expression is truthy.",
        r#"{"$expr": {"$or": [{"$lt": ["$age", 30]}, "$premium"]}}"#,
    ),
    op(
        "$not",
        "expression",
        "True when the expression is falsy (false, null, missing or 0).",
        r#"{"$expr": {"$not": ["$premium"]}}"#,
    ),
    op(
        "$in",
        "expression",
        "True when a value is in an array.",
        r#"{"$expr": {"$in": ["$city", ["Boston", "London"]]}}"#,
    ),
    op(
        "$concat",
        "expression",
        "Joins strings; null or missing gives null.",
        r#"{"$expr": {"$eq": [{"$concat": ["$username", "@", "$city"]}, "ada@London"]}}"#,
    ),
    op(
        "$toLower",
        "expression",
        "Lower-cases ASCII letters.",
        r#"{"$expr": {"$eq": [{"$toLower": "$username"}, "margaret"]}}"#,
    ),
    op(
        "$toUpper",
        "expression",
        "Upper-cases ASCII letters.",
        r#"{"$expr": {"$eq": [{"$toUpper": "$username"}, "ADA"]}}"#,
    ),
    op(
        "$literal",
        "expression",
        "A value taken as is, even if it looks like a field path or operator.",
        r#"{"$expr": {"$eq": ["$username", {"$literal": "$ada"}]}}"#,
    ),
];

/// Every query, projection and `$expr` operator crudlab implements.
pub fn query_operators() -> &'static [OperatorDoc] {
    QUERY_OPERATORS
}

/// One entry of the editor's reference, from whichever family's table names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: &'static str,
    /// `comparison`, `update`, `aggregation stage`, `accumulator`, `string expression`, ...
    pub category: String,
    pub summary: &'static str,
    /// A complete example, where the family's table carries one (query and update operators).
    pub example: Option<&'static str>,
}

/// Every operator and stage crudlab runs, each from its own family's table: query and projection operators, update
/// operators, aggregation stages, `$group` accumulators and expression operators, in that order (a name that is
/// both, like `$in`, is described by the first).
pub fn references() -> impl Iterator<Item = Reference> {
    let operator = |op: &OperatorDoc| Reference {
        name: op.name,
        category: op.category.to_string(),
        summary: op.summary,
        example: Some(op.example),
    };
    QUERY_OPERATORS
        .iter()
        .map(operator)
        .chain(super::update::update_operators().iter().map(operator))
        .chain(super::aggregate::stage_reference().map(|stage| Reference {
            name: stage.name,
            category: "aggregation stage".to_string(),
            summary: stage.summary,
            example: None,
        }))
        .chain(super::aggregate::accumulator_reference().map(|accumulator| Reference {
            name: accumulator.name,
            category: "accumulator".to_string(),
            summary: accumulator.summary,
            example: None,
        }))
        .chain(super::expr::expression_operators().map(|op| Reference {
            name: op.name,
            category: format!("{} expression", op.family),
            summary: op.summary,
            example: None,
        }))
}

/// The reference entry for `name` (`$elemMatch`, `$group`, `$toUpper`).
pub fn reference(name: &str) -> Option<Reference> {
    references().find(|entry| entry.name == name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::conformance::ejson::to_document;
    use crate::engine::projection::Projection;
    use crate::engine::query::Filter;
    use bson::doc;

    #[test]
    fn every_example_compiles() {
        for entry in query_operators() {
            let json: serde_json::Value = serde_json::from_str(entry.example).unwrap();
            let example = to_document(&json).unwrap();
            let compiled = if entry.category == "projection" {
                Projection::compile(&example).map(|_| ())
            } else {
                Filter::compile(&example).map(|_| ())
            };
            assert!(compiled.is_ok(), "{} example: {:?}", entry.name, compiled);
            assert!(entry.example.contains(entry.name), "{} example does not use it", entry.name);
        }
    }

    #[test]
    fn every_parsed_operator_is_documented() {
        let documented = |category: &str, name: &str| {
            query_operators().iter().any(|e| e.name == name && (e.category == category || category.is_empty()))
        };
        // Expression operators carry their one-line reference in their family's table; the ones the filter
        // reference lists here must be real ones.
        for entry in query_operators().iter().filter(|e| e.category == "expression") {
            assert!(
                crate::engine::expr::operator_names().any(|name| name == entry.name),
                "{} is not parsed",
                entry.name
            );
        }
        for name in crate::engine::query::FIELD_OPERATORS.iter().copied() {
            assert!(documented("", name), "{name} missing");
            // And the parser really knows it (an unknown one would say "unknown operator").
            let err = Filter::compile(&doc! {"a": {name: "bad"}}).err();
            assert!(err.is_none_or(|e| !e.message.starts_with("unknown operator")), "{name} not parsed");
        }
    }
}
