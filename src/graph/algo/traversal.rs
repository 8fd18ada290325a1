//! Single-source traversals over out-edges: BFS depths, the k-hop
//! neighbourhood and Dijkstra shortest paths.

use super::{OutEdges, PREFETCH_AHEAD};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Level-synchronous breadth-first traversal over out-edges from `source`,
/// going at most `max_depth` hops; calls `visit(node, depth)` once for every
/// node reached, the source first at depth 0.
fn traverse(mut g: impl OutEdges, source: usize, max_depth: u32, mut visit: impl FnMut(usize, u32)) {
    let mut seen = vec![false; g.node_count()];
    seen[source] = true;
    visit(source, 0);
    let (mut frontier, mut next) = (vec![source], Vec::new());
    let mut depth = 0;
    while !frontier.is_empty() && depth < max_depth {
        depth += 1;
        for (i, &u) in frontier.iter().enumerate() {
            if let Some(&ahead) = frontier.get(i + PREFETCH_AHEAD) {
                g.prefetch(ahead);
            }
            g.for_each_out(u, |v, _| {
                if !seen[v] {
                    seen[v] = true;
                    visit(v, depth);
                    next.push(v);
                }
            });
        }
        std::mem::swap(&mut frontier, &mut next);
        next.clear();
    }
}

/// Graphalytics BFS: the depth in hops of every node from `source` following
/// out-edges; `-1` for unreachable and absent nodes.
pub fn bfs(g: impl OutEdges, source: usize) -> Vec<i64> {
    let mut depth = vec![-1i64; g.node_count()];
    traverse(g, source, u32::MAX, |v, d| depth[v] = i64::from(d));
    depth
}

/// Sorted ids of the nodes reachable from `source` in `1..=k` hops over
/// out-edges, `source` itself excluded.
pub fn k_hop(g: impl OutEdges, source: usize, k: u32) -> Vec<u64> {
    let mut reached = Vec::new();
    traverse(g, source, k, |v, d| {
        if d > 0 {
            reached.push(v as u64);
        }
    });
    reached.sort_unstable();
    reached
}

/// Graphalytics SSSP: Dijkstra distances from `source` over non-negative
/// out-edge weights (of parallel edges the lightest counts);
/// `f64::INFINITY` for unreachable and absent nodes.
pub fn sssp(mut g: impl OutEdges, source: usize) -> Vec<f64> {
    let mut dist = vec![f64::INFINITY; g.node_count()];
    dist[source] = 0.0;
    // Distances are non-negative (never -0.0: it only arises from adding two
    // -0.0s), so their bit patterns order like the values themselves.
    let mut heap = BinaryHeap::from([Reverse((0f64.to_bits(), source))]);
    while let Some(Reverse((bits, u))) = heap.pop() {
        let d = f64::from_bits(bits);
        if d > dist[u] {
            continue; // stale entry: `u` was settled closer already
        }
        g.for_each_out(u, |v, w| {
            let nd = d + w;
            if nd < dist[v] {
                dist[v] = nd;
                heap.push(Reverse((nd.to_bits(), v)));
            }
        });
    }
    dist
}
