//! Single-source traversals over out-edges: BFS depths, the k-hop
//! neighbourhood and Dijkstra shortest paths.

use super::Adjacency;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Level-synchronous breadth-first traversal over out-edges from `source`,
/// going at most `max_depth` hops; calls `visit(node, depth)` once for every
/// node reached, the source first at depth 0.
fn traverse(g: &impl Adjacency, source: usize, max_depth: u32, mut visit: impl FnMut(usize, u32)) {
    let mut seen = vec![false; g.node_count()];
    seen[source] = true;
    visit(source, 0);
    let (mut frontier, mut next) = (vec![source], Vec::new());
    let mut depth = 0;
    while !frontier.is_empty() && depth < max_depth {
        depth += 1;
        for &u in &frontier {
            g.out_edges(u).for_each(|v, _| {
                let v = v as usize;
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
pub fn bfs(g: &impl Adjacency, source: usize) -> Vec<i64> {
    let mut depth = vec![-1i64; g.node_count()];
    traverse(g, source, u32::MAX, |v, d| depth[v] = i64::from(d));
    depth
}

/// [`bfs`], direction-optimising (Beamer, Asanović and
/// Patterson, SC 2012): top-down while the frontier is small; bottom-up, each
/// unvisited node looking for a parent among its in-neighbours (in
/// parallel), while the frontier's out-edges outnumber a fifteenth of the
/// edges not yet explored, until the frontier shrinks below an eighteenth of
/// the nodes. Same depths as [`bfs`]; far fewer edges read on graphs with
/// hubs.
pub fn bfs_direction_optimizing(view: &impl Adjacency, source: usize) -> Vec<i64> {
    const ALPHA: usize = 15;
    const BETA: usize = 18;
    let n = view.node_count();
    let mut depth = vec![-1i64; n];
    depth[source] = 0;
    let (mut frontier, mut level, mut bottom_up) = (vec![source], 0, false);
    let mut unexplored = view.edge_count();
    while !frontier.is_empty() {
        level += 1;
        let scout: usize = frontier.iter().map(|&u| view.out_edges(u).len()).sum();
        unexplored = unexplored.saturating_sub(scout);
        bottom_up = if bottom_up { frontier.len() >= n / BETA } else { scout > unexplored / ALPHA };
        frontier = if bottom_up {
            let mut in_frontier = vec![false; n];
            frontier.iter().for_each(|&u| in_frontier[u] = true);
            let has_parent = |v: usize| view.in_edges(v).any(|u| in_frontier[u as usize]);
            let found = depth.par_iter_mut().enumerate().filter(|(v, d)| **d == -1 && has_parent(*v));
            found.map(|(v, d)| (*d = level, v).1).collect()
        } else {
            let mut next = Vec::new();
            for &u in &frontier {
                view.out_edges(u).for_each(|v, _| {
                    if depth[v as usize] == -1 {
                        depth[v as usize] = level;
                        next.push(v as usize);
                    }
                });
            }
            next
        };
    }
    depth
}

/// Sorted ids of the nodes reachable from `source` in `1..=k` hops over
/// out-edges, `source` itself excluded.
pub fn k_hop(g: &impl Adjacency, source: usize, k: u32) -> Vec<u64> {
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
pub fn sssp(g: &impl Adjacency, source: usize) -> Vec<f64> {
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
        g.out_edges(u).for_each(|v, w| {
            let v = v as usize;
            let nd = d + w;
            if nd < dist[v] {
                dist[v] = nd;
                heap.push(Reverse((nd.to_bits(), v)));
            }
        });
    }
    dist
}
