//! Live switches per model: `strict` (true / false / "throw") and `runValidators`. Changing one re-runs the last
//! command, so the difference shows at once.

use crate::playground::ModelSwitches;
use bson::Bson;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SwitchesProps {
    pub switches: Rc<Vec<ModelSwitches>>,
    pub on_change: Callback<ModelSwitches>,
}

fn strict_label(strict: &Bson) -> &'static str {
    match strict {
        Bson::Boolean(false) => "false",
        Bson::String(s) if s == "throw" => "throw",
        _ => "true",
    }
}

#[function_component(Switches)]
pub fn switches(props: &SwitchesProps) -> Html {
    if props.switches.is_empty() {
        return html! {};
    }
    html! {
        <section class="switches" data-testid="switches" aria-label="Model options">
            { for props.switches.iter().map(|current| {
                let strict_buttons = ["true", "false", "throw"].into_iter().map(|label| {
                    let on_change = props.on_change.clone();
                    let mut next = current.clone();
                    next.strict = match label {
                        "true" => Bson::Boolean(true),
                        "false" => Bson::Boolean(false),
                        _ => Bson::String("throw".into()),
                    };
                    let active = strict_label(&current.strict) == label;
                    html! {
                        <button type="button" class={classes!("toggle", active.then_some("active"))}
                            aria-pressed={active.to_string()}
                            data-testid={format!("strict-{}-{label}", current.model)}
                            onclick={Callback::from(move |_: MouseEvent| on_change.emit(next.clone()))}>
                            { label }
                        </button>
                    }
                });
                let toggle_validators = {
                    let on_change = props.on_change.clone();
                    let mut next = current.clone();
                    next.run_validators = !current.run_validators;
                    Callback::from(move |_: Event| on_change.emit(next.clone()))
                };
                html! {
                    <div class="switch-row">
                        <strong>{ &current.model }</strong>
                        <span class="label">{ "strict:" }</span>
                        { for strict_buttons }
                        <label class="check">
                            <input type="checkbox" checked={current.run_validators} onchange={toggle_validators}
                                data-testid={format!("validators-{}", current.model)} />
                            { " runValidators on updates" }
                        </label>
                    </div>
                }
            }) }
        </section>
    }
}
