//! Compaction and bulk load: both build a new base off to the side and
//! publish it with one atomic swap, so readers and writers never wait.
//!
//! A compaction takes a snapshot at the latest acknowledged version, turns
//! it into a CSR, and publishes it as the base of a new generation whose
//! `cut` is that version. Snapshots on the old generation keep reading the
//! old base and the delta; delta records are cut from their lists only once
//! every live generation's base holds them ([`trim`]).

use super::csr::{Csr, GraphView};
use super::delta::{self, List};
use super::{Generation, GraphCore, Snapshot};
use crate::error::{Error, Result};
use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard, TryLockError};

type Retired<'a> = MutexGuard<'a, Vec<Arc<Generation>>>;

fn lock(core: &GraphCore, wait: bool) -> Option<Retired<'_>> {
    match core.compactor.try_lock() {
        Ok(g) => Some(g),
        // A compaction that panicked (reported as KVG_PANIC) must not turn
        // automatic compaction off for good: the list it guards stays valid.
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) if wait => Some(core.compactor.lock().unwrap_or_else(|e| e.into_inner())),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// The threads that build new bases. Writers ordered after an in-flight bulk
/// load block until it publishes (`GraphCore::acknowledge`); if the load's
/// parallel work ran on the pool those writers occupy (say rayon's global
/// pool, from a `par_iter` of inserts), it could never finish.
fn builders() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("kvgraph-build-{i}"))
            .build()
            .expect("spawning the base-building threads")
    })
}

/// Merges the delta into a new base. With `wait` false, gives up at once if
/// another compaction runs. Returns whether a new base was published.
pub(super) fn compact(core: &Arc<GraphCore>, wait: bool) -> bool {
    if wait {
        return builders().install(|| compact_here(core, true));
    }
    // One automatic compaction at a time. Claimed before switching pools: a
    // rayon worker waiting on another pool runs queued jobs meanwhile, and
    // those (more inserts) would come back here, nesting without bound.
    if core.auto_compacting.swap(true, Ordering::SeqCst) {
        return false;
    }
    let done = builders().install(|| compact_here(core, false));
    core.auto_compacting.store(false, Ordering::SeqCst);
    done
}

fn compact_here(core: &Arc<GraphCore>, wait: bool) -> bool {
    let Some(mut retired) = lock(core, wait) else { return false };
    let snap = core.snapshot();
    if snap.version() == snap.generation().cut {
        drop(snap);
        trim(core, &mut retired);
        return false;
    }
    let (view, applied) = snap.materialize();
    publish(core, &mut retired, Generation { cut: snap.version(), view }, applied as u64);
    true
}

/// Swaps in `next`, keeps the old generation while snapshots use it, and trims the delta.
fn publish(core: &GraphCore, retired: &mut Retired<'_>, next: Generation, absorbed: u64) {
    let old = core.generation.swap(Arc::new(next));
    retired.push(old);
    core.delta_len.fetch_sub(absorbed.min(core.delta_len.load(Ordering::Relaxed)), Ordering::Relaxed);
    core.compactions.fetch_add(1, Ordering::Relaxed);
    trim(core, retired);
}

/// Forgets generations no snapshot uses, then cuts from the delta lists the
/// records that every remaining generation's base already holds.
pub(super) fn trim(core: &GraphCore, retired: &mut Retired<'_>) {
    retired.retain(|g| Arc::strong_count(g) > 1);
    let current = core.generation.load_full();
    let upto = retired.iter().map(|g| g.cut).chain([current.cut]).min().unwrap_or(0);
    drop(current);
    let guard = &core.mem.pin();
    for id in 0..core.nodes.len() {
        if let Some(slot) = core.nodes.get(id) {
            for (head, list) in [(&slot.out_head, List::Out), (&slot.in_head, List::In)] {
                if !head.load(Ordering::Relaxed, guard).is_null() {
                    delta::cut_suffix(head, list, upto, &core.clock, &core.mem, guard);
                }
            }
        }
    }
}

/// Bulk load: see [`Graph::load_edges`](super::Graph::load_edges).
pub(super) fn load_edges(
    core: &Arc<GraphCore>,
    src: &[u64],
    dst: &[u64],
    weights: Option<&[f64]>,
    edge_type: Option<&str>,
) -> Result<()> {
    builders().install(|| load_edges_here(core, src, dst, weights, edge_type))
}

fn load_edges_here(
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
    let mut retired = lock(core, true).expect("waiting lock");
    // Reserve a version for the load; the base holds everything before it.
    let version = core.clock.tick();
    let generation = core.generation.load_full();
    let before = Snapshot::new(Arc::clone(core), generation, version - 1, core.nodes.len());
    let (current, applied) = before.materialize();
    let live = |id: u64| current.alive.get(id as usize).copied().unwrap_or(false);
    if let Some(&bad) = src.iter().chain(dst).find(|&&id| !live(id)) {
        // Nothing was published: the reserved version simply stays unused.
        return Err(Error::not_found(format!("no node {bad}")));
    }
    let loaded = Csr::from_fn(current.node_count(), m, |i| (src[i], dst[i], ty, weights.map_or(1.0, |w| w[i])));
    let out = if current.edge_count() == 0 { loaded } else { current.out.merge(&loaded) };
    let view = Arc::new(GraphView::from_out(out, current.alive.clone()));
    drop(before);
    publish(core, &mut retired, Generation { cut: version, view }, applied as u64);
    // Acknowledged only once published: a snapshot taken before the swap must
    // not pick this version over the old base (see docs/safety.md).
    core.acknowledge(version);
    Ok(())
}
