//! ISO 8601 strings: dates, times, offsets, date-times and durations.

use super::components::{DurationBuilder, date_of_ints};
use super::{Component, MAX_OFFSET, NANOS_PER_SECOND, Res, Temporal, TemporalError, TemporalKind, err};

impl Temporal {
    /// A value of `kind` from an ISO 8601 string: dates `2015-07-21`,
    /// `20150721`, `2015-07`, `2015-W30-2`, `2015-202`, `2015`; times
    /// `21:40:32.142`, `214032`, `21:40`, `21`, then an offset for `time`
    /// (`Z`, `+01:00`, `+0100`, `+01`; default UTC); date-times a date,
    /// `T`, a time (and offset for `datetime`); durations
    /// `P1Y2M3W4DT5H6M7.5S` (fractions allowed, each part may be negative).
    pub fn parse(kind: TemporalKind, text: &str) -> Res<Temporal> {
        let bad = || TemporalError(format!("{text:?} is not a valid {} string", kind.name()));
        let s = text.trim();
        if !s.is_ascii() {
            return Err(bad());
        }
        if kind == TemporalKind::Duration {
            return parse_duration(s).ok_or_else(bad)?;
        }
        let (date_part, time_part) = match kind {
            TemporalKind::Date => (Some(s), None),
            TemporalKind::LocalTime | TemporalKind::Time => (None, Some(s)),
            _ => match s.split_once(['T', 't']) {
                Some((d, t)) => (Some(d), Some(t)),
                None => (Some(s), None),
            },
        };
        let days = match date_part {
            Some(d) => parse_date(d).ok_or_else(bad)??,
            None => 0,
        };
        let (nanos, zone) = match time_part {
            Some(t) => {
                let (clock, zone) = split_zone(t);
                (parse_clock(clock).ok_or_else(bad)?, zone)
            }
            None => (0, None),
        };
        let offset = match zone {
            Some(z) if kind.has_zone() => parse_offset(z)?,
            Some(_) => return err(format!("a {} has no time zone: {text:?}", kind.name())),
            None => 0,
        };
        Temporal::assemble(kind, days, nanos, offset)
    }
}

/// Parses a UTC offset (`Z`, `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS`) or
/// the zone name `UTC`.
pub(super) fn parse_offset(s: &str) -> Res<i32> {
    if s == "Z" || s == "z" || s.eq_ignore_ascii_case("UTC") {
        return Ok(0);
    }
    let bad = || TemporalError(format!("{s:?} is not a UTC offset (named time zones are not supported)"));
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4 | 6) {
        return Err(bad());
    }
    let part = |i: usize| digits.get(i..i + 2).map_or(Ok(0), |p| p.parse::<i32>().map_err(|_| bad()));
    let (h, m, sec) = (part(0)?, part(2)?, part(4)?);
    if m >= 60 || sec >= 60 {
        return Err(bad());
    }
    let total = sign * (h * 3600 + m * 60 + sec);
    if total.abs() > MAX_OFFSET {
        return err(format!("the offset {s} is out of range -18:00..=+18:00"));
    }
    Ok(total)
}

/// The value of 1 to 18 ASCII digits.
fn digits(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Days of an ISO date string; `None` if it is not one, `Some(Err)` if it
/// is one out of range.
fn parse_date(s: &str) -> Option<Res<i64>> {
    let (sign, body) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => (1, s),
    };
    let signed = body.len() != s.len();
    // The year: four digits, or (signed) digits up to the first '-'.
    let year_len = if signed { body.find('-').unwrap_or(body.len()) } else { 4.min(body.len()) };
    if year_len < 4 {
        return None;
    }
    let year = sign * digits(&body[..year_len])?;
    let rest = &body[year_len..];
    let f = |pairs: &[(&str, i64)]| Some(date_of_ints(&[&[("year", year)], pairs].concat()));
    let (dashed, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    if rest.is_empty() {
        return if dashed { None } else { f(&[]) };
    }
    if let Some(w) = rest.strip_prefix(['W', 'w']) {
        let (week, dow) = match (dashed, w.len()) {
            (_, 2) => (digits(w)?, None),
            (true, 4) if w.as_bytes()[2] == b'-' => (digits(&w[..2])?, Some(digits(&w[3..])?)),
            (false, 3) => (digits(&w[..2])?, Some(digits(&w[2..])?)),
            _ => return None,
        };
        return match dow {
            Some(d) => f(&[("week", week), ("dayofweek", d)]),
            None => f(&[("week", week)]),
        };
    }
    match (dashed, rest.len()) {
        (_, 2) => f(&[("month", digits(rest)?)]),
        (_, 3) => f(&[("ordinalday", digits(rest)?)]),
        (true, 5) if rest.as_bytes()[2] == b'-' => f(&[("month", digits(&rest[..2])?), ("day", digits(&rest[3..])?)]),
        (false, 4) => f(&[("month", digits(&rest[..2])?), ("day", digits(&rest[2..])?)]),
        _ => None,
    }
}

/// Splits a time string into the clock and the zone after it, if any.
fn split_zone(t: &str) -> (&str, Option<&str>) {
    let zone_start = t.find(['Z', 'z', '+', '-', '[']);
    match zone_start {
        Some(i) => (&t[..i], Some(&t[i..])),
        None => (t, None),
    }
}

/// Nanoseconds of the day of `HH[:MM[:SS[.fff]]]` or `HH[MM[SS[.fff]]]`.
fn parse_clock(s: &str) -> Option<u64> {
    let (main, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = if main.contains(':') {
        main.split(':').collect()
    } else {
        if main.len() % 2 != 0 {
            return None;
        }
        (0..main.len() / 2).map(|i| &main[i * 2..i * 2 + 2]).collect()
    };
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    if frac.is_some() && parts.len() != 3 {
        return None;
    }
    let vals: Vec<i64> = parts.iter().map(|p| digits(p)).collect::<Option<_>>()?;
    let (h, m, sec) = (vals[0], vals.get(1).copied().unwrap_or(0), vals.get(2).copied().unwrap_or(0));
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let ns = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 => digits(f)? * 10i64.pow(9 - f.len() as u32),
        Some(_) => return None,
        None => 0,
    };
    Some(((h * 3600 + m * 60 + sec) * NANOS_PER_SECOND + ns) as u64)
}

/// The nanoseconds of a decimal number of seconds (`-1.5`, `.25`; up to
/// 18 whole digits and 9 fraction digits).
fn exact_nanos(num: &str) -> Option<i128> {
    let (neg, body) = match num.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, num.strip_prefix('+').unwrap_or(num)),
    };
    let (whole, frac) = body.split_once('.')?;
    let all_digits = whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit());
    if frac.is_empty() || frac.len() > 9 || whole.len() > 18 || !all_digits {
        return None;
    }
    let w: i128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let f: i128 = frac.parse::<i128>().ok()? * 10i128.pow(9 - frac.len() as u32);
    let n = w * i128::from(NANOS_PER_SECOND) + f;
    Some(if neg { -n } else { n })
}

/// A duration of `P[nY][nM][nW][nD][T[nH][nM][nS]]`.
fn parse_duration(s: &str) -> Option<Res<Temporal>> {
    let body = s.strip_prefix(['P', 'p'])?;
    let (date, time) = match body.split_once(['T', 't']) {
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    if body.is_empty() || time.is_some_and(str::is_empty) {
        return None;
    }
    let mut b = DurationBuilder::default();
    let mut parts = |text: &str, units: &[(char, &str)]| -> Option<Res<()>> {
        let mut rest = text;
        let mut next_unit = 0;
        while !rest.is_empty() {
            let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
            let (num, tail) = rest.split_at(end);
            let unit = tail.chars().next()?.to_ascii_uppercase();
            let at = units.iter().skip(next_unit).position(|(u, _)| *u == unit)? + next_unit;
            next_unit = at + 1;
            let key = units[at].1;
            let num = num.replace(',', ".");
            rest = &tail[1..];
            if key == "seconds" && num.contains('.') {
                // Fractional seconds exactly, not through a float.
                b.nanos += exact_nanos(&num)?;
                continue;
            }
            let c = match num.parse::<i64>() {
                Ok(i) => Component::Int(i),
                Err(_) => Component::Float(num.parse::<f64>().ok().filter(|x| x.is_finite())?),
            };
            if let Err(e) = b.add(key, &c) {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    };
    if let Err(e) = parts(date, &[('Y', "years"), ('M', "months"), ('W', "weeks"), ('D', "days")])? {
        return Some(Err(e));
    }
    if let Some(t) = time
        && let Err(e) = parts(t, &[('H', "hours"), ('M', "minutes"), ('S', "seconds")])?
    {
        return Some(Err(e));
    }
    Some(b.build().map(Temporal::from))
}
