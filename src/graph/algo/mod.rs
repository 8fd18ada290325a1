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

/// The out-edges that the one-pass kernels (BFS, k-hop, SSSP, WCC) follow:
/// a CSR view, or a snapshot's base and delta read in place, which spares a
/// snapshot with a delta the cost of materialising a CSR first.
pub trait OutEdges {
    /// Number of node ids.
    fn node_count(&self) -> usize;
    /// Whether `u` is a node (not absent).
    fn contains(&mut self, u: usize) -> bool;
    /// Calls `f(v, weight)` for every out-edge `u -> v` of node `u` whose
    /// target is a node; parallel edges (other types) may repeat `v`.
    fn for_each_out(&mut self, u: usize, f: impl FnMut(usize, f64));
}

impl OutEdges for &GraphView {
    fn node_count(&self) -> usize {
        GraphView::node_count(self)
    }

    fn contains(&mut self, u: usize) -> bool {
        self.alive[u]
    }

    fn for_each_out(&mut self, u: usize, mut f: impl FnMut(usize, f64)) {
        for i in self.out.range(u) {
            f(self.out.targets[i] as usize, self.out.weights[i]);
        }
    }
}
use rayon::prelude::*;

/// Computes `f(u)` for every live node in parallel; absent nodes get `absent`.
fn per_live_node<T, F>(view: &GraphView, absent: T, f: F) -> Vec<T>
where
    T: Copy + Send + Sync,
    F: Fn(usize) -> T + Sync + Send,
{
    per_live_node_with(view, absent, |_: &mut (), u| f(u))
}

/// Like [`per_live_node`], with a per-worker scratch buffer handed to `f`.
fn per_live_node_with<T, B, F>(view: &GraphView, absent: T, f: F) -> Vec<T>
where
    T: Copy + Send + Sync,
    B: Default,
    F: Fn(&mut B, usize) -> T + Sync + Send,
{
    (0..view.node_count())
        .into_par_iter()
        .map_init(B::default, |buf, u| if view.alive[u] { f(buf, u) } else { absent })
        .collect()
}

/// Fills `buf` with the distinct in- and out-neighbours of `u`, excluding `u`
/// itself, sorted ascending: the neighbourhood of `u` with direction,
/// multiplicity and edge types ignored.
fn undirected_neighbours(view: &GraphView, u: usize, buf: &mut Vec<u64>) {
    buf.clear();
    buf.extend_from_slice(view.out.neighbors(u));
    buf.extend_from_slice(view.inn.neighbors(u));
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
