//! Update casting, as `Model.updateOne(filter, update)` does it (Mongoose's lib/helpers/query/castUpdate.js):
//! plain fields become `$set`, every operator's paths are cast with setters, unknown paths are dropped under
//! strict mode, `$push`/`$addToSet` arrays become `$each`. Update validators run only on request (`runValidators`).

use bson::{Bson, Document};

use super::cast::{cast_number, cast_scalar};
use super::definition::{FieldType, PathDef, ResolvedPath, ScalarType, Schema, Strict};
use super::document::{cast_path_value, validate_update_path, WriteContext};
use super::errors::{CastError, MongooseError, SchemaError, StrictModeError, ValidationError};
use super::model::Model;
use super::query_cast::{cast_filter_in, cast_for_query, name_model};
use super::trace::{DropReason, Trace, TraceStep};

/// Options of the update call that change casting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpdateOptions {
    /// Overrides the schema's `strict` for this update.
    pub strict: Option<Strict>,
}

/// How deep nested `$set` objects may go.
const MAX_UPDATE_DEPTH: usize = 64;

/// MongoDB's update operators as Mongoose lists them; any other top-level key is a field and goes into `$set`.
const UPDATE_OPERATORS: [&str; 15] = [
    "$currentDate",
    "$inc",
    "$min",
    "$max",
    "$mul",
    "$rename",
    "$set",
    "$setOnInsert",
    "$unset",
    "$addToSet",
    "$pop",
    "$pull",
    "$push",
    "$pullAll",
    "$bit",
];

fn is_update_operator(key: &str) -> bool {
    UPDATE_OPERATORS.contains(&key)
}

fn is_cast_op(op: &str) -> bool {
    matches!(op, "$push" | "$addToSet" | "$set" | "$setOnInsert")
}

fn is_overwrite_op(op: &str) -> bool {
    matches!(op, "$set" | "$setOnInsert")
}

fn js_typeof(value: &Bson) -> &'static str {
    match value {
        Bson::String(_) => "string",
        Bson::Boolean(_) => "boolean",
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => "number",
        Bson::Undefined => "undefined",
        _ => "object",
    }
}

/// `castUpdate`: returns the update Mongoose sends to MongoDB.
pub fn cast_update(
    model: &Model,
    update: &Document,
    options: &UpdateOptions,
    ctx: &mut WriteContext<'_>,
    trace: &mut Trace,
) -> Result<Document, SchemaError> {
    let mut caster = UpdateCaster { model, strict: options.strict.unwrap_or(model.schema.options.strict), ctx, trace };
    caster.cast(update).map_err(|e| name_model(e, &model.name))
}

struct UpdateCaster<'a, 'b, 'c> {
    model: &'a Model,
    strict: Strict,
    ctx: &'a mut WriteContext<'b>,
    trace: &'c mut Trace,
}

/// The schema type that casts a path in an update, if any.
enum Target<'a> {
    Def(&'a PathDef),
    Nested,
    None,
}

/// A Mixed stand-in for paths below a Mixed path (`meta.anything`), which Mongoose casts with the Mixed type.
fn mixed_def() -> &'static PathDef {
    static MIXED: std::sync::OnceLock<PathDef> = std::sync::OnceLock::new();
    MIXED.get_or_init(|| PathDef::of(FieldType::Scalar(ScalarType::Mixed)))
}

impl<'a> UpdateCaster<'a, '_, '_> {
    fn target(&self, path: &str) -> Target<'a> {
        let model: &'a Model = self.model;
        match model.schema.resolve(path) {
            ResolvedPath::Path(def) | ResolvedPath::Element(def) => Target::Def(def),
            // One element of an array of subdocuments (`kids.0`) is cast by the array's element type.
            ResolvedPath::Free if is_document_array_element(&model.schema, &clean_positional(path)) => {
                match path.rsplit_once('.').map(|(parent, _)| model.schema.resolve(parent)) {
                    Some(ResolvedPath::Path(def)) => Target::Def(def),
                    _ => Target::Def(mixed_def()),
                }
            }
            ResolvedPath::Free => Target::Def(mixed_def()),
            ResolvedPath::Nested => Target::Nested,
            ResolvedPath::Unknown => Target::None,
        }
    }

    fn cast(&mut self, update: &Document) -> Result<Document, SchemaError> {
        // castUpdate's first pass walks the keys last to first, building the update it returns: each operator
        // lands in the order it is met (so `{ $set, $inc }` comes out as `{ $inc, $set }`), and plain fields go
        // into `$set` — the update's own `$set` object, after its fields — which lands where the first of them
        // (or `$set` itself) is met.
        let mut ret: Vec<(String, Bson)> = Vec::new();
        let has_plain_fields = update.keys().any(|key| !is_update_operator(key));
        let entries: Vec<(&String, &Bson)> = update.iter().collect();
        for (key, value) in entries.into_iter().rev() {
            let set_slot = |ret: &mut Vec<(String, Bson)>| match ret.iter().position(|(k, _)| k == "$set") {
                Some(i) => i,
                None => {
                    ret.push((
                        "$set".to_string(),
                        update.get("$set").cloned().unwrap_or(Bson::Document(Document::new())),
                    ));
                    ret.len() - 1
                }
            };
            if !is_update_operator(key) {
                self.trace.push(TraceStep::WrappedInSet { path: key.clone() });
                let slot = set_slot(&mut ret);
                if let Some((_, existing)) = ret.get_mut(slot) {
                    if !matches!(existing, Bson::Document(_)) {
                        *existing = Bson::Document(Document::new());
                    }
                    if let Bson::Document(set) = existing {
                        set.insert(key.clone(), value.clone());
                    }
                }
            } else if key == "$set" {
                set_slot(&mut ret);
            } else {
                ret.push((key.clone(), value.clone()));
            }
        }
        // The second pass casts the operators last to first: the update's operators in their order, then `$set`
        // when only plain fields asked for it.
        let mut ops: Vec<String> = update.keys().filter(|key| is_update_operator(key)).cloned().collect();
        if has_plain_fields && !ops.iter().any(|op| op == "$set") {
            ops.push("$set".to_string());
        }
        let mut cast_values: Vec<(String, Option<Bson>)> = Vec::new();
        for op in ops.iter().rev() {
            let Some(value) = ret.iter().find(|(k, _)| k == op).map(|(_, v)| v.clone()) else { continue };
            let Bson::Document(fields) = &value else {
                return Err(MongooseError::plain(format!(
                    "Invalid atomic update value for {op}. Expected an object, received {}",
                    js_typeof(&value)
                ))
                .into());
            };
            let cast = self.walk(fields, op, "", 0)?;
            if cast.is_empty() {
                self.trace.push(TraceStep::Dropped {
                    path: op.clone(),
                    value: Bson::Document(Document::new()),
                    reason: DropReason::EmptyOperator,
                });
                cast_values.push((op.clone(), None));
                continue;
            }
            cast_values.push((op.clone(), Some(Bson::Document(cast))));
        }
        Ok(ret
            .into_iter()
            .filter_map(|(op, _)| {
                let cast = cast_values.iter().find(|(k, _)| *k == op).and_then(|(_, v)| v.clone())?;
                Some((op, cast))
            })
            .collect())
    }

    /// What strict mode does with a path the schema does not have. `leaf` is true for a value that is not an
    /// object: only then are virtuals exempt from `"throw"` (castUpdate's `schema.virtuals[checkPath] == null`
    /// check; an object on a virtual walks into it and throws).
    fn drop_or_throw(&mut self, strict: Strict, path: &str, value: &Bson, leaf: bool) -> Result<bool, SchemaError> {
        // An alias is a virtual: castUpdate drops it under strict mode but never throws for it (gh-6731).
        let is_alias = self.model.schema.aliases.iter().any(|(alias, _)| alias == path);
        if is_alias && strict != Strict::False {
            self.trace.push(TraceStep::Dropped {
                path: path.to_string(),
                value: value.clone(),
                reason: DropReason::AliasNotTranslated,
            });
            return Ok(true);
        }
        // The schema's own virtuals (and Mongoose's `id` virtual) are dropped, never thrown for: Mongoose does not
        // run a virtual's setter in an update (surprising, but castUpdate.js says so: gh-6731).
        if leaf && self.model.schema.is_virtual(path) && strict != Strict::False {
            self.trace.push(TraceStep::Dropped {
                path: path.to_string(),
                value: value.clone(),
                reason: DropReason::VirtualInUpdate,
            });
            return Ok(true);
        }
        match strict {
            Strict::Throw => {
                self.trace.push(TraceStep::StrictThrow { path: path.to_string() });
                Err(StrictModeError::new(path).into())
            }
            Strict::True => {
                self.trace.push(TraceStep::Dropped {
                    path: path.to_string(),
                    value: value.clone(),
                    reason: DropReason::NotInSchema,
                });
                Ok(true)
            }
            Strict::False => Ok(false),
        }
    }

    /// `walkUpdatePath`: casts the fields of one operator (keys visited last to first, order kept).
    fn walk(&mut self, fields: &Document, op: &str, prefix: &str, depth: usize) -> Result<Document, SchemaError> {
        if depth > MAX_UPDATE_DEPTH {
            return Err(MongooseError::new("Update is nested too deeply").into());
        }
        let entries: Vec<(&String, &Bson)> = fields.iter().collect();
        let mut out: Vec<Option<(String, Bson)>> = vec![None; entries.len()];
        for (index, (key, value)) in entries.iter().enumerate().rev() {
            let full_path = format!("{prefix}{key}");
            if prefix.is_empty() && key.starts_with('$') && matches!(self.target(&full_path), Target::None) {
                return Err(MongooseError::new(format!(
                    "Invalid update: Unexpected modifier \"{key}\" as a key in operator \"{op}\". Did you mean something like {{ {op}: {{ fieldName: {{ {key}: [...] }} }} }}? Modifiers must appear under a valid field path."
                ))
                .into());
            }
            let cast = self.walk_entry(op, key, value, &full_path, prefix, depth)?;
            if let Some(slot) = out.get_mut(index) {
                *slot = cast.map(|v| ((*key).clone(), v));
            }
        }
        Ok(out.into_iter().flatten().collect())
    }

    fn walk_entry(
        &mut self,
        op: &str,
        key: &str,
        value: &Bson,
        full_path: &str,
        prefix: &str,
        depth: usize,
    ) -> Result<Option<Bson>, SchemaError> {
        let strict = self.strict;
        let target = self.target(full_path);
        if let Target::Def(def) = target {
            if def.immutable && op != "$setOnInsert" && op != "$pull" {
                match strict {
                    Strict::False => {}
                    Strict::Throw => return Err(StrictModeError::immutable(full_path).into()),
                    Strict::True => {
                        self.trace.push(TraceStep::Dropped {
                            path: full_path.to_string(),
                            value: value.clone(),
                            reason: DropReason::Immutable,
                        });
                        return Ok(None);
                    }
                }
            }
        }
        if op == "$pull" {
            if let Target::Def(def) = target {
                match (&def.field_type, value) {
                    (FieldType::DocumentArray(sub), Bson::Document(condition)) => {
                        return Ok(Some(Bson::Document(cast_filter_in(sub, condition, self.ctx, self.trace, depth)?)));
                    }
                    (FieldType::Array(element), Bson::Document(condition))
                        if condition.keys().any(|k| k.starts_with('$')) =>
                    {
                        let mut cast = Document::new();
                        for (cond_op, operand) in condition {
                            cast.insert(
                                cond_op.clone(),
                                cast_for_query(element, Some(cond_op), operand, full_path, self.ctx, self.trace)?,
                            );
                        }
                        return Ok(Some(Bson::Document(cast)));
                    }
                    _ => {}
                }
            }
        }
        if let Bson::Document(inner) = value {
            let def = match target {
                Target::Def(def) => Some(def),
                _ => None,
            };
            if let Some(def) = def {
                if def.is_array() && is_cast_op(op) {
                    if let Some(each) = inner.get("$each") {
                        let mut cast = Document::new();
                        cast.insert("$each", self.cast_update_value(Some(def), each, op, full_path)?);
                        if let Some(slice) = inner.get("$slice") {
                            let n = crate::js::inspect::js_number_value(slice).unwrap_or(0.0);
                            cast.insert("$slice", Bson::Int32(n as i32));
                        }
                        if let Some(sort) = inner.get("$sort") {
                            cast.insert("$sort", sort.clone());
                        }
                        if let Some(position) = inner.get("$position") {
                            let cast_position = cast_number(position)
                                .ok_or_else(|| CastError::new("Number", position, full_path, Some("Error")))?;
                            cast.insert("$position", cast_position);
                        }
                        return Ok(Some(Bson::Document(cast)));
                    }
                    return self.cast_update_value(Some(def), value, op, full_path).map(Some);
                }
                if op == "$currentDate" || is_cast_op(op) {
                    return self.cast_update_value(Some(def), value, op, full_path).map(Some);
                }
            } else if op == "$currentDate" {
                return self.cast_update_value(None, value, op, full_path).map(Some);
            }
            if op == "$rename" {
                return cast_scalar(ScalarType::String, value, &format!("{full_path}.$rename"))
                    .map(Some)
                    .map_err(SchemaError::Cast);
            }
            if matches!(target, Target::None) && self.drop_or_throw(strict, full_path, value, false)? {
                return Ok(None);
            }
            let walked = self.walk(inner, op, &format!("{full_path}."), depth + 1)?;
            if walked.is_empty() && !inner.is_empty() {
                return Ok(None);
            }
            return Ok(Some(Bson::Document(walked)));
        }

        let is_modifier = matches!(target, Target::None) && matches!(key, "$each" | "$or" | "$and" | "$in");
        let target = if is_modifier { self.target(prefix.trim_end_matches('.')) } else { target };
        if matches!(target, Target::None) && self.drop_or_throw(strict, full_path, value, true)? {
            return Ok(None);
        }
        if op == "$rename" {
            let rename_path = format!("{full_path}.$rename");
            if matches!(value, Bson::Null | Bson::Undefined) {
                return Err(CastError::new("String", value, &rename_path, None).into());
            }
            return cast_scalar(ScalarType::String, value, &rename_path).map(Some).map_err(SchemaError::Cast);
        }
        let def = match target {
            Target::Def(def) => Some(def),
            _ => None,
        };
        let cast = self.cast_update_value(def, value, op, full_path)?;
        if let (Bson::Array(_), "$push" | "$addToSet", Some(def)) = (&cast, op, def) {
            if key != "$each" {
                if let FieldType::Array(element) = &def.field_type {
                    if !element.is_array() && element.scalar() != Some(ScalarType::Mixed) {
                        let mut each = Document::new();
                        each.insert("$each", cast);
                        return Ok(Some(Bson::Document(each)));
                    }
                }
            }
        }
        Ok(Some(cast))
    }

    /// `castUpdateVal`.
    fn cast_update_value(
        &mut self,
        def: Option<&PathDef>,
        value: &Bson,
        op: &str,
        path: &str,
    ) -> Result<Bson, SchemaError> {
        let number_op = matches!(op, "$pop" | "$inc");
        let Some(def) = def else {
            if number_op {
                return cast_number(value).ok_or_else(|| CastError::new("number", value, path, None).into());
            }
            return Ok(value.clone());
        };
        let is_container = matches!(value, Bson::Document(_) | Bson::Array(_));
        if def.is_array() && is_cast_op(op) && is_container && !is_overwrite_op(op) {
            // `$push: {tags: x}` with an object or array: cast as the array type, unwrapping the added level.
            let wrapped = matches!(value, Bson::Document(_)) || array_depth(value) < schema_array_depth(def);
            let as_array = if wrapped { Bson::Array(vec![value.clone()]) } else { value.clone() };
            let cast = self.cast_whole(def, &as_array, path)?;
            if wrapped {
                if let Bson::Array(items) = cast {
                    return Ok(items.into_iter().next().unwrap_or(Bson::Null));
                }
            }
            return Ok(cast);
        }
        if op == "$unset" {
            return Ok(value.clone());
        }
        // Anything else for an array of subdocuments, or a whole single nested subdocument, is cast by building
        // the subdocument (`castForQuery`: `new Constructor(val)`, with its defaults and `_id`); a primitive
        // meets ObjectParameterError.
        if !matches!(value, Bson::Null | Bson::Undefined) && !number_op && op != "$currentDate" {
            match &def.field_type {
                FieldType::DocumentArray(_) if !is_container && is_cast_op(op) && !is_overwrite_op(op) => {
                    let cast = self.cast_whole(def, &Bson::Array(vec![value.clone()]), path)?;
                    if let Bson::Array(items) = cast {
                        return Ok(items.into_iter().next().unwrap_or(Bson::Null));
                    }
                    return Ok(cast);
                }
                FieldType::Subdocument(_) if is_overwrite_op(op) => return self.cast_whole(def, value, path),
                _ => {}
            }
        }
        if number_op {
            if matches!(value, Bson::Null | Bson::Undefined) {
                return Err(CastError::new("number", value, path, None).into());
            }
            if op == "$inc" {
                return cast_for_query(def, None, value, path, self.ctx, self.trace);
            }
            return cast_number(value).ok_or_else(|| CastError::new("number", value, path, None).into());
        }
        if op == "$currentDate" {
            return Ok(match value {
                Bson::Document(spec) => {
                    let mut out = Document::new();
                    out.insert("$type", spec.get("$type").cloned().unwrap_or(Bson::Undefined));
                    Bson::Document(out)
                }
                other => Bson::Boolean(crate::js::truthy(other)),
            });
        }
        if is_overwrite_op(op) && matches!(def.field_type, FieldType::DocumentArray(_)) && ends_with_position(path) {
            // `$set: { "kids.0": {...} }`: the element is built as a subdocument, with its own `_id`.
            if matches!(value, Bson::Null | Bson::Undefined) {
                return Ok(value.clone());
            }
            return match self.cast_whole(def, &Bson::Array(vec![value.clone()]), path)? {
                Bson::Array(items) => Ok(items.into_iter().next().unwrap_or(Bson::Null)),
                other => Ok(other),
            };
        }
        if is_overwrite_op(op) {
            let ends_with_index =
                path.rsplit('.').next().is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
            let whole_array = !matches!(value, Bson::Null) && def.is_array() && !ends_with_index;
            if whole_array || def.scalar() == Some(ScalarType::Mixed) {
                return self.cast_whole(def, value, path);
            }
            return cast_for_query(def, None, value, path, self.ctx, self.trace);
        }
        cast_for_query(def, None, value, path, self.ctx, self.trace)
    }

    /// `schematype.applySetters(value)`: arrays and subdocuments cast as a whole.
    fn cast_whole(&mut self, def: &PathDef, value: &Bson, path: &str) -> Result<Bson, SchemaError> {
        cast_path_value(&self.model.name, def, value, path, self.ctx, self.trace)
    }
}

/// Whether a path ends with an array position (`kids.0`, `kids.$`, `kids.$[k]`).
fn ends_with_position(path: &str) -> bool {
    path.rsplit('.').next().is_some_and(|last| {
        (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
            || last == "$"
            || (last.starts_with("$[") && last.ends_with(']'))
    })
}

fn array_depth(value: &Bson) -> usize {
    let mut depth = 0;
    let mut current = value;
    while let Bson::Array(items) = current {
        depth += 1;
        match items.first() {
            Some(first) if depth < MAX_UPDATE_DEPTH => current = first,
            _ => break,
        }
    }
    depth
}

fn schema_array_depth(def: &PathDef) -> usize {
    let mut depth = 0;
    let mut current = def;
    loop {
        match &current.field_type {
            FieldType::Array(element) => {
                depth += 1;
                current = element;
            }
            FieldType::DocumentArray(_) => return depth + 1,
            FieldType::Scalar(_) | FieldType::Subdocument(_) => return depth,
        }
    }
}

/// What the `timestamps` option adds to an update before it is cast (Mongoose's `applyTimestampsToUpdate`):
/// `updatedAt` in `$set` (unless `$currentDate` sets it) and, for upserts, `createdAt` in `$setOnInsert`
/// (a `createdAt` the update sets itself is removed, as the path is immutable).
pub fn apply_update_timestamps(
    model: &Model,
    update: &Document,
    now: bson::DateTime,
    upsert: bool,
    trace: &mut Trace,
) -> Document {
    let Some(ts) = &model.schema.options.timestamps else {
        return update.clone();
    };
    let mut out = update.clone();
    if let Some(updated) = &ts.updated_at {
        let set_by_current_date =
            matches!(update.get("$currentDate"), Some(Bson::Document(cd)) if cd.contains_key(updated));
        if !set_by_current_date {
            out.remove(updated);
            let mut set = match out.get("$set") {
                Some(Bson::Document(set)) => set.clone(),
                _ => Document::new(),
            };
            set.insert(updated.clone(), Bson::DateTime(now));
            out.insert("$set", set);
            trace.push(TraceStep::Timestamp { path: updated.clone(), value: Bson::DateTime(now) });
        }
    }
    if let Some(created) = &ts.created_at {
        out.remove(created);
        if let Some(Bson::Document(set)) = out.get_mut("$set") {
            set.remove(created);
        }
        if upsert {
            let mut on_insert = match out.get("$setOnInsert") {
                Some(Bson::Document(d)) => d.clone(),
                _ => Document::new(),
            };
            on_insert.insert(created.clone(), Bson::DateTime(now));
            out.insert("$setOnInsert", on_insert);
            trace.push(TraceStep::Timestamp { path: created.clone(), value: Bson::DateTime(now) });
        }
    }
    if matches!(out.get("$set"), Some(Bson::Document(set)) if set.is_empty()) {
        out.remove("$set");
    }
    out
}

/// `applyTimestampsToChildren` (lib/helpers/update/applyTimestampsToChildren.js), run after the document's own
/// timestamps: subdocuments an update sets or pushes get `updatedAt` and `createdAt` when their schema has
/// timestamps, and a path set inside such a subdocument (`kid.x`, `kids.0.x`) adds the subdocument's
/// `updatedAt` (`kid.updatedAt`) after it.
pub fn apply_timestamps_to_children(schema: &Schema, update: &mut Document, now: bson::DateTime, trace: &mut Trace) {
    apply_children_timestamps(schema, update, now, trace, 0);
}

fn apply_children_timestamps(
    schema: &Schema,
    update: &mut Document,
    now: bson::DateTime,
    trace: &mut Trace,
    depth: usize,
) {
    if depth > MAX_UPDATE_DEPTH {
        return;
    }
    if update.keys().any(|key| key.starts_with('$')) {
        for op in ["$push", "$addToSet"] {
            if let Some(Bson::Document(fields)) = update.get_mut(op) {
                for (key, value) in fields.iter_mut() {
                    let Some(sub) = document_array_at(schema, &clean_positional(key)) else { continue };
                    let Some(ts) = sub.options.timestamps.clone() else { continue };
                    let targets: Vec<&mut Document> = match value {
                        Bson::Document(inner) if inner.contains_key("$each") => match inner.get_mut("$each") {
                            Some(Bson::Array(items)) => {
                                items.iter_mut().filter_map(|item| item.as_document_mut()).collect()
                            }
                            _ => Vec::new(),
                        },
                        Bson::Document(inner) => vec![inner],
                        _ => Vec::new(),
                    };
                    for subdocument in targets {
                        stamp(subdocument, &ts, now, &format!("{op} {key}"), trace);
                        apply_children_timestamps(sub, subdocument, now, trace, depth + 1);
                    }
                }
            }
        }
        for op in ["$set", "$setOnInsert"] {
            if let Some(Bson::Document(mut fields)) = update.get(op).cloned() {
                let keys: Vec<String> = fields.keys().cloned().collect();
                for key in keys {
                    apply_key_timestamps(schema, &key, &mut fields, now, trace, depth);
                }
                update.insert(op, fields);
            }
        }
    }
    let plain: Vec<String> = update.keys().filter(|key| !key.starts_with('$')).cloned().collect();
    for key in plain {
        apply_key_timestamps(schema, &key, update, now, trace, depth);
    }
}

/// `updatedAt` then `createdAt`, as applyTimestampsToChildren sets them (the cast puts them in schema order).
fn stamp(
    subdocument: &mut Document,
    ts: &super::definition::Timestamps,
    now: bson::DateTime,
    at: &str,
    trace: &mut Trace,
) {
    for name in [&ts.updated_at, &ts.created_at].into_iter().flatten() {
        subdocument.insert(name.clone(), Bson::DateTime(now));
        trace.push(TraceStep::Timestamp { path: format!("{at}.{name}"), value: Bson::DateTime(now) });
    }
}

fn document_array_at<'a>(schema: &'a Schema, path: &str) -> Option<&'a Schema> {
    match schema.resolve(path) {
        ResolvedPath::Path(def) => match &def.field_type {
            FieldType::DocumentArray(sub) => Some(sub),
            _ => None,
        },
        _ => None,
    }
}

/// The subdocument schema at `path`: a single nested path (`true`) or an array of subdocuments (`false`).
fn subdocument_at<'a>(schema: &'a Schema, path: &str) -> Option<(&'a Schema, bool)> {
    match schema.resolve(path) {
        ResolvedPath::Path(def) => match &def.field_type {
            FieldType::Subdocument(sub) => Some((sub, true)),
            FieldType::DocumentArray(sub) => Some((sub, false)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `path` is one element of an array of subdocuments (`kids.0`), which `schema.path()` knows.
fn is_document_array_element(schema: &Schema, path: &str) -> bool {
    match path.rsplit_once('.') {
        Some((parent, last)) if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) => {
            document_array_at(schema, parent).is_some()
        }
        _ => false,
    }
}

fn apply_key_timestamps(
    schema: &Schema,
    key: &str,
    container: &mut Document,
    now: bson::DateTime,
    trace: &mut Trace,
    depth: usize,
) {
    let cleaned = clean_positional(key);
    let known =
        !matches!(schema.resolve(&cleaned), ResolvedPath::Unknown) || is_document_array_element(schema, &cleaned);
    if !known {
        return;
    }
    let pieces: Vec<&str> = cleaned.split('.').collect();
    let key_pieces: Vec<&str> = key.split('.').collect();
    let mut parents: Vec<(String, &Schema, bool)> = Vec::new();
    for i in (1..pieces.len()).rev() {
        let prefix = pieces.get(..i).unwrap_or_default().join(".");
        if let ResolvedPath::Path(def) = schema.resolve(&prefix) {
            match &def.field_type {
                FieldType::Subdocument(sub) => {
                    parents.push((key_pieces.get(..i).unwrap_or_default().join("."), sub, true))
                }
                FieldType::DocumentArray(sub) => {
                    parents.push((key_pieces.get(..i).unwrap_or_default().join("."), sub, false))
                }
                _ => {}
            }
        }
    }
    let whole = subdocument_at(schema, &cleaned);
    match (container.get_mut(key), whole) {
        // The whole array of subdocuments: each element.
        (Some(Bson::Array(items)), Some((sub, false))) => {
            for (i, item) in items.iter_mut().enumerate() {
                if let Bson::Document(subdocument) = item {
                    if let Some(ts) = &sub.options.timestamps {
                        stamp(subdocument, ts, now, &format!("{key}.{i}"), trace);
                    }
                    apply_children_timestamps(sub, subdocument, now, trace, depth + 1);
                }
            }
        }
        // A whole subdocument (single nested, or one element of an array of subdocuments).
        (Some(Bson::Document(subdocument)), Some((sub, true))) => {
            if let Some(ts) = &sub.options.timestamps {
                stamp(subdocument, ts, now, key, trace);
            }
            apply_children_timestamps(sub, subdocument, now, trace, depth + 1);
        }
        _ if !parents.is_empty() => {
            for (parent_path, parent, single_nested) in parents {
                let Some(updated) = parent.options.timestamps.as_ref().and_then(|ts| ts.updated_at.clone()) else {
                    continue;
                };
                let stamped_path = if single_nested {
                    format!("{parent_path}.{updated}")
                } else {
                    let child = key.get(parent_path.len() + 1..).unwrap_or_default();
                    // `kids.0` itself: its `updatedAt` goes into the element the update sets.
                    if !child.is_empty() && child.bytes().all(|b| b.is_ascii_digit()) {
                        if let Some(Bson::Document(element)) = container.get_mut(key) {
                            element.insert(updated.clone(), Bson::DateTime(now));
                            let path = format!("{key}.{updated}");
                            trace.push(TraceStep::Timestamp { path, value: Bson::DateTime(now) });
                        }
                        continue;
                    }
                    let first = child.split('.').next().unwrap_or_default();
                    format!("{parent_path}.{first}.{updated}")
                };
                container.insert(stamped_path.clone(), Bson::DateTime(now));
                trace.push(TraceStep::Timestamp { path: stamped_path, value: Bson::DateTime(now) });
            }
        }
        _ => {}
    }
}

/// `setDefaultsOnInsert` (on by default since Mongoose 6): for an upsert, the defaults of paths that neither the
/// filter nor the update mention go into `$setOnInsert`, so an inserted document gets them as `create` would.
pub fn set_defaults_on_insert(
    model: &Model,
    filter: &Document,
    update: &Document,
    now: bson::DateTime,
    trace: &mut Trace,
) -> Document {
    // Building an empty document yields every default; its generated `_id` is thrown away (the server makes one).
    let mut throwaway_ids = super::document::SequentialIds::default();
    let mut ctx = WriteContext { ids: &mut throwaway_ids, now };
    let Ok(built) = super::document::build_document(model, &Document::new(), &mut ctx) else {
        return update.clone();
    };
    let mut defaults = Vec::new();
    flatten_defaults(&built.document, "", &mut defaults);
    let mentioned = |path: &str| {
        let touches =
            |key: &str| key == path || key.starts_with(&format!("{path}.")) || path.starts_with(&format!("{key}."));
        filter.keys().any(|key| touches(key))
            || update
                .values()
                .any(|fields| matches!(fields, Bson::Document(fields) if fields.keys().any(|key| touches(key))))
    };
    let mut out = update.clone();
    let mut on_insert = match out.get("$setOnInsert") {
        Some(Bson::Document(existing)) => existing.clone(),
        _ => Document::new(),
    };
    let before = on_insert.len();
    for (path, value) in defaults {
        if path == "_id" || mentioned(&path) {
            continue;
        }
        trace.push(TraceStep::DefaultApplied { path: path.clone(), value: value.clone() });
        on_insert.insert(path, value);
    }
    if on_insert.len() > before {
        out.insert("$setOnInsert", on_insert);
    }
    out
}

fn flatten_defaults(doc: &Document, prefix: &str, out: &mut Vec<(String, Bson)>) {
    for (key, value) in doc {
        let path = format!("{prefix}{key}");
        match value {
            Bson::Document(inner) if !inner.is_empty() => flatten_defaults(inner, &format!("{path}."), out),
            other => out.push((path, other.clone())),
        }
    }
}

/// `runValidators: true`: runs the validators of the paths a cast update sets (`$set`, `$setOnInsert`) and the
/// `required` validators of the paths it unsets. Mongoose's update validators report "Validation failed".
pub fn validate_update(model: &Model, update: &Document, trace: &mut Trace) -> Result<(), ValidationError> {
    validate_update_with(model, update, trace, &mut super::functions::NoFunctions)
}

/// [`validate_update`] with the answers of the program's functions: the `required` functions, which Mongoose's
/// update validators call with `this` the query (lib/helpers/updateValidators.js passes the query as the
/// context), so one reading `this.role` finds nothing there and the path is not required.
pub fn validate_update_with(
    model: &Model,
    update: &Document,
    trace: &mut Trace,
    custom: &mut dyn super::functions::CustomValidators,
) -> Result<(), ValidationError> {
    let mut errors = ValidationError::new(None);
    for (op, fields) in update {
        let Bson::Document(fields) = fields else {
            continue;
        };
        match op.as_str() {
            "$set" | "$setOnInsert" => {
                let mut flat = Vec::new();
                flatten_set(&model.schema, fields, "", &mut flat, 0);
                for (path, value) in flat {
                    if let ResolvedPath::Path(def) | ResolvedPath::Element(def) = model.schema.resolve(&path) {
                        let key = clean_positional(&path);
                        let schema_path = model.schema.schema_path(&path);
                        validate_update_path(def, Some(&value), &key, &schema_path, &mut errors, trace, custom);
                    }
                }
            }
            // Each pushed value is validated by the array's element type, its errors named by the array
            // (`err.path = arrayUpdate`); a pushed subdocument is validated as a whole.
            "$push" | "$addToSet" => {
                for (path, value) in fields {
                    let ResolvedPath::Path(def) = model.schema.resolve(path) else { continue };
                    let items = match value {
                        Bson::Document(modifiers) if modifiers.contains_key("$each") => match modifiers.get("$each") {
                            Some(Bson::Array(items)) => items.clone(),
                            _ => Vec::new(),
                        },
                        other => vec![other.clone()],
                    };
                    let key = clean_positional(path);
                    match &def.field_type {
                        FieldType::DocumentArray(sub) => {
                            for item in &items {
                                if let Bson::Document(subdoc) = item {
                                    super::document::validate_subdocument(
                                        sub,
                                        subdoc,
                                        &format!("{key}."),
                                        &mut errors,
                                        trace,
                                    );
                                }
                            }
                        }
                        FieldType::Array(element) => {
                            let schema_path = model.schema.schema_path(path);
                            for item in &items {
                                validate_update_path(
                                    element,
                                    Some(item),
                                    &key,
                                    &schema_path,
                                    &mut errors,
                                    trace,
                                    custom,
                                );
                            }
                        }
                        _ => {}
                    }
                }
            }
            "$unset" => {
                for (path, _) in fields {
                    if let ResolvedPath::Path(def) = model.schema.resolve(path) {
                        let key = clean_positional(path);
                        let schema_path = model.schema.schema_path(path);
                        validate_update_path(def, None, &key, &schema_path, &mut errors, trace, custom);
                    }
                }
            }
            _ => {}
        }
    }
    if errors.errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Mongoose's `cleanPositionalOperators`: `comments.$.votes` and `comments.$[c].votes` are validated and reported
/// as `comments.0.votes`.
fn clean_positional(path: &str) -> String {
    path.split('.')
        .map(
            |segment| {
                if segment == "$" || (segment.starts_with("$[") && segment.ends_with(']')) {
                    "0"
                } else {
                    segment
                }
            },
        )
        .collect::<Vec<_>>()
        .join(".")
}

/// `{profile: {years: 3}}` → `profile.years = 3` for nested (not Mixed) paths.
fn flatten_set(schema: &Schema, fields: &Document, prefix: &str, out: &mut Vec<(String, Bson)>, depth: usize) {
    for (key, value) in fields {
        let path = format!("{prefix}{key}");
        match (schema.resolve(&path), value) {
            (ResolvedPath::Nested, Bson::Document(inner)) if depth < MAX_UPDATE_DEPTH => {
                flatten_set(schema, inner, &format!("{path}."), out, depth + 1)
            }
            _ => out.push((path, value.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::document::SequentialIds;
    use bson::doc;

    fn model() -> Model {
        let schema = Schema::from_definition(&doc! {
            "name": {"type": "String", "trim": true, "lowercase": true, "required": true},
            "age": {"type": "Number", "min": 0},
            "tags": ["String"],
            "ids": ["ObjectId"],
            "scores": [{"n": "Number"}],
            "profile": {"title": "String"},
            "meta": "Mixed",
        })
        .unwrap();
        Model::new("User", schema)
    }

    fn cast_with(update: Document, strict: Option<Strict>) -> Result<Document, SchemaError> {
        let mut ids = SequentialIds::default();
        let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        cast_update(&model(), &update, &UpdateOptions { strict }, &mut ctx, &mut Trace::new())
    }

    #[test]
    fn casts_operators() {
        let first_id = bson::oid::ObjectId::parse_str("000000000000000000000001").unwrap();
        let cases = [
            (doc! {"age": "7"}, doc! {"$set": {"age": 7}}),
            (doc! {"$set": {"name": " ADA "}, "age": "1"}, doc! {"$set": {"name": "ada", "age": 1}}),
            (doc! {"$set": {"extra": 1, "age": 2}}, doc! {"$set": {"age": 2}}),
            (doc! {"$set": {"extra": 1}}, doc! {}),
            (doc! {"$inc": {"age": "2"}}, doc! {"$inc": {"age": 2}}),
            (doc! {"$unset": {"age": ""}}, doc! {"$unset": {"age": ""}}),
            (doc! {"$push": {"tags": 7}}, doc! {"$push": {"tags": "7"}}),
            (doc! {"$push": {"tags": [1, 2]}}, doc! {"$push": {"tags": {"$each": ["1", "2"]}}}),
            (doc! {"$addToSet": {"tags": {"$each": [1, "a"]}}}, doc! {"$addToSet": {"tags": {"$each": ["1", "a"]}}}),
            (doc! {"$set": {"tags": "x"}}, doc! {"$set": {"tags": ["x"]}}),
            (doc! {"$set": {"tags.0": 5}}, doc! {"$set": {"tags.0": "5"}}),
            (doc! {"$set": {"profile": {"title": 5}}}, doc! {"$set": {"profile": {"title": "5"}}}),
            (doc! {"$set": {"profile.title": 5}}, doc! {"$set": {"profile.title": "5"}}),
            (doc! {"$set": {"meta.any": {"x": 1}}}, doc! {"$set": {"meta.any": {"x": 1}}}),
            (doc! {"$push": {"scores": {"n": "3"}}}, doc! {"$push": {"scores": {"n": 3, "_id": first_id}}}),
            (doc! {"$pull": {"tags": {"$in": [1]}}}, doc! {"$pull": {"tags": {"$in": ["1"]}}}),
            (doc! {"$rename": {"age": "years"}}, doc! {"$rename": {"age": "years"}}),
            (doc! {"$currentDate": {"age": true}}, doc! {"$currentDate": {"age": true}}),
        ];
        for (input, expected) in cases {
            assert_eq!(cast_with(input.clone(), None).unwrap().to_string(), expected.to_string(), "{input}");
        }
        assert_eq!(cast_with(doc! {"$set": {"extra": 1}}, Some(Strict::False)).unwrap(), doc! {"$set": {"extra": 1}});
    }

    #[test]
    fn errors() {
        let cases = [
            (doc! {"$set": {"age": "x"}}, "CastError", "Cast to Number failed for value \"x\" (type string) at path \"age\" for model \"User\""),
            (doc! {"$inc": {"age": "two"}}, "CastError", "Cast to Number failed for value \"two\" (type string) at path \"age\" for model \"User\""),
            (doc! {"$set": 5}, "Error", "Invalid atomic update value for $set. Expected an object, received number"),
            (
                doc! {"$set": {"$inc": {"age": 1}}},
                "MongooseError",
                "Invalid update: Unexpected modifier \"$inc\" as a key in operator \"$set\". Did you mean something like { $set: { fieldName: { $inc: [...] } } }? Modifiers must appear under a valid field path.",
            ),
        ];
        for (input, name, message) in cases {
            let err = cast_with(input, None).unwrap_err();
            assert_eq!((err.name(), err.message().as_str()), (name, message));
        }
        let err = cast_with(doc! {"$set": {"extra": 1}}, Some(Strict::Throw)).unwrap_err();
        assert_eq!(err.message(), "Field `extra` is not in schema and strict mode is set to throw.");
    }

    #[test]
    fn immutable_paths_and_timestamps() {
        let schema = Schema::new(
            &doc! {"code": {"type": "String", "immutable": true}, "n": "Number"},
            &doc! {"timestamps": true},
        )
        .unwrap();
        let m = Model::new("Thing", schema);
        let mut ids = SequentialIds::default();
        let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        let mut trace = Trace::new();
        let cast = cast_update(&m, &doc! {"code": "x", "n": "1"}, &UpdateOptions::default(), &mut ctx, &mut trace);
        assert_eq!(cast.unwrap(), doc! {"$set": {"n": 1}});
        let options = UpdateOptions { strict: Some(Strict::Throw) };
        let err = cast_update(&m, &doc! {"$set": {"code": "x"}}, &options, &mut ctx, &mut trace).unwrap_err();
        assert_eq!(err.message(), "Field code is immutable and strict = 'throw'");
        let now = bson::DateTime::from_millis(5);
        let stamped = apply_update_timestamps(&m, &doc! {"n": 2, "createdAt": now}, now, true, &mut trace);
        assert_eq!(stamped, doc! {"n": 2, "$set": {"updatedAt": now}, "$setOnInsert": {"createdAt": now}});
        let cast = cast_update(&m, &stamped, &UpdateOptions::default(), &mut ctx, &mut trace).unwrap();
        assert_eq!(cast, doc! {"$set": {"updatedAt": now, "n": 2}, "$setOnInsert": {"createdAt": now}});
    }

    #[test]
    fn operators_come_out_in_the_order_cast_update_builds_them() {
        // Mongoose 9.12.1, `Query.prototype._castUpdate` (what the driver is sent):
        //   { a: 1, b: 2 }                          → { $set: { b: 2, a: 1 } }
        //   { $set: { a: 1 }, b: 2, c: 3 }          → { $set: { a: 1, c: 3, b: 2 } }
        //   { b: 2, $set: { a: 1 } }                → { $set: { a: 1, b: 2 } }
        //   { $inc: { b: 1 }, $set: { a: 1 }, c: 3 } → { $set: { a: 1, c: 3 }, $inc: { b: 1 } }
        //   { $unset: { a: 1 }, $inc: { b: 1 } }     → { $inc: { b: 1 }, $unset: { a: 1 } }
        let schema = Schema::from_definition(&doc! {"a": "Number", "b": "Number", "c": "Number"}).unwrap();
        let model = Model::new("P", schema);
        let cast: Vec<String> = [
            doc! {"a": 1, "b": 2},
            doc! {"$set": {"a": 1}, "b": 2, "c": 3},
            doc! {"b": 2, "$set": {"a": 1}},
            doc! {"$inc": {"b": 1}, "$set": {"a": 1}, "c": 3},
            doc! {"$unset": {"a": 1}, "$inc": {"b": 1}},
        ]
        .iter()
        .map(|update| {
            let mut ids = SequentialIds::default();
            let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
            let cast = cast_update(&model, update, &UpdateOptions::default(), &mut ctx, &mut Trace::new());
            cast.map(|cast| cast.to_string()).unwrap_or_else(|e| e.message())
        })
        .collect();
        expect_test::expect![[r#"
            [
                "{ \"$set\": { \"b\": 2, \"a\": 1 } }",
                "{ \"$set\": { \"a\": 1, \"c\": 3, \"b\": 2 } }",
                "{ \"$set\": { \"a\": 1, \"b\": 2 } }",
                "{ \"$set\": { \"a\": 1, \"c\": 3 }, \"$inc\": { \"b\": 1 } }",
                "{ \"$inc\": { \"b\": 1 }, \"$unset\": { \"a\": 1 } }",
            ]
        "#]]
        .assert_debug_eq(&cast);
    }

    #[test]
    fn subdocuments_with_timestamps_get_them_in_updates() {
        // Mongoose 9.12.1 (`updateOne` with the driver's collection replaced by a recorder), for
        // `{ kid: child, kids: [child] }` with timestamps on both schemas (dates as `now`, `_id`s numbered):
        //   { $set: { 'kid.x': 1 } }     → { $set: { 'kid.x': 1, updatedAt, 'kid.updatedAt' } }
        //   { $set: { kid: { x: 2 } } }  → { $set: { kid: { x: 2, _id, createdAt, updatedAt }, updatedAt } }
        //   { $push: { kids: { x: 3 } } } → { $set: { updatedAt }, $push: { kids: { x: 3, _id, createdAt, updatedAt } } }
        //   { $set: { 'kids.0': { x: 5 } } } → { $set: { 'kids.0': { x: 5, _id, updatedAt }, updatedAt } }
        //   { $set: { 'kids.$.x': 6 } }  → { $set: { 'kids.$.x': 6, updatedAt, 'kids.$.updatedAt' } }
        let child = doc! {"$schema": {"x": "Number"}, "$options": {"timestamps": true}};
        let schema = Schema::new(&doc! {"kid": child.clone(), "kids": [child]}, &doc! {"timestamps": true}).unwrap();
        let model = Model::new("P", schema);
        let now = bson::DateTime::from_millis(0);
        let sent: Vec<String> = [
            doc! {"$set": {"kid.x": 1}},
            doc! {"$set": {"kid": {"x": 2}}},
            doc! {"$push": {"kids": {"x": 3}}},
            doc! {"$set": {"kids.0": {"x": 5}}},
            doc! {"$set": {"kids.$.x": 6}},
        ]
        .iter()
        .map(|update| {
            let mut trace = Trace::new();
            let mut update = apply_update_timestamps(&model, update, now, false, &mut trace);
            apply_timestamps_to_children(&model.schema, &mut update, now, &mut trace);
            let mut ids = SequentialIds::default();
            let mut ctx = WriteContext { ids: &mut ids, now };
            let cast = cast_update(&model, &update, &UpdateOptions::default(), &mut ctx, &mut trace);
            let shown = cast.map(|cast| crate::js::inspect::inspect(&Bson::Document(cast)));
            shown.unwrap_or_else(|e| e.message()).replace("1970-01-01T00:00:00.000Z", "now")
        })
        .collect();
        expect_test::expect![[r#"
            [
                "{ '$set': { 'kid.x': 1, updatedAt: now, 'kid.updatedAt': now } }",
                "{\n  '$set': {\n    kid: {\n      x: 2,\n      _id: new ObjectId('000000000000000000000001'),\n      createdAt: now,\n      updatedAt: now\n    },\n    updatedAt: now\n  }\n}",
                "{\n  '$set': { updatedAt: now },\n  '$push': {\n    kids: {\n      x: 3,\n      _id: new ObjectId('000000000000000000000001'),\n      createdAt: now,\n      updatedAt: now\n    }\n  }\n}",
                "{\n  '$set': {\n    'kids.0': { x: 5, _id: new ObjectId('000000000000000000000001'), updatedAt: now },\n    updatedAt: now\n  }\n}",
                "{ '$set': { 'kids.$.x': 6, updatedAt: now, 'kids.$.updatedAt': now } }",
            ]
        "#]].assert_debug_eq(&sent);
    }

    #[test]
    fn subdocuments_in_updates_are_cast_by_building_them() {
        // Mongoose 9.12.1 (recorded): castUpdateVal casts a single nested `$set` with SchemaSubdocument's
        // castForQuery (`new Constructor(val)`: `_id`, defaults, its own cast errors thrown as they are) and a
        // non-object `$push` into an array of subdocuments with the array's element caster.
        let schema = Schema::new(
            &doc! {"stats": {"type": {"n": "Number"}}, "comments": [{"n": "Number"}]},
            &doc! {"strict": "throw"},
        )
        .unwrap();
        let m = Model::new("User", schema);
        let run = |update: Document| {
            let mut ids = SequentialIds::default();
            let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
            match cast_update(&m, &update, &UpdateOptions::default(), &mut ctx, &mut Trace::new()) {
                Ok(cast) => cast.to_string(),
                Err(e) => format!("{}: {}", e.name(), e.message()),
            }
        };
        let outcomes: Vec<String> = [
            doc! {"$set": {"stats": {"n": "5"}}},
            doc! {"$set": {"stats": {"n": "x"}}},
            doc! {"$set": {"stats": "x"}},
            doc! {"$set": {"stats": {"n": 1, "extra": 1}}},
            doc! {"$push": {"comments": "x"}},
            doc! {"$push": {"comments": {"n": "x"}}},
        ]
        .into_iter()
        .map(run)
        .collect();
        expect_test::expect![[r#"
            [
                "{ \"$set\": { \"stats\": { \"n\": 5, \"_id\": ObjectId(\"000000000000000000000001\") } } }",
                "CastError: Cast to Number failed for value \"x\" (type string) at path \"n\" for model \"User\"",
                "CastError: Cast to Embedded failed for value \"x\" (type string) at path \"stats\" for model \"User\" because of \"ObjectParameterError\"",
                "CastError: Cast to Embedded failed for value \"{ n: 1, extra: 1 }\" (type Object) at path \"stats\" for model \"User\" because of \"StrictModeError\"",
                "CastError: Cast to embedded failed for value \"x\" (type string) at path \"comments\" for model \"User\" because of \"ObjectParameterError\"",
                "CastError: Cast to embedded failed for value \"{ n: 'x' }\" (type Object) at path \"comments\" for model \"User\" because of \"CastError\"",
            ]
        "#]]
        .assert_debug_eq(&outcomes);
    }

    #[test]
    fn update_validators_name_paths_as_mongoose_does() {
        // Mongoose 9.12.1 (recorded), lib/helpers/updateValidators.js: the message names the schema type's own
        // path, the error the update's path (positional `$` cleaned to 0); pushed values are validated by the
        // element type under the array's name; a set subdocument runs its own validation, required paths first.
        let schema = Schema::from_definition(&doc! {
            "stats": {"type": {"followers": {"type": "Number", "min": 0}, "x": {"type": "String", "required": true}}},
            "comments": [{"votes": {"type": "Number", "min": 0}}],
            "tags": [{"type": "String", "enum": ["a"]}],
        })
        .unwrap();
        let m = Model::new("User", schema);
        let lines: Vec<String> = [
            doc! {"$set": {"stats.followers": -1}},
            doc! {"$set": {"comments.$.votes": -1}},
            doc! {"$push": {"tags": {"$each": ["a", "b"]}}},
            doc! {"$set": {"tags": ["a", "b"]}},
            doc! {"$set": {"stats": {"followers": -1}}},
        ]
        .iter()
        .flat_map(|update| match validate_update(&m, update, &mut Trace::new()) {
            Ok(()) => vec!["ok".to_string()],
            Err(v) => v.errors.iter().map(|(k, e)| format!("{k} at {}: {}", e.path(), e.message())).collect(),
        })
        .collect();
        expect_test::expect![[r#"
            [
                "stats.followers at stats.followers: Path `followers` (-1) is less than minimum allowed value (0).",
                "comments.0.votes at comments.0.votes: Path `votes` (-1) is less than minimum allowed value (0).",
                "tags at tags: `b` is not a valid enum value for path `tags`.",
                "tags.1 at tags.1: `b` is not a valid enum value for path `tags`.",
                "stats.x at x: Path `x` is required.",
                "stats.followers at followers: Path `followers` (-1) is less than minimum allowed value (0).",
            ]
        "#]]
        .assert_debug_eq(&lines);
    }

    #[test]
    fn update_validators_run_on_request() {
        let m = model();
        let err =
            validate_update(&m, &doc! {"$set": {"age": -1}, "$unset": {"name": 1}}, &mut Trace::new()).unwrap_err();
        assert_eq!(
            err.message(),
            "Validation failed: age: Path `age` (-1) is less than minimum allowed value (0)., name: Path `name` is required."
        );
        assert!(validate_update(&m, &doc! {"$set": {"age": 3}}, &mut Trace::new()).is_ok());
    }

    #[test]
    fn virtuals_are_dropped_from_updates_even_under_strict_throw() {
        // castUpdate.js: `if (isStrict === 'throw' && schema.virtuals[checkPath] == null) throw …; else delete` —
        // a virtual (the program's, or Mongoose's `id`) is silently dropped; an object on one still throws.
        let mut m = model();
        m.schema.virtuals.push("fullName".into());
        let mut ids = SequentialIds::default();
        let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        let throw = UpdateOptions { strict: Some(Strict::Throw) };
        let mut trace = Trace::new();
        let cast = cast_update(&m, &doc! {"fullName": "Ada L", "id": "x", "age": "3"}, &throw, &mut ctx, &mut trace);
        assert_eq!(cast.unwrap(), doc! {"$set": {"age": 3}});
        assert!(trace.iter().any(|step| matches!(step,
            TraceStep::Dropped { path, reason: DropReason::VirtualInUpdate, .. } if path == "fullName")));
        let err = cast_update(&m, &doc! {"$set": {"fullName": {"a": 1}}}, &throw, &mut ctx, &mut Trace::new());
        assert_eq!(err.unwrap_err().message(), "Field `fullName` is not in schema and strict mode is set to throw.");
        let kept = cast_update(
            &m,
            &doc! {"fullName": "x"},
            &UpdateOptions { strict: Some(Strict::False) },
            &mut ctx,
            &mut Trace::new(),
        );
        assert_eq!(kept.unwrap(), doc! {"$set": {"fullName": "x"}});
    }

    #[test]
    fn a_required_function_in_update_validators_answers_for_the_query() {
        // `required: function () { return this.role === "admin" }`: the runtime calls it with `this` the query and
        // hands the answer over; false leaves `$unset` and `null` alone, true makes them fail.
        let schema = Schema::from_definition(&doc! {
            "email": {"type": "String", "required": crate::schema::functions::function_marker(0)},
        })
        .unwrap();
        let m = Model::new("User", schema);
        let update = doc! {"$set": {"email": null}};
        let mut answers =
            crate::schema::functions::FunctionResults { required: vec![("email".into(), false)], ..Default::default() };
        assert!(validate_update_with(&m, &update, &mut Trace::new(), &mut &answers).is_ok());
        answers.required = vec![("email".into(), true)];
        let err = validate_update_with(&m, &update, &mut Trace::new(), &mut &answers).unwrap_err();
        assert_eq!(err.message(), "Validation failed: email: Path `email` is required.");
    }
}
