//! Schema definitions: the JSON dialect of FORMAT.md (and the command-language parser's output) turned into a
//! tree of typed paths with their setters, validators, defaults and options, like `new mongoose.Schema(def, options)`.

use bson::{Bson, Document};

use super::errors::SchemaDefinitionError;
use super::trace::SetterKind;
use crate::js::inspect::js_number;

/// A schema used inside another (`posts: [postSchema]`) reaches this layer as `{ $schema: definition,
/// $options: options }`: no path name can start with `$`, so the marker cannot be mistaken for fields.
pub const EMBEDDED_SCHEMA_KEY: &str = "$schema";
pub const EMBEDDED_OPTIONS_KEY: &str = "$options";

/// Nesting limit for definitions, so a hostile definition cannot exhaust the stack.
pub const MAX_DEFINITION_DEPTH: usize = 32;

/// The scalar SchemaTypes the dialect names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    String,
    Number,
    Boolean,
    Date,
    ObjectId,
    Mixed,
    Buffer,
}

impl ScalarType {
    /// Mongoose's `instance` name.
    pub fn name(self) -> &'static str {
        match self {
            ScalarType::String => "String",
            ScalarType::Number => "Number",
            ScalarType::Boolean => "Boolean",
            ScalarType::Date => "Date",
            ScalarType::ObjectId => "ObjectId",
            ScalarType::Mixed => "Mixed",
            ScalarType::Buffer => "Buffer",
        }
    }
}

/// What a type name in a definition stands for.
enum TypeName {
    Scalar(ScalarType),
    MixedArray,
}

fn parse_type_name(name: &str) -> Option<TypeName> {
    let trimmed = name
        .strip_prefix("mongoose.Schema.Types.")
        .or_else(|| name.strip_prefix("Schema.Types."))
        .or_else(|| name.strip_prefix("mongoose."))
        .unwrap_or(name);
    Some(TypeName::Scalar(match trimmed {
        "String" | "string" => ScalarType::String,
        "Number" | "number" => ScalarType::Number,
        "Boolean" | "boolean" | "Bool" => ScalarType::Boolean,
        "Date" | "date" => ScalarType::Date,
        "ObjectId" | "ObjectID" | "objectId" | "Oid" => ScalarType::ObjectId,
        "Mixed" | "mixed" | "Object" | "object" => ScalarType::Mixed,
        "Buffer" | "buffer" => ScalarType::Buffer,
        "Array" | "array" => return Some(TypeName::MixedArray),
        _ => return None,
    }))
}

/// The shape of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    Scalar(ScalarType),
    /// `[def]`: every element is cast and validated with `def`.
    Array(Box<PathDef>),
    /// `[{...}]`: an array of subdocuments, each with its own `_id` unless the sub-schema says `_id: false`.
    DocumentArray(Box<Schema>),
    /// `{ type: { ...fields } }`: a single nested subdocument (Mongoose 9: `typePojoToMixed` is off), with its own
    /// `_id`, casting, defaults and validators; its errors carry full paths (`stats.followers`).
    Subdocument(Box<Schema>),
}

/// A validator, in the order Mongoose runs it (`required` first, the rest in the order the options were written).
#[derive(Debug, Clone)]
pub enum Validator {
    Required {
        message: Option<String>,
        /// `required: function () { return this.role === "admin" }` (or `[fn, message]`, `{ isRequired: fn }`):
        /// the program's function deciding whether the path is required, called by the runtime with `this` the
        /// document (in update validators, the query), as SchemaType.prototype.required's `requiredValidator` does.
        condition: Option<usize>,
    },
    Min {
        bound: Bson,
        message: Option<String>,
    },
    Max {
        bound: Bson,
        message: Option<String>,
    },
    MinLength {
        length: f64,
        message: Option<String>,
    },
    MaxLength {
        length: f64,
        message: Option<String>,
    },
    Enum {
        values: Vec<Bson>,
        message: Option<String>,
    },
    Match {
        source: String,
        /// The regex's flags, for `{REGEXP}` (`/^a/i`).
        flags: String,
        regex: regex::Regex,
        message: Option<String>,
    },
    /// `validate: fn` or `{ validator: fn, message }`: a function of the program, which the runtime calls (see
    /// [`crate::schema::functions`]).
    Custom {
        function: usize,
        message: Option<CustomMessage>,
        kind: String,
    },
}

/// A custom validator's `message`: a template (`"{VALUE} is not an email"`) or a function of the program.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomMessage {
    Text(String),
    Function(usize),
}

impl PartialEq for Validator {
    fn eq(&self, other: &Self) -> bool {
        use Validator::*;
        match (self, other) {
            (Required { message: a, condition: c }, Required { message: b, condition: d }) => a == b && c == d,
            (Min { bound: a, message: m }, Min { bound: b, message: n })
            | (Max { bound: a, message: m }, Max { bound: b, message: n }) => a == b && m == n,
            (MinLength { length: a, message: m }, MinLength { length: b, message: n })
            | (MaxLength { length: a, message: m }, MaxLength { length: b, message: n }) => a == b && m == n,
            (Enum { values: a, message: m }, Enum { values: b, message: n }) => a == b && m == n,
            (Match { source: a, flags: f, message: m, .. }, Match { source: b, flags: g, message: n, .. }) => {
                a == b && f == g && m == n
            }
            (Custom { function: a, message: m, kind: k }, Custom { function: b, message: n, kind: j }) => {
                a == b && m == n && k == j
            }
            _ => false,
        }
    }
}

impl Validator {
    /// The `kind` a failing validator reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Validator::Required { .. } => "required",
            Validator::Min { .. } => "min",
            Validator::Max { .. } => "max",
            Validator::MinLength { .. } => "minlength",
            Validator::MaxLength { .. } => "maxlength",
            Validator::Enum { .. } => "enum",
            Validator::Match { .. } => "regexp",
            Validator::Custom { .. } => "user defined",
        }
    }
}

/// One path of a schema with its options.
#[derive(Debug, Clone, PartialEq)]
pub struct PathDef {
    pub field_type: FieldType,
    /// Setters in the order they were declared (Mongoose applies them last to first); a `set: fn` is
    /// [`SetterKind::Function`] at its place among them.
    pub setters: Vec<SetterKind>,
    pub validators: Vec<Validator>,
    /// The `default` option. For array paths without one, Mongoose's implicit `[]` applies.
    pub default: Option<Bson>,
    pub reference: Option<String>,
    /// `unique: true` is not a validator: the model needs a unique index on this path.
    pub unique: bool,
    pub index: bool,
    pub immutable: bool,
    /// `select: false` hides the path from query results unless asked for.
    pub select: Option<bool>,
    /// Options Mongoose would ignore (typos like `requried` show up here for the UI).
    pub ignored_options: Vec<String>,
    /// Options Mongoose implements and crudlab does not ([`UNSUPPORTED_PATH_OPTIONS`]), with what Mongoose does.
    pub unsupported_options: Vec<(String, String)>,
    /// The direction of the index `index: true` (1) or `index: -1` asks for.
    pub index_direction: i32,
    /// `get: fn` / `set: fn`: functions of the program, applied by the runtime on read and on assignment.
    pub getter: Option<usize>,
    pub setter: Option<usize>,
    /// `alias: "name"` (or several): virtuals of the schema that read and write this path.
    pub aliases: Vec<String>,
    /// `transform: fn`: applied to the path's value (its getters applied) by `toObject()` and `toJSON()`.
    pub transform: Option<usize>,
    /// `sparse: true`: the path's index skips documents that do not have the field.
    pub sparse: bool,
    /// `expires: 3600` or `"1h"` on a Date path: a TTL index with this `expireAfterSeconds` (lib/utils.js
    /// `expires`: a number as given, a string through the `ms` package, rounded to seconds).
    pub expire_after_seconds: Option<Bson>,
}

impl PathDef {
    pub fn of(field_type: FieldType) -> Self {
        PathDef {
            field_type,
            setters: Vec::new(),
            validators: Vec::new(),
            default: None,
            reference: None,
            unique: false,
            index: false,
            immutable: false,
            select: None,
            ignored_options: Vec::new(),
            unsupported_options: Vec::new(),
            index_direction: 1,
            aliases: Vec::new(),
            getter: None,
            setter: None,
            transform: None,
            sparse: false,
            expire_after_seconds: None,
        }
    }

    /// The scalar type of the path, or of its elements for arrays of scalars.
    pub fn scalar(&self) -> Option<ScalarType> {
        match &self.field_type {
            FieldType::Scalar(t) => Some(*t),
            _ => None,
        }
    }

    pub fn is_array(&self) -> bool {
        matches!(self.field_type, FieldType::Array(_) | FieldType::DocumentArray(_))
    }

    pub fn is_required(&self) -> bool {
        self.validators.iter().any(|v| matches!(v, Validator::Required { .. }))
    }

    /// Mongoose's `instance` for the path (`String`, `Array`...).
    pub fn instance(&self) -> &'static str {
        match &self.field_type {
            FieldType::Scalar(t) => t.name(),
            FieldType::Array(_) | FieldType::DocumentArray(_) => "Array",
            FieldType::Subdocument(_) => "Embedded",
        }
    }
}

/// A node of the schema tree: a typed path or a nested object of paths.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaNode {
    Path(Box<PathDef>),
    Nested(Vec<(String, SchemaNode)>),
}

/// Strict mode for paths outside the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strict {
    /// Drop them (the default).
    True,
    /// Keep them.
    False,
    /// Throw a StrictModeError.
    Throw,
}

/// Field names for `timestamps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamps {
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

/// The schema options this layer supports.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaOptions {
    pub strict: Strict,
    /// `strictQuery`: what a filter does with a path not in the schema — kept (`false`, Mongoose 9's default),
    /// dropped (`true`) or refused with a `StrictModeError` (`"throw"`).
    pub strict_query: Strict,
    pub timestamps: Option<Timestamps>,
    /// `__v` unless renamed; `None` when `versionKey: false`.
    pub version_key: Option<String>,
    /// Whether Mongoose adds an `_id` path (`_id: false` turns it off).
    pub id: bool,
    pub collection: Option<String>,
    /// `minimize` (on by default): empty objects are left out of what is stored.
    pub minimize: bool,
    /// `translateAliases: true`: this model's queries translate aliases as if each had the option.
    pub translate_aliases: bool,
    /// `id` (on by default): documents have an `id` virtual, the `_id` as a string.
    pub id_virtual: bool,
    /// `autoIndex` (on by default): declaring the model asks the database for the schema's indexes.
    pub auto_index: bool,
    /// Options Mongoose 9 implements and crudlab does not ([`UNSUPPORTED_SCHEMA_OPTIONS`]), with what Mongoose
    /// does with them; the model's declaration says so.
    pub unsupported: Vec<(String, String)>,
}

/// Schema options Mongoose 9 implements and crudlab does not, with what Mongoose does with them. (Options about
/// the connection, the server or the driver — `bufferCommands`, `read`, `writeConcern` ... — change nothing a
/// single in-memory server shows, and are not listed.)
pub const UNSUPPORTED_SCHEMA_OPTIONS: &[(&str, &str)] = &[
    ("validateBeforeSave", "with false, Mongoose's save() skips validation"),
    ("validateModifiedOnly", "Mongoose validates only the modified paths on save()"),
    ("optimisticConcurrency", "Mongoose checks __v on every save(), not only when arrays move"),
    ("skipVersioning", "Mongoose does not increment __v for these paths"),
    ("discriminatorKey", "Mongoose names the discriminator key with it"),
    ("capped", "Mongoose creates a capped collection"),
    ("timeseries", "Mongoose creates a time series collection"),
    ("collation", "Mongoose creates the collection with this collation"),
    ("collectionOptions", "Mongoose creates the collection with these options"),
    ("selectPopulatedPaths", "with false, Mongoose does not add populated paths to a select()"),
    ("storeSubdocValidationError", "with false, Mongoose reports only the subdocument's own paths"),
    ("excludeIndexes", "Mongoose does not build the indexes of subdocuments"),
    ("shardKey", "Mongoose adds the shard key to save()'s filter"),
    ("virtuals", "Mongoose declares these virtuals"),
    ("methods", "Mongoose adds these document methods"),
    ("statics", "Mongoose adds these model methods"),
    ("query", "Mongoose adds these query helpers"),
];

impl Default for SchemaOptions {
    fn default() -> Self {
        SchemaOptions {
            strict: Strict::True,
            strict_query: Strict::False,
            timestamps: None,
            version_key: Some("__v".to_string()),
            id: true,
            collection: None,
            minimize: true,
            translate_aliases: false,
            id_virtual: true,
            auto_index: true,
            unsupported: Vec::new(),
        }
    }
}

/// A compiled schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Paths in definition order; `_id` (when automatic) comes last, then timestamp paths.
    pub tree: Vec<(String, SchemaNode)>,
    pub options: SchemaOptions,
    /// True when `_id` was added by Mongoose (it gets a generated ObjectId default).
    pub auto_id: bool,
    /// `alias` options of this schema's paths (a subdocument's are its own schema's): alias → real path, in
    /// schema order (Mongoose's `schema.aliases`; each alias is also a virtual that gets and sets the path).
    pub aliases: Vec<(String, String)>,
    /// The virtuals the program declared with `schema.virtual(name)` (the runtime fills them in when the model is
    /// declared, and when a virtual is added later). Mongoose's `id` virtual is not listed: see [`Schema::is_virtual`].
    pub virtuals: Vec<String>,
}

impl Schema {
    /// Whether `name` is a virtual of this schema that is not a real path: one the program declared, or
    /// Mongoose's `id` (lib/helpers/schema/idGetter.js adds it unless `id: false`, a path `id` or an alias `id`).
    pub fn is_virtual(&self, name: &str) -> bool {
        let real = self.tree.iter().any(|(path, _)| path == name);
        !real
            && (self.virtuals.iter().any(|virtual_name| virtual_name == name)
                || (name == "id"
                    && self.options.id_virtual
                    && self.tree.iter().any(|(path, _)| path == "_id")
                    && !self.aliases.iter().any(|(alias, _)| alias == "id")))
    }
}

/// What a dotted path names inside a schema.
#[derive(Debug, Clone, Copy)]
pub enum ResolvedPath<'a> {
    /// A typed path; `full_path` is its schema path.
    Path(&'a PathDef),
    /// An element of an array path (`tags.0`), cast with the element type.
    Element(&'a PathDef),
    /// A nested object (`profile`).
    Nested,
    /// Below a Mixed path or inside an array of scalars: anything goes, nothing is cast.
    Free,
    /// Not in the schema.
    Unknown,
}

fn definition_error(path: &str, message: String) -> SchemaDefinitionError {
    SchemaDefinitionError { path: path.to_string(), message, name: "TypeError" }
}

fn mongoose_definition_error(path: &str, message: String) -> SchemaDefinitionError {
    SchemaDefinitionError { path: path.to_string(), message, name: "MongooseError" }
}

fn invalid_type(path: &str, shown: &str) -> SchemaDefinitionError {
    definition_error(
        path,
        format!(
            "Invalid schema configuration: `{shown}` is not a valid type at path `{path}`. See https://bit.ly/mongoose-schematypes for a list of valid schema types."
        ),
    )
}

fn shown(value: &Bson) -> String {
    match value {
        Bson::String(s) => s.clone(),
        other => crate::js::inspect::inspect(other),
    }
}

impl Schema {
    /// Whether any path of the schema (nested, in arrays, in subdocuments) has a `set` function.
    pub fn has_setter_functions(&self) -> bool {
        fn def_has(def: &PathDef) -> bool {
            def.setter.is_some()
                || match &def.field_type {
                    FieldType::Scalar(_) => false,
                    FieldType::Array(element) => def_has(element),
                    FieldType::DocumentArray(sub) | FieldType::Subdocument(sub) => sub.has_setter_functions(),
                }
        }
        fn tree_has(tree: &[(String, SchemaNode)]) -> bool {
            tree.iter().any(|(_, node)| match node {
                SchemaNode::Path(def) => def_has(def),
                SchemaNode::Nested(children) => tree_has(children),
            })
        }
        tree_has(&self.tree)
    }

    /// `new mongoose.Schema(definition, options)`.
    pub fn new(definition: &Document, options: &Document) -> Result<Schema, SchemaDefinitionError> {
        let options = parse_options(options)?;
        Self::build(definition, options, 0)
    }

    /// A schema from a definition alone (default options).
    pub fn from_definition(definition: &Document) -> Result<Schema, SchemaDefinitionError> {
        Self::new(definition, &Document::new())
    }

    fn build(definition: &Document, options: SchemaOptions, depth: usize) -> Result<Schema, SchemaDefinitionError> {
        let mut options = options;
        let mut definition = definition.clone();
        // `_id: false` in a definition (`[{ _id: false, text: String }]`) turns the automatic `_id` off, as the
        // `_id` option does (lib/schema.js).
        if matches!(definition.get("_id"), Some(Bson::Boolean(false))) {
            definition.remove("_id");
            options.id = false;
        }
        let definition = &definition;
        let mut tree = parse_tree(definition, "", depth, options.strict)?;
        // Aliases are set up when the definition's paths are added, before Mongoose adds `_id` and the
        // timestamps (so `alias: "_id"` is no conflict).
        let aliases = collect_aliases(&tree)?;
        let auto_id = options.id && !tree.iter().any(|(k, _)| k == "_id");
        if auto_id {
            tree.push((
                "_id".to_string(),
                SchemaNode::Path(Box::new(PathDef::of(FieldType::Scalar(ScalarType::ObjectId)))),
            ));
        }
        if let Some(ts) = &options.timestamps {
            for name in [&ts.created_at, &ts.updated_at].into_iter().flatten() {
                if !tree.iter().any(|(k, _)| k == name) {
                    let mut def = PathDef::of(FieldType::Scalar(ScalarType::Date));
                    if Some(name) == ts.created_at.as_ref() {
                        def.immutable = true;
                    }
                    tree.push((name.clone(), SchemaNode::Path(Box::new(def))));
                }
            }
        }
        Ok(Schema { tree, options, auto_id, aliases, virtuals: Vec::new() })
    }

    /// Every typed path with its full dotted name, in schema order (nested paths flattened).
    pub fn paths(&self) -> Vec<(String, &PathDef)> {
        let mut out = Vec::new();
        collect_paths(&self.tree, "", &mut out);
        out
    }

    /// Paths declared `unique: true` (the model must create a unique index for each).
    pub fn unique_paths(&self) -> Vec<String> {
        self.paths().into_iter().filter(|(_, d)| d.unique).map(|(p, _)| p).collect()
    }

    /// Paths declared `select: false` (hidden from query results by default).
    pub fn deselected_paths(&self) -> Vec<String> {
        self.paths().into_iter().filter(|(_, d)| d.select == Some(false)).map(|(p, _)| p).collect()
    }

    /// Looks up a dotted path the way Mongoose's `schema.path()` / `_getSchema()` do.
    pub fn resolve(&self, path: &str) -> ResolvedPath<'_> {
        let segments: Vec<&str> = path.split('.').collect();
        resolve_in_tree(&self.tree, &segments)
    }

    /// The path of the schema type at `path` as Mongoose names it (`SchemaType#path`): relative to the innermost
    /// subdocument (`stats.followers` → `followers`, `comments.0.votes` → `votes`), without array indexes of
    /// arrays of scalars (`tags.1` → `tags`). Messages of errors raised by that schema type name it.
    pub fn schema_path(&self, path: &str) -> String {
        let segments: Vec<&str> = path.split('.').collect();
        let mut tree = &self.tree;
        let mut own: Vec<&str> = Vec::new();
        let mut i = 0;
        while let Some(segment) = segments.get(i) {
            i += 1;
            own.push(segment);
            let Some(node) = tree.iter().find(|(k, _)| k == segment).map(|(_, n)| n) else {
                own.extend(segments.get(i..).unwrap_or_default());
                break;
            };
            match node {
                SchemaNode::Nested(children) => tree = children,
                SchemaNode::Path(def) => {
                    let mut field = &def.field_type;
                    loop {
                        match field {
                            FieldType::Array(element) if segments.get(i).is_some_and(|s| is_index(s)) => {
                                i += 1;
                                field = &element.field_type;
                            }
                            _ => break,
                        }
                    }
                    match field {
                        FieldType::Subdocument(sub) if i < segments.len() => {
                            own.clear();
                            tree = &sub.tree;
                        }
                        FieldType::DocumentArray(sub) if i < segments.len() => {
                            if segments.get(i).is_some_and(|s| is_index(s)) {
                                i += 1;
                            }
                            own.clear();
                            tree = &sub.tree;
                        }
                        _ => {
                            own.extend(segments.get(i..).unwrap_or_default());
                            break;
                        }
                    }
                }
            }
        }
        own.join(".")
    }

    /// Turns the automatic `_id` off, as the `_id: false` option does.
    fn drop_auto_id(&mut self) {
        if self.auto_id {
            self.tree.retain(|(key, _)| key != "_id");
            self.auto_id = false;
        }
        self.options.id = false;
    }

    /// The top-level node for `key`.
    pub fn node(&self, key: &str) -> Option<&SchemaNode> {
        self.tree.iter().find(|(k, _)| k == key).map(|(_, n)| n)
    }
}

fn collect_paths<'a>(tree: &'a [(String, SchemaNode)], prefix: &str, out: &mut Vec<(String, &'a PathDef)>) {
    for (key, node) in tree {
        let full = format!("{prefix}{key}");
        match node {
            SchemaNode::Path(def) => out.push((full, def)),
            SchemaNode::Nested(children) => collect_paths(children, &format!("{full}."), out),
        }
    }
}

/// An array index in a path: `0`, or an update's positional operators `$`, `$[]` and `$[id]`, which stand for
/// elements too (Mongoose's `schema.path("comments.$.votes")`).
fn is_index(segment: &str) -> bool {
    (!segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()))
        || segment == "$"
        || (segment.starts_with("$[") && segment.ends_with(']'))
}

fn resolve_in_tree<'a>(tree: &'a [(String, SchemaNode)], segments: &[&str]) -> ResolvedPath<'a> {
    let Some((first, rest)) = segments.split_first() else {
        return ResolvedPath::Unknown;
    };
    match tree.iter().find(|(k, _)| k == first).map(|(_, n)| n) {
        None => ResolvedPath::Unknown,
        Some(SchemaNode::Nested(children)) => {
            if rest.is_empty() {
                ResolvedPath::Nested
            } else {
                resolve_in_tree(children, rest)
            }
        }
        Some(SchemaNode::Path(def)) => {
            if rest.is_empty() {
                ResolvedPath::Path(def)
            } else {
                resolve_below(def, rest)
            }
        }
    }
}

fn resolve_below<'a>(def: &'a PathDef, rest: &[&str]) -> ResolvedPath<'a> {
    match &def.field_type {
        FieldType::Scalar(ScalarType::Mixed) => ResolvedPath::Free,
        FieldType::Scalar(_) => ResolvedPath::Unknown,
        FieldType::Array(element) => match rest.split_first() {
            Some((first, more)) if is_index(first) => {
                if more.is_empty() {
                    ResolvedPath::Element(element)
                } else {
                    resolve_below(element, more)
                }
            }
            _ => ResolvedPath::Free,
        },
        FieldType::Subdocument(sub) => resolve_in_tree(&sub.tree, rest),
        FieldType::DocumentArray(sub) => {
            let rest = match rest.split_first() {
                Some((first, more)) if is_index(first) => more,
                _ => rest,
            };
            if rest.is_empty() {
                ResolvedPath::Free
            } else {
                resolve_in_tree(&sub.tree, rest)
            }
        }
    }
}

/// Reads schema options (`strict`, `strictQuery`, `timestamps`, `versionKey`, `_id`, `collection`).
pub fn parse_options(options: &Document) -> Result<SchemaOptions, SchemaDefinitionError> {
    let mut parsed = SchemaOptions::default();
    for (key, value) in options {
        match (key.as_str(), value) {
            ("strict", Bson::Boolean(true)) => parsed.strict = Strict::True,
            ("strict", Bson::Boolean(false)) => parsed.strict = Strict::False,
            ("strict", Bson::String(s)) if s == "throw" => parsed.strict = Strict::Throw,
            ("strict", other) => {
                return Err(definition_error(
                    "strict",
                    format!("Invalid schema option: strict must be true, false or \"throw\", got {}", shown(other)),
                ))
            }
            ("strictQuery", Bson::Boolean(true)) => parsed.strict_query = Strict::True,
            ("strictQuery", Bson::Boolean(false)) => parsed.strict_query = Strict::False,
            ("strictQuery", Bson::String(s)) if s == "throw" => parsed.strict_query = Strict::Throw,
            ("strictQuery", other) => {
                return Err(definition_error(
                    "strictQuery",
                    format!(
                        "Invalid schema option: strictQuery must be true, false or \"throw\", got {}",
                        shown(other)
                    ),
                ))
            }
            ("timestamps", Bson::Boolean(on)) => {
                parsed.timestamps = on.then(|| Timestamps {
                    created_at: Some("createdAt".to_string()),
                    updated_at: Some("updatedAt".to_string()),
                });
            }
            ("timestamps", Bson::Document(names)) => {
                let pick = |field: &str, default: &str| match names.get(field) {
                    None | Some(Bson::Boolean(true)) => Some(default.to_string()),
                    Some(Bson::String(name)) => Some(name.clone()),
                    _ => None,
                };
                parsed.timestamps = Some(Timestamps {
                    created_at: pick("createdAt", "createdAt"),
                    updated_at: pick("updatedAt", "updatedAt"),
                });
                if names.contains_key("currentTime") {
                    parsed.unsupported.push((
                        "timestamps.currentTime".to_string(),
                        "Mongoose takes the timestamps' time from this function".to_string(),
                    ));
                }
            }
            ("versionKey", Bson::Boolean(false)) => parsed.version_key = None,
            ("versionKey", Bson::Boolean(true)) => parsed.version_key = Some("__v".to_string()),
            ("versionKey", Bson::String(name)) => parsed.version_key = Some(name.clone()),
            ("_id", Bson::Boolean(on)) => parsed.id = *on,
            ("minimize", Bson::Boolean(on)) => parsed.minimize = *on,
            ("translateAliases", value) => parsed.translate_aliases = crate::js::truthy(value),
            ("id", value) => parsed.id_virtual = crate::js::truthy(value),
            ("autoIndex", value) => parsed.auto_index = crate::js::truthy(value),
            // `typeKey` changes how the whole definition reads (`{ $type: String }`): refused rather than misread.
            ("typeKey", Bson::String(type_key)) if type_key != "type" => {
                return Err(definition_error(
                    "typeKey",
                    format!("crudlab does not support the typeKey option (`{type_key}`): declare types with `type`"),
                ))
            }
            // Options on by default matter only when turned off; the others only when given a value.
            ("validateBeforeSave" | "selectPopulatedPaths" | "storeSubdocValidationError", value)
                if crate::js::truthy(value) => {}
            (name, value)
                if UNSUPPORTED_SCHEMA_OPTIONS.iter().any(|(option, _)| *option == name)
                    && (crate::js::truthy(value)
                        || matches!(
                            name,
                            "validateBeforeSave" | "selectPopulatedPaths" | "storeSubdocValidationError"
                        )) =>
            {
                let what = UNSUPPORTED_SCHEMA_OPTIONS.iter().find(|(option, _)| *option == name).map(|(_, w)| *w);
                parsed.unsupported.push((name.to_string(), what.unwrap_or_default().to_string()));
            }
            ("collection", Bson::String(name)) => parsed.collection = Some(name.clone()),
            ("timestamps" | "versionKey" | "_id" | "collection", other) => {
                return Err(definition_error(key, format!("Invalid schema option `{key}`: {}", shown(other))))
            }
            // Mongoose accepts many more options; the ones this layer does not model change nothing here.
            _ => {}
        }
    }
    Ok(parsed)
}

fn parse_tree(
    definition: &Document,
    prefix: &str,
    depth: usize,
    strict: Strict,
) -> Result<Vec<(String, SchemaNode)>, SchemaDefinitionError> {
    if depth > MAX_DEFINITION_DEPTH {
        return Err(definition_error(prefix, "Schema definition is nested too deeply".to_string()));
    }
    let mut tree: Vec<(String, SchemaNode)> = Vec::new();
    for (key, value) in definition {
        if key.is_empty() || key.starts_with('$') {
            return Err(definition_error(
                key,
                format!("Invalid path name `{prefix}{key}`: path names cannot be empty or start with `$`"),
            ));
        }
        // `"a.b": String` declares the nested path a.b.
        let mut segments: Vec<&str> = key.split('.').collect();
        let last = segments.pop().unwrap_or_default();
        let mut node_tree = &mut tree;
        let mut path_prefix = prefix.to_string();
        for segment in segments {
            path_prefix.push_str(segment);
            path_prefix.push('.');
            let position = match node_tree.iter().position(|(k, _)| k == segment) {
                Some(p) => p,
                None => {
                    node_tree.push((segment.to_string(), SchemaNode::Nested(Vec::new())));
                    node_tree.len() - 1
                }
            };
            match node_tree.get_mut(position) {
                Some((_, SchemaNode::Nested(children))) => node_tree = children,
                _ => {
                    return Err(definition_error(
                        key,
                        format!("Cannot set nested path `{prefix}{key}`: parent is not a nested object"),
                    ))
                }
            }
        }
        let full_path = format!("{path_prefix}{last}");
        let node = parse_node(value, &full_path, depth + 1, strict)?;
        if let Some(slot) = node_tree.iter_mut().find(|(k, _)| k == last) {
            slot.1 = node;
        } else {
            node_tree.push((last.to_string(), node));
        }
    }
    Ok(tree)
}

fn parse_node(value: &Bson, path: &str, depth: usize, strict: Strict) -> Result<SchemaNode, SchemaDefinitionError> {
    if depth > MAX_DEFINITION_DEPTH {
        return Err(definition_error(path, "Schema definition is nested too deeply".to_string()));
    }
    match value {
        Bson::String(name) => Ok(path_node(type_from_name(name, path)?)),
        Bson::Array(items) => Ok(path_node(PathDef::of(array_type(items, path, depth, strict)?))),
        Bson::Document(doc) => {
            if doc.is_empty() {
                return Ok(path_node(PathDef::of(FieldType::Scalar(ScalarType::Mixed))));
            }
            if let Some(schema) = embedded_schema(doc, path, depth)? {
                return Ok(path_node(PathDef::of(FieldType::Subdocument(Box::new(schema)))));
            }
            match doc.get("type") {
                // `{ type: { type: String } }` declares a nested field called `type`.
                Some(Bson::Document(inner)) if inner.contains_key("type") => {
                    Ok(SchemaNode::Nested(parse_tree(doc, &format!("{path}."), depth, strict)?))
                }
                Some(type_value) => Ok(path_node(typed_path(type_value, doc, path, depth, strict)?)),
                None => Ok(SchemaNode::Nested(parse_tree(doc, &format!("{path}."), depth, strict)?)),
            }
        }
        other => Err(invalid_type(path, &shown(other))),
    }
}

/// The schema of `{ $schema, $options }` (a `new Schema(...)` used inside another), built with its own options.
fn embedded_schema(doc: &Document, path: &str, depth: usize) -> Result<Option<Schema>, SchemaDefinitionError> {
    let Some(definition) = doc.get(EMBEDDED_SCHEMA_KEY) else { return Ok(None) };
    let Bson::Document(definition) = definition else { return Err(invalid_type(path, &shown(definition))) };
    let options = match doc.get(EMBEDDED_OPTIONS_KEY) {
        Some(Bson::Document(options)) => parse_options(options)?,
        _ => SchemaOptions::default(),
    };
    Schema::build(definition, options, depth + 1).map(Some)
}

fn path_node(def: PathDef) -> SchemaNode {
    SchemaNode::Path(Box::new(def))
}

fn type_from_name(name: &str, path: &str) -> Result<PathDef, SchemaDefinitionError> {
    match parse_type_name(name) {
        Some(TypeName::Scalar(t)) => Ok(PathDef::of(FieldType::Scalar(t))),
        Some(TypeName::MixedArray) => {
            Ok(PathDef::of(FieldType::Array(Box::new(PathDef::of(FieldType::Scalar(ScalarType::Mixed))))))
        }
        None => match unsupported_type(name) {
            Some(instead) => Err(definition_error(
                path,
                format!(
                    "crudlab does not support the {} SchemaType (at path `{path}`), which Mongoose has: {instead}",
                    short_type_name(name)
                ),
            )),
            None => Err(invalid_type(path, name)),
        },
    }
}

fn short_type_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// Types Mongoose 9 has that crudlab does not model, with what to use instead here.
fn unsupported_type(name: &str) -> Option<&'static str> {
    Some(match short_type_name(name) {
        "Decimal128" => "use Number here (crudlab stores doubles, not exact decimals)",
        "Int32" | "Double" => "use Number here",
        "BigInt" => "use Number here (or String for values beyond 2^53)",
        "UUID" => "use String here",
        "Map" => "use a nested object or Mixed here",
        "Union" => "use Mixed here",
        "Subdocument" | "DocumentArray" | "Embedded" => {
            "declare the fields as a nested schema instead (`{ type: new Schema({...}) }` or `[new Schema({...})]`)"
        }
        _ => return None,
    })
}

/// Options of a SchemaType that Mongoose 9 implements and crudlab does not, with what Mongoose does with them:
/// a path declaring one is accepted (as Mongoose accepts it) and the model's declaration says what differs.
pub const UNSUPPORTED_PATH_OPTIONS: &[(&str, &str)] = &[
    ("transform", "Mongoose calls it on the value in toObject() and toJSON(); crudlab only calls a function there"),
    ("text", "Mongoose asks for a text index"),
    ("populate", "Mongoose uses it as the default options of populate() on this path"),
    ("refPath", "Mongoose populates from the model another path names"),
    ("subtype", "Mongoose stores the Buffer with this binary subtype"),
    ("cast", "Mongoose casts with this function, or not at all"),
    ("auto", "Mongoose generates an ObjectId for this path"),
    ("castNonArrays", "Mongoose stops wrapping a single value into an array"),
    ("discriminators", "Mongoose declares subdocument discriminators"),
    ("excludeIndexes", "Mongoose skips the subdocuments' indexes"),
    ("validateAll", "Mongoose runs every validator, not only until the first failure"),
];

/// A JavaScript number as the driver serialises it: an integer that fits in 32 bits is an Int32, else a double.
pub fn js_number_bson(n: f64) -> Bson {
    if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) {
        Bson::Int32(n as i32)
    } else {
        Bson::Double(n)
    }
}

fn array_type(items: &[Bson], path: &str, depth: usize, strict: Strict) -> Result<FieldType, SchemaDefinitionError> {
    let Some(first) = items.first() else {
        return Ok(FieldType::Array(Box::new(PathDef::of(FieldType::Scalar(ScalarType::Mixed)))));
    };
    if items.len() > 1 {
        return Err(definition_error(
            path,
            format!("Invalid schema configuration: array at path `{path}` must declare exactly one element type"),
        ));
    }
    if let Bson::Document(doc) = first {
        if let Some(schema) = embedded_schema(doc, path, depth)? {
            return Ok(FieldType::DocumentArray(Box::new(schema)));
        }
    }
    match first {
        Bson::Document(doc) if !doc.is_empty() && !doc.contains_key("type") => {
            let options = SchemaOptions { strict, ..SchemaOptions::default() };
            Ok(FieldType::DocumentArray(Box::new(Schema::build(doc, options, depth + 1)?)))
        }
        other => match parse_node(other, &format!("{path}.$"), depth + 1, strict)? {
            // `[{ type: { ...fields } }]` is an array of subdocuments too, as Mongoose reads it.
            SchemaNode::Path(def) if matches!(def.field_type, FieldType::Subdocument(_)) => match def.field_type {
                FieldType::Subdocument(sub) => Ok(FieldType::DocumentArray(sub)),
                other => Ok(FieldType::Array(Box::new(PathDef::of(other)))),
            },
            SchemaNode::Path(def) => Ok(FieldType::Array(def)),
            SchemaNode::Nested(_) => Err(invalid_type(path, &shown(other))),
        },
    }
}

fn typed_path(
    type_value: &Bson,
    options: &Document,
    path: &str,
    depth: usize,
    strict: Strict,
) -> Result<PathDef, SchemaDefinitionError> {
    let mut def = match type_value {
        Bson::String(name) => type_from_name(name, path)?,
        Bson::Array(items) => PathDef::of(array_type(items, path, depth, strict)?),
        // `type: { ...fields }` is a single nested subdocument (Mongoose 9's `typePojoToMixed` is false);
        // `type: {}` stays Mixed.
        Bson::Document(fields) if fields.is_empty() => PathDef::of(FieldType::Scalar(ScalarType::Mixed)),
        Bson::Document(fields) => {
            let schema = match embedded_schema(fields, path, depth)? {
                Some(schema) => schema,
                None => Schema::build(fields, SchemaOptions { strict, ..SchemaOptions::default() }, depth + 1)?,
            };
            PathDef::of(FieldType::Subdocument(Box::new(schema)))
        }
        other => return Err(invalid_type(path, &shown(other))),
    };
    // `{ type: Array, of: String }` declares the element type (`of` beside `type: []` is ignored, as in Mongoose).
    if let (Bson::String(name), Some(element)) = (type_value, options.get("of")) {
        if matches!(parse_type_name(name), Some(TypeName::MixedArray)) {
            def.field_type = array_type(std::slice::from_ref(element), path, depth, strict)?;
        }
    }
    let scalar = def.scalar();
    for (key, value) in options {
        match key.as_str() {
            "type" => {}
            "of" if matches!(def.field_type, FieldType::Array(_) | FieldType::DocumentArray(_)) => {}
            "required" => match value {
                // `required: function () { return this.x > 3 }`: the runtime calls it (see `Validator::Required`).
                _ if super::functions::function_id(value).is_some() => def
                    .validators
                    .insert(0, Validator::Required { message: None, condition: super::functions::function_id(value) }),
                Bson::Boolean(true) => def.validators.insert(0, Validator::Required { message: None, condition: None }),
                Bson::Boolean(false) | Bson::Null => {}
                Bson::String(message) => {
                    def.validators.insert(0, Validator::Required { message: Some(message.clone()), condition: None })
                }
                // `required: { isRequired, message }` (SchemaType.prototype.required's object form; `isRequired`
                // may be a function too).
                Bson::Document(spec) if spec.contains_key("isRequired") => match spec.get("isRequired") {
                    Some(Bson::Boolean(false) | Bson::Null) => {}
                    condition => def.validators.insert(
                        0,
                        Validator::Required {
                            message: spec.get_str("message").ok().filter(|m| !m.is_empty()).map(str::to_string),
                            condition: condition.and_then(super::functions::function_id),
                        },
                    ),
                },
                // `[true, message]` or `[fn, message]`.
                Bson::Array(parts) => match (parts.first(), parts.get(1)) {
                    (Some(Bson::Boolean(false)), _) => {}
                    (Some(first), message)
                        if first == &Bson::Boolean(true) || super::functions::function_id(first).is_some() =>
                    {
                        def.validators.insert(
                            0,
                            Validator::Required {
                                message: message.and_then(Bson::as_str).map(str::to_string),
                                condition: super::functions::function_id(first),
                            },
                        )
                    }
                    _ => return Err(option_error(path, key, value)),
                },
                _ => return Err(option_error(path, key, value)),
            },
            "default" => def.default = Some(value.clone()),
            "min" | "max" if matches!(scalar, Some(ScalarType::Number) | Some(ScalarType::Date)) => {
                let (bound, message) = value_and_message(value);
                let ok = match scalar {
                    Some(ScalarType::Number) => crate::js::inspect::js_number_value(bound).is_some(),
                    _ => matches!(bound, Bson::DateTime(_) | Bson::String(_)),
                };
                if !ok {
                    return Err(option_error(path, key, value));
                }
                let bound = if scalar == Some(ScalarType::Date) {
                    match super::cast::cast_date(bound) {
                        Some(Bson::DateTime(d)) => Bson::DateTime(d),
                        _ => return Err(option_error(path, key, value)),
                    }
                } else {
                    bound.clone()
                };
                def.validators.push(if key == "min" {
                    Validator::Min { bound, message }
                } else {
                    Validator::Max { bound, message }
                });
            }
            "minlength" | "minLength" | "maxlength" | "maxLength" if scalar == Some(ScalarType::String) => {
                let (bound, message) = value_and_message(value);
                let Some(length) = crate::js::inspect::js_number_value(bound) else {
                    return Err(option_error(path, key, value));
                };
                def.validators.push(if key.starts_with("min") {
                    Validator::MinLength { length, message }
                } else {
                    Validator::MaxLength { length, message }
                });
            }
            "enum" if matches!(scalar, Some(ScalarType::String) | Some(ScalarType::Number)) => {
                let validator = enum_validator(scalar.unwrap_or(ScalarType::Mixed), value, path, key)?;
                def.validators.push(validator);
            }
            // `{ type: [String], enum: [...] }` checks every element.
            "enum" if array_element_scalar(&def).is_some() => {
                let element_type = array_element_scalar(&def).unwrap_or(ScalarType::Mixed);
                let validator = enum_validator(element_type, value, path, key)?;
                if let FieldType::Array(element) = &mut def.field_type {
                    element.validators.push(validator);
                }
            }
            "match" if scalar == Some(ScalarType::String) => {
                let (pattern, message) = value_and_message(value);
                let (source, flags) = match pattern {
                    Bson::String(s) => (s.clone(), String::new()),
                    Bson::RegularExpression(re) => (re.pattern.to_string(), re.options.to_string()),
                    _ => return Err(option_error(path, key, value)),
                };
                let regex = compile_js_regex(&source, &flags).map_err(|e| {
                    definition_error(path, format!("Invalid regular expression for `match` at path `{path}`: {e}"))
                })?;
                def.validators.push(Validator::Match { source, flags, regex, message });
            }
            "lowercase" | "uppercase" | "trim" if scalar == Some(ScalarType::String) => {
                if value == &Bson::Boolean(true) {
                    def.setters.push(match key.as_str() {
                        "lowercase" => SetterKind::Lowercase,
                        "uppercase" => SetterKind::Uppercase,
                        _ => SetterKind::Trim,
                    });
                }
            }
            "ref" => match value {
                Bson::String(model) => def.reference = Some(model.clone()),
                _ => return Err(option_error(path, key, value)),
            },
            "unique" => def.unique = value == &Bson::Boolean(true),
            // lib/helpers/schema/getIndexes.js: `true`, a direction, an index type or `{ unique, ... }`.
            "index" => match value {
                Bson::String(kind) if matches!(kind.as_str(), "desc" | "descending") => {
                    def.index = true;
                    def.index_direction = -1;
                }
                Bson::String(kind) if matches!(kind.as_str(), "asc" | "ascending") => def.index = true,
                Bson::String(kind) => def
                    .unsupported_options
                    .push((format!("index: '{kind}'"), format!("Mongoose asks for a {kind} index"))),
                Bson::Document(spec) => {
                    def.index = true;
                    for (option, option_value) in spec {
                        match option.as_str() {
                            "unique" => def.unique = crate::js::truthy(option_value),
                            "type" | "text" => def.unsupported_options.push((
                                format!("index.{option}"),
                                "Mongoose asks for an index of another kind".to_string(),
                            )),
                            other => def
                                .unsupported_options
                                .push((format!("index.{other}"), format!("Mongoose passes {other} to createIndex()"))),
                        }
                    }
                }
                other => match crate::js::inspect::js_number_value(other) {
                    Some(-1.0) => {
                        def.index = true;
                        def.index_direction = -1;
                    }
                    // Any other truthy value asks for an ascending index (`Number(index) === -1` decides).
                    _ => def.index = crate::js::truthy(other),
                },
            },
            "immutable" => def.immutable = value == &Bson::Boolean(true),
            "select" => match value {
                Bson::Boolean(b) => def.select = Some(*b),
                _ => return Err(option_error(path, key, value)),
            },
            "validate" => custom_validators(value, path, &mut def.validators)?,
            // `{ type: { ... }, _id: false }` and `{ type: [{ ... }], _id: false }`: the path's schema gets no
            // automatic `_id` (the option reaches the subdocument schema, lib/schema.js).
            "_id" if matches!(def.field_type, FieldType::Subdocument(_) | FieldType::DocumentArray(_)) => {
                if value == &Bson::Boolean(false) {
                    if let FieldType::Subdocument(sub) | FieldType::DocumentArray(sub) = &mut def.field_type {
                        sub.drop_auto_id();
                    }
                }
            }
            "alias" => match value {
                // Mongoose skips a falsy alias (`if (!alias) continue`).
                falsy if !crate::js::truthy(falsy) => {}
                Bson::String(alias) => def.aliases.push(alias.clone()),
                Bson::Array(aliases) => {
                    for alias in aliases {
                        match alias {
                            Bson::String(alias) => def.aliases.push(alias.clone()),
                            other => return Err(invalid_alias(path, other)),
                        }
                    }
                }
                other => return Err(invalid_alias(path, other)),
            },
            "get" | "set" => match super::functions::function_id(value) {
                Some(id) if key == "get" => def.getter = Some(id),
                Some(id) => {
                    // `SchemaType.prototype.set` pushes onto the same list `trim`/`lowercase` push onto.
                    def.setter = Some(id);
                    def.setters.push(SetterKind::Function);
                }
                None => return Err(option_error(path, key, value)),
            },
            "transform" if super::functions::function_id(value).is_some() => {
                def.transform = super::functions::function_id(value)
            }
            // SchemaType.prototype.sparse: `sparse: false` without `index` asks for nothing.
            "sparse" => def.sparse = crate::js::truthy(value),
            "expires" if scalar == Some(ScalarType::Date) => {
                let seconds = match value {
                    Bson::String(text) => {
                        crate::js::ms::parse(text).map(|millis| js_number_bson((millis / 1000.0).round()))
                    }
                    other if crate::js::inspect::js_number_value(other).is_some() => Some(other.clone()),
                    _ => None,
                };
                match seconds {
                    Some(seconds) => def.expire_after_seconds = Some(seconds),
                    None => return Err(option_error(path, key, value)),
                }
            }
            _ if UNSUPPORTED_PATH_OPTIONS.iter().any(|(name, _)| name == key) => {
                let what = UNSUPPORTED_PATH_OPTIONS.iter().find(|(name, _)| name == key).map(|(_, what)| *what);
                def.unsupported_options.push((key.clone(), what.unwrap_or_default().to_string()));
            }
            _ => def.ignored_options.push(key.clone()),
        }
    }
    Ok(def)
}

/// One line per option of `schema` (its paths', its subdocuments', its own) that Mongoose implements and crudlab
/// does not: what Mongoose would do, so the difference is said instead of silently missing.
pub fn unsupported_notes(schema: &Schema) -> Vec<String> {
    let mut notes = Vec::new();
    collect_unsupported(schema, "", &mut notes);
    notes
}

fn collect_unsupported(schema: &Schema, prefix: &str, notes: &mut Vec<String>) {
    for (option, what) in &schema.options.unsupported {
        let whose = if prefix.is_empty() { String::new() } else { format!(" of `{}`", prefix.trim_end_matches('.')) };
        notes.push(format!("crudlab ignores the schema option `{option}`{whose}: {what}."));
    }
    for (path, def) in schema.paths() {
        let full = format!("{prefix}{path}");
        for (option, what) in &def.unsupported_options {
            notes.push(format!("crudlab ignores `{option}` at path `{full}`: {what}."));
        }
        let mut field = &def.field_type;
        while let FieldType::Array(element) = field {
            for (option, what) in &element.unsupported_options {
                notes.push(format!("crudlab ignores `{option}` at path `{full}`: {what}."));
            }
            field = &element.field_type;
        }
        if let FieldType::Subdocument(sub) | FieldType::DocumentArray(sub) = field {
            collect_unsupported(sub, &format!("{full}."), notes);
        }
    }
}

/// `validate: fn`, `validate: { validator, message }` or an array of those, as `SchemaType.prototype.validate`
/// reads them (the default message is Mongoose's `general.default`, the kind "user defined").
fn custom_validators(value: &Bson, path: &str, validators: &mut Vec<Validator>) -> Result<(), SchemaDefinitionError> {
    let invalid = || {
        definition_error(
            path,
            format!(
                "Invalid validator. Received ({}) {}. See https://mongoosejs.com/docs/api/schematype.html#SchemaType.prototype.validate()",
                crate::js::inspect::js_value_type(value),
                crate::js::inspect::js_string(value)
            ),
        )
    };
    match value {
        Bson::Array(items) => {
            for item in items {
                custom_validators(item, path, validators)?;
            }
            Ok(())
        }
        Bson::Document(options) => {
            let function = options.get("validator").and_then(super::functions::function_id).ok_or_else(invalid)?;
            let message = match options.get("message").or_else(|| options.get("msg")) {
                Some(Bson::String(text)) => Some(CustomMessage::Text(text.clone())),
                Some(other) => super::functions::function_id(other).map(CustomMessage::Function),
                None => None,
            };
            let kind = options.get_str("type").unwrap_or("user defined").to_string();
            validators.push(Validator::Custom { function, message, kind });
            Ok(())
        }
        other => {
            let function = super::functions::function_id(other).ok_or_else(invalid)?;
            validators.push(Validator::Custom { function, message: None, kind: "user defined".to_string() });
            Ok(())
        }
    }
}

fn array_element_scalar(def: &PathDef) -> Option<ScalarType> {
    match &def.field_type {
        FieldType::Array(element) => element.scalar().filter(|t| matches!(t, ScalarType::String | ScalarType::Number)),
        _ => None,
    }
}

/// Mongoose's `messages.general.default` (lib/error/messages.js): a validator failed without a message of its own.
pub const GENERAL_DEFAULT_MESSAGE: &str = "Validator failed for path `{PATH}` with value `{VALUE}`";

/// `enum: [values]` or `enum: { values, message }`; values are cast to the path's type.
fn enum_validator(scalar: ScalarType, value: &Bson, path: &str, key: &str) -> Result<Validator, SchemaDefinitionError> {
    let (values, message) = match value {
        Bson::Array(values) => (values.clone(), None),
        Bson::Document(spec) => match spec.get("values") {
            Some(Bson::Array(values)) => {
                let message = match spec.get_str("message") {
                    Ok(message) if !message.is_empty() => Some(message.to_string()),
                    // SchemaString.prototype.enum takes `{ values }`'s missing message as is, so ValidatorError
                    // falls back to `messages.general.default`; SchemaNumber.prototype.enum uses
                    // `messages.Number.enum` (lib/schema/string.js, lib/schema/number.js).
                    _ if scalar == ScalarType::String => Some(GENERAL_DEFAULT_MESSAGE.to_string()),
                    _ => None,
                };
                (values.clone(), message)
            }
            _ => (spec.values().cloned().collect(), None),
        },
        single => (vec![single.clone()], None),
    };
    let mut cast_values = Vec::new();
    for v in &values {
        match super::cast::cast_scalar(scalar, v, path) {
            Ok(cast) => cast_values.push(cast),
            Err(_) => return Err(option_error(path, key, value)),
        }
    }
    Ok(Validator::Enum { values: cast_values, message })
}

/// lib/schema.js `aliasFields`: an alias must be a string (or an array of strings).
fn invalid_alias(path: &str, value: &Bson) -> SchemaDefinitionError {
    mongoose_definition_error(
        path,
        format!("Invalid value for alias option on {path}, got {}", crate::js::inspect::js_string(value)),
    )
}

/// The aliases of a schema's paths (nested ones included, subdocuments' excluded: those are their own schema's),
/// refusing one that names a real path as `schema.virtual()` does.
fn collect_aliases(tree: &[(String, SchemaNode)]) -> Result<Vec<(String, String)>, SchemaDefinitionError> {
    let mut paths = Vec::new();
    collect_paths(tree, "", &mut paths);
    let mut aliases = Vec::new();
    for (path, def) in &paths {
        for alias in &def.aliases {
            // `schema.virtual(alias)` refuses a name whose pathType is 'real' (a nested object's name is not).
            if paths.iter().any(|(p, _)| p == alias) {
                return Err(mongoose_definition_error(
                    path,
                    format!("Virtual path \"{alias}\" conflicts with a real path in the schema"),
                ));
            }
            aliases.push((alias.clone(), path.clone()));
        }
    }
    Ok(aliases)
}

fn option_error(path: &str, key: &str, value: &Bson) -> SchemaDefinitionError {
    definition_error(path, format!("Invalid value for option `{key}` at path `{path}`: {}", shown(value)))
}

/// `[value, "message"]` or a bare value.
fn value_and_message(value: &Bson) -> (&Bson, Option<String>) {
    match value {
        Bson::Array(parts) if parts.len() == 2 => match (parts.first(), parts.get(1)) {
            (Some(v), Some(Bson::String(m))) => (v, Some(m.clone())),
            _ => (value, None),
        },
        _ => (value, None),
    }
}

/// Compiles a JavaScript regex source with its flags (i, m, s; g and y do not change `test` for a fresh regex).
pub fn compile_js_regex(source: &str, flags: &str) -> Result<regex::Regex, String> {
    let mut builder = regex::RegexBuilder::new(source);
    builder
        .case_insensitive(flags.contains('i'))
        .multi_line(flags.contains('m'))
        .dot_matches_new_line(flags.contains('s'))
        .size_limit(1 << 20);
    builder.build().map_err(|e| e.to_string())
}

/// `String(regExp)`: `/source/flags`, with an unescaped `/` escaped and an empty source as `(?:)`, as
/// `RegExp.prototype.source` shows it (`{REGEXP}` in a `match` message).
pub fn regexp_text(source: &str, flags: &str) -> String {
    let mut shown = String::with_capacity(source.len() + 2);
    let mut escaped = false;
    let mut in_class = false;
    for c in source.chars() {
        match c {
            '/' if !escaped && !in_class => shown.push_str("\\/"),
            '\n' => shown.push_str("\\n"),
            _ => shown.push(c),
        }
        match c {
            '\\' if !escaped => escaped = true,
            '[' if !escaped => {
                in_class = true;
                escaped = false;
            }
            ']' if !escaped => {
                in_class = false;
                escaped = false;
            }
            _ => escaped = false,
        }
    }
    if shown.is_empty() {
        shown.push_str("(?:)");
    }
    format!("/{shown}/{flags}")
}

/// Formats a min/max bound for messages (`{MIN}` is replaced when the validator is declared).
pub fn bound_text(bound: &Bson) -> String {
    match bound {
        Bson::DateTime(d) => crate::js::inspect::js_date_string(d),
        other => match crate::js::inspect::js_number_value(other) {
            Some(x) => js_number(x),
            None => crate::js::inspect::js_string(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn parses_types_options_and_nesting() {
        let schema = Schema::from_definition(&doc! {
            "name": {"type": "String", "required": [true, "Name!"], "trim": true, "minlength": 2},
            "age": {"type": "Number", "min": [0, "no"], "max": 120},
            "tags": ["String"],
            "profile": {"title": "String", "years": {"type": "Number", "min": 0}},
            "scores": [{"subject": "String"}],
            "meta": "Mixed",
            "any": [],
            "email": {"type": "String", "unique": true, "select": false},
        })
        .unwrap();
        let paths: Vec<String> = schema.paths().into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            ["name", "age", "tags", "profile.title", "profile.years", "scores", "meta", "any", "email", "_id"]
        );
        assert!(
            matches!(schema.resolve("name"), ResolvedPath::Path(d) if d.is_required() && d.setters == [SetterKind::Trim])
        );
        assert!(matches!(schema.resolve("tags.0"), ResolvedPath::Element(d) if d.scalar() == Some(ScalarType::String)));
        assert!(matches!(schema.resolve("scores.0.subject"), ResolvedPath::Path(_)));
        assert!(matches!(schema.resolve("scores.subject"), ResolvedPath::Path(_)));
        assert!(matches!(schema.resolve("meta.deep"), ResolvedPath::Free));
        assert!(matches!(schema.resolve("profile"), ResolvedPath::Nested));
        assert!(matches!(schema.resolve("nope"), ResolvedPath::Unknown));
        assert_eq!(schema.unique_paths(), ["email"]);
        assert_eq!(schema.deselected_paths(), ["email"]);
        let FieldType::DocumentArray(sub) = &schema.paths()[5].1.field_type else { panic!() };
        assert!(sub.auto_id);
    }

    #[test]
    fn parses_options() {
        let schema = Schema::new(
            &doc! {"a": "String"},
            &doc! {"strict": "throw", "timestamps": true, "versionKey": false, "collection": "people"},
        )
        .unwrap();
        assert_eq!(schema.options.strict, Strict::Throw);
        assert_eq!(schema.options.version_key, None);
        assert_eq!(schema.options.collection.as_deref(), Some("people"));
        let paths: Vec<String> = schema.paths().into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["a", "_id", "createdAt", "updatedAt"]);
        let no_id = Schema::new(&doc! {"a": "String"}, &doc! {"_id": false}).unwrap();
        assert!(!no_id.auto_id);
    }

    #[test]
    fn subdocument_schemas_nested_by_value_by_type_and_in_arrays() {
        // `new Schema({ x: Number }, { _id: false })` used inside another schema arrives as `{ $schema, $options }`
        // and keeps its own options; `_id: false` beside `type` turns the subdocument's `_id` off (Mongoose 9.12.1:
        // `{ type: { x: Number }, _id: false }` and `{ type: [{ x: Number }], _id: false }` store no `_id`);
        // `[{ type: { x: Number } }]` is an array of subdocuments.
        let embedded = doc! {"$schema": {"x": "Number"}, "$options": {"_id": false, "strict": "throw"}};
        let schema = Schema::from_definition(&doc! {
            "byValue": embedded.clone(),
            "byType": {"type": embedded.clone(), "required": true},
            "list": [embedded],
            "plain": {"type": {"x": "Number"}, "_id": false},
            "plainList": {"type": [{"x": "Number"}], "_id": false},
            "typedList": [{"type": {"x": "Number"}}],
        })
        .unwrap();
        let shapes: Vec<String> = schema
            .paths()
            .into_iter()
            .map(|(path, def)| match &def.field_type {
                FieldType::Subdocument(sub) => {
                    format!("{path}: subdocument, _id {}, strict {:?}", sub.auto_id, sub.options.strict)
                }
                FieldType::DocumentArray(sub) => {
                    format!("{path}: array of subdocuments, _id {}, strict {:?}", sub.auto_id, sub.options.strict)
                }
                other => format!("{path}: {other:?}"),
            })
            .collect();
        expect_test::expect![[r#"
            [
                "byValue: subdocument, _id false, strict Throw",
                "byType: subdocument, _id false, strict Throw",
                "list: array of subdocuments, _id false, strict Throw",
                "plain: subdocument, _id false, strict True",
                "plainList: array of subdocuments, _id false, strict True",
                "typedList: array of subdocuments, _id true, strict True",
                "_id: Scalar(ObjectId)",
            ]
        "#]]
        .assert_debug_eq(&shapes);
        assert!(schema.paths().get(1).is_some_and(|(_, def)| def.is_required()));
    }

    #[test]
    fn what_mongoose_has_and_crudlab_does_not_is_said() {
        // Types Mongoose 9 has are refused with crudlab's own words (not Mongoose's "not a valid type"); so is
        // `typeKey`; options Mongoose implements and crudlab ignores become notes.
        let refusals: Vec<String> = [
            (doc! {"price": "mongoose.Schema.Types.Decimal128"}, doc! {}),
            (doc! {"m": {"type": "Map", "of": "String"}}, doc! {}),
            (doc! {"a": {"$type": "String"}}, doc! {"typeKey": "$type"}),
        ]
        .iter()
        .map(|(definition, options)| Schema::new(definition, options).unwrap_err().message)
        .collect();
        expect_test::expect![[r#"
            [
                "crudlab does not support the Decimal128 SchemaType (at path `price`), which Mongoose has: use Number here (crudlab stores doubles, not exact decimals)",
                "crudlab does not support the Map SchemaType (at path `m`), which Mongoose has: use a nested object or Mixed here",
                "crudlab does not support the typeKey option (`$type`): declare types with `type`",
            ]
        "#]]
        .assert_debug_eq(&refusals);
        let schema = Schema::new(
            &doc! {
                "email": {"type": "String", "unique": true, "sparse": true},
                "seen": {"type": "Date", "expires": "1h", "index": -1},
                "bio": {"type": "String", "index": "text"},
                "posts": [{"body": {"type": "String", "transform": "x"}}],
                "tags": {"type": "Array", "of": "String"},
                "name": {"type": "String", "requried": true},
            },
            &doc! {"toJSON": {"virtuals": true}, "validateBeforeSave": false, "validateModifiedOnly": false},
        )
        .unwrap();
        expect_test::expect![[r#"
            [
                "crudlab ignores the schema option `validateBeforeSave`: with false, Mongoose's save() skips validation.",
                "crudlab ignores `index: 'text'` at path `bio`: Mongoose asks for a text index.",
                "crudlab ignores `transform` at path `posts.body`: Mongoose calls it on the value in toObject() and toJSON(); crudlab only calls a function there.",
            ]
        "#]]
        .assert_debug_eq(&unsupported_notes(&schema));
        let model = super::super::model::Model::new("User", schema.clone());
        // Mongoose 9.12.1's `schema.indexes()` for these paths: `[{ email: 1 }, { unique: true, sparse: true }]`,
        // `[{ seen: 1 }, { expireAfterSeconds: 3600 }]` (`expires` makes the index ascending whatever `index` says).
        let indexes: Vec<String> = model
            .index_specs()
            .iter()
            .map(|spec| format!("{} {} {} {:?}", spec.keys, spec.unique, spec.sparse, spec.expire_after_seconds))
            .collect();
        assert_eq!(indexes, ["{ \"email\": 1 } true true None", "{ \"seen\": 1 } false false Some(Int32(3600))"]);
        assert!(matches!(schema.resolve("tags.0"), ResolvedPath::Element(d) if d.scalar() == Some(ScalarType::String)));
    }

    #[test]
    fn rejects_bad_definitions() {
        let cases = [
            (doc! {"a": "Strin"}, "Invalid schema configuration: `Strin` is not a valid type at path `a`. See https://bit.ly/mongoose-schematypes for a list of valid schema types."),
            (doc! {"a": 5}, "Invalid schema configuration: `5` is not a valid type at path `a`. See https://bit.ly/mongoose-schematypes for a list of valid schema types."),
            (doc! {"a": {"type": "String", "match": "("}}, ""),
            (doc! {"a": {"type": "Number", "min": "x"}}, "Invalid value for option `min` at path `a`: x"),
        ];
        for (definition, message) in cases {
            let err = Schema::from_definition(&definition).unwrap_err();
            if !message.is_empty() {
                assert_eq!(err.message, message);
            }
        }
        let mut deep = doc! {"leaf": "String"};
        for _ in 0..100 {
            deep = doc! {"n": deep};
        }
        assert!(Schema::from_definition(&deep).is_err());
    }
}
