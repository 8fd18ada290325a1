//! Which versions live snapshots still read, so that old property versions
//! can be pruned once no snapshot can see them.
//!
//! Every snapshot holds a [`ReadPin`]: a slot of a fixed table holding its
//! version (or a count of overflowing snapshots when the table is full).
//! [`Readers::bound`] is a version at or below every live and future
//! snapshot's: it reads the horizon floor `P` first, then the table. A
//! snapshot that is being created announces itself first ([`Readers::creating`]),
//! picks its version, registers it, and only then withdraws the announcement;
//! a bound computed while any snapshot is being created is not advanced.
//! The check is a read-modify-write of the announcement counter, so it is
//! ordered with every announcement: a snapshot whose announcement it missed
//! announced itself after it, hence picked its version after `P` was read
//! (its version is `>= P`); one whose withdrawal it saw had registered
//! before (the scan sees its slot).
//! A bound, once computed, stays valid for good (versions only grow), so
//! writers use a cached one and refresh it now and then.

use super::stamp::LATEST;
use crate::sync::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

/// Slots in the table; more concurrent snapshots than this stall pruning.
/// (Two under loom, so that the model also takes the overflow path.)
const SLOTS: usize = if cfg!(loom) { 2 } else { 128 };
/// A free slot.
const FREE: u64 = u64::MAX;

/// The versions of live snapshots.
pub(crate) struct Readers {
    slots: Box<[AtomicU64]>,
    /// Live snapshots without a slot.
    overflow: AtomicU64,
    /// Snapshots between announcing themselves and registering.
    creating: AtomicU64,
    /// The last bound computed.
    cached: AtomicU64,
}

impl Default for Readers {
    fn default() -> Self {
        Readers {
            slots: (0..SLOTS).map(|_| AtomicU64::new(FREE)).collect(),
            overflow: AtomicU64::new(0),
            creating: AtomicU64::new(0),
            cached: AtomicU64::new(0),
        }
    }
}

/// A snapshot's registration; released on drop.
pub(crate) struct ReadPin {
    readers: Arc<Readers>,
    slot: Slot,
}

/// Where a [`ReadPin`] is registered.
enum Slot {
    Table(usize),
    Overflow,
    None,
}

/// A snapshot being created; see [`Readers::creating`].
pub(crate) struct Creating<'a>(&'a Readers);

impl Drop for Creating<'_> {
    fn drop(&mut self) {
        self.0.creating.fetch_sub(1, SeqCst);
    }
}

impl Readers {
    /// Announces a snapshot about to pick its version; hold the result until
    /// it has registered with [`ReadPin::hold`].
    pub fn creating(&self) -> Creating<'_> {
        self.creating.fetch_add(1, SeqCst);
        Creating(self)
    }

    /// A version at or below every live and future snapshot's, given `floor`,
    /// the oldest version a snapshot taken now could read. Falls back to the
    /// last bound while snapshots are being created or the table overflows.
    pub fn bound(&self, floor: impl FnOnce() -> u64) -> u64 {
        let floor = floor();
        // A read-modify-write, not a load: it is ordered with every
        // announcement in `creating`'s modification order, so either it sees
        // the snapshot, or the snapshot's increment reads from it and so
        // happens after `floor` was read (acquire/release suffice; loom checks it).
        if self.creating.fetch_add(0, SeqCst) != 0 || self.overflow.load(SeqCst) != 0 {
            return self.cached();
        }
        let oldest = self.slots.iter().map(|s| s.load(SeqCst)).min().unwrap_or(FREE);
        let bound = floor.min(oldest);
        self.cached.fetch_max(bound, SeqCst);
        self.cached()
    }

    /// The last bound computed (still valid).
    pub fn cached(&self) -> u64 {
        self.cached.load(SeqCst)
    }
}

impl ReadPin {
    /// Registers a snapshot reading at `version` (inside [`Readers::creating`]).
    /// A read at [`LATEST`] holds nothing back and takes no slot.
    pub fn hold(readers: &Arc<Readers>, version: u64) -> ReadPin {
        if version == LATEST {
            return ReadPin { readers: Arc::clone(readers), slot: Slot::None };
        }
        let start = version as usize % SLOTS;
        let slot = (0..SLOTS).map(|i| (start + i) % SLOTS).find(|&i| {
            readers.slots[i].load(SeqCst) == FREE
                && readers.slots[i].compare_exchange(FREE, version, SeqCst, SeqCst).is_ok()
        });
        if slot.is_none() {
            readers.overflow.fetch_add(1, SeqCst);
        }
        ReadPin { readers: Arc::clone(readers), slot: slot.map_or(Slot::Overflow, Slot::Table) }
    }
}

impl Drop for ReadPin {
    fn drop(&mut self) {
        match self.slot {
            Slot::Table(i) => self.readers.slots[i].store(FREE, SeqCst),
            Slot::Overflow => {
                self.readers.overflow.fetch_sub(1, SeqCst);
            }
            Slot::None => {}
        }
    }
}

/// Loom model (`tests/loom.sh`): snapshots being created and registered
/// while a pruner computes bounds; no bound may pass a live snapshot.
#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::graph::loom_api::VersionClock;
    use loom::sync::Arc as LoomArc;
    use loom::thread;

    /// A snapshot as `GraphCore::snapshot` takes one: announce, pick, register.
    fn take(readers: &Arc<Readers>, clock: &VersionClock) -> (ReadPin, u64) {
        let _creating = readers.creating();
        let version = clock.read();
        (ReadPin::hold(readers, version), version)
    }

    #[test]
    fn loom_prune_bound_never_passes_a_live_snapshot() {
        loom::model(|| {
            let readers = Arc::new(Readers::default());
            let clock = LoomArc::new(VersionClock::default());
            let pruner = {
                let (readers, clock) = (Arc::clone(&readers), LoomArc::clone(&clock));
                thread::spawn(move || {
                    clock.tick();
                    let first = readers.bound(|| clock.read());
                    clock.tick();
                    (first, readers.bound(|| clock.read()))
                })
            };
            let (old, v_old) = take(&readers, &clock);
            let (young, v_young) = take(&readers, &clock);
            assert!(readers.cached() <= v_old.min(v_young), "a bound passed a snapshot being read");
            drop(old);
            let (first, second) = pruner.join().unwrap();
            assert!(first <= second, "bounds only grow");
            assert!(readers.cached() <= v_young, "a bound passed a live snapshot");
            drop(young);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn bound_stays_below_live_snapshots() {
        let r = Arc::new(Readers::default());
        assert_eq!(r.bound(|| 10), 10);
        let pin = {
            let _c = r.creating();
            assert_eq!(r.bound(|| 20), 10, "frozen while a snapshot is created");
            ReadPin::hold(&r, 12)
        };
        assert_eq!(r.bound(|| 30), 12);
        drop(pin);
        assert_eq!(r.bound(|| 30), 30);
        let pins: Vec<_> = (0..SLOTS as u64 + 1).map(|v| ReadPin::hold(&r, 40 + v)).collect();
        assert_eq!(r.bound(|| 50), 30, "frozen while the table overflows");
        drop(pins);
        assert_eq!(r.bound(|| 50), 50);
    }
}
