//! Reader for the LDBC Graphalytics validation graphs under
//! `tests/data/graphalytics` (formats and parameters: its `README.md`).
//!
//! Shared by the algorithm unit tests (`src/graph/algo/tests.rs` includes this
//! file by `#[path]`) and the engine-level integration tests.
#![allow(dead_code)] // each including test crate uses a different subset

use std::path::{Path, PathBuf};

/// An input graph with its vertex ids made dense.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Whether the graph is directed.
    pub directed: bool,
    /// The original vertex ids, sorted; dense id `i` stands for `ids[i]`, so
    /// "smallest id" results keep their meaning.
    pub ids: Vec<u64>,
    /// Directed edges `(src, dst, weight)` over dense ids. An undirected edge
    /// appears once in each direction.
    pub edges: Vec<(usize, usize, f64)>,
}

impl Case {
    /// Number of vertices.
    pub fn node_count(&self) -> usize {
        self.ids.len()
    }

    /// Dense id of the original vertex id `id`; panics if there is no such vertex.
    pub fn dense(&self, id: u64) -> usize {
        self.ids.binary_search(&id).unwrap_or_else(|_| panic!("no vertex {id}"))
    }
}

/// A kernel with the parameters of one row of the README's table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Algo {
    /// Breadth-first search from an original vertex id.
    Bfs { source: u64 },
    /// Single-source shortest paths from an original vertex id.
    Sssp { source: u64 },
    /// PageRank.
    PageRank { damping: f64, iterations: u32 },
    /// Weakly connected components.
    Wcc,
    /// Community detection by label propagation.
    Cdlp { iterations: u32 },
    /// Local clustering coefficient.
    Lcc,
}

/// One validation: run `algo` on the graph `input` and compare with the
/// reference output `expected` (both relative to [`data_dir`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Input graph, as taken by [`load_case`].
    pub input: String,
    /// Whether the input graph is directed.
    pub directed: bool,
    /// Kernel and parameters.
    pub algo: Algo,
    /// Reference output file.
    pub expected: String,
}

/// Every validation of the README's parameter table.
pub fn checks() -> Vec<Check> {
    let mut all = Vec::new();
    for (name, directed, source) in [("directed", true, 1), ("undirected", false, 2)] {
        let example = |algo, suffix: &str| Check {
            input: format!("example/example-{name}"),
            directed,
            algo,
            expected: format!("example/example-{name}-{suffix}"),
        };
        all.extend([
            example(Algo::Bfs { source }, "BFS"),
            example(Algo::Sssp { source }, "SSSP"),
            example(Algo::PageRank { damping: 0.85, iterations: 2 }, "PR"),
            example(Algo::Wcc, "WCC"),
            example(Algo::Cdlp { iterations: 2 }, "CDLP"),
            example(Algo::Lcc, "LCC"),
        ]);
    }
    let per_algo = [
        ("bfs", Algo::Bfs { source: 1 }, Algo::Bfs { source: 1 }),
        ("sssp", Algo::Sssp { source: 1 }, Algo::Sssp { source: 1 }),
        ("pr", Algo::PageRank { damping: 0.85, iterations: 14 }, Algo::PageRank { damping: 0.85, iterations: 26 }),
        ("wcc", Algo::Wcc, Algo::Wcc),
        ("cdlp", Algo::Cdlp { iterations: 5 }, Algo::Cdlp { iterations: 5 }),
        ("lcc", Algo::Lcc, Algo::Lcc),
    ];
    for (dir, dir_algo, undir_algo) in per_algo {
        for (kind, directed, algo) in [("dir", true, dir_algo), ("undir", false, undir_algo)] {
            all.push(Check {
                input: format!("{dir}/{kind}-input"),
                directed,
                algo,
                expected: format!("{dir}/{kind}-output"),
            });
        }
    }
    all
}

/// The folder holding the validation graphs.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graphalytics")
}

fn read(rel: &str) -> String {
    let path = data_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Non-empty lines of a data file, split on whitespace.
fn rows(rel: &str) -> Vec<Vec<String>> {
    read(rel)
        .lines()
        .map(|line| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|row| !row.is_empty())
        .collect()
}

fn parse<T: std::str::FromStr>(field: &str, rel: &str) -> T {
    field.parse().unwrap_or_else(|_| panic!("{rel}: bad field {field:?}"))
}

/// Loads the graph `input`: the `input.v`/`input.e` pair when it exists,
/// else the adjacency file `input`.
pub fn load_case(input: &str, directed: bool) -> Case {
    if data_dir().join(format!("{input}.v")).exists() {
        load_vertices_edges(input, directed)
    } else {
        load_adjacency(input, directed)
    }
}

/// Loads an adjacency file (`vertex neighbour neighbour ...` per line; every
/// vertex heads a line, undirected graphs list each edge from both ends).
/// Every listed adjacency becomes one directed edge of weight 1.0.
pub fn load_adjacency(rel: &str, directed: bool) -> Case {
    let lists: Vec<Vec<u64>> = rows(rel).iter().map(|row| row.iter().map(|f| parse(f, rel)).collect()).collect();
    let ids = sorted_ids(lists.iter().flatten().copied());
    let mut case = Case { directed, ids, edges: Vec::new() };
    for list in &lists {
        let src = case.dense(list[0]);
        let edges: Vec<_> = list[1..].iter().map(|&dst| (src, case.dense(dst), 1.0)).collect();
        case.edges.extend(edges);
    }
    case
}

/// Loads a `rel.v` vertex file and `rel.e` edge file (`src dst [weight]`,
/// weight 1.0 when missing). An undirected edge is listed once and becomes
/// two directed edges.
pub fn load_vertices_edges(rel: &str, directed: bool) -> Case {
    let (v, e) = (format!("{rel}.v"), format!("{rel}.e"));
    let ids = sorted_ids(rows(&v).iter().map(|row| parse::<u64>(&row[0], &v)));
    let mut case = Case { directed, ids, edges: Vec::new() };
    for row in rows(&e) {
        let (src, dst) = (case.dense(parse(&row[0], &e)), case.dense(parse(&row[1], &e)));
        let weight = row.get(2).map_or(1.0, |w| parse(w, &e));
        case.edges.push((src, dst, weight));
        if !directed {
            case.edges.push((dst, src, weight));
        }
    }
    case
}

fn sorted_ids(ids: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut ids: Vec<u64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Reads a reference output (`vertex value` per line), parsing values with `value`.
pub fn load_expected<T>(rel: &str, value: impl Fn(&str) -> T) -> Vec<(u64, T)> {
    rows(rel).iter().map(|row| (parse(&row[0], rel), value(&row[1]))).collect()
}

/// Reads an integer reference output (BFS depths, with `i64::MAX` for
/// unreachable, as in the files).
pub fn load_expected_i64(rel: &str) -> Vec<(u64, i64)> {
    load_expected(rel, |f| parse(f, rel))
}

/// Reads a vertex-id reference output (WCC, CDLP labels; original ids).
pub fn load_expected_u64(rel: &str) -> Vec<(u64, u64)> {
    load_expected(rel, |f| parse(f, rel))
}

/// Reads a real reference output (SSSP, PR, LCC); `Infinity`/`infinity`
/// read as `f64::INFINITY`.
pub fn load_expected_f64(rel: &str) -> Vec<(u64, f64)> {
    load_expected(rel, |f| if f.eq_ignore_ascii_case("infinity") { f64::INFINITY } else { parse(f, rel) })
}

/// Whether `actual` matches the reference real `expected` within a relative
/// tolerance of 1e-4 (plus 1e-12 absolute, for zeros); infinities must match
/// exactly.
pub fn close(expected: f64, actual: f64) -> bool {
    if expected.is_infinite() || actual.is_infinite() {
        return expected == actual;
    }
    (expected - actual).abs() <= 1e-4 * expected.abs().max(actual.abs()) + 1e-12
}
