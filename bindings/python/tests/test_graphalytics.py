"""The LDBC Graphalytics reference cases of tests/data/graphalytics.

Vertex ids in the files are sparse: sorted ids map to dense node ids
0..n-1 (order-preserving, so "smallest id" answers of WCC and CDLP map
back unchanged). Undirected ``.e`` files list each edge once (both directions
are added); undirected ``*-input`` adjacency files already list both ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

import kvgraph

I64_MAX = 9223372036854775807
REL_TOL = 1e-4


@dataclass
class Case:
    name: str
    directed: bool
    # either an adjacency "-input" file or ".v" + ".e"
    adjacency: Optional[str] = None
    vertices: Optional[str] = None
    edges: Optional[str] = None
    # algorithm -> expected-output file
    outputs: Dict[str, str] = field(default_factory=dict)
    source: int = 1
    pr: Tuple[float, int] = (0.85, 20)
    cdlp_iterations: int = 10


def _example(directed: bool) -> Case:
    stem = "example/example-directed" if directed else "example/example-undirected"
    return Case(
        name=stem,
        directed=directed,
        vertices=stem + ".v",
        edges=stem + ".e",
        outputs={alg: f"{stem}-{alg.upper()}" for alg in ["bfs", "sssp", "pr", "wcc", "cdlp", "lcc"]},
        source=1 if directed else 2,
        pr=(0.85, 2),
        cdlp_iterations=2,
    )


CASES: List[Case] = [
    _example(True),
    _example(False),
    Case("bfs/dir", True, adjacency="bfs/dir-input", outputs={"bfs": "bfs/dir-output"}, source=1),
    Case("bfs/undir", False, adjacency="bfs/undir-input", outputs={"bfs": "bfs/undir-output"}, source=1),
    Case("sssp/dir", True, vertices="sssp/dir-input.v", edges="sssp/dir-input.e", outputs={"sssp": "sssp/dir-output"}),
    Case(
        "sssp/undir", False, vertices="sssp/undir-input.v", edges="sssp/undir-input.e", outputs={"sssp": "sssp/undir-output"}
    ),
    Case("pr/dir", True, adjacency="pr/dir-input", outputs={"pr": "pr/dir-output"}, pr=(0.85, 14)),
    Case("pr/undir", False, adjacency="pr/undir-input", outputs={"pr": "pr/undir-output"}, pr=(0.85, 26)),
    Case("cdlp/dir", True, adjacency="cdlp/dir-input", outputs={"cdlp": "cdlp/dir-output"}, cdlp_iterations=5),
    Case("cdlp/undir", False, adjacency="cdlp/undir-input", outputs={"cdlp": "cdlp/undir-output"}, cdlp_iterations=5),
    Case("lcc/dir", True, adjacency="lcc/dir-input", outputs={"lcc": "lcc/dir-output"}),
    Case("lcc/undir", False, adjacency="lcc/undir-input", outputs={"lcc": "lcc/undir-output"}),
    Case("wcc/dir", True, adjacency="wcc/dir-input", outputs={"wcc": "wcc/dir-output"}),
    Case("wcc/undir", False, adjacency="wcc/undir-input", outputs={"wcc": "wcc/undir-output"}),
]


def _lines(path: Path) -> List[List[str]]:
    return [line.split() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


@dataclass
class Loaded:
    ids: List[int]  # sorted original ids; dense id = index
    edges: List[Tuple[int, int, float]]  # original ids, directed as stored

    @property
    def dense(self) -> Dict[int, int]:
        return {v: i for i, v in enumerate(self.ids)}


def read_case(root: Path, case: Case) -> Loaded:
    vertices: set = set()
    edges: List[Tuple[int, int, float]] = []
    if case.adjacency is not None:
        for row in _lines(root / case.adjacency):
            v = int(row[0])
            vertices.add(v)
            for n in row[1:]:
                vertices.add(int(n))
                edges.append((v, int(n), 1.0))  # undirected files list both ends already
    else:
        assert case.vertices is not None and case.edges is not None
        vertices.update(int(row[0]) for row in _lines(root / case.vertices))
        for row in _lines(root / case.edges):
            u, v = int(row[0]), int(row[1])
            w = float(row[2]) if len(row) > 2 else 1.0
            edges.append((u, v, w))
            if not case.directed:
                edges.append((v, u, w))
    # vertices without any edge appear only in the outputs
    for out in case.outputs.values():
        vertices.update(int(row[0]) for row in _lines(root / out))
    return Loaded(sorted(vertices), edges)


def build(db: kvgraph.Engine, data: Loaded, how: str) -> int:
    g = db.graph
    first = g.add_nodes(len(data.ids), "Vertex")
    dense = data.dense
    src = [first + dense[u] for u, _, _ in data.edges]
    dst = [first + dense[v] for _, v, _ in data.edges]
    weights = [w for _, _, w in data.edges]
    if how == "bulk":
        g.load_edges(src, dst, weights)
    elif how == "incremental":
        for s, d, w in zip(src, dst, weights):
            g.add_edge(s, d, weight=w)
    else:  # half bulk, half incremental, then compacted
        half = len(src) // 2
        g.load_edges(src[:half], dst[:half], weights[:half])
        for s, d, w in zip(src[half:], dst[half:], weights[half:]):
            g.add_edge(s, d, weight=w)
        g.compact()
    return first


def _expected(root: Path, file: str) -> Dict[int, str]:
    return {int(row[0]): row[1] for row in _lines(root / file)}


def _close(actual: float, expected: float) -> bool:
    if math.isinf(expected):
        return math.isinf(actual) and actual > 0
    return math.isclose(actual, expected, rel_tol=REL_TOL, abs_tol=1e-12)


def _check(alg: str, case: Case, data: Loaded, first: int, s: kvgraph.Snapshot, root: Path) -> None:
    dense = data.dense
    expected = _expected(root, case.outputs[alg])
    assert set(expected) == set(data.ids), f"{case.name}: output vertices differ from the loaded ones"
    if alg == "bfs":
        got = s.bfs(first + dense[case.source])
        for v, raw in expected.items():
            want = -1 if int(raw) == I64_MAX else int(raw)
            assert got[first + dense[v]] == want, f"{case.name} bfs vertex {v}"
    elif alg == "sssp":
        got_f = s.sssp(first + dense[case.source])
        for v, raw in expected.items():
            assert _close(got_f[first + dense[v]], float(raw)), f"{case.name} sssp vertex {v}: {got_f[first + dense[v]]} != {raw}"
    elif alg == "pr":
        damping, iterations = case.pr
        got_f = s.pagerank(damping=damping, iterations=iterations)
        for v, raw in expected.items():
            assert _close(got_f[first + dense[v]], float(raw)), f"{case.name} pr vertex {v}: {got_f[first + dense[v]]} != {raw}"
    elif alg == "lcc":
        got_f = s.lcc()
        for v, raw in expected.items():
            assert _close(got_f[first + dense[v]], float(raw)), f"{case.name} lcc vertex {v}: {got_f[first + dense[v]]} != {raw}"
    elif alg in ("wcc", "cdlp"):
        got = s.wcc() if alg == "wcc" else s.cdlp(iterations=case.cdlp_iterations)
        for v, raw in expected.items():
            assert got[first + dense[v]] == first + dense[int(raw)], f"{case.name} {alg} vertex {v}"
    else:  # pragma: no cover
        raise AssertionError(alg)


@pytest.mark.parametrize("how", ["bulk", "incremental", "mixed"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_graphalytics(case: Case, how: str, graphalytics_dir: Path) -> None:
    data = read_case(graphalytics_dir, case)
    with kvgraph.Engine() as db:
        first = build(db, data, how)
        with db.graph.snapshot() as s:
            assert s.node_count() == first + len(data.ids)
            assert s.edge_count() == len({(u, v) for u, v, _ in data.edges})
            for alg in case.outputs:
                _check(alg, case, data, first, s, graphalytics_dir)


def _triangles(data: Loaded) -> int:
    adj: Dict[int, set] = {v: set() for v in data.ids}
    for u, v, _ in data.edges:
        if u != v:
            adj[u].add(v)
            adj[v].add(u)
    count = 0
    for u in data.ids:
        for v in adj[u]:
            if v > u:
                count += sum(1 for w in adj[u] & adj[v] if w > v)
    return count


@pytest.mark.parametrize("case", [c for c in CASES if c.name.startswith(("example", "lcc"))], ids=lambda c: c.name)
def test_triangle_count_matches_brute_force(case: Case, graphalytics_dir: Path) -> None:
    data = read_case(graphalytics_dir, case)
    with kvgraph.Engine() as db:
        build(db, data, "bulk")
        with db.graph.snapshot() as s:
            assert s.triangle_count() == _triangles(data)


def test_graphalytics_with_offset_ids(graphalytics_dir: Path) -> None:
    """Nodes that exist before the case's nodes, some removed, change nothing."""
    case = CASES[0]
    data = read_case(graphalytics_dir, case)
    with kvgraph.Engine() as db:
        pre = db.graph.add_nodes(7, "Other")
        db.graph.remove_node(pre + 3)
        first = build(db, data, "bulk")
        assert first == pre + 7
        with db.graph.snapshot() as s:
            for alg in ("bfs", "sssp", "wcc", "cdlp", "lcc"):
                _check(alg, case, data, first, s, graphalytics_dir)
