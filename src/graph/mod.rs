//! The property graph: an immutable CSR base plus a concurrent delta, with
//! consistent snapshots, non-blocking compaction, bulk load and analytics.
//!
//! - Nodes have dense ids, one label and named byte-string properties.
//! - Edges are directed, identified by `(src, dst, type)`, and carry an `f64`
//!   weight; adding an existing edge updates its weight.
//! - Every write is stamped with a version from one clock ([`stamp`]); a
//!   [`Snapshot`] sees exactly the writes stamped at or below its version.
//! - Compaction ([`Graph::compact`]) materialises a snapshot into a new base
//!   and publishes it with one atomic swap; readers and writers never wait
//!   for it. It runs on demand and by itself once the delta outgrows
//!   [`CompactionPolicy`].

pub mod algo;
mod compact;
pub mod csr;
mod delta;
mod horizon;
mod names;
mod nodes;
mod snapshot;
mod stamp;

pub use snapshot::{Edge, Snapshot};

/// The graph's lock-free building blocks, for the loom models.
#[cfg(all(test, loom))]
pub(crate) mod loom_api {
    pub(crate) use super::delta::{EdgeRec, List, append, cut_suffix, for_each, free_all};
    pub(crate) use super::horizon::Horizon;
    pub(crate) use super::stamp::{Stamp, VersionClock};
}

use crate::error::{Error, Result};
use crate::map::{ByteMap, Decision, NewValue};
use crate::mem::MemoryManager;
use arc_swap::ArcSwap;
use csr::GraphView;
use delta::{EdgeRec, List};
use horizon::Horizon;
use names::Names;
use nodes::{NodeSlot, NodeTable};
use stamp::{ABSENT, LATEST, VersionClock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Which edges of a node to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Out-edges (node is the source).
    Out,
    /// In-edges (node is the target).
    In,
    /// Both.
    Both,
}

impl Direction {
    fn lists(self) -> &'static [List] {
        match self {
            Direction::Out => &[List::Out],
            Direction::In => &[List::In],
            Direction::Both => &[List::Out, List::In],
        }
    }
}

/// When the graph compacts by itself: once the delta holds more than
/// `max(min_delta, ratio × base edges)` edge writes. Merging when the delta
/// reaches half the base (FalkorDB's rule) keeps reads near CSR speed while
/// the cost of rebuilding stays proportional to the writes it absorbs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompactionPolicy {
    /// Compact automatically at all.
    pub auto: bool,
    /// Delta size below which the graph never compacts by itself.
    pub min_delta: u64,
    /// Delta size, as a fraction of the base's edges, that triggers compaction.
    pub ratio: f64,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy { auto: true, min_delta: crate::sync::tuning::COMPACT_MIN_DELTA, ratio: 0.5 }
    }
}

/// Counters of a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GraphStats {
    /// Live nodes.
    pub nodes: u64,
    /// Live edges.
    pub edges: u64,
    /// Edge writes in the delta, not yet compacted into the base.
    pub delta_edges: u64,
    /// Compactions (and bulk loads) so far.
    pub compactions: u64,
}

/// A published base: the graph as of version `cut`.
pub(crate) struct Generation {
    cut: u64,
    view: Arc<GraphView>,
}

/// Shared state of a graph, kept alive by its snapshots too.
pub(crate) struct GraphCore {
    mem: Arc<MemoryManager>,
    clock: VersionClock,
    /// Acknowledged versions, and the gate writes after a bulk load wait on.
    horizon: Horizon,
    nodes: NodeTable,
    labels: Names,
    types: Names,
    /// Node properties, keyed by big-endian node id then property name.
    props: ByteMap,
    generation: ArcSwap<Generation>,
    /// Serialises compactions and bulk loads; holds generations replaced while
    /// snapshots may still use them.
    compactor: Mutex<Vec<Arc<Generation>>>,
    policy: CompactionPolicy,
    delta_len: AtomicU64,
    compactions: AtomicU64,
    live_nodes: AtomicU64,
}

/// The engine's property graph. All methods take `&self` and are safe to call
/// from many threads at once.
pub struct Graph {
    core: Arc<GraphCore>,
}

impl Graph {
    pub(crate) fn new(mem: Arc<MemoryManager>, policy: CompactionPolicy) -> Self {
        let empty = Generation { cut: 0, view: Arc::new(GraphView::from_out(csr::Csr::empty(0), Vec::new())) };
        let core = GraphCore {
            props: ByteMap::new(Arc::clone(&mem)),
            mem,
            clock: VersionClock::default(),
            horizon: Horizon::default(),
            nodes: NodeTable::default(),
            labels: Names::default(),
            types: Names::default(),
            generation: ArcSwap::from_pointee(empty),
            compactor: Mutex::new(Vec::new()),
            policy,
            delta_len: AtomicU64::new(0),
            compactions: AtomicU64::new(0),
            live_nodes: AtomicU64::new(0),
        };
        Graph { core: Arc::new(core) }
    }

    /// Adds a node with `label` (none if `None`) and returns its id.
    pub fn add_node(&self, label: Option<&str>) -> Result<u64> {
        self.add_nodes(1, label)
    }

    /// Adds a node with `label` and `properties`; returns its id.
    pub fn add_node_with(&self, label: Option<&str>, properties: &[(&str, &[u8])]) -> Result<u64> {
        let id = self.add_node(label)?;
        for (name, value) in properties {
            self.set_property(id, name, value)?;
        }
        Ok(id)
    }

    /// Adds `count` nodes with `label`, with consecutive ids; returns the first.
    pub fn add_nodes(&self, count: u64, label: Option<&str>) -> Result<u64> {
        let core = &*self.core;
        let label = core.labels.intern(label);
        let first = core.nodes.reserve(count).ok_or_else(|| Error::invalid("too many nodes"))?;
        let slots = || (first..first + count).filter_map(|id| core.nodes.get(id));
        for slot in slots() {
            slot.label.store(label, Ordering::Relaxed);
            slot.created.mark_pending();
        }
        let version = core.clock.tick();
        let last = slots().map(|s| s.created.commit(version)).max().unwrap_or(version);
        core.horizon.acknowledge(last);
        core.live_nodes.fetch_add(count, Ordering::Relaxed);
        Ok(first)
    }

    /// Removes node `id`, its edges and its properties.
    pub fn remove_node(&self, id: u64) -> Result<()> {
        let core = &*self.core;
        let slot = core.live_slot(id)?;
        let version = {
            let _lock = slot.lock();
            if slot.deleted.peek() != ABSENT {
                return Err(Error::not_found(format!("no node {id}")));
            }
            slot.deleted.mark_pending();
            slot.deleted.resolve(&core.clock)
        };
        core.horizon.acknowledge(version);
        core.live_nodes.fetch_sub(1, Ordering::Relaxed);
        core.clear_properties(id);
        Ok(())
    }

    /// Whether node `id` exists now.
    pub fn contains_node(&self, id: u64) -> bool {
        self.core.live_slot(id).is_ok()
    }

    /// The label of node `id` ("" for none).
    pub fn node_label(&self, id: u64) -> Result<String> {
        let slot = self.core.live_slot(id)?;
        Ok(self.core.labels.name(slot.label.load(Ordering::Relaxed)).unwrap_or_default())
    }

    /// Sets property `name` of node `id` to `value`.
    pub fn set_property(&self, id: u64, name: &str, value: &[u8]) -> Result<()> {
        let core = &*self.core;
        core.live_slot(id)?;
        let key = property_key(id, name);
        core.props.update(&key, 0, |_| Decision::Replace(NewValue::new(value, 0), ()));
        if core.live_slot(id).is_err() {
            // Lost a race with remove_node: leave nothing behind.
            core.props.update(&key, 0, |_| Decision::Remove(()));
            return Err(Error::not_found(format!("no node {id}")));
        }
        Ok(())
    }

    /// Property `name` of node `id`, or `None` if unset.
    pub fn get_property(&self, id: u64, name: &str) -> Result<Option<Vec<u8>>> {
        self.core.live_slot(id)?;
        Ok(self.core.props.get(&property_key(id, name), 0, |v| v.bytes().to_vec()))
    }

    /// Adds the edge `src -> dst` of `edge_type` with `weight`, or updates
    /// its weight if it exists.
    pub fn add_edge(&self, src: u64, dst: u64, edge_type: Option<&str>, weight: f64) -> Result<()> {
        if weight.is_nan() {
            return Err(Error::invalid("weight is NaN"));
        }
        let ty = self.core.types.intern(edge_type);
        self.core.write_edge(src, dst, ty, weight, false)
    }

    /// Removes the edge `src -> dst` of `edge_type`; `NotFound` if absent.
    pub fn remove_edge(&self, src: u64, dst: u64, edge_type: Option<&str>) -> Result<()> {
        let ty = self.core.types.find(edge_type).ok_or_else(|| Error::not_found("no such edge"))?;
        self.core.write_edge(src, dst, ty, 0.0, true)
    }

    /// Loads `src[i] -> dst[i]` edges (weight `weights[i]`, or 1.0) of one
    /// type at once, building a new base by counting sort instead of
    /// inserting edge by edge. All ids must be nodes; the load is atomic.
    pub fn load_edges(&self, src: &[u64], dst: &[u64], weights: Option<&[f64]>, edge_type: Option<&str>) -> Result<()> {
        compact::load_edges(&self.core, src, dst, weights, edge_type)
    }

    /// Merges the delta into a new base now. Readers and writers carry on
    /// meanwhile. Returns false if there was nothing to merge.
    pub fn compact(&self) -> bool {
        compact::compact(&self.core, true)
    }

    /// A consistent snapshot of the graph as of now.
    pub fn snapshot(&self) -> Snapshot {
        self.core.snapshot()
    }

    /// Node, edge and delta counters. Counting edges takes a snapshot and
    /// may materialise it when the delta is not empty.
    pub fn stats(&self) -> GraphStats {
        let core = &*self.core;
        GraphStats {
            nodes: core.live_nodes.load(Ordering::Relaxed),
            edges: self.snapshot().edge_count(),
            delta_edges: core.delta_len.load(Ordering::Relaxed),
            compactions: core.compactions.load(Ordering::Relaxed),
        }
    }

    /// Frees delta records that no snapshot needs any more.
    pub fn maintain(&self) {
        compact::trim(&self.core, &mut self.core.compactor.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

impl GraphCore {
    /// The slot of a node that exists now.
    fn live_slot(&self, id: u64) -> Result<&NodeSlot> {
        self.nodes.get(id).filter(|s| s.is_live(&self.clock)).ok_or_else(|| Error::not_found(format!("no node {id}")))
    }

    fn snapshot(self: &Arc<Self>) -> Snapshot {
        let (generation, version) = self.horizon.pick(
            &self.clock,
            || self.generation.load_full(),
            |g| Arc::ptr_eq(&self.generation.load(), g),
            |g| g.cut,
        );
        Snapshot::new(Arc::clone(self), generation, version, self.nodes.len())
    }

    /// Appends an edge write to the delta, under the source's writer lock.
    fn write_edge(self: &Arc<Self>, src: u64, dst: u64, ty: u32, weight: f64, removed: bool) -> Result<()> {
        let src_slot = self.live_slot(src)?;
        let dst_slot = self.live_slot(dst)?;
        let guard = &self.mem.pin();
        let pending;
        let version = {
            let _lock = src_slot.lock();
            if src_slot.deleted.peek() != ABSENT {
                return Err(Error::not_found(format!("no node {src}")));
            }
            if removed && !self.edge_exists(src, dst, ty) {
                return Err(Error::not_found(format!("no edge {src} -> {dst} of that type")));
            }
            // Counted before it is linked, so that a compaction that absorbs
            // it always finds it counted (else the count drifts up).
            pending = self.delta_len.fetch_add(1, Ordering::Relaxed) + 1;
            let rec = EdgeRec::new(src, dst, ty, weight, removed);
            delta::append(rec, &src_slot.out_head, &dst_slot.in_head, &self.clock, guard)
        };
        self.horizon.acknowledge(version);
        if self.policy.auto && pending >= self.policy.min_delta {
            let base_edges = self.generation.load().view.edge_count() as f64;
            if pending as f64 >= base_edges * self.policy.ratio {
                compact::compact(self, false);
            }
        }
        Ok(())
    }

    /// Whether edge `(src, dst, ty)` exists now. Call under `src`'s writer lock.
    fn edge_exists(self: &Arc<Self>, src: u64, dst: u64, ty: u32) -> bool {
        let snap = Snapshot::new(Arc::clone(self), self.generation.load_full(), LATEST, self.nodes.len());
        let mut adj = Vec::new();
        snap.adjacency(src, List::Out, &|v| v == dst && snap.contains_node(v), false, &mut adj);
        adj.iter().any(|&(_, t, _)| t == ty)
    }

    /// Removes every property of node `id`.
    fn clear_properties(&self, id: u64) {
        let prefix = id.to_be_bytes();
        let mut keys = Vec::new();
        self.props.visit(std::ops::Bound::Included(&prefix[..]), std::ops::Bound::Unbounded, 0, |k, _| {
            if !k.starts_with(&prefix) {
                return std::ops::ControlFlow::Break(());
            }
            keys.push(k.to_vec());
            std::ops::ControlFlow::Continue(())
        });
        for key in keys {
            self.props.update(&key, 0, |_| Decision::Remove(()));
        }
    }
}

/// The property-store key of property `name` of node `id`.
fn property_key(id: u64, name: &str) -> Vec<u8> {
    [&id.to_be_bytes()[..], name.as_bytes()].concat()
}

impl Drop for GraphCore {
    fn drop(&mut self) {
        let slots = (0..self.nodes.len()).filter_map(|id| self.nodes.get(id));
        let heads = slots.flat_map(|s| [(&s.out_head, List::Out), (&s.in_head, List::In)]);
        // SAFETY: dropping the core means no snapshot or writer remains, and
        // every node's two lists are passed exactly once.
        unsafe { delta::free_all(heads) };
    }
}
