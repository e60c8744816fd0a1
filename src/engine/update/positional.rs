//! Positional update paths: `$` (the element the query matched), `$[]` (every element) and `$[<id>]`
//! (elements passing the arrayFilter named `<id>`), with the checks MongoDB makes on arrayFilters.

use super::matcher::ElementMatcher;
use super::path::describe_document;
use crate::engine::error::{MongoError, MongoResult};
use bson::{Bson, Document};

/// One compiled arrayFilter: its identifier and the condition elements must pass.
#[derive(Debug)]
pub(crate) struct ArrayFilter {
    pub(crate) identifier: String,
    matcher: ElementMatcher,
}

impl ArrayFilter {
    pub(crate) fn matches(&self, item: &Bson) -> bool {
        self.matcher.matches(item)
    }
}

/// What a dynamic path part selects in an array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selector {
    /// `$[]`: every element.
    All,
    /// `$[<id>]`: elements passing the arrayFilter at this index of the compiled filters.
    Filtered(usize),
}

/// Compiles the `arrayFilters` option, rejecting empty filters, filters over several identifiers,
/// malformed identifiers and duplicates.
pub(crate) fn compile_array_filters(filters: &[Document]) -> MongoResult<Vec<ArrayFilter>> {
    let mut compiled: Vec<ArrayFilter> = Vec::with_capacity(filters.len());
    for filter in filters {
        let identifier = filter_identifier(filter)?;
        if !is_valid_identifier(&identifier) {
            return Err(MongoError::bad_value(format!(
                "Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '{identifier}'"
            )));
        }
        if compiled.iter().any(|f| f.identifier == identifier) {
            return Err(MongoError::failed_to_parse(format!(
                "Found multiple array filters with the same top-level field name {identifier}"
            )));
        }
        let matcher = ElementMatcher::for_identifier(&identifier, filter)?;
        compiled.push(ArrayFilter { identifier, matcher });
    }
    Ok(compiled)
}

/// The single identifier a filter talks about: the first part of each top-level path, looking through
/// `$and`/`$or`/`$nor` one level down.
fn filter_identifier(filter: &Document) -> MongoResult<String> {
    let mut found: Option<String> = None;
    let mut note = |candidate: &str| -> MongoResult<()> {
        match &found {
            Some(existing) if existing != candidate => Err(MongoError::failed_to_parse(format!(
                "Error parsing array filter :: caused by :: Expected a single top-level field name, found '{existing}' and '{candidate}'"
            ))),
            Some(_) => Ok(()),
            None => {
                found = Some(candidate.to_string());
                Ok(())
            }
        }
    };
    for (key, value) in filter {
        if key.starts_with('$') {
            if let Bson::Array(branches) = value {
                for branch in branches {
                    if let Bson::Document(branch) = branch {
                        for inner in branch.keys().filter(|k| !k.starts_with('$')) {
                            note(inner.split('.').next().unwrap_or_default())?;
                        }
                    }
                }
            }
        } else {
            note(key.split('.').next().unwrap_or_default())?;
        }
    }
    found.ok_or_else(|| {
        MongoError::failed_to_parse("Cannot use an expression without a top-level field name in arrayFilters")
    })
}

fn is_valid_identifier(identifier: &str) -> bool {
    let mut chars = identifier.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// Resolves a `$[...]` path part against the compiled filters, marking the filter as used.
pub(crate) fn resolve_selector(
    part: &str,
    path: &str,
    filters: &[ArrayFilter],
    used: &mut [bool],
) -> MongoResult<Selector> {
    let identifier = part.strip_prefix("$[").and_then(|rest| rest.strip_suffix(']')).unwrap_or_default();
    if identifier.is_empty() {
        return Ok(Selector::All);
    }
    let index = filters.iter().position(|f| f.identifier == identifier).ok_or_else(|| {
        MongoError::bad_value(format!("No array filter found for identifier '{identifier}' in path '{path}'"))
    })?;
    if let Some(flag) = used.get_mut(index) {
        *flag = true;
    }
    Ok(Selector::Filtered(index))
}

/// The error for an arrayFilter no path used.
pub(crate) fn unused_filter_error(identifier: &str, update: &Document) -> MongoError {
    MongoError::failed_to_parse(format!(
        "The array filter for identifier '{identifier}' was not used in the update {}",
        describe_document(update)
    ))
}

/// Checks the placement of `$` in a path: at most one, never first; `$[...]` never first either.
pub(crate) fn check_positional_parts(parts: &[String], path: &str) -> MongoResult<()> {
    let dollar_count = parts.iter().filter(|p| p.as_str() == "$").count();
    if dollar_count > 1 {
        return Err(MongoError::bad_value(format!("Too many positional (i.e. '$') elements found in path '{path}'")));
    }
    match parts.first().map(String::as_str) {
        Some("$") => Err(MongoError::bad_value(format!(
            "Cannot have positional (i.e. '$') element in the first position in path '{path}'"
        ))),
        Some(first) if super::path::is_dynamic_part(first) => Err(MongoError::bad_value(format!(
            "Cannot have array filter identifier (i.e. '$[<id>]') element in the first position in path '{path}'"
        ))),
        _ => Ok(()),
    }
}

/// The error for `$` when the query did not match inside an array.
pub(crate) fn positional_not_found() -> MongoError {
    MongoError::bad_value("The positional operator did not find the match needed from the query.")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use bson::doc;

    fn error_of(filters: &[Document]) -> String {
        compile_array_filters(filters).unwrap_err().message
    }

    #[test]
    fn array_filters_need_one_well_formed_identifier() {
        assert_eq!(error_of(&[doc! {}]), "Cannot use an expression without a top-level field name in arrayFilters");
        assert!(error_of(&[doc! {"a": 1, "b": 2}]).contains("found 'a' and 'b'"));
        assert!(error_of(&[doc! {"Bad": 1}]).contains("beginning with a lowercase letter"));
        assert_eq!(
            error_of(&[doc! {"s": 1}, doc! {"s.x": 2}]),
            "Found multiple array filters with the same top-level field name s"
        );
    }

    #[test]
    fn positional_parts_are_placed_sensibly() {
        let parts = |p: &str| p.split('.').map(str::to_string).collect::<Vec<_>>();
        assert!(check_positional_parts(&parts("a.$.b"), "a.$.b").is_ok());
        assert!(check_positional_parts(&parts("$.b"), "$.b").is_err());
        assert!(check_positional_parts(&parts("a.$.$"), "a.$.$").is_err());
        assert!(check_positional_parts(&parts("$[].a"), "$[].a").is_err());
    }

    #[test]
    fn unknown_identifiers_are_reported_with_their_path() {
        let err = resolve_selector("$[x]", "a.$[x].b", &[], &mut []).unwrap_err();
        assert_eq!(err.message, "No array filter found for identifier 'x' in path 'a.$[x].b'");
        assert_eq!(resolve_selector("$[]", "a.$[]", &[], &mut []).unwrap(), Selector::All);
    }
}
