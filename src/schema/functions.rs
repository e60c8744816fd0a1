//! Functions a schema definition holds (`validate: v => …`, `default: () => …`, `get`/`set`): the schema layer
//! never runs a program's code. The runtime turns each function into a marker (`crudlab:function:N`) before the
//! definition reaches this layer, asks which functions a write needs (the function defaults of absent paths, the
//! custom validators with their cast values), calls them in its interpreter, and hands the results back as
//! [`FunctionResults`], which the builder and the validators read.
//!
//! `set` functions sit inside a path's setter chain, between `trim`/`lowercase`/`uppercase` in declaration order
//! (Mongoose pushes every one onto `schemaType.setters` and applies them last to first), so the runtime cannot run
//! them before the schema layer. Instead a cast runs twice: first under [`collect_setter_calls`], which records
//! each `set` function the chain reaches with the value it would get (and passes the value on unchanged), then,
//! once the runtime called them, under [`with_setter_answers`], where the chain reads each function's answer.
//! Outside both (a `save()` of a document whose setters already ran) a `set` function is skipped.
//!
//! For `new Model()` the runtime needs each `set` function's `this` too: the document (or subdocument) as
//! Mongoose's `_doc` holds it when the setter runs. [`observe_setter_calls`] runs the build with the answers known
//! so far while the builder keeps that `_doc` beside its output and publishes it before each cast; the runtime
//! calls the recorded functions in order and builds again only when an answer that changed its value shows in a
//! later call's `this` or value.

use super::definition::{FieldType, Schema, SchemaNode};
use bson::{Bson, Document};

const MARKER: &str = "crudlab:function:";

/// The marker the runtime puts where a definition has a function.
pub fn function_marker(id: usize) -> Bson {
    Bson::JavaScriptCode(format!("{MARKER}{id}"))
}

/// The function a marker stands for.
pub fn function_id(value: &Bson) -> Option<usize> {
    match value {
        Bson::JavaScriptCode(code) => code.strip_prefix(MARKER)?.parse().ok(),
        _ => None,
    }
}

/// The same value with every function marker moved up by `offset`: a schema used inside another brings its
/// functions along, numbered after the ones the outer definition already holds.
pub fn shift_function_markers(value: &Bson, offset: usize) -> Bson {
    match value {
        Bson::Document(doc) => {
            Bson::Document(doc.iter().map(|(k, v)| (k.clone(), shift_function_markers(v, offset))).collect())
        }
        Bson::Array(items) => Bson::Array(items.iter().map(|v| shift_function_markers(v, offset)).collect()),
        other => match function_id(other) {
            Some(id) => function_marker(id + offset),
            None => other.clone(),
        },
    }
}

/// What a custom validator said about a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed,
    /// `message` is the validator's message already made (a message function's result), or a template the
    /// validation formats (an error thrown inside the validator: its `message`); `None` uses the path's message.
    Failed {
        message: Option<String>,
        templated: bool,
    },
}

/// One custom validator the validation met: its path, function and the (cast) value it checks.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatorCall {
    pub path: String,
    pub function: usize,
    pub value: Bson,
}

/// The answers of `set` functions, in the order the cast reached them.
pub type SetterAnswers = Vec<(SetterCall, Bson)>;

/// Where validation gets custom validators' verdicts.
pub trait CustomValidators {
    fn verdict(&mut self, path: &str, function: usize, value: &Bson) -> Verdict;

    /// What a `required` function answered for a path (`None`: it was not called; the path is then treated as
    /// required).
    fn required(&mut self, _path: &str, _function: usize) -> Option<bool> {
        None
    }

    /// The message of the error a `required` function threw for a path (Mongoose's `_getPathsToValidate` catches
    /// it and `invalidate`s the path with the error itself).
    fn required_error(&mut self, _path: &str) -> Option<String> {
        None
    }
}

/// No program functions: every custom validator passes (update validators, or a definition without functions).
pub struct NoFunctions;

impl CustomValidators for NoFunctions {
    fn verdict(&mut self, _: &str, _: usize, _: &Bson) -> Verdict {
        Verdict::Passed
    }
}

/// A first validation pass that only records which custom validators run on which values (with the answers of
/// the `required` functions already known, so the paths they leave out are left out here too).
#[derive(Default)]
pub struct CollectCalls {
    pub calls: Vec<ValidatorCall>,
    pub required: Vec<(String, bool)>,
}

impl CustomValidators for CollectCalls {
    fn verdict(&mut self, path: &str, function: usize, value: &Bson) -> Verdict {
        self.calls.push(ValidatorCall { path: path.to_string(), function, value: value.clone() });
        Verdict::Passed
    }

    fn required(&mut self, path: &str, _function: usize) -> Option<bool> {
        self.required.iter().find(|(p, _)| p == path).map(|(_, answer)| *answer)
    }
}

/// One `set` function a cast reached: the path (as the trace names it, `tags.0` for an element), the function and
/// the value the chain hands it (after the built-in setters declared after it).
#[derive(Debug, Clone, PartialEq)]
pub struct SetterCall {
    pub path: String,
    pub function: usize,
    pub value: Bson,
}

enum SetterMode {
    Collect(Vec<SetterCall>),
    Answer(Vec<(SetterCall, Bson)>),
    Observe(Box<Observation>),
}

/// What a `set` function's `this` is while `new Model()` builds the document: the document (or the subdocument
/// holding the path) as Mongoose's `_doc` holds it at that moment — `$__buildDoc`'s nested objects, the defaults
/// applied before setters, the paths the constructor's `$set` already set in schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct SetterThis {
    pub document: Document,
    /// True for the document itself, false for a subdocument (single nested or an array element).
    pub root: bool,
    /// Each object being built around the call, outermost first, with the path cast in it then: which earlier
    /// answers `document` shows and which values the call's value comes from.
    frames: Vec<(usize, usize)>,
    /// Whether the call is the setter of the path itself (not of an array element inside it).
    whole: bool,
    /// The key prefix of the object `document` is (`""` the document, `items.1.` an element, `box.`): where what
    /// the function assigns to `this` goes.
    pub prefix: String,
    /// The objects being built around `document`, outermost (the document) first: a subdocument's `parent()`
    /// and `ownerDocument()`.
    pub outer: Vec<Document>,
}

impl SetterThis {
    /// What the builder publishes before it casts a path with a `set` function (`frames` as in the struct; `key`
    /// the path's key, `relative` its path inside the object being built).
    pub(crate) fn new(
        document: Document,
        frames: Vec<(usize, usize)>,
        whole: bool,
        key: &str,
        relative: &str,
        outer: Vec<Document>,
    ) -> SetterThis {
        let prefix = key.strip_suffix(relative).unwrap_or_default().to_string();
        SetterThis { document, root: frames.len() <= 1, frames, whole, prefix, outer }
    }
}

/// A `set` function the constructor reaches, with its `this`.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedCall {
    pub call: SetterCall,
    pub this: SetterThis,
}

impl ObservedCall {
    /// Whether an earlier call's answer shows in this call's `this` or flows into its value: then, if that answer
    /// changed its value, this call must be observed again with the answer applied. A path's answer shows in the
    /// objects it belongs to once its cast is over (a later path of the same object, or the document after a
    /// subdocument's path); an array path's or subdocument's own setter hands its answer to every setter inside it.
    pub fn depends_on(&self, earlier: &ObservedCall) -> bool {
        let depth = self.this.frames.len().saturating_sub(1);
        let shows = match (earlier.this.frames.get(depth), self.this.frames.get(depth)) {
            (Some((frame, slot)), Some((own_frame, own_slot))) => frame == own_frame && slot != own_slot,
            _ => false,
        };
        let earlier_depth = earlier.this.frames.len().saturating_sub(1);
        let inside = earlier.this.frames.get(earlier_depth).is_some()
            && self.this.frames.get(earlier_depth) == earlier.this.frames.get(earlier_depth)
            && (earlier.this.whole || self.call.path.starts_with(&format!("{}.", earlier.call.path)));
        shows || inside
    }
}

/// What a build under [`observe_setter_calls`] met.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// The `set` functions without a known answer, in the order the build reached them.
    pub calls: Vec<ObservedCall>,
    /// The document as it stood once the constructor's `$set` had set every path of the schema (before the keys
    /// outside it and the defaults applied after setters): the `this` of the virtuals' setters, which
    /// `schema.tree` holds after the paths.
    pub virtual_this: Option<Document>,
    /// Each object built (by key prefix: `""` for the document, `box.` for a subdocument) as it stood when its
    /// constructor's `$set` was over, in the order they got there: the `this` of its default functions, which
    /// Mongoose applies after setters.
    pub defaults_this: Vec<(String, Document)>,
    /// The paths whose default function the build reached without a value (absent, or given a value that failed
    /// to cast), with the function: the ones the runtime calls.
    pub pending_defaults: Vec<(String, usize)>,
    known: Vec<(SetterCall, Bson)>,
    this: Option<SetterThis>,
    muted: bool,
}

thread_local! {
    static SETTERS: std::cell::RefCell<Vec<SetterMode>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `cast` recording the `set` functions it reaches (each gets its value back unchanged).
pub fn collect_setter_calls<R>(cast: impl FnOnce() -> R) -> (R, Vec<SetterCall>) {
    SETTERS.with(|modes| modes.borrow_mut().push(SetterMode::Collect(Vec::new())));
    let result = cast();
    let calls = SETTERS.with(|modes| match modes.borrow_mut().pop() {
        Some(SetterMode::Collect(calls)) => calls,
        _ => Vec::new(),
    });
    (result, calls)
}

/// Runs `cast` with the answers the runtime computed for the `set` functions (a call with no answer keeps its
/// value).
pub fn with_setter_answers<R>(answers: &[(SetterCall, Bson)], cast: impl FnOnce() -> R) -> R {
    if answers.is_empty() {
        return cast();
    }
    SETTERS.with(|modes| modes.borrow_mut().push(SetterMode::Answer(answers.to_vec())));
    let result = cast();
    SETTERS.with(|modes| modes.borrow_mut().pop());
    result
}

/// Runs the build `new Model()` makes (`build`) with the answers already `known`, recording each other `set`
/// function it reaches with its `this` (and handing the value on unchanged), as the builder publishes it
/// ([`observing`], [`publish_this`]): the runtime calls the first of them with that `this`, then builds again
/// with its answer when a later call depends on it ([`ObservedCall::depends_on`]).
pub fn observe_setter_calls<R>(known: &[(SetterCall, Bson)], build: impl FnOnce() -> R) -> (R, Observation) {
    let observation = Observation { known: known.to_vec(), ..Observation::default() };
    SETTERS.with(|modes| modes.borrow_mut().push(SetterMode::Observe(Box::new(observation))));
    let result = build();
    let observation = SETTERS.with(|modes| match modes.borrow_mut().pop() {
        Some(SetterMode::Observe(observation)) => *observation,
        _ => Observation::default(),
    });
    (result, observation)
}

/// Whether the current cast is observed (the builder then keeps Mongoose's `_doc` as it evolves).
pub(crate) fn observing() -> bool {
    SETTERS.with(|modes| modes.try_borrow().is_ok_and(|modes| matches!(modes.last(), Some(SetterMode::Observe(_)))))
}

fn with_observation(change: impl FnOnce(&mut Observation)) {
    SETTERS.with(|modes| {
        if let Ok(mut modes) = modes.try_borrow_mut() {
            if let Some(SetterMode::Observe(observation)) = modes.last_mut() {
                change(observation);
            }
        }
    });
}

/// The `this` of the `set` functions the cast about to run reaches.
pub(crate) fn publish_this(this: SetterThis) {
    with_observation(|observation| observation.this = Some(this));
}

/// The `this` of the virtuals' setters (see [`Observation::virtual_this`]).
pub(crate) fn publish_virtual_this(document: Document) {
    with_observation(|observation| observation.virtual_this = Some(document));
}

/// The `this` of the default functions of the object at `prefix` (see [`Observation::defaults_this`]).
pub(crate) fn publish_defaults_this(prefix: &str, document: Document) {
    with_observation(|observation| observation.defaults_this.push((prefix.to_string(), document)));
}

/// A default function the build reached without its value (see [`Observation::pending_defaults`]).
pub(crate) fn publish_pending_default(path: &str, function: usize) {
    with_observation(|observation| observation.pending_defaults.push((path.to_string(), function)));
}

thread_local! {
    static DEFAULT_ANSWERS: std::cell::RefCell<Vec<Document>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `cast` with the values the runtime computed for default functions, by key path (`items.0.code`): an
/// update's casts build subdocuments (a `$push`ed element, a `$set` subdocument) whose constructors apply their
/// default functions, which the cast itself cannot call.
pub fn with_default_answers<R>(defaults: &Document, cast: impl FnOnce() -> R) -> R {
    if defaults.is_empty() {
        return cast();
    }
    DEFAULT_ANSWERS.with(|answers| answers.borrow_mut().push(defaults.clone()));
    let result = cast();
    DEFAULT_ANSWERS.with(|answers| answers.borrow_mut().pop());
    result
}

/// The value the runtime computed for the default function at `key` (see [`with_default_answers`]).
pub(crate) fn default_answer(key: &str) -> Option<Bson> {
    DEFAULT_ANSWERS.with(|answers| answers.try_borrow().ok()?.last()?.get(key).cloned())
}

/// While muted, an observed cast records no call: a default the constructor applied before setters, met again
/// where the builder fills the path (Mongoose ran its setters once, before the input was set).
pub(crate) fn mute_observation(muted: bool) {
    with_observation(|observation| observation.muted = muted);
}

/// What the `set` function `function` makes of `value` at `path`: `None` when no cast is collecting or answering
/// (the function is skipped). Each answer is used once, in the order the calls were collected.
pub(crate) fn setter_value(path: &str, function: usize, value: &Bson) -> Option<Bson> {
    let answered = |answers: &mut Vec<(SetterCall, Bson)>| {
        let position = answers
            .iter()
            .position(|(call, _)| call.path == path && call.function == function && &call.value == value)?;
        Some(answers.remove(position).1)
    };
    SETTERS.with(|modes| {
        let mut modes = modes.try_borrow_mut().ok()?;
        match modes.last_mut()? {
            SetterMode::Collect(calls) => {
                calls.push(SetterCall { path: path.to_string(), function, value: value.clone() });
                Some(value.clone())
            }
            SetterMode::Answer(answers) => answered(answers),
            SetterMode::Observe(observation) => {
                if observation.muted {
                    return Some(value.clone());
                }
                if let Some(answer) = answered(&mut observation.known) {
                    return Some(answer);
                }
                if let Some(this) = observation.this.clone() {
                    let call = SetterCall { path: path.to_string(), function, value: value.clone() };
                    observation.calls.push(ObservedCall { call, this });
                }
                Some(value.clone())
            }
        }
    })
}

/// The results of a write's functions, computed by the runtime.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionResults {
    /// Values of function defaults, by dotted path.
    pub defaults: Document,
    /// Verdicts of custom validators, in the order they were asked for.
    pub verdicts: Vec<(ValidatorCall, Verdict)>,
    /// What each `required` function answered (truthy or not), by dotted path.
    pub required: Vec<(String, bool)>,
    /// What each `set` function the cast reaches returned, in the order the cast reaches them.
    pub setters: Vec<(SetterCall, Bson)>,
    /// The messages of the errors `required` functions threw, by path.
    pub required_errors: Vec<(String, String)>,
}

impl CustomValidators for &FunctionResults {
    fn verdict(&mut self, path: &str, function: usize, value: &Bson) -> Verdict {
        self.verdicts
            .iter()
            .find(|(call, _)| call.path == path && call.function == function && &call.value == value)
            .map(|(_, verdict)| verdict.clone())
            .unwrap_or(Verdict::Passed)
    }

    fn required(&mut self, path: &str, _function: usize) -> Option<bool> {
        self.required.iter().find(|(p, _)| p == path).map(|(_, answer)| *answer)
    }

    fn required_error(&mut self, path: &str) -> Option<String> {
        self.required_errors.iter().find(|(p, _)| p == path).map(|(_, message)| message.clone())
    }
}

impl FunctionResults {
    pub fn is_empty(&self) -> bool {
        self.defaults.is_empty()
            && self.verdicts.is_empty()
            && self.required.is_empty()
            && self.setters.is_empty()
            && self.required_errors.is_empty()
    }

    /// As data, to travel inside a model call's arguments.
    pub fn to_bson(&self) -> Bson {
        let verdicts: Vec<Bson> = self
            .verdicts
            .iter()
            .map(|(call, verdict)| {
                let mut entry =
                    bson::doc! { "path": &call.path, "function": call.function as i64, "value": call.value.clone() };
                if let Verdict::Failed { message, templated } = verdict {
                    entry.insert("failed", true);
                    entry.insert("templated", *templated);
                    if let Some(message) = message {
                        entry.insert("message", message.clone());
                    }
                }
                Bson::Document(entry)
            })
            .collect();
        let required: Document =
            self.required.iter().map(|(path, answer)| (path.clone(), Bson::Boolean(*answer))).collect();
        let setters: Vec<Bson> = self
            .setters
            .iter()
            .map(|(call, after)| {
                Bson::Document(bson::doc! {
                    "path": &call.path, "function": call.function as i64, "value": call.value.clone(), "after": after.clone(),
                })
            })
            .collect();
        Bson::Document(bson::doc! {
            "defaults": self.defaults.clone(), "verdicts": verdicts, "required": required, "setters": setters,
            "requiredErrors": self.required_errors.iter().map(|(path, message)| (path.clone(), Bson::String(message.clone()))).collect::<Document>(),
        })
    }

    pub fn from_bson(value: Option<&Bson>) -> FunctionResults {
        let Some(Bson::Document(doc)) = value else { return FunctionResults::default() };
        let defaults = doc.get_document("defaults").cloned().unwrap_or_default();
        let verdicts = doc
            .get_array("verdicts")
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let item = item.as_document()?;
                        let call = ValidatorCall {
                            path: item.get_str("path").ok()?.to_string(),
                            function: usize::try_from(item.get_i64("function").ok()?).ok()?,
                            value: item.get("value").cloned().unwrap_or(Bson::Undefined),
                        };
                        let verdict = if item.get_bool("failed").unwrap_or(false) {
                            Verdict::Failed {
                                message: item.get_str("message").ok().map(str::to_string),
                                templated: item.get_bool("templated").unwrap_or(true),
                            }
                        } else {
                            Verdict::Passed
                        };
                        Some((call, verdict))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let required = doc
            .get_document("required")
            .map(|answers| answers.iter().map(|(path, answer)| (path.clone(), crate::js::truthy(answer))).collect())
            .unwrap_or_default();
        let setters = doc
            .get_array("setters")
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        let item = item.as_document()?;
                        let call = SetterCall {
                            path: item.get_str("path").ok()?.to_string(),
                            function: usize::try_from(item.get_i64("function").ok()?).ok()?,
                            value: item.get("value").cloned().unwrap_or(Bson::Undefined),
                        };
                        Some((call, item.get("after").cloned().unwrap_or(Bson::Undefined)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let required_errors = doc
            .get_document("requiredErrors")
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|(path, message)| Some((path.clone(), message.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        FunctionResults { defaults, verdicts, required, setters, required_errors }
    }
}

/// The paths whose default is a function of the program, with the function (outside arrays; dotted for nested
/// paths), in schema order.
pub fn function_defaults(schema: &Schema) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    collect_defaults(&schema.tree, "", &mut out);
    out
}

fn collect_defaults(tree: &[(String, SchemaNode)], prefix: &str, out: &mut Vec<(String, usize)>) {
    for (name, node) in tree {
        let path = format!("{prefix}{name}");
        match node {
            SchemaNode::Path(def) => {
                if let Some(id) = def.default.as_ref().and_then(function_id) {
                    out.push((path.clone(), id));
                }
                if let FieldType::Subdocument(sub) = &def.field_type {
                    collect_defaults(&sub.tree, &format!("{path}."), out);
                }
            }
            SchemaNode::Nested(children) => collect_defaults(children, &format!("{path}."), out),
        }
    }
}

/// Whether any path has a default function of the program, inside subdocuments and the elements of document
/// arrays too (each element applies its schema's defaults when it is built).
pub fn has_function_defaults(schema: &Schema) -> bool {
    has_defaults_in(&schema.tree, 0)
}

fn has_defaults_in(tree: &[(String, SchemaNode)], depth: usize) -> bool {
    if depth > super::definition::MAX_DEFINITION_DEPTH * 4 {
        return false;
    }
    tree.iter().any(|(_, node)| match node {
        SchemaNode::Path(def) => {
            def.default.as_ref().and_then(function_id).is_some()
                || match &def.field_type {
                    FieldType::Subdocument(sub) | FieldType::DocumentArray(sub) => {
                        has_defaults_in(&sub.tree, depth + 1)
                    }
                    _ => false,
                }
        }
        SchemaNode::Nested(children) => has_defaults_in(children, depth + 1),
    })
}

/// The default functions of one object the builder builds, named by its key prefix (`""` the document, `box.` a
/// single nested subdocument, `items.0.` an element of a document array): its own paths and those of its nested
/// objects (not of the subdocuments inside it, which are objects of their own), with full keys, in schema order —
/// the order `applyDefaults` walks `schema.paths` in. Empty when the prefix names no subdocument of the schema.
pub fn object_default_functions(schema: &Schema, prefix: &str) -> Vec<(String, usize)> {
    let mut tree = &schema.tree;
    let mut at_object = true;
    let mut segments = prefix.split('.').filter(|segment| !segment.is_empty());
    while let Some(segment) = segments.next() {
        let Some((_, node)) = tree.iter().find(|(name, _)| name == segment) else { return Vec::new() };
        match node {
            SchemaNode::Nested(children) => {
                tree = children;
                at_object = false;
            }
            SchemaNode::Path(def) => match &def.field_type {
                FieldType::Subdocument(sub) => {
                    tree = &sub.tree;
                    at_object = true;
                }
                FieldType::DocumentArray(sub) => {
                    if segments.next().is_none_or(|index| index.parse::<usize>().is_err()) {
                        return Vec::new();
                    }
                    tree = &sub.tree;
                    at_object = true;
                }
                _ => return Vec::new(),
            },
        }
    }
    let mut out = Vec::new();
    if at_object {
        collect_own_defaults(tree, prefix, &mut out);
    }
    out
}

fn collect_own_defaults(tree: &[(String, SchemaNode)], prefix: &str, out: &mut Vec<(String, usize)>) {
    for (name, node) in tree {
        match node {
            SchemaNode::Path(def) => {
                if let Some(id) = def.default.as_ref().and_then(function_id) {
                    out.push((format!("{prefix}{name}"), id));
                }
            }
            SchemaNode::Nested(children) => collect_own_defaults(children, &format!("{prefix}{name}."), out),
        }
    }
}

/// The paths whose `required` is a function of the program, with the function: top-level paths and the paths of
/// nested objects (dotted), whose `this` is the document; in schema order.
pub fn required_functions(schema: &Schema) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    collect_required(&schema.tree, "", &mut out);
    out
}

fn collect_required(tree: &[(String, SchemaNode)], prefix: &str, out: &mut Vec<(String, usize)>) {
    for (name, node) in tree {
        let path = format!("{prefix}{name}");
        match node {
            SchemaNode::Path(def) => {
                for validator in &def.validators {
                    if let super::definition::Validator::Required { condition: Some(id), .. } = validator {
                        out.push((path.clone(), *id));
                    }
                }
            }
            SchemaNode::Nested(children) => collect_required(children, &format!("{path}."), out),
        }
    }
}

/// A `required` function validation will ask about: the path as validation names it (`many.1.y`), the function,
/// and where its `this` is: `None` for the document (top-level and nested paths), else the key path of the
/// subdocument holding the path (`one`, `many.1`), as Mongoose calls a subdocument's functions on the subdocument.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredCall {
    pub path: String,
    pub function: usize,
    pub this: Option<String>,
}

/// Every `required` function the validation of `doc` meets, subdocuments and arrays of subdocuments included
/// (one call per element), in schema order.
pub fn required_calls(schema: &Schema, doc: &Document) -> Vec<RequiredCall> {
    let mut out = Vec::new();
    collect_required_calls(&schema.tree, Some(doc), "", None, &mut out, 0);
    out
}

fn collect_required_calls(
    tree: &[(String, SchemaNode)],
    doc: Option<&Document>,
    prefix: &str,
    this: Option<&str>,
    out: &mut Vec<RequiredCall>,
    depth: usize,
) {
    if depth > 100 {
        return;
    }
    for (name, node) in tree {
        let path = format!("{prefix}{name}");
        let value = doc.and_then(|doc| doc.get(name));
        match node {
            SchemaNode::Path(def) => {
                for validator in &def.validators {
                    if let super::definition::Validator::Required { condition: Some(id), .. } = validator {
                        out.push(RequiredCall { path: path.clone(), function: *id, this: this.map(str::to_string) });
                    }
                }
                match (&def.field_type, value) {
                    (FieldType::Subdocument(sub), Some(Bson::Document(inner))) => {
                        collect_required_calls(&sub.tree, Some(inner), &format!("{path}."), Some(&path), out, depth + 1)
                    }
                    (FieldType::DocumentArray(sub), Some(Bson::Array(items))) => {
                        for (i, item) in items.iter().enumerate() {
                            let Bson::Document(inner) = item else { continue };
                            let element = format!("{path}.{i}");
                            collect_required_calls(
                                &sub.tree,
                                Some(inner),
                                &format!("{element}."),
                                Some(&element),
                                out,
                                depth + 1,
                            );
                        }
                    }
                    _ => {}
                }
            }
            SchemaNode::Nested(children) => {
                let inner = value.and_then(Bson::as_document);
                collect_required_calls(children, inner, &format!("{path}."), this, out, depth + 1)
            }
        }
    }
}

/// The `get` and `set` functions of a top-level or nested path (`profile.city`).
pub fn path_accessors(schema: &Schema, path: &str) -> (Option<usize>, Option<usize>) {
    let mut tree = &schema.tree;
    let parts: Vec<&str> = path.split('.').collect();
    for (index, part) in parts.iter().enumerate() {
        let Some((_, node)) = tree.iter().find(|(name, _)| name == part) else { return (None, None) };
        match node {
            SchemaNode::Path(def) if index + 1 == parts.len() => return (def.getter, def.setter),
            SchemaNode::Path(def) => match &def.field_type {
                FieldType::Subdocument(sub) => tree = &sub.tree,
                _ => return (None, None),
            },
            SchemaNode::Nested(children) => tree = children,
        }
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn markers_round_trip_and_results_travel_as_data() {
        assert_eq!(function_id(&function_marker(7)), Some(7));
        assert_eq!(function_id(&Bson::JavaScriptCode("Date.now".into())), None);
        let results = FunctionResults {
            defaults: doc! {"code": "x1"},
            verdicts: vec![
                (
                    ValidatorCall { path: "email".into(), function: 1, value: Bson::String("a".into()) },
                    Verdict::Failed { message: Some("a is bad".into()), templated: false },
                ),
                (ValidatorCall { path: "age".into(), function: 2, value: Bson::Int32(3) }, Verdict::Passed),
            ],
            required: vec![("email".into(), false), ("profile.city".into(), true)],
            setters: vec![(
                SetterCall { path: "tags.0".into(), function: 3, value: Bson::String(" a ".into()) },
                Bson::String("A".into()),
            )],
            required_errors: vec![("email".into(), "boom".into())],
        };
        assert_eq!(FunctionResults::from_bson(Some(&results.to_bson())), results);
    }

    #[test]
    fn required_calls_reach_subdocuments_and_each_array_element_with_their_this() {
        let sub = doc! { "x": "String", "y": {"type": "String", "required": function_marker(1)} };
        let definition = doc! {
            "email": {"type": "String", "required": function_marker(0)},
            "one": {"type": sub.clone()},
            "many": [sub],
        };
        let schema = Schema::new(&definition, &Document::new()).unwrap();
        let input = doc! { "one": {"x": "a"}, "many": [{"x": "b"}, {"x": "c"}] };
        let calls: Vec<(String, Option<String>)> =
            required_calls(&schema, &input).into_iter().map(|call| (call.path, call.this)).collect();
        assert_eq!(
            calls,
            vec![
                ("email".to_string(), None),
                ("one.y".to_string(), Some("one".to_string())),
                ("many.0.y".to_string(), Some("many.0".to_string())),
                ("many.1.y".to_string(), Some("many.1".to_string())),
            ]
        );
    }

    /// The observed calls of one build of `new Model(input)` with the answers `known`, as (path, `this`, root).
    fn observed(definition: Document, input: Document, known: &[(SetterCall, Bson)]) -> Vec<(String, Document, bool)> {
        let model = crate::schema::Model::new("Thing", Schema::new(&definition, &Document::new()).unwrap());
        let mut counter = 0u8;
        let mut ids = || {
            counter += 1;
            bson::oid::ObjectId::from_bytes([counter; 12])
        };
        let mut ctx = crate::schema::WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        let (_, observation) = observe_setter_calls(known, || {
            crate::schema::build_new_document(&model, &input, &mut ctx, &Document::new())
        });
        observation
            .calls
            .into_iter()
            .map(|observed| (observed.call.path, observed.this.document, observed.this.root))
            .collect()
    }

    fn oid(byte: u8) -> Bson {
        Bson::ObjectId(bson::oid::ObjectId::from_bytes([byte; 12]))
    }

    #[test]
    fn a_setter_sees_the_document_or_subdocument_being_built_as_mongoose_holds_it() {
        let item = doc! { "label": "String", "code": {"type": "String", "set": function_marker(1)}, "dflt": {"type": "String", "default": "D"} };
        let definition = doc! {
            "name": {"type": "String", "set": function_marker(0), "default": "DN"},
            "later": {"type": "String", "default": "L"},
            "box": {"type": item.clone()},
            "items": [item],
            "nested": { "a": "String", "b": {"type": "String", "set": function_marker(0)}, "c": {"type": "String", "default": "C"} },
        };
        let input = doc! { "nested": {"b": "nb", "a": "na"}, "items": [{"code": "c1", "label": "L1"}], "box": {"code": "bc", "label": "BL"}, "name": "N" };
        let calls = observed(definition, input, &[]);
        assert_eq!(
            calls,
            vec![
                // The defaults before setters go through their setters first, in schema order.
                ("name".to_string(), doc! { "nested": {} }, true),
                ("name".to_string(), doc! { "nested": {"c": "C"}, "name": "DN", "later": "L", "_id": oid(1) }, true),
                // A subdocument's setter sees the subdocument: its defaults and `_id`, then its paths in schema order.
                ("code".to_string(), doc! { "dflt": "D", "_id": oid(2), "label": "BL" }, false),
                ("code".to_string(), doc! { "dflt": "D", "_id": oid(3), "label": "L1" }, false),
                // A nested object the input gives replaces `$__buildDoc`'s one and goes last.
                (
                    "nested.b".to_string(),
                    doc! {
                        "name": "N", "later": "L", "_id": oid(1),
                        "box": {"label": "BL", "code": "bc", "dflt": "D", "_id": oid(2)},
                        "items": [{"label": "L1", "code": "c1", "dflt": "D", "_id": oid(3)}],
                        "nested": {"a": "na"},
                    },
                    true
                ),
            ]
        );
    }

    #[test]
    fn an_answer_shows_in_the_this_of_the_setters_after_it_and_only_those_are_observed_again() {
        let definition = doc! {
            "name": {"type": "String", "set": function_marker(0)},
            "tags": [{"type": "String", "set": function_marker(0)}],
            "tail": {"type": "String", "set": function_marker(0)},
        };
        let input = doc! { "name": "n", "tags": ["a", "b"], "tail": "t" };
        let model = crate::schema::Model::new("Thing", Schema::new(&definition, &Document::new()).unwrap());
        let mut ids = || bson::oid::ObjectId::from_bytes([1; 12]);
        let mut ctx = crate::schema::WriteContext { ids: &mut ids, now: bson::DateTime::from_millis(0) };
        let (_, first) =
            observe_setter_calls(&[], || crate::schema::build_new_document(&model, &input, &mut ctx, &Document::new()));
        let [name, tag_a, tag_b, tail] = first.calls.as_slice() else { panic!("{:?}", first.calls) };
        // `name` changing its value shows in the `this` of every later setter; an element's answer does not show
        // while its array is cast.
        assert!(tag_a.depends_on(name) && tail.depends_on(name));
        assert!(!tag_b.depends_on(tag_a) && tail.depends_on(tag_a));
        let known = vec![(name.call.clone(), Bson::String("N".into()))];
        let calls = observed(definition, input, &known);
        assert_eq!(
            calls.first().map(|(path, this, _)| (path.as_str(), this.get_str("name").ok())),
            Some(("tags.0", Some("N")))
        );
        assert_eq!(calls.len(), 3);
    }

    #[test]
    fn set_functions_are_listed_among_the_built_in_setters_in_declaration_order() {
        use super::super::trace::SetterKind;
        let definition = doc! {
            "a": {"type": "String", "set": function_marker(0), "trim": true},
            "b": {"trim": true, "type": "String", "set": function_marker(1)},
            "tags": [{"type": "String", "set": function_marker(2)}],
        };
        let schema = Schema::new(&definition, &Document::new()).unwrap();
        let setters = |path: &str| match schema.resolve(path) {
            super::super::definition::ResolvedPath::Path(def) => def.setters.clone(),
            _ => Vec::new(),
        };
        assert_eq!(setters("a"), vec![SetterKind::Function, SetterKind::Trim]);
        assert_eq!(setters("b"), vec![SetterKind::Trim, SetterKind::Function]);
        assert!(schema.has_setter_functions());
        assert!(!Schema::new(&doc! {"a": "String"}, &Document::new()).unwrap().has_setter_functions());
    }

    #[test]
    fn each_object_lists_its_own_default_functions_array_elements_included() {
        let line = doc! {
            "sku": "String",
            "code": {"type": "String", "default": function_marker(1)},
            "meta": {"at": {"type": "String", "default": function_marker(2)}},
            "box": {"type": {"x": {"type": "String", "default": function_marker(3)}}},
        };
        let definition = doc! { "title": {"type": "String", "default": function_marker(0)}, "lines": [line] };
        let schema = Schema::new(&definition, &Document::new()).unwrap();
        let own = |prefix: &str| object_default_functions(&schema, prefix);
        assert_eq!(own(""), vec![("title".to_string(), 0)]);
        // An element is an object of its own; its nested objects are its, its single nested subdocument is not.
        assert_eq!(own("lines.1."), vec![("lines.1.code".to_string(), 1), ("lines.1.meta.at".to_string(), 2)]);
        assert_eq!(own("lines.1.box."), vec![("lines.1.box.x".to_string(), 3)]);
        assert_eq!(own("lines."), Vec::new());
        assert_eq!(own("title."), Vec::new());
        assert!(has_function_defaults(&schema));
        let only_in_elements = doc! { "lines": [{"code": {"type": "String", "default": function_marker(0)}}] };
        let schema = Schema::new(&only_in_elements, &Document::new()).unwrap();
        assert!(function_defaults(&schema).is_empty() && has_function_defaults(&schema));
        assert!(!has_function_defaults(&Schema::new(&doc! {"lines": [{"n": "Number"}]}, &Document::new()).unwrap()));
    }

    #[test]
    fn function_defaults_and_accessors_are_found_by_path() {
        let definition = doc! {
            "code": {"type": "String", "default": function_marker(0)},
            "profile": {"city": {"type": "String", "get": function_marker(1), "set": function_marker(2)}},
        };
        let schema = Schema::new(&definition, &Document::new()).unwrap();
        assert_eq!(function_defaults(&schema), vec![("code".to_string(), 0)]);
        assert_eq!(path_accessors(&schema, "profile.city"), (Some(1), Some(2)));
        assert_eq!(path_accessors(&schema, "code"), (None, None));
    }
}
