//! Durability benchmarks, peers in the same run (figures are ratios):
//! - `kv set`: 1 thread setting 16-byte keys to 100-byte values, in memory
//!   vs a durable engine under `everysec` and `never`;
//! - `kv set, fsync always`: 1 vs 4 writer threads (group commit: the
//!   4 threads share fsyncs);
//! - `save and reopen`: `engine.save()` of `KVG_BENCH_KEYS` keys (default
//!   1M) plus an R-MAT graph of scale `KVG_BENCH_SCALE` (default 18), vs a
//!   plain sequential write + fsync of the same number of bytes; and
//!   reopening that directory, and a directory of the keys alone (the peer:
//!   Redis loading an RDB of as many keys, `benches/redis_durability.sh`).
//!
//! Run: `cargo bench --bench durability` (rounds: `KVG_BENCH_ROUNDS`, default 5).
//! The table lands in `target/bench-summary/durability.md`.

#[path = "../examples/common/datagen.rs"]
mod datagen;
#[path = "common/summary.rs"]
mod summary;

use kvgraph::{Config, Engine, Fsync, SavePolicy};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use summary::{Contender, Unit};

const VALUE: [u8; 100] = [7; 100];

fn durable(dir: &Path, fsync: Fsync) -> Engine {
    let save = SavePolicy { rules: vec![] };
    Engine::try_with_config(Config { path: Some(dir.into()), fsync, save, ..Config::default() }).unwrap()
}

/// `threads` threads doing `per_thread` sets each on `e`; keys cycle over 2^17.
fn burst(e: &Engine, threads: u64, per_thread: u64, next: &AtomicU64) -> (f64, Duration) {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    let i = next.fetch_add(1, Ordering::Relaxed) & ((1 << 17) - 1);
                    e.kv().set(format!("key:{i:012}").as_bytes(), &VALUE);
                }
            });
        }
    });
    ((threads * per_thread) as f64, start.elapsed())
}

fn main() {
    let rounds = datagen::env_u64("KVG_BENCH_ROUNDS", 5) as usize;
    let keys = datagen::env_u64("KVG_BENCH_KEYS", 1_000_000);
    let scale = datagen::env_u64("KVG_BENCH_SCALE", 18) as u32;
    let root = tempfile::tempdir_in(std::env::var("KVG_BENCH_DIR").unwrap_or_else(|_| "target".into())).unwrap();
    let next = AtomicU64::new(0);

    // KV writes: in memory vs everysec vs never.
    let memory = Engine::new();
    let everysec = durable(&root.path().join("everysec"), Fsync::EverySec);
    let never = durable(&root.path().join("never"), Fsync::Never);
    let n = 50_000;
    let mut contenders: Vec<Contender<'_>> = vec![
        ("in memory", Box::new(|| burst(&memory, 1, n, &next))),
        ("everysec", Box::new(|| burst(&everysec, 1, n, &next))),
        ("never", Box::new(|| burst(&never, 1, n, &next))),
    ];
    summary::interleaved("kv set", "in memory", rounds, &mut contenders);
    drop(contenders);
    drop((everysec, never));

    // fsync always: 1 vs 4 writers.
    let always = durable(&root.path().join("always"), Fsync::Always);
    let mut contenders: Vec<Contender<'_>> = vec![
        ("always, 1 thread", Box::new(|| burst(&always, 1, 400, &next))),
        ("always, 4 threads", Box::new(|| burst(&always, 4, 400, &next))),
    ];
    summary::interleaved("kv set, fsync always", "always, 1 thread", rounds, &mut contenders);
    drop(contenders);
    drop(always);

    // Save and reopen of keys + an R-MAT graph.
    let fill = |e: &Engine| {
        for i in 0..keys {
            e.kv().set(format!("key:{i:012}").as_bytes(), &VALUE);
        }
    };
    // The keys alone, as Redis would hold them (its RDB load is the peer).
    let keys_dir = root.path().join("keys");
    let keys_only = durable(&keys_dir, Fsync::Never);
    fill(&keys_only);
    eprintln!("keys-only snapshot: {:.1} MB", keys_only.save().unwrap() as f64 / 1e6);
    drop(keys_only);
    let dir = root.path().join("big");
    let big = durable(&dir, Fsync::Never);
    let t = Instant::now();
    fill(&big);
    let (src, dst) = datagen::rmat_edges(scale, 16, 42);
    let nodes = 1u64 << scale;
    big.graph().add_nodes(nodes, Some("V")).unwrap();
    big.graph().load_edges(&src, &dst, None, None).unwrap();
    eprintln!("loaded {keys} keys and {nodes} nodes / {} edges in {:.1} s", src.len(), t.elapsed().as_secs_f64());
    let bytes = big.save().unwrap();
    eprintln!("snapshot: {:.1} MB", bytes as f64 / 1e6);
    let plain = root.path().join("plain");
    let block = vec![0x5au8; 1 << 20];
    let mut contenders: Vec<Contender<'_>> = vec![
        (
            "save",
            Box::new(|| {
                let t = Instant::now();
                big.save().unwrap();
                (1.0, t.elapsed())
            }),
        ),
        (
            "plain write + fsync of the same bytes",
            Box::new(|| {
                let t = Instant::now();
                let mut f = std::fs::File::create(&plain).unwrap();
                let mut left = bytes as usize;
                while left > 0 {
                    let k = left.min(block.len());
                    f.write_all(&block[..k]).unwrap();
                    left -= k;
                }
                f.sync_all().unwrap();
                (1.0, t.elapsed())
            }),
        ),
    ];
    summary::interleaved("save", "plain write + fsync of the same bytes", rounds, &mut contenders);
    drop(contenders);
    drop(big);
    let reopen = |dir: &Path| {
        let t = Instant::now();
        let e = durable(dir, Fsync::Never);
        let el = t.elapsed();
        assert_eq!(e.kv().len() as u64, keys);
        (1.0, el)
    };
    let mut contenders: Vec<Contender<'_>> =
        vec![("reopen", Box::new(|| reopen(&dir))), ("reopen, keys only", Box::new(|| reopen(&keys_dir)))];
    summary::interleaved("reopen", "reopen", rounds.min(3), &mut contenders);
    drop(contenders);
    eprintln!("snapshot bytes per save: {bytes}");
    summary::finish("durability", "—", |g| {
        if g == "save" || g == "reopen" { Unit::MillisPerRun } else { Unit::MopsPerSec }
    });
}
