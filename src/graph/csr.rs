//! Immutable compressed-sparse-row adjacency: the graph's base and every
//! materialised snapshot view.

use crate::mem::pages;
use rayon::prelude::*;

/// One direction of adjacency in compressed-sparse-row form.
///
/// The neighbours of node `u` are `targets[offsets[u]..offsets[u + 1]]`, sorted
/// by `(target, type, id)`, with the matching `weights`, `types` and
/// relationship `ids`.
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
    /// Relationship ids, parallel to `targets`.
    pub ids: Vec<u64>,
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

    /// The edges of `u` (one run).
    #[inline]
    pub fn edges(&self, u: usize) -> crate::graph::algo::Edges<'_> {
        let r = self.range(u);
        crate::graph::algo::Edges::new((&self.targets[r.clone()], &self.weights[r]), (&[], &[]))
    }

    /// Out-degree of `u` in this direction.
    #[inline]
    pub fn degree(&self, u: usize) -> usize {
        self.range(u).len()
    }

    /// Builds a CSR of `node_count` nodes from unsorted `(src, dst, type, weight)`
    /// edges; each node's edges end sorted by `(dst, type)`. Of several edges
    /// with the same `(src, dst, type)` the last one wins. Every `src` and
    /// `dst` must be below `node_count`. Relationship ids are the positions
    /// (`ids[p] = p`).
    pub fn from_edges(node_count: usize, edges: &[(u64, u64, u32, f64)]) -> Self {
        Self::from_fn(node_count, edges.len(), |i| edges[i])
    }

    /// Like [`from_edges`](Self::from_edges), for `m` edges given by `edge(i)`:
    /// a counting sort by source, then each node's edges sorted and
    /// deduplicated in parallel.
    pub fn from_fn(node_count: usize, m: usize, edge: impl Fn(usize) -> (u64, u64, u32, f64) + Sync) -> Self {
        // Sort keys, grouped by source: (dst, type, index), the index breaking ties.
        let (starts, mut keys) = group_by_bucket(node_count, even_chunks(m), |i, emit| {
            let (s, d, t, _) = edge(i);
            emit(s as usize, (d, t, i));
        });
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
        let mut csr = Self::assemble(&degrees, |u, targets, types, weights, _| {
            for (k, &(d, t, i)) in lists[u][..targets.len()].iter().enumerate() {
                targets[k] = d;
                types[k] = t;
                weights[k] = edge(i).3;
            }
        });
        csr.ids.par_iter_mut().enumerate().for_each(|(p, id)| *id = p as u64);
        csr
    }

    /// A CSR of `node_count` nodes holding the `m` relationships
    /// `rel(i) = (src, dst, type, weight, id)` as they are, parallel ones
    /// included (recovery's bulk load); each node's sorted by `(dst, type, id)`.
    pub(crate) fn from_rels(
        node_count: usize,
        m: usize,
        rel: impl Fn(usize) -> (u64, u64, u32, f64, u64) + Sync,
    ) -> Self {
        let (starts, mut keys) = group_by_bucket(node_count, even_chunks(m), |i, emit| {
            let (s, d, t, _, id) = rel(i);
            emit(s as usize, (d, t, id, i));
        });
        let mut lists = split_by(&mut keys, &starts);
        lists.par_iter_mut().for_each(|list| list.sort_unstable());
        let degrees: Vec<usize> = lists.iter().map(|l| l.len()).collect();
        Self::assemble(&degrees, |u, targets, types, weights, ids| {
            for (k, &(d, t, id, i)) in lists[u].iter().enumerate() {
                (targets[k], types[k], weights[k], ids[k]) = (d, t, rel(i).3, id);
            }
        })
    }

    /// This adjacency updated by `newer`: per node, the union of both edge
    /// lists; where both have a `(dst, type)`, `newer`'s weight goes to the
    /// first of `self`'s relationships of that key, which keeps its id.
    pub fn merge(&self, newer: &Csr) -> Csr {
        let n = self.node_count().max(newer.node_count());
        let degrees: Vec<usize> = (0..n)
            .into_par_iter()
            .map(|u| {
                let mut d = 0;
                self.merge_node(newer, u, |_, _, _, _| d += 1);
                d
            })
            .collect();
        Self::assemble(&degrees, |u, targets, types, weights, ids| {
            let mut k = 0;
            self.merge_node(newer, u, |t, ty, w, id| {
                (targets[k], types[k], weights[k], ids[k]) = (t, ty, w, id);
                k += 1;
            });
        })
    }

    /// Emits node `u`'s edges of `self` updated by `newer`, in `(dst, type, id)` order.
    fn merge_node(&self, newer: &Csr, u: usize, mut emit: impl FnMut(u64, u32, f64, u64)) {
        let mut old = self.range(u).peekable();
        let at = |i: usize| (self.targets[i], self.types[i], self.weights[i], self.ids[i]);
        for j in newer.range(u) {
            let key = (newer.targets[j], newer.types[j]);
            while let Some(i) = old.next_if(|&i| (self.targets[i], self.types[i]) < key) {
                let (t, ty, w, id) = at(i);
                emit(t, ty, w, id);
            }
            match old.next_if(|&i| (self.targets[i], self.types[i]) == key) {
                // The first relationship of the key takes the new weight.
                Some(i) => emit(key.0, key.1, newer.weights[j], self.ids[i]),
                None => emit(key.0, key.1, newer.weights[j], newer.ids[j]),
            }
        }
        old.for_each(|i| {
            let (t, ty, w, id) = at(i);
            emit(t, ty, w, id)
        });
    }

    /// A CSR with the given degrees, each node's edges written by `fill`
    /// (given the node and its slices), nodes in parallel.
    #[allow(clippy::type_complexity)]
    fn assemble(degrees: &[usize], fill: impl Fn(usize, &mut [u64], &mut [u32], &mut [f64], &mut [u64]) + Sync) -> Csr {
        let mut offsets = Vec::with_capacity(degrees.len() + 1);
        offsets.push(0u64);
        for &d in degrees {
            offsets.push(offsets[offsets.len() - 1] + d as u64);
        }
        let starts: Vec<usize> = offsets.iter().map(|&o| o as usize).collect();
        let mut csr = Csr::zeroed(offsets);
        let parts = split_by(&mut csr.targets, &starts)
            .into_iter()
            .zip(split_by(&mut csr.types, &starts))
            .zip(split_by(&mut csr.weights, &starts))
            .zip(split_by(&mut csr.ids, &starts))
            .enumerate()
            .collect::<Vec<_>>();
        parts.into_par_iter().for_each(|(u, (((t, ty), w), id))| fill(u, t, ty, w, id));
        csr
    }

    /// A CSR with these `offsets` whose edge columns are zeros for the
    /// caller to fill, allocated for huge pages (see [`pages`]).
    pub(crate) fn zeroed(offsets: Vec<u64>) -> Csr {
        let m = offsets.last().map_or(0, |&m| m as usize);
        Csr {
            offsets,
            targets: pages::filled(m),
            weights: pages::filled(m),
            types: pages::filled(m),
            ids: pages::filled(m),
        }
    }

    /// The reverse adjacency (every edge `u -> v` becomes `v -> u`).
    pub fn transpose(&self) -> Self {
        let n = self.node_count();
        // Chunks of sources with about equal numbers of edges; visiting each
        // chunk's sources in increasing order keeps every reverse list sorted
        // by source.
        let m = self.edge_count();
        let parts = chunk_count(m);
        let mut bounds: Vec<usize> =
            (0..parts).map(|k| self.offsets.partition_point(|&o| (o as usize) < k * m / parts).min(n)).collect();
        bounds.push(n);
        let chunks = bounds.windows(2).map(|w| w[0]..w[1]).collect();
        let (starts, reversed) = group_by_bucket(n, chunks, |u, emit| {
            for i in self.range(u) {
                emit(self.targets[i] as usize, (u as u64, self.types[i], self.weights[i], self.ids[i]));
            }
        });
        // Each column straight into an allocation advised for huge pages.
        fn column<E: Sync, U: Send>(edges: &[E], field: impl Fn(&E) -> U + Sync + Send) -> Vec<U> {
            let mut v = pages::with_capacity(edges.len());
            v.par_extend(edges.par_iter().map(field));
            v
        }
        Csr {
            offsets: starts.iter().map(|&o| o as u64).collect(),
            targets: column(&reversed, |e| e.0),
            types: column(&reversed, |e| e.1),
            weights: column(&reversed, |e| e.2),
            ids: column(&reversed, |e| e.3),
        }
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.offsets.capacity() * 8
            + self.targets.capacity() * 8
            + self.weights.capacity() * 8
            + self.types.capacity() * 4
            + self.ids.capacity() * 8
    }
}

/// How many chunks the parallel counting sorts split `items` items into.
fn chunk_count(items: usize) -> usize {
    rayon::current_num_threads().clamp(1, items.max(1))
}

/// `0..units` cut into [`chunk_count`] ranges of about equal length.
fn even_chunks(units: usize) -> Vec<std::ops::Range<usize>> {
    let parts = chunk_count(units);
    (0..parts).map(|k| k * units / parts..(k + 1) * units / parts).collect()
}

/// Groups items by bucket in parallel, keeping each bucket's items in the
/// order the chunks (in turn) produce them: a stable counting sort.
/// `produce(unit, emit)` calls `emit(bucket, item)` for the items of `unit`;
/// it is called twice per unit (count, then place) and must emit the same
/// items both times. Returns the `buckets + 1` bucket offsets and the items.
fn group_by_bucket<T: Copy + Send + Sync>(
    buckets: usize,
    chunks: Vec<std::ops::Range<usize>>,
    produce: impl Fn(usize, &mut dyn FnMut(usize, T)) + Sync,
) -> (Vec<usize>, Vec<T>) {
    let mut starts: Vec<Vec<usize>> = chunks
        .par_iter()
        .map(|units| {
            let mut count = vec![0usize; buckets];
            units.clone().for_each(|u| produce(u, &mut |b, _| count[b] += 1));
            count
        })
        .collect();
    // Bucket by bucket, each chunk's items follow the previous chunk's.
    let mut offsets = Vec::with_capacity(buckets + 1);
    let mut total = 0;
    for b in 0..buckets {
        offsets.push(total);
        for chunk in starts.iter_mut() {
            (chunk[b], total) = (total, total + chunk[b]);
        }
    }
    offsets.push(total);
    // Uninitialised, so that its first touch is the parallel scatter below
    // (on huge pages) rather than a zeroing pass on one thread.
    let mut items = pages::with_capacity::<T>(total);
    let out = SharedSlice(items.as_mut_ptr());
    let starts = &starts;
    chunks.into_par_iter().enumerate().for_each(|(c, units)| {
        let end = |b: usize| starts.get(c + 1).map_or(offsets[b + 1], |next| next[b]);
        let mut cursor = starts[c].clone();
        units.for_each(|u| {
            produce(u, &mut |b, item| {
                let at = cursor[b];
                assert!(at < end(b), "produce emitted more items than it counted");
                // Chunk `c` owns `starts[c][b]..end(b)` of bucket `b`: disjoint
                // ranges within `items` (the prefix sums above), each written once.
                // SAFETY: `at` is in this chunk's own range, so no other thread touches it.
                unsafe { out.write(at, item) };
                cursor[b] += 1;
            })
        });
        // Together the chunks' ranges cover `0..total`: each checks that it filled its own.
        assert!((0..buckets).all(|b| cursor[b] == end(b)), "produce emitted fewer items than it counted");
    });
    // The chunks' ranges partition `0..total` and each chunk filled all of
    // its own; a panic in a chunk unwinds past here with the length still 0.
    // SAFETY: every element of `0..total` was written above.
    unsafe { items.set_len(total) };
    (offsets, items)
}

/// The base pointer of an allocation shared by the threads of
/// [`group_by_bucket`], which write disjoint elements of it.
struct SharedSlice<T>(*mut T);

// SAFETY: the threads sharing it write disjoint elements (see `group_by_bucket`).
unsafe impl<T: Send> Sync for SharedSlice<T> {}

impl<T> SharedSlice<T> {
    /// Writes element `at`.
    ///
    /// # Safety
    /// `at` is within the allocation, and no other thread reads or writes
    /// element `at` meanwhile.
    unsafe fn write(&self, at: usize, item: T) {
        // SAFETY: as the caller promises.
        unsafe { self.0.add(at).write(item) }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Edges of a skewed random graph: node 0 is a hub.
    fn edges(n: u64, m: usize, seed: u64) -> Vec<(u64, u64, u32, f64)> {
        let mut state = seed;
        let mut next = move |bound: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % bound
        };
        (0..m).map(|i| (if i % 3 == 0 { 0 } else { next(n) }, next(n), next(2) as u32, i as f64)).collect()
    }

    #[test]
    fn parallel_counting_sorts_match_a_sequential_reference() {
        for threads in [1, 2, 5] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                // Miri interprets: small graphs only there.
                let cases: &[(u64, u64, usize)] = if cfg!(miri) {
                    &[(1, 1, 0), (2, 7, 40)]
                } else {
                    &[(1, 1, 0), (2, 7, 40), (3, 50, 600), (4, 300, 5000)]
                };
                for &(seed, n, m) in cases {
                    let list = edges(n, m, seed);
                    let csr = Csr::from_edges(n as usize, &list);
                    // Last write per (src, dst, type) wins; lists sorted by (dst, type).
                    let mut want = std::collections::BTreeMap::new();
                    for &(s, d, t, w) in &list {
                        want.insert((s, d, t), w);
                    }
                    let got: Vec<_> = (0..n as usize)
                        .flat_map(|u| csr.range(u).map(move |i| (u, i)))
                        .map(|(u, i)| ((u as u64, csr.targets[i], csr.types[i]), csr.weights[i]))
                        .collect();
                    assert_eq!(got, want.into_iter().collect::<Vec<_>>(), "from_edges, {threads} threads, seed {seed}");
                    // The transpose lists every edge at its target, sources in increasing order.
                    let t = csr.transpose();
                    let mut reversed: Vec<_> = got.iter().map(|&((s, d, ty), w)| ((d, s, ty), w)).collect();
                    reversed.sort_by_key(|e| (e.0.0, e.0.1));
                    let got_t: Vec<_> = (0..n as usize)
                        .flat_map(|v| t.range(v).map(move |i| (v, i)))
                        .map(|(v, i)| ((v as u64, t.targets[i], t.types[i]), t.weights[i]))
                        .collect();
                    assert_eq!(got_t, reversed, "transpose, {threads} threads, seed {seed}");
                }
            });
        }
    }

    /// A `produce` that emits fewer items when placing than it counted is
    /// refused with a panic, never left with unwritten (uninitialised) items.
    #[test]
    #[should_panic(expected = "fewer items than it counted")]
    fn a_short_second_pass_is_refused() {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        group_by_bucket::<u64>(4, vec![0..2, 2..3], |u, emit| {
            let first_pass = calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 3;
            if first_pass || u != 1 {
                emit(u, u as u64);
            }
        });
    }
}
