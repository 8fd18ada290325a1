//! Graphalytics PageRank.

use super::per_live_node;
use crate::graph::csr::GraphView;

/// Graphalytics PageRank with damping factor `damping`, run for exactly
/// `iterations` synchronous iterations.
///
/// With `n` live nodes, every rank starts at `1/n`; each iteration computes
/// `PR(v) = (1-d)/n + d * sum_{u -> v} PR(u)/outdeg(u) + d/n * sum_{w dangling} PR(w)`,
/// a dangling node being a live node without out-edges. Parallel edges count
/// with their multiplicity. Absent nodes read `0.0`.
pub fn pagerank(view: &GraphView, damping: f64, iterations: u32) -> Vec<f64> {
    let n = view.live_node_count();
    if n == 0 {
        return vec![0.0; view.node_count()];
    }
    let n = n as f64;
    let mut rank = per_live_node(view, 0.0, |_| 1.0 / n);
    for _ in 0..iterations {
        // Summed sequentially so that results do not depend on thread timing.
        let dangling: f64 =
            (0..view.node_count()).filter(|&w| view.alive[w] && view.out.degree(w) == 0).map(|w| rank[w]).sum();
        // Each node's share per out-edge; absent and dangling nodes send nothing.
        let share = per_live_node(view, 0.0, |u| match view.out.degree(u) {
            0 => 0.0,
            deg => rank[u] / deg as f64,
        });
        let base = (1.0 - damping) / n + damping * dangling / n;
        rank = per_live_node(view, 0.0, |v| {
            let incoming: f64 = view.inn.neighbors(v).iter().map(|&u| share[u as usize]).sum();
            base + damping * incoming
        });
    }
    rank
}
