//! The lesson panel: the list of lessons with their progress, and the open lesson's current step — explanation,
//! starter code, hints revealed one at a time, the solution, what to notice, and whether the step's check passed.

use crate::lessons::{Lesson, Progress};
use crate::playground::DatabaseAccess;
use std::rc::Rc;
use yew::prelude::*;

/// What the panel can ask the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum LessonAction {
    /// Open a lesson: resume it if its data is kept, else start from its seed in its own worlds.
    Start(String),
    /// Start the open lesson again from its seed.
    Restart(String),
    /// Put code into the editor (starter or solution).
    LoadCode(String),
    RevealHint,
    GoTo(usize),
    /// Flip the step's "Browser → database" switch.
    SetAccess(DatabaseAccess),
    Close,
}

#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    pub lessons: Rc<Vec<Lesson>>,
    pub progress: Option<Progress>,
    /// Lessons already completed, by id.
    pub completed: Rc<Vec<String>>,
    /// The last check's outcome for the open step: `(passed, message)`.
    pub check: Option<(bool, String)>,
    /// A lesson the page was asked to show (`#lesson-<id>` links from error messages).
    pub suggested: Option<String>,
    /// Where the student put the step's "Browser → database" switch, if they flipped it.
    pub access_override: Option<DatabaseAccess>,
    pub on_action: Callback<LessonAction>,
}

#[function_component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let emit = |action: LessonAction| {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(action.clone()))
    };
    let open = props.progress.as_ref().and_then(|p| props.lessons.iter().find(|l| l.id == p.lesson).map(|l| (l, p)));
    let Some((lesson, progress)) = open else {
        return html! {
            <section class="lesson-panel" data-testid="lesson-panel" aria-label="Lessons">
                <h2>{ "Lessons" }</h2>
                <ol class="lesson-list">
                    { for props.lessons.iter().map(|lesson| {
                        let done = props.completed.contains(&lesson.id);
                        let suggested = props.suggested.as_deref() == Some(lesson.id.as_str());
                        html! {
                            <li class={classes!(suggested.then_some("suggested"))} data-testid={format!("lesson-{}", lesson.id)}>
                                <button type="button" class="link" onclick={emit(LessonAction::Start(lesson.id.clone()))}
                                    title={lesson.goal.clone()}>
                                    { &lesson.title }
                                </button>
                                if done { <span class="badge done">{ "done" }</span> }
                                if suggested { <span class="badge">{ "explains your error" }</span> }
                            </li>
                        }
                    }) }
                </ol>
            </section>
        };
    };
    let Some(step) = lesson.steps.get(progress.step) else {
        return html! {};
    };
    let explanation = Html::from_html_unchecked(AttrValue::from(step.explanation_html.clone()));
    let count = lesson.steps.len();
    let passed = progress.passed.contains(&progress.step);
    html! {
        <section class="lesson-panel open" data-testid="lesson-panel" aria-label={format!("Lesson: {}", lesson.title)}>
            <div class="lesson-head">
                <h2>{ &lesson.title }</h2>
                <span>
                    <button type="button" class="link" onclick={emit(LessonAction::Restart(lesson.id.clone()))} data-testid="lesson-restart">{ "Restart lesson" }</button>
                    { " · " }
                    <button type="button" class="link" onclick={emit(LessonAction::Close)} data-testid="lesson-close">{ "Back to the playground" }</button>
                </span>
            </div>
            <p class="goal">{ &lesson.goal }</p>
            <ol class="steps" aria-label="Steps">
                { for (0..count).map(|index| {
                    let class = classes!(
                        (index == progress.step).then_some("current"),
                        progress.passed.contains(&index).then_some("passed"),
                    );
                    html! {
                        <li class={class}>
                            <button type="button" onclick={emit(LessonAction::GoTo(index))}
                                aria-label={format!("Step {}", index + 1)}>{ index + 1 }</button>
                        </li>
                    }
                }) }
            </ol>
            <h3 data-testid="step-title">{ format!("Step {} of {count}: {}", progress.step + 1, step.title) }</h3>
            <div class="explanation">{ explanation }</div>
            <div class="lesson-buttons">
                <button type="button" onclick={emit(LessonAction::LoadCode(step.starter.clone()))} data-testid="load-starter">{ "Load starter code" }</button>
                if progress.hints_shown < step.hints.len() {
                    <button type="button" onclick={emit(LessonAction::RevealHint)} data-testid="hint">
                        { format!("Hint ({} of {})", progress.hints_shown + 1, step.hints.len()) }
                    </button>
                }
                <button type="button" onclick={emit(LessonAction::LoadCode(step.solution.clone()))} data-testid="solution">{ "Show solution" }</button>
            </div>
            if let Some(opening) = step.access {
                { access_switch(props.access_override.unwrap_or(opening), &props.on_action) }
            }
            <ul class="hints">
                { for step.hints.iter().take(progress.hints_shown).map(|hint| html! { <li>{ hint }</li> }) }
            </ul>
            <p class="notice-line"><strong>{ "What to notice: " }</strong>{ &step.notice }</p>
            <div class={classes!("check", if passed { "passed" } else { "pending" })} data-testid="check" role="status">
                { match (&props.check, passed) {
                    (_, true) => "✓ Step done.".to_string(),
                    (Some((false, message)), false) => format!("Not yet: {message}"),
                    _ => match step.action {
                        Some(crate::lessons::StepAction::Restart) => "Press Restart server to complete this step.".to_string(),
                        None => "Run your code: the step is checked after every run.".to_string(),
                    },
                } }
            </div>
            <div class="lesson-nav">
                <button type="button" disabled={progress.step == 0} onclick={emit(LessonAction::GoTo(progress.step.saturating_sub(1)))}>{ "← Previous" }</button>
                <button type="button" disabled={progress.step + 1 >= count} onclick={emit(LessonAction::GoTo(progress.step + 1))} data-testid="next-step">{ "Next →" }</button>
            </div>
        </section>
    }
}

/// The "Browser → database" switch: through the server (the editor plays the browser and may only call the
/// program's functions) or directly (the browser holds a database connection, which no real browser can).
fn access_switch(current: DatabaseAccess, on_action: &Callback<LessonAction>) -> Html {
    let button = |access: DatabaseAccess, label: &'static str, testid: &'static str| {
        let active = current == access;
        let on_action = on_action.clone();
        html! {
            <button type="button" class={classes!("toggle", active.then_some("active"))} aria-pressed={active.to_string()}
                data-testid={testid} onclick={Callback::from(move |_: MouseEvent| on_action.emit(LessonAction::SetAccess(access)))}>
                { label }
            </button>
        }
    };
    let caption = match current {
        DatabaseAccess::Server => {
            "The editor is the browser: it may call your functions (the server), and only they reach the database."
        }
        DatabaseAccess::Direct => {
            "The browser holds a database connection itself: nobody checks who is asking (no real browser can do this)."
        }
    };
    html! {
        <div class={classes!("access-switch", (current == DatabaseAccess::Direct).then_some("danger"))}
            data-testid="access-switch" role="group" aria-label="Browser to database">
            <span class="label">{ "Browser → database:" }</span>
            { button(DatabaseAccess::Server, "through the server", "access-server") }
            { button(DatabaseAccess::Direct, "directly", "access-direct") }
            <span class="caption">{ caption }</span>
        </div>
    }
}
