//! The top-level component: lays out the header, the collections sidebar, the editor and the two result panes.

use super::collections::CollectionsSidebar;
use super::editor::Editor;
use super::header::Header;
use super::result_pane::{ResultPane, World};
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    html! {
        <div class="app">
            <Header />
            <div class="workspace">
                <CollectionsSidebar />
                <main class="main">
                    <section class="intro" data-testid="lesson-panel" aria-label="Lesson">
                        <h2>{ "Same command, two worlds" }</h2>
                        <p>
                            { "The left pane sends your command straight to the database through the MongoDB driver: it stores whatever it gets. " }
                            { "The right pane sends it through a Mongoose schema, which casts, strips unknown fields, applies defaults and validates first." }
                        </p>
                    </section>
                    <Editor />
                    <div class="panes">
                        <ResultPane world={World::Raw} />
                        <ResultPane world={World::Mongoose} />
                    </div>
                </main>
            </div>
        </div>
    }
}
