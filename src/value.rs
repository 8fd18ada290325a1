//! Typed property values: the openCypher value model.
//!
//! - [`Value`] is null, bool, int64, float64, UTF-8 string, bytes, a
//!   [`Temporal`] (date, time, date-time, duration), or a list or
//!   string-keyed map of values.
//! - [`Value::order`] is a total order (openCypher's *orderability*: maps,
//!   lists, temporal values, strings, bytes, booleans, numbers, null; ints
//!   and floats compare by numeric value; NaN above every number; temporal
//!   values as [`Temporal::order`]); [`Value::compare`] is *comparability*
//!   (`None` across types and for null, as `<` in Cypher).
//! - [`Value::encode`] / [`Value::decode`] are a compact, versioned binary
//!   encoding; the decoder returns an error on any malformed input and never
//!   panics. [`Value::sort_key`] is an order-preserving byte encoding, so
//!   byte order of keys is [`Value::order`] (range indexes scan by it).

use crate::temporal::Temporal;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// A property value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value (setting a property to null removes it).
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A 64-bit signed integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// A byte string.
    Bytes(Vec<u8>),
    /// A date, time, date-time or duration.
    Temporal(Temporal),
    /// A list of values.
    List(Vec<Value>),
    /// A map from string keys to values.
    Map(BTreeMap<String, Value>),
}

// `Temporal` keeps its kind in a byte the `Value` tag shares, so adding it
// left a value at four words.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Value>() == 32);

/// The first byte of every encoding: its format version.
pub const ENCODING_VERSION: u8 = 1;
/// Deepest nesting of lists and maps the decoder accepts.
pub const MAX_DEPTH: usize = 64;

/// Why bytes are not a valid encoding of a [`Value`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(&'static str);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad value encoding: {}", self.0)
    }
}

impl std::error::Error for DecodeError {}

// Encoding tags.
const T_NULL: u8 = 0;
const T_FALSE: u8 = 1;
const T_TRUE: u8 = 2;
const T_INT: u8 = 3;
const T_FLOAT: u8 = 4;
const T_STRING: u8 = 5;
const T_BYTES: u8 = 6;
const T_LIST: u8 = 7;
const T_MAP: u8 = 8;
const T_TEMPORAL: u8 = 9;

impl Value {
    /// The type's name, as error messages and `kvg_value_type` call it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Temporal(_) => "temporal",
            Value::List(_) => "list",
            Value::Map(_) => "map",
        }
    }

    /// The rank of the value's type in the total order (numbers share one).
    fn rank(&self) -> u8 {
        match self {
            Value::Map(_) => 1,
            Value::List(_) => 2,
            Value::Temporal(_) => 3,
            Value::String(_) => 4,
            Value::Bytes(_) => 5,
            Value::Bool(_) => 6,
            Value::Int(_) | Value::Float(_) => 7,
            Value::Null => 8,
        }
    }

    /// The total order of values (openCypher orderability, with bytes
    /// between strings and booleans): by type rank, then by value. Ints and
    /// floats compare exactly by numeric value (`1 == 1.0`), NaN above
    /// every number and equal to itself, `-0.0 == 0.0`.
    pub fn order(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Map(a), Value::Map(b)) => {
                cmp_seq(a.iter(), b.iter(), |(ka, va), (kb, vb)| ka.cmp(kb).then(va.order(vb)))
            }
            (Value::List(a), Value::List(b)) => cmp_seq(a.iter(), b.iter(), Value::order),
            (Value::Temporal(a), Value::Temporal(b)) => a.order(b),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::Bytes(a), Value::Bytes(b)) => a.cmp(b),
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (a @ (Value::Int(_) | Value::Float(_)), b @ (Value::Int(_) | Value::Float(_))) => {
                Number::of(a).cmp(&Number::of(b))
            }
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }

    /// openCypher comparability: the order of two values of one comparable
    /// kind (numbers, strings, bytes, booleans, temporal values of one kind
    /// other than durations, lists of comparable values), `None` for null,
    /// NaN, maps, durations, or values of different kinds.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        match (self, other) {
            (Value::Temporal(a), Value::Temporal(b)) => a.compare(b),
            (Value::Float(f), _) | (_, Value::Float(f)) if f.is_nan() => None,
            (Value::List(a), Value::List(b)) => {
                for (x, y) in a.iter().zip(b) {
                    match x.compare(y)? {
                        Ordering::Equal => {}
                        o => return Some(o),
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            (Value::Null, _) | (_, Value::Null) | (Value::Map(_), _) | (_, Value::Map(_)) => None,
            (a, b) if a.rank() == b.rank() => Some(a.order(b)),
            _ => None,
        }
    }

    /// The compact binary encoding: [`ENCODING_VERSION`], then the value.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![ENCODING_VERSION];
        self.encode_into(&mut out);
        out
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.push(T_NULL),
            Value::Bool(b) => out.push(if *b { T_TRUE } else { T_FALSE }),
            Value::Int(i) => {
                out.push(T_INT);
                put_varint(out, ((*i << 1) ^ (*i >> 63)) as u64);
            }
            Value::Float(f) => {
                out.push(T_FLOAT);
                out.extend_from_slice(&f.to_le_bytes());
            }
            Value::String(s) => put_blob(out, T_STRING, s.as_bytes()),
            Value::Bytes(b) => put_blob(out, T_BYTES, b),
            Value::Temporal(t) => {
                out.push(T_TEMPORAL);
                t.encode_into(out, put_varint);
            }
            Value::List(items) => {
                out.push(T_LIST);
                put_varint(out, items.len() as u64);
                items.iter().for_each(|v| v.encode_into(out));
            }
            Value::Map(map) => {
                out.push(T_MAP);
                put_varint(out, map.len() as u64);
                for (k, v) in map {
                    put_varint(out, k.len() as u64);
                    out.extend_from_slice(k.as_bytes());
                    v.encode_into(out);
                }
            }
        }
    }

    /// Decodes an [`encode`](Self::encode)d value. Any malformed input
    /// (unknown version or tag, truncation, trailing bytes, invalid UTF-8,
    /// nesting past [`MAX_DEPTH`], unsorted or repeated map keys) is an error.
    pub fn decode(bytes: &[u8]) -> Result<Value, DecodeError> {
        let mut r = Reader(bytes);
        if r.byte()? != ENCODING_VERSION {
            return Err(DecodeError("unknown version"));
        }
        let v = r.value(0)?;
        if !r.0.is_empty() {
            return Err(DecodeError("trailing bytes"));
        }
        Ok(v)
    }

    /// An order-preserving, self-delimiting byte encoding: for any values
    /// `a`, `b`, `a.sort_key().cmp(&b.sort_key()) == a.order(b)`, and no key
    /// is a proper prefix of another, so suffixes may follow it.
    pub fn sort_key(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.sort_key_into(&mut out);
        out
    }

    fn sort_key_into(&self, out: &mut Vec<u8>) {
        out.push(self.rank());
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push(u8::from(*b)),
            Value::Int(_) | Value::Float(_) => Number::of(self).put_key(out),
            Value::String(s) => put_escaped(out, s.as_bytes()),
            Value::Bytes(b) => put_escaped(out, b),
            Value::Temporal(t) => t.put_sort_key(out),
            Value::List(items) => {
                items.iter().for_each(|v| v.sort_key_into(out));
                out.push(0);
            }
            Value::Map(map) => {
                for (k, v) in map {
                    out.push(1);
                    put_escaped(out, k.as_bytes());
                    v.sort_key_into(out);
                }
                out.push(0);
            }
        }
    }

    /// The sort keys of the values of this value's kind, as `[lo, hi)`
    /// after `prefix`: its type rank (numbers without NaN, which no range
    /// holds; temporal values of its temporal kind).
    pub(crate) fn kind_range(&self, prefix: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let at = |tail: &[u8]| [prefix, tail].concat();
        match self {
            Value::Int(_) | Value::Float(_) => {
                (at(&[self.rank()]), at(&[self.rank(), 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]))
            }
            Value::Temporal(t) => (at(&[self.rank(), t.sort_rank()]), at(&[self.rank(), t.sort_rank() + 1])),
            _ => (at(&[self.rank()]), at(&[self.rank() + 1])),
        }
    }
}

/// Lexicographic order of two sequences under `cmp`.
fn cmp_seq<T>(a: impl Iterator<Item = T>, mut b: impl Iterator<Item = T>, cmp: impl Fn(T, T) -> Ordering) -> Ordering {
    for x in a {
        match b.next() {
            None => return Ordering::Greater,
            Some(y) => match cmp(x, y) {
                Ordering::Equal => {}
                o => return o,
            },
        }
    }
    if b.next().is_some() { Ordering::Less } else { Ordering::Equal }
}

/// A number as the order sees it: its nearest `f64`, then the exact
/// remainder of an integer from it (floats have none). Rounding is
/// monotonic, so comparing (rounded, remainder) compares exact values.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Number {
    /// Order-preserving bits of the rounded value (NaN above +inf).
    rounded: u64,
    remainder: i64,
}

impl Number {
    fn of(v: &Value) -> Number {
        match *v {
            Value::Int(i) => {
                let f = i as f64;
                // `f` is within 2^10 of `i` (2^63 itself rounds to +2^63,
                // which no i64 reaches: the remainder is then negative).
                let remainder = (i as i128 - f as i128) as i64;
                Number { rounded: float_bits(f), remainder }
            }
            Value::Float(f) => Number { rounded: float_bits(f), remainder: 0 },
            _ => unreachable!("Number::of a non-number"),
        }
    }

    fn put_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.rounded.to_be_bytes());
        out.extend_from_slice(&((self.remainder as u64) ^ (1 << 63)).to_be_bytes());
    }
}

/// Maps floats to integers in numeric order: -0.0 as 0.0, every NaN above +inf.
fn float_bits(f: f64) -> u64 {
    if f.is_nan() {
        return u64::MAX;
    }
    let bits = (if f == 0.0 { 0.0f64 } else { f }).to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

/// Writes `bytes` so that byte order is kept and the end is marked:
/// 0x00 becomes 0x00 0xFF, and 0x00 0x00 ends it.
fn put_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_blob(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// A cursor over encoded bytes; every read checks the length.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.0.len() {
            return Err(DecodeError("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7F);
            if shift == 63 && part > 1 {
                return Err(DecodeError("varint overflows"));
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(DecodeError("varint too long"))
    }

    /// A length that the remaining input can hold (each item takes ≥ 1 byte).
    fn len(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        usize::try_from(n).ok().filter(|&n| n <= self.0.len()).ok_or(DecodeError("length past the end"))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.len()?;
        let raw = self.take(n)?;
        String::from_utf8(raw.to_vec()).map_err(|_| DecodeError("invalid UTF-8"))
    }

    fn value(&mut self, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError("nested too deep"));
        }
        Ok(match self.byte()? {
            T_NULL => Value::Null,
            T_FALSE => Value::Bool(false),
            T_TRUE => Value::Bool(true),
            T_INT => {
                let z = self.varint()?;
                Value::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            T_FLOAT => Value::Float(f64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes"))),
            T_STRING => Value::String(self.string()?),
            T_TEMPORAL => {
                let kind = self.byte()?;
                Temporal::decode_from(kind, || self.varint())?
                    .map(Value::Temporal)
                    .ok_or(DecodeError("bad temporal"))?
            }
            T_BYTES => {
                let n = self.len()?;
                Value::Bytes(self.take(n)?.to_vec())
            }
            T_LIST => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::List(items)
            }
            T_MAP => {
                let n = self.len()?;
                let mut map = BTreeMap::new();
                for _ in 0..n {
                    let k = self.string()?;
                    if map.last_key_value().is_some_and(|(last, _): (&String, _)| *last >= k) {
                        return Err(DecodeError("map keys not strictly increasing"));
                    }
                    let v = self.value(depth + 1)?;
                    map.insert(k, v);
                }
                Value::Map(map)
            }
            _ => return Err(DecodeError("unknown tag")),
        })
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Self {
        Value::Bytes(b.to_vec())
    }
}

impl From<Temporal> for Value {
    fn from(t: Temporal) -> Self {
        Value::Temporal(t)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::List(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporal(kind: crate::TemporalKind, text: &str) -> Value {
        Value::Temporal(Temporal::parse(kind, text).unwrap())
    }

    fn samples() -> Vec<Value> {
        use crate::TemporalKind::*;
        let mut map = BTreeMap::new();
        map.insert("a".to_owned(), Value::Int(1));
        map.insert("b".to_owned(), Value::List(vec![Value::Null, Value::Bytes(vec![0, 1])]));
        vec![
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
            Value::Int(i64::MIN),
            Value::Int(-1),
            Value::Int(0),
            Value::Int(i64::MAX),
            Value::Int((1 << 53) + 1),
            Value::Float((1u64 << 53) as f64),
            Value::Float(-0.0),
            Value::Float(0.5),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY),
            Value::Float(f64::NAN),
            Value::Float(9_223_372_036_854_775_808.0),
            Value::String(String::new()),
            Value::String("a\0b".to_owned()),
            Value::String("ab".to_owned()),
            Value::Bytes(vec![]),
            Value::Bytes(vec![0]),
            Value::Bytes(vec![0, 0]),
            Value::List(vec![]),
            Value::List(vec![Value::Int(1)]),
            Value::List(vec![Value::Int(1), Value::Int(2)]),
            Value::Map(BTreeMap::new()),
            Value::Map(map),
            temporal(Date, "1910-05-06"),
            temporal(Date, "-0044-03-15"),
            temporal(LocalTime, "12:31:14.645876123"),
            temporal(Time, "12:00+01:00"),
            temporal(Time, "11:00Z"),
            temporal(Time, "10:35-08:00"),
            temporal(LocalDateTime, "0001-01-01T01:01:01.000000001"),
            temporal(DateTime, "9999-09-09T09:59:59.999999999+11:59"),
            temporal(DateTime, "1984-10-11T12:31:14-11:59"),
            temporal(Duration, "P1M2D"),
            temporal(Duration, "PT-12M"),
            temporal(Duration, "P30D"),
            Value::List(vec![temporal(Date, "2015-07-21"), Value::Null]),
        ]
    }

    #[test]
    fn encoding_round_trips() {
        for v in samples() {
            let back = Value::decode(&v.encode()).unwrap();
            assert_eq!(back.order(&v), Ordering::Equal, "{v:?}");
            assert_eq!(back.type_name(), v.type_name());
        }
    }

    #[test]
    fn sort_key_order_is_value_order() {
        let s = samples();
        for a in &s {
            for b in &s {
                assert_eq!(a.sort_key().cmp(&b.sort_key()), a.order(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn temporal_values_order_after_lists_and_before_strings() {
        use crate::TemporalKind::*;
        let date = temporal(Date, "2015-07-21");
        assert_eq!(Value::List(vec![]).order(&date), Ordering::Less);
        assert_eq!(date.order(&Value::from("")), Ordering::Less);
        // Kinds in openCypher's order: DateTime, LocalDateTime, Date, Time, LocalTime, Duration.
        let kinds = [
            temporal(DateTime, "2015-07-21T00:00Z"),
            temporal(LocalDateTime, "2015-07-21T00:00"),
            date.clone(),
            temporal(Time, "00:00Z"),
            temporal(LocalTime, "00:00"),
            temporal(Duration, "PT0S"),
        ];
        for w in kinds.windows(2) {
            assert_eq!(w[0].order(&w[1]), Ordering::Less, "{w:?}");
            assert_eq!(w[0].compare(&w[1]), None, "different kinds are not comparable");
        }
        // Times by instant; durations orderable but not comparable.
        assert_eq!(temporal(Time, "12:00+01:00").compare(&temporal(Time, "11:00Z")), Some(Ordering::Equal));
        assert_eq!(temporal(Time, "12:35:15+05:00").compare(&temporal(Time, "10:35-08:00")), Some(Ordering::Less));
        assert_eq!(temporal(Duration, "P1M").compare(&temporal(Duration, "P1M")), None);
        assert_eq!(temporal(Duration, "P1M").order(&temporal(Duration, "P30D")), Ordering::Greater);
    }

    #[test]
    fn comparability_agrees_with_the_order() {
        let s = samples();
        for a in &s {
            for b in &s {
                if let Some(o) = a.compare(b) {
                    assert_eq!(o, a.order(b), "{a:?} vs {b:?}");
                }
            }
        }
    }

    #[test]
    fn numbers_compare_exactly_across_types() {
        assert_eq!(Value::Int(1).order(&Value::Float(1.0)), Ordering::Equal);
        assert_eq!(Value::Int((1 << 53) + 1).order(&Value::Float((1u64 << 53) as f64)), Ordering::Greater);
        assert_eq!(Value::Int(i64::MAX).order(&Value::Float(9_223_372_036_854_775_808.0)), Ordering::Less);
        assert_eq!(Value::Float(f64::NAN).order(&Value::Float(f64::INFINITY)), Ordering::Greater);
        assert_eq!(Value::Int(1).compare(&Value::Float(f64::NAN)), None);
        assert_eq!(Value::Int(1).compare(&Value::String("1".into())), None);
        assert_eq!(Value::Null.compare(&Value::Null), None);
        assert_eq!(Value::Int(2).compare(&Value::Float(1.5)), Some(Ordering::Greater));
    }

    #[test]
    fn decoder_rejects_malformed_input() {
        for bad in [
            &[][..],
            &[2, T_NULL],
            &[1],
            &[1, 99],
            &[1, T_NULL, 0],
            &[1, T_STRING, 1, 0xFF],
            &[1, T_BYTES, 5, 0],
            &[1, T_LIST, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
            &[1, T_INT, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02],
            &[1, T_MAP, 2, 1, b'b', T_NULL, 1, b'a', T_NULL],
            &[1, T_FLOAT, 0, 0],
            &[1, T_TEMPORAL],
            &[1, T_TEMPORAL, 6, 0],
            &[1, T_TEMPORAL, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            &[1, T_TEMPORAL, 2, 0, 0xFF, 0xFF, 0x0F],
            &[1, T_TEMPORAL, 5, 0, 0, 0],
            &[1, T_TEMPORAL, 5, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
            &[1, T_TEMPORAL, 0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        ] {
            assert!(Value::decode(bad).is_err(), "{bad:?}");
        }
        let mut deep = vec![1];
        deep.extend(std::iter::repeat_n([T_LIST, 1], MAX_DEPTH + 1).flatten());
        deep.push(T_NULL);
        assert!(Value::decode(&deep).is_err());
    }

    #[test]
    fn temporal_encodings_are_stable() {
        use crate::TemporalKind::*;
        // Version 1 is unchanged: older encodings decode as before, and a
        // temporal value is tag 9, its kind, then zigzag varints.
        assert_eq!(Value::decode(&[1, T_INT, 4]).unwrap(), Value::Int(2));
        assert_eq!(temporal(Date, "1970-01-02").encode(), [1, T_TEMPORAL, 0, 2]);
        assert_eq!(temporal(Time, "00:00:00.000000001+00:00:01").encode(), [1, T_TEMPORAL, 2, 1, 2]);
        assert_eq!(temporal(Duration, "P-1MT1.5S").encode(), [1, T_TEMPORAL, 5, 1, 0, 2, 0x80, 0xCA, 0xB5, 0xEE, 0x01]);
    }
}
