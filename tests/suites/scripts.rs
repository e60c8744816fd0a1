//! The recorded whole programs of `tests/scripts/`: each `.js` runs in both worlds and its transcript must equal
//! the `.out` beside it (exactly when deterministic, with generated values normalised when live).

use crudlab::runtime::transcript::{run_script, RunOptions};

/// One recorded program.
pub struct Script {
    pub name: &'static str,
    pub source: &'static str,
    pub expected: &'static str,
}

macro_rules! scripts {
    ($($name:literal),* $(,)?) => {
        &[$(Script {
            name: $name,
            source: include_str!(concat!("../scripts/", $name, ".js")),
            expected: include_str!(concat!("../scripts/", $name, ".out")),
        }),*]
    };
}

/// Every script in `tests/scripts/` (`tests/scripts.rs` checks that the list names each file there).
pub const ALL: &[Script] = scripts![
    "01-lecture-users-and-courses",
    "02-strict-modes",
    "03-queries-and-casting",
    "04-updates-and-deletes",
    "05-driver-on-modelled-collections",
    "06-catching-errors",
    "07-dates-and-ids",
    "08-documents-new-save-modify",
    "09-schema-methods-virtuals-hooks",
    "10-custom-validators-defaults-getters",
    "11-document-populate",
    "12-express-request-path",
    "13-express-jwt-auth",
    "14-aggregation-pipelines",
    "15-aggregate-builder",
    "16-subdocuments-and-aliases",
    "17-documents-as-json-and-conditional-required",
    "18-sparse-and-ttl-indexes",
    "19-setters-insertmany-and-required-functions",
    "20-documents-printed-getters-and-transforms",
    "21-hydrated-documents-defaults",
    "22-hydrated-subdocument-ids-and-save-delta",
    "23-program-defaults-populated-and-created-documents",
    "24-setter-this-in-subdocuments-and-virtuals",
    "25-replacements-cast-as-new-documents",
    "26-driver-insert-many-elements-and-missing-indexes",
    "27-time-spans-for-expires-and-expires-in",
    "28-default-functions-in-document-array-elements",
    "29-setter-assignments-to-this",
    "30-subdocument-this-get-parent-and-owner",
];

/// The transcript `crudlab run --mirror --calls` prints for a script (a parse error is its transcript too).
pub fn transcript(source: &str, deterministic: bool) -> String {
    let options = RunOptions { deterministic, mirror: true, calls: true };
    run_script(source, options).unwrap_or_else(|parse_error| parse_error) + "\n"
}

/// Runs every script; one message per script whose transcript differs from its recording.
pub fn failures(deterministic: bool) -> Vec<String> {
    let mut failures = Vec::new();
    for script in ALL {
        let actual = transcript(script.source, deterministic);
        let (expected, actual) = if deterministic {
            (script.expected.to_string(), actual)
        } else {
            (super::normalise_generated(script.expected), super::normalise_generated(&actual))
        };
        if expected != actual {
            failures.push(format!(
                "{} ({}) differs from its recording:\n{}",
                script.name,
                if deterministic { "deterministic" } else { "live" },
                super::first_difference(&expected, &actual)
            ));
        }
    }
    failures
}
