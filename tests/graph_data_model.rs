//! The data model: labels, typed versioned properties, label and property
//! indexes, write counters. Examples, a differential proptest against a
//! plain model (every snapshot must still equal the model of its moment at
//! the end), and a stress test of concurrent writers against snapshots.

use kvgraph::{Engine, ErrorKind, Snapshot, Value, WriteStats};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

#[test]
fn labels_are_a_set_per_node() {
    let e = Engine::new();
    let g = e.graph();
    let a = g.add_node(Some("Person")).unwrap();
    let b = g.add_node(None).unwrap();
    assert_eq!(g.node_labels(a).unwrap(), ["Person"]);
    assert!(g.node_labels(b).unwrap().is_empty());
    assert!(g.add_label(a, "Admin").unwrap());
    assert!(!g.add_label(a, "Person").unwrap());
    assert!(g.add_label(b, "Admin").unwrap());
    let before = g.snapshot();
    assert!(g.remove_label(a, "Person").unwrap());
    assert!(!g.remove_label(a, "Person").unwrap());
    assert!(!g.remove_label(a, "Unknown").unwrap());
    assert_eq!(g.node_labels(a).unwrap(), ["Admin"]);
    assert_eq!(g.node_label(a).unwrap(), "Admin");
    assert_eq!(before.node_labels(a).unwrap(), ["Admin", "Person"]);
    assert_eq!(before.nodes_with_label("Person"), [a]);
    assert_eq!(before.nodes_with_label("Admin"), [a, b]);
    let now = g.snapshot();
    assert!(now.nodes_with_label("Person").is_empty());
    assert!(g.add_label(a, "Person").unwrap());
    assert_eq!(g.snapshot().nodes_with_label("Person"), [a]);
    assert_eq!(g.add_label(99, "X").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(g.add_label(a, "").unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn bulk_created_labels_are_indexed_without_a_write_per_node() {
    let e = Engine::new();
    let g = e.graph();
    let first = g.add_nodes(1000, Some("City")).unwrap();
    g.add_nodes(10, None).unwrap();
    g.remove_node(first + 3).unwrap();
    g.remove_label(first + 5, "City").unwrap();
    let s = g.snapshot();
    let cities = s.nodes_with_label("City");
    assert_eq!(cities.len(), 998);
    assert!(!cities.contains(&(first + 3)) && !cities.contains(&(first + 5)));
    assert!(s.has_label(first, "City").unwrap());
    assert!(!s.has_label(first + 5, "City").unwrap());
}

#[test]
fn typed_properties_round_trip_and_bytes_calls_keep_working() {
    let e = Engine::new();
    let g = e.graph();
    let a = g.add_node_with(Some("Person"), &[("name", b"Ada")]).unwrap();
    assert_eq!(g.get_property(a, "name").unwrap().as_deref(), Some(&b"Ada"[..]));
    assert_eq!(g.property_value(a, "name").unwrap(), Some(Value::Bytes(b"Ada".to_vec())));
    let mut map = BTreeMap::new();
    map.insert("k".to_owned(), Value::List(vec![Value::Int(1), Value::Float(2.5), Value::Null]));
    let values = [
        Value::Bool(true),
        Value::Int(-7),
        Value::Float(1.5),
        Value::String("Lovelace".into()),
        Value::List(vec![Value::String("x".into())]),
        Value::Map(map),
    ];
    for (i, v) in values.iter().enumerate() {
        g.set_property_value(a, &format!("p{i}"), v.clone()).unwrap();
        assert_eq!(g.property_value(a, &format!("p{i}")).unwrap().as_ref(), Some(v));
    }
    assert_eq!(g.get_property(a, "p3").unwrap().as_deref(), Some(&b"Lovelace"[..]));
    assert_eq!(g.get_property(a, "p1").unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(g.properties(a).unwrap().len(), 7);
    g.set_property_value(a, "p0", Value::Null).unwrap();
    assert!(!g.remove_property(a, "p0").unwrap());
    assert!(g.remove_property(a, "p1").unwrap());
    assert_eq!(g.property_value(a, "p1").unwrap(), None);
    assert_eq!(g.property_value(a, "never").unwrap(), None);
    assert_eq!(g.set_property_value(42, "x", Value::Int(1)).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn snapshots_read_properties_as_of_their_version() {
    let e = Engine::new();
    let g = e.graph();
    let a = g.add_node(None).unwrap();
    let b = g.add_node(None).unwrap();
    let r = g.create_relationship(b, b, Some("T"), 1.0).unwrap();
    let mut snaps = Vec::new();
    for i in 0..50 {
        g.set_property_value(a, "n", Value::Int(i)).unwrap();
        g.set_rel_property(r, "w", Value::Int(i * 2)).unwrap();
        snaps.push(g.snapshot());
        g.maintain();
    }
    g.remove_node(a).unwrap();
    g.maintain();
    for (i, s) in snaps.iter().enumerate() {
        assert_eq!(s.property_value(a, "n").unwrap(), Some(Value::Int(i as i64)));
        assert_eq!(s.rel_property(r, "w"), Some(Value::Int(i as i64 * 2)));
    }
    assert_eq!(g.snapshot().property_value(a, "n").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(g.rel_properties(r), [("w".to_owned(), Value::Int(98))]);
    assert!(g.remove_rel_property(r, "w").unwrap());
    assert_eq!(g.rel_property(r, "w"), None);
    g.set_rel_property(r, "a", Value::Bool(true)).unwrap();
    g.set_rel_property(r, "b", Value::Bool(false)).unwrap();
    let held = g.snapshot();
    assert_eq!(g.clear_rel_properties(r).unwrap(), 2);
    assert!(g.rel_properties(r).is_empty());
    assert_eq!(held.rel_properties(r).len(), 2);
}

#[test]
fn property_indexes_answer_exact_and_range_lookups() {
    let e = Engine::new();
    let g = e.graph();
    let ages = [30i64, 25, 41, 30, 19];
    let people: Vec<u64> = ages
        .iter()
        .map(|&age| {
            let id = g.add_node(Some("Person")).unwrap();
            g.set_property_value(id, "age", Value::Int(age)).unwrap();
            id
        })
        .collect();
    let robot = g.add_node(Some("Robot")).unwrap();
    g.set_property_value(robot, "age", Value::Int(30)).unwrap();
    g.set_property_value(people[4], "age", Value::String("young".into())).unwrap();
    let too_old = g.snapshot();
    assert!(g.create_index("Person", "age").unwrap());
    assert!(!g.create_index("Person", "age").unwrap());
    assert_eq!(g.indexes(), [("Person".to_owned(), "age".to_owned())]);
    assert_eq!(too_old.index_lookup("Person", "age", &Value::Int(30)).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let s = g.snapshot();
    assert_eq!(s.index_lookup("Person", "age", &Value::Int(30)).unwrap(), [people[0], people[3]]);
    assert_eq!(s.index_lookup("Person", "age", &Value::Float(30.0)).unwrap(), [people[0], people[3]]);
    assert_eq!(s.index_lookup("Person", "age", &Value::String("young".into())).unwrap(), [people[4]]);
    let (i25, i30) = (Value::Int(25), Value::Int(30));
    let range = |lo, hi| s.index_range("Person", "age", lo, hi).unwrap();
    assert_eq!(range(Bound::Included(&i25), Bound::Included(&i30)), [people[0], people[1], people[3]]);
    assert_eq!(range(Bound::Excluded(&i25), Bound::Excluded(&i30)), Vec::<u64>::new());
    assert_eq!(range(Bound::Excluded(&i25), Bound::Unbounded), [people[0], people[2], people[3]]);
    assert_eq!(range(Bound::Unbounded, Bound::Excluded(&i30)), [people[1]]);
    assert_eq!(range(Bound::Unbounded, Bound::Unbounded), people);
    let (a, z) = (Value::String("a".into()), Value::String("z".into()));
    assert_eq!(range(Bound::Included(&a), Bound::Unbounded), [people[4]]);
    assert_eq!(range(Bound::Included(&i25), Bound::Included(&z)), Vec::<u64>::new());
    // Writes keep it consistent; older snapshots keep their answers.
    g.set_property_value(people[0], "age", Value::Int(31)).unwrap();
    g.remove_label(people[3], "Person").unwrap();
    g.remove_node(people[1]).unwrap();
    let x = g.add_node(None).unwrap();
    g.set_property_value(x, "age", Value::Int(30)).unwrap();
    g.add_label(x, "Person").unwrap();
    let later = g.snapshot();
    assert_eq!(later.index_lookup("Person", "age", &i30).unwrap(), [x]);
    assert_eq!(later.index_lookup("Person", "age", &Value::Int(31)).unwrap(), [people[0]]);
    assert!(later.index_lookup("Person", "age", &i25).unwrap().is_empty());
    assert_eq!(s.index_lookup("Person", "age", &i30).unwrap(), [people[0], people[3]]);
    assert!(g.drop_index("Person", "age").unwrap());
    assert!(!g.drop_index("Person", "age").unwrap());
    assert_eq!(g.snapshot().index_lookup("Person", "age", &i30).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn counters_count_what_writes_change() {
    let e = Engine::new();
    let g = e.graph();
    let mut stats = WriteStats::default();
    let mut w = g.counted(&mut stats);
    let a = w.add_node(&["Person", "Admin"]).unwrap();
    let b = w.add_node(&[]).unwrap();
    w.add_label(a, "Admin").unwrap();
    w.remove_label(a, "Admin").unwrap();
    w.set_property(a, "x", Value::Int(1)).unwrap();
    w.set_property(a, "x", Value::Null).unwrap();
    w.add_edge(a, b, Some("KNOWS"), 1.0).unwrap();
    w.add_edge(a, b, Some("KNOWS"), 2.0).unwrap();
    w.remove_edge(a, b, Some("KNOWS")).unwrap();
    w.remove_node(b).unwrap();
    assert!(w.set_property(b, "x", Value::Int(1)).is_err());
    let expected = WriteStats {
        nodes_created: 2,
        nodes_deleted: 1,
        relationships_created: 1,
        relationships_deleted: 1,
        properties_set: 2,
        labels_added: 2,
        labels_removed: 1,
    };
    assert_eq!(stats, expected);
    let mut sum = WriteStats::default();
    sum += expected;
    sum += expected;
    assert_eq!(sum.nodes_created, 4);
}

// ---- Differential model ------------------------------------------------

const LABELS: [&str; 3] = ["A", "B", "C"];
const PROPS: [&str; 2] = ["p", "q"];

#[derive(Debug, Clone)]
enum Op {
    AddNodes(u64, Option<usize>),
    RemoveNode(u64),
    AddLabel(u64, usize),
    RemoveLabel(u64, usize),
    Set(u64, usize, i64),
    SetText(u64, usize, u8),
    Remove(u64, usize),
    CreateIndex(usize, usize),
    DropIndex(usize, usize),
    Snapshot,
    Maintain,
    /// A batch of label and property writes; `true`: it fails at commit.
    Batch(Vec<BatchOp>, bool),
}

#[derive(Debug, Clone)]
enum BatchOp {
    AddLabel(u64, usize),
    RemoveLabel(u64, usize),
    Set(u64, usize, i64),
    /// A node with this label (or none).
    AddNode(Option<usize>),
    RemoveNode(u64),
}

fn batch_op() -> impl Strategy<Value = BatchOp> {
    prop_oneof![
        (0u64..10, 0..3usize).prop_map(|(n, l)| BatchOp::AddLabel(n, l)),
        (0u64..10, 0..3usize).prop_map(|(n, l)| BatchOp::RemoveLabel(n, l)),
        (0u64..10, 0..2usize, -3i64..4).prop_map(|(n, p, v)| BatchOp::Set(n, p, v)),
        prop::option::of(0..3usize).prop_map(BatchOp::AddNode),
        (0u64..12).prop_map(BatchOp::RemoveNode),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u64..10;
    prop_oneof![
        2 => (1u64..3, prop::option::of(0..3usize)).prop_map(|(n, l)| Op::AddNodes(n, l)),
        1 => id.clone().prop_map(Op::RemoveNode),
        3 => (id.clone(), 0..3usize).prop_map(|(n, l)| Op::AddLabel(n, l)),
        2 => (id.clone(), 0..3usize).prop_map(|(n, l)| Op::RemoveLabel(n, l)),
        4 => (id.clone(), 0..2usize, -3i64..4).prop_map(|(n, p, v)| Op::Set(n, p, v)),
        1 => (id.clone(), 0..2usize, 0u8..3).prop_map(|(n, p, v)| Op::SetText(n, p, v)),
        1 => (id.clone(), 0..2usize).prop_map(|(n, p)| Op::Remove(n, p)),
        1 => (0..3usize, 0..2usize).prop_map(|(l, p)| Op::CreateIndex(l, p)),
        1 => (0..3usize, 0..2usize).prop_map(|(l, p)| Op::DropIndex(l, p)),
        2 => Just(Op::Snapshot),
        1 => Just(Op::Maintain),
        2 => (prop::collection::vec(batch_op(), 1..6), any::<bool>()).prop_map(|(b, f)| Op::Batch(b, f)),
    ]
}

#[derive(Debug, Clone, Default)]
struct Node {
    labels: BTreeSet<usize>,
    props: BTreeMap<usize, Value>,
}

#[derive(Debug, Clone, Default)]
struct Model {
    next: u64,
    nodes: BTreeMap<u64, Node>,
    /// Declared indexes and when each was created (an op count).
    indexes: BTreeMap<(usize, usize), usize>,
}

/// Checks that `s` shows exactly `m` (indexes: those `m` had when `s` was
/// taken that still exist, created no later).
fn check(s: &Snapshot, m: &Model, indexes_now: &BTreeMap<(usize, usize), usize>) {
    for id in 0..m.next + 2 {
        let Some(node) = m.nodes.get(&id) else {
            assert!(!s.contains_node(id), "node {id}");
            continue;
        };
        let labels: Vec<&str> = node.labels.iter().map(|&l| LABELS[l]).collect();
        assert_eq!(s.node_labels(id).unwrap(), labels, "labels of {id}");
        let props: Vec<(String, Value)> = node.props.iter().map(|(&p, v)| (PROPS[p].to_owned(), v.clone())).collect();
        assert_eq!(s.properties(id).unwrap(), props, "properties of {id}");
    }
    for (l, label) in LABELS.iter().enumerate() {
        let want: Vec<u64> = m.nodes.iter().filter(|(_, n)| n.labels.contains(&l)).map(|(&id, _)| id).collect();
        assert_eq!(s.nodes_with_label(label), want, "label {label}");
    }
    for (&(l, p), _) in m.indexes.iter().filter(|(k, at)| indexes_now.get(k) == Some(at)) {
        let with = |pred: &dyn Fn(&Value) -> bool| -> Vec<u64> {
            let hit = |n: &Node| n.labels.contains(&l) && n.props.get(&p).is_some_and(pred);
            m.nodes.iter().filter(|(_, n)| hit(n)).map(|(&id, _)| id).collect()
        };
        for v in (-3..4).map(Value::Int) {
            let got = s.index_lookup(LABELS[l], PROPS[p], &v).unwrap();
            assert_eq!(got, with(&|x| x == &v), "lookup {v:?}");
        }
        let (lo, hi) = (Value::Int(-1), Value::Float(2.0));
        let got = s.index_range(LABELS[l], PROPS[p], Bound::Excluded(&lo), Bound::Included(&hi)).unwrap();
        let want = with(&|x| matches!(x, Value::Int(i) if *i > -1 && *i <= 2));
        assert_eq!(got, want, "range");
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let e = Engine::new();
    let g = e.graph();
    let mut m = Model::default();
    let mut snaps: Vec<(Snapshot, Model)> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::AddNodes(n, l) => {
                let first = g.add_nodes(n, l.map(|l| LABELS[l])).unwrap();
                prop_assert_eq!(first, m.next);
                for id in first..first + n {
                    m.nodes.insert(id, Node { labels: l.into_iter().collect(), props: BTreeMap::new() });
                }
                m.next += n;
            }
            Op::RemoveNode(id) => {
                prop_assert_eq!(g.remove_node(id).is_ok(), m.nodes.remove(&id).is_some());
            }
            Op::AddLabel(id, l) => match m.nodes.get_mut(&id) {
                Some(n) => prop_assert_eq!(g.add_label(id, LABELS[l]).unwrap(), n.labels.insert(l)),
                None => prop_assert_eq!(g.add_label(id, LABELS[l]).unwrap_err().kind(), ErrorKind::NotFound),
            },
            Op::RemoveLabel(id, l) => match m.nodes.get_mut(&id) {
                Some(n) => prop_assert_eq!(g.remove_label(id, LABELS[l]).unwrap(), n.labels.remove(&l)),
                None => prop_assert!(g.remove_label(id, LABELS[l]).is_err()),
            },
            Op::Set(id, p, v) => set(g, &mut m, id, p, Value::Int(v))?,
            Op::SetText(id, p, v) => set(g, &mut m, id, p, Value::String(format!("t{v}")))?,
            Op::Remove(id, p) => match m.nodes.get_mut(&id) {
                Some(n) => prop_assert_eq!(g.remove_property(id, PROPS[p]).unwrap(), n.props.remove(&p).is_some()),
                None => prop_assert!(g.remove_property(id, PROPS[p]).is_err()),
            },
            Op::CreateIndex(l, p) => {
                let fresh = !m.indexes.contains_key(&(l, p));
                m.indexes.entry((l, p)).or_insert(step);
                prop_assert_eq!(g.create_index(LABELS[l], PROPS[p]).unwrap(), fresh);
            }
            Op::DropIndex(l, p) => {
                prop_assert_eq!(g.drop_index(LABELS[l], PROPS[p]).unwrap(), m.indexes.remove(&(l, p)).is_some())
            }
            Op::Snapshot => snaps.push((g.snapshot(), m.clone())),
            Op::Maintain => g.maintain(),
            Op::Batch(ref writes, fail) => run_batch(g, &mut m, &mut snaps, writes, fail)?,
        }
    }
    snaps.push((g.snapshot(), m.clone()));
    for (s, model) in &snaps {
        check(s, model, &m.indexes);
    }
    Ok(())
}

/// Runs one batch: its own reads follow a copy of the model; a snapshot
/// taken while it is open sees none of it; it lands whole or (failing) not at all.
fn run_batch(
    g: &kvgraph::Graph,
    m: &mut Model,
    snaps: &mut Vec<(Snapshot, Model)>,
    writes: &[BatchOp],
    fail: bool,
) -> Result<(), TestCaseError> {
    let mut next = m.clone();
    let mut b = g.batch();
    for w in writes {
        let id = match *w {
            BatchOp::AddLabel(id, _) | BatchOp::RemoveLabel(id, _) | BatchOp::Set(id, _, _) => id,
            BatchOp::AddNode(l) => {
                let id = b.add_node(&l.map(|l| LABELS[l]).into_iter().collect::<Vec<_>>()).unwrap();
                prop_assert_eq!(id, next.next, "batch nodes take the next ids");
                next.next += 1;
                next.nodes.insert(id, Node { labels: l.into_iter().collect(), props: BTreeMap::new() });
                prop_assert!(b.contains_node(id) && !g.contains_node(id), "only the batch sees its node");
                id
            }
            BatchOp::RemoveNode(id) => {
                prop_assert_eq!(b.remove_node(id).is_ok(), next.nodes.remove(&id).is_some());
                prop_assert!(!b.contains_node(id));
                continue;
            }
        };
        let Some(n) = next.nodes.get_mut(&id) else {
            let outcome = match *w {
                BatchOp::AddLabel(_, l) => b.add_label(id, LABELS[l]).map(drop),
                BatchOp::RemoveLabel(_, l) => b.remove_label(id, LABELS[l]).map(drop),
                BatchOp::Set(_, p, v) => b.set_property_value(id, PROPS[p], Value::Int(v)),
                BatchOp::AddNode(_) | BatchOp::RemoveNode(_) => unreachable!("handled above"),
            };
            prop_assert!(outcome.is_err(), "a write to a missing node {}", id);
            continue;
        };
        match *w {
            BatchOp::AddLabel(_, l) => prop_assert_eq!(b.add_label(id, LABELS[l]).unwrap(), n.labels.insert(l)),
            BatchOp::RemoveLabel(_, l) => prop_assert_eq!(b.remove_label(id, LABELS[l]).unwrap(), n.labels.remove(&l)),
            BatchOp::Set(_, p, v) => {
                b.set_property_value(id, PROPS[p], Value::Int(v)).unwrap();
                n.props.insert(p, Value::Int(v));
            }
            BatchOp::AddNode(_) | BatchOp::RemoveNode(_) => {}
        }
        let labels: Vec<&str> = n.labels.iter().map(|&l| LABELS[l]).collect();
        prop_assert_eq!(b.node_labels(id).unwrap(), labels, "the batch reads its own labels");
        let props: Vec<(String, Value)> = n.props.iter().map(|(&p, v)| (PROPS[p].to_owned(), v.clone())).collect();
        prop_assert_eq!(b.properties(id).unwrap(), props, "the batch reads its own properties");
    }
    snaps.push((g.snapshot(), m.clone()));
    let failing = fail.then(|| next.nodes.keys().next().copied()).flatten();
    if let Some(id) = failing {
        // No such edge by commit time: the batch fails, its node ids unused.
        b.remove_edge(id, id, None).unwrap();
        prop_assert_eq!(b.commit().unwrap_err().kind(), ErrorKind::NotFound);
        m.next = next.next;
    } else {
        b.commit().unwrap();
        *m = next;
    }
    Ok(())
}

fn set(g: &kvgraph::Graph, m: &mut Model, id: u64, p: usize, v: Value) -> Result<(), TestCaseError> {
    match m.nodes.get_mut(&id) {
        Some(n) => {
            g.set_property_value(id, PROPS[p], v.clone()).unwrap();
            n.props.insert(p, v);
        }
        None => prop_assert_eq!(g.set_property_value(id, PROPS[p], v).unwrap_err().kind(), ErrorKind::NotFound),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn data_model_matches_the_model(ops in prop::collection::vec(op(), 1..60)) {
        run(&ops)?;
    }
}

// ---- Stress ------------------------------------------------------------

/// Writers set properties (and move nodes between labels) while readers
/// take snapshots: a snapshot answers the same twice, sees every write
/// acknowledged before it, and its index agrees with its properties.
#[test]
fn concurrent_property_writers_and_repeatable_snapshots() {
    const NODES: u64 = 16;
    const WRITERS: i64 = 3;
    let e = Arc::new(Engine::new());
    let g = e.graph();
    g.add_nodes(NODES, Some("N")).unwrap();
    g.create_index("N", "v").unwrap();
    let acked: Arc<Vec<AtomicI64>> = Arc::new((0..WRITERS).map(|_| AtomicI64::new(-1)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for w in 0..WRITERS {
        let (e, acked) = (Arc::clone(&e), Arc::clone(&acked));
        threads.push(std::thread::spawn(move || {
            let g = e.graph();
            for i in 0..if cfg!(miri) { 20 } else { 3000 } {
                let node = (i as u64 * 7 + w as u64) % NODES;
                g.set_property_value(node, &format!("w{w}"), Value::Int(i)).unwrap();
                g.set_property_value(node, "v", Value::Int(i % 5)).unwrap();
                if i % 10 == 0 {
                    g.remove_label(node, "N").unwrap();
                    g.add_label(node, "N").unwrap();
                }
                acked[w as usize].store(i, Ordering::SeqCst);
                if i % 500 == 0 {
                    g.maintain();
                }
            }
        }));
    }
    for _ in 0..2 {
        let (e, acked, stop) = (Arc::clone(&e), Arc::clone(&acked), Arc::clone(&stop));
        threads.push(std::thread::spawn(move || {
            let g = e.graph();
            while !stop.load(Ordering::SeqCst) {
                let floor: Vec<i64> = acked.iter().map(|a| a.load(Ordering::SeqCst)).collect();
                let s = g.snapshot();
                let read = |s: &Snapshot| -> Vec<Vec<(String, Value)>> {
                    (0..NODES).map(|n| s.properties(n).unwrap()).collect()
                };
                let first = read(&s);
                for (w, &f) in floor.iter().enumerate() {
                    // The newest value writer w acknowledged is on some node.
                    if f >= 0 {
                        let name = format!("w{w}");
                        let max = first.iter().flatten().filter(|(k, _)| *k == name).filter_map(|(_, v)| match v {
                            Value::Int(i) => Some(*i),
                            _ => None,
                        });
                        assert!(max.max().unwrap_or(-1) >= f, "writer {w} acknowledged {f}");
                    }
                }
                for v in 0..5 {
                    let via_index = s.index_lookup("N", "v", &Value::Int(v)).unwrap();
                    let direct: Vec<u64> = (0..NODES)
                        .filter(|&n| {
                            s.has_label(n, "N").unwrap() && s.property_value(n, "v").unwrap() == Some(Value::Int(v))
                        })
                        .collect();
                    assert_eq!(via_index, direct);
                }
                assert_eq!(read(&s), first, "repeatable");
            }
        }));
    }
    let readers = threads.split_off(WRITERS as usize);
    threads.into_iter().for_each(|t| t.join().unwrap());
    stop.store(true, Ordering::SeqCst);
    readers.into_iter().for_each(|t| t.join().unwrap());
}

// ---- Values ------------------------------------------------------------

/// Valid temporal values of every kind, with small ranges mixed in so that
/// equal instants at different offsets turn up.
fn temporal() -> impl Strategy<Value = kvgraph::Temporal> {
    use kvgraph::Temporal;
    let hour = 3_600_000_000_000u64;
    let day_nanos = prop_oneof![0..24 * hour, Just(0), Just(hour)];
    let offset = prop_oneof![-64_800i32..=64_800, Just(0), Just(3600)];
    let sub = prop_oneof![0u32..1_000_000_000, Just(0)];
    let seconds = prop_oneof![-200_000_000_000i64..200_000_000_000, Just(0), Just(3600)];
    prop_oneof![
        prop_oneof![-3_000_000i64..3_000_000, Just(0)].prop_map(Temporal::Date),
        day_nanos.clone().prop_map(Temporal::LocalTime),
        (day_nanos, offset.clone()).prop_map(|(nanos, offset)| Temporal::Time { nanos, offset }),
        (seconds.clone(), sub.clone()).prop_map(|(seconds, nanos)| Temporal::LocalDateTime { seconds, nanos }),
        (seconds, sub.clone(), offset).prop_map(|(seconds, nanos, offset)| Temporal::DateTime {
            seconds,
            nanos,
            offset
        }),
        (prop_oneof![any::<i64>(), -2i64..2], prop_oneof![any::<i64>(), -40i64..40], any::<i64>(), sub)
            .prop_map(|(months, days, seconds, nanos)| Temporal::Duration { months, days, seconds, nanos }),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        temporal().prop_map(Value::Temporal),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![any::<i64>(), -3i64..3, Just(i64::MAX), Just((1 << 53) + 1)].prop_map(Value::Int),
        prop_oneof![any::<f64>(), Just(0.0), Just(-0.0), Just(f64::NAN), Just(2.0), Just(9_007_199_254_740_992.0)]
            .prop_map(Value::Float),
        "[a\\x00b]{0,3}".prop_map(Value::String),
        prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(255)], 0..3).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::List),
            prop::collection::btree_map("[ab]{0,2}", inner, 0..3).prop_map(Value::Map),
        ]
    })
}

proptest! {
    #[test]
    fn sort_keys_order_values_as_the_order_does(a in value(), b in value(), c in value()) {
        prop_assert_eq!(a.sort_key().cmp(&b.sort_key()), a.order(&b));
        prop_assert_eq!(a.order(&b), b.order(&a).reverse());
        if a.order(&b).is_le() && b.order(&c).is_le() {
            prop_assert!(a.order(&c).is_le(), "transitive");
        }
        if let Some(o) = a.compare(&b) {
            prop_assert_eq!(o, a.order(&b));
        }
        let back = Value::decode(&a.encode()).unwrap();
        prop_assert_eq!(back.order(&a), std::cmp::Ordering::Equal);
        prop_assert_eq!(back.encode(), a.encode());
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..48)) {
        if let Ok(v) = Value::decode(&bytes) {
            prop_assert_eq!(Value::decode(&v.encode()).unwrap().encode(), v.encode());
        }
        let mut framed = vec![1u8];
        framed.extend_from_slice(&bytes);
        if let Ok(v) = Value::decode(&framed) {
            prop_assert_eq!(Value::decode(&v.encode()).unwrap().encode(), v.encode());
        }
    }
}

#[test]
fn relationship_properties_live_and_die_with_their_relationship() {
    let e = Engine::new();
    let g = e.graph();
    let (a, b) = (g.add_node(None).unwrap(), g.add_node(None).unwrap());
    let unknown = g.set_rel_property(12345, "w", Value::Int(1)).unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
    let r = g.create_relationship_with(a, b, Some("T"), 1.0, &[("w", Value::Int(3)), ("s", Value::from("x"))]).unwrap();
    assert_eq!(g.rel_property(r, "w"), Some(Value::Int(3)));
    let held = g.snapshot();
    g.remove_relationship(r).unwrap();
    assert!(g.rel_properties(r).is_empty(), "removing a relationship clears its properties");
    assert_eq!(held.rel_properties(r).len(), 2, "a snapshot taken before keeps them");
    assert_eq!(g.set_rel_property(r, "w", Value::Int(1)).unwrap_err().kind(), ErrorKind::NotFound);
    // By remove_edge, and through remove_node.
    let r = g.create_relationship_with(a, b, Some("T"), 1.0, &[("w", Value::Int(4))]).unwrap();
    g.remove_edge(a, b, Some("T")).unwrap();
    assert_eq!(g.rel_property(r, "w"), None);
    let r = g.create_relationship_with(b, a, Some("U"), 1.0, &[("w", Value::Int(5))]).unwrap();
    g.remove_node(a).unwrap();
    assert_eq!(g.rel_property(r, "w"), None);
    // Counted.
    let c = g.add_node(None).unwrap();
    let mut stats = WriteStats::default();
    let mut counted = g.counted(&mut stats);
    let r = counted.create_relationship(b, c, Some("T"), 1.0).unwrap();
    counted.create_relationship_with(b, c, Some("T"), 1.0, &[("w", Value::Int(1))]).unwrap();
    counted.remove_relationship(r).unwrap();
    assert_eq!(
        stats,
        WriteStats { relationships_created: 2, relationships_deleted: 1, properties_set: 1, ..WriteStats::default() }
    );
}

#[test]
fn batches_carry_labels_and_properties_at_one_version() {
    let e = Engine::new();
    let g = e.graph();
    let (a, b) = (g.add_node(None).unwrap(), g.add_node(None).unwrap());
    g.create_index("L", "x").unwrap();
    let before = g.snapshot();
    let mut batch = g.batch();
    assert!(batch.add_label(a, "L").unwrap());
    batch.set_property_value(a, "x", Value::Int(1)).unwrap();
    let r = batch.create_relationship(a, b, Some("T"), 2.0).unwrap();
    batch.set_rel_property(r, "w", Value::Int(7)).unwrap();
    assert_eq!(batch.set_rel_property(999, "w", Value::Int(7)).unwrap_err().kind(), ErrorKind::NotFound);
    // The batch reads its own writes; nobody else does yet.
    assert_eq!(batch.property_value(a, "x").unwrap(), Some(Value::Int(1)));
    assert_eq!(batch.node_labels(a).unwrap(), ["L"]);
    assert_eq!(batch.rel_property(r, "w"), Some(Value::Int(7)));
    let during = g.snapshot();
    assert_eq!(g.property_value(a, "x").unwrap(), None);
    assert_eq!(g.set_property_value(a, "x", Value::Int(9)).unwrap_err().kind(), ErrorKind::Conflict);
    let mut stats = WriteStats::default();
    g.counted(&mut stats).commit(batch).unwrap();
    assert_eq!(
        stats,
        WriteStats { relationships_created: 1, properties_set: 2, labels_added: 1, ..WriteStats::default() }
    );
    let after = g.snapshot();
    for s in [&before, &during] {
        assert_eq!(s.property_value(a, "x").unwrap(), None);
        assert!(s.nodes_with_label("L").is_empty());
        assert!(s.relationship(r).is_none());
        assert_eq!(s.rel_property(r, "w"), None);
    }
    assert_eq!(after.property_value(a, "x").unwrap(), Some(Value::Int(1)));
    assert_eq!(after.index_lookup("L", "x", &Value::Int(1)).unwrap(), [a]);
    assert_eq!(after.rel_property(r, "w"), Some(Value::Int(7)));
    assert!(after.relationship(r).is_some());
    // A failing batch leaves nothing, nor does a dropped one.
    let filled = g.stats();
    let mut failing = g.batch();
    failing.set_property_value(b, "y", Value::Int(3)).unwrap();
    failing.remove_label(a, "L").unwrap();
    failing.remove_relationship(r).unwrap();
    failing.remove_edge(b, a, None).unwrap();
    assert_eq!(failing.commit().unwrap_err().kind(), ErrorKind::NotFound);
    let mut dropped = g.batch();
    dropped.set_rel_property(r, "w", Value::Int(0)).unwrap();
    drop(dropped);
    assert_eq!(g.property_value(b, "y").unwrap(), None);
    assert!(g.has_label(a, "L").unwrap());
    assert_eq!(g.rel_property(r, "w"), Some(Value::Int(7)));
    assert_eq!(g.stats(), filled);
    g.set_property_value(b, "y", Value::Int(4)).unwrap();
    // A batch that removes a relationship clears its properties with it.
    let mut removing = g.batch();
    removing.remove_relationship(r).unwrap();
    removing.commit().unwrap();
    assert_eq!(g.rel_property(r, "w"), None);
    assert_eq!(after.rel_property(r, "w"), Some(Value::Int(7)));
    // A node removed before the commit fails the batch.
    let mut late = g.batch();
    late.set_property_value(b, "z", Value::Int(1)).unwrap();
    g.remove_node(b).unwrap();
    assert_eq!(late.commit().unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn batches_create_and_remove_nodes_at_one_version() {
    let e = Engine::new();
    let g = e.graph();
    let (a, b) = (g.add_node(Some("P")).unwrap(), g.add_node(None).unwrap());
    g.create_index("P", "name").unwrap();
    let r = g.create_relationship(a, b, Some("T"), 1.0).unwrap();
    g.set_rel_property(r, "w", Value::Int(1)).unwrap();
    let before = g.snapshot();
    let mut batch = g.batch();
    let n = batch.add_node(&["P", "Q"]).unwrap();
    batch.set_property_value(n, "name", Value::from("new")).unwrap();
    let r2 = batch.create_relationship(n, a, Some("T"), 2.0).unwrap();
    batch.add_edge(b, n, None, 3.0).unwrap();
    batch.remove_node(b).unwrap();
    // The batch sees its own node and the removal; nobody else does.
    assert!(batch.contains_node(n) && !batch.contains_node(b));
    assert_eq!(batch.node_labels(n).unwrap(), ["P", "Q"]);
    assert_eq!(batch.edges(n, kvgraph::Direction::Both).unwrap().len(), 1, "the edge from b went with b");
    assert_eq!(batch.add_label(b, "P").unwrap_err().kind(), ErrorKind::NotFound);
    assert!(!g.contains_node(n) && g.contains_node(b));
    assert_eq!(g.add_label(n, "X").unwrap_err().kind(), ErrorKind::NotFound, "other writers cannot reach it");
    assert_eq!(g.add_edge(a, n, None, 1.0).unwrap_err().kind(), ErrorKind::NotFound);
    let during = g.snapshot();
    let mut stats = WriteStats::default();
    g.counted(&mut stats).commit(batch).unwrap();
    // b's removal took r and the relationship the batch gave it (counted
    // created and deleted, as Cypher counts them).
    let counts = (stats.nodes_created, stats.nodes_deleted, stats.relationships_created, stats.relationships_deleted);
    assert_eq!(counts, (1, 1, 2, 2));
    let after = g.snapshot();
    for s in [&before, &during] {
        assert!(!s.contains_node(n) && s.contains_node(b));
        assert_eq!(s.nodes_with_label("P"), [a]);
        assert_eq!(s.rel_property(r, "w"), Some(Value::Int(1)));
    }
    assert!(after.contains_node(n) && !after.contains_node(b));
    assert_eq!(after.nodes_with_label("Q"), [n]);
    assert_eq!(after.index_lookup("P", "name", &Value::from("new")).unwrap(), [n]);
    assert!(after.relationship(r).is_none() && after.relationship(r2).is_some());
    assert_eq!(after.edge_count(), 1);
    assert_eq!(g.stats().nodes, 2);

    // A node created and removed in one batch never appears; an aborted
    // or failing batch leaves its node ids unused.
    let mut brief = g.batch();
    let gone = brief.add_node(&[]).unwrap();
    brief.create_relationship(gone, a, None, 1.0).unwrap();
    brief.remove_node(gone).unwrap();
    brief.commit().unwrap();
    let mut aborted = g.batch();
    let never = aborted.add_node(&["P"]).unwrap();
    aborted.abort();
    let mut failing = g.batch();
    let failed = failing.add_node(&[]).unwrap();
    failing.remove_edge(a, a, None).unwrap();
    assert_eq!(failing.commit().unwrap_err().kind(), ErrorKind::NotFound);
    for id in [gone, never, failed] {
        assert!(!g.contains_node(id), "node {id}");
        assert_eq!(g.add_label(id, "P").unwrap_err().kind(), ErrorKind::NotFound);
    }
    assert_eq!(g.snapshot().nodes_with_label("P"), [a, n]);
    assert_eq!(g.snapshot().edge_count(), 1);
    assert_eq!(g.stats().nodes, 2);
    assert!(g.add_node(None).unwrap() > failed, "ids are never handed out twice");

    // A relationship another writer adds after the batch removed its node
    // fails the batch with a conflict, which leaves nothing behind.
    let mut racing = g.batch();
    racing.remove_node(a).unwrap();
    g.add_edge(n, a, Some("U"), 1.0).unwrap();
    assert_eq!(racing.commit().unwrap_err().kind(), ErrorKind::Conflict);
    assert!(g.contains_node(a) && g.snapshot().relationship(r2).is_some());
}
