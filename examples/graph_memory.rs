//! Memory of the graph after compaction against a static CSR of the same
//! R-MAT graph, measured with a counting global allocator.
//!
//! ```text
//! cargo run --release --example graph_memory                      # scale 18
//! KVG_BENCH_SCALE=20 cargo run --release --example graph_memory
//! ```
//! Prints a markdown table: live heap bytes of the whole engine (node table,
//! base CSRs both ways, delta leftovers, ...) and of a static `GraphView`
//! built from the same edge list, plus the peak heap during the build.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
#[path = "common/datagen.rs"]
mod datagen;

use counting_alloc::{live_bytes, peak_bytes, reset_peak};
use kvgraph::graph::CompactionPolicy;
use kvgraph::graph::csr::{Csr, GraphView};
use kvgraph::{Config, Engine};

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

fn mib(x: usize) -> f64 {
    x as f64 / (1 << 20) as f64
}

fn main() {
    let scale = datagen::env_u64("KVG_BENCH_SCALE", 18) as u32;
    let n = 1u64 << scale;
    let (src, dst) = datagen::rmat_edges(scale, 16, 42);
    let m = src.len();
    let mut rows = Vec::new();

    // Static CSR: what `Csr::from_edges` + `GraphView::from_out` hold.
    let before = live_bytes();
    reset_peak();
    let view = {
        let edges: Vec<(u64, u64, u32, f64)> = src.iter().zip(&dst).map(|(&s, &d)| (s, d, 0, 1.0)).collect();
        let out = Csr::from_edges(n as usize, &edges);
        drop(edges);
        GraphView::from_out(out, vec![true; n as usize])
    };
    let static_bytes = live_bytes() - before;
    let static_peak = peak_bytes() - before;
    let edges = view.edge_count();
    rows.push(("static CSR (`GraphView`, out + in)", static_bytes, static_peak, view.heap_bytes()));

    // kvgraph, bulk-loaded (the load publishes a compacted base).
    let before = live_bytes();
    reset_peak();
    let engine = Engine::new();
    engine.graph().add_nodes(n, None).unwrap();
    engine.graph().load_edges(&src, &dst, None, None).unwrap();
    engine.maintain();
    let bytes = live_bytes() - before;
    let peak = peak_bytes() - before;
    let snap_view = engine.graph().snapshot().view().heap_bytes();
    rows.push(("kvgraph engine after `load_edges`", bytes, peak, snap_view));
    assert_eq!(engine.graph().snapshot().edge_count() as usize, edges);
    drop(engine);

    // kvgraph, 90% bulk + 10% add_edge, then compact + maintain.
    let before = live_bytes();
    reset_peak();
    let config = Config { compaction: CompactionPolicy { auto: false, ..Default::default() }, ..Default::default() };
    let engine = Engine::with_config(config);
    let g = engine.graph();
    g.add_nodes(n, None).unwrap();
    let cut = m * 9 / 10;
    g.load_edges(&src[..cut], &dst[..cut], None, None).unwrap();
    for i in cut..m {
        g.add_edge(src[i], dst[i], None, 1.0).unwrap();
    }
    let with_delta = live_bytes() - before;
    // Analytics on a snapshot leave their delta levels with the base for
    // later snapshots of the same version (BFS: reach levels, PageRank: exact).
    let _ = g.snapshot().bfs(0);
    let _ = g.snapshot().pagerank(0.85, 1);
    let analysed = live_bytes() - before;
    g.compact();
    engine.maintain();
    let bytes = live_bytes() - before;
    let peak = peak_bytes() - before;
    let snap_view = g.snapshot().view().heap_bytes();
    rows.push(("kvgraph engine, 90% bulk + 10% `add_edge`, after `compact()` + `maintain()`", bytes, peak, snap_view));
    assert_eq!(g.snapshot().edge_count() as usize, edges);

    println!(
        "Graph memory, R-MAT scale {scale}: {n} nodes, {m} generated edges, {edges} distinct edges\n\n\
         | structure | live heap MiB | B/edge | vs static CSR | peak heap during build MiB | `GraphView::heap_bytes` MiB |\n\
         |---|---:|---:|---:|---:|---:|"
    );
    for (name, bytes, peak, view_bytes) in rows {
        println!(
            "| {name} | {:.1} | {:.1} | {:.2}× | {:.1} | {:.1} |",
            mib(bytes),
            bytes as f64 / edges as f64,
            bytes as f64 / static_bytes as f64,
            mib(peak),
            mib(view_bytes)
        );
    }
    println!(
        "\n(before compaction, with 10% of the edge writes in the delta, the engine held {:.1} MiB = {:.2}× the \
         static CSR; {:.1} MiB = {:.2}× once a BFS and a PageRank had left their delta levels for later snapshots)",
        mib(with_delta),
        with_delta as f64 / static_bytes as f64,
        mib(analysed),
        analysed as f64 / static_bytes as f64
    );
    let _ = static_peak;
}
