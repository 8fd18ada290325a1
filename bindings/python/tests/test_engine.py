"""Engine lifecycle, configuration, errors and package metadata."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

import kvgraph


def test_versions() -> None:
    assert kvgraph.__version__ == "0.1.0"
    assert kvgraph.library_version() == kvgraph.__version__  # the crate version
    assert os.path.exists(kvgraph.library_path())


@pytest.mark.skipif(os.environ.get("KVGRAPH_TEST_INSTALLED") != "1", reason="only when testing the installed package")
def test_installed_package_is_used() -> None:
    pkg = Path(kvgraph.__file__).resolve().parent
    assert "site-packages" in pkg.parts, pkg
    assert Path(kvgraph.library_path()).resolve().parent == pkg


def test_status_str() -> None:
    assert kvgraph.status_str(kvgraph.KVG_OK) == "ok"
    assert kvgraph.status_str(kvgraph.KVG_NOT_FOUND) == "not found"
    assert kvgraph.status_str(99).startswith("unknown")


def test_context_manager_closes() -> None:
    with kvgraph.Engine() as db:
        db.kv.set(b"k", b"v")
        assert not db.closed
    assert db.closed
    with pytest.raises(kvgraph.Error):
        db.kv.get(b"k")
    with pytest.raises(kvgraph.Error):
        with db:
            pass


def test_close_is_idempotent() -> None:
    db = kvgraph.Engine()
    db.close()
    db.close()
    assert db.closed
    assert "closed" in repr(db)


def test_closed_engine_raises_everywhere() -> None:
    db = kvgraph.Engine()
    node = db.graph.add_node("X")
    db.close()
    calls = [
        lambda: db.kv.set(b"k", b"v"),
        lambda: db.kv.set(b"k", b"v", ttl_ms=10),
        lambda: db.kv.get(b"k"),
        lambda: db.kv.insert(b"k", b"v"),
        lambda: db.kv.delete(b"k"),
        lambda: db.kv.cas(b"k", b"a", b"b"),
        lambda: db.kv.incr(b"k"),
        lambda: len(db.kv),
        lambda: db.kv.scan(),
        lambda: db.kv.scan_prefix(b"k"),
        lambda: db.graph.add_node(),
        lambda: db.graph.add_nodes(3),
        lambda: db.graph.remove_node(node),
        lambda: db.graph.set_property(node, "a", b"b"),
        lambda: db.graph.get_property(node, "a"),
        lambda: db.graph.node_label(node),
        lambda: db.graph.add_edge(node, node),
        lambda: db.graph.remove_edge(node, node),
        lambda: db.graph.load_edges([node], [node]),
        lambda: db.graph.compact(),
        lambda: db.graph.stats(),
        lambda: db.graph.snapshot(),
        lambda: db.maintain(),
        lambda: db.memory_stats(),
    ]
    for call in calls:
        with pytest.raises(kvgraph.Error) as info:
            call()
        assert "closed" in info.value.message


def test_closing_engine_closes_snapshots_and_iterators() -> None:
    db = kvgraph.Engine()
    db.kv.set(b"a", b"1")
    db.kv.set(b"b", b"2")
    a = db.graph.add_node()
    snap = db.graph.snapshot()
    it = db.kv.scan()
    assert next(it) == (b"a", b"1")
    db.close()
    assert snap.closed
    with pytest.raises(kvgraph.Error):
        snap.node_count()
    with pytest.raises(kvgraph.Error):
        snap.bfs(a)
    with pytest.raises(kvgraph.Error):
        next(it)
    snap.close()  # still fine


def test_closed_snapshot_raises() -> None:
    with kvgraph.Engine() as db:
        a = db.graph.add_node()
        with db.graph.snapshot() as s:
            assert s.node_count() == 1
        assert s.closed
        for call in [
            s.node_count,
            s.edge_count,
            s.version,
            s.triangle_count,
            s.wcc,
            s.lcc,
            lambda: s.bfs(a),
            lambda: s.sssp(a),
            lambda: s.pagerank(),
            lambda: s.cdlp(),
            lambda: s.neighbors(a),
            lambda: s.k_hop(a, 2),
        ]:
            with pytest.raises(kvgraph.Error):
                call()
        with pytest.raises(kvgraph.Error):
            with s:
                pass


def test_garbage_collection_frees_handles() -> None:
    for _ in range(200):
        db = kvgraph.Engine()
        db.graph.add_node()
        s = db.graph.snapshot()
        it = db.kv.scan()
        del db  # the snapshot and the iterator keep it alive
        assert s.node_count() == 1
        assert list(it) == []
        del s, it
    # a reference cycle through engine, snapshot and iterator
    for _ in range(50):
        db = kvgraph.Engine()
        s = db.graph.snapshot()
        it = db.kv.scan()
        s.cycle = (db, s, it)  # type: ignore[attr-defined]
        db.cycle = s  # type: ignore[attr-defined]
        del db, s, it
    gc.collect()


def test_config_no_auto_compaction() -> None:
    with kvgraph.Engine(auto_compact=False, compaction_min_delta=1, compaction_ratio=0.0) as db:
        first = db.graph.add_nodes(100)
        for i in range(99):
            db.graph.add_edge(first + i, first + i + 1)
        st = db.graph.stats()
        assert st.compactions == 0
        assert st.delta_edges == 99
        assert st.edges == 99
        db.graph.compact()
        st = db.graph.stats()
        assert st.compactions == 1
        assert st.delta_edges == 0
        assert st.edges == 99


def test_config_eager_auto_compaction() -> None:
    with kvgraph.Engine(auto_compact=True, compaction_min_delta=8, compaction_ratio=0.0) as db:
        first = db.graph.add_nodes(100)
        for i in range(99):
            db.graph.add_edge(first + i, first + i + 1)
        st = db.graph.stats()
        assert st.compactions >= 1
        assert st.delta_edges < 99
        with db.graph.snapshot() as s:
            assert s.edge_count() == 99
            assert s.bfs(first)[first + 99] == 99


def test_config_bad_types() -> None:
    with pytest.raises(TypeError):
        kvgraph.Engine(compaction_ratio="half")  # type: ignore[arg-type]
    with pytest.raises(kvgraph.InvalidArgumentError):
        kvgraph.Engine(compaction_min_delta=-1)
    with pytest.raises(TypeError):
        kvgraph.Engine(b"a bytes path")  # type: ignore[arg-type]
    with pytest.raises(kvgraph.InvalidArgumentError) as info:  # checked by the library
        kvgraph.Engine(compaction_ratio=-1.0)
    assert "compaction_ratio" in info.value.message
    with pytest.raises(kvgraph.InvalidArgumentError):
        kvgraph.Engine(compaction_ratio=float("nan"))


def test_maintain_and_memory_stats(db: kvgraph.Engine) -> None:
    for i in range(2000):
        db.kv.set(b"k%d" % (i % 10), b"x" * 100)
    db.maintain()
    m = db.memory_stats()
    assert isinstance(m, kvgraph.MemoryStats)
    assert m.retired >= m.freed >= 0
    assert m.retired > 0
    assert m.pending == m.retired - m.freed


def test_error_hierarchy() -> None:
    for cls in [
        kvgraph.NotFoundError,
        kvgraph.ConflictError,
        kvgraph.InvalidArgumentError,
        kvgraph.BufferTooSmallError,
        kvgraph.OutOfMemoryError,
        kvgraph.PanicError,
    ]:
        assert issubclass(cls, kvgraph.Error)
        assert issubclass(cls, Exception)
    assert issubclass(kvgraph.NotFoundError, KeyError)
    assert issubclass(kvgraph.InvalidArgumentError, ValueError)
    e = kvgraph.ConflictError("boom", kvgraph.KVG_CONFLICT)
    assert e.status == kvgraph.KVG_CONFLICT and e.message == "boom" and str(e) == "boom"
    assert str(kvgraph.NotFoundError("no node 7", kvgraph.KVG_NOT_FOUND)) == "no node 7"


def test_error_carries_status_and_library_message(db: kvgraph.Engine) -> None:
    with pytest.raises(kvgraph.NotFoundError) as info:
        db.graph.remove_node(12345)
    assert info.value.status == kvgraph.KVG_NOT_FOUND
    assert "12345" in info.value.message
    db.kv.set(b"s", b"abc")
    with pytest.raises(kvgraph.InvalidArgumentError) as info2:
        db.kv.incr(b"s")
    assert info2.value.status == kvgraph.KVG_INVALID_ARGUMENT
    assert "integer" in info2.value.message
