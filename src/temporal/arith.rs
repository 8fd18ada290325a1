//! Arithmetic: durations negated, added and scaled; a duration added to a value.

use super::calendar::{add_months, check_days};
use super::components::DurationBuilder;
use super::{
    Component, Duration, NANOS_PER_DAY, NANOS_PER_SECOND, Res, SECONDS_PER_DAY, Temporal, TemporalError, err,
    split_nanos, total_nanos,
};

impl Duration {
    /// The negated duration, `None` on overflow.
    pub fn negate(&self) -> Option<Duration> {
        let total = -total_nanos(self.seconds, self.nanos);
        let (seconds, nanos) = split_nanos(total).ok()?;
        Some(Duration { months: self.months.checked_neg()?, days: self.days.checked_neg()?, seconds, nanos })
    }

    /// The component-wise sum, `None` on overflow.
    pub fn checked_add(&self, other: &Duration) -> Option<Duration> {
        let total = total_nanos(self.seconds, self.nanos) + total_nanos(other.seconds, other.nanos);
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
        let mut b = DurationBuilder::default();
        b.add("months", &Component::Float(self.months as f64 * factor))?;
        b.add("days", &Component::Float(self.days as f64 * factor))?;
        let total = total_nanos(self.seconds, self.nanos) as f64 * factor;
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
            nanos: total_nanos(self.seconds, self.nanos)
                .checked_mul(f)
                .ok_or_else(|| TemporalError("the duration is out of range".into()))?,
        };
        b.build()
    }
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
        let time_nanos = total_nanos(d.seconds, d.nanos);
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
