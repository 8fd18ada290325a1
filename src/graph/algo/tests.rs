//! Kernel tests: every LDBC Graphalytics reference output, plus hand-made and
//! randomised graphs for the kernels Graphalytics does not cover.

#[path = "../../../tests/common/graphalytics.rs"]
mod graphalytics;

use super::*;
use crate::graph::csr::{Csr, GraphView};
use graphalytics::{Algo, Case, Check, checks, close, load_case};
use std::fmt::Debug;

/// Builds a view of `node_count` slots, all alive unless listed in `absent`,
/// from `(src, dst, type, weight)` edges.
fn view(node_count: usize, absent: &[usize], edges: &[(u64, u64, u32, f64)]) -> GraphView {
    let mut alive = vec![true; node_count];
    for &a in absent {
        alive[a] = false;
    }
    GraphView::from_out(Csr::from_edges(node_count, edges), alive)
}

/// A Graphalytics case laid out in a view, dense id `i` in slot `slot[i]`.
struct Placed {
    case: Case,
    view: GraphView,
    slot: Vec<usize>,
}

impl Placed {
    /// Lays `case` out in slots `0..n`, or, with `gaps`, in the odd slots of
    /// `0..2n+1`, the even ones holding absent nodes (the order of ids, hence
    /// "smallest id" semantics, is preserved either way).
    fn new(case: Case, gaps: bool) -> Self {
        let n = case.node_count();
        let slot: Vec<usize> = (0..n).map(|i| if gaps { 2 * i + 1 } else { i }).collect();
        let slots = if gaps { 2 * n + 1 } else { n };
        let absent: Vec<usize> = (0..slots).filter(|s| !slot.contains(s)).collect();
        let edges: Vec<_> = case.edges.iter().map(|&(s, d, w)| (slot[s] as u64, slot[d] as u64, 0, w)).collect();
        let view = view(slots, &absent, &edges);
        Placed { case, view, slot }
    }

    /// Slot of the original vertex id `id`.
    fn slot_of(&self, id: u64) -> usize {
        self.slot[self.case.dense(id)]
    }

    /// Original vertex id of the node in slot `s`.
    fn id_at(&self, s: u64) -> u64 {
        let dense = self.slot.iter().position(|&x| x as u64 == s).expect("label of a live node");
        self.case.ids[dense]
    }

    /// Asserts that `got` matches every reference line of `want` (as judged by
    /// `ok`), that `want` covers every vertex, and that absent slots read `absent`.
    fn expect<T: Copy + PartialEq + Debug, E: Debug>(
        &self,
        name: &str,
        got: &[T],
        want: Vec<(u64, E)>,
        absent: T,
        ok: impl Fn(T, &E) -> bool,
    ) {
        assert_eq!(got.len(), self.view.node_count(), "{name}: output length");
        assert_eq!(want.len(), self.case.node_count(), "{name}: reference covers every vertex");
        for (id, expected) in &want {
            let actual = got[self.slot_of(*id)];
            assert!(ok(actual, expected), "{name}: vertex {id}: got {actual:?}, want {expected:?}");
        }
        for (s, &value) in got.iter().enumerate() {
            if !self.view.alive[s] {
                assert_eq!(value, absent, "{name}: absent slot {s}");
            }
        }
    }

    /// Runs `check` and compares with its reference output.
    fn verify(&self, check: &Check) {
        let (v, name) = (&self.view, check.expected.as_str());
        match check.algo {
            Algo::Bfs { source } => {
                let want = graphalytics::load_expected_i64(name);
                let unreachable = |e: i64| if e == i64::MAX { -1 } else { e };
                let got = bfs(v, self.slot_of(source));
                assert_eq!(bfs_direction_optimizing(v, self.slot_of(source)), got, "{name}: direction-optimising");
                self.expect(name, &got, want, -1, |a, &e| a == unreachable(e));
            }
            Algo::Sssp { source } => {
                let want = graphalytics::load_expected_f64(name);
                let got = sssp(v, self.slot_of(source));
                self.expect(name, &got, want, f64::INFINITY, |a, &e| close(e, a));
            }
            Algo::PageRank { damping, iterations } => {
                let want = graphalytics::load_expected_f64(name);
                let got = pagerank(v, damping, iterations);
                self.expect(name, &got, want, 0.0, |a, &e| close(e, a));
            }
            Algo::Lcc => {
                let want = graphalytics::load_expected_f64(name);
                self.expect(name, &lcc(v), want, 0.0, |a, &e| close(e, a));
            }
            Algo::Wcc => {
                let want = graphalytics::load_expected_u64(name);
                self.expect(name, &wcc(v), want, u64::MAX, |a, &e| self.id_at(a) == e);
            }
            Algo::Cdlp { iterations } => {
                let want = graphalytics::load_expected_u64(name);
                let got = cdlp(v, iterations);
                self.expect(name, &got, want, u64::MAX, |a, &e| self.id_at(a) == e);
            }
        }
    }
}

fn verify_all(gaps: bool) {
    let all = checks();
    assert_eq!(all.len(), 24, "six kernels on the two examples and the six dir/undir pairs");
    for check in &all {
        Placed::new(load_case(&check.input, check.directed), gaps).verify(check);
    }
}

#[test]
fn graphalytics_reference_outputs() {
    verify_all(false);
}

#[test]
fn graphalytics_reference_outputs_with_absent_nodes() {
    verify_all(true);
}

#[test]
fn graphalytics_inputs_load_consistently() {
    // The examples come both as .v/.e and as adjacency lists; an undirected
    // .e lists each edge once, an undirected adjacency file from both ends.
    for (name, directed) in [("example-directed", true), ("example-undirected", false)] {
        let from_ve = graphalytics::load_vertices_edges(&format!("example/{name}"), directed);
        let from_adj = graphalytics::load_adjacency(&format!("example/{name}-input"), directed);
        assert_eq!(from_ve.ids, from_adj.ids, "{name}");
        let pairs = |c: &Case| {
            let mut p: Vec<_> = c.edges.iter().map(|&(s, d, _)| (s, d)).collect();
            p.sort_unstable();
            p
        };
        assert_eq!(pairs(&from_ve), pairs(&from_adj), "{name}");
    }
    assert_eq!(graphalytics::load_expected_f64("sssp/dir-output")[8], (9, f64::INFINITY));
}

#[test]
fn k_hop_counts_hops_and_excludes_source() {
    // 0 -> 1 -> 2 -> 3 -> 0, plus 1 -> 4 and an unreachable 5 -> 0.
    let g =
        view(6, &[], &[(0, 1, 0, 1.0), (1, 2, 0, 1.0), (2, 3, 0, 1.0), (3, 0, 0, 1.0), (1, 4, 0, 1.0), (5, 0, 0, 1.0)]);
    assert_eq!(k_hop(&g, 0, 0), Vec::<u64>::new());
    assert_eq!(k_hop(&g, 0, 1), vec![1]);
    assert_eq!(k_hop(&g, 0, 2), vec![1, 2, 4]);
    assert_eq!(k_hop(&g, 0, 10), vec![1, 2, 3, 4]);
    assert_eq!(k_hop(&g, 4, 3), Vec::<u64>::new());
    assert_eq!(k_hop(&g, 2, 3), vec![0, 1, 3]);
}

#[test]
fn triangle_count_ignores_direction_loops_and_duplicates() {
    // K4 on 0..4 with one-way edges: 4 triangles; 4-5 dangles, 6 is isolated.
    let mut edges = vec![
        (0, 1, 0, 1.0),
        (0, 2, 0, 1.0),
        (0, 3, 0, 1.0),
        (1, 2, 0, 1.0),
        (3, 1, 0, 1.0),
        (2, 3, 0, 1.0),
        (4, 5, 0, 1.0),
    ];
    assert_eq!(triangle_count(&view(7, &[], &edges)), 4);
    // Antiparallel and typed parallel edges and self-loops add nothing.
    edges.extend([(1, 0, 0, 1.0), (2, 1, 7, 1.0), (1, 2, 3, 1.0), (0, 0, 0, 1.0), (3, 3, 1, 1.0)]);
    assert_eq!(triangle_count(&view(7, &[], &edges)), 4);
    assert_eq!(triangle_count(&view(3, &[], &[])), 0);
    assert_eq!(triangle_count(&view(0, &[], &[])), 0);
}

#[test]
fn sssp_takes_the_lightest_parallel_edge() {
    let g = view(3, &[], &[(0, 1, 0, 5.0), (0, 1, 1, 2.0), (1, 2, 0, 0.0), (0, 2, 0, 3.0)]);
    assert_eq!(sssp(&g, 0), vec![0.0, 2.0, 2.0]);
}

#[test]
fn cdlp_breaks_ties_to_the_smallest_label_and_keeps_isolated_labels() {
    // 0 hears labels 1 (out) and 3 (in) once each and takes 1; 2 and 4 are
    // isolated and keep theirs.
    let g = view(5, &[], &[(3, 0, 0, 1.0), (0, 1, 0, 1.0)]);
    assert_eq!(cdlp(&g, 1), vec![1, 0, 2, 0, 4]);
    // 2 is both an in- and an out-neighbour of 0, so its label counts twice.
    let g = view(4, &[], &[(0, 2, 0, 1.0), (2, 0, 0, 1.0), (0, 1, 0, 1.0)]);
    assert_eq!(cdlp(&g, 1), vec![2, 0, 0, 3]);
    assert_eq!(cdlp(&g, 0), vec![0, 1, 2, 3]);
}

#[test]
fn absent_nodes_are_ignored() {
    // Slot 1 is absent; 0 -> 2, 2 -> 3 live; 3 dangles.
    let g = view(4, &[1], &[(0, 2, 0, 1.0), (2, 3, 0, 1.0)]);
    assert_eq!(bfs(&g, 0), vec![0, -1, 1, 2]);
    assert_eq!(sssp(&g, 0), vec![0.0, f64::INFINITY, 1.0, 2.0]);
    assert_eq!(wcc(&g), vec![0, u64::MAX, 0, 0]);
    assert_eq!(cdlp(&g, 3)[1], u64::MAX);
    assert_eq!(lcc(&g), vec![0.0; 4]);
    assert_eq!(k_hop(&g, 0, 5), vec![2, 3]);
    let pr = pagerank(&g, 0.85, 5);
    assert_eq!(pr[1], 0.0);
    assert!((pr.iter().sum::<f64>() - 1.0).abs() < 1e-12, "mass is kept over live nodes");
    // A single live node keeps rank 1; no live node gives all zeros.
    assert_eq!(pagerank(&view(2, &[0], &[]), 0.85, 3), vec![0.0, 1.0]);
    assert_eq!(pagerank(&view(2, &[0, 1], &[]), 0.85, 3), vec![0.0, 0.0]);
}

/// A small deterministic pseudo-random multigraph on `n` nodes, with
/// self-loops, antiparallel and typed parallel edges.
fn random_graph(n: usize, m: usize, seed: u64) -> GraphView {
    let mut state = seed;
    let mut next = |bound: usize| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % bound
    };
    let edges: Vec<_> = (0..m).map(|_| (next(n) as u64, next(n) as u64, next(2) as u32, next(10) as f64)).collect();
    view(n, &[], &edges)
}

#[test]
fn triangle_count_and_lcc_match_brute_force() {
    for seed in 0..20 {
        let g = random_graph(12, 40, seed);
        let n = g.node_count();
        let edge = |u: usize, w: usize| g.out.neighbors(u).contains(&(w as u64));
        let linked = |u: usize, w: usize| u != w && (edge(u, w) || edge(w, u));
        let mut triangles = 0;
        for a in 0..n {
            for b in a + 1..n {
                for c in b + 1..n {
                    triangles += u64::from(linked(a, b) && linked(b, c) && linked(a, c));
                }
            }
        }
        assert_eq!(triangle_count(&g), triangles, "seed {seed}");
        for (v, got) in lcc(&g).into_iter().enumerate() {
            let nbrs: Vec<usize> = (0..n).filter(|&u| linked(u, v)).collect();
            let d = nbrs.len();
            let links = nbrs.iter().flat_map(|&u| nbrs.iter().map(move |&w| (u, w)));
            let links = links.filter(|&(u, w)| u != w && edge(u, w)).count();
            let want = if d < 2 { 0.0 } else { links as f64 / (d * (d - 1)) as f64 };
            assert!((got - want).abs() < 1e-12, "seed {seed} node {v}: {got} vs {want}");
        }
    }
}

#[test]
fn k_hop_agrees_with_bfs() {
    for seed in 0..10 {
        let g = random_graph(30, 45, seed);
        let depth = bfs(&g, 0);
        for k in 0..6 {
            let want: Vec<u64> =
                (0..30).filter(|&v| depth[v] >= 1 && depth[v] <= i64::from(k)).map(|v| v as u64).collect();
            assert_eq!(k_hop(&g, 0, k), want, "seed {seed} k {k}");
        }
    }
}

#[test]
fn direction_optimizing_bfs_agrees_with_top_down() {
    // Dense and sparse graphs, so that both steps and both switches run.
    for (seed, n, m) in (0..30).map(|s| (s, 40 + 10 * (s as usize % 4), [30, 120, 600][s as usize % 3])) {
        let g = random_graph(n, m, seed);
        for source in [0, n / 2, n - 1] {
            assert_eq!(bfs_direction_optimizing(&g, source), bfs(&g, source), "seed {seed} n {n} m {m} from {source}");
        }
    }
}

/// `Edges::distinct` merges its two sorted runs into each distinct target
/// once, in increasing order, whatever repeats within or across them.
#[test]
fn distinct_merges_two_runs_with_repeats() {
    let cases: [(&[u64], &[u64]); 6] = [
        (&[], &[]),
        (&[1, 2, 2, 5], &[]),
        (&[], &[3, 3, 4]),
        (&[1, 3, 3, 7, 9], &[0, 3, 8, 9, 9, 12]),
        (&[4, 4, 4], &[4]),
        (&[2, 6], &[1, 2, 6, 7]),
    ];
    for (a, b) in cases {
        let (wa, wb) = (vec![1.0; a.len()], vec![1.0; b.len()]);
        let mut got = Vec::new();
        Edges::new((a, &wa), (b, &wb)).distinct(|t| got.push(t));
        let mut want: Vec<u64> = a.iter().chain(b).copied().collect();
        want.sort_unstable();
        want.dedup();
        assert_eq!(got, want, "runs {a:?} and {b:?}");
        assert_eq!(Edges::new((a, &wa), (b, &wb)).distinct_count(), want.len());
    }
}
