//! The page header: product name and a one-line description of what crudlab is.

use yew::prelude::*;

#[function_component(Header)]
pub fn header() -> Html {
    html! {
        <header class="header">
            <h1 class="brand">{ "crudlab" }</h1>
            <span class="tagline">{ "MongoDB and Mongoose, side by side, in your browser" }</span>
        </header>
    }
}
