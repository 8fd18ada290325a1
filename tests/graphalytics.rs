//! Every LDBC Graphalytics reference case, run through the engine: loaded in
//! bulk, inserted edge by edge (all in the delta), compacted, and half and half.

#[path = "common/graphalytics.rs"]
mod graphalytics;

use graphalytics::{Algo, Case, Check, checks, close, load_case};
use kvgraph::graph::CompactionPolicy;
use kvgraph::{Config, Engine, Snapshot};

#[derive(Debug, Clone, Copy)]
enum Load {
    Bulk,
    EdgeByEdge,
    Compacted,
    HalfAndHalf,
}

/// An engine holding `case` (dense id `i` is node `i`), loaded as `how` says.
fn engine_with(case: &Case, how: Load) -> Engine {
    let policy = CompactionPolicy { auto: false, ..CompactionPolicy::default() };
    let engine = Engine::with_config(Config { compaction: policy, ..Config::default() });
    let g = engine.graph();
    assert_eq!(g.add_nodes(case.node_count() as u64, Some("V")).unwrap(), 0);
    let split = match how {
        Load::Bulk => case.edges.len(),
        Load::EdgeByEdge | Load::Compacted => 0,
        Load::HalfAndHalf => case.edges.len() / 2,
    };
    let (bulk, single) = case.edges.split_at(split);
    let src: Vec<u64> = bulk.iter().map(|e| e.0 as u64).collect();
    let dst: Vec<u64> = bulk.iter().map(|e| e.1 as u64).collect();
    let w: Vec<f64> = bulk.iter().map(|e| e.2).collect();
    g.load_edges(&src, &dst, Some(&w), None).unwrap();
    for &(s, d, w) in single {
        g.add_edge(s as u64, d as u64, None, w).unwrap();
    }
    if let Load::Compacted = how {
        assert!(g.compact());
    }
    engine
}

fn verify(case: &Case, snap: &Snapshot, check: &Check) {
    let name = &check.expected;
    let id = |dense: u64| case.ids[dense as usize];
    let node = |original: u64| case.dense(original) as u64;
    match check.algo {
        Algo::Bfs { source } => {
            let got = snap.bfs(node(source)).unwrap();
            for (v, e) in graphalytics::load_expected_i64(name) {
                let e = if e == i64::MAX { -1 } else { e };
                assert_eq!(got[node(v) as usize], e, "{name} vertex {v}");
            }
        }
        Algo::Sssp { source } => {
            let got = snap.sssp(node(source)).unwrap();
            for (v, e) in graphalytics::load_expected_f64(name) {
                assert!(close(e, got[node(v) as usize]), "{name} vertex {v}");
            }
        }
        Algo::PageRank { damping, iterations } => {
            let got = snap.pagerank(damping, iterations).unwrap();
            for (v, e) in graphalytics::load_expected_f64(name) {
                assert!(close(e, got[node(v) as usize]), "{name} vertex {v}");
            }
        }
        Algo::Lcc => {
            let got = snap.lcc();
            for (v, e) in graphalytics::load_expected_f64(name) {
                assert!(close(e, got[node(v) as usize]), "{name} vertex {v}");
            }
        }
        Algo::Wcc => {
            let got = snap.wcc();
            for (v, e) in graphalytics::load_expected_u64(name) {
                assert_eq!(id(got[node(v) as usize]), e, "{name} vertex {v}");
            }
        }
        Algo::Cdlp { iterations } => {
            let got = snap.cdlp(iterations);
            for (v, e) in graphalytics::load_expected_u64(name) {
                assert_eq!(id(got[node(v) as usize]), e, "{name} vertex {v}");
            }
        }
    }
}

#[test]
fn every_reference_case_through_the_engine() {
    let all = checks();
    assert_eq!(all.len(), 24);
    for check in &all {
        let case = load_case(&check.input, check.directed);
        for how in [Load::Bulk, Load::EdgeByEdge, Load::Compacted, Load::HalfAndHalf] {
            let engine = engine_with(&case, how);
            let snap = engine.graph().snapshot();
            assert_eq!(snap.node_count(), case.node_count() as u64);
            verify(&case, &snap, check);
        }
    }
}
