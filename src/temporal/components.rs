//! Construction from component maps, from another temporal value and from the clock.

use std::collections::BTreeMap;

use super::calendar::{
    check_days, check_range, check_year, date_ymd, day_and_clock, days_from_civil, is_leap, week_one, weeks_in_year,
};
use super::parse::parse_offset;
use super::{
    Component, Duration, NANOS_PER_DAY, NANOS_PER_SECOND, Res, SECONDS_PER_DAY, SECONDS_PER_MONTH, Temporal,
    TemporalError, TemporalKind, err, split_nanos,
};

/// Component `key` as an integer, an error if it is not one.
fn int_of(key: &str, c: &Component) -> Res<i64> {
    match c {
        Component::Int(i) => Ok(*i),
        _ => err(format!("{key} must be an Integer")),
    }
}

/// The keys each kind's map may hold.
fn allowed(kind: TemporalKind, key: &str) -> bool {
    const DATE: &[&str] = &["year", "month", "day", "week", "dayofweek", "ordinalday", "quarter", "dayofquarter"];
    const TIME: &[&str] = &["hour", "minute", "second", "millisecond", "microsecond", "nanosecond"];
    const DURATION: &[&str] = &[
        "years",
        "quarters",
        "months",
        "weeks",
        "days",
        "hours",
        "minutes",
        "seconds",
        "milliseconds",
        "microseconds",
        "nanoseconds",
    ];
    let k = key.to_ascii_lowercase();
    let k = k.as_str();
    match kind {
        TemporalKind::Duration => DURATION.contains(&k),
        _ => {
            (kind.has_date() && DATE.contains(&k))
                || (kind.has_time() && TIME.contains(&k))
                || (kind.has_zone() && k == "timezone")
                || (kind == TemporalKind::DateTime && matches!(k, "epochseconds" | "epochmillis"))
        }
    }
}

/// Component maps, looked up by case-insensitive key.
struct Fields<'a>(BTreeMap<String, &'a Component>);

impl Fields<'_> {
    fn int(&self, key: &str) -> Res<Option<i64>> {
        self.0.get(key).map(|c| int_of(key, c)).transpose()
    }

    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
}

/// The date a component map describes (`year` with `month`/`day`,
/// `week`/`dayOfWeek`, `ordinalDay` or `quarter`/`dayOfQuarter`).
fn date_of(f: &Fields<'_>) -> Res<i64> {
    let Some(year) = f.int("year")? else { return err("a date needs a year") };
    let year = check_year(year)?;
    let mixed = |a: &[&str], b: &[&str]| a.iter().any(|k| f.has(k)) && b.iter().any(|k| f.has(k));
    let groups: [&[&str]; 4] =
        [&["month", "day"], &["week", "dayofweek"], &["ordinalday"], &["quarter", "dayofquarter"]];
    for (i, a) in groups.iter().enumerate() {
        for b in &groups[i + 1..] {
            if mixed(a, b) {
                return err(format!("cannot combine {} with {}", a.join("/"), b.join("/")));
            }
        }
    }
    if let Some(week) = f.int("week")? {
        let week = check_range("week", week, 1, weeks_in_year(year))?;
        let dow = check_range("dayOfWeek", f.int("dayofweek")?.unwrap_or(1), 1, 7)?;
        return check_days(week_one(year) + (week - 1) * 7 + dow - 1);
    }
    if f.has("dayofweek") {
        return err("dayOfWeek needs a week");
    }
    if let Some(od) = f.int("ordinalday")? {
        let od = check_range("ordinalDay", od, 1, if is_leap(year) { 366 } else { 365 })?;
        return Ok(days_from_civil(year, 1, 1) + od - 1);
    }
    if let Some(q) = f.int("quarter")? {
        let q = check_range("quarter", q, 1, 4)?;
        let start = days_from_civil(year, (q - 1) * 3 + 1, 1);
        let len = days_from_civil(year + i64::from(q == 4), if q == 4 { 1 } else { q * 3 + 1 }, 1) - start;
        let dq = check_range("dayOfQuarter", f.int("dayofquarter")?.unwrap_or(1), 1, len)?;
        return Ok(start + dq - 1);
    }
    if f.has("dayofquarter") {
        return err("dayOfQuarter needs a quarter");
    }
    let month = f.int("month")?;
    let day = f.int("day")?;
    if day.is_some() && month.is_none() {
        return err("day needs a month");
    }
    date_ymd(year, month.unwrap_or(1), day.unwrap_or(1))
}

/// The date of integer components (lower-case keys), as [`date_of`] reads
/// a map (the date strings' parts).
pub(super) fn date_of_ints(pairs: &[(&str, i64)]) -> Res<i64> {
    let map: BTreeMap<String, Component> = pairs.iter().map(|(k, v)| (k.to_string(), Component::Int(*v))).collect();
    date_of(&Fields(map.iter().map(|(k, v)| (k.clone(), v)).collect()))
}

/// The nanoseconds of the day a component map describes (`hour`, then
/// optionally `minute`, `second`, and sub-second parts).
fn time_of(f: &Fields<'_>, required: bool) -> Res<u64> {
    let chain = ["hour", "minute", "second"];
    let sub = ["millisecond", "microsecond", "nanosecond"];
    for (i, k) in chain.iter().enumerate() {
        if !f.has(k)
            && let Some(later) = chain[i + 1..].iter().chain(&sub).find(|x| f.has(x))
        {
            return err(format!("{later} needs {k}"));
        }
    }
    let hour = match f.int("hour")? {
        Some(h) => check_range("hour", h, 0, 23)?,
        None if required => return err("a time needs an hour"),
        None => 0,
    };
    let minute = check_range("minute", f.int("minute")?.unwrap_or(0), 0, 59)?;
    let second = check_range("second", f.int("second")?.unwrap_or(0), 0, 59)?;
    let ms = check_range("millisecond", f.int("millisecond")?.unwrap_or(0), 0, 999)?;
    let us = check_range("microsecond", f.int("microsecond")?.unwrap_or(0), 0, 999_999)?;
    let ns = check_range("nanosecond", f.int("nanosecond")?.unwrap_or(0), 0, 999_999_999)?;
    let frac = ms * 1_000_000 + us * 1000 + ns;
    if frac >= NANOS_PER_SECOND {
        return err("the sub-second parts add up to a second or more");
    }
    Ok(((hour * 3600 + minute * 60 + second) * NANOS_PER_SECOND + frac) as u64)
}

fn zone_of(f: &Fields<'_>) -> Res<i32> {
    match f.0.get("timezone") {
        None => Ok(0),
        Some(Component::Str(s)) => parse_offset(s),
        Some(_) => err("timezone must be a String"),
    }
}

/// Adds a component to a duration under construction, cascading fractions
/// into the smaller units (a month is [`SECONDS_PER_MONTH`] seconds).
#[derive(Default)]
pub(super) struct DurationBuilder {
    /// Months so far.
    pub(super) months: i128,
    /// Days so far.
    pub(super) days: i128,
    /// Nanoseconds so far (seconds included).
    pub(super) nanos: i128,
}

impl DurationBuilder {
    /// Adds component `key` (a duration key, lower-case) of value `c`.
    pub(super) fn add(&mut self, key: &str, c: &Component) -> Res<()> {
        let (unit_months, unit_days, unit_nanos): (i128, i128, i128) = match key {
            "years" => (12, 0, 0),
            "quarters" => (3, 0, 0),
            "months" => (1, 0, 0),
            "weeks" => (0, 7, 0),
            "days" => (0, 1, 0),
            "hours" => (0, 0, 3600 * 1_000_000_000),
            "minutes" => (0, 0, 60 * 1_000_000_000),
            "seconds" => (0, 0, 1_000_000_000),
            "milliseconds" => (0, 0, 1_000_000),
            "microseconds" => (0, 0, 1000),
            _ => (0, 0, 1),
        };
        match c {
            Component::Int(i) => {
                let i = i128::from(*i);
                self.months += i * unit_months;
                self.days += i * unit_days;
                self.nanos += i * unit_nanos;
            }
            Component::Float(x) => {
                // Far past any representable duration (1e30 ns is 3e13 years),
                // and small enough that the sums below stay in range.
                let limit = |v: f64| v.is_finite() && v.abs() < 1e30;
                if !limit(x * unit_months as f64) || !limit(x * unit_days as f64) || !limit(x * unit_nanos as f64) {
                    return err(format!("{key} {x} is out of range"));
                }
                let months = x * unit_months as f64;
                let whole_months = months.trunc();
                let days = (months - whole_months) * (SECONDS_PER_MONTH as f64 / SECONDS_PER_DAY as f64)
                    + x * unit_days as f64;
                let whole_days = days.trunc();
                let nanos = (days - whole_days) * NANOS_PER_DAY as f64 + x * unit_nanos as f64;
                self.months += whole_months as i128;
                self.days += whole_days as i128;
                self.nanos += nanos.round() as i128;
            }
            Component::Str(_) => return err(format!("{key} must be a number")),
        }
        Ok(())
    }

    /// The duration built, an error if a unit overflows.
    pub(super) fn build(self) -> Res<Duration> {
        let range = || TemporalError("the duration is out of range".into());
        let (seconds, nanos) = split_nanos(self.nanos).map_err(|_| range())?;
        Ok(Duration {
            months: i64::try_from(self.months).map_err(|_| range())?,
            days: i64::try_from(self.days).map_err(|_| range())?,
            seconds,
            nanos,
        })
    }
}

impl Temporal {
    /// A value of `kind` from a map of components, keys case-insensitive:
    /// dates take `year` (required) with `month` and `day`, or `week` and
    /// `dayOfWeek`, or `ordinalDay`, or `quarter` and `dayOfQuarter`; times
    /// take `hour` (required), `minute`, `second`, `millisecond`,
    /// `microsecond`, `nanosecond` (each needs the one before it), and
    /// `timezone` (`'+01:00'`, `'Z'`; default UTC) for `time` and
    /// `datetime`; `datetime` also takes `epochSeconds` or `epochMillis`
    /// (with `nanosecond`). Durations take `years`, `quarters`, `months`,
    /// `weeks`, `days`, `hours`, `minutes`, `seconds`, `milliseconds`,
    /// `microseconds`, `nanoseconds`, integers or floats (fractions cascade
    /// into smaller units). Unknown keys, wrong types and out-of-range
    /// components are errors.
    pub fn from_components(kind: TemporalKind, map: &BTreeMap<String, Component>) -> Res<Temporal> {
        let mut fields = BTreeMap::new();
        for (k, v) in map {
            if !allowed(kind, k) {
                return err(format!("{}() does not take the component {k}", kind.name().to_ascii_lowercase()));
            }
            if fields.insert(k.to_ascii_lowercase(), v).is_some() {
                return err(format!("the component {k} is given twice"));
            }
        }
        let f = Fields(fields);
        if kind == TemporalKind::Duration {
            let mut b = DurationBuilder::default();
            for (k, v) in &f.0 {
                b.add(k, v)?;
            }
            return Ok(b.build()?.into());
        }
        if kind == TemporalKind::DateTime && (f.has("epochseconds") || f.has("epochmillis")) {
            if f.0.keys().any(|k| !matches!(k.as_str(), "epochseconds" | "epochmillis" | "nanosecond" | "timezone")) {
                return err("epochSeconds and epochMillis take only nanosecond and timezone besides");
            }
            let ns = check_range("nanosecond", f.int("nanosecond")?.unwrap_or(0), 0, 999_999_999)?;
            let total = i128::from(f.int("epochseconds")?.unwrap_or(0)) * i128::from(NANOS_PER_SECOND)
                + i128::from(f.int("epochmillis")?.unwrap_or(0)) * 1_000_000
                + i128::from(ns);
            let (seconds, nanos) = split_nanos(total)?;
            let t = Temporal::DateTime { seconds, nanos, offset: zone_of(&f)? };
            return if t.is_valid() { Ok(t) } else { err("the date-time is out of range") };
        }
        let days = if kind.has_date() { date_of(&f)? } else { 0 };
        let nanos = if kind.has_time() { time_of(&f, !kind.has_date())? } else { 0 };
        let offset = if kind.has_zone() { zone_of(&f)? } else { 0 };
        Temporal::assemble(kind, days, nanos, offset)
    }

    /// A value of `kind` from its local date (days), local time of day
    /// (nanoseconds) and offset.
    pub(super) fn assemble(kind: TemporalKind, days: i64, nanos: u64, offset: i32) -> Res<Temporal> {
        let ns = NANOS_PER_SECOND as u64;
        let local = days * SECONDS_PER_DAY + (nanos / ns) as i64;
        let sub = (nanos % ns) as u32;
        Ok(match kind {
            TemporalKind::Date => Temporal::Date(check_days(days)?),
            TemporalKind::LocalTime => Temporal::LocalTime(nanos),
            TemporalKind::Time => Temporal::Time { nanos, offset },
            TemporalKind::LocalDateTime => Temporal::LocalDateTime { seconds: local, nanos: sub },
            TemporalKind::DateTime => Temporal::DateTime { seconds: local - i64::from(offset), nanos: sub, offset },
            TemporalKind::Duration => return err("a duration has no date or time"),
        })
    }

    /// A value of `kind` from another temporal value: its date, its time,
    /// or both (a missing time is midnight, a missing offset UTC; a
    /// duration converts to nothing).
    pub fn convert(kind: TemporalKind, from: &Temporal) -> Res<Temporal> {
        let refuse = || err(format!("cannot make a {} from a {}", kind.name(), from.type_name()));
        if kind == TemporalKind::Duration || from.kind() == TemporalKind::Duration {
            return refuse();
        }
        let local = from.local();
        let (days, nanos) = match local {
            Some(Temporal::LocalDateTime { seconds, nanos }) => {
                let (days, clock) = day_and_clock(seconds, nanos);
                (Some(days), Some(clock))
            }
            _ => match *from {
                Temporal::Date(d) => (Some(d), None),
                Temporal::LocalTime(n) | Temporal::Time { nanos: n, .. } => (None, Some(n)),
                _ => (None, None),
            },
        };
        let offset = match *from {
            Temporal::Time { offset, .. } | Temporal::DateTime { offset, .. } => offset,
            _ => 0,
        };
        if (kind.has_date() && days.is_none()) || (!kind.has_date() && nanos.is_none()) {
            return refuse();
        }
        Temporal::assemble(kind, days.unwrap_or(0), nanos.unwrap_or(0), offset)
    }

    /// A `DateTime` as the `LocalDateTime` it shows; a `LocalDateTime`
    /// itself; `None` for the other kinds.
    pub(super) fn local(&self) -> Option<Temporal> {
        match *self {
            Temporal::LocalDateTime { .. } => Some(*self),
            Temporal::DateTime { seconds, nanos, offset } => {
                Some(Temporal::LocalDateTime { seconds: seconds.checked_add(i64::from(offset))?, nanos })
            }
            _ => None,
        }
    }

    /// The current instant of `kind` (UTC) from the system clock.
    pub fn now(kind: TemporalKind) -> Res<Temporal> {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| TemporalError("the system clock is before 1970".into()))?;
        let secs =
            i64::try_from(since.as_secs()).map_err(|_| TemporalError("the system clock is out of range".into()))?;
        let (days, nanos) = day_and_clock(secs, since.subsec_nanos());
        Temporal::assemble(kind, days, nanos, 0)
    }
}
