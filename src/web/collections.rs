//! The sidebar: the cluster › database › collection tree with document counts.

use yew::prelude::*;

#[function_component(CollectionsSidebar)]
pub fn collections_sidebar() -> Html {
    html! {
        <nav class="sidebar" data-testid="collections" aria-label="Collections">
            <div class="crumb" title="cluster › database › collection (≈ table) › document (≈ row)">
                { "cluster › " }<strong>{ "test" }</strong>
            </div>
            <p class="empty">{ "No collections yet. Insert a document to create one." }</p>
        </nav>
    }
}
