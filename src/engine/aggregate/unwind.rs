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
        Bson::String(text) => {
            Ok(Stage::Unwind(Unwind { path: unwind_path(text)?, index_field: None, preserve: false }))
        }
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
            Ok(Stage::Unwind(Unwind { path, index_field, preserve }))
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
    let mut current = document.get(head)?;
    for part in rest {
        current = match current {
            Bson::Document(inner) => inner.get(part)?,
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

impl Unwind {
    pub(super) fn apply<'d>(&self, documents: Docs<'d>, runner: &Runner<'d>) -> MongoResult<Docs<'d>> {
        let mut output = super::memory::Memory::output("$unwind", &documents, runner.memory_limit);
        let mut out = Vec::with_capacity(documents.len());
        for document in documents {
            let with_index = |document: Cow<'d, Document>, index: Option<usize>| {
                let Some(field) = &self.index_field else { return document };
                let mut document = document.into_owned();
                let value = index.map_or(Bson::Null, |i| Bson::Int64(i64::try_from(i).unwrap_or(i64::MAX)));
                set_nested(&mut document, field, value);
                Cow::Owned(document)
            };
            match nested(&document, &self.path) {
                Some(Bson::Array(items)) if !items.is_empty() => {
                    runner.spend(items.len() as u64)?;
                    for (index, item) in items.iter().enumerate() {
                        let mut copy = Document::clone(&document);
                        set_nested(&mut copy, &self.path, item.clone());
                        let copy = with_index(Cow::Owned(copy), Some(index));
                        output.add_document(&copy)?;
                        out.push(copy);
                    }
                }
                Some(Bson::Array(_)) => {
                    if self.preserve {
                        let mut copy = document.into_owned();
                        remove_nested(&mut copy, &self.path);
                        out.push(with_index(Cow::Owned(copy), None));
                    }
                }
                None | Some(Bson::Null | Bson::Undefined) => {
                    if self.preserve {
                        out.push(with_index(document, None));
                    }
                }
                // Any other value passes through as if it were a one-element array.
                Some(_) => out.push(with_index(document, None)),
            }
        }
        Ok(out)
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
