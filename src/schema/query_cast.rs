//! Query filter casting, as `Model.find(filter)` does it (Mongoose's lib/cast.js and each SchemaType's
//! `castForQuery`): per-path casting, operators (`$in`, `$exists`, ...), arrays of values turned into `$in`,
//! unknown paths kept, dropped or refused as the schema's `strictQuery` says (off by default in Mongoose 9).

use bson::{Bson, Document};

use super::cast::{cast_scalar, setters_then_cast};
use super::definition::{FieldType, PathDef, ResolvedPath, ScalarType, Schema, Strict};
use super::errors::{CastError, MongooseError, SchemaError};
use super::model::Model;
use super::trace::{Trace, TraceStep};
use crate::js::inspect::inspect;

/// How deep `$and`/`$or`/`$elemMatch` may nest before the filter is rejected.
pub const MAX_FILTER_DEPTH: usize = 64;

/// `Model.find(filter)`'s casting. Errors: `CastError` (with the model named), `MongooseError`, plain `Error`.
pub fn cast_filter(model: &Model, filter: &Document, trace: &mut Trace) -> Result<Document, SchemaError> {
    cast_filter_in(&model.schema, filter, trace, 0).map_err(|e| name_model(e, &model.name))
}

pub(crate) fn name_model(error: SchemaError, model: &str) -> SchemaError {
    match error {
        SchemaError::Cast(mut e) => {
            e.set_model(model);
            SchemaError::Cast(e)
        }
        other => other,
    }
}

fn too_deep() -> SchemaError {
    SchemaError::Mongoose(MongooseError::new("Query filter is nested too deeply"))
}

/// Casts a filter against a schema. Keys are visited last to first, like Mongoose, so the error of the last
/// offending key wins; the output keeps the input's key order.
pub(crate) fn cast_filter_in(
    schema: &Schema,
    filter: &Document,
    trace: &mut Trace,
    depth: usize,
) -> Result<Document, SchemaError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(too_deep());
    }
    let entries: Vec<(&String, &Bson)> = filter.iter().collect();
    let mut cast: Vec<Option<(String, Bson)>> = vec![None; entries.len()];
    for (index, (path, value)) in entries.iter().enumerate().rev() {
        let result = cast_filter_entry(schema, path, value, trace, depth)?;
        if let Some(slot) = cast.get_mut(index) {
            *slot = result.map(|v| ((*path).clone(), v));
        }
    }
    Ok(cast.into_iter().flatten().collect())
}

fn cast_filter_entry(
    schema: &Schema,
    path: &str,
    value: &Bson,
    trace: &mut Trace,
    depth: usize,
) -> Result<Option<Bson>, SchemaError> {
    match path {
        "$or" | "$nor" | "$and" => {
            let Bson::Array(clauses) = value else {
                return Err(CastError::new("Array", value, path, None).into());
            };
            let mut out = vec![None; clauses.len()];
            for (k, clause) in clauses.iter().enumerate().rev() {
                let Bson::Document(clause_doc) = clause else {
                    return Err(CastError::new("Object", clause, &format!("{path}.{k}"), None).into());
                };
                let cast = cast_filter_in(schema, clause_doc, trace, depth + 1)?;
                let emptied = cast.is_empty() && !clause_doc.is_empty();
                if let Some(slot) = out.get_mut(k) {
                    *slot = (!emptied).then_some(Bson::Document(cast));
                }
            }
            let kept: Vec<Bson> = out.into_iter().flatten().collect();
            Ok((!kept.is_empty()).then_some(Bson::Array(kept)))
        }
        "$where" => match value {
            Bson::String(_) | Bson::JavaScriptCode(_) => Ok(Some(value.clone())),
            _ => Err(MongooseError::plain("Must have a string or function for $where").into()),
        },
        "$expr" | "$text" => Ok(Some(value.clone())),
        "$comment" if schema.node("$comment").is_none() => {
            Ok(Some(cast_scalar(ScalarType::String, value, path).map_err(SchemaError::Cast)?))
        }
        _ => match schema.resolve(path) {
            ResolvedPath::Path(def) | ResolvedPath::Element(def) => {
                cast_path_condition(def, value, path, trace, depth).map(Some).map_err(|error| match error {
                    // The schema type casting a path inside a subdocument names its own path (`votes` for
                    // `comments.votes`, `followers` for `stats.followers`), as SchemaType#path does.
                    SchemaError::Cast(mut e) if e.path == path => {
                        e.set_path(&schema.schema_path(path));
                        SchemaError::Cast(e)
                    }
                    other => other,
                })
            }
            // Mongoose 9.12.1 keeps an unknown path below a single nested subdocument whatever strictQuery says
            // (`stats.nope`), while one below an array of subdocuments meets strictQuery, named relative to it.
            ResolvedPath::Unknown if below_single_nested(schema, path) => Ok(Some(value.clone())),
            ResolvedPath::Unknown => match schema.options.strict_query {
                Strict::False => Ok(Some(value.clone())),
                Strict::True => {
                    trace.push(TraceStep::Dropped {
                        path: path.to_string(),
                        value: value.clone(),
                        reason: super::trace::DropReason::NotInSchemaQuery,
                    });
                    Ok(None)
                }
                Strict::Throw => {
                    Err(SchemaError::StrictMode(super::errors::StrictModeError::query(&schema.schema_path(path))))
                }
            },
            ResolvedPath::Nested | ResolvedPath::Free => Ok(Some(value.clone())),
        },
    }
}

/// Whether a dotted path runs through a single nested subdocument of the schema.
fn below_single_nested(schema: &Schema, path: &str) -> bool {
    let segments: Vec<&str> = path.split('.').collect();
    (1..segments.len()).any(|n| {
        let prefix = segments.get(..n).unwrap_or_default().join(".");
        matches!(schema.resolve(&prefix), ResolvedPath::Path(def) if matches!(def.field_type, FieldType::Subdocument(_)))
    })
}

fn is_operator(key: &str) -> bool {
    key.starts_with('$')
}

/// The value of one path in a filter: a plain value, an array (becomes `$in` for non-array paths) or operators.
fn cast_path_condition(
    def: &PathDef,
    value: &Bson,
    path: &str,
    trace: &mut Trace,
    depth: usize,
) -> Result<Bson, SchemaError> {
    match value {
        Bson::Null | Bson::Undefined => Ok(value.clone()),
        Bson::Document(conditions) if conditions.keys().any(|k| is_operator(k)) => {
            let entries: Vec<(&String, &Bson)> = conditions.iter().collect();
            let mut out: Vec<Option<(String, Bson)>> = vec![None; entries.len()];
            for (index, (op, operand)) in entries.iter().enumerate().rev() {
                let cast = match op.as_str() {
                    "$elemMatch" => cast_elem_match(def, operand, path, trace, depth)?,
                    "$not" => match operand {
                        Bson::Document(inner) if inner.keys().next().is_some_and(|k| is_operator(k)) => {
                            let mut cast_inner = Document::new();
                            for (key, v) in inner {
                                cast_inner.insert(key.clone(), cast_for_query(def, Some(key), v, path, trace)?);
                            }
                            Bson::Document(cast_inner)
                        }
                        _ => cast_for_query(def, Some("$not"), operand, path, trace)?,
                    },
                    _ => cast_for_query(def, Some(op), operand, path, trace)?,
                };
                if let Some(slot) = out.get_mut(index) {
                    *slot = Some(((*op).clone(), cast));
                }
            }
            Ok(Bson::Document(out.into_iter().flatten().collect()))
        }
        Bson::Array(items) if !def.is_array() && def.scalar() != Some(ScalarType::Buffer) => {
            let mut cast = Vec::with_capacity(items.len());
            for item in items {
                cast.push(cast_for_query(def, None, item, path, trace)?);
            }
            let mut wrapped = Document::new();
            wrapped.insert("$in", Bson::Array(cast));
            Ok(Bson::Document(wrapped))
        }
        _ => cast_for_query(def, None, value, path, trace),
    }
}

fn cast_elem_match(
    def: &PathDef,
    operand: &Bson,
    path: &str,
    trace: &mut Trace,
    depth: usize,
) -> Result<Bson, SchemaError> {
    match (&def.field_type, operand) {
        (FieldType::DocumentArray(sub), Bson::Document(inner)) => {
            Ok(Bson::Document(cast_filter_in(sub, inner, trace, depth + 1)?))
        }
        (FieldType::Array(element), Bson::Document(inner)) if inner.keys().all(|k| is_operator(k)) => {
            let mut cast = Document::new();
            for (op, v) in inner {
                let value = match op.as_str() {
                    "$and" | "$or" | "$nor" => v.clone(),
                    _ => cast_for_query(element, Some(op), v, path, trace)?,
                };
                cast.insert(op.clone(), value);
            }
            Ok(Bson::Document(cast))
        }
        _ => Ok(operand.clone()),
    }
}

fn unknown_operator(def: &PathDef, op: &str) -> SchemaError {
    match &def.field_type {
        FieldType::Scalar(ScalarType::Number) => MongooseError::new(format!("Can't use {op} with Number.")).into(),
        FieldType::Scalar(ScalarType::String) => MongooseError::plain(format!("Can't use {op} with String.")).into(),
        FieldType::Scalar(ScalarType::Date) => MongooseError::plain(format!("Can't use {op} with Date.")).into(),
        FieldType::Scalar(ScalarType::Buffer) => MongooseError::plain(format!("Can't use {op} with Buffer.")).into(),
        FieldType::Array(_) | FieldType::DocumentArray(_) => {
            MongooseError::plain(format!("Can't use {op} with Array.")).into()
        }
        _ => MongooseError::new(format!("Can't use {op}")).into(),
    }
}

fn cast_each(
    def: &PathDef,
    value: &Bson,
    path: &str,
    trace: &mut Trace,
    keep_empty_arrays: bool,
) -> Result<Bson, SchemaError> {
    match value {
        Bson::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if keep_empty_arrays && matches!(item, Bson::Array(inner) if inner.is_empty()) {
                    out.push(item.clone());
                } else {
                    out.push(cast_for_query(def, None, item, path, trace)?);
                }
            }
            Ok(Bson::Array(out))
        }
        single => Ok(Bson::Array(vec![cast_for_query(def, None, single, path, trace)?])),
    }
}

fn cast_exists(value: &Bson, path: &str) -> Result<Bson, SchemaError> {
    super::cast::cast_boolean(value)
        .or_else(|| matches!(value, Bson::Null).then_some(Bson::Null))
        .ok_or_else(|| CastError::new("boolean", value, path, None).into())
}

fn cast_type_operand(value: &Bson, path: &str) -> Result<Bson, SchemaError> {
    let ok = |v: &Bson| matches!(v, Bson::String(_) | Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_));
    let valid = match value {
        Bson::Array(items) => items.iter().all(ok),
        other => ok(other),
    };
    if valid {
        Ok(value.clone())
    } else {
        Err(CastError::new("$type", value, path, None).into())
    }
}

/// `schematype.castForQuery($conditional, value)` for one path.
pub(crate) fn cast_for_query(
    def: &PathDef,
    op: Option<&str>,
    value: &Bson,
    path: &str,
    trace: &mut Trace,
) -> Result<Bson, SchemaError> {
    match &def.field_type {
        FieldType::Scalar(ScalarType::Mixed) => Ok(value.clone()),
        FieldType::Scalar(t) => cast_scalar_for_query(def, *t, op, value, path, trace),
        FieldType::Array(element) => match op {
            None => match value {
                Bson::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(match item {
                            Bson::Document(d) if d.contains_key("$elemMatch") => item.clone(),
                            _ => cast_for_query(element, None, item, path, trace)?,
                        });
                    }
                    Ok(Bson::Array(out))
                }
                Bson::Null => Ok(Bson::Null),
                single => cast_for_query(element, None, single, path, trace),
            },
            Some("$in" | "$nin" | "$all") => cast_each(def, value, path, trace, false),
            Some("$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$not" | "$regex") => {
                cast_for_query(def, None, value, path, trace)
            }
            Some("$options") => cast_scalar(ScalarType::String, value, path).map_err(SchemaError::Cast),
            // `$size`'s handler (castToNumber → castNumber) throws castNumber's own Error, unwrapped.
            Some("$size") => super::cast::cast_number(value)
                .ok_or_else(|| MongooseError::plain("Cast to Number failed: value is not a valid number").into()),
            Some("$minDistance" | "$maxDistance") => {
                cast_scalar(ScalarType::Number, value, path).map_err(SchemaError::Cast)
            }
            Some("$exists") => cast_exists(value, path),
            Some("$type") => cast_type_operand(value, path),
            Some("$elemMatch") => Ok(value.clone()),
            Some(other) => Err(unknown_operator(def, other)),
        },
        FieldType::DocumentArray(_) => match op {
            Some("$exists") => cast_exists(value, path),
            Some("$type") => cast_type_operand(value, path),
            // The array's `$size` handler calls castNumber, whose own Error is thrown unwrapped.
            Some("$size") => super::cast::cast_number(value)
                .ok_or_else(|| MongooseError::plain("Cast to Number failed: value is not a valid number").into()),
            _ => Ok(value.clone()),
        },
        // A whole subdocument in a filter is compared as given; its paths (`stats.followers`) cast one by one.
        FieldType::Subdocument(_) => match op {
            Some("$exists") => cast_exists(value, path),
            Some("$type") => cast_type_operand(value, path),
            _ => Ok(value.clone()),
        },
    }
}

fn cast_scalar_for_query(
    def: &PathDef,
    t: ScalarType,
    op: Option<&str>,
    value: &Bson,
    path: &str,
    trace: &mut Trace,
) -> Result<Bson, SchemaError> {
    let with_setters = |trace: &mut Trace, v: &Bson| -> Result<Bson, SchemaError> {
        if t == ScalarType::String && matches!(v, Bson::RegularExpression(_)) {
            return Ok(v.clone());
        }
        setters_then_cast(def, t, v, path, trace).map_err(SchemaError::Cast)
    };
    let Some(op) = op else {
        return with_setters(trace, value);
    };
    match op {
        "$eq" | "$ne" => with_setters(trace, value),
        "$in" | "$nin" => cast_each(def, value, path, trace, true),
        "$all" => cast_each(def, value, path, trace, false),
        "$exists" => cast_exists(value, path),
        "$type" => cast_type_operand(value, path),
        "$gt" | "$gte" | "$lt" | "$lte" if t != ScalarType::Boolean => {
            if t == ScalarType::Date {
                let cast = cast_scalar(t, value, path).map_err(SchemaError::Cast)?;
                trace.push(TraceStep::cast(path, value, &cast));
                Ok(cast)
            } else {
                with_setters(trace, value)
            }
        }
        "$not" if t == ScalarType::String => with_setters(trace, value),
        "$options" if t == ScalarType::String => {
            cast_scalar(ScalarType::String, value, path).map_err(SchemaError::Cast)
        }
        "$regex" if t == ScalarType::String => match value {
            Bson::RegularExpression(_) => Ok(value.clone()),
            other => cast_scalar(ScalarType::String, other, path).map_err(SchemaError::Cast),
        },
        "$mod" if t == ScalarType::Number => cast_each(def, value, path, trace, false),
        "$bitsAllClear" | "$bitsAnyClear" | "$bitsAllSet" | "$bitsAnySet"
            if matches!(t, ScalarType::Number | ScalarType::Buffer) =>
        {
            match value {
                Bson::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(cast_scalar(ScalarType::Number, item, path).map_err(SchemaError::Cast)?);
                    }
                    Ok(Bson::Array(out))
                }
                Bson::Binary(_) => Ok(value.clone()),
                other => cast_scalar(ScalarType::Number, other, path).map_err(SchemaError::Cast),
            }
        }
        // Booleans have no operator table of their own: anything else is cast as a boolean.
        _ if t == ScalarType::Boolean => with_setters(trace, value),
        other => Err(unknown_operator(def, other)),
    }
}

/// The projection `Model.find(filter, projection)` sends once `select: false` paths are applied: they are
/// excluded unless the projection includes them (inclusive projection) or asks for them with `+path`.
pub fn apply_schema_projection(schema: &Schema, projection: &Document) -> Document {
    let hidden = schema.deselected_paths();
    let mut forced: Vec<String> = Vec::new();
    let mut out = Document::new();
    for (key, value) in projection {
        match key.strip_prefix('+') {
            Some(path) => forced.push(path.to_string()),
            None => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    let is_inclusive = out.iter().any(|(key, value)| {
        key != "_id"
            && !matches!(value, Bson::Int32(0) | Bson::Int64(0) | Bson::Boolean(false))
            && !matches!(value, Bson::Double(d) if *d == 0.0)
    });
    if is_inclusive {
        for path in forced {
            if !out.contains_key(&path) {
                out.insert(path, 1);
            }
        }
        return out;
    }
    for path in hidden {
        if !forced.contains(&path) && !out.contains_key(&path) {
            out.insert(path, 0);
        }
    }
    out
}

/// Shows a filter as Node would print it (for traces and messages).
pub fn describe_filter(filter: &Document) -> String {
    inspect(&Bson::Document(filter.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn model() -> Model {
        let schema = Schema::from_definition(&doc! {
            "name": {"type": "String", "lowercase": true},
            "age": "Number",
            "born": "Date",
            "ok": "Boolean",
            "ids": ["ObjectId"],
            "scores": [{"n": "Number"}],
            "meta": "Mixed",
        })
        .unwrap();
        Model::new("User", schema)
    }

    fn cast(filter: Document) -> Result<Document, SchemaError> {
        cast_filter(&model(), &filter, &mut Trace::new())
    }

    #[test]
    fn casts_values_and_operators() {
        let oid = bson::oid::ObjectId::parse_str("000000000000000000000065").unwrap();
        let cases = [
            (doc! {"age": "5"}, doc! {"age": 5}),
            (doc! {"age": {"$in": ["1", 2]}}, doc! {"age": {"$in": [1, 2]}}),
            (doc! {"age": ["1", "2"]}, doc! {"age": {"$in": [1, 2]}}),
            (doc! {"age": {"$gte": "3", "$exists": "yes"}}, doc! {"age": {"$gte": 3, "$exists": true}}),
            (doc! {"name": "ADA"}, doc! {"name": "ada"}),
            (doc! {"ok": {"$ne": "no"}}, doc! {"ok": {"$ne": false}}),
            (doc! {"ids": "000000000000000000000065"}, doc! {"ids": oid}),
            (doc! {"scores.n": "4"}, doc! {"scores.n": 4}),
            (doc! {"scores": {"$elemMatch": {"n": {"$gt": "1"}}}}, doc! {"scores": {"$elemMatch": {"n": {"$gt": 1}}}}),
            (doc! {"$or": [{"age": "1"}, {"x": 1}]}, doc! {"$or": [{"age": 1}, {"x": 1}]}),
            (doc! {"meta.x": "1", "other": "2"}, doc! {"meta.x": "1", "other": "2"}),
            (doc! {"age": {"$not": {"$gt": "2"}}}, doc! {"age": {"$not": {"$gt": 2}}}),
            (doc! {"__v": "3"}, doc! {"__v": 3}),
        ];
        for (input, expected) in cases {
            assert_eq!(cast(input.clone()).unwrap().to_string(), expected.to_string(), "{input}");
        }
    }

    #[test]
    fn traces_casts_and_drops_emptied_clauses() {
        let mut trace = Trace::new();
        let cast = cast_filter(&model(), &doc! {"age": "5", "$and": [{}, {"age": 1}]}, &mut trace).unwrap();
        assert_eq!(cast, doc! {"age": 5, "$and": [{}, {"age": 1}]});
        let described: Vec<String> = trace.iter().map(TraceStep::describe).collect();
        assert_eq!(described, ["cast age: 1 (number) unchanged", "cast age: '5' (string) -> 5 (number)"]);
    }

    #[test]
    fn paths_inside_subdocuments_are_named_as_their_schema_types_name_them() {
        // Mongoose 9.12.1 (recorded): a CastError or strictQuery error for a path inside a subdocument names the
        // path relative to it (SchemaType#path); an unknown path below a single nested subdocument is kept
        // whatever strictQuery says; `$size` with a non-number throws castNumber's plain Error.
        let schema = Schema::new(
            &doc! {
                "comments": [{"votes": "Number", "meta": {"n": "Number"}}],
                "stats": {"type": {"followers": "Number"}},
                "p": {"n": "Number"},
                "nums": ["Number"],
            },
            &doc! {"strictQuery": "throw"},
        )
        .unwrap();
        let m = Model::new("User", schema);
        let outcomes: Vec<String> = [
            doc! {"comments.votes": {"$in": ["1", "x"]}},
            doc! {"comments.meta.n": "x"},
            doc! {"stats.followers": "x"},
            doc! {"p.n": "x"},
            doc! {"comments.nope": 1},
            doc! {"stats.nope": 1},
            doc! {"nums": {"$size": "x"}},
        ]
        .iter()
        .map(|filter| match cast_filter(&m, filter, &mut Trace::new()) {
            Ok(cast) => cast.to_string(),
            Err(e) => format!("{}: {}", e.name(), e.message()),
        })
        .collect();
        expect_test::expect![[r#"
            [
                "CastError: Cast to Number failed for value \"x\" (type string) at path \"votes\" for model \"User\"",
                "CastError: Cast to Number failed for value \"x\" (type string) at path \"meta.n\" for model \"User\"",
                "CastError: Cast to Number failed for value \"x\" (type string) at path \"followers\" for model \"User\"",
                "CastError: Cast to Number failed for value \"x\" (type string) at path \"p.n\" for model \"User\"",
                "StrictModeError: Path \"nope\" is not in schema and strictQuery is 'throw'.",
                "{ \"stats.nope\": 1 }",
                "Error: Cast to Number failed: value is not a valid number",
            ]
        "#]]
        .assert_debug_eq(&outcomes);
    }

    #[test]
    fn select_false_paths_are_hidden_unless_asked_for() {
        let schema = Schema::from_definition(&doc! {
            "name": "String",
            "password": {"type": "String", "select": false},
        })
        .unwrap();
        assert_eq!(apply_schema_projection(&schema, &doc! {}), doc! {"password": 0});
        assert_eq!(apply_schema_projection(&schema, &doc! {"+password": 1}), doc! {});
        assert_eq!(apply_schema_projection(&schema, &doc! {"name": 1}), doc! {"name": 1});
        assert_eq!(apply_schema_projection(&schema, &doc! {"name": 0}), doc! {"name": 0, "password": 0});
        assert_eq!(
            apply_schema_projection(&schema, &doc! {"name": 1, "+password": 1}),
            doc! {"name": 1, "password": 1}
        );
    }

    #[test]
    fn errors() {
        let cases = [
            (doc! {"age": {"$bogus": 1}}, "MongooseError", "Can't use $bogus with Number."),
            (doc! {"name": {"$bogus": 1}}, "Error", "Can't use $bogus with String."),
            (doc! {"ids": {"$bogus": 1}}, "Error", "Can't use $bogus with Array."),
            (
                doc! {"age": "x"},
                "CastError",
                "Cast to Number failed for value \"x\" (type string) at path \"age\" for model \"User\"",
            ),
            (
                doc! {"age": "x", "born": "nope"},
                "CastError",
                "Cast to date failed for value \"nope\" (type string) at path \"born\" for model \"User\"",
            ),
            (
                doc! {"$or": {"a": 1}},
                "CastError",
                "Cast to Array failed for value \"{ a: 1 }\" (type Object) at path \"$or\" for model \"User\"",
            ),
        ];
        for (input, name, message) in cases {
            let err = cast(input).unwrap_err();
            assert_eq!((err.name(), err.message().as_str()), (name, message));
        }
    }
}
