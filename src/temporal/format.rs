//! `Display`: ISO 8601 as openCypher prints temporal values.

use std::fmt;

use super::calendar::{civil_from_days, day_and_clock};
use super::{Duration, NANOS_PER_SECOND, Temporal, total_nanos};

/// A UTC offset as ISO 8601 writes it: `Z`, `+01:00`, `-05:30:15`.
pub(super) fn offset_text(offset: i32) -> String {
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
    let (days, clock) = day_and_clock(seconds, nanos);
    write_date(f, days)?;
    f.write_str("T")?;
    write_time(f, clock)
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
        let total = total_nanos(self.seconds, self.nanos);
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
