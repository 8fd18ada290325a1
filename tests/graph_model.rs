//! Differential test: random graph writes against a plain adjacency model,
//! checked through snapshots before and after compaction; every snapshot
//! taken along the way must still equal the model of its moment at the end.

use kvgraph::graph::CompactionPolicy;
use kvgraph::{Config, Direction, Engine, ErrorKind, Snapshot};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const TYPES: [Option<&str>; 3] = [None, Some("A"), Some("B")];

#[derive(Debug, Clone)]
enum Op {
    AddNodes(u64),
    RemoveNode(u64),
    AddEdge(u64, u64, usize, u8),
    RemoveEdge(u64, u64, usize),
    Load(Vec<(u64, u64)>, usize),
    Compact,
    Snapshot,
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u64..12;
    prop_oneof![
        1 => (1u64..4).prop_map(Op::AddNodes),
        1 => id.clone().prop_map(Op::RemoveNode),
        6 => (id.clone(), id.clone(), 0..3usize, 0u8..4).prop_map(|(s, d, t, w)| Op::AddEdge(s, d, t, w)),
        2 => (id.clone(), id.clone(), 0..3usize).prop_map(|(s, d, t)| Op::RemoveEdge(s, d, t)),
        1 => (prop::collection::vec((id.clone(), id), 0..8), 0..3usize).prop_map(|(e, t)| Op::Load(e, t)),
        1 => Just(Op::Compact),
        2 => Just(Op::Snapshot),
    ]
}

/// The model: live nodes and edges `(src, dst, type index) -> weight`.
#[derive(Debug, Clone, Default)]
struct Model {
    next: u64,
    alive: BTreeSet<u64>,
    edges: BTreeMap<(u64, u64, usize), f64>,
}

impl Model {
    fn remove_node(&mut self, id: u64) {
        self.alive.remove(&id);
        self.edges.retain(|&(s, d, _), _| s != id && d != id);
    }
}

impl Model {
    /// Lightest out-edge weight per (src, dst).
    fn out_edges(&self) -> BTreeMap<(u64, u64), f64> {
        let mut out = BTreeMap::new();
        for (&(s, d, _), &w) in &self.edges {
            let e = out.entry((s, d)).or_insert(w);
            *e = f64::min(*e, w);
        }
        out
    }

    /// BFS depths (-1 unreachable) and Bellman-Ford distances from `src`, over `n` ids.
    fn traversals(&self, src: u64, n: usize) -> (Vec<i64>, Vec<f64>) {
        let out = self.out_edges();
        let (mut depth, mut dist) = (vec![-1i64; n], vec![f64::INFINITY; n]);
        depth[src as usize] = 0;
        dist[src as usize] = 0.0;
        for _ in 0..n {
            for (&(s, d), &w) in &out {
                let (s, d) = (s as usize, d as usize);
                if depth[s] >= 0 && (depth[d] < 0 || depth[s] + 1 < depth[d]) {
                    depth[d] = depth[s] + 1;
                }
                dist[d] = dist[d].min(dist[s] + w);
            }
        }
        (depth, dist)
    }

    /// Each node's smallest weakly connected id (`u64::MAX` absent), over `n` ids.
    fn components(&self, n: usize) -> Vec<u64> {
        let mut comp: Vec<u64> = (0..n as u64).map(|u| if self.alive.contains(&u) { u } else { u64::MAX }).collect();
        for _ in 0..n {
            for &(s, d, _) in self.edges.keys() {
                let low = comp[s as usize].min(comp[d as usize]);
                comp[s as usize] = low;
                comp[d as usize] = low;
            }
        }
        comp
    }
}

/// Asserts that the one-pass kernels (BFS, SSSP, k-hop, WCC) on `snap`
/// agree with the model. Called before anything materialises the snapshot,
/// they read a snapshot with a delta in place; afterwards, its CSR.
fn check_kernels(snap: &Snapshot, m: &Model) -> Result<(), TestCaseError> {
    let n = snap.node_count() as usize;
    prop_assert_eq!(snap.wcc(), m.components(n), "wcc");
    for &src in m.alive.iter().take(3) {
        let (depth, dist) = m.traversals(src, n);
        prop_assert_eq!(snap.bfs(src).unwrap(), depth.clone(), "bfs from {}", src);
        prop_assert_eq!(snap.sssp(src).unwrap(), dist, "sssp from {}", src);
        let two: Vec<u64> = (0..n as u64).filter(|&v| depth[v as usize] == 1 || depth[v as usize] == 2).collect();
        prop_assert_eq!(snap.k_hop(src, 2).unwrap(), two, "2-hop of {}", src);
    }
    Ok(())
}

/// Asserts that `snap` shows exactly `m`.
fn check(snap: &Snapshot, m: &Model) -> Result<(), TestCaseError> {
    prop_assert!(snap.node_count() <= m.next);
    for id in 0..m.next {
        prop_assert_eq!(snap.contains_node(id), m.alive.contains(&id), "node {}", id);
    }
    check_kernels(snap, m)?;
    prop_assert_eq!(snap.edge_count(), m.edges.len() as u64);
    let ty_name = |t: usize| TYPES[t].unwrap_or("").to_string();
    for &u in &m.alive {
        let mut want: Vec<_> =
            m.edges.iter().filter(|e| e.0.0 == u).map(|(&(s, d, t), &w)| (s, d, ty_name(t), w)).collect();
        let mut got: Vec<_> =
            snap.edges(u, Direction::Out).unwrap().into_iter().map(|e| (e.src, e.dst, e.edge_type, e.weight)).collect();
        want.sort_by(|a, b| a.partial_cmp(b).unwrap());
        got.sort_by(|a, b| a.partial_cmp(b).unwrap());
        prop_assert_eq!(got, want, "out-edges of {}", u);
        let ins: BTreeSet<u64> = m.edges.keys().filter(|e| e.1 == u).map(|e| e.0).collect();
        prop_assert_eq!(snap.neighbors(u, Direction::In, None).unwrap(), ins.into_iter().collect::<Vec<_>>());
        let typed: BTreeSet<u64> = m.edges.keys().filter(|e| e.0 == u && e.2 == 1).map(|e| e.1).collect();
        prop_assert_eq!(snap.neighbors(u, Direction::Out, Some("A")).unwrap(), typed.into_iter().collect::<Vec<_>>());
    }
    // The materialised view (what analytics read) agrees too.
    let view = snap.view();
    let mut pairs = BTreeSet::new();
    for u in 0..view.node_count() {
        pairs.extend(view.out.neighbors(u).iter().map(|&d| (u as u64, d)));
    }
    let want: BTreeSet<_> = m.edges.keys().map(|e| (e.0, e.1)).collect();
    prop_assert_eq!(pairs, want);
    prop_assert_eq!(&view.inn, &view.out.transpose(), "in-adjacency is the transpose of out-adjacency");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn graph_matches_adjacency_model(ops in prop::collection::vec(op(), 1..60), auto in any::<bool>()) {
        let policy = CompactionPolicy { auto, min_delta: 4, ratio: 0.5 };
        let engine = Engine::with_config(Config { compaction: policy, ..Config::default() });
        let g = engine.graph();
        let mut m = Model::default();
        let mut taken: Vec<(Snapshot, Model)> = Vec::new();
        for op in ops {
            match op {
                Op::AddNodes(n) => {
                    prop_assert_eq!(g.add_nodes(n, Some("L")).unwrap(), m.next);
                    m.alive.extend(m.next..m.next + n);
                    m.next += n;
                }
                Op::RemoveNode(id) => {
                    let r = g.remove_node(id).map_err(|e| e.kind());
                    if m.alive.contains(&id) { prop_assert_eq!(r, Ok(())); m.remove_node(id); }
                    else { prop_assert_eq!(r, Err(ErrorKind::NotFound)); }
                }
                Op::AddEdge(s, d, t, w) => {
                    let r = g.add_edge(s, d, TYPES[t], f64::from(w)).map_err(|e| e.kind());
                    if m.alive.contains(&s) && m.alive.contains(&d) {
                        prop_assert_eq!(r, Ok(()));
                        m.edges.insert((s, d, t), f64::from(w));
                    } else {
                        prop_assert_eq!(r, Err(ErrorKind::NotFound));
                    }
                }
                Op::RemoveEdge(s, d, t) => {
                    let r = g.remove_edge(s, d, TYPES[t]).map_err(|e| e.kind());
                    if m.edges.remove(&(s, d, t)).is_some() { prop_assert_eq!(r, Ok(())); }
                    else { prop_assert_eq!(r, Err(ErrorKind::NotFound)); }
                }
                Op::Load(edges, t) => {
                    let src: Vec<u64> = edges.iter().map(|e| e.0).collect();
                    let dst: Vec<u64> = edges.iter().map(|e| e.1).collect();
                    let r = g.load_edges(&src, &dst, None, TYPES[t]).map_err(|e| e.kind());
                    if edges.iter().all(|(s, d)| m.alive.contains(s) && m.alive.contains(d)) {
                        prop_assert_eq!(r, Ok(()));
                        for (s, d) in edges { m.edges.insert((s, d, t), 1.0); }
                    } else {
                        prop_assert_eq!(r, Err(ErrorKind::NotFound));
                    }
                }
                Op::Compact => { g.compact(); }
                Op::Snapshot => {
                    let snap = g.snapshot();
                    check(&snap, &m)?;
                    taken.push((snap, m.clone()));
                }
            }
        }
        let snap = g.snapshot();
        check(&snap, &m)?;
        g.compact();
        check(&g.snapshot(), &m)?;
        for (snap, model) in &taken {
            check(snap, model)?;
        }
        prop_assert_eq!(g.stats().edges, m.edges.len() as u64);
        prop_assert_eq!(g.stats().nodes, m.alive.len() as u64);
    }
}

#[test]
fn properties_and_labels() {
    let engine = Engine::new();
    let g = engine.graph();
    let a = g.add_node_with(Some("Person"), &[("name", b"John Doe")]).unwrap();
    assert_eq!(g.get_property(a, "name").unwrap().as_deref(), Some(&b"John Doe"[..]));
    assert_eq!(g.get_property(a, "age").unwrap(), None);
    assert_eq!(g.node_label(a).unwrap(), "Person");
    g.remove_node(a).unwrap();
    assert_eq!(g.get_property(a, "name").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(g.set_property(a, "name", b"x").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(g.remove_node(a).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(g.add_node(None).unwrap(), a + 1, "ids are never reused");
}
