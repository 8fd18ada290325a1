//! KV throughput in-process from Rust, one thread: the reference point that
//! `bindings/python/benchmarks/compare.py` sets beside the Python binding,
//! Redis and FalkorDB's redis-server. Prints one JSON object.
//!
//! ```text
//! cargo run --release --example kv_rust_throughput                     # 1,000,000 keys
//! cargo run --release --example kv_rust_throughput -- --keys 100000 --runs 5 --prefixes 20
//! ```
//! Workload (the same data as compare.py, which generates it in numpy):
//! `--keys N` 16-byte keys `kv_key(i)` with 100-byte values `kv_value(i)`
//! (`examples/common/datagen.rs`); each run opens a fresh engine, sets the
//! N keys in order of `i`, then gets them, then runs `--prefixes P` prefix
//! scans, scan `j` over the one-byte prefix `(37 j + 11) mod 256`, reading
//! keys and values. One warm-up run (not reported) precedes `--runs R`
//! timed runs (default 3). Times are seconds per pass; the JSON also carries
//! checks (entries found, bytes read) and a checksum of the generated data
//! so that compare.py can prove both sides used the same keys and values.

#[path = "common/datagen.rs"]
mod datagen;

use datagen::{fnv64, kv_key, kv_value};
use std::hint::black_box;
use std::time::Instant;

/// The one-byte prefix of scan `j` (shared with compare.py).
fn scan_prefix(j: u64) -> u8 {
    ((37 * j + 11) % 256) as u8
}

/// Times of one run, and what it saw.
struct Run {
    set_s: f64,
    get_s: f64,
    scan_s: f64,
    got_bytes: u64,
    scanned: u64,
    scanned_bytes: u64,
}

fn run(keys: &[[u8; 16]], values: &[[u8; 100]], prefixes: u64) -> Run {
    let engine = kvgraph::Engine::new();
    let kv = engine.kv();
    let t = Instant::now();
    for (k, v) in keys.iter().zip(values) {
        kv.set(k, v);
    }
    let set_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut got_bytes = 0u64;
    for k in keys {
        // The value is copied out (that is `get`'s API, and what the
        // binding does too); only its length is kept.
        got_bytes += kv.get(black_box(k)).map_or(0, |v| v.len() as u64);
    }
    let get_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let (mut scanned, mut scanned_bytes) = (0u64, 0u64);
    for j in 0..prefixes {
        for (k, v) in kv.scan_prefix(&[scan_prefix(j)]) {
            scanned += 1;
            scanned_bytes += (k.len() + v.len()) as u64;
        }
    }
    let scan_s = t.elapsed().as_secs_f64();
    Run { set_s, get_s, scan_s, got_bytes, scanned, scanned_bytes }
}

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    match args.iter().position(|a| a == name) {
        Some(i) => {
            let v = args.get(i + 1).unwrap_or_else(|| panic!("{name} needs a value"));
            v.replace('_', "").parse().unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
        }
        None => default,
    }
}

fn json_list(xs: &[f64]) -> String {
    let items: Vec<String> = xs.iter().map(|x| format!("{x:.6}")).collect();
    format!("[{}]", items.join(", "))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = arg(&args, "--keys", 1_000_000);
    let runs = arg(&args, "--runs", 3).max(1);
    let prefixes = arg(&args, "--prefixes", 20);

    let keys: Vec<[u8; 16]> = (0..n).map(kv_key).collect();
    let values: Vec<[u8; 100]> = (0..n).map(kv_value).collect();
    // FNV-1a-style fold over every key and value byte: compare.py computes
    // the same over its numpy-generated data.
    let mut checksum: u64 = 0xCBF2_9CE4_8422_2325;
    for (k, v) in keys.iter().zip(&values) {
        checksum = (checksum ^ fnv64(u64::from_be_bytes(k[..8].try_into().unwrap()))).wrapping_mul(0x100_0000_01B3);
        checksum = (checksum ^ fnv64(u64::from_le_bytes(v[..8].try_into().unwrap()))).wrapping_mul(0x100_0000_01B3);
    }

    let warm = (n / 10).max(1) as usize;
    let _ = run(&keys[..warm], &values[..warm], prefixes.min(2));
    let results: Vec<Run> = (0..runs).map(|_| run(&keys, &values, prefixes)).collect();
    let last = results.last().expect("runs >= 1");
    println!(
        "{{\"keys\": {n}, \"runs\": {runs}, \"prefixes\": {prefixes}, \"threads\": 1, \
         \"set_s\": {}, \"get_s\": {}, \"scan_s\": {}, \
         \"got_bytes\": {}, \"scanned\": {}, \"scanned_bytes\": {}, \"checksum\": \"{checksum:016x}\"}}",
        json_list(&results.iter().map(|r| r.set_s).collect::<Vec<_>>()),
        json_list(&results.iter().map(|r| r.get_s).collect::<Vec<_>>()),
        json_list(&results.iter().map(|r| r.scan_s).collect::<Vec<_>>()),
        last.got_bytes,
        last.scanned,
        last.scanned_bytes,
    );
}
