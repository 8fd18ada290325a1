//! Temporal values: openCypher's dates, times, date-times and durations.
//!
//! - [`Temporal`] is one of `Date` (days since 1970-01-01), `LocalTime`
//!   (nanoseconds of the day), `Time` (local nanoseconds of the day and a
//!   UTC offset), `LocalDateTime` (local seconds since 1970-01-01T00:00 and
//!   nanoseconds), `DateTime` (the UTC instant and the offset it is shown
//!   in) and `Duration` (months, days, seconds, nanoseconds, each kept: a
//!   month is not a fixed number of days).
//! - The calendar is the proleptic Gregorian one, years
//!   [`MIN_YEAR`]..=[`MAX_YEAR`]; time zones are fixed UTC offsets (named
//!   zones are refused with an error).
//! - Construction from a map of components ([`Temporal::from_components`]),
//!   from an ISO 8601 string ([`Temporal::parse`]) or from another temporal
//!   value ([`Temporal::convert`]); every malformed or out-of-range input is
//!   an error, never a panic.
//! - `Display` is ISO 8601 as openCypher prints it (`1984-10-11`,
//!   `12:31:14.645876123+01:00`, `P1Y2M3DT4H5M6.5S`).
//! - [`Temporal::order`] is the total order (by kind, then by instant;
//!   durations by their approximate length), [`Temporal::compare`] is
//!   comparability (same kind only, never durations), [`Temporal::equals`]
//!   is `=` (times and date-times by instant, durations by component).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// The earliest year a temporal value holds.
pub const MIN_YEAR: i64 = -999_999_999;
/// The latest year a temporal value holds.
pub const MAX_YEAR: i64 = 999_999_999;

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;
const NANOS_PER_DAY: i64 = SECONDS_PER_DAY * NANOS_PER_SECOND;
/// The largest UTC offset, in seconds (±18:00).
const MAX_OFFSET: i32 = 18 * 3600;
/// The average Gregorian month, in seconds (what fractions of months and
/// the order of durations count a month as).
const SECONDS_PER_MONTH: i64 = 2_629_746;

/// A duration: months, days and seconds are kept apart (their lengths in
/// time vary); `nanos` is in `0..1_000_000_000` and adds to `seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Duration {
    /// Months (years count 12).
    pub months: i64,
    /// Days (weeks count 7).
    pub days: i64,
    /// Seconds (hours and minutes included).
    pub seconds: i64,
    /// Nanoseconds past `seconds`, in `0..1_000_000_000`.
    pub nanos: u32,
}

/// A temporal value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Temporal {
    /// A calendar date: days since 1970-01-01.
    Date(i64),
    /// A time of day without zone: nanoseconds since midnight.
    LocalTime(u64),
    /// A time of day with a UTC offset.
    Time {
        /// Local nanoseconds since midnight.
        nanos: u64,
        /// Seconds east of UTC.
        offset: i32,
    },
    /// A date and time without zone.
    LocalDateTime {
        /// Local seconds since 1970-01-01T00:00.
        seconds: i64,
        /// Nanoseconds past `seconds`.
        nanos: u32,
    },
    /// An instant, shown at a UTC offset.
    DateTime {
        /// UTC seconds since 1970-01-01T00:00Z.
        seconds: i64,
        /// Nanoseconds past `seconds`.
        nanos: u32,
        /// Seconds east of UTC.
        offset: i32,
    },
    /// An amount of time (see [`Duration`], which holds the same fields).
    Duration {
        /// Months (years count 12).
        months: i64,
        /// Days (weeks count 7).
        days: i64,
        /// Seconds (hours and minutes included).
        seconds: i64,
        /// Nanoseconds past `seconds`, in `0..1_000_000_000`.
        nanos: u32,
    },
}

impl From<Duration> for Temporal {
    fn from(d: Duration) -> Temporal {
        Temporal::Duration { months: d.months, days: d.days, seconds: d.seconds, nanos: d.nanos }
    }
}

/// The kinds of temporal values, as their constructor functions name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporalKind {
    /// `date`.
    Date,
    /// `localtime`.
    LocalTime,
    /// `time`.
    Time,
    /// `localdatetime`.
    LocalDateTime,
    /// `datetime`.
    DateTime,
    /// `duration`.
    Duration,
}

impl TemporalKind {
    /// The kind a constructor function of this (lower-case) name builds.
    pub fn of_function(name: &str) -> Option<TemporalKind> {
        Some(match name {
            "date" => TemporalKind::Date,
            "localtime" => TemporalKind::LocalTime,
            "time" => TemporalKind::Time,
            "localdatetime" => TemporalKind::LocalDateTime,
            "datetime" => TemporalKind::DateTime,
            "duration" => TemporalKind::Duration,
            _ => return None,
        })
    }

    /// The type's name, as errors say it.
    pub fn name(self) -> &'static str {
        match self {
            TemporalKind::Date => "Date",
            TemporalKind::LocalTime => "LocalTime",
            TemporalKind::Time => "Time",
            TemporalKind::LocalDateTime => "LocalDateTime",
            TemporalKind::DateTime => "DateTime",
            TemporalKind::Duration => "Duration",
        }
    }

    /// Its place among the temporal kinds in the total order.
    fn rank(self) -> u8 {
        match self {
            TemporalKind::DateTime => 0,
            TemporalKind::LocalDateTime => 1,
            TemporalKind::Date => 2,
            TemporalKind::Time => 3,
            TemporalKind::LocalTime => 4,
            TemporalKind::Duration => 5,
        }
    }

    fn has_date(self) -> bool {
        matches!(self, TemporalKind::Date | TemporalKind::LocalDateTime | TemporalKind::DateTime)
    }

    fn has_time(self) -> bool {
        matches!(
            self,
            TemporalKind::LocalTime | TemporalKind::Time | TemporalKind::LocalDateTime | TemporalKind::DateTime
        )
    }

    fn has_zone(self) -> bool {
        matches!(self, TemporalKind::Time | TemporalKind::DateTime)
    }
}

/// Why a temporal value could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporalError(pub String);

impl fmt::Display for TemporalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemporalError {}

type Res<T> = std::result::Result<T, TemporalError>;

fn err<T>(msg: impl Into<String>) -> Res<T> {
    Err(TemporalError(msg.into()))
}

// ---------------------------------------------------------------- calendar

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a valid (year, month, day) (H. Hinnant's
/// `days_from_civil`). Computed in `i128`, so that no input overflows (a
/// value built by hand with an absurd field renders as garbage, never a panic).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let (y, m, d) = (i128::from(y), i128::from(m), i128::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9).rem_euclid(12);
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i64
}

/// (year, month, day) of days since 1970-01-01 (`civil_from_days`), in
/// `i128` as [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = i128::from(z) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    ((yoe + era * 400 + i128::from(m <= 2)) as i64, m as i64, d as i64)
}

/// ISO day of the week, Monday 1 to Sunday 7.
fn day_of_week(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// The Monday that starts ISO week 1 of `year`.
fn week_one(year: i64) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - (day_of_week(jan4) - 1)
}

/// (week-based year, ISO week) of a day.
fn iso_week(days: i64) -> (i64, i64) {
    let (y, _, _) = civil_from_days(days);
    let wy = [y + 1, y, y - 1].into_iter().find(|&c| week_one(c) <= days).unwrap_or(y - 1);
    (wy, (days - week_one(wy)) / 7 + 1)
}

fn weeks_in_year(year: i64) -> i64 {
    (week_one(year + 1) - week_one(year)) / 7
}

fn check_year(y: i64) -> Res<i64> {
    if (MIN_YEAR..=MAX_YEAR).contains(&y) {
        Ok(y)
    } else {
        err(format!("year {y} is out of range {MIN_YEAR}..={MAX_YEAR}"))
    }
}

fn check_range(what: &str, v: i64, lo: i64, hi: i64) -> Res<i64> {
    if (lo..=hi).contains(&v) { Ok(v) } else { err(format!("{what} {v} is out of range {lo}..={hi}")) }
}

/// Checks that a day count is a date within the year range.
fn check_days(days: i64) -> Res<i64> {
    let lo = days_from_civil(MIN_YEAR, 1, 1);
    let hi = days_from_civil(MAX_YEAR, 12, 31);
    if (lo..=hi).contains(&days) { Ok(days) } else { err("the date is out of range") }
}

fn date_ymd(y: i64, m: i64, d: i64) -> Res<i64> {
    let y = check_year(y)?;
    let m = check_range("month", m, 1, 12)?;
    let d = check_range("day", d, 1, days_in_month(y, m))?;
    Ok(days_from_civil(y, m, d))
}

fn offset_text(offset: i32) -> String {
    if offset == 0 {
        return "Z".into();
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let a = offset.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 { format!("{sign}{h:02}:{m:02}") } else { format!("{sign}{h:02}:{m:02}:{s:02}") }
}

fn write_date(f: &mut fmt::Formatter<'_>, days: i64) -> fmt::Result {
    let (y, m, d) = civil_from_days(days);
    if (0..=9999).contains(&y) {
        write!(f, "{y:04}-{m:02}-{d:02}")
    } else {
        let sign = if y < 0 { '-' } else { '+' };
        write!(f, "{sign}{:04}-{m:02}-{d:02}", y.unsigned_abs())
    }
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff[fff[fff]]`, the shortest that is exact.
fn write_time(f: &mut fmt::Formatter<'_>, nanos: u64) -> fmt::Result {
    let secs = nanos / NANOS_PER_SECOND as u64;
    let frac = nanos % NANOS_PER_SECOND as u64;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    write!(f, "{h:02}:{m:02}")?;
    if s == 0 && frac == 0 {
        return Ok(());
    }
    write!(f, ":{s:02}")?;
    if frac == 0 {
        Ok(())
    } else if frac.is_multiple_of(1_000_000) {
        write!(f, ".{:03}", frac / 1_000_000)
    } else if frac.is_multiple_of(1000) {
        write!(f, ".{:06}", frac / 1000)
    } else {
        write!(f, ".{frac:09}")
    }
}

/// A local date-time: date, `T`, time.
fn write_local(f: &mut fmt::Formatter<'_>, seconds: i64, nanos: u32) -> fmt::Result {
    write_date(f, seconds.div_euclid(SECONDS_PER_DAY))?;
    f.write_str("T")?;
    write_time(f, seconds.rem_euclid(SECONDS_PER_DAY) as u64 * NANOS_PER_SECOND as u64 + u64::from(nanos))
}

impl fmt::Display for Duration {
    /// ISO 8601: `P1Y2M3DT4H5M6.5S`, each part with its own sign, `PT0S` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("P")?;
        let (years, months) = (self.months / 12, self.months % 12);
        if years != 0 {
            write!(f, "{years}Y")?;
        }
        if months != 0 {
            write!(f, "{months}M")?;
        }
        if self.days != 0 {
            write!(f, "{}D", self.days)?;
        }
        let total = i128::from(self.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos);
        if total == 0 {
            if self.months == 0 && self.days == 0 {
                f.write_str("T0S")?;
            }
            return Ok(());
        }
        f.write_str("T")?;
        let sign = if total < 0 { "-" } else { "" };
        let a = total.unsigned_abs();
        let ns = NANOS_PER_SECOND as u128;
        let (h, m, s, frac) = (a / (3600 * ns), a / (60 * ns) % 60, a / ns % 60, a % ns);
        if h != 0 {
            write!(f, "{sign}{h}H")?;
        }
        if m != 0 {
            write!(f, "{sign}{m}M")?;
        }
        if s != 0 || frac != 0 {
            write!(f, "{sign}{s}")?;
            if frac != 0 {
                let digits = format!("{frac:09}");
                write!(f, ".{}", digits.trim_end_matches('0'))?;
            }
            f.write_str("S")?;
        }
        Ok(())
    }
}

impl fmt::Display for Temporal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Temporal::Date(d) => write_date(f, d),
            Temporal::LocalTime(n) => write_time(f, n),
            Temporal::Time { nanos, offset } => {
                write_time(f, nanos)?;
                f.write_str(&offset_text(offset))
            }
            Temporal::LocalDateTime { seconds, nanos } => write_local(f, seconds, nanos),
            Temporal::DateTime { seconds, nanos, offset } => {
                write_local(f, seconds.saturating_add(i64::from(offset)), nanos)?;
                f.write_str(&offset_text(offset))
            }
            Temporal::Duration { months, days, seconds, nanos } => Duration { months, days, seconds, nanos }.fmt(f),
        }
    }
}

// ------------------------------------------------------------ construction

/// A component's value: an integer, a float (durations take fractions) or
/// a string (`timezone`).
#[derive(Debug, Clone, PartialEq)]
pub enum Component {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
}

fn int_of(key: &str, c: &Component) -> Res<i64> {
    match c {
        Component::Int(i) => Ok(*i),
        _ => err(format!("{key} must be an Integer")),
    }
}

fn split_nanos(total: i128) -> Res<(i64, u32)> {
    let ns = i128::from(NANOS_PER_SECOND);
    let secs = i64::try_from(total.div_euclid(ns)).map_err(|_| TemporalError("the value is out of range".into()))?;
    Ok((secs, total.rem_euclid(ns) as u32))
}

/// Parses a UTC offset (`Z`, `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS`) or
/// the zone name `UTC`.
fn parse_offset(s: &str) -> Res<i32> {
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
struct DurationBuilder {
    months: i128,
    days: i128,
    nanos: i128,
}

impl DurationBuilder {
    fn add(&mut self, key: &str, c: &Component) -> Res<()> {
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

    fn build(self) -> Res<Duration> {
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
    /// The value's kind.
    pub fn kind(&self) -> TemporalKind {
        match self {
            Temporal::Date(_) => TemporalKind::Date,
            Temporal::LocalTime(_) => TemporalKind::LocalTime,
            Temporal::Time { .. } => TemporalKind::Time,
            Temporal::LocalDateTime { .. } => TemporalKind::LocalDateTime,
            Temporal::DateTime { .. } => TemporalKind::DateTime,
            Temporal::Duration { .. } => TemporalKind::Duration,
        }
    }

    /// Whether every field is in range (as every constructor and the
    /// decoder ensure): a date within [`MIN_YEAR`]..=[`MAX_YEAR`], a time of
    /// day below 24:00, nanoseconds below a second, an offset within ±18:00.
    /// A value built by hand that is not valid renders and orders without
    /// a panic, but has no components and takes no arithmetic.
    pub fn is_valid(&self) -> bool {
        let day = |n: u64| n < NANOS_PER_DAY as u64;
        let sub = |n: u32| i64::from(n) < NANOS_PER_SECOND;
        let offset = |o: i32| o.unsigned_abs() <= MAX_OFFSET as u32;
        let date = |seconds: i64| check_days(seconds.div_euclid(SECONDS_PER_DAY)).is_ok();
        match *self {
            Temporal::Date(d) => check_days(d).is_ok(),
            Temporal::LocalTime(n) => day(n),
            Temporal::Time { nanos, offset: o } => day(nanos) && offset(o),
            Temporal::LocalDateTime { seconds, nanos } => date(seconds) && sub(nanos),
            Temporal::DateTime { seconds, nanos, offset: o } => {
                offset(o) && sub(nanos) && seconds.checked_add(i64::from(o)).is_some_and(date)
            }
            Temporal::Duration { nanos, .. } => sub(nanos),
        }
    }

    /// The components of a duration; `None` for the other kinds.
    pub fn as_duration(&self) -> Option<Duration> {
        match *self {
            Temporal::Duration { months, days, seconds, nanos } => Some(Duration { months, days, seconds, nanos }),
            _ => None,
        }
    }

    /// The type's name (`Date`, `LocalTime`, `Time`, `LocalDateTime`,
    /// `DateTime`, `Duration`).
    pub fn type_name(&self) -> &'static str {
        self.kind().name()
    }

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
            let mut b = DurationBuilder { months: 0, days: 0, nanos: 0 };
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
    fn assemble(kind: TemporalKind, days: i64, nanos: u64, offset: i32) -> Res<Temporal> {
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
            Some(Temporal::LocalDateTime { seconds, nanos }) => (
                Some(seconds.div_euclid(SECONDS_PER_DAY)),
                Some(seconds.rem_euclid(SECONDS_PER_DAY) as u64 * NANOS_PER_SECOND as u64 + u64::from(nanos)),
            ),
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
    fn local(&self) -> Option<Temporal> {
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
        let days = secs.div_euclid(SECONDS_PER_DAY);
        let nanos = secs.rem_euclid(SECONDS_PER_DAY) as u64 * NANOS_PER_SECOND as u64 + u64::from(since.subsec_nanos());
        Temporal::assemble(kind, days, nanos, 0)
    }

    /// Component `key` (`year`, `month`, `day`, `quarter`, `week`,
    /// `weekYear`, `dayOfWeek`, `ordinalDay`, `dayOfQuarter`, `hour`,
    /// `minute`, `second`, `millisecond`, `microsecond`, `nanosecond`,
    /// `timezone`, `offset`, `offsetMinutes`, `offsetSeconds`,
    /// `epochSeconds`, `epochMillis`; of a duration `years`, `quarters`,
    /// `months`, `weeks`, `days`, `hours`, `minutes`, `seconds`,
    /// `milliseconds`, `microseconds`, `nanoseconds`, `quartersOfYear`,
    /// `monthsOfQuarter`, `monthsOfYear`, `daysOfWeek`, `minutesOfHour`,
    /// `secondsOfMinute`, `millisecondsOfSecond`, `microsecondsOfSecond`,
    /// `nanosecondsOfSecond`); `None` if the kind has no such component.
    pub fn component(&self, key: &str) -> Option<Component> {
        if !self.is_valid() {
            return None;
        }
        let k = key.to_ascii_lowercase();
        if let Some(d) = self.as_duration() {
            return duration_component(&d, &k).map(Component::Int);
        }
        let (days, nanos) = match self.local().unwrap_or(*self) {
            Temporal::LocalDateTime { seconds, nanos } => (
                Some(seconds.div_euclid(SECONDS_PER_DAY)),
                Some(seconds.rem_euclid(SECONDS_PER_DAY) * NANOS_PER_SECOND + i64::from(nanos)),
            ),
            Temporal::Date(d) => (Some(d), None),
            Temporal::LocalTime(n) | Temporal::Time { nanos: n, .. } => (None, Some(n as i64)),
            _ => (None, None),
        };
        let offset = match *self {
            Temporal::Time { offset, .. } | Temporal::DateTime { offset, .. } => Some(offset),
            _ => None,
        };
        if let Some(days) = days {
            let (y, m, d) = civil_from_days(days);
            let v = match k.as_str() {
                "year" => Some(y),
                "month" => Some(m),
                "day" => Some(d),
                "quarter" => Some((m - 1) / 3 + 1),
                "week" => Some(iso_week(days).1),
                "weekyear" => Some(iso_week(days).0),
                "dayofweek" | "weekday" => Some(day_of_week(days)),
                "ordinalday" => Some(days - days_from_civil(y, 1, 1) + 1),
                "dayofquarter" => Some(days - days_from_civil(y, (m - 1) / 3 * 3 + 1, 1) + 1),
                _ => None,
            };
            if let Some(v) = v {
                return Some(Component::Int(v));
            }
        }
        if let Some(n) = nanos {
            let v = match k.as_str() {
                "hour" => Some(n / 3_600_000_000_000),
                "minute" => Some(n / 60_000_000_000 % 60),
                "second" => Some(n / NANOS_PER_SECOND % 60),
                "millisecond" => Some(n % NANOS_PER_SECOND / 1_000_000),
                "microsecond" => Some(n % NANOS_PER_SECOND / 1000),
                "nanosecond" => Some(n % NANOS_PER_SECOND),
                _ => None,
            };
            if let Some(v) = v {
                return Some(Component::Int(v));
            }
        }
        if let Some(o) = offset {
            match k.as_str() {
                "timezone" | "offset" => {
                    return Some(Component::Str(if o == 0 && k == "offset" {
                        "+00:00".into()
                    } else {
                        offset_text(o)
                    }));
                }
                "offsetminutes" => return Some(Component::Int(i64::from(o / 60))),
                "offsetseconds" => return Some(Component::Int(i64::from(o))),
                _ => {}
            }
        }
        if let Temporal::DateTime { seconds, nanos, .. } = *self {
            match k.as_str() {
                "epochseconds" => return Some(Component::Int(seconds)),
                "epochmillis" => {
                    return seconds
                        .checked_mul(1000)
                        .and_then(|s| s.checked_add(i64::from(nanos / 1_000_000)))
                        .map(Component::Int);
                }
                _ => {}
            }
        }
        None
    }
}

/// A duration's component, as Neo4j reads it: whole units of the
/// seconds (truncated toward zero), sub-second parts of the nanoseconds.
fn duration_component(d: &Duration, k: &str) -> Option<i64> {
    let (s, n) = (d.seconds, i64::from(d.nanos));
    let sub = |unit: i64| s.checked_mul(NANOS_PER_SECOND / unit)?.checked_add(n / unit);
    Some(match k {
        "years" => d.months / 12,
        "quarters" => d.months / 3,
        "months" => d.months,
        "quartersofyear" => d.months / 3 % 4,
        "monthsofquarter" => d.months % 3,
        "monthsofyear" => d.months % 12,
        "weeks" => d.days / 7,
        "days" => d.days,
        "daysofweek" => d.days % 7,
        "hours" => s / 3600,
        "minutes" => s / 60,
        "seconds" => s,
        "milliseconds" => sub(1_000_000)?,
        "microseconds" => sub(1000)?,
        "nanoseconds" => sub(1)?,
        "minutesofhour" => s / 60 % 60,
        "secondsofminute" => s % 60,
        "millisecondsofsecond" => n / 1_000_000,
        "microsecondsofsecond" => n / 1000,
        "nanosecondsofsecond" => n,
        _ => return None,
    })
}

// ----------------------------------------------------------------- parsing

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
    let f = |pairs: &[(&str, i64)]| -> Option<Res<i64>> {
        let map: BTreeMap<String, Component> =
            [("year", year)].iter().chain(pairs).map(|(k, v)| (k.to_string(), Component::Int(*v))).collect();
        let refs = Fields(map.iter().map(|(k, v)| (k.clone(), v)).collect());
        Some(date_of(&refs))
    };
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
    let mut b = DurationBuilder { months: 0, days: 0, nanos: 0 };
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

// ------------------------------------------------------------- arithmetic

impl Duration {
    /// The negated duration, `None` on overflow.
    pub fn negate(&self) -> Option<Duration> {
        let total = -(i128::from(self.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos));
        let (seconds, nanos) = split_nanos(total).ok()?;
        Some(Duration { months: self.months.checked_neg()?, days: self.days.checked_neg()?, seconds, nanos })
    }

    /// The component-wise sum, `None` on overflow.
    pub fn checked_add(&self, other: &Duration) -> Option<Duration> {
        let total = i128::from(self.seconds) * i128::from(NANOS_PER_SECOND)
            + i128::from(self.nanos)
            + i128::from(other.seconds) * i128::from(NANOS_PER_SECOND)
            + i128::from(other.nanos);
        let (seconds, nanos) = split_nanos(total).ok()?;
        Some(Duration {
            months: self.months.checked_add(other.months)?,
            days: self.days.checked_add(other.days)?,
            seconds,
            nanos,
        })
    }

    /// This duration times `factor` (fractions cascade into smaller units).
    pub fn scale(&self, factor: f64) -> Res<Duration> {
        let mut b = DurationBuilder { months: 0, days: 0, nanos: 0 };
        b.add("months", &Component::Float(self.months as f64 * factor))?;
        b.add("days", &Component::Float(self.days as f64 * factor))?;
        let total = (i128::from(self.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos)) as f64 * factor;
        if !total.is_finite() || total.abs() > 9e36 {
            return err("the duration is out of range");
        }
        b.nanos += total.round() as i128;
        b.build()
    }

    /// This duration times an integer, exactly.
    pub fn times(&self, factor: i64) -> Res<Duration> {
        let f = i128::from(factor);
        let b = DurationBuilder {
            months: i128::from(self.months) * f,
            days: i128::from(self.days) * f,
            nanos: (i128::from(self.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(self.nanos))
                .checked_mul(f)
                .ok_or_else(|| TemporalError("the duration is out of range".into()))?,
        };
        b.build()
    }
}

/// `days` plus `months` calendar months, the day clamped to the month's end.
fn add_months(days: i64, months: i64) -> Res<i64> {
    let (y, m, d) = civil_from_days(days);
    let total = (y as i128) * 12 + (m as i128 - 1) + months as i128;
    let ny = i64::try_from(total.div_euclid(12)).map_err(|_| TemporalError("the date is out of range".into()))?;
    let nm = total.rem_euclid(12) as i64 + 1;
    let ny = check_year(ny)?;
    Ok(days_from_civil(ny, nm, d.min(days_in_month(ny, nm))))
}

impl Temporal {
    /// This value plus a duration: months and days move the date (the day
    /// clamped to the month's end), seconds and nanoseconds the clock (a
    /// time of day wraps around midnight; a date takes whole days only).
    pub fn plus(&self, d: &Duration) -> Res<Temporal> {
        let range = || TemporalError("the result is out of range".into());
        if !self.is_valid() || !Temporal::from(*d).is_valid() {
            return Err(range());
        }
        let time_nanos = i128::from(d.seconds) * i128::from(NANOS_PER_SECOND) + i128::from(d.nanos);
        let wrap = |n: u64| -> u64 { (i128::from(n) + time_nanos).rem_euclid(i128::from(NANOS_PER_DAY)) as u64 };
        let shift_local = |seconds: i64, nanos: u32| -> Res<(i64, u32)> {
            let day =
                add_months(seconds.div_euclid(SECONDS_PER_DAY), d.months)?.checked_add(d.days).ok_or_else(range)?;
            let total = i128::from(day) * i128::from(NANOS_PER_DAY)
                + i128::from(seconds.rem_euclid(SECONDS_PER_DAY)) * i128::from(NANOS_PER_SECOND)
                + i128::from(nanos)
                + time_nanos;
            let (s, n) = split_nanos(total)?;
            check_days(s.div_euclid(SECONDS_PER_DAY))?;
            Ok((s, n))
        };
        Ok(match *self {
            Temporal::Date(days) => {
                let whole_days = i64::try_from(time_nanos / i128::from(NANOS_PER_DAY)).map_err(|_| range())?;
                let day = add_months(days, d.months)?
                    .checked_add(d.days)
                    .and_then(|x| x.checked_add(whole_days))
                    .ok_or_else(range)?;
                Temporal::Date(check_days(day)?)
            }
            Temporal::LocalTime(n) => Temporal::LocalTime(wrap(n)),
            Temporal::Time { nanos, offset } => Temporal::Time { nanos: wrap(nanos), offset },
            Temporal::LocalDateTime { seconds, nanos } => {
                let (seconds, nanos) = shift_local(seconds, nanos)?;
                Temporal::LocalDateTime { seconds, nanos }
            }
            Temporal::DateTime { seconds, nanos, offset } => {
                let local = seconds.checked_add(i64::from(offset)).ok_or_else(range)?;
                let (s, nanos) = shift_local(local, nanos)?;
                Temporal::DateTime { seconds: s - i64::from(offset), nanos, offset }
            }
            Temporal::Duration { months, days, seconds, nanos } => {
                Duration { months, days, seconds, nanos }.checked_add(d).ok_or_else(range)?.into()
            }
        })
    }
}

// ------------------------------------------------------------------- order

impl Temporal {
    /// The key the order compares: kind rank, then the instant (or amount),
    /// then a duration's months and days (so that equal keys are equal
    /// values under [`equals`](Self::equals)).
    fn order_key(&self) -> (u8, i128, i64, i64) {
        let ns = i128::from(NANOS_PER_SECOND);
        let rank = self.kind().rank();
        match *self {
            Temporal::DateTime { seconds, nanos, .. } => (rank, i128::from(seconds) * ns + i128::from(nanos), 0, 0),
            Temporal::LocalDateTime { seconds, nanos } => (rank, i128::from(seconds) * ns + i128::from(nanos), 0, 0),
            Temporal::Date(d) => (rank, i128::from(d), 0, 0),
            Temporal::Time { nanos, offset } => (rank, i128::from(nanos) - i128::from(offset) * ns, 0, 0),
            Temporal::LocalTime(n) => (rank, i128::from(n), 0, 0),
            Temporal::Duration { months, days, seconds, nanos } => {
                let d = Duration { months, days, seconds, nanos };
                let approx = (i128::from(d.months) * i128::from(SECONDS_PER_MONTH)
                    + i128::from(d.days) * i128::from(SECONDS_PER_DAY)
                    + i128::from(d.seconds))
                    * ns
                    + i128::from(d.nanos);
                (rank, approx, d.months, d.days)
            }
        }
    }

    /// The total order: by kind (`DateTime`, `LocalDateTime`, `Date`,
    /// `Time`, `LocalTime`, `Duration`), then times and date-times by
    /// instant (`12:00+01:00` and `11:00Z` are equal, as under `=`), dates
    /// and local values by value, durations by their length with a month of
    /// 2,629,746 seconds (then months, days).
    pub fn order(&self, other: &Temporal) -> Ordering {
        self.order_key().cmp(&other.order_key())
    }

    /// Comparability (`<`): values of one kind other than durations, times
    /// and date-times by instant; `None` otherwise.
    pub fn compare(&self, other: &Temporal) -> Option<Ordering> {
        let (a, b) = (self.order_key(), other.order_key());
        (a.0 == b.0 && self.kind() != TemporalKind::Duration).then(|| a.1.cmp(&b.1))
    }

    /// Equality (`=`): same kind, and the same instant (times, date-times),
    /// value (dates, local values) or components (durations).
    pub fn equals(&self, other: &Temporal) -> bool {
        match (self, other) {
            (Temporal::Duration { .. }, Temporal::Duration { .. }) => self == other,
            _ => self.compare(other) == Some(Ordering::Equal),
        }
    }

    /// Appends an order-preserving key: byte order of keys is [`order`](Self::order).
    pub(crate) fn put_sort_key(&self, out: &mut Vec<u8>) {
        let (rank, a, b, c) = self.order_key();
        out.push(rank);
        out.extend_from_slice(&((a as u128) ^ (1 << 127)).to_be_bytes());
        out.extend_from_slice(&((b as u64) ^ (1 << 63)).to_be_bytes());
        out.extend_from_slice(&((c as u64) ^ (1 << 63)).to_be_bytes());
    }

    /// The first byte after the kind rank in [`put_sort_key`](Self::put_sort_key).
    pub(crate) fn sort_rank(&self) -> u8 {
        self.kind().rank()
    }
}

// ---------------------------------------------------------------- encoding

impl Temporal {
    /// Appends the encoding: a kind byte, then zigzag varints of the fields.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>, varint: fn(&mut Vec<u8>, u64)) {
        let z = |i: i64| ((i << 1) ^ (i >> 63)) as u64;
        match *self {
            Temporal::Date(d) => {
                out.push(0);
                varint(out, z(d));
            }
            Temporal::LocalTime(n) => {
                out.push(1);
                varint(out, n);
            }
            Temporal::Time { nanos, offset } => {
                out.push(2);
                varint(out, nanos);
                varint(out, z(i64::from(offset)));
            }
            Temporal::LocalDateTime { seconds, nanos } => {
                out.push(3);
                varint(out, z(seconds));
                varint(out, u64::from(nanos));
            }
            Temporal::DateTime { seconds, nanos, offset } => {
                out.push(4);
                varint(out, z(seconds));
                varint(out, u64::from(nanos));
                varint(out, z(i64::from(offset)));
            }
            Temporal::Duration { months, days, seconds, nanos } => {
                let d = Duration { months, days, seconds, nanos };
                out.push(5);
                varint(out, z(d.months));
                varint(out, z(d.days));
                varint(out, z(d.seconds));
                varint(out, u64::from(d.nanos));
            }
        }
    }

    /// Decodes the fields after the kind byte `kind`, read as varints by
    /// `next`; `None` for an unknown kind or a field out of range.
    pub(crate) fn decode_from<E>(kind: u8, mut next: impl FnMut() -> Result<u64, E>) -> Result<Option<Temporal>, E> {
        let unz = |z: u64| ((z >> 1) as i64) ^ -((z & 1) as i64);
        // Fields too wide for their type get an out-of-range stand-in that
        // `is_valid` refuses.
        let narrow = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let offset = |z: u64| i32::try_from(unz(z)).unwrap_or(i32::MAX);
        let t = match kind {
            0 => Temporal::Date(unz(next()?)),
            1 => Temporal::LocalTime(next()?),
            2 => {
                let (nanos, o) = (next()?, next()?);
                Temporal::Time { nanos, offset: offset(o) }
            }
            3 => {
                let (seconds, n) = (unz(next()?), next()?);
                Temporal::LocalDateTime { seconds, nanos: narrow(n) }
            }
            4 => {
                let (seconds, n, o) = (unz(next()?), next()?, next()?);
                Temporal::DateTime { seconds, nanos: narrow(n), offset: offset(o) }
            }
            5 => {
                let (months, days, seconds, n) = (unz(next()?), unz(next()?), unz(next()?), next()?);
                Temporal::Duration { months, days, seconds, nanos: narrow(n) }
            }
            _ => return Ok(None),
        };
        Ok(t.is_valid().then_some(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, Component)]) -> BTreeMap<String, Component> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    fn build(kind: TemporalKind, pairs: &[(&str, i64)]) -> Res<Temporal> {
        Temporal::from_components(kind, &map(&pairs.iter().map(|(k, v)| (*k, Component::Int(*v))).collect::<Vec<_>>()))
    }

    fn with_zone(kind: TemporalKind, pairs: &[(&str, i64)], zone: &str) -> Temporal {
        let mut m: Vec<(&str, Component)> = pairs.iter().map(|(k, v)| (*k, Component::Int(*v))).collect();
        m.push(("timezone", Component::Str(zone.into())));
        Temporal::from_components(kind, &map(&m)).unwrap()
    }

    #[test]
    fn calendar_round_trips() {
        for days in (-800_000..800_000).step_by(37) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(day_of_week(0), 4);
        assert_eq!(iso_week(days_from_civil(2021, 1, 3)), (2020, 53));
        assert_eq!(iso_week(days_from_civil(2015, 7, 21)), (2015, 30));
    }

    #[test]
    fn builds_from_components_and_renders() {
        use TemporalKind::*;
        let cases = [
            (build(Date, &[("year", 1910), ("month", 5), ("day", 6)]).unwrap(), "1910-05-06"),
            (build(Date, &[("year", 1984)]).unwrap(), "1984-01-01"),
            (build(Date, &[("year", 2015), ("week", 30), ("dayOfWeek", 2)]).unwrap(), "2015-07-21"),
            (build(Date, &[("year", 2015), ("ordinalDay", 202)]).unwrap(), "2015-07-21"),
            (build(Date, &[("year", 2015), ("quarter", 3), ("dayOfQuarter", 21)]).unwrap(), "2015-07-21"),
            (build(Date, &[("year", 10000), ("month", 1), ("day", 1)]).unwrap(), "+10000-01-01"),
            (build(Date, &[("year", -1), ("month", 1), ("day", 1)]).unwrap(), "-0001-01-01"),
            (build(LocalTime, &[("hour", 10), ("minute", 35)]).unwrap(), "10:35"),
            (
                build(LocalTime, &[("hour", 12), ("minute", 31), ("second", 14), ("nanosecond", 645_876_123)]).unwrap(),
                "12:31:14.645876123",
            ),
            (
                build(LocalTime, &[("hour", 12), ("minute", 31), ("second", 14), ("millisecond", 645)]).unwrap(),
                "12:31:14.645",
            ),
            (build(Time, &[("hour", 10), ("minute", 35)]).unwrap(), "10:35Z"),
            (with_zone(Time, &[("hour", 10), ("minute", 35)], "-08:00"), "10:35-08:00"),
            (
                build(
                    LocalDateTime,
                    &[
                        ("year", 1),
                        ("month", 1),
                        ("day", 1),
                        ("hour", 1),
                        ("minute", 1),
                        ("second", 1),
                        ("nanosecond", 1),
                    ],
                )
                .unwrap(),
                "0001-01-01T01:01:01.000000001",
            ),
            (
                with_zone(
                    DateTime,
                    &[("year", 1984), ("month", 10), ("day", 11), ("hour", 12), ("minute", 31), ("second", 14)],
                    "+00:17",
                ),
                "1984-10-11T12:31:14+00:17",
            ),
            (build(Duration, &[("months", 1), ("days", 2)]).unwrap(), "P1M2D"),
            (build(Duration, &[("minutes", 12)]).unwrap(), "PT12M"),
            (build(Duration, &[("years", 1), ("months", 14), ("hours", 25), ("seconds", 1)]).unwrap(), "P2Y2MT25H1S"),
            (build(Duration, &[]).unwrap(), "PT0S"),
            (build(Duration, &[("seconds", -1), ("milliseconds", 500)]).unwrap(), "PT-0.5S"),
            (build(DateTime, &[("epochSeconds", 0)]).unwrap(), "1970-01-01T00:00Z"),
        ];
        for (t, want) in cases {
            assert_eq!(t.to_string(), want);
        }
        let frac = Temporal::from_components(Duration, &map(&[("months", Component::Float(0.75))])).unwrap();
        assert_eq!(frac.to_string(), "P22DT19H51M49.5S");
    }

    #[test]
    fn bad_components_are_errors() {
        use TemporalKind::*;
        for (kind, pairs) in [
            (Date, &[("year", 2020), ("month", 13)][..]),
            (Date, &[("year", 2021), ("month", 2), ("day", 29)]),
            (Date, &[("month", 2)]),
            (Date, &[("year", 2020), ("day", 3)]),
            (Date, &[("year", 2020), ("hour", 3)]),
            (Date, &[("year", 2020), ("month", 1), ("week", 3)]),
            (Date, &[("year", 2020), ("week", 54)]),
            (Date, &[("year", 1_000_000_000)]),
            (LocalTime, &[("hour", 24)]),
            (LocalTime, &[("minute", 3)]),
            (LocalTime, &[("hour", 1), ("second", 3)]),
            (LocalTime, &[("hour", 1), ("minute", 1), ("second", 1), ("millisecond", 999), ("microsecond", 1000)]),
            (LocalTime, &[("hour", 1), ("bogus", 1)]),
            (Duration, &[("year", 1)]),
            (Duration, &[("days", i64::MAX), ("weeks", i64::MAX)]),
        ] {
            assert!(build(kind, pairs).is_err(), "{kind:?} {pairs:?}");
        }
        let wrong = map(&[("year", Component::Str("1999".into()))]);
        assert!(Temporal::from_components(Date, &wrong).is_err());
        let zone = map(&[("hour", Component::Int(1)), ("timezone", Component::Str("Europe/Stockholm".into()))]);
        assert!(Temporal::from_components(Time, &zone).is_err());
        let zone = map(&[("hour", Component::Int(1)), ("timezone", Component::Str("+19:00".into()))]);
        assert!(Temporal::from_components(Time, &zone).is_err());
        let nan = map(&[("days", Component::Float(f64::NAN))]);
        assert!(Temporal::from_components(Duration, &nan).is_err());
    }

    #[test]
    fn parses_iso_strings() {
        use TemporalKind::*;
        for (kind, text, want) in [
            (Date, "2015-07-21", "2015-07-21"),
            (Date, "20150721", "2015-07-21"),
            (Date, "2015-07", "2015-07-01"),
            (Date, "2015-W30-2", "2015-07-21"),
            (Date, "2015W302", "2015-07-21"),
            (Date, "2015-202", "2015-07-21"),
            (Date, "2015", "2015-01-01"),
            (Date, "+10000-01-01", "+10000-01-01"),
            (LocalTime, "21:40:32.142", "21:40:32.142"),
            (LocalTime, "214032", "21:40:32"),
            (LocalTime, "21", "21:00"),
            (Time, "21:40:32.142+0100", "21:40:32.142+01:00"),
            (Time, "2140-02", "21:40-02:00"),
            (Time, "21:40", "21:40Z"),
            (LocalDateTime, "2015-07-21T21:40:32.142", "2015-07-21T21:40:32.142"),
            (DateTime, "2015-07-21T21:40:32.142+01:00", "2015-07-21T21:40:32.142+01:00"),
            (DateTime, "2015-07-21", "2015-07-21T00:00Z"),
            (Duration, "P1DT2H", "P1DT2H"),
            (Duration, "P1Y2M10DT12H45M30.25S", "P1Y2M10DT12H45M30.25S"),
            (Duration, "P2W", "P14D"),
            (Duration, "PT-1H-30M", "PT-1H-30M"),
            (Duration, "PT0.75M", "PT45S"),
            (Duration, "PT-0.5S", "PT-0.5S"),
            (Duration, "PT.25S", "PT0.25S"),
            (Duration, "PT1,5S", "PT1.5S"),
            (Duration, "PT123456789012345678.123456789S", "PT34293552503429H21M18.123456789S"),
            (Duration, "P1.5Y", "P1Y6M"),
        ] {
            let t = Temporal::parse(kind, text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(t.to_string(), want, "{text}");
        }
        for (kind, text) in [
            (Date, "2015-13-01"),
            (Date, "2015-02-30"),
            (Date, "15-01-01"),
            (Date, ""),
            (Date, "2015-07-21x"),
            (LocalTime, "25:00"),
            (LocalTime, "21:40+01:00"),
            (LocalTime, "21:40:32.1234567890"),
            (Time, "21:40[Europe/Stockholm]"),
            (DateTime, "2015-07-21T"),
            (Duration, "P"),
            (Duration, "PT"),
            (Duration, "P1H"),
            (Duration, "PT1S2M"),
            (Duration, "1D"),
        ] {
            assert!(Temporal::parse(kind, text).is_err(), "{text}");
        }
    }

    #[test]
    fn times_and_datetimes_order_by_instant() {
        use TemporalKind::*;
        let a = with_zone(Time, &[("hour", 12), ("minute", 35), ("second", 15)], "+05:00");
        let b = with_zone(Time, &[("hour", 12), ("minute", 30)], "+01:01");
        let c = with_zone(Time, &[("hour", 10), ("minute", 35)], "-08:00");
        assert_eq!(a.order(&b), Ordering::Less);
        assert_eq!(b.order(&c), Ordering::Less);
        let x = with_zone(Time, &[("hour", 12)], "+01:00");
        let y = with_zone(Time, &[("hour", 11)], "Z");
        assert!(x.equals(&y));
        assert_eq!(x.compare(&y), Some(Ordering::Equal));
        assert_eq!(x.order(&y), Ordering::Equal, "the order agrees with equality");
        let d1 = build(Duration, &[("months", 1)]).unwrap();
        let d2 = build(Duration, &[("days", 30)]).unwrap();
        assert_eq!(d1.compare(&d2), None);
        assert!(!d1.equals(&d2));
        assert_eq!(d1.order(&d2), Ordering::Greater);
        let date = build(Date, &[("year", 2000)]).unwrap();
        assert_eq!(date.compare(&d1), None);
        assert!(!date.equals(&x));
    }

    #[test]
    fn sort_keys_follow_the_order() {
        use TemporalKind::*;
        let vals = [
            build(Date, &[("year", -5)]).unwrap(),
            build(Date, &[("year", 2000)]).unwrap(),
            build(LocalTime, &[("hour", 1)]).unwrap(),
            with_zone(Time, &[("hour", 12)], "+01:00"),
            with_zone(Time, &[("hour", 11)], "Z"),
            build(LocalDateTime, &[("year", 1), ("hour", 3)]).unwrap(),
            with_zone(DateTime, &[("year", 1), ("hour", 3)], "-11:59"),
            build(Duration, &[("months", -1)]).unwrap(),
            build(Duration, &[("days", 30)]).unwrap(),
        ];
        for a in &vals {
            for b in &vals {
                let (mut ka, mut kb) = (Vec::new(), Vec::new());
                a.put_sort_key(&mut ka);
                b.put_sort_key(&mut kb);
                assert_eq!(ka.cmp(&kb), a.order(b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn adds_durations() {
        use TemporalKind::{Date, DateTime, LocalDateTime, LocalTime};
        let d = |text: &str| Temporal::parse(TemporalKind::Duration, text).unwrap().as_duration().unwrap();
        let date = Temporal::parse(Date, "2020-01-31").unwrap();
        assert_eq!(date.plus(&d("P1M")).unwrap().to_string(), "2020-02-29");
        assert_eq!(date.plus(&d("P1M2D")).unwrap().to_string(), "2020-03-02");
        assert_eq!(date.plus(&d("PT49H")).unwrap().to_string(), "2020-02-02");
        let t = Temporal::parse(LocalTime, "23:58").unwrap();
        assert_eq!(t.plus(&d("PT6M")).unwrap().to_string(), "00:04");
        let dt = Temporal::parse(DateTime, "2020-01-31T23:00+01:00").unwrap();
        assert_eq!(dt.plus(&d("P1MT2H")).unwrap().to_string(), "2020-03-01T01:00+01:00");
        let ldt = Temporal::parse(LocalDateTime, "1984-10-11T12:30").unwrap();
        assert_eq!(ldt.plus(&d("P4DT6M")).unwrap().to_string(), "1984-10-15T12:36");
        assert_eq!(d("PT1H").negate().unwrap().to_string(), "PT-1H");
        assert_eq!(d("P1M").checked_add(&d("PT1S")).unwrap().to_string(), "P1MT1S");
        assert_eq!(d("P1DT1H").times(3).unwrap().to_string(), "P3DT3H");
        assert_eq!(d("P1M").scale(0.5).unwrap().to_string(), "P15DT5H14M33S");
        let far = Temporal::parse(Date, "+999999999-12-31").unwrap();
        assert!(far.plus(&d("P1D")).is_err());
        assert!(far.plus(&Duration { months: i64::MAX, ..Default::default() }).is_err());
    }

    #[test]
    fn components_read_back() {
        use TemporalKind::*;
        let dt = Temporal::parse(DateTime, "2015-07-21T21:40:32.142536789+01:00").unwrap();
        for (k, v) in [
            ("year", 2015),
            ("month", 7),
            ("day", 21),
            ("week", 30),
            ("dayOfWeek", 2),
            ("ordinalDay", 202),
            ("quarter", 3),
            ("dayOfQuarter", 21),
            ("hour", 21),
            ("minute", 40),
            ("second", 32),
            ("millisecond", 142),
            ("microsecond", 142_536),
            ("nanosecond", 142_536_789),
            ("offsetSeconds", 3600),
        ] {
            assert_eq!(dt.component(k), Some(Component::Int(v)), "{k}");
        }
        assert_eq!(dt.component("timezone"), Some(Component::Str("+01:00".into())));
        assert_eq!(dt.component("bogus"), None);
        assert_eq!(Temporal::parse(Date, "2015-07-21").unwrap().component("hour"), None);
        let d = Temporal::parse(Duration, "P1Y2M10DT12H45M30.25S").unwrap();
        assert_eq!(d.component("months"), Some(Component::Int(14)));
        assert_eq!(d.component("minutesOfHour"), Some(Component::Int(45)));
        assert_eq!(d.component("millisecondsOfSecond"), Some(Component::Int(250)));
    }

    #[test]
    fn odd_input_never_panics() {
        use TemporalKind::*;
        for text in ["a€", "€€€€", "2015-€", "12:€0", "P€", "PT1€S", "+€", "T", "--", "W", "P1.5.5S", "PT-S", "-"]
        {
            for kind in [Date, LocalTime, Time, LocalDateTime, DateTime, Duration] {
                assert!(Temporal::parse(kind, text).is_err(), "{kind:?} {text}");
            }
        }
        let huge = map(&[("seconds", Component::Float(1e300)), ("minutes", Component::Float(-1e300))]);
        assert!(Temporal::from_components(Duration, &huge).is_err());
        let many = map(&[("years", Component::Int(i64::MAX)), ("months", Component::Int(i64::MAX))]);
        assert!(Temporal::from_components(Duration, &many).is_err());
        // Values built by hand with absurd fields render and order without a panic.
        for t in [
            Temporal::Date(i64::MAX),
            Temporal::LocalTime(u64::MAX),
            Temporal::Time { nanos: u64::MAX, offset: i32::MIN },
            Temporal::DateTime { seconds: i64::MIN, nanos: u32::MAX, offset: i32::MAX },
            Temporal::Duration { months: i64::MIN, days: i64::MAX, seconds: i64::MIN, nanos: u32::MAX },
        ] {
            let _ = t.to_string();
            let _ = t.component("year");
            let _ = t.component("weekYear");
            let _ = t.component("epochMillis");
            let _ = t.component("milliseconds");
            let _ = t.order(&t);
            let _ = t.plus(&super::Duration { months: 1, days: 1, seconds: 1, nanos: 1 });
        }
    }

    #[test]
    fn converts_between_kinds() {
        use TemporalKind::*;
        let dt = Temporal::parse(DateTime, "2015-07-21T21:40:32+01:00").unwrap();
        assert_eq!(Temporal::convert(Date, &dt).unwrap().to_string(), "2015-07-21");
        assert_eq!(Temporal::convert(LocalTime, &dt).unwrap().to_string(), "21:40:32");
        assert_eq!(Temporal::convert(Time, &dt).unwrap().to_string(), "21:40:32+01:00");
        assert_eq!(Temporal::convert(LocalDateTime, &dt).unwrap().to_string(), "2015-07-21T21:40:32");
        let date = Temporal::parse(Date, "2015-07-21").unwrap();
        assert_eq!(Temporal::convert(DateTime, &date).unwrap().to_string(), "2015-07-21T00:00Z");
        assert!(Temporal::convert(LocalTime, &date).is_err());
        assert!(Temporal::convert(Date, &Temporal::parse(LocalTime, "12:00").unwrap()).is_err());
        assert!(Temporal::convert(Date, &Temporal::parse(Duration, "P1D").unwrap()).is_err());
    }
}
