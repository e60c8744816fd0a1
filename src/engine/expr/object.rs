//! Expression object operators: `$mergeObjects $objectToArray $arrayToObject $getField`.

use super::{
    argument, describe, error, evaluate_all, is_nullish, type_name_of, Arguments, Call, Context, Evaluated, Expression,
    Operator, Parser,
};
use crate::engine::error::MongoResult;
use bson::{Bson, Document};

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$mergeObjects",
        arguments: Arguments::Any,
        evaluate: merge_objects,
        summary: "One document with the fields of all the documents (later ones win).",
    },
    Operator {
        name: "$objectToArray",
        arguments: Arguments::Exactly(1),
        evaluate: object_to_array,
        summary: "A document as an array of {k, v} pairs.",
    },
    Operator {
        name: "$arrayToObject",
        arguments: Arguments::Exactly(1),
        evaluate: array_to_object,
        summary: "An array of [k, v] pairs or {k, v} documents as one document.",
    },
    Operator {
        name: "$getField",
        arguments: Arguments::Named(parse_get_field),
        evaluate: get_field,
        summary: "The value of a field, also one whose name has dots or starts with $.",
    },
];

fn merge_objects(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let mut out = Document::new();
    for value in evaluate_all(&call.args, context)? {
        match value {
            value if is_nullish(value.as_ref()) => {}
            Some(Bson::Document(doc)) => {
                for (key, field) in doc {
                    out.insert(key, field);
                }
            }
            other => {
                return Err(error(
                    40400,
                    format!(
                        "$mergeObjects requires object inputs, but input {} is of type {}",
                        describe(other.as_ref()),
                        type_name_of(other.as_ref())
                    ),
                ))
            }
        }
    }
    Ok(Some(context.built(Bson::Document(out))?))
}

fn object_to_array(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    match argument(call, 0, context)? {
        value if is_nullish(value.as_ref()) => Ok(Some(Bson::Null)),
        Some(Bson::Document(doc)) => {
            let pairs: Vec<Bson> = doc
                .into_iter()
                .map(|(k, v)| {
                    let mut pair = Document::new();
                    pair.insert("k", k);
                    pair.insert("v", v);
                    Bson::Document(pair)
                })
                .collect();
            Ok(Some(context.built(Bson::Array(pairs))?))
        }
        other => Err(error(
            40390,
            format!("$objectToArray requires a document input, found: {}", type_name_of(other.as_ref())),
        )),
    }
}

fn array_to_object(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let items = match argument(call, 0, context)? {
        value if is_nullish(value.as_ref()) => return Ok(Some(Bson::Null)),
        Some(Bson::Array(items)) => items,
        other => {
            return Err(error(
                40386,
                format!("$arrayToObject requires an array input, found: {}", type_name_of(other.as_ref())),
            ))
        }
    };
    let mut out = Document::new();
    let pairs_are_arrays = matches!(items.first(), Some(Bson::Array(_)));
    for item in items {
        let (key, value) = match item {
            Bson::Array(pair) if pairs_are_arrays => {
                if pair.len() != 2 {
                    return Err(error(
                        40397,
                        format!(
                            "$arrayToObject requires an array of size 2 arrays,found array of size: {}",
                            pair.len()
                        ),
                    ));
                }
                let mut pair = pair.into_iter();
                let (Some(key), Some(value)) = (pair.next(), pair.next()) else { continue };
                let Bson::String(key) = key else {
                    return Err(error(40395, format!("$arrayToObject requires an array of key-value pairs, where the key must be of type string. Found key type: {}", type_name_of(Some(&key)))));
                };
                (key, value)
            }
            Bson::Document(pair) if !pairs_are_arrays => {
                if pair.len() != 2 {
                    return Err(error(
                        40392,
                        format!(
                            "$arrayToObject requires an object keys of 'k' and 'v'. Found incorrect number of keys:{}",
                            pair.len()
                        ),
                    ));
                }
                let (Some(key), Some(value)) = (pair.get("k"), pair.get("v")) else {
                    return Err(error(40393, format!("$arrayToObject requires an object with keys 'k' and 'v'. Missing either or both keys from: {}", describe(Some(&Bson::Document(pair.clone()))))));
                };
                let Bson::String(key) = key else {
                    return Err(error(40394, format!("$arrayToObject requires an object with keys 'k' and 'v', where the value of 'k' must be of type string. Found type: {}", type_name_of(Some(key)))));
                };
                (key.clone(), value.clone())
            }
            Bson::Array(_) | Bson::Document(_) => {
                return Err(error(
                    40396,
                    "$arrayToObject requires a consistent input format. Elements must all be arrays or all be objects.",
                ))
            }
            other => {
                return Err(error(
                    40398,
                    format!("Unrecognised input type format for $arrayToObject: {}", type_name_of(Some(&other))),
                ))
            }
        };
        if key.contains('\0') {
            return Err(error(4940400, "Key field cannot contain an embedded null byte"));
        }
        out.insert(key, value);
    }
    Ok(Some(context.built(Bson::Document(out))?))
}

/// `$getField`'s arguments: the field name (a constant string), then `input` (`$$CURRENT` when not given).
fn parse_get_field(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let (field, input) = match argument {
        Bson::Document(spec) if !spec.keys().next().is_some_and(|k| k.starts_with('$')) => {
            for key in spec.keys() {
                if !matches!(key.as_str(), "field" | "input") {
                    return Err(error(3041701, format!("$getField found an unknown argument: {key}")));
                }
            }
            let Some(field) = spec.get("field") else {
                return Err(error(3041702, "$getField requires 'field' to be specified"));
            };
            (field, spec.get("input"))
        }
        other => (other, None),
    };
    let Bson::String(name) = field else {
        return Err(error(
            5654602,
            format!(
                "$getField requires 'field' to evaluate to a constant, but got a non-constant argument of type {}",
                type_name_of(Some(field))
            ),
        ));
    };
    let input = match input {
        Some(value) => parser.expression(value)?,
        None => Expression::Variable { variable: super::Variable::Current, path: Vec::new() },
    };
    Ok(Call { operator, args: vec![Expression::Literal(Bson::String(name.clone())), input], bound: Vec::new() })
}

fn get_field(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(Expression::Literal(Bson::String(name))) = call.args.first() else { return Ok(None) };
    match argument(call, 1, context)? {
        None => Ok(None),
        Some(Bson::Null | Bson::Undefined) => Ok(Some(Bson::Null)),
        Some(Bson::Document(doc)) => Ok(doc.get(name).cloned()),
        Some(other) => Err(error(
            3041705,
            format!("$getField requires 'input' to evaluate to type Object, but got {}", type_name_of(Some(&other))),
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(e, &doc! {"a": {"x": 1, "y": 2}, "b": {"y": 3}, "price.usd": 45, "z": null}))
    }

    #[test]
    fn merging_and_converting_documents() {
        assert_eq!(eval(bson!({"$mergeObjects": ["$a", "$b", "$z"]})), "{ x: 1, y: 3 }");
        assert_eq!(
            eval(bson!({"$mergeObjects": ["$a", 1]})),
            "error: $mergeObjects requires object inputs, but input 1 is of type int"
        );
        assert_eq!(eval(bson!({"$objectToArray": "$b"})), "[ { k: \"y\", v: 3 } ]");
        assert_eq!(eval(bson!({"$arrayToObject": [[["k1", 1], ["k2", 2]]]})), "{ k1: 1, k2: 2 }");
        assert_eq!(eval(bson!({"$arrayToObject": [[{"k": "a", "v": 1}]]})), "{ a: 1 }");
        assert_eq!(
            eval(bson!({"$arrayToObject": [[["a"]]]})),
            "error: $arrayToObject requires an array of size 2 arrays,found array of size: 1"
        );
        assert_eq!(eval(bson!({"$arrayToObject": "$z"})), "null");
        assert_eq!(eval(bson!({"$getField": "price.usd"})), "45");
        assert_eq!(eval(bson!({"$getField": {"field": "y", "input": "$b"}})), "3");
        assert_eq!(eval(bson!({"$getField": {"field": "y", "input": "$nope"}})), "MISSING");
    }
}
