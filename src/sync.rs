//! One switch between `std` and `loom` for every atomic the crate's lock-free
//! protocols use, so the same code runs under the loom model checker
//! (`RUSTFLAGS="--cfg loom"`) and in production.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::sync::{RwLock, RwLockWriteGuard};
#[cfg(loom)]
pub(crate) use loom::thread_local;

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::{RwLock, RwLockWriteGuard};
#[cfg(not(loom))]
pub(crate) use std::thread_local;

/// Waits a moment before retrying a contended spin lock.
#[cfg(loom)]
pub(crate) fn spin_wait(_backoff: &crossbeam_utils::Backoff) {
    loom::thread::yield_now();
}

/// Waits a moment before retrying a contended spin lock.
#[cfg(not(loom))]
pub(crate) fn spin_wait(backoff: &crossbeam_utils::Backoff) {
    backoff.snooze();
}

/// The value in `cell`, built by `build` now if it is empty. Unlike
/// `OnceLock::get_or_init`, never waits for another thread's build: two
/// threads that find it empty both build, and both get the value set
/// first. For values built by parallel (rayon) code: a worker waiting for
/// a build could be holding one of that build's own tasks, and a worker
/// that steals a task reading the same cell would re-enter the build.
pub(crate) fn built_once<T>(cell: &std::sync::OnceLock<T>, build: impl FnOnce() -> T) -> &T {
    if let Some(value) = cell.get() {
        return value;
    }
    let _ = cell.set(build());
    cell.get().expect("set above, by this thread or another")
}

/// Batch sizes and thresholds that decide how often memory is unlinked and
/// reclaimed. Under loom, Miri, the sanitizers (`--cfg kvgraph_sanitize`,
/// see `tests/sanitizers.sh`) and the fuzzers (`cfg(fuzzing)`) they shrink,
/// so that scans resume, expired keys are swept and compaction cuts and
/// retires delta records many times even in small runs, and a
/// use-after-free race has a chance to show.
/// (crossbeam-epoch shrinks its own garbage bags under `--cfg crossbeam_sanitize`.)
pub(crate) mod tuning {
    /// Whether this build uses the shrunken values.
    const SMALL: bool = cfg!(any(loom, miri, kvgraph_sanitize, fuzzing));

    /// Entries a KV scan (and a property sweep) reads per epoch pin.
    pub(crate) const SCAN_BATCH: usize = if SMALL { 2 } else { 64 };
    /// Due expiry-index entries a KV write sweeps in passing.
    pub(crate) const SWEEP_PER_WRITE: usize = if SMALL { 1 } else { 2 };
    /// Most keys a KV map node holds before it splits.
    pub(crate) const MAP_NODE: usize = if SMALL { 3 } else { 64 };
    /// Keys a KV map node takes by appending (one CAS each) before the next
    /// insert rebuilds its revision. Two: in a probe, inserts ran 1.6-1.9x
    /// faster than with none; with 4 or 8, the probe's 100-key scans ran
    /// 10-50% slower (each appended entry is one more cache miss for a
    /// scan). Scan figures with two: BENCHMARKS.md, "Evening stop".
    pub(crate) const MAP_APPENDS: usize = 2;
    /// Level-1 hops a KV lookup takes from the node its shortcut found before
    /// it gives up on the (stale) shortcut and descends the towers instead.
    pub(crate) const SHORTCUT_HOPS: usize = if SMALL { 1 } else { 8 };
    /// Splits after which a KV map builds its first shortcut (never by
    /// itself under loom: the models that want one build it).
    pub(crate) const SHORTCUT_FIRST: u64 = if cfg!(loom) {
        u64::MAX
    } else if SMALL {
        1
    } else {
        16
    };
    /// A KV map rebuilds its shortcut once the splits since the last build
    /// exceed that shortcut's nodes divided by this (at least one split).
    pub(crate) const SHORTCUT_STALENESS: u64 = if SMALL { u64::MAX } else { 8 };
    /// Default delta size below which the graph never compacts by itself.
    pub(crate) const COMPACT_MIN_DELTA: u64 = if SMALL { 8 } else { 1 << 16 };
    /// Most nodes one `add_nodes` call creates under the fuzzers (`None`
    /// elsewhere: up to the node table's capacity), whose arbitrary counts
    /// (from a fuzzed log record, say) would otherwise ask for terabytes.
    pub(crate) const NODES_PER_CALL: Option<u64> = if cfg!(fuzzing) { Some(1 << 20) } else { None };
}
