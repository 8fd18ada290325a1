//! Graphalytics PageRank.

use crate::graph::csr::GraphView;
use rayon::prelude::*;

/// Graphalytics PageRank with damping factor `damping`, run for exactly
/// `iterations` synchronous iterations.
///
/// With `n` live nodes, every rank starts at `1/n`; each iteration computes
/// `PR(v) = (1-d)/n + d * sum_{u -> v} PR(u)/outdeg(u) + d/n * sum_{w dangling} PR(w)`,
/// a dangling node being a live node without out-edges. Parallel edges count
/// with their multiplicity. Absent nodes read `0.0`.
pub fn pagerank(view: &GraphView, damping: f64, iterations: u32) -> Vec<f64> {
    let nodes = view.node_count();
    let live = view.live_node_count();
    if live == 0 {
        return vec![0.0; nodes];
    }
    let n = live as f64;
    let degree: Vec<f64> = (0..nodes).into_par_iter().map(|u| view.out.degree(u) as f64).collect();
    let dangling: Vec<usize> = (0..nodes).filter(|&w| view.alive[w] && view.out.degree(w) == 0).collect();
    let mut rank: Vec<f64> = view.alive.par_iter().map(|&alive| if alive { 1.0 / n } else { 0.0 }).collect();
    // Each node's share per out-edge; absent and dangling nodes send nothing.
    let mut share = vec![0.0; nodes];
    for _ in 0..iterations {
        // Summed sequentially so that results do not depend on thread timing.
        let dangling_mass: f64 = dangling.iter().map(|&w| rank[w]).sum();
        share.par_iter_mut().zip(&rank).zip(&degree).for_each(|((s, &r), &d)| *s = if d > 0.0 { r / d } else { 0.0 });
        let base = (1.0 - damping) / n + damping * dangling_mass / n;
        rank.par_iter_mut().enumerate().filter(|(v, _)| view.alive[*v]).for_each(|(v, r)| {
            let incoming: f64 = view.inn.neighbors(v).iter().map(|&u| share[u as usize]).sum();
            *r = base + damping * incoming;
        });
    }
    rank
}
