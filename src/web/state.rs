//! The page's state and the actions that change it (Yew's `Reducible`): what the panes, sidebar and editor show.
//! The two worlds themselves live in the app's `Playground`; this holds what was computed from them for display.

use crate::playground::view::{DatabaseNode, ModelNode, StatementView};
use crate::playground::{DatabaseAccess, ModelSwitches};
use crate::shell::error::ParseError;
use std::rc::Rc;
use yew::prelude::*;

/// Where the app is in its life.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Loading both worlds from IndexedDB.
    Loading,
    Ready,
    /// A Run is being persisted; the panes update once both transactions committed.
    Saving,
}

/// A line in the log strip under the header (restart log, storage problems, other tabs): the lab's notices.
pub use crate::lab::{Notice, NoticeKind};

#[derive(Debug, Clone, PartialEq)]
pub struct AppState {
    pub phase: Phase,
    pub editor: String,
    pub parse_error: Option<ParseError>,
    /// The byte range the last Run's first error points at (the editor underlines it until the next edit).
    pub run_error: Option<(usize, usize)>,
    pub raw: Rc<Vec<StatementView>>,
    pub mongoose: Rc<Vec<StatementView>>,
    pub databases: Rc<Vec<DatabaseNode>>,
    pub models: Rc<Vec<ModelNode>>,
    pub switches: Rc<Vec<ModelSwitches>>,
    pub notices: Vec<Notice>,
    pub can_undo: bool,
    pub can_redo: bool,
    /// The last program run, re-run when a model switch changes.
    pub last_run: Option<String>,
    /// The open lesson and the student's place in it.
    pub lesson: Option<crate::lessons::Progress>,
    /// The open step's last check: `(passed, message)`.
    pub lesson_check: Option<(bool, String)>,
    /// Lessons completed, by id.
    pub completed: Rc<Vec<String>>,
    /// A lesson an error message pointed to.
    pub suggested_lesson: Option<String>,
    /// Where the student put the open step's "Browser → database" switch (None: where the step opens it).
    pub access_override: Option<DatabaseAccess>,
}

impl AppState {
    pub fn new(editor: String) -> Self {
        Self {
            phase: Phase::Loading,
            editor,
            parse_error: None,
            run_error: None,
            raw: Rc::new(Vec::new()),
            mongoose: Rc::new(Vec::new()),
            databases: Rc::new(Vec::new()),
            models: Rc::new(Vec::new()),
            switches: Rc::new(Vec::new()),
            notices: Vec::new(),
            can_undo: false,
            can_redo: false,
            last_run: None,
            lesson: None,
            lesson_check: None,
            completed: Rc::new(Vec::new()),
            suggested_lesson: None,
            access_override: None,
        }
    }
}

/// What the worlds look like now, computed after every change.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub databases: Vec<DatabaseNode>,
    pub models: Vec<ModelNode>,
    pub switches: Vec<ModelSwitches>,
    pub can_undo: bool,
    pub can_redo: bool,
}

pub enum Action {
    Edit(String),
    Saving,
    /// The worlds changed (loaded, restarted, reset, undone): refresh the sidebar.
    Refreshed(Snapshot),
    /// A Run finished and was persisted.
    Ran {
        source: String,
        raw: Vec<StatementView>,
        mongoose: Vec<StatementView>,
        snapshot: Snapshot,
    },
    ParseFailed(ParseError),
    Notice(Notice),
    DismissNotices,
    ClearPanes,
    /// A lesson opened, moved or closed; the check status is cleared when the step changes.
    Lesson(Option<crate::lessons::Progress>),
    LessonChecked(Option<(bool, String)>),
    Completed(Vec<String>),
    SuggestLesson(Option<String>),
    /// The student flipped the open step's "Browser → database" switch.
    SetAccess(DatabaseAccess),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Edit(text) => {
                next.editor = text;
                next.parse_error = None;
                next.run_error = None;
            }
            Action::Saving => next.phase = Phase::Saving,
            Action::Refreshed(snapshot) => {
                next.phase = Phase::Ready;
                apply(&mut next, snapshot);
            }
            Action::Ran { source, raw, mongoose, snapshot } => {
                next.phase = Phase::Ready;
                next.parse_error = None;
                // The error's range is in the Run's text: marked only while the editor holds that text.
                next.run_error = (source == next.editor)
                    .then(|| mongoose.iter().chain(raw.iter()).find_map(|s| s.error.as_ref().map(|e| (e.start, e.end))))
                    .flatten();
                next.raw = Rc::new(raw);
                next.mongoose = Rc::new(mongoose);
                next.last_run = Some(source);
                apply(&mut next, snapshot);
            }
            Action::ParseFailed(error) => {
                next.phase = Phase::Ready;
                next.parse_error = Some(error);
                next.run_error = None;
            }
            Action::Notice(notice) => {
                next.notices.push(notice);
                // The strip keeps the latest few lines.
                let excess = next.notices.len().saturating_sub(6);
                next.notices.drain(..excess);
            }
            Action::DismissNotices => next.notices.clear(),
            Action::ClearPanes => {
                next.raw = Rc::new(Vec::new());
                next.mongoose = Rc::new(Vec::new());
            }
            Action::Lesson(progress) => {
                let same_step =
                    matches!((&next.lesson, &progress), (Some(a), Some(b)) if a.lesson == b.lesson && a.step == b.step);
                if !same_step {
                    next.lesson_check = None;
                    next.access_override = None;
                }
                next.lesson = progress;
            }
            Action::LessonChecked(check) => next.lesson_check = check,
            Action::Completed(ids) => next.completed = Rc::new(ids),
            Action::SuggestLesson(id) => next.suggested_lesson = id,
            Action::SetAccess(access) => next.access_override = Some(access),
        }
        Rc::new(next)
    }
}

fn apply(state: &mut AppState, snapshot: Snapshot) {
    state.databases = Rc::new(snapshot.databases);
    state.models = Rc::new(snapshot.models);
    state.switches = Rc::new(snapshot.switches);
    state.can_undo = snapshot.can_undo;
    state.can_redo = snapshot.can_redo;
}
