//! The storage encoding: a kind byte, then zigzag varints of the fields.

use super::{Duration, Temporal};

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
