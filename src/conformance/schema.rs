//! Runs the `schema` conformance suite (cases recorded from Mongoose 9.12.1) against the schema layer.

use bson::{Bson, Document};
use serde_json::Value;

use super::ejson::{to_bson, to_document};
use super::{same_value, SuiteReport};
use crate::schema::document::{build_document, validate_document, SequentialIds, WriteContext};
use crate::schema::errors::SchemaError;
use crate::schema::trace::Trace;
use crate::schema::update_cast::{cast_update, UpdateOptions};
use crate::schema::validate_update;
use crate::schema::{cast_filter, Model, Schema};

/// The schema suite's score: cases, plus how many expected error messages matched exactly (scored separately).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaSuiteReport {
    pub report: SuiteReport,
    pub messages_matched: usize,
    pub messages_total: usize,
    /// One line per message that differs: case, path, expected, actual.
    pub message_mismatches: Vec<String>,
}

impl SchemaSuiteReport {
    /// The runner's last line, as FORMAT.md asks (`N passed, M failed`), preceded by the message score.
    pub fn summary(&self) -> String {
        format!(
            "messages: {} of {} match exactly\n{} passed, {} failed",
            self.messages_matched,
            self.messages_total,
            self.report.passed,
            self.report.failures.len()
        )
    }
}

impl SchemaSuiteReport {
    /// Scores one message, path or value: a match, or the line saying how it differs.
    fn score(&mut self, matched: bool, mismatch: impl FnOnce() -> String) {
        self.messages_total += 1;
        if matched {
            self.messages_matched += 1;
        } else {
            self.message_mismatches.push(mismatch());
        }
    }
}

/// Runs every case of the schema suite.
pub fn run_schema_suite(json: &str) -> SuiteReport {
    run_schema_suite_scored(json).report
}

/// Runs every case and also scores the error messages.
pub fn run_schema_suite_scored(json: &str) -> SchemaSuiteReport {
    let mut scored = SchemaSuiteReport::default();
    let suite: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            scored.report.failures.push(format!("suite: invalid JSON: {e}"));
            return scored;
        }
    };
    let Some(cases) = suite.get("cases").and_then(Value::as_array) else {
        scored.report.failures.push("suite: no `cases` array".to_string());
        return scored;
    };
    for case in cases {
        let id = case.get("id").and_then(Value::as_str).unwrap_or("?").to_string();
        match run_case(case, &mut scored) {
            Ok(()) => scored.report.passed += 1,
            Err(why) => scored.report.failures.push(format!("{id}: {why}")),
        }
    }
    scored
}

fn field<'a>(case: &'a Value, name: &str) -> Result<&'a Value, String> {
    case.get(name).ok_or_else(|| format!("case has no `{name}`"))
}

fn run_case(case: &Value, scored: &mut SchemaSuiteReport) -> Result<(), String> {
    let id = case.get("id").and_then(Value::as_str).unwrap_or("?");
    let op = field(case, "op")?.as_str().unwrap_or_default();
    let definition = to_document(field(case, "schema")?)?;
    let options = match case.get("options") {
        Some(o) => to_document(o)?,
        None => Document::new(),
    };
    let model_name = case.get("model").and_then(Value::as_str).unwrap_or("User");
    let schema = Schema::new(&definition, &options).map_err(|e| format!("schema rejected: {}", e.message))?;
    let model = Model::new(model_name, schema);
    let input_json = field(case, "input")?;
    let input = to_document(input_json)?;
    let expect = field(case, "expect")?;
    let mut ids = SequentialIds::default();
    // `now` fixes the clock timestamps read; without it a fixed instant keeps runs reproducible.
    let now = match case.get("now").and_then(Value::as_str) {
        Some(text) => bson::DateTime::parse_rfc3339_str(text).map_err(|e| format!("bad now {text:?}: {e}"))?,
        None => bson::DateTime::from_millis(0),
    };
    let run_validators = case.get("runValidators").and_then(Value::as_bool) == Some(true);
    let mut ctx = WriteContext { ids: &mut ids, now };
    let mut trace = Trace::new();

    let outcome: Result<Bson, SchemaError> = match op {
        "create" => build_document(&model, &input, &mut ctx).and_then(|mut built| {
            validate_document(&model, &mut built)?;
            let mut doc = built.document;
            if !built.id_from_input {
                doc.remove("_id");
            }
            Ok(Bson::Document(doc))
        }),
        "castFilter" => cast_filter(&model, &input, &mut ctx, &mut trace).map(Bson::Document),
        "castUpdate" => cast_update(&model, &input, &UpdateOptions::default(), &mut ctx, &mut trace).and_then(|cast| {
            // With `runValidators` the update validators run on what the update sets, as Mongoose's updateOne does.
            if run_validators {
                validate_update(&model, &cast, &mut trace).map_err(SchemaError::Validation)?;
            }
            Ok(Bson::Document(cast))
        }),
        other => return Err(format!("unknown op {other:?}")),
    };

    // A throw is `{"throws", "message"}`; a `message` beside `errors` is the ValidationError's message, not a throw.
    if let Some(expected_name) = expect.get("throws").and_then(Value::as_str) {
        let expected_message = expect.get("message").and_then(Value::as_str).unwrap_or_default();
        let err = match &outcome {
            Ok(v) => return Err(format!("expected {expected_name} to be thrown, got {v}")),
            Err(SchemaError::Validation(v)) => {
                return Err(format!("expected {expected_name} to be thrown, got validation errors: {}", v.message()))
            }
            Err(e) => e,
        };
        scored.score(err.message() == expected_message, || {
            format!("{id}: expected {expected_message:?}, got {:?}", err.message())
        });
        if err.name() != expected_name {
            return Err(format!("expected {expected_name}, got {}: {}", err.name(), err.message()));
        }
        return Ok(());
    }

    if let Some(expected_errors) = expect.get("errors").and_then(Value::as_object) {
        let validation = match &outcome {
            Err(SchemaError::Validation(v)) => v,
            Ok(v) => return Err(format!("expected validation errors, got {v}")),
            Err(e) => return Err(format!("expected validation errors, got {e}")),
        };
        if let Some(expected_message) = expect.get("message").and_then(Value::as_str) {
            scored.score(validation.message() == expected_message, || {
                format!("{id}: expected {expected_message:?}, got {:?}", validation.message())
            });
        }
        let mut problems = Vec::new();
        for (path, expected) in expected_errors {
            let expected_name = expected.get("name").and_then(Value::as_str).unwrap_or_default();
            let expected_kind = expected.get("kind").and_then(Value::as_str).unwrap_or_default();
            let Some(actual) = validation.get(path) else {
                problems.push(format!("missing error at {path}"));
                continue;
            };
            if actual.name() != expected_name || actual.kind() != expected_kind {
                problems.push(format!(
                    "{path}: expected {expected_name}/{expected_kind}, got {}/{}",
                    actual.name(),
                    actual.kind()
                ));
            }
            if let Some(expected_message) = expected.get("message").and_then(Value::as_str) {
                scored.score(actual.message() == expected_message, || {
                    format!("{id} {path}: expected {expected_message:?}, got {:?}", actual.message())
                });
            }
            if let Some(expected_path) = expected.get("path").and_then(Value::as_str) {
                scored.score(actual.path() == expected_path, || {
                    format!("{id} {path}: path expected {expected_path:?}, got {:?}", actual.path())
                });
            }
            if let Some(expected_value) = expected.get("value") {
                let matches = to_bson(expected_value).is_ok_and(|want| same_value(&want, actual.value()));
                scored
                    .score(matches, || format!("{id} {path}: value expected {expected_value}, got {}", actual.value()));
            }
        }
        for (path, _) in &validation.errors {
            if !expected_errors.contains_key(path) {
                problems.push(format!("unexpected error at {path}: {}", validation.message()));
            }
        }
        return if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) };
    }

    let key = if expect.get("doc").is_some() {
        "doc"
    } else if expect.get("filter").is_some() {
        "filter"
    } else if expect.get("update").is_some() {
        "update"
    } else {
        return Err("expectation has no doc/filter/update/errors/throws".to_string());
    };
    let expected = to_bson(field(expect, key)?)?;
    let actual = outcome.map_err(|e| format!("expected a {key}, got {e}"))?;
    if same_value(&expected, &actual) {
        Ok(())
    } else {
        Err(format!("expected {key} {expected}, got {actual}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_suite_passes_with_every_message() {
        let scored = run_schema_suite_scored(include_str!("../../tests/conformance/schema.json"));
        let report = &scored.report;
        assert!(
            report.failures.is_empty() && scored.message_mismatches.is_empty(),
            "{}\nfailures:\n{}\nmessages:\n{}",
            scored.summary(),
            report.failures.join("\n"),
            scored.message_mismatches.join("\n")
        );
        assert!(report.passed > 0);
        assert_eq!(scored.messages_matched, scored.messages_total);
        assert_eq!(run_schema_suite("not json").failures.len(), 1);
    }
}
