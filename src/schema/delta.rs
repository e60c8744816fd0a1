//! What `doc.save()` sends for a document the database already holds: Mongoose's delta (`$__delta`) — `$set` of
//! the modified paths, `$unset` of removed ones, `$push` of elements appended to an array — and its versioning
//! (`$inc` of `__v` when an array changed, `__v` in the filter when array positions may have moved).

use bson::{Bson, Document};

/// The update `save()` sends: `updateOne(filter, update)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveDelta {
    pub filter: Document,
    pub update: Document,
    /// The version key's new value, when the update increments it.
    pub new_version: Option<Bson>,
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
    /// The operators in the order their first path was met.
    order: Vec<&'static str>,
}

/// The delta between what the database holds (`saved`) and the document now (`current`, cast). `assigned` are
/// paths the program replaced as a whole (`doc.profile = {…}`): those are `$set` whole, not field by field.
/// `None` when nothing changed (Mongoose then sends nothing).
pub fn save_delta(
    saved: &Document,
    current: &Document,
    assigned: &[String],
    version_key: Option<&str>,
) -> Option<SaveDelta> {
    let mut diff = Diff {
        set: Document::new(),
        unset: Document::new(),
        push: Document::new(),
        versioning: Versioning::default(),
        assigned,
        order: Vec::new(),
    };
    diff.object(saved, current, "", version_key);
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
    if let Some(key) = version_key {
        // Only when the version key was loaded (`$__isSelected`): a projection without it cannot be versioned.
        if let Some(version) = saved.get(key) {
            if diff.versioning.check {
                filter.insert(key, version.clone());
            }
            if diff.versioning.increment {
                update.insert("$inc", bson::doc! { key: 1 });
                new_version = Some(match version {
                    Bson::Int32(v) => Bson::Int32(v.saturating_add(1)),
                    Bson::Int64(v) => Bson::Int64(v.saturating_add(1)),
                    Bson::Double(v) => Bson::Double(v + 1.0),
                    _ => Bson::Int32(1),
                });
            }
        }
    }
    Some(SaveDelta { filter, update, new_version })
}

impl Diff<'_> {
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
                Some(old) if old == value => {}
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

/// Whether a dotted path goes through an array position (`comments.0.text`).
fn is_array_element(path: &str) -> bool {
    path.split('.').any(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{doc, oid::ObjectId};

    fn delta(saved: Document, current: Document, assigned: &[&str]) -> String {
        let assigned: Vec<String> = assigned.iter().map(|s| s.to_string()).collect();
        match save_delta(&saved, &current, &assigned, Some("__v")) {
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
}
