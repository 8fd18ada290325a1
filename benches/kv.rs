//! KV map benchmarks: kvgraph's `Kv` against crossbeam's `SkipMap`, scc's
//! `TreeIndex` and `RwLock<BTreeMap>`, in the same criterion groups so that
//! the figures compare on one (noisy, shared) machine.
//!
//! `N` keys (16 bytes) with 100-byte values are preloaded, then each workload
//! runs on 1 and 2 threads: uniform get, uniform set, YCSB-A (50% read / 50%
//! update, Zipf 0.99), YCSB-B (95/5) and YCSB-E (95% scans of 1..=100 keys
//! from a Zipf-chosen start / 5% inserts of new keys).
//!
//! ```text
//! cargo bench --bench kv                      # N = 1_000_000
//! KVG_BENCH_KEYS=100000 cargo bench --bench kv
//! KVG_BENCH_SECS=5 cargo bench --bench kv     # longer measurement per benchmark
//! ```
//! A markdown summary (median throughput, kvgraph's speed-up over each peer)
//! is printed at the end and written to `target/bench-summary/kv.md`.

#[path = "../examples/common/datagen.rs"]
mod datagen;
#[path = "common/summary.rs"]
mod summary;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use datagen::{Rng64, Zipf, kv_key, kv_value};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::ops::Bound;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The operations every structure under test offers, so that each workload
/// is written once. Values are read in place where the structure allows it
/// (kvgraph's `get` returns an owned copy: that is its API).
trait Store: Sync {
    /// Name in reports.
    const NAME: &'static str;
    fn new() -> Self;
    /// Reads `key`; returns the value's length (0 if absent).
    fn get(&self, key: &[u8]) -> usize;
    /// Sets `key` to `value` (insert or overwrite).
    fn set(&self, key: &[u8], value: &[u8]);
    /// Reads up to `n` entries from `start` on, in key order; returns bytes seen.
    fn scan(&self, start: &[u8], n: usize) -> usize;
}

struct KvGraph(kvgraph::Engine);

impl Store for KvGraph {
    const NAME: &'static str = "kvgraph";
    fn new() -> Self {
        KvGraph(kvgraph::Engine::new())
    }
    fn get(&self, key: &[u8]) -> usize {
        self.0.kv().get(key).map_or(0, |v| v.len())
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.0.kv().set(key, value)
    }
    fn scan(&self, start: &[u8], n: usize) -> usize {
        self.0.kv().scan(Some(start), None).take(n).map(|(k, v)| k.len() + v.len()).sum()
    }
}

struct SkipMap(crossbeam_skiplist::SkipMap<Vec<u8>, Vec<u8>>);

impl Store for SkipMap {
    const NAME: &'static str = "crossbeam_skipmap";
    fn new() -> Self {
        SkipMap(crossbeam_skiplist::SkipMap::new())
    }
    fn get(&self, key: &[u8]) -> usize {
        self.0.get(key).map_or(0, |e| e.value().len())
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.0.insert(key.to_vec(), value.to_vec());
    }
    fn scan(&self, start: &[u8], n: usize) -> usize {
        self.0
            .range::<[u8], _>((Bound::Included(start), Bound::Unbounded))
            .take(n)
            .map(|e| e.key().len() + e.value().len())
            .sum()
    }
}

struct TreeIndex(scc::TreeIndex<Vec<u8>, Vec<u8>>);

impl Store for TreeIndex {
    const NAME: &'static str = "scc_treeindex";
    fn new() -> Self {
        TreeIndex(scc::TreeIndex::new())
    }
    fn get(&self, key: &[u8]) -> usize {
        self.0.peek_with(key, |_, v| v.len()).unwrap_or(0)
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.0.upsert_sync(key.to_vec(), value.to_vec());
    }
    fn scan(&self, start: &[u8], n: usize) -> usize {
        let guard = scc::Guard::new();
        self.0
            .range::<[u8], _>((Bound::Included(start), Bound::Unbounded), &guard)
            .take(n)
            .map(|(k, v)| k.len() + v.len())
            .sum()
    }
}

struct LockedBTree(RwLock<BTreeMap<Vec<u8>, Vec<u8>>>);

impl Store for LockedBTree {
    const NAME: &'static str = "rwlock_btreemap";
    fn new() -> Self {
        LockedBTree(RwLock::new(BTreeMap::new()))
    }
    fn get(&self, key: &[u8]) -> usize {
        self.0.read().unwrap().get(key).map_or(0, |v| v.len())
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        let mut map = self.0.write().unwrap();
        match map.get_mut(key) {
            Some(v) => {
                v.clear();
                v.extend_from_slice(value);
            }
            None => {
                map.insert(key.to_vec(), value.to_vec());
            }
        }
    }
    fn scan(&self, start: &[u8], n: usize) -> usize {
        let map = self.0.read().unwrap();
        map.range::<[u8], _>((Bound::Included(start), Bound::Unbounded)).take(n).map(|(k, v)| k.len() + v.len()).sum()
    }
}

#[derive(Clone, Copy, Debug)]
enum Workload {
    UniformGet,
    UniformSet,
    YcsbA,
    YcsbB,
    YcsbE,
}

impl Workload {
    const ALL: [Workload; 5] =
        [Workload::UniformGet, Workload::UniformSet, Workload::YcsbA, Workload::YcsbB, Workload::YcsbE];

    fn name(self) -> &'static str {
        match self {
            Workload::UniformGet => "get_uniform",
            Workload::UniformSet => "set_uniform",
            Workload::YcsbA => "ycsb_a",
            Workload::YcsbB => "ycsb_b",
            Workload::YcsbE => "ycsb_e",
        }
    }

    /// Operations per thread per criterion iteration (scans cost ~50 gets).
    fn ops_per_iter(self) -> u64 {
        match self {
            Workload::YcsbE => 1_000,
            _ => 20_000,
        }
    }
}

/// Shared, read-only parameters of a run.
struct Params {
    keys: u64,
    zipf: Zipf,
    /// Next record number for YCSB-E inserts (shared by all stores, so each
    /// insert is a new key for whichever store runs it).
    next_insert: AtomicU64,
    /// Seeds differ per sample and thread.
    seed: AtomicU64,
    value: [u8; 100],
}

/// Runs `ops` operations of `w` on `s`; returns a checksum so nothing is optimised away.
fn run_ops<S: Store>(s: &S, w: Workload, ops: u64, p: &Params, seed: u64) -> usize {
    let mut rng = Rng64::new(seed);
    let mut sum = 0usize;
    let value = &p.value[..];
    for _ in 0..ops {
        match w {
            Workload::UniformGet => sum += s.get(&kv_key(rng.below(p.keys))),
            Workload::UniformSet => s.set(&kv_key(rng.below(p.keys)), value),
            Workload::YcsbA | Workload::YcsbB => {
                let key = kv_key(p.zipf.next(&mut rng));
                let read_share = if matches!(w, Workload::YcsbA) { 50 } else { 95 };
                if rng.below(100) < read_share {
                    sum += s.get(&key);
                } else {
                    s.set(&key, value);
                }
            }
            Workload::YcsbE => {
                if rng.below(100) < 95 {
                    let start = kv_key(p.zipf.next(&mut rng));
                    let len = 1 + rng.below(100) as usize;
                    sum += s.scan(&start, len);
                } else {
                    let id = p.next_insert.fetch_add(1, Ordering::Relaxed);
                    s.set(&kv_key(id), value);
                }
            }
        }
    }
    sum
}

/// Loads records `0..keys`, on two threads.
fn preload<S: Store>(s: &S, keys: u64) {
    let value = kv_value(7);
    std::thread::scope(|sc| {
        for t in 0..2u64 {
            let value = &value;
            sc.spawn(move || {
                for i in (t..keys).step_by(2) {
                    s.set(&kv_key(i), value);
                }
            });
        }
    });
}

fn bench_store<S: Store>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    group_name: &str,
    s: &S,
    w: Workload,
    threads: u64,
    p: &Params,
) {
    let per_thread = w.ops_per_iter();
    group.bench_function(BenchmarkId::from_parameter(S::NAME), |b| {
        b.iter_custom(|iters| {
            let ops = per_thread * iters;
            let seeds: Vec<u64> = (0..threads).map(|_| p.seed.fetch_add(1, Ordering::Relaxed)).collect();
            let start = Instant::now();
            if threads == 1 {
                black_box(run_ops(s, w, ops, p, seeds[0]));
            } else {
                std::thread::scope(|sc| {
                    for &seed in &seeds {
                        sc.spawn(move || black_box(run_ops(s, w, ops, p, seed)));
                    }
                });
            }
            let elapsed = start.elapsed();
            summary::record(group_name, S::NAME, (ops * threads) as f64, elapsed);
            elapsed
        })
    });
}

fn main() {
    let keys = datagen::env_u64("KVG_BENCH_KEYS", 1_000_000);
    let secs = datagen::env_u64("KVG_BENCH_SECS", 2);
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs))
        .configure_from_args();

    eprintln!("preloading {keys} keys (16-byte keys, 100-byte values) into each structure...");
    let t = Instant::now();
    let kvg = KvGraph::new();
    preload(&kvg, keys);
    let skip = SkipMap::new();
    preload(&skip, keys);
    let tree = TreeIndex::new();
    preload(&tree, keys);
    let btree = LockedBTree::new();
    preload(&btree, keys);
    eprintln!("preloaded in {:.1} s", t.elapsed().as_secs_f64());
    assert_eq!(kvg.get(&kv_key(keys / 2)), 100);

    let p = Params {
        keys,
        zipf: Zipf::new(keys, 0.99),
        next_insert: AtomicU64::new(keys),
        seed: AtomicU64::new(1),
        value: kv_value(11),
    };
    for w in Workload::ALL {
        for threads in [1u64, 2] {
            let name = format!("kv/{}/{}t", w.name(), threads);
            let mut g = c.benchmark_group(&name);
            g.sampling_mode(SamplingMode::Flat);
            g.throughput(Throughput::Elements(w.ops_per_iter() * threads));
            bench_store(&mut g, &name, &kvg, w, threads, &p);
            bench_store(&mut g, &name, &skip, w, threads, &p);
            bench_store(&mut g, &name, &tree, w, threads, &p);
            bench_store(&mut g, &name, &btree, w, threads, &p);
            g.finish();
        }
    }
    c.final_summary();
    summary::finish("kv", "kvgraph", |_| summary::Unit::MopsPerSec);
}
