//! Tests of compiling and applying whole updates: paths, conflicts, positional operators, atomicity.

use super::*;
use bson::{bson, doc};

fn ctx() -> UpdateContext {
    UpdateContext { positional: None, is_upsert_insert: false, now: bson::DateTime::from_millis(1_700_000_000_000) }
}

fn ada() -> Document {
    doc! {
        "_id": 1, "username": "ada", "age": 36, "city": "London", "tags": ["math", "code"],
        "profile": {"title": "Engineer", "langs": ["en", "fr"]},
    }
}

/// Applies `update` to `doc` and returns the document and whether it changed, or the error message.
fn run_with(
    doc: Document,
    update: Document,
    filters: &[Document],
    ctx: UpdateContext,
) -> Result<(Document, bool), String> {
    let compiled = Update::compile_operators(&update, filters).map_err(|e| e.message)?;
    let mut doc = doc;
    let before = doc.clone();
    match compiled.apply(&mut doc, &ctx) {
        Ok(changed) => Ok((doc, changed)),
        Err(e) => {
            assert_eq!(doc, before, "a failed update must leave the document unchanged");
            Err(e.message)
        }
    }
}

fn run(doc: Document, update: Document) -> Result<(Document, bool), String> {
    run_with(doc, update, &[], ctx())
}

#[test]
fn set_keeps_position_and_appends_new_fields() {
    let (doc, changed) = run(ada(), doc! {"$set": {"city": "Paris", "zip": 1}}).unwrap();
    assert!(changed);
    assert_eq!(doc.keys().collect::<Vec<_>>(), ["_id", "username", "age", "city", "tags", "profile", "zip"]);
    assert_eq!(doc.get_str("city").unwrap(), "Paris");
}

#[test]
fn new_sibling_fields_are_created_in_name_order() {
    let (doc, _) = run(doc! {"_id": 1}, doc! {"$set": {"b": 1, "a": 1}}).unwrap();
    assert_eq!(doc, doc! {"_id": 1, "a": 1, "b": 1});
}

#[test]
fn equal_values_are_not_modifications() {
    let (_, changed) = run(ada(), doc! {"$set": {"city": "London"}}).unwrap();
    assert!(!changed);
    let (_, changed) = run(ada(), doc! {"$set": {"age": 36.0}}).unwrap();
    assert!(changed, "a type change is a modification");
    let (_, changed) = run(ada(), doc! {"$unset": {"nothere": 1}}).unwrap();
    assert!(!changed);
}

#[test]
fn dotted_paths_create_parents_and_pad_arrays() {
    let (doc, _) = run(ada(), doc! {"$set": {"profile.address.city": "NYC", "tags.4": "far"}}).unwrap();
    assert_eq!(
        doc.get_document("profile").unwrap(),
        &doc! {"title": "Engineer", "langs": ["en", "fr"], "address": {"city": "NYC"}}
    );
    assert_eq!(
        doc.get_array("tags").unwrap(),
        &vec![bson!("math"), bson!("code"), Bson::Null, Bson::Null, bson!("far")]
    );
}

#[test]
fn paths_through_scalars_are_not_viable() {
    assert_eq!(
        run(ada(), doc! {"$set": {"city.name": "x"}}).unwrap_err(),
        "Cannot create field 'name' in element {city: \"London\"}"
    );
    assert_eq!(
        run(ada(), doc! {"$set": {"tags.x": 1}}).unwrap_err(),
        "Cannot create field 'x' in element {tags: [ \"math\", \"code\" ]}"
    );
    let (_, changed) = run(ada(), doc! {"$unset": {"city.name": 1}}).unwrap();
    assert!(!changed);
    assert!(run(ada(), doc! {"$pop": {"city.name": 1}})
        .unwrap_err()
        .starts_with("Cannot use the part (name of city.name)"));
}

#[test]
fn unset_removes_fields_and_nulls_array_elements() {
    let (doc, _) = run(ada(), doc! {"$unset": {"city": "", "tags.0": 1}}).unwrap();
    assert!(!doc.contains_key("city"));
    assert_eq!(doc.get_array("tags").unwrap(), &vec![Bson::Null, bson!("code")]);
}

#[test]
fn rename_moves_fields_to_the_end() {
    let (doc, _) = run(ada(), doc! {"$rename": {"city": "town"}}).unwrap();
    assert_eq!(doc.keys().last().map(String::as_str), Some("town"));
    assert!(!doc.contains_key("city"));
    let (doc, _) = run(ada(), doc! {"$rename": {"profile.title": "job"}}).unwrap();
    assert_eq!(doc.get_document("profile").unwrap(), &doc! {"langs": ["en", "fr"]});
    assert_eq!(doc.get_str("job").unwrap(), "Engineer");
    let (_, changed) = run(ada(), doc! {"$rename": {"nothere": "x"}}).unwrap();
    assert!(!changed);
    assert!(run(ada(), doc! {"$rename": {"city": "tags.5"}})
        .unwrap_err()
        .contains("destination field cannot be an array element"));
}

#[test]
fn conflicting_paths_are_rejected_at_compile_time() {
    let cases = [
        (doc! {"$set": {"age": 1}, "$inc": {"age": 1}}, "Updating the path 'age' would create a conflict at 'age'"),
        (
            doc! {"$set": {"profile": 1, "profile.title": "x"}},
            "Updating the path 'profile.title' would create a conflict at 'profile'",
        ),
        (
            doc! {"$set": {"profile.title": "x", "profile": 1}},
            "Updating the path 'profile' would create a conflict at 'profile'",
        ),
        (doc! {"$rename": {"a": "b"}, "$set": {"a": 1}}, "Updating the path 'a' would create a conflict at 'a'"),
    ];
    for (update, message) in cases {
        let err = Update::compile_operators(&update, &[]).unwrap_err();
        assert_eq!(err.message, message);
        assert_eq!(err.code, 40);
    }
}

#[test]
fn malformed_updates_are_rejected_with_server_messages() {
    let cases = [
        (doc! {}, "Update document requires atomic operators"),
        (doc! {"username": "x"}, "Update document requires atomic operators"),
        (doc! {"$bogus": {"a": 1}}, "Unknown modifier: $bogus. Expected a valid update modifier or pipeline-style update specified as an array"),
        (doc! {"$set": 1}, "Modifiers operate on fields but we found type int instead. For example: {$mod: {<field>: ...}} not {$set: 1}"),
        (doc! {"$inc": {"age": "1"}}, "Cannot increment with non-numeric argument: {age: \"1\"}"),
        (doc! {"$pop": {"tags": 2}}, "$pop expects 1 or -1, found: 2"),
        (doc! {"$set": {"a..b": 1}}, "The update path 'a..b' contains an empty field name, which is not allowed."),
    ];
    for (update, message) in cases {
        assert_eq!(Update::compile_operators(&update, &[]).unwrap_err().message, message, "{update}");
    }
    assert_eq!(
        Update::compile_replacement(&doc! {"$set": {"a": 1}}).unwrap_err().message,
        "Replacement document must not contain atomic operators"
    );
}

#[test]
fn empty_operands_and_nested_dollar_fields_are_accepted() {
    let (_, changed) = run(ada(), doc! {"$set": {}}).unwrap();
    assert!(!changed);
    let (doc, _) = run(doc! {"_id": 1}, doc! {"$set": {"a.$b": 1}}).unwrap();
    assert_eq!(doc, doc! {"_id": 1, "a": {"$b": 1}});
    assert!(run(doc! {"_id": 1}, doc! {"$set": {"$b": 1}})
        .unwrap_err()
        .starts_with("The dollar ($) prefixed field '$b' in '$b'"));
}

#[test]
fn apply_time_errors_leave_the_document_alone() {
    let doc = doc! {"_id": 3, "age": "85", "n": 1};
    assert_eq!(
        run(doc.clone(), doc! {"$set": {"n": 2}, "$inc": {"age": 1}}).unwrap_err(),
        "Cannot apply $inc to a value of non-numeric type. {_id: 3} has the field 'age' of non-numeric type string"
    );
    assert_eq!(
        run(doc, doc! {"$set": {"_id": 99}}).unwrap_err(),
        "Performing an update on the path '_id' would modify the immutable field '_id'"
    );
    let (_, changed) = run(ada(), doc! {"$set": {"_id": 1}}).unwrap();
    assert!(!changed, "setting _id to its own value is allowed");
}

#[test]
fn positional_operator_uses_the_matched_index() {
    let post = doc! {"_id": 1, "comments": [{"by": 2, "votes": 3}, {"by": 4, "votes": 0}]};
    let with_match = UpdateContext { positional: Some(1), ..ctx() };
    let (doc, _) = run_with(post.clone(), doc! {"$inc": {"comments.$.votes": 1}}, &[], with_match).unwrap();
    assert_eq!(doc.get_array("comments").unwrap(), &vec![bson!({"by": 2, "votes": 3}), bson!({"by": 4, "votes": 1})]);
    assert_eq!(
        run(post, doc! {"$inc": {"comments.$.votes": 1}}).unwrap_err(),
        "The positional operator did not find the match needed from the query."
    );
}

#[test]
fn all_positional_updates_every_element() {
    let doc = doc! {"_id": 1, "scores": [{"s": 1}, {"s": 2}]};
    let (doc, _) = run(doc, doc! {"$set": {"scores.$[].seen": true}}).unwrap();
    assert_eq!(doc.get_array("scores").unwrap(), &vec![bson!({"s": 1, "seen": true}), bson!({"s": 2, "seen": true})]);
    assert_eq!(
        run(ada(), doc! {"$set": {"nothere.$[].x": 1}}).unwrap_err(),
        "The path 'nothere' must exist in the document in order to apply array updates."
    );
    assert_eq!(
        run(ada(), doc! {"$set": {"city.$[]": 1}}).unwrap_err(),
        "Cannot apply array updates to non-array element city: \"London\""
    );
}

#[test]
fn array_filters_select_elements() {
    let doc = doc! {"_id": 4, "scores": [{"score": 90}, {"score": 75}]};
    let filters = [doc! {"s.score": {"$gte": 80}}];
    let (doc, changed) = run_with(doc, doc! {"$set": {"scores.$[s].passed": true}}, &filters, ctx()).unwrap();
    assert!(changed);
    assert_eq!(doc.get_array("scores").unwrap(), &vec![bson!({"score": 90, "passed": true}), bson!({"score": 75})]);
    let scalars = doc! {"_id": 1, "n": [1, 5, 9]};
    let (doc, _) = run_with(scalars, doc! {"$inc": {"n.$[big]": 10}}, &[doc! {"big": {"$gt": 4}}], ctx()).unwrap();
    assert_eq!(doc.get_array("n").unwrap(), &vec![bson!(1), bson!(15), bson!(19)]);
}

#[test]
fn array_filter_identifiers_must_be_defined_and_used() {
    assert_eq!(
        Update::compile_operators(&doc! {"$set": {"a.$[x].b": 1}}, &[]).unwrap_err().message,
        "No array filter found for identifier 'x' in path 'a.$[x].b'"
    );
    assert_eq!(
        Update::compile_operators(&doc! {"$set": {"a": 1}}, &[doc! {"x": 1}]).unwrap_err().message,
        "The array filter for identifier 'x' was not used in the update { $set: { a: 1 } }"
    );
}

#[test]
fn pull_with_conditions() {
    let doc = doc! {"_id": 1, "n": [101, 103, 104], "c": [{"v": 0}, {"v": 3}, 7]};
    let (doc, _) = run(doc, doc! {"$pull": {"n": {"$gte": 103}, "c": {"v": 0}}}).unwrap();
    assert_eq!(doc, doc! {"_id": 1, "n": [101], "c": [{"v": 3}, 7]});
}

#[test]
fn set_on_insert_applies_only_to_upsert_inserts() {
    let update = doc! {"$setOnInsert": {"created": true}, "$set": {"a": 1}};
    let (doc, _) = run(doc! {"_id": 1}, update.clone()).unwrap();
    assert_eq!(doc, doc! {"_id": 1, "a": 1});
    let insert = UpdateContext { is_upsert_insert: true, ..ctx() };
    let (doc, _) = run_with(doc! {"_id": 1}, update, &[], insert).unwrap();
    assert_eq!(doc, doc! {"_id": 1, "a": 1, "created": true});
}

#[test]
fn sorting_pushes_and_current_date_always_count_as_modifications() {
    let sorted = doc! {"_id": 1, "n": [1, 2], "at": bson::DateTime::from_millis(1_700_000_000_000)};
    let (_, changed) = run(sorted.clone(), doc! {"$push": {"n": {"$each": [], "$sort": 1}}}).unwrap();
    assert!(changed);
    let (_, changed) = run(sorted.clone(), doc! {"$push": {"n": {"$each": []}}}).unwrap();
    assert!(!changed);
    let (_, changed) = run(sorted, doc! {"$currentDate": {"at": true}}).unwrap();
    assert!(changed);
}

#[test]
fn current_date_uses_the_context_clock() {
    let (doc, _) = run(doc! {"_id": 1}, doc! {"$currentDate": {"at": true}}).unwrap();
    assert_eq!(doc.get_datetime("at").unwrap(), &ctx().now);
}

#[test]
fn replacement_updates_keep_the_id() {
    let update = Update::compile(&doc! {"name": "x"}, &[]).unwrap();
    assert!(update.is_replacement());
    let mut doc = ada();
    assert!(update.apply(&mut doc, &ctx()).unwrap());
    assert_eq!(doc, doc! {"_id": 1, "name": "x"});
}

#[test]
fn every_operator_has_a_reference_entry() {
    for op in FIELD_OPERATORS.iter().chain(ARRAY_OPERATORS) {
        assert!(update_operators().iter().any(|(name, _, _)| name == op), "{op}");
    }
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn path_part() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a".to_string()),
            Just("b".to_string()),
            Just("0".to_string()),
            Just("3".to_string()),
            Just("$".to_string()),
            Just("$[]".to_string()),
            Just("$[x]".to_string()),
            Just("_id".to_string()),
        ]
    }

    fn value() -> impl Strategy<Value = Bson> {
        let leaf = prop_oneof![
            any::<i32>().prop_map(Bson::Int32),
            Just(Bson::Double(1.5)),
            Just(Bson::String("s".to_string())),
            Just(Bson::Null),
        ];
        leaf.prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Bson::Array),
                prop::collection::vec(("[ab0]", inner), 0..3)
                    .prop_map(|fields| Bson::Document(fields.into_iter().collect())),
            ]
        })
    }

    fn operator() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "$set",
            "$unset",
            "$inc",
            "$mul",
            "$min",
            "$max",
            "$rename",
            "$push",
            "$addToSet",
            "$pop",
            "$pull",
            "$pullAll",
            "$setOnInsert",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any update on any document either succeeds or fails leaving the document untouched; never panics.
        #[test]
        fn updates_never_panic_and_failures_are_atomic(
            doc_value in value(),
            op in operator(),
            parts in prop::collection::vec(path_part(), 1..4),
            arg in value(),
            positional in prop::option::of(0usize..3),
        ) {
            let mut doc = doc! {"_id": 1};
            if let Bson::Document(fields) = doc_value {
                for (k, v) in fields {
                    doc.insert(k, v);
                }
            }
            let arg = if op == "$rename" { Bson::String("b.a".to_string()) } else { arg };
            let mut fields = Document::new();
            fields.insert(parts.join("."), arg);
            let mut update = Document::new();
            update.insert(op, fields);
            let filters = [doc! {"x": {"$gt": 0}}];
            let compiled = Update::compile_operators(&update, &filters)
                .or_else(|_| Update::compile_operators(&update, &[]));
            if let Ok(compiled) = compiled {
                let before = doc.clone();
                let ctx = UpdateContext { positional, ..ctx() };
                if compiled.apply(&mut doc, &ctx).is_err() {
                    prop_assert_eq!(doc, before);
                }
            }
        }
    }
}
