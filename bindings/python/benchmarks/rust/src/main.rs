//! Per-call cost of `Snapshot::neighbors` in-process from Rust: the reference
//! point that `bindings/python/benchmarks/harness/workloads/percall.py` sets
//! beside one `Snapshot.neighbors` call from Python. Prints one JSON object.
//!
//! ```text
//! cargo run --release -- --nodes 262144 --degree 8 --calls 200000 --runs 3
//! ```
//! The graph (built the same way in Python): node `u` has out-edges to
//! `(31 u + 7919 j + 1) mod nodes` for `j < degree`; the calls ask for the
//! out-neighbours of `u_i = 48271 i mod nodes`, `i < calls`, each result
//! copied out as a `Vec` (the Python call returns a list). One warm-up pass,
//! then `--runs` timed passes; the JSON carries seconds per pass and the
//! number of neighbours returned (the check).

use kvgraph::{Direction, Engine};
use std::hint::black_box;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} takes an integer")))
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let nodes = arg(&args, "--nodes", 1 << 18);
    let degree = arg(&args, "--degree", 8);
    let calls = arg(&args, "--calls", 200_000);
    let runs = arg(&args, "--runs", 3);
    let engine = Engine::new();
    let graph = engine.graph();
    let first = graph.add_nodes(nodes, None).expect("add_nodes");
    assert_eq!(first, 0);
    let (mut src, mut dst) = (Vec::new(), Vec::new());
    for u in 0..nodes {
        for j in 0..degree {
            src.push(u);
            dst.push((31 * u + 7919 * j + 1) % nodes);
        }
    }
    graph.load_edges(&src, &dst, None, None).expect("load_edges");
    let snapshot = graph.snapshot();
    let pass = || {
        let mut found = 0u64;
        for i in 0..calls {
            let u = (48271 * i) % nodes;
            let out = snapshot.neighbors(u, Direction::Out, None).expect("neighbors");
            found += black_box(out).len() as u64;
        }
        found
    };
    let found = pass();
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        assert_eq!(pass(), found);
        times.push(t.elapsed().as_secs_f64());
    }
    let times: Vec<String> = times.iter().map(|t| format!("{t:.6}")).collect();
    println!(
        "{{\"nodes\": {nodes}, \"degree\": {degree}, \"calls\": {calls}, \"found\": {found}, \"neighbors_s\": [{}]}}",
        times.join(", ")
    );
}
