//! `new Model(input)` and `validate()`: what `Model.create` does before `insertOne`. Casts every path, applies
//! strict mode, defaults, setters, subdocument `_id`s, then runs every validator and collects every error.
//! `create` then adds what `save()` adds (timestamps, `__v`).

use bson::{oid::ObjectId, Bson, Document};

use super::cast::{setters_then_cast, value_text};
use super::definition::{
    bound_text, FieldType, PathDef, ResolvedPath, ScalarType, Schema, SchemaNode, Strict, Validator,
};
use super::errors::{CastError, PathError, SchemaError, StrictModeError, ValidationError, ValidatorError};
use super::model::Model;
use super::trace::{DropReason, Trace, TraceStep};
use crate::js::inspect::{inspect, js_number_value};

/// Where generated `_id`s come from, so lessons and tests can be deterministic.
pub trait IdGenerator {
    fn next_id(&mut self) -> ObjectId;
}

/// Fresh random ObjectIds, as MongoDB drivers make them.
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn next_id(&mut self) -> ObjectId {
        crate::clock::new_object_id()
    }
}

/// ObjectIds counting up from 1 (`000000000000000000000001`, ...): deterministic for tests and lessons.
#[derive(Debug, Default, Clone, Copy)]
pub struct SequentialIds {
    pub last: u64,
}

impl IdGenerator for SequentialIds {
    fn next_id(&mut self) -> ObjectId {
        self.last = self.last.wrapping_add(1);
        let mut bytes = [0u8; 12];
        bytes[4..].copy_from_slice(&self.last.to_be_bytes());
        ObjectId::from_bytes(bytes)
    }
}

impl<F: FnMut() -> ObjectId> IdGenerator for F {
    fn next_id(&mut self) -> ObjectId {
        self()
    }
}

/// What a write needs from outside: `_id`s and the clock (for `Date.now` defaults and timestamps).
pub struct WriteContext<'a> {
    pub ids: &'a mut dyn IdGenerator,
    pub now: bson::DateTime,
}

/// A document as `new Model(input)` holds it: cast, defaults applied, `_id` set; not yet validated.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltDocument {
    pub document: Document,
    /// Cast errors met while building; validation reports them with the validators' errors.
    pub cast_errors: Vec<(String, CastError)>,
    /// True when `_id` came from the input rather than the generator.
    pub id_from_input: bool,
    pub trace: Trace,
    /// The paths Mongoose's `activePaths` holds as `default` or `modify`, by full key, in the order they got
    /// there: the order validation visits them, which the `ValidationError`'s message shows.
    pub states: Vec<(String, FieldState)>,
    /// Whether this is the document as held in memory ([`build_new_document`]): validation then leaves its empty
    /// objects, which [`minimized`] removes from what is stored.
    pub in_memory: bool,
}

/// How a path got its value while the document was built (Mongoose's `activePaths` states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldState {
    /// Its default was applied.
    Default,
    /// The input set it (a nested object is marked after its own nested objects).
    Modified,
}

/// A document ready for `insertOne`, with what happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedDocument {
    pub document: Document,
    pub trace: Trace,
}

struct Builder<'a, 'b> {
    model: &'a str,
    ctx: &'a mut WriteContext<'b>,
    trace: Trace,
    cast_errors: Vec<(String, CastError)>,
    states: Vec<(String, FieldState)>,
    /// Values the program's default functions returned, by path (see `functions.rs`).
    function_defaults: &'a Document,
    /// Whether the value is cast for a new document or for a query/update (where subdocuments have no parent).
    context: CastContext,
    /// Whether this builds the document `new Model()` holds in memory (Mongoose's `_doc`), which keeps the empty
    /// nested objects `$__buildDoc` creates; what is stored is minimized as the schema says.
    in_memory: bool,
    /// False for a document the database already holds, being cast again for `save()`: Mongoose applies no
    /// default to it (its subdocuments, new ones included, have their own).
    defaults: bool,
    /// When the runtime observes the `set` functions' `this` (`functions::observe_setter_calls`): Mongoose's
    /// `_doc` of each object being built, as it evolves.
    mirror: Option<Mirror>,
    /// Set by `cast_value` for the `cast_any` it calls: the cast of a path itself, not of an element inside it.
    whole_path_next: bool,
    /// `new Model(obj, null, { skipId: true })`: the document gets no `_id` of its own (its subdocuments do).
    skip_id: bool,
}

/// Mongoose's `_doc` while `new Model()` runs, kept beside the builder's own output (which is in the final order):
/// each object being built (the document, then a subdocument inside it) starts as `$__buildDoc`'s nested objects
/// with the defaults applied before setters, then gets each path the constructor's `$set` sets, in schema order.
struct Mirror {
    frames: Vec<MirrorFrame>,
    next_id: usize,
}

struct MirrorFrame {
    id: usize,
    /// The path cast now (a new number for each), which tells the observed calls apart.
    slot: usize,
    doc: Document,
}

impl Mirror {
    fn next(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn top(&mut self) -> Option<&mut MirrorFrame> {
        self.frames.last_mut()
    }
}

/// `$__buildDoc`: the empty nested objects of a (sub)document, in schema order.
fn nested_skeleton(tree: &[(String, SchemaNode)]) -> Document {
    tree.iter()
        .filter_map(|(name, node)| match node {
            SchemaNode::Nested(children) => Some((name.clone(), Bson::Document(nested_skeleton(children)))),
            SchemaNode::Path(_) => None,
        })
        .collect()
}

/// Where a value is cast. A subdocument of a new document has a parent that collects its cast errors
/// (`Subdocument.prototype.invalidate`); one cast for a filter or an update has none, so its errors are thrown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CastContext {
    Document,
    Query,
}

/// A value in a document as Mongoose tracks it: absent (`undefined`) or present.
fn present(value: Option<&Bson>) -> Option<&Bson> {
    value.filter(|v| !matches!(v, Bson::Undefined))
}

/// Turns `{"profile.title": x}` into `{"profile": {"title": x}}` when `profile` is a nested path of the schema.
fn expand_dotted_keys(tree: &[(String, SchemaNode)], input: &Document) -> Vec<(String, Bson)> {
    let mut out: Vec<(String, Bson)> = Vec::new();
    for (key, value) in input {
        if let Some((head, rest)) = key.split_once('.') {
            let head_is_nested = tree.iter().any(|(k, node)| k == head && matches!(node, SchemaNode::Nested(_)));
            if head_is_nested {
                let slot = match out.iter().position(|(k, _)| k == head) {
                    Some(i) => i,
                    None => {
                        out.push((head.to_string(), Bson::Document(Document::new())));
                        out.len() - 1
                    }
                };
                if let Some((_, existing)) = out.get_mut(slot) {
                    if !matches!(existing, Bson::Document(_)) {
                        *existing = Bson::Document(Document::new());
                    }
                    if let Bson::Document(inner) = existing {
                        inner.insert(rest.to_string(), value.clone());
                    }
                }
                continue;
            }
        }
        if let Some(slot) = out.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value.clone();
        } else {
            out.push((key.clone(), value.clone()));
        }
    }
    out
}

/// Paths of one object being built: errors are keyed by `key_prefix + name`; messages say `msg_prefix + name`
/// (Mongoose names subdocument paths relative to the subdocument).
#[derive(Clone)]
struct Prefixes {
    key: String,
    msg: String,
}

impl Prefixes {
    fn root() -> Self {
        Prefixes { key: String::new(), msg: String::new() }
    }
    fn child(&self, name: &str) -> Self {
        Prefixes { key: format!("{}{name}.", self.key), msg: format!("{}{name}.", self.msg) }
    }
}

/// Which kind of object is being built; it decides where defaults go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ObjectKind {
    /// A document or an array subdocument (has its own `_id`).
    Document,
    /// A nested object the input gave: its missing paths get defaults after its given fields.
    NestedGiven,
    /// A nested object the input did not give: defaults in schema order.
    NestedAbsent,
    /// A nested object inside a given one that the input leaves out: `$set` replaced its parent whole, so it
    /// exists only if a default inside it fills it (defaults in schema order).
    NestedLeftOut,
}

impl Builder<'_, '_> {
    fn record_cast_error(&mut self, key_path: &str, mut error: CastError) {
        error.set_model(self.model);
        self.cast_errors.push((key_path.to_string(), error));
    }

    /// Builds one object (the document, a subdocument or a nested object) in Mongoose's key order.
    ///
    /// A document or subdocument ends up in schema-tree order (Mongoose reorders `_doc` by `schema.tree`
    /// after setting the input, and `_id` is a tree path after the declared ones), then fields kept by
    /// `strict: false`, then the defaults applied after setters (document arrays, `Date.now`).
    /// A nested object given in the input keeps the input's fields first (schema order) and gets the
    /// defaults of its missing paths afterwards (`$applyDefaultsToNested`).
    fn build_object(
        &mut self,
        schema: &Schema,
        tree: &[(String, SchemaNode)],
        input: &Document,
        prefixes: &Prefixes,
        kind: ObjectKind,
    ) -> Result<Document, StrictModeError> {
        let framed = kind == ObjectKind::Document && self.mirror.is_some();
        if let Some(mirror) = self.mirror.as_mut().filter(|_| framed) {
            let id = mirror.next();
            mirror.frames.push(MirrorFrame { id, slot: 0, doc: nested_skeleton(tree) });
        }
        let built = self.build_object_in_order(schema, tree, input, prefixes, kind);
        if let Some(mirror) = self.mirror.as_mut().filter(|_| framed) {
            mirror.frames.pop();
        }
        built
    }

    fn build_object_in_order(
        &mut self,
        schema: &Schema,
        tree: &[(String, SchemaNode)],
        input: &Document,
        prefixes: &Prefixes,
        kind: ObjectKind,
    ) -> Result<Document, StrictModeError> {
        let strict = schema.options.strict;
        // The automatic `_id`'s default runs before the input is set (ObjectId's `defaultId.$runBeforeSetters`),
        // so a document's `_id` is generated before the `_id`s of the subdocuments it holds.
        let mut early_id = None;
        let skip_id = self.skip_id && prefixes.key.is_empty();
        if kind == ObjectKind::Document && schema.auto_id && !skip_id && present(input.get("_id")).is_none() {
            let id = Bson::ObjectId(self.ctx.ids.next_id());
            self.trace.push(TraceStep::IdGenerated { path: format!("{}_id", prefixes.key), value: id.clone() });
            early_id = Some(id);
        }
        if kind == ObjectKind::Document && self.mirror.is_some() && self.defaults {
            let id = early_id.clone().or_else(|| present(input.get("_id")).cloned());
            self.mirror_defaults_before_setters(schema, tree, prefixes, id.as_ref());
        }
        let translated;
        let input = if kind == ObjectKind::Document && !schema.aliases.is_empty() {
            translated = self.translate_aliases(schema, input, prefixes);
            &translated
        } else {
            input
        };
        let mut fields = expand_dotted_keys(tree, input);
        // A virtual (`fullName`, Mongoose's `id`) is set through its setter, never stored, and strict mode does not
        // apply to it (`$set` sees pathType 'virtual'): the runtime ran the program's setters before this.
        if kind == ObjectKind::Document {
            fields.retain(|(key, value)| {
                if !schema.is_virtual(key) {
                    return true;
                }
                if !matches!(value, Bson::Undefined) {
                    self.trace.push(TraceStep::Dropped {
                        path: format!("{}{key}", prefixes.key),
                        value: value.clone(),
                        reason: DropReason::Virtual,
                    });
                }
                false
            });
        }
        let lookup = |name: &str| present(fields.iter().find(|(k, _)| k == name).map(|(_, v)| v));

        // Strict "throw" rejects before anything is set: the first unknown key, schema keys first. (Mongoose's
        // `$set` meets it after setting the schema's paths, so an observed build, which calls the program's
        // setters as Mongoose does, meets it there.)
        if strict == Strict::Throw && self.mirror.is_none() {
            for (key, _) in &fields {
                if !tree.iter().any(|(k, _)| k == key) {
                    let path = format!("{}{key}", prefixes.key);
                    self.trace.push(TraceStep::StrictThrow { path: path.clone() });
                    return Err(StrictModeError::new(&path));
                }
            }
        }

        let mut out = Document::new();
        let mut deferred: Vec<(&String, &SchemaNode)> = Vec::new();
        // A nested object the input does not give is `$__buildDoc`'s: its nested objects exist (empty) before any
        // default is set in it, so they come first (`{ social: {}, theme: 'light' }`); the `$set` of a document
        // reorders its own keys by `schema.tree`, which a nested object's are not.
        let nested_first = kind == ObjectKind::NestedAbsent;
        let ordered = tree
            .iter()
            .filter(|(_, node)| !nested_first || matches!(node, SchemaNode::Nested(_)))
            .chain(tree.iter().filter(|(_, node)| nested_first && !matches!(node, SchemaNode::Nested(_))));
        for (name, node) in ordered {
            if name == "_id" {
                if let Some(id) = early_id.take() {
                    out.insert(name.clone(), id);
                    continue;
                }
            }
            let given = lookup(name);
            let defaults_later = match node {
                SchemaNode::Path(def) => {
                    given.is_none() && (kind == ObjectKind::NestedGiven || is_function_default(def))
                }
                SchemaNode::Nested(_) => given.is_none() && kind == ObjectKind::NestedGiven,
            };
            if defaults_later {
                deferred.push((name, node));
                continue;
            }
            match self.fill(schema, name, node, given, prefixes, kind)? {
                Some(value) => {
                    out.insert(name.clone(), value);
                }
                // A value that failed to cast leaves the path to the defaults applied after setters.
                None if matches!(node, SchemaNode::Path(def) if is_function_default(def)) => {
                    deferred.push((name, node))
                }
                None => {}
            }
        }
        if kind == ObjectKind::Document && prefixes.key.is_empty() {
            if let Some(frame) = self.mirror.as_mut().and_then(Mirror::top) {
                super::functions::publish_virtual_this(frame.doc.clone());
            }
        }

        for (key, value) in &fields {
            if tree.iter().any(|(k, _)| k == key) || matches!(value, Bson::Undefined) {
                continue;
            }
            let path = format!("{}{key}", prefixes.key);
            match strict {
                Strict::False => {
                    self.trace.push(TraceStep::KeptUnknown { path, value: value.clone() });
                    insert_dotted(&mut out, key, value.clone());
                    if let Some(frame) =
                        self.mirror.as_mut().filter(|_| kind == ObjectKind::Document).and_then(Mirror::top)
                    {
                        insert_dotted(&mut frame.doc, key, value.clone());
                    }
                }
                Strict::Throw if self.mirror.is_some() => return Err(StrictModeError::new(&path)),
                Strict::True | Strict::Throw => {
                    self.trace.push(TraceStep::Dropped { path, value: value.clone(), reason: DropReason::NotInSchema })
                }
            }
        }

        // The constructor's `$set` ends by putting the keys in schema order; the defaults after setters come next.
        if let Some(frame) = self.mirror.as_mut().filter(|_| kind == ObjectKind::Document).and_then(Mirror::top) {
            let mut ordered = Document::new();
            for (name, _) in tree {
                if let Some(value) = frame.doc.remove(name) {
                    ordered.insert(name.clone(), value);
                }
            }
            ordered.extend(std::mem::take(&mut frame.doc));
            frame.doc = ordered;
            super::functions::publish_defaults_this(&prefixes.key, frame.doc.clone());
        }
        for (name, node) in deferred {
            if let Some(value) = self.fill(schema, name, node, None, prefixes, kind)? {
                out.insert(name.clone(), value);
            }
        }
        Ok(out)
    }

    /// `applyDefaults(…, isBeforeSetters)` into the mirror: the defaults that are not functions (a plain array's
    /// `[]` among them) and the automatic `_id`, in schema order, whatever the input gives; their setters run now.
    fn mirror_defaults_before_setters(
        &mut self,
        schema: &Schema,
        tree: &[(String, SchemaNode)],
        prefixes: &Prefixes,
        id: Option<&Bson>,
    ) {
        for (name, node) in tree {
            let (key_path, msg_path) = (format!("{}{name}", prefixes.key), format!("{}{name}", prefixes.msg));
            let def = match node {
                SchemaNode::Nested(children) => {
                    self.mirror_defaults_before_setters(schema, children, &prefixes.child(name), None);
                    continue;
                }
                SchemaNode::Path(def) => def,
            };
            if name == "_id" && prefixes.msg.is_empty() && schema.auto_id {
                if let Some(id) = id {
                    self.mirror_write(&msg_path, id.clone());
                }
                continue;
            }
            let Some(default) = default_before_setters(def) else { continue };
            if let Ok(Some(value)) = self.cast_value(def, &default, &key_path, &msg_path) {
                self.mirror_write(&msg_path, value);
            }
        }
    }

    /// Sets a path (relative to the object being built) in the mirror's top object, as `$__setValue` does: in its
    /// place when it is there, else last.
    fn mirror_write(&mut self, path: &str, value: Bson) {
        if let Some(frame) = self.mirror.as_mut().and_then(Mirror::top) {
            insert_dotted(&mut frame.doc, path, value);
        }
    }

    /// `new Model({ name: "x" })` where `name` is an alias of `n`: the alias is a virtual whose setter sets `n`.
    /// Mongoose sets a document's own paths first and virtuals after them, so an alias given beside its path wins.
    fn translate_aliases(&mut self, schema: &Schema, input: &Document, prefixes: &Prefixes) -> Document {
        let mut own = Document::new();
        let mut through_alias = Vec::new();
        for (key, value) in input {
            // A real path of the same name wins (`$set` asks `pathType` first): only `_id` can be both.
            let is_real = schema.tree.iter().any(|(name, _)| name == key);
            match schema.aliases.iter().find(|(alias, _)| alias == key) {
                Some((alias, path)) if !is_real && !matches!(value, Bson::Undefined) => {
                    through_alias.push((alias, path, value))
                }
                _ => {
                    own.insert(key.clone(), value.clone());
                }
            }
        }
        for (alias, path, value) in through_alias {
            self.trace.push(TraceStep::Alias {
                alias: format!("{}{alias}", prefixes.key),
                path: format!("{}{path}", prefixes.key),
            });
            // A nested path's alias (`first` for `profile.f`) sets the dotted path inside the nested object.
            own.insert(path.clone(), value.clone());
        }
        own
    }

    /// The value of one tree entry: the cast input, else its default; `None` leaves it unset. (A document's
    /// automatic `_id` is generated by `build_object` before anything else.)
    fn fill(
        &mut self,
        schema: &Schema,
        name: &str,
        node: &SchemaNode,
        given: Option<&Bson>,
        prefixes: &Prefixes,
        parent: ObjectKind,
    ) -> Result<Option<Bson>, StrictModeError> {
        let key_path = format!("{}{name}", prefixes.key);
        let msg_path = format!("{}{name}", prefixes.msg);
        match node {
            SchemaNode::Path(def) => {
                if let Some(value) = given {
                    // Fields set through a nested object are not marked themselves (`_skipMarkModified`).
                    if prefixes.msg.is_empty() {
                        self.states.push((key_path.clone(), FieldState::Modified));
                    }
                    let cast = self.cast_value(def, value, &key_path, &msg_path)?;
                    match &cast {
                        Some(value) => self.mirror_write(&msg_path, value.clone()),
                        // The default `applyDefaults` set before the input stays where the input's value failed
                        // to cast (`$set` invalidated the path and left it).
                        None if self.defaults && default_before_setters(def).is_some() => {
                            self.states.retain(|(path, _)| *path != key_path);
                        }
                        None => return Ok(None),
                    }
                    if cast.is_some() {
                        return Ok(cast);
                    }
                }
                if !self.defaults {
                    return Ok(None);
                }
                // The mirror got this default before the input was set, its setters run then.
                let applied_before = self.mirror.is_some()
                    && matches!(parent, ObjectKind::Document | ObjectKind::NestedAbsent)
                    && default_before_setters(def).is_some();
                let default = match (&def.default, &def.field_type) {
                    (Some(Bson::String(s) | Bson::JavaScriptCode(s)), FieldType::Scalar(ScalarType::Date))
                        if is_now(s) =>
                    {
                        Bson::DateTime(self.ctx.now)
                    }
                    // A function of the program: the runtime called it; without its value there is no default.
                    (Some(d), _) if super::functions::function_id(d).is_some() => {
                        let answer = self.function_defaults.get(&key_path).cloned();
                        match answer.or_else(|| super::functions::default_answer(&key_path)) {
                            Some(value) => value,
                            None => {
                                if let Some(function) = super::functions::function_id(d) {
                                    super::functions::publish_pending_default(&key_path, function);
                                }
                                return Ok(None);
                            }
                        }
                    }
                    (Some(d), _) => d.clone(),
                    (None, FieldType::Array(_) | FieldType::DocumentArray(_)) => Bson::Array(Vec::new()),
                    (None, FieldType::Scalar(_) | FieldType::Subdocument(_)) => return Ok(None),
                };
                if applied_before {
                    super::functions::mute_observation(true);
                    let applied = self.apply_default(def, &default, &key_path, &msg_path);
                    super::functions::mute_observation(false);
                    return applied;
                }
                let applied = self.apply_default(def, &default, &key_path, &msg_path)?;
                if let Some(value) = &applied {
                    self.mirror_write(&msg_path, value.clone());
                }
                Ok(applied)
            }
            SchemaNode::Nested(children) => {
                let child_prefixes = prefixes.child(name);
                let (input, kind) = match given {
                    Some(Bson::Document(inner)) => {
                        // `$set` of a nested object replaces it with a new one; at the top of the object being
                        // built, deleted first so it goes last, in the order the input is set.
                        if let Some(frame) = self.mirror.as_mut().and_then(Mirror::top) {
                            if prefixes.msg.is_empty() {
                                frame.doc.remove(name);
                            }
                            insert_dotted(&mut frame.doc, &msg_path, Bson::Document(Document::new()));
                        }
                        (inner.clone(), ObjectKind::NestedGiven)
                    }
                    Some(Bson::Null) => {
                        self.states.push((key_path, FieldState::Modified));
                        self.mirror_write(&msg_path, Bson::Null);
                        return Ok(Some(Bson::Null));
                    }
                    Some(other) => {
                        self.trace.push(TraceStep::Dropped {
                            path: key_path.clone(),
                            value: other.clone(),
                            reason: DropReason::NotAnObject,
                        });
                        (Document::new(), ObjectKind::NestedAbsent)
                    }
                    None if matches!(parent, ObjectKind::NestedGiven | ObjectKind::NestedLeftOut) => {
                        (Document::new(), ObjectKind::NestedLeftOut)
                    }
                    None => (Document::new(), ObjectKind::NestedAbsent),
                };
                let built = self.build_object(schema, children, &input, &child_prefixes, kind)?;
                if kind == ObjectKind::NestedGiven {
                    // `$set` of a nested object marks it modified after setting its fields (and nested objects).
                    self.states.push((key_path, FieldState::Modified));
                }
                // `$__buildDoc` creates every nested object of a document (or subdocument) before the input is set;
                // a nested object the input gives replaces its one whole (`$set` of a nested path), so a nested
                // object inside it that the input leaves out exists only if a default fills it. Empty nested
                // objects are minimized away when the document is saved (unless `minimize: false`).
                let keep_empty = kind != ObjectKind::NestedLeftOut && (self.in_memory || !schema.options.minimize);
                Ok((!built.is_empty() || keep_empty).then_some(Bson::Document(built)))
            }
        }
    }

    fn apply_default(
        &mut self,
        def: &PathDef,
        default: &Bson,
        key_path: &str,
        msg_path: &str,
    ) -> Result<Option<Bson>, StrictModeError> {
        // The default step goes before the cast steps it causes.
        let first_step = self.trace.len();
        let cast = self.cast_value(def, default, key_path, msg_path)?;
        if let Some(value) = &cast {
            self.states.push((key_path.to_string(), FieldState::Default));
            let step = TraceStep::DefaultApplied { path: key_path.to_string(), value: value.clone() };
            self.trace.insert(first_step.min(self.trace.len()), step);
        }
        Ok(cast)
    }

    /// Casts a value for a path; a cast failure is recorded and the path left unset (`Ok(None)`).
    fn cast_value(
        &mut self,
        def: &PathDef,
        value: &Bson,
        key_path: &str,
        msg_path: &str,
    ) -> Result<Option<Bson>, StrictModeError> {
        if let Some(mirror) = self.mirror.as_mut() {
            let slot = mirror.next();
            if let Some(frame) = mirror.top() {
                frame.slot = slot;
            }
            self.whole_path_next = true;
        }
        match self.cast_any(def, value, key_path, msg_path) {
            Ok(v) => Ok(Some(v)),
            Err(CastFailure::Cast(key, error)) => {
                self.record_cast_error(&key, *error);
                Ok(None)
            }
        }
    }

    fn cast_any(&mut self, def: &PathDef, value: &Bson, key_path: &str, msg_path: &str) -> Result<Bson, CastFailure> {
        let whole_path = std::mem::take(&mut self.whole_path_next);
        if let (Some(mirror), Some(_)) = (&self.mirror, def.setter) {
            if let Some(frame) = mirror.frames.last() {
                let frames = mirror.frames.iter().map(|frame| (frame.id, frame.slot)).collect();
                let outer = mirror.frames.iter().rev().skip(1).rev().map(|frame| frame.doc.clone()).collect();
                super::functions::publish_this(super::functions::SetterThis::new(
                    frame.doc.clone(),
                    frames,
                    whole_path,
                    key_path,
                    msg_path,
                    outer,
                ));
            }
        }
        // An array's or subdocument's own `set` function gets the whole value before it is cast (SchemaType's
        // `applySetters`: setters, then `cast`).
        let set_whole;
        let value = if def.setter.is_some() && !matches!(def.field_type, FieldType::Scalar(_)) {
            set_whole = super::cast::apply_setters(def, value, msg_path, &mut self.trace)
                .map_err(|e| CastFailure::Cast(key_path.to_string(), e))?;
            &set_whole
        } else {
            value
        };
        match &def.field_type {
            FieldType::Scalar(t) => setters_then_cast(def, *t, value, msg_path, &mut self.trace)
                .map_err(|e| CastFailure::Cast(key_path.to_string(), e)),
            FieldType::Array(element) => {
                let items = match value {
                    Bson::Null => return Ok(Bson::Null),
                    Bson::Array(items) => items.clone(),
                    single => {
                        // A single value becomes a one-element array.
                        let wrapped = Bson::Array(vec![single.clone()]);
                        self.trace.push(TraceStep::cast(msg_path, single, &wrapped));
                        vec![single.clone()]
                    }
                };
                let mut cast_items = items.clone();
                for (i, item) in items.iter().enumerate() {
                    let item_key = format!("{key_path}.{i}");
                    let item_msg = format!("{msg_path}.{i}");
                    match self.cast_any(element, item, &item_key, &item_msg) {
                        Ok(v) => {
                            if let Some(slot) = cast_items.get_mut(i) {
                                *slot = v;
                            }
                        }
                        Err(CastFailure::Cast(_, inner)) => {
                            // Mongoose reports the whole array (as inspected so far) at `path.i`.
                            let shown = Bson::String(inspect(&Bson::Array(cast_items.clone())));
                            let error =
                                CastError::new(&format!("[{}]", inner.kind), &shown, &item_msg, Some("CastError"));
                            return Err(CastFailure::Cast(item_key, Box::new(error)));
                        }
                    }
                }
                Ok(Bson::Array(cast_items))
            }
            FieldType::DocumentArray(sub) => {
                let items = match value {
                    Bson::Null => return Ok(Bson::Null),
                    Bson::Array(items) => items.clone(),
                    single => {
                        // A single value becomes a one-element array.
                        let wrapped = Bson::Array(vec![single.clone()]);
                        self.trace.push(TraceStep::cast(msg_path, single, &wrapped));
                        vec![single.clone()]
                    }
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Bson::Document(inner) => {
                            let prefixes = Prefixes { key: format!("{key_path}.{i}."), msg: String::new() };
                            let errors_before = self.cast_errors.len();
                            // The subdocument's constructor throws a StrictModeError, and outside a document its
                            // cast errors too; the array's caster wraps either (lib/schema/documentArray.js:
                            // `throw new CastError('embedded', rawArray[i], ..., error)`).
                            let outer = std::mem::replace(&mut self.defaults, true);
                            let built = self.build_object(sub, &sub.tree, inner, &prefixes, ObjectKind::Document);
                            self.defaults = outer;
                            let reason = match built {
                                Ok(built)
                                    if self.context == CastContext::Document
                                        || self.cast_errors.len() == errors_before =>
                                {
                                    out.push(Bson::Document(built));
                                    continue;
                                }
                                Ok(_) => {
                                    self.cast_errors.truncate(errors_before);
                                    "CastError"
                                }
                                Err(_) => "StrictModeError",
                            };
                            let error = CastError::new("embedded", item, msg_path, Some(reason));
                            return Err(CastFailure::Cast(key_path.to_string(), Box::new(error)));
                        }
                        // Mongoose skips falsy elements (null, 0, "", false) and keeps them as they are.
                        falsy if is_falsy(falsy) => out.push(falsy.clone()),
                        other => {
                            // `new Subdocument("x")` throws ObjectParameterError, reported as a cast to "embedded".
                            let error = CastError::new("embedded", other, msg_path, Some("ObjectParameterError"));
                            return Err(CastFailure::Cast(key_path.to_string(), Box::new(error)));
                        }
                    }
                }
                Ok(Bson::Array(out))
            }
            FieldType::Subdocument(sub) => match value {
                Bson::Null | Bson::Undefined => Ok(value.clone()),
                Bson::Document(inner) => {
                    let prefixes = Prefixes { key: format!("{key_path}."), msg: String::new() };
                    let outer = std::mem::replace(&mut self.defaults, true);
                    let built = self.build_object(sub, &sub.tree, inner, &prefixes, ObjectKind::Document);
                    self.defaults = outer;
                    match built {
                        Ok(built) => Ok(Bson::Document(built)),
                        // The document's `$set` (or the query caster) wraps the subdocument's StrictModeError.
                        Err(_) => {
                            let error = CastError::new("Embedded", value, msg_path, Some("StrictModeError"));
                            Err(CastFailure::Cast(key_path.to_string(), Box::new(error)))
                        }
                    }
                }
                other => {
                    // A document's `$set` meets SchemaSubdocument.cast's ObjectExpectedError; a query or update
                    // meets `new Subdocument("x")`'s ObjectParameterError (castForQuery). Either is reported as a
                    // cast to "Embedded".
                    let reason = match self.context {
                        CastContext::Document => "ObjectExpectedError",
                        CastContext::Query => "ObjectParameterError",
                    };
                    let error = CastError::new("Embedded", other, msg_path, Some(reason));
                    Err(CastFailure::Cast(key_path.to_string(), Box::new(error)))
                }
            },
        }
    }
}

/// Casts one value for a path as `SchemaType.applySetters` does (arrays wrap single values, subdocuments get
/// their `_id`s). Unlike building a document, the first cast error is returned, as queries and updates throw it.
pub fn cast_path_value(
    model_name: &str,
    def: &PathDef,
    value: &Bson,
    path: &str,
    ctx: &mut WriteContext<'_>,
    trace: &mut Trace,
) -> Result<Bson, SchemaError> {
    let no_defaults = Document::new();
    let mut builder = Builder {
        model: model_name,
        ctx,
        trace: Trace::new(),
        cast_errors: Vec::new(),
        states: Vec::new(),
        function_defaults: &no_defaults,
        context: CastContext::Query,
        in_memory: false,
        defaults: true,
        // Observed for the default functions of the subdocuments an update builds (their `this`).
        mirror: super::functions::observing().then(|| Mirror { frames: Vec::new(), next_id: 0 }),
        whole_path_next: false,
        skip_id: false,
    };
    let result = builder.cast_any(def, value, path, path);
    trace.append(&mut builder.trace);
    match result {
        Ok(v) => match builder.cast_errors.into_iter().next() {
            Some((_, e)) => Err(SchemaError::Cast(Box::new(e))),
            None => Ok(v),
        },
        Err(CastFailure::Cast(_, mut e)) => {
            e.set_model(model_name);
            Err(SchemaError::Cast(e))
        }
    }
}

/// Runs the validators of a subdocument of `sub` into `errors`, keyed `<key_prefix><path>` with the path relative
/// to the subdocument, as Mongoose's update validators report a `$push`ed subdocument (`comments.by`, path `by`).
pub(crate) fn validate_subdocument(
    sub: &Schema,
    doc: &Document,
    key_prefix: &str,
    errors: &mut ValidationError,
    trace: &mut Trace,
) {
    validate_subdocument_value(sub, doc, key_prefix, false, errors, trace);
}

/// The states of a (sub)document an update sends, as if the input had set each of its paths: fields of nested
/// objects are not marked, a nested object is marked after its own nested objects.
fn states_as_given(
    tree: &[(String, SchemaNode)],
    doc: &Document,
    prefix: &str,
    inside_nested: bool,
    out: &mut Vec<(String, FieldState)>,
) {
    for (name, node) in tree {
        let Some(value) = present(doc.get(name)) else { continue };
        let path = format!("{prefix}{name}");
        match (node, value) {
            (SchemaNode::Nested(children), Bson::Document(inner)) => {
                states_as_given(children, inner, &format!("{path}."), true, out);
                out.push((path, FieldState::Modified));
            }
            _ if !inside_nested => out.push((path, FieldState::Modified)),
            _ => {}
        }
    }
}

/// Validates a subdocument an update sets or pushes (Mongoose's update validators run the subdocument's own
/// `validate()`): errors keyed `<key_prefix><path>`, paths relative to the subdocument, in the subdocument's order.
fn validate_subdocument_value(
    sub: &Schema,
    doc: &Document,
    key_prefix: &str,
    full_paths: bool,
    errors: &mut ValidationError,
    trace: &mut Trace,
) {
    let mut own = ValidationError::new(None);
    let mut validation = Validation { errors: &mut own, trace, skip: &[], custom: &mut super::functions::NoFunctions };
    validation.validate_object(&sub.tree, doc, &Prefixes::root());
    let mut states = Vec::new();
    states_as_given(&sub.tree, doc, "", false, &mut states);
    order_errors(&mut own, sub, doc, &states, &[]);
    for (key, mut error) in own.errors {
        let key = format!("{key_prefix}{key}");
        if full_paths {
            match &mut error {
                PathError::Validator(e) => e.path = key.clone(),
                PathError::Cast(e) => e.path = key.clone(),
                PathError::Thrown { path, .. } => *path = key.clone(),
                PathError::StrictMode(e) => e.path = key.clone(),
            }
        }
        errors.add(&key, error);
    }
}

/// An update validator on one path a cast `$set` sets (Mongoose 9's lib/helpers/updateValidators.js): the
/// schema type at `key` validates the value with its own path in the message (`followers` inside the `stats`
/// subdocument) and the error's `path` set to the update's path; an array's elements name the array in their
/// messages; a whole subdocument runs its own validation.
pub(crate) fn validate_update_path(
    def: &PathDef,
    value: Option<&Bson>,
    key: &str,
    schema_path: &str,
    errors: &mut ValidationError,
    trace: &mut Trace,
    custom: &mut dyn super::functions::CustomValidators,
) {
    if let Some(mut error) = run_validators(def, value, key, schema_path, trace, custom) {
        error.path = key.to_string();
        errors.add(key, PathError::Validator(error));
        return;
    }
    match (&def.field_type, value) {
        (FieldType::Array(element), Some(Bson::Array(items))) => {
            for (i, item) in items.iter().enumerate() {
                let item_key = format!("{key}.{i}");
                validate_update_path(element, Some(item), &item_key, schema_path, errors, trace, custom);
            }
        }
        (FieldType::DocumentArray(sub), Some(Bson::Array(items))) => {
            for (i, item) in items.iter().enumerate() {
                if let Bson::Document(subdoc) = item {
                    // A whole array of subdocuments reports its elements' errors at their full paths.
                    validate_subdocument_value(sub, subdoc, &format!("{key}.{i}."), true, errors, trace);
                }
            }
        }
        (FieldType::Subdocument(sub), Some(Bson::Document(subdoc))) => {
            validate_subdocument_value(sub, subdoc, &format!("{key}."), false, errors, trace);
        }
        _ => {}
    }
}

/// Most segments a dotted unknown key may have before it is kept as one literal key.
const MAX_DOTTED_SEGMENTS: usize = 32;

/// `doc.set("a.b.c", v)` for a path outside the schema (strict: false): builds the nested objects.
fn insert_dotted(doc: &mut Document, key: &str, value: Bson) {
    let segments: Vec<&str> = key.split('.').collect();
    if segments.len() == 1 || segments.len() > MAX_DOTTED_SEGMENTS || segments.iter().any(|s| s.is_empty()) {
        doc.insert(key, value);
        return;
    }
    let mut current = doc;
    let (last, parents) = match segments.split_last() {
        Some(split) => split,
        None => return,
    };
    for segment in parents {
        if !matches!(current.get(*segment), Some(Bson::Document(_))) {
            current.insert(*segment, Document::new());
        }
        current = match current.get_mut(*segment) {
            Some(Bson::Document(inner)) => inner,
            _ => return,
        };
    }
    current.insert(*last, value);
}

/// JavaScript falsiness of a value.
fn is_falsy(value: &Bson) -> bool {
    match value {
        Bson::Null | Bson::Undefined => true,
        Bson::Boolean(b) => !b,
        Bson::String(s) => s.is_empty(),
        other => js_number_value(other).is_some_and(|x| x == 0.0 || x.is_nan()),
    }
}

enum CastFailure {
    Cast(String, Box<CastError>),
}

fn is_now(text: &str) -> bool {
    matches!(text, "Date.now" | "Date.now()" | "$now")
}

/// The default `applyDefaults` sets before the input (not a function, or a plain array's implicit `[]`).
fn default_before_setters(def: &PathDef) -> Option<Bson> {
    if is_function_default(def) {
        return None;
    }
    match (&def.default, &def.field_type) {
        (Some(default), _) => Some(default.clone()),
        (None, FieldType::Array(_)) => Some(Bson::Array(Vec::new())),
        _ => None,
    }
}

/// Mongoose applies function defaults after the input is set: document arrays (implicit `[]`) and `Date.now`.
/// Plain arrays' implicit `[]` is marked to run before setters, so it keeps its schema position.
fn is_function_default(def: &PathDef) -> bool {
    match (&def.field_type, &def.default) {
        (FieldType::DocumentArray(_), _) => true,
        (FieldType::Scalar(ScalarType::Date), Some(Bson::String(s) | Bson::JavaScriptCode(s))) if is_now(s) => true,
        (_, Some(default)) => super::functions::function_id(default).is_some(),
        _ => false,
    }
}

/// `new Model(input)`: cast, strict, defaults, setters, `_id`s. Strict mode "throw" fails here.
pub fn build_document(
    model: &Model,
    input: &Document,
    ctx: &mut WriteContext<'_>,
) -> Result<BuiltDocument, SchemaError> {
    build_document_with(model, input, ctx, &Document::new())
}

/// [`build_document`] with the values of the program's default functions (by path).
pub fn build_document_with(
    model: &Model,
    input: &Document,
    ctx: &mut WriteContext<'_>,
    function_defaults: &Document,
) -> Result<BuiltDocument, SchemaError> {
    build(model, input, ctx, function_defaults, Build::Stored)
}

/// The replacement `Model.replaceOne(filter, replacement)` and `findOneAndReplace` send: Mongoose casts it as
/// `new Model(replacement, null, { skipId: true })`, so it is built as a new document (setters, defaults, strict
/// mode, its subdocuments' `_id`s) with no `_id` generated for itself; what is sent is minimized.
pub fn build_replacement(
    model: &Model,
    input: &Document,
    ctx: &mut WriteContext<'_>,
    function_defaults: &Document,
) -> Result<BuiltDocument, SchemaError> {
    build(model, input, ctx, function_defaults, Build::Replacement)
}

/// [`build_document`] for `save()` of a document the database already holds: cast again, no default applied to
/// the document (only to subdocuments it gained).
pub fn build_saved_document(
    model: &Model,
    input: &Document,
    ctx: &mut WriteContext<'_>,
) -> Result<BuiltDocument, SchemaError> {
    build(model, input, ctx, &Document::new(), Build::Saved)
}

/// [`build_document_with`] for the document `new Model(input)` holds in memory (Mongoose's `_doc`): the empty
/// nested objects `$__buildDoc` creates stay (`toObject({ minimize: false })` shows them); saving minimizes them.
pub fn build_new_document(
    model: &Model,
    input: &Document,
    ctx: &mut WriteContext<'_>,
    function_defaults: &Document,
) -> Result<BuiltDocument, SchemaError> {
    build(model, input, ctx, function_defaults, Build::InMemory)
}

/// Which document a build makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Build {
    /// `new Model()` as it is stored (minimized).
    Stored,
    /// `new Model()` as it is held in memory.
    InMemory,
    /// A document the database holds, cast again for `save()` (no defaults).
    Saved,
    /// A replacement (`skipId`).
    Replacement,
}

fn build(
    model: &Model,
    input: &Document,
    ctx: &mut WriteContext<'_>,
    function_defaults: &Document,
    kind: Build,
) -> Result<BuiltDocument, SchemaError> {
    let in_memory = kind == Build::InMemory;
    let mut builder = Builder {
        in_memory,
        defaults: kind != Build::Saved,
        skip_id: kind == Build::Replacement,
        model: &model.name,
        ctx,
        trace: Trace::new(),
        cast_errors: Vec::new(),
        states: Vec::new(),
        function_defaults,
        context: CastContext::Document,
        mirror: super::functions::observing().then(|| Mirror { frames: Vec::new(), next_id: 0 }),
        whole_path_next: false,
    };
    let document =
        builder.build_object(&model.schema, &model.schema.tree, input, &Prefixes::root(), ObjectKind::Document)?;
    let id_from_input = present(input.get("_id")).is_some();
    Ok(BuiltDocument {
        document,
        cast_errors: builder.cast_errors,
        id_from_input,
        trace: builder.trace,
        states: builder.states,
        in_memory,
    })
}

/// What is stored for a document built in memory ([`build_new_document`]): its empty objects minimized away (as
/// `toObject()` does when the schema says `minimize`), exactly what [`build_document`] and validation make.
pub fn minimized(schema: &Schema, document: &Document) -> Document {
    let mut out = document.clone();
    if schema.options.minimize {
        minimize(&mut out);
    }
    out
}

/// `doc.validateSync()`: every validator of every path, every error collected (cast errors included).
pub fn validate_document(model: &Model, built: &mut BuiltDocument) -> Result<(), ValidationError> {
    validate_document_with(model, built, &mut super::functions::NoFunctions)
}

/// [`validate_document`] with the verdicts of the program's custom validators.
pub fn validate_document_with(
    model: &Model,
    built: &mut BuiltDocument,
    custom: &mut dyn super::functions::CustomValidators,
) -> Result<(), ValidationError> {
    let mut errors = ValidationError::new(Some(&model.name));
    for (path, error) in &built.cast_errors {
        errors.add(path, PathError::Cast(error.clone()));
    }
    let failed: Vec<String> = built.cast_errors.iter().map(|(p, _)| p.clone()).collect();
    let mut validation = Validation { errors: &mut errors, trace: &mut built.trace, skip: &failed, custom };
    validation.validate_object(&model.schema.tree, &built.document, &Prefixes::root());
    order_like_mongoose(&mut errors, &model.schema, built);
    // Validation saw empty objects (a required Mixed `{}` passes); what is stored and shown is minimized.
    if model.schema.options.minimize && !built.in_memory {
        minimize(&mut built.document);
    }
    if errors.errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Mongoose's `minimize` (lib/helpers/common.js via toObject): every empty object is removed, recursively, inside
/// nested objects, Mixed values and subdocuments; arrays keep their elements (`[{}]` stays).
fn minimize(doc: &mut Document) {
    minimize_depth(doc, 0);
}

fn minimize_depth(doc: &mut Document, depth: usize) {
    if depth > super::definition::MAX_DEFINITION_DEPTH * 4 {
        return;
    }
    let mut empty = Vec::new();
    for (key, value) in doc.iter_mut() {
        match value {
            Bson::Document(inner) => {
                minimize_depth(inner, depth + 1);
                if inner.is_empty() {
                    empty.push(key.clone());
                }
            }
            Bson::Array(items) => {
                for item in items.iter_mut() {
                    if let Bson::Document(inner) = item {
                        minimize_depth(inner, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
    for key in empty {
        doc.remove(&key);
    }
}

/// Puts the errors in the order Mongoose 9's `validate()` adds them, which the `ValidationError`'s message shows:
/// 1. cast errors, met while the document was built (in schema order);
/// 2. errors of subdocuments, added by each subdocument's own `validate()` as it finishes — one with nested
///    subdocuments finishes after them (a tick per level, two more per single nested child and three per
///    document-array child: measured on Mongoose 9.12.1), ties in document order;
/// 3. the document's own paths, in the order `_getPathsToValidate` lists them (see [`validation_order`]).
fn order_like_mongoose(errors: &mut ValidationError, schema: &Schema, built: &BuiltDocument) {
    let cast_keys: Vec<&str> = built.cast_errors.iter().map(|(key, _)| key.as_str()).collect();
    order_errors(errors, schema, &built.document, &built.states, &cast_keys);
}

/// [`order_like_mongoose`] for a document (or a subdocument an update sets, keys relative to it).
fn order_errors(
    errors: &mut ValidationError,
    schema: &Schema,
    document: &Document,
    states: &[(String, FieldState)],
    cast_keys: &[&str],
) {
    let mut owners = Vec::new();
    collect_owners(&schema.tree, document, "", 0, &mut owners);
    let empty = Document::new();
    let positions: Vec<(String, Vec<String>)> = std::iter::once(("", schema))
        .chain(owners.iter().map(|owner| (owner.prefix.as_str(), owner.schema)))
        .map(|(prefix, owner_schema)| {
            let value = value_at_prefix(document, prefix).unwrap_or(&empty);
            let states: Vec<(String, FieldState)> = states
                .iter()
                .filter_map(|(key, state)| {
                    let relative = key.strip_prefix(prefix)?;
                    (owner_prefix(schema, key).as_deref() == Some(prefix)).then(|| (relative.to_string(), *state))
                })
                .collect();
            (prefix.to_string(), validation_order(owner_schema, value, &states))
        })
        .collect();
    let cast_rank = |key: &str| cast_keys.iter().position(|k| *k == key);
    let mut keyed: Vec<(ErrorRank, (String, PathError))> = errors
        .errors
        .drain(..)
        .enumerate()
        .map(|(index, (key, error))| {
            if let (PathError::Cast(_), Some(rank)) = (&error, cast_rank(&key)) {
                return ((0, rank, 0, 0, index), (key, error));
            }
            // A `required` function that threw invalidated its path in `_getPathsToValidate`, before any
            // validator ran (and after the constructor's cast errors).
            if matches!(error, PathError::Thrown { .. }) {
                return ((0, usize::MAX, 0, 0, index), (key, error));
            }
            let prefix = owner_prefix(schema, &key).unwrap_or_default();
            let (finish, order) = owners
                .iter()
                .find(|o| o.prefix == prefix)
                .map_or((usize::MAX, usize::MAX), |o| (o.finish, o.post_order));
            let relative = key.strip_prefix(prefix.as_str()).unwrap_or(&key);
            let position = positions
                .iter()
                .find(|(p, _)| *p == prefix)
                .and_then(|(_, list)| list.iter().position(|path| path == relative))
                .unwrap_or(usize::MAX);
            ((1, finish, order, position, index), (key, error))
        })
        .collect();
    keyed.sort_by_key(|(rank, _)| *rank);
    errors.errors = keyed.into_iter().map(|(_, entry)| entry).collect();
}

/// Where an error goes: (cast error or not, cast order or finish time, subdocument order, position, original).
type ErrorRank = (usize, usize, usize, usize, usize);

/// A subdocument of the document being validated.
struct Owner<'a> {
    /// Its key prefix (`comments.0.`, `stats.`).
    prefix: String,
    schema: &'a Schema,
    /// When its `validate()` adds its own errors, in ticks.
    finish: usize,
    /// Its place in a children-first walk of the document (ties of `finish` go in this order).
    post_order: usize,
}

/// Records every subdocument present in `doc` (children before their parent) with when it finishes
/// validating; returns when the object at `prefix` may finish, waiting for its latest subdocument.
fn collect_owners<'a>(
    tree: &'a [(String, SchemaNode)],
    doc: &Document,
    prefix: &str,
    depth: usize,
    owners: &mut Vec<Owner<'a>>,
) -> Option<usize> {
    let mut latest: Option<usize> = None;
    for (name, node) in tree {
        let value = present(doc.get(name));
        let key = format!("{prefix}{name}");
        let children: Vec<(String, &Document, &'a Schema, usize)> = match (node, value) {
            (SchemaNode::Nested(inner), Some(Bson::Document(d))) => {
                if let Some(t) = collect_owners(inner, d, &format!("{key}."), depth, owners) {
                    latest = Some(latest.map_or(t, |l| l.max(t)));
                }
                continue;
            }
            (SchemaNode::Path(def), Some(Bson::Document(d))) => match &def.field_type {
                FieldType::Subdocument(sub) => vec![(format!("{key}."), d, sub.as_ref(), 2)],
                _ => continue,
            },
            (SchemaNode::Path(def), Some(Bson::Array(items))) => match &def.field_type {
                FieldType::DocumentArray(sub) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| match item {
                        Bson::Document(d) => Some((format!("{key}.{i}."), d, sub.as_ref(), 3)),
                        _ => None,
                    })
                    .collect(),
                _ => continue,
            },
            _ => continue,
        };
        for (child_prefix, child_doc, sub, cost) in children {
            let below = collect_owners(&sub.tree, child_doc, &child_prefix, depth + 1, owners);
            let finish = below.unwrap_or(depth + 1);
            let post_order = owners.len();
            owners.push(Owner { prefix: child_prefix, schema: sub, finish, post_order });
            let waited = finish + cost;
            latest = Some(latest.map_or(waited, |l| l.max(waited)));
        }
    }
    latest
}

/// The prefix of the subdocument a key lies in (`""` for the document itself, `box.` for `box.label`, `items.0.`
/// for `items.0.label`), by the schema: the key prefixes the builder names the objects it builds by.
pub(crate) fn owner_prefix(schema: &Schema, key: &str) -> Option<String> {
    let segments: Vec<&str> = key.split('.').collect();
    let mut owner = String::new();
    let mut tree = &schema.tree;
    let mut walked = String::new();
    let mut i = 0;
    while let Some(segment) = segments.get(i) {
        walked.push_str(segment);
        walked.push('.');
        i += 1;
        match tree.iter().find(|(k, _)| k == segment).map(|(_, n)| n)? {
            SchemaNode::Nested(children) => tree = children,
            SchemaNode::Path(def) => match &def.field_type {
                FieldType::Subdocument(sub) if i < segments.len() => {
                    owner = walked.clone();
                    tree = &sub.tree;
                }
                FieldType::DocumentArray(sub) if i + 1 < segments.len() => {
                    walked.push_str(segments.get(i)?);
                    walked.push('.');
                    i += 1;
                    owner = walked.clone();
                    tree = &sub.tree;
                }
                _ => return Some(owner),
            },
        }
    }
    Some(owner)
}

/// The (sub)document at a key prefix (`comments.0.`, `stats.`; `""` is the document).
fn value_at_prefix<'a>(doc: &'a Document, prefix: &str) -> Option<&'a Document> {
    let mut current = doc;
    let mut segments = prefix.trim_end_matches('.').split('.').filter(|s| !s.is_empty());
    while let Some(segment) = segments.next() {
        current = match current.get(segment)? {
            Bson::Document(d) => d,
            Bson::Array(items) => match items.get(segments.next()?.parse::<usize>().ok()?)? {
                Bson::Document(d) => d,
                _ => return None,
            },
            _ => return None,
        };
    }
    Some(current)
}

/// The value at a dotted path of nested objects, if set.
fn value_at<'a>(doc: &'a Document, path: &str) -> Option<&'a Bson> {
    match path.split_once('.') {
        None => present(doc.get(path)),
        Some((head, rest)) => match present(doc.get(head))? {
            Bson::Document(inner) => value_at(inner, rest),
            _ => None,
        },
    }
}

/// The paths of one document (or subdocument) in the order Mongoose 9's `_getPathsToValidate` lists them:
/// required paths never set (the `require` state: `schema.requiredPaths()`, last declared first), then the
/// `default` and `modify` states in the order paths got there; a nested object is replaced by its fields at the
/// end of the list (a `Set` being walked), and array elements are added last (`_addArrayPathsToValidate`).
fn validation_order(schema: &Schema, doc: &Document, states: &[(String, FieldState)]) -> Vec<String> {
    let mut list: Vec<Option<String>> = Vec::new();
    let push = |list: &mut Vec<Option<String>>, path: String| {
        if !list.iter().any(|p| p.as_deref() == Some(path.as_str())) {
            list.push(Some(path));
        }
    };
    for (path, def) in schema.paths().into_iter().rev() {
        if def.is_required() && value_at(doc, &path).is_none() {
            push(&mut list, path);
        }
    }
    for wanted in [FieldState::Default, FieldState::Modified] {
        for (path, _) in states.iter().filter(|(_, state)| *state == wanted) {
            push(&mut list, path.clone());
        }
    }
    let mut i = 0;
    while let Some(entry) = list.get(i).cloned() {
        if let Some(path) = entry.filter(|p| matches!(schema.resolve(p), ResolvedPath::Nested)) {
            if let Some(slot) = list.get_mut(i) {
                *slot = None;
            }
            if let Some(Bson::Document(value)) = value_at(doc, &path) {
                for key in value.keys() {
                    push(&mut list, format!("{path}.{key}"));
                }
            }
        }
        i += 1;
    }
    let mut paths: Vec<String> = list.into_iter().flatten().collect();
    let mut elements = Vec::new();
    for path in &paths {
        if let (ResolvedPath::Path(def), Some(Bson::Array(items))) = (schema.resolve(path), value_at(doc, path)) {
            if matches!(def.field_type, FieldType::Array(_)) {
                push_element_paths(items, path, &mut elements, 0);
            }
        }
    }
    paths.append(&mut elements);
    paths
}

fn push_element_paths(items: &[Bson], path: &str, out: &mut Vec<String>, depth: usize) {
    for (j, item) in items.iter().enumerate() {
        match item {
            Bson::Array(inner) if depth < super::definition::MAX_DEFINITION_DEPTH => {
                push_element_paths(inner, &format!("{path}.{j}"), out, depth + 1)
            }
            _ => out.push(format!("{path}.{j}")),
        }
    }
}

/// `Model.create(input)` up to `insertOne`: build, validate, then timestamps and `__v` as `save()` adds them.
pub fn create_document(
    model: &Model,
    input: &Document,
    ctx: &mut WriteContext<'_>,
) -> Result<CreatedDocument, SchemaError> {
    let now = ctx.now;
    let mut built = build_document(model, input, ctx)?;
    validate_document(model, &mut built)?;
    Ok(finish_document(model, built, now))
}

/// Subdocuments whose schema has `timestamps` get their own on `save()` (each subdocument's save middleware):
/// `createdAt` once, `updatedAt` when the subdocument is new or changed (`changed` says which are, by the
/// subdocument's path) — after the subdocument's other fields, as its `$set` appends them.
pub fn stamp_subdocuments(
    schema: &Schema,
    document: &mut Document,
    now: bson::DateTime,
    changed: &dyn Fn(&str) -> bool,
    prefix: &str,
    trace: &mut Trace,
) {
    for (path, def) in schema.paths() {
        let (FieldType::Subdocument(sub) | FieldType::DocumentArray(sub)) = &def.field_type else { continue };
        let Some(value) = lookup_mut(document, &path) else { continue };
        let subdocuments: Vec<(String, &mut Document)> = match value {
            Bson::Document(subdocument) => vec![(format!("{prefix}{path}"), subdocument)],
            Bson::Array(items) => items
                .iter_mut()
                .enumerate()
                .filter_map(|(i, item)| match item {
                    Bson::Document(subdocument) => Some((format!("{prefix}{path}.{i}"), subdocument)),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for (full_path, subdocument) in subdocuments {
            if let Some(ts) = &sub.options.timestamps {
                if changed(&full_path) {
                    if let Some(created) = &ts.created_at {
                        if present(subdocument.get(created)).is_none_or(|v| matches!(v, Bson::Null)) {
                            subdocument.insert(created.clone(), Bson::DateTime(now));
                            let path = format!("{full_path}.{created}");
                            trace.push(TraceStep::Timestamp { path, value: Bson::DateTime(now) });
                        }
                    }
                    if let Some(updated) = &ts.updated_at {
                        subdocument.insert(updated.clone(), Bson::DateTime(now));
                        let path = format!("{full_path}.{updated}");
                        trace.push(TraceStep::Timestamp { path, value: Bson::DateTime(now) });
                    }
                }
            }
            stamp_subdocuments(sub, subdocument, now, changed, &format!("{full_path}."), trace);
        }
    }
}

/// The value at a dotted path of nested objects (not through arrays).
fn lookup_mut<'a>(document: &'a mut Document, path: &str) -> Option<&'a mut Bson> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut value = document.get_mut(first)?;
    for part in parts {
        value = match value {
            Bson::Document(inner) => inner.get_mut(part)?,
            _ => return None,
        };
    }
    Some(value)
}

/// What `save()` adds to a validated document before `insertOne`: timestamps and the version key.
pub fn finish_document(model: &Model, built: BuiltDocument, now: bson::DateTime) -> CreatedDocument {
    let mut document = built.document;
    let mut trace = built.trace;
    // A new document's subdocuments are all new.
    stamp_subdocuments(&model.schema, &mut document, now, &|_| true, "", &mut trace);
    if let Some(ts) = &model.schema.options.timestamps {
        if let Some(created) = &ts.created_at {
            if present(document.get(created)).is_none_or(|v| matches!(v, Bson::Null)) {
                document.insert(created.clone(), Bson::DateTime(now));
                trace.push(TraceStep::Timestamp { path: created.clone(), value: Bson::DateTime(now) });
            }
        }
        if let Some(updated) = &ts.updated_at {
            // A new document's `updatedAt` equals its `createdAt` (which the input may have supplied).
            let value = ts
                .created_at
                .as_ref()
                .and_then(|created| document.get(created).cloned())
                .unwrap_or(Bson::DateTime(now));
            document.insert(updated.clone(), value.clone());
            trace.push(TraceStep::Timestamp { path: updated.clone(), value });
        }
    }
    if let Some(version_key) = &model.schema.options.version_key {
        if !document.contains_key(version_key) {
            document.insert(version_key.clone(), Bson::Int32(0));
            trace.push(TraceStep::VersionKey { path: version_key.clone(), value: Bson::Int32(0) });
        }
    }
    CreatedDocument { document, trace }
}

struct Validation<'a> {
    errors: &'a mut ValidationError,
    trace: &'a mut Trace,
    skip: &'a [String],
    custom: &'a mut dyn super::functions::CustomValidators,
}

impl Validation<'_> {
    fn validate_object(&mut self, tree: &[(String, SchemaNode)], doc: &Document, prefixes: &Prefixes) {
        for (name, node) in tree {
            let key_path = format!("{}{name}", prefixes.key);
            let msg_path = format!("{}{name}", prefixes.msg);
            let value = present(doc.get(name));
            match node {
                SchemaNode::Path(def) => self.validate_path(def, value, &key_path, &msg_path),
                SchemaNode::Nested(children) => {
                    let empty = Document::new();
                    let inner = match value {
                        Some(Bson::Document(d)) => d,
                        _ => &empty,
                    };
                    self.validate_object(children, inner, &prefixes.child(name));
                }
            }
        }
    }

    fn validate_path(&mut self, def: &PathDef, value: Option<&Bson>, key_path: &str, msg_path: &str) {
        if self.skip.iter().any(|failed| cast_failure_covers(failed, key_path)) {
            return;
        }
        if let Some(message) = self.custom.required_error(key_path) {
            self.trace.push(TraceStep::Validator {
                path: key_path.to_string(),
                kind: "required".into(),
                passed: false,
                message: Some(message.clone()),
            });
            self.errors.add(key_path, PathError::Thrown { path: key_path.to_string(), message });
            return;
        }
        if let Some(error) = run_validators(def, value, key_path, msg_path, self.trace, self.custom) {
            self.errors.add(key_path, PathError::Validator(error));
            return;
        }
        match (&def.field_type, value) {
            (FieldType::Array(element), Some(Bson::Array(items))) => {
                for (i, item) in items.iter().enumerate() {
                    let item_key = format!("{key_path}.{i}");
                    let item_msg = format!("{msg_path}.{i}");
                    self.validate_path(element, Some(item), &item_key, &item_msg);
                }
            }
            (FieldType::DocumentArray(sub), Some(Bson::Array(items))) => {
                for (i, item) in items.iter().enumerate() {
                    if let Bson::Document(subdoc) = item {
                        let prefixes = Prefixes { key: format!("{key_path}.{i}."), msg: String::new() };
                        self.validate_object(&sub.tree, subdoc, &prefixes);
                    }
                }
            }
            (FieldType::Subdocument(sub), Some(Bson::Document(subdoc))) => {
                let prefixes = Prefixes { key: format!("{key_path}."), msg: String::new() };
                self.validate_object(&sub.tree, subdoc, &prefixes);
            }
            _ => {}
        }
    }
}

/// Whether a cast error recorded at `failed` stops the validators of `key_path` (Mongoose's `$isValid(path)`):
/// the path itself failed, or it is an array whose element failed (`nums.1`, `grid.0.1`: the array was never
/// set). A cast error inside a subdocument (`comments.0.votes`) leaves the array and the subdocument's other
/// paths to be validated.
fn cast_failure_covers(failed: &str, key_path: &str) -> bool {
    match failed.strip_prefix(key_path) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('.')
            .is_some_and(|indexes| indexes.split('.').all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))),
        None => false,
    }
}

/// Whether `required` is satisfied, per type (`checkRequired`).
fn check_required(def: &PathDef, value: Option<&Bson>) -> bool {
    let Some(value) = value else { return false };
    match &def.field_type {
        FieldType::Scalar(ScalarType::String) => matches!(value, Bson::String(s) if !s.is_empty()),
        FieldType::Scalar(ScalarType::Number) => js_number_value(value).is_some(),
        FieldType::Scalar(ScalarType::Boolean) => matches!(value, Bson::Boolean(_)),
        FieldType::Scalar(ScalarType::Date) => matches!(value, Bson::DateTime(_)),
        FieldType::Scalar(ScalarType::ObjectId) => matches!(value, Bson::ObjectId(_)),
        FieldType::Scalar(ScalarType::Buffer) => {
            matches!(value, Bson::Binary(b) if !b.bytes.is_empty())
        }
        _ => !matches!(value, Bson::Null),
    }
}

/// JavaScript `===` between cast values (numbers by value).
fn strict_equals(a: &Bson, b: &Bson) -> bool {
    match (js_number_value(a), js_number_value(b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => match (a, b) {
            (Bson::String(x), Bson::String(y)) => x == y,
            (Bson::Boolean(x), Bson::Boolean(y)) => x == y,
            (Bson::Null, Bson::Null) => true,
            _ => false,
        },
        _ => false,
    }
}

fn compare_bound(value: &Bson, bound: &Bson) -> Option<std::cmp::Ordering> {
    match (value, bound) {
        (Bson::DateTime(v), Bson::DateTime(b)) => Some(v.timestamp_millis().cmp(&b.timestamp_millis())),
        _ => js_number_value(value)?.partial_cmp(&js_number_value(bound)?),
    }
}

/// `String.prototype.replace(token, with)` with a string pattern: the first occurrence only, and `with` read as a
/// replacement template (`$$` is `$`, `$&` the token, `` $` `` and `$'` the text before and after it), as
/// Mongoose's `formatMessage` does it with whatever text a value brings.
fn replace_first(message: &str, token: &str, with: &str) -> String {
    let Some(at) = message.find(token) else {
        return message.to_string();
    };
    let (before, rest) = message.split_at(at);
    let after = &rest[token.len()..];
    let mut out = String::with_capacity(message.len() + with.len());
    out.push_str(before);
    let mut chars = with.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => out.push('$'),
            Some('&') => out.push_str(token),
            Some('`') => out.push_str(before),
            Some('\'') => out.push_str(after),
            _ => {
                out.push('$');
                continue;
            }
        }
        chars.next();
    }
    out.push_str(after);
    out
}

fn length_of(value: &Bson) -> Option<usize> {
    match value {
        Bson::String(s) => Some(s.encode_utf16().count()),
        _ => None,
    }
}

/// `String(value)` as a message shows it.
fn shown_value(value: Option<&Bson>) -> String {
    match value {
        Some(v) => value_text(v),
        None => "undefined".to_string(),
    }
}

/// The maxlength message's `{VALUE}`: a string over 30 UTF-16 units is cut to 30 and `...` (lib/schema/string.js,
/// `formatMaxLengthValidatorMessage`).
fn truncated_value(value: Option<&Bson>) -> String {
    match value {
        Some(Bson::String(s)) if s.encode_utf16().count() > 30 => {
            let units: Vec<u16> = s.encode_utf16().take(30).collect();
            format!("{}...", String::from_utf16_lossy(&units))
        }
        other => shown_value(other),
    }
}

/// Builds the message as `ValidatorError`'s `formatMessage` does: each of the validator's properties, in their
/// order (`type`, the validator's own — `min`, `enumValues`, `regexp`... —, then `path`, `fullPath`, `value`,
/// `length` for strings), replaces the first `{NAME}` left in the message. `{MIN}`-style tokens were also
/// replaced once when the validator was declared, so two of them are filled.
fn format_validator_message(
    template: &str,
    kind: &str,
    own: &[(&str, String)],
    path: &str,
    value: Option<&Bson>,
    shown: &str,
) -> String {
    let mut message = replace_first(template, "{TYPE}", kind);
    for (token, text) in own {
        message = replace_first(&message, token, text);
    }
    message = replace_first(&message, "{PATH}", path);
    // `this.$fullPath` is only set once a query looked the path up (Schema#_getSchema); a document's
    // validation normally meets it unset.
    message = replace_first(&message, "{FULLPATH}", "undefined");
    message = replace_first(&message, "{VALUE}", shown);
    if let Some(len) = value.and_then(length_of) {
        message = replace_first(&message, "{LENGTH}", &len.to_string());
    }
    message
}

/// Runs a path's validators in order; returns the first failure (Mongoose stops at the first).
pub fn run_validators(
    def: &PathDef,
    value: Option<&Bson>,
    key_path: &str,
    msg_path: &str,
    trace: &mut Trace,
    custom: &mut dyn super::functions::CustomValidators,
) -> Option<ValidatorError> {
    let is_date_path = def.scalar() == Some(ScalarType::Date);
    // A `required` function that answered falsy: an unset path is not validated at all (Mongoose's
    // `_getPathsToValidate` leaves it out), a set one passes `required` and meets its other validators.
    let not_required = def.validators.iter().any(|validator| match validator {
        Validator::Required { condition: Some(function), .. } => custom.required(key_path, *function) == Some(false),
        _ => false,
    });
    if not_required && value.is_none() {
        return None;
    }
    for validator in &def.validators {
        // An unset path only runs `required`.
        if value.is_none() && !matches!(validator, Validator::Required { .. }) {
            continue;
        }
        let v = value.unwrap_or(&Bson::Undefined);
        let is_null = matches!(v, Bson::Null | Bson::Undefined);
        // (passed, message template, the validator's own properties as `{TOKEN}`s)
        let (passed, template, own): (bool, String, Vec<(&str, String)>) = match validator {
            Validator::Required { message, .. } => (
                not_required || check_required(def, value),
                message.clone().unwrap_or_else(|| "Path `{PATH}` is required.".to_string()),
                Vec::new(),
            ),
            Validator::Min { bound, message } => {
                let ok = is_null || compare_bound(v, bound).is_some_and(|o| o != std::cmp::Ordering::Less);
                let default = if is_date_path {
                    "Path `{PATH}` ({VALUE}) is before minimum allowed value ({MIN})."
                } else {
                    "Path `{PATH}` ({VALUE}) is less than minimum allowed value ({MIN})."
                };
                let bound = bound_text(bound);
                (ok, replace_first(message.as_deref().unwrap_or(default), "{MIN}", &bound), vec![("{MIN}", bound)])
            }
            Validator::Max { bound, message } => {
                let ok = is_null || compare_bound(v, bound).is_some_and(|o| o != std::cmp::Ordering::Greater);
                let default = if is_date_path {
                    "Path `{PATH}` ({VALUE}) is after maximum allowed value ({MAX})."
                } else {
                    "Path `{PATH}` ({VALUE}) is more than maximum allowed value ({MAX})."
                };
                let bound = bound_text(bound);
                (ok, replace_first(message.as_deref().unwrap_or(default), "{MAX}", &bound), vec![("{MAX}", bound)])
            }
            Validator::MinLength { length, message } => {
                let ok = matches!(v, Bson::Null) || length_of(v).is_some_and(|len| len as f64 >= *length);
                let default = "Path `{PATH}` (`{VALUE}`, length {LENGTH}) is shorter than the minimum allowed length ({MINLENGTH}).";
                let length = crate::js::inspect::js_number(*length);
                let template = replace_first(message.as_deref().unwrap_or(default), "{MINLENGTH}", &length);
                (ok, template, vec![("{MINLENGTH}", length)])
            }
            Validator::MaxLength { length, message } => {
                let ok = matches!(v, Bson::Null) || length_of(v).is_some_and(|len| len as f64 <= *length);
                let default = "Path `{PATH}` (`{VALUE}`, length {LENGTH}) is longer than the maximum allowed length ({MAXLENGTH}).";
                let length = crate::js::inspect::js_number(*length);
                let template = replace_first(message.as_deref().unwrap_or(default), "{MAXLENGTH}", &length);
                (ok, template, vec![("{MAXLENGTH}", length)])
            }
            Validator::Enum { values, message } => {
                // `String(enumValues)`: the values joined by commas, null and undefined as empty.
                let listed: Vec<String> = values
                    .iter()
                    .map(|allowed| match allowed {
                        Bson::Null | Bson::Undefined => String::new(),
                        other => value_text(other),
                    })
                    .collect();
                (
                    is_null || values.iter().any(|allowed| strict_equals(allowed, v)),
                    message
                        .clone()
                        .unwrap_or_else(|| "`{VALUE}` is not a valid enum value for path `{PATH}`.".to_string()),
                    vec![("{ENUMVALUES}", listed.join(","))],
                )
            }
            Validator::Match { regex, message, source, flags } => {
                let ok = match v {
                    Bson::Null | Bson::Undefined => true,
                    Bson::String(s) if s.is_empty() => true,
                    other => regex.is_match(&value_text(other)),
                };
                (
                    ok,
                    message.clone().unwrap_or_else(|| "Path `{PATH}` is invalid ({VALUE}).".to_string()),
                    vec![("{REGEXP}", super::definition::regexp_text(source, flags))],
                )
            }
            Validator::Custom { function, message, kind } => {
                let default = match message {
                    Some(super::definition::CustomMessage::Text(text)) => text.clone(),
                    _ => super::definition::GENERAL_DEFAULT_MESSAGE.to_string(),
                };
                match custom.verdict(key_path, *function, v) {
                    super::functions::Verdict::Passed => (true, default, Vec::new()),
                    super::functions::Verdict::Failed { message: Some(made), templated: false } => {
                        // A message function's result is the message as it is (Mongoose's `formatMessage`).
                        let error = ValidatorError {
                            kind: kind.clone(),
                            path: msg_path.to_string(),
                            value: value.cloned().unwrap_or(Bson::Undefined),
                            message: made.clone(),
                        };
                        trace.push(TraceStep::Validator {
                            path: key_path.to_string(),
                            kind: kind.clone(),
                            passed: false,
                            message: Some(made),
                        });
                        return Some(error);
                    }
                    super::functions::Verdict::Failed { message: Some(thrown), templated: true } => {
                        (false, thrown, Vec::new())
                    }
                    super::functions::Verdict::Failed { message: None, .. } => (false, default, Vec::new()),
                }
            }
        };
        if passed {
            trace.push(TraceStep::Validator {
                path: key_path.to_string(),
                kind: validator.kind().to_string(),
                passed: true,
                message: None,
            });
            continue;
        }
        let kind = match validator {
            Validator::Custom { kind, .. } => kind.as_str(),
            other => other.kind(),
        };
        let shown = match validator {
            Validator::MaxLength { .. } => truncated_value(value),
            _ => shown_value(value),
        };
        let message = format_validator_message(&template, kind, &own, msg_path, value, &shown);
        trace.push(TraceStep::Validator {
            path: key_path.to_string(),
            kind: validator.kind().to_string(),
            passed: false,
            message: Some(message.clone()),
        });
        return Some(ValidatorError {
            kind: kind.to_string(),
            path: msg_path.to_string(),
            value: value.cloned().unwrap_or(Bson::Undefined),
            message,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{bson, doc};

    /// Documents compare equal regardless of key order; Mongoose's key order matters here.
    fn same(actual: &Document, expected: Document) {
        assert_eq!(actual.to_string(), expected.to_string());
    }

    fn user_model(definition: Document, options: Document) -> Model {
        Model::new("User", Schema::new(&definition, &options).unwrap())
    }

    fn create(model: &Model, input: Document) -> Result<CreatedDocument, SchemaError> {
        let mut ids = SequentialIds::default();
        let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        create_document(model, &input, &mut ctx)
    }

    fn oid(n: u64) -> Bson {
        let mut ids = SequentialIds { last: n - 1 };
        Bson::ObjectId(ids.next_id())
    }

    #[test]
    fn new_documents_keep_the_nested_objects_build_doc_creates() {
        // Mongoose 9.12.1, `new M(input).toObject({ minimize: false })` and what `create` stores, for
        // `{ name: String, profile: { bio: String, links: { site: String }, inner: { x: { type: String,
        //    default: 'd' } } }, sub: new Schema({ a: String, n: { b: String } }) }`:
        //   {}                           → { profile: { links: {}, inner: { x: 'd' } }, _id }
        //   { profile: { bio: 'x' } }    → { profile: { bio: 'x', inner: { x: 'd' } }, _id }  ($set replaced it)
        //   { sub: {} }                  → sub: { n: {}, _id }
        let definition = doc! {
            "name": "String",
            "profile": {"bio": "String", "links": {"site": "String"}, "inner": {"x": {"type": "String", "default": "d"}}},
            "sub": {"type": {"a": "String", "n": {"b": "String"}}},
        };
        let build = |model: &Model, input: Document, in_memory: bool| {
            let mut ids = SequentialIds::default();
            let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
            build(model, &input, &mut ctx, &Document::new(), if in_memory { Build::InMemory } else { Build::Stored })
                .unwrap()
                .document
        };
        let model = user_model(definition.clone(), doc! {});
        same(&build(&model, doc! {}, true), doc! {"profile": {"links": {}, "inner": {"x": "d"}}, "_id": oid(1)});
        same(&build(&model, doc! {}, false), doc! {"profile": {"inner": {"x": "d"}}, "_id": oid(1)});
        same(
            &build(&model, doc! {"profile": {"bio": "x"}}, true),
            doc! {"profile": {"bio": "x", "inner": {"x": "d"}}, "_id": oid(1)},
        );
        same(
            &build(&model, doc! {"sub": {}}, true).get_document("sub").unwrap().clone(),
            doc! {"n": {}, "_id": oid(2)},
        );
        // `minimize: false` stores them, but not inside a nested object the input gave.
        let loose = user_model(definition, doc! {"minimize": false});
        same(
            &build(&loose, doc! {"profile": {"bio": "x"}}, false),
            doc! {"profile": {"bio": "x", "inner": {"x": "d"}}, "_id": oid(1)},
        );
        same(&build(&loose, doc! {}, false), doc! {"profile": {"links": {}, "inner": {"x": "d"}}, "_id": oid(1)});
    }

    #[test]
    fn a_nested_object_the_input_leaves_out_has_its_nested_objects_before_its_defaults() {
        // Mongoose 9.12.1, `new M({ email: 'e' }).toObject({ minimize: false })` and what `save()` inserts, for
        // `{ email: String, profile: { bio: String, theme: { default: 'light' }, a: { x: { default: 1 }, y: String },
        //    social: { tw: String }, z: { default: 'z' } } }`: `$__buildDoc` made `a` and `social` first.
        //   → { email: 'e', profile: { a: { x: 1 }, social: {}, theme: 'light', z: 'z' }, _id }
        //   inserted: { email: 'e', profile: { a: { x: 1 }, theme: 'light', z: 'z' }, _id, __v: 0 }
        let definition = doc! {
            "email": "String",
            "profile": {
                "bio": "String",
                "theme": {"type": "String", "default": "light"},
                "a": {"x": {"type": "Number", "default": 1}, "y": "String"},
                "social": {"tw": "String"},
                "z": {"type": "String", "default": "z"},
            },
        };
        let model = user_model(definition, doc! {});
        let mut ids = SequentialIds::default();
        let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        let built = build_new_document(&model, &doc! {"email": "e"}, &mut ctx, &Document::new()).unwrap();
        same(
            &built.document,
            doc! {"email": "e", "profile": {"a": {"x": 1}, "social": {}, "theme": "light", "z": "z"}, "_id": oid(1)},
        );
        same(
            &create(&model, doc! {"email": "e"}).unwrap().document,
            doc! {"email": "e", "profile": {"a": {"x": 1}, "theme": "light", "z": "z"}, "_id": oid(1), "__v": 0},
        );
    }

    #[test]
    fn a_value_that_fails_to_cast_leaves_the_path_its_default() {
        let model = user_model(
            doc! { "level": {"type": "Number", "default": 1}, "n": {"a": {"type": "Number", "default": 2}}, "age": "Number" },
            doc! {},
        );
        let mut ids = SequentialIds::default();
        let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        let built = build_document(&model, &doc! {"level": "high", "n": {"a": "x"}, "age": "old"}, &mut ctx).unwrap();
        same(&built.document, doc! {"level": 1, "n": {"a": 2}, "_id": oid(1)});
        let failed: Vec<&str> = built.cast_errors.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(failed, vec!["level", "n.a", "age"]);
    }

    #[test]
    fn a_replacement_has_no_id_of_its_own_but_its_subdocuments_do() {
        let model =
            user_model(doc! { "name": "String", "box": {"type": {"label": "String"}}, "tags": ["String"] }, doc! {});
        let mut ids = SequentialIds::default();
        let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        let built =
            build_replacement(&model, &doc! {"box": {"label": "b"}, "name": "n"}, &mut ctx, &Document::new()).unwrap();
        same(&built.document, doc! {"name": "n", "box": {"label": "b", "_id": oid(1)}, "tags": []});
        assert!(!built.id_from_input);
    }

    #[test]
    fn aliases_set_their_paths_and_win_over_them() {
        // Mongoose 9.12.1, `new M(input).toObject()` for
        // `{ n: { type: String, alias: 'name', lowercase: true }, age: { type: Number, alias: 'years' },
        //    profile: { f: { type: String, alias: 'first' } }, sub: { type: new Schema({ c: { type: String,
        //    alias: 'city' } }) } }`:
        //   { name: 'ADA', years: '5' }                                  → { n: 'ada', age: 5, _id }
        //   { name: 'ADA', n: 'bob' } and { n: 'bob', name: 'ADA' }      → { n: 'ada', _id }
        //   { first: 'x', profile: { first: 'y' }, 'profile.first': 'z' } → { profile: { f: 'x' }, _id }
        //   { sub: { city: 'Paris' } }                                   → { sub: { c: 'Paris', _id }, _id }
        //   { years: 'abc' } → "M validation failed: age: Cast to Number failed for value \"abc\" (type string) at
        //                       path \"age\" for model \"M\""
        let model = Model::new(
            "M",
            Schema::from_definition(&doc! {
                "n": {"type": "String", "alias": "name", "lowercase": true},
                "age": {"type": "Number", "alias": "years"},
                "profile": {"f": {"type": "String", "alias": "first"}},
                "sub": {"type": {"$schema": {"c": {"type": "String", "alias": "city"}}, "$options": {}}},
            })
            .unwrap(),
        );
        let built = |input: Document| {
            let mut ids = SequentialIds::default();
            let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
            match build_document(&model, &input, &mut ctx) {
                Ok(mut built) => match validate_document(&model, &mut built) {
                    Ok(()) => built.document.to_string(),
                    Err(e) => e.message(),
                },
                Err(e) => e.message(),
            }
        };
        let outcomes = [
            built(doc! {"name": "ADA", "years": "5"}),
            built(doc! {"name": "ADA", "n": "bob"}),
            built(doc! {"n": "bob", "name": "ADA"}),
            built(doc! {"first": "x", "profile": {"first": "y"}, "profile.first": "z"}),
            built(doc! {"sub": {"city": "Paris"}}),
            built(doc! {"years": "abc"}),
        ];
        expect_test::expect![[r#"
            [
                "{ \"n\": \"ada\", \"age\": 5, \"_id\": ObjectId(\"000000000000000000000001\") }",
                "{ \"n\": \"ada\", \"_id\": ObjectId(\"000000000000000000000001\") }",
                "{ \"n\": \"ada\", \"_id\": ObjectId(\"000000000000000000000001\") }",
                "{ \"profile\": { \"f\": \"x\" }, \"_id\": ObjectId(\"000000000000000000000001\") }",
                "{ \"sub\": { \"c\": \"Paris\", \"_id\": ObjectId(\"000000000000000000000002\") }, \"_id\": ObjectId(\"000000000000000000000001\") }",
                "M validation failed: age: Cast to Number failed for value \"abc\" (type string) at path \"age\" for model \"M\"",
            ]
        "#]]
        .assert_debug_eq(&outcomes);
    }

    #[test]
    fn builds_in_mongoose_order_with_defaults_id_and_version() {
        let model = user_model(
            doc! {
                "name": {"type": "String", "trim": true},
                "role": {"type": "String", "default": "student"},
                "tags": ["String"],
                "age": "Number",
            },
            doc! {"timestamps": true},
        );
        let created = create(&model, doc! {"age": "42", "name": " Ada ", "extra": 1}).unwrap();
        let epoch = Bson::DateTime(bson::DateTime::from_millis(0));
        same(
            &created.document,
            doc! {"name": "Ada", "role": "student", "tags": [], "age": 42, "_id": oid(1),
            "createdAt": epoch.clone(), "updatedAt": epoch, "__v": 0},
        );
        let described: Vec<String> = created.trace.iter().map(TraceStep::describe).collect();
        expect_test::expect![[r#"
            [
                "generated _id = new ObjectId('000000000000000000000001')",
                "trim name: ' Ada ' -> 'Ada'",
                "cast name: 'Ada' (string) unchanged",
                "default role = 'student'",
                "cast role: 'student' (string) unchanged",
                "default tags = []",
                "cast age: '42' (string) -> 42 (number)",
                "dropped extra = 1: not in schema (strict)",
                "timestamp createdAt = 1970-01-01T00:00:00.000Z",
                "timestamp updatedAt = 1970-01-01T00:00:00.000Z",
                "version key __v = 0",
            ]
        "#]]
        .assert_debug_eq(&described);
    }

    #[test]
    fn collects_every_error() {
        let model = user_model(
            doc! {
                "name": {"type": "String", "required": true},
                "age": {"type": "Number", "min": 0},
                "code": {"type": "String", "enum": ["a", "b"]},
                "short": {"type": "String", "maxlength": [2, "too long: {VALUE}"]},
            },
            doc! {},
        );
        let err = create(&model, doc! {"age": -1, "code": "c", "short": "abc"}).unwrap_err();
        let SchemaError::Validation(v) = &err else { panic!("{err:?}") };
        let summary: Vec<(String, String, String)> =
            v.errors.iter().map(|(p, e)| (p.clone(), e.kind().to_string(), e.message().to_string())).collect();
        expect_test::expect![[r#"
            [
                (
                    "name",
                    "required",
                    "Path `name` is required.",
                ),
                (
                    "age",
                    "min",
                    "Path `age` (-1) is less than minimum allowed value (0).",
                ),
                (
                    "code",
                    "enum",
                    "`c` is not a valid enum value for path `code`.",
                ),
                (
                    "short",
                    "maxlength",
                    "too long: abc",
                ),
            ]
        "#]]
        .assert_debug_eq(&summary);
        assert!(err.message().starts_with("User validation failed: name: Path `name` is required., age:"));
        // Unset required paths come first, last declared first (Mongoose's `requiredPaths()` order).
        let two = user_model(
            doc! {"a": {"type": "String", "required": true}, "b": {"type": "String", "required": true}},
            doc! {},
        );
        assert_eq!(
            create(&two, doc! {}).unwrap_err().message(),
            "User validation failed: b: Path `b` is required., a: Path `a` is required."
        );
    }

    #[test]
    fn subdocuments_get_ids_and_relative_messages() {
        let model =
            user_model(doc! {"scores": [{"subject": {"type": "String", "required": true}, "n": "Number"}]}, doc! {});
        let created = create(&model, doc! {"scores": [{"subject": "math", "n": "9"}]}).unwrap();
        // The document's `_id` is generated before its subdocuments' (Mongoose 9.12.1, `new Model(...)`).
        same(&created.document, doc! {"scores": [{"subject": "math", "n": 9, "_id": oid(2)}], "_id": oid(1), "__v": 0});
        let err = create(&model, doc! {"scores": [{"n": 1}]}).unwrap_err();
        let SchemaError::Validation(v) = err else { panic!() };
        let e = v.get("scores.0.subject").unwrap();
        assert_eq!(e.message(), "Path `subject` is required.");
    }

    #[test]
    fn strict_modes() {
        let def = doc! {"a": "String", "n": {"b": "Number"}};
        let throwing = user_model(def.clone(), doc! {"strict": "throw"});
        let err = create(&throwing, doc! {"a": "x", "n": {"b": 1, "z": 2}}).unwrap_err();
        assert_eq!(err.name(), "StrictModeError");
        assert_eq!(err.message(), "Field `n.z` is not in schema and strict mode is set to throw.");
        let loose = user_model(def, doc! {"strict": false, "versionKey": false});
        let created = create(&loose, doc! {"z": [1], "a": 5, "y.w": 2}).unwrap();
        // Mongoose reorders by the schema tree (where `_id` sits after the declared paths), then the rest.
        same(&created.document, doc! {"a": "5", "_id": oid(1), "z": [1], "y": {"w": 2}});
    }

    #[test]
    fn array_cast_errors_name_the_element() {
        let model = user_model(doc! {"ids": ["ObjectId"]}, doc! {});
        let err = create(&model, doc! {"ids": [oid(7), "nope"]}).unwrap_err();
        let SchemaError::Validation(v) = err else { panic!() };
        let e = v.get("ids.1").unwrap();
        assert_eq!(e.kind(), "[ObjectId]");
        assert_eq!(
            e.message(),
            "Cast to [ObjectId] failed for value \"[ new ObjectId('000000000000000000000007'), 'nope' ]\" (type string) at path \"ids.1\" for model \"User\" because of \"CastError\""
        );
        let _ = bson!(1);
    }

    #[test]
    fn document_arrays_wrap_objects_keep_falsy_and_reject_scalars() {
        let model = user_model(doc! {"items": [{"n": "Number"}]}, doc! {"versionKey": false});
        let created = create(&model, doc! {"items": {"n": "1"}}).unwrap();
        same(&created.document, doc! {"items": [{"n": 1, "_id": oid(2)}], "_id": oid(1)});
        let created = create(&model, doc! {"items": [null, 0]}).unwrap();
        same(&created.document, doc! {"items": [null, 0], "_id": oid(1)});
        let err = create(&model, doc! {"items": ["x"]}).unwrap_err();
        let SchemaError::Validation(v) = err else { panic!() };
        let e = v.get("items").unwrap();
        assert_eq!(e.kind(), "embedded");
        assert_eq!(
            e.message(),
            "Cast to embedded failed for value \"x\" (type string) at path \"items\" for model \"User\" because of \"ObjectParameterError\""
        );
    }

    #[test]
    fn array_enum_checks_each_element() {
        let model = user_model(doc! {"tags": {"type": ["String"], "enum": ["a", "b"]}}, doc! {});
        let err = create(&model, doc! {"tags": ["a", "z"]}).unwrap_err();
        let SchemaError::Validation(v) = err else { panic!() };
        assert_eq!(v.get("tags.1").unwrap().message(), "`z` is not a valid enum value for path `tags.1`.");
        assert!(create(&model, doc! {"tags": ["b"]}).is_ok());
    }

    #[test]
    fn nested_arrays_renamed_keys_and_custom_required_message() {
        let model = user_model(
            doc! {"grid": [["Number"]], "name": {"type": "String", "required": "Give a name"}},
            doc! {"versionKey": "rev", "timestamps": {"createdAt": "born", "updatedAt": false}},
        );
        let mut ids = SequentialIds::default();
        let now = bson::DateTime::from_millis(7);
        let mut ctx = WriteContext { ids: &mut ids, now };
        let created = create_document(&model, &doc! {"grid": [["1", 2], "3"], "name": "n"}, &mut ctx).unwrap();
        same(&created.document, doc! {"grid": [[1, 2], [3]], "name": "n", "_id": oid(1), "born": now, "rev": 0});
        let err = create_document(&model, &doc! {}, &mut ctx).unwrap_err();
        assert_eq!(err.message(), "User validation failed: name: Give a name");
    }

    #[test]
    fn given_created_at_is_kept_and_copied_to_updated_at() {
        let model = user_model(doc! {"a": "String"}, doc! {"timestamps": true, "versionKey": false});
        let given = bson::DateTime::from_millis(1_000);
        let created = create(&model, doc! {"createdAt": "1970-01-01T00:00:01Z"}).unwrap();
        same(&created.document, doc! {"_id": oid(1), "createdAt": given, "updatedAt": given});
    }

    #[test]
    fn nested_defaults_follow_given_fields_and_document_arrays_come_last() {
        let model = user_model(
            doc! {
                "profile": {"title": {"type": "String", "default": "t"}, "years": "Number"},
                "items": [{"n": "Number"}],
                "name": "String",
            },
            doc! {"versionKey": false},
        );
        let created = create(&model, doc! {"name": "x", "profile": {"years": 3}}).unwrap();
        same(&created.document, doc! {"profile": {"years": 3, "title": "t"}, "name": "x", "_id": oid(1), "items": []});
        let created = create(&model, doc! {}).unwrap();
        same(&created.document, doc! {"profile": {"title": "t"}, "_id": oid(1), "items": []});
    }

    /// Every error of a failed validation as `key: message`, in the order of the ValidationError's message.
    fn error_lines(err: &SchemaError) -> Vec<String> {
        let SchemaError::Validation(v) = err else { panic!("{err:?}") };
        v.errors
            .iter()
            .map(|(key, e)| format!("{key} [{} {} at {}]: {}", e.name(), e.kind(), e.path(), e.message()))
            .collect()
    }

    #[test]
    fn a_cast_error_inside_a_subdocument_leaves_its_other_paths_validated() {
        // Mongoose 9.12.1 (recorded): the subdocument's failed path is skipped (`$isValid`), its siblings still run.
        let model = Model::new(
            "Post",
            Schema::from_definition(&doc! {
                "comments": [{"votes": {"type": "Number", "min": 0}, "text": {"type": "String", "required": true}}],
                "nums": {"type": ["Number"], "required": true},
            })
            .unwrap(),
        );
        let err = create(&model, doc! {"comments": [{"votes": "x"}], "nums": ["y"]}).unwrap_err();
        expect_test::expect![[r#"
            [
                "comments.0.votes [CastError Number at votes]: Cast to Number failed for value \"x\" (type string) at path \"votes\" for model \"Post\"",
                "nums.0 [CastError [Number] at nums.0]: Cast to [Number] failed for value \"[ 'y' ]\" (type string) at path \"nums.0\" for model \"Post\" because of \"CastError\"",
                "comments.0.text [ValidatorError required at text]: Path `text` is required.",
            ]
        "#]]
        .assert_debug_eq(&error_lines(&err));
    }

    #[test]
    fn subdocuments_report_cast_to_embedded_for_non_objects_and_strict_throw() {
        // Mongoose 9.12.1 (recorded): SchemaSubdocument.cast throws ObjectExpectedError for a primitive; a
        // subdocument's StrictModeError is wrapped by the parent's `$set` / the array caster, never thrown.
        let stats = doc! {"stats": {"type": {"followers": "Number"}}, "comments": [{"text": "String"}]};
        let model = Model::new("Post", Schema::from_definition(&stats).unwrap());
        let err = create(&model, doc! {"stats": "lots"}).unwrap_err();
        let throwing = Model::new("Post", Schema::new(&stats, &doc! {"strict": "throw"}).unwrap());
        let thrown = create(&throwing, doc! {"stats": {"followers": 1, "x": 2}, "comments": [{"text": "a", "x": 2}]})
            .unwrap_err();
        expect_test::expect![[r#"
            [
                "stats [CastError Embedded at stats]: Cast to Embedded failed for value \"lots\" (type string) at path \"stats\" for model \"Post\" because of \"ObjectExpectedError\"",
                "stats [CastError Embedded at stats]: Cast to Embedded failed for value \"{ followers: 1, x: 2 }\" (type Object) at path \"stats\" for model \"Post\" because of \"StrictModeError\"",
                "comments [CastError embedded at comments]: Cast to embedded failed for value \"{ text: 'a', x: 2 }\" (type Object) at path \"comments\" for model \"Post\" because of \"StrictModeError\"",
            ]
        "#]]
        .assert_debug_eq(&[error_lines(&err), error_lines(&thrown)].concat());
    }

    #[test]
    fn message_templates_fill_like_validator_error_format_message() {
        // Mongoose 9.12.1 (recorded) and lib/error/validator.js: each property replaces its first `{TOKEN}`, the
        // declared bound a second one, `$` patterns in a value are a replacement template, maxlength cuts long
        // values, `{ENUMVALUES}`/`{REGEXP}`/`{FULLPATH}` are properties too, and a String enum's `{ values }` with
        // no message falls back to messages.general.default.
        let model = user_model(
            doc! {
                "n": {"type": "Number", "min": [5, "{MIN} {MIN} {MIN} {VALUE} {VALUE} {PATH} {PATH} {TYPE} {FULLPATH}"]},
                "s": {"type": "String", "minlength": [5, "{MINLENGTH} {MINLENGTH} {MINLENGTH} {LENGTH} {LENGTH}"]},
                "long": {"type": "String", "maxlength": 3},
                "r": {"type": "String", "enum": {"values": ["a", "b"], "message": "{VALUE} not in {ENUMVALUES}"}},
                "bare": {"type": "String", "enum": {"values": ["a"]}},
                "m": {"type": "String", "match": ["^a/b", "{REGEXP} rejects {VALUE}"]},
                "dollar": {"type": "String", "enum": ["a"]},
            },
            doc! {},
        );
        let input = doc! {
            "n": 1, "s": "ab", "long": "abcdefghijklmnopqrstuvwxyz0123456789", "r": "z", "bare": "z", "m": "b",
            "dollar": "$& $$ $' $` $1",
        };
        let err = create(&model, input).unwrap_err();
        let SchemaError::Validation(v) = &err else { panic!() };
        let messages: Vec<&str> = v.errors.iter().map(|(_, e)| e.message()).collect();
        expect_test::expect![[r#"
            [
                "5 5 {MIN} 1 {VALUE} n {PATH} min undefined",
                "5 5 {MINLENGTH} 2 {LENGTH}",
                "Path `long` (`abcdefghijklmnopqrstuvwxyz0123...`, length 36) is longer than the maximum allowed length (3).",
                "z not in a,b",
                "Validator failed for path `bare` with value `z`",
                "/^a\\/b/ rejects b",
                "`{VALUE} $ ` is not a valid enum value for path `dollar`. ` $1` is not a valid enum value for path `dollar`.",
            ]
        "#]]
        .assert_debug_eq(&messages);
    }

    #[test]
    fn errors_come_in_the_order_mongoose_adds_them() {
        // Mongoose 9.12.1 (recorded): cast errors, then subdocuments' errors as each subdocument's validate()
        // finishes (a deeper one later), then the document's paths: required ones never set (last declared
        // first), defaults, set paths, fields of given nested objects, array elements.
        let model = user_model(
            doc! {
                "a": {"type": "String", "required": true},
                "s1": {"type": {"deep": {"type": {"t": {"type": "String", "required": true}}}, "t": {"type": "String", "required": true}}},
                "s2": {"type": {"t": {"type": "String", "required": true}}},
                "p": {"q": {"type": "Number", "min": 5}},
                "role": {"type": "String", "default": "zz", "enum": ["x"]},
                "y": {"type": "Number", "min": 5},
                "tags": {"type": ["String"], "enum": ["x"]},
                "n": "Number",
            },
            doc! {},
        );
        let input = doc! {"tags": ["b"], "y": 1, "p": {"q": 1}, "n": "bad", "s2": {}, "s1": {"deep": {}}};
        let keys: Vec<String> = match create(&model, input).unwrap_err() {
            SchemaError::Validation(v) => v.errors.into_iter().map(|(key, _)| key).collect(),
            other => panic!("{other:?}"),
        };
        expect_test::expect![[r#"
            [
                "n",
                "s2.t",
                "s1.deep.t",
                "s1.t",
                "a",
                "role",
                "y",
                "p.q",
                "tags.0",
            ]
        "#]]
        .assert_debug_eq(&keys);
    }

    #[test]
    fn minimize_id_false_in_definitions_and_required_object_form() {
        // Mongoose 9.12.1 (recorded): minimize removes every empty object after validation (a required Mixed
        // `{}` passes), `minimize: false` keeps them; `_id: false` inside a subdocument's definition turns its
        // `_id` off; `required: { isRequired, message }` is SchemaType#required's object form.
        let definition = doc! {
            "m": {"type": "Mixed", "required": true},
            "p": {"q": "String"},
            "c": [{"_id": false, "text": "String", "x": "Mixed"}],
            "n": {"type": "Number", "required": {"isRequired": true, "message": "need n"}},
        };
        let model = user_model(definition.clone(), doc! {"versionKey": false});
        let err = create(&model, doc! {"m": {}, "c": [{"text": "a", "x": {"y": {}}}]}).unwrap_err();
        assert_eq!(err.message(), "User validation failed: n: need n");
        let created = create(&model, doc! {"m": {}, "n": 1, "c": [{"text": "a", "x": {"y": {}}}]}).unwrap();
        same(&created.document, doc! {"c": [{"text": "a"}], "n": 1, "_id": oid(1)});
        let kept = user_model(definition, doc! {"versionKey": false, "minimize": false});
        let created = create(&kept, doc! {"m": {}, "n": 1}).unwrap();
        // The implicit `[]` of a document array is applied after the input, so it comes last.
        same(&created.document, doc! {"m": {}, "p": {}, "n": 1, "_id": oid(1), "c": []});
    }

    #[test]
    fn date_now_default_and_date_bounds() {
        let model = user_model(
            doc! {"at": {"type": "Date", "default": "Date.now", "min": "2000-01-01"}},
            doc! {"versionKey": false},
        );
        let created = create(&model, doc! {}).unwrap_err();
        assert_eq!(
            created.message(),
            "User validation failed: at: Path `at` (Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)) is before minimum allowed value (Sat Jan 01 2000 00:00:00 GMT+0000 (Coordinated Universal Time))."
        );
    }

    #[test]
    fn a_required_function_decides_with_the_answer_the_runtime_computed() {
        // Mongoose 9.12.1, `{ role: String, email: { type: String, required: function () { return this.role ===
        // 'admin' } }, phone: { type: String, required: [fn, 'Admins need a phone'], minlength: 5 } }`:
        //   new M({ role: 'admin' }).validateSync().message
        //     → 'M validation failed: phone: Admins need a phone, email: Path `email` is required.'
        //   new M({ role: 'user' }).validateSync() → undefined; new M({ role: 'user', phone: '1' }) fails minlength.
        let function = crate::schema::functions::function_marker;
        let model = user_model(
            doc! {
                "role": "String",
                "email": {"type": "String", "required": function(0)},
                "phone": {"type": "String", "required": [function(1), "Admins need a phone"], "minlength": 5},
            },
            doc! {},
        );
        let validate = |input: Document, answer: bool| {
            let mut ids = SequentialIds::default();
            let mut ctx = WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
            let mut built = build_document(&model, &input, &mut ctx).unwrap();
            let answers = super::super::functions::FunctionResults {
                required: vec![("email".into(), answer), ("phone".into(), answer)],
                ..Default::default()
            };
            let result = validate_document_with(&model, &mut built, &mut &answers);
            (result.map_err(|e| e.message()), built.trace)
        };
        let (admin, _) = validate(doc! {"role": "admin"}, true);
        assert_eq!(
            admin.unwrap_err(),
            "User validation failed: phone: Admins need a phone, email: Path `email` is required."
        );
        let (user, trace) = validate(doc! {"role": "user"}, false);
        assert!(user.is_ok());
        assert!(!trace.iter().any(|step| matches!(step, TraceStep::Validator { .. })), "unset paths are not validated");
        let (short, _) = validate(doc! {"role": "user", "phone": "1"}, false);
        assert_eq!(
            short.unwrap_err(),
            "User validation failed: phone: Path `phone` (`1`, length 1) is shorter than the minimum allowed length (5)."
        );
    }

    #[test]
    fn virtuals_given_to_a_document_are_not_stored_and_not_strict_errors() {
        // Mongoose 9.12.1: `new M({ id: 'x', first: 'q' })` with `strict: 'throw'` → `{ first: 'q', _id }` (the
        // `id` virtual has no setter); a declared virtual without a setter is ignored the same way.
        let mut model = user_model(doc! {"first": "String"}, doc! {"strict": "throw"});
        model.schema.virtuals.push("label".into());
        let created = create(&model, doc! {"id": "x", "label": "y", "first": "q"}).unwrap();
        assert_eq!(created.document.keys().collect::<Vec<_>>(), ["first", "_id", "__v"]);
        let unknown = create(&model, doc! {"other": 1}).unwrap_err();
        assert_eq!(unknown.message(), "Field `other` is not in schema and strict mode is set to throw.");
    }
}
