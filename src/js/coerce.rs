//! JavaScript's conversions from text to numbers: `Number(text)` (ToNumber), `parseInt` and `parseFloat`.

/// JavaScript's `Number(text)`: surrounding white space ignored, `""` is 0, `0x`/`0o`/`0b` prefixes,
/// `Infinity` with a sign, anything else that is not a whole decimal literal is `NaN`.
pub fn string_to_number(text: &str) -> f64 {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.is_empty() {
        return 0.0;
    }
    let radix = match trimmed.get(..2) {
        Some("0x" | "0X") => Some(16),
        Some("0o" | "0O") => Some(8),
        Some("0b" | "0B") => Some(2),
        _ => None,
    };
    if let Some(radix) = radix {
        let digits = trimmed.get(2..).unwrap_or("");
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return f64::NAN;
        }
        return digits
            .chars()
            .filter_map(|c| c.to_digit(radix))
            .fold(0.0, |acc, d| acc * f64::from(radix) + f64::from(d));
    }
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if unsigned == "Infinity" {
        return if trimmed.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    // Rust's float parser accepts "inf", "nan" and "1_000"; JavaScript's grammar allows only digits, one `.`
    // and an exponent.
    let is_decimal_literal = {
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (unsigned.get(..at).unwrap_or(""), Some(unsigned.get(at + 1..).unwrap_or(""))),
            None => (unsigned, None),
        };
        let mantissa_ok = mantissa.chars().filter(|c| *c == '.').count() <= 1
            && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
            && mantissa.chars().any(|c| c.is_ascii_digit());
        let exponent_ok = exponent.is_none_or(|e| {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
        });
        mantissa_ok && exponent_ok
    };
    if !is_decimal_literal {
        return f64::NAN;
    }
    trimmed.parse::<f64>().unwrap_or(f64::NAN)
}

/// JavaScript's `parseFloat(text)`: the longest decimal prefix after leading white space, else `NaN`.
pub fn parse_float(text: &str) -> f64 {
    let trimmed = text.trim_start();
    let unsigned = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if unsigned.starts_with("Infinity") {
        return if trimmed.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    let bytes = trimmed.as_bytes();
    let mut end = 0;
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        end = 1;
    }
    let digits_start = end;
    while bytes.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    if bytes.get(end) == Some(&b'.') {
        end += 1;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
    }
    if !trimmed.get(digits_start..end).is_some_and(|d| d.chars().any(|c| c.is_ascii_digit())) {
        return f64::NAN;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let mut exponent_end = end + 1;
        if matches!(bytes.get(exponent_end), Some(b'+' | b'-')) {
            exponent_end += 1;
        }
        let exponent_digits = exponent_end;
        while bytes.get(exponent_end).is_some_and(u8::is_ascii_digit) {
            exponent_end += 1;
        }
        if exponent_end > exponent_digits {
            end = exponent_end;
        }
    }
    trimmed.get(..end).and_then(|t| t.parse::<f64>().ok()).unwrap_or(f64::NAN)
}

/// JavaScript's `parseInt(text, radix)`: an optional sign, an optional `0x` (radix 16 or unset), then the longest
/// run of digits of the radix; `NaN` when there are none or the radix is outside 2–36.
pub fn parse_int(text: &str, radix: Option<u32>) -> f64 {
    let trimmed = text.trim_start();
    let (negative, mut rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let explicit = radix.filter(|r| *r != 0);
    let mut radix = match explicit {
        None => 10,
        Some(r) if (2..=36).contains(&r) => r,
        Some(_) => return f64::NAN,
    };
    if matches!(explicit, None | Some(16)) && (rest.starts_with("0x") || rest.starts_with("0X")) {
        rest = rest.get(2..).unwrap_or("");
        radix = 16;
    }
    let digits: Vec<u32> = rest.chars().map_while(|c| c.to_digit(radix)).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    let value = digits.iter().fold(0.0, |acc, d| acc * f64::from(radix) + f64::from(*d));
    if negative {
        -value
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_of_text_follows_javascript() {
        for (text, expected) in [
            ("42", 42.0),
            ("  4.5e1 ", 45.0),
            ("", 0.0),
            ("0x1f", 31.0),
            ("-Infinity", f64::NEG_INFINITY),
            (".5", 0.5),
            ("5.", 5.0),
        ] {
            assert_eq!(string_to_number(text), expected, "{text:?}");
        }
        for text in ["12px", "inf", "1_000", "NaN", "--1", "e5", "0x"] {
            assert!(string_to_number(text).is_nan(), "{text:?}");
        }
    }

    #[test]
    fn parse_int_and_parse_float_read_prefixes() {
        assert_eq!(parse_int("42px", None), 42.0);
        assert_eq!(parse_int("  -0x1A", None), -26.0);
        assert_eq!(parse_int("101", Some(2)), 5.0);
        assert_eq!(parse_int("3.9", None), 3.0);
        assert!(parse_int("px", None).is_nan());
        assert!(parse_int("1", Some(40)).is_nan());
        assert_eq!(parse_float("2.5abc"), 2.5);
        assert_eq!(parse_float("-.5e2x"), -50.0);
        assert_eq!(parse_float("1e"), 1.0);
        assert!(parse_float("abc").is_nan());
    }
}
