//! Snapshots: consistent, repeatable, cheap views of the graph at one version.

use super::algo::{self, OutEdges};
use super::csr::{Csr, GraphView, split_by};
use super::delta::{self, List};
use super::{Direction, Generation, GraphCore};
use crate::error::{Error, Result};
use rayon::prelude::*;
use std::sync::{Arc, OnceLock};

/// Nodes per parallel chunk when materialising a view.
const CHUNK: usize = 4096;

/// An edge as a snapshot sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
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
/// version is past its base materialises the base plus delta into a CSR of
/// its own (once); a snapshot of a freshly compacted graph uses the base as is.
pub struct Snapshot {
    core: Arc<GraphCore>,
    generation: Arc<Generation>,
    version: u64,
    node_count: u64,
    view: OnceLock<Arc<GraphView>>,
}

/// A node's merged adjacency entry: other end, type, weight.
pub(crate) type Adj = (u64, u32, f64);

impl Snapshot {
    /// A snapshot of `core` at version `version` over `generation`, with ids below `node_count`.
    pub(crate) fn new(core: Arc<GraphCore>, generation: Arc<Generation>, version: u64, node_count: u64) -> Self {
        let node_count = if version == generation.cut { generation.view.node_count() as u64 } else { node_count };
        Snapshot { core, generation, version, node_count, view: OnceLock::new() }
    }

    /// The generation whose base this snapshot reads.
    pub(crate) fn generation(&self) -> &Generation {
        &self.generation
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
        self.view().edge_count() as u64
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
        core.nodes.get(id).is_some_and(|s| s.alive_at(self.version, &core.clock))
    }

    /// Whether the snapshot sees exactly its generation's base.
    fn is_base(&self) -> bool {
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
        for &list in dir.lists() {
            self.adjacency(id, list, &|v| self.contains_node(v), false, &mut adj);
        }
        let mut ids: Vec<u64> = adj.into_iter().filter(|&(_, t, _)| ty.is_none_or(|ty| ty == t)).map(|e| e.0).collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The edges at `id` in direction `dir` (out-edges first for `Both`).
    pub fn edges(&self, id: u64, dir: Direction) -> Result<Vec<Edge>> {
        self.check(id)?;
        let mut out = Vec::new();
        for &list in dir.lists() {
            let mut adj = Vec::new();
            self.adjacency(id, list, &|v| self.contains_node(v), false, &mut adj);
            out.extend(adj.into_iter().map(|(other, ty, weight)| {
                let (src, dst) = if list == List::Out { (id, other) } else { (other, id) };
                Edge { src, dst, edge_type: self.core.types.name(ty).unwrap_or_default(), weight }
            }));
        }
        Ok(out)
    }

    /// Appends the merged adjacency of live node `u` in `list`'s direction
    /// to `out`, sorted by (other end, type), keeping edges whose other end
    /// passes `alive` (base edges unchecked if `base_intact`: no node of the
    /// base has died since). Returns the number of delta records it applied.
    pub(crate) fn adjacency(
        &self,
        u: u64,
        list: List,
        alive: &dyn Fn(u64) -> bool,
        base_intact: bool,
        out: &mut Vec<Adj>,
    ) -> usize {
        let base = &self.generation.view;
        let csr = if list == List::Out { &base.out } else { &base.inn };
        let range = csr.range(u as usize);
        let base_edges = range.clone().map(|i| (csr.targets[i], csr.types[i], csr.weights[i]));
        let mut ops = Vec::new();
        if !self.is_base()
            && let Some(slot) = self.core.nodes.get(u)
        {
            let head = if list == List::Out { &slot.out_head } else { &slot.in_head };
            let guard = &self.core.mem.pin();
            let (cut, version, clock) = (self.generation.cut, self.version, &self.core.clock);
            delta::for_each(head, list, guard, |r| {
                let s = r.stamp.resolve(clock);
                if s > cut && s <= version {
                    ops.push((r.other(list), r.ty, std::cmp::Reverse(s), r.removed, r.weight));
                }
            });
        }
        let base_alive = |v: u64| base_intact || alive(v);
        if ops.is_empty() {
            out.extend(base_edges.filter(|e| base_alive(e.0)));
            return 0;
        }
        let applied = ops.len();
        // Newest write per (other, type) wins.
        ops.sort_unstable_by_key(|o| (o.0, o.1, o.2));
        ops.dedup_by_key(|o| (o.0, o.1));
        let mut base_edges = base_edges.peekable();
        for (other, ty, _, removed, weight) in ops {
            while let Some(&e) = base_edges.peek().filter(|e| (e.0, e.1) < (other, ty)) {
                if base_alive(e.0) {
                    out.push(e);
                }
                base_edges.next();
            }
            if base_edges.peek().is_some_and(|e| (e.0, e.1) == (other, ty)) {
                base_edges.next();
            }
            if !removed && alive(other) {
                out.push((other, ty, weight));
            }
        }
        out.extend(base_edges.filter(|e| base_alive(e.0)));
        applied
    }

    /// Number of delta records in the out-list of `u` that this snapshot
    /// sees beyond its base.
    fn covered_records(&self, u: u64) -> usize {
        let Some(slot) = self.core.nodes.get(u).filter(|_| !self.is_base()) else { return 0 };
        let guard = &self.core.mem.pin();
        let (cut, version, clock) = (self.generation.cut, self.version, &self.core.clock);
        let mut n = 0;
        delta::for_each(&slot.out_head, List::Out, guard, |r| {
            let s = r.stamp.resolve(clock);
            n += usize::from(s > cut && s <= version);
        });
        n
    }

    /// The snapshot as a CSR graph, built on first use (or the base itself).
    pub fn view(&self) -> &GraphView {
        self.view.get_or_init(|| if self.is_base() { Arc::clone(&self.generation.view) } else { self.materialize().0 })
    }

    /// Builds this snapshot's CSR; also returns the delta records it applied.
    pub(crate) fn materialize(&self) -> (Arc<GraphView>, usize) {
        let alive: Vec<bool> = (0..self.node_count).into_par_iter().map(|u| self.contains_node(u)).collect();
        // Base edges join nodes alive in the base: unless one of those died
        // since, they need no check.
        let base_intact = self.generation.view.alive.par_iter().zip(&alive).all(|(&was, &is)| !was || is);
        let ((out, applied), (inn, _)) = rayon::join(
            || self.materialize_list(List::Out, &alive, base_intact),
            || self.materialize_list(List::In, &alive, base_intact),
        );
        (Arc::new(GraphView { out, inn, alive }), applied)
    }

    /// One direction of [`materialize`](Self::materialize): chunks of nodes
    /// merged in parallel, then copied into place in parallel.
    fn materialize_list(&self, list: List, alive: &[bool], base_intact: bool) -> (Csr, usize) {
        let is_alive = |v: u64| alive.get(v as usize).copied().unwrap_or(false);
        let chunks: Vec<(Vec<u64>, Csr, usize)> = alive
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let (mut degrees, mut part, mut applied, mut adj) = (Vec::new(), Csr::default(), 0, Vec::new());
                for (i, &live) in chunk.iter().enumerate() {
                    let u = (c * CHUNK + i) as u64;
                    adj.clear();
                    if live {
                        applied += self.adjacency(u, list, &is_alive, base_intact, &mut adj);
                    } else if list == List::Out {
                        // A removed node's edge writes are absorbed too (as nothing).
                        applied += self.covered_records(u);
                    }
                    degrees.push(adj.len() as u64);
                    for &(t, ty, w) in &adj {
                        part.targets.push(t);
                        part.types.push(ty);
                        part.weights.push(w);
                    }
                }
                (degrees, part, applied)
            })
            .collect();
        let mut offsets = Vec::with_capacity(alive.len() + 1);
        offsets.push(0u64);
        let mut starts = vec![0usize];
        for (degrees, part, _) in &chunks {
            for d in degrees {
                offsets.push(offsets[offsets.len() - 1] + d);
            }
            starts.push(starts[starts.len() - 1] + part.targets.len());
        }
        let m = starts[starts.len() - 1];
        let (mut targets, mut types, mut weights) = (vec![0u64; m], vec![0u32; m], vec![0f64; m]);
        let applied = chunks.iter().map(|c| c.2).sum();
        split_by(&mut targets, &starts)
            .into_par_iter()
            .zip(split_by(&mut types, &starts))
            .zip(split_by(&mut weights, &starts))
            .zip(&chunks)
            .for_each(|(((t, ty), w), (_, part, _))| {
                t.copy_from_slice(&part.targets);
                ty.copy_from_slice(&part.types);
                w.copy_from_slice(&part.weights);
            });
        (Csr { offsets, targets, weights, types }, applied)
    }

    /// Runs a kernel that reads each node's out-edges about once: on the CSR
    /// if the snapshot has one (its base, or a view built already), else on
    /// base and delta in place, which costs less than materialising a view.
    fn one_pass<R>(&self, on_view: impl FnOnce(&GraphView) -> R, in_place: impl FnOnce(InPlace<'_>) -> R) -> R {
        match self.view.get() {
            Some(view) => on_view(view),
            None if self.is_base() => on_view(&self.generation.view),
            None => in_place(InPlace::new(self)),
        }
    }

    /// Hop depth of every node from `source` over out-edges; -1 if unreachable.
    pub fn bfs(&self, source: u64) -> Result<Vec<i64>> {
        let s = self.check(source)?;
        Ok(self.one_pass(|v| algo::bfs_direction_optimizing(v, s), |g| algo::bfs(g, s)))
    }

    /// Shortest-path distance of every node from `source` over weighted
    /// out-edges (Dijkstra); infinity if unreachable.
    pub fn sssp(&self, source: u64) -> Result<Vec<f64>> {
        let s = self.check(source)?;
        Ok(self.one_pass(|v| algo::sssp(v, s), |g| algo::sssp(g, s)))
    }

    /// PageRank of every node (Graphalytics: `iterations` fixed rounds,
    /// dangling mass spread evenly); 0 for absent ids.
    pub fn pagerank(&self, damping: f64, iterations: u32) -> Result<Vec<f64>> {
        if !(0.0..=1.0).contains(&damping) {
            return Err(Error::invalid("damping must be within [0, 1]"));
        }
        Ok(algo::pagerank(self.view(), damping, iterations))
    }

    /// Weakly connected components: each node's component is the smallest
    /// node id in it; `u64::MAX` for absent ids.
    pub fn wcc(&self) -> Vec<u64> {
        self.one_pass(|v| algo::wcc(v), |g| algo::wcc(g))
    }

    /// Community detection by label propagation (Graphalytics CDLP).
    pub fn cdlp(&self, iterations: u32) -> Vec<u64> {
        algo::cdlp(self.view(), iterations)
    }

    /// Local clustering coefficient of every node (Graphalytics LCC).
    pub fn lcc(&self) -> Vec<f64> {
        algo::lcc(self.view())
    }

    /// Number of triangles of the graph seen without direction.
    pub fn triangle_count(&self) -> u64 {
        algo::triangle_count(self.view())
    }

    /// Nodes reachable from `source` in 1 to `k` hops over out-edges, sorted.
    pub fn k_hop(&self, source: u64, k: u32) -> Result<Vec<u64>> {
        let s = self.check(source)?;
        Ok(self.one_pass(|v| algo::k_hop(v, s, k), |g| algo::k_hop(g, s, k)))
    }
}

/// A snapshot's out-edges read in place from its base and delta, under one
/// epoch pin for the whole kernel. Whether a node is alive is looked up the
/// first time it is met and remembered.
struct InPlace<'a> {
    snap: &'a Snapshot,
    /// Per node: 0 not looked up yet, 1 a node, 2 absent.
    known: Vec<u8>,
    adj: Vec<Adj>,
    /// Held for the whole kernel, so that each node's walk pins cheaply (nested).
    _pin: crossbeam_epoch::Guard,
}

impl<'a> InPlace<'a> {
    fn new(snap: &'a Snapshot) -> Self {
        InPlace { snap, known: vec![0; snap.node_count as usize], adj: Vec::new(), _pin: snap.core.mem.pin() }
    }
}

impl OutEdges for InPlace<'_> {
    fn node_count(&self) -> usize {
        self.known.len()
    }

    fn contains(&mut self, u: usize) -> bool {
        let Some(known) = self.known.get_mut(u) else { return false };
        if *known == 0 {
            *known = if self.snap.contains_node(u as u64) { 1 } else { 2 };
        }
        *known == 1
    }

    fn for_each_out(&mut self, u: usize, mut f: impl FnMut(usize, f64)) {
        let mut adj = std::mem::take(&mut self.adj);
        adj.clear();
        // Targets are checked here, each once, rather than edge by edge.
        self.snap.adjacency(u as u64, List::Out, &|_| true, true, &mut adj);
        for &(v, _, w) in &adj {
            if self.contains(v as usize) {
                f(v as usize, w);
            }
        }
        self.adj = adj;
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("version", &self.version).field("node_count", &self.node_count).finish()
    }
}
