//! Guided lessons: the lecture as data files (`lessons/*.toml`), their checks evaluated against the student's
//! worlds, and saved progress. Natively the files are parsed (and their Markdown rendered) from the TOML; the page
//! carries them already parsed as `lessons/compiled.json`, which a test keeps equal to what parsing gives.

pub mod format;
#[cfg(not(target_arch = "wasm32"))]
pub mod markdown;

use crate::playground::{Playground, RunOutcome, Side};
use bson::Bson;
#[cfg(not(target_arch = "wasm32"))]
pub use format::parse_lesson;
pub use format::{CheckWorld, Lesson, LessonError, Step, StepAction};
use serde::{Deserialize, Serialize};

/// The lessons shipped with crudlab, in lecture order: `(file name, text)`.
#[cfg(not(target_arch = "wasm32"))]
pub const BUNDLED: [(&str, &str); 9] = [
    ("01-what-is-a-database.toml", include_str!("../../lessons/01-what-is-a-database.toml")),
    ("02-data-of-a-real-app.toml", include_str!("../../lessons/02-data-of-a-real-app.toml")),
    ("03-why-a-server.toml", include_str!("../../lessons/03-why-a-server.toml")),
    ("04-crud.toml", include_str!("../../lessons/04-crud.toml")),
    ("05-schemaless-vs-strict.toml", include_str!("../../lessons/05-schemaless-vs-strict.toml")),
    ("06-relationships.toml", include_str!("../../lessons/06-relationships.toml")),
    ("07-jargon.toml", include_str!("../../lessons/07-jargon.toml")),
    ("08-capstone.toml", include_str!("../../lessons/08-capstone.toml")),
    ("09-the-database-computes.toml", include_str!("../../lessons/09-the-database-computes.toml")),
];

/// The bundled lessons as the page carries them: parsed and rendered, as JSON (see [`bundled`]).
#[cfg(target_arch = "wasm32")]
const COMPILED: &str = include_str!("../../lessons/compiled.json");

/// Every bundled lesson, parsed; a lesson file that does not parse is reported instead (tests keep that list empty).
#[cfg(target_arch = "wasm32")]
pub fn bundled() -> (Vec<Lesson>, Vec<LessonError>) {
    match serde_json::from_str(COMPILED) {
        Ok(lessons) => (lessons, Vec::new()),
        Err(e) => (
            Vec::new(),
            vec![LessonError { file: "lessons/compiled.json".into(), step: None, field: None, message: e.to_string() }],
        ),
    }
}

/// Every bundled lesson, parsed; a lesson file that does not parse is reported instead (tests keep that list empty).
#[cfg(not(target_arch = "wasm32"))]
pub fn bundled() -> (Vec<Lesson>, Vec<LessonError>) {
    let mut lessons = Vec::new();
    let mut errors = Vec::new();
    for (file, text) in BUNDLED {
        match parse_lesson(file, text) {
            Ok(lesson) => lessons.push(lesson),
            Err(error) => errors.push(error),
        }
    }
    (lessons, errors)
}

/// A student's place in a lesson, saved between visits (the page keeps it in localStorage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Progress {
    pub lesson: String,
    /// 0-based index of the open step.
    pub step: usize,
    /// How many hints of the open step are shown.
    pub hints_shown: usize,
    /// Steps whose check passed.
    pub passed: Vec<usize>,
    /// The student's code per step (`(step, code)`), so coming back to a step shows what they wrote.
    #[serde(default)]
    pub code: Vec<(usize, String)>,
}

impl Progress {
    pub fn new(lesson: &Lesson) -> Self {
        Self { lesson: lesson.id.clone(), ..Self::default() }
    }

    /// Shows one more hint, up to the step's count.
    pub fn reveal_hint(&mut self, lesson: &Lesson) {
        let available = lesson.steps.get(self.step).map_or(0, |s| s.hints.len());
        self.hints_shown = (self.hints_shown + 1).min(available);
    }

    pub fn go_to(&mut self, step: usize, lesson: &Lesson) {
        self.step = step.min(lesson.steps.len().saturating_sub(1));
        self.hints_shown = 0;
    }

    pub fn mark_passed(&mut self, step: usize) {
        if !self.passed.contains(&step) {
            self.passed.push(step);
            self.passed.sort_unstable();
        }
    }

    /// Remembers the student's code for the open step.
    pub fn remember_code(&mut self, code: &str) {
        let step = self.step;
        self.code.retain(|(s, _)| *s != step);
        self.code.push((step, code.to_string()));
    }

    /// The code to show for the open step: what the student wrote there, else the step's starter.
    pub fn code_for(&self, lesson: &Lesson) -> String {
        self.code
            .iter()
            .find(|(s, _)| *s == self.step)
            .map(|(_, code)| code.clone())
            .or_else(|| lesson.steps.get(self.step).map(|step| step.starter.clone()))
            .unwrap_or_default()
    }

    pub fn is_complete(&self, lesson: &Lesson) -> bool {
        (0..lesson.steps.len()).all(|step| self.passed.contains(&step))
    }
}

/// The outcome of a step's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckResult {
    Passed,
    /// The check ran and was false (in which world, when it matters).
    NotYet(String),
    /// The check itself failed to run; the message says why.
    Failed(String),
}

impl CheckResult {
    pub fn passed(&self) -> bool {
        matches!(self, CheckResult::Passed)
    }
}

/// Binds what the check may look at: the last statement's value, error and write trace in that world.
fn bind_last(playground: &mut Playground, side: Side, outcome: Option<&RunOutcome>) {
    let last = outcome.and_then(|o| o.statements.last()).map(|pair| pair.report(side).clone());
    let world = playground.world_mut(side);
    let (value, error, trace, calls) = match &last {
        Some(report) => (
            match world.unprinted_whole_result().filter(|_| report.more) {
                Some(whole) => Bson::Array(whole.to_vec()),
                None => report.value.clone().unwrap_or(Bson::Null),
            },
            report.error.as_ref().map_or(Bson::Null, |e| Bson::Document(e.to_document())),
            Bson::Array(
                report
                    .calls
                    .iter()
                    .flat_map(|call| call.trace.iter().flatten().map(|step| Bson::String(step.describe())))
                    .collect(),
            ),
            Bson::Array(
                report
                    .calls
                    .iter()
                    .flat_map(|call| call.sent.iter().map(|sent| Bson::String(sent.to_string())))
                    .collect(),
            ),
        ),
        None => (Bson::Null, Bson::Null, Bson::Array(Vec::new()), Bson::Array(Vec::new())),
    };
    world.bind_data("lastResult", value);
    world.bind_data("lastError", error);
    world.bind_data("lastTrace", trace);
    world.bind_data("lastCalls", calls);
}

/// The names a check may read besides the database; bound for the check only.
const CHECK_INPUTS: [&str; 4] = ["lastResult", "lastError", "lastTrace", "lastCalls"];

/// Runs a step's check against the student's worlds after a Run (or after a restart, with `outcome` = None).
pub fn check_step(playground: &mut Playground, step: &Step, outcome: Option<&RunOutcome>) -> CheckResult {
    let sides: &[Side] = match step.world {
        CheckWorld::Mongoose => &[Side::Mongoose],
        CheckWorld::Schemaless => &[Side::Raw],
        CheckWorld::Both => &[Side::Raw, Side::Mongoose],
    };
    for &side in sides {
        bind_last(playground, side, outcome);
        let reports = playground.world_mut(side).run_source(&step.check);
        // The check's inputs are not the student's variables: they go once the check ran.
        for name in CHECK_INPUTS {
            playground.world_mut(side).unbind(name);
        }
        let reports = match reports {
            Ok(reports) => reports,
            Err(error) => return CheckResult::Failed(format!("the check does not parse: {}", error.message)),
        };
        let Some(report) = reports.last() else {
            return CheckResult::Failed("the check is empty".into());
        };
        if let Some(error) = &report.error {
            return CheckResult::NotYet(format!("{error}"));
        }
        let truthy = report.value.as_ref().is_some_and(crate::js::truthy);
        if !truthy {
            let world = match side {
                Side::Raw => "the MongoDB driver pane",
                Side::Mongoose => "the Mongoose pane",
            };
            return CheckResult::NotYet(format!("the check is false in {world}"));
        }
    }
    CheckResult::Passed
}

/// Starts a lesson: fresh worlds (deterministic when asked) with the lesson's seed run in both.
pub fn start(lesson: &Lesson, deterministic: bool) -> Playground {
    let mut playground = Playground::new(deterministic);
    seed(&mut playground, lesson);
    playground
}

/// Runs the lesson's seed in both worlds of an existing playground.
pub fn seed(playground: &mut Playground, lesson: &Lesson) {
    if !lesson.seed.both.trim().is_empty() {
        // The seed is the app's own data, written by the server whatever the lesson's switch says.
        let access = std::mem::take(&mut playground.access);
        let _ = playground.run(&lesson.seed.both);
        playground.access = access;
    }
}

/// Whether `code`, run in a copy of the worlds with the switch where the step opens it, passes the step's check;
/// the copy keeps the replay undisturbed.
fn passes_in_a_copy(playground: &Playground, step: &Step, code: &str) -> bool {
    let mut scratch = Playground::from_clusters(
        playground.world(Side::Raw).cluster.clone(),
        playground.world(Side::Mongoose).cluster.clone(),
        true,
    );
    scratch.replay_prelude(playground.prelude());
    scratch.access = step.opening_access();
    let outcome = scratch.run(code).ok();
    check_step(&mut scratch, step, outcome.as_ref()).passed()
}

/// One step's replay: its name (`04-crud step 3`) and why it failed, if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepVerdict {
    pub name: String,
    pub failure: Option<String>,
}

/// Replays a lesson step by step in fresh deterministic worlds: every piece of code parses (checked when the file
/// was read), the starter alone does not pass the check (unless the step says so), and the solution passes it.
pub fn verify(lesson: &Lesson) -> Vec<StepVerdict> {
    verify_in(lesson, true)
}

/// [`verify`] in deterministic worlds or, as a student opens the page, with live ObjectIds and the real clock.
pub fn verify_in(lesson: &Lesson, deterministic: bool) -> Vec<StepVerdict> {
    let mut verdicts = Vec::new();
    let mut playground = start(lesson, deterministic);
    for (index, step) in lesson.steps.iter().enumerate() {
        let name = format!("{} step {}", lesson.id, index + 1);
        let mut failure = None;
        if !step.starter_passes && step.action.is_none() && passes_in_a_copy(&playground, step, &step.starter) {
            failure = Some("the starter alone passes the check".to_string());
        }
        // A step where the student is meant to flip the switch: the solution must not pass without it.
        if step.solution_access() != step.opening_access() && passes_in_a_copy(&playground, step, &step.solution) {
            failure = Some("the solution passes without flipping the switch".to_string());
        }
        playground.access = step.solution_access();
        let outcome = match playground.run(&step.solution) {
            Ok(outcome) => Some(outcome),
            Err(error) => {
                verdicts.push(StepVerdict {
                    name,
                    failure: Some(format!("the solution does not parse: {}", error.message)),
                });
                continue;
            }
        };
        let outcome = match step.action {
            Some(StepAction::Restart) => {
                let raw = playground.world(Side::Raw).cluster.clone();
                let mongoose = playground.world(Side::Mongoose).cluster.clone();
                playground.restart(raw, mongoose);
                None
            }
            None => outcome,
        };
        let result = check_step(&mut playground, step, outcome.as_ref());
        if !result.passed() {
            failure = Some(format!("the solution does not pass: {result:?}"));
        }
        verdicts.push(StepVerdict { name, failure });
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_lesson_parses() {
        let (lessons, errors) = bundled();
        assert!(errors.is_empty(), "{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
        assert_eq!(lessons.len(), BUNDLED.len());
        let mut ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), lessons.len(), "lesson ids are unique");
    }

    /// The page's lessons are these files parsed and rendered; `UPDATE_EXPECT=1 cargo test --lib lessons` rewrites
    /// `lessons/compiled.json` after a lesson file changed.
    #[test]
    fn the_pages_compiled_lessons_are_the_lesson_files_parsed() {
        let (lessons, _) = bundled();
        let json = serde_json::to_string_pretty(&lessons).unwrap();
        expect_test::expect_file!["../../lessons/compiled.json"].assert_eq(&format!("{json}\n"));
        let read: Vec<Lesson> = serde_json::from_str(&json).unwrap();
        assert_eq!(read, lessons, "the page reads back exactly what parsing gave");
    }

    #[test]
    fn every_solution_passes_and_no_starter_does() {
        let (lessons, _) = bundled();
        let failures: Vec<String> = lessons
            .iter()
            .flat_map(verify)
            .filter_map(|step| step.failure.map(|why| format!("{}: {why}", step.name)))
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_solution_passes_and_no_starter_does_with_the_live_clock() {
        let (lessons, _) = bundled();
        let failures: Vec<String> = lessons
            .iter()
            .flat_map(|lesson| verify_in(lesson, false))
            .filter_map(|step| step.failure.map(|why| format!("{}: {why}", step.name)))
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_check_sees_the_whole_of_a_result_longer_than_the_printed_batch() {
        let mut playground = Playground::new(false);
        let docs: Vec<String> = (0..45).map(|i| format!("{{ i: {i} }}")).collect();
        playground.run(&format!("db.items.insertMany([{}])", docs.join(", "))).unwrap();
        let outcome = playground.run("db.items.find()").unwrap();
        let step = |check: &str| {
            let text = format!(
                "id = \"long\"\ntitle = \"Long\"\ngoal = \"Count.\"\n[[steps]]\ntitle = \"Find\"\nexplanation = \"Find.\"\n\
                 check = \"{check}\"\nworld = \"schemaless\"\nsolution = \"db.items.find()\"\nnotice = \"Found.\"\n"
            );
            parse_lesson("long.toml", &text).unwrap().steps.remove(0)
        };
        let passed = |playground: &mut Playground, check: &str| check_step(playground, &step(check), Some(&outcome));
        assert!(passed(&mut playground, "lastResult.length === 45").passed());
        assert!(passed(&mut playground, "lastResult[44].i === 44").passed());
        assert!(!passed(&mut playground, "lastResult.length === 20").passed());
        // The check ran aside: `it` still shows the student's next batch.
        let next = playground.run("it").unwrap();
        assert!(crate::playground::view::result_text(&next.statements[0].raw).unwrap_or_default().contains("i: 20"));
    }

    #[test]
    fn a_step_that_needs_the_switch_is_verified_with_and_without_it() {
        let lesson = |solution_access: &str, solution: &str| {
            parse_lesson(
                "switch.toml",
                &format!(
                    r#"
id = "switch"
title = "Switch"
goal = "Flip it."
[seed]
both = "db.posts.insertOne({{ author: 'ada' }})"
[[steps]]
title = "Delete from the browser"
explanation = "Flip the switch."
starter = "db.posts.find()"
check = "db.posts.countDocuments({{}}) === 0"
access = "server"
{solution_access}
solution = "{solution}"
notice = "Gone."
"#
                ),
            )
            .unwrap()
        };
        let from_the_browser = "db.posts.deleteMany({})";
        let flipped = verify(&lesson("solution_access = \"direct\"", from_the_browser));
        assert_eq!(flipped[0].failure, None, "the seed runs whatever the switch says; the solution flips it");
        let not_flipped = verify(&lesson("", from_the_browser));
        assert!(
            not_flipped[0].failure.as_deref().is_some_and(|f| f.starts_with("the solution does not pass")),
            "{not_flipped:?}"
        );
        let through_a_function = "function wipe() { return db.posts.deleteMany({}) }; wipe()";
        let needless = verify(&lesson("solution_access = \"direct\"", through_a_function));
        assert_eq!(needless[0].failure.as_deref(), Some("the solution passes without flipping the switch"));
    }

    #[test]
    fn progress_moves_through_steps_and_hints() {
        let (lessons, _) = bundled();
        let lesson = &lessons[0];
        let mut progress = Progress::new(lesson);
        progress.reveal_hint(lesson);
        progress.reveal_hint(lesson);
        progress.reveal_hint(lesson);
        progress.reveal_hint(lesson);
        assert!(progress.hints_shown <= lesson.steps[0].hints.len());
        progress.mark_passed(0);
        progress.go_to(99, lesson);
        assert_eq!(progress.step, lesson.steps.len() - 1);
        assert_eq!(progress.hints_shown, 0);
        let json = serde_json::to_string(&progress).unwrap();
        assert_eq!(serde_json::from_str::<Progress>(&json).unwrap(), progress);
    }
}
