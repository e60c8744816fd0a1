//! Dates as JavaScript and mongosh read and write them: the proleptic Gregorian calendar arithmetic, mongosh's
//! `ISODate(text)`, and what `new Date(text)` accepts (the forms Mongoose's date cast meets).

/// Largest time value a JavaScript Date holds (ECMAScript's ±8.64e15 ms).
pub const MAX_DATE_MILLIS: f64 = 8.64e15;

/// The milliseconds of a `.fff…` fraction at `pos` (which holds the `.`): at least one digit, the first three count,
/// the rest are read and ignored. Moves `pos` past the digits.
fn fraction_millis(text: &str, pos: &mut usize) -> Option<i64> {
    let bytes = text.as_bytes();
    *pos += 1;
    let start = *pos;
    while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
        *pos += 1;
    }
    let fraction = text.get(start..*pos)?;
    if fraction.is_empty() {
        return None;
    }
    let padded: String = fraction.chars().chain("000".chars()).take(3).collect();
    padded.parse().ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12; day may overflow and is normalised).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Far beyond any representable date, clamped so the arithmetic below cannot overflow.
    const LIMIT: i64 = 1_000_000_000_000;
    let (year, month, day) = (year.clamp(-LIMIT, LIMIT), month.clamp(-LIMIT, LIMIT), day.clamp(-LIMIT, LIMIT));
    let year = year + (month - 1).div_euclid(12);
    let month = (month - 1).rem_euclid(12) + 1;
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `(year, month 1-12, day 1-31)` of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    // Clamped far beyond any representable date so the arithmetic below cannot overflow.
    let z = days.clamp(-1_000_000_000_000_000, 1_000_000_000_000_000) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// mongosh's `ISODate(text)`: `YYYY-MM-DD`, optionally `T` or space and `HH`, `HH:MM`, `HH:MM:SS(.fff)`,
/// then `Z` or `±HH(:MM)`; the `-` and `:` separators are optional. No zone means UTC. The result must lie
/// within years 0000-9999. Returns milliseconds since the epoch.
pub fn parse_isodate(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let digits = |pos: &mut usize, count: usize| -> Option<i64> {
        let slice = bytes.get(*pos..*pos + count)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        *pos += count;
        std::str::from_utf8(slice).ok()?.parse().ok()
    };
    let skip = |pos: &mut usize, byte: u8| {
        if bytes.get(*pos) == Some(&byte) {
            *pos += 1;
        }
    };
    let year = digits(&mut pos, 4)?;
    skip(&mut pos, b'-');
    let month = digits(&mut pos, 2)?;
    skip(&mut pos, b'-');
    let day = digits(&mut pos, 2)?;
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    let mut offset_minutes = 0;
    if pos < bytes.len() {
        if matches!(bytes.get(pos), Some(b'T' | b' ')) {
            pos += 1;
            hour = digits(&mut pos, 2)?;
            let before_minutes = pos;
            skip(&mut pos, b':');
            if let Some(m) = digits(&mut pos, 2) {
                minute = m;
                let before_seconds = pos;
                skip(&mut pos, b':');
                if let Some(s) = digits(&mut pos, 2) {
                    second = s;
                    if bytes.get(pos) == Some(&b'.') {
                        millis = fraction_millis(text, &mut pos)?;
                    }
                } else {
                    pos = before_seconds;
                }
            } else {
                pos = before_minutes;
            }
        }
        match bytes.get(pos) {
            None => {}
            Some(b'Z') => pos += 1,
            Some(sign @ (b'+' | b'-')) => {
                let sign = if *sign == b'-' { -1 } else { 1 };
                pos += 1;
                let hours = digits(&mut pos, 2)?;
                skip(&mut pos, b':');
                let minutes = digits(&mut pos, 2).unwrap_or(0);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                offset_minutes = sign * (hours * 60 + minutes);
            }
            Some(_) => return None,
        }
        if pos != bytes.len() {
            return None;
        }
    }
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (hour <= 23 || (hour == 24 && minute == 0 && second == 0 && millis == 0))
        && minute <= 59
        && second <= 59;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let millis =
        days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis - offset_minutes * 60_000;
    (-62_167_219_200_000..=253_402_300_799_999).contains(&millis).then_some(millis)
}

/// Parses the date strings `new Date(string)` reads: ISO-8601 (`2020-01-02`, `2020-01-02T03:04:05.678Z`,
/// offsets), `YYYY-MM-DD HH:MM[:SS]`, and the common informal forms (`March 7, 2024`, `7 Mar 2024 10:30`,
/// `3/7/2024`, `Thu, 07 Mar 2024 10:30:00 GMT`). Times without an offset are taken as UTC.
pub fn parse_js_date(text: &str) -> Option<i64> {
    parse_iso_date(text).or_else(|| parse_informal_date(text))
}

const MONTH_PREFIXES: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAY_PREFIXES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// The informal formats of V8's legacy date parser that students write; anything else is rejected.
fn parse_informal_date(text: &str) -> Option<i64> {
    let chars: Vec<char> = text.trim().chars().collect();
    let mut month: Option<i64> = None;
    let mut numbers: Vec<(i64, usize)> = Vec::new();
    let mut time: Option<i64> = None;
    let mut meridiem: Option<bool> = None;
    let mut offset_minutes = 0;
    let mut after_zone_word = false;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_ascii_alphabetic() {
            let start = i;
            while chars.get(i).is_some_and(char::is_ascii_alphabetic) {
                i += 1;
            }
            let word: String = chars.get(start..i)?.iter().collect::<String>().to_lowercase();
            after_zone_word = false;
            match word.as_str() {
                "am" | "pm" => meridiem = Some(word == "pm"),
                "gmt" | "utc" | "ut" | "z" => after_zone_word = true,
                _ if word.len() >= 3 && WEEKDAY_PREFIXES.iter().any(|d| word.starts_with(d)) => {}
                _ if word.len() >= 3 => {
                    let index = MONTH_PREFIXES.iter().position(|m| word.starts_with(m))?;
                    if month.replace(index as i64 + 1).is_some() {
                        return None;
                    }
                }
                _ => return None,
            }
            continue;
        }
        if c.is_ascii_digit() {
            let start = i;
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            let digits: String = chars.get(start..i)?.iter().collect();
            let value: i64 = digits.parse().ok().filter(|_| digits.len() <= 6)?;
            if chars.get(i) == Some(&':') && time.is_none() {
                let mut parts = vec![value];
                let mut millis = 0;
                while chars.get(i) == Some(&':') && parts.len() < 3 {
                    i += 1;
                    let part_start = i;
                    while chars.get(i).is_some_and(char::is_ascii_digit) {
                        i += 1;
                    }
                    let part: String = chars.get(part_start..i)?.iter().collect();
                    if part.is_empty() || part.len() > 2 {
                        return None;
                    }
                    parts.push(part.parse().ok()?);
                }
                if chars.get(i) == Some(&'.') && parts.len() == 3 {
                    i += 1;
                    let frac_start = i;
                    while chars.get(i).is_some_and(char::is_ascii_digit) {
                        i += 1;
                    }
                    let fraction: String =
                        chars.get(frac_start..i)?.iter().chain(['0', '0', '0'].iter()).take(3).collect();
                    millis = fraction.parse().ok()?;
                }
                let (h, m, sec) = (parts.first().copied()?, parts.get(1).copied()?, parts.get(2).copied().unwrap_or(0));
                if h > 24 || m > 59 || sec > 59 {
                    return None;
                }
                time = Some(((h * 60 + m) * 60 + sec) * 1000 + millis);
            } else {
                numbers.push((value, digits.len()));
            }
            continue;
        }
        if (c == '+' || c == '-')
            && (after_zone_word || time.is_some())
            && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        {
            i += 1;
            let start = i;
            while chars.get(i).is_some_and(|ch| ch.is_ascii_digit() || *ch == ':') {
                i += 1;
            }
            let raw: String = chars.get(start..i)?.iter().filter(|ch| **ch != ':').collect();
            let (hours, minutes) = match raw.len() {
                1 | 2 => (raw.parse::<i64>().ok()?, 0),
                4 => (raw.get(..2)?.parse::<i64>().ok()?, raw.get(2..)?.parse::<i64>().ok()?),
                _ => return None,
            };
            offset_minutes = (hours * 60 + minutes) * if c == '-' { -1 } else { 1 };
            after_zone_word = false;
            continue;
        }
        if c == '(' {
            while chars.get(i).is_some_and(|ch| *ch != ')') {
                i += 1;
            }
            i += 1;
            continue;
        }
        if !matches!(c, ' ' | ',' | '/' | '-' | '.') {
            return None;
        }
        i += 1;
    }
    let is_year = |(value, digits): (i64, usize)| digits >= 3 || value > 31;
    let (year, month, day) = match (month, numbers.as_slice()) {
        (Some(m), [a, b]) if is_year(*a) => (*a, m, b.0),
        (Some(m), [a, b]) => (*b, m, a.0),
        (None, [a, b, c]) if a.1 >= 3 => (*a, b.0, c.0),
        (None, [a, b, c]) => (*c, a.0, b.0),
        _ => return None,
    };
    // Two-digit years: 00-49 are 20xx, 50-99 are 19xx.
    let year = match year {
        (value, digits) if digits <= 2 && value < 50 => 2000 + value,
        (value, digits) if digits <= 2 => 1900 + value,
        (value, _) => value,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut millis_of_day = time.unwrap_or(0);
    match meridiem {
        Some(true) if millis_of_day < 12 * 3_600_000 => millis_of_day += 12 * 3_600_000,
        Some(false) if (12 * 3_600_000..13 * 3_600_000).contains(&millis_of_day) => millis_of_day -= 12 * 3_600_000,
        _ => {}
    }
    let millis = days_from_civil(year, month, day) * 86_400_000 + millis_of_day - offset_minutes * 60_000;
    ((millis as f64).abs() <= MAX_DATE_MILLIS).then_some(millis)
}

fn parse_iso_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let mut pos = 0;
    let read_digits = |pos: &mut usize, count: usize| -> Option<i64> {
        let slice = text.get(*pos..*pos + count)?;
        if !slice.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *pos += count;
        slice.parse().ok()
    };
    let year = match bytes.first() {
        Some(b'+') | Some(b'-') => {
            let negative = bytes.first() == Some(&b'-');
            pos = 1;
            let y = read_digits(&mut pos, 6)?;
            if negative {
                -y
            } else {
                y
            }
        }
        _ => read_digits(&mut pos, 4)?,
    };
    let date_separator = match bytes.get(pos) {
        Some(b'/') => b'/',
        _ => b'-',
    };
    let mut month = 1;
    let mut day = 1;
    if bytes.get(pos) == Some(&date_separator) {
        pos += 1;
        month = read_digits(&mut pos, 2)?;
        if bytes.get(pos) == Some(&date_separator) {
            pos += 1;
            day = read_digits(&mut pos, 2)?;
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut millis_of_day = 0;
    let mut offset_minutes = 0;
    if matches!(bytes.get(pos), Some(b'T') | Some(b't') | Some(b' ')) {
        pos += 1;
        let hour = read_digits(&mut pos, 2)?;
        if bytes.get(pos) != Some(&b':') {
            return None;
        }
        pos += 1;
        let minute = read_digits(&mut pos, 2)?;
        let mut second = 0;
        let mut millis = 0;
        if bytes.get(pos) == Some(&b':') {
            pos += 1;
            second = read_digits(&mut pos, 2)?;
            if bytes.get(pos) == Some(&b'.') {
                millis = fraction_millis(text, &mut pos)?;
            }
        }
        if hour > 24 || minute > 59 || second > 59 || (hour == 24 && (minute > 0 || second > 0 || millis > 0)) {
            return None;
        }
        millis_of_day = ((hour * 60 + minute) * 60 + second) * 1000 + millis;
        match bytes.get(pos) {
            Some(b'Z') | Some(b'z') => pos += 1,
            Some(sign @ (b'+' | b'-')) => {
                let negative = *sign == b'-';
                pos += 1;
                let oh = read_digits(&mut pos, 2)?;
                if bytes.get(pos) == Some(&b':') {
                    pos += 1;
                }
                let om = read_digits(&mut pos, 2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                offset_minutes = (oh * 60 + om) * if negative { -1 } else { 1 };
            }
            _ => {}
        }
    }
    if pos != bytes.len() {
        return None;
    }
    let millis = days_from_civil(year, month, day) * 86_400_000 + millis_of_day - offset_minutes * 60_000;
    if (millis as f64).abs() > MAX_DATE_MILLIS {
        return None;
    }
    Some(millis)
}
