//! Element conditions for `$pull` and arrayFilters, built on the query matcher by wrapping each array
//! element as a one-field document.

use crate::engine::error::MongoResult;
use crate::engine::query::Filter;
use bson::{Bson, Document};

/// The field name under which `$pull` wraps an element it tests with an operator condition (`{$gte: 3}`).
const PULL_ELEMENT_NAME: &str = "element";

/// A compiled condition tested against single array elements.
pub(crate) struct ElementMatcher {
    filter: Filter,
    /// `Some(name)`: the element is tested as `{name: element}`; `None`: the element must be a document
    /// and is tested as it is.
    wrap_as: Option<String>,
}

impl std::fmt::Debug for ElementMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElementMatcher").field("wrap_as", &self.wrap_as).finish_non_exhaustive()
    }
}

impl ElementMatcher {
    /// A condition on the element itself (`{$gte: 3}`, a regex): `{element: <cond>}` over `{element: <item>}`.
    pub(crate) fn on_element(condition: &Bson) -> MongoResult<Self> {
        let mut filter = Document::new();
        filter.insert(PULL_ELEMENT_NAME, condition.clone());
        Ok(ElementMatcher { filter: Filter::compile(&filter)?, wrap_as: Some(PULL_ELEMENT_NAME.to_string()) })
    }

    /// A query on document elements (`{votes: 0}`); elements that are not documents never match.
    pub(crate) fn on_document(query: &Document) -> MongoResult<Self> {
        Ok(ElementMatcher { filter: Filter::compile(query)?, wrap_as: None })
    }

    /// An array filter `{"<id>.field": cond}`: the element is tested as `{<id>: element}`.
    pub(crate) fn for_identifier(identifier: &str, filter: &Document) -> MongoResult<Self> {
        Ok(ElementMatcher { filter: Filter::compile(filter)?, wrap_as: Some(identifier.to_string()) })
    }

    pub(crate) fn matches(&self, item: &Bson) -> bool {
        match (&self.wrap_as, item) {
            (Some(name), _) => {
                let mut wrapped = Document::new();
                wrapped.insert(name.clone(), item.clone());
                self.filter.matches(&wrapped)
            }
            (None, Bson::Document(doc)) => self.filter.matches(doc),
            (None, _) => false,
        }
    }
}
