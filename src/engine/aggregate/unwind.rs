//! `$unwind`: one document per element of an array field (its string form `"$path"`, or `{path,
//! includeArrayIndex, preserveNullAndEmptyArrays}`), following the path through documents only, as MongoDB does.

use super::{Compiler, Docs, Runner, Stage};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::value::type_name;
use bson::{Bson, Document};
use std::borrow::Cow;

/// A compiled `$unwind`.
#[derive(Debug, Clone)]
pub(crate) struct Unwind {
    path: Vec<String>,
    index_field: Option<Vec<String>>,
    preserve: bool,
    /// The only top-level fields the next stage reads, when it is known (see [`Unwind::keep_only`]).
    keep: Option<Vec<String>>,
    /// True when the next stage reads nothing but the element (paths at or below the unwound one): each document
    /// it gets is then the element alone at its path.
    element_only: bool,
}

fn error(code: i32, message: impl Into<String>) -> MongoError {
    MongoError::new(ErrorCode::Location(code), message)
}

/// The path of `$unwind` after its `$`.
fn unwind_path(text: &str) -> MongoResult<Vec<String>> {
    if text.is_empty() {
        return Err(error(28812, "no path specified to $unwind stage"));
    }
    let Some(dotted) = text.strip_prefix('$') else {
        return Err(error(28818, format!("path option to $unwind stage should be prefixed with a '$': {text}")));
    };
    Ok(crate::engine::expr::field_path(dotted)?.parts().to_vec())
}

pub(super) fn compile(_: &'static str, argument: &Bson, _: &mut Compiler) -> MongoResult<Stage> {
    match argument {
        Bson::String(text) => Ok(Stage::Unwind(Unwind {
            path: unwind_path(text)?,
            index_field: None,
            preserve: false,
            keep: None,
            element_only: false,
        })),
        Bson::Document(spec) => {
            // As MongoDB does: every option is read first, the path is checked last.
            let mut path = String::new();
            let mut index_field = None;
            let mut preserve = false;
            for (key, value) in spec {
                match (key.as_str(), value) {
                    ("path", Bson::String(text)) => path = text.clone(),
                    ("path", other) => {
                        return Err(error(
                            28808,
                            format!("expected a string as the path for $unwind stage, got {}", type_name(other)),
                        ))
                    }
                    ("includeArrayIndex", Bson::String(name)) if !name.is_empty() => {
                        if name.starts_with('$') {
                            return Err(error(
                                28822,
                                format!(
                                    "includeArrayIndex option to $unwind stage should not be prefixed with a '$': {name}"
                                ),
                            ));
                        }
                        index_field = Some(crate::engine::expr::field_path(name)?.parts().to_vec());
                    }
                    ("includeArrayIndex", other) => {
                        return Err(error(
                            28810,
                            format!(
                            "expected a non-empty string for the includeArrayIndex  option to $unwind stage, got {}",
                            type_name(other)
                        ),
                        ))
                    }
                    ("preserveNullAndEmptyArrays", Bson::Boolean(flag)) => preserve = *flag,
                    ("preserveNullAndEmptyArrays", other) => {
                        return Err(error(
                            28809,
                            format!(
                                "expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage, got {}",
                                type_name(other)
                            ),
                        ))
                    }
                    (other, _) => return Err(error(28811, format!("unrecognized option to $unwind stage: {other}"))),
                }
            }
            let path = unwind_path(&path)?;
            Ok(Stage::Unwind(Unwind { path, index_field, preserve, keep: None, element_only: false }))
        }
        other => Err(error(
            15981,
            format!(
                "expected either a string or an object as specification for $unwind stage, got {}",
                type_name(other)
            ),
        )),
    }
}

/// The value at `path`, through documents only (an array on the way means the path is missing).
fn nested<'a>(document: &'a Document, path: &[String]) -> Option<&'a Bson> {
    let (head, rest) = path.split_first()?;
    let mut current = crate::engine::path::field(document, head)?;
    for part in rest {
        current = match current {
            Bson::Document(inner) => crate::engine::path::field(inner, part)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Sets `path` to `value`, creating documents along the way (replacing what is not a document).
pub(crate) fn set_nested(document: &mut Document, path: &[String], value: Bson) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut current = document;
    for part in parents {
        let needs_document = !matches!(current.get(part), Some(Bson::Document(_)));
        if needs_document {
            current.insert(part.clone(), Document::new());
        }
        let Some(Bson::Document(inner)) = current.get_mut(part) else { return };
        current = inner;
    }
    current.insert(last.clone(), value);
}

fn remove_nested(document: &mut Document, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut current = document;
    for part in parents {
        let Some(Bson::Document(inner)) = current.get_mut(part) else { return };
        current = inner;
    }
    current.remove(last);
}

/// `document` with the value at `path` (reached through documents only) replaced by `item`, every other field
/// copied in place: the array being unwound is not copied.
fn replaced(document: &Document, path: &[String], item: &Bson) -> Document {
    let Some((head, rest)) = path.split_first() else { return document.clone() };
    document
        .iter()
        .map(|(key, value)| {
            let value = match value {
                _ if key != head => value.clone(),
                Bson::Document(inner) if !rest.is_empty() => Bson::Document(replaced(inner, rest, item)),
                _ => item.clone(),
            };
            (key.clone(), value)
        })
        .collect()
}

impl Unwind {
    /// Hands the next stage only the top-level `fields` it reads (set when compiling, for a `$group` right after):
    /// the unwound documents then copy those fields instead of the whole document.
    pub(super) fn keep_only(&mut self, paths: Vec<Vec<String>>) {
        if self.index_field.is_some() {
            return;
        }
        let mut fields: Vec<String> = Vec::new();
        for head in paths.iter().filter_map(|path| path.first()) {
            if !fields.contains(head) {
                fields.push(head.clone());
            }
        }
        self.element_only = paths.iter().all(|path| path.starts_with(&self.path));
        self.keep = Some(fields);
    }

    /// True when the stage hands on only the fields the next stage reads.
    pub(super) fn keeps_some_fields(&self) -> bool {
        self.keep.is_some()
    }

    /// The unwound documents, and when they keep only some fields, the first `preview` of them as they are in full
    /// (what the stage's preview shows).
    pub(super) fn apply<'d>(
        &self,
        documents: Docs<'d>,
        runner: &Runner<'d>,
        preview: usize,
    ) -> MongoResult<(Docs<'d>, Option<Vec<Document>>)> {
        let mut out = Vec::with_capacity(documents.len());
        let sizes: Vec<usize> = documents.iter().map(super::size_of).collect();
        let documents = documents.into_iter().map(|document| {
            let stored = matches!(document, Cow::Borrowed(_));
            (document, stored)
        });
        let (_, full) = self.each(documents, Some(sizes), runner, preview, &mut |document| {
            out.push(document);
            Ok(None)
        })?;
        Ok((out, full))
    }

    /// Runs the stage and the grouping stage after it together: each unwound document goes to the group as it is
    /// made and is dropped, instead of all of them being held first. Gives the group's output, and for the
    /// `$unwind` its document count and preview. The work and memory are counted as the two stages one after the
    /// other count them, but a failure may surface in a different order: on any error the caller runs the two
    /// stages one after the other instead, which fails as they do.
    pub(super) fn apply_into_group(
        &self,
        documents: &Docs<'_>,
        group: &super::group::Group,
        runner: &Runner<'_>,
        preview: usize,
    ) -> MongoResult<(Vec<Document>, usize, Option<Vec<Document>>)> {
        let mut grouping = group.start(runner);
        let borrowed =
            documents.iter().map(|document| (Cow::Borrowed(&**document), matches!(document, Cow::Borrowed(_))));
        // The group hands each document back, so the next element of the same array reuses it.
        // Each document is measured as it is unwound (it is in the cache then), and the memory limit checked at the
        // end: the stage's output only grows, so it was never over the limit if it is not at the end.
        let (count, full) = self.each(borrowed, None, runner, preview, &mut |document| {
            grouping.add(&document, runner)?;
            Ok(match document {
                Cow::Owned(document) => Some(document),
                Cow::Borrowed(_) => None,
            })
        })?;
        // The group stage's own step per input document, as running it after the `$unwind` takes.
        runner.spend(count as u64)?;
        Ok((grouping.finish(), count, full))
    }

    /// Unwinds `documents` (each with whether it is a stored one) into `sink`, which may hand a document back for
    /// reuse; gives how many documents went out, and when they keep only some fields, the first `preview` of them in
    /// full. With the documents' BSON `sizes`, the memory limit stops the stage at the document that passes it;
    /// without, the documents are measured as they come and the limit is checked once at the end (for a caller that
    /// redoes the work with the sizes after any failure).
    fn each<'x>(
        &self,
        documents: impl Iterator<Item = (Cow<'x, Document>, bool)>,
        sizes: Option<Vec<usize>>,
        runner: &Runner<'_>,
        preview: usize,
        sink: &mut dyn FnMut(Cow<'x, Document>) -> MongoResult<Option<Document>>,
    ) -> MongoResult<(usize, Option<Vec<Document>>)> {
        // Each output document is counted at the size it has in full: the input's size, less the array, plus the
        // element (BSON sizes add up, so this is exact), without walking every copy.
        let (limit, mut known) = match sizes {
            Some(sizes) => {
                let input_size = sizes.iter().fold(0usize, |total, size| total.saturating_add(*size));
                (input_size.saturating_add(runner.memory_limit), Some(sizes.into_iter()))
            }
            None => (usize::MAX, None),
        };
        let mut output = super::memory::Memory::new(super::memory::Holder::Output("$unwind"), limit);
        let mut input_size = 0usize;
        let mut full_preview = self.keep.as_ref().map(|_| Vec::new());
        let mut count = 0usize;
        // Whether the next document's full form goes to the preview (only when the documents keep some fields).
        let wants_full =
            |full_preview: &Option<Vec<Document>>| full_preview.as_ref().is_some_and(|kept| kept.len() < preview);
        let mut emit =
            |document: Cow<'x, Document>, full_preview: &mut Option<Vec<Document>>, full: Option<Document>| {
                if let (Some(kept), Some(full)) = (full_preview.as_mut(), full) {
                    kept.push(full);
                }
                count += 1;
                sink(document)
            };
        // A kept document handed back: the next element only replaces the previous one in it.
        let mut reusable: Option<Document> = None;
        for (document, stored) in documents {
            let size = match known.as_mut() {
                Some(sizes) => sizes.next().unwrap_or(0),
                None if stored => crate::engine::limits::stored_bson_size(&document),
                None => crate::engine::limits::bson_size(&document),
            };
            input_size = input_size.saturating_add(size);
            let with_index = |document: Cow<'x, Document>, index: Option<usize>| {
                let Some(field) = &self.index_field else { return document };
                let mut document = document.into_owned();
                let value = index.map_or(Bson::Null, |i| Bson::Int64(i64::try_from(i).unwrap_or(i64::MAX)));
                set_nested(&mut document, field, value);
                Cow::Owned(document)
            };
            let value_size =
                if stored { crate::engine::limits::stored_value_size } else { crate::engine::limits::value_size };
            match nested(&document, &self.path) {
                Some(array @ Bson::Array(items)) if !items.is_empty() => {
                    runner.spend(items.len() as u64)?;
                    let without_array = size.saturating_sub(value_size(array));
                    for (index, item) in items.iter().enumerate() {
                        match &self.keep {
                            Some(fields) => {
                                output.add(if size == usize::MAX {
                                    usize::MAX
                                } else {
                                    without_array.saturating_add(value_size(item))
                                })?;
                                let copy = match (reusable.take(), self.element_only) {
                                    // The element alone, in the document of the previous one.
                                    (Some(mut copy), true) => {
                                        set_nested(&mut copy, &self.path, item.clone());
                                        copy
                                    }
                                    (None, true) => {
                                        let mut copy = Document::new();
                                        set_nested(&mut copy, &self.path, item.clone());
                                        copy
                                    }
                                    // The same document with the next element (of the same array).
                                    (Some(mut copy), false) if index > 0 => {
                                        if self.path.first().is_some_and(|head| fields.contains(head)) {
                                            set_nested(&mut copy, &self.path, item.clone());
                                        }
                                        copy
                                    }
                                    (_, false) => self.kept(&document, fields, item),
                                };
                                let full = wants_full(&full_preview).then(|| replaced(&document, &self.path, item));
                                reusable = emit(Cow::Owned(copy), &mut full_preview, full)?;
                            }
                            None => {
                                let copy = with_index(Cow::Owned(replaced(&document, &self.path, item)), Some(index));
                                if self.index_field.is_some() || size == usize::MAX {
                                    output.add_document(&copy)?;
                                } else {
                                    output.add(without_array.saturating_add(value_size(item)))?;
                                }
                                emit(copy, &mut full_preview, None)?;
                            }
                        }
                    }
                }
                Some(Bson::Array(_)) => {
                    if self.preserve {
                        let mut copy = document.into_owned();
                        remove_nested(&mut copy, &self.path);
                        let copy = with_index(Cow::Owned(copy), None);
                        let full = wants_full(&full_preview).then(|| Document::clone(&copy));
                        emit(copy, &mut full_preview, full)?;
                    }
                }
                None | Some(Bson::Null | Bson::Undefined) => {
                    if self.preserve {
                        let full = wants_full(&full_preview).then(|| Document::clone(&document));
                        emit(with_index(document, None), &mut full_preview, full)?;
                    }
                }
                // Any other value passes through as if it were a one-element array.
                Some(_) => {
                    let full = wants_full(&full_preview).then(|| Document::clone(&document));
                    emit(with_index(document, None), &mut full_preview, full)?;
                }
            }
        }
        if known.is_none() {
            let mut limit = super::memory::Memory::new(
                super::memory::Holder::Output("$unwind"),
                input_size.saturating_add(runner.memory_limit),
            );
            limit.add(output.used())?;
        }
        Ok((count, full_preview))
    }

    /// An unwound document with only `fields` (those of them the document has), the element in place of the array.
    fn kept(&self, document: &Document, fields: &[String], item: &Bson) -> Document {
        let mut out = Document::new();
        for field in fields {
            if let Some(value) = crate::engine::path::field(document, field) {
                let value = match (value, self.path.split_first()) {
                    (Bson::Document(inner), Some((head, rest))) if head == field && !rest.is_empty() => {
                        Bson::Document(replaced(inner, rest, item))
                    }
                    (_, Some((head, _))) if head == field => item.clone(),
                    _ => value.clone(),
                };
                out.insert(field.clone(), value);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use bson::{doc, Document};

    fn inventory() -> Vec<Document> {
        // The inventory collection of MongoDB's $unwind page.
        vec![
            doc! {"_id": 1, "item": "Shirt", "sizes": ["S", "M", "L"]},
            doc! {"_id": 2, "item": "Shorts", "sizes": []},
            doc! {"_id": 3, "item": "Hat", "sizes": "M"},
            doc! {"_id": 4, "item": "Gloves"},
            doc! {"_id": 5, "item": "Scarf", "sizes": null},
        ]
    }

    #[test]
    fn unwinds_arrays() {
        assert_eq!(
            run(inventory(), vec![doc! {"$unwind": "$sizes"}]),
            "{ _id: 1, item: \"Shirt\", sizes: \"S\" }\n{ _id: 1, item: \"Shirt\", sizes: \"M\" }\n{ _id: 1, item: \"Shirt\", sizes: \"L\" }\n{ _id: 3, item: \"Hat\", sizes: \"M\" }"
        );
        expect_test::expect![[r#"
            { _id: 1, item: "Shirt", sizes: "S", arrayIndex: 0 }
            { _id: 1, item: "Shirt", sizes: "M", arrayIndex: 1 }
            { _id: 1, item: "Shirt", sizes: "L", arrayIndex: 2 }
            { _id: 2, item: "Shorts", arrayIndex: null }
            { _id: 3, item: "Hat", sizes: "M", arrayIndex: null }
            { _id: 4, item: "Gloves", arrayIndex: null }
            { _id: 5, item: "Scarf", sizes: null, arrayIndex: null }"#]]
        .assert_eq(&run(inventory(), vec![doc! {"$unwind": {"path": "$sizes", "includeArrayIndex": "arrayIndex", "preserveNullAndEmptyArrays": true}}]));
        assert_eq!(
            run(vec![doc! {"_id": 1, "a": {"b": [1, 2]}}], vec![doc! {"$unwind": "$a.b"}]),
            "{ _id: 1, a: { b: 1 } }\n{ _id: 1, a: { b: 2 } }"
        );
        assert_eq!(
            run(vec![doc! {"_id": 1, "a": [{"b": [1, 2]}]}], vec![doc! {"$unwind": "$a.b"}]),
            "",
            "the path does not go through arrays"
        );
    }

    #[test]
    fn malformed_specifications() {
        assert_eq!(
            run(vec![], vec![doc! {"$unwind": "sizes"}]),
            "error 28818: path option to $unwind stage should be prefixed with a '$': sizes"
        );
        assert_eq!(run(vec![], vec![doc! {"$unwind": ""}]), "error 28812: no path specified to $unwind stage");
        assert_eq!(run(vec![], vec![doc! {"$unwind": {}}]), "error 28812: no path specified to $unwind stage");
        assert_eq!(
            run(vec![], vec![doc! {"$unwind": 1}]),
            "error 15981: expected either a string or an object as specification for $unwind stage, got int"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$unwind": {"path": "$a", "x": 1}}]),
            "error 28811: unrecognized option to $unwind stage: x"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$unwind": {"path": "$a", "preserveNullAndEmptyArrays": 1}}]),
            "error 28809: expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage, got int"
        );
        assert_eq!(
            run(vec![], vec![doc! {"$unwind": {"path": "$a", "includeArrayIndex": "$i"}}]),
            "error 28822: includeArrayIndex option to $unwind stage should not be prefixed with a '$': $i"
        );
    }
}
