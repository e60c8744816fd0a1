//! Evaluation query operators: `$regex`/`$options` (and regex values), `$mod` and `$expr`.

use super::{Leaf, Level, Node};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::engine::expr::Expression;
use crate::engine::path::FieldPath;
use bson::{Bson, Document};

/// A compiled regular expression with MongoDB's option letters, kept with its source for equality with regex values.
///
/// Patterns run on the `regex` crate, which guarantees linear-time matching; PCRE features it lacks
/// (backreferences, lookaround) are rejected at compile time with an explanation.
#[derive(Debug, Clone)]
pub struct RegexMatcher {
    pattern: String,
    options: String,
    compiled: regex::Regex,
}

impl RegexMatcher {
    /// Compiles `pattern` with MongoDB options (`i` case-insensitive, `m` multiline anchors, `s` dot matches
    /// newline, `x` extended/verbose; `u` is accepted and has no effect since matching is always Unicode).
    pub fn new(pattern: &str, options: &str) -> MongoResult<RegexMatcher> {
        let mut flags = String::new();
        for flag in options.chars() {
            match flag {
                'i' | 'm' | 's' | 'x' => {
                    if !flags.contains(flag) {
                        flags.push(flag);
                    }
                }
                'u' => {}
                other => {
                    return Err(MongoError::new(
                        ErrorCode::Location(51108),
                        format!("invalid flag in regex options: {other}"),
                    ));
                }
            }
        }
        if pattern.contains('\0') {
            return Err(MongoError::new(
                ErrorCode::Location(51091),
                "Regular expression is invalid: pattern contains a null byte",
            ));
        }
        let source = if flags.is_empty() { pattern.to_string() } else { format!("(?{flags}){pattern}") };
        let compiled = regex::RegexBuilder::new(&source).size_limit(1 << 20).build().map_err(|e| {
            let reason = match &e {
                regex::Error::CompiledTooBig(_) => "pattern is too large".to_string(),
                other => {
                    let text = other.to_string();
                    let last = text.lines().last().unwrap_or("syntax error").trim();
                    last.strip_prefix("error: ").unwrap_or(last).to_string()
                }
            };
            // The regex crate trades PCRE's backtracking features for guaranteed linear time; say so.
            let note = if reason.contains("not supported") {
                " (crudlab matches regexes in linear time, without backreferences or lookaround)"
            } else {
                ""
            };
            MongoError::new(ErrorCode::Location(51091), format!("Regular expression is invalid: {reason}{note}"))
        })?;
        let mut sorted: Vec<char> = options.chars().collect();
        sorted.sort_unstable();
        Ok(RegexMatcher { pattern: pattern.to_string(), options: sorted.into_iter().collect(), compiled })
    }

    /// The compiled expression, for the aggregation's `$regexMatch` / `$regexFind`.
    pub(crate) fn regex(&self) -> &regex::Regex {
        &self.compiled
    }

    pub fn from_bson_regex(regex: &bson::Regex) -> MongoResult<RegexMatcher> {
        RegexMatcher::new(regex.pattern.as_str(), regex.options.as_str())
    }

    /// A string's text matches by search (what [`RegexMatcher::matches_value`] does for a string).
    pub fn matches_text(&self, text: &str) -> bool {
        self.compiled.is_match(text)
    }

    /// Strings and symbols match by search; a stored regex value matches when pattern and options are the same.
    pub fn matches_value(&self, value: &Bson) -> bool {
        match value {
            Bson::String(s) | Bson::Symbol(s) => self.compiled.is_match(s),
            Bson::RegularExpression(stored) => {
                let mut options: Vec<char> = stored.options.as_str().chars().collect();
                options.sort_unstable();
                stored.pattern.as_str() == self.pattern && options.into_iter().collect::<String>() == self.options
            }
            _ => false,
        }
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }
}

/// Handles `$regex` and `$options` in `{field: {$regex: .., $options: ..}}`: the matcher is built once, at `$regex`.
pub(super) fn parse_regex_document(name: &str, operators: &Document) -> MongoResult<Option<RegexMatcher>> {
    if name == "$options" {
        if operators.contains_key("$regex") {
            return Ok(None);
        }
        return Err(MongoError::bad_value("$options needs a $regex"));
    }
    let mut pattern = String::new();
    let mut options = String::new();
    for (key, value) in operators {
        match key.as_str() {
            "$regex" => match value {
                Bson::String(s) => pattern = s.clone(),
                Bson::RegularExpression(regex) => {
                    pattern = regex.pattern.as_str().to_string();
                    if !regex.options.as_str().is_empty() {
                        if !options.is_empty() {
                            return Err(MongoError::new(
                                ErrorCode::Location(51074),
                                "options set in both $regex and $options",
                            ));
                        }
                        options = regex.options.as_str().to_string();
                    }
                }
                _ => return Err(MongoError::bad_value("$regex has to be a string")),
            },
            "$options" => {
                let Bson::String(s) = value else {
                    return Err(MongoError::bad_value("$options has to be a string"));
                };
                if !options.is_empty() {
                    return Err(MongoError::new(ErrorCode::Location(51075), "options set in both $regex and $options"));
                }
                options = s.clone();
            }
            _ => {}
        }
    }
    RegexMatcher::new(&pattern, &options).map(Some)
}

/// Why a number cannot be used as a 64-bit integer (MongoDB's `tryCoerce` messages).
const NAN_OR_INF: &str = "Unable to coerce NaN/Inf to integral type";
const OUT_OF_BOUNDS: &str = "Out of bounds coercing to integral value";

/// A number truncated toward zero to an i64, or why it cannot be; `None` for non-numbers.
fn to_integral(value: &Bson) -> Option<Result<i64, &'static str>> {
    Some(match value {
        Bson::Int32(i) => Ok(i64::from(*i)),
        Bson::Int64(i) => Ok(*i),
        Bson::Double(_) | Bson::Decimal128(_) => {
            let d = crate::engine::value::as_f64(value).unwrap_or(f64::NAN);
            // 2^63 is the first double beyond i64::MAX.
            if !d.is_finite() {
                Err(NAN_OR_INF)
            } else if d.trunc() >= 9_223_372_036_854_775_808.0 || d.trunc() < -9_223_372_036_854_775_808.0 {
                Err(OUT_OF_BOUNDS)
            } else {
                // In range after the check above, so the cast is exact truncation.
                Ok(d.trunc() as i64)
            }
        }
        _ => return None,
    })
}

pub(super) fn parse_mod(path: &FieldPath, argument: &Bson) -> MongoResult<Node> {
    let Bson::Array(items) = argument else {
        return Err(MongoError::bad_value("malformed mod, needs to be an array"));
    };
    let mut iter = items.iter();
    let Some(divisor) = iter.next() else {
        return Err(MongoError::bad_value("malformed mod, not enough elements"));
    };
    let Some(divisor) = to_integral(divisor) else {
        return Err(MongoError::bad_value("malformed mod, divisor not a number"));
    };
    let Some(remainder) = iter.next() else {
        return Err(MongoError::bad_value("malformed mod, not enough elements"));
    };
    let Some(remainder) = to_integral(remainder) else {
        return Err(MongoError::bad_value("malformed mod, remainder not a number"));
    };
    if iter.next().is_some() {
        return Err(MongoError::bad_value("malformed mod, too many elements"));
    }
    let divisor = divisor.map_err(|why| {
        MongoError::bad_value(format!("malformed mod, divisor value is invalid :: caused by :: {why}"))
    })?;
    let remainder = remainder.map_err(|why| {
        MongoError::bad_value(format!("malformed mod, remainder value is invalid :: caused by :: {why}"))
    })?;
    if divisor == 0 {
        return Err(MongoError::bad_value("divisor cannot be 0"));
    }
    Ok(Node::Path { path: path.clone(), leaf: Leaf::Mod { divisor, remainder } })
}

/// `$mod` on one value: numbers are truncated to integers first (28.5 behaves as 28); NaN and infinities never match.
pub(super) fn mod_matches(value: &Bson, divisor: i64, remainder: i64) -> bool {
    match to_integral(value) {
        Some(Ok(number)) => number.wrapping_rem(divisor) == remainder,
        _ => false,
    }
}

pub(super) fn parse_expr(argument: &Bson, level: Level<'_>) -> MongoResult<Node> {
    match level {
        Level::Sub => Err(MongoError::bad_value("$expr can only be applied to the top-level document")),
        Level::Top(variables) => Ok(Node::Expr(Expression::parse_with_variables(argument, variables)?)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::engine::query::Filter;
    use bson::{doc, Document};

    fn ids(filter: Document) -> Vec<i32> {
        let docs = [
            doc! {"_id": 1, "name": "Ada", "n": 36, "tags": ["math", "Code"]},
            doc! {"_id": 2, "name": "alan", "n": 41.7},
            doc! {"_id": 3, "name": "line1\nline2", "n": -9},
            doc! {"_id": 4, "n": "36"},
        ];
        let f = Filter::compile(&filter).unwrap();
        docs.iter().filter(|d| f.matches(d)).map(|d| d.get_i32("_id").unwrap()).collect()
    }

    #[test]
    fn regex_with_options() {
        assert_eq!(ids(doc! {"name": {"$regex": "^a"}}), vec![2]);
        assert_eq!(ids(doc! {"name": {"$regex": "^a", "$options": "i"}}), vec![1, 2]);
        assert_eq!(ids(doc! {"name": {"$options": "i", "$regex": "^A"}}), vec![1, 2]);
        assert_eq!(ids(doc! {"name": {"$regex": "^line2"}}), Vec::<i32>::new());
        assert_eq!(ids(doc! {"name": {"$regex": "^line2", "$options": "m"}}), vec![3]);
        assert_eq!(ids(doc! {"name": {"$regex": "1.line", "$options": "s"}}), vec![3]);
        assert_eq!(ids(doc! {"name": {"$regex": "a d a", "$options": "ix"}}), vec![1]);
        assert_eq!(ids(doc! {"tags": {"$regex": "^c", "$options": "i"}}), vec![1]);
        let literal =
            bson::Regex { pattern: "^A".to_string().try_into().unwrap(), options: "i".to_string().try_into().unwrap() };
        assert_eq!(ids(doc! {"name": literal}), vec![1, 2]);
    }

    #[test]
    fn regex_errors() {
        let err = |f: Document| Filter::compile(&f).unwrap_err();
        assert_eq!(err(doc! {"a": {"$regex": 5}}).message, "$regex has to be a string");
        assert_eq!(err(doc! {"a": {"$options": "i"}}).message, "$options needs a $regex");
        assert_eq!(err(doc! {"a": {"$regex": "x", "$options": 1}}).message, "$options has to be a string");
        assert_eq!(err(doc! {"a": {"$regex": "(a"}}).code, 51091);
        assert_eq!(err(doc! {"a": {"$regex": "(a)\\1"}}).code, 51091);
        assert_eq!(err(doc! {"a": {"$regex": "(a"}}).message, "Regular expression is invalid: unclosed group");
        assert!(err(doc! {"a": {"$regex": "a(?=b)"}}).message.ends_with("without backreferences or lookaround)"));
        assert_eq!(err(doc! {"a": {"$regex": "a", "$options": "z"}}).message, "invalid flag in regex options: z");
    }

    #[test]
    fn modulo_truncates() {
        assert_eq!(ids(doc! {"n": {"$mod": [5, 1]}}), vec![1, 2]);
        assert_eq!(ids(doc! {"n": {"$mod": [5, -4]}}), vec![3]);
        assert_eq!(ids(doc! {"n": {"$mod": [5.9, 1.2]}}), vec![1, 2]);
        let err = |f: Document| Filter::compile(&f).unwrap_err().message;
        assert_eq!(err(doc! {"n": {"$mod": 5}}), "malformed mod, needs to be an array");
        assert_eq!(err(doc! {"n": {"$mod": [5]}}), "malformed mod, not enough elements");
        assert_eq!(err(doc! {"n": {"$mod": [5, 1, 2]}}), "malformed mod, too many elements");
        assert_eq!(err(doc! {"n": {"$mod": ["5", 1]}}), "malformed mod, divisor not a number");
        assert_eq!(err(doc! {"n": {"$mod": [0, 1]}}), "divisor cannot be 0");
        assert_eq!(err(doc! {"n": {"$mod": ["x", 1, 2]}}), "malformed mod, divisor not a number");
        assert_eq!(
            err(doc! {"n": {"$mod": [f64::NAN, 1]}}),
            "malformed mod, divisor value is invalid :: caused by :: Unable to coerce NaN/Inf to integral type"
        );
        assert_eq!(
            err(doc! {"n": {"$mod": [1e19, 1]}}),
            "malformed mod, divisor value is invalid :: caused by :: Out of bounds coercing to integral value"
        );
    }

    #[test]
    fn expr_compares_fields() {
        assert_eq!(ids(doc! {"$expr": {"$gt": ["$n", 40]}}), vec![2, 4]);
        assert_eq!(ids(doc! {"$expr": {"$eq": [{"$toLower": "$name"}, "ada"]}}), vec![1]);
        assert_eq!(
            Filter::compile(&doc! {"a": {"$elemMatch": {"$expr": {"$eq": [1, 1]}}}}).unwrap_err().message,
            "$expr can only be applied to the top-level document"
        );
    }
}
