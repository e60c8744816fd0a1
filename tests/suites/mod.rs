//! The data-driven suites shared by the native tests and the browser suite (`tests/browser_suites.rs`): the
//! recorded scripts, the catalogue of mistakes, the lessons and the conformance case files, each with its data
//! compiled in (`include_str!`) so the same cases run natively and on wasm32 in headless Chromium.
//!
//! Natively they run deterministic (exact ObjectIds and dates); in the browser with the live generator, as a
//! student's page runs, and the outputs are compared with ObjectIds and dates normalised.
#![allow(dead_code, reason = "each test crate that includes this module uses a part of it")]
#![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

pub mod catalogue;
pub mod conformance;
pub mod fuzz_targets;
pub mod lessons;
pub mod scripts;

/// Replaces every ObjectId (24 hexadecimal digits) with `<oid>`, every ISO-8601 date with `<date>` and every
/// epoch-milliseconds number of this century (`Date.now()`) with `<millis>`: what differs between a deterministic
/// run and a live one. Everything else (shapes, errors, counts, order) stays.
pub fn normalise_generated(text: &str) -> String {
    // Compiled once: the catalogue normalises four messages per mistake.
    static PATTERNS: std::sync::LazyLock<[regex::Regex; 3]> = std::sync::LazyLock::new(|| {
        [
            regex::Regex::new(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})").unwrap(),
            regex::Regex::new(r"\b[0-9a-f]{24}\b").unwrap(),
            regex::Regex::new(r"\b1[0-9]{12}\b").unwrap(),
        ]
    });
    let [dates, ids, millis] = &*PATTERNS;
    let text = dates.replace_all(text, "<date>");
    let text = ids.replace_all(&text, "<oid>");
    millis.replace_all(&text, "<millis>").into_owned()
}

/// The first line where two texts differ, for a readable failure.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let line = expected
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    format!(
        "line {}:\n  expected: {}\n  actual:   {}",
        line + 1,
        expected.lines().nth(line).unwrap_or("<end>"),
        actual.lines().nth(line).unwrap_or("<end>")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_values_are_normalised_and_nothing_else() {
        let text = "ObjectId('659200800000000001000001') at ISODate('2024-01-01T00:00:00.001Z'), 1704067200001, 2024";
        assert_eq!(super::normalise_generated(text), "ObjectId('<oid>') at ISODate('<date>'), <millis>, 2024");
    }
}
