//! The ordered key-value map: byte-string keys and values ordered by bytes,
//! linearizable point operations, TTLs, atomic counters and range scans.
//!
//! Expired values are invisible from the instant they expire. Their memory
//! is reclaimed later without a background thread: writes sweep a few due
//! entries of an expiry index each, [`Kv::len`] and [`Kv::maintain`] sweep all.

mod clock;
mod hook;
mod iter;

pub use clock::Clock;
pub(crate) use hook::{KvObserver, WriteGroup};
pub use iter::KvIter;

use crate::error::{Error, Result};
use crate::map::{ByteMap, Decision, NewValue, Value};
use crate::mem::MemoryManager;
use crate::sync::tuning::SWEEP_PER_WRITE;
use std::ops::{Bound, ControlFlow};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Shared state of a [`Kv`] map, kept alive by iterators too.
pub(crate) struct KvCore {
    map: ByteMap,
    /// `expires_at` (8 bytes, big-endian) followed by the key, for every value
    /// stored with a TTL and not yet swept (empty values).
    expiry: ByteMap,
    clock: Clock,
    mem: Arc<MemoryManager>,
    /// The durability layer's observer of acknowledged writes, if any.
    hook: OnceLock<Arc<dyn KvObserver>>,
}

/// The engine's key-value map. Cheap to share: every method takes `&self` and
/// is safe to call from many threads at once.
pub struct Kv {
    core: Arc<KvCore>,
}

impl Kv {
    /// An empty map retiring memory through `mem`, reading time from `clock`.
    pub(crate) fn new(mem: Arc<MemoryManager>, clock: Clock) -> Self {
        let core = KvCore {
            map: ByteMap::new(Arc::clone(&mem)),
            expiry: ByteMap::new(Arc::clone(&mem)),
            clock,
            mem,
            hook: OnceLock::new(),
        };
        Kv { core: Arc::new(core) }
    }

    /// Sets `key` to `value`, replacing any value and clearing any TTL.
    pub fn set(&self, key: &[u8], value: &[u8]) {
        self.store(key, value, 0);
    }

    /// Sets `key` to `value`, expiring after `ttl` (at least 1 ms).
    pub fn set_with_ttl(&self, key: &[u8], value: &[u8], ttl: Duration) -> Result<()> {
        let ttl_ms = ttl.as_millis();
        if ttl_ms == 0 {
            return Err(Error::invalid("ttl must be at least 1 ms"));
        }
        let expires_at = self.core.clock.now_ms().saturating_add(ttl_ms.min(u64::MAX as u128) as u64);
        self.try_write(key, |_| Decision::Replace(NewValue::new(value, expires_at), ()))
    }

    /// Sets `key` to `value`, expiring at the absolute time `expires_at_ms`
    /// (Unix milliseconds on this map's clock; 0: never). A time already
    /// past stores a value that is invisible at once.
    pub fn set_with_expiry_at(&self, key: &[u8], value: &[u8], expires_at_ms: u64) {
        self.store(key, value, expires_at_ms);
    }

    /// [`set_with_expiry_at`](Self::set_with_expiry_at) unless `key`'s live
    /// value makes `refuse` true, decided and written in one atomic step
    /// (one descent of the map); returns whether it wrote. `refuse` may run
    /// more than once if the value changes meanwhile.
    pub fn set_unless(&self, key: &[u8], value: &[u8], expires_at_ms: u64, refuse: impl Fn(&[u8]) -> bool) -> bool {
        self.write(key, |cur| match cur {
            Some(v) if refuse(v.bytes()) => Decision::Keep(false),
            _ => Decision::Replace(NewValue::new(value, expires_at_ms), true),
        })
    }

    /// The absolute expiry time (Unix milliseconds) of `key`: `Some(0)` for
    /// a live key without TTL, `None` for an absent key.
    pub fn expires_at(&self, key: &[u8]) -> Option<u64> {
        self.core.map.get(key, self.core.clock.now_ms(), |v| v.expires_at())
    }

    /// The current time of this map's clock, in Unix milliseconds: the time
    /// against which expiry times are compared.
    pub fn now_ms(&self) -> u64 {
        self.core.clock.now_ms()
    }

    /// Fills this empty, unshared map with `entries` (key, value, absolute
    /// expiry or 0; keys strictly ascending) in one bulk build of the map
    /// and of its expiry index: how a snapshot is loaded. Not logged.
    ///
    /// Errors (`InvalidArgument`, the map unchanged): the map is shared or
    /// not empty, or the keys are not strictly ascending.
    pub(crate) fn fill_sorted<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a [u8], &'a [u8], u64)>,
    ) -> Result<()> {
        let core = Arc::get_mut(&mut self.core).ok_or_else(|| Error::invalid("the KV map is shared"))?;
        let mut expiries = Vec::new();
        let values: Vec<(&[u8], NewValue)> = entries
            .into_iter()
            .map(|(k, v, at)| {
                if at != 0 {
                    expiries.push(expiry_key(at, k));
                }
                (k, NewValue::new(v, at))
            })
            .collect();
        core.map.fill_sorted(values).map_err(Error::invalid)?;
        expiries.sort_unstable();
        let index = expiries.iter().map(|e| (&e[..], NewValue::new(&[], 0))).collect();
        // Distinct keys make distinct index entries: this cannot fail on an empty index.
        core.expiry.fill_sorted(index).map_err(Error::invalid)
    }

    fn store(&self, key: &[u8], value: &[u8], expires_at: u64) {
        self.write(key, |_| Decision::Replace(NewValue::new(value, expires_at), ()));
    }

    /// [`set`](Self::set) that reports a durable engine's failure to record
    /// the write (`ErrorKind::Io`: disk full, failing fsync) instead of only
    /// keeping it in memory.
    pub fn try_set(&self, key: &[u8], value: &[u8]) -> Result<()> {
        self.try_write(key, |_| Decision::Replace(NewValue::new(value, 0), ()))
    }

    /// [`insert`](Self::insert) that reports a durable engine's I/O failure.
    pub fn try_insert(&self, key: &[u8], value: &[u8]) -> Result<bool> {
        self.try_write(key, |cur| match cur {
            Some(_) => Decision::Keep(false),
            None => Decision::Replace(NewValue::new(value, 0), true),
        })
    }

    /// [`delete`](Self::delete) that reports a durable engine's I/O failure.
    pub fn try_delete(&self, key: &[u8]) -> Result<bool> {
        self.try_write(key, |cur| Decision::Remove(cur.is_some()))
    }

    /// Inserts `key` only if it has no live value; returns whether it did.
    pub fn insert(&self, key: &[u8], value: &[u8]) -> bool {
        self.write(key, |cur| match cur {
            Some(_) => Decision::Keep(false),
            None => Decision::Replace(NewValue::new(value, 0), true),
        })
    }

    /// The live value of `key`.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.core.map.get(key, self.core.clock.now_ms(), |v| v.bytes().to_vec())
    }

    /// Calls `f` on the live value of `key` in place, without copying it.
    /// The thread stays pinned during the call (memory retired meanwhile is
    /// not freed), so keep `f` short.
    pub fn get_with<T>(&self, key: &[u8], f: impl FnOnce(&[u8]) -> T) -> Option<T> {
        self.core.map.get(key, self.core.clock.now_ms(), |v| f(v.bytes()))
    }

    /// Calls `f(key, value)` on the live entries with keys in `[start, end)`
    /// (`None` bounds are open), in key order and in place, until it returns
    /// `ControlFlow::Break`. The zero-copy counterpart of [`scan`](Self::scan),
    /// with the same guarantees; the thread stays pinned during the visit.
    pub fn scan_with(
        &self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        mut f: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>,
    ) {
        let lower = start.map_or(Bound::Unbounded, Bound::Included);
        let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
        self.core.map.visit(lower, upper, self.core.clock.now_ms(), |k, v| f(k, v.bytes()));
    }

    /// Whether `key` has a live value.
    pub fn contains_key(&self, key: &[u8]) -> bool {
        self.core.map.get(key, self.core.clock.now_ms(), |_| ()).is_some()
    }

    /// Time left before `key` expires: `Some(None)` for a key without TTL,
    /// `None` for an absent key.
    pub fn ttl(&self, key: &[u8]) -> Option<Option<Duration>> {
        let now = self.core.clock.now_ms();
        self.core.map.get(key, now, |v| (v.expires_at() != 0).then(|| Duration::from_millis(v.expires_at() - now)))
    }

    /// Deletes `key`; returns whether it had a live value.
    pub fn delete(&self, key: &[u8]) -> bool {
        self.write(key, |cur| Decision::Remove(cur.is_some()))
    }

    /// Replaces the value of `key` by `desired` if it equals `expected`.
    /// Fails with `NotFound` if `key` is absent, `Conflict` if it differs.
    /// The TTL, if any, is kept.
    pub fn compare_and_swap(&self, key: &[u8], expected: &[u8], desired: &[u8]) -> Result<()> {
        self.try_write(key, |cur| match cur {
            None => Decision::Keep(Err(Error::not_found("key not found"))),
            Some(v) if v.bytes() != expected => Decision::Keep(Err(Error::conflict("value differs from expected"))),
            Some(v) => Decision::Replace(NewValue::new(desired, v.expires_at()), Ok(())),
        })?
    }

    /// Adds `delta` to the decimal integer stored at `key` (absent counts as
    /// 0) and returns the result, as Redis `INCRBY` does. A value that is not
    /// a canonical signed 64-bit decimal, or a result that would overflow, is
    /// `InvalidArgument`. The TTL, if any, is kept.
    pub fn incr(&self, key: &[u8], delta: i64) -> Result<i64> {
        self.try_write(key, |cur| {
            let (old, expires_at) = match cur {
                None => (0, 0),
                Some(v) => match parse_i64(v.bytes()) {
                    Some(n) => (n, v.expires_at()),
                    None => return Decision::Keep(Err(Error::invalid("value is not an integer"))),
                },
            };
            match old.checked_add(delta) {
                Some(n) => Decision::Replace(NewValue::new(n.to_string().as_bytes(), expires_at), Ok(n)),
                None => Decision::Keep(Err(Error::invalid("increment would overflow"))),
            }
        })?
    }

    /// Number of keys with a live value.
    pub fn len(&self) -> usize {
        self.sweep(usize::MAX);
        self.core.map.filled()
    }

    /// Whether no key has a live value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Live entries with keys in `[start, end)` in key order; `None` bounds are open.
    pub fn scan(&self, start: Option<&[u8]>, end: Option<&[u8]>) -> KvIter {
        let lower = start.map_or(Bound::Unbounded, |s| Bound::Included(s.to_vec()));
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        self.range((lower, upper))
    }

    /// Live entries with keys in `bounds`, in key order.
    pub fn range(&self, bounds: (Bound<Vec<u8>>, Bound<Vec<u8>>)) -> KvIter {
        KvIter::new(Arc::clone(&self.core), bounds.0, bounds.1)
    }

    /// Live entries whose keys start with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: &[u8]) -> KvIter {
        let upper = prefix_successor(prefix).map_or(Bound::Unbounded, Bound::Excluded);
        self.range((Bound::Included(prefix.to_vec()), upper))
    }

    /// Reclaims every expired value now, drops the map's tombstones and
    /// merges its nodes' appended keys into their sorted runs, and lets the
    /// memory manager free what no reader still uses. Optional: writes
    /// reclaim in passing.
    pub fn maintain(&self) {
        self.sweep(usize::MAX);
        self.core.map.compact();
        self.core.expiry.compact();
        self.core.mem.collect();
    }

    /// Runs one write; a durable engine's failure to record it stays in its
    /// observer (reported by the `try_` calls and `Engine::save`).
    fn write<R>(&self, key: &[u8], f: impl FnMut(Option<&Value>) -> Decision<R>) -> R {
        let logged = hook::Logged::begin(&self.core, key);
        let (r, changed) = self.apply(key, f);
        let _ = logged.finish(&self.core, key, changed);
        r
    }

    /// Runs one write unless a durable engine can no longer record it;
    /// fails if recording it failed.
    fn try_write<R>(&self, key: &[u8], f: impl FnMut(Option<&Value>) -> Decision<R>) -> Result<R> {
        let logged = hook::Logged::begin(&self.core, key);
        logged.check()?;
        let (r, changed) = self.apply(key, f);
        logged.finish(&self.core, key, changed)?;
        Ok(r)
    }

    /// Runs one write through the map, then records a TTL and sweeps a
    /// little; returns the result and whether the map changed.
    fn apply<R>(&self, key: &[u8], mut f: impl FnMut(Option<&Value>) -> Decision<R>) -> (R, bool) {
        let core = &*self.core;
        let now = core.clock.now_ms();
        // Expiries (0: none) of the live value the applied decision replaced
        // or removed, and of the value it stored: the expiry index follows them.
        let (mut old_expiry, mut new_expiry, mut changed) = (0, 0, false);
        let r = core.map.update(key, now, |cur| {
            let d = f(cur);
            changed = !matches!(d, Decision::Keep(_));
            (old_expiry, new_expiry) = match &d {
                Decision::Keep(_) => (0, 0),
                Decision::Replace(v, _) => (cur.map_or(0, |c| c.expires_at()), v.expires_at()),
                Decision::Remove(_) => (cur.map_or(0, |c| c.expires_at()), 0),
            };
            d
        });
        if new_expiry != old_expiry {
            if old_expiry != 0 && core.unindex(&expiry_key(old_expiry, key)) {
                // A concurrent writer may have stored a value with that same
                // expiry meanwhile and found this entry present: put it back
                // (any value, even expired: the sweep reclaims it).
                if core.map.get(key, 0, |v| v.expires_at()) == Some(old_expiry) {
                    core.index(&expiry_key(old_expiry, key));
                }
            }
            if new_expiry != 0 {
                core.index(&expiry_key(new_expiry, key));
            }
        }
        self.sweep(SWEEP_PER_WRITE);
        (r, changed)
    }

    /// Reclaims up to `budget` values whose expiry time has passed.
    fn sweep(&self, budget: usize) {
        let core = &*self.core;
        if core.expiry.filled() == 0 {
            return;
        }
        let now = core.clock.now_ms();
        for _ in 0..budget {
            // The first index entry, if due.
            let mut due = None;
            core.expiry.visit(Bound::Unbounded, Bound::Unbounded, 0, |k, _| {
                if u64::from_be_bytes(k[..8].try_into().expect("8-byte prefix")) <= now {
                    due = Some(k.to_vec());
                }
                ControlFlow::Break(())
            });
            let Some(entry) = due else { return };
            if core.unindex(&entry) {
                // Keeping an expired value reclaims it; a live one is untouched.
                core.map.update(&entry[8..], now, |_| Decision::Keep(()));
            }
        }
    }
}

impl KvCore {
    /// Adds an expiry-index entry (if absent).
    fn index(&self, entry: &[u8]) {
        self.expiry.update(entry, 0, |cur| match cur {
            Some(_) => Decision::Keep(()),
            None => Decision::Replace(NewValue::new(&[], 0), ()),
        });
    }

    /// Removes an expiry-index entry; returns whether this call removed it.
    fn unindex(&self, entry: &[u8]) -> bool {
        self.expiry.update(entry, 0, |cur| Decision::Remove(cur.is_some()))
    }
}

/// The expiry-index key of `key` expiring at `at`.
fn expiry_key(at: u64, key: &[u8]) -> Box<[u8]> {
    [&at.to_be_bytes()[..], key].concat().into()
}

/// The smallest byte string greater than every string starting with `prefix`,
/// or `None` if there is none (`prefix` is empty or all `0xff`).
fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Parses a canonical signed 64-bit decimal (no sign `+`, no leading zeros, no spaces).
fn parse_i64(bytes: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(bytes).ok()?;
    let n: i64 = s.parse().ok()?;
    (n.to_string() == s).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(clock: &Clock) -> Kv {
        Kv::new(Arc::new(MemoryManager::new()), clock.clone())
    }

    #[test]
    fn expiry_index_follows_the_current_value() {
        let clock = Clock::manual(0);
        let kv = kv(&clock);
        let indexed = || kv.core.expiry.filled();
        for _ in 0..100 {
            kv.set_with_ttl(b"session", b"v", Duration::from_secs(60)).unwrap();
            clock.advance(Duration::from_millis(10));
        }
        assert_eq!(indexed(), 1, "refreshing a TTL replaces its index entry");
        kv.set_with_ttl(b"n", b"1", Duration::from_secs(60)).unwrap();
        assert_eq!(kv.incr(b"n", 1).unwrap(), 2);
        kv.compare_and_swap(b"n", b"2", b"5").unwrap();
        assert_eq!(indexed(), 2, "incr and cas keep the TTL and its entry");
        assert!(kv.ttl(b"n").unwrap().is_some());
        kv.set(b"session", b"forever");
        assert!(kv.delete(b"n"));
        assert_eq!(indexed(), 0, "a plain set and a delete drop the entry");
    }

    #[test]
    fn absolute_expiry_round_trips() {
        let clock = Clock::manual(1_000);
        let kv = kv(&clock);
        kv.set_with_expiry_at(b"a", b"1", 1_500);
        kv.set_with_expiry_at(b"b", b"2", 0);
        kv.set_with_expiry_at(b"c", b"3", 1_000);
        assert_eq!((kv.expires_at(b"a"), kv.expires_at(b"b"), kv.expires_at(b"c")), (Some(1_500), Some(0), None));
        assert_eq!(kv.now_ms(), 1_000);
        clock.advance(Duration::from_millis(500));
        assert_eq!(kv.get(b"a"), None, "expired at its absolute time");
        kv.set(b"a", b"x");
        assert_eq!(kv.len(), 2);
    }

    /// `set_unless` writes over absent, expired and accepted values (with
    /// the expiry given) and leaves a refused one as it was.
    #[test]
    fn set_unless_writes_unless_refused() {
        let clock = Clock::manual(1_000);
        let kv = kv(&clock);
        let not_s = |cur: &[u8]| cur.first() != Some(&b's');
        assert!(kv.set_unless(b"k", b"s1", 0, not_s), "absent: written");
        assert!(kv.set_unless(b"k", b"s2", 1_120, not_s), "accepted: overwritten");
        assert_eq!((kv.get(b"k").as_deref(), kv.expires_at(b"k")), (Some(&b"s2"[..]), Some(1_120)));
        kv.set(b"h", b"h-meta");
        assert!(!kv.set_unless(b"h", b"s3", 0, not_s), "refused");
        assert_eq!(kv.get(b"h").as_deref(), Some(&b"h-meta"[..]));
        kv.set_with_expiry_at(b"old", b"h-gone", 1_100);
        clock.advance(Duration::from_millis(150));
        assert!(kv.set_unless(b"old", b"s4", 0, not_s), "an expired value counts as absent");
        assert_eq!((kv.get(b"old").as_deref(), kv.expires_at(b"old")), (Some(&b"s4"[..]), Some(0)));
        assert_eq!(kv.get(b"k"), None, "the TTL given took effect");
    }

    #[test]
    fn prefix_successor_handles_ff() {
        assert_eq!(prefix_successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_successor(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xff\xff"), None);
        assert_eq!(prefix_successor(b""), None);
    }

    #[test]
    fn parse_i64_is_canonical() {
        assert_eq!(parse_i64(b"-42"), Some(-42));
        assert_eq!(parse_i64(b"0"), Some(0));
        for bad in [&b"+1"[..], b"01", b" 1", b"1 ", b"", b"x", b"99999999999999999999"] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }
}
