//! Graphalytics weakly connected components.

use crate::graph::csr::GraphView;

/// Graphalytics WCC: every live node is labelled with the smallest node id of
/// its weakly connected component (edge direction ignored); absent nodes read
/// `u64::MAX`.
pub fn wcc(view: &GraphView) -> Vec<u64> {
    // Union-find whose roots are always the smallest id of their set.
    let mut parent: Vec<usize> = (0..view.node_count()).collect();
    for u in 0..view.node_count() {
        for &v in view.out.neighbors(u) {
            let (a, b) = (find(&mut parent, u), find(&mut parent, v as usize));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    (0..view.node_count()).map(|u| if view.alive[u] { find(&mut parent, u) as u64 } else { u64::MAX }).collect()
}

/// Root of `x`'s set, halving the path on the way.
fn find(parent: &mut [usize], mut x: usize) -> usize {
    while parent[x] != x {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    x
}
