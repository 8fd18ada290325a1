//! KV map benchmarks: kvgraph's `Kv` against crossbeam's `SkipMap`, scc's
//! `TreeIndex` and `RwLock<BTreeMap>`, in the same criterion groups so that
//! the figures compare on one (noisy, shared) machine. Every structure reads
//! values in place (kvgraph: `get_with`, `scan_with`), each value's length
//! and first and last bytes ([`read`]); `kvgraph_owned` runs
//! the reading workloads through kvgraph's copying API (`get`, `scan`) on the
//! same map.
//!
//! `N` keys (16 bytes) with 100-byte values are preloaded, then each workload
//! runs on 1 and 2 threads: uniform get, uniform set, YCSB-A (50% read / 50%
//! update, Zipf 0.99), YCSB-B (95/5) and YCSB-E (95% scans of 1..=100 keys
//! from a Zipf-chosen start / 5% inserts of new keys), then inserts of new
//! keys and 100-key scans from a uniform start, then the same scans again
//! after one `maintain()` of kvgraph's engine (`scan_100_maintained`: it
//! copies the values in key order; the peers run as they are, having no
//! such step).
//!
//! ```text
//! cargo bench --bench kv                      # N = 1_000_000
//! KVG_BENCH_KEYS=100000 cargo bench --bench kv
//! KVG_BENCH_SECS=5 cargo bench --bench kv     # longer measurement per benchmark
//! KVG_BENCH_ROUNDS=30 cargo bench --bench kv   # more interleaved rounds (default 15)
//! KVG_BENCH_THREADS=1,4,16 cargo bench --bench kv   # thread counts (default 1,2)
//! KVG_BENCH_WORKLOADS=get_uniform,ycsb_a cargo bench --bench kv   # some workloads only
//! KVG_BENCH_BURST=10 cargo bench --bench kv     # 10x longer interleaved bursts
//! KVG_BENCH_CRITERION=0 cargo bench --bench kv  # interleaved rounds only
//! KVG_BENCH_KEY_STYLE=redis cargo bench --bench kv  # keys `key:000000123456`
//! ```
//! `benches/scaling.sh` runs it so on a many-core machine.
//! After the criterion groups, every workload runs again with the structures
//! taking turns in short bursts (`KVG_BENCH_ROUNDS` rounds; skipped when a
//! benchmark filter is given), which gives ratios that the load of other
//! processes on a shared machine does not skew. A markdown summary
//! (criterion median, interleaved median, kvgraph's speed-up over each peer)
//! is printed at the end and written to `target/bench-summary/kv.md`.

#[path = "../examples/common/datagen.rs"]
mod datagen;
#[path = "common/summary.rs"]
mod summary;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use datagen::{Rng64, Zipf, kv_key, kv_value};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::ops::{Bound, ControlFlow};
use std::sync::OnceLock;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The operations every structure under test offers, so that each workload
/// is written once. Values are read in place (kvgraph: `get_with` and
/// `scan_with`); `kvgraph_owned` measures kvgraph's copying API (`get`
/// returning a `Vec`, the `scan` iterator) on the same map.
trait Store: Sync {
    /// Name in reports.
    const NAME: &'static str;
    /// Reads `key`; returns what [`read`] makes of its value (0 if absent).
    fn get(&self, key: &[u8]) -> usize;
    /// Sets `key` to `value` (insert or overwrite).
    fn set(&self, key: &[u8], value: &[u8]);
    /// Reads up to `n` entries from `start` on, in key order; returns bytes seen.
    fn scan(&self, start: &[u8], n: usize) -> usize;
}

/// What every structure does with a value it returns: reads its length and
/// its first and last bytes, as a reader of the value would. (Reading only
/// the length would let the peers, which keep a `Vec`'s length in the tree
/// node, skip the value's cache miss that kvgraph pays for its length.)
fn read(v: &[u8]) -> usize {
    v.len() + usize::from(v.first().copied().unwrap_or(0)) + usize::from(v.last().copied().unwrap_or(0))
}

struct KvGraph(kvgraph::Engine);

impl Store for KvGraph {
    const NAME: &'static str = "kvgraph";
    fn get(&self, key: &[u8]) -> usize {
        self.0.kv().get_with(key, read).unwrap_or(0)
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.0.kv().set(key, value)
    }
    fn scan(&self, start: &[u8], n: usize) -> usize {
        let (mut left, mut bytes) = (n, 0);
        self.0.kv().scan_with(Some(start), None, |k, v| {
            bytes += k.len() + read(v);
            left -= 1;
            if left == 0 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        });
        bytes
    }
}

/// kvgraph's owning API on the same engine as [`KvGraph`].
struct KvGraphOwned<'a>(&'a kvgraph::Engine);

impl Store for KvGraphOwned<'_> {
    const NAME: &'static str = "kvgraph_owned";
    fn get(&self, key: &[u8]) -> usize {
        self.0.kv().get(key).map_or(0, |v| read(&v))
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.0.kv().set(key, value)
    }
    fn scan(&self, start: &[u8], n: usize) -> usize {
        self.0.kv().scan(Some(start), None).take(n).map(|(k, v)| k.len() + read(&v)).sum()
    }
}

struct SkipMap(crossbeam_skiplist::SkipMap<Vec<u8>, Vec<u8>>);

impl Store for SkipMap {
    const NAME: &'static str = "crossbeam_skipmap";
    fn get(&self, key: &[u8]) -> usize {
        self.0.get(key).map_or(0, |e| read(e.value()))
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.0.insert(key.to_vec(), value.to_vec());
    }
    fn scan(&self, start: &[u8], n: usize) -> usize {
        self.0
            .range::<[u8], _>((Bound::Included(start), Bound::Unbounded))
            .take(n)
            .map(|e| e.key().len() + read(e.value()))
            .sum()
    }
}

struct TreeIndex(scc::TreeIndex<Vec<u8>, Vec<u8>>);

impl Store for TreeIndex {
    const NAME: &'static str = "scc_treeindex";
    fn get(&self, key: &[u8]) -> usize {
        self.0.peek_with(key, |_, v| read(v)).unwrap_or(0)
    }
    fn set(&self, key: &[u8], value: &[u8]) {
        self.0.upsert_sync(key.to_vec(), value.to_vec());
    }
    fn scan(&self, start: &[u8], n: usize) -> usize {
        let guard = scc::Guard::new();
        self.0
            .range::<[u8], _>((Bound::Included(start), Bound::Unbounded), &guard)
            .take(n)
            .map(|(k, v)| k.len() + read(v))
            .sum()
    }
}

struct LockedBTree(RwLock<BTreeMap<Vec<u8>, Vec<u8>>>);

impl Store for LockedBTree {
    const NAME: &'static str = "rwlock_btreemap";
    fn get(&self, key: &[u8]) -> usize {
        self.0.read().unwrap().get(key).map_or(0, |v| read(v))
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
        map.range::<[u8], _>((Bound::Included(start), Bound::Unbounded)).take(n).map(|(k, v)| k.len() + read(v)).sum()
    }
}

#[derive(Clone, Copy, Debug)]
enum Workload {
    UniformGet,
    UniformSet,
    YcsbA,
    YcsbB,
    YcsbE,
    Insert,
    Scan100,
    /// [`Workload::Scan100`] after kvgraph's `maintain()`.
    Scan100Maintained,
}

impl Workload {
    const ALL: [Workload; 8] = [
        Workload::UniformGet,
        Workload::UniformSet,
        Workload::YcsbA,
        Workload::YcsbB,
        Workload::YcsbE,
        Workload::Insert,
        Workload::Scan100,
        Workload::Scan100Maintained,
    ];

    fn name(self) -> &'static str {
        match self {
            Workload::UniformGet => "get_uniform",
            Workload::UniformSet => "set_uniform",
            Workload::YcsbA => "ycsb_a",
            Workload::YcsbB => "ycsb_b",
            Workload::YcsbE => "ycsb_e",
            Workload::Insert => "insert_new",
            Workload::Scan100 => "scan_100",
            Workload::Scan100Maintained => "scan_100_maintained",
        }
    }

    /// Whether the workload reads values (and so tells kvgraph's copying API apart).
    fn reads(self) -> bool {
        !matches!(self, Workload::UniformSet | Workload::Insert)
    }

    /// Operations per thread per criterion iteration (scans cost ~50 gets).
    fn ops_per_iter(self) -> u64 {
        match self {
            Workload::YcsbE => 1_000,
            Workload::Scan100 | Workload::Scan100Maintained => 500,
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

/// The key of record `i`: [`kv_key`] (8 hash bytes first, spread over the
/// key space), or with `KVG_BENCH_KEY_STYLE=redis` the keys of
/// `redis-benchmark -r`: `key:` and `i` in 12 digits, 16 bytes that share
/// their first 10 on a million keys. Those run in record order, so Zipf's
/// hot records sit side by side: meant for the uniform workloads.
#[inline]
fn key(i: u64) -> [u8; 16] {
    static REDIS_STYLE: OnceLock<bool> = OnceLock::new();
    if *REDIS_STYLE.get_or_init(|| std::env::var("KVG_BENCH_KEY_STYLE").is_ok_and(|s| s == "redis")) {
        let mut k = *b"key:000000000000";
        let mut n = i;
        for d in k[4..].iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        k
    } else {
        kv_key(i)
    }
}

/// Runs `ops` operations of `w` on `s`; returns a checksum so nothing is optimised away.
fn run_ops<S: Store>(s: &S, w: Workload, ops: u64, p: &Params, seed: u64) -> usize {
    let mut rng = Rng64::new(seed);
    let mut sum = 0usize;
    let value = &p.value[..];
    for _ in 0..ops {
        match w {
            Workload::UniformGet => sum += s.get(&key(rng.below(p.keys))),
            Workload::UniformSet => s.set(&key(rng.below(p.keys)), value),
            Workload::YcsbA | Workload::YcsbB => {
                let key = key(p.zipf.next(&mut rng));
                let read_share = if matches!(w, Workload::YcsbA) { 50 } else { 95 };
                if rng.below(100) < read_share {
                    sum += s.get(&key);
                } else {
                    s.set(&key, value);
                }
            }
            Workload::YcsbE => {
                if rng.below(100) < 95 {
                    let start = key(p.zipf.next(&mut rng));
                    let len = 1 + rng.below(100) as usize;
                    sum += s.scan(&start, len);
                } else {
                    let id = p.next_insert.fetch_add(1, Ordering::Relaxed);
                    s.set(&key(id), value);
                }
            }
            Workload::Insert => s.set(&key(p.next_insert.fetch_add(1, Ordering::Relaxed)), value),
            Workload::Scan100 | Workload::Scan100Maintained => sum += s.scan(&key(rng.below(p.keys)), 100),
        }
    }
    sum
}

/// Loads records `0..keys`, on up to eight threads.
fn preload<S: Store>(s: &S, keys: u64) {
    let value = kv_value(7);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8)) as u64;
    std::thread::scope(|sc| {
        for t in 0..threads {
            let value = &value;
            sc.spawn(move || {
                for i in (t..keys).step_by(threads as usize) {
                    s.set(&key(i), value);
                }
            });
        }
    });
}

/// Runs `per_thread` operations of `w` on each of `threads` threads; returns
/// the total operations and the wall time they took.
fn burst<S: Store>(s: &S, w: Workload, threads: u64, per_thread: u64, p: &Params) -> (f64, Duration) {
    let seeds: Vec<u64> = (0..threads).map(|_| p.seed.fetch_add(1, Ordering::Relaxed)).collect();
    let start = Instant::now();
    if threads == 1 {
        black_box(run_ops(s, w, per_thread, p, seeds[0]));
    } else {
        std::thread::scope(|sc| {
            for &seed in &seeds {
                sc.spawn(move || black_box(run_ops(s, w, per_thread, p, seed)));
            }
        });
    }
    ((per_thread * threads) as f64, start.elapsed())
}

fn bench_store<S: Store>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    group_name: &str,
    s: &S,
    w: Workload,
    threads: u64,
    p: &Params,
) {
    group.bench_function(BenchmarkId::from_parameter(S::NAME), |b| {
        b.iter_custom(|iters| {
            let (ops, elapsed) = burst(s, w, threads, w.ops_per_iter() * iters, p);
            summary::record(group_name, S::NAME, ops, elapsed);
            elapsed
        })
    });
}

/// A contender for [`summary::interleaved`]: one burst of `w` on `s`,
/// `KVG_BENCH_BURST` times a criterion iteration's operations per thread.
fn contender<'a, S: Store>(s: &'a S, w: Workload, threads: u64, p: &'a Params) -> summary::Contender<'a> {
    let per_thread = w.ops_per_iter() * datagen::env_u64("KVG_BENCH_BURST", 1).max(1);
    (S::NAME, Box::new(move || burst(s, w, threads, per_thread, p)))
}

/// Runs kvgraph's `maintain()` before the workload that measures scans after it.
fn maintain_before(w: Workload, kvg: &KvGraph) {
    if matches!(w, Workload::Scan100Maintained) {
        let t = Instant::now();
        kvg.0.maintain();
        eprintln!("kvgraph maintain(): {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
    }
}

/// Whether criterion was given a benchmark filter (then the interleaved
/// rounds, which run everything, are skipped).
fn c_filtered() -> bool {
    std::env::args().skip(1).any(|a| !a.starts_with('-'))
}

fn main() {
    let keys = datagen::env_u64("KVG_BENCH_KEYS", 1_000_000);
    let secs = datagen::env_u64("KVG_BENCH_SECS", 2);
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs))
        .without_plots()
        .configure_from_args();

    eprintln!("preloading {keys} keys (16-byte keys, 100-byte values) into each structure...");
    let t = Instant::now();
    let kvg = KvGraph(kvgraph::Engine::new());
    preload(&kvg, keys);
    let skip = SkipMap(crossbeam_skiplist::SkipMap::new());
    preload(&skip, keys);
    let tree = TreeIndex(scc::TreeIndex::new());
    preload(&tree, keys);
    let btree = LockedBTree(RwLock::new(BTreeMap::new()));
    preload(&btree, keys);
    let owned = KvGraphOwned(&kvg.0);
    eprintln!("preloaded in {:.1} s", t.elapsed().as_secs_f64());
    assert_eq!(kvg.get(&key(keys / 2)), read(&kv_value(7)));

    let p = Params {
        keys,
        zipf: Zipf::new(keys, 0.99),
        next_insert: AtomicU64::new(keys),
        seed: AtomicU64::new(1),
        value: kv_value(11),
    };
    let thread_counts = datagen::env_u64_list("KVG_BENCH_THREADS", &[1, 2]);
    let workloads: Vec<Workload> = match std::env::var("KVG_BENCH_WORKLOADS") {
        Ok(names) => names
            .split(',')
            .map(|n| {
                let n = n.trim();
                *Workload::ALL
                    .iter()
                    .find(|w| w.name() == n)
                    .unwrap_or_else(|| panic!("KVG_BENCH_WORKLOADS: no workload {n:?}"))
            })
            .collect(),
        Err(_) => Workload::ALL.to_vec(),
    };
    for &w in workloads.iter().filter(|_| summary::criterion_enabled()) {
        maintain_before(w, &kvg);
        for &threads in &thread_counts {
            let name = format!("kv/{}/{}t", w.name(), threads);
            let mut g = c.benchmark_group(&name);
            g.sampling_mode(SamplingMode::Flat);
            g.throughput(Throughput::Elements(w.ops_per_iter() * threads));
            bench_store(&mut g, &name, &kvg, w, threads, &p);
            bench_store(&mut g, &name, &skip, w, threads, &p);
            bench_store(&mut g, &name, &tree, w, threads, &p);
            bench_store(&mut g, &name, &btree, w, threads, &p);
            if w.reads() {
                bench_store(&mut g, &name, &owned, w, threads, &p);
            }
            g.finish();
        }
    }
    c.final_summary();

    // The same workloads again, the structures taking turns in short bursts,
    // for ratios that the load of other processes does not skew.
    let rounds = datagen::env_u64("KVG_BENCH_ROUNDS", 15) as usize;
    if rounds > 0 && !c_filtered() {
        eprintln!("interleaved rounds: {rounds} per workload");
        for &w in &workloads {
            maintain_before(w, &kvg);
            for &threads in &thread_counts {
                let name = format!("kv/{}/{}t", w.name(), threads);
                let mut contenders = vec![
                    contender(&kvg, w, threads, &p),
                    contender(&skip, w, threads, &p),
                    contender(&tree, w, threads, &p),
                    contender(&btree, w, threads, &p),
                ];
                if w.reads() {
                    contenders.push(contender(&owned, w, threads, &p));
                }
                summary::interleaved(&name, KvGraph::NAME, rounds, &mut contenders);
            }
        }
    }
    summary::finish("kv", KvGraph::NAME, |_| summary::Unit::MopsPerSec);
}
