//! What `doc.save()` sends for a document the database already holds: Mongoose's delta (`$__delta`) — `$set` of
//! the modified paths, `$unset` of removed ones, `$push` of elements appended to an array, then `$set` of the
//! paths hydration gave their default (`$__dirty`'s order) — and its versioning (`$inc` of `__v` when an array
//! changed, `__v` in the filter when array positions may have moved, neither when the query left `__v` out).

use bson::{Bson, Document};

/// The update `save()` sends: `updateOne(filter, update)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveDelta {
    pub filter: Document,
    pub update: Document,
    /// The version key's new value in memory, when the delta increments it (Mongoose bumps it in memory even when
    /// the query did not select the key, though it then sends no `$inc`).
    pub new_version: Option<Bson>,
    /// Whether the save is versioned (`$__.version` set): a write that matches nothing is then a `VersionError`.
    pub versioned: bool,
}

/// What `save()` compares the document with.
#[derive(Debug, Clone, Copy)]
pub struct SaveState<'a> {
    /// What the document held when it was loaded (hydrated) or last saved.
    pub base: &'a Document,
    /// Paths the program replaced as a whole (`doc.profile = {…}`): those are `$set` whole, not field by field.
    pub assigned: &'a [String],
    /// Paths hydration gave their default (`activePaths.default`), in order: sent after the modified paths.
    pub defaulted: &'a [String],
    /// The version key, and whether the query that loaded the document selected it (`$__isSelected`).
    pub version: Option<(&'a str, bool)>,
    /// The schema's `minimize`: objects in the update lose their empty objects, and one left empty is `$unset`.
    pub minimize: bool,
}

/// Versioning as Mongoose's `operand` decides it: `$push` increments the version; `$set` of a whole array or a
/// removal from one also checks it in the filter; `$set` of one element (`tags.0`) only checks it.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
struct Versioning {
    check: bool,
    increment: bool,
}

struct Diff<'a> {
    set: Document,
    unset: Document,
    push: Document,
    versioning: Versioning,
    assigned: &'a [String],
    defaulted: &'a [String],
    /// The operators in the order their first path was met.
    order: Vec<&'static str>,
}

/// The delta between what the document held (`state.base`) and the document now (`current`, cast): the modified
/// paths (in the document's order), then the paths that still hold the default hydration gave them and were not
/// sent with a modified parent (`$__dirty`: modified paths first, then default ones, a path under a dirty one left
/// out). `None` when nothing changed (Mongoose then only checks that the document exists).
pub fn save_delta(state: &SaveState, current: &Document) -> Option<SaveDelta> {
    let mut diff = Diff {
        set: Document::new(),
        unset: Document::new(),
        push: Document::new(),
        versioning: Versioning::default(),
        assigned: state.assigned,
        defaulted: state.defaulted,
        order: Vec::new(),
    };
    let version_key = state.version.map(|(key, _)| key);
    diff.object(state.base, current, "", version_key);
    for path in state.defaulted {
        // `$__dirty` skips a default whose value is now null or undefined, and `$__delta` one under a dirty path.
        let Some(value) = value_at_path(current, path) else { continue };
        if matches!(value, Bson::Null | Bson::Undefined) || diff.covers(path) {
            continue;
        }
        diff.set_whole(path, value);
    }
    if diff.set.is_empty() && diff.unset.is_empty() && diff.push.is_empty() {
        return None;
    }
    let mut filter = Document::new();
    filter.insert("_id", current.get("_id").cloned().unwrap_or(Bson::Null));
    // Mongoose adds each operator when its first path is met (`operand`), so the update's keys come in that order.
    let mut update = Document::new();
    for operator in &diff.order {
        let fields = match *operator {
            "$set" => std::mem::take(&mut diff.set),
            "$unset" => std::mem::take(&mut diff.unset),
            _ => std::mem::take(&mut diff.push),
        };
        update.insert(*operator, fields);
    }
    let mut new_version = None;
    let mut versioned = false;
    if let Some((key, selected)) = state.version {
        versioned = diff.versioning.check || diff.versioning.increment;
        let version = current.get(key).filter(|v| !matches!(v, Bson::Null | Bson::Undefined));
        // `$__version`: only when the version key was selected; the filter checks it when it has a value.
        if selected {
            if let (true, Some(version)) = (diff.versioning.check, version) {
                filter.insert(key, version.clone());
            }
            if diff.versioning.increment {
                update.insert("$inc", bson::doc! { key: 1 });
            }
        }
        if diff.versioning.increment {
            // After the write: `version = this.$__getValue(key) || 0; this.$__setValue(key, version + 1)`.
            new_version = Some(match version {
                Some(Bson::Int32(v)) => Bson::Int32(v.saturating_add(1)),
                Some(Bson::Int64(v)) => Bson::Int64(v.saturating_add(1)),
                Some(Bson::Double(v)) => Bson::Double(v + 1.0),
                _ => Bson::Int32(1),
            });
        }
    }
    // After `$__delta` (and its `$inc`).
    if state.minimize {
        minimize_update(&mut update);
    }
    Some(SaveDelta { filter, update, new_version, versioned })
}

impl Diff<'_> {
    /// Whether `path`, or a path above it, is already in the update.
    fn covers(&self, path: &str) -> bool {
        let under = |sent: &str| path == sent || path.strip_prefix(sent).is_some_and(|rest| rest.starts_with('.'));
        self.set.keys().chain(self.unset.keys()).chain(self.push.keys()).any(|sent| under(sent))
            || self.assigned.iter().any(|assigned| under(assigned))
    }

    fn uses(&mut self, operator: &'static str) {
        if !self.order.contains(&operator) {
            self.order.push(operator);
        }
    }

    fn object(&mut self, saved: &Document, current: &Document, prefix: &str, version_key: Option<&str>) {
        for (key, value) in current {
            let path = format!("{prefix}{key}");
            if prefix.is_empty() && (key == "_id" || Some(key.as_str()) == version_key) {
                continue;
            }
            match saved.get(key) {
                // Assigning its default's value to a path that holds it is a modification (`$__set` marks a
                // default path modified), sent here rather than with the defaults.
                Some(old) if old == value => {
                    if self.assigned.contains(&path) && self.defaulted.contains(&path) {
                        self.set_whole(&path, value);
                    }
                }
                Some(old) => self.value(old, value, &path, version_key),
                None => self.set_whole(&path, value),
            }
        }
        for (key, old) in saved {
            if current.contains_key(key) || (prefix.is_empty() && (key == "_id" || Some(key.as_str()) == version_key)) {
                continue;
            }
            let path = format!("{prefix}{key}");
            self.uses("$unset");
            self.unset.insert(path, 1);
            if matches!(old, Bson::Array(_)) || is_array_element(prefix) {
                self.versioning.check = true;
            }
        }
    }

    fn value(&mut self, old: &Bson, new: &Bson, path: &str, version_key: Option<&str>) {
        if self.assigned.iter().any(|assigned| assigned == path) {
            return self.set_whole(path, new);
        }
        match (old, new) {
            (Bson::Document(old), Bson::Document(new)) => self.object(old, new, &format!("{path}."), version_key),
            (Bson::Array(old), Bson::Array(new)) if new.len() > old.len() && new.starts_with(old) => {
                // `doc.tags.push(x)`: MongooseArray records `$push` with `$each`.
                let tail: Vec<Bson> = new.iter().skip(old.len()).cloned().collect();
                self.uses("$push");
                self.push.insert(path, bson::doc! { "$each": tail });
                self.versioning.increment = true;
            }
            (Bson::Array(old), Bson::Array(new)) if new.len() == old.len() => {
                // Elements changed in place (`doc.tags[0] = x`): `$set` of each, positions unchanged.
                for (index, (before, after)) in old.iter().zip(new).enumerate() {
                    if before != after {
                        let element = format!("{path}.{index}");
                        match (before, after) {
                            (Bson::Document(b), Bson::Document(a)) => {
                                self.object(b, a, &format!("{element}."), version_key)
                            }
                            _ => {
                                self.uses("$set");
                                self.set.insert(element, after.clone());
                                self.versioning.check = true;
                            }
                        }
                    }
                }
            }
            _ => self.set_whole(path, new),
        }
    }

    fn set_whole(&mut self, path: &str, value: &Bson) {
        self.uses("$set");
        self.set.insert(path, value.clone());
        let last = path.rsplit('.').next().unwrap_or(path);
        if matches!(value, Bson::Array(_)) {
            // `$set` of a whole array: Mongoose's `increment()` (VERSION_ALL).
            self.versioning.check = true;
            self.versioning.increment = true;
        } else if last.parse::<usize>().is_ok() || is_array_element(path) {
            self.versioning.check = true;
        }
    }
}

/// lib/model.js `$__handleSave`: with `minimize`, each object an operator sets loses its empty objects; one left
/// empty is removed and `$unset` instead (`$unset` added last when the update had none; an operator left with
/// nothing stays, as Mongoose sends it).
fn minimize_update(update: &mut Document) {
    fn minimize(doc: &mut Document, depth: usize) {
        if depth > 128 {
            return;
        }
        let keys: Vec<String> = doc.keys().cloned().collect();
        for key in keys {
            if let Some(Bson::Document(inner)) = doc.get_mut(&key) {
                minimize(inner, depth + 1);
                if inner.is_empty() {
                    doc.remove(&key);
                }
            }
        }
    }
    let mut emptied = Vec::new();
    for (_, fields) in update.iter_mut() {
        let Bson::Document(fields) = fields else { continue };
        let keys: Vec<String> = fields.keys().cloned().collect();
        for key in keys {
            if let Some(Bson::Document(value)) = fields.get_mut(&key) {
                minimize(value, 0);
                if value.is_empty() {
                    fields.remove(&key);
                    emptied.push(key);
                }
            }
        }
    }
    if emptied.is_empty() {
        return;
    }
    if !matches!(update.get("$unset"), Some(Bson::Document(_))) {
        update.insert("$unset", Document::new());
    }
    if let Some(Bson::Document(unset)) = update.get_mut("$unset") {
        for key in emptied {
            unset.insert(key, 1);
        }
    }
}

/// The value at a dotted path (through documents and array positions: `kids.0.x`).
pub(crate) fn value_at_path<'d>(doc: &'d Document, path: &str) -> Option<&'d Bson> {
    let mut parts = path.split('.');
    let mut value = doc.get(parts.next()?)?;
    for part in parts {
        value = match value {
            Bson::Document(inner) => inner.get(part)?,
            Bson::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Whether a dotted path goes through an array position (`comments.0.text`).
fn is_array_element(path: &str) -> bool {
    path.split('.').any(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{doc, oid::ObjectId};

    fn delta(saved: Document, current: Document, assigned: &[&str]) -> String {
        delta_with_defaults(saved, current, assigned, &[])
    }

    fn delta_with_defaults(saved: Document, current: Document, assigned: &[&str], defaulted: &[&str]) -> String {
        let assigned: Vec<String> = assigned.iter().map(|s| s.to_string()).collect();
        let defaulted: Vec<String> = defaulted.iter().map(|s| s.to_string()).collect();
        let state = SaveState {
            base: &saved,
            assigned: &assigned,
            defaulted: &defaulted,
            version: Some(("__v", true)),
            minimize: true,
        };
        match save_delta(&state, &current) {
            None => "nothing to send".to_string(),
            Some(delta) => format!(
                "{} {}",
                crate::js::mongosh_format::format_inline(&Bson::Document(delta.filter)),
                crate::js::mongosh_format::format_inline(&Bson::Document(delta.update))
            ),
        }
    }

    #[test]
    fn a_changed_field_is_set_and_a_removed_one_unset() {
        let id = ObjectId::from_bytes([1; 12]);
        let saved = doc! {"_id": id, "name": "ada", "age": 36, "__v": 0};
        expect_test::expect![
            "{ _id: ObjectId('010101010101010101010101') } { $set: { name: 'm' }, $unset: { age: 1 } }"
        ]
        .assert_eq(&delta(saved.clone(), doc! {"_id": id, "name": "m", "__v": 0}, &[]));
        expect_test::expect!["nothing to send"].assert_eq(&delta(saved.clone(), saved, &[]));
    }

    #[test]
    fn nested_fields_are_set_by_path_unless_replaced_whole() {
        let id = ObjectId::from_bytes([1; 12]);
        let saved = doc! {"_id": id, "profile": {"title": "a", "years": 1}, "__v": 0};
        let current = doc! {"_id": id, "profile": {"title": "b", "years": 1}, "__v": 0};
        expect_test::expect!["{ _id: ObjectId('010101010101010101010101') } { $set: { 'profile.title': 'b' } }"]
            .assert_eq(&delta(saved.clone(), current.clone(), &[]));
        expect_test::expect![
            "{ _id: ObjectId('010101010101010101010101') } { $set: { profile: { title: 'b', years: 1 } } }"
        ]
        .assert_eq(&delta(saved, current, &["profile"]));
    }

    #[test]
    fn arrays_push_set_by_position_or_set_whole_with_versioning() {
        let id = ObjectId::from_bytes([1; 12]);
        let saved = doc! {"_id": id, "tags": ["a"], "__v": 3};
        expect_test::expect!["{ _id: ObjectId('010101010101010101010101') } { $push: { tags: { $each: [ 'b', 'c' ] } }, $inc: { __v: 1 } }"]
            .assert_eq(&delta(saved.clone(), doc! {"_id": id, "tags": ["a", "b", "c"], "__v": 3}, &[]));
        expect_test::expect!["{ _id: ObjectId('010101010101010101010101'), __v: 3 } { $set: { 'tags.0': 'z' } }"]
            .assert_eq(&delta(saved.clone(), doc! {"_id": id, "tags": ["z"], "__v": 3}, &[]));
        expect_test::expect![
            "{ _id: ObjectId('010101010101010101010101'), __v: 3 } { $set: { tags: [] }, $inc: { __v: 1 } }"
        ]
        .assert_eq(&delta(saved, doc! {"_id": id, "tags": [], "__v": 3}, &[]));
    }

    // Mongoose 9.12.1, `User.findOne()` answered with `{ _id, email: 'x', __v: 3 }` (`logins`, `tags`, `profile.theme`
    // and `items` defaulted), then `doc.profile.bio = 'b'; doc.email = 'e'; await doc.save()`: the modified paths,
    // then the defaults by path, the version checked and incremented.
    #[test]
    fn defaults_hydration_gave_are_sent_by_path_after_the_modified_paths() {
        let id = ObjectId::from_bytes([1; 12]);
        let hydrated = doc! {"profile": {"social": {}, "theme": "light"}, "logins": 0, "tags": [], "_id": id, "email": "x", "__v": 3, "items": []};
        let current = doc! {"profile": {"social": {}, "theme": "light", "bio": "b"}, "logins": 0, "tags": [], "_id": id, "email": "e", "__v": 3, "items": []};
        let defaulted = ["logins", "tags", "profile.theme", "items"];
        expect_test::expect!["{ _id: ObjectId('010101010101010101010101'), __v: 3 } { $set: { 'profile.bio': 'b', email: 'e', logins: 0, tags: [], 'profile.theme': 'light', items: [] }, $inc: { __v: 1 } }"]
            .assert_eq(&delta_with_defaults(hydrated.clone(), current, &[], &defaulted));
        // `doc.profile = { bio: 'b' }` sends the object whole, and its defaulted path no more.
        let current =
            doc! {"profile": {"bio": "b"}, "logins": 0, "tags": [], "_id": id, "email": "x", "__v": 3, "items": []};
        expect_test::expect!["{ _id: ObjectId('010101010101010101010101'), __v: 3 } { $set: { profile: { bio: 'b' }, logins: 0, tags: [], items: [] }, $inc: { __v: 1 } }"]
            .assert_eq(&delta_with_defaults(hydrated.clone(), current, &["profile"], &defaulted));
        // `doc.logins = 0`, the default's own value, is a modification: first.
        expect_test::expect!["{ _id: ObjectId('010101010101010101010101'), __v: 3 } { $set: { logins: 0, tags: [], 'profile.theme': 'light', items: [] }, $inc: { __v: 1 } }"]
            .assert_eq(&delta_with_defaults(hydrated.clone(), hydrated.clone(), &["logins"], &defaulted));
        // A document stored without `__v` is versioned all the same: no check, an increment.
        let mut unversioned = hydrated.clone();
        unversioned.remove("__v");
        expect_test::expect!["{ _id: ObjectId('010101010101010101010101') } { $set: { logins: 0, tags: [], 'profile.theme': 'light', items: [] }, $inc: { __v: 1 } }"]
            .assert_eq(&delta_with_defaults(unversioned.clone(), unversioned, &[], &defaulted));
    }

    // Mongoose 9.12.1: `User.findOne({}, { email: 1 })`, then `doc.tags = ['a']; await doc.save()`: no version in the
    // update or the filter, yet the document holds `__v: 1` afterwards.
    #[test]
    fn a_version_key_the_query_left_out_is_not_sent_but_bumped_in_memory() {
        let id = ObjectId::from_bytes([1; 12]);
        let base = doc! {"_id": id, "email": "x"};
        let current = doc! {"_id": id, "email": "x", "tags": ["a"]};
        let state =
            SaveState { base: &base, assigned: &[], defaulted: &[], version: Some(("__v", false)), minimize: true };
        let delta = save_delta(&state, &current).unwrap();
        assert_eq!(delta.filter, doc! {"_id": id});
        assert_eq!(delta.update, doc! {"$set": {"tags": ["a"]}});
        assert_eq!(delta.new_version, Some(Bson::Int32(1)));
        assert!(delta.versioned);
    }
}
