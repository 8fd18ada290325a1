//! Round trips under proptest: random KV and graph operations (with a
//! manual clock for TTLs), saves and reopens interleaved at random, each
//! fsync policy. After every reopen the engine's whole state (KV with
//! remaining TTLs, nodes, labels, typed properties, edges, relationship
//! properties, relationship ids, relationships created one by one and in
//! batches, indexes) and its analytics (BFS, PageRank, WCC) equal what
//! they were before the engine was closed.

#[path = "durability/image.rs"]
mod image;

use image::image;
use kvgraph::{Clock, Config, Direction, Engine, Fsync, SavePolicy, Value};
use proptest::prelude::*;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u8),
    SetTtl(u8, u8, u16),
    Delete(u8),
    Incr(u8, i8),
    Cas(u8, u8, u8),
    Advance(u16),
    AddNodes(u8, Option<u8>),
    Label(u8, u8, bool),
    Prop(u8, u8, i16),
    RelProp(u8, u8, i16),
    Edge(u8, u8, Option<u8>, u8),
    RemoveEdge(u8, u8, Option<u8>),
    RemoveNode(u8),
    Load(Vec<(u8, u8)>),
    CreateRel(u8, u8, Option<u8>, u8),
    RemoveRel(u8),
    PropOfRel(u8, u8, i16),
    Batch(Vec<BatchOp>, bool),
    Index(u8, u8),
    Compact,
    Save,
    Reopen,
}

/// A write within a batch.
#[derive(Debug, Clone)]
enum BatchOp {
    Edge(u8, u8, Option<u8>, u8),
    RemoveEdge(u8, u8, Option<u8>),
    CreateRel(u8, u8, Option<u8>, u8),
    RemoveRel(u8),
    Label(u8, u8, bool),
    Prop(u8, u8, i16),
    /// A property of the relationship the batch created last (else of an existing one).
    PropOfRel(u8, u8, i16),
}

fn batch_op() -> impl Strategy<Value = BatchOp> {
    let ty = || proptest::option::of(0..2u8);
    prop_oneof![
        3 => (any::<u8>(), any::<u8>(), ty(), any::<u8>()).prop_map(|(a, b, t, w)| BatchOp::Edge(a, b, t, w)),
        1 => (any::<u8>(), any::<u8>(), ty()).prop_map(|(a, b, t)| BatchOp::RemoveEdge(a, b, t)),
        3 => (any::<u8>(), any::<u8>(), ty(), any::<u8>()).prop_map(|(a, b, t, w)| BatchOp::CreateRel(a, b, t, w)),
        1 => any::<u8>().prop_map(BatchOp::RemoveRel),
        2 => (any::<u8>(), 0..3u8, any::<bool>()).prop_map(|(n, l, a)| BatchOp::Label(n, l, a)),
        2 => (any::<u8>(), 0..2u8, any::<i16>()).prop_map(|(n, p, v)| BatchOp::Prop(n, p, v)),
        2 => (any::<u8>(), 0..2u8, any::<i16>()).prop_map(|(r, p, v)| BatchOp::PropOfRel(r, p, v)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<u8>()).prop_map(|(k, v)| Op::Set(k % 16, v)),
        2 => (any::<u8>(), any::<u8>(), 1..2000u16).prop_map(|(k, v, t)| Op::SetTtl(k % 16, v, t)),
        2 => any::<u8>().prop_map(|k| Op::Delete(k % 16)),
        2 => (any::<u8>(), any::<i8>()).prop_map(|(k, d)| Op::Incr(k % 16, d)),
        1 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(k, e, d)| Op::Cas(k % 16, e, d)),
        2 => any::<u16>().prop_map(|ms| Op::Advance(ms % 1500)),
        3 => (1..4u8, proptest::option::of(0..3u8)).prop_map(|(n, l)| Op::AddNodes(n, l)),
        2 => (any::<u8>(), 0..3u8, any::<bool>()).prop_map(|(n, l, a)| Op::Label(n, l, a)),
        3 => (any::<u8>(), 0..3u8, any::<i16>()).prop_map(|(n, p, v)| Op::Prop(n, p, v)),
        1 => (0..8u8, 0..2u8, any::<i16>()).prop_map(|(r, p, v)| Op::RelProp(r, p, v)),
        4 => (any::<u8>(), any::<u8>(), proptest::option::of(0..2u8), any::<u8>()).prop_map(|(a, b, t, w)| Op::Edge(a, b, t, w)),
        1 => (any::<u8>(), any::<u8>(), proptest::option::of(0..2u8)).prop_map(|(a, b, t)| Op::RemoveEdge(a, b, t)),
        1 => any::<u8>().prop_map(Op::RemoveNode),
        1 => proptest::collection::vec((any::<u8>(), any::<u8>()), 0..6).prop_map(Op::Load),
        3 => (any::<u8>(), any::<u8>(), proptest::option::of(0..2u8), any::<u8>()).prop_map(|(a, b, t, w)| Op::CreateRel(a, b, t, w)),
        1 => any::<u8>().prop_map(Op::RemoveRel),
        2 => (any::<u8>(), 0..2u8, any::<i16>()).prop_map(|(r, p, v)| Op::PropOfRel(r, p, v)),
        2 => (proptest::collection::vec(batch_op(), 0..6), any::<bool>()).prop_map(|(b, c)| Op::Batch(b, c)),
        1 => (0..3u8, 0..3u8).prop_map(|(l, p)| Op::Index(l, p)),
        1 => Just(Op::Compact),
        1 => Just(Op::Save),
        2 => Just(Op::Reopen),
    ]
}

fn open(dir: &Path, fsync: Fsync, clock: &Clock) -> Engine {
    let save = SavePolicy { rules: vec![] };
    Engine::try_with_config(Config { path: Some(dir.into()), fsync, clock: clock.clone(), save, ..Config::default() })
        .expect("reopen")
}

/// The id of an existing relationship picked by `r` (any id if there are none).
fn rel(e: &Engine, r: u8) -> u64 {
    let s = e.graph().snapshot();
    let mut ids: Vec<u64> =
        (0..s.node_count()).flat_map(|n| s.edges(n, Direction::Out).unwrap_or_default()).map(|e| e.id).collect();
    ids.sort_unstable();
    if ids.is_empty() { r as u64 } else { ids[r as usize % ids.len()] }
}

/// Node id `n` folded onto the ids in use (any id if there are none).
fn node(e: &Engine, n: u8) -> u64 {
    let count = e.graph().snapshot().node_count();
    if count == 0 { n as u64 } else { n as u64 % count }
}

type Analytics = (Vec<i64>, Vec<u64>, Vec<u64>);

fn analytics(e: &Engine) -> Analytics {
    let s = e.graph().snapshot();
    let bfs = (0..s.node_count()).find(|&i| s.contains_node(i)).map_or(vec![], |src| s.bfs(src).unwrap());
    let ranks = s.pagerank(0.85, 10).unwrap().into_iter().map(|r| (r * 1e9).round() as u64).collect();
    (bfs, s.wcc(), ranks)
}

fn apply(e: &Engine, op: &Op) {
    let (kv, g) = (e.kv(), e.graph());
    let label = |l: u8| format!("L{l}");
    let ty = |t: Option<u8>| t.map(|t| format!("T{t}"));
    match op {
        Op::Set(k, v) => kv.set(&[*k], &[*v]),
        Op::SetTtl(k, v, t) => kv.set_with_ttl(&[*k], &[*v], Duration::from_millis(*t as u64)).unwrap(),
        Op::Delete(k) => drop(kv.delete(&[*k])),
        Op::Incr(k, d) => drop(kv.incr(&[*k], *d as i64)),
        Op::Cas(k, x, y) => drop(kv.compare_and_swap(&[*k], &[*x], &[*y])),
        Op::Advance(_) | Op::Save | Op::Reopen => unreachable!("handled by the runner"),
        Op::AddNodes(n, l) => drop(g.add_nodes(*n as u64, l.map(label).as_deref()).unwrap()),
        Op::Label(n, l, add) => {
            let id = node(e, *n);
            drop(if *add { g.add_label(id, &label(*l)) } else { g.remove_label(id, &label(*l)) })
        }
        Op::Prop(n, p, v) => {
            let value = if *v % 7 == 0 {
                Value::Null
            } else if *v % 2 == 0 {
                Value::Int(*v as i64)
            } else {
                Value::from(format!("s{v}").as_str())
            };
            drop(g.set_property_value(node(e, *n), &format!("p{p}"), value))
        }
        Op::RelProp(r, p, v) => drop(g.set_rel_property(*r as u64, &format!("r{p}"), Value::Int(*v as i64))),
        Op::Edge(a, b, t, w) => drop(g.add_edge(node(e, *a), node(e, *b), ty(*t).as_deref(), *w as f64 / 4.0)),
        Op::RemoveEdge(a, b, t) => drop(g.remove_edge(node(e, *a), node(e, *b), ty(*t).as_deref())),
        Op::RemoveNode(n) => drop(g.remove_node(node(e, *n))),
        Op::Load(pairs) => {
            let (src, dst): (Vec<u64>, Vec<u64>) = pairs.iter().map(|&(a, b)| (node(e, a), node(e, b))).unzip();
            drop(g.load_edges(&src, &dst, None, Some("BULK")))
        }
        Op::CreateRel(a, b, t, w) => {
            drop(g.create_relationship(node(e, *a), node(e, *b), ty(*t).as_deref(), *w as f64 / 4.0))
        }
        Op::RemoveRel(r) => drop(g.remove_relationship(rel(e, *r))),
        Op::PropOfRel(r, p, v) => drop(g.set_rel_property(rel(e, *r), &format!("q{p}"), Value::Int(*v as i64))),
        Op::Batch(ops, commit) => {
            let mut b = g.batch();
            let mut created = Vec::new();
            for op in ops {
                let _ = match op {
                    BatchOp::Edge(a, c, t, w) => b.add_edge(node(e, *a), node(e, *c), ty(*t).as_deref(), *w as f64),
                    BatchOp::RemoveEdge(a, c, t) => b.remove_edge(node(e, *a), node(e, *c), ty(*t).as_deref()),
                    BatchOp::CreateRel(a, c, t, w) => b
                        .create_relationship(node(e, *a), node(e, *c), ty(*t).as_deref(), *w as f64)
                        .map(|id| created.push(id)),
                    BatchOp::RemoveRel(r) => match created.pop() {
                        Some(id) if r % 2 == 0 => b.remove_relationship(id),
                        _ => b.remove_relationship(rel(e, *r)),
                    },
                    BatchOp::Label(n, l, true) => b.add_label(node(e, *n), &label(*l)).map(drop),
                    BatchOp::Label(n, l, false) => b.remove_label(node(e, *n), &label(*l)).map(drop),
                    BatchOp::Prop(n, p, v) if v % 5 == 0 => b.remove_property(node(e, *n), &format!("p{p}")).map(drop),
                    BatchOp::Prop(n, p, v) => {
                        b.set_property_value(node(e, *n), &format!("p{p}"), Value::Int(*v as i64))
                    }
                    BatchOp::PropOfRel(r, p, v) => {
                        let id = created.last().copied().unwrap_or_else(|| rel(e, *r));
                        if v % 5 == 0 {
                            b.remove_rel_property(id, &format!("q{p}")).map(drop)
                        } else {
                            b.set_rel_property(id, &format!("q{p}"), Value::Int(*v as i64))
                        }
                    }
                };
            }
            if *commit { drop(b.commit()) } else { b.abort() }
        }
        Op::Index(l, p) => drop(g.create_index(&label(*l), &format!("p{p}"))),
        Op::Compact => drop(g.compact()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn save_and_reopen_restore_state_and_analytics(
        ops in proptest::collection::vec(op(), 1..60),
        policy in prop_oneof![Just(Fsync::Always), Just(Fsync::EverySec), Just(Fsync::Never)],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(1_700_000_000_000);
        let mut e = open(dir.path(), policy, &clock);
        for op in ops.iter().chain([&Op::Reopen]) {
            match op {
                Op::Advance(ms) => clock.advance(Duration::from_millis(*ms as u64)),
                Op::Save => drop(e.save().unwrap()),
                Op::Reopen => {
                    let (before, algos) = (image(&e), analytics(&e));
                    drop(e);
                    e = open(dir.path(), policy, &clock);
                    prop_assert_eq!(&image(&e), &before);
                    prop_assert_eq!(analytics(&e), algos);
                    // The id counters end above every id in use: a new relationship takes a new id.
                    let s = e.graph().snapshot();
                    if let Some(n) = (0..s.node_count()).find(|&n| s.contains_node(n)) {
                        let used: Vec<u64> = before.rel_props.iter().map(|r| r.0).collect();
                        let id = e.graph().create_relationship(n, n, Some("NEW"), 1.0).unwrap();
                        prop_assert!(used.iter().all(|&u| u < id || u >= 1 << 63), "{} reused among {:?}", id, used);
                    }
                }
                op => apply(&e, op),
            }
        }
    }
}
