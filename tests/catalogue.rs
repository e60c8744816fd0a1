//! The bad-input catalogue (`tests/catalogue/mistakes.toml`): every mistake gets its exact error (name, message,
//! line, column) in each pane, and a world whose last statement failed keeps its stored data exactly as it was.
//! `CATALOGUE_RECORD=1 cargo test --test catalogue` re-records the expectations; review the diff before committing.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crudlab::engine::database::Cluster;
use crudlab::playground::{Playground, Side};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct Expected {
    error: String,
    message: String,
    line: usize,
    column: usize,
}

#[derive(Debug, Deserialize)]
struct Mistake {
    id: String,
    what: String,
    setup: String,
    input: String,
    raw: Option<Expected>,
    mongoose: Option<Expected>,
    /// The library keeps what it did before the error (an ordered insertMany keeps the documents before the
    /// failing one), so the data may change.
    #[serde(default)]
    keeps_partial: bool,
}

#[derive(Debug, Deserialize)]
struct Catalogue {
    mistake: Vec<Mistake>,
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
fn observe(mistake: &Mistake) -> (Option<Expected>, Option<Expected>, Vec<String>) {
    let mut playground = Playground::new(true);
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

fn toml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn render(expected: &Option<Expected>, side: &str) -> String {
    match expected {
        None => String::new(),
        Some(e) => format!(
            "{side} = {{ error = {}, message = {}, line = {}, column = {} }}\n",
            toml_string(&e.error),
            toml_string(&e.message),
            e.line,
            e.column
        ),
    }
}

#[test]
fn every_mistake_gets_its_exact_error_and_changes_nothing() {
    // Unoptimised test builds use several times the stack of the release build for the 100-level documents in the
    // catalogue (the release binary handles them within 512 KiB, below WebAssembly's 1 MiB), so the check runs on
    // a thread with room for debug frames.
    let worker = std::thread::Builder::new().stack_size(32 * 1024 * 1024).spawn(check_catalogue).unwrap();
    if let Err(panic) = worker.join() {
        std::panic::resume_unwind(panic);
    }
}

fn check_catalogue() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/catalogue/mistakes.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let catalogue: Catalogue = toml::from_str(&text).unwrap();
    assert!(catalogue.mistake.len() >= 100, "the catalogue holds {} mistakes", catalogue.mistake.len());
    let record = std::env::var_os("CATALOGUE_RECORD").is_some();
    let mut failures = Vec::new();
    let mut recorded = String::new();
    for mistake in &catalogue.mistake {
        let (raw, mongoose, problems) = observe(mistake);
        failures.extend(problems);
        if record {
            recorded.push_str(&format!(
                "[[mistake]]\nid = {}\nwhat = {}\nsetup = {}\ninput = '''{}'''\n{}{}{}\n",
                toml_string(&mistake.id),
                toml_string(&mistake.what),
                toml_string(&mistake.setup),
                mistake.input,
                if mistake.keeps_partial { "keeps_partial = true\n" } else { "" },
                render(&raw, "raw"),
                render(&mongoose, "mongoose")
            ));
            continue;
        }
        if raw != mistake.raw {
            failures.push(format!("{} (raw pane): expected {:?}, got {raw:?}", mistake.id, mistake.raw));
        }
        if mongoose != mistake.mongoose {
            failures.push(format!("{} (Mongoose pane): expected {:?}, got {mongoose:?}", mistake.id, mistake.mongoose));
        }
    }
    if record {
        let header: String = text.lines().take_while(|line| line.starts_with('#')).map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, format!("{header}\n{recorded}")).unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
