//! Graph analytics kernels over a [`GraphView`], following the LDBC
//! Graphalytics v1.0 definitions (BFS, SSSP, PageRank, WCC, CDLP, LCC) plus
//! triangle count and k-hop neighbourhood.
//!
//! Node ids are `0..view.node_count()`. Absent nodes (`alive[u] == false`)
//! have no edges, take no part in any kernel, and read as a fixed sentinel in
//! per-node outputs: BFS `-1`, SSSP `f64::INFINITY`, PageRank `0.0`, WCC and
//! CDLP `u64::MAX`, LCC `0.0`.

mod cdlp;
mod clustering;
mod components;
mod pagerank;
mod traversal;

#[cfg(test)]
mod tests;

pub use cdlp::cdlp;
pub use clustering::{lcc, triangle_count};
pub use components::wcc;
pub use pagerank::pagerank;
pub use traversal::{bfs, bfs_direction_optimizing, k_hop, sssp};

use crate::graph::csr::GraphView;

/// A node's edges in one direction, as up to two runs sorted by target
/// (a snapshot's base and what its delta adds). Parallel edges (other types,
/// other relationships) may repeat a target, within or across the runs.
#[derive(Clone, Copy)]
pub struct Edges<'a> {
    runs: [(&'a [u64], &'a [f64]); 2],
}

impl<'a> Edges<'a> {
    /// The edges of two sorted runs of (targets, weights).
    pub fn new(first: (&'a [u64], &'a [f64]), second: (&'a [u64], &'a [f64])) -> Self {
        Edges { runs: [first, second] }
    }

    /// Number of edges, parallel ones counted each.
    #[inline]
    pub fn len(&self) -> usize {
        self.runs[0].0.len() + self.runs[1].0.len()
    }

    /// Whether there are none.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f(target, weight)` for every edge.
    #[inline]
    pub fn for_each(self, mut f: impl FnMut(u64, f64)) {
        for (targets, weights) in self.runs {
            for (&t, &w) in targets.iter().zip(weights) {
                f(t, w);
            }
        }
    }

    /// Whether some edge's target passes `pred`.
    #[inline]
    pub fn any(self, mut pred: impl FnMut(u64) -> bool) -> bool {
        self.runs.iter().any(|(targets, _)| targets.iter().any(|&t| pred(t)))
    }

    /// Calls `f` for every distinct target, in increasing order.
    #[inline]
    pub fn distinct(self, mut f: impl FnMut(u64)) {
        let [a, b] = self.runs.map(|r| r.0);
        let mut last = None;
        let mut emit = |t: u64| {
            if last != Some(t) {
                last = Some(t);
                f(t);
            }
        };
        // The second run is short (or empty) where it is a delta level's:
        // walk the first up to each of its targets in turn, then the rest.
        let mut i = 0;
        for &x in b {
            while i < a.len() && a[i] <= x {
                emit(a[i]);
                i += 1;
            }
            emit(x);
        }
        a[i..].iter().for_each(|&t| emit(t));
    }

    /// Number of distinct targets.
    pub fn distinct_count(self) -> usize {
        if self.runs[1].0.is_empty() && self.runs[0].0.windows(2).all(|w| w[0] != w[1]) {
            return self.runs[0].0.len();
        }
        let mut n = 0;
        self.distinct(|_| n += 1);
        n
    }
}

/// A read-only graph as the kernels see it: node ids `0..node_count()`, of
/// which those with `alive()[u]` false are absent; every edge joins two
/// live nodes. Implemented by a CSR [`GraphView`] and by a snapshot's base
/// plus the levels its delta adds ([`crate::graph::LiveView`]).
pub trait Adjacency: Sync {
    /// Number of node ids.
    fn node_count(&self) -> usize;
    /// Which ids are nodes.
    fn alive(&self) -> &[bool];
    /// Number of edges (parallel ones counted each).
    fn edge_count(&self) -> usize;
    /// Out-edges of `u` (none for absent nodes).
    fn out_edges(&self, u: usize) -> Edges<'_>;
    /// In-edges of `u`, their targets being the sources.
    fn in_edges(&self, u: usize) -> Edges<'_>;
}

impl Adjacency for GraphView {
    fn node_count(&self) -> usize {
        GraphView::node_count(self)
    }

    fn alive(&self) -> &[bool] {
        &self.alive
    }

    fn edge_count(&self) -> usize {
        GraphView::edge_count(self)
    }

    #[inline]
    fn out_edges(&self, u: usize) -> Edges<'_> {
        self.out.edges(u)
    }

    #[inline]
    fn in_edges(&self, u: usize) -> Edges<'_> {
        self.inn.edges(u)
    }
}

use rayon::prelude::*;

/// Computes `f(u)` for every live node in parallel; absent nodes get `absent`.
fn per_live_node<T, F>(view: &impl Adjacency, absent: T, f: F) -> Vec<T>
where
    T: Copy + Send + Sync,
    F: Fn(usize) -> T + Sync + Send,
{
    per_live_node_with(view, absent, |_: &mut (), u| f(u))
}

/// Like [`per_live_node`], with a per-worker scratch buffer handed to `f`.
fn per_live_node_with<T, B, F>(view: &impl Adjacency, absent: T, f: F) -> Vec<T>
where
    T: Copy + Send + Sync,
    B: Default,
    F: Fn(&mut B, usize) -> T + Sync + Send,
{
    let alive = view.alive();
    (0..view.node_count())
        .into_par_iter()
        .map_init(B::default, |buf, u| if alive[u] { f(buf, u) } else { absent })
        .collect()
}

/// Fills `buf` with the distinct in- and out-neighbours of `u`, excluding `u`
/// itself, sorted ascending: the neighbourhood of `u` with direction,
/// multiplicity and edge types ignored.
fn undirected_neighbours(view: &impl Adjacency, u: usize, buf: &mut Vec<u64>) {
    buf.clear();
    view.out_edges(u).for_each(|v, _| buf.push(v));
    view.in_edges(u).for_each(|v, _| buf.push(v));
    buf.sort_unstable();
    buf.dedup();
    buf.retain(|&w| w != u as u64);
}

/// Number of distinct values present in both sorted slices (either may hold
/// duplicates): each distinct value of the shorter one is looked up in the
/// longer one by binary search.
fn count_common(a: &[u64], b: &[u64]) -> usize {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut count = 0;
    let mut prev = None;
    for &x in short {
        if prev != Some(x) {
            prev = Some(x);
            if long.binary_search(&x).is_ok() {
                count += 1;
            }
        }
    }
    count
}
