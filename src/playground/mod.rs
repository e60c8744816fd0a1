//! The side-by-side playground's state, independent of the browser: the schemaless and the Mongoose world, running
//! each statement in both, the program's declarations (replayed after a "server restart"), undo, live model options,
//! and the cluster tree the sidebar shows. The web layer renders it and persists its change sets.

pub mod completion;
pub mod data_schema;
pub mod diff;
pub mod highlight;
mod pipeline_sql;
pub mod share;
pub mod sql;
pub mod view;

use crate::engine::changes::{Change, ChangeSet};
use crate::engine::database::Cluster;
use crate::engine::generator::Generator;
use crate::runtime::calls::DriverCall;
use crate::runtime::{Mode, StatementReport, World};
use crate::shell::ast::StmtKind;
use crate::shell::error::ParseError;
use bson::Bson;

/// Which of the two worlds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The raw MongoDB driver: the database stores whatever it gets.
    Raw,
    /// Mongoose: cast, strict, defaults and validation first.
    Mongoose,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Raw, Side::Mongoose];

    /// The IndexedDB database each world is persisted in.
    pub fn store_name(self) -> &'static str {
        match self {
            Side::Raw => "crudlab-raw",
            Side::Mongoose => "crudlab-mongoose",
        }
    }
}

/// One statement as it ran in both worlds.
#[derive(Debug, Clone)]
pub struct StatementPair {
    pub text: String,
    pub raw: StatementReport,
    pub mongoose: StatementReport,
}

impl StatementPair {
    pub fn report(&self, side: Side) -> &StatementReport {
        match side {
            Side::Raw => &self.raw,
            Side::Mongoose => &self.mongoose,
        }
    }
}

/// What one Run did: every statement in both worlds, and each world's changes (to persist, diff and undo).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub source: String,
    pub statements: Vec<StatementPair>,
    pub raw_changes: ChangeSet,
    pub mongoose_changes: ChangeSet,
}

impl RunOutcome {
    pub fn changes(&self, side: Side) -> &ChangeSet {
        match side {
            Side::Raw => &self.raw_changes,
            Side::Mongoose => &self.mongoose_changes,
        }
    }
}

/// What "Restart server" did: which variables were lost and what came back from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct RestartLog {
    /// Variables that held data: a server's memory, gone with it.
    pub lost: Vec<String>,
    /// Variables the program set to a constant (`let visits = 0`): set again, as a restarted server runs its code.
    pub reinitialized: Vec<String>,
    /// Declarations replayed, as a restarted server runs its code again (`mongoose.model(...)`).
    pub replayed: usize,
    /// Per world and collection: `(side, "db.collection", documents)` reloaded from storage.
    pub restored: Vec<(Side, String, usize)>,
}

/// The parts of an `explain("executionStats")` a student compares: how the query was answered and how much work
/// it took.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExplainSummary {
    /// Stages from the top of the winning plan down: `FETCH → IXSCAN username_1`, or `COLLSCAN`.
    pub stages: Vec<String>,
    pub keys_examined: i64,
    pub docs_examined: i64,
    pub returned: i64,
}

impl ExplainSummary {
    fn from_explain(plan: &bson::Document) -> Self {
        // A pipeline MongoDB could not fold into one query: its first stage is the query (`$cursor`), the others
        // run on its output; outermost first, as for a query plan.
        if let Ok(listed) = plan.get_array("stages") {
            let cursor = listed.first().and_then(Bson::as_document).and_then(|d| d.get_document("$cursor").ok());
            let mut summary = cursor.map(Self::from_explain).unwrap_or_default();
            let after: Vec<&bson::Document> = listed.iter().skip(1).filter_map(Bson::as_document).collect();
            let mut stages: Vec<String> =
                after.iter().rev().filter_map(|stage| stage.keys().find(|k| k.starts_with('$')).cloned()).collect();
            stages.append(&mut summary.stages);
            summary.stages = stages;
            if let Some(returned) = after.last().and_then(|stage| stage.get("nReturned")) {
                summary.returned = crate::engine::value::as_f64(returned).map_or(0, |n| n as i64);
            }
            return summary;
        }
        let mut stages = Vec::new();
        let mut current = plan.get_document("queryPlanner").and_then(|q| q.get_document("winningPlan")).ok();
        while let Some(stage) = current {
            let name = stage.get_str("stage").unwrap_or("?");
            stages.push(match stage.get_str("indexName") {
                Ok(index) => format!("{name} {index}"),
                Err(_) => name.to_string(),
            });
            current = stage.get_document("inputStage").ok();
        }
        let stats = plan.get_document("executionStats").ok();
        let number =
            |key: &str| stats.and_then(|s| s.get(key)).and_then(crate::engine::value::as_f64).map_or(0, |n| n as i64);
        Self {
            stages,
            keys_examined: number("totalKeysExamined"),
            docs_examined: number("totalDocsExamined"),
            returned: number("nReturned"),
        }
    }

    /// `IXSCAN username_1: 1 key and 1 document examined, 1 returned`.
    pub fn describe(&self) -> String {
        format!(
            "{}: {} key(s) and {} document(s) examined, {} returned",
            self.stages.join(" → "),
            self.keys_examined,
            self.docs_examined,
            self.returned
        )
    }
}

/// A model's options the student can switch live.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSwitches {
    pub model: String,
    /// `true`, `false` or `"throw"`.
    pub strict: Bson,
    pub run_validators: bool,
}

/// The playground: two worlds and what the student did.
pub struct Playground {
    raw: World,
    mongoose: World,
    /// Statements that declare code (schemas, models, functions, `use`): replayed on restart.
    prelude: Vec<String>,
    /// Commands run, newest last (↑/↓ in the editor).
    pub history: Vec<String>,
    /// Runs that changed data, newest last, for undo.
    undo: Vec<(ChangeSet, ChangeSet)>,
    /// Runs undone, newest last, for redo; a new Run clears it (time travel forks).
    redo: Vec<(ChangeSet, ChangeSet)>,
    deterministic: bool,
    /// Whether code typed in the editor (the browser) may call the database itself (lesson 3's switch).
    pub access: DatabaseAccess,
}

/// Who may call the database: anyone (the playground) or only the program's functions, which play the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatabaseAccess {
    /// The editor talks to the database directly, as mongosh does (and as a browser would, if it could).
    #[default]
    Direct,
    /// The editor is the browser: database calls must go through a declared function (the server's handler).
    Server,
}

impl Playground {
    /// Fresh, empty worlds. `deterministic` seeds ObjectIds and the clock (tests, screenshots, lessons).
    pub fn new(deterministic: bool) -> Self {
        Self::from_clusters(
            Cluster::new(generator(deterministic, 1)),
            Cluster::new(generator(deterministic, 1)),
            deterministic,
        )
    }

    /// Worlds over clusters loaded from storage.
    pub fn from_clusters(raw: Cluster, mongoose: Cluster, deterministic: bool) -> Self {
        let mut raw_world = World::new(Mode::Schemaless, generator(deterministic, 1));
        raw_world.cluster = raw;
        let mut mongoose_world = World::new(Mode::Mongoose, generator(deterministic, 1));
        mongoose_world.cluster = mongoose;
        Self {
            raw: raw_world,
            mongoose: mongoose_world,
            prelude: Vec::new(),
            history: Vec::new(),
            undo: Vec::new(),
            redo: Vec::new(),
            deterministic,
            access: DatabaseAccess::Direct,
        }
    }

    pub fn world(&self, side: Side) -> &World {
        match side {
            Side::Raw => &self.raw,
            Side::Mongoose => &self.mongoose,
        }
    }

    pub fn world_mut(&mut self, side: Side) -> &mut World {
        match side {
            Side::Raw => &mut self.raw,
            Side::Mongoose => &mut self.mongoose,
        }
    }

    /// The declarations a restart replays.
    pub fn prelude(&self) -> &[String] {
        &self.prelude
    }

    /// Replays saved declarations (after a page reload), without recording them as history or undo.
    pub fn replay_prelude(&mut self, prelude: &[String]) -> usize {
        let mut replayed = 0;
        for text in prelude {
            if let Ok(program) = crate::shell::parse(text) {
                for stmt in &program.statements {
                    let raw = self.raw.run_statement(text, stmt);
                    let mongoose = self.mongoose.run_statement(text, stmt);
                    if raw.error.is_none() && mongoose.error.is_none() {
                        replayed += 1;
                    }
                }
                if !self.prelude.contains(text) {
                    self.prelude.push(text.clone());
                }
            }
        }
        replayed
    }

    /// Runs a program in both worlds, statement by statement. A parse error runs nothing.
    pub fn run(&mut self, source: &str) -> Result<RunOutcome, ParseError> {
        crate::shell::parser::check_length(source)?;
        let program = crate::shell::parse(source)?;
        if self.history.last().map(String::as_str) != Some(source) && !source.trim().is_empty() {
            self.history.push(source.to_string());
        }
        let mut outcome = RunOutcome {
            source: source.to_string(),
            statements: Vec::new(),
            raw_changes: ChangeSet::default(),
            mongoose_changes: ChangeSet::default(),
        };
        let changed_documents = |changes: &ChangeSet| {
            changes
                .entries
                .iter()
                .any(|(_, _, c)| matches!(c, Change::Inserted { .. } | Change::Updated { .. } | Change::Deleted { .. }))
        };
        // Only what the student runs plays the browser; seeds, checks, explains and replays are the server's own.
        let server_only = self.access == DatabaseAccess::Server;
        // MongoDB's TTL monitor ran while the student was typing: what it removed shows first, is persisted with
        // the Run and is one step of Undo, like a statement.
        let (raw_ttl, mongoose_ttl) = (self.raw.run_ttl_monitor(), self.mongoose.run_ttl_monitor());
        if raw_ttl.is_some() || mongoose_ttl.is_some() {
            // The other world's pane says why nothing happened there (the driver world never declared the index).
            let empty = || StatementReport {
                text: crate::runtime::world::TTL_MONITOR.to_string(),
                printed: Some("nothing expired here: no TTL index removed a document in this world".to_string()),
                ..StatementReport::default()
            };
            let raw = raw_ttl.unwrap_or_else(empty);
            let mongoose = mongoose_ttl.unwrap_or_else(empty);
            let (raw_changes, mongoose_changes) = (raw.changes(), mongoose.changes());
            self.undo.push((raw_changes.clone(), mongoose_changes.clone()));
            self.redo.clear();
            outcome.raw_changes.extend(&raw_changes);
            outcome.mongoose_changes.extend(&mongoose_changes);
            outcome.statements.push(StatementPair {
                text: crate::runtime::world::TTL_MONITOR.to_string(),
                raw,
                mongoose,
            });
        }
        self.raw.set_server_only(server_only);
        self.mongoose.set_server_only(server_only);
        for stmt in &program.statements {
            let raw = self.raw.run_statement(source, stmt);
            let mongoose = self.mongoose.run_statement(source, stmt);
            let text = source.get(stmt.span.start..stmt.span.end).unwrap_or_default().to_string();
            let (raw_changes, mongoose_changes) = (raw.changes(), mongoose.changes());
            // Undo goes back one statement at a time (time travel), whatever the Run held.
            if changed_documents(&raw_changes) || changed_documents(&mongoose_changes) {
                self.undo.push((raw_changes.clone(), mongoose_changes.clone()));
                self.redo.clear();
            }
            outcome.raw_changes.extend(&raw_changes);
            outcome.mongoose_changes.extend(&mongoose_changes);
            if self.is_declaration(stmt, &raw, &mongoose) && !self.prelude.contains(&text) {
                self.prelude.push(text.clone());
            }
            outcome.statements.push(StatementPair { text, raw, mongoose });
        }
        self.raw.set_server_only(false);
        self.mongoose.set_server_only(false);
        Ok(outcome)
    }

    /// Code, not data: requires, schemas, models, functions and `use`, which a restarted server runs again.
    fn is_declaration(
        &self,
        stmt: &crate::shell::ast::Stmt,
        raw: &StatementReport,
        mongoose: &StatementReport,
    ) -> bool {
        if raw.error.is_some() || mongoose.error.is_some() {
            return false;
        }
        let touches_documents =
            [raw, mongoose].iter().any(|report| {
                report.changes().entries.iter().any(|(_, _, c)| {
                    matches!(c, Change::Inserted { .. } | Change::Updated { .. } | Change::Deleted { .. })
                })
            });
        if touches_documents {
            return false;
        }
        match &stmt.kind {
            StmtKind::Import(_) | StmtKind::Function(_) => true,
            StmtKind::ShellCommand { command: crate::shell::ast::ShellCommandKind::Use, .. } => true,
            StmtKind::Declaration { declarators, .. } => declarators.iter().all(|declarator| {
                // A constant (`let visits = 0`, `const sessions = {}`) is the server's starting state: a
                // restarted server sets it again.
                let constant = declarator.init.as_ref().is_some_and(crate::runtime::interpreter::is_constant);
                constant
                    || pattern_names(&declarator.target)
                        .iter()
                        .all(|name| matches!(self.mongoose.binding(name), Some(value) if !value.is_data()))
            }),
            StmtKind::Export(inner) => self.is_declaration(inner, raw, mongoose),
            // `mongoose.set(…)`, an Express app's routes and middleware (`app.get("/feed", …)`), and what a
            // schema is given before its model is made: hooks, virtuals, indexes (`userSchema.pre("save", …)`) and
            // methods or statics (`userSchema.methods.fullName = function () {…}`).
            StmtKind::Expression(expr) => {
                let expr = expr.without_await();
                let subject = match &expr.kind {
                    crate::shell::ast::ExprKind::Assign { target, .. } => target.as_ref(),
                    _ => expr,
                };
                match &subject.chain().0.kind {
                    crate::shell::ast::ExprKind::Ident(root) => {
                        root == "mongoose"
                            || matches!(
                                self.mongoose.binding(root),
                                Some(
                                    crate::runtime::value::Value::ExpressApp(_)
                                        | crate::runtime::value::Value::Schema(_)
                                )
                            )
                    }
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// Whether there is a run to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Undoes the last run that changed data, in both worlds. Returns the change sets to persist (the inverses).
    pub fn undo(&mut self) -> Option<(ChangeSet, ChangeSet)> {
        let (raw, mongoose) = self.undo.pop()?;
        let raw_reverted = crate::engine::revert::revert(&mut self.raw.cluster, &raw).is_ok();
        let mongoose_reverted = crate::engine::revert::revert(&mut self.mongoose.cluster, &mongoose).is_ok();
        let persist = (
            if raw_reverted { raw.inverse() } else { ChangeSet::default() },
            if mongoose_reverted { mongoose.inverse() } else { ChangeSet::default() },
        );
        self.redo.push((raw, mongoose));
        Some(persist)
    }

    /// Whether there is an undone run to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Re-applies the last undone run in both worlds. Returns the change sets to persist.
    pub fn redo(&mut self) -> Option<(ChangeSet, ChangeSet)> {
        let (raw, mongoose) = self.redo.pop()?;
        let raw_ok = crate::engine::revert::reapply(&mut self.raw.cluster, &raw).is_ok();
        let mongoose_ok = crate::engine::revert::reapply(&mut self.mongoose.cluster, &mongoose).is_ok();
        let persist = (
            if raw_ok { raw.clone() } else { ChangeSet::default() },
            if mongoose_ok { mongoose.clone() } else { ChangeSet::default() },
        );
        self.undo.push((raw, mongoose));
        Some(persist)
    }

    /// Rolls a run back in one world after storage refused to persist it, so memory equals disk again.
    pub fn roll_back(&mut self, side: Side, changes: &ChangeSet) {
        let _ = crate::engine::revert::revert(&mut self.world_mut(side).cluster, changes);
        self.forget_changes(side, changes);
    }

    /// After a run's changes were rolled back in one world (its write was refused): they leave the undo history.
    pub fn forget_changes(&mut self, side: Side, changes: &ChangeSet) {
        // The run's undo entries no longer describe memory on that side.
        for entry in self.undo.iter_mut() {
            let recorded = match side {
                Side::Raw => &mut entry.0,
                Side::Mongoose => &mut entry.1,
            };
            recorded.entries.retain(|e| !changes.entries.contains(e));
            recorded.collections.retain(|c| !changes.collections.contains(c));
        }
    }

    /// After storage refused an undo in one world (its memory was rolled back to before the undo): that world's
    /// part of the statement is still done, so it goes back from the redo stack to the undo stack.
    pub fn undo_refused(&mut self, side: Side) {
        Self::move_side(&mut self.redo, &mut self.undo, side);
    }

    /// After storage refused a redo in one world: that world's part stays undone, back on the redo stack.
    pub fn redo_refused(&mut self, side: Side) {
        Self::move_side(&mut self.undo, &mut self.redo, side);
    }

    fn move_side(from: &mut Vec<(ChangeSet, ChangeSet)>, to: &mut Vec<(ChangeSet, ChangeSet)>, side: Side) {
        let Some(top) = from.last_mut() else { return };
        let part = match side {
            Side::Raw => std::mem::take(&mut top.0),
            Side::Mongoose => std::mem::take(&mut top.1),
        };
        if top.0.is_empty() && top.1.is_empty() {
            from.pop();
        }
        if part.is_empty() {
            return;
        }
        to.push(match side {
            Side::Raw => (part, ChangeSet::default()),
            Side::Mongoose => (ChangeSet::default(), part),
        });
    }

    /// "Restart server": variables are dropped, the data comes back from the given clusters (reloaded from storage)
    /// and the program's declarations run again.
    pub fn restart(&mut self, raw: Cluster, mongoose: Cluster) -> RestartLog {
        let lost: Vec<String> = self
            .mongoose
            .binding_names()
            .into_iter()
            .filter(|name| self.mongoose.binding(name).is_some_and(|value| value.is_data()))
            .collect();
        let prelude = std::mem::take(&mut self.prelude);
        let history = std::mem::take(&mut self.history);
        let access = self.access;
        *self = Self::from_clusters(raw, mongoose, self.deterministic);
        self.history = history;
        self.access = access;
        let replayed = self.replay_prelude(&prelude);
        let (reinitialized, lost): (Vec<String>, Vec<String>) =
            lost.into_iter().partition(|name| self.mongoose.binding(name).is_some());
        let mut restored = Vec::new();
        for side in Side::BOTH {
            for db in self.world(side).cluster.databases() {
                for coll in db.collections() {
                    restored.push((side, format!("{}.{}", db.name, coll.name()), coll.len()));
                }
            }
        }
        RestartLog { lost, reinitialized, replayed, restored }
    }

    /// The query plan of a find that reached the database (a `find` or `findOne` a pane shows), run again with
    /// `explain("executionStats")` in that world. Reads only: nothing is recorded, persisted or undone, and the
    /// program's state (bindings, the `it` cursor) is untouched.
    pub fn explain(&mut self, side: Side, call: &DriverCall) -> Result<ExplainSummary, String> {
        let explained = call.explained().ok_or("only find, findOne and aggregate have a query plan here")?;
        let world = self.world_mut(side);
        let database = world.database.clone();
        let outcome = crate::runtime::driver::run(&mut world.cluster, &database, &explained);
        match outcome.result {
            Some(Ok(Bson::Document(plan))) => Ok(ExplainSummary::from_explain(&plan)),
            Some(Err(error)) => Err(error.at(crate::shell::span::Span::new(0, 0)).to_string()),
            _ => Err("the database returned no plan".to_string()),
        }
    }

    /// The live switches of every model in the Mongoose world.
    pub fn model_switches(&self) -> Vec<ModelSwitches> {
        self.mongoose
            .models
            .values()
            .map(|entry| ModelSwitches {
                model: entry.name.clone(),
                strict: entry.schema.options.get("strict").cloned().unwrap_or(Bson::Boolean(true)),
                run_validators: entry.run_validators,
            })
            .collect()
    }

    /// Changes a model's `strict` option or its `runValidators` default; the UI then re-runs the last command.
    pub fn set_model_switches(&mut self, switches: &ModelSwitches) -> Result<(), String> {
        self.mongoose.set_model_options(&switches.model, switches.strict.clone(), switches.run_validators)
    }
}

fn pattern_names(pattern: &crate::shell::ast::Pattern) -> Vec<String> {
    pattern.names().into_iter().map(|name| name.name.clone()).collect()
}

fn generator(deterministic: bool, seed: u64) -> Generator {
    if deterministic {
        Generator::deterministic(seed)
    } else {
        Generator::Live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(playground: &Playground, side: Side, collection: &str) -> usize {
        playground.world(side).cluster.database("test").and_then(|db| db.collection(collection)).map_or(0, |c| c.len())
    }

    const MODEL: &str = r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({ username: { type: String, required: true }, age: Number }))"#;

    #[test]
    fn a_lesson_check_or_an_explain_keeps_the_it_cursor() {
        let mut playground = Playground::new(true);
        let items: Vec<String> = (0..25).map(|i| format!("{{ i: {i} }}")).collect();
        playground.run(&format!("db.items.insertMany([{}])", items.join(", "))).unwrap();
        let first = playground.run("db.items.find({}, { _id: 0 })").unwrap();
        assert!(first.statements[0].raw.more, "a long result leaves a cursor");
        let find = first.statements[0].raw.calls[0].sent[0].clone();
        playground.explain(Side::Raw, &find).unwrap();
        playground.world_mut(Side::Raw).run_source("db.items.countDocuments({})").unwrap();
        let next = playground.run("it").unwrap();
        let shown = next.statements[0].raw.value.clone();
        let Some(bson::Bson::Array(batch)) = shown else { panic!("it printed {shown:?}") };
        assert_eq!(batch.len(), 5, "the next batch: documents 20 to 24");
        assert_eq!(batch[0].as_document().and_then(|d| d.get_i32("i").ok()), Some(20));
    }

    #[test]
    fn through_the_server_the_editor_reaches_the_database_only_via_declared_functions() {
        let mut playground = Playground::new(true);
        playground.run(MODEL).unwrap();
        playground.run(r#"db.posts.insertOne({ author: "ada" })"#).unwrap();
        playground.access = DatabaseAccess::Server;
        let refused = playground.run(r#"db.posts.deleteMany({ author: "ada" })"#).unwrap();
        let error = refused.statements[0].raw.error.as_ref().expect("refused in the driver's pane");
        assert_eq!(
            error.message,
            "The browser cannot reach the database: db.posts.deleteMany(...) must run on the server"
        );
        assert_eq!((error.span.start, error.span.end), (0, 38));
        assert!(refused.statements[0].mongoose.error.is_some(), "refused in the Mongoose pane too");
        for text in ["User.find({})", "db.getCollection(\"posts\").find()", "show collections", "db.dropDatabase()"] {
            let outcome = playground.run(text).unwrap();
            let message = outcome.statements[0].raw.error.as_ref().map(|e| e.message.clone()).unwrap_or_default();
            assert!(message.starts_with("The browser cannot reach the database"), "{text}: {message}");
        }
        assert_eq!(count(&playground, Side::Raw, "posts"), 1, "nothing was deleted");
        let served = playground
            .run("function wipe(author) { return db.posts.deleteMany({ author: author }) }\nwipe(\"ada\")")
            .unwrap();
        assert!(served.statements.iter().all(|s| s.raw.error.is_none()), "{:?}", served.statements[1].raw.error);
        assert_eq!(count(&playground, Side::Raw, "posts"), 0, "the server's function reached the database");
        // Lesson checks, explains and restarts are not the browser.
        assert!(playground.world_mut(Side::Raw).run_source("db.posts.countDocuments({})").unwrap()[0].error.is_none());
        playground.access = DatabaseAccess::Direct;
        assert!(playground.run("db.posts.find()").unwrap().statements[0].raw.error.is_none());
    }

    #[test]
    fn a_statement_runs_in_both_worlds() {
        let mut playground = Playground::new(true);
        playground.run(MODEL).unwrap();
        let outcome = playground.run(r#"User.create({ age: "36", nickname: "x" })"#).unwrap();
        assert_eq!(outcome.statements.len(), 1);
        assert!(outcome.statements[0].raw.error.is_none());
        assert_eq!(outcome.statements[0].mongoose.error.as_ref().unwrap().name(), "ValidationError");
        assert_eq!(count(&playground, Side::Raw, "users"), 1);
        assert_eq!(count(&playground, Side::Mongoose, "users"), 0);
    }

    #[test]
    fn a_restarted_server_keeps_its_routes_and_starts_its_memory_again() {
        let mut playground = Playground::new(true);
        playground
            .run(
                r#"const express = require("express")
const app = express()
let visits = 0
app.get("/count", (req, res) => res.json({ visits: ++visits }))"#,
            )
            .unwrap();
        let visits = |playground: &mut Playground| {
            let outcome = playground.run(r#"(await (await fetch("/count")).json()).visits"#).unwrap();
            outcome.statements[0].mongoose.value.clone()
        };
        assert_eq!(visits(&mut playground), Some(Bson::Int32(1)));
        assert_eq!(visits(&mut playground), Some(Bson::Int32(2)));
        let raw = playground.world(Side::Raw).cluster.clone();
        let mongoose = playground.world(Side::Mongoose).cluster.clone();
        let log = playground.restart(raw, mongoose);
        assert_eq!(log.reinitialized, vec!["visits".to_string()]);
        assert!(log.lost.is_empty(), "{:?}", log.lost);
        assert_eq!(visits(&mut playground), Some(Bson::Int32(1)), "the counter lived in the server's memory");
    }

    #[test]
    fn the_ttl_monitor_runs_before_a_run_and_its_removals_are_persisted_and_undone() {
        let mut playground = Playground::new(true);
        let outcome = playground
            .run(
                r#"db.sessions.createIndex({ at: 1 }, { expireAfterSeconds: 60 })
db.sessions.insertMany([{ _id: 1, at: new Date("2020-01-01") }, { _id: 2, at: new Date("2999-01-01") }, { _id: 3 }])"#,
            )
            .unwrap();
        assert_eq!(outcome.statements.len(), 2, "nothing expires inside the Run that inserted it");
        let outcome = playground.run("db.sessions.countDocuments()").unwrap();
        let ttl = &outcome.statements[0];
        assert_eq!(ttl.text, crate::runtime::world::TTL_MONITOR);
        for report in [&ttl.raw, &ttl.mongoose] {
            let note = report.calls[0].note.as_deref().unwrap_or_default();
            assert_eq!(
                note,
                "TTL monitor removed 1 document(s) from db.sessions (expireAfterSeconds 60): their `at` is more than that many seconds in the past."
            );
        }
        assert!(matches!(outcome.raw_changes.entries.as_slice(), [(_, _, Change::Deleted { .. })]));
        assert_eq!(outcome.statements[1].raw.value, Some(Bson::Int32(2)));
        let panes = crate::playground::view::pane(&playground, &outcome, Side::Mongoose);
        assert!(panes[0].notes[0].starts_with("TTL monitor removed 1 document(s)"));
        // Undo brings the expired document back (and the next Run removes it again).
        playground.undo().unwrap();
        let outcome = playground.run("db.sessions.countDocuments()").unwrap();
        assert_eq!(outcome.statements.len(), 2);
        assert_eq!(outcome.statements[1].mongoose.value, Some(Bson::Int32(2)));
        let outcome = playground.run("db.sessions.countDocuments()").unwrap();
        assert_eq!(outcome.statements.len(), 1, "nothing left to expire");
    }

    #[test]
    fn a_ttl_index_only_the_schema_asked_for_expires_in_one_pane_and_the_other_says_why_nothing_did() {
        let mut playground = Playground::new(true);
        playground
            .run(
                r#"const mongoose = require("mongoose")
const Session = mongoose.model("Session", new mongoose.Schema({ at: { type: Date, expires: 60 } }))
await Session.create({ at: new Date("2020-01-01") })"#,
            )
            .unwrap();
        let outcome = playground.run("await Session.countDocuments()").unwrap();
        let ttl = &outcome.statements[0];
        assert_eq!(ttl.text, crate::runtime::world::TTL_MONITOR);
        assert!(ttl.mongoose.calls[0]
            .note
            .as_deref()
            .unwrap_or_default()
            .starts_with("TTL monitor removed 1 document(s)"));
        assert!(ttl.raw.calls.is_empty());
        assert_eq!(
            ttl.raw.printed.as_deref(),
            Some("nothing expired here: no TTL index removed a document in this world")
        );
        assert_eq!(outcome.statements[1].raw.value, Some(Bson::Int32(1)), "the driver world keeps its document");
        assert_eq!(outcome.statements[1].mongoose.value, Some(Bson::Int32(0)));
    }

    #[test]
    fn declarations_survive_a_restart_and_variables_do_not() {
        let mut playground = Playground::new(true);
        playground.run(MODEL).unwrap();
        playground.run(r#"const ada = await User.create({ username: "ada" })"#).unwrap();
        assert_eq!(playground.prelude().len(), 2, "{:?}", playground.prelude());
        let raw = playground.world(Side::Raw).cluster.clone();
        let mongoose = playground.world(Side::Mongoose).cluster.clone();
        let log = playground.restart(raw, mongoose);
        assert_eq!(log.lost, vec!["ada".to_string()]);
        assert_eq!(log.replayed, 2);
        assert!(log.restored.contains(&(Side::Mongoose, "test.users".to_string(), 1)));
        let outcome = playground.run("User.countDocuments()").unwrap();
        assert_eq!(outcome.statements[0].mongoose.value, Some(Bson::Int32(1)));
        let outcome = playground.run("ada._id").unwrap();
        assert_eq!(outcome.statements[0].mongoose.error.as_ref().unwrap().name(), "ReferenceError");
    }

    #[test]
    fn a_schemas_hooks_methods_and_virtuals_are_declarations_a_restart_runs_again() {
        let mut playground = Playground::new(true);
        playground
            .run(
                r#"const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({ first: String, last: String, visits: Number })
userSchema.pre("save", function () { this.visits = (this.visits ?? 0) + 1 })
userSchema.methods.fullName = function () { return this.first + " " + this.last }
userSchema.virtual("initials").get(function () { return this.first[0] + this.last[0] })
userSchema.index({ last: 1 })
const User = mongoose.model("User", userSchema)"#,
            )
            .unwrap();
        assert_eq!(playground.prelude().len(), 7, "{:?}", playground.prelude());
        let raw = playground.world(Side::Raw).cluster.clone();
        let mongoose = playground.world(Side::Mongoose).cluster.clone();
        playground.restart(raw, mongoose);
        let outcome = playground
            .run(r#"const ada = new User({ first: "Ada", last: "Lovelace" }); await ada.save(); [ada.fullName(), ada.initials, ada.visits]"#)
            .unwrap();
        let last = outcome.statements.last().unwrap();
        assert!(last.mongoose.error.is_none(), "{:?}", last.mongoose.error);
        assert_eq!(
            last.mongoose.value,
            Some(bson::bson!(["Ada Lovelace", "AL", 1])),
            "the hook, the method and the virtual came back with the restarted server"
        );
    }

    #[test]
    fn explain_shows_collscan_then_ixscan() {
        let mut playground = Playground::new(true);
        let mut sent = |source: &str| playground.run(source).unwrap().statements[0].raw.calls[0].sent[0].clone();
        let insert = sent("db.users.insertMany([{ name: 'ada' }, { name: 'alan' }, { name: 'grace' }])");
        let find = sent("db.users.find({ name: 'ada' })");
        sent("db.users.createIndex({ name: 1 })");
        let find_one = sent("db.users.findOne({ name: 'ada' })");
        playground.run("db.users.dropIndex('name_1')").unwrap();
        let scan = playground.explain(Side::Raw, &find).unwrap();
        assert_eq!(scan.stages, vec!["COLLSCAN".to_string()]);
        assert_eq!((scan.docs_examined, scan.returned), (3, 1));
        playground.run("db.users.createIndex({ name: 1 })").unwrap();
        let seek = playground.explain(Side::Raw, &find_one).unwrap();
        assert_eq!(seek.describe(), "LIMIT → FETCH → IXSCAN name_1: 1 key(s) and 1 document(s) examined, 1 returned");
        assert_eq!(
            playground.explain(Side::Raw, &insert).unwrap_err(),
            "only find, findOne and aggregate have a query plan here"
        );
        // A pipeline's leading $match uses the index; the stages after it run on what it fetched.
        let mut sent = |source: &str| playground.run(source).unwrap().statements[0].raw.calls[0].sent[0].clone();
        let grouped =
            sent("db.users.aggregate([{ $match: { name: 'ada' } }, { $group: { _id: '$name', n: { $sum: 1 } } }])");
        let matched = sent("db.users.aggregate([{ $match: { name: { $ne: 'ada' } } }])");
        let plan = playground.explain(Side::Raw, &grouped).unwrap();
        assert_eq!(plan.describe(), "$group → FETCH → IXSCAN name_1: 1 key(s) and 1 document(s) examined, 1 returned");
        assert_eq!(playground.explain(Side::Raw, &matched).unwrap().returned, 2);
    }

    #[test]
    fn overlong_programs_are_refused_before_running() {
        let mut playground = Playground::new(true);
        let source = "db.c.insertOne({})\n".repeat(20_000);
        let error = playground.run(&source).unwrap_err();
        assert_eq!(error.kind, crate::shell::error::ErrorKind::TooLong);
        assert!(playground.world(Side::Raw).cluster.database_names().is_empty());
    }

    #[test]
    fn undo_reverts_both_worlds_and_returns_what_to_persist() {
        let mut playground = Playground::new(true);
        playground.run(MODEL).unwrap();
        playground.run(r#"User.create({ username: "ada" })"#).unwrap();
        playground.run("User.deleteMany({})").unwrap();
        assert_eq!(count(&playground, Side::Mongoose, "users"), 0);
        let (raw, mongoose) = playground.undo().unwrap();
        assert_eq!(count(&playground, Side::Mongoose, "users"), 1);
        assert_eq!(count(&playground, Side::Raw, "users"), 1);
        assert!(matches!(mongoose.entries[0].2, Change::Inserted { .. }));
        assert!(matches!(raw.entries[0].2, Change::Inserted { .. }));
        assert!(playground.can_redo());
        let (_, mongoose) = playground.redo().unwrap();
        assert!(matches!(mongoose.entries[0].2, Change::Deleted { .. }));
        assert_eq!(count(&playground, Side::Mongoose, "users"), 0);
        playground.undo().unwrap();
        playground.run(r#"User.create({ username: "bob" })"#).unwrap();
        assert!(!playground.can_redo(), "a new run forks time: the undone future is gone");
    }

    #[test]
    fn undo_goes_back_one_statement_at_a_time() {
        let mut playground = Playground::new(true);
        playground.run("db.n.insertOne({ a: 1 })\ndb.n.insertOne({ a: 2 })\ndb.n.find()").unwrap();
        assert_eq!(count(&playground, Side::Raw, "n"), 2);
        playground.undo().unwrap();
        assert_eq!(count(&playground, Side::Raw, "n"), 1);
        playground.undo().unwrap();
        assert_eq!(count(&playground, Side::Raw, "n"), 0);
        assert!(!playground.can_undo());
    }

    #[test]
    fn strict_switch_changes_what_reaches_the_database() {
        let mut playground = Playground::new(true);
        playground.run(MODEL).unwrap();
        playground
            .set_model_switches(&ModelSwitches {
                model: "User".into(),
                strict: Bson::String("throw".into()),
                run_validators: false,
            })
            .unwrap();
        let outcome = playground.run(r#"User.create({ username: "ada", nickname: "x" })"#).unwrap();
        assert_eq!(outcome.statements[0].mongoose.error.as_ref().unwrap().name(), "StrictModeError");
        playground
            .set_model_switches(&ModelSwitches {
                model: "User".into(),
                strict: Bson::Boolean(false),
                run_validators: true,
            })
            .unwrap();
        playground.run(r#"User.create({ username: "ada", nickname: "x" })"#).unwrap();
        let outcome = playground.run(r#"User.updateOne({ username: "ada" }, { username: null })"#).unwrap();
        assert_eq!(outcome.statements[0].mongoose.error.as_ref().unwrap().name(), "ValidationError");
        assert_eq!(playground.model_switches()[0].strict, Bson::Boolean(false));
    }
}
