//! Memory of the KV map against its peers: heap bytes per entry beyond the
//! key and value bytes themselves, measured with a counting global allocator.
//!
//! ```text
//! cargo run --release --example kv_memory                 # 1_000_000 entries
//! KVG_BENCH_KEYS=100000 cargo run --release --example kv_memory
//! ```
//! Keys are 16 bytes and values 100 bytes, as in `benches/kv.rs`. Prints a
//! markdown table: requested heap bytes (what the program asked malloc for),
//! live allocations, and glibc's footprint (8-byte header and 16-byte
//! rounding per block, at least 32 bytes), each per entry.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
#[path = "common/datagen.rs"]
mod datagen;

use counting_alloc::{live_allocs, live_bytes, live_footprint};
use datagen::{kv_key, kv_value};
use std::collections::BTreeMap;
use std::sync::RwLock;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

const PAYLOAD: usize = 16 + 100;

/// Heap counters at one moment.
#[derive(Clone, Copy)]
struct Mark {
    bytes: usize,
    allocs: usize,
    footprint: usize,
}

fn mark() -> Mark {
    Mark { bytes: live_bytes(), allocs: live_allocs(), footprint: live_footprint() }
}

/// One table row: what `after - before` holds for `n` entries.
fn row(name: &str, before: Mark, after: Mark, n: u64) -> String {
    let per = |x: usize, y: usize| (x as f64 - y as f64) / n as f64;
    let bytes = per(after.bytes, before.bytes);
    let footprint = per(after.footprint, before.footprint);
    format!(
        "| {name} | {:.1} | {:.1} | **{:.1}** | {:.2} | {:.1} |",
        (after.bytes - before.bytes) as f64 / (1 << 20) as f64,
        bytes,
        bytes - PAYLOAD as f64,
        per(after.allocs, before.allocs),
        footprint - PAYLOAD as f64,
    )
}

/// Measures a structure: builds it with `fill`, reports, drops it.
fn measure<T>(name: &str, n: u64, make: impl FnOnce() -> T, fill: impl Fn(&T, u64)) -> (String, T) {
    let before = mark();
    let s = make();
    for i in 0..n {
        fill(&s, i);
    }
    let after = mark();
    (row(name, before, after, n), s)
}

fn main() {
    let n = datagen::env_u64("KVG_BENCH_KEYS", 1_000_000);
    let value = kv_value(7);
    let value2 = kv_value(8);
    let mut rows = Vec::new();

    {
        let base = mark();
        let (r, engine) = measure("kvgraph `Kv`", n, kvgraph::Engine::new, |e, i| e.kv().set(&kv_key(i), &value));
        rows.push(r);
        // Overwrite every key ten times: the old values and node revisions
        // are retired to the epoch manager; `maintain` lets it free what no
        // thread can see.
        let before = mark();
        for round in 0..10 {
            let v = if round % 2 == 0 { &value2 } else { &value };
            for i in 0..n {
                engine.kv().set(&kv_key(i), v);
            }
        }
        let retired = engine.memory_stats();
        engine.maintain();
        let after = mark();
        rows.push(format!(
            "| kvgraph `Kv`, after overwriting every key 10 times + `maintain()` | Δ {:.1} | Δ {:.1} | — | Δ {:.2} | — |",
            (after.bytes as f64 - before.bytes as f64) / (1 << 20) as f64,
            (after.bytes as f64 - before.bytes as f64) / n as f64,
            (after.allocs as f64 - before.allocs as f64) / n as f64,
        ));
        eprintln!("kvgraph memory stats after overwrites + maintain: {retired:?} -> {:?}", engine.memory_stats());
        // Then delete every other key: what the survivors cost each.
        for i in (0..n).step_by(2) {
            engine.kv().delete(&kv_key(i));
        }
        engine.maintain();
        rows.push(row(
            "kvgraph `Kv`, then 50% deleted + `maintain()` (per live entry)",
            base,
            mark(),
            n - n.div_ceil(2),
        ));
    }
    {
        let (r, _m) =
            measure("`crossbeam_skiplist::SkipMap<Vec<u8>,Vec<u8>>`", n, crossbeam_skiplist::SkipMap::new, |m, i| {
                m.insert(kv_key(i).to_vec(), value.to_vec());
            });
        rows.push(r);
    }
    {
        let (r, _m) = measure("`scc::TreeIndex<Vec<u8>,Vec<u8>>`", n, scc::TreeIndex::new, |m, i| {
            let _ = m.insert_sync(kv_key(i).to_vec(), value.to_vec());
        });
        rows.push(r);
    }
    {
        let (r, _m) = measure(
            "`RwLock<BTreeMap<Vec<u8>,Vec<u8>>>`",
            n,
            || RwLock::new(BTreeMap::new()),
            |m, i| {
                m.write().unwrap().insert(kv_key(i).to_vec(), value.to_vec());
            },
        );
        rows.push(r);
    }

    println!("KV memory, {} entries of 16-byte keys and 100-byte values (payload {PAYLOAD} B/entry)\n", n);
    println!(
        "| structure | heap MiB | heap B/entry | overhead B/entry (beyond key+value) | allocations/entry | overhead incl. malloc headers B/entry |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for r in rows {
        println!("{r}");
    }
}
