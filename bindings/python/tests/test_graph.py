"""The property graph (db.graph) and snapshots."""

from __future__ import annotations

import math
from array import array

import pytest

import kvgraph

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None  # the numpy tests skip

needs_numpy = pytest.mark.skipif(np is None, reason="numpy not installed")
NO_NODE = 2**64 - 1


def test_add_node_with_properties(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node("Person", name=b"John Doe", city="Zürich")
    b = g.add_node()
    assert isinstance(a, int) and b == a + 1
    assert g.get_property(a, "name") == b"John Doe"
    assert g.get_property(a, "city") == "Zürich"  # str is a string value, bytes stay bytes
    assert g.get_property(a, "age") is None
    assert g.get_property(b, "name") is None
    assert g.node_label(a) == "Person"
    assert g.node_label(b) == ""


def test_set_property(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node("Person")
    g.set_property(a, "age", b"42")
    assert g.get_property(a, "age") == b"42"
    g.set_property(a, "age", "43")
    assert g.get_property(a, "age") == "43"
    g.set_property(a, "empty", b"")
    assert g.get_property(a, "empty") == b""
    g.set_property(a, "bin", b"\x00\x01\x00")
    assert g.get_property(a, "bin") == b"\x00\x01\x00"
    g.set_property(a, b"raw", b"x")  # UTF-8 bytes names are accepted
    assert g.get_property(a, "raw") == b"x"


def test_unknown_node_errors(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node()
    for call in [
        lambda: g.get_property(99, "x"),
        lambda: g.set_property(99, "x", b"y"),
        lambda: g.node_label(99),
        lambda: g.remove_node(99),
        lambda: g.add_edge(a, 99),
        lambda: g.add_edge(99, a),
        lambda: g.remove_edge(a, 99),
    ]:
        with pytest.raises(kvgraph.NotFoundError) as info:
            call()
        assert info.value.status == kvgraph.KVG_NOT_FOUND
    with db.graph.snapshot() as s:
        for call in [lambda: s.bfs(99), lambda: s.sssp(99), lambda: s.neighbors(99), lambda: s.k_hop(99, 1)]:
            with pytest.raises(kvgraph.NotFoundError):
                call()


def test_add_nodes(db: kvgraph.Engine) -> None:
    g = db.graph
    first = g.add_nodes(1000, "Person")
    assert first == 0
    nxt = g.add_nodes(5)
    assert nxt == 1000
    assert g.node_label(999) == "Person"
    assert g.node_label(1002) == ""
    assert g.add_node() == 1005
    assert g.stats().nodes == 1006
    with g.snapshot() as s:
        assert s.node_count() == 1006


def test_remove_node(db: kvgraph.Engine) -> None:
    g = db.graph
    a, b, c = g.add_node(name=b"a"), g.add_node(), g.add_node()
    g.add_edge(a, b)
    g.add_edge(b, c)
    g.add_edge(c, a)
    g.remove_node(b)
    with pytest.raises(kvgraph.NotFoundError):
        g.remove_node(b)
    with pytest.raises(kvgraph.NotFoundError):
        g.get_property(b, "name")
    with pytest.raises(kvgraph.NotFoundError):
        g.add_edge(a, b)
    assert g.get_property(a, "name") == b"a"
    st = g.stats()
    assert st.nodes == 2 and st.edges == 1
    with g.snapshot() as s:
        assert s.node_count() == 3
        assert s.edge_count() == 1
        assert s.neighbors(a) == []
        assert s.neighbors(c) == [a]
        assert s.bfs(c) == [1, -1, 0]
        assert s.sssp(c) == [1.0, math.inf, 0.0]
        assert s.wcc() == [a, NO_NODE, a]
        assert s.cdlp()[b] == NO_NODE
        assert s.pagerank()[b] == 0.0
        assert s.lcc()[b] == 0.0
        with pytest.raises(kvgraph.NotFoundError):
            s.neighbors(b)


def test_edges_neighbors_types_directions(db: kvgraph.Engine) -> None:
    g = db.graph
    a, b, c = g.add_nodes(3, "N"), 1, 2
    g.add_edge(a, b, "FRIEND")
    g.add_edge(a, c, "WORKS_WITH", weight=2.0)
    g.add_edge(c, a, "FRIEND")
    g.add_edge(a, b)  # untyped: a different edge
    with g.snapshot() as s:
        assert s.edge_count() == 4
        assert s.neighbors(a) == [b, c]  # distinct, in increasing order
        assert s.neighbors(a, "out", "FRIEND") == [b]
        assert s.neighbors(a, direction="out", type="WORKS_WITH") == [c]
        assert s.neighbors(a, "in") == [c]
        assert s.neighbors(a, "both") == [b, c]
        assert s.neighbors(a, kvgraph.Direction.IN, "FRIEND") == [c]
        assert s.neighbors(a, "OUT", "NO_SUCH_TYPE") == []
        assert s.neighbors(b, "out") == []
        assert s.neighbors(b, "in") == [a]
        with pytest.raises(kvgraph.InvalidArgumentError):
            s.neighbors(a, "sideways")
        with pytest.raises(kvgraph.InvalidArgumentError):
            s.neighbors(a, 7)
    g.remove_edge(a, b, "FRIEND")
    g.remove_edge(a, b)
    with pytest.raises(kvgraph.NotFoundError):
        g.remove_edge(a, b, "FRIEND")
    with pytest.raises(kvgraph.NotFoundError):
        g.remove_edge(a, c, "NO_SUCH_TYPE")
    with g.snapshot() as s:
        assert s.neighbors(a) == [c]
        assert s.edge_count() == 2


def test_many_neighbors_grow_buffer(db: kvgraph.Engine) -> None:
    g = db.graph
    hub = g.add_node()
    first = g.add_nodes(500)
    for i in range(500):
        g.add_edge(hub, first + i)
    with g.snapshot() as s:
        assert sorted(s.neighbors(hub)) == list(range(first, first + 500))
        assert s.k_hop(hub, 1) == list(range(first, first + 500))


def test_edge_weight_update_and_nan(db: kvgraph.Engine) -> None:
    g = db.graph
    a, b = g.add_node(), g.add_node()
    g.add_edge(a, b, weight=5.0)
    g.add_edge(a, b, weight=2.5)  # updates
    with g.snapshot() as s:
        assert s.edge_count() == 1
        assert s.sssp(a) == [0.0, 2.5]
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.add_edge(a, b, weight=float("nan"))


def test_snapshot_isolation(db: kvgraph.Engine) -> None:
    g = db.graph
    a, b, c = g.add_nodes(3), 1, 2
    g.add_edge(a, b)
    s1 = g.snapshot()
    g.add_edge(b, c)
    d = g.add_node()
    g.remove_edge(a, b)
    g.compact()
    s2 = g.snapshot()
    try:
        assert s1.node_count() == 3
        assert s1.edge_count() == 1
        assert s1.bfs(a) == [0, 1, -1]
        assert s1.neighbors(b) == []
        assert s2.node_count() == 4
        assert s2.edge_count() == 1
        assert s2.bfs(b) == [-1, 0, 1, -1]
        assert s2.version() >= s1.version()
        with pytest.raises(kvgraph.NotFoundError):
            s1.bfs(d)
    finally:
        s1.close()
        s2.close()


def test_compact_and_stats(db: kvgraph.Engine) -> None:
    g = db.graph
    first = g.add_nodes(10)
    for i in range(9):
        g.add_edge(first + i, first + i + 1)
    st = g.stats()
    assert isinstance(st, kvgraph.GraphStats)
    assert (st.nodes, st.edges) == (10, 9)
    assert st["nodes"] == 10
    assert st.as_dict()["edges"] == 9
    before = st.compactions
    g.compact()
    st = g.stats()
    assert st.delta_edges == 0
    assert st.compactions == before + 1
    assert st.edges == 9


def test_load_edges_lists(db: kvgraph.Engine) -> None:
    g = db.graph
    first = g.add_nodes(4)
    g.load_edges([0, 1, 2], [1, 2, 3])
    with g.snapshot() as s:
        assert s.edge_count() == 3
        assert s.bfs(first) == [0, 1, 2, 3]
        assert s.sssp(first) == [0.0, 1.0, 2.0, 3.0]
    g.load_edges(array("Q", [3]), array("Q", [0]), array("d", [0.5]), type="BACK")
    g.load_edges((i for i in [0]), (i for i in [2]), [7.0], "SKIP")
    with g.snapshot() as s:
        assert s.neighbors(3, "out", "BACK") == [0]
        assert s.sssp(3)[0] == 0.5
        assert s.neighbors(0, "out", "SKIP") == [2]
        assert s.edge_count() == 5
    g.load_edges([], [])


def test_load_edges_errors(db: kvgraph.Engine) -> None:
    g = db.graph
    g.add_nodes(3)
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.load_edges([0, 1], [1])
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.load_edges([0, 1], [1, 2], [1.0])
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.load_edges([-1], [1])
    with pytest.raises(kvgraph.NotFoundError):
        g.load_edges([0], [17])
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.load_edges([0], [1], [float("nan")])
    with pytest.raises(TypeError):
        g.load_edges(["a"], [1])
    with pytest.raises(TypeError):
        g.load_edges(5, [1])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        g.load_edges([0], [1], ["x"])
    with g.snapshot() as s:
        assert s.edge_count() == 0  # failed loads are atomic


@needs_numpy
def test_load_edges_numpy(db: kvgraph.Engine) -> None:
    g = db.graph
    n = 10_000
    g.add_nodes(n)
    src = np.arange(n - 1, dtype=np.uint64)
    dst = src + 1
    w = np.full(n - 1, 0.5)
    g.load_edges(src, dst, w, "NEXT")
    g.load_edges(np.array([n - 1], dtype=np.int64), np.array([0], dtype=np.int32))  # converted
    g.load_edges(src[::1000], dst[::1000])  # strided: copied to contiguous
    with g.snapshot() as s:
        assert s.edge_count() == (n - 1) + 1 + len(src[::1000])
        d = s.sssp(0, as_numpy=True)
        assert isinstance(d, np.ndarray) and d.dtype == np.float64 and len(d) == n
        # the untyped duplicates of NEXT edges (weight 1.0) are longer
        assert d[n - 1] == pytest.approx(0.5 * (n - 1))
        depths = s.bfs(0, as_numpy=True)
        assert depths.dtype == np.int64 and depths[5] == 5 and depths[n - 1] == n - 1
    # contiguous uint64 / float64 arrays reach the library without a copy
    from kvgraph._convert import f64_in, u64_in
    from kvgraph._lib import ffi

    assert int(ffi.cast("uintptr_t", u64_in(src, "src")[0])) == src.ctypes.data
    assert int(ffi.cast("uintptr_t", f64_in(w, "weights")[0])) == w.ctypes.data
    from_list = np.arange(3, dtype=np.int32)  # converted: a copy of its own
    assert int(ffi.cast("uintptr_t", u64_in(from_list, "src")[0])) != from_list.ctypes.data
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.load_edges(np.array([-1]), np.array([0]))
    with pytest.raises(TypeError):
        g.load_edges(np.array([0.5]), np.array([0]))
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.load_edges(np.zeros((2, 2), dtype=np.uint64), np.zeros((2, 2), dtype=np.uint64))


def _tiny(db: kvgraph.Engine) -> int:
    """0 -> 1 -> 2 -> 0 triangle (both directions), plus 2 -> 3, node 4 isolated."""
    g = db.graph
    first = g.add_nodes(5, "V")
    und = [(0, 1), (1, 2), (2, 0)]
    for u, v in und:
        g.add_edge(first + u, first + v, weight=1.0)
        g.add_edge(first + v, first + u, weight=1.0)
    g.add_edge(first + 2, first + 3, weight=0.25)
    return first


def test_algorithms_small(db: kvgraph.Engine) -> None:
    first = _tiny(db)
    assert first == 0
    with db.graph.snapshot() as s:
        assert s.node_count() == 5
        assert s.edge_count() == 7
        assert s.bfs(0) == [0, 1, 1, 2, -1]
        assert s.sssp(0) == [0.0, 1.0, 1.0, 1.25, math.inf]
        pr = s.pagerank()
        assert len(pr) == 5 and math.isclose(sum(pr), 1.0, rel_tol=1e-6)
        assert all(isinstance(x, float) for x in pr)
        pr2 = s.pagerank(damping=0.5, iterations=3)
        assert pr2 != pr
        assert s.wcc() == [0, 0, 0, 0, 4]
        labels = s.cdlp(iterations=10)
        assert labels[0] == labels[1] == labels[2] and labels[4] == 4
        lcc = s.lcc()
        assert lcc[0] == pytest.approx(1.0) and lcc[1] == pytest.approx(1.0) and lcc[4] == 0.0
        assert 0.0 < lcc[2] < 1.0
        assert s.triangle_count() == 1
        assert s.k_hop(0, 1) == [1, 2]
        assert s.k_hop(0, 2) == [1, 2, 3]
        assert s.k_hop(0, 0) == []
        assert s.k_hop(4, 3) == []
        with pytest.raises(kvgraph.InvalidArgumentError):
            s.pagerank(damping=1.5)
        with pytest.raises(kvgraph.InvalidArgumentError):
            s.cdlp(iterations=-1)
        with pytest.raises(TypeError):
            s.bfs("0")  # type: ignore[arg-type]


@needs_numpy
def test_algorithms_as_numpy(db: kvgraph.Engine) -> None:
    _tiny(db)
    with db.graph.snapshot() as s:
        for name, args, dtype in [
            ("bfs", (0,), np.int64),
            ("sssp", (0,), np.float64),
            ("pagerank", (), np.float64),
            ("wcc", (), np.uint64),
            ("cdlp", (), np.uint64),
            ("lcc", (), np.float64),
        ]:
            as_list = getattr(s, name)(*args)
            as_arr = getattr(s, name)(*args, as_numpy=True)
            assert isinstance(as_arr, np.ndarray) and as_arr.dtype == dtype, name
            assert as_arr.tolist() == as_list, name
        assert sorted(s.neighbors(2, as_numpy=True).tolist()) == sorted(s.neighbors(2))
        assert s.k_hop(0, 2, as_numpy=True).tolist() == [1, 2, 3]


def test_empty_graph_algorithms(db: kvgraph.Engine) -> None:
    with db.graph.snapshot() as s:
        assert s.node_count() == 0
        assert s.edge_count() == 0
        assert s.wcc() == []
        assert s.lcc() == []
        assert s.pagerank() == []
        assert s.cdlp() == []
        assert s.triangle_count() == 0


def test_bad_argument_types(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node()
    with pytest.raises(TypeError):
        g.add_node(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        g.add_node("L", name=object())
    with pytest.raises(TypeError):
        g.add_edge("a", a)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        g.add_edge(a, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        g.add_edge(a, a, weight="heavy")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        g.set_property(a, "x", object())
    with pytest.raises(TypeError):
        g.get_property(a, 3)  # type: ignore[arg-type]
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.get_property(-1, "x")
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.add_nodes(-1)
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.add_node("bad\0label")
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.set_property(a, "bad\0name", b"v")
    # invalid UTF-8 is rejected by the library itself
    with pytest.raises(kvgraph.InvalidArgumentError) as info:
        g.add_node(b"\xff\xfe")
    assert info.value.status == kvgraph.KVG_INVALID_ARGUMENT
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.add_edge(a, a, b"\xc3")
    assert g.stats().nodes == 1
