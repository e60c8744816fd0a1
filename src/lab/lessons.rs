//! The lessons a student follows in the lab: which lesson is open, whose data the lesson stores hold, every lesson's
//! progress and the completed lessons ([`SavedLessons`]), and the lesson actions on them — start or resume, check a
//! step after a Run or a restart, reveal a hint, go to a step, close. Plain Rust, tested natively; the page only
//! loads and saves [`SavedLessons`] and opens the stores.

use super::{Lab, Notice, WorldStores};
use crate::lessons::{check_step, CheckResult, Lesson, Progress, StepAction};
use crate::playground::{DatabaseAccess, Playground, RunOutcome};
use crate::storage::{StorageError, Store};

/// Saved lesson state: the open lesson (if any), every lesson's progress, and the completed lessons.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedLessons {
    pub open: Option<String>,
    /// Which lesson's data the lesson stores hold (reopening that lesson resumes it).
    #[serde(default)]
    pub data_of: Option<String>,
    /// Counts saves, so the newest copy wins when the page reads its progress back.
    #[serde(default)]
    pub revision: u64,
    pub progress: Vec<Progress>,
    pub completed: Vec<String>,
}

/// What a step's check said after a Run or a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub progress: Progress,
    pub passed: bool,
    /// "Step done." or why not yet.
    pub message: String,
}

/// How a lesson opens: resumed with the data its stores still hold, or started afresh from its seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    Resume,
    Fresh,
}

/// The lesson a progress belongs to.
pub fn find<'a>(lessons: &'a [Lesson], id: &str) -> Option<&'a Lesson> {
    lessons.iter().find(|lesson| lesson.id == id)
}

impl SavedLessons {
    /// The progress of a lesson, fresh if the student never opened it.
    pub fn progress_of(&self, lesson: &Lesson) -> Progress {
        self.progress.iter().find(|p| p.lesson == lesson.id).cloned().unwrap_or_else(|| Progress::new(lesson))
    }

    /// The open lesson's progress, if a lesson is open.
    pub fn open_progress(&self) -> Option<Progress> {
        let open = self.open.as_ref()?;
        Some(
            self.progress
                .iter()
                .find(|p| &p.lesson == open)
                .cloned()
                .unwrap_or_else(|| Progress { lesson: open.clone(), ..Progress::default() }),
        )
    }

    pub fn remember(&mut self, progress: &Progress) {
        self.progress.retain(|p| p.lesson != progress.lesson);
        self.progress.push(progress.clone());
    }

    /// Starting lesson `id`: reopening the lesson whose data is kept resumes it, unless the student restarts it;
    /// anything else starts from the seed (and asks first, since it replaces the lesson's data).
    pub fn opening(&self, id: &str, restarting: bool) -> Opening {
        if !restarting && self.data_of.as_deref() == Some(id) {
            Opening::Resume
        } else {
            Opening::Fresh
        }
    }

    /// The lesson is open on its data: remembered as open, its stores as holding its data. Returns the progress
    /// (fresh when the lesson started afresh), the code for the editor and the notice to show.
    pub fn opened(&mut self, lesson: &Lesson, opening: Opening) -> (Progress, String, Notice) {
        let progress = match opening {
            Opening::Resume => self.progress_of(lesson),
            Opening::Fresh => Progress::new(lesson),
        };
        self.open = Some(lesson.id.clone());
        self.data_of = Some(lesson.id.clone());
        self.remember(&progress);
        let code = progress.code_for(lesson);
        let verb = match opening {
            Opening::Resume => "resumed",
            Opening::Fresh => "started",
        };
        let notice = Notice::info(format!(
            "Lesson \"{}\" {verb} with its own data; your playground's data is kept apart.",
            lesson.title
        ));
        (progress, code, notice)
    }

    /// The lesson panel closes (the lesson's data stays in its stores, for resuming).
    pub fn close(&mut self) {
        self.open = None;
    }

    /// One more hint of the open step.
    pub fn reveal_hint(&mut self, lessons: &[Lesson], progress: &Progress) -> Option<Progress> {
        let lesson = find(lessons, &progress.lesson)?;
        let mut progress = progress.clone();
        progress.reveal_hint(lesson);
        self.remember(&progress);
        Some(progress)
    }

    /// Another step: its progress and the code for the editor (what the student wrote there, else the starter).
    pub fn go_to(&mut self, lessons: &[Lesson], progress: &Progress, step: usize) -> Option<(Progress, String)> {
        let lesson = find(lessons, &progress.lesson)?;
        let mut progress = progress.clone();
        progress.go_to(step, lesson);
        self.remember(&progress);
        let code = progress.code_for(lesson);
        Some((progress, code))
    }

    /// Checks the open step after a Run (`outcome`) or a restart (`None`), remembering the student's code and a
    /// pass; a lesson whose every step passed is completed. A step that asks for a restart is checked after the
    /// restart, not after a Run (and the other way round): then only the code is remembered and `None` returned.
    pub fn check(
        &mut self,
        lessons: &[Lesson],
        progress: Option<Progress>,
        playground: &mut Playground,
        outcome: Option<&RunOutcome>,
    ) -> Option<Checked> {
        let mut progress = progress?;
        let lesson = find(lessons, &progress.lesson)?;
        if let Some(outcome) = outcome {
            progress.remember_code(&outcome.source);
        }
        let step = lesson.steps.get(progress.step)?;
        if (step.action == Some(StepAction::Restart)) == outcome.is_some() {
            self.remember(&progress);
            return None;
        }
        let (passed, message) = match check_step(playground, step, outcome) {
            CheckResult::Passed => {
                progress.mark_passed(progress.step);
                (true, "Step done.".to_string())
            }
            CheckResult::NotYet(message) | CheckResult::Failed(message) => (false, message),
        };
        if progress.is_complete(lesson) && !self.completed.contains(&lesson.id) {
            self.completed.push(lesson.id.clone());
        }
        self.remember(&progress);
        Some(Checked { progress, passed, message })
    }
}

/// Whether the code typed in the editor may call the database itself: the open step's "Browser → database" switch
/// as the student set it, else as the step opens; outside a lesson, yes.
pub fn access(lessons: &[Lesson], progress: Option<&Progress>, chosen: Option<DatabaseAccess>) -> DatabaseAccess {
    progress
        .and_then(|progress| find(lessons, &progress.lesson).and_then(|lesson| lesson.steps.get(progress.step)))
        .and_then(|step| step.access)
        .map(|opening| chosen.unwrap_or(opening))
        .unwrap_or_default()
}

impl<S: Store> Lab<S> {
    /// A lesson started afresh: its seeded worlds (deterministic when asked) written to the emptied stores.
    pub async fn start_lesson(
        stores: WorldStores<S>,
        names: [String; 2],
        lesson: &Lesson,
        deterministic: bool,
    ) -> Result<Self, StorageError> {
        Self::replace(stores, names, crate::lessons::start(lesson, deterministic)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::{fresh_stores, now, open_lab_on};

    fn lessons() -> Vec<Lesson> {
        crate::lessons::bundled().0
    }

    fn lesson(id: &str) -> Lesson {
        lessons().into_iter().find(|l| l.id.starts_with(id)).unwrap()
    }

    #[test]
    fn reopening_the_lesson_whose_data_is_kept_resumes_it() {
        let crud = lesson("04");
        let mut saved = SavedLessons::default();
        assert_eq!(saved.opening(&crud.id, false), Opening::Fresh);
        let (progress, code, notice) = saved.opened(&crud, Opening::Fresh);
        assert_eq!((progress.step, code.as_str()), (0, crud.steps[0].starter.as_str()));
        assert!(notice.text.contains("started with its own data"), "{}", notice.text);
        assert_eq!(saved.open_progress(), Some(progress.clone()));
        let (moved, code) = saved.go_to(&lessons(), &progress, 1).unwrap();
        assert_eq!(code, crud.steps[1].starter);
        saved.close();
        assert_eq!(saved.open_progress(), None);
        assert_eq!(saved.opening(&crud.id, false), Opening::Resume);
        assert_eq!(saved.opening(&crud.id, true), Opening::Fresh, "restarting a lesson starts it afresh");
        assert_eq!(saved.opening(&lesson("05").id, false), Opening::Fresh, "another lesson's data is not kept");
        let (resumed, _, notice) = saved.opened(&crud, Opening::Resume);
        assert_eq!(resumed, moved, "resuming keeps the step the student was on");
        assert!(notice.text.contains("resumed"), "{}", notice.text);
        let (restarted, _, _) = saved.opened(&crud, Opening::Fresh);
        assert_eq!(restarted.step, 0, "a fresh start forgets the progress");
    }

    #[test]
    fn a_run_checks_the_open_step_and_a_finished_lesson_is_completed() {
        let all = lessons();
        let crud = lesson("04");
        let mut saved = SavedLessons::default();
        let (mut progress, _, _) = saved.opened(&crud, Opening::Fresh);
        let mut playground = crate::lessons::start(&crud, true);
        let wrong = playground.run("db.nothing.countDocuments({})").unwrap();
        let checked = saved.check(&all, Some(progress.clone()), &mut playground, Some(&wrong)).unwrap();
        assert!(!checked.passed, "a run that does not do the step does not pass it");
        assert_eq!(checked.progress.code_for(&crud), "db.nothing.countDocuments({})", "the student's code is kept");
        for (index, step) in crud.steps.iter().enumerate() {
            progress.go_to(index, &crud);
            playground.access = step.solution_access();
            let outcome = playground.run(&step.solution).unwrap();
            let checked = saved.check(&all, Some(progress.clone()), &mut playground, Some(&outcome)).unwrap();
            assert!(checked.passed, "step {index}: {}", checked.message);
            assert_eq!(checked.message, "Step done.");
            progress = checked.progress;
        }
        assert_eq!(saved.completed, vec![crud.id.clone()]);
        assert_eq!(saved.progress_of(&crud).passed, (0..crud.steps.len()).collect::<Vec<_>>());
    }

    #[test]
    fn a_restart_step_is_checked_after_the_restart_not_after_a_run() {
        let all = lessons();
        let first = lesson("01");
        let index = first.steps.iter().position(|s| s.action == Some(StepAction::Restart)).unwrap();
        let mut saved = SavedLessons::default();
        let (mut progress, _, _) = saved.opened(&first, Opening::Fresh);
        progress.go_to(index, &first);
        let mut playground = crate::lessons::start(&first, true);
        for earlier in &first.steps[..index] {
            playground.run(&earlier.solution).unwrap();
        }
        let outcome = playground.run(&first.steps[index].solution).unwrap();
        assert_eq!(saved.check(&all, Some(progress.clone()), &mut playground, Some(&outcome)), None);
        let remembered = saved.progress_of(&first);
        assert_eq!(remembered.code_for(&first), first.steps[index].solution, "the run's code is still remembered");
        let checked = saved.check(&all, Some(remembered), &mut playground, None).unwrap();
        assert!(checked.passed, "{}", checked.message);
    }

    #[test]
    fn the_browser_switch_decides_access_only_in_steps_that_show_it() {
        let all = lessons();
        let server = lesson("03");
        let index = server.steps.iter().position(|s| s.access.is_some()).unwrap();
        let mut progress = Progress::new(&server);
        progress.go_to(index, &server);
        let opening = server.steps[index].access.unwrap();
        assert_eq!(access(&all, Some(&progress), None), opening);
        assert_eq!(access(&all, Some(&progress), Some(DatabaseAccess::Direct)), DatabaseAccess::Direct);
        assert_eq!(access(&all, None, Some(DatabaseAccess::Server)), DatabaseAccess::default());
        let crud = lesson("04");
        assert_eq!(access(&all, Some(&Progress::new(&crud)), Some(DatabaseAccess::Server)), DatabaseAccess::default());
    }

    #[test]
    fn a_started_lesson_is_in_its_stores_and_a_refused_store_says_so() {
        let crud = lesson("04");
        let stores = fresh_stores();
        let lab = now(Lab::start_lesson(stores.clone(), crate::lab::tests::names(), &crud, true)).unwrap();
        let reopened = open_lab_on(stores.clone());
        for side in crate::playground::Side::BOTH {
            let seeded: usize =
                lab.playground().world(side).cluster.databases().flat_map(|db| db.collections()).map(|c| c.len()).sum();
            let loaded: usize = reopened
                .playground()
                .world(side)
                .cluster
                .databases()
                .flat_map(|db| db.collections())
                .map(|c| c.len())
                .sum();
            assert!(seeded > 0, "lesson 04 seeds documents");
            assert_eq!(seeded, loaded, "what the lesson seeded is what its stores hold");
        }
        stores.raw.fail_next_batch("quota exceeded");
        let refused = now(Lab::start_lesson(stores, crate::lab::tests::names(), &crud, true));
        assert!(refused.is_err(), "a store that refuses the seed fails the start");
    }
}
