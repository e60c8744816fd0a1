//! What a name or expression can stand for while a student's program runs: data (BSON values, and JavaScript
//! objects and arrays shared by reference), functions, and the objects the lecture's code talks to (`db`, a
//! collection, `mongoose`, a schema, a model, a query not yet executed).
//!
//! Objects and arrays are shared as in JavaScript: `const b = a; b.x = 1` changes `a` too. Data that comes from
//! the database or from a constant literal starts as a plain `Value::Data(Bson)`; it becomes a shared
//! [`ObjectRef`]/[`ArrayRef`] the first time it is bound to a name or read out of a shared container
//! ([`Value::shared`]), so a result of 10,000 documents costs nothing until the program touches it.

use super::calls::{DriverCall, ModelCall};
use super::scope::ScopeRef;
use crate::shell::ast::Function;
use bson::{Bson, Document};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A database call whose result is not needed yet: `db.users.find(...)` (a cursor), `User.find(...)` (a Mongoose
/// query) or `User.aggregate()` (Mongoose's Aggregate, its builder steps on the `ModelCall`). Chained calls
/// (`.sort()`, `.limit()`, `.populate()`, `.match()`) accumulate; `await`, `.toArray()` or the end of the statement
/// run it.
#[derive(Debug, Clone, PartialEq)]
pub enum PendingCall {
    Driver(DriverCall),
    Model(ModelCall),
}

impl PendingCall {
    /// `db.users.aggregate(...)` (a cursor) or `User.aggregate(...)` (Mongoose's Aggregate builder).
    pub fn is_aggregation(&self) -> bool {
        match self {
            PendingCall::Driver(call) => call.method == super::calls::DriverMethod::Aggregate,
            PendingCall::Model(call) => call.method == super::calls::ModelMethod::Aggregate,
        }
    }
}

/// A schema declared with `new mongoose.Schema(definition, options)`, with the functions the program attaches
/// to it: `schema.methods`, `schema.statics`, virtuals and middleware.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaValue {
    pub definition: Document,
    pub options: Document,
    /// `schema.methods.fullName = function () {…}`: methods of every document.
    pub methods: ObjectRef,
    /// `schema.statics.findByEmail = function (email) {…}`: methods of the model.
    pub statics: ObjectRef,
    pub virtuals: RefCell<Vec<Virtual>>,
    pub hooks: RefCell<Vec<Hook>>,
    /// `schema.index(fields, options)`: indexes beyond the paths' own, asked for when the model is declared.
    pub indexes: RefCell<Vec<(bson::Document, bson::Document)>>,
    /// The functions inside the definition (`validate`, `default`, `get`, `set`), which the definition names by
    /// marker (`crate::schema::functions`).
    pub functions: Vec<Value>,
}

impl SchemaValue {
    pub fn new(definition: Document, options: Document, functions: Vec<Value>) -> Self {
        SchemaValue {
            definition,
            options,
            functions,
            methods: ObjectRef::new(Vec::new()),
            statics: ObjectRef::new(Vec::new()),
            virtuals: RefCell::new(Vec::new()),
            hooks: RefCell::new(Vec::new()),
            indexes: RefCell::new(Vec::new()),
        }
    }

    pub fn virtual_named(&self, name: &str) -> Option<Virtual> {
        self.virtuals.borrow().iter().find(|v| v.name == name).cloned()
    }

    /// The document middleware for `event` (`"save"`, `"validate"`), `pre` or `post`, in the order declared.
    pub fn hooks_for(&self, when: HookTime, event: &str) -> Vec<Value> {
        self.hooks
            .borrow()
            .iter()
            .filter(|h| h.when == when && h.event == event && h.document)
            .map(|h| h.function.clone())
            .collect()
    }

    /// The query middleware for `event` (`"updateOne"`, `"find"` ...), in the order declared.
    pub fn query_hooks_for(&self, when: HookTime, event: &str) -> Vec<Value> {
        self.hooks
            .borrow()
            .iter()
            .filter(|h| h.when == when && h.event == event && h.query)
            .map(|h| h.function.clone())
            .collect()
    }
}

/// `schema.virtual("fullName").get(fn).set(fn)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Virtual {
    pub name: String,
    pub get: Option<Value>,
    pub set: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookTime {
    Pre,
    Post,
}

/// `schema.pre("save", fn)` / `schema.post("save", fn)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub when: HookTime,
    pub event: String,
    pub function: Value,
    /// Runs around the document's own method (`doc.save()`, `doc.deleteOne()`), `this` the document.
    pub document: bool,
    /// Runs around the model's query (`User.updateOne(…)`), `this` the query.
    pub query: bool,
}

/// The query a query middleware sees as `this`: what the call will send, which the hook may change
/// (`this.set({ updatedAt: new Date() })`, `this.setQuery(…)`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryState {
    pub model: String,
    /// Mongoose's `query.op`: `"updateOne"`, `"find"` ...
    pub op: String,
    pub filter: Document,
    pub update: Option<Document>,
    /// Properties the program assigned to the query (`this.other = "y"` in a setter an update's cast runs, `this`
    /// the query): kept on the query object, as in JavaScript, and never sent.
    pub properties: Vec<(String, Value)>,
}

/// A shared query; equality is identity.
#[derive(Clone)]
pub struct QueryRef(pub Rc<RefCell<QueryState>>);

impl PartialEq for QueryRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for QueryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[Query {}]", self.0.try_borrow().map(|q| q.op.clone()).unwrap_or_default())
    }
}

/// A Mongoose document (`new User({...})`, what `User.findOne()` returns): its fields as a shared object the
/// program reads and changes, and what the database last held, which `save()` compares with to send only changes.
pub struct ModelDocument {
    pub model: String,
    pub fields: ObjectRef,
    /// The document as the database holds it, as last loaded or saved; `None` until the first `save()` (`isNew`).
    pub saved: Option<Document>,
    /// Paths assigned as a whole since (`doc.profile = {…}`, `doc.set("tags", [])`, `markModified`): `save()`
    /// sends those with `$set` of the whole value.
    pub assigned: Vec<String>,
    /// Values given to `new User(…)` that failed to cast, by path: `validate()` and `save()` report them until the
    /// path is assigned again.
    pub invalid: Document,
    /// Set by `doc.deleteOne()`.
    pub deleted: bool,
    /// Paths `doc.populate()` filled with documents: saved as their `_id`s again (Mongoose depopulates).
    pub populated: Vec<String>,
    /// What the document held when it was hydrated or last saved (defaults and empty nested objects included):
    /// `isModified` compares with it, as the defaults `init` applies are not modifications.
    pub unchanged: Option<Document>,
    /// The paths hydration gave their default (`activePaths.default`), in Mongoose's order: `save()` sends them
    /// after the modified paths, until they are saved.
    pub defaulted: Vec<String>,
    /// Whether the query that loaded the document selected its version key (`$__isSelected`): `save()` versions
    /// only then.
    pub version_selected: bool,
    /// The `this` of a virtual's setter inside `new Model()`: assignments are kept as given (the constructor casts
    /// them with the rest of the input).
    pub constructing: bool,
}

/// A shared Mongoose document; equality is identity.
#[derive(Clone)]
pub struct DocumentRef(pub Rc<RefCell<ModelDocument>>);

impl DocumentRef {
    pub fn new(model: &str, fields: Document, saved: Option<Document>) -> Self {
        let fields = ObjectRef::new(fields.into_iter().map(|(key, value)| (key, Value::Data(value))).collect());
        DocumentRef(Rc::new(RefCell::new(ModelDocument {
            model: model.to_string(),
            fields,
            saved,
            assigned: Vec::new(),
            invalid: Document::new(),
            deleted: false,
            populated: Vec::new(),
            unchanged: None,
            defaulted: Vec::new(),
            version_selected: true,
            constructing: false,
        })))
    }

    pub fn model(&self) -> String {
        self.0.borrow().model.clone()
    }

    pub fn fields(&self) -> ObjectRef {
        self.0.borrow().fields.clone()
    }
}

impl PartialEq for DocumentRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for DocumentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} document]", self.0.try_borrow().map(|d| d.model.clone()).unwrap_or_default())
    }
}

/// A JavaScript object's own properties, in insertion order (JavaScript's order for string keys).
#[derive(Default)]
pub struct JsObject {
    pub properties: Vec<(String, Value)>,
    /// Set for objects made by `new Error(…)` (and its kinds): what `instanceof Error` and printing look at.
    pub error_kind: Option<String>,
    /// Set for the `this` of a subdocument's `set` and `default` functions: a subdocument is a document in
    /// Mongoose, so `this.get(path)`, `this.parent()`, `this.ownerDocument()` and `this.isNew` answer there.
    pub subdocument: Option<Rc<SubdocumentContext>>,
}

/// What a subdocument `this` knows beyond its fields: the document holding it (for an array element, the
/// document holding the array) and the top document, as they stand while the function runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SubdocumentContext {
    pub parent: Value,
    pub owner: Value,
    pub is_new: bool,
}

impl JsObject {
    pub fn position(&self, key: &str) -> Option<usize> {
        self.properties.iter().position(|(k, _)| k == key)
    }

    /// The property's value, made shared in place first when it is a plain document or array, so that reading
    /// `a.inner` twice gives the same object.
    pub fn get(&mut self, key: &str) -> Option<Value> {
        let index = self.position(key)?;
        let slot = &mut self.properties.get_mut(index)?.1;
        Some(share_in_place(slot))
    }

    pub fn set(&mut self, key: &str, value: Value) {
        match self.position(key) {
            Some(index) => {
                if let Some(slot) = self.properties.get_mut(index) {
                    slot.1 = value;
                }
            }
            None => self.properties.push((key.to_string(), value)),
        }
    }

    pub fn remove(&mut self, key: &str) -> bool {
        match self.position(key) {
            Some(index) => {
                self.properties.remove(index);
                true
            }
            None => false,
        }
    }
}

/// Makes a plain document or array in `slot` shared and returns it; other values are returned as they are.
pub fn share_in_place(slot: &mut Value) -> Value {
    if matches!(slot, Value::Data(Bson::Document(_) | Bson::Array(_))) {
        let data = std::mem::replace(slot, Value::undefined());
        *slot = data.shared();
    }
    slot.clone()
}

/// A shared JavaScript object; equality is identity, as `===` compares objects.
#[derive(Clone)]
pub struct ObjectRef(pub Rc<RefCell<JsObject>>);

/// A shared JavaScript array.
#[derive(Clone)]
pub struct ArrayRef(pub Rc<RefCell<Vec<Value>>>);

impl ObjectRef {
    pub fn new(properties: Vec<(String, Value)>) -> Self {
        ObjectRef(Rc::new(RefCell::new(JsObject { properties, error_kind: None, subdocument: None })))
    }
}

impl ArrayRef {
    pub fn new(items: Vec<Value>) -> Self {
        ArrayRef(Rc::new(RefCell::new(items)))
    }
}

impl PartialEq for ObjectRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl PartialEq for ArrayRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

// Objects may contain themselves (`a.self = a`): debug output never follows references.
impl fmt::Debug for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[object with {} properties]", self.0.try_borrow().map(|o| o.properties.len()).unwrap_or(0))
    }
}

impl fmt::Debug for ArrayRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[array of {}]", self.0.try_borrow().map(|a| a.len()).unwrap_or(0))
    }
}

/// A function the program wrote: its code, the scope it closes over, and the program text it came from (a
/// function declared in one Run may be called in a later one).
pub struct Closure {
    pub function: Rc<Function>,
    pub scope: ScopeRef,
    pub source: Rc<str>,
}

#[derive(Clone)]
pub struct FunctionRef(pub Rc<Closure>);

impl FunctionRef {
    /// The function's name as `console.log` shows it (`[Function: getFeed]`, `[Function (anonymous)]`).
    pub fn name(&self) -> Option<&str> {
        self.0.function.name.as_ref().map(|name| name.name.as_str())
    }
}

impl PartialEq for FunctionRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for FunctionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[Function: {}]", self.name().unwrap_or("(anonymous)"))
    }
}

/// The global objects of JavaScript's standard library that programs use with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    Math,
    Json,
    Object,
    Array,
    Number,
    String,
    Boolean,
    Date,
    Promise,
    /// `Error`, `TypeError`, `RangeError` ... (the name is the constructor's).
    Error(&'static str),
    /// Schema type names that are only types (`Buffer`, `Map`).
    TypeName(&'static str),
}

impl Global {
    pub fn from_name(name: &str) -> Option<Global> {
        Some(match name {
            "Math" => Global::Math,
            "JSON" => Global::Json,
            "Object" => Global::Object,
            "Array" => Global::Array,
            "Number" => Global::Number,
            "String" => Global::String,
            "Boolean" => Global::Boolean,
            "Date" => Global::Date,
            "Promise" => Global::Promise,
            "Error" => Global::Error("Error"),
            "TypeError" => Global::Error("TypeError"),
            "RangeError" => Global::Error("RangeError"),
            "ReferenceError" => Global::Error("ReferenceError"),
            "SyntaxError" => Global::Error("SyntaxError"),
            "Buffer" => Global::TypeName("Buffer"),
            "Map" => Global::TypeName("Map"),
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Global::Math => "Math",
            Global::Json => "JSON",
            Global::Object => "Object",
            Global::Array => "Array",
            Global::Number => "Number",
            Global::String => "String",
            Global::Boolean => "Boolean",
            Global::Date => "Date",
            Global::Promise => "Promise",
            Global::Error(name) | Global::TypeName(name) => name,
        }
    }

    /// Whether it is a function (`typeof Math` is "object").
    pub fn is_callable(self) -> bool {
        !matches!(self, Global::Math | Global::Json)
    }
}

/// A function of the standard library or of the shell, held as a value (`arr.forEach(console.log)`,
/// `const log = console.log`, `items.map(String)`).
#[derive(Debug, Clone, PartialEq)]
pub enum Builtin {
    /// `console.log` / `info` / `error` / `warn` / `table`.
    Console(&'static str),
    /// `parseInt`, `parseFloat`, `isNaN`, `isFinite`, `require`.
    Global(&'static str),
    /// `Math.max`, `Object.keys`, `JSON.stringify`, `Promise.all`, `Date.now` ...
    Static(Global, String),
    /// A method read off a value, bound to it: `[1, 2].map`, `"a".toUpperCase`.
    Method(Box<Value>, String),
}

/// `/pattern/flags`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsRegExp {
    pub pattern: String,
    pub flags: String,
}

/// A runtime value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Strings, numbers, booleans, `null`, `undefined`, ObjectIds, dates ... and documents and arrays not yet shared.
    Data(Bson),
    Object(ObjectRef),
    Array(ArrayRef),
    /// A regex literal with JavaScript's flags as written (`g` included); stored, it becomes js-bson's form.
    RegExp(Rc<JsRegExp>),
    /// A function the program wrote (declaration, expression or arrow).
    Function(FunctionRef),
    Builtin(Rc<Builtin>),
    Global(Global),
    /// What an `async` function returns: crudlab's calls finish at once, so the promise is always settled.
    Promise(Box<Value>),
    /// The shell's `db`: the current database.
    Db,
    /// `db.users` or `db.getCollection("users")`.
    Collection(String),
    Pending(Box<PendingCall>),
    /// The `mongoose` module (from `require("mongoose")` or `import mongoose from "mongoose"`).
    Mongoose,
    /// `mongoose.Schema`, ready for `new`.
    SchemaClass,
    /// `mongoose.Schema.Types` (and `mongoose.Types`).
    SchemaTypes,
    Schema(Rc<SchemaValue>),
    /// A model by name, from `mongoose.model("User", schema)`.
    Model(String),
    /// A Mongoose document of a model.
    Document(DocumentRef),
    /// `schema.virtual("fullName")`, ready for `.get(fn)` / `.set(fn)`.
    VirtualType(Rc<SchemaValue>, String),
    /// `this` inside query middleware.
    Query(QueryRef),
    /// `require("express")`: the module, callable (`express()`).
    Express,
    /// `require("jsonwebtoken")`.
    Jwt,
    /// An Express app or router.
    ExpressApp(super::express::AppRef),
    /// `res` inside a handler.
    ExpressResponse(super::express::ResponseRef),
    /// `next` inside a handler.
    ExpressNext(super::express::ChainRef),
    /// `express.json()` ...
    ExpressMiddleware(super::express::BuiltinMiddleware),
    /// What `fetch` resolved to, and its `headers`.
    FetchResponse(Rc<super::express::FetchResponse>),
    FetchHeaders(Rc<super::express::FetchResponse>),
    /// `console`.
    Console,
}

impl Value {
    pub fn undefined() -> Value {
        Value::Data(Bson::Undefined)
    }

    pub fn string(text: impl Into<String>) -> Value {
        Value::Data(Bson::String(text.into()))
    }

    pub fn boolean(value: bool) -> Value {
        Value::Data(Bson::Boolean(value))
    }

    /// A JavaScript number, held as js-bson would store it (Int32 when integral and in range, else Double).
    pub fn number(value: f64) -> Value {
        Value::Data(crate::js::inspect::number_to_bson(value))
    }

    /// Whether the value is data the program computed (lost on "Restart server"), as opposed to a declaration
    /// such as a model, a schema or a function (replayed).
    pub fn is_data(&self) -> bool {
        matches!(
            self,
            Value::Data(_)
                | Value::Object(_)
                | Value::Array(_)
                | Value::RegExp(_)
                | Value::Promise(_)
                | Value::Document(_)
                | Value::FetchResponse(_)
                | Value::FetchHeaders(_)
        )
    }

    pub fn is_nullish(&self) -> bool {
        matches!(self, Value::Data(Bson::Null | Bson::Undefined))
    }

    /// The value as a name or a container holds it: a plain document or array becomes a shared object or array
    /// (its contents stay plain until they are read).
    pub fn shared(self) -> Value {
        match self {
            Value::Data(Bson::Document(document)) => Value::Object(ObjectRef::new(
                document.into_iter().map(|(key, value)| (key, Value::Data(value))).collect(),
            )),
            Value::Data(Bson::Array(items)) => {
                Value::Array(ArrayRef::new(items.into_iter().map(Value::Data).collect()))
            }
            other => other,
        }
    }

    /// What `typeof`-style messages call this value.
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Data(Bson::Document(_)) | Value::Object(_) => "a document",
            Value::Data(Bson::Array(_)) | Value::Array(_) => "an array",
            Value::Data(Bson::String(_)) => "a string",
            Value::Data(Bson::Undefined) => "undefined",
            Value::Data(Bson::Null) => "null",
            Value::Data(_) => "a value",
            Value::RegExp(_) => "a regular expression",
            Value::Db => "the database `db`",
            Value::Collection(_) => "a collection",
            Value::Pending(pending) if pending.is_aggregation() => "an aggregation",
            Value::Pending(_) => "a query",
            Value::Mongoose => "the mongoose module",
            Value::SchemaClass => "mongoose.Schema",
            Value::SchemaTypes => "mongoose.Schema.Types",
            Value::Schema(_) => "a schema",
            Value::Model(_) => "a model",
            Value::Document(_) => "a document",
            Value::VirtualType(..) => "a virtual type",
            Value::Query(_) => "a query",
            Value::Express => "the express module",
            Value::Jwt => "the jsonwebtoken module",
            Value::ExpressApp(_) => "an Express app",
            Value::ExpressResponse(_) => "a response",
            Value::ExpressNext(_) => "a function",
            Value::ExpressMiddleware(_) => "a function",
            Value::FetchResponse(_) => "a Response",
            Value::FetchHeaders(_) => "a Headers object",
            Value::Console => "console",
            Value::Function(_) | Value::Builtin(_) => "a function",
            Value::Global(global) if global.is_callable() => "a function",
            Value::Global(_) => "an object",
            Value::Promise(_) => "a Promise",
        }
    }
}
