//! Differential tests of Cypher against simple references on random graphs:
//! variable-length path counts (openCypher relationship uniqueness: a path
//! never uses a relationship twice) and shortest paths against BFS over an
//! adjacency list, and results against the low-level API.

use kvgraph::query::QueryValue;
use kvgraph::{Engine, Params};
use proptest::prelude::*;
use std::collections::{BTreeSet, VecDeque};

/// A random graph: `n` nodes, distinct (src, dst, type) edges of type A or B.
fn graph() -> impl Strategy<Value = (usize, Vec<(usize, usize, bool)>)> {
    (1usize..7).prop_flat_map(|n| {
        let edges = proptest::collection::vec((0..n, 0..n, any::<bool>()), 0..12).prop_map(|mut e| {
            let mut seen = BTreeSet::new();
            e.retain(|x| seen.insert(*x));
            e
        });
        (Just(n), edges)
    })
}

fn load(n: usize, edges: &[(usize, usize, bool)]) -> Engine {
    let e = Engine::new();
    let g = e.graph();
    for _ in 0..n {
        g.add_node(Some("N")).unwrap();
    }
    for &(s, d, a) in edges {
        g.add_edge(s as u64, d as u64, Some(if a { "A" } else { "B" }), 1.0).unwrap();
    }
    e
}

fn count(e: &Engine, q: &str) -> i64 {
    let r = e.query(q, &Params::new()).unwrap_or_else(|err| panic!("{q}: {err}"));
    match &r.rows[..] {
        [row] => match row[0] {
            QueryValue::Int(c) => c,
            ref v => panic!("{v:?}"),
        },
        rows => panic!("{rows:?}"),
    }
}

/// Trails of `lo..=hi` relationships from every node, following edges out
/// (`undirected`: either way), over edges whose type passes `ty`.
fn trails(n: usize, edges: &[(usize, usize, bool)], lo: usize, hi: usize, undirected: bool, ty: Option<bool>) -> i64 {
    fn walk(cur: usize, depth: usize, c: &mut Ctx) {
        if depth >= c.lo {
            c.count += 1;
        }
        if depth == c.hi {
            return;
        }
        for (i, &(s, d, a)) in c.edges.iter().enumerate() {
            if c.used[i] || c.ty.is_some_and(|t| t != a) {
                continue;
            }
            let next = if s == cur {
                d
            } else if c.undirected && d == cur {
                s
            } else {
                continue;
            };
            c.used[i] = true;
            walk(next, depth + 1, c);
            c.used[i] = false;
        }
    }
    struct Ctx<'a> {
        edges: &'a [(usize, usize, bool)],
        used: Vec<bool>,
        lo: usize,
        hi: usize,
        undirected: bool,
        ty: Option<bool>,
        count: i64,
    }
    let mut c = Ctx { edges, used: vec![false; edges.len()], lo, hi, undirected, ty, count: 0 };
    for start in 0..n {
        walk(start, 0, &mut c);
    }
    c.count
}

/// BFS distances from `src` along out-edges, and the number of shortest paths.
fn bfs(n: usize, edges: &[(usize, usize, bool)], src: usize) -> (Vec<Option<usize>>, Vec<i64>) {
    let mut dist = vec![None; n];
    let mut ways = vec![0i64; n];
    dist[src] = Some(0);
    ways[src] = 1;
    let mut q = VecDeque::from([src]);
    while let Some(u) = q.pop_front() {
        for &(s, d, _) in edges {
            if s != u || d == src {
                continue;
            }
            match dist[d] {
                None => {
                    dist[d] = Some(dist[u].unwrap() + 1);
                    ways[d] = ways[u];
                    q.push_back(d);
                }
                Some(k) if k == dist[u].unwrap() + 1 => ways[d] += ways[u],
                _ => {}
            }
        }
    }
    (dist, ways)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn variable_length_counts_match_the_reference((n, edges) in graph(), lo in 0usize..3, extra in 0usize..3) {
        let e = load(n, &edges);
        let hi = lo + extra;
        let want = trails(n, &edges, lo, hi, false, None);
        prop_assert_eq!(count(&e, &format!("MATCH (a)-[*{lo}..{hi}]->(b) RETURN count(*)")), want);
        let want = trails(n, &edges, lo, hi, true, None);
        prop_assert_eq!(count(&e, &format!("MATCH (a)-[*{lo}..{hi}]-(b) RETURN count(*)")), want);
        let want = trails(n, &edges, lo, hi, false, Some(true));
        prop_assert_eq!(count(&e, &format!("MATCH (a)-[:A*{lo}..{hi}]->(b) RETURN count(*)")), want);
        // Right to left is the same set of paths.
        let want = trails(n, &edges, lo, hi, false, None);
        prop_assert_eq!(count(&e, &format!("MATCH (b)<-[*{lo}..{hi}]-(a:N) RETURN count(*)")), want);
    }

    #[test]
    fn shortest_paths_match_bfs((n, edges) in graph()) {
        let e = load(n, &edges);
        for src in 0..n {
            let (dist, ways) = bfs(n, &edges, src);
            let kernel = e.graph().snapshot().bfs(src as u64).unwrap();
            for dst in 0..n {
                prop_assert_eq!(kernel[dst], dist[dst].map_or(-1, |d| d as i64));
                if dst == src {
                    continue;
                }
                let q = format!(
                    "MATCH (a), (b) WHERE id(a) = {src} AND id(b) = {dst} \
                     MATCH p = shortestPath((a)-[*]->(b)) RETURN length(p)"
                );
                let r = e.query(&q, &Params::new()).unwrap();
                match dist[dst] {
                    Some(d) => prop_assert_eq!(&r.rows, &vec![vec![QueryValue::Int(d as i64)]]),
                    None => prop_assert!(r.rows.is_empty()),
                }
                let q = format!(
                    "MATCH (a), (b) WHERE id(a) = {src} AND id(b) = {dst} \
                     MATCH p = allShortestPaths((a)-[*]->(b)) RETURN count(p)"
                );
                prop_assert_eq!(count(&e, &q), if dist[dst].is_some() { ways[dst] } else { 0 });
            }
        }
    }

    #[test]
    fn neighbour_queries_match_the_graph_api((n, edges) in graph()) {
        let e = load(n, &edges);
        let snap = e.graph().snapshot();
        for id in 0..n as u64 {
            let want: Vec<QueryValue> = snap
                .neighbors(id, kvgraph::Direction::Both, None)
                .unwrap()
                .into_iter()
                .map(|v| QueryValue::Int(v as i64))
                .collect();
            let q = format!("MATCH (a)--(b) WHERE id(a) = {id} RETURN DISTINCT id(b) AS b ORDER BY b");
            let got: Vec<QueryValue> = e.query(&q, &Params::new()).unwrap().rows.into_iter().map(|mut r| r.remove(0)).collect();
            prop_assert_eq!(got, want);
        }
    }
}
