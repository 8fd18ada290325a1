//! The raw ordered byte map under both the KV store and the graph's property
//! store: a lock-free skiplist (crossbeam's, on the engine's collector) whose
//! entries hold an atomic pointer to an immutable [`Value`].
//!
//! Overwriting a key swaps the pointer in place, so a reader never misses a
//! key that is being overwritten (the peer's remove-then-insert does:
//! crossbeam issue #1023), and every update is a real compare-and-swap on the
//! current value. Removing a key empties the slot, then marks it dead and
//! unlinks the node; a writer that finds a dead slot retries on a fresh node.

mod slot;

pub(crate) use slot::{NewValue, Value};

/// The slot state machine, for the loom models.
#[cfg(all(test, loom))]
pub(crate) mod loom_api {
    pub(crate) use super::slot::{NewValue, Slot, State, Value};
}

use crate::mem::MemoryManager;
use crossbeam_epoch::{Guard, Shared};
use crossbeam_skiplist::base::{RefEntry, SkipList};
use slot::{Slot, State};
use smallvec::SmallVec;
use std::ops::{Bound, ControlFlow};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// What an [`ByteMap::update`] closure decides for the current value.
pub(crate) enum Decision<R> {
    /// Leave the key as it is and return `R`.
    Keep(R),
    /// Store this value and return `R`.
    Replace(NewValue, R),
    /// Remove the key (if present) and return `R`.
    Remove(R),
}

/// Ordered map from byte strings to [`Value`]s.
pub(crate) struct ByteMap {
    list: SkipList<Key, Slot>,
    mem: Arc<MemoryManager>,
    /// Slots holding a value (expired or not).
    filled: AtomicI64,
}

type Entry<'a> = RefEntry<'a, Key, Slot>;

/// A key as the skiplist stores it: inline in the node up to 24 bytes (no
/// allocation, no pointer to chase while comparing), on the heap beyond.
type Key = SmallVec<[u8; 24]>;

impl ByteMap {
    /// An empty map on the engine's memory manager.
    pub fn new(mem: Arc<MemoryManager>) -> Self {
        ByteMap { list: SkipList::new(mem.collector().clone()), mem, filled: AtomicI64::new(0) }
    }

    /// Calls `f` with the live value of `key` (one expired at `now_ms` counts
    /// as absent) and applies its decision atomically: if the value changed
    /// meanwhile, `f` runs again on the new one. Returns `f`'s result.
    pub fn update<R>(&self, key: &[u8], now_ms: u64, mut f: impl FnMut(Option<&Value>) -> Decision<R>) -> R {
        let guard = &self.mem.pin();
        loop {
            let entry = match self.list.get(key, guard) {
                Some(e) => e.pin(),
                None => None,
            };
            let entry = match entry {
                Some(entry) => entry,
                // Absent: create a node only if `f` wants a value here.
                None => match f(None) {
                    Decision::Keep(r) | Decision::Remove(r) => return r,
                    Decision::Replace(value, r) => {
                        let entry = self.list.get_or_insert_with(key.into(), Slot::empty, guard);
                        let done = entry.value().replace(Shared::null(), Some(value), &self.mem, guard);
                        entry.release(guard);
                        match done {
                            Ok(()) => {
                                self.filled.fetch_add(1, Ordering::Relaxed);
                                return r;
                            }
                            Err(()) => continue,
                        }
                    }
                },
            };
            let outcome = self.apply(&entry, now_ms, &mut f, guard);
            entry.release(guard);
            if let Some(r) = outcome {
                return r;
            }
        }
    }

    /// One attempt of [`update`](Self::update) on an existing node; `None` means retry.
    fn apply<R>(
        &self,
        entry: &Entry<'_>,
        now_ms: u64,
        f: &mut impl FnMut(Option<&Value>) -> Decision<R>,
        guard: &Guard,
    ) -> Option<R> {
        let slot = entry.value();
        let current = match slot.load(guard) {
            State::Dead => {
                entry.remove(guard);
                return None;
            }
            State::Empty => Shared::null(),
            State::Live(p) => p,
        };
        // SAFETY: a non-null pointer loaded under `guard` stays valid until it drops.
        let live = unsafe { current.as_ref() }.map(Value::from_raw).filter(|v| !v.is_expired(now_ms));
        let (new, r, changes) = match f(live) {
            // Keeping an expired value we met means reclaiming it now.
            Decision::Keep(r) => (None, r, live.is_none() && !current.is_null()),
            Decision::Replace(value, r) => (Some(value), r, true),
            Decision::Remove(r) => (None, r, !current.is_null()),
        };
        if !changes {
            return Some(r);
        }
        let emptied = new.is_none();
        slot.replace(current, new, &self.mem, guard).ok()?;
        let delta = i64::from(current.is_null()) - i64::from(emptied);
        if delta != 0 {
            self.filled.fetch_add(delta, Ordering::Relaxed);
        }
        if emptied && slot.kill_if_empty(guard) {
            entry.remove(guard);
        }
        Some(r)
    }

    /// Calls `f` on the live value of `key` at `now_ms`.
    pub fn get<T>(&self, key: &[u8], now_ms: u64, f: impl FnOnce(&Value) -> T) -> Option<T> {
        let guard = &self.mem.pin();
        let entry = self.list.get(key, guard)?;
        entry.value().live(now_ms, guard).map(f)
    }

    /// Calls `f` on the live entries at `now_ms` with keys in `(lower, upper)`,
    /// in key order, until it breaks. The thread stays pinned meanwhile.
    pub fn visit(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        now_ms: u64,
        mut f: impl FnMut(&[u8], &Value) -> ControlFlow<()>,
    ) {
        let guard = &self.mem.pin();
        for entry in self.list.range::<[u8], _>((lower, upper), guard) {
            if let Some(v) = entry.value().live(now_ms, guard)
                && f(entry.key(), v).is_break()
            {
                return;
            }
        }
    }

    /// Number of keys holding a value, counting values that expired but
    /// have not been reclaimed yet.
    pub fn filled(&self) -> usize {
        self.filled.load(Ordering::Relaxed).max(0) as usize
    }
}
