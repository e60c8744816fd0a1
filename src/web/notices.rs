//! The log strip under the header: what a restart lost and brought back, records that did not load, storage errors,
//! writes from another tab.

use super::state::{Notice, NoticeKind};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NoticesProps {
    pub notices: Vec<Notice>,
    pub on_dismiss: Callback<()>,
}

#[function_component(Notices)]
pub fn notices(props: &NoticesProps) -> Html {
    if props.notices.is_empty() {
        return html! {};
    }
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <section class="notices" data-testid="notices" aria-live="polite">
            <ul>
                { for props.notices.iter().map(|notice| {
                    let class = match notice.kind {
                        NoticeKind::Info => "notice info",
                        NoticeKind::Warning => "notice warning",
                        NoticeKind::Error => "notice error",
                    };
                    html! { <li class={class}>{ &notice.text }</li> }
                }) }
            </ul>
            <button type="button" class="dismiss" onclick={dismiss} aria-label="Dismiss">{ "×" }</button>
        </section>
    }
}
