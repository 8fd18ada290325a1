//! A social network on kvgraph: profiles and the external-id index in the
//! KV map, friendships in the graph, analytics on snapshots while a writer
//! keeps adding friendships.
//!
//! ```text
//! cargo run --release --example social                    # 1,000,000 people
//! cargo run --release --example social -- --people 50000  # smaller
//! KVG_SOCIAL_PEOPLE=50000 cargo run --release --example social
//! ```
//! Options: `--people N` (env `KVG_SOCIAL_PEOPLE`, default 1,000,000),
//! `--writer-secs S` (env `KVG_SOCIAL_WRITER_SECS`, default 3): how long the
//! live writer runs. The data is generated, deterministically: every person
//! starts 5 friendships (so ~10 friends each), half with people nearby in
//! id order (communities, hence mutual friends), 30% with Zipf-popular people
//! (hubs: a power-law-ish degree distribution) and 20% with anyone; one
//! person in 50 is a newcomer nobody has befriended yet.

#[path = "common/datagen.rs"]
mod datagen;

use datagen::{Rng64, Zipf};
use indicatif::{ProgressBar, ProgressStyle};
use kvgraph::{Direction, Engine, Snapshot};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const FRIEND: &str = "FRIEND";
/// Friendships each person starts.
const STARTED: u64 = 5;

/// Whether person `i` is a newcomer without friends.
fn newcomer(i: u64) -> bool {
    i.is_multiple_of(50)
}

const FIRST_NAMES: [&str; 32] = [
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Barbara",
    "Edsger",
    "Margaret",
    "Donald",
    "Frances",
    "Ken",
    "Radia",
    "Dennis",
    "Karen",
    "John",
    "Sophie",
    "Niklaus",
    "Hedy",
    "Tim",
    "Shafi",
    "Leslie",
    "Lynn",
    "Robin",
    "Jean",
    "Guido",
    "Anita",
    "Bjarne",
    "Joan",
    "Yukihiro",
    "Mary",
    "Tony",
    "Katherine",
    "Ivan",
];
const LAST_NAMES: [&str; 32] = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Liskov",
    "Dijkstra",
    "Hamilton",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Ritchie",
    "Jones",
    "McCarthy",
    "Wilson",
    "Wirth",
    "Lamarr",
    "Berners-Lee",
    "Goldwasser",
    "Lamport",
    "Conway",
    "Milner",
    "Sammet",
    "van Rossum",
    "Borg",
    "Stroustrup",
    "Clarke",
    "Matsumoto",
    "Shaw",
    "Hoare",
    "Johnson",
    "Sutherland",
];
const CITIES: [&str; 12] =
    ["Lyon", "Oslo", "Lagos", "Lima", "Pune", "Osaka", "Perth", "Quito", "Tunis", "Hanoi", "Cork", "Graz"];

/// The external id of person `i`: a scrambled, unique 8-hex-digit handle.
fn external_id(i: u64) -> String {
    let x = (i as u32).wrapping_mul(0x9E37_79B1) ^ 0x5BD1_E995;
    format!("u{x:08x}")
}

/// The profile of person `i`, as JSON bytes.
fn profile(i: u64, ext: &str) -> String {
    let mut rng = Rng64::new(i ^ 0xC0FFEE);
    let first = FIRST_NAMES[rng.below(32) as usize];
    let last = LAST_NAMES[rng.below(32) as usize];
    let city = CITIES[rng.below(12) as usize];
    let age = 18 + rng.below(60);
    let joined = 2008 + rng.below(18);
    format!(r#"{{"id":"{ext}","name":"{first} {last}","age":{age},"city":"{city}","joined":{joined}}}"#)
}

/// The `"name"` field of a profile.
fn name_of(profile: &[u8]) -> String {
    let s = String::from_utf8_lossy(profile);
    s.split(r#""name":""#).nth(1).and_then(|r| r.split('"').next()).unwrap_or("?").to_string()
}

fn parse_args() -> (u64, u64) {
    let mut people = datagen::env_u64("KVG_SOCIAL_PEOPLE", 1_000_000);
    let mut writer_secs = datagen::env_u64("KVG_SOCIAL_WRITER_SECS", 3);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| -> u64 {
            args.get(i + 1)
                .and_then(|v| v.replace('_', "").parse().ok())
                .unwrap_or_else(|| panic!("{} needs a number", args[i]))
        };
        match args[i].as_str() {
            "--people" => people = value(i),
            "--writer-secs" => writer_secs = value(i),
            "--bench" => {} // passed by `cargo bench --all-targets`; ignore
            other => panic!("unknown argument {other:?}; use --people N and/or --writer-secs S"),
        }
        i += 2;
    }
    assert!(people >= 100, "--people must be at least 100");
    (people, writer_secs)
}

fn bar(len: u64, prefix: &'static str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{prefix:>12} [{bar:40.cyan/blue}] {human_pos}/{human_len} {per_sec:>14} {elapsed}",
        )
        .unwrap()
        .progress_chars("=> "),
    );
    pb.set_prefix(prefix);
    pb
}

fn spinner(msg: &'static str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(ProgressStyle::with_template("{prefix:>12} {spinner} {msg} {elapsed}").unwrap());
    pb.set_prefix(msg);
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}

/// The application's view of the engine: people by external id.
struct Social {
    engine: Engine,
    people: u64,
    first_node: u64,
}

impl Social {
    /// The node of external id `ext`, through the KV index.
    fn node_of(&self, ext: &str) -> Option<u64> {
        let v = self.engine.kv().get(format!("uid:{ext}").as_bytes())?;
        std::str::from_utf8(&v).ok()?.parse().ok()
    }

    /// The external id of node `id`, through the KV index.
    fn external_of(&self, id: u64) -> Option<String> {
        self.engine.kv().get(format!("nid:{id}").as_bytes()).map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    /// The profile name of node `id`, through the KV map.
    fn name(&self, id: u64) -> String {
        self.external_of(id)
            .and_then(|ext| self.engine.kv().get(format!("user:{ext}").as_bytes()))
            .map_or_else(|| "?".to_string(), |p| name_of(&p))
    }

    /// Fills the KV map: profiles, `uid:` -> node and `nid:` -> external id, on two threads.
    fn load_profiles(&self) -> Duration {
        let pb = bar(self.people, "profiles");
        let start = Instant::now();
        let threads = 2;
        std::thread::scope(|s| {
            for t in 0..threads {
                let pb = &pb;
                s.spawn(move || {
                    let kv = self.engine.kv();
                    let (mut key, mut val) = (String::new(), String::new());
                    let mut done = 0;
                    for i in (t..self.people).step_by(threads as usize) {
                        let ext = external_id(i);
                        let node = self.first_node + i;
                        key.clear();
                        let _ = write!(key, "user:{ext}");
                        kv.set(key.as_bytes(), profile(i, &ext).as_bytes());
                        key.clear();
                        val.clear();
                        let _ = write!(key, "uid:{ext}");
                        let _ = write!(val, "{node}");
                        kv.set(key.as_bytes(), val.as_bytes());
                        key.clear();
                        let _ = write!(key, "nid:{node}");
                        kv.set(key.as_bytes(), ext.as_bytes());
                        done += 1;
                        if done % 4096 == 0 {
                            pb.inc(4096);
                        }
                    }
                    pb.inc(done % 4096);
                });
            }
        });
        let t = start.elapsed();
        pb.finish();
        t
    }
}

/// Friendships as directed edge lists (both directions of each), generated
/// deterministically in fixed chunks on two threads.
fn friendships(people: u64, first_node: u64) -> (Vec<u64>, Vec<u64>) {
    const CHUNK: u64 = 1 << 16;
    let zipf = Zipf::new(people, 0.9);
    let pb = bar(people, "friendships");
    let chunks: Vec<u64> = (0..people.div_ceil(CHUNK)).collect();
    let parts: Vec<(Vec<u64>, Vec<u64>)> = std::thread::scope(|s| {
        let handles: Vec<_> = [0usize, 1]
            .into_iter()
            .map(|t| {
                let (zipf, pb, chunks) = (&zipf, &pb, &chunks);
                s.spawn(move || {
                    let mut out = Vec::new();
                    for &c in chunks.iter().skip(t).step_by(2) {
                        let mut rng = Rng64::new(0x50C1A1 ^ c);
                        let (mut src, mut dst) = (Vec::new(), Vec::new());
                        let end = ((c + 1) * CHUNK).min(people);
                        for i in c * CHUNK..end {
                            for _ in 0..STARTED {
                                let roll = rng.below(10);
                                let j = if roll < 5 {
                                    (i + 1 + rng.below(40)) % people
                                } else if roll < 8 {
                                    zipf.next(&mut rng)
                                } else {
                                    rng.below(people)
                                };
                                if j != i && !newcomer(i) && !newcomer(j) {
                                    src.extend([first_node + i, first_node + j]);
                                    dst.extend([first_node + j, first_node + i]);
                                }
                            }
                        }
                        pb.inc(end - c * CHUNK);
                        out.push((c, src, dst));
                    }
                    out
                })
            })
            .collect();
        let mut all: Vec<(u64, Vec<u64>, Vec<u64>)> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort_by_key(|p| p.0);
        all.into_iter().map(|(_, s, d)| (s, d)).collect()
    });
    pb.finish();
    let (mut src, mut dst) = (Vec::new(), Vec::new());
    for (s, d) in parts {
        src.extend(s);
        dst.extend(d);
    }
    (src, dst)
}

/// People two hops from `user` who are not friends yet, by mutual friends.
fn recommend(snap: &Snapshot, user: u64, top: usize) -> (usize, Vec<(u64, usize)>) {
    let friends = snap.neighbors(user, Direction::Out, Some(FRIEND)).unwrap();
    let mut mutual: HashMap<u64, usize> = HashMap::new();
    for &f in &friends {
        for c in snap.neighbors(f, Direction::Out, Some(FRIEND)).unwrap() {
            if c != user && friends.binary_search(&c).is_err() {
                *mutual.entry(c).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(u64, usize)> = mutual.into_iter().collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(top);
    (friends.len(), ranked)
}

/// A digest of the neighbour lists of `nodes` in `snap`.
fn digest(snap: &Snapshot, nodes: &[u64]) -> (u64, u64) {
    let (mut h, mut count) = (0xCBF2_9CE4_8422_2325u64, 0u64);
    for &u in nodes {
        for v in snap.neighbors(u, Direction::Both, None).unwrap() {
            h = (h ^ v ^ (u << 32)).wrapping_mul(0x0000_0100_0000_01B3);
            count += 1;
        }
    }
    (h, count)
}

fn main() {
    let (people, writer_secs) = parse_args();
    let total = Instant::now();
    println!("kvgraph social network example: {} people\n", datagen::thousands(people));

    // Build.
    let engine = Engine::new();
    let first_node = engine.graph().add_nodes(people, Some("Person")).unwrap();
    let app = Social { engine, people, first_node };
    let kv_time = app.load_profiles();
    let kv_sets = 3 * people;

    let gen_start = Instant::now();
    let (src, dst) = friendships(people, first_node);
    let gen_time = gen_start.elapsed();
    let edges = src.len() as u64;

    let pb = spinner("bulk load");
    pb.set_message(format!("{} directed FRIEND edges", datagen::thousands(edges)));
    let load_start = Instant::now();
    app.engine.graph().load_edges(&src, &dst, None, Some(FRIEND)).unwrap();
    let load_time = load_start.elapsed();
    pb.finish();
    drop((src, dst));

    let snap = app.engine.graph().snapshot();
    let stored_edges = snap.edge_count();
    println!(
        "\nbuilt: {} KV entries, {} nodes, {} edges ({} friendships after de-duplication)\n",
        datagen::thousands(app.engine.kv().len() as u64),
        datagen::thousands(snap.node_count()),
        datagen::thousands(stored_edges),
        datagen::thousands(stored_edges / 2)
    );

    // Friend-of-friend recommendations.
    let fof_start = Instant::now();
    let mut fof_users = 0;
    // Odd indices: never newcomers.
    for i in [1, (people / 3) | 1, (2 * people / 3) | 1] {
        let ext = external_id(i);
        let user = app.node_of(&ext).expect("indexed user");
        let (friends, recs) = recommend(&snap, user, 5);
        fof_users += 1;
        println!("People {} ({ext}, {friends} friends) may know:", app.name(user));
        for (cand, mutual) in recs {
            let ext = app.external_of(cand).unwrap_or_default();
            println!("  {:<24} {ext}  {mutual} mutual friend{}", app.name(cand), if mutual == 1 { "" } else { "s" });
        }
    }
    let fof_time = fof_start.elapsed();

    // PageRank.
    let pr_start = Instant::now();
    let ranks = snap.pagerank(0.85, 20).unwrap();
    let pr_time = pr_start.elapsed();
    let mut order: Vec<u64> = (0..ranks.len() as u64).collect();
    order.sort_unstable_by(|&a, &b| ranks[b as usize].total_cmp(&ranks[a as usize]).then(a.cmp(&b)));
    println!("\nMost influential people (PageRank, 20 iterations):");
    for (k, &u) in order.iter().take(10).enumerate() {
        let friends = snap.neighbors(u, Direction::Out, Some(FRIEND)).unwrap().len();
        println!(
            "  {:>2}. {:<24} {}  rank {:.6}  {friends} friends",
            k + 1,
            app.name(u),
            app.external_of(u).unwrap_or_default(),
            ranks[u as usize]
        );
    }

    // WCC.
    let wcc_start = Instant::now();
    let comp = snap.wcc();
    let wcc_time = wcc_start.elapsed();
    let mut sizes: HashMap<u64, u64> = HashMap::new();
    for &c in comp.iter().filter(|&&c| c != u64::MAX) {
        *sizes.entry(c).or_default() += 1;
    }
    let largest = sizes.values().copied().max().unwrap_or(0);
    println!(
        "\nCommunities: {} connected components; the largest holds {} people ({:.2}%)",
        datagen::thousands(sizes.len() as u64),
        datagen::thousands(largest),
        100.0 * largest as f64 / people as f64
    );
    drop(snap);

    // Live writes: a writer adds friendships and compacts now and then while
    // a snapshot, taken mid-way, must keep answering the same.
    println!(
        "\nLive: a writer adds friendships for up to {writer_secs} s (at most {} edges), compacting every second; \
         a snapshot is read meanwhile",
        datagen::thousands(2 * people)
    );
    let stop = AtomicBool::new(false);
    let compact_now = AtomicBool::new(false);
    let inserted = AtomicU64::new(0);
    let compactions = AtomicU64::new(0);
    let compact_nanos = AtomicU64::new(0);
    let insert_nanos = AtomicU64::new(0);
    let graph = app.engine.graph();
    let cap = 2 * people;
    let deadline = Instant::now() + Duration::from_secs(writer_secs);
    let (check, writer_time) = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut rng = Rng64::new(0xF00D);
            let start = Instant::now();
            let mut last_compaction = Instant::now();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if n < cap {
                    let t = Instant::now();
                    for _ in 0..500 {
                        let a = first_node + rng.below(people);
                        let b = first_node + rng.below(people);
                        if a != b {
                            graph.add_edge(a, b, Some(FRIEND), 1.0).unwrap();
                            graph.add_edge(b, a, Some(FRIEND), 1.0).unwrap();
                            n += 2;
                        }
                    }
                    insert_nanos.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    inserted.store(n, Ordering::Relaxed);
                } else {
                    std::thread::sleep(Duration::from_millis(1));
                }
                if last_compaction.elapsed() >= Duration::from_secs(1) || compact_now.swap(false, Ordering::Relaxed) {
                    let t = Instant::now();
                    if graph.compact() {
                        compactions.fetch_add(1, Ordering::Relaxed);
                    }
                    compact_nanos.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    last_compaction = Instant::now();
                }
            }
            start.elapsed()
        });
        // Let some writes land in the delta, then take the snapshot.
        while inserted.load(Ordering::Relaxed) < cap.min(20_000) {
            std::thread::sleep(Duration::from_millis(2));
        }
        let snap = graph.snapshot();
        let (seen_inserts, seen_compactions) = (inserted.load(Ordering::Relaxed), compactions.load(Ordering::Relaxed));
        let mut rng = Rng64::new(7);
        let sample: Vec<u64> = (0..2000).map(|_| first_node + rng.below(people)).collect();
        let first = digest(&snap, &sample);
        let mat_start = Instant::now();
        let edges_first = snap.edge_count();
        let materialize = mat_start.elapsed();
        let bfs_first = snap.bfs(sample[0]).unwrap();
        // Let the writer go on, and compact at least once, before reading again.
        while Instant::now() < deadline && inserted.load(Ordering::Relaxed) < cap {
            std::thread::sleep(Duration::from_millis(10));
        }
        compact_now.store(true, Ordering::Relaxed);
        while compactions.load(Ordering::Relaxed) == seen_compactions {
            std::thread::sleep(Duration::from_millis(5));
        }
        let second = digest(&snap, &sample);
        let edges_second = snap.edge_count();
        let bfs_second = snap.bfs(sample[0]).unwrap();
        let writes_between = inserted.load(Ordering::Relaxed) - seen_inserts;
        let compactions_between = compactions.load(Ordering::Relaxed) - seen_compactions;
        assert_eq!(first, second, "a snapshot changed under concurrent writes");
        assert_eq!(edges_first, edges_second);
        assert_eq!(bfs_first, bfs_second);
        let newer = graph.snapshot().edge_count();
        stop.store(true, Ordering::Relaxed);
        let writer_time = writer.join().unwrap();
        ((edges_first, first.1, writes_between, compactions_between, newer, materialize), writer_time)
    });
    let (snap_edges, adj_entries, writes_between, compactions_between, newer, materialize) = check;
    println!(
        "  snapshot consistent: {} edges, 2,000 neighbour lists ({} entries) and a BFS identical before and after \
         {} concurrent edge inserts and {} compaction(s); a newer snapshot sees {} edges",
        datagen::thousands(snap_edges),
        datagen::thousands(adj_entries),
        datagen::thousands(writes_between),
        compactions_between,
        datagen::thousands(newer),
    );
    assert!(newer >= snap_edges);
    let live_inserts = inserted.load(Ordering::Relaxed);
    let compaction_secs = compact_nanos.load(Ordering::Relaxed) as f64 / 1e9;
    let insert_secs = (insert_nanos.load(Ordering::Relaxed) as f64 / 1e9).max(1e-9);

    println!("\nThroughput");
    println!("| what | amount | time | rate |");
    println!("|---|---:|---:|---:|");
    let rate = |n: u64, t: f64| format!("{:.2} M/s", n as f64 / t / 1e6);
    let kv_secs = kv_time.as_secs_f64();
    println!("| KV sets (2 threads) | {} | {kv_secs:.2} s | {} |", datagen::thousands(kv_sets), rate(kv_sets, kv_secs));
    println!("| friendship generation | {} edges | {:.2} s | — |", datagen::thousands(edges), gen_time.as_secs_f64());
    let ls = load_time.as_secs_f64();
    println!("| bulk load (`load_edges`) | {} edges | {ls:.2} s | {} |", datagen::thousands(edges), rate(edges, ls));
    println!(
        "| live `add_edge` (1 writer thread) | {} edges | {insert_secs:.2} s | {} |",
        datagen::thousands(live_inserts),
        rate(live_inserts, insert_secs)
    );
    println!(
        "| compactions by the writer (meanwhile snapshots stay readable) | {} | {compaction_secs:.2} s | — |",
        compactions.load(Ordering::Relaxed)
    );
    println!("| writer thread, wall time | — | {:.2} s | — |", writer_time.as_secs_f64());
    println!("| friend-of-friend, {fof_users} users | — | {:.1} ms | — |", fof_time.as_secs_f64() * 1e3);
    println!(
        "| PageRank, 20 iterations | {} edges | {:.2} s | — |",
        datagen::thousands(stored_edges),
        pr_time.as_secs_f64()
    );
    println!("| WCC | {} edges | {:.2} s | — |", datagen::thousands(stored_edges), wcc_time.as_secs_f64());
    println!(
        "| materialising a snapshot with a live delta | {} edges | {:.2} s | — |",
        datagen::thousands(snap_edges),
        materialize.as_secs_f64()
    );
    println!("\ndone in {:.1} s", total.elapsed().as_secs_f64());
}
