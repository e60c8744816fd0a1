//! Aggregation expressions as `$expr` (and computed projection fields) use them: field paths (`"$a.b"`),
//! literals, objects, arrays and operators, parsed once and evaluated per document.

mod arithmetic;
mod comparison;
mod logic;
mod string;

use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::path::FieldPath;
use crate::engine::value::type_name;
use bson::{Bson, Document};

/// How deeply expressions may nest before parsing is refused (user input must not overflow the stack).
const MAX_EXPRESSION_DEPTH: usize = 150;

/// How deeply a field path may descend through nested arrays before the rest counts as missing.
const MAX_ARRAY_NESTING: usize = 100;

/// A parsed aggregation expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expression {
    /// A constant (also what `$literal` produces).
    Literal(Bson),
    /// `"$a.b"`: the value at a path of the current document; arrays of documents yield arrays of values.
    Field(FieldPath),
    /// `"$$ROOT"` / `"$$CURRENT"`: the whole document.
    Root,
    /// `{a: <expr>, b: <expr>}`.
    Object(Vec<(String, Expression)>),
    /// `[<expr>, ...]`.
    Array(Vec<Expression>),
    /// `{$op: [args]}`.
    Operator { name: &'static str, args: Vec<Expression> },
}

/// Every operator this module evaluates, with its arity (`None` = any number of arguments).
const OPERATORS: &[(&str, Option<usize>)] = &[
    ("$eq", Some(2)),
    ("$ne", Some(2)),
    ("$gt", Some(2)),
    ("$gte", Some(2)),
    ("$lt", Some(2)),
    ("$lte", Some(2)),
    ("$cmp", Some(2)),
    ("$add", None),
    ("$subtract", Some(2)),
    ("$multiply", None),
    ("$divide", Some(2)),
    ("$mod", Some(2)),
    ("$abs", Some(1)),
    ("$size", Some(1)),
    ("$ifNull", None),
    ("$cond", Some(3)),
    ("$and", None),
    ("$or", None),
    ("$not", Some(1)),
    ("$in", Some(2)),
    ("$concat", None),
    ("$toLower", Some(1)),
    ("$toUpper", Some(1)),
];

/// Names of the expression operators `$expr` supports (for the operator reference).
pub fn operator_names() -> impl Iterator<Item = &'static str> {
    OPERATORS.iter().map(|(name, _)| *name).chain(std::iter::once("$literal"))
}

impl Expression {
    /// Parses an expression, rejecting unknown operators and wrong argument counts with MongoDB's messages.
    pub fn parse(value: &Bson) -> MongoResult<Expression> {
        parse(value, 0)
    }

    /// Evaluates against a document. `Ok(None)` is "missing" (a path that leads nowhere), distinct from `null`.
    pub fn evaluate(&self, root: &Document) -> MongoResult<Option<Bson>> {
        Ok(match self {
            Expression::Literal(value) => Some(value.clone()),
            Expression::Root => Some(Bson::Document(root.clone())),
            Expression::Field(path) => {
                let (head, rest) = match path.parts().split_first() {
                    Some(split) => split,
                    None => return Ok(None),
                };
                root.get(head).and_then(|value| field_value(value, rest, 0))
            }
            Expression::Object(fields) => {
                let mut out = Document::new();
                for (name, expression) in fields {
                    if let Some(value) = expression.evaluate(root)? {
                        out.insert(name.clone(), value);
                    }
                }
                Some(Bson::Document(out))
            }
            Expression::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.evaluate(root)?.unwrap_or(Bson::Null));
                }
                Some(Bson::Array(out))
            }
            Expression::Operator { name, args } => evaluate_operator(name, args, root)?,
        })
    }
}

fn field_value(value: &Bson, rest: &[String], nesting: usize) -> Option<Bson> {
    let Some((head, tail)) = rest.split_first() else {
        return Some(value.clone());
    };
    match value {
        Bson::Document(doc) => doc.get(head).and_then(|v| field_value(v, tail, nesting)),
        Bson::Array(items) if nesting < MAX_ARRAY_NESTING => Some(Bson::Array(
            items
                .iter()
                .filter(|item| matches!(item, Bson::Document(_) | Bson::Array(_)))
                .filter_map(|item| field_value(item, rest, nesting + 1))
                .collect(),
        )),
        _ => None,
    }
}

fn parse(value: &Bson, depth: usize) -> MongoResult<Expression> {
    if depth > MAX_EXPRESSION_DEPTH {
        return Err(MongoError::bad_value(format!("expression nests deeper than {MAX_EXPRESSION_DEPTH} levels")));
    }
    match value {
        Bson::String(s) if s.starts_with("$$") => match s.as_str() {
            "$$ROOT" | "$$CURRENT" => Ok(Expression::Root),
            _ => {
                let name = s.get(2..).unwrap_or_default();
                let variable = name.split('.').next().unwrap_or_default();
                Err(MongoError::new(ErrorCode::Location(17276), format!("Use of undefined variable: {variable}")))
            }
        },
        Bson::String(s) if s.starts_with('$') => {
            let dotted = s.get(1..).unwrap_or_default();
            if dotted.is_empty() {
                return Err(MongoError::new(ErrorCode::Location(16872), "'$' by itself is not a valid FieldPath"));
            }
            if dotted.split('.').any(str::is_empty) {
                return Err(MongoError::new(
                    ErrorCode::Location(15998),
                    "FieldPath field names may not be empty strings.",
                ));
            }
            Ok(Expression::Field(FieldPath::parse_checked(dotted)?))
        }
        Bson::Array(items) => {
            Ok(Expression::Array(items.iter().map(|item| parse(item, depth + 1)).collect::<MongoResult<_>>()?))
        }
        Bson::Document(doc) => {
            let Some(first) = doc.keys().next() else {
                return Ok(Expression::Object(Vec::new()));
            };
            if first.starts_with('$') {
                if doc.len() != 1 {
                    return Err(MongoError::new(
                        ErrorCode::Location(15983),
                        format!(
                            "an expression specification must contain exactly one field, the name of the expression. Found {} fields in {}",
                            doc.len(),
                            doc
                        ),
                    ));
                }
                let Some((name, argument)) = doc.iter().next() else {
                    return Ok(Expression::Object(Vec::new()));
                };
                return parse_operator(name, argument, depth);
            }
            let mut fields = Vec::with_capacity(doc.len());
            for (name, item) in doc {
                if name.starts_with('$') {
                    return Err(MongoError::new(
                        ErrorCode::Location(16410),
                        format!("FieldPath field names may not start with '$'. Consider using $getField or $setField. Field: {name}"),
                    ));
                }
                fields.push((name.clone(), parse(item, depth + 1)?));
            }
            Ok(Expression::Object(fields))
        }
        other => Ok(Expression::Literal(other.clone())),
    }
}

fn parse_operator(name: &str, argument: &Bson, depth: usize) -> MongoResult<Expression> {
    if name == "$literal" {
        return Ok(Expression::Literal(argument.clone()));
    }
    let Some((static_name, arity)) = OPERATORS.iter().find(|(op, _)| *op == name) else {
        return Err(MongoError::new(ErrorCode::InvalidPipelineOperator, format!("Unrecognized expression '{name}'")));
    };
    let args: Vec<Expression> = match (name, argument) {
        ("$cond", Bson::Document(spec)) => {
            logic::cond_arguments(spec)?.into_iter().map(|item| parse(item, depth + 1)).collect::<MongoResult<_>>()?
        }
        (_, Bson::Array(items)) => items.iter().map(|item| parse(item, depth + 1)).collect::<MongoResult<_>>()?,
        (_, single) => vec![parse(single, depth + 1)?],
    };
    if let Some(expected) = arity {
        if args.len() != *expected {
            return Err(MongoError::new(
                ErrorCode::Location(16020),
                format!("Expression {name} takes exactly {expected} arguments. {} were passed in.", args.len()),
            ));
        }
    }
    if *static_name == "$ifNull" && args.len() < 2 {
        return Err(MongoError::new(
            ErrorCode::Location(1257300),
            format!("$ifNull needs at least two arguments, had: {}", args.len()),
        ));
    }
    Ok(Expression::Operator { name: static_name, args })
}

fn evaluate_operator(name: &str, args: &[Expression], root: &Document) -> MongoResult<Option<Bson>> {
    match name {
        "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$cmp" => comparison::evaluate(name, args, root),
        "$add" | "$subtract" | "$multiply" | "$divide" | "$mod" | "$abs" => arithmetic::evaluate(name, args, root),
        "$concat" | "$toLower" | "$toUpper" => string::evaluate(name, args, root),
        _ => logic::evaluate(name, args, root),
    }
}

/// MongoDB's truthiness for expressions: false, null, undefined, missing and numeric zero are false.
pub fn is_truthy(value: Option<&Bson>) -> bool {
    match value {
        None | Some(Bson::Null | Bson::Undefined) => false,
        Some(Bson::Boolean(b)) => *b,
        Some(Bson::Int32(i)) => *i != 0,
        Some(Bson::Int64(i)) => *i != 0,
        Some(Bson::Double(d)) => *d != 0.0,
        Some(Bson::Decimal128(d)) => d.to_string().parse::<f64>() != Ok(0.0),
        Some(_) => true,
    }
}

/// The type name MongoDB prints in expression errors (`"missing"` for a path that leads nowhere).
pub(crate) fn type_name_of(value: Option<&Bson>) -> &'static str {
    value.map_or("missing", type_name)
}

/// Evaluates every argument.
pub(crate) fn evaluate_all(args: &[Expression], root: &Document) -> MongoResult<Vec<Option<Bson>>> {
    args.iter().map(|arg| arg.evaluate(root)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::{bson, doc};

    fn eval(expression: Bson, root: &Document) -> MongoResult<Option<Bson>> {
        Expression::parse(&expression)?.evaluate(root)
    }

    #[test]
    fn field_paths_walk_documents_and_arrays() {
        let root = doc! {"a": {"b": 1}, "s": [{"x": 1}, {"y": 2}, {"x": [3]}, 4]};
        assert_eq!(eval(bson!("$a.b"), &root).unwrap(), Some(bson!(1)));
        assert_eq!(eval(bson!("$s.x"), &root).unwrap(), Some(bson!([1, [3]])));
        assert_eq!(eval(bson!("$nope"), &root).unwrap(), None);
        assert_eq!(eval(bson!("$$ROOT"), &root).unwrap(), Some(Bson::Document(root.clone())));
        assert_eq!(eval(bson!({"k": "$a.b", "m": "$nope"}), &root).unwrap(), Some(bson!({"k": 1})));
        assert_eq!(eval(bson!(["$nope", 1]), &root).unwrap(), Some(bson!([null, 1])));
        assert_eq!(eval(bson!({"$literal": "$a"}), &root).unwrap(), Some(bson!("$a")));
    }

    #[test]
    fn parse_errors() {
        let err = |e: Bson| Expression::parse(&e).unwrap_err();
        assert_eq!(err(bson!({"$foo": 1})).message, "Unrecognized expression '$foo'");
        assert_eq!(err(bson!({"$foo": 1})).code, 168);
        assert_eq!(err(bson!({"$gt": [1]})).message, "Expression $gt takes exactly 2 arguments. 1 were passed in.");
        assert_eq!(err(bson!("$$nope")).message, "Use of undefined variable: nope");
        assert_eq!(err(bson!("$")).code, 16872);
    }

    #[test]
    fn truthiness() {
        assert!(!is_truthy(None));
        assert!(!is_truthy(Some(&bson!(0))));
        assert!(!is_truthy(Some(&Bson::Null)));
        assert!(is_truthy(Some(&bson!(""))));
        assert!(is_truthy(Some(&bson!([]))));
    }
}
