//! The top-level component: holds the lab (both worlds and their stores, `crate::lab`), hands every user action to
//! it and renders what it returns; lays out header, sidebar, editor and the two panes. An async action takes the
//! lab out of its cell while it awaits its storage, so no `RefCell` borrow is ever held across an await.

use super::collections::CollectionsSidebar;
use super::data_dialog::{DataDialog, DataFns, ExportKind, ImportRequest};
use super::editor::Editor;
use super::header::Header;
use super::lesson_panel::{LessonAction, LessonPanel};
use super::notices::Notices;
use super::persistence::{self, PageLab};
use super::result_pane::{ExplainFn, ExplainSource, ResultPane};
use super::state::{Action, AppState, Notice, NoticeKind, Phase, Snapshot};
use super::switches::Switches;
use crate::engine::generator::Generator;
use crate::lab::{Done, Lab};
use crate::lessons::{check_step, Lesson, Progress, StepAction};
use crate::playground::{view, ModelSwitches, Playground, RunOutcome, Side};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// What the editor holds the first time the page opens: the lecture's first steps.
pub const FIRST_PROGRAM: &str = r#"const mongoose = require("mongoose")
const userSchema = new mongoose.Schema({
  username: { type: String, required: true, unique: true },
  age: Number,
  premium: { type: Boolean, default: false },
})
const User = mongoose.model("User", userSchema)
await User.create({ username: "ada", age: "36", hacker: true })"#;

type Shared<T> = Rc<RefCell<Option<T>>>;

/// The page asks for reproducible ObjectIds and dates with `?deterministic` (screenshots, end-to-end tests).
fn deterministic_requested() -> bool {
    web_sys::window().and_then(|w| w.location().search().ok()).is_some_and(|search| search.contains("deterministic"))
}

/// A deterministic generator whose seed grows with every page load, so reloads never reuse an ObjectId.
fn page_generator(deterministic: bool) -> Generator {
    if !deterministic {
        return Generator::Live;
    }
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    let seed = storage
        .as_ref()
        .and_then(|s| s.get_item("crudlab.seed").ok().flatten())
        .and_then(|text| text.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    if let Some(storage) = storage {
        let _ = storage.set_item("crudlab.seed", &seed.to_string());
    }
    Generator::deterministic(seed)
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

fn notice(kind: NoticeKind, text: impl Into<String>) -> Action {
    Action::Notice(Notice { kind, text: text.into() })
}

/// Opens the current space's lab: its stores (memory when IndexedDB is unavailable, said in a notice), its data
/// and its saved declarations.
async fn open_lab(state: &UseReducerHandle<AppState>, generator: Generator) -> Option<PageLab> {
    let prelude = persistence::saved_prelude();
    let names = persistence::store_names();
    let stores = match persistence::open_stores().await {
        Ok(stores) => stores,
        Err(e) => {
            state.dispatch(notice(
                NoticeKind::Error,
                format!("IndexedDB is not available ({e}); nothing will be saved in this tab."),
            ));
            persistence::memory_stores()
        }
    };
    match Lab::open(stores, names, generator, &prelude).await {
        Ok((lab, problems)) => {
            for problem in problems {
                state.dispatch(Action::Notice(problem));
            }
            Some(lab)
        }
        Err(e) => {
            state.dispatch(notice(NoticeKind::Error, format!("Could not load saved data: {e}")));
            None
        }
    }
}

/// Takes the lab out of its cell for an async action; callbacks that run meanwhile find none and do nothing.
fn take(lab: &Shared<PageLab>) -> Option<PageLab> {
    lab.borrow_mut().take()
}

/// Puts the lab back after an async action.
fn put_back(cell: &Shared<PageLab>, lab: PageLab) {
    *cell.borrow_mut() = Some(lab);
}

/// Shows an action's notices and tells other tabs when it wrote.
fn report(state: &UseReducerHandle<AppState>, tab: &str, done: Done) {
    for notice in done.notices {
        state.dispatch(Action::Notice(notice));
    }
    if done.wrote {
        persistence::announce_write(tab);
    }
}

/// Checks the open lesson's current step after a Run (or a restart, with no outcome); records a pass in the saved
/// progress. Returns the new progress and the check's `(passed, message)`.
fn check_open_lesson(
    lessons: &[Lesson],
    progress: Option<Progress>,
    playground: &mut Playground,
    outcome: Option<&RunOutcome>,
) -> Option<(Progress, (bool, String), Vec<String>)> {
    let mut progress = progress?;
    let lesson = lessons.iter().find(|l| l.id == progress.lesson)?;
    if let Some(outcome) = outcome {
        progress.remember_code(&outcome.source);
    }
    let step = lesson.steps.get(progress.step)?;
    // A step that asks for a restart is checked after the restart, not after a Run.
    if (step.action == Some(StepAction::Restart)) == outcome.is_some() {
        let mut saved = persistence::SavedLessons::load();
        saved.remember(&progress);
        saved.save();
        return None;
    }
    let result = check_step(playground, step, outcome);
    let mut saved = persistence::SavedLessons::load();
    let check = match result {
        crate::lessons::CheckResult::Passed => {
            progress.mark_passed(progress.step);
            (true, "Step done.".to_string())
        }
        crate::lessons::CheckResult::NotYet(message) | crate::lessons::CheckResult::Failed(message) => (false, message),
    };
    if progress.is_complete(lesson) && !saved.completed.contains(&lesson.id) {
        saved.completed.push(lesson.id.clone());
    }
    saved.remember(&progress);
    saved.save();
    Some((progress, check, saved.completed))
}

/// Leaves the lesson's worlds: reopens the playground's stores, reloads its data and its declarations.
async fn back_to_playground(state: &UseReducerHandle<AppState>, cell: &Shared<PageLab>) {
    persistence::set_space(persistence::Space::Playground);
    let Some(lab) = open_lab(state, page_generator(deterministic_requested())).await else { return };
    state.dispatch(Action::ClearPanes);
    state.dispatch(Action::Edit(persistence::saved_editor().unwrap_or_else(|| FIRST_PROGRAM.to_string())));
    state.dispatch(Action::Refreshed(snapshot(lab.playground())));
    state.dispatch(notice(NoticeKind::Info, "Back to the playground and its own data."));
    put_back(cell, lab);
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState::new(persistence::saved_editor().unwrap_or_else(|| FIRST_PROGRAM.to_string())));
    let lab: Shared<PageLab> = use_mut_ref(|| None);
    let tab = use_memo((), |_| {
        let id: String = crate::clock::random_bytes::<8>().iter().map(|byte| format!("{byte:02x}")).collect();
        format!("tab-{id}")
    });
    let lessons = use_memo((), |_| crate::lessons::bundled().0);
    // Reset inside a lesson restarts the lesson; the callback is defined further down, so it is handed over here.
    let lesson_restart_slot: Rc<RefCell<Option<Callback<String>>>> = use_mut_ref(|| None);

    // Start-up: open both stores and load everything once; the engine then runs in memory.
    {
        let (state, cell) = (state.clone(), lab.clone());
        use_effect_with((), move |_| {
            persistence::apply_saved_theme();
            spawn_local(async move {
                // Lesson progress lives in IndexedDB; a lesson left open works on its own data, so the space is
                // chosen before anything else is loaded.
                if let Err(error) = persistence::load_saved_lessons().await {
                    state.dispatch(notice(NoticeKind::Warning, format!("Lesson progress could not be read: {error}")));
                }
                if persistence::SavedLessons::load().open.is_some() {
                    persistence::set_space(persistence::Space::Lesson);
                    if let Some(code) = persistence::saved_editor() {
                        state.dispatch(Action::Edit(code));
                    }
                }
                if let Some(code) = super::crash::take_recovered_editor() {
                    state.dispatch(Action::Edit(code));
                    state.dispatch(notice(
                        NoticeKind::Info,
                        "crudlab reloaded after a crash: your code is back in the editor and your data is as it was.",
                    ));
                }
                let Some(loaded) = open_lab(&state, page_generator(deterministic_requested())).await else { return };
                // A share link opens with its script in the editor, ready to run.
                let fragment = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
                if crate::playground::share::is_share_link(&fragment) {
                    match crate::playground::share::decode(&fragment) {
                        Ok(script) => {
                            state.dispatch(Action::Edit(script));
                            state.dispatch(notice(NoticeKind::Info, "Opened a shared script: press Run to run it."));
                        }
                        Err(message) => state.dispatch(notice(NoticeKind::Error, message)),
                    }
                }
                state.dispatch(Action::Refreshed(snapshot(loaded.playground())));
                put_back(&cell, loaded);
                let saved = persistence::SavedLessons::load();
                state.dispatch(Action::Completed(saved.completed.clone()));
                if let Some(open) = &saved.open {
                    let progress = saved.progress.iter().find(|p| &p.lesson == open).cloned();
                    state.dispatch(Action::Lesson(progress));
                }
            });
            || ()
        });
    }

    // Error messages link to the lesson that explains them (`#lesson-<id>`): show it in the lesson list.
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
                if let Some(id) = hash.strip_prefix("#lesson-") {
                    state.dispatch(Action::Lesson(None));
                    state.dispatch(Action::SuggestLesson(Some(id.to_string())));
                    let mut saved = persistence::SavedLessons::load();
                    saved.open = None;
                    saved.save();
                }
            });
            let window = web_sys::window();
            if let Some(window) = &window {
                let _ = window.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(window) = window {
                    let _ = window.remove_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
                }
                drop(listener);
            }
        });
    }

    // Two tabs: a write in another tab reloads this tab's worlds from storage (variables are kept out: the
    // declarations are replayed, as after a restart) and says so.
    {
        let (state, cell, tab) = (state.clone(), lab.clone(), tab.clone());
        use_effect_with((), move |_| {
            let channel = web_sys::BroadcastChannel::new(persistence::CHANNEL).ok();
            let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                if event.data().as_string().as_deref() == Some(tab.as_str()) {
                    return;
                }
                let Some(mut lab) = take(&cell) else { return };
                let (state, cell, tab) = (state.clone(), cell.clone(), tab.clone());
                spawn_local(async move {
                    match lab.reload_after_write_elsewhere().await {
                        Ok(done) => report(&state, &tab, done),
                        Err(problem) => state.dispatch(Action::Notice(problem)),
                    }
                    state.dispatch(Action::Refreshed(snapshot(lab.playground())));
                    put_back(&cell, lab);
                });
            });
            if let Some(channel) = &channel {
                channel.set_onmessage(Some(listener.as_ref().unchecked_ref()));
            }
            move || {
                if let Some(channel) = channel {
                    channel.set_onmessage(None);
                    channel.close();
                }
                drop(listener);
            }
        });
    }

    let run = {
        let (state, cell, tab) = (state.clone(), lab.clone(), tab.clone());
        let lessons = lessons.clone();
        Callback::from(move |source: String| {
            persistence::save_editor(&source);
            // The open step's "Browser → database" switch decides whether typed code may call the database itself.
            let access = state
                .lesson
                .as_ref()
                .and_then(|progress| {
                    lessons.iter().find(|l| l.id == progress.lesson).and_then(|l| l.steps.get(progress.step))
                })
                .and_then(|step| step.access)
                .map(|opening| state.access_override.unwrap_or(opening))
                .unwrap_or_default();
            let Some(mut lab) = take(&cell) else { return };
            state.dispatch(Action::Saving);
            let (state, cell, tab) = (state.clone(), cell.clone(), tab.clone());
            let lessons = lessons.clone();
            spawn_local(async move {
                match lab.run(&source, access).await {
                    Err(error) => state.dispatch(Action::ParseFailed(error)),
                    Ok((outcome, done)) => {
                        report(&state, &tab, done);
                        let checked =
                            check_open_lesson(&lessons, state.lesson.clone(), lab.playground_mut(), Some(&outcome));
                        if let Some((progress, check, completed)) = checked {
                            state.dispatch(Action::Lesson(Some(progress)));
                            state.dispatch(Action::LessonChecked(Some(check)));
                            state.dispatch(Action::Completed(completed));
                        }
                        let p = lab.playground();
                        persistence::save_prelude(p.prelude());
                        state.dispatch(Action::Ran {
                            source: outcome.source.clone(),
                            raw: view::pane(p, &outcome, Side::Raw),
                            mongoose: view::pane(p, &outcome, Side::Mongoose),
                            snapshot: snapshot(p),
                        });
                    }
                }
                put_back(&cell, lab);
            });
        })
    };

    let restart = {
        let (state, cell, tab) = (state.clone(), lab.clone(), tab.clone());
        let lessons = lessons.clone();
        Callback::from(move |_| {
            let Some(mut lab) = take(&cell) else { return };
            let (state, cell, tab) = (state.clone(), cell.clone(), tab.clone());
            let lessons = lessons.clone();
            spawn_local(async move {
                match lab.restart().await {
                    Ok((_, done)) => {
                        report(&state, &tab, done);
                        state.dispatch(Action::ClearPanes);
                        let checked = check_open_lesson(&lessons, state.lesson.clone(), lab.playground_mut(), None);
                        if let Some((progress, check, completed)) = checked {
                            state.dispatch(Action::Lesson(Some(progress)));
                            state.dispatch(Action::LessonChecked(Some(check)));
                            state.dispatch(Action::Completed(completed));
                        }
                        state.dispatch(Action::Refreshed(snapshot(lab.playground())));
                    }
                    Err(problem) => state.dispatch(Action::Notice(problem)),
                }
                put_back(&cell, lab);
            });
        })
    };

    let reset = {
        let (state, cell, tab) = (state.clone(), lab.clone(), tab.clone());
        let restart_lesson = lesson_restart_slot.clone();
        Callback::from(move |_| {
            if let (Some(progress), Some(restart)) = (state.lesson.clone(), restart_lesson.borrow().clone()) {
                restart.emit(progress.lesson);
                return;
            }
            let Some(mut lab) = take(&cell) else { return };
            let (state, cell, tab) = (state.clone(), cell.clone(), tab.clone());
            spawn_local(async move {
                let done = lab.reset(page_generator(deterministic_requested())).await;
                persistence::save_prelude(lab.playground().prelude());
                report(&state, &tab, done);
                state.dispatch(Action::ClearPanes);
                state.dispatch(Action::Refreshed(snapshot(lab.playground())));
                put_back(&cell, lab);
            });
        })
    };

    // Undo and Redo differ only in the lab's action.
    let time_travel = |redo: bool| {
        let (state, cell, tab) = (state.clone(), lab.clone(), tab.clone());
        Callback::from(move |_| {
            let Some(mut lab) = take(&cell) else { return };
            let (state, cell, tab) = (state.clone(), cell.clone(), tab.clone());
            spawn_local(async move {
                let done = if redo { lab.redo().await } else { lab.undo().await };
                if let Some(done) = done {
                    report(&state, &tab, done);
                    state.dispatch(Action::ClearPanes);
                    state.dispatch(Action::Refreshed(snapshot(lab.playground())));
                }
                put_back(&cell, lab);
            });
        })
    };
    let undo = time_travel(false);
    let redo = time_travel(true);

    let share = {
        let state = state.clone();
        Callback::from(move |_| {
            let fragment = crate::playground::share::encode(&state.editor);
            if let Some(window) = web_sys::window() {
                let _ = window.location().set_hash(&fragment);
            }
            state.dispatch(notice(
                NoticeKind::Info,
                "Share link ready: copy the page address; opening it shows this script ready to run.",
            ));
        })
    };

    let theme = Callback::from(|_| persistence::toggle_theme());

    let explain = {
        let cell = lab.clone();
        Rc::new(move |side: Side, call: &crate::runtime::calls::DriverCall| match cell.borrow_mut().as_mut() {
            Some(lab) => lab.playground_mut().explain(side, call).map(|summary| summary.describe()),
            None => Err("busy saving, try again".to_string()),
        }) as Rc<ExplainSource>
    };

    let switch = {
        let (state, cell, run) = (state.clone(), lab.clone(), run.clone());
        Callback::from(move |switches: ModelSwitches| {
            let changed = cell.borrow_mut().as_mut().map(|lab| lab.playground_mut().set_model_switches(&switches));
            match changed {
                Some(Ok(())) => {
                    // Re-run the last command so the difference shows at once.
                    if let Some(last) = state.last_run.clone() {
                        run.emit(last);
                    } else if let Some(lab) = cell.borrow().as_ref() {
                        state.dispatch(Action::Refreshed(snapshot(lab.playground())));
                    }
                }
                Some(Err(e)) => state.dispatch(notice(NoticeKind::Error, e)),
                None => {}
            }
        })
    };

    let lesson_action = {
        let (state, cell, lessons) = (state.clone(), lab.clone(), lessons.clone());
        Callback::from(move |action: LessonAction| {
            let load_code = |code: &str| {
                persistence::save_editor(code);
                state.dispatch(Action::Edit(code.to_string()));
            };
            let find = |id: &str| lessons.iter().find(|l| l.id == id).cloned();
            let restarting = matches!(action, LessonAction::Restart(_));
            match action {
                LessonAction::LoadCode(code) => load_code(&code),
                LessonAction::SetAccess(access) => state.dispatch(Action::SetAccess(access)),
                LessonAction::RevealHint | LessonAction::GoTo(_) => {
                    let Some(mut progress) = state.lesson.clone() else { return };
                    let Some(lesson) = find(&progress.lesson) else { return };
                    match action {
                        LessonAction::RevealHint => progress.reveal_hint(&lesson),
                        LessonAction::GoTo(step) => {
                            progress.go_to(step, &lesson);
                            load_code(&progress.code_for(&lesson));
                        }
                        _ => {}
                    }
                    let mut saved = persistence::SavedLessons::load();
                    saved.remember(&progress);
                    saved.save();
                    state.dispatch(Action::Lesson(Some(progress)));
                }
                LessonAction::Close => {
                    let mut saved = persistence::SavedLessons::load();
                    saved.open = None;
                    saved.save();
                    state.dispatch(Action::Lesson(None));
                    if persistence::space() == persistence::Space::Lesson {
                        let (state, cell) = (state.clone(), cell.clone());
                        // The lesson's lab goes; any action still holding it finds no cell to put it back in.
                        cell.borrow_mut().take();
                        spawn_local(async move {
                            back_to_playground(&state, &cell).await;
                        });
                    }
                }
                LessonAction::Start(id) | LessonAction::Restart(id) => {
                    let Some(lesson) = find(&id) else { return };
                    let saved = persistence::SavedLessons::load();
                    // Reopening the lesson whose data is kept resumes it; anything else starts from the seed.
                    let resume = !restarting && saved.data_of.as_deref() == Some(id.as_str());
                    if !resume {
                        let confirmed = web_sys::window()
                            .and_then(|w| {
                                w.confirm_with_message(&format!(
                                    "Start \"{}\" from the beginning with the lesson's own data? (Your playground's data is kept.)",
                                    lesson.title
                                ))
                                .ok()
                            })
                            .unwrap_or(false);
                        if !confirmed {
                            return;
                        }
                    }
                    let (state, cell) = (state.clone(), cell.clone());
                    cell.borrow_mut().take();
                    spawn_local(async move {
                        let deterministic = deterministic_requested();
                        persistence::set_space(persistence::Space::Lesson);
                        let mut saved = persistence::SavedLessons::load();
                        let mut progress = saved.progress_of(&lesson);
                        let world = if resume {
                            match open_lab(&state, page_generator(deterministic)).await {
                                Some(resumed) => resumed,
                                None => return,
                            }
                        } else {
                            let stores = match persistence::open_stores().await {
                                Ok(stores) => stores,
                                Err(e) => {
                                    state.dispatch(notice(
                                        NoticeKind::Error,
                                        format!("Could not open the lesson's data ({e}); it is kept in this tab only."),
                                    ));
                                    persistence::memory_stores()
                                }
                            };
                            let seeded = crate::lessons::start(&lesson, deterministic);
                            match Lab::replace(stores, persistence::store_names(), seeded).await {
                                Ok(fresh) => {
                                    persistence::save_prelude(fresh.playground().prelude());
                                    progress = crate::lessons::Progress::new(&lesson);
                                    fresh
                                }
                                Err(e) => {
                                    state.dispatch(notice(
                                        NoticeKind::Error,
                                        format!("Could not load the lesson's data: {e}"),
                                    ));
                                    persistence::set_space(persistence::Space::Playground);
                                    back_to_playground(&state, &cell).await;
                                    return;
                                }
                            }
                        };
                        saved.open = Some(lesson.id.clone());
                        saved.data_of = Some(lesson.id.clone());
                        saved.remember(&progress);
                        saved.save();
                        let code = progress.code_for(&lesson);
                        persistence::save_editor(&code);
                        state.dispatch(Action::Edit(code));
                        state.dispatch(Action::ClearPanes);
                        state.dispatch(Action::SuggestLesson(None));
                        state.dispatch(Action::Refreshed(snapshot(world.playground())));
                        state.dispatch(Action::Lesson(Some(progress)));
                        state.dispatch(notice(
                            NoticeKind::Info,
                            if resume {
                                format!(
                                    "Lesson \"{}\" resumed with its own data; your playground's data is kept apart.",
                                    lesson.title
                                )
                            } else {
                                format!(
                                    "Lesson \"{}\" started with its own data; your playground's data is kept apart.",
                                    lesson.title
                                )
                            },
                        ));
                        put_back(&cell, world);
                    });
                }
            }
        })
    };

    *lesson_restart_slot.borrow_mut() = Some(lesson_action.reform(LessonAction::Restart));

    let data_open = use_state(|| false);
    let data_fns = {
        let (export_lab, plan_lab) = (lab.clone(), lab.clone());
        DataFns {
            export: Rc::new(move |side: Side, kind: ExportKind| {
                let guard = export_lab.borrow();
                let Some(lab) = guard.as_ref() else { return String::new() };
                let cluster = &lab.playground().world(side).cluster;
                match kind {
                    ExportKind::Relaxed => {
                        crate::storage::exchange::export_cluster(cluster, crate::storage::exchange::Flavor::Relaxed)
                    }
                    ExportKind::Canonical => {
                        crate::storage::exchange::export_cluster(cluster, crate::storage::exchange::Flavor::Canonical)
                    }
                    ExportKind::Script => crate::storage::exchange::export_script(cluster),
                }
            }),
            plan: Rc::new(move |(side, text, target): &ImportRequest| {
                let guard = plan_lab.borrow();
                let Some(lab) = guard.as_ref() else { return Err("busy saving, try again".to_string()) };
                let target = target.as_ref().map(|(db, coll)| (db.as_str(), coll.as_str()));
                crate::storage::exchange::plan_import(&lab.playground().world(*side).cluster, text, target)
                    .map(|plan| plan.summary())
                    .map_err(|e| e.to_string())
            }),
        }
    };
    let import = {
        let (state, cell, tab) = (state.clone(), lab.clone(), tab.clone());
        Callback::from(move |(side, text, target): ImportRequest| {
            let Some(mut lab) = take(&cell) else { return };
            let (state, cell, tab) = (state.clone(), cell.clone(), tab.clone());
            spawn_local(async move {
                let target = target.as_ref().map(|(db, coll)| (db.as_str(), coll.as_str()));
                match lab.import(side, &text, target).await {
                    Ok(done) => report(&state, &tab, done),
                    Err(problem) => state.dispatch(Action::Notice(problem)),
                }
                state.dispatch(Action::Refreshed(snapshot(lab.playground())));
                put_back(&cell, lab);
            });
        })
    };
    let toggle_data = {
        let data_open = data_open.clone();
        Callback::from(move |_| data_open.set(!*data_open))
    };

    let edit = {
        let state = state.clone();
        Callback::from(move |text: String| state.dispatch(Action::Edit(text)))
    };
    let dismiss = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::DismissNotices))
    };
    let complete = {
        let cell = lab.clone();
        Rc::new(move |source: &str, offset: usize| {
            cell.borrow().as_ref().map(|lab| crate::playground::completion::complete(lab.playground(), source, offset))
        }) as Rc<CompletionSource>
    };
    let history = lab.borrow().as_ref().map(|lab| lab.playground().history.clone()).unwrap_or_default();
    let busy = state.phase != Phase::Ready;

    html! {
        <div class="app" data-phase={format!("{:?}", state.phase).to_lowercase()}>
            if *data_open {
                <DataDialog fns={data_fns} on_import={import} on_close={toggle_data.clone()} />
            }
            <Header on_restart={restart} on_reset={reset} on_undo={undo} on_redo={redo} on_share={share} on_theme={theme}
                on_data={toggle_data}
                can_undo={state.can_undo} can_redo={state.can_redo} busy={busy} />
            <Notices notices={state.notices.clone()} on_dismiss={dismiss} />
            <div class="workspace">
                <CollectionsSidebar databases={state.databases.clone()} models={state.models.clone()} />
                <main class="main">
                    <LessonPanel
                        lessons={lessons.clone()}
                        progress={state.lesson.clone()}
                        completed={state.completed.clone()}
                        check={state.lesson_check.clone()}
                        suggested={state.suggested_lesson.clone()}
                        access_override={state.access_override}
                        on_action={lesson_action.clone()}
                    />
                    <Editor
                        text={state.editor.clone()}
                        parse_error={state.parse_error.clone()}
                        history={Rc::new(history)}
                        busy={busy}
                        on_edit={edit}
                        on_run={run}
                        complete={CompleteFn(complete)}
                    />
                    <Switches switches={state.switches.clone()} on_change={switch} />
                    if state.raw.is_empty() && state.mongoose.is_empty() {
                        <section class="intro" data-testid="intro" aria-label="What the two panes are">
                            <p>
                                <strong>{ "Same command, two worlds." }</strong>
                                { " The left pane sends your command straight to the database through the MongoDB driver, which stores whatever it gets; " }
                                { "the right pane sends it through a Mongoose schema, which casts, strips unknown fields, applies defaults and validates first." }
                            </p>
                            if state.lesson.is_none() {
                                if let Some(first) = lessons.first() {
                                    <button type="button" class="start-lesson" data-testid="start-first-lesson"
                                        onclick={lesson_action.reform({ let id = first.id.clone(); move |_: MouseEvent| LessonAction::Start(id.clone()) })}>
                                        { format!("Start lesson 1: {}", first.title) }
                                    </button>
                                }
                            }
                        </section>
                    }
                    <div class="panes">
                        <ResultPane side={Side::Raw} statements={state.raw.clone()} explain={ExplainFn(explain.clone())} />
                        <ResultPane side={Side::Mongoose} statements={state.mongoose.clone()} explain={ExplainFn(explain)} />
                    </div>
                </main>
            </div>
        </div>
    }
}

/// Completions at a byte offset of the editor's text.
pub type CompletionSource = dyn Fn(&str, usize) -> Option<crate::playground::completion::Completions>;

/// The completion function handed to the editor (compared by identity, as Yew props must be comparable).
#[derive(Clone)]
pub struct CompleteFn(pub Rc<CompletionSource>);

impl PartialEq for CompleteFn {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
