#![no_main]
//! Structured fuzzing of the Rust API: an arbitrary engine configuration and
//! sequence of KV operations (with a manual clock for TTLs) and graph
//! operations (nodes, edges, bulk loads, compaction, properties, snapshots),
//! each checked against a plain model — a `BTreeMap` for the KV map, an
//! adjacency map for the graph — after every step. Snapshots taken along the
//! way are checked again, against the model of their moment, later on.
//!
//! Run: `fuzz/run.sh` or `cargo +nightly fuzz run ops` from the repository root.

use arbitrary::Arbitrary;
use kvgraph::graph::CompactionPolicy;
use kvgraph::{Clock, Config, Direction, Engine, ErrorKind, Snapshot};
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

/// The manual clock's start (Unix ms).
const START_MS: u64 = 1_000_000;
/// Node ids stay below this, so that a full check after every step is cheap.
const MAX_NODES: u64 = 40;
/// Snapshots kept alive for later re-checks.
const KEPT_SNAPSHOTS: usize = 4;
const TYPES: [Option<&str>; 3] = [None, Some("A"), Some("B")];
const LABELS: [Option<&str>; 3] = [None, Some("Person"), Some("Ünïcode")];
const PROPS: [&str; 3] = ["name", "age", ""];

/// A key from a small alphabet (so that operations collide), or any bytes.
#[derive(Arbitrary, Debug, Clone)]
enum Key {
    Small(u8),
    Raw(Vec<u8>),
}

impl Key {
    fn bytes(&self) -> Vec<u8> {
        const ALPHABET: [u8; 4] = [0x00, b'a', b'b', 0xff];
        match self {
            Key::Small(n) => (0..(n & 3)).map(|i| ALPHABET[usize::from((n >> (2 + 2 * i)) & 3)]).collect(),
            Key::Raw(b) => b.clone(),
        }
    }
}

/// A value: bytes, or a decimal integer (for `incr`).
#[derive(Arbitrary, Debug, Clone)]
enum Val {
    Bytes(Vec<u8>),
    Int(i8),
    Max,
    Min,
    NotCanonical,
}

impl Val {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Val::Bytes(b) => b.clone(),
            Val::Int(n) => n.to_string().into_bytes(),
            Val::Max => i64::MAX.to_string().into_bytes(),
            Val::Min => i64::MIN.to_string().into_bytes(),
            Val::NotCanonical => b"+01".to_vec(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Delta {
    Small(i8),
    Max,
    Min,
}

impl Delta {
    fn get(self) -> i64 {
        match self {
            Delta::Small(n) => i64::from(n),
            Delta::Max => i64::MAX,
            Delta::Min => i64::MIN,
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Weight {
    Small(i8),
    Infinite,
    NaN,
}

impl Weight {
    fn get(self) -> f64 {
        match self {
            Weight::Small(n) => f64::from(n) / 4.0,
            Weight::Infinite => f64::INFINITY,
            Weight::NaN => f64::NAN,
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
enum Op {
    // KV
    Set(Key, Val),
    SetTtl(Key, Val, u8),
    Insert(Key, Val),
    Get(Key),
    Ttl(Key),
    Delete(Key),
    Cas(Key, Val, Val),
    Incr(Key, Delta),
    Advance(u8),
    Len,
    Scan(Option<Key>, Option<Key>),
    Prefix(Key),
    KvMaintain,
    // Graph (node ids are taken modulo a little more than the ids handed out)
    AddNodes(u8, u8),
    RemoveNode(u8),
    AddEdge(u8, u8, u8, Weight),
    RemoveEdge(u8, u8, u8),
    Load(Vec<(u8, u8)>, u8, Option<Vec<Weight>>),
    Compact,
    GraphMaintain,
    SetProperty(u8, u8, Val),
    GetProperty(u8, u8),
    Label(u8),
    Snapshot,
    Recheck(u8),
    EngineMaintain,
}

#[derive(Arbitrary, Debug)]
struct Input {
    auto_compact: bool,
    min_delta: u8,
    ratio_sixteenths: u8,
    ops: Vec<Op>,
}

/// The KV model: key -> (value, expiry in ms or 0).
#[derive(Default)]
struct KvModel {
    now: u64,
    map: BTreeMap<Vec<u8>, (Vec<u8>, u64)>,
}

impl KvModel {
    fn live(&self, k: &[u8]) -> Option<&(Vec<u8>, u64)> {
        self.map.get(k).filter(|(_, exp)| *exp == 0 || *exp > self.now)
    }

    fn entries(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.map.keys().filter_map(|k| self.live(k).map(|(v, _)| (k.clone(), v.clone()))).collect()
    }
}

/// The graph model: ids handed out, live nodes with their label, edges
/// `(src, dst, type index) -> weight`, properties.
#[derive(Default, Clone, Debug)]
struct GraphModel {
    next: u64,
    alive: BTreeMap<u64, usize>,
    edges: BTreeMap<(u64, u64, usize), f64>,
    props: BTreeMap<(u64, usize), Vec<u8>>,
}

impl GraphModel {
    fn is_alive(&self, id: u64) -> bool {
        self.alive.contains_key(&id)
    }

    fn remove_node(&mut self, id: u64) {
        self.alive.remove(&id);
        self.edges.retain(|&(s, d, _), _| s != id && d != id);
        self.props.retain(|&(n, _), _| n != id);
    }

    /// Distinct out-neighbours (or in-neighbours) of `u`.
    fn neighbors(&self, u: u64, dir: Direction, ty: Option<usize>) -> Vec<u64> {
        let mut set = BTreeSet::new();
        for &(s, d, t) in self.edges.keys() {
            if ty.is_some_and(|ty| ty != t) {
                continue;
            }
            if s == u && matches!(dir, Direction::Out | Direction::Both) {
                set.insert(d);
            }
            if d == u && matches!(dir, Direction::In | Direction::Both) {
                set.insert(s);
            }
        }
        set.into_iter().collect()
    }

    fn bfs(&self, source: u64, n: u64) -> Vec<i64> {
        let mut depth = vec![-1i64; n as usize];
        depth[source as usize] = 0;
        let mut queue = VecDeque::from([source]);
        while let Some(u) = queue.pop_front() {
            for v in self.neighbors(u, Direction::Out, None) {
                if depth[v as usize] < 0 {
                    depth[v as usize] = depth[u as usize] + 1;
                    queue.push_back(v);
                }
            }
        }
        depth
    }

    fn wcc(&self, n: u64) -> Vec<u64> {
        let mut comp: Vec<u64> = (0..n).map(|u| if self.is_alive(u) { u } else { u64::MAX }).collect();
        // Relax to the smallest id over undirected edges until nothing changes.
        loop {
            let mut changed = false;
            for &(s, d, _) in self.edges.keys() {
                let m = comp[s as usize].min(comp[d as usize]);
                for x in [s, d] {
                    if comp[x as usize] != m {
                        comp[x as usize] = m;
                        changed = true;
                    }
                }
            }
            if !changed {
                return comp;
            }
        }
    }

    fn triangles(&self) -> u64 {
        let und: BTreeSet<(u64, u64)> =
            self.edges.keys().filter(|e| e.0 != e.1).map(|&(s, d, _)| (s.min(d), s.max(d))).collect();
        let nodes: Vec<u64> = self.alive.keys().copied().collect();
        let mut count = 0;
        for (i, &a) in nodes.iter().enumerate() {
            for (j, &b) in nodes.iter().enumerate().skip(i + 1) {
                if !und.contains(&(a, b)) {
                    continue;
                }
                count += nodes[j + 1..].iter().filter(|&&c| und.contains(&(a, c)) && und.contains(&(b, c))).count();
            }
        }
        count as u64
    }
}

/// Asserts that `snap` shows exactly the graph of `m`.
fn check_snapshot(snap: &Snapshot, m: &GraphModel) {
    let n = snap.node_count();
    assert!(n <= m.next, "node_count {n} > ids handed out {}", m.next);
    for id in 0..m.next + 2 {
        assert_eq!(snap.contains_node(id), m.is_alive(id), "contains_node({id})");
    }
    assert!(m.alive.keys().all(|&id| id < n));
    assert!(!snap.contains_node(u64::MAX));
    assert_eq!(snap.edge_count(), m.edges.len() as u64, "edge_count");
    let ty_name = |t: usize| TYPES[t].unwrap_or("").to_string();
    let mut in_total = 0;
    for &u in m.alive.keys() {
        let mut want: Vec<_> =
            m.edges.iter().filter(|e| e.0.0 == u).map(|(&(s, d, t), &w)| (s, d, ty_name(t), w)).collect();
        let mut got: Vec<_> =
            snap.edges(u, Direction::Out).unwrap().into_iter().map(|e| (e.src, e.dst, e.edge_type, e.weight)).collect();
        want.sort_by(|a, b| a.partial_cmp(b).unwrap());
        got.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(got, want, "out-edges of {u}");
        let mut want_in: Vec<_> =
            m.edges.iter().filter(|e| e.0.1 == u).map(|(&(s, d, t), &w)| (s, d, ty_name(t), w)).collect();
        let mut got_in: Vec<_> =
            snap.edges(u, Direction::In).unwrap().into_iter().map(|e| (e.src, e.dst, e.edge_type, e.weight)).collect();
        want_in.sort_by(|a, b| a.partial_cmp(b).unwrap());
        got_in.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(got_in, want_in, "in-edges of {u}");
        in_total += got_in.len();
        for dir in [Direction::Out, Direction::In, Direction::Both] {
            assert_eq!(snap.neighbors(u, dir, None).unwrap(), m.neighbors(u, dir, None), "{dir:?} of {u}");
        }
        assert_eq!(snap.neighbors(u, Direction::Out, Some("A")).unwrap(), m.neighbors(u, Direction::Out, Some(1)));
        assert_eq!(snap.neighbors(u, Direction::In, Some("no such type")).unwrap(), Vec::<u64>::new());
    }
    // Every edge is in its source's out-list and its target's in-list.
    assert_eq!(in_total, m.edges.len(), "in-list and out-list counts differ");
    for id in (0..m.next + 2).filter(|&id| !m.is_alive(id)) {
        assert_eq!(snap.neighbors(id, Direction::Out, None).map_err(|e| e.kind()), Err(ErrorKind::NotFound));
        assert_eq!(snap.bfs(id).map_err(|e| e.kind()), Err(ErrorKind::NotFound));
    }
    if let Some((&source, _)) = m.alive.iter().nth(m.alive.len() / 2) {
        assert_eq!(snap.bfs(source).unwrap(), m.bfs(source, n), "bfs from {source}");
    }
    assert_eq!(snap.wcc(), m.wcc(n), "wcc");
    assert_eq!(snap.triangle_count(), m.triangles(), "triangles");
}

/// Picks a node id: mostly ids handed out (live or removed), some unknown.
fn node(id: u8, m: &GraphModel) -> u64 {
    if id == u8::MAX { u64::MAX } else { u64::from(id) % (m.next + 2) }
}

fn kind<T>(r: kvgraph::Result<T>) -> Result<T, ErrorKind> {
    r.map_err(|e| e.kind())
}

fuzz_target!(|input: Input| {
    let clock = Clock::manual(START_MS);
    let policy = CompactionPolicy {
        auto: input.auto_compact,
        min_delta: u64::from(input.min_delta),
        ratio: f64::from(input.ratio_sixteenths % 32) / 16.0,
    };
    let engine = Engine::with_config(Config { compaction: policy, clock: clock.clone(), ..Config::default() });
    let (kv, g) = (engine.kv(), engine.graph());
    let mut km = KvModel { now: START_MS, ..KvModel::default() };
    let mut gm = GraphModel::default();
    let mut kept: VecDeque<(Snapshot, GraphModel)> = VecDeque::new();

    for op in input.ops {
        let graph_op = match op {
            Op::Set(k, v) => {
                kv.set(&k.bytes(), &v.bytes());
                km.map.insert(k.bytes(), (v.bytes(), 0));
                false
            }
            Op::SetTtl(k, v, ttl) => {
                let r = kind(kv.set_with_ttl(&k.bytes(), &v.bytes(), Duration::from_millis(u64::from(ttl))));
                if ttl == 0 {
                    assert_eq!(r, Err(ErrorKind::InvalidArgument));
                } else {
                    assert_eq!(r, Ok(()));
                    km.map.insert(k.bytes(), (v.bytes(), km.now + u64::from(ttl)));
                }
                false
            }
            Op::Insert(k, v) => {
                let fresh = km.live(&k.bytes()).is_none();
                assert_eq!(kv.insert(&k.bytes(), &v.bytes()), fresh, "insert");
                if fresh {
                    km.map.insert(k.bytes(), (v.bytes(), 0));
                }
                false
            }
            Op::Get(k) => {
                assert_eq!(kv.get(&k.bytes()), km.live(&k.bytes()).map(|e| e.0.clone()), "get");
                assert_eq!(kv.contains_key(&k.bytes()), km.live(&k.bytes()).is_some());
                false
            }
            Op::Ttl(k) => {
                let want = km.live(&k.bytes()).map(|&(_, exp)| (exp != 0).then(|| Duration::from_millis(exp - km.now)));
                assert_eq!(kv.ttl(&k.bytes()), want, "ttl");
                false
            }
            Op::Delete(k) => {
                let had = km.live(&k.bytes()).is_some();
                assert_eq!(kv.delete(&k.bytes()), had, "delete");
                km.map.remove(&k.bytes());
                false
            }
            Op::Cas(k, e, d) => {
                let got = kind(kv.compare_and_swap(&k.bytes(), &e.bytes(), &d.bytes()));
                match km.live(&k.bytes()).cloned() {
                    None => assert_eq!(got, Err(ErrorKind::NotFound)),
                    Some((v, _)) if v != e.bytes() => assert_eq!(got, Err(ErrorKind::Conflict)),
                    Some((_, exp)) => {
                        assert_eq!(got, Ok(()));
                        km.map.insert(k.bytes(), (d.bytes(), exp));
                    }
                }
                false
            }
            Op::Incr(k, d) => {
                let got = kind(kv.incr(&k.bytes(), d.get()));
                let (old, exp) = match km.live(&k.bytes()).cloned() {
                    None => (Some(0), 0),
                    Some((v, exp)) => (
                        std::str::from_utf8(&v)
                            .ok()
                            .and_then(|s| s.parse::<i64>().ok())
                            .filter(|n| n.to_string().as_bytes() == v.as_slice()),
                        exp,
                    ),
                };
                match old.and_then(|o| o.checked_add(d.get())) {
                    Some(n) => {
                        assert_eq!(got, Ok(n));
                        km.map.insert(k.bytes(), (n.to_string().into_bytes(), exp));
                    }
                    None => assert_eq!(got, Err(ErrorKind::InvalidArgument)),
                }
                false
            }
            Op::Advance(ms) => {
                clock.advance(Duration::from_millis(u64::from(ms)));
                km.now += u64::from(ms);
                false
            }
            Op::Len => {
                assert_eq!(kv.len(), km.entries().len(), "len");
                assert_eq!(kv.is_empty(), km.entries().is_empty());
                false
            }
            Op::Scan(s, e) => {
                let (s, e) = (s.map(|k| k.bytes()), e.map(|k| k.bytes()));
                let got: Vec<_> = kv.scan(s.as_deref(), e.as_deref()).collect();
                let want: Vec<_> = km
                    .entries()
                    .into_iter()
                    .filter(|(k, _)| s.as_ref().is_none_or(|s| k >= s) && e.as_ref().is_none_or(|e| k < e))
                    .collect();
                assert_eq!(got, want, "scan {s:?}..{e:?}");
                false
            }
            Op::Prefix(p) => {
                let p = p.bytes();
                let got: Vec<_> = kv.scan_prefix(&p).collect();
                let want: Vec<_> = km.entries().into_iter().filter(|(k, _)| k.starts_with(&p)).collect();
                assert_eq!(got, want, "prefix {p:?}");
                false
            }
            Op::KvMaintain => {
                kv.maintain();
                false
            }
            Op::AddNodes(count, label) => {
                let count = u64::from(count % 4);
                if gm.next + count <= MAX_NODES {
                    let label_idx = usize::from(label) % LABELS.len();
                    assert_eq!(kind(g.add_nodes(count, LABELS[label_idx])), Ok(gm.next));
                    gm.alive.extend((gm.next..gm.next + count).map(|id| (id, label_idx)));
                    gm.next += count;
                } else {
                    // Too many ids for the table: refused, nothing handed out.
                    assert_eq!(kind(g.add_nodes(u64::MAX, None)), Err(ErrorKind::InvalidArgument));
                }
                true
            }
            Op::RemoveNode(id) => {
                let id = node(id, &gm);
                let r = kind(g.remove_node(id));
                if gm.is_alive(id) {
                    assert_eq!(r, Ok(()));
                    gm.remove_node(id);
                } else {
                    assert_eq!(r, Err(ErrorKind::NotFound));
                }
                true
            }
            Op::AddEdge(s, d, t, w) => {
                let (s, d, t) = (node(s, &gm), node(d, &gm), usize::from(t) % TYPES.len());
                let r = kind(g.add_edge(s, d, TYPES[t], w.get()));
                if w.get().is_nan() {
                    assert_eq!(r, Err(ErrorKind::InvalidArgument));
                } else if gm.is_alive(s) && gm.is_alive(d) {
                    assert_eq!(r, Ok(()));
                    gm.edges.insert((s, d, t), w.get());
                } else {
                    assert_eq!(r, Err(ErrorKind::NotFound));
                }
                true
            }
            Op::RemoveEdge(s, d, t) => {
                let (s, d, t) = (node(s, &gm), node(d, &gm), usize::from(t) % TYPES.len());
                let r = kind(g.remove_edge(s, d, TYPES[t]));
                if gm.edges.remove(&(s, d, t)).is_some() {
                    assert_eq!(r, Ok(()));
                } else {
                    assert_eq!(r, Err(ErrorKind::NotFound));
                }
                true
            }
            Op::Load(edges, t, weights) => {
                let t = usize::from(t) % TYPES.len();
                let src: Vec<u64> = edges.iter().map(|e| node(e.0, &gm)).collect();
                let dst: Vec<u64> = edges.iter().map(|e| node(e.1, &gm)).collect();
                let weights: Option<Vec<f64>> = weights
                    .map(|w| (0..edges.len()).map(|i| w.get(i).copied().unwrap_or(Weight::Small(1)).get()).collect());
                let r = kind(g.load_edges(&src, &dst, weights.as_deref(), TYPES[t]));
                if weights.as_ref().is_some_and(|w| w.iter().any(|x| x.is_nan())) {
                    assert_eq!(r, Err(ErrorKind::InvalidArgument));
                } else if src.iter().chain(&dst).all(|&id| gm.is_alive(id)) {
                    assert_eq!(r, Ok(()));
                    for i in 0..src.len() {
                        gm.edges.insert((src[i], dst[i], t), weights.as_ref().map_or(1.0, |w| w[i]));
                    }
                } else {
                    assert_eq!(r, Err(ErrorKind::NotFound));
                }
                // A mismatched length is refused whatever the ids.
                if !src.is_empty() {
                    assert_eq!(kind(g.load_edges(&src[1..], &dst, None, None)), Err(ErrorKind::InvalidArgument));
                }
                true
            }
            Op::Compact => {
                g.compact();
                assert_eq!(g.stats().delta_edges, 0, "delta left after compact");
                true
            }
            Op::GraphMaintain => {
                g.maintain();
                true
            }
            Op::SetProperty(id, name, v) => {
                let (id, name) = (node(id, &gm), usize::from(name) % PROPS.len());
                let r = kind(g.set_property(id, PROPS[name], &v.bytes()));
                if gm.is_alive(id) {
                    assert_eq!(r, Ok(()));
                    gm.props.insert((id, name), v.bytes());
                } else {
                    assert_eq!(r, Err(ErrorKind::NotFound));
                }
                false
            }
            Op::GetProperty(id, name) => {
                let (id, name) = (node(id, &gm), usize::from(name) % PROPS.len());
                let r = kind(g.get_property(id, PROPS[name]));
                if gm.is_alive(id) {
                    assert_eq!(r, Ok(gm.props.get(&(id, name)).cloned()), "property {name} of {id}");
                } else {
                    assert_eq!(r, Err(ErrorKind::NotFound));
                }
                false
            }
            Op::Label(id) => {
                let id = node(id, &gm);
                let r = kind(g.node_label(id));
                match gm.alive.get(&id) {
                    Some(&l) => assert_eq!(r, Ok(LABELS[l].unwrap_or("").to_string())),
                    None => assert_eq!(r, Err(ErrorKind::NotFound)),
                }
                assert_eq!(g.contains_node(id), gm.is_alive(id));
                false
            }
            Op::Snapshot => {
                if kept.len() == KEPT_SNAPSHOTS {
                    kept.pop_front();
                }
                kept.push_back((g.snapshot(), gm.clone()));
                false
            }
            Op::Recheck(i) => {
                if !kept.is_empty() {
                    let (snap, model) = &kept[usize::from(i) % kept.len()];
                    check_snapshot(snap, model);
                }
                false
            }
            Op::EngineMaintain => {
                engine.maintain();
                true
            }
        };

        // After every step: the whole KV map equals the model...
        assert_eq!(kv.scan(None, None).collect::<Vec<_>>(), km.entries(), "full scan");
        // ...the graph too, through a fresh snapshot...
        if graph_op {
            let stats = g.stats();
            assert_eq!((stats.nodes, stats.edges), (gm.alive.len() as u64, gm.edges.len() as u64), "graph stats");
            check_snapshot(&g.snapshot(), &gm);
        }
        // ...and the memory manager never frees more than was retired.
        let mem = engine.memory_stats();
        assert!(mem.freed_bytes <= mem.retired_bytes, "{mem:?}");
    }

    // Snapshots answer as they did when taken, whatever happened since.
    for (snap, model) in &kept {
        check_snapshot(snap, model);
    }
    check_snapshot(&g.snapshot(), &gm);
    g.compact();
    check_snapshot(&g.snapshot(), &gm);
    for (snap, model) in &kept {
        check_snapshot(snap, model);
    }
    assert_eq!(kv.len(), km.entries().len());
});
