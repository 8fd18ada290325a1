//! Stress tests with real threads on shared keys and nodes.

use kvgraph::graph::CompactionPolicy;
use kvgraph::{Config, Direction, Engine};
use std::collections::BTreeSet;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

const THREADS: usize = 4;

#[test]
fn concurrent_incr_totals_are_exact() {
    let engine = Engine::new();
    thread::scope(|s| {
        for t in 0..THREADS {
            let kv = engine.kv();
            s.spawn(move || {
                for i in 0..5_000 {
                    kv.incr(b"shared", 1).unwrap();
                    kv.incr(format!("k{}", i % 7).as_bytes(), if t % 2 == 0 { 2 } else { -1 }).unwrap();
                }
            });
        }
    });
    assert_eq!(engine.kv().get(b"shared").unwrap(), (THREADS * 5_000).to_string().into_bytes());
    let per_key: i64 = (0..7).map(|k| engine.kv().incr(format!("k{k}").as_bytes(), 0).unwrap()).sum();
    assert_eq!(per_key, 5_000 * (2 * 2 - 2));
}

#[test]
fn exactly_one_insert_wins_per_key() {
    let engine = Engine::new();
    let barrier = Barrier::new(THREADS);
    let wins: Vec<Vec<u32>> = thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let (kv, barrier) = (engine.kv(), &barrier);
                s.spawn(move || {
                    barrier.wait();
                    (0..2_000u32).filter(|k| kv.insert(&k.to_be_bytes(), &[t as u8])).collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut all: Vec<u32> = wins.iter().flatten().copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..2_000).collect::<Vec<_>>(), "every key inserted exactly once");
    for (t, keys) in wins.iter().enumerate() {
        for k in keys {
            assert_eq!(engine.kv().get(&k.to_be_bytes()).unwrap(), vec![t as u8], "the winner's value stays");
        }
    }
}

#[test]
fn cas_counters_lose_no_update() {
    let engine = Engine::new();
    engine.kv().set(b"c", b"0");
    thread::scope(|s| {
        for _ in 0..THREADS {
            let kv = engine.kv();
            s.spawn(move || {
                let mut done = 0;
                while done < 2_000 {
                    let cur = kv.get(b"c").unwrap();
                    let n: u64 = std::str::from_utf8(&cur).unwrap().parse().unwrap();
                    if kv.compare_and_swap(b"c", &cur, (n + 1).to_string().as_bytes()).is_ok() {
                        done += 1;
                    }
                }
            });
        }
    });
    assert_eq!(engine.kv().get(b"c").unwrap(), (THREADS * 2_000).to_string().into_bytes());
}

#[test]
fn get_never_misses_a_key_being_overwritten() {
    let engine = Engine::new();
    let kv = engine.kv();
    for k in 0..64u8 {
        kv.set(&[k], b"v0");
    }
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..200_000u32 {
                kv.set(&[(i % 64) as u8], &i.to_le_bytes());
            }
            stop.store(true, Ordering::Relaxed);
        });
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for k in 0..64u8 {
                    assert!(kv.get(&[k]).is_some(), "key {k} vanished while overwritten");
                }
            }
        });
    });
}

#[test]
fn scans_during_writes_are_sorted_unique_and_complete() {
    let engine = Engine::new();
    let kv = engine.kv();
    // Even keys stay for the whole test; odd keys come and go.
    for k in (0..4_000u32).step_by(2) {
        kv.set(&k.to_be_bytes(), b"stable");
    }
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        for t in 0..2u32 {
            let (kv, stop) = (kv, &stop);
            s.spawn(move || {
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let k = (i % 2_000) * 2 + 1;
                    if i % 3 == 0 {
                        kv.delete(&k.to_be_bytes());
                    } else {
                        kv.set(&k.to_be_bytes(), b"churn");
                    }
                    kv.set(&((i % 2_000) * 2).to_be_bytes(), b"stable");
                    i += 2;
                }
            });
        }
        for _ in 0..50 {
            let keys: Vec<u32> = kv.scan(None, None).map(|(k, _)| u32::from_be_bytes(k.try_into().unwrap())).collect();
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
            let present: BTreeSet<u32> = keys.iter().copied().collect();
            assert!((0..4_000).step_by(2).all(|k| present.contains(&k)), "every stable key seen");
        }
        stop.store(true, Ordering::Relaxed);
    });
}

#[test]
fn garbage_stays_bounded_and_drains_when_quiet() {
    let engine = Engine::new();
    let kv = engine.kv();
    let value = [7u8; 100];
    let rounds: u32 = if cfg!(debug_assertions) { 200_000 } else { 2_000_000 };
    let peak = std::sync::Mutex::new(0u64);
    thread::scope(|s| {
        for t in 0..2u32 {
            let (kv, peak, engine) = (kv, &peak, &engine);
            s.spawn(move || {
                for i in 0..rounds {
                    let k = (i.wrapping_mul(2_654_435_761).wrapping_add(t)) % 10_000;
                    if i % 4 == 0 {
                        kv.delete(&k.to_be_bytes());
                    } else {
                        kv.set(&k.to_be_bytes(), &value);
                    }
                    if i % 10_000 == 0 {
                        let p = engine.memory_stats().pending_bytes();
                        let mut m = peak.lock().unwrap();
                        *m = (*m).max(p);
                    }
                }
            });
        }
    });
    let stats = engine.memory_stats();
    let peak = *peak.lock().unwrap();
    assert!(stats.retired_bytes > 100 * u64::from(rounds), "the workload retired memory: {stats:?}");
    // Garbage is bounded by a few epochs' worth of retirements, not by the workload.
    assert!(peak < 32 << 20, "pending garbage peaked at {peak} bytes");
    engine.maintain();
    let after = engine.memory_stats().pending_bytes();
    assert!(after < 256 << 10, "quiet engine still holds {after} bytes of garbage");
}

#[test]
fn graph_snapshots_stay_consistent_under_writers_and_compaction() {
    let policy = CompactionPolicy { auto: true, min_delta: 256, ratio: 0.25 };
    let engine = Engine::with_config(Config { compaction: policy, ..Config::default() });
    let g = engine.graph();
    let n = 64u64;
    g.add_nodes(n, None).unwrap();
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        for t in 0..2u64 {
            let (g, stop) = (g, &stop);
            s.spawn(move || {
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let (a, b) = (i % n, (i * 7 + 3) % n);
                    if i % 5 == 0 {
                        let _ = g.remove_edge(a, b, None);
                    } else {
                        g.add_edge(a, b, None, i as f64).unwrap();
                    }
                    i += 2;
                }
            });
        }
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                g.compact();
                thread::yield_now();
            }
        });
        for _ in 0..200 {
            let snap = g.snapshot();
            let read = |snap: &kvgraph::Snapshot| -> Vec<Vec<(u64, u64)>> {
                (0..n)
                    .map(|u| snap.edges(u, Direction::Out).unwrap().iter().map(|e| (e.dst, e.weight as u64)).collect())
                    .collect()
            };
            let first = read(&snap);
            let count = snap.edge_count();
            let wcc = snap.wcc();
            thread::yield_now();
            assert_eq!(read(&snap), first, "a snapshot answers the same way twice");
            assert_eq!(snap.edge_count(), count);
            assert_eq!(snap.wcc(), wcc);
            // Out- and in-lists agree, and nothing is duplicated.
            let outs: usize = first.iter().map(Vec::len).sum();
            let ins: usize = (0..n).map(|u| snap.edges(u, Direction::In).unwrap().len()).sum();
            assert_eq!(outs as u64, count);
            assert_eq!(ins as u64, count);
            for list in &first {
                assert!(list.windows(2).all(|w| w[0].0 < w[1].0), "one edge per (src, dst)");
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(g.stats().compactions > 0);
}

#[test]
fn acknowledged_writes_are_visible_to_later_snapshots() {
    let engine = Engine::new();
    let g = engine.graph();
    g.add_nodes(2, None).unwrap();
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..2_000u64 {
                g.add_edge(0, 1, None, i as f64).unwrap();
                // Acknowledged: any snapshot from now on sees weight >= i.
                let w = g.snapshot().edges(0, Direction::Out).unwrap()[0].weight;
                assert!(w >= i as f64, "snapshot missed an acknowledged write");
            }
        });
        s.spawn(|| {
            for _ in 0..50 {
                g.compact();
            }
        });
    });
}

/// Batches committing while snapshots are read: a snapshot sees every batch
/// whole or not at all, in both directions (each batch adds 4 relationships
/// from node 0 and 4 into node 1).
#[test]
fn batches_are_all_or_nothing_under_readers_and_compaction() {
    let config =
        Config { compaction: CompactionPolicy { auto: true, min_delta: 64, ratio: 0.5 }, ..Default::default() };
    let engine = std::sync::Arc::new(Engine::with_config(config));
    engine.graph().add_nodes(8, None).unwrap();
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let writer = {
        let (engine, done) = (engine.clone(), done.clone());
        thread::spawn(move || {
            for i in 0..400u64 {
                let mut b = engine.graph().batch();
                for k in 0..4 {
                    b.create_relationship(0, 2 + (i + k) % 6, None, 1.0).unwrap();
                    b.create_relationship(2 + (i + k) % 6, 1, None, 1.0).unwrap();
                }
                b.commit().unwrap();
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    while !done.load(Ordering::SeqCst) {
        let snap = engine.graph().snapshot();
        let out = snap.edges(0, Direction::Out).unwrap().len();
        let inn = snap.edges(1, Direction::In).unwrap().len();
        assert_eq!(out % 4, 0, "a batch is seen whole");
        assert_eq!(out, inn, "both directions of every batch");
        assert_eq!(snap.edges(0, Direction::Out).unwrap().len(), out, "repeatable");
    }
    writer.join().unwrap();
    assert_eq!(engine.graph().snapshot().edge_count(), 400 * 8);
}

/// Batches of relationships, labels and properties committing while
/// snapshots are read, with failing batches in between: every snapshot sees
/// each batch whole or not at all, and never anything of a failed one.
#[test]
fn batches_with_properties_are_all_or_nothing_under_snapshots() {
    use kvgraph::Value;
    let engine = std::sync::Arc::new(Engine::new());
    let g = engine.graph();
    g.add_nodes(8, None).unwrap();
    g.create_index("L", "n").unwrap();
    let done = std::sync::Arc::new(AtomicBool::new(false));
    const BATCHES: i64 = 300;
    let writer = {
        let (engine, done) = (engine.clone(), done.clone());
        thread::spawn(move || {
            let g = engine.graph();
            for i in 0..BATCHES {
                let mut b = g.batch();
                let r = b.create_relationship(0, 2 + i as u64 % 6, None, 1.0).unwrap();
                b.set_rel_property(r, "i", Value::Int(i)).unwrap();
                b.set_property_value(0, "n", Value::Int(i)).unwrap();
                b.set_property_value(1, "n", Value::Int(i)).unwrap();
                if i % 2 == 0 {
                    b.add_label(1, "L").unwrap()
                } else {
                    b.remove_label(1, "L").unwrap()
                };
                b.commit().unwrap();
                let mut failing = g.batch();
                failing.set_property_value(0, "n", Value::Int(-1)).unwrap();
                failing.add_label(2, "L").unwrap();
                failing.remove_edge(1, 0, None).unwrap();
                assert!(failing.commit().is_err());
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    let mut seen = 0;
    while !done.load(Ordering::SeqCst) || seen == 0 {
        let snap = g.snapshot();
        let n = |id| snap.property_value(id, "n").unwrap();
        let (n0, n1) = (n(0), n(1));
        assert_eq!(n0, n1, "both nodes' properties of one batch");
        let rels = snap.relationships(0, Direction::Out, None).unwrap();
        let committed = match n0 {
            Some(Value::Int(i)) => i + 1,
            None => 0,
            other => panic!("a failed batch's value {other:?}"),
        };
        assert_eq!(rels.len() as i64, committed, "relationships with the properties");
        for r in &rels {
            assert!(matches!(snap.rel_property(r.id, "i"), Some(Value::Int(_))), "a relationship with its property");
        }
        let labelled = committed > 0 && (committed - 1) % 2 == 0;
        assert_eq!(snap.has_label(1, "L").unwrap(), labelled, "the label with the property");
        assert!(!snap.has_label(2, "L").unwrap(), "nothing of a failed batch");
        let indexed = snap.index_lookup("L", "n", &n0.clone().unwrap_or(Value::Null)).unwrap();
        assert_eq!(indexed, if labelled { vec![1] } else { vec![] }, "the index entry with its label");
        seen += 1;
    }
    writer.join().unwrap();
    assert_eq!(g.snapshot().relationships(0, Direction::Out, None).unwrap().len() as i64, BATCHES);
}

/// Batches that each create a node joined to a hub and remove the node the
/// previous batch created, while snapshots are read and compaction runs:
/// every snapshot sees exactly one such node with its two relationships
/// (the hub's degree and the live node count move together), repeatably.
#[test]
fn batches_creating_and_removing_nodes_are_all_or_nothing_under_snapshots() {
    let config =
        Config { compaction: CompactionPolicy { auto: true, min_delta: 64, ratio: 0.5 }, ..Default::default() };
    let engine = std::sync::Arc::new(Engine::with_config(config));
    let g = engine.graph();
    let hub = g.add_node(Some("Hub")).unwrap();
    let first = g.add_node(Some("Leaf")).unwrap();
    g.add_edge(hub, first, None, 1.0).unwrap();
    g.add_edge(first, hub, None, 1.0).unwrap();
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let writer = {
        let (engine, done) = (engine.clone(), done.clone());
        thread::spawn(move || {
            let g = engine.graph();
            let mut previous = first;
            for _ in 0..300 {
                let mut b = g.batch();
                let leaf = b.add_node(&["Leaf"]).unwrap();
                b.create_relationship(hub, leaf, None, 1.0).unwrap();
                b.create_relationship(leaf, hub, None, 1.0).unwrap();
                b.remove_node(previous).unwrap();
                b.commit().unwrap();
                let mut aborted = g.batch();
                aborted.add_node(&["Leaf"]).unwrap();
                aborted.remove_node(leaf).unwrap();
                drop(aborted);
                previous = leaf;
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    while !done.load(Ordering::SeqCst) {
        let snap = engine.graph().snapshot();
        let leaves = snap.nodes_with_label("Leaf");
        assert_eq!(leaves.len(), 1, "one leaf at a time: {leaves:?}");
        let out = snap.neighbors(hub, Direction::Out, None).unwrap();
        let inn = snap.neighbors(hub, Direction::In, None).unwrap();
        assert_eq!(
            (out.as_slice(), inn.as_slice()),
            (leaves.as_slice(), leaves.as_slice()),
            "the leaf's edges with it"
        );
        assert_eq!((0..snap.node_count()).filter(|&id| snap.contains_node(id)).count(), 2);
        assert_eq!(snap.nodes_with_label("Leaf"), leaves, "repeatable");
    }
    writer.join().unwrap();
    assert_eq!(engine.graph().stats().nodes, 2);
}
