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
//!
//! The files: `calendar` (civil days, ISO weeks, range checks),
//! `components` (construction from component maps, other values and the
//! clock), `parse` (ISO 8601 strings), `format` (`Display`), `read` (a
//! value's components), `arith` (durations and a duration added to a
//! value), `order` (order, equality, sort keys), `encode` (the storage
//! encoding).

mod arith;
mod calendar;
mod components;
mod encode;
mod format;
mod order;
mod parse;
mod read;
#[cfg(test)]
mod tests;

use std::fmt;

use calendar::check_days;

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

/// Seconds and nanoseconds (`0..1_000_000_000`) of a count of nanoseconds.
fn split_nanos(total: i128) -> Res<(i64, u32)> {
    let ns = i128::from(NANOS_PER_SECOND);
    let secs = i64::try_from(total.div_euclid(ns)).map_err(|_| TemporalError("the value is out of range".into()))?;
    Ok((secs, total.rem_euclid(ns) as u32))
}

/// The nanoseconds of seconds and nanoseconds (the inverse of [`split_nanos`]).
fn total_nanos(seconds: i64, nanos: u32) -> i128 {
    i128::from(seconds) * i128::from(NANOS_PER_SECOND) + i128::from(nanos)
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
}
