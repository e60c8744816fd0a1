//! `$replaceRoot` (`{newRoot: expression}`) and `$replaceWith` (the expression itself): each document is replaced by
//! the document the expression computes; anything else is MongoDB's error naming the value and the input document.

use super::{Compiler, Runner, Stage};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::{type_name_of, Expression};
use bson::{Bson, Document};

/// A compiled `$replaceRoot` / `$replaceWith`.
#[derive(Debug, Clone)]
pub(crate) struct ReplaceRoot {
    new_root: Expression,
}

pub(super) fn compile_replace_root(_: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    let Bson::Document(spec) = argument else {
        return Err(MongoError::new(
            ErrorCode::Location(40229),
            format!(
                "expected an object as specification for $replaceRoot stage, got {}",
                crate::engine::value::type_name(argument)
            ),
        ));
    };
    let mut new_root = None;
    for (key, value) in spec {
        if key != "newRoot" {
            return Err(MongoError::new(
                ErrorCode::Location(40230),
                format!("unrecognized option to $replaceRoot stage: {key}, only valid option is 'newRoot'."),
            ));
        }
        new_root = Some(compiler.parser().expression(value)?);
    }
    let Some(new_root) = new_root else {
        return Err(MongoError::new(ErrorCode::Location(40231), "no newRoot specified for the $replaceRoot stage"));
    };
    Ok(Stage::ReplaceRoot(ReplaceRoot { new_root }))
}

pub(super) fn compile_replace_with(_: &'static str, argument: &Bson, compiler: &mut Compiler) -> MongoResult<Stage> {
    Ok(Stage::ReplaceRoot(ReplaceRoot { new_root: compiler.parser().expression(argument)? }))
}

impl ReplaceRoot {
    pub(super) fn apply<'d>(
        &self,
        name: &'static str,
        documents: super::Docs<'d>,
        runner: &Runner<'d>,
    ) -> MongoResult<super::Docs<'d>> {
        let mut output = super::memory::Memory::output(name, &documents, runner.memory_limit);
        let mut out = Vec::with_capacity(documents.len());
        for document in &documents {
            let replaced = self.replace(document, runner)?;
            output.add_document(&replaced)?;
            out.push(std::borrow::Cow::Owned(replaced));
        }
        Ok(out)
    }

    pub(crate) fn replace(&self, document: &Document, runner: &Runner<'_>) -> MongoResult<Document> {
        match self.new_root.evaluate_in(document, runner.environment)? {
            Some(Bson::Document(root)) => Ok(root),
            other => Err(MongoError::new(
                ErrorCode::Location(40228),
                format!(
                    "'newRoot' expression must evaluate to an object, but resulting value was: {}. Type of resulting value: '{}'. Input document: {}",
                    crate::engine::expr::describe(other.as_ref()),
                    type_name_of(other.as_ref()),
                    crate::engine::update::describe_document(document)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::run;
    use bson::doc;

    #[test]
    fn replaces_each_document() {
        // The examples of MongoDB's $replaceRoot page.
        let people = vec![
            doc! {"_id": 1, "name": "Arlene", "age": 34, "pets": {"dogs": 2, "cats": 1}},
            doc! {"_id": 2, "name": "Sam", "age": 41, "pets": {"cats": 1, "fish": 3}},
        ];
        assert_eq!(
            run(people.clone(), vec![doc! {"$replaceRoot": {"newRoot": "$pets"}}]),
            "{ dogs: 2, cats: 1 }\n{ cats: 1, fish: 3 }"
        );
        assert_eq!(
            run(
                people.clone(),
                vec![doc! {"$replaceWith": {"$mergeObjects": [{"dogs": 0, "cats": 0, "birds": 0}, "$pets"]}}]
            ),
            "{ dogs: 2, cats: 1, birds: 0 }\n{ dogs: 0, cats: 1, birds: 0, fish: 3 }"
        );
        assert_eq!(
            run(people.clone(), vec![doc! {"$replaceRoot": {"newRoot": "$missing"}}]),
            "error 40228: PlanExecutor error during aggregation :: caused by :: 'newRoot' expression must evaluate to an object, but resulting value was: MISSING. Type of resulting value: 'missing'. Input document: { _id: 1, name: \"Arlene\", age: 34, pets: { dogs: 2, cats: 1 } }"
        );
        assert!(run(people.clone(), vec![doc! {"$replaceWith": "$age"}]).contains("resulting value was: 34"));
        assert_eq!(
            run(people.clone(), vec![doc! {"$replaceRoot": {"root": "$pets"}}]),
            "error 40230: unrecognized option to $replaceRoot stage: root, only valid option is 'newRoot'."
        );
        assert_eq!(
            run(people, vec![doc! {"$replaceRoot": {}}]),
            "error 40231: no newRoot specified for the $replaceRoot stage"
        );
    }
}
