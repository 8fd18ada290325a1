//! A snapshot's graph as the kernels read it while its delta is not empty:
//! the base CSR plus one small level per direction holding what the delta
//! adds (LLAMA's multiversioned CSR levels, with one delta level).
//!
//! For each node the level holds either the edges the delta adds to the
//! base (new keys, base edges untouched), or, for a node whose delta
//! removes or changes base edges (tombstones, weight updates) or whose base
//! edges lead to nodes removed since, its whole merged adjacency, the base
//! run then being skipped (`replaced`). Building the level reads only the
//! delta blocks and the base ranges of nodes that have writes, so it costs
//! about as much as the delta is large; the kernels then read two sorted
//! runs per node at memory speed.
//!
//! The levels serve every snapshot of one version on one base: a
//! generation holds those of the newest version analysed, so analytics run
//! again with no write in between (each query taking a fresh snapshot)
//! build nothing. Holding them costs at most one set of levels per base,
//! about as large as the delta, until a newer version is analysed or a
//! compaction retires the base.
//!
//! Each level is built on first use (WCC never reads in-edges), in chunks
//! of nodes, in parallel, with one epoch pin and reused scratch buffers per
//! chunk (no allocation per node). Kernels that only follow edges (BFS,
//! WCC, k-hop: reachability, no weights, parallel edges harmless) read a
//! cheaper *reach* level instead: per node every edge the delta inserts or
//! re-weights, unsorted and unmatched against the base (a re-weighted base
//! edge then reads twice); only a node with a tombstone among its entries
//! gets its merged adjacency.

use super::algo::{Adjacency, Edges};
use super::csr::{Csr, GraphView, split_by};
use super::delta::{self, Entry, Side};
use super::snapshot::{Adj, Snapshot};
use crate::mem::pages;
use rayon::prelude::*;
use std::sync::{Arc, OnceLock};

/// Nodes per parallel chunk when building a level.
const CHUNK: usize = 4096;

/// Base plus delta level of one snapshot (see the module notes). The
/// kernels read it through [`LiveView::with`], which builds the in-level
/// on first use.
pub struct LiveView {
    /// The version of the snapshots it serves.
    version: u64,
    base: Arc<GraphView>,
    alive: Vec<bool>,
    /// No node alive in the base has died since (base edges need no check).
    base_intact: bool,
    /// Exact levels, out and in.
    exact: [OnceLock<Level>; 2],
    /// Reach levels, out and in.
    reach: [OnceLock<Level>; 2],
}

/// What the delta adds in one direction.
#[derive(Default)]
struct Level {
    /// `node_count + 1` offsets into `targets` and `weights`, each node's
    /// start carrying [`REPLACED`] if its base run is skipped (one array
    /// read per node for both).
    offsets: Vec<u64>,
    /// Per node: the targets the delta adds, or its whole adjacency if replaced.
    targets: Vec<u64>,
    /// Weights, parallel to `targets`.
    weights: Vec<f64>,
    /// Edges of base and level together (an exact level's; a reach
    /// level's counts re-weighted base edges twice).
    edges: usize,
}

/// The bit of a level offset that marks its node's base run as skipped.
const REPLACED: u64 = 1 << 63;

/// One chunk of a level as built in parallel.
#[derive(Default)]
struct Part {
    degrees: Vec<u64>,
    targets: Vec<u64>,
    weights: Vec<f64>,
    replaced: Vec<bool>,
    edges: usize,
}

impl Level {
    /// Node `u`'s edges: its base run unless replaced, then its extra run.
    #[inline(always)]
    fn edges<'a>(&'a self, base: &'a Csr, u: usize) -> Edges<'a> {
        let (start, end) = (self.offsets[u], self.offsets[u + 1] & !REPLACED);
        let r = if start & REPLACED != 0 { 0..0 } else { base.range(u) };
        let x = (start & !REPLACED) as usize..end as usize;
        Edges::new((&base.targets[r.clone()], &base.weights[r]), (&self.targets[x.clone()], &self.weights[x]))
    }

    /// The level of `side` for the nodes `alive` (a reach level unless `exact`).
    fn build(snap: &Snapshot, side: Side, alive: &[bool], base_intact: bool, exact: bool) -> Level {
        let n = alive.len();
        let parts: Vec<Part> = (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| Self::build_part(snap, side, alive, base_intact, exact, c * CHUNK..((c + 1) * CHUNK).min(n)))
            .collect();
        let mut offsets = Vec::with_capacity(n + 1);
        let (mut end, mut starts) = (0u64, vec![0usize]);
        for part in &parts {
            for (d, &replaced) in part.degrees.iter().zip(&part.replaced) {
                offsets.push(if replaced { end | REPLACED } else { end });
                end += d;
            }
            starts.push(starts[starts.len() - 1] + part.targets.len());
        }
        offsets.push(end);
        let m = starts[starts.len() - 1];
        let (mut targets, mut weights) = (pages::filled::<u64>(m), pages::filled::<f64>(m));
        split_by(&mut targets, &starts).into_par_iter().zip(split_by(&mut weights, &starts)).zip(&parts).for_each(
            |((t, w), part)| {
                t.copy_from_slice(&part.targets);
                w.copy_from_slice(&part.weights);
            },
        );
        let edges = parts.iter().map(|p| p.edges).sum();
        Level { offsets, targets, weights, edges }
    }

    /// The level's nodes `nodes`, under one epoch pin.
    fn build_part(
        snap: &Snapshot,
        side: Side,
        alive: &[bool],
        base_intact: bool,
        exact: bool,
        nodes: std::ops::Range<usize>,
    ) -> Part {
        let is_alive = |v: u64| alive.get(v as usize).copied().unwrap_or(false);
        let base = snap.base(side);
        let guard = &snap.core().mem.pin();
        let mut part = Part::default();
        let (mut ops, mut adj): (Vec<(usize, delta::Write)>, Vec<Adj>) = (Vec::new(), Vec::new());
        // The chunk's entries in three passes, each of short independent
        // steps per node, so that the cache misses of many nodes overlap:
        // the blocks (read off the node table in order), their published
        // entries, the part of those this snapshot sees.
        let blocks: Vec<Option<&delta::Block>> =
            nodes.clone().map(|u| if alive[u] { snap.delta_block(u as u64, side, guard) } else { None }).collect();
        let mut seen: Vec<&[Entry]> = blocks.iter().map(|b| b.map_or(&[][..], |b| b.entries())).collect();
        seen.iter_mut().for_each(|entries| *entries = if entries.is_empty() { entries } else { snap.visible(entries) });
        for (u, seen) in nodes.zip(seen) {
            let start = part.targets.len();
            let r = base.range(u);
            let replaced = if !alive[u] {
                // Hide whatever the base holds for a node removed since.
                true
            } else {
                let (targets, types, ids) = (&base.targets[r.clone()], &base.types[r.clone()], &base.ids[r.clone()]);
                let weights = &base.weights[r.clone()];
                let mut whole = !base_intact && targets.iter().any(|&v| !is_alive(v));
                let entries = if whole { &[][..] } else { seen };
                if !exact {
                    for w in entries.iter().map(Entry::write) {
                        if w.removed {
                            whole = true;
                            break;
                        }
                        if is_alive(w.other) {
                            part.targets.push(w.other);
                            part.weights.push(w.weight);
                        }
                    }
                } else if !entries.is_empty() {
                    ops.clear();
                    ops.extend(entries.iter().map(|e| e.write()).enumerate());
                    newest_first(&mut ops);
                    for &(_, w) in &ops {
                        let key = (w.other, w.ty, w.id);
                        let mut at = targets.partition_point(|&t| t < key.0);
                        while at < targets.len() && targets[at] == key.0 && (types[at], ids[at]) < (key.1, key.2) {
                            at += 1;
                        }
                        let in_base =
                            (at < targets.len() && (targets[at], types[at], ids[at]) == key).then(|| weights[at]);
                        match (in_base, w.removed) {
                            (None, false) if is_alive(w.other) => {
                                part.targets.push(w.other);
                                part.weights.push(w.weight);
                            }
                            (None, _) => {}
                            (Some(bw), false) if bw.to_bits() == w.weight.to_bits() => {}
                            (Some(_), _) => {
                                whole = true;
                                break;
                            }
                        }
                    }
                }
                if whole {
                    part.targets.truncate(start);
                    part.weights.truncate(start);
                    adj.clear();
                    snap.adjacency(u as u64, side, &is_alive, base_intact, &mut adj);
                    part.targets.extend(adj.iter().map(|e| e.0));
                    part.weights.extend(adj.iter().map(|e| e.2));
                }
                whole
            };
            if !replaced {
                part.edges += r.len();
            }
            let added = part.targets.len() - start;
            part.edges += added;
            part.degrees.push(added as u64);
            part.replaced.push(replaced);
        }
        part
    }
}

/// Sorts `ops` (writes numbered oldest first) by (other end, type, id) and
/// keeps the newest of each relationship.
fn newest_first(ops: &mut Vec<(usize, delta::Write)>) {
    if ops.len() > 1 {
        ops.sort_unstable_by_key(|(i, w)| (w.other, w.ty, w.id, std::cmp::Reverse(*i)));
        ops.dedup_by_key(|(_, w)| (w.other, w.ty, w.id));
    }
}

impl LiveView {
    /// The nodes of `snap`; its levels wait for first use.
    pub(crate) fn new(snap: &Snapshot) -> Self {
        let n = snap.node_count() as usize;
        let alive: Vec<bool> = (0..n).into_par_iter().map(|u| snap.contains_node(u as u64)).collect();
        let base = Arc::clone(snap.base_view());
        // Base edges join nodes alive in the base: unless one of those died
        // since, they need no check.
        let base_intact = base.alive.par_iter().zip(&alive).all(|(&was, &is)| !was || is);
        let version = snap.version();
        LiveView { version, base, alive, base_intact, exact: Default::default(), reach: Default::default() }
    }

    /// The version it was built for.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    /// Whether it reads as `snap` does: a snapshot of the same version and
    /// node ids on the same base sees the same nodes and delta entries.
    pub(crate) fn serves(&self, snap: &Snapshot) -> bool {
        self.version == snap.version()
            && self.alive.len() as u64 == snap.node_count()
            && Arc::ptr_eq(&self.base, snap.base_view())
    }

    /// The graph as the kernels read it; `snap` is a snapshot this view
    /// serves. `reach`: the kernel only follows edges (see the module
    /// notes). The out-level, and with `in_edges` the in-level, are built
    /// now, before any kernel runs: a level first read from a kernel's
    /// parallel code would be built by every worker that finds it empty.
    pub(crate) fn with<'a>(&'a self, snap: &'a Snapshot, in_edges: bool, reach: bool) -> LiveGraph<'a> {
        let levels = if reach { &self.reach } else { &self.exact };
        LiveGraph {
            view: self,
            snap,
            levels,
            exact: !reach,
            out: self.level(levels, snap, Side::Out, !reach),
            inn: in_edges.then(|| self.level(levels, snap, Side::In, !reach)),
        }
    }

    /// The level of `side` in `levels`, built now if no one has yet (never
    /// waiting for another thread's build: snapshots of one version share
    /// levels across threads, see [`crate::sync::built_once`]).
    fn level<'a>(&'a self, levels: &'a [OnceLock<Level>; 2], snap: &Snapshot, side: Side, exact: bool) -> &'a Level {
        crate::sync::built_once(&levels[usize::from(side == Side::In)], || {
            Level::build(snap, side, &self.alive, self.base_intact, exact)
        })
    }

    /// Heap bytes of the levels built so far (the base is shared with the graph).
    pub fn heap_bytes(&self) -> usize {
        let level = |l: &Level| l.offsets.capacity() * 8 + l.targets.capacity() * 8 + l.weights.capacity() * 8;
        self.exact.iter().chain(&self.reach).filter_map(OnceLock::get).map(level).sum::<usize>() + self.alive.capacity()
    }
}

/// A [`LiveView`] with its snapshot, as the kernels read it.
pub(crate) struct LiveGraph<'a> {
    view: &'a LiveView,
    snap: &'a Snapshot,
    /// Its levels (exact or reach), out and in.
    levels: &'a [OnceLock<Level>; 2],
    exact: bool,
    /// The out-level, built.
    out: &'a Level,
    /// The in-level, if built up front.
    inn: Option<&'a Level>,
}

impl<'a> LiveGraph<'a> {
    /// The in-level, built on first use if not up front (see [`LiveView::with`]).
    #[inline(always)]
    fn inn(&self) -> &'a Level {
        match self.inn {
            Some(level) => level,
            None => self.build_inn(),
        }
    }

    /// The in-level of a view that did not build it up front.
    #[cold]
    #[inline(never)]
    fn build_inn(&self) -> &'a Level {
        self.view.level(self.levels, self.snap, Side::In, self.exact)
    }
}

impl Adjacency for LiveGraph<'_> {
    fn node_count(&self) -> usize {
        self.view.alive.len()
    }

    fn alive(&self) -> &[bool] {
        &self.view.alive
    }

    /// Exact for an exact view; a reach view counts re-weighted base
    /// edges twice (its kernels take it for a hint).
    fn edge_count(&self) -> usize {
        self.out.edges
    }

    #[inline(always)]
    fn out_edges(&self, u: usize) -> Edges<'_> {
        self.out.edges(&self.view.base.out, u)
    }

    #[inline(always)]
    fn in_edges(&self, u: usize) -> Edges<'_> {
        self.inn().edges(&self.view.base.inn, u)
    }
}

#[cfg(test)]
mod tests {
    use crate::graph::{CompactionPolicy, algo};
    use crate::{Config, Engine};

    /// The kernels read the delta levels (exact and reach) as they read the
    /// snapshot's own CSR: a re-weighted base edge, removed base edges, an
    /// edge inserted then removed, a removed node, nodes added since.
    #[test]
    fn levels_read_like_the_materialised_view() {
        let config =
            Config { compaction: CompactionPolicy { auto: false, ..Default::default() }, ..Default::default() };
        let e = Engine::with_config(config);
        let g = e.graph();
        g.add_nodes(40, None).unwrap();
        // A ring with chords.
        let src: Vec<u64> = (0..40).chain((0..40).step_by(3)).collect();
        let dst: Vec<u64> = (0..40).map(|u| (u + 1) % 40).chain((0..40).step_by(3).map(|u| (u * 7 + 5) % 40)).collect();
        g.load_edges(&src, &dst, None, None).unwrap();
        g.compact();
        g.add_nodes(5, None).unwrap();
        g.add_edge(3, 4, None, 9.0).unwrap();
        g.remove_edge(10, 11, None).unwrap();
        g.remove_edge(20, 21, None).unwrap();
        g.add_edge(0, 41, None, 2.0).unwrap();
        g.add_edge(41, 42, None, 1.0).unwrap();
        g.add_edge(42, 43, None, 1.0).unwrap();
        g.remove_edge(42, 43, None).unwrap();
        g.add_edge(30, 44, None, 1.0).unwrap();
        g.add_edge(44, 30, None, 0.5).unwrap();
        g.remove_node(25).unwrap();
        // Two snapshots of one version: one read through its levels, one
        // materialised.
        let (a, b) = (g.snapshot(), g.snapshot());
        assert_eq!(a.version(), b.version());
        let v = b.view();
        assert_eq!(a.wcc(), algo::wcc(v), "wcc");
        for s in [0, 12, 30, 41] {
            assert_eq!(a.bfs(s).unwrap(), algo::bfs(v, s as usize), "bfs from {s}");
            assert_eq!(a.k_hop(s, 3).unwrap(), algo::k_hop(v, s as usize, 3), "3-hop of {s}");
            assert_eq!(a.sssp(s).unwrap(), algo::sssp(v, s as usize), "sssp from {s}");
        }
        assert_eq!(a.edge_count(), v.edge_count() as u64, "edges");
        assert_eq!(a.pagerank(0.85, 10).unwrap(), algo::pagerank(v, 0.85, 10), "pagerank");
        assert_eq!(a.cdlp(5), algo::cdlp(v, 5), "cdlp");
        assert_eq!(a.lcc(), algo::lcc(v), "lcc");
        assert_eq!(a.triangle_count(), algo::triangle_count(v), "triangles");
        // The removed base edges are gone, the removed node unreachable.
        assert_eq!(a.bfs(0).unwrap()[25], -1);
        assert_eq!(a.wcc()[25], u64::MAX);
    }

    /// An engine whose graph is a compacted ring of 30 nodes plus a delta.
    fn ring_with_delta() -> Engine {
        let config =
            Config { compaction: CompactionPolicy { auto: false, ..Default::default() }, ..Default::default() };
        let e = Engine::with_config(config);
        let g = e.graph();
        g.add_nodes(30, None).unwrap();
        let src: Vec<u64> = (0..30).collect();
        let dst: Vec<u64> = (0..30).map(|u| (u + 1) % 30).collect();
        g.load_edges(&src, &dst, None, None).unwrap();
        g.compact();
        g.add_edge(0, 15, None, 1.0).unwrap();
        g.remove_edge(20, 21, None).unwrap();
        e
    }

    /// Snapshots of one version share their levels; a write in between
    /// gives new ones, and an older snapshot analysed afterwards neither
    /// reads nor replaces them.
    #[test]
    fn levels_are_shared_by_the_snapshots_of_one_version() {
        let e = ring_with_delta();
        let g = e.graph();
        let old = g.snapshot();
        g.add_edge(5, 25, None, 1.0).unwrap();
        let (a, b) = (g.snapshot(), g.snapshot());
        let bfs = a.bfs(0).unwrap();
        assert!(std::ptr::eq(a.live(), b.live()), "one version, one set of levels");
        assert_eq!(b.bfs(0).unwrap(), bfs);
        assert_eq!(bfs, algo::bfs(g.snapshot().view(), 0));
        // The older snapshot builds its own and leaves the newer ones held.
        assert_eq!(old.bfs(0).unwrap(), algo::bfs(old.view(), 0));
        assert!(!std::ptr::eq(old.live(), a.live()));
        assert!(std::ptr::eq(g.snapshot().live(), a.live()));
        // A write in between: new levels, with the write in them.
        g.remove_edge(5, 25, None).unwrap();
        let c = g.snapshot();
        assert!(!std::ptr::eq(c.live(), a.live()));
        assert_eq!(c.bfs(0).unwrap(), algo::bfs(c.view(), 0));
        assert_ne!(c.bfs(0).unwrap(), bfs, "the removed chord no longer shortens paths");
        // Compaction gives a new base: its snapshots read it as is.
        g.compact();
        assert_eq!(g.snapshot().bfs(0).unwrap(), c.bfs(0).unwrap());
    }

    /// Snapshots of one version analysed at once, from threads and from
    /// rayon tasks (whose workers build levels in parallel themselves),
    /// agree and never wait on each other's build.
    #[test]
    fn shared_levels_built_from_many_threads_at_once() {
        use rayon::prelude::*;
        let e = ring_with_delta();
        let g = e.graph();
        let expected = algo::bfs(g.snapshot().view(), 3);
        let from_tasks: Vec<Vec<i64>> = (0..16).into_par_iter().map(|_| g.snapshot().bfs(3).unwrap()).collect();
        assert!(from_tasks.iter().all(|d| *d == expected));
        // One snapshot read from many tasks: its view, levels and CSR.
        let one = g.snapshot();
        let ranks: Vec<Vec<f64>> = (0..16).into_par_iter().map(|_| one.pagerank(0.85, 3).unwrap()).collect();
        assert!(ranks.iter().all(|r| *r == algo::pagerank(one.view(), 0.85, 3)));
        assert!((0..16).into_par_iter().all(|_| one.view().edge_count() == 30));
        g.add_edge(3, 9, None, 1.0).unwrap();
        let expected = algo::wcc(g.snapshot().view());
        std::thread::scope(|s| {
            let runs: Vec<_> = (0..4).map(|_| s.spawn(|| g.snapshot().wcc())).collect();
            runs.into_iter().for_each(|r| assert_eq!(r.join().unwrap(), expected));
        });
    }
}
