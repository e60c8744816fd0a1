//! Models: a name, a schema and the collection Mongoose would use (`mongoose.model("User")` → `users`).

use std::sync::OnceLock;

use super::definition::{FieldType, PathDef, ScalarType, Schema, SchemaNode};

/// `mongoose.model(name, schema)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub name: String,
    pub schema: Schema,
    pub collection: String,
}

impl Model {
    /// The collection is the schema's `collection` option, else Mongoose's pluralized, lowercased model name.
    /// Like `Model.compile`, adds the version key (`__v: Number`) to the schema's paths.
    pub fn new(name: &str, mut schema: Schema) -> Model {
        if let Some(version_key) = schema.options.version_key.clone() {
            if schema.node(&version_key).is_none() {
                let def = PathDef::of(FieldType::Scalar(ScalarType::Number));
                schema.tree.push((version_key, SchemaNode::Path(Box::new(def))));
            }
        }
        let collection = schema.options.collection.clone().unwrap_or_else(|| collection_name(name));
        Model { name: name.to_string(), schema, collection }
    }
}

/// An index Mongoose's `autoIndex` would create for a path declared `unique: true` or `index: true`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    /// `{ path: 1 }`.
    pub keys: bson::Document,
    pub unique: bool,
    /// `sparse: true` on the path.
    pub sparse: bool,
    /// `expires` on a Date path: the TTL index's `expireAfterSeconds`.
    pub expire_after_seconds: Option<bson::Bson>,
    /// MongoDB's default name, `path_1`.
    pub name: String,
}

impl Model {
    /// The indexes to create when the model is compiled, in schema order.
    pub fn index_specs(&self) -> Vec<IndexSpec> {
        self.schema
            .paths()
            .into_iter()
            .filter(|(_, def)| def.unique || def.index || def.sparse || def.expire_after_seconds.is_some())
            .map(|(path, def)| {
                let mut keys = bson::Document::new();
                // `expires` makes the path's index an object, whatever direction `index` gave (Mongoose 9.12.1:
                // `{ type: Date, expires: 3600, index: -1 }` → `[{ e2: 1 }, { expireAfterSeconds: 3600 }]`).
                let direction = if def.index && def.expire_after_seconds.is_none() { def.index_direction } else { 1 };
                keys.insert(path.clone(), direction);
                IndexSpec {
                    keys,
                    unique: def.unique,
                    sparse: def.sparse,
                    expire_after_seconds: def.expire_after_seconds.clone(),
                    name: format!("{path}_{direction}"),
                }
            })
            .collect()
    }
}

/// Mongoose's `toCollectionName`: `system.profile`/`system.indexes` stay, everything else is pluralized.
pub fn collection_name(model_name: &str) -> String {
    if model_name == "system.profile" || model_name == "system.indexes" {
        return model_name.to_string();
    }
    pluralize(model_name)
}

const UNCOUNTABLES: [&str; 27] = [
    "advice",
    "energy",
    "excretion",
    "digestion",
    "cooperation",
    "health",
    "justice",
    "labour",
    "machinery",
    "equipment",
    "information",
    "pollution",
    "sewage",
    "paper",
    "money",
    "species",
    "series",
    "rain",
    "rice",
    "fish",
    "sheep",
    "moose",
    "deer",
    "news",
    "expertise",
    "status",
    "media",
];

/// Mongoose's pluralization rules (lib/helpers/pluralize.js), first match wins; replacements use `${n}` groups.
const RULES: [(&str, &str); 24] = [
    ("(?i)human$", "humans"),
    ("(?i)(m|wom)an$", "${1}en"),
    ("(?i)(pe)rson$", "${1}ople"),
    ("(?i)(child)$", "${1}ren"),
    ("(?i)^(ox)$", "${1}en"),
    ("(?i)(ax|test)is$", "${1}es"),
    ("(?i)(octop|cact|foc|fung|nucle)us$", "${1}i"),
    ("(?i)(alias|status|virus)$", "${1}es"),
    ("(?i)(bu)s$", "${1}ses"),
    ("(?i)(buffal|tomat|potat)o$", "${1}oes"),
    ("(?i)([ti])um$", "${1}a"),
    ("(?i)sis$", "ses"),
    ("(?i)(?:([^f])fe|([lr])f)$", "${1}${2}ves"),
    ("(?i)(hive)$", "${1}s"),
    ("(?i)([^aeiouy]|qu)y$", "${1}ies"),
    ("(?i)(x|ch|ss|sh)$", "${1}es"),
    ("(?i)(matr|vert|ind)ix|ex$", "${1}ices"),
    ("(?i)([m|l])ouse$", "${1}ice"),
    ("(?i)(kn|w|l)ife$", "${1}ives"),
    ("(?i)(quiz)$", "${1}zes"),
    ("(?i)^goose$", "geese"),
    ("(?i)s$", "s"),
    ("([^a-z])$", "${1}"),
    ("$", "s"),
];

fn compiled_rules() -> &'static Vec<(regex::Regex, &'static str)> {
    static CELL: OnceLock<Vec<(regex::Regex, &'static str)>> = OnceLock::new();
    CELL.get_or_init(|| {
        RULES
            .iter()
            .filter_map(|(pattern, replacement)| regex::Regex::new(pattern).ok().map(|re| (re, *replacement)))
            .collect()
    })
}

/// Mongoose's `pluralize`: lowercases, then applies the first matching rule (`person` → `people`, `User` → `users`).
pub fn pluralize(name: &str) -> String {
    let lower = name.to_lowercase();
    if UNCOUNTABLES.contains(&lower.as_str()) {
        return lower;
    }
    for (rule, replacement) in compiled_rules() {
        if rule.is_match(&lower) {
            return rule.replace_all(&lower, *replacement).into_owned();
        }
    }
    lower
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pluralizes_like_mongoose() {
        let cases = [
            ("User", "users"),
            ("Person", "people"),
            ("Course", "courses"),
            ("Category", "categories"),
            ("Box", "boxes"),
            ("Child", "children"),
            ("Woman", "women"),
            ("Mouse", "mice"),
            ("Status", "status"),
            ("Sheep", "sheep"),
            ("Knife", "knives"),
            ("Index", "indexes"),
            ("Matrix", "matrixes"),
            ("Vertex", "vertexes"),
            ("Bus", "buses"),
            ("Potato", "potatoes"),
            ("Datum", "data"),
            ("Analysis", "analyses"),
            ("Day", "days"),
            ("Goose", "geese"),
            ("Quiz", "quizzes"),
            ("Ox", "oxen"),
            ("Item2", "item2"),
            ("system.profile", "system.profile"),
        ];
        for (name, expected) in cases {
            assert_eq!(collection_name(name), expected, "{name}");
        }
    }

    #[test]
    fn unique_and_indexed_paths_become_index_specs() {
        let schema = Schema::from_definition(&bson::doc! {
            "email": {"type": "String", "unique": true},
            "city": {"type": "String", "index": true},
            "name": "String",
        })
        .unwrap();
        let specs = Model::new("User", schema).index_specs();
        assert_eq!(
            specs,
            [
                IndexSpec {
                    keys: bson::doc! {"email": 1},
                    unique: true,
                    sparse: false,
                    expire_after_seconds: None,
                    name: "email_1".into()
                },
                IndexSpec {
                    keys: bson::doc! {"city": 1},
                    unique: false,
                    sparse: false,
                    expire_after_seconds: None,
                    name: "city_1".into()
                },
            ]
        );
    }

    #[test]
    fn collection_option_wins() {
        let schema = Schema::new(&bson::doc! {"a": "String"}, &bson::doc! {"collection": "folks"}).unwrap();
        assert_eq!(Model::new("Person", schema).collection, "folks");
        let schema = Schema::from_definition(&bson::doc! {"a": "String"}).unwrap();
        assert_eq!(Model::new("Person", schema).collection, "people");
    }
}
