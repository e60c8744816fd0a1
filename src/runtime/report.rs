//! What running a statement reports: its value or error, its console lines, and every database call it made as
//! the calls themselves (what ran in this world, what it was translated from, what reached the database).

use super::calls::{Call, DriverCall};
use super::error::RuntimeError;
use crate::engine::changes::ChangeSet;
use crate::js::mongosh_format::format_value;
use crate::shell::span::Span;
use bson::Bson;

/// One database call a statement made, as this world ran it.
#[derive(Debug, Clone)]
pub struct CallReport {
    /// The call as it ran in this world (`User.create({...})` or `db.users.insertOne({...})`).
    pub ran: Call,
    /// When the statement was written for the other world: the call as written, which this world translated into
    /// `ran`.
    pub translated_from: Option<Call>,
    /// The exact calls that reached the database, as sent (with the `_id`s the driver added).
    pub sent: Vec<DriverCall>,
    pub changes: ChangeSet,
    /// Mongoose's steps before the database saw anything (cast, strict, defaults, validate, ...).
    pub trace: Option<crate::schema::Trace>,
    /// A note for the student (e.g. that a collection has no model, so Mongoose never sees it).
    pub note: Option<String>,
    /// `(database, collection)` the call touched.
    pub namespace: (String, String),
    /// For an aggregation: the preview after every stage, and the stage that failed.
    pub pipeline: Option<super::driver::PipelineRun>,
}

impl CallReport {
    /// A report of `ran` on `namespace` that has sent nothing yet.
    pub fn new(ran: Call, namespace: (String, String)) -> Self {
        Self {
            ran,
            translated_from: None,
            sent: Vec::new(),
            changes: ChangeSet::default(),
            trace: None,
            note: None,
            namespace,
            pipeline: None,
        }
    }

    /// Adds a call that reached the database and what it changed.
    pub fn record_sent(&mut self, sent: DriverCall, changes: ChangeSet) {
        self.sent.push(sent);
        self.changes.entries.extend(changes.entries);
        self.changes.collections.extend(changes.collections);
    }
}

/// What running one statement did.
#[derive(Debug, Clone, Default)]
pub struct StatementReport {
    pub span: Span,
    /// The statement's text.
    pub text: String,
    /// The statement's value, when it has one worth printing. A result longer than a batch holds its first
    /// [`BATCH_SIZE`] items (`more` is set); the whole result is the world's cursor
    /// (`World::unprinted_whole_result`).
    pub value: Option<Bson>,
    /// Text printed instead of a value (`switched to db shop`, `show collections`).
    pub printed: Option<String>,
    /// Lines from `console.log`.
    pub console: Vec<String>,
    pub error: Option<RuntimeError>,
    pub calls: Vec<CallReport>,
    /// More documents follow the printed batch: mongosh prints `Type "it" for more` and `it` shows the next batch.
    pub more: bool,
    /// The requests `fetch` sent to the program's Express app, each as its lane.
    pub requests: Vec<super::express::RequestReport>,
}

/// How many documents mongosh prints of a result before `Type "it" for more`.
pub const BATCH_SIZE: usize = 20;

impl StatementReport {
    /// The value as printed: a long array only up to its first batch (a statement's report already holds no more).
    pub fn printed_value(&self) -> Option<Bson> {
        match &self.value {
            Some(Bson::Array(items)) if items.len() > BATCH_SIZE => {
                Some(Bson::Array(items.iter().take(BATCH_SIZE).cloned().collect()))
            }
            other => other.clone(),
        }
    }

    /// The result as mongosh would print it (the value, the printed text, or the error).
    pub fn display(&self) -> String {
        let mut lines: Vec<String> = self.console.clone();
        if let Some(error) = &self.error {
            lines.push(error.to_string());
        } else if let Some(text) = &self.printed {
            lines.push(text.clone());
        } else if let Some(value) = self.printed_value() {
            lines.push(format_value(&value));
            if self.more {
                lines.push("Type \"it\" for more".to_string());
            }
        }
        lines.join("\n")
    }

    /// Every change the statement made, in order.
    pub fn changes(&self) -> ChangeSet {
        let mut all = ChangeSet::default();
        for call in &self.calls {
            all.entries.extend(call.changes.entries.iter().cloned());
            all.collections.extend(call.changes.collections.iter().cloned());
        }
        all
    }
}
