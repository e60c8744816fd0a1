//! JavaScript value formatting that Mongoose messages depend on: `String(v)`, `typeof`/constructor names and Node's `util.inspect`.

use super::dates::civil_from_days;
use bson::Bson;

/// Node's default `util.inspect` options that matter here.
const INSPECT_DEPTH: usize = 2;
const BREAK_LENGTH: usize = 128;
const COMPACT: usize = 3;
const MAX_ARRAY_LENGTH: usize = 100;

/// Formats a number as JavaScript's `Number.prototype.toString()` does (`-0` prints as `0`).
pub fn js_number(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    // `{:e}` yields the shortest round-trip digits, e.g. "3.66e1"; rebuild JS's layout from them.
    let formatted = format!("{:e}", x.abs());
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((formatted.as_str(), "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i64;
    let n = exponent + 1;
    let sign = if x < 0.0 { "-" } else { "" };
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let (first, rest) = digits.split_at(1);
        let exp_sign = if n > 0 { "+" } else { "-" };
        if rest.is_empty() {
            format!("{first}e{exp_sign}{}", (n - 1).abs())
        } else {
            format!("{first}.{rest}e{exp_sign}{}", (n - 1).abs())
        }
    };
    format!("{sign}{body}")
}

/// A BSON number as JavaScript sees it (every number is a double), if the value is numeric.
pub fn js_number_value(value: &Bson) -> Option<f64> {
    match value {
        Bson::Int32(i) => Some(f64::from(*i)),
        Bson::Int64(i) => Some(*i as f64),
        Bson::Double(d) => Some(*d),
        _ => None,
    }
}

/// The BSON the Node driver writes for a JavaScript number: Int32 when integral and in range, else Double.
pub fn number_to_bson(x: f64) -> Bson {
    if x.fract() == 0.0 && x >= f64::from(i32::MIN) && x <= f64::from(i32::MAX) && !(x == 0.0 && x.is_sign_negative()) {
        Bson::Int32(x as i32)
    } else {
        Bson::Double(x)
    }
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `Date.prototype.toString()` in UTC, e.g. `Wed Jan 01 2020 00:00:00 GMT+0000 (Coordinated Universal Time)`.
pub fn js_date_string(date: &bson::DateTime) -> String {
    let millis = date.timestamp_millis();
    let days = millis.div_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let secs_of_day = millis.rem_euclid(86_400_000) / 1000;
    let weekday = WEEKDAYS.get(days.rem_euclid(7) as usize).copied().unwrap_or("Thu");
    let month_name = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    format!(
        "{weekday} {month_name} {day:02} {year:04} {:02}:{:02}:{:02} GMT+0000 (Coordinated Universal Time)",
        secs_of_day / 3600,
        (secs_of_day / 60) % 60,
        secs_of_day % 60
    )
}

/// `Date.prototype.toISOString()`.
pub fn js_date_iso(date: &bson::DateTime) -> String {
    let millis = date.timestamp_millis();
    let days = millis.div_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let ms_of_day = millis.rem_euclid(86_400_000);
    let secs = ms_of_day / 1000;
    let year_text = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else if year < 0 {
        format!("-{:06}", -year)
    } else {
        format!("+{year:06}")
    };
    format!(
        "{year_text}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        ms_of_day % 1000
    )
}

/// JavaScript's `String(value)` for a value as Mongoose holds it.
pub fn js_string(value: &Bson) -> String {
    js_string_at(value, 0)
}

/// Nested arrays deeper than this print as empty, so hostile input cannot exhaust the stack.
const MAX_STRING_DEPTH: usize = 64;

fn js_string_at(value: &Bson, depth: usize) -> String {
    match value {
        Bson::String(s) => s.clone(),
        Bson::Null => "null".to_string(),
        Bson::Undefined => "undefined".to_string(),
        Bson::Boolean(b) => b.to_string(),
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => js_number(js_number_value(value).unwrap_or(f64::NAN)),
        Bson::ObjectId(oid) => oid.to_hex(),
        Bson::DateTime(date) => js_date_string(date),
        Bson::RegularExpression(re) => format!("/{}/{}", re.pattern, re.options),
        Bson::Array(items) => items
            .iter()
            .map(|item| match item {
                Bson::Null | Bson::Undefined => String::new(),
                _ if depth >= MAX_STRING_DEPTH => String::new(),
                other => js_string_at(other, depth + 1),
            })
            .collect::<Vec<_>>()
            .join(","),
        Bson::Document(_) => "[object Object]".to_string(),
        Bson::Binary(bin) => String::from_utf8_lossy(&bin.bytes).into_owned(),
        Bson::Decimal128(d) => d.to_string(),
        other => other.to_string(),
    }
}

/// The type name a Mongoose `CastError` reports: `typeof` for primitives, the constructor name for objects.
pub fn js_value_type(value: &Bson) -> String {
    match value {
        Bson::Null => "null",
        Bson::Undefined => "undefined",
        Bson::String(_) => "string",
        Bson::Boolean(_) => "boolean",
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => "number",
        Bson::Document(_) => "Object",
        Bson::Array(_) => "Array",
        Bson::ObjectId(_) => "ObjectId",
        Bson::DateTime(_) => "Date",
        Bson::RegularExpression(_) => "RegExp",
        Bson::Binary(_) => "Buffer",
        Bson::Decimal128(_) => "Decimal128",
        Bson::Timestamp(_) => "Timestamp",
        _ => "Object",
    }
    .to_string()
}

/// Quotes a string as `util.inspect` does: single quotes unless the text holds one, then double quotes or backticks.
pub fn inspect_string(text: &str) -> String {
    let quote = if !text.contains('\'') {
        '\''
    } else if !text.contains('"') {
        '"'
    } else if !text.contains('`') && !text.contains("${") {
        '`'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

struct InspectContext {
    indentation: usize,
    current_depth: usize,
}

/// Node's `util.inspect(value)` with default options (depth 2, breakLength 128, compact 3).
pub fn inspect(value: &Bson) -> String {
    let mut ctx = InspectContext { indentation: 0, current_depth: 0 };
    format_value(&mut ctx, value, 0)
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn format_value(ctx: &mut InspectContext, value: &Bson, recurse_times: usize) -> String {
    match value {
        Bson::String(s) => inspect_string(s),
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => {
            let x = js_number_value(value).unwrap_or(f64::NAN);
            if x == 0.0 && x.is_sign_negative() {
                "-0".to_string()
            } else {
                js_number(x)
            }
        }
        Bson::Boolean(b) => b.to_string(),
        Bson::Null => "null".to_string(),
        Bson::Undefined => "undefined".to_string(),
        Bson::ObjectId(oid) => format!("new ObjectId('{}')", oid.to_hex()),
        Bson::DateTime(date) => js_date_iso(date),
        Bson::RegularExpression(re) => format!("/{}/{}", re.pattern, re.options),
        Bson::Binary(bin) => {
            let shown: Vec<String> = bin.bytes.iter().take(50).map(|b| format!("{b:02x}")).collect();
            let more = bin.bytes.len().saturating_sub(50);
            if more > 0 {
                format!("<Buffer {} ... {more} more bytes>", shown.join(" "))
            } else if shown.is_empty() {
                "<Buffer >".to_string()
            } else {
                format!("<Buffer {}>", shown.join(" "))
            }
        }
        Bson::Array(items) => {
            if items.is_empty() {
                return "[]".to_string();
            }
            if recurse_times > INSPECT_DEPTH {
                return "[Array]".to_string();
            }
            let level = recurse_times + 1;
            ctx.current_depth = level;
            let mut output = Vec::new();
            for item in items.iter().take(MAX_ARRAY_LENGTH) {
                ctx.indentation += 2;
                output.push(format_value(ctx, item, level));
                ctx.indentation -= 2;
            }
            if items.len() > MAX_ARRAY_LENGTH {
                let more = items.len() - MAX_ARRAY_LENGTH;
                output.push(format!("... {more} more item{}", if more > 1 { "s" } else { "" }));
            }
            reduce_to_single_string(ctx, output, ("[", "]"), Some(items), level)
        }
        Bson::Document(doc) => {
            if doc.is_empty() {
                return "{}".to_string();
            }
            if recurse_times > INSPECT_DEPTH {
                return "[Object]".to_string();
            }
            let level = recurse_times + 1;
            ctx.current_depth = level;
            let mut output = Vec::new();
            for (key, item) in doc {
                ctx.indentation += 2;
                let text = format_value(ctx, item, level);
                ctx.indentation -= 2;
                let name = if is_identifier(key) { key.clone() } else { inspect_string(key) };
                output.push(format!("{name}: {text}"));
            }
            reduce_to_single_string(ctx, output, ("{", "}"), None, level)
        }
        other => other.to_string(),
    }
}

fn reduce_to_single_string(
    ctx: &mut InspectContext,
    output: Vec<String>,
    braces: (&str, &str),
    array: Option<&Vec<Bson>>,
    recurse_times: usize,
) -> String {
    let entries = output.len();
    let output = match array {
        Some(items) if entries > 6 => group_array_elements(ctx, output, items),
        _ => output,
    };
    if ctx.current_depth.saturating_sub(recurse_times) < COMPACT && entries == output.len() {
        let start = output.len() + ctx.indentation + braces.0.len() + 10;
        if is_below_break_length(&output, start) {
            let joined = output.join(", ");
            if !joined.contains('\n') {
                return format!("{} {} {}", braces.0, joined, braces.1);
            }
        }
    }
    let indentation = format!("\n{}", " ".repeat(ctx.indentation));
    format!("{}{indentation}  {}{indentation}{}", braces.0, output.join(&format!(",{indentation}  ")), braces.1)
}

fn is_below_break_length(output: &[String], start: usize) -> bool {
    let mut total = output.len() + start;
    if total + output.len() > BREAK_LENGTH {
        return false;
    }
    for entry in output {
        total += entry.chars().count();
        if total > BREAK_LENGTH {
            return false;
        }
    }
    true
}

fn group_array_elements(ctx: &InspectContext, output: Vec<String>, items: &[Bson]) -> Vec<String> {
    let mut output_length = output.len();
    if items.len() > MAX_ARRAY_LENGTH {
        output_length -= 1;
    }
    let separator_space = 2;
    let data_len: Vec<usize> = output.iter().take(output_length).map(|s| s.chars().count()).collect();
    let total_length: usize = data_len.iter().map(|len| len + separator_space).sum();
    let max_length = data_len.iter().copied().max().unwrap_or(0);
    let actual_max = max_length + separator_space;
    if actual_max * 3 + ctx.indentation < BREAK_LENGTH
        && (total_length as f64 / actual_max as f64 > 5.0 || max_length <= 6)
    {
        let average_bias = (actual_max as f64 - total_length as f64 / output.len() as f64).sqrt();
        let biased_max = (actual_max as f64 - 3.0 - average_bias).max(1.0);
        let columns = [
            ((2.5 * biased_max * output_length as f64).sqrt() / biased_max).round() as usize,
            (BREAK_LENGTH.saturating_sub(ctx.indentation)) / actual_max,
            COMPACT * 4,
            15,
        ]
        .into_iter()
        .min()
        .unwrap_or(1);
        if columns <= 1 {
            return output;
        }
        let mut max_line_length = Vec::with_capacity(columns);
        for i in 0..columns {
            let mut line_length = 0;
            let mut j = i;
            while j < output_length {
                line_length = line_length.max(data_len.get(j).copied().unwrap_or(0));
                j += columns;
            }
            max_line_length.push(line_length + separator_space);
        }
        let pad_start = items
            .iter()
            .take(output.len())
            .all(|item| matches!(item, Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_)));
        let mut grouped = Vec::new();
        let mut i = 0;
        while i < output_length {
            let max = (i + columns).min(output_length);
            let mut line = String::new();
            let mut j = i;
            while j + 1 < max {
                let cell = format!("{}, ", output.get(j).map(String::as_str).unwrap_or(""));
                let width = max_line_length.get(j - i).copied().unwrap_or(0);
                line.push_str(&pad(&cell, width, pad_start));
                j += 1;
            }
            let last = output.get(j).map(String::as_str).unwrap_or("");
            if pad_start {
                let width = max_line_length.get(j - i).copied().unwrap_or(0).saturating_sub(separator_space);
                line.push_str(&pad(last, width, true));
            } else {
                line.push_str(last);
            }
            grouped.push(line);
            i += columns;
        }
        if items.len() > MAX_ARRAY_LENGTH {
            if let Some(more) = output.last() {
                grouped.push(more.clone());
            }
        }
        return grouped;
    }
    output
}

fn pad(text: &str, width: usize, at_start: bool) -> String {
    let len = text.chars().count();
    if len >= width {
        return text.to_string();
    }
    let fill = " ".repeat(width - len);
    if at_start {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{bson, doc};

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (42.0, "42"),
            (36.6, "36.6"),
            (-1.0, "-1"),
            (100.0, "100"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "NaN"),
        ];
        for (x, expected) in cases {
            assert_eq!(js_number(x), expected, "{x}");
        }
    }

    #[test]
    fn inspect_matches_node() {
        let cases = [
            (bson!(["not-an-id"]), "[ 'not-an-id' ]"),
            (bson!({"first": "ada"}), "{ first: 'ada' }"),
            (bson!([{"a": 1}]), "[ { a: 1 } ]"),
            (bson!([5]), "[ 5 ]"),
            (bson!({"n": 5}), "{ n: 5 }"),
            (bson!({"a-b": [], "c": {}}), "{ 'a-b': [], c: {} }"),
            (bson!({"a": {"b": {"c": {"d": 1}}}}), "{ a: { b: { c: [Object] } } }"),
            (bson!("it's"), "\"it's\""),
            (bson!({"it's": 1, "a b": 2}), "{ \"it's\": 1, 'a b': 2 }"),
            (bson!([1, 2, 3, 4, 5, 6, 7]), "[\n  1, 2, 3, 4,\n  5, 6, 7\n]"),
        ];
        for (value, expected) in cases {
            assert_eq!(inspect(&value), expected);
        }
        let oid = bson::oid::ObjectId::parse_str("000000000000000000000065").unwrap();
        assert_eq!(inspect(&Bson::ObjectId(oid)), "new ObjectId('000000000000000000000065')");
        assert_eq!(inspect(&Bson::Document(doc! {})), "{}");
    }

    #[test]
    fn dates_print_like_javascript() {
        let date = bson::DateTime::parse_rfc3339_str("2020-01-01T00:00:00Z").unwrap();
        assert_eq!(js_date_iso(&date), "2020-01-01T00:00:00.000Z");
        assert_eq!(js_date_string(&date), "Wed Jan 01 2020 00:00:00 GMT+0000 (Coordinated Universal Time)");
        assert_eq!(super::super::dates::days_from_civil(2020, 1, 1), 18262);
        assert_eq!(civil_from_days(18262), (2020, 1, 1));
    }

    #[test]
    fn string_conversion_and_types() {
        assert_eq!(js_string(&bson!([1, "a", null])), "1,a,");
        assert_eq!(js_string(&bson!({"a": 1})), "[object Object]");
        assert_eq!(js_value_type(&bson!([1])), "Array");
        assert_eq!(js_value_type(&bson!("x")), "string");
        assert_eq!(number_to_bson(42.0), Bson::Int32(42));
        assert_eq!(number_to_bson(36.6), Bson::Double(36.6));
    }
}
