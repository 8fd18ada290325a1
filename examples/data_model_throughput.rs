//! Throughput of the data model's writes and reads on one thread: typed
//! property sets (with and without a property index to maintain), label
//! adds, point reads now and at a snapshot, and index lookups.
//!
//! Run: `cargo run --release --example data_model_throughput [nodes]` (default 200000).

use kvgraph::{Engine, Value};
use std::time::Instant;

fn rate(what: &str, n: u64, f: impl FnOnce()) {
    let t = Instant::now();
    f();
    let secs = t.elapsed().as_secs_f64();
    println!("{what:<44} {:>8.2} M/s  ({n} in {:.3} s)", n as f64 / secs / 1e6, secs);
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let e = Engine::new();
    let g = e.graph();
    let first = g.add_nodes(n, Some("Person")).unwrap();
    let ids = first..first + n;
    rate("set_property_value (int, no index)", n, || {
        ids.clone().for_each(|id| g.set_property_value(id, "age", Value::Int((id % 100) as i64)).unwrap())
    });
    rate("set_property (bytes, legacy call)", n, || {
        ids.clone().for_each(|id| g.set_property(id, "name", b"Ada").unwrap())
    });
    rate("add_label", n, || ids.clone().for_each(|id| assert!(g.add_label(id, "Member").unwrap())));
    rate("create_index (Person, age): nodes indexed", n, || assert!(g.create_index("Person", "age").unwrap()));
    rate("set_property_value (int, indexed)", n, || {
        ids.clone().for_each(|id| g.set_property_value(id, "age", Value::Int((id % 97) as i64)).unwrap())
    });
    rate("property_value (now)", n, || {
        ids.clone().for_each(|id| assert!(g.property_value(id, "age").unwrap().is_some()))
    });
    let s = g.snapshot();
    rate("Snapshot::property_value", n, || {
        ids.clone().for_each(|id| assert!(s.property_value(id, "age").unwrap().is_some()))
    });
    let lookups = 1000;
    let mut found = 0;
    rate("Snapshot::index_lookup (≈ n/97 hits each)", lookups, || {
        (0..lookups).for_each(|i| found += s.index_lookup("Person", "age", &Value::Int((i % 97) as i64)).unwrap().len())
    });
    assert!(found as u64 >= lookups * (n / 97 - 1));
    rate("Snapshot::nodes_with_label (Member): nodes", n, || assert_eq!(s.nodes_with_label("Member").len() as u64, n));
}
