//! The read horizon: the newest version a new snapshot may read, and how a
//! bulk load, whose base appears all at once, stays ordered with the writes
//! around it.
//!
//! A snapshot reads at `min(clock, last acknowledged write)`: a write is
//! acknowledged only once it is stamped, so every version at or below that
//! is settled. A bulk load takes its version `V` *before* it builds its base
//! and publishes base and version together with one generation swap. Writes
//! stamped after `V` meanwhile wait in [`Horizon::acknowledge`] (on the load
//! gate) until the load has published, so no snapshot reads at or past `V`
//! over the old base; and [`Horizon::pick`] re-checks the generation after
//! reading the acknowledged version, so it cannot pair a version at or past
//! `V` with the generation from before the swap.

use crate::sync::{AtomicU64, Ordering::SeqCst, RwLock, RwLockWriteGuard};

use super::stamp::VersionClock;

/// `loading` when no bulk load is in flight (above every version).
const NO_LOAD: u64 = u64::MAX;
/// `loading` while a bulk load takes its version (below every version).
const RESERVING: u64 = 0;

/// The acknowledged versions of a graph and its bulk-load gate.
#[derive(Debug)]
pub(crate) struct Horizon {
    /// Highest version of any acknowledged write.
    acknowledged: AtomicU64,
    /// The version of the bulk load in flight ([`NO_LOAD`] if none,
    /// [`RESERVING`] while it takes one).
    loading: AtomicU64,
    /// Held for writing by a bulk load until it has published.
    gate: RwLock<()>,
}

impl Default for Horizon {
    fn default() -> Self {
        Horizon { acknowledged: AtomicU64::new(0), loading: AtomicU64::new(NO_LOAD), gate: RwLock::new(()) }
    }
}

impl Horizon {
    /// Records that a write stamped at `version` is about to be acknowledged.
    /// A write stamped after an in-flight bulk load first waits for the load
    /// to publish: a snapshot that sees the write must see the load too.
    /// The wait blocks on the gate, never on a lock a load could need.
    pub fn acknowledge(&self, version: u64) {
        if version > self.loading.load(SeqCst) {
            drop(self.gate.read().unwrap_or_else(|e| e.into_inner()));
        }
        self.acknowledged.fetch_max(version, SeqCst);
    }

    /// The generation and version a new snapshot reads. `current` loads the
    /// current generation, `is_current` tells whether one still is, and
    /// `cut` gives the version its base holds.
    pub fn pick<G>(
        &self,
        clock: &VersionClock,
        current: impl Fn() -> G,
        is_current: impl Fn(&G) -> bool,
        cut: impl Fn(&G) -> u64,
    ) -> (G, u64) {
        loop {
            let generation = current();
            let now = clock.read();
            let acknowledged = self.acknowledged.load(SeqCst);
            // A load acknowledged after we loaded the generation has swapped
            // it: retry, or we would read past the load over the old base.
            if is_current(&generation) {
                let version = now.min(acknowledged).max(cut(&generation));
                return (generation, version);
            }
        }
    }

    /// Starts a bulk load: closes the gate, then takes the load's version. A
    /// writer that ticks after the load reads `loading` after that, so it
    /// sees `RESERVING`, the version or (once published) `NO_LOAD`, and
    /// waits when it must. The load publishes, then drops the returned hold.
    pub fn begin_load<'a>(&'a self, clock: &VersionClock) -> LoadInFlight<'a> {
        let gate = self.gate.write().unwrap_or_else(|e| e.into_inner());
        self.loading.store(RESERVING, SeqCst);
        let version = clock.tick();
        self.loading.store(version, SeqCst);
        LoadInFlight { horizon: self, version, _gate: gate }
    }
}

/// A bulk load's hold on the writes ordered after it, from taking its version
/// until it has published (or failed, or panicked). Loads must not overlap.
pub(crate) struct LoadInFlight<'a> {
    horizon: &'a Horizon,
    /// The load's version.
    pub version: u64,
    _gate: RwLockWriteGuard<'a, ()>,
}

impl Drop for LoadInFlight<'_> {
    /// Acknowledges the load, then opens the gate to the writes after it.
    fn drop(&mut self) {
        self.horizon.loading.store(NO_LOAD, SeqCst);
        self.horizon.acknowledge(self.version);
    }
}
