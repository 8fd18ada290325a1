//! Regression tests for what the fuzzers (fuzz/), the sanitizers
//! (tests/sanitizers.sh) and the soak test (examples/soak.rs) found. Each
//! test says what failed before its fix. Small and deterministic, so that
//! Miri runs them too.

use kvgraph::ffi::kvg_bytes;
use kvgraph::ffi::kvg_status::{self, KVG_INVALID_ARGUMENT as INVALID, KVG_NOT_FOUND as NOT_FOUND, KVG_OK as OK};
use kvgraph::{Config, Engine, ErrorKind};
use std::ffi::c_char;
use std::ptr::{null, null_mut};

/// Opaque handle targets, never dereferenced.
enum Opaque {}
type H = *mut Opaque;

// The C ABI, called through its symbols as a C program does.
unsafe extern "C" {
    fn kvg_engine_open(config: *const u8, out: *mut H) -> kvg_status;
    fn kvg_engine_close(e: H) -> kvg_status;
    fn kvg_kv_get(e: H, k: *const u8, kl: usize, out: *mut kvg_bytes) -> kvg_status;
    fn kvg_kv_scan_open(e: H, s: *const u8, sl: usize, end: *const u8, el: usize, out: *mut H) -> kvg_status;
    fn kvg_kv_iter_next(it: H, key: *mut kvg_bytes, value: *mut kvg_bytes) -> kvg_status;
    fn kvg_kv_iter_close(it: H) -> kvg_status;
    fn kvg_node_label(e: H, id: u64, out: *mut kvg_bytes) -> kvg_status;
    fn kvg_node_get_property(e: H, id: u64, name: *const c_char, out: *mut kvg_bytes) -> kvg_status;
    fn kvg_bytes_free(b: *mut kvg_bytes);
}

/// What an uninitialised `kvg_bytes` in a C program may hold.
fn garbage() -> kvg_bytes {
    kvg_bytes { data: std::ptr::dangling_mut(), len: 7 }
}

fn is_empty(b: &kvg_bytes) -> bool {
    b.data.is_null() && b.len == 0
}

/// fuzz/ffi: a call that failed before reaching its output (NULL or closed
/// engine, NULL key with a length) left the caller's `kvg_bytes` as it was,
/// though the header promises `{NULL, 0}` on failure; a C caller that frees
/// its output unconditionally then freed garbage.
#[test]
fn failed_calls_clear_their_byte_outputs() {
    // SAFETY: every pointer is NULL or valid for the call; handles are tokens.
    unsafe {
        let mut e = null_mut();
        assert_eq!(kvg_engine_open(null(), &mut e), OK);
        // No key is stored, so that Miri can run this test (docs/safety.md, "Tools").
        let mut it = null_mut();
        assert_eq!(kvg_kv_scan_open(e, null(), 0, null(), 0, &mut it), OK);

        let mut out = garbage();
        assert_eq!(kvg_kv_get(null_mut(), b"k".as_ptr(), 1, &mut out), INVALID);
        assert!(is_empty(&out), "kv_get, NULL engine");
        out = garbage();
        assert_eq!(kvg_kv_get(e, null(), 5, &mut out), INVALID);
        assert!(is_empty(&out), "kv_get, NULL key with a length");
        out = garbage();
        assert_eq!(kvg_node_label(null_mut(), 0, &mut out), INVALID);
        assert!(is_empty(&out), "node_label, NULL engine");
        out = garbage();
        assert_eq!(kvg_node_get_property(e, 0, null(), &mut out), INVALID);
        assert!(is_empty(&out), "get_property, NULL name");
        // A NULL key output still clears the value output.
        out = garbage();
        assert_eq!(kvg_kv_iter_next(it, null_mut(), &mut out), INVALID);
        assert!(is_empty(&out), "iter_next, NULL key output");

        let (mut k, mut v) = (garbage(), garbage());
        assert_eq!(kvg_kv_iter_next(it, &mut k, &mut v), NOT_FOUND);
        assert!(is_empty(&k) && is_empty(&v), "iter_next at the end");
        assert_eq!(kvg_kv_iter_close(it), OK);
        assert_eq!(kvg_engine_close(e), OK);
        // Use after close: refused, output cleared.
        out = garbage();
        assert_eq!(kvg_kv_get(e, b"k".as_ptr(), 1, &mut out), INVALID);
        assert!(is_empty(&out), "kv_get, closed engine");
        kvg_bytes_free(&mut out);
        assert!(is_empty(&out));
    }
}

/// fuzz/ops: `add_nodes` with a count past the node table's capacity moved
/// the id counter by `count` first and back after; `u64::MAX` overflowed
/// (`attempt to add with overflow` with debug assertions, a wrapped counter
/// without), and meanwhile other threads could be handed ids already in use
/// or see an absurd node count.
#[test]
fn refused_add_nodes_leaves_ids_alone() {
    let engine = Engine::new();
    let g = engine.graph();
    assert_eq!(g.add_nodes(2, None), Ok(0));
    for count in [u64::MAX, u64::MAX - 1, 1 << 63, 1024 * ((1 << 40) - 1)] {
        assert_eq!(g.add_nodes(count, None).map_err(|e| e.kind()), Err(ErrorKind::InvalidArgument), "{count}");
    }
    assert_eq!(g.add_nodes(1, None), Ok(2));
    assert_eq!(g.snapshot().node_count(), 3);
}

/// The concurrent side of `refused_add_nodes_leaves_ids_alone`: ids handed
/// out while huge requests are being refused stay unique and dense.
#[test]
fn refused_add_nodes_races_with_adds() {
    let rounds = if cfg!(miri) { 20 } else { 20_000 };
    let engine = Engine::new();
    let g = engine.graph();
    let ids = std::thread::scope(|s| {
        let adder = s.spawn(|| (0..rounds).map(|_| g.add_node(None).unwrap()).collect::<Vec<_>>());
        s.spawn(|| {
            for _ in 0..rounds {
                assert!(g.add_nodes(u64::MAX, None).is_err());
                assert!(g.snapshot().node_count() <= rounds);
            }
        });
        adder.join().unwrap()
    });
    assert_eq!(ids, (0..rounds).collect::<Vec<_>>());
}

/// fuzz/ops: compaction subtracted from the delta counter only the records
/// of nodes still alive, so every edge write of a removed node stayed counted
/// for good: `GraphStats::delta_edges` drifted up, and once the drift passed
/// the compaction threshold every edge write triggered a full compaction.
#[test]
fn compaction_absorbs_the_writes_of_removed_nodes() {
    let engine = Engine::new();
    let g = engine.graph();
    let first = g.add_nodes(3, None).unwrap();
    g.add_edge(first, first + 1, None, 1.0).unwrap();
    g.add_edge(first + 1, first + 2, None, 1.0).unwrap();
    g.add_edge(first, first + 2, Some("T"), 1.0).unwrap();
    g.remove_node(first).unwrap();
    assert_eq!(g.stats().delta_edges, 3);
    assert!(g.compact());
    assert_eq!(g.stats().delta_edges, 0);
    assert_eq!(g.stats().edges, 1);
    // The same through a bulk load, which absorbs the delta as well.
    g.add_edge(first + 1, first + 2, None, 2.0).unwrap();
    g.remove_node(first + 1).unwrap();
    g.load_edges(&[first + 2], &[first + 2], None, None).unwrap();
    assert_eq!(g.stats().delta_edges, 0);
}

/// Review of the expiry index (found while writing docs/safety.md): a write
/// removes the index entry of the expiry it replaced after the map update,
/// so a concurrent writer that had just stored a value with that same expiry
/// (and found its index entry already there) lost it; the value was then
/// never swept, and `len()` counted it after it expired.
#[test]
fn racing_ttl_writes_keep_every_expiry_indexed() {
    let keys = if cfg!(miri) { 20 } else { 2_000 };
    let clock = kvgraph::Clock::manual(1_000);
    let engine = Engine::with_config(kvgraph::Config { clock: clock.clone(), ..Default::default() });
    let kv = engine.kv();
    let barrier = &std::sync::Barrier::new(2);
    std::thread::scope(|s| {
        for t in 0..2u64 {
            s.spawn(move || {
                for k in 0..keys {
                    let key = format!("k{k}");
                    barrier.wait();
                    for i in 0..4u64 {
                        // Two TTLs, so that writers swap the same two expiries back and forth.
                        let ttl = std::time::Duration::from_millis(10 + (i + t) % 2);
                        kv.set_with_ttl(key.as_bytes(), b"v", ttl).unwrap();
                    }
                }
            });
        }
    });
    // At 1010 the values expiring then are swept, with their index entries
    // (a stale one may be the only entry of a key whose value expires at 1011).
    clock.advance(std::time::Duration::from_millis(10));
    let live_at_1010 = kv.len();
    clock.advance(std::time::Duration::from_millis(10));
    assert_eq!(kv.len(), 0, "{live_at_1010} live at 1010; values expired at 1011 are still counted");
}

/// Review of the bulk load (docs/safety.md, 7, "Bulk loads"): a load reserves
/// its version before it builds its base and publishes it. A write
/// acknowledged meanwhile has a later version, so a snapshot taken after it
/// picks a version past the load's, over the old base: it misses the load,
/// and a snapshot taken after the publish at the same version sees it.
/// Histories with an observer in that window are not linearizable (a write
/// and a load of the same edge can end in the wrong order). Fixed: writes
/// stamped after an in-flight load wait for it to publish (the load gate).
#[test]
fn snapshots_at_one_version_agree_during_bulk_loads() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let engine = Engine::new();
    let g = engine.graph();
    let first = g.add_nodes(64, None).unwrap();
    let stop = AtomicBool::new(false);
    let (bad, versions) = std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..300u64 {
                g.load_edges(&[first + i % 64], &[first + (i * 7) % 64], None, Some("L")).unwrap();
            }
            stop.store(true, Ordering::SeqCst);
        });
        s.spawn(|| {
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                g.add_edge(first + i % 64, first + (i * 13 + 1) % 64, None, 1.0).unwrap();
                i += 1;
            }
        });
        let mut seen = std::collections::HashMap::new();
        let mut bad = 0;
        while !stop.load(Ordering::SeqCst) {
            let snap = g.snapshot();
            let edges = snap.edge_count();
            let prev = *seen.entry(snap.version()).or_insert(edges);
            if prev != edges && std::env::var("KVG_DEBUG").is_ok() {
                eprintln!("version {} had {prev} edges, now {edges} (base? {:?})", snap.version(), snap);
            }
            bad += usize::from(prev != edges);
        }
        (bad, seen.len())
    });
    assert_eq!(bad, 0, "{bad} of {versions} versions had snapshots with different edge counts");
}

/// Inserts from rayon's global pool, with automatic compactions and bulk
/// loads in flight: a compaction waited for on the pool's own workers (which
/// run queued inserts meanwhile, each starting another compaction) overflowed
/// the stack, and a writer blocked behind a load whose work was queued on the
/// same pool could deadlock. Later, with bases built on a pool of their own,
/// a builder thread holding the compactor lock ran a queued bulk load while
/// it waited in a `join`, and the load blocked on that same lock (found by
/// CI hanging). The lock is now taken on the calling thread, and rayon
/// workers hand the build to a plain thread instead of waiting in the pool.
#[test]
fn rayon_writers_with_compactions_and_bulk_loads() {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    let engine = Engine::new();
    let g = engine.graph();
    let first = g.add_nodes(4096, None).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 0..50u64 {
                g.load_edges(&[first + i % 4096], &[first + (i * 7) % 4096], None, Some("L")).unwrap();
            }
            stop.store(true, Ordering::SeqCst);
        });
        let mut rounds = 0;
        while !stop.load(Ordering::SeqCst) || rounds < 10 {
            (0..10_000u64).into_par_iter().for_each(|i| {
                g.add_edge(first + i % 4096, first + (i * 13 + 1) % 4096, None, 1.0).unwrap();
            });
            rounds += 1;
        }
    });
    assert!(g.stats().compactions > 0);
}

/// Review of the memory table in BENCHMARKS.md: after a compaction retired
/// ~420k delta records, `maintain()` freed almost none of them (it flushed
/// four times, and each flush frees a bounded number of garbage bags). It
/// now keeps flushing while that frees something.
#[test]
fn maintain_frees_a_burst_of_retired_records() {
    let engine = Engine::with_config(Config {
        compaction: kvgraph::graph::CompactionPolicy { auto: false, ..Default::default() },
        ..Config::default()
    });
    let g = engine.graph();
    let first = g.add_nodes(1000, None).unwrap();
    // Enough records for many garbage bags (Miri, which interprets, checks a few).
    let writes = if cfg!(miri) { 2_000 } else { 50_000u64 };
    for i in 0..writes {
        g.add_edge(first + i % 1000, first + (i * 7 + 1) % 1000, None, 1.0).unwrap();
    }
    assert!(g.compact());
    engine.maintain();
    let stats = engine.memory_stats();
    assert!(stats.retired_bytes > 0);
    assert_eq!(stats.freed_bytes, stats.retired_bytes, "all retired memory is freed once threads are quiet");
}
