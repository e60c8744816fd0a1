//! The `ms` package's reading of a time span (`"1h"`, `"1.5 days"`, `"-90s"`, `"100"`) in milliseconds: Mongoose's
//! `expires` and jsonwebtoken's `expiresIn` (its `timespan` helper) both go through it.

/// The milliseconds of one unit, by every name `ms` accepts for it (its regular expression, case-insensitive).
const UNITS: &[(&[&str], f64)] = &[
    (&["milliseconds", "millisecond", "msecs", "msec", "ms"], 1.0),
    (&["seconds", "second", "secs", "sec", "s"], 1_000.0),
    (&["minutes", "minute", "mins", "min", "m"], 60_000.0),
    (&["hours", "hour", "hrs", "hr", "h"], 3_600_000.0),
    (&["days", "day", "d"], 86_400_000.0),
    (&["weeks", "week", "w"], 604_800_000.0),
    // `ms` counts a year as 365.25 days.
    (&["years", "year", "yrs", "yr", "y"], 31_557_600_000.0),
];

/// `ms(text)` for a string: `/^(-?(?:\d+)?\.?\d+) *(unit)?$/i`, the number times the unit (milliseconds when none
/// is given); `None` where `ms` answers `undefined` (no match, or more than 100 characters).
pub fn parse(text: &str) -> Option<f64> {
    if text.is_empty() || text.encode_utf16().count() > 100 {
        return None;
    }
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let length = unsigned.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(unsigned.len());
    let digits = unsigned.get(..length)?;
    // `(?:\d+)?\.?\d+`: at most one point, and a digit after it.
    let well_formed = digits.matches('.').count() <= 1 && digits.ends_with(|c: char| c.is_ascii_digit());
    if !well_formed {
        return None;
    }
    let number: f64 = text.get(..text.len() - unsigned.len() + length)?.parse().ok()?;
    let unit = unsigned.get(length..)?.trim_start_matches(' ').to_ascii_lowercase();
    if unit.is_empty() {
        return Some(number);
    }
    UNITS.iter().find(|(names, _)| names.contains(&unit.as_str())).map(|(_, millis)| number * millis)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn spans_read_as_the_ms_package_reads_them() {
        assert_eq!(parse("1h"), Some(3_600_000.0));
        assert_eq!(parse("1.5 Days"), Some(129_600_000.0));
        assert_eq!(parse("100"), Some(100.0));
        assert_eq!(parse(".5s"), Some(500.0));
        assert_eq!(parse("-90s"), Some(-90_000.0));
        assert_eq!(parse("2  yrs"), Some(63_115_200_000.0));
        // What `ms` answers `undefined` for.
        for text in ["", "h", "1.", "1.2.3s", " 1h", "1h ", "1 fortnight", "1\th", "--1s", "5e3"] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        assert_eq!(parse(&"1".repeat(101)), None);
    }
}
