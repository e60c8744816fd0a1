//! Expression date operators: the parts of a date (`$year $month $dayOfMonth $hour $minute $second $millisecond
//! $dayOfWeek $dayOfYear $week $isoWeek $isoWeekYear $isoDayOfWeek`), `$dateToString $dateFromString $dateToParts
//! $dateFromParts $dateAdd $dateSubtract $dateDiff $dateTrunc`. Dates are read in UTC unless a `timezone` is given;
//! crudlab knows UTC, fixed offsets (`"+02:00"`) and the main named zones with today's
//! daylight-saving rules (`"Europe/London"`, `"America/New_York"`), not the whole Olson database.

use super::type_conversion::to_date_millis;
use super::{
    argument, describe, error, is_nullish, type_name_of, Arguments, Call, Context, Evaluated, Expression, Operator,
    Parser,
};
use crate::engine::error::{ErrorCode, MongoError, MongoResult};
use crate::js::dates::{civil_from_days, days_from_civil};
use bson::{Bson, Document};

pub(super) const OPERATORS: &[Operator] = &[
    Operator { name: "$year", arguments: Arguments::Named(parse_part), evaluate: part, summary: "The year of a date." },
    Operator {
        name: "$month",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The month of a date, 1-12.",
    },
    Operator {
        name: "$dayOfMonth",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The day of the month of a date, 1-31.",
    },
    Operator {
        name: "$hour",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The hour of a date, 0-23.",
    },
    Operator {
        name: "$minute",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The minute of a date, 0-59.",
    },
    Operator {
        name: "$second",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The second of a date, 0-59.",
    },
    Operator {
        name: "$millisecond",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The millisecond of a date, 0-999.",
    },
    Operator {
        name: "$dayOfWeek",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The day of the week, 1 (Sunday) to 7 (Saturday).",
    },
    Operator {
        name: "$dayOfYear",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The day of the year, 1-366.",
    },
    Operator {
        name: "$week",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The week of the year, 0-53; weeks start on Sunday.",
    },
    Operator {
        name: "$isoWeek",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The ISO 8601 week number, 1-53 (weeks start on Monday).",
    },
    Operator {
        name: "$isoWeekYear",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The ISO 8601 week-numbering year.",
    },
    Operator {
        name: "$isoDayOfWeek",
        arguments: Arguments::Named(parse_part),
        evaluate: part,
        summary: "The ISO 8601 day of the week, 1 (Monday) to 7 (Sunday).",
    },
    Operator {
        name: "$dateToString",
        arguments: Arguments::Named(parse_date_to_string),
        evaluate: date_to_string,
        summary: "A date as text in a format (%Y-%m-%d ...).",
    },
    Operator {
        name: "$dateFromString",
        arguments: Arguments::Named(parse_date_from_string),
        evaluate: date_from_string,
        summary: "A date parsed from text (ISO 8601, or a format).",
    },
    Operator {
        name: "$dateToParts",
        arguments: Arguments::Named(parse_date_to_parts),
        evaluate: date_to_parts,
        summary: "A document with the year, month, day, hour, ... of a date.",
    },
    Operator {
        name: "$dateFromParts",
        arguments: Arguments::Named(parse_date_from_parts),
        evaluate: date_from_parts,
        summary: "A date built from its year, month, day, hour, ...",
    },
    Operator {
        name: "$dateAdd",
        arguments: Arguments::Named(parse_date_add),
        evaluate: date_add,
        summary: "A date plus an amount of a unit (month, day, hour, ...).",
    },
    Operator {
        name: "$dateSubtract",
        arguments: Arguments::Named(parse_date_add),
        evaluate: date_add,
        summary: "A date minus an amount of a unit.",
    },
    Operator {
        name: "$dateDiff",
        arguments: Arguments::Named(parse_date_diff),
        evaluate: date_diff,
        summary: "How many unit boundaries lie between two dates.",
    },
    Operator {
        name: "$dateTrunc",
        arguments: Arguments::Named(parse_date_trunc),
        evaluate: date_trunc,
        summary: "A date rounded down to a unit (day, month, ...).",
    },
];

const MILLIS_PER_DAY: i64 = 86_400_000;

/// A date split into its calendar fields, in some time zone.
#[derive(Debug, Clone, Copy)]
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    millisecond: i64,
    /// 1 (Sunday) to 7 (Saturday).
    day_of_week: i64,
    /// 1 to 366.
    day_of_year: i64,
}

impl Parts {
    fn of(local_millis: i64) -> Parts {
        let days = local_millis.div_euclid(MILLIS_PER_DAY);
        let in_day = local_millis.rem_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Parts {
            year,
            month,
            day,
            hour: in_day / 3_600_000,
            minute: in_day / 60_000 % 60,
            second: in_day / 1000 % 60,
            millisecond: in_day % 1000,
            // 1970-01-01 was a Thursday (5 in 1 = Sunday numbering).
            day_of_week: (days + 4).rem_euclid(7) + 1,
            day_of_year: days - days_from_civil(year, 1, 1) + 1,
        }
    }

    /// The week of the year with weeks starting on Sunday (`%U`, `$week`): days before the first Sunday are week 0.
    fn week(&self) -> i64 {
        (self.day_of_year - 1 + 7 - (self.day_of_week - 1)) / 7
    }

    /// 1 (Monday) to 7 (Sunday).
    fn iso_day_of_week(&self) -> i64 {
        (self.day_of_week + 5).rem_euclid(7) + 1
    }

    /// The ISO 8601 week-numbering year and week.
    fn iso_week(&self) -> (i64, i64) {
        let week = (self.day_of_year - self.iso_day_of_week() + 10) / 7;
        if week < 1 {
            (self.year - 1, iso_weeks_in(self.year - 1))
        } else if week > iso_weeks_in(self.year) {
            (self.year + 1, 1)
        } else {
            (self.year, week)
        }
    }
}

fn iso_weeks_in(year: i64) -> i64 {
    let p = |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
    if p(year) == 4 || p(year - 1) == 3 {
        53
    } else {
        52
    }
}

/// The daylight-saving rules crudlab knows (the current ones of each region; past changes are not modelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Daylight {
    /// European Union and UK: last Sunday of March to last Sunday of October, at 01:00 UTC.
    Europe,
    /// United States and Canada: second Sunday of March to first Sunday of November, at 02:00 local time.
    NorthAmerica,
    /// South-east Australia: first Sunday of October to first Sunday of April, at 02:00 standard time.
    Australia,
    /// New Zealand: last Sunday of September to first Sunday of April, at 02:00 standard time.
    NewZealand,
}

/// Named zones crudlab knows: standard offset in minutes east of UTC, and daylight saving.
const NAMED_ZONES: &[(&str, i64, Option<Daylight>)] = &[
    ("Europe/London", 0, Some(Daylight::Europe)),
    ("Europe/Dublin", 0, Some(Daylight::Europe)),
    ("Europe/Lisbon", 0, Some(Daylight::Europe)),
    ("Europe/Paris", 60, Some(Daylight::Europe)),
    ("Europe/Berlin", 60, Some(Daylight::Europe)),
    ("Europe/Madrid", 60, Some(Daylight::Europe)),
    ("Europe/Rome", 60, Some(Daylight::Europe)),
    ("Europe/Amsterdam", 60, Some(Daylight::Europe)),
    ("Europe/Brussels", 60, Some(Daylight::Europe)),
    ("Europe/Zurich", 60, Some(Daylight::Europe)),
    ("Europe/Vienna", 60, Some(Daylight::Europe)),
    ("Europe/Stockholm", 60, Some(Daylight::Europe)),
    ("Europe/Oslo", 60, Some(Daylight::Europe)),
    ("Europe/Copenhagen", 60, Some(Daylight::Europe)),
    ("Europe/Prague", 60, Some(Daylight::Europe)),
    ("Europe/Warsaw", 60, Some(Daylight::Europe)),
    ("Europe/Budapest", 60, Some(Daylight::Europe)),
    ("Europe/Athens", 120, Some(Daylight::Europe)),
    ("Europe/Helsinki", 120, Some(Daylight::Europe)),
    ("Europe/Kiev", 120, Some(Daylight::Europe)),
    ("Europe/Kyiv", 120, Some(Daylight::Europe)),
    ("Europe/Bucharest", 120, Some(Daylight::Europe)),
    ("Europe/Istanbul", 180, None),
    ("Europe/Moscow", 180, None),
    ("America/New_York", -300, Some(Daylight::NorthAmerica)),
    ("America/Toronto", -300, Some(Daylight::NorthAmerica)),
    ("America/Chicago", -360, Some(Daylight::NorthAmerica)),
    ("America/Denver", -420, Some(Daylight::NorthAmerica)),
    ("America/Phoenix", -420, None),
    ("America/Los_Angeles", -480, Some(Daylight::NorthAmerica)),
    ("America/Vancouver", -480, Some(Daylight::NorthAmerica)),
    ("America/Anchorage", -540, Some(Daylight::NorthAmerica)),
    ("Pacific/Honolulu", -600, None),
    ("America/Mexico_City", -360, None),
    ("America/Sao_Paulo", -180, None),
    ("America/Argentina/Buenos_Aires", -180, None),
    ("Africa/Lagos", 60, None),
    ("Africa/Johannesburg", 120, None),
    ("Africa/Nairobi", 180, None),
    ("Asia/Dubai", 240, None),
    ("Asia/Karachi", 300, None),
    ("Asia/Kolkata", 330, None),
    ("Asia/Calcutta", 330, None),
    ("Asia/Bangkok", 420, None),
    ("Asia/Shanghai", 480, None),
    ("Asia/Hong_Kong", 480, None),
    ("Asia/Singapore", 480, None),
    ("Australia/Perth", 480, None),
    ("Asia/Tokyo", 540, None),
    ("Asia/Seoul", 540, None),
    ("Australia/Brisbane", 600, None),
    ("Australia/Sydney", 600, Some(Daylight::Australia)),
    ("Australia/Melbourne", 600, Some(Daylight::Australia)),
    ("Pacific/Auckland", 720, Some(Daylight::NewZealand)),
];

/// A time zone crudlab can apply: UTC, a fixed offset, or one of [`NAMED_ZONES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Zone {
    /// Milliseconds east of UTC outside daylight saving.
    standard_millis: i64,
    daylight: Option<Daylight>,
}

const HOUR_MILLIS: i64 = 3_600_000;

/// The day (1-31) of the `n`th Sunday of a month (`n` = 0 for the last one).
fn sunday(year: i64, month: i64, n: i64) -> i64 {
    let first = days_from_civil(year, month, 1);
    let last_day = days_from_civil(year, month + 1, 1) - first;
    // 1970-01-01 was a Thursday: (days + 4) % 7 is 0 on Sundays.
    let first_sunday = 1 + (7 - (first + 4).rem_euclid(7)) % 7;
    if n == 0 {
        first_sunday + (last_day - first_sunday) / 7 * 7
    } else {
        first_sunday + (n - 1) * 7
    }
}

/// Milliseconds of `hour` o'clock UTC on a day of a year.
fn at(year: i64, month: i64, day: i64, hour: i64) -> i64 {
    days_from_civil(year, month, day).saturating_mul(MILLIS_PER_DAY).saturating_add(hour * HOUR_MILLIS)
}

impl Zone {
    const UTC: Zone = Zone { standard_millis: 0, daylight: None };

    fn parse(text: &str) -> MongoResult<Zone> {
        if matches!(text, "UTC" | "GMT" | "Z" | "Etc/UTC" | "Etc/GMT" | "Zulu" | "Universal") {
            return Ok(Zone::UTC);
        }
        if let Some((_, minutes, daylight)) = NAMED_ZONES.iter().find(|(name, _, _)| *name == text) {
            return Ok(Zone { standard_millis: minutes * 60_000, daylight: *daylight });
        }
        let unrecognized = || {
            MongoError::new(ErrorCode::Location(40485), format!("unrecognized time zone identifier: \"{text}\""))
                .with_hint(
                    "crudlab knows UTC, offsets such as \"+02:00\" or \"-0500\", and the main named zones (\"Europe/Paris\", \"America/New_York\", ...).",
                )
        };
        // "Etc/GMT+5" is five hours behind UTC: POSIX's inverted sign.
        if let Some(hours) = text.strip_prefix("Etc/GMT") {
            let hours: i64 = hours.parse().map_err(|_| unrecognized())?;
            if !(-14..=12).contains(&hours) {
                return Err(unrecognized());
            }
            return Ok(Zone { standard_millis: -hours * HOUR_MILLIS, daylight: None });
        }
        let (sign, rest) = match text.as_bytes().first() {
            Some(b'+') => (1, text.get(1..).unwrap_or_default()),
            Some(b'-') => (-1, text.get(1..).unwrap_or_default()),
            _ => return Err(unrecognized()),
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) || !(digits.len() == 2 || digits.len() == 4) {
            return Err(unrecognized());
        }
        let hours: i64 = digits.get(0..2).and_then(|h| h.parse().ok()).ok_or_else(unrecognized)?;
        let minutes: i64 = digits.get(2..4).map_or(Some(0), |m| m.parse().ok()).ok_or_else(unrecognized)?;
        if hours > 23 || minutes > 59 {
            return Err(unrecognized());
        }
        Ok(Zone { standard_millis: sign * (hours * HOUR_MILLIS + minutes * 60_000), daylight: None })
    }

    /// The offset east of UTC in force at a UTC instant.
    fn offset_at(self, utc_millis: i64) -> i64 {
        let Some(daylight) = self.daylight else { return self.standard_millis };
        let year = Parts::of(utc_millis.saturating_add(self.standard_millis)).year;
        let standard_hours = self.standard_millis / HOUR_MILLIS;
        let in_daylight = match daylight {
            Daylight::Europe => {
                (at(year, 3, sunday(year, 3, 0), 1)..at(year, 10, sunday(year, 10, 0), 1)).contains(&utc_millis)
            }
            Daylight::NorthAmerica => {
                let start = at(year, 3, sunday(year, 3, 2), 2 - standard_hours);
                let end = at(year, 11, sunday(year, 11, 1), 2 - standard_hours - 1);
                (start..end).contains(&utc_millis)
            }
            Daylight::Australia | Daylight::NewZealand => {
                let (start_month, start_week) = if daylight == Daylight::Australia { (10, 1) } else { (9, 0) };
                let end = at(year, 4, sunday(year, 4, 1), 2 - standard_hours);
                let start = at(year, start_month, sunday(year, start_month, start_week), 2 - standard_hours);
                utc_millis < end || utc_millis >= start
            }
        };
        if in_daylight {
            self.standard_millis + HOUR_MILLIS
        } else {
            self.standard_millis
        }
    }

    fn local(self, utc_millis: i64) -> i64 {
        utc_millis.saturating_add(self.offset_at(utc_millis))
    }

    fn utc(self, local_millis: i64) -> i64 {
        let guess = local_millis.saturating_sub(self.standard_millis);
        local_millis.saturating_sub(self.offset_at(guess))
    }

    /// `+hhmm`, as `%z` prints the offset at an instant.
    fn hhmm(self, utc_millis: i64) -> String {
        let minutes = self.offset_at(utc_millis) / 60_000;
        let sign = if minutes < 0 { '-' } else { '+' };
        format!("{sign}{:02}{:02}", minutes.abs() / 60, minutes.abs() % 60)
    }
}

/// Evaluates a `timezone` argument: `Ok(None)` when it is null (the result is null), UTC when it was not given.
fn zone(expression: Option<&Expression>, context: &mut Context<'_>) -> MongoResult<Option<Zone>> {
    let Some(expression) = expression.filter(|e| !e.is_omitted()) else { return Ok(Some(Zone::UTC)) };
    match expression.eval(context)? {
        value if is_nullish(value.as_ref()) => Ok(None),
        Some(Bson::String(text)) => Zone::parse(&text).map(Some),
        other => {
            Err(error(40517, format!("timezone must evaluate to a string, found {}", type_name_of(other.as_ref()))))
        }
    }
}

/// Evaluates a date argument: `Ok(None)` for null or missing.
fn date_millis(expression: Option<&Expression>, context: &mut Context<'_>) -> MongoResult<Option<i64>> {
    let Some(expression) = expression else { return Ok(None) };
    match expression.eval(context)? {
        value if is_nullish(value.as_ref()) => Ok(None),
        Some(value) => to_date_millis(&value).map(Some),
        None => Ok(None),
    }
}

/// A date-part operator's arguments: the date, then the time zone (omitted when absent). It takes a date, a
/// one-element array, or `{date, timezone}`.
fn parse_part(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let name = operator.name;
    let args = match argument {
        Bson::Document(spec) if !spec.keys().next().is_some_and(|k| k.starts_with('$')) && !spec.is_empty() => {
            for key in spec.keys() {
                if !matches!(key.as_str(), "date" | "timezone") {
                    return Err(error(40535, format!("unrecognized option to {name}: \"{key}\"")));
                }
            }
            let Some(date) = spec.get("date") else {
                return Err(error(
                    40539,
                    format!(
                        "missing 'date' argument to {name}, provided: {}",
                        crate::engine::update::describe_document(spec)
                    ),
                ));
            };
            vec![parser.expression(date)?, parser.optional(spec.get("timezone"))?]
        }
        other => {
            let mut args = parser.positional(other)?;
            if args.len() != 1 {
                return Err(error(
                    16020,
                    format!("Expression {name} takes exactly 1 arguments. {} were passed in.", args.len()),
                ));
            }
            args.push(Expression::Omitted);
            args
        }
    };
    Ok(Call { operator, args, bound: Vec::new() })
}

fn part(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(millis) = date_millis(call.args.first(), context)? else { return Ok(Some(Bson::Null)) };
    let Some(zone) = zone(call.args.get(1), context)? else { return Ok(Some(Bson::Null)) };
    let parts = Parts::of(zone.local(millis));
    let value = match call.operator.name {
        "$year" => parts.year,
        "$month" => parts.month,
        "$dayOfMonth" => parts.day,
        "$hour" => parts.hour,
        "$minute" => parts.minute,
        "$second" => parts.second,
        "$millisecond" => parts.millisecond,
        "$dayOfWeek" => parts.day_of_week,
        "$dayOfYear" => parts.day_of_year,
        "$week" => parts.week(),
        "$isoWeek" => parts.iso_week().1,
        "$isoWeekYear" => parts.iso_week().0,
        _ => parts.iso_day_of_week(),
    };
    Ok(Some(Bson::Int32(i32::try_from(value).unwrap_or(i32::MAX))))
}

/// Named arguments, checked against the names an operator accepts, with MongoDB's errors for a non-object and an
/// unknown name.
fn named<'a>(
    operator: &Operator,
    argument: &'a Bson,
    allowed: &[&str],
    codes: (i32, i32),
) -> MongoResult<&'a Document> {
    let name = operator.name;
    let Bson::Document(spec) = argument else {
        return Err(error(codes.0, format!("{name} only supports an object as its argument")));
    };
    for key in spec.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(error(codes.1, format!("Unrecognized argument to {name}: {key}")));
        }
    }
    Ok(spec)
}

/// `$dateToString`'s arguments: `date`, `format`, `timezone`, `onNull` (each omitted when absent).
fn parse_date_to_string(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let spec = named(operator, argument, &["date", "format", "timezone", "onNull"], (18629, 18534))?;
    let Some(date) = spec.get("date") else {
        return Err(error(18628, "Missing 'date' parameter to $dateToString"));
    };
    if let Some(Bson::String(format)) = spec.get("format") {
        check_format(format)?;
    }
    let args = vec![
        parser.expression(date)?,
        parser.optional(spec.get("format"))?,
        parser.optional(spec.get("timezone"))?,
        parser.optional(spec.get("onNull"))?,
    ];
    Ok(Call { operator, args, bound: Vec::new() })
}

const FORMAT_SPECIFIERS: &str = "bBdGHjLmMSuUVwYzZ%";

fn check_format(format: &str) -> MongoResult<()> {
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        match chars.next() {
            None => return Err(error(18535, "Unmatched '%' at end of format string")),
            Some(spec) if !FORMAT_SPECIFIERS.contains(spec) => {
                return Err(error(18536, format!("Invalid format character '%{spec}' in format string")))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn format_date(format: &str, utc_millis: i64, zone: Zone) -> String {
    let parts = Parts::of(zone.local(utc_millis));
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(spec) = chars.next() else { break };
        let month_name = MONTHS.get(usize::try_from(parts.month - 1).unwrap_or(0)).copied().unwrap_or("January");
        let piece = match spec {
            'Y' => format!("{:04}", parts.year),
            'm' => format!("{:02}", parts.month),
            'd' => format!("{:02}", parts.day),
            'H' => format!("{:02}", parts.hour),
            'M' => format!("{:02}", parts.minute),
            'S' => format!("{:02}", parts.second),
            'L' => format!("{:03}", parts.millisecond),
            'j' => format!("{:03}", parts.day_of_year),
            'w' => parts.day_of_week.to_string(),
            'u' => parts.iso_day_of_week().to_string(),
            'U' => format!("{:02}", parts.week()),
            'V' => format!("{:02}", parts.iso_week().1),
            'G' => format!("{:04}", parts.iso_week().0),
            'b' => month_name.chars().take(3).collect(),
            'B' => month_name.to_string(),
            'z' => zone.hhmm(utc_millis),
            'Z' => {
                let minutes = zone.offset_at(utc_millis) / 60_000;
                format!("{}{:03}", if minutes < 0 { '-' } else { '+' }, minutes.abs())
            }
            _ => "%".to_string(),
        };
        out.push_str(&piece);
    }
    out
}

fn date_to_string(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let format = match call.args.get(1) {
        Some(format) if !format.is_omitted() => match format.eval(context)? {
            value if is_nullish(value.as_ref()) => return Ok(Some(Bson::Null)),
            Some(Bson::String(format)) => {
                check_format(&format)?;
                Some(format)
            }
            other => {
                return Err(error(
                    18533,
                    format!(
                        "$dateToString requires that 'format' be a string, found: {} with value {}",
                        type_name_of(other.as_ref()),
                        describe(other.as_ref())
                    ),
                ))
            }
        },
        _ => None,
    };
    let Some(zone) = zone(call.args.get(2), context)? else { return Ok(Some(Bson::Null)) };
    let Some(millis) = date_millis(call.args.first(), context)? else {
        return match call.args.get(3) {
            Some(on_null) if !on_null.is_omitted() => on_null.eval(context),
            _ => Ok(Some(Bson::Null)),
        };
    };
    let default_format = if zone == Zone::UTC { "%Y-%m-%dT%H:%M:%S.%LZ" } else { "%Y-%m-%dT%H:%M:%S.%L" };
    Ok(Some(Bson::String(format_date(format.as_deref().unwrap_or(default_format), millis, zone))))
}

/// `$dateFromString`'s arguments: `dateString`, `format`, `timezone`, `onError`, `onNull`.
fn parse_date_from_string(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let spec = named(operator, argument, &["dateString", "format", "timezone", "onError", "onNull"], (40540, 40541))?;
    let Some(text) = spec.get("dateString") else {
        return Err(error(40542, "Missing 'dateString' parameter to $dateFromString"));
    };
    let args = vec![
        parser.expression(text)?,
        parser.optional(spec.get("format"))?,
        parser.optional(spec.get("timezone"))?,
        parser.optional(spec.get("onError"))?,
        parser.optional(spec.get("onNull"))?,
    ];
    Ok(Call { operator, args, bound: Vec::new() })
}

fn date_from_string(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let on_error = call.args.get(3).filter(|e| !e.is_omitted());
    let on_null = call.args.get(4).filter(|e| !e.is_omitted());
    let text = match argument(call, 0, context)? {
        value if is_nullish(value.as_ref()) => {
            return match on_null {
                Some(on_null) => on_null.eval(context),
                None => Ok(Some(Bson::Null)),
            }
        }
        Some(Bson::String(text)) => text,
        other => {
            let failure = MongoError::new(
                ErrorCode::ConversionFailure,
                format!(
                    "$dateFromString requires that 'dateString' be a string, found: {} with value {}",
                    type_name_of(other.as_ref()),
                    describe(other.as_ref())
                ),
            );
            return match on_error {
                Some(on_error) => on_error.eval(context),
                None => Err(failure),
            };
        }
    };
    let format = match call.args.get(1) {
        Some(format) if !format.is_omitted() => match format.eval(context)? {
            value if is_nullish(value.as_ref()) => return Ok(Some(Bson::Null)),
            Some(Bson::String(format)) => Some(format),
            other => {
                return Err(error(
                    40684,
                    format!(
                        "$dateFromString requires that 'format' be a string, found: {} with value {}",
                        type_name_of(other.as_ref()),
                        describe(other.as_ref())
                    ),
                ))
            }
        },
        _ => None,
    };
    let Some(zone) = zone(call.args.get(2), context)? else { return Ok(Some(Bson::Null)) };
    let parsed = match &format {
        Some(format) => parse_with_format(&text, format).map(|(local, offset)| match offset {
            Some(offset) => local - offset,
            None => zone.utc(local),
        }),
        None => parse_plain(&text, zone),
    };
    match parsed {
        Some(millis) => Ok(Some(Bson::DateTime(bson::DateTime::from_millis(millis)))),
        None => match on_error {
            Some(on_error) => on_error.eval(context),
            None => Err(MongoError::new(ErrorCode::ConversionFailure, format!("Error parsing date string '{text}'"))),
        },
    }
}

/// An ISO 8601 date string: with its own offset, or in `zone` when it has none.
fn parse_plain(text: &str, zone: Zone) -> Option<i64> {
    let has_zone =
        text.ends_with('Z') || text.get(10..).is_some_and(|rest| rest.contains('+') || rest.matches('-').count() > 0);
    let millis = crate::js::dates::parse_isodate(text)?;
    Some(if has_zone { millis } else { zone.utc(millis) })
}

/// A date string read with a `%`-format: local milliseconds, and the offset `%z` gave (if it did).
fn parse_with_format(text: &str, format: &str) -> Option<(i64, Option<i64>)> {
    let (mut year, mut month, mut day, mut hour, mut minute, mut second, mut milli) = (1970, 1, 1, 0, 0, 0, 0);
    let mut offset = None;
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut spec = format.chars();
    let number = |at: &mut usize, max: usize| -> Option<i64> {
        let start = *at;
        while *at < bytes.len() && *at - start < max && bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        text.get(start..*at).filter(|digits| !digits.is_empty())?.parse().ok()
    };
    while let Some(c) = spec.next() {
        if c != '%' {
            let mut buffer = [0u8; 4];
            let literal = c.encode_utf8(&mut buffer).as_bytes();
            if bytes.get(at..at + literal.len())? != literal {
                return None;
            }
            at += literal.len();
            continue;
        }
        match spec.next()? {
            'Y' => year = number(&mut at, 4)?,
            'm' => month = number(&mut at, 2)?,
            'd' => day = number(&mut at, 2)?,
            'H' => hour = number(&mut at, 2)?,
            'M' => minute = number(&mut at, 2)?,
            'S' => second = number(&mut at, 2)?,
            'L' => milli = number(&mut at, 3)?,
            'z' => {
                let sign = match bytes.get(at)? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                at += 1;
                let hhmm = number(&mut at, 4)?;
                offset = Some(sign * ((hhmm / 100) * 3_600_000 + (hhmm % 100) * 60_000));
            }
            '%' => {
                if bytes.get(at) != Some(&b'%') {
                    return None;
                }
                at += 1;
            }
            _ => return None,
        }
    }
    if at != bytes.len()
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let local =
        days_from_civil(year, month, day) * MILLIS_PER_DAY + hour * 3_600_000 + minute * 60_000 + second * 1000 + milli;
    Some((local, offset))
}

/// `$dateToParts`'s arguments: `date`, `timezone`, `iso8601` (each omitted when absent).
fn parse_date_to_parts(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let spec = named(operator, argument, &["date", "timezone", "iso8601"], (40524, 40520))?;
    let Some(date) = spec.get("date") else {
        return Err(error(40522, "Missing 'date' parameter to $dateToParts"));
    };
    let args =
        vec![parser.expression(date)?, parser.optional(spec.get("timezone"))?, parser.optional(spec.get("iso8601"))?];
    Ok(Call { operator, args, bound: Vec::new() })
}

fn date_to_parts(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let Some(millis) = date_millis(call.args.first(), context)? else { return Ok(Some(Bson::Null)) };
    let Some(zone) = zone(call.args.get(1), context)? else { return Ok(Some(Bson::Null)) };
    let iso = match call.args.get(2) {
        Some(flag) if !flag.is_omitted() => match flag.eval(context)? {
            Some(Bson::Boolean(flag)) => flag,
            value if is_nullish(value.as_ref()) => return Ok(Some(Bson::Null)),
            other => {
                return Err(error(
                    40521,
                    format!("iso8601 must evaluate to a bool, found {}", type_name_of(other.as_ref())),
                ))
            }
        },
        _ => false,
    };
    let parts = Parts::of(zone.local(millis));
    let int = |n: i64| Bson::Int32(i32::try_from(n).unwrap_or(i32::MAX));
    let mut out = Document::new();
    if iso {
        let (iso_year, iso_week) = parts.iso_week();
        out.insert("isoWeekYear", int(iso_year));
        out.insert("isoWeek", int(iso_week));
        out.insert("isoDayOfWeek", int(parts.iso_day_of_week()));
    } else {
        out.insert("year", int(parts.year));
        out.insert("month", int(parts.month));
        out.insert("day", int(parts.day));
    }
    out.insert("hour", int(parts.hour));
    out.insert("minute", int(parts.minute));
    out.insert("second", int(parts.second));
    out.insert("millisecond", int(parts.millisecond));
    Ok(Some(Bson::Document(out)))
}

/// The calendar fields `$dateFromParts` reads, in argument order (after them comes `timezone`).
const CALENDAR_PARTS: [&str; 7] = ["year", "month", "day", "hour", "minute", "second", "millisecond"];
const ISO_PARTS: [&str; 7] = ["isoWeekYear", "isoWeek", "isoDayOfWeek", "hour", "minute", "second", "millisecond"];

/// `$dateFromParts`'s arguments: the seven parts of [`CALENDAR_PARTS`] or [`ISO_PARTS`] (the call's `bound` holds
/// `"iso"` for the second), then `timezone`.
fn parse_date_from_parts(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let mut allowed: Vec<&str> = CALENDAR_PARTS.to_vec();
    allowed.extend(ISO_PARTS.iter().take(3));
    allowed.push("timezone");
    let spec = named(operator, argument, &allowed, (40519, 40518))?;
    let iso = spec.contains_key("isoWeekYear");
    if iso && ["year", "month", "day"].iter().any(|k| spec.contains_key(*k)) {
        return Err(error(40489, "$dateFromParts does not allow mixing natural dates with ISO dates"));
    }
    let names = if iso { ISO_PARTS } else { CALENDAR_PARTS };
    if !iso && !spec.contains_key("year") {
        return Err(error(40516, "$dateFromParts requires either 'year' or 'isoWeekYear' to be present"));
    }
    let mut args = Vec::with_capacity(8);
    for name in names {
        args.push(parser.optional(spec.get(name))?);
    }
    args.push(parser.optional(spec.get("timezone"))?);
    Ok(Call { operator, args, bound: if iso { vec!["iso".to_string()] } else { Vec::new() } })
}

fn date_from_parts(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let iso = !call.bound.is_empty();
    let names = if iso { ISO_PARTS } else { CALENDAR_PARTS };
    let mut values = [0i64; 7];
    for (index, (slot, name)) in values.iter_mut().zip(names).enumerate() {
        let default = if index < 3 && index > 0 { 1 } else { 0 };
        let Some(expression) = call.args.get(index).filter(|e| !e.is_omitted()) else {
            *slot = default;
            continue;
        };
        match expression.eval(context)? {
            value if is_nullish(value.as_ref()) => return Ok(Some(Bson::Null)),
            Some(value) => {
                let Some(n) = super::as_integer(&value) else {
                    return Err(error(
                        40515,
                        format!(
                            "'{name}' must evaluate to an integer, found {} with value {}",
                            type_name_of(Some(&value)),
                            describe(Some(&value))
                        ),
                    ));
                };
                if index == 0 && !(1..=9999).contains(&n) {
                    return Err(error(
                        40523,
                        format!("'{name}' must evaluate to an integer in the range 1 to 9999, found {n}"),
                    ));
                }
                if index > 0 && !(-32768..=32767).contains(&n) {
                    return Err(error(
                        31034,
                        format!(
                            "'{name}' must evaluate to a value in the range [-32768, 32767]; value {n} is not in range"
                        ),
                    ));
                }
                *slot = n;
            }
            None => *slot = default,
        }
    }
    let Some(zone) = zone(call.args.get(7), context)? else { return Ok(Some(Bson::Null)) };
    let [first, second, third, hour, minute, sec, milli] = values;
    let days = if iso {
        // Day 1 of ISO week 1 is the Monday of the week holding January 4th.
        let jan4 = days_from_civil(first, 1, 4);
        let jan4_iso_day = Parts::of(jan4 * MILLIS_PER_DAY).iso_day_of_week();
        jan4 - (jan4_iso_day - 1) + (second - 1) * 7 + (third - 1)
    } else {
        days_from_civil(first, second, 1) + third - 1
    };
    let local = days * MILLIS_PER_DAY + hour * 3_600_000 + minute * 60_000 + sec * 1000 + milli;
    Ok(Some(Bson::DateTime(bson::DateTime::from_millis(zone.utc(local)))))
}

/// A calendar unit of `$dateAdd`, `$dateDiff` and `$dateTrunc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
}

impl Unit {
    fn parse(value: Option<Bson>, operator: &str) -> MongoResult<Option<Unit>> {
        match value {
            value if is_nullish(value.as_ref()) => Ok(None),
            Some(Bson::String(text)) => Ok(Some(match text.as_str() {
                "year" => Unit::Year,
                "quarter" => Unit::Quarter,
                "month" => Unit::Month,
                "week" => Unit::Week,
                "day" => Unit::Day,
                "hour" => Unit::Hour,
                "minute" => Unit::Minute,
                "second" => Unit::Second,
                "millisecond" => Unit::Millisecond,
                other => return Err(MongoError::failed_to_parse(format!("unknown time unit value: {other}"))),
            })),
            other => Err(error(
                5439013,
                format!("{operator} requires 'unit' to be a string, but got {}", type_name_of(other.as_ref())),
            )),
        }
    }

    /// The fixed length of the unit in milliseconds, for the units that have one.
    fn fixed_millis(self) -> Option<i64> {
        match self {
            Unit::Week => Some(7 * MILLIS_PER_DAY),
            Unit::Day => Some(MILLIS_PER_DAY),
            Unit::Hour => Some(3_600_000),
            Unit::Minute => Some(60_000),
            Unit::Second => Some(1000),
            Unit::Millisecond => Some(1),
            Unit::Year | Unit::Quarter | Unit::Month => None,
        }
    }

    /// Months per unit, for the calendar units.
    fn months(self) -> i64 {
        match self {
            Unit::Year => 12,
            Unit::Quarter => 3,
            _ => 1,
        }
    }
}

/// `$dateAdd` / `$dateSubtract`'s arguments: `startDate`, `unit`, `amount`, `timezone`.
fn parse_date_add(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let name = operator.name;
    let spec = named(operator, argument, &["startDate", "unit", "amount", "timezone"], (5166400, 5166401))?;
    let mut args = Vec::with_capacity(4);
    for key in ["startDate", "unit", "amount"] {
        let Some(value) = spec.get(key) else {
            return Err(error(5166402, format!("{name} requires '{key}' to be specified")));
        };
        args.push(parser.expression(value)?);
    }
    args.push(parser.optional(spec.get("timezone"))?);
    Ok(Call { operator, args, bound: Vec::new() })
}

/// The local date `months` months after `local_millis`, the day clamped to the month's last day (Jan 31 + 1 month
/// is the end of February).
fn add_months(local_millis: i64, months: i64) -> i64 {
    let parts = Parts::of(local_millis);
    let total = parts.year * 12 + (parts.month - 1) + months;
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let last_day = days_from_civil(year, month + 1, 1) - days_from_civil(year, month, 1);
    let day = parts.day.min(last_day);
    let in_day = local_millis.rem_euclid(MILLIS_PER_DAY);
    days_from_civil(year, month, day).saturating_mul(MILLIS_PER_DAY).saturating_add(in_day)
}

fn date_add(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let name = call.operator.name;
    let start = argument(call, 0, context)?;
    let unit = Unit::parse(argument(call, 1, context)?, name)?;
    let amount = argument(call, 2, context)?;
    let Some(zone) = zone(call.args.get(3), context)? else { return Ok(Some(Bson::Null)) };
    let (Some(unit), false, false) = (unit, is_nullish(start.as_ref()), is_nullish(amount.as_ref())) else {
        return Ok(Some(Bson::Null));
    };
    let Some(start) = start.as_ref().and_then(|value| to_date_millis(value).ok()) else {
        return Err(error(5166403, format!("{name} requires startDate to be convertible to a date")));
    };
    let Some(mut amount) = amount.as_ref().and_then(super::as_integer) else {
        return Err(error(5166405, format!("{name} expects integer amount of time units")));
    };
    if name == "$dateSubtract" {
        amount = amount.checked_neg().unwrap_or(i64::MAX);
    }
    let overflow = || error(5166406, format!("{name} overflowed"));
    let result = match unit.fixed_millis() {
        Some(length) => start.checked_add(amount.checked_mul(length).ok_or_else(overflow)?).ok_or_else(overflow)?,
        None => {
            let months = amount.checked_mul(unit.months()).filter(|m| m.abs() < 1_000_000).ok_or_else(overflow)?;
            zone.utc(add_months(zone.local(start), months))
        }
    };
    Ok(Some(Bson::DateTime(bson::DateTime::from_millis(result))))
}

/// `$dateDiff`'s arguments: `startDate`, `endDate`, `unit`, `timezone`, `startOfWeek`.
fn parse_date_diff(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let spec =
        named(operator, argument, &["startDate", "endDate", "unit", "timezone", "startOfWeek"], (5166301, 5166302))?;
    let mut args = Vec::with_capacity(5);
    for key in ["startDate", "endDate", "unit"] {
        let Some(value) = spec.get(key) else {
            return Err(error(5166303, format!("Missing '{key}' parameter to $dateDiff")));
        };
        args.push(parser.expression(value)?);
    }
    args.push(parser.optional(spec.get("timezone"))?);
    args.push(parser.optional(spec.get("startOfWeek"))?);
    Ok(Call { operator, args, bound: Vec::new() })
}

/// The first day of the week a `startOfWeek` names, as 1 (Sunday) to 7 (Saturday).
fn start_of_week(expression: Option<&Expression>, context: &mut Context<'_>) -> MongoResult<i64> {
    let Some(expression) = expression.filter(|e| !e.is_omitted()) else { return Ok(1) };
    let text = match expression.eval(context)? {
        Some(Bson::String(text)) => text.to_ascii_lowercase(),
        other => {
            return Err(error(5439015, format!("startOfWeek must be a string, got {}", type_name_of(other.as_ref()))))
        }
    };
    const DAYS: [&str; 7] = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
    DAYS.iter()
        .position(|day| *day == text || day.get(..3) == Some(text.as_str()))
        .map(|index| index as i64 + 1)
        .ok_or_else(|| error(5439016, format!("unknown day of week value: {text}")))
}

/// Which week (counted from a fixed Sunday-or-other start) a local date falls in.
fn week_number(local_millis: i64, first_day: i64) -> i64 {
    let days = local_millis.div_euclid(MILLIS_PER_DAY);
    // 1970-01-01 was a Thursday: day_of_week 5.
    let day_of_week = (days + 4).rem_euclid(7) + 1;
    let into_week = (day_of_week - first_day).rem_euclid(7);
    (days - into_week).div_euclid(7)
}

fn date_diff(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let start = date_millis(call.args.first(), context)?;
    let end = date_millis(call.args.get(1), context)?;
    let unit = Unit::parse(argument(call, 2, context)?, "$dateDiff")?;
    let Some(zone) = zone(call.args.get(3), context)? else { return Ok(Some(Bson::Null)) };
    let first_day = start_of_week(call.args.get(4), context)?;
    let (Some(start), Some(end), Some(unit)) = (start, end, unit) else { return Ok(Some(Bson::Null)) };
    let (a, b) = (zone.local(start), zone.local(end));
    let difference = match unit {
        Unit::Year | Unit::Quarter | Unit::Month => {
            let (pa, pb) = (Parts::of(a), Parts::of(b));
            let months = (pb.year * 12 + pb.month) - (pa.year * 12 + pa.month);
            match unit {
                Unit::Year => pb.year - pa.year,
                Unit::Quarter => (pb.year * 4 + (pb.month - 1) / 3) - (pa.year * 4 + (pa.month - 1) / 3),
                _ => months,
            }
        }
        Unit::Week => week_number(b, first_day) - week_number(a, first_day),
        fixed => {
            let length = fixed.fixed_millis().unwrap_or(1);
            b.div_euclid(length) - a.div_euclid(length)
        }
    };
    Ok(Some(Bson::Int64(difference)))
}

/// `$dateTrunc`'s arguments: `date`, `unit`, `binSize`, `timezone`, `startOfWeek`.
fn parse_date_trunc(operator: &'static Operator, argument: &Bson, parser: &mut Parser) -> MongoResult<Call> {
    let spec = named(operator, argument, &["date", "unit", "binSize", "timezone", "startOfWeek"], (5439007, 5439008))?;
    let mut args = Vec::with_capacity(5);
    for key in ["date", "unit"] {
        let Some(value) = spec.get(key) else {
            return Err(error(5439009, format!("$dateTrunc requires '{key}' parameter")));
        };
        args.push(parser.expression(value)?);
    }
    args.push(parser.optional(spec.get("binSize"))?);
    args.push(parser.optional(spec.get("timezone"))?);
    args.push(parser.optional(spec.get("startOfWeek"))?);
    Ok(Call { operator, args, bound: Vec::new() })
}

fn date_trunc(call: &Call, context: &mut Context<'_>) -> MongoResult<Evaluated> {
    let date = date_millis(call.args.first(), context)?;
    let unit = Unit::parse(argument(call, 1, context)?, "$dateTrunc")?;
    let bin = match call.args.get(2) {
        Some(bin) if !bin.is_omitted() => match bin.eval(context)? {
            value if is_nullish(value.as_ref()) => return Ok(Some(Bson::Null)),
            Some(value) => match super::as_integer(&value) {
                Some(n) if n > 0 => n,
                _ => {
                    return Err(error(
                        5439017,
                        format!(
                        "$dateTrunc requires 'binSize' to be a positive 64-bit integer, but got value '{}' of type {}",
                        describe(Some(&value)),
                        type_name_of(Some(&value))
                    ),
                    ))
                }
            },
            None => 1,
        },
        _ => 1,
    };
    let Some(zone) = zone(call.args.get(3), context)? else { return Ok(Some(Bson::Null)) };
    let first_day = start_of_week(call.args.get(4), context)?;
    let (Some(date), Some(unit)) = (date, unit) else { return Ok(Some(Bson::Null)) };
    let local = zone.local(date);
    // Bins count from 2000-01-01, as MongoDB's reference point.
    let reference = days_from_civil(2000, 1, 1) * MILLIS_PER_DAY;
    let truncated = match unit {
        Unit::Year | Unit::Quarter | Unit::Month => {
            let parts = Parts::of(local);
            let months_since = (parts.year - 2000) * 12 + (parts.month - 1);
            let step = unit.months().saturating_mul(bin);
            let start = months_since.div_euclid(step) * step;
            days_from_civil(2000 + start.div_euclid(12), start.rem_euclid(12) + 1, 1) * MILLIS_PER_DAY
        }
        Unit::Week => {
            let week_start = (reference.div_euclid(MILLIS_PER_DAY)
                - (Parts::of(reference).day_of_week - first_day).rem_euclid(7))
                * MILLIS_PER_DAY;
            let step = 7 * MILLIS_PER_DAY * bin;
            week_start.saturating_add(local.saturating_sub(week_start).div_euclid(step).saturating_mul(step))
        }
        fixed => {
            let step = fixed.fixed_millis().unwrap_or(1).saturating_mul(bin);
            reference.saturating_add(local.saturating_sub(reference).div_euclid(step).saturating_mul(step))
        }
    };
    Ok(Some(Bson::DateTime(bson::DateTime::from_millis(zone.utc(truncated)))))
}

#[cfg(test)]
mod tests {
    use crate::engine::expr::tests::{eval_on, show};
    use bson::{bson, doc, Bson};

    fn date(text: &str) -> Bson {
        Bson::DateTime(bson::DateTime::from_millis(crate::js::dates::parse_isodate(text).unwrap()))
    }

    fn eval(e: Bson) -> String {
        // The document of MongoDB's date operator pages: 2014-01-01T08:15:39.736Z, a Wednesday.
        show(eval_on(e, &doc! {"date": date("2014-01-01T08:15:39.736Z"), "z": null, "s": "x"}))
    }

    #[test]
    fn parts_of_a_date() {
        let parts: Vec<String> = [
            "$year",
            "$month",
            "$dayOfMonth",
            "$hour",
            "$minute",
            "$second",
            "$millisecond",
            "$dayOfYear",
            "$dayOfWeek",
            "$week",
            "$isoWeek",
            "$isoWeekYear",
            "$isoDayOfWeek",
        ]
        .into_iter()
        .map(|op| eval(bson!({op: "$date"})))
        .collect();
        // As the $dateToParts example lists them.
        expect_test::expect!["2014 1 1 8 15 39 736 1 4 0 1 2014 3"].assert_eq(&parts.join(" "));
        assert_eq!(eval(bson!({"$hour": {"date": "$date", "timezone": "-05:00"}})), "3");
        assert_eq!(eval(bson!({"$year": "$z"})), "null");
        assert_eq!(eval(bson!({"$year": "$s"})), "error: can't convert from BSON type string to Date");
        assert_eq!(
            eval(bson!({"$month": {"date": "$date", "zone": "UTC"}})),
            "error: unrecognized option to $month: \"zone\""
        );
        assert!(eval(bson!({"$hour": {"date": "$date", "timezone": "Mars/Olympus"}}))
            .contains("unrecognized time zone identifier"));
    }

    #[test]
    fn named_zones_follow_daylight_saving() {
        let hour =
            |when: &str, zone: &str| show(eval_on(bson!({"$hour": {"date": date(when), "timezone": zone}}), &doc! {}));
        // Winter and summer in London, Paris, New York and Sydney (whose summer is in January).
        assert_eq!(hour("2024-01-15T12:00:00Z", "Europe/London"), "12");
        assert_eq!(hour("2024-07-15T12:00:00Z", "Europe/London"), "13");
        assert_eq!(hour("2024-07-15T12:00:00Z", "Europe/Paris"), "14");
        assert_eq!(hour("2024-03-31T00:59:00Z", "Europe/Paris"), "1", "just before the switch");
        assert_eq!(hour("2024-03-31T01:00:00Z", "Europe/Paris"), "3", "just after it");
        assert_eq!(hour("2024-01-15T12:00:00Z", "America/New_York"), "7");
        assert_eq!(hour("2024-07-15T12:00:00Z", "America/New_York"), "8");
        assert_eq!(hour("2024-03-10T06:59:00Z", "America/New_York"), "1");
        assert_eq!(hour("2024-03-10T07:00:00Z", "America/New_York"), "3");
        assert_eq!(hour("2024-01-15T12:00:00Z", "Australia/Sydney"), "23");
        assert_eq!(hour("2024-07-15T12:00:00Z", "Australia/Sydney"), "22");
        assert_eq!(hour("2024-07-15T12:00:00Z", "Asia/Kolkata"), "17");
        assert_eq!(hour("2024-07-15T12:00:00Z", "Etc/GMT+5"), "7");
        assert_eq!(
            eval(
                bson!({"$dateToString": {"date": date("2024-07-15T12:00:00Z"), "format": "%H:%M %z", "timezone": "Europe/London"}})
            ),
            "\"13:00 +0100\""
        );
        assert_eq!(
            eval(
                bson!({"$dateFromParts": {"year": 2024, "month": 7, "day": 15, "hour": 13, "timezone": "Europe/London"}})
            ),
            show(Ok(Some(date("2024-07-15T12:00:00Z"))))
        );
    }

    #[test]
    fn date_to_string_formats() {
        assert_eq!(eval(bson!({"$dateToString": {"format": "%Y-%m-%d", "date": "$date"}})), "\"2014-01-01\"");
        assert_eq!(
            eval(bson!({"$dateToString": {"format": "%H:%M:%S:%L%z", "date": "$date", "timezone": "+04:30"}})),
            "\"12:45:39:736+0430\""
        );
        assert_eq!(eval(bson!({"$dateToString": {"date": "$date"}})), "\"2014-01-01T08:15:39.736Z\"");
        assert_eq!(
            eval(bson!({"$dateToString": {"format": "%j %U %V %u %w %b %B", "date": "$date"}})),
            "\"001 00 01 3 4 Jan January\""
        );
        assert_eq!(eval(bson!({"$dateToString": {"date": "$z", "onNull": "none"}})), "\"none\"");
        assert_eq!(
            eval(bson!({"$dateToString": {"format": "%Q", "date": "$date"}})),
            "error: Invalid format character '%Q' in format string"
        );
        assert_eq!(
            eval(bson!({"$dateToString": {"format": "%Y"}})),
            "error: Missing 'date' parameter to $dateToString"
        );
    }

    #[test]
    fn building_and_parsing_dates() {
        assert_eq!(
            eval(bson!({"$dateFromString": {"dateString": "2017-02-08T12:10:40.787"}})),
            show(Ok(Some(date("2017-02-08T12:10:40.787Z"))))
        );
        assert_eq!(
            eval(bson!({"$dateFromString": {"dateString": "15-06-2018", "format": "%d-%m-%Y"}})),
            show(Ok(Some(date("2018-06-15T00:00:00Z"))))
        );
        assert_eq!(eval(bson!({"$dateFromString": {"dateString": "nope", "onError": "bad"}})), "\"bad\"");
        assert_eq!(
            eval(bson!({"$dateFromParts": {"year": 2017, "month": 2, "day": 8, "hour": 12}})),
            show(Ok(Some(date("2017-02-08T12:00:00Z"))))
        );
        assert_eq!(
            eval(bson!({"$dateFromParts": {"year": 2017, "month": 14, "day": 1}})),
            show(Ok(Some(date("2018-02-01T00:00:00Z"))))
        );
        assert_eq!(
            eval(bson!({"$dateFromParts": {"isoWeekYear": 2017, "isoWeek": 6, "isoDayOfWeek": 3}})),
            show(Ok(Some(date("2017-02-08T00:00:00Z"))))
        );
        assert_eq!(
            eval(bson!({"$dateToParts": {"date": "$date"}})),
            "{ year: 2014, month: 1, day: 1, hour: 8, minute: 15, second: 39, millisecond: 736 }"
        );
        assert_eq!(
            eval(bson!({"$dateToParts": {"date": "$date", "iso8601": true}})),
            "{ isoWeekYear: 2014, isoWeek: 1, isoDayOfWeek: 3, hour: 8, minute: 15, second: 39, millisecond: 736 }"
        );
    }

    #[test]
    fn date_arithmetic() {
        assert_eq!(
            eval(bson!({"$dateAdd": {"startDate": date("2020-01-31T10:00:00Z"), "unit": "month", "amount": 1}})),
            show(Ok(Some(date("2020-02-29T10:00:00Z"))))
        );
        assert_eq!(
            eval(bson!({"$dateSubtract": {"startDate": "$date", "unit": "day", "amount": 1}})),
            show(Ok(Some(date("2013-12-31T08:15:39.736Z"))))
        );
        assert_eq!(
            eval(bson!({"$dateAdd": {"startDate": "$date", "unit": "fortnight", "amount": 1}})),
            "error: unknown time unit value: fortnight"
        );
        assert_eq!(
            eval(
                bson!({"$dateDiff": {"startDate": date("2020-12-31T23:00:00Z"), "endDate": date("2021-01-01T01:00:00Z"), "unit": "year"}})
            ),
            "1"
        );
        assert_eq!(
            eval(
                bson!({"$dateDiff": {"startDate": date("2021-01-01T00:00:00Z"), "endDate": date("2021-01-10T00:00:00Z"), "unit": "week"}})
            ),
            "2",
            "two Sundays begin weeks in between"
        );
        assert_eq!(
            eval(
                bson!({"$dateDiff": {"startDate": date("2021-01-01T00:00:00Z"), "endDate": date("2021-01-02T12:00:00Z"), "unit": "day"}})
            ),
            "1"
        );
        assert_eq!(
            eval(bson!({"$dateTrunc": {"date": "$date", "unit": "month"}})),
            show(Ok(Some(date("2014-01-01T00:00:00Z"))))
        );
        assert_eq!(
            eval(bson!({"$dateTrunc": {"date": "$date", "unit": "hour", "binSize": 6}})),
            show(Ok(Some(date("2014-01-01T06:00:00Z"))))
        );
        assert_eq!(
            eval(bson!({"$dateTrunc": {"date": "$date", "unit": "week"}})),
            show(Ok(Some(date("2013-12-29T00:00:00Z"))))
        );
    }
}
