//! Immutable compressed-sparse-row adjacency: the graph's base and every
//! materialised snapshot view.

use rayon::prelude::*;

/// One direction of adjacency in compressed-sparse-row form.
///
/// The neighbours of node `u` are `targets[offsets[u]..offsets[u + 1]]`, sorted
/// by `(target, type)`, with the matching `weights` and `types`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Csr {
    /// `node_count + 1` prefix sums of the degrees.
    pub offsets: Vec<u64>,
    /// Neighbour ids.
    pub targets: Vec<u64>,
    /// Edge weights, parallel to `targets`.
    pub weights: Vec<f64>,
    /// Interned edge types, parallel to `targets`.
    pub types: Vec<u32>,
}

impl Csr {
    /// An adjacency of `node_count` nodes and no edges.
    pub fn empty(node_count: usize) -> Self {
        Csr { offsets: vec![0; node_count + 1], ..Default::default() }
    }

    /// Number of nodes (ids `0..node_count`).
    pub fn node_count(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.targets.len()
    }

    /// Index range of node `u`'s edges in `targets`; empty past the end.
    #[inline]
    pub fn range(&self, u: usize) -> std::ops::Range<usize> {
        match self.offsets.get(u..u + 2) {
            Some(w) => w[0] as usize..w[1] as usize,
            None => 0..0,
        }
    }

    /// Neighbour ids of node `u`.
    #[inline]
    pub fn neighbors(&self, u: usize) -> &[u64] {
        &self.targets[self.range(u)]
    }

    /// Out-degree of `u` in this direction.
    #[inline]
    pub fn degree(&self, u: usize) -> usize {
        self.range(u).len()
    }

    /// Builds a CSR of `node_count` nodes from unsorted `(src, dst, type, weight)`
    /// edges by counting sort; each node's edges end sorted by `(dst, type)`.
    /// Of several edges with the same `(src, dst, type)` the last one wins.
    /// Every `src` and `dst` must be below `node_count`.
    pub fn from_edges(node_count: usize, edges: &[(u64, u64, u32, f64)]) -> Self {
        let mut counts = vec![0usize; node_count + 1];
        for &(s, ..) in edges {
            counts[s as usize + 1] += 1;
        }
        for i in 0..node_count {
            counts[i + 1] += counts[i];
        }
        let mut cursor = counts[..node_count].to_vec();
        let mut order = vec![0usize; edges.len()];
        for (i, &(s, ..)) in edges.iter().enumerate() {
            order[cursor[s as usize]] = i;
            cursor[s as usize] += 1;
        }
        // Sort each node's edges, newest duplicate first, in parallel.
        let mut rest = &mut order[..];
        let mut lists = Vec::with_capacity(node_count);
        for u in 0..node_count {
            let (head, tail) = rest.split_at_mut(counts[u + 1] - counts[u]);
            lists.push(head);
            rest = tail;
        }
        lists.par_iter_mut().for_each(|l| l.sort_unstable_by_key(|&i| (edges[i].1, edges[i].2, std::cmp::Reverse(i))));
        let mut csr = Csr {
            offsets: Vec::with_capacity(node_count + 1),
            targets: Vec::with_capacity(edges.len()),
            weights: Vec::with_capacity(edges.len()),
            types: Vec::with_capacity(edges.len()),
        };
        csr.offsets.push(0);
        for list in lists {
            let mut last = None;
            for &i in list.iter() {
                let (_, d, t, w) = edges[i];
                if last != Some((d, t)) {
                    csr.targets.push(d);
                    csr.types.push(t);
                    csr.weights.push(w);
                    last = Some((d, t));
                }
            }
            csr.offsets.push(csr.targets.len() as u64);
        }
        csr
    }

    /// The reverse adjacency (every edge `u -> v` becomes `v -> u`).
    pub fn transpose(&self) -> Self {
        let n = self.node_count();
        let mut offsets = vec![0u64; n + 1];
        for &t in &self.targets {
            offsets[t as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let m = self.targets.len();
        let mut cursor: Vec<u64> = offsets[..n].to_vec();
        let (mut targets, mut weights, mut types) = (vec![0u64; m], vec![0f64; m], vec![0u32; m]);
        // Visiting sources in increasing order keeps every reverse list sorted by source.
        for u in 0..n {
            for i in self.range(u) {
                let c = &mut cursor[self.targets[i] as usize];
                let at = *c as usize;
                targets[at] = u as u64;
                weights[at] = self.weights[i];
                types[at] = self.types[i];
                *c += 1;
            }
        }
        Csr { offsets, targets, weights, types }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 8
            + self.targets.capacity() * 8
            + self.weights.capacity() * 8
            + self.types.capacity() * 4
    }
}

/// A read-only graph as the algorithms see it: out- and in-adjacency over
/// node ids `0..node_count()`, some of which may be absent (removed or not yet
/// created at the snapshot's version). Absent nodes have no edges.
#[derive(Debug, Clone, Default)]
pub struct GraphView {
    /// Out-edges.
    pub out: Csr,
    /// In-edges (the transpose of `out`).
    pub inn: Csr,
    /// `alive[u]` is false for ids that are not nodes in this view.
    pub alive: Vec<bool>,
}

impl GraphView {
    /// Builds a view from its out-adjacency; the in-adjacency is its transpose.
    pub fn from_out(out: Csr, alive: Vec<bool>) -> Self {
        debug_assert_eq!(out.node_count(), alive.len());
        let inn = out.transpose();
        GraphView { out, inn, alive }
    }

    /// Number of node slots (ids are below it).
    pub fn node_count(&self) -> usize {
        self.alive.len()
    }

    /// Number of live nodes.
    pub fn live_node_count(&self) -> usize {
        self.alive.iter().filter(|&&a| a).count()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.out.edge_count()
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.out.heap_bytes() + self.inn.heap_bytes() + self.alive.capacity()
    }
}
