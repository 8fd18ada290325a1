//! The property graph: an immutable CSR base plus a concurrent delta, with
//! consistent snapshots, non-blocking compaction, bulk load and analytics.
//!
//! - Nodes have dense ids, zero or more labels and typed, versioned
//!   properties ([`crate::Value`]); relationship properties are keyed by id.
//! - Edges are directed, identified by `(src, dst, type)`, and carry an `f64`
//!   weight; adding an existing edge updates its weight.
//! - Every write is stamped with a version from one clock ([`stamp`]); a
//!   [`Snapshot`] sees exactly the writes stamped at or below its version.
//! - Compaction ([`Graph::compact`]) materialises a snapshot into a new base
//!   and publishes it with one atomic swap; readers and writers never wait
//!   for it. It runs on demand and by itself once the delta outgrows
//!   [`CompactionPolicy`].

pub mod algo;
mod batch;
mod compact;
pub mod csr;
mod delta;
mod horizon;
mod live;
mod names;
mod nodes;
mod rels;
mod snapshot;
mod stamp;
// Data model v2: labels, typed properties, indexes, counters.
mod counters;
mod hook;
mod index;
mod labels;
mod props;
mod readers;
mod versioned;
pub use counters::{Counted, WriteStats};
mod writes;
pub(crate) use hook::{BatchWrite, GraphObserver, GraphWrite};
pub(crate) use writes::Op;

#[cfg(all(test, loom))]
mod loom_tests;

pub use batch::{Batch, PENDING_ID};
pub use live::LiveView;
pub use snapshot::{Edge, Snapshot};

/// The graph's lock-free building blocks, for the loom models.
#[cfg(all(test, loom))]
pub(crate) mod loom_api {
    pub(crate) use super::horizon::Horizon;
    pub(crate) use super::stamp::{Stamp, VersionClock};
}

use crate::error::{Error, Result};
use crate::map::ByteMap;
use crate::mem::MemoryManager;
use arc_swap::ArcSwap;
use csr::GraphView;
use delta::Side;
use horizon::Horizon;
use names::Names;
use nodes::{NodeSlot, NodeTable};
use stamp::{ABSENT, VersionClock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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
    fn sides(self) -> &'static [Side] {
        match self {
            Direction::Out => &[Side::Out],
            Direction::In => &[Side::In],
            Direction::Both => &[Side::Out, Side::In],
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
    /// The delta levels of the newest version analysed on this base, shared
    /// by every snapshot of that version (see [`live`]).
    analysed: Mutex<Option<Arc<live::LiveView>>>,
}

impl Generation {
    /// The base `view`, as of version `cut`.
    fn new(cut: u64, view: Arc<GraphView>) -> Self {
        Generation { cut, view, analysed: Mutex::new(None) }
    }

    /// The levels it holds for later snapshots (see [`live`]).
    fn analysed(&self) -> std::sync::MutexGuard<'_, Option<Arc<live::LiveView>>> {
        self.analysed.lock().unwrap_or_else(|e| e.into_inner())
    }
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
    /// Versioned labels, properties and index entries ([`versioned`]).
    props: ByteMap,
    /// Property names, entity locks, tickets, readers, indexes.
    model: versioned::DataModel,
    /// Start nodes by relationship id.
    rels: rels::RelIndex,
    generation: ArcSwap<Generation>,
    /// Serialises compactions and bulk loads; holds generations replaced while
    /// snapshots may still use them.
    compactor: Mutex<Vec<Arc<Generation>>>,
    policy: CompactionPolicy,
    delta_len: AtomicU64,
    compactions: AtomicU64,
    live_nodes: AtomicU64,
    /// The durability layer's observer of acknowledged writes, if any.
    hook: OnceLock<Arc<dyn GraphObserver>>,
}

/// The engine's property graph. All methods take `&self` and are safe to call
/// from many threads at once.
pub struct Graph {
    core: Arc<GraphCore>,
}

impl Graph {
    pub(crate) fn new(mem: Arc<MemoryManager>, policy: CompactionPolicy) -> Self {
        let empty = Generation::new(0, Arc::new(GraphView::from_out(csr::Csr::empty(0), Vec::new())));
        let core = GraphCore {
            props: ByteMap::new(Arc::clone(&mem)),
            model: versioned::DataModel::default(),
            rels: rels::RelIndex::default(),
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
            hook: OnceLock::new(),
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
        self.core.logged(|| self.add_nodes_now(count, label), |&first| GraphWrite::AddNodes { first, count, label })
    }

    fn add_nodes_now(&self, count: u64, label: Option<&str>) -> Result<u64> {
        let first = (crate::sync::tuning::NODES_PER_CALL.is_none_or(|most| count <= most))
            .then(|| self.core.nodes.reserve(count))
            .flatten()
            .ok_or_else(|| Error::invalid("too many nodes"))?;
        self.create_reserved(first, count, label);
        Ok(first)
    }

    /// Recovery's [`add_nodes`](Self::add_nodes) at the logged ids `first ..
    /// first + count` (a batch may have taken ids below them later, and an
    /// aborted one may have left ids unused); they must be unused.
    pub(crate) fn add_nodes_at(&self, first: u64, count: u64, label: Option<&str>) -> Result<()> {
        self.core.reserve_logged(first, count)?;
        self.create_reserved(first, count, label);
        Ok(())
    }

    /// Creates nodes `first .. first + count`, reserved, with `label`, at one version.
    fn create_reserved(&self, first: u64, count: u64, label: Option<&str>) {
        let core = &*self.core;
        let label = core.labels.intern(label);
        let slots = || (first..first + count).filter_map(|id| core.nodes.get(id));
        core.note_created(first, count, label);
        for slot in slots() {
            slot.label.store(label, Ordering::Relaxed);
            slot.created.mark_pending();
        }
        let version = core.clock.tick();
        let last = slots().map(|s| s.created.commit(version)).max().unwrap_or(version);
        core.horizon.acknowledge(last);
        core.live_nodes.fetch_add(count, Ordering::Relaxed);
    }

    /// Removes node `id`, its edges and its properties, and the properties
    /// of its relationships.
    pub fn remove_node(&self, id: u64) -> Result<()> {
        self.core.logged(|| self.remove_node_now(id), |_| GraphWrite::RemoveNode { id })
    }

    fn remove_node_now(&self, id: u64) -> Result<()> {
        let core = &*self.core;
        let slot = core.live_slot(id)?;
        let (version, rels) = {
            let _lock = slot.lock();
            if slot.deleted.peek() != ABSENT {
                return Err(Error::not_found(format!("no node {id}")));
            }
            // Under the lock no relationship of the node comes or goes.
            let rels = self.snapshot().relationships(id, Direction::Both, None).unwrap_or_default();
            slot.deleted.mark_pending();
            (slot.deleted.resolve(&core.clock), rels)
        };
        core.horizon.acknowledge(version);
        core.live_nodes.fetch_sub(1, Ordering::Relaxed);
        core.forget_node(id);
        for rel in rels {
            // Only an open batch writing these entries refuses; see `forget_node`.
            drop(core.clear_rel_props_in(rel.id, None));
        }
        Ok(())
    }

    /// Whether node `id` exists now.
    pub fn contains_node(&self, id: u64) -> bool {
        self.core.live_slot(id).is_ok()
    }

    /// The label node `id` was created with if it still has it, else its
    /// first label in name order ("" for none); see [`Graph::node_labels`].
    pub fn node_label(&self, id: u64) -> Result<String> {
        self.core.live_slot(id)?;
        Ok(self.core.primary_label(id))
    }

    /// Sets property `name` of node `id` to the bytes `value` (a
    /// [`Value::Bytes`](crate::Value::Bytes)).
    pub fn set_property(&self, id: u64, name: &str, value: &[u8]) -> Result<()> {
        self.set_property_value(id, name, crate::Value::Bytes(value.to_vec()))
    }

    /// Property `name` of node `id` as bytes (a string's UTF-8), or `None`
    /// if unset; another type of value is an invalid-argument error.
    pub fn get_property(&self, id: u64, name: &str) -> Result<Option<Vec<u8>>> {
        self.property_value(id, name)?.map(props::into_bytes).transpose()
    }

    /// Adds the edge `src -> dst` of `edge_type` with `weight`, or updates
    /// its weight if it exists (of several relationships of that type
    /// between the two, the one with the smallest id).
    pub fn add_edge(&self, src: u64, dst: u64, edge_type: Option<&str>, weight: f64) -> Result<()> {
        let ty = self.core.types.intern(edge_type);
        let weight = check_weight(weight)?;
        self.core.apply_logged(&[writes::Op::Upsert { src, dst, ty, weight }], None).map(drop)
    }

    /// Removes the edge `src -> dst` of `edge_type` (every relationship of
    /// that type between the two, with their properties); `NotFound` if
    /// there is none.
    pub fn remove_edge(&self, src: u64, dst: u64, edge_type: Option<&str>) -> Result<()> {
        let ty = self.core.types.find(edge_type).ok_or_else(|| Error::not_found("no such edge"))?;
        self.core.apply_logged(&[writes::Op::RemoveKey { src, dst, ty }], None).map(drop)
    }

    /// Creates a new relationship `src -> dst` of `rel_type` with `weight`
    /// (Cypher's `CREATE`: another one even if the two are joined by one of
    /// that type already); returns its id.
    pub fn create_relationship(&self, src: u64, dst: u64, rel_type: Option<&str>, weight: f64) -> Result<u64> {
        let weight = check_weight(weight)?;
        let ty = self.core.types.intern(rel_type);
        self.core.live_slot(src)?;
        let id = self.core.rels.create(src);
        self.core.apply_logged(&[writes::Op::Create { src, dst, ty, weight, id }], None)?;
        Ok(id)
    }

    /// [`create_relationship`](Self::create_relationship) with `properties`,
    /// all of it at one version (a batch); returns the id.
    pub fn create_relationship_with(
        &self,
        src: u64,
        dst: u64,
        rel_type: Option<&str>,
        weight: f64,
        properties: &[(&str, crate::Value)],
    ) -> Result<u64> {
        let mut batch = self.batch();
        let id = batch.create_relationship(src, dst, rel_type, weight)?;
        for (name, value) in properties {
            batch.set_rel_property(id, name, value.clone())?;
        }
        batch.commit()?;
        Ok(id)
    }

    /// Removes relationship `id` and its properties; `NotFound` if it does
    /// not exist now.
    pub fn remove_relationship(&self, id: u64) -> Result<()> {
        let op = self.core.remove_op(id, &self.snapshot())?;
        self.core.apply_logged(&[op], None).map(drop)
    }

    /// A batch of writes that commits atomically at one version (see [`Batch`]).
    pub fn batch(&self) -> Batch {
        Batch::new(Arc::clone(&self.core))
    }

    /// Relationship `id` as it is now, if it exists.
    pub fn relationship(&self, id: u64) -> Option<Edge> {
        self.snapshot().relationship(id)
    }

    /// Loads `src[i] -> dst[i]` edges (weight `weights[i]`, or 1.0) of one
    /// type at once, building a new base by counting sort instead of
    /// inserting edge by edge. All ids must be nodes; the load is atomic.
    pub fn load_edges(&self, src: &[u64], dst: &[u64], weights: Option<&[f64]>, edge_type: Option<&str>) -> Result<()> {
        let write = GraphWrite::LoadEdges { src, dst, weights, ty: edge_type };
        self.core.logged(|| compact::load_edges(&self.core, src, dst, weights, edge_type), |_| write)
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

    /// Frees delta records, and prunes label, property and index versions,
    /// that no snapshot needs any more.
    pub fn maintain(&self) {
        compact::trim(&self.core, &mut self.core.compactor.lock().unwrap_or_else(|e| e.into_inner()));
        self.core.sweep_model();
    }
}

impl GraphCore {
    /// The slot of a node that exists now.
    fn live_slot(&self, id: u64) -> Result<&NodeSlot> {
        self.slot_for(id, None)
    }

    /// Reserves the logged node ids `first .. first + count` for recovery;
    /// they must be unused.
    fn reserve_logged(&self, first: u64, count: u64) -> Result<()> {
        let gap = first.saturating_sub(self.nodes.len());
        let fits = crate::sync::tuning::NODES_PER_CALL.is_none_or(|most| count <= most && gap <= most);
        fits.then(|| self.nodes.reserve_at(first, count)).flatten().ok_or_else(|| Error::invalid("too many nodes"))?;
        if (first..first + count).any(|id| self.nodes.get(id).is_none_or(|s| !s.is_unused())) {
            return Err(Error::invalid(format!("node ids {first}.. are in use")));
        }
        Ok(())
    }

    /// The slot of a node that exists now or that the batch committing
    /// through `cell` creates.
    fn slot_for(&self, id: u64, cell: Option<&Arc<stamp::Stamp>>) -> Result<&NodeSlot> {
        self.nodes
            .get(id)
            .filter(|s| cell.is_some_and(|c| s.created_by(c)) || s.is_live(&self.clock, &self.mem))
            .ok_or_else(|| Error::not_found(format!("no node {id}")))
    }

    fn snapshot(self: &Arc<Self>) -> Snapshot {
        // Announced until registered, so that no pruning overtakes it.
        let _creating = self.model.readers.creating();
        let (generation, version) = self.horizon.pick(
            &self.clock,
            || self.generation.load_full(),
            |g| Arc::ptr_eq(&self.generation.load(), g),
            |g| g.cut,
        );
        Snapshot::new(Arc::clone(self), generation, version, self.nodes.len())
    }

    /// The write that removes relationship `id`, as `snap` sees it.
    fn remove_op(&self, id: u64, snap: &Snapshot) -> Result<writes::Op> {
        let rel = snap.relationship(id).ok_or_else(|| Error::not_found(format!("no relationship {id}")))?;
        let ty = self.types.find(Some(&rel.edge_type)).expect("the type of a relationship is interned");
        Ok(writes::Op::RemoveId { src: rel.src, dst: rel.dst, ty, id })
    }
}

/// `weight` if it is a number.
fn check_weight(weight: f64) -> Result<f64> {
    if weight.is_nan() { Err(Error::invalid("weight is NaN")) } else { Ok(weight) }
}

impl Drop for GraphCore {
    fn drop(&mut self) {
        for slot in (0..self.nodes.len()).filter_map(|id| self.nodes.get(id)) {
            // SAFETY: dropping the core means no snapshot or writer remains.
            unsafe {
                delta::free(&slot.out_head);
                delta::free(&slot.in_head);
            }
        }
    }
}
