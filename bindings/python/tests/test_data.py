"""Data in and out in bulk: lists, array.array, numpy, pyarrow and pandas."""

from __future__ import annotations

import math
from array import array
from typing import Any

import pytest

import kvgraph

np: Any
pa: Any
pd: Any
try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None
try:
    import pyarrow as pa
except ImportError:  # pragma: no cover
    pa = None
try:
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None

needs_numpy = pytest.mark.skipif(np is None, reason="numpy not installed")
needs_arrow = pytest.mark.skipif(pa is None, reason="pyarrow not installed")
needs_pandas = pytest.mark.skipif(pd is None, reason="pandas not installed")
NO_NODE = 2**64 - 1


def _path(db: kvgraph.Engine, n: int = 5) -> int:
    first = db.graph.add_nodes(n)
    db.graph.load_edges(list(range(first, first + n - 1)), list(range(first + 1, first + n)))
    return first


def test_outputs_list_and_array(db: kvgraph.Engine) -> None:
    a = _path(db)
    with db.graph.snapshot() as s:
        assert s.bfs(a) == [0, 1, 2, 3, 4]
        arr = s.bfs(a, output="array")
        assert isinstance(arr, array) and arr.typecode == "q" and arr.tolist() == [0, 1, 2, 3, 4]
        wcc = s.wcc(output="array")
        assert arr.typecode == "q" and wcc.typecode == "Q" and set(wcc) == {a}
        assert s.pagerank(output="array").typecode == "d"
        assert s.neighbors(a + 1, "both", output="array").tolist() == [a, a + 2]
        assert s.k_hop(a, 2, output="array").tolist() == [a + 1, a + 2]
        with pytest.raises(kvgraph.InvalidArgumentError):
            s.bfs(a, output="tensor")


@needs_numpy
def test_outputs_numpy(db: kvgraph.Engine) -> None:
    a = _path(db)
    with db.graph.snapshot() as s:
        for kernel, dtype in [(lambda **k: s.bfs(a, **k), np.int64), (lambda **k: s.sssp(a, **k), np.float64),
                              (lambda **k: s.wcc(**k), np.uint64), (lambda **k: s.cdlp(**k), np.uint64),
                              (lambda **k: s.lcc(**k), np.float64), (lambda **k: s.pagerank(**k), np.float64)]:
            out = kernel(output="numpy")
            assert isinstance(out, np.ndarray) and out.dtype == dtype and len(out) == 5
            assert out.tolist() == kernel()  # same values as the list
            assert kernel(as_numpy=True).tolist() == out.tolist()
        assert s.neighbors(a, output="numpy").dtype == np.uint64


@needs_arrow
def test_outputs_arrow(db: kvgraph.Engine) -> None:
    a = _path(db)
    with db.graph.snapshot() as s:
        depths = s.bfs(a, output="arrow")
        assert isinstance(depths, pa.Array) and depths.type == pa.int64()
        assert depths.to_pylist() == [0, 1, 2, 3, 4]
        assert s.sssp(a, output="arrow").type == pa.float64()
        assert s.wcc(output="arrow").type == pa.uint64()
        assert s.k_hop(a, 9, output="arrow").to_pylist() == [a + 1, a + 2, a + 3, a + 4]


@needs_pandas
def test_outputs_pandas(db: kvgraph.Engine) -> None:
    a = _path(db)
    with db.graph.snapshot() as s:
        ranks = s.pagerank(output="pandas")
        assert isinstance(ranks, pd.Series) and ranks.name == "pagerank" and len(ranks) == 5
        assert ranks.sum() == pytest.approx(1.0)
        assert s.bfs(a, output="pandas").tolist() == [0, 1, 2, 3, 4]


def test_load_edges_from_every_kind_of_list(db: kvgraph.Engine) -> None:
    g = db.graph
    g.add_nodes(4)
    g.load_edges([0], [1])
    g.load_edges((1,), (2,), (0.5,))  # tuples
    g.load_edges(range(2, 3), range(3, 4), array("d", [2.0]))
    g.load_edges(array("Q", [3]), array("Q", [0]), type="BACK")
    g.load_edges(array("L", [0]) if array("L").itemsize == 8 else array("Q", [0]), [2])
    with g.snapshot() as s:
        assert s.edge_count() == 5
        assert s.sssp(0) == [0.0, 1.0, 1.0, 3.0]


@needs_numpy
def test_load_edges_numpy_dtypes(db: kvgraph.Engine) -> None:
    g = db.graph
    g.add_nodes(3)
    for dtype in (np.uint8, np.int16, np.uint32, np.int64, np.uint64):
        g.load_edges(np.array([0, 1], dtype=dtype), np.array([1, 2], dtype=dtype), np.array([1, 2], dtype=np.float32))
    with g.snapshot() as s:
        assert s.sssp(0) == [0.0, 1.0, 3.0]
    with pytest.raises(TypeError):
        g.load_edges(np.array(["a"]), np.array([1]))


@needs_arrow
def test_load_edges_arrow(db: kvgraph.Engine) -> None:
    g = db.graph
    g.add_nodes(3)
    g.load_edges(pa.array([0, 1], pa.int64()), pa.chunked_array([[1], [2]]), pa.array([0.5, 0.25]))
    table = pa.table({"src": pa.array([2], pa.uint64()), "dst": pa.array([0], pa.uint64()), "weight": [4.0]})
    g.load_edges(table, type="BACK")
    g.load_edges(table.to_batches()[0], type="AGAIN")
    with g.snapshot() as s:
        assert s.edge_count() == 4
        assert s.sssp(0) == [0.0, 0.5, 0.75]
        assert s.sssp(2) == [4.0, 4.5, 0.0]
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.load_edges(pa.array([0, None]), pa.array([1, 2]))
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.load_edges(pa.table({"from": [0], "dst": [1]}))


@needs_pandas
def test_load_edges_dataframe(db: kvgraph.Engine) -> None:
    g = db.graph
    g.add_nodes(3)
    g.load_edges(pd.DataFrame({"src": [0, 1], "dst": [1, 2], "weight": [1.5, 2.5]}))
    g.load_edges(pd.Series([2]), pd.Series([0]), type="BACK")
    with g.snapshot() as s:
        assert s.sssp(0) == [0.0, 1.5, 4.0]
        assert s.edge_count() == 3
    with pytest.raises(TypeError):
        g.load_edges([0, 1])  # no dst, not a table


def test_add_nodes_with_property_columns(db: kvgraph.Engine) -> None:
    g = db.graph
    first = g.add_nodes(3, "Person", name=["Ada", "Bob", "Cé"], tag=[b"x", b"", b"z"])
    ids = [first, first + 1, first + 2]
    assert g.get_property_many(ids, "name") == [b"Ada", b"Bob", "Cé".encode()]
    assert g.get_property_many(ids, "tag") == [b"x", b"", b"z"]
    assert g.node_label(first + 2) == "Person"
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.add_nodes(2, name=["only one"])
    assert g.stats().nodes == 3  # the failed call added nothing
    with pytest.raises(TypeError):
        g.add_nodes(1, name=[1.5])


@needs_arrow
def test_add_nodes_from_arrow(db: kvgraph.Engine) -> None:
    g = db.graph
    table = pa.table({"name": ["a", "bb", "ccc"], "age": [30, 41, 52]})
    first = g.add_nodes(table, "Person")
    ids = list(range(first, first + 3))
    assert g.get_property_many(ids, "name") == [b"a", b"bb", b"ccc"]
    assert g.get_property_many(ids, "age") == [b"30", b"41", b"52"]
    # a sliced array: its offsets start past zero
    second = g.add_nodes(2, label=None, name=pa.array(["q", "rr", "sss"]).slice(1))
    assert g.get_property_many([second, second + 1], "name") == [b"rr", b"sss"]
    out = g.get_property_many(ids + [10_000], "name", output="arrow")
    assert out.to_pylist() == [b"a", b"bb", b"ccc", None]


@needs_pandas
def test_add_nodes_from_dataframe(db: kvgraph.Engine) -> None:
    g = db.graph
    first = g.add_nodes(pd.DataFrame({"name": ["x", "y"], "score": [1.5, 2.0]}))
    assert g.get_property_many([first, first + 1], "name") == [b"x", b"y"]
    assert g.get_property_many([first, first + 1], "score") == [b"1.5", b"2.0"]


def test_set_many_columns(db: kvgraph.Engine) -> None:
    kv = db.kv
    kv.set_many([b"a", b"b"], [b"1", b"2"])
    kv.set_many(["c", "d"], ["3", "é"])  # ASCII keys in one encode, non-ASCII values item by item
    assert kv.get_many([b"a", b"b", b"c", b"d", b"zz"]) == [b"1", b"2", b"3", "é".encode(), None]
    with pytest.raises(kvgraph.InvalidArgumentError):
        kv.set_many([b"a"], [b"1", b"2"])
    kv.set_many([], [])
    assert kv.get_many([]) == []


@needs_numpy
def test_set_many_numpy_bytes(db: kvgraph.Engine) -> None:
    keys = np.array([b"k1", b"k22"])
    values = np.array(["v1", "v22"])
    db.kv.set_many(keys, values)
    assert db.kv.get_many(keys) == [b"v1", b"v22"]


@needs_arrow
def test_kv_batches_arrow(db: kvgraph.Engine) -> None:
    db.kv.set_many(pa.array([b"a", b"b"], pa.binary()), pa.array(["1", "22"], pa.large_string()))
    out = db.kv.get_many(pa.array(["a", "x", "b"]), output="arrow")
    assert isinstance(out, pa.Array) and out.to_pylist() == [b"1", None, b"22"]
    assert db.kv.get_many([], output="arrow").to_pylist() == []
    with pytest.raises(kvgraph.InvalidArgumentError):
        db.kv.set_many(pa.array([b"a", None]), [b"1", b"2"])
    with pytest.raises(TypeError):
        db.kv.set_many(pa.array([1, 2]), [b"1", b"2"])


def test_get_many_output_checked(db: kvgraph.Engine) -> None:
    with pytest.raises(kvgraph.InvalidArgumentError):
        db.kv.get_many([b"a"], output="numpy")


def test_removed_nodes_in_outputs(db: kvgraph.Engine) -> None:
    a = _path(db, 3)
    db.graph.remove_node(a + 2)
    with db.graph.snapshot() as s:
        assert s.wcc(output="array")[2] == NO_NODE
        assert s.bfs(a)[2] == -1
        assert math.isinf(s.sssp(a)[2])
