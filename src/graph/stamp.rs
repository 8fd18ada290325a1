//! Version stamps: how a write becomes visible to snapshots, atomically and
//! for good, without locks.
//!
//! A write links its record stamped [`ABSENT`] (invisible, not yet
//! committed), marks it [`PENDING`], takes a version from the global clock
//! and CASes `PENDING -> version`; it is acknowledged only after that. A
//! snapshot reads the clock once (its version `R`) and sees stamps `<= R`.
//! A reader that meets a `PENDING` stamp helps: it takes a fresh version
//! (`> R`) and CASes it in, so the write is invisible to it now and its stamp
//! never changes later. A reader that meets `ABSENT` needs no help: the
//! writer's later clock tick is necessarily `> R`. All of it is `SeqCst`,
//! which that last argument relies on.

use crate::sync::{AtomicU64, Ordering::SeqCst};

/// Not written yet (or, for a deletion, never happened). Greater than every version.
pub(crate) const ABSENT: u64 = u64::MAX;
/// Written, version being assigned.
pub(crate) const PENDING: u64 = u64::MAX - 1;
/// Above every real version: a read at `LATEST` sees every committed write.
pub(crate) const LATEST: u64 = u64::MAX - 2;

/// The global version clock of a graph.
#[derive(Debug, Default)]
pub(crate) struct VersionClock(AtomicU64);

impl VersionClock {
    /// The last version handed out.
    pub fn read(&self) -> u64 {
        self.0.load(SeqCst)
    }

    /// A fresh version, greater than every version read or handed out before.
    pub fn tick(&self) -> u64 {
        self.0.fetch_add(1, SeqCst) + 1
    }
}

/// The version at which something became visible.
#[derive(Debug)]
pub(crate) struct Stamp(AtomicU64);

impl Default for Stamp {
    fn default() -> Self {
        Stamp(AtomicU64::new(ABSENT))
    }
}

impl Stamp {
    /// The raw value, without helping.
    pub fn peek(&self) -> u64 {
        self.0.load(SeqCst)
    }

    /// Sets the raw value: a fresh entry's initial stamp, or a copy of a
    /// final version.
    pub fn set(&self, value: u64) {
        self.0.store(value, SeqCst);
    }

    /// Marks the write as linked everywhere; readers may now help assign it a version.
    pub fn mark_pending(&self) {
        self.0.store(PENDING, SeqCst);
    }

    /// Commits a pending stamp at `version` unless a helper committed it
    /// first; returns the version it ended with.
    pub fn commit(&self, version: u64) -> u64 {
        match self.0.compare_exchange(PENDING, version, SeqCst, SeqCst) {
            Ok(_) => version,
            Err(actual) => actual,
        }
    }

    /// The stamp's version, helping a pending one to a fresh version first.
    /// [`ABSENT`] if not written.
    pub fn resolve(&self, clock: &VersionClock) -> u64 {
        match self.0.load(SeqCst) {
            PENDING => self.commit(clock.tick()),
            s => s,
        }
    }
}
