//! The page's side of every user action: take the lab out of its cell, hand the action to it (`crate::lab`, where
//! the logic lives and is tested natively), await its storage, put the lab back and dispatch what it returned to
//! the app's state. No `RefCell` borrow is ever held across an await; an action that finds the cell empty (another
//! action is saving) does nothing.

use super::persistence::{self, PageLab};
use super::state::{Action, AppState, Notice, Snapshot};
use crate::engine::generator::Generator;
use crate::lab::lessons::{self, Opening, SavedLessons};
use crate::lab::{Done, Lab};
use crate::lessons::Lesson;
use crate::playground::{view, ModelSwitches, Playground, RunOutcome, Side};
use crate::storage::exchange::{export_cluster, export_script, plan_import, Flavor};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::UseReducerHandle;

/// What the editor holds the first time the page opens: the lecture's first steps.
pub const FIRST_PROGRAM: &str = r#"const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({
  username: { type: String, required: true, unique: true },
  age: Number,
  premium: { type: Boolean, default: false },
})
const User = mongoose.model("User", userSchema)
await User.create({ username: "ada", age: "36", hacker: true })"#;

/// Everything an action needs: the app's state, the lab's cell, this tab's name and the bundled lessons.
#[derive(Clone)]
pub struct Page {
    pub state: UseReducerHandle<AppState>,
    pub lab: Rc<RefCell<Option<PageLab>>>,
    pub tab: Rc<String>,
    pub lessons: Rc<Vec<Lesson>>,
}

/// The page asks for reproducible ObjectIds and dates with `?deterministic` (screenshots, end-to-end tests).
fn deterministic_requested() -> bool {
    web_sys::window().and_then(|w| w.location().search().ok()).is_some_and(|search| search.contains("deterministic"))
}

/// Live ids and dates, or a deterministic generator whose seed grows with every page load.
fn page_generator() -> Generator {
    if deterministic_requested() {
        Generator::deterministic(persistence::next_deterministic_seed())
    } else {
        Generator::Live
    }
}

fn snapshot(playground: &Playground) -> Snapshot {
    let (databases, models) = view::tree(playground);
    Snapshot {
        databases,
        models,
        switches: playground.model_switches(),
        can_undo: playground.can_undo(),
        can_redo: playground.can_redo(),
    }
}

impl Page {
    fn say(&self, notice: Notice) {
        self.state.dispatch(Action::Notice(notice));
    }

    /// Shows an action's notices and tells other tabs when it wrote.
    fn report(&self, done: Done) {
        for notice in done.notices {
            self.say(notice);
        }
        if done.wrote {
            persistence::announce_write(&self.tab);
        }
    }

    fn refresh(&self, lab: &PageLab) {
        self.state.dispatch(Action::Refreshed(snapshot(lab.playground())));
    }

    /// Runs `action` with the lab taken out of its cell, then puts it back; nothing when another action holds it.
    fn with_lab<F>(&self, action: impl FnOnce(Page, PageLab) -> F + 'static)
    where
        F: std::future::Future<Output = Option<PageLab>> + 'static,
    {
        let Some(lab) = self.lab.borrow_mut().take() else { return };
        let page = self.clone();
        spawn_local(async move {
            if let Some(lab) = action(page.clone(), lab).await {
                *page.lab.borrow_mut() = Some(lab);
            }
        });
    }

    /// Opens the current space's lab: its stores (memory when IndexedDB is unavailable, said in a notice), its
    /// data and its saved declarations.
    async fn open_lab(&self) -> Option<PageLab> {
        let stores = self.open_stores("nothing will be saved in this tab").await;
        match Lab::open(stores, persistence::store_names(), page_generator(), &persistence::saved_prelude()).await {
            Ok((lab, problems)) => {
                problems.into_iter().for_each(|problem| self.say(problem));
                Some(lab)
            }
            Err(e) => {
                self.say(Notice::error(format!("Could not load saved data: {e}")));
                None
            }
        }
    }

    async fn open_stores(&self, otherwise: &str) -> crate::lab::WorldStores<persistence::PageStore> {
        match persistence::open_stores().await {
            Ok(stores) => stores,
            Err(e) => {
                self.say(Notice::error(format!("IndexedDB is not available ({e}); {otherwise}.")));
                persistence::memory_stores()
            }
        }
    }

    /// Checks the open lesson's step after a Run (`outcome`) or a restart, and saves the progress.
    fn check_lesson(&self, playground: &mut Playground, outcome: Option<&RunOutcome>) {
        // Outside a lesson there is nothing to check or save: no IndexedDB write on every playground Run.
        let Some(progress) = self.state.lesson.clone() else { return };
        let mut saved = persistence::saved_lessons();
        let checked = saved.check(&self.lessons, Some(progress), playground, outcome);
        persistence::save_lessons(&saved);
        if let Some(checked) = checked {
            self.state.dispatch(Action::Lesson(Some(checked.progress)));
            self.state.dispatch(Action::LessonChecked(Some((checked.passed, checked.message))));
            self.state.dispatch(Action::Completed(saved.completed));
        }
    }

    /// Start-up: the lesson progress, the space (a lesson left open works on its own data), a crash's recovered
    /// code, the lab, a share link's script.
    pub fn start_up(&self) {
        persistence::apply_saved_theme();
        let page = self.clone();
        spawn_local(async move {
            if let Err(error) = persistence::load_saved_lessons().await {
                page.say(Notice::warning(format!("Lesson progress could not be read: {error}")));
            }
            let saved = persistence::saved_lessons();
            if saved.open.is_some() {
                persistence::set_space(persistence::Space::Lesson);
                if let Some(code) = persistence::saved_editor() {
                    page.state.dispatch(Action::Edit(code));
                }
            }
            if let Some(code) = super::crash::take_recovered_editor() {
                page.state.dispatch(Action::Edit(code));
                page.say(Notice::info(
                    "crudlab reloaded after a crash: your code is back in the editor and your data is as it was.",
                ));
            }
            let Some(lab) = page.open_lab().await else { return };
            // A share link opens with its script in the editor, ready to run.
            let fragment = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
            if crate::playground::share::is_share_link(&fragment) {
                match crate::playground::share::decode(&fragment) {
                    Ok(script) => {
                        page.state.dispatch(Action::Edit(script));
                        page.say(Notice::info("Opened a shared script: press Run to run it."));
                    }
                    Err(message) => page.say(Notice::error(message)),
                }
            }
            page.refresh(&lab);
            *page.lab.borrow_mut() = Some(lab);
            page.state.dispatch(Action::Completed(saved.completed.clone()));
            if saved.open.is_some() {
                page.state.dispatch(Action::Lesson(saved.open_progress()));
            }
        });
    }

    pub fn run(&self, source: String) {
        persistence::save_editor(&source);
        let access = lessons::access(&self.lessons, self.state.lesson.as_ref(), self.state.access_override);
        self.state.dispatch(Action::Saving);
        self.with_lab(move |page, mut lab| async move {
            match lab.run(&source, access).await {
                Err(error) => page.state.dispatch(Action::ParseFailed(error)),
                Ok((outcome, done)) => {
                    page.report(done);
                    page.check_lesson(lab.playground_mut(), Some(&outcome));
                    let p = lab.playground();
                    persistence::save_prelude(p.prelude());
                    page.state.dispatch(Action::Ran {
                        source: outcome.source.clone(),
                        raw: view::pane(p, &outcome, Side::Raw),
                        mongoose: view::pane(p, &outcome, Side::Mongoose),
                        snapshot: snapshot(p),
                    });
                }
            }
            Some(lab)
        });
    }

    pub fn restart(&self) {
        self.with_lab(|page, mut lab| async move {
            match lab.restart().await {
                Ok((_, done)) => {
                    page.report(done);
                    page.state.dispatch(Action::ClearPanes);
                    page.check_lesson(lab.playground_mut(), None);
                    page.refresh(&lab);
                }
                Err(problem) => page.say(problem),
            }
            Some(lab)
        });
    }

    /// Reset empties both databases; inside a lesson it restarts the lesson from its seed instead.
    pub fn reset(&self) {
        if let Some(progress) = self.state.lesson.clone() {
            return self.start_lesson(progress.lesson, true);
        }
        self.with_lab(|page, mut lab| async move {
            let done = lab.reset(page_generator()).await;
            persistence::save_prelude(lab.playground().prelude());
            page.report(done);
            page.state.dispatch(Action::ClearPanes);
            page.refresh(&lab);
            Some(lab)
        });
    }

    /// Undo, or Redo.
    pub fn time_travel(&self, redo: bool) {
        self.with_lab(move |page, mut lab| async move {
            let done = if redo { lab.redo().await } else { lab.undo().await };
            if let Some(done) = done {
                page.report(done);
                page.state.dispatch(Action::ClearPanes);
                page.refresh(&lab);
            }
            Some(lab)
        });
    }

    pub fn import(&self, side: Side, text: String, target: Option<(String, String)>) {
        self.with_lab(move |page, mut lab| async move {
            let target = target.as_ref().map(|(db, coll)| (db.as_str(), coll.as_str()));
            match lab.import(side, &text, target).await {
                Ok(done) => page.report(done),
                Err(problem) => page.say(problem),
            }
            page.refresh(&lab);
            Some(lab)
        });
    }

    /// Another tab wrote: reload this tab's worlds from storage and say so.
    pub fn reload_after_write_elsewhere(&self) {
        self.with_lab(|page, mut lab| async move {
            match lab.reload_after_write_elsewhere().await {
                Ok(done) => page.report(done),
                Err(problem) => page.say(problem),
            }
            page.refresh(&lab);
            Some(lab)
        });
    }

    /// A model's live switches changed: the last command runs again so the difference shows at once.
    pub fn switch(&self, switches: ModelSwitches) {
        let changed = self.lab.borrow_mut().as_mut().map(|lab| lab.playground_mut().set_model_switches(&switches));
        match changed {
            Some(Ok(())) => match self.state.last_run.clone() {
                Some(last) => self.run(last),
                None => {
                    if let Some(lab) = self.lab.borrow().as_ref() {
                        self.refresh(lab);
                    }
                }
            },
            Some(Err(e)) => self.say(Notice::error(e)),
            None => {}
        }
    }

    pub fn share(&self) {
        let fragment = crate::playground::share::encode(&self.state.editor);
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_hash(&fragment);
        }
        self.say(Notice::info("Share link ready: copy the page address; opening it shows this script ready to run."));
    }

    pub fn explain(&self, side: Side, call: &crate::runtime::calls::DriverCall) -> Result<String, String> {
        match self.lab.borrow_mut().as_mut() {
            Some(lab) => lab.playground_mut().explain(side, call).map(|summary| summary.describe()),
            None => Err("busy saving, try again".to_string()),
        }
    }

    pub fn export(&self, side: Side, kind: super::data_dialog::ExportKind) -> String {
        use super::data_dialog::ExportKind;
        let guard = self.lab.borrow();
        let Some(lab) = guard.as_ref() else { return String::new() };
        let cluster = &lab.playground().world(side).cluster;
        match kind {
            ExportKind::Relaxed => export_cluster(cluster, Flavor::Relaxed),
            ExportKind::Canonical => export_cluster(cluster, Flavor::Canonical),
            ExportKind::Script => export_script(cluster),
        }
    }

    pub fn plan_import(&self, side: Side, text: &str, target: Option<(&str, &str)>) -> Result<Vec<String>, String> {
        let guard = self.lab.borrow();
        let Some(lab) = guard.as_ref() else { return Err("busy saving, try again".to_string()) };
        plan_import(&lab.playground().world(side).cluster, text, target)
            .map(|plan| plan.summary())
            .map_err(|e| e.to_string())
    }

    /// An error message links to the lesson that explains it (`#lesson-<id>`): show it in the lesson list.
    pub fn follow_lesson_link(&self) {
        let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
        if let Some(id) = hash.strip_prefix("#lesson-") {
            self.state.dispatch(Action::Lesson(None));
            self.state.dispatch(Action::SuggestLesson(Some(id.to_string())));
            let mut saved = persistence::saved_lessons();
            saved.close();
            persistence::save_lessons(&saved);
        }
    }

    fn load_code(&self, code: String) {
        persistence::save_editor(&code);
        self.state.dispatch(Action::Edit(code));
    }

    pub fn lesson(&self, action: super::lesson_panel::LessonAction) {
        use super::lesson_panel::LessonAction;
        let mut saved = persistence::saved_lessons();
        match action {
            LessonAction::LoadCode(code) => self.load_code(code),
            LessonAction::SetAccess(access) => self.state.dispatch(Action::SetAccess(access)),
            LessonAction::RevealHint => {
                let Some(progress) = self.state.lesson.as_ref() else { return };
                let Some(progress) = saved.reveal_hint(&self.lessons, progress) else { return };
                persistence::save_lessons(&saved);
                self.state.dispatch(Action::Lesson(Some(progress)));
            }
            LessonAction::GoTo(step) => {
                let Some(progress) = self.state.lesson.as_ref() else { return };
                let Some((progress, code)) = saved.go_to(&self.lessons, progress, step) else { return };
                persistence::save_lessons(&saved);
                self.load_code(code);
                self.state.dispatch(Action::Lesson(Some(progress)));
            }
            LessonAction::Close => {
                saved.close();
                persistence::save_lessons(&saved);
                self.state.dispatch(Action::Lesson(None));
                if persistence::space() == persistence::Space::Lesson {
                    // The lesson's lab goes; an action still holding it finds no cell to put it back in.
                    self.lab.borrow_mut().take();
                    let page = self.clone();
                    spawn_local(async move { page.back_to_playground().await });
                }
            }
            LessonAction::Start(id) => self.start_lesson(id, false),
            LessonAction::Restart(id) => self.start_lesson(id, true),
        }
    }

    /// Opens lesson `id` in its own worlds: resumed with its kept data, or (after asking) afresh from its seed.
    fn start_lesson(&self, id: String, restarting: bool) {
        let Some(lesson) = lessons::find(&self.lessons, &id).cloned() else { return };
        let opening = persistence::saved_lessons().opening(&id, restarting);
        let question = format!(
            "Start \"{}\" from the beginning with the lesson's own data? (Your playground's data is kept.)",
            lesson.title
        );
        if opening == Opening::Fresh && !gloo_dialogs::confirm(&question) {
            return;
        }
        self.lab.borrow_mut().take();
        let page = self.clone();
        spawn_local(async move {
            persistence::set_space(persistence::Space::Lesson);
            let lab = match opening {
                Opening::Resume => page.open_lab().await,
                Opening::Fresh => {
                    let stores = page.open_stores("the lesson's data is kept in this tab only").await;
                    let started =
                        Lab::start_lesson(stores, persistence::store_names(), &lesson, deterministic_requested()).await;
                    match started {
                        Ok(lab) => {
                            persistence::save_prelude(lab.playground().prelude());
                            Some(lab)
                        }
                        Err(e) => {
                            page.say(Notice::error(format!("Could not load the lesson's data: {e}")));
                            None
                        }
                    }
                }
            };
            let Some(lab) = lab else { return page.back_to_playground().await };
            let mut saved: SavedLessons = persistence::saved_lessons();
            let (progress, code, notice) = saved.opened(&lesson, opening);
            persistence::save_lessons(&saved);
            page.load_code(code);
            page.state.dispatch(Action::ClearPanes);
            page.state.dispatch(Action::SuggestLesson(None));
            page.refresh(&lab);
            page.state.dispatch(Action::Lesson(Some(progress)));
            page.say(notice);
            *page.lab.borrow_mut() = Some(lab);
        });
    }

    /// Leaves the lesson's worlds: reopens the playground's stores, reloads its data and its declarations.
    async fn back_to_playground(&self) {
        persistence::set_space(persistence::Space::Playground);
        let Some(lab) = self.open_lab().await else { return };
        self.state.dispatch(Action::ClearPanes);
        self.state.dispatch(Action::Edit(persistence::saved_editor().unwrap_or_else(|| FIRST_PROGRAM.to_string())));
        self.refresh(&lab);
        self.say(Notice::info("Back to the playground and its own data."));
        *self.lab.borrow_mut() = Some(lab);
    }
}
