//! Compaction and bulk load: both build a new base off to the side and
//! publish it with one atomic swap, so readers and writers never wait.
//!
//! A compaction takes a snapshot at the latest acknowledged version, turns
//! it into a CSR, and publishes it as the base of a new generation whose
//! `cut` is that version. Snapshots on the old generation keep reading the
//! old base and the delta; delta records are cut from their lists only once
//! every live generation's base holds them ([`trim`]).

use super::csr::{Csr, GraphView};
use super::delta;
use super::{Generation, GraphCore, Snapshot};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard, OnceLock, TryLockError};

/// Generations replaced while snapshots may still use them (the data the
/// compactor lock guards).
type Retired = Vec<Arc<Generation>>;

/// Takes the compactor lock, or `None` if `wait` is false and it is taken.
///
/// Always taken on the calling thread, never inside the builders' pool: a
/// pool thread waiting in a `join` runs queued jobs meanwhile, and one of
/// them blocking on the lock its own stack holds would never wake up.
fn lock(core: &GraphCore, wait: bool) -> Option<MutexGuard<'_, Retired>> {
    match core.compactor.try_lock() {
        Ok(g) => Some(g),
        // A compaction that panicked (reported as KVG_PANIC) must not turn
        // automatic compaction off for good: the list it guards stays valid.
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) if wait => Some(core.compactor.lock().unwrap_or_else(|e| e.into_inner())),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Runs `build` on the threads that build new bases, the calling thread
/// blocking until it is done.
///
/// The builders are a pool of their own, so a base is built even when every
/// thread of the caller's pool waits on something (an in-flight bulk load).
/// A worker of another rayon pool hands the work to a plain thread first: it
/// would otherwise run its own pool's queued jobs while it waits, inserts that
/// start more compactions under the lock it holds, nesting without bound.
fn on_builders<R: Send>(build: impl FnOnce() -> R + Send) -> R {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("kvgraph-build-{i}"))
            .build()
            .expect("spawning the base-building threads")
    });
    if rayon::current_thread_index().is_none() {
        return pool.install(build);
    }
    std::thread::scope(|s| s.spawn(|| pool.install(build)).join()).unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Merges the delta into a new base. With `wait` false, gives up at once if
/// another compaction or load runs. Returns whether a new base was published.
pub(super) fn compact(core: &Arc<GraphCore>, wait: bool) -> bool {
    let Some(mut retired) = lock(core, wait) else { return false };
    let retired = &mut *retired;
    on_builders(|| {
        let snap = core.snapshot();
        if snap.version() == snap.generation().cut {
            drop(snap);
            trim(core, retired);
            return false;
        }
        let (view, applied) = snap.materialize();
        publish(core, retired, Generation::new(snap.version(), view), applied as u64);
        true
    })
}

/// Swaps in `next`, keeps the old generation while snapshots use it, and trims the delta.
fn publish(core: &GraphCore, retired: &mut Retired, next: Generation, absorbed: u64) {
    let old = core.generation.swap(Arc::new(next));
    // New snapshots read the new base: the old one's levels serve only the
    // snapshots that hold them already.
    old.analysed().take();
    retired.push(old);
    core.delta_len.fetch_sub(absorbed.min(core.delta_len.load(Ordering::Relaxed)), Ordering::Relaxed);
    core.compactions.fetch_add(1, Ordering::Relaxed);
    trim(core, retired);
}

/// Forgets generations no snapshot uses, then trims from the delta blocks
/// the entries that every remaining generation's base already holds (each
/// block under its node's writer lock, held for one copy).
pub(super) fn trim(core: &GraphCore, retired: &mut Retired) {
    retired.retain(|g| Arc::strong_count(g) > 1);
    let current = core.generation.load_full();
    let upto = retired.iter().map(|g| g.cut).chain([current.cut]).min().unwrap_or(0);
    drop(current);
    let guard = &core.mem.pin();
    for id in 0..core.nodes.len() {
        if let Some(slot) = core.nodes.get(id) {
            for head in [&slot.out_head, &slot.in_head] {
                if delta::block(head, guard).is_some() {
                    let _lock = slot.lock();
                    delta::trim(head, upto, &core.mem, guard);
                }
            }
        }
    }
    // Hand what was retired here to the collector now: trims run on builder
    // threads, whose unflushed garbage nobody else could free.
    guard.flush();
}

/// Bulk load: see [`Graph::load_edges`](super::Graph::load_edges).
///
/// The load takes version `V` before it builds its base and publishes that
/// base as of `V`; writes stamped after `V` wait for the publish (see
/// [`super::horizon`]).
pub(super) fn load_edges(
    core: &Arc<GraphCore>,
    src: &[u64],
    dst: &[u64],
    weights: Option<&[f64]>,
    edge_type: Option<&str>,
) -> Result<()> {
    let m = src.len();
    if dst.len() != m || weights.is_some_and(|w| w.len() != m) {
        return Err(Error::invalid("src, dst and weights must have the same length"));
    }
    if weights.is_some_and(|w| w.iter().any(|x| x.is_nan())) {
        return Err(Error::invalid("weight is NaN"));
    }
    if m == 0 {
        return Ok(());
    }
    let ty = core.types.intern(edge_type);
    load_built(core, src.iter().chain(dst), false, |n| {
        let mut loaded = Csr::from_fn(n, m, |i| (src[i], dst[i], ty, weights.map_or(1.0, |w| w[i])));
        // Relationship ids by CSR position (see `rels`).
        let first = core.rels.record_load(loaded.offsets.clone());
        loaded.ids.par_iter_mut().for_each(|id| *id += first);
        loaded
    })
}

/// Recovery's bulk load into a graph without edges: relationships
/// `(src[i], dst[i], types[i], weights[i])` with ids `ids[i]`, as they are
/// (parallel ones included), the base built in one go.
pub(super) fn restore(
    core: &Arc<GraphCore>,
    src: &[u64],
    dst: &[u64],
    types: &[u32],
    weights: &[f64],
    ids: &[u64],
) -> Result<()> {
    let m = src.len();
    if [dst.len(), types.len(), weights.len(), ids.len()].iter().any(|&l| l != m) {
        return Err(Error::invalid("src, dst, types, weights and ids must have the same length"));
    }
    if m == 0 {
        return Ok(());
    }
    load_built(core, src.iter().chain(dst), true, |n| {
        let loaded = Csr::from_rels(n, m, |i| (src[i], dst[i], types[i], weights[i], ids[i]));
        core.rels.restore(&loaded);
        loaded
    })
}

/// Publishes the base `build(node count)` as of a version taken now,
/// merged over the current one (which must be empty if `fresh`), once
/// every node of `ends` is live.
fn load_built<'e>(
    core: &Arc<GraphCore>,
    mut ends: impl Iterator<Item = &'e u64> + Send,
    fresh: bool,
    build: impl FnOnce(usize) -> Csr + Send,
) -> Result<()> {
    let mut retired = lock(core, true).expect("waiting lock");
    let retired = &mut *retired;
    let in_flight = core.horizon.begin_load(&core.clock);
    let version = in_flight.version;
    on_builders(|| {
        let before = Snapshot::new(Arc::clone(core), core.generation.load_full(), version - 1, core.nodes.len());
        let (current, applied) = before.materialize();
        let live = |id: u64| current.alive.get(id as usize).copied().unwrap_or(false);
        if let Some(&bad) = ends.find(|&&id| !live(id)) {
            // Nothing is published: the version stays unused.
            return Err(Error::not_found(format!("no node {bad}")));
        }
        if fresh && current.edge_count() > 0 {
            return Err(Error::invalid("relationships with ids restore only into a graph without edges"));
        }
        let loaded = build(current.node_count());
        let out = if current.edge_count() == 0 { loaded } else { current.out.merge(&loaded) };
        let view = Arc::new(GraphView::from_out(out, current.alive.clone()));
        drop(before);
        publish(core, retired, Generation::new(version, view), applied as u64);
        Ok(())
    })
}
