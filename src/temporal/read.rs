//! Reading a value's components (`year`, `offset`, a duration's `hours`...).

use super::calendar::{civil_from_days, day_and_clock, day_of_week, days_from_civil, iso_week};
use super::format::offset_text;
use super::{Component, Duration, NANOS_PER_SECOND, Temporal};

impl Temporal {
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
            Temporal::LocalDateTime { seconds, nanos } => {
                let (days, clock) = day_and_clock(seconds, nanos);
                (Some(days), Some(clock as i64))
            }
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
