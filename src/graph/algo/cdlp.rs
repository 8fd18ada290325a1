//! Graphalytics community detection by label propagation.

use super::{Adjacency, per_live_node, per_live_node_with};

/// Graphalytics CDLP, run for at most `iterations` synchronous iterations.
///
/// Labels start as the node ids. In each iteration every live node takes the
/// most frequent label among its in- and out-neighbours (one vote per
/// neighbour and direction: parallel edges vote once, a neighbour linked
/// both ways votes twice), ties going to the
/// smallest label; a node without neighbours keeps its label. Absent nodes
/// read `u64::MAX`.
pub fn cdlp(view: &impl Adjacency, iterations: u32) -> Vec<u64> {
    let mut label = per_live_node(view, u64::MAX, |u| u as u64);
    for _ in 0..iterations {
        let next = per_live_node_with(view, u64::MAX, |votes: &mut Vec<u64>, v| {
            votes.clear();
            view.out_edges(v).distinct(|u| votes.push(label[u as usize]));
            view.in_edges(v).distinct(|u| votes.push(label[u as usize]));
            mode(votes).unwrap_or(label[v])
        });
        if next == label {
            break; // a fixed point: further iterations change nothing
        }
        label = next;
    }
    label
}

/// The most frequent value of `values`, the smallest of equally frequent
/// ones; `None` when empty. Sorts `values`.
fn mode(values: &mut [u64]) -> Option<u64> {
    values.sort_unstable();
    let mut best: Option<(usize, u64)> = None;
    for run in values.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(count, _)| run.len() > count) {
            best = Some((run.len(), run[0]));
        }
    }
    best.map(|(_, value)| value)
}
