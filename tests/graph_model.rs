//! Differential test: random graph writes against a plain adjacency model,
//! checked through snapshots before and after compaction; every snapshot
//! taken along the way must still equal the model of its moment at the end.

use kvgraph::graph::{CompactionPolicy, algo};
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
    CreateRel(u64, u64, usize, u8),
    RemoveRel(usize),
    Load(Vec<(u64, u64)>, usize),
    Batch(Vec<BatchOp>),
    Compact,
    Snapshot,
}

/// A write within a batch.
#[derive(Debug, Clone)]
enum BatchOp {
    AddEdge(u64, u64, usize, u8),
    RemoveEdge(u64, u64, usize),
    CreateRel(u64, u64, usize, u8),
    RemoveRel(usize),
    AddNode,
    RemoveNode(u64),
}

fn batch_op() -> impl Strategy<Value = BatchOp> {
    let id = 0u64..12;
    prop_oneof![
        3 => (id.clone(), id.clone(), 0..3usize, 0u8..4).prop_map(|(s, d, t, w)| BatchOp::AddEdge(s, d, t, w)),
        1 => (id.clone(), id.clone(), 0..3usize).prop_map(|(s, d, t)| BatchOp::RemoveEdge(s, d, t)),
        2 => (id.clone(), id, 0..3usize, 0u8..4).prop_map(|(s, d, t, w)| BatchOp::CreateRel(s, d, t, w)),
        1 => (0usize..64).prop_map(BatchOp::RemoveRel),
        1 => Just(BatchOp::AddNode),
        1 => (0u64..14).prop_map(BatchOp::RemoveNode),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u64..12;
    prop_oneof![
        1 => (1u64..4).prop_map(Op::AddNodes),
        1 => id.clone().prop_map(Op::RemoveNode),
        6 => (id.clone(), id.clone(), 0..3usize, 0u8..4).prop_map(|(s, d, t, w)| Op::AddEdge(s, d, t, w)),
        2 => (id.clone(), id.clone(), 0..3usize).prop_map(|(s, d, t)| Op::RemoveEdge(s, d, t)),
        2 => (id.clone(), id.clone(), 0..3usize, 0u8..4).prop_map(|(s, d, t, w)| Op::CreateRel(s, d, t, w)),
        1 => (0usize..64).prop_map(Op::RemoveRel),
        1 => (prop::collection::vec((id.clone(), id), 0..8), 0..3usize).prop_map(|(e, t)| Op::Load(e, t)),
        2 => prop::collection::vec(batch_op(), 1..6).prop_map(Op::Batch),
        1 => Just(Op::Compact),
        2 => Just(Op::Snapshot),
    ]
}

/// Ids the model gives relationships whose real id the engine hands out at
/// commit (`add_edge` of a new edge); above every real one (loaded ids
/// set the top bit only).
const PROVISIONAL: u64 = u64::MAX - (1 << 32);

/// The graph as it should be: live nodes and relationships by id.
#[derive(Debug, Clone, Default)]
struct Model {
    next: u64,
    alive: BTreeSet<u64>,
    rels: BTreeMap<u64, (u64, u64, usize, f64)>,
    provisional: u64,
}

impl Model {
    fn remove_node(&mut self, id: u64) {
        self.alive.remove(&id);
        self.rels.retain(|_, &mut (s, d, _, _)| s != id && d != id);
    }

    fn ids_of(&self, s: u64, d: u64, t: usize) -> Vec<u64> {
        self.rels.iter().filter(|(_, r)| (r.0, r.1, r.2) == (s, d, t)).map(|(&id, _)| id).collect()
    }

    fn ends_alive(&self, s: u64, d: u64) -> bool {
        self.alive.contains(&s) && self.alive.contains(&d)
    }

    /// `add_edge`: update the first relationship of the key, or create one.
    fn add_edge(&mut self, s: u64, d: u64, t: usize, w: f64) -> bool {
        if !self.ends_alive(s, d) {
            return false;
        }
        match self.ids_of(s, d, t).first() {
            Some(id) => self.rels.get_mut(id).unwrap().3 = w,
            None => {
                self.provisional += 1;
                self.rels.insert(PROVISIONAL + self.provisional, (s, d, t, w));
            }
        }
        true
    }

    fn remove_edge(&mut self, s: u64, d: u64, t: usize) -> bool {
        let ids = self.ids_of(s, d, t);
        for id in &ids {
            self.rels.remove(id);
        }
        !ids.is_empty()
    }

    /// The id `pick` chooses among the live relationships, if any.
    fn pick(&self, pick: usize) -> Option<u64> {
        let ids: Vec<u64> = self.rels.keys().copied().filter(|&id| id < PROVISIONAL).collect();
        (!ids.is_empty()).then(|| ids[pick % ids.len()])
    }

    /// Replaces provisional ids by the engine's, which `snap` shows.
    fn learn_ids(&mut self, snap: &Snapshot) {
        let provisional: Vec<u64> = self.rels.keys().copied().filter(|&id| id > PROVISIONAL).collect();
        for tmp in provisional {
            let (s, d, t, w) = self.rels.remove(&tmp).unwrap();
            let known = self.ids_of(s, d, t);
            let rels = snap.relationships(s, Direction::Out, Some(TYPES[t].unwrap_or(""))).unwrap();
            let new: Vec<u64> = rels.iter().filter(|e| e.dst == d && !known.contains(&e.id)).map(|e| e.id).collect();
            assert_eq!(new.len(), 1, "exactly one new relationship of {s} -> {d} type {t}");
            self.rels.insert(new[0], (s, d, t, w));
        }
    }

    /// Lightest weight per (src, dst) pair.
    fn out_edges(&self) -> BTreeMap<(u64, u64), f64> {
        let mut out = BTreeMap::new();
        for &(s, d, _, w) in self.rels.values() {
            let e = out.entry((s, d)).or_insert(w);
            *e = f64::min(*e, w);
        }
        out
    }

    /// BFS depths and SSSP distances from `src` by relaxation.
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

    /// Smallest id per weakly connected component; `u64::MAX` if absent.
    fn components(&self, n: usize) -> Vec<u64> {
        let mut comp: Vec<u64> = (0..n as u64).map(|u| if self.alive.contains(&u) { u } else { u64::MAX }).collect();
        for _ in 0..n {
            for &(s, d, _, _) in self.rels.values() {
                let low = comp[s as usize].min(comp[d as usize]);
                comp[s as usize] = low;
                comp[d as usize] = low;
            }
        }
        comp
    }
}

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
    prop_assert_eq!(snap.edge_count(), m.rels.len() as u64);
    let ty_name = |t: usize| TYPES[t].unwrap_or("").to_string();
    let sorted = |mut v: Vec<(u64, u64, u64, String, f64)>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v
    };
    for &u in &m.alive {
        for (dir, end) in [(Direction::Out, 0), (Direction::In, 1)] {
            let want = m.rels.iter().filter(|(_, r)| [r.0, r.1][end] == u);
            let want = sorted(want.map(|(&id, &(s, d, t, w))| (id, s, d, ty_name(t), w)).collect());
            let got = snap.edges(u, dir).unwrap().into_iter();
            let got = sorted(got.map(|e| (e.id, e.src, e.dst, e.edge_type, e.weight)).collect());
            prop_assert_eq!(got, want, "relationships of {} ({:?})", u, dir);
        }
        let ins: BTreeSet<u64> = m.rels.values().filter(|e| e.1 == u).map(|e| e.0).collect();
        prop_assert_eq!(snap.neighbors(u, Direction::In, None).unwrap(), ins.into_iter().collect::<Vec<_>>());
        let typed: BTreeSet<u64> = m.rels.values().filter(|e| e.0 == u && e.2 == 1).map(|e| e.1).collect();
        prop_assert_eq!(snap.neighbors(u, Direction::Out, Some("A")).unwrap(), typed.into_iter().collect::<Vec<_>>());
    }
    for (&id, &(s, d, t, w)) in &m.rels {
        let got = snap.relationship(id).map(|e| (e.src, e.dst, e.edge_type, e.weight));
        prop_assert_eq!(got, Some((s, d, ty_name(t), w)), "relationship {} by id", id);
    }
    // The materialised view (what analytics read) agrees too.
    // Before `view()`: the kernels below read base plus delta level; after
    // it, the materialised CSR. Both must agree.
    let live = (snap.pagerank(0.85, 5).unwrap(), snap.cdlp(3), snap.lcc(), snap.triangle_count());
    let view = snap.view();
    let on_view = (algo::pagerank(view, 0.85, 5), algo::cdlp(view, 3), algo::lcc(view), algo::triangle_count(view));
    prop_assert_eq!(&live.1, &on_view.1, "cdlp");
    prop_assert_eq!(live.3, on_view.3, "triangles");
    for (a, b) in live.0.iter().zip(&on_view.0).chain(live.2.iter().zip(&on_view.2)) {
        prop_assert!((a - b).abs() < 1e-12, "pagerank / lcc: {} vs {}", a, b);
    }
    let mut pairs = BTreeSet::new();
    for u in 0..view.node_count() {
        pairs.extend(view.out.neighbors(u).iter().map(|&d| (u as u64, d)));
    }
    let want: BTreeSet<_> = m.rels.values().map(|e| (e.0, e.1)).collect();
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
                    if m.add_edge(s, d, t, f64::from(w)) {
                        prop_assert_eq!(r, Ok(()));
                        m.learn_ids(&g.snapshot());
                    } else {
                        prop_assert_eq!(r, Err(ErrorKind::NotFound));
                    }
                }
                Op::RemoveEdge(s, d, t) => {
                    let r = g.remove_edge(s, d, TYPES[t]).map_err(|e| e.kind());
                    if m.remove_edge(s, d, t) { prop_assert_eq!(r, Ok(())); }
                    else { prop_assert_eq!(r, Err(ErrorKind::NotFound)); }
                }
                Op::CreateRel(s, d, t, w) => {
                    let r = g.create_relationship(s, d, TYPES[t], f64::from(w));
                    if m.ends_alive(s, d) {
                        let id = r.unwrap();
                        prop_assert!(!m.rels.contains_key(&id), "fresh id");
                        m.rels.insert(id, (s, d, t, f64::from(w)));
                    } else {
                        prop_assert_eq!(r.map_err(|e| e.kind()), Err(ErrorKind::NotFound));
                    }
                }
                Op::RemoveRel(pick) => {
                    let id = m.pick(pick).unwrap_or(pick as u64 + 1000);
                    let r = g.remove_relationship(id).map_err(|e| e.kind());
                    if m.rels.remove(&id).is_some() { prop_assert_eq!(r, Ok(())); }
                    else { prop_assert_eq!(r, Err(ErrorKind::NotFound)); }
                }
                Op::Load(edges, t) => {
                    let src: Vec<u64> = edges.iter().map(|e| e.0).collect();
                    let dst: Vec<u64> = edges.iter().map(|e| e.1).collect();
                    let r = g.load_edges(&src, &dst, None, TYPES[t]).map_err(|e| e.kind());
                    if edges.iter().all(|&(s, d)| m.ends_alive(s, d)) {
                        prop_assert_eq!(r, Ok(()));
                        for (s, d) in edges { m.add_edge(s, d, t, 1.0); }
                        m.learn_ids(&g.snapshot());
                    } else {
                        prop_assert_eq!(r, Err(ErrorKind::NotFound));
                    }
                }
                Op::Batch(ops) => {
                    let mut next = m.clone();
                    let mut b = g.batch();
                    let mut ok = true;
                    let mut failed_at_commit = false;
                    for op in ops {
                        let (engine, model) = match op {
                            BatchOp::AddEdge(s, d, t, w) => {
                                (b.add_edge(s, d, TYPES[t], f64::from(w)).is_ok(), next.add_edge(s, d, t, f64::from(w)))
                            }
                            BatchOp::RemoveEdge(s, d, t) => {
                                (b.remove_edge(s, d, TYPES[t]).is_ok(), next.remove_edge(s, d, t))
                            }
                            BatchOp::CreateRel(s, d, t, w) => match b.create_relationship(s, d, TYPES[t], f64::from(w)) {
                                Ok(id) => (true, next.rels.insert(id, (s, d, t, f64::from(w))).is_none()),
                                Err(_) => (false, next.ends_alive(s, d)),
                            },
                            BatchOp::RemoveRel(pick) => {
                                let id = next.pick(pick).unwrap_or(pick as u64 + 1000);
                                (b.remove_relationship(id).is_ok(), next.rels.remove(&id).is_some())
                            }
                            BatchOp::AddNode => {
                                let id = b.add_node(&["L"]).unwrap();
                                prop_assert_eq!(id, next.next, "batch nodes take the next ids");
                                next.next += 1;
                                m.next = next.next; // used even if the batch fails
                                (next.alive.insert(id), true)
                            }
                            BatchOp::RemoveNode(id) => {
                                let alive = next.alive.contains(&id);
                                next.remove_node(id);
                                (b.remove_node(id).is_ok(), alive)
                            }
                        };
                        if !model {
                            // Refused now, or (checked against the graph at
                            // commit) accepted now and refused by the commit.
                            (ok, failed_at_commit) = (false, engine);
                            break;
                        }
                        prop_assert!(engine, "a write the model accepts is accepted in the batch");
                    }
                    if ok {
                        // The batch reads its own writes.
                        for &u in next.alive.iter().take(2) {
                            let mut got: Vec<_> = b.edges(u, Direction::Out).unwrap().into_iter().map(|e| (e.dst, e.weight)).collect();
                            let mut want: Vec<_> = next.rels.values().filter(|r| r.0 == u).map(|r| (r.1, r.3)).collect();
                            got.sort_by(|a, b| a.partial_cmp(b).unwrap());
                            want.sort_by(|a, b| a.partial_cmp(b).unwrap());
                            prop_assert_eq!(got, want, "batch reads its own writes at {}", u);
                        }
                        prop_assert!(b.commit().is_ok());
                        m = next;
                        m.learn_ids(&g.snapshot());
                    } else {
                        // A failing batch leaves the graph as it was.
                        let before = g.snapshot().edge_count();
                        if failed_at_commit {
                            prop_assert!(b.commit().is_err(), "the commit refuses what the model refuses");
                        } else {
                            b.abort();
                        }
                        prop_assert_eq!(g.snapshot().edge_count(), before);
                        check(&g.snapshot(), &m)?;
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
        prop_assert_eq!(g.stats().edges, m.rels.len() as u64);
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

/// Which relationships the analytics see: all of every type; BFS, WCC and
/// k-hop follow any of them, SSSP the lightest, and PageRank, LCC and CDLP
/// count parallel ones (several types, or several of one type) once per
/// (src, dst) pair, as the Graphalytics definitions read on simple graphs.
#[test]
fn parallel_relationships_count_once_per_pair() {
    let simple = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 2), (1, 3)];
    let (plain, multi) = (Engine::new(), Engine::new());
    for e in [&plain, &multi] {
        e.graph().add_nodes(6, None).unwrap();
    }
    for &(s, d) in &simple {
        plain.graph().add_edge(s, d, None, 1.0).unwrap();
        let g = multi.graph();
        g.add_edge(s, d, None, 3.0).unwrap();
        g.create_relationship(s, d, None, 1.0).unwrap();
        g.create_relationship(s, d, Some("OTHER"), 2.0).unwrap();
    }
    for compacted in [false, true] {
        if compacted {
            plain.graph().compact();
            multi.graph().compact();
        }
        let (a, b) = (plain.graph().snapshot(), multi.graph().snapshot());
        assert_eq!(b.edge_count(), 3 * a.edge_count(), "every relationship counts as an edge");
        assert_eq!(a.pagerank(0.85, 10).unwrap(), b.pagerank(0.85, 10).unwrap(), "pagerank");
        assert_eq!(a.lcc(), b.lcc(), "lcc");
        assert_eq!(a.cdlp(5), b.cdlp(5), "cdlp");
        assert_eq!(a.wcc(), b.wcc(), "wcc");
        assert_eq!(a.bfs(0).unwrap(), b.bfs(0).unwrap(), "bfs");
        assert_eq!(a.triangle_count(), b.triangle_count(), "triangles");
        assert_eq!(a.sssp(0).unwrap(), b.sssp(0).unwrap(), "sssp takes the lightest relationship");
        assert_eq!(b.relationships(0, Direction::Out, None).unwrap().len(), 3);
        assert_eq!(b.relationships(0, Direction::Out, Some("OTHER")).unwrap().len(), 1);
    }
}

/// `add_edge` updates the first relationship of its key, `remove_edge`
/// removes them all, `remove_relationship` one.
#[test]
fn edge_calls_on_parallel_relationships() {
    let engine = Engine::new();
    let g = engine.graph();
    g.add_nodes(2, None).unwrap();
    let a = g.create_relationship(0, 1, Some("R"), 1.0).unwrap();
    let b = g.create_relationship(0, 1, Some("R"), 2.0).unwrap();
    assert_ne!(a, b);
    g.add_edge(0, 1, Some("R"), 5.0).unwrap();
    assert_eq!(g.relationship(a).unwrap().weight, 5.0);
    assert_eq!(g.relationship(b).unwrap().weight, 2.0);
    g.remove_relationship(a).unwrap();
    assert!(g.relationship(a).is_none());
    assert_eq!(g.remove_relationship(a).unwrap_err().kind(), ErrorKind::NotFound);
    let old = g.snapshot();
    g.remove_edge(0, 1, Some("R")).unwrap();
    assert!(g.relationship(b).is_none());
    assert_eq!(old.relationship(b).unwrap().dst, 1, "an older snapshot still has it");
    assert_eq!(g.remove_edge(0, 1, Some("R")).unwrap_err().kind(), ErrorKind::NotFound);
}
