//! Soak test: mixed KV and graph traffic from many threads for a long time,
//! with invariants checked throughout and at the end.
//!
//! ```text
//! cargo run --release --example soak -- --secs 600 --threads 8
//! ```
//! Defaults: 600 s, 2 × the available cores. Each thread mixes:
//! - KV writes to its own keys (set, insert, delete, CAS, set with a TTL of
//!   a few ms on the system clock), checked against its private model on every
//!   read and on scans of its prefix; shared counters bumped with `incr`;
//!   scans of the whole map (sorted, each key once);
//! - graph writes from its own nodes (adding and removing nodes, edges to
//!   any node, removals), checked through fresh snapshots against its private
//!   model: a snapshot taken after a write sees it;
//! - snapshots held across many operations and read again (same answers);
//! - thread 0 also compacts, runs maintenance, and checks global snapshot
//!   invariants: the materialised view equals the neighbour lists read later
//!   on the same snapshot, in-degrees sum to out-degrees sum to the edge
//!   count, WCC and BFS answer the same twice.
//!
//! At the end: counters exact, every thread's keys and edges as its model
//! says, delta empty after a last compaction. Prints ops done, invariant
//! violations (the exit status is 1 if there are any), peak and final RSS and
//! the memory manager's retired/freed bytes.

use kvgraph::graph::CompactionPolicy;
use kvgraph::{Config, Direction, Engine, Snapshot};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Keys each thread owns (plain, and with a TTL).
const OWN_KEYS: u64 = 256;
const TTL_KEYS: u64 = 64;
/// Shared counters.
const COUNTERS: usize = 8;
/// Live nodes a thread keeps, and out-edges per node at most.
const OWN_NODES: usize = 128;
const MAX_DEGREE: usize = 24;
const TYPES: [Option<&str>; 2] = [None, Some("T")];

struct Shared {
    engine: Engine,
    stop: AtomicBool,
    ops: AtomicU64,
    violations: AtomicU64,
    /// Snapshot and model comparisons made.
    checks: AtomicU64,
    /// Highest node id handed out so far (edges may point to any id below).
    max_id: AtomicU64,
    peak_rss_kb: AtomicU64,
}

impl Shared {
    fn violation(&self, what: std::fmt::Arguments<'_>) {
        if self.violations.fetch_add(1, Relaxed) < 20 {
            eprintln!("VIOLATION: {what}");
        }
    }
}

macro_rules! check {
    ($sh:expr, $cond:expr, $($arg:tt)*) => {
        if !$cond {
            $sh.violation(format_args!($($arg)*));
        }
    };
}

/// xorshift64*: a fast, dependency-free generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn bytes(&mut self, max: u64) -> Vec<u8> {
        (0..self.below(max)).map(|_| self.next() as u8).collect()
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A KV model entry: value, and for TTL keys the expiry window `[lo, hi]`
/// (the engine reads the clock once, somewhere inside the call).
#[derive(Clone)]
struct Entry {
    value: Vec<u8>,
    expiry: Option<(u64, u64)>,
}

/// What a thread knows for sure.
#[derive(Default)]
struct Model {
    kv: BTreeMap<Vec<u8>, Entry>,
    counters: [i64; COUNTERS],
    own_counter: i64,
    /// Own live nodes -> out-edges (dst, type) -> weight.
    nodes: BTreeMap<u64, BTreeMap<(u64, usize), f64>>,
}

impl Model {
    /// `Some(true)`: must be live at any time in `[t0, t1]`; `Some(false)`:
    /// must be gone; `None`: may be either (expiring meanwhile).
    fn live(e: &Entry, t0: u64, t1: u64) -> Option<bool> {
        match e.expiry {
            None => Some(true),
            Some((_, hi)) if t0 >= hi => Some(false),
            Some((lo, _)) if t1 < lo => Some(true),
            Some(_) => None,
        }
    }
}

/// A snapshot held across operations: the answers it gave (node, neighbours)
/// and the op count when it was taken.
type Held = (Snapshot, Vec<(u64, Vec<u64>)>, u64);

struct Worker<'a> {
    sh: &'a Shared,
    id: usize,
    rng: Rng,
    m: Model,
    prefix: Vec<u8>,
    held: Option<Held>,
}

impl Worker<'_> {
    fn key(&self, i: u64, ttl: bool) -> Vec<u8> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(format!("{}{i:04}", if ttl { "ttl" } else { "k" }).as_bytes());
        k
    }

    fn kv_op(&mut self) {
        let kv = self.sh.engine.kv();
        let ttl = self.rng.below(4) == 0;
        let i = self.rng.below(if ttl { TTL_KEYS } else { OWN_KEYS });
        let k = self.key(i, ttl);
        match self.rng.below(10) {
            0..=2 => {
                let v = self.rng.bytes(64);
                if ttl {
                    let ms = 1 + self.rng.below(20);
                    let t0 = now_ms();
                    kv.set_with_ttl(&k, &v, Duration::from_millis(ms)).unwrap();
                    let t1 = now_ms();
                    self.m.kv.insert(k, Entry { value: v, expiry: Some((t0 + ms, t1 + ms)) });
                } else {
                    kv.set(&k, &v);
                    self.m.kv.insert(k, Entry { value: v, expiry: None });
                }
            }
            3 => {
                let v = self.rng.bytes(64);
                let t0 = now_ms();
                let done = kv.insert(&k, &v);
                let t1 = now_ms();
                match self.m.kv.get(&k).and_then(|e| Model::live(e, t0, t1)) {
                    Some(true) => check!(self.sh, !done, "insert over live key {k:?}"),
                    None if self.m.kv.contains_key(&k) => {}
                    _ => check!(self.sh, done, "insert refused on absent key {k:?}"),
                }
                if done {
                    self.m.kv.insert(k, Entry { value: v, expiry: None });
                }
            }
            4 => {
                let t0 = now_ms();
                let had = kv.delete(&k);
                let t1 = now_ms();
                if let Some(live) = self.m.kv.get(&k).map_or(Some(false), |e| Model::live(e, t0, t1)) {
                    check!(self.sh, had == live, "delete {k:?} returned {had}, model says {live}");
                }
                self.m.kv.remove(&k);
            }
            5 => {
                // CAS from what the model holds (a plain key, so no expiry).
                if let Some(e) = self.m.kv.get(&k).filter(|e| e.expiry.is_none()).cloned() {
                    let v = self.rng.bytes(64);
                    let r = kv.compare_and_swap(&k, &e.value, &v);
                    check!(self.sh, r.is_ok(), "CAS on own key {k:?} failed: {r:?}");
                    self.m.kv.insert(k, Entry { value: v, expiry: None });
                }
            }
            6 => {
                let c = self.rng.below(COUNTERS as u64) as usize;
                let r = kv.incr(format!("ctr:{c}").as_bytes(), 1);
                check!(self.sh, r.is_ok(), "incr shared counter: {r:?}");
                self.m.counters[c] += 1;
                let mine = [&self.prefix[..], b"ctr"].concat();
                let r = kv.incr(&mine, 2);
                self.m.own_counter += 2;
                check!(self.sh, r == Ok(self.m.own_counter), "own counter {r:?} != {}", self.m.own_counter);
            }
            7 => {
                if self.rng.below(16) == 0 {
                    self.check_prefix();
                } else {
                    // A scan of the whole map, from a random start: sorted, each key once.
                    let start = self.rng.bytes(3);
                    let mut last: Option<Vec<u8>> = None;
                    for (key, _) in kv.scan(Some(&start), None).take(200) {
                        check!(self.sh, key >= start, "scan returned {key:?} below its start");
                        check!(self.sh, last.as_ref().is_none_or(|l| *l < key), "scan out of order at {key:?}");
                        last = Some(key);
                    }
                }
            }
            _ => {
                let t0 = now_ms();
                let got = kv.get(&k);
                let t1 = now_ms();
                match self.m.kv.get(&k) {
                    None => check!(self.sh, got.is_none(), "get {k:?}: deleted key present"),
                    Some(e) => match Model::live(e, t0, t1) {
                        Some(true) => check!(self.sh, got.as_ref() == Some(&e.value), "get {k:?}: wrong value"),
                        Some(false) => check!(self.sh, got.is_none(), "get {k:?}: expired key present"),
                        None => check!(self.sh, got.is_none() || got.as_ref() == Some(&e.value), "get {k:?}"),
                    },
                }
            }
        }
    }

    /// A scan of this thread's prefix equals its model.
    fn check_prefix(&mut self) {
        self.sh.checks.fetch_add(1, Relaxed);
        let kv = self.sh.engine.kv();
        let mut plain = self.prefix.clone();
        plain.push(b'k');
        let t0 = now_ms();
        let got: Vec<(Vec<u8>, Vec<u8>)> = kv.scan_prefix(&self.prefix).collect();
        let t1 = now_ms();
        let mut seen = BTreeSet::new();
        for (k, v) in &got {
            if k.ends_with(b"ctr") {
                continue;
            }
            seen.insert(k.clone());
            match self.m.kv.get(k) {
                None => self.sh.violation(format_args!("prefix scan: unknown key {k:?}")),
                Some(e) => {
                    check!(self.sh, *v == e.value, "prefix scan: wrong value at {k:?}");
                    check!(self.sh, Model::live(e, t0, t1) != Some(false), "prefix scan: expired {k:?}");
                }
            }
        }
        for (k, e) in &self.m.kv {
            if Model::live(e, t0, t1) == Some(true) {
                check!(self.sh, seen.contains(k), "prefix scan misses live key {k:?}");
            }
        }
        check!(self.sh, got.windows(2).all(|w| w[0].0 < w[1].0), "prefix scan not sorted");
    }

    fn graph_op(&mut self) {
        let g = self.sh.engine.graph();
        let max_id = self.sh.max_id.load(Relaxed);
        let own: Vec<u64> = self.m.nodes.keys().copied().collect();
        let pick = if own.len() < OWN_NODES / 2 { 0 } else { self.rng.below(400) };
        match pick {
            0 if own.len() < OWN_NODES => {
                let n = 1 + self.rng.below(8);
                let first = g.add_nodes(n, Some("P")).unwrap();
                self.sh.max_id.fetch_max(first + n, Relaxed);
                self.m.nodes.extend((first..first + n).map(|id| (id, BTreeMap::new())));
            }
            1 if own.len() > OWN_NODES / 2 => {
                let u = own[self.rng.below(own.len() as u64) as usize];
                let r = g.remove_node(u);
                check!(self.sh, r.is_ok(), "remove own node {u}: {r:?}");
                self.m.nodes.remove(&u);
                for out in self.m.nodes.values_mut() {
                    out.retain(|&(d, _), _| d != u);
                }
            }
            2..=199 if !own.is_empty() => {
                let u = own[self.rng.below(own.len() as u64) as usize];
                // Mostly own nodes, sometimes any id (another thread's, removed, or unknown).
                let v = if self.rng.below(3) == 0 {
                    self.rng.below(max_id + 2)
                } else {
                    own[self.rng.below(own.len() as u64) as usize]
                };
                let t = self.rng.below(2) as usize;
                let w = self.rng.below(100) as f64;
                if self.m.nodes[&u].len() >= MAX_DEGREE && !self.m.nodes[&u].contains_key(&(v, t)) {
                    return;
                }
                match g.add_edge(u, v, TYPES[t], w) {
                    Ok(()) => {
                        self.m.nodes.get_mut(&u).unwrap().insert((v, t), w);
                    }
                    // Ids at or past `max_id` may be reserved by a thread and created meanwhile.
                    Err(e) => check!(self.sh, v >= max_id || !g.contains_node(v), "add_edge {u} -> {v} refused: {e}"),
                }
            }
            200..=279 if !own.is_empty() => {
                let u = own[self.rng.below(own.len() as u64) as usize];
                let out = &self.m.nodes[&u];
                if let Some(&(v, t)) = out.keys().nth(self.rng.below(out.len() as u64 + 1) as usize) {
                    match g.remove_edge(u, v, TYPES[t]) {
                        Ok(()) => {}
                        Err(e) => check!(self.sh, !g.contains_node(v), "remove_edge {u} -> {v}: {e}"),
                    }
                    self.m.nodes.get_mut(&u).unwrap().remove(&(v, t));
                }
            }
            280..=339 => self.check_own_edges(),
            _ => self.hold_snapshot(),
        }
    }

    /// A fresh snapshot shows this thread's nodes and out-edges as its model.
    fn check_own_edges(&mut self) {
        self.sh.checks.fetch_add(1, Relaxed);
        let snap = self.sh.engine.graph().snapshot();
        let own: Vec<u64> = self.m.nodes.keys().copied().collect();
        for _ in 0..8.min(own.len()) {
            let u = own[self.rng.below(own.len() as u64) as usize];
            check!(self.sh, snap.contains_node(u), "own node {u} missing from a later snapshot");
            let Ok(edges) = snap.edges(u, Direction::Out) else { continue };
            let got: BTreeMap<(u64, usize), f64> =
                edges.iter().map(|e| ((e.dst, usize::from(!e.edge_type.is_empty())), e.weight)).collect();
            check!(self.sh, got.len() == edges.len(), "duplicate edges out of {u}");
            let want: BTreeMap<(u64, usize), f64> =
                self.m.nodes[&u].iter().filter(|((v, _), _)| snap.contains_node(*v)).map(|(&k, &w)| (k, w)).collect();
            check!(self.sh, got == want, "out-edges of {u}: snapshot {got:?}, model {want:?}");
            // An edge to a node gone from a later snapshot is gone for good (ids are never reused).
            self.m.nodes.get_mut(&u).unwrap().retain(|(v, _), _| snap.contains_node(*v));
        }
    }

    /// Takes a snapshot and records some answers, or re-reads a held one.
    fn hold_snapshot(&mut self) {
        let ops = self.sh.ops.load(Relaxed);
        match self.held.take() {
            Some((snap, seen, since)) if ops < since + 20_000 => {
                self.sh.checks.fetch_add(1, Relaxed);
                for (u, before) in &seen {
                    let now = snap.neighbors(*u, Direction::Both, None).unwrap_or_default();
                    check!(self.sh, now == *before, "held snapshot changed its answer for {u}");
                }
                self.held = Some((snap, seen, since));
            }
            _ => {
                let snap = self.sh.engine.graph().snapshot();
                let n = snap.node_count();
                let seen = (0..16)
                    .map(|_| self.rng.below(n.max(1)))
                    .map(|u| (u, snap.neighbors(u, Direction::Both, None).unwrap_or_default()))
                    .collect();
                self.held = Some((snap, seen, ops));
            }
        }
    }
}

/// Global invariants on one snapshot, read twice with traffic in between.
fn check_global(sh: &Shared) {
    sh.checks.fetch_add(1, Relaxed);
    let snap = sh.engine.graph().snapshot();
    let view = snap.view();
    let n = snap.node_count();
    let (mut outs, mut ins) = (0u64, 0u64);
    for u in 0..n {
        if !snap.contains_node(u) {
            check!(sh, view.out.degree(u as usize) == 0, "absent node {u} has out-edges in the view");
            continue;
        }
        outs += snap.edges(u, Direction::Out).map_or(0, |e| e.len() as u64);
        ins += snap.edges(u, Direction::In).map_or(0, |e| e.len() as u64);
        let mut from_view: Vec<u64> = view.out.neighbors(u as usize).to_vec();
        from_view.sort_unstable();
        from_view.dedup();
        let read = snap.neighbors(u, Direction::Out, None).unwrap_or_default();
        check!(sh, read == from_view, "snapshot {}: neighbours of {u} differ from its view", snap.version());
    }
    let edges = snap.edge_count();
    check!(sh, outs == edges && ins == edges, "edge count {edges}, out-lists {outs}, in-lists {ins}");
    let wcc = snap.wcc();
    let source = (0..n).find(|&u| snap.contains_node(u));
    let bfs = source.map(|s| snap.bfs(s).unwrap());
    sh.engine.graph().compact();
    check!(sh, snap.wcc() == wcc, "WCC changed on one snapshot");
    check!(sh, source.map(|s| snap.bfs(s).unwrap()) == bfs, "BFS changed on one snapshot");
    check!(sh, snap.edge_count() == edges, "edge count changed on one snapshot");
}

fn rss_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn worker(sh: &Shared, id: usize) -> Model {
    let mut w = Worker {
        sh,
        id,
        rng: Rng(0x9e37_79b9_7f4a_7c15 ^ (id as u64 + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9)),
        m: Model::default(),
        prefix: format!("t{id:03}:").into_bytes(),
        held: None,
    };
    let mut last_global = Instant::now();
    while !sh.stop.load(Relaxed) {
        for _ in 0..256 {
            if w.rng.below(2) == 0 { w.kv_op() } else { w.graph_op() }
        }
        sh.ops.fetch_add(256, Relaxed);
        if w.id == 0 && last_global.elapsed() > Duration::from_secs(2) {
            let g = sh.engine.graph();
            g.compact();
            sh.engine.maintain();
            check_global(sh);
            last_global = Instant::now();
        }
    }
    // Let pending TTLs expire, then check everything this thread owns.
    std::thread::sleep(Duration::from_millis(50));
    w.check_prefix();
    w.check_own_edges();
    w.m
}

fn main() {
    let mut secs = 600u64;
    let mut threads = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (args[i].as_str(), value) {
            ("--secs", Some(v)) => secs = v,
            ("--threads", Some(v)) => threads = v.max(1) as usize,
            _ => {
                eprintln!("usage: soak [--secs N] [--threads N]");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    println!("soak: {threads} threads for {secs} s");

    // Compacting by itself at 4096 delta writes (rather than 65536) makes
    // automatic compactions race with the traffic much more often.
    let compaction = CompactionPolicy { auto: true, min_delta: 4096, ratio: 0.5 };
    let sh = Shared {
        engine: Engine::with_config(Config { compaction, ..Config::default() }),
        stop: AtomicBool::new(false),
        ops: AtomicU64::new(0),
        violations: AtomicU64::new(0),
        checks: AtomicU64::new(0),
        max_id: AtomicU64::new(0),
        peak_rss_kb: AtomicU64::new(0),
    };
    let start = Instant::now();
    let models: Vec<Model> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|id| {
                s.spawn({
                    let sh = &sh;
                    move || worker(sh, id)
                })
            })
            .collect();
        let mut next_report = 10;
        while start.elapsed() < Duration::from_secs(secs) {
            std::thread::sleep(
                Duration::from_millis(200).min(Duration::from_secs(secs).saturating_sub(start.elapsed())),
            );
            sh.peak_rss_kb.fetch_max(rss_kb("VmRSS:"), Relaxed);
            let t = start.elapsed().as_secs();
            if t >= next_report {
                let mem = sh.engine.memory_stats();
                println!(
                    "  {t:>5} s  {:>12} ops  RSS {:>7} KiB  pending garbage {:>9} B  violations {}",
                    sh.ops.load(Relaxed),
                    rss_kb("VmRSS:"),
                    mem.pending_bytes(),
                    sh.violations.load(Relaxed)
                );
                next_report += if secs > 120 { 60 } else { 10 };
            }
        }
        sh.stop.store(true, Relaxed);
        handles.into_iter().map(|h| h.join().expect("worker panicked")).collect()
    });
    let elapsed = start.elapsed();

    // Final invariants.
    let kv = sh.engine.kv();
    for c in 0..COUNTERS {
        let want: i64 = models.iter().map(|m| m.counters[c]).sum();
        let got =
            kv.get(format!("ctr:{c}").as_bytes()).map(|v| String::from_utf8_lossy(&v).parse::<i64>().unwrap_or(-1));
        check!(sh, got.unwrap_or(0) == want, "counter {c}: {got:?}, want {want}");
    }
    let g = sh.engine.graph();
    g.compact();
    let stats = g.stats();
    let want_nodes: usize = models.iter().map(|m| m.nodes.len()).sum();
    check!(sh, stats.nodes == want_nodes as u64, "nodes {} != {want_nodes}", stats.nodes);
    check!(sh, stats.delta_edges == 0, "{} delta edges left after a final compaction", stats.delta_edges);
    let snap = g.snapshot();
    let want_edges: usize = models
        .iter()
        .flat_map(|m| m.nodes.values())
        .map(|out| out.keys().filter(|(v, _)| snap.contains_node(*v)).count())
        .sum();
    check!(sh, snap.edge_count() == want_edges as u64, "edges {} != {want_edges}", snap.edge_count());
    check_global(&sh);
    drop(snap);
    // Each pass frees a bounded number of garbage bags: repeat while it helps.
    let mut pending = u64::MAX;
    while sh.engine.memory_stats().pending_bytes() < pending {
        pending = sh.engine.memory_stats().pending_bytes();
        sh.engine.maintain();
    }
    let mem = sh.engine.memory_stats();
    let ops = sh.ops.load(Relaxed);
    let violations = sh.violations.load(Relaxed);
    sh.peak_rss_kb.fetch_max(rss_kb("VmRSS:"), Relaxed);
    println!("soak summary");
    println!("  duration        {:.1} s, {threads} threads", elapsed.as_secs_f64());
    println!("  ops             {ops} ({:.0}/s)", ops as f64 / elapsed.as_secs_f64());
    println!("  violations      {violations} (in {} snapshot and model checks)", sh.checks.load(Relaxed));
    println!(
        "  graph           {} nodes ({} ids handed out: ids are never reused), {} edges, {} compactions",
        stats.nodes,
        sh.max_id.load(Relaxed),
        want_edges,
        stats.compactions
    );
    println!("  kv              {} live keys", kv.len());
    println!(
        "  RSS             peak {} KiB (VmHWM {} KiB), final {} KiB",
        sh.peak_rss_kb.load(Relaxed),
        rss_kb("VmHWM:"),
        rss_kb("VmRSS:")
    );
    println!(
        "  memory manager  retired {} B, freed {} B, pending {} B",
        mem.retired_bytes,
        mem.freed_bytes,
        mem.pending_bytes()
    );
    if violations > 0 {
        eprintln!("soak: {violations} invariant violations");
        std::process::exit(1);
    }
}
