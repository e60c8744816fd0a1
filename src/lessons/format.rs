//! The lesson file format (TOML, one file per lesson, documented in `lessons/README.md`): parsing with errors that
//! name the file, the step and the field, and the checks a lesson must pass before it is accepted.

use crate::playground::DatabaseAccess;
use serde::{Deserialize, Serialize};

/// Which world a step's check runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CheckWorld {
    /// The Mongoose pane's world (the default: most lessons are about what the schema does).
    #[default]
    Mongoose,
    /// The raw driver's world.
    Schemaless,
    /// Both worlds must pass.
    Both,
}

/// What the student must do besides running code for a step to be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepAction {
    /// Press "Restart server" (the check runs after the restart).
    Restart,
}

/// Code run in the worlds before a lesson starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    /// Run in both worlds (model declarations, inserts).
    #[serde(default)]
    pub both: String,
}

/// One step of a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub title: String,
    /// Markdown; rendered without raw HTML.
    pub explanation: String,
    /// The explanation rendered (`markdown.rs`), filled when the file is parsed — at build time for the page, which
    /// carries the lessons already parsed and rendered (`lessons/compiled.json`) and no TOML or Markdown parser.
    #[serde(default)]
    pub explanation_html: String,
    /// What the editor holds when the step opens.
    #[serde(default)]
    pub starter: String,
    /// An expression in the command language, true when the step is done. It may use `lastResult`, `lastError`
    /// (`{ name, message, ... }` or null) and `lastTrace` (the trace lines of the last statement).
    pub check: String,
    #[serde(default)]
    pub world: CheckWorld,
    /// Up to three, revealed one at a time.
    #[serde(default)]
    pub hints: Vec<String>,
    pub solution: String,
    /// Where to look in the panes.
    pub notice: String,
    /// Set for steps where running the starter as it is already completes the step (reading steps).
    #[serde(default)]
    pub starter_passes: bool,
    #[serde(default)]
    pub action: Option<StepAction>,
    /// Shows the "Browser → database" switch in this step, in this position when the step opens: `"server"` (the
    /// editor is the browser and must go through the program's functions) or `"direct"`.
    #[serde(default)]
    pub access: Option<DatabaseAccess>,
    /// Where the solution needs the switch, when the student is meant to flip it (defaults to `access`).
    #[serde(default)]
    pub solution_access: Option<DatabaseAccess>,
}

impl Step {
    /// The switch position the step opens with (no switch: the editor talks to the database, as mongosh does).
    pub fn opening_access(&self) -> DatabaseAccess {
        self.access.unwrap_or_default()
    }

    /// The switch position the solution runs with.
    pub fn solution_access(&self) -> DatabaseAccess {
        self.solution_access.or(self.access).unwrap_or_default()
    }
}

/// A lesson file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    /// What the student will be able to do.
    pub goal: String,
    #[serde(default)]
    pub seed: Seed,
    pub steps: Vec<Step>,
}

/// A lesson file that cannot be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LessonError {
    pub file: String,
    /// 1-based step number, when the problem is in a step.
    pub step: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(step) = self.step {
            write!(f, ", step {step}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The most hints a step may have.
pub const MAX_HINTS: usize = 3;

/// Parses and validates one lesson file, rendering each step's explanation.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_lesson(file: &str, text: &str) -> Result<Lesson, LessonError> {
    let error = |step: Option<usize>, field: Option<&str>, message: String| LessonError {
        file: file.to_string(),
        step,
        field: field.map(str::to_string),
        message,
    };
    let mut lesson: Lesson = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|span| {
            let line = text.get(..span.start).map_or(1, |before| before.matches('\n').count() + 1);
            format!(" (line {line})")
        });
        error(None, None, format!("{}{}", e.message(), at.unwrap_or_default()))
    })?;
    for (name, value) in [("id", &lesson.id), ("title", &lesson.title), ("goal", &lesson.goal)] {
        if value.trim().is_empty() {
            return Err(error(None, Some(name), "must not be empty".into()));
        }
    }
    if !lesson.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(error(None, Some("id"), "use letters, digits and `-` only (it appears in links)".into()));
    }
    if lesson.steps.is_empty() {
        return Err(error(None, Some("steps"), "a lesson needs at least one step".into()));
    }
    if !lesson.seed.both.trim().is_empty() {
        crate::shell::parse(&lesson.seed.both)
            .map_err(|e| error(None, Some("seed.both"), format!("line {}: {}", e.span.line, e.message)))?;
    }
    for (index, step) in lesson.steps.iter_mut().enumerate() {
        let number = Some(index + 1);
        if !step.explanation_html.is_empty() {
            return Err(error(number, Some("explanation_html"), "is rendered from `explanation`; remove it".into()));
        }
        step.explanation_html = super::markdown::render_markdown(&step.explanation);
        for (name, value) in [("title", &step.title), ("explanation", &step.explanation), ("check", &step.check)] {
            if value.trim().is_empty() {
                return Err(error(number, Some(name), "must not be empty".into()));
            }
        }
        if step.hints.len() > MAX_HINTS {
            return Err(error(number, Some("hints"), format!("at most {MAX_HINTS} hints, found {}", step.hints.len())));
        }
        if step.solution_access.is_some() && step.access.is_none() {
            return Err(error(
                number,
                Some("solution_access"),
                "needs `access`: the switch must be shown before the student can flip it".into(),
            ));
        }
        for (name, code) in [("starter", &step.starter), ("solution", &step.solution), ("check", &step.check)] {
            if let Err(e) = crate::shell::parse(code) {
                return Err(error(number, Some(name), format!("line {}: {}", e.span.line, e.message)));
            }
        }
    }
    Ok(lesson)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "demo"
title = "Demo"
goal = "Insert a user."
[seed]
both = "db.users.deleteMany({})"
[[steps]]
title = "Insert"
explanation = "Insert **ada**."
starter = "db.users.insertOne({ })"
check = "db.users.countDocuments({ username: 'ada' }) === 1"
hints = ["Add a username field."]
solution = "db.users.insertOne({ username: 'ada' })"
notice = "The left pane."
"#;

    #[test]
    fn a_good_lesson_parses() {
        let lesson = parse_lesson("demo.toml", GOOD).unwrap();
        assert_eq!(lesson.steps.len(), 1);
        assert_eq!(lesson.steps[0].world, CheckWorld::Mongoose);
    }

    #[test]
    fn mistakes_are_located_by_file_step_and_field() {
        let cases = [
            (
                GOOD.replace("id = \"demo\"", "id = \"a b\""),
                "demo.toml, field `id`: use letters, digits and `-` only (it appears in links)",
            ),
            (GOOD.replace("check = \"db.users", "check = \"db.users.("), "demo.toml, step 1, field `check`: line 1:"),
            (
                GOOD.replace(
                    "solution = \"db.users.insertOne({ username: 'ada' })\"",
                    "solution = \"db.users.insertOne({ username: 'ada' \"",
                ),
                "demo.toml, step 1, field `solution`: line 1:",
            ),
            (
                GOOD.replace("hints = [\"Add a username field.\"]", "hints = [\"a\", \"b\", \"c\", \"d\"]"),
                "demo.toml, step 1, field `hints`: at most 3 hints, found 4",
            ),
            (
                GOOD.replace("notice = \"The left pane.\"", "notice = \"x\"\nnotise = \"y\""),
                "demo.toml: unknown field `notise`",
            ),
            (GOOD.replace("goal = \"Insert a user.\"", "goal = \"  \""), "demo.toml, field `goal`: must not be empty"),
            (GOOD.replace("[[steps]]", "[[stepz]]"), "demo.toml: unknown field `stepz`"),
            (
                GOOD.replace("notice = \"The left pane.\"", "notice = \"x\"\nsolution_access = \"direct\""),
                "demo.toml, step 1, field `solution_access`: needs `access`",
            ),
            (
                GOOD.replace("notice = \"The left pane.\"", "notice = \"x\"\naccess = \"browser\""),
                "demo.toml: unknown variant `browser`, expected `direct` or `server`",
            ),
            (
                GOOD.replace("both = \"db.users.deleteMany({})\"", "both = \"db.users.deleteMany({\""),
                "demo.toml, field `seed.both`: line 1:",
            ),
        ];
        for (text, expected) in cases {
            let error = parse_lesson("demo.toml", &text).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{error}\n  expected to start with: {expected}");
        }
    }
}
