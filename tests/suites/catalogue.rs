//! The catalogue of real student mistakes (`tests/catalogue/mistakes.toml`): what each pane reports for a
//! mistake's last statement (error name, message, line, column), and whether a world whose statement failed kept
//! its stored data exactly as it was.

use crudlab::engine::database::Cluster;
use crudlab::playground::{Playground, Side};
use serde::Deserialize;

/// The catalogue's text, compiled in so the browser suite reads the same file.
pub const TEXT: &str = include_str!("../catalogue/mistakes.toml");

pub fn load() -> Catalogue {
    toml::from_str(TEXT).unwrap()
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Expected {
    pub error: String,
    pub message: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Deserialize)]
pub struct Mistake {
    pub id: String,
    pub what: String,
    pub setup: String,
    pub input: String,
    pub raw: Option<Expected>,
    pub mongoose: Option<Expected>,
    /// The library keeps what it did before the error (an ordered insertMany keeps the documents before the
    /// failing one), so the data may change.
    #[serde(default)]
    pub keeps_partial: bool,
}

#[derive(Debug, Deserialize)]
pub struct Catalogue {
    pub mistake: Vec<Mistake>,
}

const USERS: &str = r#"db.users.insertMany([{ _id: 1, username: "ada", age: 36, tags: ["a"] }, { _id: 2, username: "alan", age: 41, tags: [] }])"#;
const MODEL: &str = r#"const mongoose = require("mongoose")
const User = mongoose.model("User", new mongoose.Schema({
  username: { type: String, required: true, unique: true, maxlength: 20 },
  age: { type: Number, min: 0 },
  email: { type: String, match: /^[^@]+@[^@]+$/ },
  role: { type: String, enum: ["student", "teacher"] },
  friends: [{ type: mongoose.Schema.Types.ObjectId, ref: "User" }],
  team: { type: mongoose.Schema.Types.ObjectId, ref: "Team" }
}))
const Strict = mongoose.model("Strict", new mongoose.Schema({ name: String }, { strict: "throw" }))
await User.create({ username: "ada", age: 36 })"#;

fn contents(cluster: &Cluster) -> Vec<(String, Vec<bson::Document>, Vec<bson::Document>)> {
    cluster
        .databases()
        .flat_map(|db| {
            db.collections().map(|c| (c.namespace().to_string(), c.documents().cloned().collect(), c.list_indexes()))
        })
        .collect()
}

/// What each world reports for the mistake's last statement, and whether its data stayed as before that statement.
pub fn observe(mistake: &Mistake, deterministic: bool) -> (Option<Expected>, Option<Expected>, Vec<String>) {
    let mut playground = Playground::new(deterministic);
    match mistake.setup.as_str() {
        "users" => {
            playground.run(USERS).unwrap();
        }
        "model" => {
            playground.run(MODEL).unwrap();
        }
        _ => {}
    }
    let mut problems = Vec::new();
    // Everything before the last statement runs first; the mistake is the last statement.
    let (prefix, last) = match crudlab::shell::parse(&mistake.input) {
        Ok(program) => match program.statements.last() {
            Some(last) => (&mistake.input[..last.span.start], &mistake.input[last.span.start..]),
            None => ("", mistake.input.as_str()),
        },
        Err(_) => ("", mistake.input.as_str()),
    };
    if !prefix.trim().is_empty() {
        playground.run(prefix).unwrap();
    }
    let before = [contents(&playground.world(Side::Raw).cluster), contents(&playground.world(Side::Mongoose).cluster)];
    let offset = |line: usize| prefix.matches('\n').count() + line;
    let outcome = playground.run(last);
    let (raw, mongoose) = match outcome {
        Err(error) => {
            let expected = Expected {
                error: "SyntaxError".into(),
                message: error.message.clone(),
                line: offset(error.span.line),
                column: error.span.column,
            };
            (Some(expected.clone()), Some(expected))
        }
        Ok(outcome) => {
            let report = |side: Side| {
                outcome.statements.iter().find_map(|pair| pair.report(side).error.as_ref()).map(|error| {
                    let at = crudlab::shell::span::Location::new(last, error.span);
                    Expected {
                        error: error.name().to_string(),
                        message: error.message.clone(),
                        line: offset(at.line),
                        column: at.column,
                    }
                })
            };
            (report(Side::Raw), report(Side::Mongoose))
        }
    };
    for (index, side) in Side::BOTH.iter().enumerate() {
        let failed = if *side == Side::Raw { raw.is_some() } else { mongoose.is_some() };
        if failed && !mistake.keeps_partial && contents(&playground.world(*side).cluster) != before[index] {
            problems.push(format!("{}: the {side:?} world's data changed although the statement failed", mistake.id));
        }
    }
    if raw.is_none() && mongoose.is_none() {
        problems.push(format!("{}: no error in either world for a mistake", mistake.id));
    }
    (raw, mongoose, problems)
}

/// Runs every mistake; one message per mistake whose errors differ from the recording or whose data changed.
/// Live, messages are compared with generated ObjectIds and dates normalised.
pub fn failures(deterministic: bool) -> (usize, Vec<String>) {
    let catalogue = load();
    let mut failures = Vec::new();
    let normalised = |expected: &Option<Expected>| {
        expected.clone().map(|e| Expected { message: super::normalise_generated(&e.message), ..e })
    };
    for mistake in &catalogue.mistake {
        let (raw, mongoose, problems) = observe(mistake, deterministic);
        failures.extend(problems);
        let (raw, mongoose, expected_raw, expected_mongoose) = if deterministic {
            (raw, mongoose, mistake.raw.clone(), mistake.mongoose.clone())
        } else {
            (normalised(&raw), normalised(&mongoose), normalised(&mistake.raw), normalised(&mistake.mongoose))
        };
        if raw != expected_raw {
            failures.push(format!("{} (raw pane): expected {expected_raw:?}, got {raw:?}", mistake.id));
        }
        if mongoose != expected_mongoose {
            failures.push(format!("{} (Mongoose pane): expected {expected_mongoose:?}, got {mongoose:?}", mistake.id));
        }
    }
    (catalogue.mistake.len(), failures)
}
