//! Graph benchmarks on an R-MAT / Kronecker graph (Graph500: a=0.57, b=0.19,
//! c=0.19, edge factor 16, fixed seed) of `2^KVG_BENCH_SCALE` nodes.
//!
//! - bulk load: `Graph::load_edges` into a fresh engine (after `add_nodes`),
//!   against building a static CSR (`Csr::from_edges` + `GraphView::from_out`)
//!   and a petgraph `Csr` (sort + `from_sorted_edges`) from the same list;
//! - batched inserts: the same 100k edges in `Graph::batch` batches of 1,000;
//! - single-edge inserts: `add_edge` of 100k edges into a fresh engine with
//!   auto compaction (default policy), on 1 and 2 threads (`KVG_BENCH_THREADS`); on 1 thread also
//!   per second of CPU time of the whole process (`kvgraph (per on-CPU
//!   second)`, from `/proc/self/task/*/schedstat`), which other processes'
//!   load does not lower;
//! - BFS, PageRank (20 iterations), WCC on
//!   (a) `kvgraph_compacted`: 90% bulk-loaded, 10% `add_edge`, then `compact()`;
//!   (b) `kvgraph_delta10`: same writes, auto compaction off, so 10% of the
//!   edge writes are still in the delta. A fresh snapshot per iteration,
//!   through the snapshot's own methods: each reads base plus the delta
//!   levels it needs (BFS both reach levels, WCC the reach out-level,
//!   PageRank both exact levels), which snapshots of one version share, so
//!   only the first run builds them; `kvgraph_delta10_written` writes one
//!   edge (re-adds a delta edge) before each run, so that every run builds
//!   its levels; `graph/materialize` times the exact out-level alone and the
//!   snapshot's whole CSR;
//!   against the same kernels on a static `GraphView` (`static_csr`) and
//!   petgraph's `Csr` (its `Bfs` walker, `connected_components`, and a
//!   hand-written sequential PageRank loop over `neighbors_slice`, because
//!   `petgraph::algo::page_rank` is O(V²) per iteration).
//!
//! ```text
//! cargo bench --bench graph                       # scale 18 (default)
//! KVG_BENCH_SCALE=20 cargo bench --bench graph    # the issue's size
//! KVG_BENCH_THREADS=1,4,16 cargo bench --bench graph  # add_edge thread counts (default 1,2)
//! KVG_BENCH_CRITERION=0 cargo bench --bench graph  # interleaved rounds only
//! RAYON_NUM_THREADS=4 cargo bench --bench graph   # analytics on 4 threads
//! ```
//! After the criterion groups, bulk load and the analytics run again with
//! the contenders taking turns (`KVG_BENCH_ROUNDS` rounds, default 7; bulk
//! load half as many; skipped when a benchmark filter is given), which gives
//! ratios that the load of other processes does not skew. A markdown summary
//! (criterion median, interleaved median, time relative to the static CSR)
//! is printed at the end and written to `target/bench-summary/graph.md`.

#[path = "../examples/common/datagen.rs"]
mod datagen;
#[path = "common/summary.rs"]
mod summary;

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use kvgraph::graph::CompactionPolicy;
use kvgraph::graph::algo;
use kvgraph::graph::csr::{Csr, GraphView};
use kvgraph::{Config, Engine, Snapshot};
use petgraph::visit::Bfs;
use std::hint::black_box;
use std::time::{Duration, Instant};

type PgCsr = petgraph::csr::Csr<(), f64, petgraph::Directed, u32>;

const DAMPING: f64 = 0.85;
const PR_ITERATIONS: u32 = 20;
/// Edges inserted one by one per iteration of the insert benchmark.
const INSERTS: usize = 100_000;

/// An engine holding the graph: the first 90% of the edges bulk-loaded, the
/// rest added one by one with auto compaction off, then compacted if asked.
fn build_engine(n: u64, src: &[u64], dst: &[u64], compact: bool) -> Engine {
    let config = Config { compaction: CompactionPolicy { auto: false, ..Default::default() }, ..Default::default() };
    let engine = Engine::with_config(config);
    let g = engine.graph();
    g.add_nodes(n, None).unwrap();
    let cut = src.len() * 9 / 10;
    g.load_edges(&src[..cut], &dst[..cut], None, None).unwrap();
    for i in cut..src.len() {
        g.add_edge(src[i], dst[i], None, 1.0).unwrap();
    }
    if compact {
        g.compact();
    }
    engine
}

/// The same graph as a static CSR view (what `load_edges` would build).
fn static_view(n: u64, src: &[u64], dst: &[u64]) -> GraphView {
    let edges: Vec<(u64, u64, u32, f64)> = src.iter().zip(dst).map(|(&s, &d)| (s, d, 0, 1.0)).collect();
    let out = Csr::from_edges(n as usize, &edges);
    drop(edges);
    GraphView::from_out(out, vec![true; n as usize])
}

/// The same graph (duplicates removed) as a petgraph `Csr`.
fn petgraph_csr(n: u64, src: &[u64], dst: &[u64]) -> PgCsr {
    let mut edges: Vec<(u32, u32, f64)> = src.iter().zip(dst).map(|(&s, &d)| (s as u32, d as u32, 1.0)).collect();
    edges.sort_unstable_by_key(|e| (e.0, e.1));
    edges.dedup_by_key(|e| (e.0, e.1));
    let mut g = PgCsr::from_sorted_edges(&edges).expect("sorted");
    while (g.node_count() as u64) < n {
        g.add_node(());
    }
    g
}

/// Graphalytics-style PageRank over a petgraph `Csr` (sequential push).
fn petgraph_pagerank(g: &PgCsr, damping: f64, iterations: u32) -> Vec<f64> {
    let n = g.node_count();
    let nf = n as f64;
    let mut rank = vec![1.0 / nf; n];
    let mut next = vec![0.0; n];
    for _ in 0..iterations {
        next.iter_mut().for_each(|x| *x = 0.0);
        let mut dangling = 0.0;
        for (u, &r) in rank.iter().enumerate() {
            let nbrs = g.neighbors_slice(u as u32);
            if nbrs.is_empty() {
                dangling += r;
            } else {
                let share = r / nbrs.len() as f64;
                for &v in nbrs {
                    next[v as usize] += share;
                }
            }
        }
        let base = (1.0 - damping) / nf + damping * dangling / nf;
        for x in next.iter_mut() {
            *x = base + damping * *x;
        }
        std::mem::swap(&mut rank, &mut next);
    }
    rank
}

/// Benchmarks `run` (one unit of work per call) as `group/name`, recording
/// the median for the summary. `run` returns the time it wants counted.
/// Does nothing when `KVG_BENCH_CRITERION=0`.
fn bench(g: &mut BenchmarkGroup<'_, WallTime>, group: &str, name: &str, units: f64, mut run: impl FnMut() -> Duration) {
    if !summary::criterion_enabled() {
        return;
    }
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t = run();
                summary::record(group, name, units, t);
                total += t;
            }
            total
        })
    });
}

/// Adds the edges `src[i] -> dst[i]` one by one (`add_edge`) on `threads`
/// threads into a fresh engine of `n` nodes with the default (auto)
/// compaction policy; returns the wall time and, on one thread, the CPU time
/// of the whole process.
fn insert_edges(n: u64, src: &[u64], dst: &[u64], threads: usize) -> (Duration, Option<Duration>) {
    let engine = Engine::new();
    engine.graph().add_nodes(n, None).unwrap();
    let graph = engine.graph();
    let cpu_before = process_cpu_ns();
    let start = Instant::now();
    if threads == 1 {
        // On this thread, so that its CPU time can be read afterwards.
        for (&s, &d) in src.iter().zip(dst) {
            graph.add_edge(s, d, None, 1.0).unwrap();
        }
    } else {
        std::thread::scope(|s| {
            for t in 0..threads {
                s.spawn(move || {
                    for i in (t..src.len()).step_by(threads) {
                        graph.add_edge(src[i], dst[i], None, 1.0).unwrap();
                    }
                });
            }
        });
    }
    let t = start.elapsed();
    let cpu = match (threads, cpu_before, process_cpu_ns()) {
        (1, Some(a), Some(b)) => Some(Duration::from_nanos(b - a)),
        _ => None,
    };
    drop(engine);
    (t, cpu)
}

/// Nanoseconds that the threads of this process alive now have spent on a CPU
/// (Linux `/proc/self/task/*/schedstat`), or `None` where unavailable. Unlike
/// wall time, this does not grow while other processes hold the cores, so it
/// gives a load-independent rate (for work whose threads outlive the
/// measurement: the bench thread and rayon's pool).
fn process_cpu_ns() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// A contender doing one run of `f` per burst.
fn once<'a>(f: impl Fn() -> Duration + 'a) -> Box<dyn FnMut() -> (f64, Duration) + 'a> {
    Box::new(move || (1.0, f()))
}

/// Times `f`, dropping its result outside the timed section.
fn timed<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    let out = black_box(f());
    let t = start.elapsed();
    drop(out);
    t
}

fn main() {
    let scale = datagen::env_u64("KVG_BENCH_SCALE", 18) as u32;
    let secs = datagen::env_u64("KVG_BENCH_SECS", 3);
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(secs))
        .without_plots()
        .configure_from_args();

    let n = 1u64 << scale;
    let t = Instant::now();
    let (src, dst) = datagen::rmat_edges(scale, 16, 42);
    let m = src.len();
    eprintln!("R-MAT scale {scale}: {n} nodes, {m} edges generated in {:.1} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let compacted = build_engine(n, &src, &dst, true);
    let delta = build_engine(n, &src, &dst, false);
    let view = static_view(n, &src, &dst);
    let pg = petgraph_csr(n, &src, &dst);
    let stats = delta.graph().stats();
    eprintln!(
        "built in {:.1} s: static CSR {} edges (deduplicated), petgraph {} edges, kvgraph {} edges with {} delta writes",
        t.elapsed().as_secs_f64(),
        view.edge_count(),
        pg.edge_count(),
        stats.edges,
        stats.delta_edges
    );
    // A snapshot taken just after one more write (a delta edge re-added), so
    // that it shares no levels with earlier snapshots.
    let last = src.len() - 1;
    let written = || {
        delta.graph().add_edge(src[last], dst[last], None, 1.0).unwrap();
        delta.graph().snapshot()
    };
    assert_eq!(compacted.graph().snapshot().edge_count() as usize, view.edge_count());
    assert_eq!(stats.edges as usize, view.edge_count());
    // BFS from the node of highest out-degree, so that it reaches the giant component.
    let source = (0..n as usize).max_by_key(|&u| view.out.degree(u)).unwrap() as u64;

    // Bulk load.
    {
        let name = "graph/bulk_load";
        let mut g = c.benchmark_group(name);
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(m as u64));
        bench(&mut g, name, "kvgraph", m as f64, || {
            let engine = Engine::new();
            engine.graph().add_nodes(n, None).unwrap();
            let t = timed(|| engine.graph().load_edges(&src, &dst, None, None).unwrap());
            drop(engine);
            t
        });
        bench(&mut g, name, "static_csr", m as f64, || timed(|| static_view(n, &src, &dst)));
        bench(&mut g, name, "petgraph_csr", m as f64, || timed(|| petgraph_csr(n, &src, &dst)));
        g.finish();
    }

    // Single-edge inserts into a fresh engine with the default (auto) compaction policy.
    let inserts = INSERTS.min(m);
    let thread_counts = datagen::env_u64_list("KVG_BENCH_THREADS", &[1, 2]);
    for &threads in &thread_counts {
        let name = format!("graph/add_edge/{threads}t");
        let mut g = c.benchmark_group(&name);
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(INSERTS as u64));
        bench(&mut g, &name, "kvgraph", inserts as f64, || {
            let (t, cpu) = insert_edges(n, &src[..inserts], &dst[..inserts], threads as usize);
            if let Some(cpu) = cpu {
                summary::record(&name, "kvgraph (per on-CPU second)", inserts as f64, cpu);
            }
            t
        });
        g.finish();
    }

    // The same inserts in atomic batches of 1,000 (`Graph::batch`), 1 thread.
    {
        let name = "graph/add_edge_batch1000/1t";
        let mut g = c.benchmark_group(name);
        g.sampling_mode(SamplingMode::Flat);
        let inserts = INSERTS.min(m);
        g.throughput(Throughput::Elements(inserts as u64));
        bench(&mut g, name, "kvgraph", inserts as f64, || {
            let engine = Engine::new();
            engine.graph().add_nodes(n, None).unwrap();
            let graph = engine.graph();
            let start = Instant::now();
            for chunk in (0..inserts).collect::<Vec<_>>().chunks(1000) {
                let mut batch = graph.batch();
                for &i in chunk {
                    batch.add_edge(src[i], dst[i], None, 1.0).unwrap();
                }
                batch.commit().unwrap();
            }
            let t = start.elapsed();
            drop(engine);
            t
        });
        g.finish();
    }

    // Analytics.
    // Each kernel three ways: on a static view, through a kvgraph snapshot
    // (what users call: in place or on the snapshot's CSR, as it decides),
    // and on petgraph.
    type Kernel<'a> = (
        &'a str,
        Box<dyn Fn(&GraphView) -> u64 + 'a>,
        Box<dyn Fn(&Snapshot) -> u64 + 'a>,
        Box<dyn Fn(&PgCsr) -> u64 + 'a>,
    );
    let reached = |depth: Vec<i64>| depth.iter().filter(|&&d| d >= 0).count() as u64;
    let kernels: Vec<Kernel<'_>> = vec![
        (
            "bfs",
            Box::new(|v| reached(algo::bfs_direction_optimizing(v, source as usize))),
            Box::new(|s| reached(s.bfs(source).unwrap())),
            Box::new(|p| {
                let mut bfs = Bfs::new(p, source as u32);
                let mut reached = 0;
                while bfs.next(p).is_some() {
                    reached += 1;
                }
                reached
            }),
        ),
        (
            "pagerank",
            Box::new(|v| algo::pagerank(v, DAMPING, PR_ITERATIONS).len() as u64),
            Box::new(|s| s.pagerank(DAMPING, PR_ITERATIONS).unwrap().len() as u64),
            Box::new(|p| petgraph_pagerank(p, DAMPING, PR_ITERATIONS).len() as u64),
        ),
        (
            "wcc",
            Box::new(|v| algo::wcc(v).len() as u64),
            Box::new(|s| s.wcc().len() as u64),
            Box::new(|p| petgraph::algo::connected_components(p) as u64),
        ),
    ];
    for (kernel, on_view, on_snapshot, on_petgraph) in &kernels {
        let name = format!("graph/{kernel}");
        let mut g = c.benchmark_group(&name);
        g.sampling_mode(SamplingMode::Flat);
        bench(&mut g, &name, "kvgraph_compacted", 1.0, || timed(|| on_snapshot(&compacted.graph().snapshot())));
        bench(&mut g, &name, "kvgraph_delta10", 1.0, || timed(|| on_snapshot(&delta.graph().snapshot())));
        bench(&mut g, &name, "kvgraph_delta10_written", 1.0, || timed(|| on_snapshot(&written())));
        bench(&mut g, &name, "static_csr", 1.0, || timed(|| on_view(&view)));
        bench(&mut g, &name, "petgraph_csr", 1.0, || timed(|| on_petgraph(&pg)));
        g.finish();
    }

    // Materialising a snapshot with 10% of its edges in the delta, alone
    // (`edge_count` builds the snapshot's exact out-level only; `view` the CSR),
    // each after one write.
    {
        let name = "graph/materialize";
        let mut g = c.benchmark_group(name);
        g.sampling_mode(SamplingMode::Flat);
        g.throughput(Throughput::Elements(m as u64));
        bench(&mut g, name, "kvgraph_delta10 (delta level)", 1.0, || timed(|| written().edge_count()));
        bench(&mut g, name, "kvgraph_delta10 (whole CSR)", 1.0, || timed(|| written().view().edge_count()));
        g.finish();
    }

    c.final_summary();

    // Interleaved rounds: the contenders of each group take turns, so that
    // the ratios are not skewed by the load of other processes.
    let rounds = datagen::env_u64("KVG_BENCH_ROUNDS", 7) as usize;
    if rounds > 0 && !std::env::args().skip(1).any(|a| !a.starts_with('-')) {
        eprintln!("interleaved rounds: {rounds} per group");
        let mut contenders: Vec<summary::Contender<'_>> = vec![
            (
                "kvgraph",
                Box::new(|| {
                    let engine = Engine::new();
                    engine.graph().add_nodes(n, None).unwrap();
                    (m as f64, timed(|| engine.graph().load_edges(&src, &dst, None, None).unwrap()))
                }),
            ),
            ("static_csr", Box::new(|| (m as f64, timed(|| static_view(n, &src, &dst))))),
            ("petgraph_csr", Box::new(|| (m as f64, timed(|| petgraph_csr(n, &src, &dst))))),
        ];
        summary::interleaved("graph/bulk_load", "static_csr", rounds.div_ceil(2), &mut contenders);
        for &threads in &thread_counts {
            let (src, dst) = (&src[..inserts], &dst[..inserts]);
            let insert = move || (inserts as f64, insert_edges(n, src, dst, threads as usize).0);
            let mut contenders: Vec<summary::Contender<'_>> = vec![("kvgraph", Box::new(insert))];
            summary::interleaved(&format!("graph/add_edge/{threads}t"), "kvgraph", rounds.div_ceil(2), &mut contenders);
        }
        for (kernel, on_view, on_snapshot, on_petgraph) in &kernels {
            let mut contenders: Vec<summary::Contender<'_>> = vec![
                ("kvgraph_compacted", once(|| timed(|| on_snapshot(&compacted.graph().snapshot())))),
                ("kvgraph_delta10", once(|| timed(|| on_snapshot(&delta.graph().snapshot())))),
                ("kvgraph_delta10_written", once(|| timed(|| on_snapshot(&written())))),
                ("static_csr", once(|| timed(|| on_view(&view)))),
                ("petgraph_csr", once(|| timed(|| on_petgraph(&pg)))),
            ];
            summary::interleaved(&format!("graph/{kernel}"), "static_csr", rounds, &mut contenders);
        }
    }
    eprintln!(
        "heap bytes: static CSR view {} B; kvgraph compacted snapshot view {} B (see examples/graph_memory.rs for the whole engine)",
        view.heap_bytes(),
        compacted.graph().snapshot().view().heap_bytes()
    );
    summary::finish("graph", "static_csr", |g| {
        if g.starts_with("graph/bulk_load") || g.starts_with("graph/add_edge") {
            summary::Unit::MopsPerSec
        } else {
            summary::Unit::MillisPerRun
        }
    });
}
