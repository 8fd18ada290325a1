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
    /// edges; each node's edges end sorted by `(dst, type)`. Of several edges
    /// with the same `(src, dst, type)` the last one wins. Every `src` and
    /// `dst` must be below `node_count`.
    pub fn from_edges(node_count: usize, edges: &[(u64, u64, u32, f64)]) -> Self {
        Self::from_fn(node_count, edges.len(), |i| edges[i])
    }

    /// Like [`from_edges`](Self::from_edges), for `m` edges given by `edge(i)`:
    /// a counting sort by source, then each node's edges sorted and
    /// deduplicated in parallel.
    pub fn from_fn(node_count: usize, m: usize, edge: impl Fn(usize) -> (u64, u64, u32, f64) + Sync) -> Self {
        let mut starts = vec![0usize; node_count + 1];
        for i in 0..m {
            starts[edge(i).0 as usize + 1] += 1;
        }
        for u in 0..node_count {
            starts[u + 1] += starts[u];
        }
        // Sort keys, grouped by source: (dst, type, index), the index breaking ties.
        let mut keys = vec![(0u64, 0u32, 0usize); m];
        let mut cursor = starts[..node_count].to_vec();
        for i in 0..m {
            let (s, d, t, _) = edge(i);
            keys[cursor[s as usize]] = (d, t, i);
            cursor[s as usize] += 1;
        }
        drop(cursor);
        let mut lists = split_by(&mut keys, &starts);
        let degrees: Vec<usize> = lists
            .par_iter_mut()
            .map(|list| {
                list.sort_unstable();
                // Keep the last of each run of equal (dst, type).
                let mut kept = 0;
                for j in 0..list.len() {
                    if list.get(j + 1).is_none_or(|next| (next.0, next.1) != (list[j].0, list[j].1)) {
                        list[kept] = list[j];
                        kept += 1;
                    }
                }
                kept
            })
            .collect();
        Self::assemble(&degrees, |u, targets, types, weights| {
            for (k, &(d, t, i)) in lists[u][..targets.len()].iter().enumerate() {
                targets[k] = d;
                types[k] = t;
                weights[k] = edge(i).3;
            }
        })
    }

    /// This adjacency updated by `newer`: per node, the union of both edge
    /// lists, `newer`'s weight winning where both have a `(dst, type)`.
    pub fn merge(&self, newer: &Csr) -> Csr {
        let n = self.node_count().max(newer.node_count());
        let degrees: Vec<usize> = (0..n)
            .into_par_iter()
            .map(|u| {
                let mut d = 0;
                self.merge_node(newer, u, |_, _, _| d += 1);
                d
            })
            .collect();
        Self::assemble(&degrees, |u, targets, types, weights| {
            let mut k = 0;
            self.merge_node(newer, u, |t, ty, w| {
                (targets[k], types[k], weights[k]) = (t, ty, w);
                k += 1;
            });
        })
    }

    /// Emits node `u`'s edges of `self` updated by `newer`, in `(dst, type)` order.
    fn merge_node(&self, newer: &Csr, u: usize, mut emit: impl FnMut(u64, u32, f64)) {
        let mut old = self.range(u).peekable();
        for j in newer.range(u) {
            let key = (newer.targets[j], newer.types[j]);
            while let Some(i) = old.next_if(|&i| (self.targets[i], self.types[i]) <= key) {
                if (self.targets[i], self.types[i]) != key {
                    emit(self.targets[i], self.types[i], self.weights[i]);
                }
            }
            emit(key.0, key.1, newer.weights[j]);
        }
        old.for_each(|i| emit(self.targets[i], self.types[i], self.weights[i]));
    }

    /// A CSR with the given degrees, each node's edges written by `fill`
    /// (given the node and its slices), nodes in parallel.
    fn assemble(degrees: &[usize], fill: impl Fn(usize, &mut [u64], &mut [u32], &mut [f64]) + Sync) -> Csr {
        let mut offsets = Vec::with_capacity(degrees.len() + 1);
        offsets.push(0u64);
        for &d in degrees {
            offsets.push(offsets[offsets.len() - 1] + d as u64);
        }
        let m = offsets[degrees.len()] as usize;
        let (mut targets, mut types, mut weights) = (vec![0u64; m], vec![0u32; m], vec![0f64; m]);
        let starts: Vec<usize> = offsets.iter().map(|&o| o as usize).collect();
        let parts = split_by(&mut targets, &starts)
            .into_iter()
            .zip(split_by(&mut types, &starts))
            .zip(split_by(&mut weights, &starts))
            .enumerate()
            .collect::<Vec<_>>();
        parts.into_par_iter().for_each(|(u, ((t, ty), w))| fill(u, t, ty, w));
        Csr { offsets, targets, weights, types }
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

/// Splits `data` into the consecutive slices `starts[u]..starts[u + 1]`.
pub(crate) fn split_by<'a, T>(mut data: &'a mut [T], starts: &[usize]) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(starts.len().saturating_sub(1));
    for w in starts.windows(2) {
        let (head, tail) = std::mem::take(&mut data).split_at_mut(w[1] - w[0]);
        parts.push(head);
        data = tail;
    }
    parts
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
