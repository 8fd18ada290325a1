//! Snapshots: consistent, repeatable, cheap views of the graph at one version.

use super::algo;
use super::csr::{Csr, GraphView, split_by};
use super::delta::{self, Entry, Side};
use super::live::LiveView;
use super::{Direction, Generation, GraphCore};
use crate::error::{Error, Result};
use crossbeam_epoch::Guard;
use rayon::prelude::*;
use std::sync::{Arc, OnceLock};

/// Nodes per parallel chunk when materialising a view.
const CHUNK: usize = 4096;

/// An edge (a relationship) as a snapshot sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// The relationship's id.
    pub id: u64,
    /// Source node.
    pub src: u64,
    /// Target node.
    pub dst: u64,
    /// Edge type ("" for none).
    pub edge_type: String,
    /// Weight.
    pub weight: f64,
}

/// A consistent view of the graph at one version: every write acknowledged
/// before the snapshot was taken is in it, no later one is, and it answers
/// the same way for as long as it lives, whatever writers and compaction do.
///
/// Taking one copies nothing. The first analytic call on a snapshot whose
/// version is past its base gathers what its delta adds into a small level
/// (once, per direction, see [`LiveView`]); the kernels then read base and
/// level side by side. Later snapshots of the same version (no write in
/// between) reuse those levels. A snapshot of a freshly compacted graph
/// reads the base as is.
pub struct Snapshot {
    core: Arc<GraphCore>,
    generation: Arc<Generation>,
    version: u64,
    node_count: u64,
    view: OnceLock<Arc<GraphView>>,
    /// Keeps the property versions this snapshot reads from being pruned.
    _pin: super::readers::ReadPin,
    live: OnceLock<Arc<LiveView>>,
}

/// Runs `$body` with `$g` bound to the snapshot's graph as the kernels read
/// it: its base CSR, a view built already, or base plus delta levels (see
/// [`LiveView::with`]: `$in_edges`, the kernel reads in-edges; `$reach`,
/// it only follows edges).
macro_rules! on_graph {
    ($snap:expr, $in_edges:expr, $reach:expr, |$g:ident| $body:expr) => {
        match $snap.csr() {
            Some($g) => $body,
            None => {
                let $g = $snap.live().with($snap, $in_edges, $reach);
                let $g = &$g;
                $body
            }
        }
    };
}

/// A node's merged adjacency entry: other end, type, weight, relationship id.
pub(crate) type Adj = (u64, u32, f64, u64);

/// An edge as [`Snapshot::edges_typed`] gives it: its type as an interned id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TypedEdge {
    /// The relationship id.
    pub id: u64,
    /// Start node.
    pub src: u64,
    /// End node.
    pub dst: u64,
    /// Interned type (`Snapshot::type_name` gives its name).
    pub ty: u32,
    /// Weight.
    pub weight: f64,
}

impl Snapshot {
    /// A snapshot of `core` at version `version` over `generation`, with ids below `node_count`.
    pub(crate) fn new(core: Arc<GraphCore>, generation: Arc<Generation>, version: u64, node_count: u64) -> Self {
        let node_count = if version == generation.cut { generation.view.node_count() as u64 } else { node_count };
        let _pin = super::readers::ReadPin::hold(&core.model.readers, version);
        Snapshot { core, generation, version, node_count, view: OnceLock::new(), live: OnceLock::new(), _pin }
    }

    /// The generation whose base this snapshot reads.
    pub(crate) fn generation(&self) -> &Generation {
        &self.generation
    }

    /// The graph this snapshot reads.
    pub(crate) fn core(&self) -> &Arc<GraphCore> {
        &self.core
    }

    /// The version this snapshot reads at.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Number of node ids; every node of the snapshot has an id below it
    /// (removed ids and ids created later read as absent).
    pub fn node_count(&self) -> u64 {
        self.node_count
    }

    /// Number of edges.
    pub fn edge_count(&self) -> u64 {
        on_graph!(self, false, false, |g| algo::Adjacency::edge_count(g) as u64)
    }

    /// Whether `id` is a node of this snapshot.
    pub fn contains_node(&self, id: u64) -> bool {
        if id >= self.node_count {
            return false;
        }
        if self.is_base() {
            return self.generation.view.alive[id as usize];
        }
        let core = &self.core;
        core.nodes.get(id).is_some_and(|s| s.alive_at(self.version, &core.clock, &core.mem))
    }

    /// Whether the snapshot sees exactly its generation's base.
    pub(crate) fn is_base(&self) -> bool {
        self.version == self.generation.cut
    }

    fn check(&self, id: u64) -> Result<usize> {
        if self.contains_node(id) { Ok(id as usize) } else { Err(Error::not_found(format!("no node {id}"))) }
    }

    /// Distinct neighbours of `id` in direction `dir`, in increasing order,
    /// over edges of type `edge_type` (any type if `None`).
    pub fn neighbors(&self, id: u64, dir: Direction, edge_type: Option<&str>) -> Result<Vec<u64>> {
        self.check(id)?;
        let ty = match edge_type {
            Some(name) => match self.core.types.find(Some(name)) {
                Some(t) => Some(t),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let mut adj = Vec::new();
        for &side in dir.sides() {
            self.adjacency(id, side, &|v| self.contains_node(v), false, &mut adj);
        }
        let mut ids: Vec<u64> = adj.into_iter().filter(|e| ty.is_none_or(|ty| ty == e.1)).map(|e| e.0).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The edges at `id` in direction `dir` (out-edges first for `Both`).
    pub fn edges(&self, id: u64, dir: Direction) -> Result<Vec<Edge>> {
        Ok(self
            .edges_typed(id, dir)?
            .into_iter()
            .map(|e| Edge {
                id: e.id,
                src: e.src,
                dst: e.dst,
                edge_type: self.core.types.name(e.ty).unwrap_or_default(),
                weight: e.weight,
            })
            .collect())
    }

    /// [`edges`](Self::edges) with interned type ids instead of names (no
    /// string per edge): what the query engine expands along.
    pub(crate) fn edges_typed(&self, id: u64, dir: Direction) -> Result<Vec<TypedEdge>> {
        self.check(id)?;
        let mut out = Vec::new();
        let mut adj = Vec::new();
        for &side in dir.sides() {
            adj.clear();
            self.adjacency(id, side, &|v| self.contains_node(v), false, &mut adj);
            out.extend(adj.iter().map(|&(other, ty, weight, rel)| {
                let (src, dst) = if side == Side::Out { (id, other) } else { (other, id) };
                TypedEdge { id: rel, src, dst, ty, weight }
            }));
        }
        Ok(out)
    }

    /// The interned id of relationship type `name`, if any relationship had it.
    pub(crate) fn type_id(&self, name: &str) -> Option<u32> {
        self.core.types.find(Some(name))
    }

    /// The relationships at `id` in direction `dir` of type `rel_type` (any
    /// if `None`), each with its id (out-relationships first for `Both`).
    pub fn relationships(&self, id: u64, dir: Direction, rel_type: Option<&str>) -> Result<Vec<Edge>> {
        let mut edges = self.edges(id, dir)?;
        if let Some(name) = rel_type {
            edges.retain(|e| e.edge_type == name);
        }
        Ok(edges)
    }

    /// Relationship `id` (start, end, type, weight), if it exists in this snapshot.
    pub fn relationship(&self, id: u64) -> Option<Edge> {
        let src = self.core.rels.start_of(id).filter(|&s| self.contains_node(s))?;
        let mut adj = Vec::new();
        self.adjacency(src, Side::Out, &|v| self.contains_node(v), false, &mut adj);
        let (dst, ty, weight, _) = adj.into_iter().find(|e| e.3 == id)?;
        Some(Edge { id, src, dst, edge_type: self.core.types.name(ty).unwrap_or_default(), weight })
    }

    /// The delta entries of node `u` on `side` that this snapshot sees
    /// beyond its base, oldest first.
    pub(crate) fn delta<'g>(&self, u: u64, side: Side, guard: &'g Guard) -> &'g [Entry] {
        self.delta_block(u, side, guard).map_or(&[], |b| self.visible(b.entries()))
    }

    /// The delta block of node `u` on `side` (none for a base snapshot).
    pub(crate) fn delta_block<'g>(&self, u: u64, side: Side, guard: &'g Guard) -> Option<&'g delta::Block> {
        let slot = self.core.nodes.get(u).filter(|_| !self.is_base())?;
        delta::block(if side == Side::Out { &slot.out_head } else { &slot.in_head }, guard)
    }

    /// Of a block's published `entries`, those this snapshot sees beyond its base.
    pub(crate) fn visible<'g>(&self, entries: &'g [Entry]) -> &'g [Entry] {
        delta::visible(entries, self.generation.cut, self.version, |e| delta::resolve(e, &self.core.clock))
    }

    /// The base this snapshot reads.
    pub(crate) fn base_view(&self) -> &Arc<GraphView> {
        &self.generation.view
    }

    /// The base CSR of `side`.
    pub(crate) fn base(&self, side: Side) -> &Csr {
        let base = &self.generation.view;
        if side == Side::Out { &base.out } else { &base.inn }
    }

    /// Appends the merged adjacency of live node `u` on `side` to `out`,
    /// sorted by (other end, type), keeping edges whose other end passes
    /// `alive` (base edges unchecked if `base_intact`: no node of the base
    /// has died since). Returns the number of delta entries it applied.
    pub(crate) fn adjacency(
        &self,
        u: u64,
        side: Side,
        alive: &dyn Fn(u64) -> bool,
        base_intact: bool,
        out: &mut Vec<Adj>,
    ) -> usize {
        let csr = self.base(side);
        let range = csr.range(u as usize);
        let base_edges = range.clone().map(|i| (csr.targets[i], csr.types[i], csr.weights[i], csr.ids[i]));
        let guard = &self.core.mem.pin();
        let entries = self.delta(u, side, guard);
        let base_alive = |v: u64| base_intact || alive(v);
        if entries.is_empty() {
            out.extend(base_edges.filter(|e| base_alive(e.0)));
            return 0;
        }
        let ops = newest_per_key(entries);
        let mut base_edges = base_edges.peekable();
        for w in ops {
            let key = (w.other, w.ty, w.id);
            while let Some(&e) = base_edges.peek().filter(|e| (e.0, e.1, e.3) < key) {
                if base_alive(e.0) {
                    out.push(e);
                }
                base_edges.next();
            }
            if base_edges.peek().is_some_and(|e| (e.0, e.1, e.3) == key) {
                base_edges.next();
            }
            if !w.removed && alive(w.other) {
                out.push((w.other, w.ty, w.weight, w.id));
            }
        }
        out.extend(base_edges.filter(|e| base_alive(e.0)));
        entries.len()
    }

    /// Number of delta entries in the out-block of `u` that this snapshot
    /// sees beyond its base.
    fn covered_records(&self, u: u64) -> usize {
        self.delta(u, Side::Out, &self.core.mem.pin()).len()
    }

    /// Base plus delta levels: those of an earlier snapshot of this version
    /// if its generation still holds them, else new ones (built on first
    /// use), which the generation then holds for later snapshots.
    pub(super) fn live(&self) -> &LiveView {
        crate::sync::built_once(&self.live, || {
            if let Some(view) = self.generation.analysed().as_ref().filter(|v| v.serves(self)) {
                return Arc::clone(view);
            }
            // Built without the lock held: `new` runs parallel code.
            let view = Arc::new(LiveView::new(self));
            let mut slot = self.generation.analysed();
            if slot.as_ref().is_none_or(|held| held.version() <= view.version()) {
                *slot = Some(Arc::clone(&view));
            }
            view
        })
        .as_ref()
    }

    /// The snapshot's CSR if it has one: its base, or a view built already.
    fn csr(&self) -> Option<&GraphView> {
        match self.view.get() {
            Some(view) => Some(view),
            None if self.is_base() => Some(&self.generation.view),
            None => None,
        }
    }

    /// The snapshot as a CSR graph, built on first use (or the base itself).
    pub fn view(&self) -> &GraphView {
        crate::sync::built_once(&self.view, || {
            if self.is_base() { Arc::clone(&self.generation.view) } else { self.materialize().0 }
        })
        .as_ref()
    }

    /// Builds this snapshot's CSR; also returns the delta records it applied.
    pub(crate) fn materialize(&self) -> (Arc<GraphView>, usize) {
        let alive: Vec<bool> = (0..self.node_count).into_par_iter().map(|u| self.contains_node(u)).collect();
        // Base edges join nodes alive in the base: unless one of those died
        // since, they need no check.
        let base_intact = self.generation.view.alive.par_iter().zip(&alive).all(|(&was, &is)| !was || is);
        let ((out, applied), (inn, _)) = rayon::join(
            || self.materialize_list(Side::Out, &alive, base_intact),
            || self.materialize_list(Side::In, &alive, base_intact),
        );
        (Arc::new(GraphView { out, inn, alive }), applied)
    }

    /// One direction of [`materialize`](Self::materialize).
    fn materialize_list(&self, side: Side, alive: &[bool], base_intact: bool) -> (Csr, usize) {
        let is_alive = |v: u64| alive.get(v as usize).copied().unwrap_or(false);
        let (csr, _, applied) = self.gather(alive.len(), |u, adj| {
            if alive[u as usize] {
                (self.adjacency(u, side, &is_alive, base_intact, adj), false)
            } else if side == Side::Out {
                // A removed node's edge writes are absorbed too (as nothing).
                (self.covered_records(u), false)
            } else {
                (0, false)
            }
        });
        (csr, applied)
    }

    /// A CSR over nodes `0..n` whose node `u` holds the edges `per_node(u,
    /// adj)` appends to `adj`; `per_node` also returns a count (summed) and a
    /// flag (collected). Chunks of nodes are gathered in parallel, then
    /// copied into place in parallel.
    pub(crate) fn gather(
        &self,
        n: usize,
        per_node: impl Fn(u64, &mut Vec<Adj>) -> (usize, bool) + Sync,
    ) -> (Csr, Vec<bool>, usize) {
        let chunks: Vec<(Vec<u64>, Csr, Vec<bool>, usize)> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let (mut degrees, mut part, mut flags, mut count, mut adj) =
                    (Vec::new(), Csr::default(), Vec::new(), 0, Vec::new());
                for u in c * CHUNK..((c + 1) * CHUNK).min(n) {
                    adj.clear();
                    let (k, flag) = per_node(u as u64, &mut adj);
                    count += k;
                    flags.push(flag);
                    degrees.push(adj.len() as u64);
                    for &(t, ty, w, id) in &adj {
                        part.targets.push(t);
                        part.types.push(ty);
                        part.weights.push(w);
                        part.ids.push(id);
                    }
                }
                (degrees, part, flags, count)
            })
            .collect();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0u64);
        let mut starts = vec![0usize];
        for (degrees, part, _, _) in &chunks {
            for d in degrees {
                offsets.push(offsets[offsets.len() - 1] + d);
            }
            starts.push(starts[starts.len() - 1] + part.targets.len());
        }
        let mut csr = Csr::zeroed(offsets);
        let count = chunks.iter().map(|c| c.3).sum();
        let flags = chunks.iter().flat_map(|c| c.2.iter().copied()).collect();
        split_by(&mut csr.targets, &starts)
            .into_par_iter()
            .zip(split_by(&mut csr.types, &starts))
            .zip(split_by(&mut csr.weights, &starts))
            .zip(split_by(&mut csr.ids, &starts))
            .zip(&chunks)
            .for_each(|((((t, ty), w), id), (_, part, _, _))| {
                t.copy_from_slice(&part.targets);
                ty.copy_from_slice(&part.types);
                w.copy_from_slice(&part.weights);
                id.copy_from_slice(&part.ids);
            });
        (csr, flags, count)
    }

    /// Hop depth of every node from `source` over out-edges; -1 if unreachable.
    pub fn bfs(&self, source: u64) -> Result<Vec<i64>> {
        let s = self.check(source)?;
        Ok(on_graph!(self, true, true, |g| algo::bfs_direction_optimizing(g, s)))
    }

    /// Shortest-path distance of every node from `source` over weighted
    /// out-edges (Dijkstra); infinity if unreachable.
    pub fn sssp(&self, source: u64) -> Result<Vec<f64>> {
        let s = self.check(source)?;
        Ok(on_graph!(self, false, false, |g| algo::sssp(g, s)))
    }

    /// PageRank of every node (Graphalytics: `iterations` fixed rounds,
    /// dangling mass spread evenly, parallel edges counted once); 0 for
    /// absent ids.
    pub fn pagerank(&self, damping: f64, iterations: u32) -> Result<Vec<f64>> {
        if !(0.0..=1.0).contains(&damping) {
            return Err(Error::invalid("damping must be within [0, 1]"));
        }
        Ok(on_graph!(self, true, false, |g| algo::pagerank(g, damping, iterations)))
    }

    /// Weakly connected components: each node's component is the smallest
    /// node id in it; `u64::MAX` for absent ids.
    pub fn wcc(&self) -> Vec<u64> {
        on_graph!(self, false, true, |g| algo::wcc(g))
    }

    /// Community detection by label propagation (Graphalytics CDLP).
    pub fn cdlp(&self, iterations: u32) -> Vec<u64> {
        on_graph!(self, true, false, |g| algo::cdlp(g, iterations))
    }

    /// Local clustering coefficient of every node (Graphalytics LCC).
    pub fn lcc(&self) -> Vec<f64> {
        on_graph!(self, true, false, |g| algo::lcc(g))
    }

    /// Number of triangles of the graph seen without direction.
    pub fn triangle_count(&self) -> u64 {
        on_graph!(self, true, false, |g| algo::triangle_count(g))
    }

    /// Nodes reachable from `source` in 1 to `k` hops over out-edges, sorted.
    pub fn k_hop(&self, source: u64, k: u32) -> Result<Vec<u64>> {
        let s = self.check(source)?;
        Ok(on_graph!(self, false, true, |g| algo::k_hop(g, s, k)))
    }
}

/// The newest of `entries` (oldest first) for each relationship, sorted by
/// (other end, type, id).
pub(crate) fn newest_per_key(entries: &[Entry]) -> Vec<delta::Write> {
    let mut ops: Vec<(usize, delta::Write)> = entries.iter().map(|e| e.write()).enumerate().collect();
    ops.sort_unstable_by_key(|(i, w)| (w.other, w.ty, w.id, std::cmp::Reverse(*i)));
    ops.dedup_by_key(|(_, w)| (w.other, w.ty, w.id));
    ops.into_iter().map(|(_, w)| w).collect()
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("version", &self.version).field("node_count", &self.node_count).finish()
    }
}
