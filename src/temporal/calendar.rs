//! The proleptic Gregorian calendar: civil days, ISO weeks, leap years, range checks.

use super::{MAX_YEAR, MIN_YEAR, NANOS_PER_SECOND, Res, SECONDS_PER_DAY, TemporalError, err};

/// Whether `y` is a Gregorian leap year.
pub(super) fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

/// The number of days of month `m` of year `y`.
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
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
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
pub(super) fn civil_from_days(z: i64) -> (i64, i64, i64) {
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
pub(super) fn day_of_week(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

/// The Monday that starts ISO week 1 of `year`.
pub(super) fn week_one(year: i64) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    jan4 - (day_of_week(jan4) - 1)
}

/// (week-based year, ISO week) of a day.
pub(super) fn iso_week(days: i64) -> (i64, i64) {
    let (y, _, _) = civil_from_days(days);
    let wy = [y + 1, y, y - 1].into_iter().find(|&c| week_one(c) <= days).unwrap_or(y - 1);
    (wy, (days - week_one(wy)) / 7 + 1)
}

/// The number of ISO weeks (52 or 53) of week-based year `year`.
pub(super) fn weeks_in_year(year: i64) -> i64 {
    (week_one(year + 1) - week_one(year)) / 7
}

/// Checks that a year is within [`MIN_YEAR`]..=[`MAX_YEAR`].
pub(super) fn check_year(y: i64) -> Res<i64> {
    if (MIN_YEAR..=MAX_YEAR).contains(&y) {
        Ok(y)
    } else {
        err(format!("year {y} is out of range {MIN_YEAR}..={MAX_YEAR}"))
    }
}

/// Checks that component `what` is within `lo..=hi`.
pub(super) fn check_range(what: &str, v: i64, lo: i64, hi: i64) -> Res<i64> {
    if (lo..=hi).contains(&v) { Ok(v) } else { err(format!("{what} {v} is out of range {lo}..={hi}")) }
}

/// Checks that a day count is a date within the year range.
pub(super) fn check_days(days: i64) -> Res<i64> {
    let lo = days_from_civil(MIN_YEAR, 1, 1);
    let hi = days_from_civil(MAX_YEAR, 12, 31);
    if (lo..=hi).contains(&days) { Ok(days) } else { err("the date is out of range") }
}

/// Days since 1970-01-01 of a (year, month, day), each checked.
pub(super) fn date_ymd(y: i64, m: i64, d: i64) -> Res<i64> {
    let y = check_year(y)?;
    let m = check_range("month", m, 1, 12)?;
    let d = check_range("day", d, 1, days_in_month(y, m))?;
    Ok(days_from_civil(y, m, d))
}

/// `days` plus `months` calendar months, the day clamped to the month's end.
pub(super) fn add_months(days: i64, months: i64) -> Res<i64> {
    let (y, m, d) = civil_from_days(days);
    let total = (y as i128) * 12 + (m as i128 - 1) + months as i128;
    let ny = i64::try_from(total.div_euclid(12)).map_err(|_| TemporalError("the date is out of range".into()))?;
    let nm = total.rem_euclid(12) as i64 + 1;
    let ny = check_year(ny)?;
    Ok(days_from_civil(ny, nm, d.min(days_in_month(ny, nm))))
}

/// (days since 1970-01-01, nanoseconds of the day) of local seconds since
/// 1970-01-01T00:00 and nanoseconds past them.
pub(super) fn day_and_clock(seconds: i64, nanos: u32) -> (i64, u64) {
    let clock = seconds.rem_euclid(SECONDS_PER_DAY) as u64 * NANOS_PER_SECOND as u64 + u64::from(nanos);
    (seconds.div_euclid(SECONDS_PER_DAY), clock)
}
