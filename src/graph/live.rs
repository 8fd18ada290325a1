//! A snapshot's graph as the kernels read it while its delta is not empty:
//! the base CSR plus one small level per direction holding what the delta
//! adds (LLAMA's multiversioned CSR levels, with one delta level).
//!
//! For each node the level holds either the edges the delta adds to the
//! base (new keys, base edges untouched), or, for a node whose delta
//! removes or changes base edges (tombstones, weight updates) or whose base
//! edges lead to nodes removed since, its whole merged adjacency, the base
//! run then being skipped (`replaced`). Building the level reads only the
//! delta blocks and the base ranges of nodes that have writes, so it costs
//! about as much as the delta is large; the kernels then read two sorted
//! runs per node at memory speed.

use super::algo::{Adjacency, Edges};
use super::csr::{Csr, GraphView};
use super::delta::Side;
use super::snapshot::{Adj, Snapshot, newest_per_key};
use rayon::prelude::*;
use std::sync::Arc;

/// Base plus delta level of one snapshot (see the module notes).
pub struct LiveView {
    base: Arc<GraphView>,
    alive: Vec<bool>,
    out: Level,
    inn: Level,
    edges: usize,
}

/// What the delta adds in one direction.
struct Level {
    /// Per node: the delta's added edges, or the whole adjacency if `replaced`.
    extra: Csr,
    /// Nodes whose base run is skipped.
    replaced: Vec<bool>,
}

impl Level {
    /// Node `u`'s edges: its base run unless replaced, then its extra run.
    #[inline]
    fn edges<'a>(&'a self, base: &'a Csr, u: usize) -> Edges<'a> {
        let r = if self.replaced[u] { 0..0 } else { base.range(u) };
        let x = self.extra.range(u);
        Edges::new(
            (&base.targets[r.clone()], &base.weights[r]),
            (&self.extra.targets[x.clone()], &self.extra.weights[x]),
        )
    }

    fn build(snap: &Snapshot, side: Side, alive: &[bool], base_intact: bool) -> Level {
        let is_alive = |v: u64| alive.get(v as usize).copied().unwrap_or(false);
        let base = snap.base(side);
        let (extra, replaced, _) = snap.gather(alive.len(), |u, adj| {
            let r = base.range(u as usize);
            if !alive[u as usize] {
                // Hide whatever the base holds for a node removed since.
                return (0, true);
            }
            let (targets, types, ids) = (&base.targets[r.clone()], &base.types[r.clone()], &base.ids[r.clone()]);
            let weights = &base.weights[r];
            let whole = |adj: &mut Vec<Adj>| {
                adj.clear();
                (snap.adjacency(u, side, &is_alive, base_intact, adj), true)
            };
            if !base_intact && targets.iter().any(|&v| !is_alive(v)) {
                return whole(adj);
            }
            let guard = &snap.core().mem.pin();
            let entries = snap.delta(u, side, guard);
            if entries.is_empty() {
                return (0, false);
            }
            for w in newest_per_key(entries) {
                let key = (w.other, w.ty, w.id);
                let mut at = targets.partition_point(|&t| t < key.0);
                while at < targets.len() && targets[at] == key.0 && (types[at], ids[at]) < (key.1, key.2) {
                    at += 1;
                }
                let in_base = (at < targets.len() && (targets[at], types[at], ids[at]) == key).then(|| weights[at]);
                match (in_base, w.removed) {
                    (None, false) if is_alive(w.other) => adj.push((w.other, w.ty, w.weight, w.id)),
                    (None, _) => {}
                    (Some(bw), false) if bw.to_bits() == w.weight.to_bits() => {}
                    (Some(_), _) => return whole(adj),
                }
            }
            (entries.len(), false)
        });
        Level { extra, replaced }
    }
}

impl LiveView {
    /// Gathers the delta levels of `snap`.
    pub(crate) fn new(snap: &Snapshot) -> Self {
        let n = snap.node_count() as usize;
        let alive: Vec<bool> = (0..n).into_par_iter().map(|u| snap.contains_node(u as u64)).collect();
        let base = Arc::clone(snap.base_view());
        // Base edges join nodes alive in the base: unless one of those died
        // since, they need no check.
        let base_intact = base.alive.par_iter().zip(&alive).all(|(&was, &is)| !was || is);
        let (out, inn) = rayon::join(
            || Level::build(snap, Side::Out, &alive, base_intact),
            || Level::build(snap, Side::In, &alive, base_intact),
        );
        let mut view = LiveView { base, alive, out, inn, edges: 0 };
        view.edges = (0..n).into_par_iter().map(|u| view.out_edges(u).len()).sum();
        view
    }

    /// Heap bytes of the levels (the base is shared with the graph).
    pub fn heap_bytes(&self) -> usize {
        let level = |l: &Level| l.extra.heap_bytes() + l.replaced.capacity();
        level(&self.out) + level(&self.inn) + self.alive.capacity()
    }
}

impl Adjacency for LiveView {
    fn node_count(&self) -> usize {
        self.alive.len()
    }

    fn alive(&self) -> &[bool] {
        &self.alive
    }

    fn edge_count(&self) -> usize {
        self.edges
    }

    #[inline]
    fn out_edges(&self, u: usize) -> Edges<'_> {
        self.out.edges(&self.base.out, u)
    }

    #[inline]
    fn in_edges(&self, u: usize) -> Edges<'_> {
        self.inn.edges(&self.base.inn, u)
    }
}
