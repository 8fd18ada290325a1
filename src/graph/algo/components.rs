//! Graphalytics weakly connected components.

use super::Adjacency;

/// Graphalytics WCC: every live node is labelled with the smallest node id of
/// its weakly connected component (edge direction ignored); absent nodes read
/// `u64::MAX`.
pub fn wcc(g: &impl Adjacency) -> Vec<u64> {
    // Union-find whose roots are always the smallest id of their set.
    let n = g.node_count();
    let mut parent: Vec<usize> = (0..n).collect();
    let alive = g.alive();
    for (u, &live) in alive.iter().enumerate() {
        if live {
            g.out_edges(u).for_each(|v, _| {
                let (a, b) = (find(&mut parent, u), find(&mut parent, v as usize));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            });
        }
    }
    (0..n).map(|u| if alive[u] { find(&mut parent, u) as u64 } else { u64::MAX }).collect()
}

/// Root of `x`'s set, halving the path on the way.
fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}
