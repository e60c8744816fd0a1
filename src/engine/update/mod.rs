//! MongoDB's update language: an update document is compiled once into a tree of per-path operations
//! (rejecting what the server rejects, with its messages), then applied atomically to documents.

mod array;
mod fields;
mod matcher;
mod path;
mod positional;
mod replacement;

use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::operators::OperatorDoc;
use array::ArrayOp;
use bson::{Bson, Document};
use fields::FieldOp;
use path::{compare_parts, describe_element, parse_index, Slot};
use positional::{ArrayFilter, Selector};

/// How the server prints values and documents inside messages, shared with the aggregation's errors.
pub(crate) use path::{describe, describe_document};
pub use replacement::upsert_seed;

/// What `apply` needs to know about the write it is part of.
#[derive(Debug, Clone, Copy)]
pub struct UpdateContext {
    /// The array index the query matched, for the `$` positional operator.
    pub positional: Option<usize>,
    /// True when the update is building a document for an upsert (then `$setOnInsert` applies).
    pub is_upsert_insert: bool,
    /// The clock for `$currentDate`.
    pub now: bson::DateTime,
}

/// A compiled update: either operators applied per path, or a whole replacement document.
#[derive(Debug, Clone)]
pub struct Update {
    kind: UpdateKind,
}

#[derive(Debug, Clone)]
enum UpdateKind {
    Operators(OperatorUpdate),
    Replacement(Document),
}

/// An operator update: the path tree plus what the server checks around it.
#[derive(Debug, Clone)]
struct OperatorUpdate {
    root: ObjectNode,
    filters: Vec<ArrayFilter>,
    /// The dotted paths that start at `_id`, to name in the immutable-field error.
    id_paths: Vec<String>,
}

/// A node of the update tree: the path below it continues through a document/array field, through every
/// selected array element, or ends in an operation.
#[derive(Debug, Clone)]
enum Node {
    Object(ObjectNode),
    Selected(SelectorNode),
    Leaf(Leaf),
}

/// Children reached by plain field names, array indexes or `$`.
#[derive(Debug, Clone, Default)]
struct ObjectNode {
    children: Vec<(String, Node)>,
}

/// Children reached through `$[]` or `$[<id>]`.
#[derive(Debug, Clone, Default)]
struct SelectorNode {
    children: Vec<(Selector, String, Node)>,
}

/// One operation at the end of a path.
#[derive(Debug, Clone)]
struct Leaf {
    /// The path as written in the update, for messages.
    path: String,
    op: LeafOp,
}

#[derive(Debug, Clone)]
enum LeafOp {
    Field(FieldOp),
    Array(ArrayOp),
}

/// Everything `apply` threads through the tree.
struct Env<'a> {
    ctx: &'a UpdateContext,
    /// The document as it was before this update (the source of `$rename`).
    original: &'a Document,
    filters: &'a [ArrayFilter],
    /// Set when an operation the server always counts as a modification ran (`$currentDate`, `$push`
    /// with `$sort`), even if the document ends up the same.
    always_modified: std::cell::Cell<bool>,
}

const FIELD_OPERATORS: &[&str] =
    &["$set", "$unset", "$inc", "$mul", "$min", "$max", "$rename", "$setOnInsert", "$currentDate"];
const ARRAY_OPERATORS: &[&str] = &["$push", "$addToSet", "$pop", "$pull", "$pullAll"];

const fn entry(
    name: &'static str,
    category: &'static str,
    summary: &'static str,
    example: &'static str,
) -> OperatorDoc {
    OperatorDoc { name, category, summary, example }
}

/// The update operators, modifiers and positional forms in the reference, grouped as MongoDB's manual
/// groups them (`update fields`, `update array`, `update modifier`); each example is an update document.
static UPDATE_OPERATORS: &[OperatorDoc] = &[
    entry("$set", "update fields", "Sets the value of a field, creating it (and missing parents) if needed.", r#"{"$set": {"city": "Paris"}}"#),
    entry("$unset", "update fields", "Removes a field; inside an array the element becomes null instead.", r#"{"$unset": {"city": ""}}"#),
    entry("$inc", "update fields", "Adds a number to a field; a missing field starts from 0.", r#"{"$inc": {"age": 1}}"#),
    entry("$mul", "update fields", "Multiplies a field by a number; a missing field becomes 0.", r#"{"$mul": {"age": 2}}"#),
    entry("$min", "update fields", "Sets the field only if the given value is smaller than the current one.", r#"{"$min": {"age": 18}}"#),
    entry("$max", "update fields", "Sets the field only if the given value is larger than the current one.", r#"{"$max": {"age": 30}}"#),
    entry("$rename", "update fields", "Moves a field's value to a new name.", r#"{"$rename": {"city": "town"}}"#),
    entry("$setOnInsert", "update fields", "Sets a field only when an upsert inserts a new document.", r#"{"$setOnInsert": {"plan": "free"}}"#),
    entry("$currentDate", "update fields", "Sets a field to the current date (or a timestamp).", r#"{"$currentDate": {"lastSeen": true}}"#),
    entry("$push", "update array", "Appends a value to an array, creating the array if the field is missing.", r#"{"$push": {"tags": "rust"}}"#),
    entry("$addToSet", "update array", "Appends values that are not already in the array.", r#"{"$addToSet": {"tags": "rust"}}"#),
    entry("$pop", "update array", "Removes the last (1) or first (-1) element of an array.", r#"{"$pop": {"tags": 1}}"#),
    entry("$pull", "update array", "Removes array elements equal to a value or matching a condition.", r#"{"$pull": {"purchasedCourses": {"$gte": 103}}}"#),
    entry("$pullAll", "update array", "Removes every array element equal to one of the listed values.", r#"{"$pullAll": {"tags": ["os", "lisp"]}}"#),
    entry("$", "update array", "In a path: the array element the query matched (the query must test that array).", r#"{"$inc": {"scores.$.score": 1}}"#),
    entry("$[]", "update array", "In a path: every element of the array.", r#"{"$inc": {"scores.$[].score": 1}}"#),
    entry("$[<identifier>]", "update array", "In a path: the elements passing the arrayFilter named by the identifier (here arrayFilters: [{\"s.score\": {\"$gte\": 80}}]).", r#"{"$set": {"scores.$[s].passed": true}}"#),
    entry("$each", "update modifier", "With $push or $addToSet: adds each element of the list instead of the list itself.", r#"{"$push": {"tags": {"$each": ["a", "b"]}}}"#),
    entry("$position", "update modifier", "With $push and $each: inserts at this index (negative counts from the end).", r#"{"$push": {"tags": {"$each": ["first"], "$position": 0}}}"#),
    entry("$slice", "update modifier", "With $push and $each: keeps only the first n (or last -n) elements afterwards.", r#"{"$push": {"tags": {"$each": ["new"], "$slice": -3}}}"#),
    entry("$sort", "update modifier", "With $push and $each: sorts the array afterwards, whole elements (1/-1) or by fields.", r#"{"$push": {"scores": {"$each": [], "$sort": {"score": -1}}}}"#),
];

/// Every update operator, modifier and positional form crudlab implements, for the UI's reference.
pub fn update_operators() -> &'static [OperatorDoc] {
    UPDATE_OPERATORS
}

/// The driver's error for an update whose first key is not an operator, and for a replacement with operators.
fn driver_invalid_argument(message: &str) -> MongoError {
    MongoError::new(ErrorCode::DriverInvalidArgument, message)
}

impl Update {
    /// Compiles either kind of update, deciding as the server does by the first key: `$...` means operators.
    pub fn compile(update: &Document, array_filters: &[Document]) -> MongoResult<Update> {
        match update.keys().next() {
            Some(first) if first.starts_with('$') => Self::compile_operators(update, array_filters),
            _ => Self::compile_replacement(update),
        }
    }

    /// Compiles the update of `updateOne`/`updateMany`, which must consist of update operators.
    pub fn compile_operators(update: &Document, array_filters: &[Document]) -> MongoResult<Update> {
        match update.keys().next() {
            Some(first) if first.starts_with('$') => {}
            _ => return Err(driver_invalid_argument("Update document requires atomic operators")),
        }
        let filters = positional::compile_array_filters(array_filters)?;
        let mut used = vec![false; filters.len()];
        let mut root = ObjectNode::default();
        let mut id_paths = Vec::new();
        for (op, arg) in update {
            let known = FIELD_OPERATORS.contains(&op.as_str()) || ARRAY_OPERATORS.contains(&op.as_str());
            if !known {
                return Err(MongoError::failed_to_parse(format!(
                    "Unknown modifier: {op}. Expected a valid update modifier or pipeline-style update specified as an array"
                )));
            }
            let Bson::Document(fields) = arg else {
                return Err(MongoError::failed_to_parse(format!(
                    "Modifiers operate on fields but we found type {} instead. For example: {{$mod: {{<field>: ...}}}} not {{{}}}",
                    crate::engine::value::type_name(arg),
                    describe_element(op, arg)
                )));
            };
            // Since MongoDB 5.0 an empty operand (`{$set: {}}`) is accepted and changes nothing.
            for (field, value) in fields {
                // The server checks each path, then the operator's argument, then merges the path into
                // the tree; `$rename` reserves its source path before looking at the destination.
                let parts = checked_path(field)?;
                if op == "$rename" {
                    let source = Leaf { path: field.clone(), op: LeafOp::Field(FieldOp::RenameFrom) };
                    root.add(&parts, source, &filters, &mut used, &mut id_paths)?;
                    let Bson::String(to) = value else {
                        return Err(MongoError::bad_value(format!(
                            "The 'to' field for $rename must be a string: {}",
                            describe_element(field, value)
                        )));
                    };
                    let to_parts = checked_path(to)?;
                    fields::check_rename(field, &parts, to, &to_parts)?;
                    let destination = Leaf {
                        path: to.clone(),
                        op: LeafOp::Field(FieldOp::RenameTo { from: parts, from_dotted: field.clone() }),
                    };
                    root.add(&to_parts, destination, &filters, &mut used, &mut id_paths)?;
                    continue;
                }
                let op = if FIELD_OPERATORS.contains(&op.as_str()) {
                    LeafOp::Field(fields::parse(op, field, value)?)
                } else {
                    LeafOp::Array(array::parse(op, field, value)?)
                };
                let leaf = Leaf { path: field.clone(), op };
                root.add(&parts, leaf, &filters, &mut used, &mut id_paths)?;
            }
        }
        if let Some(unused) = filters.iter().zip(&used).find_map(|(filter, used)| (!used).then_some(filter)) {
            return Err(positional::unused_filter_error(&unused.identifier, update));
        }
        Ok(Update { kind: UpdateKind::Operators(OperatorUpdate { root, filters, id_paths }) })
    }

    /// Compiles the replacement document of `replaceOne`, which must not contain update operators.
    pub fn compile_replacement(replacement: &Document) -> MongoResult<Update> {
        // Like the driver, only the first key decides; later `$` keys are the server's storage error.
        if replacement.keys().next().is_some_and(|k| k.starts_with('$')) {
            return Err(driver_invalid_argument("Replacement document must not contain atomic operators"));
        }
        replacement::check_replacement(replacement)?;
        Ok(Update { kind: UpdateKind::Replacement(replacement.clone()) })
    }

    /// True for a replacement document rather than operators.
    pub fn is_replacement(&self) -> bool {
        matches!(self.kind, UpdateKind::Replacement(_))
    }

    /// True when some operator path starts at `_id` (or a replacement carries an `_id`).
    pub fn touches_id(&self) -> bool {
        match &self.kind {
            UpdateKind::Operators(ops) => !ops.id_paths.is_empty(),
            UpdateKind::Replacement(doc) => doc.contains_key("_id"),
        }
    }

    /// Applies the update. Returns whether the document changed (an equal `$set` is not a change).
    /// On error the document is left exactly as it was.
    pub fn apply(&self, doc: &mut Document, ctx: &UpdateContext) -> MongoResult<bool> {
        match self.updated(doc, ctx)? {
            Some(updated) => {
                *doc = updated;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The document after the update, or `None` when the update does not change it (an equal `$set`); `doc` is
    /// only read, so a stored document is updated without being copied first (the update builds the new one).
    pub fn updated(&self, doc: &Document, ctx: &UpdateContext) -> MongoResult<Option<Document>> {
        let (updated, always_modified) = match &self.kind {
            UpdateKind::Replacement(replacement) => (replacement::replace(doc, replacement)?, false),
            UpdateKind::Operators(ops) => ops.apply(doc, ctx)?,
        };
        let changed = always_modified || !path::documents_identical(doc, &updated);
        Ok(changed.then_some(updated))
    }
}

/// Splits an update path and checks where positional parts may appear.
fn checked_path(dotted: &str) -> MongoResult<Vec<String>> {
    let parts = path::split_update_path(dotted)?;
    positional::check_positional_parts(&parts, dotted)?;
    Ok(parts)
}

fn conflict(path: &str, at: &str) -> MongoError {
    MongoError::conflicting_update_operators(format!("Updating the path '{path}' would create a conflict at '{at}'"))
}

impl ObjectNode {
    /// Adds a leaf at the root, remembering paths that start at `_id` for the immutable-field check.
    fn add(
        &mut self,
        parts: &[String],
        leaf: Leaf,
        filters: &[ArrayFilter],
        used: &mut [bool],
        id_paths: &mut Vec<String>,
    ) -> MongoResult<()> {
        let dotted = leaf.path.clone();
        if parts.first().map(String::as_str) == Some("_id") {
            id_paths.push(dotted.clone());
        }
        self.merge(parts, 0, leaf, &dotted, filters, used)
    }

    fn child_index(&self, key: &str) -> Option<usize> {
        self.children.iter().position(|(k, _)| k == key)
    }

    /// Adds a leaf at `parts[depth..]`, creating intermediate nodes, rejecting paths that overlap.
    fn merge(
        &mut self,
        parts: &[String],
        depth: usize,
        leaf: Leaf,
        dotted: &str,
        filters: &[ArrayFilter],
        used: &mut [bool],
    ) -> MongoResult<()> {
        let Some(part) = parts.get(depth) else {
            return Err(conflict(dotted, dotted));
        };
        let here = || parts.get(..=depth).map(|p| p.join(".")).unwrap_or_default();
        let is_last = depth + 1 == parts.len();
        let index = match self.child_index(part) {
            Some(_) if is_last => return Err(conflict(dotted, dotted)),
            Some(index) => index,
            None if is_last => {
                self.children.push((part.clone(), Node::Leaf(leaf)));
                return Ok(());
            }
            None => {
                let next_is_selector = parts.get(depth + 1).is_some_and(|p| p.starts_with("$[") && p.ends_with(']'));
                let node = if next_is_selector {
                    Node::Selected(SelectorNode::default())
                } else {
                    Node::Object(ObjectNode::default())
                };
                self.children.push((part.clone(), node));
                self.children.len() - 1
            }
        };
        let Some((_, child)) = self.children.get_mut(index) else {
            return Err(conflict(dotted, &here()));
        };
        child.merge_below(parts, depth + 1, leaf, dotted, filters, used, &here())
    }
}

impl Node {
    /// Continues a merge at `parts[depth..]` inside this node (which sits at path `here`).
    #[allow(clippy::too_many_arguments)]
    fn merge_below(
        &mut self,
        parts: &[String],
        depth: usize,
        leaf: Leaf,
        dotted: &str,
        filters: &[ArrayFilter],
        used: &mut [bool],
        here: &str,
    ) -> MongoResult<()> {
        let next_is_selector = parts.get(depth).is_some_and(|p| p.starts_with("$[") && p.ends_with(']'));
        match self {
            Node::Object(object) if !next_is_selector => object.merge(parts, depth, leaf, dotted, filters, used),
            Node::Selected(selected) if next_is_selector => selected.merge(parts, depth, leaf, dotted, filters, used),
            _ => Err(conflict(dotted, here)),
        }
    }
}

impl SelectorNode {
    fn merge(
        &mut self,
        parts: &[String],
        depth: usize,
        leaf: Leaf,
        dotted: &str,
        filters: &[ArrayFilter],
        used: &mut [bool],
    ) -> MongoResult<()> {
        let Some(part) = parts.get(depth) else {
            return Err(conflict(dotted, dotted));
        };
        let selector = positional::resolve_selector(part, dotted, filters, used)?;
        let here = parts.get(..=depth).map(|p| p.join(".")).unwrap_or_default();
        let is_last = depth + 1 == parts.len();
        let existing = self.children.iter().position(|(_, key, _)| key == part);
        match existing {
            Some(_) if is_last => Err(conflict(dotted, dotted)),
            Some(index) => match self.children.get_mut(index) {
                Some((_, _, child)) => child.merge_below(parts, depth + 1, leaf, dotted, filters, used, &here),
                None => Err(conflict(dotted, &here)),
            },
            None if is_last => {
                self.children.push((selector, part.clone(), Node::Leaf(leaf)));
                Ok(())
            }
            None => {
                let next_is_selector = parts.get(depth + 1).is_some_and(|p| p.starts_with("$[") && p.ends_with(']'));
                let mut node = if next_is_selector {
                    Node::Selected(SelectorNode::default())
                } else {
                    Node::Object(ObjectNode::default())
                };
                node.merge_below(parts, depth + 1, leaf, dotted, filters, used, &here)?;
                self.children.push((selector, part.clone(), node));
                Ok(())
            }
        }
    }
}

impl OperatorUpdate {
    /// The updated document, and whether an always-modifying operation ran.
    fn apply(&self, doc: &Document, ctx: &UpdateContext) -> MongoResult<(Document, bool)> {
        let env = Env { ctx, original: doc, filters: &self.filters, always_modified: std::cell::Cell::new(false) };
        let mut updated = doc.clone();
        let mut taken = Vec::new();
        self.root.apply_to_document(&mut updated, &mut taken, false, &env)?;
        // Top-level `$` names may not be created or changed (nested ones may, since MongoDB 5.0).
        for (key, value) in &updated {
            let unchanged = doc.get(key).is_some_and(|old| path::identical(old, value));
            if key.starts_with('$') && !unchanged {
                return Err(replacement::dollar_prefixed_field(key));
            }
        }
        if let Some(old_id) = doc.get("_id") {
            let unchanged = updated.get("_id").is_some_and(|new_id| path::identical(old_id, new_id));
            if !unchanged {
                let path = self.id_paths.first().map(String::as_str).unwrap_or("_id");
                return Err(MongoError::immutable_field(format!(
                    "Performing an update on the path '{path}' would modify the immutable field '_id'"
                )));
            }
        }
        Ok((updated, env.always_modified.get()))
    }
}

impl ObjectNode {
    /// Children in the order MongoDB applies them, with `$` replaced by the matched index.
    fn ordered_children(&self, ctx: &UpdateContext, taken: &[String]) -> MongoResult<Vec<(String, &Node)>> {
        let mut ordered = Vec::with_capacity(self.children.len());
        for (key, node) in &self.children {
            let key = if key == "$" {
                ctx.positional.ok_or_else(positional::positional_not_found)?.to_string()
            } else {
                key.clone()
            };
            ordered.push((key, node));
        }
        // A stable sort keeps `$` and a same-numbered sibling in the order written; like the server, they
        // are applied together unless they touch the same path.
        ordered.sort_by(|(a, _), (b, _)| compare_parts(a, b));
        for pair in ordered.windows(2) {
            if let [(a, first), (b, second)] = pair {
                if a == b {
                    let mut at = taken.to_vec();
                    at.push(a.clone());
                    if let Some(clash) = first.overlap(second, &mut at) {
                        return Err(MongoError::conflicting_update_operators(format!(
                            "Update created a conflict at '{clash}'"
                        )));
                    }
                }
            }
        }
        Ok(ordered)
    }

    fn apply_to_document(
        &self,
        doc: &mut Document,
        taken: &mut Vec<String>,
        in_array: bool,
        env: &Env<'_>,
    ) -> MongoResult<()> {
        for (key, node) in self.ordered_children(env.ctx, taken)? {
            taken.push(key.clone());
            let result = node.apply_at(Slot::Field(doc, &key), taken, in_array, env);
            taken.pop();
            result?;
        }
        Ok(())
    }

    fn apply_to_array(
        &self,
        items: &mut Vec<Bson>,
        name: &str,
        taken: &mut Vec<String>,
        env: &Env<'_>,
    ) -> MongoResult<()> {
        for (key, node) in self.ordered_children(env.ctx, taken)? {
            match parse_index(&key) {
                Some(index) => {
                    taken.push(key.clone());
                    let result = node.apply_at(Slot::Element(items, index), taken, true, env);
                    taken.pop();
                    result?;
                }
                None => {
                    let element = describe_element(name, &Bson::Array(items.clone()));
                    node.check_viable(&key, &element, &[taken.as_slice(), std::slice::from_ref(&key)].concat(), env)?;
                }
            }
        }
        Ok(())
    }
}

impl Node {
    /// Where two nodes applied to the same value would write the same path (`at` is that value's path):
    /// any leaf clashes; object nodes clash where a child name is shared and those children clash.
    fn overlap(&self, other: &Node, at: &mut Vec<String>) -> Option<String> {
        match (self, other) {
            (Node::Object(x), Node::Object(y)) => x.children.iter().find_map(|(key, child)| {
                let (_, twin) = y.children.iter().find(|(k, _)| k == key)?;
                at.push(key.clone());
                let clash = child.overlap(twin, at);
                at.pop();
                clash
            }),
            _ => Some(at.join(".")),
        }
    }

    /// Applies this node to the value in `slot` (which may be missing).
    fn apply_at(&self, mut slot: Slot<'_>, taken: &mut Vec<String>, in_array: bool, env: &Env<'_>) -> MongoResult<()> {
        let name = taken.last().cloned().unwrap_or_default();
        match self {
            Node::Leaf(leaf) => leaf.apply(slot, taken, in_array, env),
            Node::Object(object) => match slot.get_mut() {
                Some(Bson::Document(inner)) => object.apply_to_document(inner, taken, in_array, env),
                Some(Bson::Array(items)) => object.apply_to_array(items, &name, taken, env),
                Some(scalar) => {
                    let element = describe_element(&name, scalar);
                    for (key, child) in object.ordered_children(env.ctx, taken)? {
                        child.check_viable(
                            &key,
                            &element,
                            &[taken.as_slice(), std::slice::from_ref(&key)].concat(),
                            env,
                        )?;
                    }
                    Ok(())
                }
                None => {
                    let mut created = Document::new();
                    object.apply_to_document(&mut created, taken, in_array, env)?;
                    if !created.is_empty() {
                        slot.put(Bson::Document(created))?;
                    }
                    Ok(())
                }
            },
            Node::Selected(selected) => {
                let dotted = taken.join(".");
                match slot.get_mut() {
                    Some(Bson::Array(items)) => selected.apply_to_array(items, taken, env),
                    Some(other) => Err(MongoError::bad_value(format!(
                        "Cannot apply array updates to non-array element {}",
                        describe_element(&name, other)
                    ))),
                    None => Err(MongoError::bad_value(format!(
                        "The path '{dotted}' must exist in the document in order to apply array updates."
                    ))),
                }
            }
        }
    }

    /// Called when the path continues below a scalar (or through an array by a field name) at part `key`:
    /// fails if some operation below would have to create or traverse it. `at` is this node's full path.
    fn check_viable(&self, key: &str, element: &str, at: &[String], env: &Env<'_>) -> MongoResult<()> {
        match self {
            Node::Leaf(leaf) => leaf.check_viable(key, element, at, env),
            Node::Object(object) => object.children.iter().try_for_each(|(child_key, child)| {
                let mut below = at.to_vec();
                below.push(child_key.clone());
                child.check_viable(key, element, &below, env)
            }),
            // Array updates need the array itself, whatever operations they hold.
            Node::Selected(_) => Err(MongoError::bad_value(format!(
                "The path '{}' must exist in the document in order to apply array updates.",
                at.join(".")
            ))),
        }
    }
}

impl SelectorNode {
    fn apply_to_array(&self, items: &mut Vec<Bson>, taken: &mut Vec<String>, env: &Env<'_>) -> MongoResult<()> {
        for index in 0..items.len() {
            let Some(item) = items.get(index) else {
                break;
            };
            let chosen: Vec<&Node> = self
                .children
                .iter()
                .filter(|(selector, _, _)| match selector {
                    Selector::All => true,
                    Selector::Filtered(i) => env.filters.get(*i).is_some_and(|f| f.matches(item)),
                })
                .map(|(_, _, node)| node)
                .collect();
            for (i, first) in chosen.iter().enumerate() {
                for second in chosen.iter().skip(i + 1) {
                    let mut at = taken.clone();
                    at.push(index.to_string());
                    if let Some(clash) = first.overlap(second, &mut at) {
                        return Err(MongoError::conflicting_update_operators(format!(
                            "Update created a conflict at '{clash}'"
                        )));
                    }
                }
            }
            for node in chosen {
                taken.push(index.to_string());
                let result = node.apply_at(Slot::Element(items, index), taken, true, env);
                taken.pop();
                result?;
            }
        }
        Ok(())
    }
}

impl Leaf {
    fn apply(&self, mut slot: Slot<'_>, taken: &[String], in_array: bool, env: &Env<'_>) -> MongoResult<()> {
        let ctx = env.ctx;
        let name = taken.last().cloned().unwrap_or_default();
        match &self.op {
            LeafOp::Field(FieldOp::SetOnInsert(_)) if !ctx.is_upsert_insert => Ok(()),
            LeafOp::Field(FieldOp::Unset | FieldOp::RenameFrom) => {
                slot.remove();
                Ok(())
            }
            LeafOp::Field(FieldOp::RenameTo { from, from_dotted }) => {
                let Some(value) = fields::rename_source(env.original, from, from_dotted)? else {
                    return Ok(());
                };
                if in_array || slot.is_array_element() {
                    // The innermost array on the way, as the server names it.
                    let array_name = taken
                        .windows(2)
                        .rev()
                        .find(|pair| matches!(pair, [_, next] if parse_index(next).is_some()))
                        .and_then(|pair| pair.first().cloned())
                        .unwrap_or_default();
                    return Err(MongoError::bad_value(format!(
                        "The destination field cannot be an array element, '{}' in doc with {} has an array field called '{array_name}'",
                        self.path,
                        path::describe_id(env.original)
                    )));
                }
                slot.put(value)?;
                Ok(())
            }
            LeafOp::Field(op) if op.always_modifies() => {
                env.always_modified.set(true);
                match slot.get_mut() {
                    Some(value) => op.update_existing(value, &name, env.original, ctx.now),
                    None => {
                        if let Some(value) = op.create(ctx.is_upsert_insert, ctx.now)? {
                            slot.put(value)?;
                        }
                        Ok(())
                    }
                }
            }
            LeafOp::Field(op) => match slot.get_mut() {
                Some(value) => op.update_existing(value, &name, env.original, ctx.now),
                None => {
                    if let Some(value) = op.create(ctx.is_upsert_insert, ctx.now)? {
                        slot.put(value)?;
                    }
                    Ok(())
                }
            },
            LeafOp::Array(op) => match slot.get_mut() {
                Some(value) => {
                    op.update_existing(value, &name, &taken.join("."), env.original)?;
                    if op.always_modifies() {
                        env.always_modified.set(true);
                    }
                    Ok(())
                }
                None => {
                    if let Some(value) = op.create() {
                        slot.put(value)?;
                    }
                    Ok(())
                }
            },
        }
    }

    /// The error for this operation when its path runs into `element` (a scalar, or an array reached by a
    /// field name) at part `key`; operations that would not create anything there pass.
    fn check_viable(&self, key: &str, element: &str, at: &[String], env: &Env<'_>) -> MongoResult<()> {
        let cannot_create = || {
            MongoError::new(ErrorCode::PathNotViable, format!("Cannot create field '{key}' in element {{{element}}}"))
        };
        match &self.op {
            LeafOp::Field(FieldOp::SetOnInsert(_)) if !env.ctx.is_upsert_insert => Ok(()),
            LeafOp::Field(FieldOp::RenameTo { from, from_dotted }) => {
                match fields::rename_source(env.original, from, from_dotted)? {
                    Some(_) => Err(cannot_create()),
                    None => Ok(()),
                }
            }
            LeafOp::Field(op) if op.creates() => Err(cannot_create()),
            LeafOp::Array(op) if op.creates() => Err(cannot_create()),
            LeafOp::Field(_) => Ok(()),
            LeafOp::Array(_) => Err(MongoError::new(
                ErrorCode::PathNotViable,
                format!("Cannot use the part ({key}) of ({}) to traverse the element ({{{element}}})", at.join(".")),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
