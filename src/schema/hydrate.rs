//! Documents Mongoose hydrates from the database (lib/document.js `init`, as `find`, `findOne`, `findById` and
//! the `findOneAnd…` calls build them, and `Model.hydrate`): the constructor's `$__buildDoc` creates every nested
//! object of the schema, `applyDefaults` (before setters) fills the non-function defaults and plain arrays' `[]`,
//! `init` sets the stored fields over them (a nested object merged field by field, subdocuments initialised with
//! their own schema), then `applyDefaults` (after setters) fills the function defaults still absent (`Date.now`,
//! a document array's `[]`, the program's functions). Subdocuments get their `_id` here: an array element in its
//! constructor's pass (ObjectId's default runs before setters), a single nested one in the pass
//! lib/schema/subdocument.js `cast` adds after its `$init`. The defaults of the document itself and of its single
//! nested subdocuments are "default" paths (`activePaths.default`) that `save()` sends after the modified ones;
//! an array element's are its own (`skipParentChangeTracking`). Paths a projection excludes get no default; an
//! inclusive projection builds only what it selects, so nothing is added then.

use super::definition::{FieldType, PathDef, ScalarType, Schema, SchemaNode};
use bson::{oid::ObjectId, Bson, DateTime, Document};

/// What hydration needs from the running program: fresh ObjectIds for subdocuments, and the program's default
/// functions (the schema layer never runs the program's code).
pub trait HydrationHost {
    fn object_id(&mut self) -> ObjectId;
    /// The value of the default function `function` of `path`, `this` the (sub)document being initialised as it
    /// stood before the pass; `None` leaves the path absent.
    fn function_default(&mut self, path: &str, function: usize, this: &Document) -> Option<Bson>;
}

/// A document as `init` built it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hydrated {
    pub document: Document,
    /// The paths that got their default (the document's own and its single nested subdocuments', not an array
    /// element's), in the order Mongoose marks them: what `save()` sends after the modified paths.
    pub defaulted: Vec<String>,
}

/// The document `init` builds from `stored` (what the database returned). `excluded` are the paths an exclusive
/// projection left out (no default for them or inside them).
pub fn hydrate_document(
    schema: &Schema,
    stored: &Document,
    excluded: &[String],
    now: DateTime,
    host: &mut dyn HydrationHost,
) -> Hydrated {
    let mut hydration = Hydration { excluded, now, host };
    let (document, defaulted) = hydration.object(schema, stored, Kind::Top, "", 0);
    Hydrated { document, defaulted }
}

struct Hydration<'a> {
    excluded: &'a [String],
    now: DateTime,
    host: &'a mut dyn HydrationHost,
}

/// What is being initialised: the document itself (`skipId`: its `_id` comes from the database), an element of a
/// document array (its constructor applies the defaults that run before setters, `_id` among them), or a single
/// nested subdocument (built with `defaults: false`; `cast` applies what is left after its `$init`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Top,
    Element,
    SingleNested,
}

/// Where this level's `_id` comes from: the database (the document itself is hydrated with `skipId`; a stored one), the
/// automatic ObjectId default of a subdocument's schema, or a path the schema declares (none at a nested level).
#[derive(Clone, Copy, PartialEq, Eq)]
enum IdDefault {
    Skip,
    Generated,
    Schema,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    BeforeSetters,
    AfterSetters,
    /// lib/schema/subdocument.js: `applyDefaults(subdoc, selected, exclude)` with no pass, every default still absent.
    Remaining,
}

impl Hydration<'_> {
    fn is_excluded(&self, path: &str) -> bool {
        self.excluded.iter().any(|ex| path == ex || path.strip_prefix(ex.as_str()).is_some_and(|r| r.starts_with('.')))
    }

    /// The (sub)document built from `stored`, and the paths (relative to it) that got their default.
    fn object(
        &mut self,
        schema: &Schema,
        stored: &Document,
        kind: Kind,
        prefix: &str,
        depth: usize,
    ) -> (Document, Vec<String>) {
        if depth > super::definition::MAX_DEFINITION_DEPTH * 4 {
            return (stored.clone(), Vec::new());
        }
        let tree = &schema.tree;
        let id = match kind {
            // Mongoose makes an element's ObjectId before `init` overwrites it with the stored one; none is made
            // here for a stored `_id`.
            _ if kind == Kind::Top || stored.contains_key("_id") => IdDefault::Skip,
            _ if schema.auto_id => IdDefault::Generated,
            _ => IdDefault::Schema,
        };
        let mut out = Document::new();
        let mut defaulted = Vec::new();
        self.skeleton(tree, &mut out, prefix);
        if kind != Kind::SingleNested {
            self.defaults(tree, id, &mut out, prefix, Pass::BeforeSetters, &mut Document::new(), &mut defaulted);
        }
        self.init(tree, stored, &mut out, prefix, kind, depth, &mut defaulted);
        let mut this = out.clone();
        self.defaults(tree, id, &mut out, prefix, Pass::AfterSetters, &mut this, &mut defaulted);
        if kind == Kind::SingleNested {
            let mut this = out.clone();
            self.defaults(tree, id, &mut out, prefix, Pass::Remaining, &mut this, &mut defaulted);
        }
        // `init` moves a path the database holds from "default" to "init".
        defaulted.retain(|path| lookup(stored, path).is_none());
        (out, defaulted)
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

    /// One `applyDefaults` pass over this level and the nested objects under it; `this` is what a program's
    /// default function sees: the (sub)document, holding every default set before it (`applyDefaults` sets each
    /// on the document as it goes).
    #[allow(clippy::too_many_arguments)]
    fn defaults(
        &mut self,
        tree: &[(String, SchemaNode)],
        id: IdDefault,
        out: &mut Document,
        prefix: &str,
        pass: Pass,
        this: &mut Document,
        defaulted: &mut Vec<String>,
    ) {
        for (name, node) in tree {
            let path = format!("{prefix}{name}");
            if self.is_excluded(&path) {
                continue;
            }
            match node {
                SchemaNode::Nested(children) => {
                    // A stored `null` (or any non-object) replaced the nested object: nothing to fill in it.
                    if let Some(Bson::Document(inner)) = out.get_mut(name) {
                        self.defaults(children, IdDefault::Schema, inner, &format!("{path}."), pass, this, defaulted);
                    }
                }
                SchemaNode::Path(def) => {
                    if out.contains_key(name) {
                        continue;
                    }
                    let value = match id {
                        IdDefault::Skip if name == "_id" => None,
                        // ObjectId's default runs before setters (`$runBeforeSetters`).
                        IdDefault::Generated if name == "_id" => {
                            (pass != Pass::AfterSetters).then(|| Bson::ObjectId(self.host.object_id()))
                        }
                        _ => self.default_value(def, &path, pass, this),
                    };
                    if let Some(value) = value {
                        insert_nested(this, &path, value.clone());
                        out.insert(name.clone(), value);
                        defaulted.push(path);
                    }
                }
            }
        }
    }

    /// A path's default in the given pass: non-function defaults and plain arrays' implicit `[]` run before the
    /// setters, `Date.now`, a document array's implicit `[]` and the program's functions after.
    fn default_value(&mut self, def: &PathDef, path: &str, pass: Pass, this: &Document) -> Option<Bson> {
        let date_now = |d: &Bson| matches!(d, Bson::String(s) | Bson::JavaScriptCode(s) if matches!(s.as_str(), "Date.now" | "Date.now()" | "$now"));
        let before = pass != Pass::AfterSetters;
        match (&def.default, &def.field_type) {
            (Some(d), _) => match super::functions::function_id(d) {
                Some(function) => {
                    (pass == Pass::AfterSetters).then(|| self.host.function_default(path, function, this)).flatten()
                }
                None if matches!(def.field_type, FieldType::Scalar(ScalarType::Date)) && date_now(d) => {
                    (pass == Pass::AfterSetters).then_some(Bson::DateTime(self.now))
                }
                None => match &def.field_type {
                    FieldType::Scalar(t) if before => super::cast::cast_scalar(*t, d, path).ok(),
                    _ if before => Some(d.clone()),
                    _ => None,
                },
            },
            (None, FieldType::Array(_)) if before => Some(Bson::Array(Vec::new())),
            (None, FieldType::DocumentArray(_)) if pass == Pass::AfterSetters => Some(Bson::Array(Vec::new())),
            _ => None,
        }
    }

    /// `init`: the stored fields over the built document, nested objects merged, subdocuments initialised. The
    /// defaults of a single nested subdocument of the document itself are the document's too (`propagated`).
    #[allow(clippy::too_many_arguments)]
    fn init(
        &mut self,
        tree: &[(String, SchemaNode)],
        stored: &Document,
        out: &mut Document,
        prefix: &str,
        kind: Kind,
        depth: usize,
        propagated: &mut Vec<String>,
    ) {
        for (key, value) in stored {
            let node = tree.iter().find(|(name, _)| name == key).map(|(_, node)| node);
            let path = format!("{prefix}{key}");
            let value = match (node, value) {
                (Some(SchemaNode::Nested(children)), Bson::Document(inner)) => {
                    let mut built = match out.get(key) {
                        Some(Bson::Document(existing)) => existing.clone(),
                        _ => Document::new(),
                    };
                    self.init(children, inner, &mut built, &format!("{path}."), kind, depth + 1, propagated);
                    Bson::Document(built)
                }
                (Some(SchemaNode::Path(def)), _) => {
                    // "Retain order when overwriting defaults": a schema path's stored value goes where the
                    // database has it, after the defaults the constructor filled.
                    out.remove(key);
                    let (value, defaulted) = self.subdocuments(def, value, depth);
                    if kind == Kind::Top {
                        propagated.extend(defaulted.into_iter().map(|sub| format!("{path}.{sub}")));
                    }
                    value
                }
                _ => value.clone(),
            };
            out.insert(key.clone(), value);
        }
    }

    /// A stored subdocument or array of subdocuments initialised with its own schema, and the single nested one's
    /// default paths.
    fn subdocuments(&mut self, def: &PathDef, value: &Bson, depth: usize) -> (Bson, Vec<String>) {
        let mut inner = Hydration { excluded: &[], now: self.now, host: &mut *self.host };
        match (&def.field_type, value) {
            (FieldType::Subdocument(sub), Bson::Document(doc)) => {
                let (built, defaulted) = inner.object(sub, doc, Kind::SingleNested, "", depth + 1);
                (Bson::Document(built), defaulted)
            }
            (FieldType::DocumentArray(sub), Bson::Array(items)) => {
                let items = items
                    .iter()
                    .map(|item| match item {
                        Bson::Document(doc) => Bson::Document(inner.object(sub, doc, Kind::Element, "", depth + 1).0),
                        other => other.clone(),
                    })
                    .collect();
                (Bson::Array(items), Vec::new())
            }
            _ => (value.clone(), Vec::new()),
        }
    }
}

/// Sets a dotted path of nested objects (the objects exist: `$__buildDoc` made them).
fn insert_nested(doc: &mut Document, path: &str, value: Bson) {
    match path.split_once('.') {
        None => {
            doc.insert(path, value);
        }
        Some((head, rest)) => {
            if let Some(Bson::Document(inner)) = doc.get_mut(head) {
                insert_nested(inner, rest, value);
            }
        }
    }
}

/// The value at a dotted path of a document.
fn lookup<'d>(doc: &'d Document, path: &str) -> Option<&'d Bson> {
    let (first, rest) = match path.split_once('.') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    };
    match (doc.get(first)?, rest) {
        (value, None) => Some(value),
        (Bson::Document(inner), Some(rest)) => lookup(inner, rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    /// Counted ObjectIds, and the program's default functions answered with their path.
    struct Host(u8);
    impl HydrationHost for Host {
        fn object_id(&mut self) -> ObjectId {
            self.0 += 1;
            ObjectId::from_bytes([self.0; 12])
        }
        fn function_default(&mut self, path: &str, _function: usize, _this: &Document) -> Option<Bson> {
            Some(Bson::String(format!("fn {path}")))
        }
    }

    fn hydrate(schema: &Schema, stored: &Document, excluded: &[String], now: DateTime) -> Hydrated {
        hydrate_document(schema, stored, excluded, now, &mut Host(0))
    }

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
        let hydrated = hydrate(&schema(), &stored, &[], now);
        let expected = doc! {
            "profile": { "social": {}, "theme": "light" },
            "tags": [],
            "_id": 1,
            "email": "x",
            "logins": 5,
            "items": [{ "q": 1, "_id": ObjectId::from_bytes([1; 12]), "n": "a" }],
            "at": now,
        };
        assert_eq!(hydrated.document.to_string(), expected.to_string());
        assert_eq!(hydrated.defaulted, ["tags", "profile.theme", "at"]);
        // A stored `null` replaces the nested object in place; an excluded path gets no default.
        let stored = doc! { "_id": 1, "profile": null };
        let hydrated = hydrate(&schema(), &stored, &["logins".to_string()], now);
        let expected = doc! { "profile": null, "tags": [], "_id": 1, "at": now, "items": [] };
        assert_eq!(hydrated.document.to_string(), expected.to_string());
        assert_eq!(hydrated.defaulted, ["tags", "profile.theme", "at", "items"]);
    }

    // Mongoose 9.12.1 (`User.findOne()` answered with the stored document, then `toObject({ minimize: false })` and
    // `$__dirty()`): an array element gets its defaults and `_id` before its stored fields and `Date.now` after,
    // none of them the document's; a single nested subdocument gets its stored fields first, then its function
    // defaults, then the rest (`_id` among them), each one a default path of the document; `_id: false` gets none.
    #[test]
    fn subdocuments_get_their_ids_and_defaults_and_only_a_single_nested_ones_are_the_documents() {
        let function = super::super::functions::function_marker(0);
        let sub = doc! { "k": "String", "k2": { "type": "String", "default": "d2" }, "at": { "type": "Date", "default": "Date.now" }, "f": { "type": "String", "default": function } };
        let definition = doc! {
            "email": "String",
            "logins": { "type": "Number", "default": 0 },
            "items": [sub.clone()],
            "one": { "type": sub },
            "noid": { "type": { "_id": false, "k": "String" } },
        };
        let schema = Schema::new(&definition, &doc! {}).unwrap();
        let now = DateTime::from_millis(5);
        let stored =
            doc! { "_id": 1, "email": "x", "items": [{ "k": "a" }], "one": { "k": "z" }, "noid": { "k": "q" } };
        let hydrated = hydrate(&schema, &stored, &[], now);
        let (first, second) = (ObjectId::from_bytes([1; 12]), ObjectId::from_bytes([2; 12]));
        let expected = doc! {
            "logins": 0,
            "_id": 1,
            "email": "x",
            "items": [{ "k2": "d2", "_id": first, "k": "a", "at": now, "f": "fn f" }],
            "one": { "k": "z", "at": now, "f": "fn f", "k2": "d2", "_id": second },
            "noid": { "k": "q" },
        };
        assert_eq!(hydrated.document.to_string(), expected.to_string());
        assert_eq!(hydrated.defaulted, ["logins", "one.at", "one.f", "one.k2", "one._id"]);
    }
}
