//! Query filter casting, as `Model.find(filter)` does it (Mongoose's lib/cast.js and each SchemaType's
//! `castForQuery`): per-path casting, operators (`$in`, `$exists`, ...), arrays of values turned into `$in`,
//! unknown paths kept, dropped or refused as the schema's `strictQuery` says (off by default in Mongoose 9).

use bson::{Bson, Document};

use super::cast::{cast_scalar, setters_then_cast};
use super::definition::{FieldType, PathDef, ResolvedPath, ScalarType, Schema, Strict};
use super::document::{cast_path_value, WriteContext};
use super::errors::{CastError, MongooseError, SchemaError};
use super::model::Model;
use super::trace::{Trace, TraceStep};
use crate::js::inspect::inspect;

/// How deep `$and`/`$or`/`$elemMatch` may nest before the filter is rejected.
pub const MAX_FILTER_DEPTH: usize = 64;

/// `Model.find(filter)`'s casting. Errors: `CastError` (with the model named), `MongooseError`, plain `Error`.
/// A whole subdocument in a filter is built as a new subdocument, so it may get a fresh `_id` from `ctx`.
pub fn cast_filter(
    model: &Model,
    filter: &Document,
    ctx: &mut WriteContext<'_>,
    trace: &mut Trace,
) -> Result<Document, SchemaError> {
    cast_filter_in(&model.schema, filter, ctx, trace, 0).map_err(|e| name_model(e, &model.name))
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
    ctx: &mut WriteContext<'_>,
    trace: &mut Trace,
    depth: usize,
) -> Result<Document, SchemaError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(too_deep());
    }
    let entries: Vec<(&String, &Bson)> = filter.iter().collect();
    let mut cast: Vec<Option<(String, Bson)>> = vec![None; entries.len()];
    for (index, (path, value)) in entries.iter().enumerate().rev() {
        let result = cast_filter_entry(schema, path, value, ctx, trace, depth)?;
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
    ctx: &mut WriteContext<'_>,
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
                let cast = cast_filter_in(schema, clause_doc, ctx, trace, depth + 1)?;
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
                cast_path_condition(def, value, path, ctx, trace, depth).map(Some).map_err(|error| match error {
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
                Strict::False => {
                    if let Some((alias, real)) = schema.aliases.iter().find(|(alias, _)| alias == path) {
                        trace.push(TraceStep::AliasNotTranslated { alias: alias.clone(), path: real.clone() });
                    }
                    Ok(Some(value.clone()))
                }
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
    ctx: &mut WriteContext<'_>,
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
                    "$elemMatch" => cast_elem_match(def, operand, path, ctx, trace, depth)?,
                    "$not" => match operand {
                        Bson::Document(inner) if inner.keys().next().is_some_and(|k| is_operator(k)) => {
                            let mut cast_inner = Document::new();
                            for (key, v) in inner {
                                cast_inner.insert(key.clone(), cast_for_query(def, Some(key), v, path, ctx, trace)?);
                            }
                            Bson::Document(cast_inner)
                        }
                        _ => cast_for_query(def, Some("$not"), operand, path, ctx, trace)?,
                    },
                    _ => cast_for_query(def, Some(op), operand, path, ctx, trace)?,
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
                cast.push(cast_for_query(def, None, item, path, ctx, trace)?);
            }
            let mut wrapped = Document::new();
            wrapped.insert("$in", Bson::Array(cast));
            Ok(Bson::Document(wrapped))
        }
        _ => cast_for_query(def, None, value, path, ctx, trace),
    }
}

fn cast_elem_match(
    def: &PathDef,
    operand: &Bson,
    path: &str,
    ctx: &mut WriteContext<'_>,
    trace: &mut Trace,
    depth: usize,
) -> Result<Bson, SchemaError> {
    match (&def.field_type, operand) {
        // cast.js casts `$elemMatch` of any path with a schema (an array of subdocuments, or a single nested
        // subdocument) as a filter of that schema.
        (FieldType::DocumentArray(sub) | FieldType::Subdocument(sub), Bson::Document(inner)) => {
            Ok(Bson::Document(cast_filter_in(sub, inner, ctx, trace, depth + 1)?))
        }
        (FieldType::Array(element), Bson::Document(inner)) if inner.keys().all(|k| is_operator(k)) => {
            let mut cast = Document::new();
            for (op, v) in inner {
                let value = match op.as_str() {
                    "$and" | "$or" | "$nor" => v.clone(),
                    _ => cast_for_query(element, Some(op), v, path, ctx, trace)?,
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
        // SchemaSubdocument.prototype.castForQuery throws a plain Error without the type's name.
        FieldType::Subdocument(_) => MongooseError::plain(format!("Can't use {op}")).into(),
        _ => MongooseError::new(format!("Can't use {op}")).into(),
    }
}

fn cast_each(
    def: &PathDef,
    value: &Bson,
    path: &str,
    ctx: &mut WriteContext<'_>,
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
                    out.push(cast_for_query(def, None, item, path, ctx, trace)?);
                }
            }
            Ok(Bson::Array(out))
        }
        single => Ok(Bson::Array(vec![cast_for_query(def, None, single, path, ctx, trace)?])),
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

/// `castToNumber` (`$size`, `$minDistance`, `$maxDistance` of arrays): castNumber's own Error, unwrapped.
fn cast_to_number(value: &Bson) -> Result<Bson, SchemaError> {
    super::cast::cast_number(value)
        .ok_or_else(|| MongooseError::plain("Cast to Number failed: value is not a valid number").into())
}

/// A whole subdocument in a filter: `castForQuery` builds it with `new Constructor(value)` (subdocument.js, and
/// documentArrayElement.js for one element of an array of subdocuments), so it gets the schema's key order, its
/// defaults, setters and strict mode, and a fresh `_id` unless the schema says `_id: false`. MongoDB then
/// compares it as a whole, `_id` included: the trace says so.
///
/// `element` is the position of the value in an array the filter compares whole (`posts: [{...}, {...}]`), for
/// the trace's paths.
fn build_subdocument_for_query(
    def: &PathDef,
    value: &Bson,
    path: &str,
    element: Option<usize>,
    ctx: &mut WriteContext<'_>,
    trace: &mut Trace,
) -> Result<Bson, SchemaError> {
    if matches!(value, Bson::Null | Bson::Undefined) {
        return Ok(value.clone());
    }
    let first_step = trace.len();
    let built = match &def.field_type {
        // One element of an array of subdocuments: the array's caster builds `[value]`, the element is its first.
        FieldType::DocumentArray(_) => {
            let built = match cast_path_value("", def, &Bson::Array(vec![value.clone()]), path, ctx, trace)? {
                Bson::Array(items) => items.into_iter().next().unwrap_or(Bson::Null),
                other => other,
            };
            let built_prefix = format!("{path}.0.");
            let shown_prefix = match element {
                Some(i) => format!("{path}.{i}."),
                None => format!("{path}."),
            };
            for step in trace.get_mut(first_step..).unwrap_or_default() {
                if let Some(step_path) = step.path_mut() {
                    if let Some(rest) = step_path.strip_prefix(&built_prefix) {
                        *step_path = format!("{shown_prefix}{rest}");
                    }
                }
            }
            built
        }
        _ => cast_path_value("", def, value, path, ctx, trace)?,
    };
    if let Bson::Document(fields) = &built {
        let id_generated = trace
            .get(first_step..)
            .unwrap_or_default()
            .iter()
            .any(|step| matches!(step, TraceStep::IdGenerated { path: id_path, .. } if id_path.ends_with("._id")));
        let array = matches!(def.field_type, FieldType::DocumentArray(_)).then(|| path.to_string());
        trace.push(TraceStep::SubdocumentInFilter {
            path: match element {
                Some(i) => format!("{path}.{i}"),
                None => path.to_string(),
            },
            value: Bson::Document(fields.clone()),
            id_generated,
            array,
        });
    }
    Ok(built)
}

/// `schematype.castForQuery($conditional, value)` for one path.
pub(crate) fn cast_for_query(
    def: &PathDef,
    op: Option<&str>,
    value: &Bson,
    path: &str,
    ctx: &mut WriteContext<'_>,
    trace: &mut Trace,
) -> Result<Bson, SchemaError> {
    match &def.field_type {
        FieldType::Scalar(ScalarType::Mixed) => Ok(value.clone()),
        FieldType::Scalar(t) => cast_scalar_for_query(def, *t, op, value, path, ctx, trace),
        FieldType::Array(element) => match op {
            None => match value {
                Bson::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(match item {
                            Bson::Document(d) if d.contains_key("$elemMatch") => item.clone(),
                            _ => cast_for_query(element, None, item, path, ctx, trace)?,
                        });
                    }
                    Ok(Bson::Array(out))
                }
                Bson::Null => Ok(Bson::Null),
                single => cast_for_query(element, None, single, path, ctx, trace),
            },
            Some("$in" | "$nin" | "$all") => cast_each(def, value, path, ctx, trace, false),
            Some("$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$not" | "$regex") => {
                cast_for_query(def, None, value, path, ctx, trace)
            }
            Some("$options") => cast_scalar(ScalarType::String, value, path).map_err(SchemaError::Cast),
            // `$size`'s handler (castToNumber → castNumber) throws castNumber's own Error, unwrapped.
            Some("$size") => cast_to_number(value),
            Some("$minDistance" | "$maxDistance") => {
                cast_scalar(ScalarType::Number, value, path).map_err(SchemaError::Cast)
            }
            Some("$exists") => cast_exists(value, path),
            Some("$type") => cast_type_operand(value, path),
            Some("$elemMatch") => Ok(value.clone()),
            Some(other) => Err(unknown_operator(def, other)),
        },
        // SchemaDocumentArray shares SchemaArray's handlers; its element caster builds subdocuments.
        FieldType::DocumentArray(sub) => match op {
            None => match value {
                Bson::Array(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for (i, item) in items.iter().enumerate() {
                        out.push(match item {
                            Bson::Document(d) if d.contains_key("$elemMatch") => item.clone(),
                            _ => build_subdocument_for_query(def, item, path, Some(i), ctx, trace)?,
                        });
                    }
                    Ok(Bson::Array(out))
                }
                single => build_subdocument_for_query(def, single, path, None, ctx, trace),
            },
            // `$in: [a, []]` keeps the empty array (handle$in).
            Some("$in" | "$nin") => cast_each(def, value, path, ctx, trace, true),
            // cast$all: an `{ $elemMatch }` element has its condition cast with the subdocument schema.
            Some("$all") => {
                let items = match value {
                    Bson::Array(items) => items.clone(),
                    single => vec![single.clone()],
                };
                let mut out = Vec::with_capacity(items.len());
                for item in &items {
                    out.push(match item {
                        Bson::Document(d) if d.contains_key("$elemMatch") => match d.get("$elemMatch") {
                            Some(Bson::Document(condition)) => {
                                let mut wrapped = Document::new();
                                wrapped.insert("$elemMatch", cast_filter_in(sub, condition, ctx, trace, 1)?);
                                Bson::Document(wrapped)
                            }
                            _ => item.clone(),
                        },
                        _ => build_subdocument_for_query(def, item, path, None, ctx, trace)?,
                    });
                }
                Ok(Bson::Array(out))
            }
            Some("$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" | "$not" | "$regex") => {
                cast_for_query(def, None, value, path, ctx, trace)
            }
            Some("$options") => cast_scalar(ScalarType::String, value, path).map_err(SchemaError::Cast),
            Some("$size" | "$minDistance" | "$maxDistance") => cast_to_number(value),
            Some("$exists") => cast_exists(value, path),
            Some("$type") => cast_type_operand(value, path),
            Some("$elemMatch") => Ok(value.clone()),
            Some(other) => Err(unknown_operator(def, other)),
        },
        // SchemaSubdocument: SchemaType's handlers ($eq $ne $in $nin $all $exists $type), the geo ones and
        // `$minDistance`/`$maxDistance`; a plain value is built as a subdocument.
        FieldType::Subdocument(_) => match op {
            None => build_subdocument_for_query(def, value, path, None, ctx, trace),
            Some("$eq" | "$ne") => cast_for_query(def, None, value, path, ctx, trace),
            Some("$in" | "$nin") => cast_each(def, value, path, ctx, trace, true),
            Some("$all") => cast_each(def, value, path, ctx, trace, false),
            Some("$exists") => cast_exists(value, path),
            Some("$type") => cast_type_operand(value, path),
            Some("$minDistance" | "$maxDistance") => cast_to_number(value),
            Some("$near" | "$nearSphere" | "$within" | "$geoWithin" | "$geoIntersects") => Ok(value.clone()),
            Some(other) => Err(unknown_operator(def, other)),
        },
    }
}

fn cast_scalar_for_query(
    def: &PathDef,
    t: ScalarType,
    op: Option<&str>,
    value: &Bson,
    path: &str,
    ctx: &mut WriteContext<'_>,
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
        "$in" | "$nin" => cast_each(def, value, path, ctx, trace, true),
        "$all" => cast_each(def, value, path, ctx, trace, false),
        "$exists" => cast_exists(value, path),
        "$type" => cast_type_operand(value, path),
        "$gt" | "$gte" | "$lt" | "$lte" if t != ScalarType::Boolean => {
            // Only String's and Buffer's handlers go through `castForQuery` (setters included); Number's,
            // ObjectId's and Date's `handleSingle` is `this.cast(val)`.
            if !matches!(t, ScalarType::String | ScalarType::Buffer) {
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
        "$mod" if t == ScalarType::Number => cast_each(def, value, path, ctx, trace, false),
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

/// `Model.translateAliases(fields, errorOnDuplicates)` (lib/model.js), which a query applies to its filter,
/// projection and update when `translateAliases` is on (`Query.prototype._applyTranslateAliases`): each key's
/// segments are looked up among the aliases of the schema they are in (a subdocument's own below it), a
/// translated key moves to the end of the object, and the values of `$` keys (`$or` clauses, `$set` objects) are
/// translated too, without the duplicate check.
pub fn translate_aliases(
    schema: &Schema,
    fields: &Document,
    error_on_duplicates: bool,
    trace: &mut Trace,
) -> Result<Document, SchemaError> {
    translate_aliases_in(schema, fields, error_on_duplicates, trace, 0)
}

fn translate_aliases_in(
    schema: &Schema,
    fields: &Document,
    error_on_duplicates: bool,
    trace: &mut Trace,
    depth: usize,
) -> Result<Document, SchemaError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(too_deep());
    }
    let mut out = fields.clone();
    for key in fields.keys() {
        let Some(value) = out.get(key).cloned() else { continue };
        let mut segments = Vec::new();
        let mut current = Some(schema);
        for name in key.split('.') {
            let real = current.and_then(|s| s.aliases.iter().find(|(alias, _)| alias == name)).map(|(_, p)| p);
            let segment = match real {
                Some(real) => {
                    if error_on_duplicates && out.contains_key(real) {
                        return Err(MongooseError::new(format!(
                            "Provided object has both field \"{name}\" and its alias \"{real}\""
                        ))
                        .into());
                    }
                    real.clone()
                }
                None => name.to_string(),
            };
            current = current.and_then(|s| subdocument_schema(s, &segment));
            segments.push(segment);
        }
        let translated = segments.join(".");
        out.insert(translated.clone(), value);
        if &translated != key {
            trace.push(TraceStep::Alias { alias: key.clone(), path: translated });
            out.remove(key);
        }
        if key.starts_with('$') {
            let nested = match out.get(key) {
                Some(Bson::Array(items)) => {
                    let mut translated_items = Vec::with_capacity(items.len());
                    for item in items {
                        translated_items.push(match item {
                            Bson::Document(clause) => {
                                Bson::Document(translate_aliases_in(schema, clause, false, trace, depth + 1)?)
                            }
                            other => other.clone(),
                        });
                    }
                    Some(Bson::Array(translated_items))
                }
                Some(Bson::Document(inner)) => {
                    Some(Bson::Document(translate_aliases_in(schema, inner, false, trace, depth + 1)?))
                }
                _ => None,
            };
            if let Some(nested) = nested {
                out.insert(key.clone(), nested);
            }
        }
    }
    Ok(out)
}

/// The schema of the subdocument (or array of subdocuments) at `path` of `schema` (`schema.paths[path].schema`).
fn subdocument_schema<'a>(schema: &'a Schema, path: &str) -> Option<&'a Schema> {
    schema.paths().into_iter().find(|(p, _)| p == path).and_then(|(_, def)| match &def.field_type {
        FieldType::Subdocument(sub) | FieldType::DocumentArray(sub) => Some(sub.as_ref()),
        _ => None,
    })
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

    /// Casts with `_id`s counting up from 1, the way a deterministic world would generate them.
    fn cast_in(model: &Model, filter: &Document, trace: &mut Trace) -> Result<Document, SchemaError> {
        let mut ids = super::super::document::SequentialIds::default();
        let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        cast_filter(model, filter, &mut ctx, trace)
    }

    fn cast(filter: Document) -> Result<Document, SchemaError> {
        cast_in(&model(), &filter, &mut Trace::new())
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
        let cast = cast_in(&model(), &doc! {"age": "5", "$and": [{}, {"age": 1}]}, &mut trace).unwrap();
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
        .map(|filter| match cast_in(&m, filter, &mut Trace::new()) {
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

    /// A value on one line, every level shown (the recording script prints Mongoose's filters the same way).
    fn shown(value: &Bson) -> String {
        match value {
            Bson::Document(doc) => {
                let fields: Vec<String> = doc.iter().map(|(k, v)| format!("{k}: {}", shown(v))).collect();
                format!("{{{}}}", fields.join(", "))
            }
            Bson::Array(items) => format!("[{}]", items.iter().map(shown).collect::<Vec<_>>().join(", ")),
            Bson::ObjectId(id) => format!("ObjectId({})", id.to_hex()),
            Bson::DateTime(date) => crate::js::inspect::js_date_iso(date),
            Bson::String(text) => format!("{text:?}"),
            other => crate::js::inspect::js_string(other),
        }
    }

    /// Each filter of `WHOLE_SUBDOCUMENT_FILTERS`, cast, printed with [`shown`].
    fn whole_subdocument_outcomes() -> String {
        let schema = Schema::from_definition(&doc! {
            "name": "String",
            "stats": {"type": {
                "followers": "Number",
                "verified": {"type": "Boolean", "default": false},
                "meta": {"a": "Number", "b": {"type": "String", "lowercase": true}},
                "tags": ["String"],
                "when": "Date",
            }},
            "posts": [{
                "title": {"type": "String", "trim": true},
                "votes": {"type": "Number", "default": 0},
                "inner": {"type": {"x": "Number"}},
            }],
            "plain": {"type": {"a": "Number"}, "_id": false},
            "noid": {"type": {"_id": false, "a": "Number"}},
            "req": {"type": {"a": {"type": "Number", "required": true, "min": 5}}},
        })
        .unwrap();
        let model = Model::new("Profile", schema);
        let filters: Vec<serde_json::Value> = serde_json::from_str(WHOLE_SUBDOCUMENT_FILTERS).unwrap();
        let mut lines = Vec::new();
        for filter in filters {
            let Ok(Bson::Document(filter)) = Bson::try_from(filter) else { panic!("not a document") };
            lines.push(match cast_in(&model, &filter, &mut Trace::new()) {
                Ok(cast) => shown(&Bson::Document(cast)),
                Err(e) => format!("{}: {}", e.name(), e.message()),
            });
        }
        lines.join("\n")
    }

    /// The filters of the whole-subdocument test, as JSON (the same file was cast by Mongoose 9.12.1).
    const WHOLE_SUBDOCUMENT_FILTERS: &str = r#"[
 {"stats": {"followers": "10", "verified": "false"}},
 {"stats": {"verified": false, "followers": 10, "extra": 1}},
 {"stats": {"tags": "a", "meta": {"b": "X"}, "followers": 1}},
 {"stats": {"meta": {}}},
 {"stats": {"when": "2020-01-01"}},
 {"stats": {"when": "y", "followers": "x"}},
 {"stats": 5},
 {"stats": "abc"},
 {"stats": [{"followers": 1}]},
 {"stats": {"$eq": {"followers": "1"}}},
 {"stats": {"$ne": {"followers": "1"}}},
 {"stats": {"$in": [{"followers": "1"}, []]}},
 {"stats": {"$all": [{"followers": 1}]}},
 {"stats": {"$gt": {"followers": 1}}},
 {"stats": {"$not": {"followers": "1"}}},
 {"stats": {"$elemMatch": {"followers": "1"}}},
 {"stats": {"$exists": "yes"}},
 {"stats": {"_id": "000000000000000000000abc", "followers": 1}},
 {"stats": null},
 {"stats": {}},
 {"posts": {"title": "  a ", "votes": "3"}},
 {"posts": [{"title": "a"}, {"votes": "2"}]},
 {"posts": {"votes": "x", "title": "a"}},
 {"posts": [{"votes": "x"}]},
 {"posts": 5},
 {"posts": [5]},
 {"posts": {"inner": {"x": "1"}}},
 {"posts": {"inner": {"x": "q"}}},
 {"posts": {"$in": [{"votes": "1"}, []]}},
 {"posts": {"$nin": [{"votes": "1"}]}},
 {"posts": {"$all": [{"votes": "1"}, {"$elemMatch": {"votes": "2"}}]}},
 {"posts": {"$ne": {"votes": "1"}}},
 {"posts": {"$gt": {"votes": "1"}}},
 {"posts": {"$elemMatch": {"votes": "2"}}},
 {"posts": {"$bogus": 1}},
 {"posts.inner": {"x": "2"}},
 {"posts.inner": {"x": "q"}},
 {"plain": {"a": "1"}},
 {"plain": {}},
 {"noid": {"a": "1"}},
 {"noid": {}},
 {"req": {}},
 {"$or": [{"stats": {"followers": "1"}}, {"posts": {"votes": "4"}}]}
]"#;

    #[test]
    fn whole_subdocuments_in_filters_are_built_as_mongoose_builds_them() {
        // Recorded from Mongoose 9.12.1 (`Profile.find(filter).cast()`, then BSON-serialised as the driver sends
        // it; ObjectIds numbered in the order they were generated): a whole subdocument is a new subdocument —
        // schema key order, defaults, setters, strict, a fresh `_id` (the document's before its children's) —
        // `$gt` and `$not` are refused on a single nested path, and a cast error inside an array element is
        // wrapped as a cast to "embedded".
        expect_test::expect![[r#"
{stats: {followers: 10, verified: false, tags: [], _id: ObjectId(000000000000000000000001)}}
{stats: {followers: 10, verified: false, tags: [], _id: ObjectId(000000000000000000000001)}}
{stats: {followers: 1, verified: false, meta: {b: "x"}, tags: ["a"], _id: ObjectId(000000000000000000000001)}}
{stats: {verified: false, tags: [], _id: ObjectId(000000000000000000000001)}}
{stats: {verified: false, tags: [], when: 2020-01-01T00:00:00.000Z, _id: ObjectId(000000000000000000000001)}}
CastError: Cast to Number failed for value "x" (type string) at path "followers" for model "Profile"
CastError: Cast to Embedded failed for value "5" (type number) at path "stats" for model "Profile" because of "ObjectParameterError"
CastError: Cast to Embedded failed for value "abc" (type string) at path "stats" for model "Profile" because of "ObjectParameterError"
{stats: {$in: [{followers: 1, verified: false, tags: [], _id: ObjectId(000000000000000000000001)}]}}
{stats: {$eq: {followers: 1, verified: false, tags: [], _id: ObjectId(000000000000000000000001)}}}
{stats: {$ne: {followers: 1, verified: false, tags: [], _id: ObjectId(000000000000000000000001)}}}
{stats: {$in: [{followers: 1, verified: false, tags: [], _id: ObjectId(000000000000000000000001)}, []]}}
{stats: {$all: [{followers: 1, verified: false, tags: [], _id: ObjectId(000000000000000000000001)}]}}
Error: Can't use $gt
Error: Can't use $not
{stats: {$elemMatch: {followers: 1}}}
{stats: {$exists: true}}
{stats: {followers: 1, verified: false, tags: [], _id: ObjectId(000000000000000000000abc)}}
{stats: null}
{stats: {verified: false, tags: [], _id: ObjectId(000000000000000000000001)}}
{posts: {title: "a", votes: 3, _id: ObjectId(000000000000000000000001)}}
{posts: [{title: "a", votes: 0, _id: ObjectId(000000000000000000000001)}, {votes: 2, _id: ObjectId(000000000000000000000002)}]}
CastError: Cast to embedded failed for value "{ votes: 'x', title: 'a' }" (type Object) at path "posts" for model "Profile" because of "CastError"
CastError: Cast to embedded failed for value "{ votes: 'x' }" (type Object) at path "posts" for model "Profile" because of "CastError"
CastError: Cast to embedded failed for value "5" (type number) at path "posts" for model "Profile" because of "ObjectParameterError"
CastError: Cast to embedded failed for value "5" (type number) at path "posts" for model "Profile" because of "ObjectParameterError"
{posts: {votes: 0, inner: {x: 1, _id: ObjectId(000000000000000000000002)}, _id: ObjectId(000000000000000000000001)}}
CastError: Cast to embedded failed for value "{ inner: { x: 'q' } }" (type Object) at path "posts" for model "Profile" because of "CastError"
{posts: {$in: [{votes: 1, _id: ObjectId(000000000000000000000001)}, []]}}
{posts: {$nin: [{votes: 1, _id: ObjectId(000000000000000000000001)}]}}
{posts: {$all: [{votes: 1, _id: ObjectId(000000000000000000000001)}, {$elemMatch: {votes: 2}}]}}
{posts: {$ne: {votes: 1, _id: ObjectId(000000000000000000000001)}}}
{posts: {$gt: {votes: 1, _id: ObjectId(000000000000000000000001)}}}
{posts: {$elemMatch: {votes: 2}}}
Error: Can't use $bogus with Array.
{posts.inner: {x: 2, _id: ObjectId(000000000000000000000001)}}
CastError: Cast to Number failed for value "q" (type string) at path "x" for model "Profile"
{plain: {a: 1}}
{plain: {}}
{noid: {a: 1}}
{noid: {}}
{req: {_id: ObjectId(000000000000000000000001)}}
{$or: [{stats: {followers: 1, verified: false, tags: [], _id: ObjectId(000000000000000000000002)}}, {posts: {votes: 4, _id: ObjectId(000000000000000000000001)}}]}"#]]
        .assert_eq(&whole_subdocument_outcomes());
    }

    #[test]
    fn aliases_are_translated_as_model_translate_aliases_does() {
        // Mongoose 9.12.1, `M.translateAliases(fields)` for the schema of document.rs's alias test:
        //   { name: 'x', years: 3, $or: [{ name: 'y' }], 'profile.first': 1, 'sub.city': 'p' }
        //     → { '$or': [ { n: 'y' } ], 'profile.first': 1, n: 'x', age: 3, 'sub.c': 'p' }
        //   { n: 'y', name: 'x' }                   → { n: 'x' }
        //   { name: 'x', n: 'y' } (errorOnDuplicates) → MongooseError: Provided object has both field "name" and
        //                                              its alias "n"
        let schema = Schema::from_definition(&doc! {
            "n": {"type": "String", "alias": "name", "lowercase": true},
            "age": {"type": "Number", "alias": "years"},
            "profile": {"f": {"type": "String", "alias": "first"}},
            "sub": {"type": {"$schema": {"c": {"type": "String", "alias": "city"}}, "$options": {}}},
        })
        .unwrap();
        let translated = |fields: Document, error_on_duplicates: bool| match translate_aliases(
            &schema,
            &fields,
            error_on_duplicates,
            &mut Trace::new(),
        ) {
            Ok(fields) => inspect(&Bson::Document(fields)),
            Err(e) => format!("{}: {}", e.name(), e.message()),
        };
        let outcomes = [
            translated(
                doc! {"name": "x", "years": 3, "$or": [{"name": "y"}], "profile.first": 1, "sub.city": "p"},
                false,
            ),
            translated(doc! {"n": "y", "name": "x"}, false),
            translated(doc! {"name": "x", "n": "y"}, true),
        ];
        expect_test::expect![[r#"
            [
                "{ '$or': [ { n: 'y' } ], 'profile.first': 1, n: 'x', age: 3, 'sub.c': 'p' }",
                "{ n: 'x' }",
                "MongooseError: Provided object has both field \"name\" and its alias \"n\"",
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
