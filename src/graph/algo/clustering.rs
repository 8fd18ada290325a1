//! Neighbourhood-density kernels: local clustering coefficient and triangle
//! count.

use super::{Adjacency, count_common, per_live_node_with, undirected_neighbours};
use rayon::prelude::*;

/// Graphalytics LCC: for each live node `v`, with `N(v)` its distinct in- and
/// out-neighbours other than `v` and `d = |N(v)|`, the number of distinct
/// ordered pairs `(u, w)` of distinct members of `N(v)` joined by an edge
/// `u -> w`, divided by `d * (d - 1)`; `0.0` when `d < 2` and for absent
/// nodes. Edge types and parallel edges are ignored.
pub fn lcc(view: &impl Adjacency) -> Vec<f64> {
    per_live_node_with(view, 0.0, |(nbrs, out): &mut (Vec<u64>, Vec<u64>), v| {
        undirected_neighbours(view, v, nbrs);
        let d = nbrs.len();
        if d < 2 {
            return 0.0;
        }
        let links: usize = nbrs
            .iter()
            .map(|&u| {
                out.clear();
                view.out_edges(u as usize).distinct(|w| out.push(w));
                // Out-edges of `u` landing in N(v), a self-loop on `u` excepted.
                count_common(out, nbrs) - usize::from(out.binary_search(&u).is_ok())
            })
            .sum();
        links as f64 / (d * (d - 1)) as f64
    })
}

/// Number of triangles of the graph taken as undirected: sets of three nodes
/// pairwise joined by an edge in either direction. Self-loops, parallel and
/// antiparallel edges do not add triangles.
pub fn triangle_count(view: &impl Adjacency) -> u64 {
    // Each node's distinct neighbours with a larger id: the triangle a < b < c
    // is then found exactly once, at `a` through `b`.
    let higher: Vec<Box<[u64]>> = (0..view.node_count())
        .into_par_iter()
        .map_init(Vec::new, |nbrs, u| {
            undirected_neighbours(view, u, nbrs);
            let start = nbrs.partition_point(|&w| w < u as u64);
            nbrs[start..].into()
        })
        .collect();
    higher.par_iter().map(|hu| hu.iter().map(|&v| count_common(hu, &higher[v as usize]) as u64).sum::<u64>()).sum()
}
