//! Database calls as typed values: a driver call (`db.users.find(...)`) and a model call (`User.find(...)`), each
//! built once from the parsed program and carried as it is to the engine, the panes, the SQL and the explain; printed
//! by `Display` in mongosh's form. Each family of methods is one table that drives dispatch, arity and completion.

use crate::js::mongosh_format::format_inline;
use bson::Bson;
use std::fmt;

/// Declares a family of methods: the enum, its table (every method, its JavaScript name and how many arguments
/// mongosh or Mongoose require), and lookup by name.
macro_rules! methods {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal / $required:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every method of the family, in the order completion offers them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The method's name as a program writes it.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// How many leading arguments must be present (not `undefined`).
            pub fn required_args(self) -> usize {
                match self { $($name::$variant => $required),+ }
            }

            /// The method a program names, if the family has it.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|method| method.name() == name)
            }

            /// Every name, for "did you mean" suggestions and completion.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|method| method.name()).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

methods! {
    /// What the raw driver can be asked: the collection methods, and the two database methods that change what
    /// exists (`db.createCollection`, `db.dropDatabase`).
    DriverMethod {
        InsertOne = "insertOne" / 1,
        InsertMany = "insertMany" / 1,
        Find = "find" / 0,
        FindOne = "findOne" / 0,
        CountDocuments = "countDocuments" / 0,
        EstimatedDocumentCount = "estimatedDocumentCount" / 0,
        Distinct = "distinct" / 1,
        Aggregate = "aggregate" / 0,
        UpdateOne = "updateOne" / 2,
        UpdateMany = "updateMany" / 2,
        ReplaceOne = "replaceOne" / 2,
        DeleteOne = "deleteOne" / 1,
        DeleteMany = "deleteMany" / 1,
        FindOneAndUpdate = "findOneAndUpdate" / 2,
        FindOneAndReplace = "findOneAndReplace" / 2,
        FindOneAndDelete = "findOneAndDelete" / 1,
        CreateIndex = "createIndex" / 1,
        DropIndex = "dropIndex" / 1,
        GetIndexes = "getIndexes" / 0,
        ListIndexes = "listIndexes" / 0,
        Drop = "drop" / 0,
        CreateCollection = "createCollection" / 1,
        DropDatabase = "dropDatabase" / 0,
    }
}

methods! {
    /// Methods that chain on a `find()` cursor.
    CursorMethod {
        Sort = "sort" / 1,
        Skip = "skip" / 1,
        Limit = "limit" / 1,
        Projection = "projection" / 1,
        Project = "project" / 1,
        ToArray = "toArray" / 0,
        Pretty = "pretty" / 0,
        Explain = "explain" / 0,
        Count = "count" / 0,
    }
}

methods! {
    /// Model methods the lecture's code may call.
    ModelMethod {
        Create = "create" / 0,
        InsertMany = "insertMany" / 0,
        Find = "find" / 0,
        FindOne = "findOne" / 0,
        FindById = "findById" / 0,
        CountDocuments = "countDocuments" / 0,
        EstimatedDocumentCount = "estimatedDocumentCount" / 0,
        Exists = "exists" / 0,
        Distinct = "distinct" / 0,
        Aggregate = "aggregate" / 0,
        UpdateOne = "updateOne" / 0,
        UpdateMany = "updateMany" / 0,
        ReplaceOne = "replaceOne" / 0,
        FindOneAndUpdate = "findOneAndUpdate" / 0,
        FindByIdAndUpdate = "findByIdAndUpdate" / 0,
        FindOneAndReplace = "findOneAndReplace" / 0,
        DeleteOne = "deleteOne" / 0,
        DeleteMany = "deleteMany" / 0,
        FindOneAndDelete = "findOneAndDelete" / 0,
        FindByIdAndDelete = "findByIdAndDelete" / 0,
        // Document calls: `new User(input)` builds a document (no database call) and `doc.save()` writes it.
        New = "new" / 0,
        // `doc.save()`: args are the document now, what the database holds (`null` when new), the paths assigned
        // whole, and how the program named the document (`grace`), for display.
        Save = "save" / 0,
        // `doc.populate(paths)`: args are the document, then the paths as `populate` takes them.
        PopulateDocument = "populate" / 0,
    }
}

methods! {
    /// Methods that chain on a Mongoose query.
    QueryMethod {
        Sort = "sort" / 0,
        Skip = "skip" / 0,
        Limit = "limit" / 0,
        Select = "select" / 0,
        Populate = "populate" / 0,
        Lean = "lean" / 0,
        Exec = "exec" / 0,
        Then = "then" / 0,
        CountDocuments = "countDocuments" / 0,
        Explain = "explain" / 0,
        OrFail = "orFail" / 0,
        SetOptions = "setOptions" / 0,
    }
}

methods! {
    /// Methods of Mongoose's `Aggregate` builder (`User.aggregate().match({...}).sort("-age")`): each stage method
    /// appends stages (`aggregate_builder.rs` says which); `pipeline()` returns them, `exec()`, `then()` and
    /// `explain()` run them.
    AggregateMethod {
        Match = "match" / 0,
        Group = "group" / 0,
        Sort = "sort" / 0,
        Limit = "limit" / 0,
        Skip = "skip" / 0,
        Project = "project" / 0,
        Unwind = "unwind" / 0,
        Lookup = "lookup" / 0,
        AddFields = "addFields" / 0,
        Count = "count" / 0,
        SortByCount = "sortByCount" / 0,
        ReplaceRoot = "replaceRoot" / 0,
        Facet = "facet" / 0,
        Append = "append" / 0,
        Pipeline = "pipeline" / 0,
        Explain = "explain" / 0,
        Exec = "exec" / 0,
        Then = "then" / 0,
    }
}

impl DriverMethod {
    /// The collection methods (what `db.<collection>.` offers); the database methods are reached through `db.`.
    pub fn collection_methods() -> Vec<&'static str> {
        Self::ALL.iter().filter(|method| !method.is_database_method()).map(|method| method.name()).collect()
    }

    /// `db.createCollection(...)` and `db.dropDatabase()`: called on the database, not on a collection.
    pub fn is_database_method(self) -> bool {
        matches!(self, DriverMethod::CreateCollection | DriverMethod::DropDatabase)
    }

    /// Reads never create a collection and change nothing.
    pub fn is_read(self) -> bool {
        matches!(
            self,
            DriverMethod::Find
                | DriverMethod::FindOne
                | DriverMethod::CountDocuments
                | DriverMethod::EstimatedDocumentCount
                | DriverMethod::Distinct
                | DriverMethod::GetIndexes
                | DriverMethod::ListIndexes
        )
    }

    /// Reads of documents (not of indexes): reading a collection that does not exist deserves a note.
    pub fn reads_documents(self) -> bool {
        self.is_read() && !matches!(self, DriverMethod::GetIndexes | DriverMethod::ListIndexes)
    }

    /// How many leading arguments a call written back as text keeps even when they are empty documents
    /// (`find({})`, `updateOne({}, {...})`); trailing empty option documents are left out, as a student writes them.
    pub fn leading_args(self) -> usize {
        match self {
            DriverMethod::UpdateOne
            | DriverMethod::UpdateMany
            | DriverMethod::ReplaceOne
            | DriverMethod::FindOneAndUpdate
            | DriverMethod::FindOneAndReplace => 2,
            DriverMethod::EstimatedDocumentCount
            | DriverMethod::GetIndexes
            | DriverMethod::ListIndexes
            | DriverMethod::Drop
            | DriverMethod::DropDatabase => 0,
            _ => 1,
        }
    }

    /// `find()` returns a cursor that chains; every other method runs at once.
    pub fn returns_cursor(self) -> bool {
        matches!(self, DriverMethod::Find | DriverMethod::Aggregate)
    }
}

impl ModelMethod {
    /// Whether the call is made on a document (`new User(…)`, `doc.save()`) rather than on the model.
    pub fn is_document_call(self) -> bool {
        matches!(self, ModelMethod::New | ModelMethod::Save | ModelMethod::PopulateDocument)
    }

    /// The method a program calls on a model (`User.findOne`), if the model has it.
    pub fn static_from_name(name: &str) -> Option<Self> {
        Self::from_name(name).filter(|method| !method.is_document_call())
    }

    /// The model's own methods, for completion and "did you mean".
    pub fn static_names() -> Vec<&'static str> {
        Self::ALL.iter().filter(|method| !method.is_document_call()).map(|method| method.name()).collect()
    }

    /// As [`DriverMethod::leading_args`], for model calls written back as text.
    pub fn leading_args(self) -> usize {
        match self {
            ModelMethod::UpdateOne
            | ModelMethod::UpdateMany
            | ModelMethod::ReplaceOne
            | ModelMethod::FindOneAndUpdate
            | ModelMethod::FindByIdAndUpdate
            | ModelMethod::FindOneAndReplace => 2,
            ModelMethod::EstimatedDocumentCount => 0,
            _ => 1,
        }
    }
}

/// Drops trailing empty documents beyond the first `keep` arguments.
pub fn trim_empty_options(args: &mut Vec<Bson>, keep: usize) {
    while args.len() > keep && matches!(args.last(), Some(Bson::Document(d)) if d.is_empty()) {
        args.pop();
    }
}

impl CursorMethod {
    /// What the step does to the pending cursor.
    pub fn effect(self) -> ChainEffect {
        match self {
            CursorMethod::ToArray | CursorMethod::Pretty => ChainEffect::Run,
            CursorMethod::Explain | CursorMethod::Count => ChainEffect::AddAndRun,
            _ => ChainEffect::Add,
        }
    }
}

impl AggregateMethod {
    /// What the step does to the pending aggregation. `pipeline()` is none of these: it returns the stages and
    /// leaves the aggregation as it is (the world answers it before asking).
    pub fn effect(self) -> ChainEffect {
        match self {
            AggregateMethod::Exec | AggregateMethod::Then => ChainEffect::Run,
            AggregateMethod::Explain => ChainEffect::AddAndRun,
            _ => ChainEffect::Add,
        }
    }
}

impl CursorMethod {
    /// What mongosh's AggregationCursor has of the cursor methods: it runs or explains the pipeline, but has no
    /// sort, skip, limit, projection or count (those are stages).
    pub fn on_aggregation_cursor(self) -> bool {
        matches!(self, CursorMethod::ToArray | CursorMethod::Pretty | CursorMethod::Explain)
    }

    /// The names an aggregation cursor offers.
    pub fn aggregation_cursor_names() -> Vec<&'static str> {
        Self::ALL.iter().filter(|method| method.on_aggregation_cursor()).map(|method| method.name()).collect()
    }
}

impl QueryMethod {
    /// What the step does to the pending query.
    pub fn effect(self) -> ChainEffect {
        match self {
            QueryMethod::Exec | QueryMethod::Then => ChainEffect::Run,
            QueryMethod::Explain | QueryMethod::CountDocuments => ChainEffect::AddAndRun,
            _ => ChainEffect::Add,
        }
    }
}

/// What a chained method does to a pending call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainEffect {
    /// Adds a step and stays pending (`.sort()`, `.populate()`).
    Add,
    /// Runs the call as it is (`.toArray()`, `.exec()`).
    Run,
    /// Adds the step, then runs (`.explain()`, `.count()`).
    AddAndRun,
}

/// One driver call: the collection (for `db.createCollection(name)` the collection it creates; empty for
/// `db.dropDatabase()`), the method, its arguments and, for `find`, the cursor chain.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverCall {
    pub collection: String,
    pub method: DriverMethod,
    pub args: Vec<Bson>,
    pub chain: Vec<(CursorMethod, Vec<Bson>)>,
}

impl DriverCall {
    pub fn new(collection: impl Into<String>, method: DriverMethod, args: Vec<Bson>) -> Self {
        Self { collection: collection.into(), method, args, chain: Vec::new() }
    }

    /// The call with one more cursor step.
    pub fn then(mut self, method: CursorMethod, args: Vec<Bson>) -> Self {
        self.chain.push((method, args));
        self
    }

    pub fn is_read(&self) -> bool {
        self.method.is_read()
    }

    /// The filter the call selects documents with, for the methods that take one first.
    pub fn filter(&self) -> Option<&bson::Document> {
        match self.method {
            DriverMethod::Find
            | DriverMethod::FindOne
            | DriverMethod::CountDocuments
            | DriverMethod::UpdateOne
            | DriverMethod::UpdateMany
            | DriverMethod::ReplaceOne
            | DriverMethod::DeleteOne
            | DriverMethod::DeleteMany
            | DriverMethod::FindOneAndUpdate
            | DriverMethod::FindOneAndReplace
            | DriverMethod::FindOneAndDelete => self.args.first().and_then(Bson::as_document),
            DriverMethod::Distinct => self.args.get(1).and_then(Bson::as_document),
            _ => None,
        }
    }

    /// The steps of the chain with this method.
    pub fn steps(&self, method: CursorMethod) -> impl Iterator<Item = &[Bson]> {
        self.chain.iter().filter(move |(m, _)| *m == method).map(|(_, args)| args.as_slice())
    }

    /// The same read as a `find` with `explain("executionStats")`, for the query plan of a `find` or `findOne`.
    pub fn explained(&self) -> Option<DriverCall> {
        let mut call = match self.method {
            DriverMethod::Find => self.clone(),
            DriverMethod::FindOne => DriverCall { method: DriverMethod::Find, ..self.clone() }
                .then(CursorMethod::Limit, vec![Bson::Int32(1)]),
            DriverMethod::Aggregate => self.clone(),
            _ => return None,
        };
        call.chain.retain(|(method, _)| !matches!(method, CursorMethod::Explain | CursorMethod::Count));
        Some(call.then(CursorMethod::Explain, vec![Bson::String("executionStats".into())]))
    }
}

impl fmt::Display for DriverCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.method {
            DriverMethod::CreateCollection => {
                write!(f, "db.createCollection({})", format_inline(&self.collection.as_str().into()))
            }
            DriverMethod::DropDatabase => f.write_str("db.dropDatabase()"),
            method => {
                write!(f, "db.{}.{method}(", self.collection)?;
                write_args(f, &self.args)?;
                for (step, args) in &self.chain {
                    write!(f, ").{step}(")?;
                    write_args(f, args)?;
                }
                f.write_str(")")
            }
        }
    }
}

/// One model call: the model, the method, its arguments and the query chain, or for `aggregate()` the builder's
/// steps (`.match({...})`, `.sort("-age")`) as the program wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCall {
    pub model: String,
    pub method: ModelMethod,
    pub args: Vec<Bson>,
    pub chain: Vec<(QueryMethod, Vec<Bson>)>,
    pub builder: Vec<(AggregateMethod, Vec<Bson>)>,
}

impl ModelCall {
    pub fn new(model: impl Into<String>, method: ModelMethod, args: Vec<Bson>) -> Self {
        Self { model: model.into(), method, args, chain: Vec::new(), builder: Vec::new() }
    }

    /// The call with one more builder step (an aggregation's `.match(...)`).
    pub fn then_build(mut self, method: AggregateMethod, args: Vec<Bson>) -> Self {
        self.builder.push((method, args));
        self
    }

    /// Whether the chain has this step (`.orFail()`, `.populate()`).
    pub fn has_step(&self, method: QueryMethod) -> bool {
        self.chain.iter().any(|(m, _)| *m == method)
    }
}

impl fmt::Display for ModelCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.method {
            ModelMethod::New => {
                write!(f, "new {}(", self.model)?;
                write_args(f, &self.args)?;
                return f.write_str(")");
            }
            // Tutorials name the document after its model: `const user = new User(…)`; `user.save()`.
            ModelMethod::PopulateDocument => {
                write!(f, "{}.populate(", document_name(&self.model))?;
                write_args(f, self.args.get(1..).unwrap_or_default())?;
                return f.write_str(")");
            }
            ModelMethod::Save => {
                return match self.args.get(3) {
                    Some(Bson::String(receiver)) => write!(f, "{receiver}.save()"),
                    _ => write!(f, "{}.save()", document_name(&self.model)),
                }
            }
            // The documents as typed, and the options when given (the runtime's built documents travel after).
            ModelMethod::InsertMany if self.args.len() > 2 => {
                write!(f, "{}.insertMany(", self.model)?;
                let typed = match self.args.get(1) {
                    Some(Bson::Null) | None => self.args.get(..1).unwrap_or_default(),
                    _ => self.args.get(..2).unwrap_or_default(),
                };
                write_args(f, typed)?;
                return f.write_str(")");
            }
            _ => {}
        }
        write!(f, "{}.{}(", self.model, self.method)?;
        write_args(f, &self.args)?;
        for (step, args) in &self.builder {
            write!(f, ").{step}(")?;
            write_args(f, args)?;
        }
        for (step, args) in &self.chain {
            write!(f, ").{step}(")?;
            write_args(f, args)?;
        }
        f.write_str(")")
    }
}

/// `user` for a `User` document, `blogPost` for a `BlogPost`.
pub fn document_name(model: &str) -> String {
    let mut chars = model.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "doc".to_string(),
    }
}

fn write_args(f: &mut fmt::Formatter<'_>, args: &[Bson]) -> fmt::Result {
    for (index, arg) in args.iter().enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        f.write_str(&format_inline(arg))?;
    }
    Ok(())
}

/// A call a statement made: to the driver, to a model, or the declaration of a model (which may create indexes).
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Driver(DriverCall),
    Model(ModelCall),
    /// `mongoose.model("User", schema)`.
    DeclareModel(String),
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Driver(call) => call.fmt(f),
            Call::Model(call) => call.fmt(f),
            Call::DeclareModel(name) => write!(f, "mongoose.model({}, schema)", format_inline(&name.as_str().into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::bson;

    #[test]
    fn calls_print_as_mongosh_writes_them() {
        let find = DriverCall::new("users", DriverMethod::Find, vec![bson!({"age": {"$gt": 18}})])
            .then(CursorMethod::Sort, vec![bson!({"age": -1})])
            .then(CursorMethod::Limit, vec![Bson::Int32(2)]);
        assert_eq!(find.to_string(), "db.users.find({ age: { $gt: 18 } }).sort({ age: -1 }).limit(2)");
        assert_eq!(
            DriverCall::new("users", DriverMethod::CreateCollection, vec![]).to_string(),
            "db.createCollection('users')"
        );
        assert_eq!(DriverCall::new("", DriverMethod::DropDatabase, vec![]).to_string(), "db.dropDatabase()");
        let mut model = ModelCall::new("User", ModelMethod::Find, vec![bson!({})]);
        model.chain.push((QueryMethod::Populate, vec![Bson::String("courses".into())]));
        assert_eq!(model.to_string(), "User.find({}).populate('courses')");
        let built = ModelCall::new("User", ModelMethod::Aggregate, vec![])
            .then_build(AggregateMethod::Match, vec![bson!({"age": {"$gte": 18}})])
            .then_build(AggregateMethod::Sort, vec![Bson::String("-age".into())]);
        assert_eq!(built.to_string(), "User.aggregate().match({ age: { $gte: 18 } }).sort('-age')");
        assert_eq!(Call::DeclareModel("User".into()).to_string(), "mongoose.model('User', schema)");
    }

    #[test]
    fn every_table_round_trips_its_names() {
        for method in DriverMethod::ALL {
            assert_eq!(DriverMethod::from_name(method.name()), Some(*method));
        }
        for method in ModelMethod::ALL {
            assert_eq!(ModelMethod::from_name(method.name()), Some(*method));
        }
        for method in CursorMethod::ALL {
            assert_eq!(CursorMethod::from_name(method.name()), Some(*method));
        }
        for method in QueryMethod::ALL {
            assert_eq!(QueryMethod::from_name(method.name()), Some(*method));
        }
        for method in AggregateMethod::ALL {
            assert_eq!(AggregateMethod::from_name(method.name()), Some(*method));
        }
        assert!(!DriverMethod::collection_methods().contains(&"dropDatabase"));
        assert_eq!(DriverMethod::from_name("update"), None);
    }

    #[test]
    fn a_find_one_is_explained_as_a_find_limited_to_one() {
        let call = DriverCall::new("users", DriverMethod::FindOne, vec![bson!({"name": "ada"})]);
        assert_eq!(
            call.explained().unwrap().to_string(),
            "db.users.find({ name: 'ada' }).limit(1).explain('executionStats')"
        );
        assert_eq!(DriverCall::new("users", DriverMethod::DeleteOne, vec![bson!({})]).explained(), None);
    }
}
