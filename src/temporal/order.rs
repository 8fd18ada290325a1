//! The total order, comparability, equality and the order-preserving sort key.

use std::cmp::Ordering;

use super::{NANOS_PER_SECOND, SECONDS_PER_DAY, SECONDS_PER_MONTH, Temporal, TemporalKind, total_nanos};

impl Temporal {
    /// The key the order compares: kind rank, then the instant (or amount),
    /// then a duration's months and days (so that equal keys are equal
    /// values under [`equals`](Self::equals)).
    fn order_key(&self) -> (u8, i128, i64, i64) {
        let ns = i128::from(NANOS_PER_SECOND);
        let rank = self.kind().rank();
        match *self {
            Temporal::DateTime { seconds, nanos, .. } | Temporal::LocalDateTime { seconds, nanos } => {
                (rank, total_nanos(seconds, nanos), 0, 0)
            }
            Temporal::Date(d) => (rank, i128::from(d), 0, 0),
            Temporal::Time { nanos, offset } => (rank, i128::from(nanos) - i128::from(offset) * ns, 0, 0),
            Temporal::LocalTime(n) => (rank, i128::from(n), 0, 0),
            Temporal::Duration { months, days, seconds, nanos } => {
                let approx = (i128::from(months) * i128::from(SECONDS_PER_MONTH)
                    + i128::from(days) * i128::from(SECONDS_PER_DAY)
                    + i128::from(seconds))
                    * ns
                    + i128::from(nanos);
                (rank, approx, months, days)
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
