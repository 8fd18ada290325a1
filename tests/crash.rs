//! Crash tests with real processes: a child (this test binary re-run with
//! `KVGRAPH_CRASH_CHILD` set) writes KV entries and graph nodes/edges from
//! several threads and prints each write once its call has returned; the
//! parent SIGKILLs it at a random moment, reopens the directory and checks:
//! - `always`: every acknowledged write is present, and what survives of
//!   each thread is a prefix of its writes (at most the one write in flight
//!   beyond the last acknowledged);
//! - `everysec`: each thread's surviving writes are a prefix of its order,
//!   and every write acknowledged more than ~1 s before the kill survived.
//!
//! A second child writes KV write groups (each setting several keys to its
//! sequence number, adding an item and a count): after the kill every group
//! is whole or absent, and each thread's groups survive as a prefix.

use kvgraph::{Config, Direction, Engine, Fsync, SavePolicy, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const THREADS: u64 = 4;
/// Every GRAPH_EVERY-th write of a thread also adds a node (tid, seq) and
/// an edge from the thread's previous node.
const GRAPH_EVERY: u64 = 4;

fn config(dir: &Path, fsync: Fsync) -> Config {
    // A save now and then while the child runs exercises log rotation too.
    let save = SavePolicy { rules: vec![(0, 3000)] };
    Config { path: Some(dir.to_path_buf()), fsync, save, ..Config::default() }
}

fn fsync_named(name: &str) -> Fsync {
    match name {
        "always" => Fsync::Always,
        "everysec" => Fsync::EverySec,
        _ => Fsync::Never,
    }
}

/// The child's body: runs only when re-executed by a parent.
#[test]
fn crash_child() {
    let (Ok(dir), Ok(policy)) = (std::env::var("KVGRAPH_CRASH_CHILD"), std::env::var("KVGRAPH_CRASH_FSYNC")) else {
        return;
    };
    let engine = Engine::try_with_config(config(Path::new(&dir), fsync_named(&policy))).unwrap();
    println!("READY");
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let engine = &engine;
            s.spawn(move || {
                let mut prev = None;
                for n in 0u64.. {
                    engine.kv().set(format!("t{t}:{n:08}").as_bytes(), n.to_string().as_bytes());
                    if n % GRAPH_EVERY == 0 {
                        let g = engine.graph();
                        let id = g.add_node(Some("T")).unwrap();
                        g.set_property_value(id, "tid", Value::Int(t as i64)).unwrap();
                        g.set_property_value(id, "seq", Value::Int(n as i64)).unwrap();
                        if let Some(p) = prev {
                            // One batch of two writes: after a kill, both or neither.
                            let mut b = g.batch();
                            b.add_edge(p, id, Some("NEXT"), n as f64).unwrap();
                            b.create_relationship(p, id, Some("PAIR"), n as f64).unwrap();
                            b.commit().unwrap();
                        }
                        prev = Some(id);
                    }
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {t} {n}").unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

/// What survived of one thread's writes.
struct Survived {
    /// KV writes present: must be 0..=max.
    kv: Vec<u64>,
    /// Graph writes present (seq of each node), in chain order.
    graph: Vec<u64>,
    /// Seqs of the nodes whose edge from the previous node is present.
    edges: Vec<u64>,
}

fn survived(e: &Engine) -> BTreeMap<u64, Survived> {
    let mut out: BTreeMap<u64, Survived> =
        (0..THREADS).map(|t| (t, Survived { kv: Vec::new(), graph: Vec::new(), edges: Vec::new() })).collect();
    for (k, v) in e.kv().scan(None, None) {
        let k = String::from_utf8(k).unwrap();
        let (t, n) = k[1..].split_once(':').unwrap();
        let (t, n): (u64, u64) = (t.parse().unwrap(), n.parse().unwrap());
        assert_eq!(v, n.to_string().as_bytes(), "value of {k}");
        out.get_mut(&t).unwrap().kv.push(n);
    }
    let g = e.graph();
    let snap = g.snapshot();
    let mut by_thread: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for id in 0..snap.node_count() {
        if !snap.contains_node(id) {
            continue;
        }
        let (Some(Value::Int(t)), Some(Value::Int(n))) =
            (snap.property_value(id, "tid").unwrap(), snap.property_value(id, "seq").unwrap())
        else {
            // The node of a write cut by the kill before its properties: unacknowledged.
            continue;
        };
        by_thread.entry(t as u64).or_default().push((n as u64, id));
    }
    for (t, mut nodes) in by_thread {
        nodes.sort();
        let s = out.get_mut(&t).unwrap();
        for w in nodes.windows(2) {
            let ((_, a), (n, b)) = (w[0], w[1]);
            let edges = snap.edges(a, Direction::Out).unwrap();
            let has = |ty: &str| edges.iter().any(|e| e.dst == b && e.edge_type == ty && e.weight == n as f64);
            assert_eq!(has("NEXT"), has("PAIR"), "half of a batch survived at node {b}");
            if has("NEXT") {
                s.edges.push(n);
            }
        }
        s.graph = nodes.into_iter().map(|(n, _)| n).collect();
    }
    out
}

/// Starts this test binary running only the child test `test`, which finds
/// its directory in the environment variable `var` and the fsync policy in
/// `KVGRAPH_CRASH_FSYNC`; returns it with its stdout.
fn spawn_child(test: &str, var: &str, dir: &Path, policy: &str) -> (std::process::Child, std::process::ChildStdout) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(var, dir)
        .env("KVGRAPH_CRASH_FSYNC", policy)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    (child, stdout)
}

/// Runs one round: child killed after `delay`; returns (acks per thread
/// with their arrival times, kill time).
fn round(dir: &Path, policy: &str, delay: Duration) -> (BTreeMap<u64, Vec<(u64, Instant)>>, Instant) {
    let (mut child, stdout) = spawn_child("crash_child", "KVGRAPH_CRASH_CHILD", dir, policy);
    let reader = std::thread::spawn(move || {
        let mut acks: BTreeMap<u64, Vec<(u64, Instant)>> = BTreeMap::new();
        let mut ready = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // The harness may print "test crash_child ... " before it.
            if line.ends_with("READY") {
                ready = Some(Instant::now());
            }
            if let Some(rest) = line.find("ACK ").map(|i| &line[i + 4..]) {
                let (t, n) = rest.split_once(' ').unwrap();
                acks.entry(t.parse().unwrap()).or_default().push((n.parse().unwrap(), Instant::now()));
            }
        }
        (acks, ready)
    });
    // Kill at `delay` after start (the child needs a moment to open).
    std::thread::sleep(delay);
    let killed = Instant::now();
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let (acks, ready) = reader.join().unwrap();
    assert!(ready.is_some() || acks.is_empty(), "child acknowledged writes before READY?");
    (acks, killed)
}

fn check_round(dir: &Path, policy: &str, delay: Duration) -> usize {
    let (acks, killed) = round(dir, policy, delay);
    let e = Engine::try_with_config(config(dir, fsync_named(policy))).expect("reopen after SIGKILL");
    let got = survived(&e);
    let r = e.recovery().unwrap();
    eprintln!(
        "{policy} kill at {delay:?}: {} acks, snapshot {:?}, {} replayed, torn {:?}",
        acks.values().map(Vec::len).sum::<usize>(),
        r.snapshot_counts,
        r.replayed,
        r.torn.as_ref().map(|t| t.2)
    );
    let mut acked_total = 0;
    for t in 0..THREADS {
        let s = &got[&t];
        let thread_acks = acks.get(&t).cloned().unwrap_or_default();
        acked_total += thread_acks.len();
        // A prefix of the thread's writes, with no gap.
        let max = s.kv.last().map_or(-1, |&m| m as i64);
        assert_eq!(s.kv, (0..=max).map(|n| n as u64).collect::<Vec<_>>(), "thread {t}: KV writes not a prefix");
        let graph_expect: Vec<u64> =
            s.graph.first().map_or(vec![], |_| (0..).step_by(GRAPH_EVERY as usize).take(s.graph.len()).collect());
        assert_eq!(s.graph, graph_expect, "thread {t}: graph writes not a prefix");
        let last_acked = thread_acks.last().map_or(-1, |&(n, _)| n as i64);
        let must_have = match policy {
            "always" => last_acked,
            _ => thread_acks
                .iter()
                .rev()
                .find(|(_, at)| killed.duration_since(*at) > Duration::from_millis(1500))
                .map_or(-1, |&(n, _)| n as i64),
        };
        assert!(max >= must_have, "thread {t}: acknowledged write {must_have} lost (survived up to {max}), {policy}");
        if policy == "always" {
            assert!(max <= last_acked + 1, "thread {t}: {max} survived but only {last_acked} acknowledged");
        }
        let graph_max = s.graph.last().map_or(-1, |&n| n as i64);
        assert!(graph_max <= max, "graph write {graph_max} before its KV write {max}?");
        assert!(graph_max + GRAPH_EVERY as i64 > must_have, "thread {t}: acknowledged graph write lost");
        // Every edge but possibly the newest node's (its write unacknowledged) is there.
        let edges_expect: Vec<u64> = s.graph.iter().skip(1).copied().collect();
        let complete =
            s.edges == edges_expect || (s.edges[..] == edges_expect[..edges_expect.len() - 1] && graph_max > must_have);
        assert!(complete, "thread {t}: edges {:?} for nodes {:?}", s.edges, s.graph);
    }
    acked_total
}

fn rounds(policy: &str, n: u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ policy.len() as u64;
    let mut total = 0;
    for i in 0..n {
        let dir = dir.path().join(format!("round-{i}"));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(150 + seed % 400);
        total += check_round(&dir, policy, delay);
    }
    assert!(total > 0, "the child never acknowledged a write");
}

#[test]
fn sigkill_with_always_loses_no_acknowledged_write() {
    rounds("always", 10);
}

#[test]
fn sigkill_with_everysec_keeps_a_prefix_of_each_thread() {
    rounds("everysec", 8);
}

/// Keys each group of the group child sets to its sequence number.
const GROUP_KEYS: u64 = 8;

/// The group child's body: runs only when re-executed by a parent.
#[test]
fn crash_group_child() {
    let (Ok(dir), Ok(policy)) = (std::env::var("KVGRAPH_CRASH_GROUP_CHILD"), std::env::var("KVGRAPH_CRASH_FSYNC"))
    else {
        return;
    };
    let engine = Engine::try_with_config(config(Path::new(&dir), fsync_named(&policy))).unwrap();
    println!("READY");
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let kv = engine.kv();
            s.spawn(move || {
                for n in 0u64.. {
                    kv.write_group(|| {
                        for j in 0..GROUP_KEYS {
                            kv.set(format!("g{t}:{j}").as_bytes(), n.to_string().as_bytes());
                        }
                        kv.set(format!("i{t}:{n:08}").as_bytes(), b"");
                        kv.incr(format!("c{t}").as_bytes(), 1).unwrap();
                    })
                    .unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {t} {n}").unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

/// One round of the group child killed after `delay`: every group whole or
/// absent, a prefix of each thread's, with the acknowledged ones under `always`.
fn check_group_round(dir: &Path, policy: &str, delay: Duration) -> usize {
    let (mut child, stdout) = spawn_child("crash_group_child", "KVGRAPH_CRASH_GROUP_CHILD", dir, policy);
    let reader = std::thread::spawn(move || {
        let mut last: BTreeMap<u64, u64> = BTreeMap::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.find("ACK ").map(|i| &line[i + 4..]) {
                let (t, n) = rest.split_once(' ').unwrap();
                last.insert(t.parse().unwrap(), n.parse().unwrap());
            }
        }
        last
    });
    std::thread::sleep(delay);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let last = reader.join().unwrap();
    let e = Engine::try_with_config(config(dir, fsync_named(policy))).expect("reopen after SIGKILL");
    let kv = e.kv();
    let r = e.recovery().unwrap();
    eprintln!("groups, {policy} kill at {delay:?}: {} replayed, torn {:?}", r.replayed, r.torn.as_ref().map(|t| t.2));
    for t in 0..THREADS {
        let count: Option<u64> =
            kv.get(format!("c{t}").as_bytes()).map(|c| String::from_utf8(c).unwrap().parse().unwrap());
        let items: Vec<u64> = kv
            .scan_prefix(format!("i{t}:").as_bytes())
            .map(|(k, _)| String::from_utf8(k).unwrap()[format!("i{t}:").len()..].parse().unwrap())
            .collect();
        let groups = count.unwrap_or(0);
        assert_eq!(items, (0..groups).collect::<Vec<_>>(), "thread {t}: items disagree with the count {groups}");
        for j in 0..GROUP_KEYS {
            let v = kv.get(format!("g{t}:{j}").as_bytes());
            let expect = groups.checked_sub(1).map(|n| n.to_string().into_bytes());
            assert_eq!(v, expect, "thread {t}: key {j} not from the last of its {groups} groups");
        }
        if policy == "always" {
            let acked = last.get(&t).map_or(0, |n| n + 1);
            assert!(
                groups >= acked && groups <= acked + 1,
                "thread {t}: {groups} groups survived, {acked} acknowledged"
            );
        }
    }
    last.values().map(|n| *n as usize + 1).sum()
}

#[test]
fn sigkill_keeps_every_kv_write_group_whole_or_absent() {
    let dir = tempfile::tempdir().unwrap();
    let mut total = 0;
    for (i, policy) in ["always", "everysec", "always", "everysec", "never", "everysec"].iter().enumerate() {
        let delay = Duration::from_millis(150 + 97 * i as u64 % 400);
        total += check_group_round(&dir.path().join(format!("round-{i}")), policy, delay);
    }
    assert!(total > 0, "the child never acknowledged a group");
}
