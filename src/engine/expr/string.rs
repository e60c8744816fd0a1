//! Expression string operators: `$concat $toLower $toUpper $substr $substrBytes $substrCP $strLenBytes $strLenCP
//! $split $trim $ltrim $rtrim $indexOfBytes $indexOfCP $strcasecmp $replaceOne $replaceAll $regexMatch $regexFind
//! $regexFindAll`. Lengths and indexes count UTF-8 bytes or code points, as each operator's name says.

use super::{
    argument, as_int32, describe, error, evaluate_all, is_nullish, size_value, type_name_of, Arguments, Call, Context,
    Evaluated, Operator, Parser,
};
use crate::engine::error::MongoResult;
use crate::engine::query::RegexMatcher;
use bson::{Bson, Document};

pub(super) const OPERATORS: &[Operator] = &[
    Operator {
        name: "$concat",
        arguments: Arguments::Any,
        evaluate: concat,
        summary: "Joins strings; null or missing gives null.",
    },
    Operator {
        name: "$toLower",
        arguments: Arguments::Exactly(1),
        evaluate: change_case,
        summary: "Lower-cases ASCII letters (null gives \"\").",
    },
    Operator {
        name: "$toUpper",
        arguments: Arguments::Exactly(1),
        evaluate: change_case,
        summary: "Upper-cases ASCII letters (null gives \"\").",
    },
    Operator {
        name: "$substr",
        arguments: Arguments::Exactly(3),
        evaluate: substr_bytes,
        summary: "Deprecated alias of $substrBytes.",
    },
    Operator {
        name: "$substrBytes",
        arguments: Arguments::Exactly(3),
        evaluate: substr_bytes,
        summary: "Part of a string by UTF-8 byte index and byte count.",
    },
    Operator {
        name: "$substrCP",
        arguments: Arguments::Exactly(3),
        evaluate: substr_code_points,
        summary: "Part of a string by code point index and count.",
    },
    Operator {
        name: "$strLenBytes",
        arguments: Arguments::Exactly(1),
        evaluate: length,
        summary: "The number of UTF-8 bytes of a string.",
    },
    Operator {
        name: "$strLenCP",
        arguments: Arguments::Exactly(1),
        evaluate: length,
        summary: "The number of code points of a string.",
    },
    Operator {
        name: "$split",
        arguments: Arguments::Exactly(2),
        evaluate: split,
        summary: "The parts of a string between a delimiter.",
    },
    Operator {
        name: "$trim",
        arguments: Arguments::Named(parse_trim),
        evaluate: trim,
        summary: "A string without whitespace (or `chars`) at both ends.",
    },
    Operator {
        name: "$ltrim",
        arguments: Arguments::Named(parse_trim),
        evaluate: trim,
        summary: "A string without whitespace (or `chars`) at its start.",
    },
    Operator {
        name: "$rtrim",
        arguments: Arguments::Named(parse_trim),
        evaluate: trim,
        summary: "A string without whitespace (or `chars`) at its end.",
    },
    Operator {
        name: "$indexOfBytes",
        arguments: Arguments::Between(2, 4),
        evaluate: index_of,
        summary: "The byte index of the first occurrence of a substring, or -1.",
    },
    Operator {
        name: "$indexOfCP",
        arguments: Arguments::Between(2, 4),
        evaluate: index_of,
        summary: "The code point index of the first occurrence of a substring, or -1.",
    },
    Operator {
        name: "$strcasecmp",
        arguments: Arguments::Exactly(2),
        evaluate: strcasecmp,
        summary: "Compares two strings ignoring ASCII case: -1, 0 or 1.",
    },
    Operator {
        name: "$replaceOne",
        arguments: Arguments::Named(parse_replace),
        evaluate: replace,
        summary: "Replaces the first occurrence of `find` in `input`.",
    },
    Operator {
        name: "$replaceAll",
        arguments: Arguments::Named(parse_replace),
        evaluate: replace,
        summary: "Replaces every occurrence of `find` in `input`.",
    },
    Operator {
        name: "$regexMatch",
        arguments: Arguments::Named(parse_regex),
        evaluate: regex_match,
        summary: "True when a regular expression matches the string.",
    },
    Operator {
        name: "$regexFind",
        arguments: Arguments::Named(parse_regex),
        evaluate: regex_find,
        summary: "The first match of a regular expression: {match, idx, captures}, or null.",
    },
    Operator {
        name: "$regexFindAll",
        arguments: Arguments::Named(parse_regex),
        evaluate: regex_find_all,
        summary: "Every match of a regular expression, as {match, idx, captures} documents.",
    },
];

/// A value as text the way `$toLower`, `$substr` and `$strcasecmp` read it: numbers and dates are converted,
/// null and missing are the empty string.
pub(crate) fn coerce_to_string(value: Option<&Bson>) -> MongoResult<String> {
    Ok(match value {
        None | Some(Bson::Null | Bson::Undefined) => String::new(),
        Some(Bson::String(s) | Bson::Symbol(s)) => s.clone(),
        Some(Bson::Int32(i)) => i.to_string(),
        Some(Bson::Int64(i)) => i.to_string(),
        Some(Bson::Double(d)) => crate::js::inspect::js_number(*d),
        Some(Bson::Decimal128(d)) => d.to_string(),
        Some(Bson::DateTime(d)) => crate::js::mongosh_format::iso_millis(d.timestamp_millis()),
        Some(Bson::Timestamp(ts)) => format!("Timestamp({}, {})", ts.time, ts.increment),
        Some(other) => {
            return Err(error(16007, format!("can't convert from BSON type {} to String", type_name_of(Some(other)))))
        }
    })
}

fn concat(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let mut out = String::new();
    for value in evaluate_all(&call.args, context)? {
        match value {
            None | Some(Bson::Null | Bson::Undefined) => return Ok(Some(Bson::Null)),
            Some(Bson::String(s)) => {
                out.push_str(&s);
                if out.len() > super::MAX_VALUE_BYTES {
                    break;
                }
            }
            Some(other) => {
                return Err(error(16702, format!("$concat only supports strings, not {}", type_name_of(Some(&other)))))
            }
        }
    }
    Ok(Some(context.built(Bson::String(out))?))
}

fn change_case(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    // MongoDB changes case for ASCII letters only.
    let text = coerce_to_string(argument(call, 0, context)?.as_ref())?;
    Ok(Some(Bson::String(if call.operator.name == "$toLower" {
        text.to_ascii_lowercase()
    } else {
        text.to_ascii_uppercase()
    })))
}

fn substr_bytes(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let name = "$substrBytes";
    let text = coerce_to_string(argument(call, 0, context)?.as_ref())?;
    let start = argument(call, 1, context)?;
    let count = argument(call, 2, context)?;
    let Some(start) = start.as_ref().filter(|v| crate::engine::value::is_number(v)).and_then(super::as_integer) else {
        return Err(error(
            16034,
            format!("{name}: starting index must be a numeric type (is BSON type {})", type_name_of(start.as_ref())),
        ));
    };
    let Some(count) = count.as_ref().filter(|v| crate::engine::value::is_number(v)).and_then(super::as_integer) else {
        return Err(error(
            16035,
            format!("{name}: length must be a numeric type (is BSON type {})", type_name_of(count.as_ref())),
        ));
    };
    let len = text.len();
    // A negative start gives the empty string; a negative length means "to the end".
    let Ok(start) = usize::try_from(start) else { return Ok(Some(Bson::String(String::new()))) };
    if start >= len {
        return Ok(Some(Bson::String(String::new())));
    }
    let end = match usize::try_from(count) {
        Ok(count) => start.saturating_add(count).min(len),
        Err(_) => len,
    };
    if !text.is_char_boundary(start) {
        return Err(error(28656, format!("{name}:  Invalid range, starting index is a UTF-8 continuation byte.")));
    }
    if !text.is_char_boundary(end) {
        return Err(error(
            28657,
            format!("{name}:  Invalid range, ending index is in the middle of a UTF-8 character."),
        ));
    }
    Ok(Some(Bson::String(text.get(start..end).unwrap_or_default().to_string())))
}

fn substr_code_points(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let text = coerce_to_string(argument(call, 0, context)?.as_ref())?;
    let start = argument(call, 1, context)?;
    let count = argument(call, 2, context)?;
    let Some(start_value) = start.as_ref().filter(|v| crate::engine::value::is_number(v)) else {
        return Err(error(
            34450,
            format!("$substrCP: starting index must be a numeric type (is BSON type {})", type_name_of(start.as_ref())),
        ));
    };
    let Some(count_value) = count.as_ref().filter(|v| crate::engine::value::is_number(v)) else {
        return Err(error(
            34451,
            format!("$substrCP: length must be a numeric type (is BSON type {})", type_name_of(count.as_ref())),
        ));
    };
    let Some(start) = as_int32(start_value) else {
        return Err(error(
            34452,
            format!(
                "$substrCP: starting index cannot be represented as a 32-bit integral value: {}",
                describe(Some(start_value))
            ),
        ));
    };
    let Some(count) = as_int32(count_value) else {
        return Err(error(
            34453,
            format!(
                "$substrCP: length cannot be represented as a 32-bit integral value: {}",
                describe(Some(count_value))
            ),
        ));
    };
    if start < 0 {
        return Err(error(34455, format!("$substrCP: starting index must be non-negative (got: {start})")));
    }
    if count < 0 {
        return Err(error(34454, format!("$substrCP: length must be a nonnegative integer (got: {count})")));
    }
    let taken: String =
        text.chars().skip(usize::try_from(start).unwrap_or(0)).take(usize::try_from(count).unwrap_or(0)).collect();
    Ok(Some(Bson::String(taken)))
}

fn length(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let name = call.operator.name;
    match argument(call, 0, context)? {
        Some(Bson::String(s)) => Ok(Some(size_value(if name == "$strLenCP" { s.chars().count() } else { s.len() }))),
        other => Err(error(
            if name == "$strLenCP" { 34471 } else { 34473 },
            format!("{name} requires a string argument, found: {}", type_name_of(other.as_ref())),
        )),
    }
}

fn split(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let text = argument(call, 0, context)?;
    let delimiter = argument(call, 1, context)?;
    if is_nullish(text.as_ref()) {
        return Ok(Some(Bson::Null));
    }
    let Some(Bson::String(text)) = text else {
        return Err(error(
            40085,
            format!(
                "$split requires an expression that evaluates to a string as a first argument, found: {}",
                type_name_of(text.as_ref())
            ),
        ));
    };
    let Some(Bson::String(delimiter)) = delimiter else {
        return Err(error(
            40086,
            format!(
                "$split requires an expression that evaluates to a string as a second argument, found: {}",
                type_name_of(delimiter.as_ref())
            ),
        ));
    };
    if delimiter.is_empty() {
        return Err(error(40087, "$split requires a non-empty separator"));
    }
    let mut parts = Vec::new();
    let mut size = 0;
    for part in text.split(delimiter.as_str()) {
        super::grow(&mut size, part.len() + 16)?;
        parts.push(Bson::String(part.to_string()));
    }
    context.account(size)?;
    Ok(Some(Bson::Array(parts)))
}

/// `$trim`'s arguments: `input`, then `chars` (omitted when absent).
fn parse_trim(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let name = operator.name;
    let Bson::Document(spec) = argument else {
        return Err(error(
            50696,
            format!("{name} only supports an object as an argument, found: {}", type_name_of(Some(argument))),
        ));
    };
    for key in spec.keys() {
        if !matches!(key.as_str(), "input" | "chars") {
            return Err(error(50694, format!("{name} found an unknown argument: {key}")));
        }
    }
    let Some(input) = spec.get("input") else {
        return Err(error(50695, format!("{name} requires an 'input' field")));
    };
    let args = vec![parser.expression(input)?, parser.optional(spec.get("chars"))?];
    Ok(Call { operator, args, bound: Vec::new() })
}

/// What `$trim` removes by default: the whitespace MongoDB lists (NUL, ASCII space and controls, and Unicode spaces).
fn is_default_trim(c: char) -> bool {
    matches!(
        c,
        '\0' | ' ' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

fn trim(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let name = call.operator.name;
    let input = argument(call, 0, context)?;
    let chars = match call.args.get(1) {
        Some(chars) if !chars.is_omitted() => Some(chars.eval(context)?),
        _ => None,
    };
    if is_nullish(input.as_ref()) || chars.as_ref().is_some_and(|c| is_nullish(c.as_ref())) {
        return Ok(Some(Bson::Null));
    }
    let Some(Bson::String(text)) = &input else {
        return Err(error(
            50699,
            format!(
                "{name} requires its input to be a string, got {} (of type {}) instead.",
                describe(input.as_ref()),
                type_name_of(input.as_ref())
            ),
        ));
    };
    let set: Option<Vec<char>> = match chars {
        Some(Some(Bson::String(chars))) => Some(chars.chars().collect()),
        Some(other) => {
            return Err(error(
                50700,
                format!(
                    "{name} requires 'chars' to be a string, got {} (of type {}) instead.",
                    describe(other.as_ref()),
                    type_name_of(other.as_ref())
                ),
            ))
        }
        None => None,
    };
    let removable = |c: char| set.as_ref().map_or_else(|| is_default_trim(c), |set| set.contains(&c));
    let trimmed = match name {
        "$ltrim" => text.trim_start_matches(removable),
        "$rtrim" => text.trim_end_matches(removable),
        _ => text.trim_matches(removable),
    };
    Ok(Some(Bson::String(trimmed.to_string())))
}

fn index_of(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let name = call.operator.name;
    let code_points = name == "$indexOfCP";
    let text = argument(call, 0, context)?;
    if is_nullish(text.as_ref()) {
        return Ok(Some(Bson::Null));
    }
    let Some(Bson::String(text)) = text else {
        return Err(error(
            40091,
            format!("{name} requires a string as the first argument, found: {}", type_name_of(text.as_ref())),
        ));
    };
    let needle = argument(call, 1, context)?;
    let Some(Bson::String(needle)) = needle else {
        return Err(error(
            40092,
            format!("{name} requires a string as the second argument, found: {}", type_name_of(needle.as_ref())),
        ));
    };
    let units: Vec<usize> =
        if code_points { text.char_indices().map(|(at, _)| at).collect() } else { (0..text.len()).collect() };
    let mut bounds = [0usize, units.len()];
    for (slot, (index, which)) in bounds.iter_mut().zip([(2, "starting"), (3, "ending")]) {
        if call.args.len() <= index {
            continue;
        }
        let value = argument(call, index, context)?;
        let Some(n) = value.as_ref().and_then(as_int32) else {
            return Err(error(
                40096,
                format!(
                    "{name} requires an integral {which} index, found a value of type: {}, with value: {}",
                    type_name_of(value.as_ref()),
                    describe(value.as_ref())
                ),
            ));
        };
        if n < 0 {
            return Err(error(40097, format!("{name} requires a nonnegative {which} index, found: {n}")));
        }
        *slot = usize::try_from(n).unwrap_or(0);
    }
    let [start, end] = bounds;
    let end = end.min(units.len());
    for position in start..end {
        let Some(&at) = units.get(position) else { break };
        let rest = text.get(at..).unwrap_or_default();
        let fits = match units.get(end) {
            Some(&limit) => at + needle.len() <= limit,
            None => true,
        };
        if fits && rest.starts_with(needle.as_str()) {
            return Ok(Some(size_value(position)));
        }
    }
    // An empty needle is found at the start when the start is within the string.
    if needle.is_empty() && start <= units.len() && start <= end {
        return Ok(Some(size_value(start)));
    }
    Ok(Some(Bson::Int32(-1)))
}

fn strcasecmp(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let a = coerce_to_string(argument(call, 0, context)?.as_ref())?.to_ascii_lowercase();
    let b = coerce_to_string(argument(call, 1, context)?.as_ref())?.to_ascii_lowercase();
    Ok(Some(Bson::Int32(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    })))
}

/// `$replaceOne` / `$replaceAll`: arguments `input`, `find`, `replacement`.
fn parse_replace(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let name = operator.name;
    let Bson::Document(spec) = argument else {
        return Err(error(
            51751,
            format!("{name} requires an object as an argument, found: {}", type_name_of(Some(argument))),
        ));
    };
    for key in spec.keys() {
        if !matches!(key.as_str(), "input" | "find" | "replacement") {
            return Err(error(51750, format!("{name} found an unknown argument: {key}")));
        }
    }
    let mut args = Vec::with_capacity(3);
    for (key, code) in [("input", 51749), ("find", 51748), ("replacement", 51747)] {
        let Some(value) = spec.get(key) else {
            return Err(error(code, format!("{name} requires '{key}' to be specified")));
        };
        args.push(parser.expression(value)?);
    }
    Ok(Call { operator, args, bound: Vec::new() })
}

fn replace(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let name = call.operator.name;
    let mut texts = Vec::with_capacity(3);
    for (index, (key, code)) in [("input", 51746), ("find", 51745), ("replacement", 51744)].into_iter().enumerate() {
        match argument(call, index, context)? {
            value if is_nullish(value.as_ref()) => return Ok(Some(Bson::Null)),
            Some(Bson::String(text)) => texts.push(text),
            other => {
                return Err(error(
                    code,
                    format!("{name} requires that '{key}' be a string, found: {}", describe(other.as_ref())),
                ))
            }
        }
    }
    let [input, find, replacement] = <[String; 3]>::try_from(texts).unwrap_or_default();
    let out = if name == "$replaceOne" {
        input.replacen(find.as_str(), &replacement, 1)
    } else {
        input.replace(find.as_str(), &replacement)
    };
    Ok(Some(context.built(Bson::String(out))?))
}

/// `$regexMatch` / `$regexFind` / `$regexFindAll`: arguments `input`, `regex`, `options` (omitted when absent).
fn parse_regex(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let name = operator.name;
    let Bson::Document(spec) = argument else {
        return Err(error(
            51103,
            format!("{name} expects an object of named arguments but found: {}", type_name_of(Some(argument))),
        ));
    };
    for key in spec.keys() {
        if !matches!(key.as_str(), "input" | "regex" | "options") {
            return Err(error(31024, format!("{name} found an unknown argument: {key}")));
        }
    }
    let Some(input) = spec.get("input") else {
        return Err(error(31022, format!("{name} requires 'input' parameter")));
    };
    let Some(regex) = spec.get("regex") else {
        return Err(error(31023, format!("{name} requires 'regex' parameter")));
    };
    let args = vec![parser.expression(input)?, parser.expression(regex)?, parser.optional(spec.get("options"))?];
    Ok(Call { operator, args, bound: Vec::new() })
}

/// The input text and compiled expression of a regex call, or `None` when the input or regex is null.
fn regex_arguments(call: &Call, context: &mut Context<'_>) -> MongoResult<Option<(String, RegexMatcher)>> {
    let name = call.operator.name;
    let input = argument(call, 0, context)?;
    let regex = argument(call, 1, context)?;
    let options = match call.args.get(2) {
        Some(options) if !options.is_omitted() => options.eval(context)?,
        _ => None,
    };
    if is_nullish(input.as_ref()) || is_nullish(regex.as_ref()) {
        return Ok(None);
    }
    let Some(Bson::String(text)) = input else {
        return Err(error(51104, format!("{name} needs 'input' to be of type string")));
    };
    let options = match options {
        None | Some(Bson::Null | Bson::Undefined) => String::new(),
        Some(Bson::String(options)) => options,
        Some(_) => return Err(error(51106, format!("{name} needs 'options' to be of type string"))),
    };
    let matcher = match regex {
        Some(Bson::String(pattern)) => RegexMatcher::new(&pattern, &options)?,
        Some(Bson::RegularExpression(regex)) => {
            if !options.is_empty() && !regex.options.as_str().is_empty() {
                return Err(error(
                    51107,
                    format!("{name}: found regex option(s) specified in both 'regex' and 'option' fields"),
                ));
            }
            let combined = format!("{}{options}", regex.options.as_str());
            RegexMatcher::new(regex.pattern.as_str(), &combined)?
        }
        _ => return Err(error(51105, format!("{name} needs 'regex' to be of type string or regex"))),
    };
    Ok(Some((text, matcher)))
}

fn regex_match(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((text, matcher)) = regex_arguments(call, context)? else { return Ok(Some(Bson::Boolean(false))) };
    Ok(Some(Bson::Boolean(matcher.regex().is_match(&text))))
}

/// One match as MongoDB reports it: the text, its code point index, and the captured groups (null when a group
/// did not take part).
fn match_document(text: &str, captures: &regex::Captures<'_>) -> Bson {
    let whole = captures.get(0);
    let mut doc = Document::new();
    doc.insert("match", whole.map_or("", |m| m.as_str()));
    let index = whole.map_or(0, |m| text.get(..m.start()).unwrap_or_default().chars().count());
    doc.insert("idx", size_value(index));
    let groups: Vec<Bson> = captures
        .iter()
        .skip(1)
        .map(|group| group.map_or(Bson::Null, |g| Bson::String(g.as_str().to_string())))
        .collect();
    doc.insert("captures", groups);
    Bson::Document(doc)
}

fn regex_find(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((text, matcher)) = regex_arguments(call, context)? else { return Ok(Some(Bson::Null)) };
    Ok(Some(matcher.regex().captures(&text).map_or(Bson::Null, |captures| match_document(&text, &captures))))
}

fn regex_find_all(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some((text, matcher)) = regex_arguments(call, context)? else { return Ok(Some(Bson::Array(Vec::new()))) };
    let mut out = Vec::new();
    for captures in matcher.regex().captures_iter(&text) {
        context.spend(1)?;
        out.push(match_document(&text, &captures));
    }
    Ok(Some(context.built(Bson::Array(out))?))
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn eval(e: Bson) -> String {
        show(eval_on(
            e,
            &doc! {"first": "Ada", "last": "Lovelace", "n": 5, "z": null, "cafe": "café", "padded": "  hi \n"},
        ))
    }

    #[test]
    fn concat_and_case() {
        assert_eq!(eval(bson!({"$concat": ["$first", " ", "$last"]})), "\"Ada Lovelace\"");
        assert_eq!(eval(bson!({"$concat": ["$first", "$nope"]})), "null");
        assert_eq!(eval(bson!({"$concat": ["$first", "$n"]})), "error: $concat only supports strings, not int");
        assert_eq!(eval(bson!({"$toLower": "$first"})), "\"ada\"");
        assert_eq!(eval(bson!({"$toUpper": ["$last"]})), "\"LOVELACE\"");
        assert_eq!(eval(bson!({"$toUpper": "$nope"})), "\"\"");
        assert_eq!(eval(bson!({"$toLower": "$n"})), "\"5\"");
    }

    #[test]
    fn substrings_and_lengths() {
        assert_eq!(eval(bson!({"$substrCP": ["$last", 0, 4]})), "\"Love\"");
        assert_eq!(eval(bson!({"$substrCP": ["$cafe", 3, 1]})), "\"é\"");
        assert_eq!(eval(bson!({"$substrBytes": ["$cafe", 3, 2]})), "\"é\"");
        assert_eq!(
            eval(bson!({"$substrBytes": ["$cafe", 4, 1]})),
            "error: $substrBytes:  Invalid range, starting index is a UTF-8 continuation byte."
        );
        assert_eq!(eval(bson!({"$substr": ["$last", 4, -1]})), "\"lace\"");
        assert_eq!(
            eval(bson!({"$substrCP": ["$last", "x", 1]})),
            "error: $substrCP: starting index must be a numeric type (is BSON type string)"
        );
        assert_eq!(eval(bson!({"$strLenCP": "$cafe"})), "4");
        assert_eq!(eval(bson!({"$strLenBytes": "$cafe"})), "5");
        assert_eq!(eval(bson!({"$strLenCP": "$n"})), "error: $strLenCP requires a string argument, found: int");
    }

    #[test]
    fn split_trim_index_and_compare() {
        assert_eq!(eval(bson!({"$split": ["a-b-c", "-"]})), "[ \"a\", \"b\", \"c\" ]");
        assert_eq!(eval(bson!({"$split": ["$z", "-"]})), "null");
        assert_eq!(eval(bson!({"$split": ["abc", ""]})), "error: $split requires a non-empty separator");
        assert_eq!(eval(bson!({"$trim": {"input": "$padded"}})), "\"hi\"");
        assert_eq!(eval(bson!({"$ltrim": {"input": "$padded"}})), "\"hi \n\"");
        assert_eq!(eval(bson!({"$rtrim": {"input": "xxhixx", "chars": "x"}})), "\"xxhi\"");
        assert_eq!(
            eval(bson!({"$trim": {"input": 1}})),
            "error: $trim requires its input to be a string, got 1 (of type int) instead."
        );
        assert_eq!(eval(bson!({"$indexOfCP": ["$cafe", "é"]})), "3");
        assert_eq!(eval(bson!({"$indexOfBytes": ["$cafe", "é"]})), "3");
        assert_eq!(eval(bson!({"$indexOfCP": ["$last", "e", 4]})), "7");
        assert_eq!(eval(bson!({"$indexOfCP": ["$last", "q"]})), "-1");
        assert_eq!(eval(bson!({"$strcasecmp": ["ADA", "$first"]})), "0");
        assert_eq!(eval(bson!({"$strcasecmp": ["b", "a"]})), "1");
    }

    #[test]
    fn replace_and_regex() {
        assert_eq!(eval(bson!({"$replaceAll": {"input": "a.b.c", "find": ".", "replacement": "/"}})), "\"a/b/c\"");
        assert_eq!(eval(bson!({"$replaceOne": {"input": "a.b.c", "find": ".", "replacement": "/"}})), "\"a/b.c\"");
        assert_eq!(eval(bson!({"$replaceOne": {"input": "$z", "find": ".", "replacement": "/"}})), "null");
        assert_eq!(eval(bson!({"$regexMatch": {"input": "$last", "regex": "^love", "options": "i"}})), "true");
        assert_eq!(eval(bson!({"$regexMatch": {"input": "$z", "regex": "x"}})), "false");
        assert_eq!(
            eval(bson!({"$regexFind": {"input": "$cafe", "regex": "(f)(x)?é"}})),
            "{ match: \"fé\", idx: 2, captures: [ \"f\", null ] }"
        );
        assert_eq!(
            eval(bson!({"$regexFindAll": {"input": "a1b22", "regex": "[0-9]+"}})),
            "[ { match: \"1\", idx: 1, captures: [] }, { match: \"22\", idx: 3, captures: [] } ]"
        );
        assert_eq!(
            eval(bson!({"$regexMatch": {"input": "$n", "regex": "x"}})),
            "error: $regexMatch needs 'input' to be of type string"
        );
    }
}
