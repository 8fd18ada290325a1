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
