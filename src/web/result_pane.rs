//! One result pane: what a command did in one world (the raw driver, or Mongoose with a schema).

use yew::prelude::*;

/// Which world a pane shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum World {
    Raw,
    Mongoose,
}

impl World {
    fn title(self) -> &'static str {
        match self {
            World::Raw => "MongoDB driver (schemaless)",
            World::Mongoose => "Mongoose (with schema)",
        }
    }

    fn test_id(self) -> &'static str {
        match self {
            World::Raw => "pane-raw",
            World::Mongoose => "pane-mongoose",
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct ResultPaneProps {
    pub world: World,
}

#[function_component(ResultPane)]
pub fn result_pane(props: &ResultPaneProps) -> Html {
    let world = props.world;
    html! {
        <section class={classes!("pane", format!("pane-{}", world.test_id()))} data-testid={world.test_id()} aria-label={world.title()}>
            <h2 class="pane-title">{ world.title() }</h2>
            <p class="pane-empty">{ "Run a command to see what reaches the database." }</p>
        </section>
    }
}
