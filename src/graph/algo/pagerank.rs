//! Graphalytics PageRank.

use super::Adjacency;
use rayon::prelude::*;

/// Graphalytics PageRank with damping factor `damping`, run for exactly
/// `iterations` synchronous iterations.
///
/// With `n` live nodes, every rank starts at `1/n`; each iteration computes
/// `PR(v) = (1-d)/n + d * sum_{u -> v} PR(u)/outdeg(u) + d/n * sum_{w dangling} PR(w)`,
/// a dangling node being a live node without out-edges. Parallel edges
/// (several types or relationships from `u` to `v`) count once, as the
/// Graphalytics definition on simple graphs reads. Absent nodes read `0.0`.
pub fn pagerank(view: &impl Adjacency, damping: f64, iterations: u32) -> Vec<f64> {
    let nodes = view.node_count();
    let alive = view.alive();
    let live = alive.iter().filter(|&&a| a).count();
    if live == 0 {
        return vec![0.0; nodes];
    }
    let n = live as f64;
    let degree: Vec<f64> = (0..nodes).into_par_iter().map(|u| view.out_edges(u).distinct_count() as f64).collect();
    let dangling: Vec<usize> = (0..nodes).filter(|&w| alive[w] && degree[w] == 0.0).collect();
    let mut rank: Vec<f64> = alive.par_iter().map(|&alive| if alive { 1.0 / n } else { 0.0 }).collect();
    // Each node's share per out-edge; absent and dangling nodes send nothing.
    let mut share = vec![0.0; nodes];
    for _ in 0..iterations {
        // Summed sequentially so that results do not depend on thread timing.
        let dangling_mass: f64 = dangling.iter().map(|&w| rank[w]).sum();
        share.par_iter_mut().zip(&rank).zip(&degree).for_each(|((s, &r), &d)| *s = if d > 0.0 { r / d } else { 0.0 });
        let base = (1.0 - damping) / n + damping * dangling_mass / n;
        rank.par_iter_mut().enumerate().filter(|(v, _)| alive[*v]).for_each(|(v, r)| {
            let mut incoming = 0.0;
            view.in_edges(v).distinct(|u| incoming += share[u as usize]);
            *r = base + damping * incoming;
        });
    }
    rank
}
