//! Documents Mongoose hydrates from the database (lib/document.js `init`, as `find`, `findOne`, `findById` and
//! the `findOneAnd…` calls build them, and `Model.hydrate`): the constructor's `$__buildDoc` creates every nested
//! object of the schema, `applyDefaults` (before setters) fills the non-function defaults and plain arrays' `[]`,
//! `init` sets the stored fields over them (a nested object merged field by field, subdocuments initialised with
//! their own schema), then `applyDefaults` (after setters) fills the function defaults still absent (`Date.now`,
//! a document array's `[]`). Paths a projection excludes get no default; an inclusive projection builds only what
//! it selects, so nothing is added then.

use super::definition::{FieldType, PathDef, ScalarType, Schema, SchemaNode};
use bson::{Bson, DateTime, Document};

/// The document `init` builds from `stored` (what the database returned). `excluded` are the paths an exclusive
/// projection left out (no default for them or inside them). Program function defaults are not run here.
pub fn hydrate_document(schema: &Schema, stored: &Document, excluded: &[String], now: DateTime) -> Document {
    let hydration = Hydration { excluded, now };
    hydration.object(&schema.tree, stored, "", 0)
}

struct Hydration<'a> {
    excluded: &'a [String],
    now: DateTime,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    BeforeSetters,
    AfterSetters,
}

impl Hydration<'_> {
    fn is_excluded(&self, path: &str) -> bool {
        self.excluded.iter().any(|ex| path == ex || path.starts_with(&format!("{ex}.")))
    }

    fn object(&self, tree: &[(String, SchemaNode)], stored: &Document, prefix: &str, depth: usize) -> Document {
        if depth > super::definition::MAX_DEFINITION_DEPTH * 4 {
            return stored.clone();
        }
        let mut out = Document::new();
        self.skeleton(tree, &mut out, prefix);
        self.defaults(tree, &mut out, prefix, Pass::BeforeSetters);
        self.init(tree, stored, &mut out, prefix, depth);
        self.defaults(tree, &mut out, prefix, Pass::AfterSetters);
        out
    }

    /// `$__buildDoc`: every nested object, empty, in schema order.
    fn skeleton(&self, tree: &[(String, SchemaNode)], out: &mut Document, prefix: &str) {
        for (name, node) in tree {
            if let SchemaNode::Nested(children) = node {
                let path = format!("{prefix}{name}");
                if self.is_excluded(&path) {
                    continue;
                }
                let mut inner = Document::new();
                self.skeleton(children, &mut inner, &format!("{path}."));
                out.insert(name.clone(), inner);
            }
        }
    }

    /// One `applyDefaults` pass over this level and the nested objects under it.
    fn defaults(&self, tree: &[(String, SchemaNode)], out: &mut Document, prefix: &str, pass: Pass) {
        for (name, node) in tree {
            let path = format!("{prefix}{name}");
            if self.is_excluded(&path) {
                continue;
            }
            match node {
                SchemaNode::Nested(children) => {
                    // A stored `null` (or any non-object) replaced the nested object: nothing to fill in it.
                    if let Some(Bson::Document(inner)) = out.get_mut(name) {
                        self.defaults(children, inner, &format!("{path}."), pass);
                    }
                }
                SchemaNode::Path(def) => {
                    if out.contains_key(name) || name == "_id" {
                        continue;
                    }
                    if let Some(value) = self.default_value(def, &path, pass) {
                        out.insert(name.clone(), value);
                    }
                }
            }
        }
    }

    /// A path's default in the given pass: non-function defaults and plain arrays' implicit `[]` run before the
    /// setters, `Date.now` and a document array's implicit `[]` after; a program's function is not run here.
    fn default_value(&self, def: &PathDef, path: &str, pass: Pass) -> Option<Bson> {
        let date_now = |d: &Bson| matches!(d, Bson::String(s) | Bson::JavaScriptCode(s) if matches!(s.as_str(), "Date.now" | "Date.now()" | "$now"));
        match (&def.default, &def.field_type, pass) {
            (Some(d), _, _) if super::functions::function_id(d).is_some() => None,
            (Some(d), FieldType::Scalar(ScalarType::Date), Pass::AfterSetters) if date_now(d) => {
                Some(Bson::DateTime(self.now))
            }
            (Some(d), FieldType::Scalar(ScalarType::Date), Pass::BeforeSetters) if date_now(d) => None,
            (Some(d), FieldType::Scalar(t), Pass::BeforeSetters) => super::cast::cast_scalar(*t, d, path).ok(),
            (Some(d), _, Pass::BeforeSetters) => Some(d.clone()),
            (None, FieldType::Array(_), Pass::BeforeSetters) => Some(Bson::Array(Vec::new())),
            (None, FieldType::DocumentArray(_), Pass::AfterSetters) => Some(Bson::Array(Vec::new())),
            _ => None,
        }
    }

    /// `init`: the stored fields over the built document, nested objects merged, subdocuments initialised.
    fn init(&self, tree: &[(String, SchemaNode)], stored: &Document, out: &mut Document, prefix: &str, depth: usize) {
        for (key, value) in stored {
            let node = tree.iter().find(|(name, _)| name == key).map(|(_, node)| node);
            let path = format!("{prefix}{key}");
            let value = match (node, value) {
                (Some(SchemaNode::Nested(children)), Bson::Document(inner)) => {
                    let mut built = match out.get(key) {
                        Some(Bson::Document(existing)) => existing.clone(),
                        _ => Document::new(),
                    };
                    self.init(children, inner, &mut built, &format!("{path}."), depth + 1);
                    Bson::Document(built)
                }
                (Some(SchemaNode::Path(def)), _) => {
                    // "Retain order when overwriting defaults": a schema path's stored value goes where the
                    // database has it, after the defaults the constructor filled.
                    out.remove(key);
                    self.subdocuments(def, value, depth)
                }
                _ => value.clone(),
            };
            out.insert(key.clone(), value);
        }
    }

    fn subdocuments(&self, def: &PathDef, value: &Bson, depth: usize) -> Bson {
        match (&def.field_type, value) {
            (FieldType::Subdocument(sub), Bson::Document(doc)) => {
                Bson::Document(Hydration { excluded: &[], now: self.now }.object(&sub.tree, doc, "", depth + 1))
            }
            (FieldType::DocumentArray(sub), Bson::Array(items)) => Bson::Array(
                items
                    .iter()
                    .map(|item| match item {
                        Bson::Document(doc) => Bson::Document(Hydration { excluded: &[], now: self.now }.object(
                            &sub.tree,
                            doc,
                            "",
                            depth + 1,
                        )),
                        other => other.clone(),
                    })
                    .collect(),
            ),
            _ => value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn schema() -> Schema {
        let definition = doc! {
            "email": "String",
            "logins": { "type": "Number", "default": 0 },
            "tags": ["String"],
            "profile": { "bio": "String", "theme": { "type": "String", "default": "light" }, "social": { "tw": "String" } },
            "at": { "type": "Date", "default": "Date.now" },
            "items": [{ "n": "String", "q": { "type": "Number", "default": 1 } }],
        };
        Schema::new(&definition, &doc! {}).unwrap()
    }

    // Mongoose 9.12.1: `User.hydrate(stored).toObject({ minimize: false })`, key order included.
    #[test]
    fn init_builds_nested_objects_fills_absent_defaults_and_keeps_the_stored_order() {
        let now = DateTime::from_millis(7);
        let stored = doc! { "_id": 1, "email": "x", "logins": 5, "items": [{ "n": "a" }] };
        let hydrated = hydrate_document(&schema(), &stored, &[], now);
        let expected = doc! {
            "profile": { "social": {}, "theme": "light" },
            "tags": [],
            "_id": 1,
            "email": "x",
            "logins": 5,
            "items": [{ "q": 1, "n": "a" }],
            "at": now,
        };
        assert_eq!(hydrated.to_string(), expected.to_string());
        // A stored `null` replaces the nested object in place; an excluded path gets no default.
        let stored = doc! { "_id": 1, "profile": null };
        let hydrated = hydrate_document(&schema(), &stored, &["logins".to_string()], now);
        let expected = doc! { "profile": null, "tags": [], "_id": 1, "at": now, "items": [] };
        assert_eq!(hydrated.to_string(), expected.to_string());
    }
}
