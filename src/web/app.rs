//! The top-level component: holds the app's state and the lab's cell, wires every control to its action
//! (`actions.rs`, which hands it to the lab) and lays out header, sidebar, editor and the two panes.

use super::actions::{Page, FIRST_PROGRAM};
use super::collections::CollectionsSidebar;
use super::data_dialog::{DataDialog, DataFns, ImportRequest};
use super::editor::Editor;
use super::header::Header;
use super::lesson_panel::{LessonAction, LessonPanel};
use super::notices::Notices;
use super::persistence;
use super::result_pane::{ExplainFn, ExplainSource, ResultPane};
use super::schema_dialog::SchemaDialog;
use super::state::{Action, AppState, Phase};
use super::switches::Switches;
use crate::playground::Side;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState::new(persistence::saved_editor().unwrap_or_else(|| FIRST_PROGRAM.to_string())));
    let lab = use_mut_ref(|| None);
    let tab = use_memo((), |_| {
        let id: String = crate::clock::random_bytes::<8>().iter().map(|byte| format!("{byte:02x}")).collect();
        format!("tab-{id}")
    });
    let lessons = use_memo((), |_| crate::lessons::bundled().0);
    let page = Page { state: state.clone(), lab: lab.clone(), tab: tab.clone(), lessons: lessons.clone() };

    {
        let page = page.clone();
        use_effect_with((), move |_| page.start_up());
    }
    // An error message's lesson link (`#lesson-<id>`) shows that lesson in the list.
    {
        let page = page.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                gloo_events::EventListener::new(&window, "hashchange", move |_| page.follow_lesson_link())
            });
            move || drop(listener)
        });
    }
    // Another tab's write reloads this tab's worlds from storage.
    {
        let page = page.clone();
        use_effect_with((), move |_| {
            let channel = web_sys::BroadcastChannel::new(persistence::CHANNEL).ok();
            let listener = channel.as_ref().map(|channel| {
                gloo_events::EventListener::new(channel, "message", move |event| {
                    let sender = event.dyn_ref::<web_sys::MessageEvent>().and_then(|m| m.data().as_string());
                    if sender.as_deref() != Some(page.tab.as_str()) {
                        page.reload_after_write_elsewhere();
                    }
                })
            });
            move || {
                drop(listener);
                if let Some(channel) = channel {
                    channel.close();
                }
            }
        });
    }

    let on = |action: fn(&Page)| {
        let page = page.clone();
        Callback::from(move |_| action(&page))
    };
    let run = {
        let page = page.clone();
        Callback::from(move |source: String| page.run(source))
    };
    let lesson_action = {
        let page = page.clone();
        Callback::from(move |action: LessonAction| page.lesson(action))
    };
    let switch = {
        let page = page.clone();
        Callback::from(move |switches| page.switch(switches))
    };
    let import = {
        let page = page.clone();
        Callback::from(move |(side, text, target): ImportRequest| page.import(side, text, target))
    };
    let explain = {
        let page = page.clone();
        Rc::new(move |side: Side, call: &crate::runtime::calls::DriverCall| page.explain(side, call))
            as Rc<ExplainSource>
    };
    let data_fns = {
        let (exporting, planning) = (page.clone(), page.clone());
        DataFns {
            export: Rc::new(move |side, kind| exporting.export(side, kind)),
            plan: Rc::new(move |(side, text, target): &ImportRequest| {
                planning.plan_import(*side, text, target.as_ref().map(|(db, coll)| (db.as_str(), coll.as_str())))
            }),
        }
    };
    let complete = {
        let cell = lab.clone();
        Rc::new(move |source: &str, offset: usize| {
            cell.borrow().as_ref().map(|lab| crate::playground::completion::complete(lab.playground(), source, offset))
        }) as Rc<CompletionSource>
    };
    let data_open = use_state(|| false);
    let toggle_data = {
        let data_open = data_open.clone();
        Callback::from(move |_| data_open.set(!*data_open))
    };
    // The collection whose real schema is shown (recomputed from the worlds on every render while open).
    let schema_open = use_state(|| None::<(String, String)>);
    let show_schema = {
        let schema_open = schema_open.clone();
        Callback::from(move |key: (String, String)| schema_open.set(Some(key)))
    };
    let close_schema = {
        let schema_open = schema_open.clone();
        Callback::from(move |()| schema_open.set(None))
    };
    let open_schema_command = {
        let (schema_open, state) = (schema_open.clone(), state.clone());
        Callback::from(move |command: String| {
            schema_open.set(None);
            state.dispatch(Action::Edit(command));
        })
    };
    let schema_view = schema_open.as_ref().and_then(|(database, collection)| {
        lab.borrow()
            .as_ref()
            .map(|lab| crate::playground::data_schema::schema_view(lab.playground(), database, collection))
    });
    let edit = {
        let state = state.clone();
        Callback::from(move |text: String| state.dispatch(Action::Edit(text)))
    };
    let dismiss = {
        let state = state.clone();
        Callback::from(move |_| state.dispatch(Action::DismissNotices))
    };
    let history = lab.borrow().as_ref().map(|lab| lab.playground().history.clone()).unwrap_or_default();
    let busy = state.phase != Phase::Ready;

    html! {
        <div class="app" data-phase={format!("{:?}", state.phase).to_lowercase()}>
            if *data_open {
                <DataDialog fns={data_fns} on_import={import} on_close={toggle_data.clone()} />
            }
            if let Some(view) = schema_view {
                <SchemaDialog {view} on_open_command={open_schema_command} on_close={close_schema} />
            }
            <Header on_restart={on(Page::restart)} on_reset={on(Page::reset)}
                on_undo={on(|page| page.time_travel(false))} on_redo={on(|page| page.time_travel(true))}
                on_share={on(Page::share)} on_theme={Callback::from(|_| persistence::toggle_theme())}
                on_data={toggle_data}
                can_undo={state.can_undo} can_redo={state.can_redo} busy={busy} />
            <Notices notices={state.notices.clone()} on_dismiss={dismiss} />
            <div class="workspace">
                <CollectionsSidebar databases={state.databases.clone()} models={state.models.clone()} on_schema={show_schema} />
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
                    <Editor text={state.editor.clone()} parse_error={state.parse_error.clone()} run_error={state.run_error} history={Rc::new(history)}
                        busy={busy} on_edit={edit} on_run={run} complete={CompleteFn(complete)} />
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
