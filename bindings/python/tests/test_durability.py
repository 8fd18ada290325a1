"""Durable engines from Python: Engine(path, fsync), save, sync, close,
reopen, and damaged files raising kvgraph.Error."""

from __future__ import annotations

from pathlib import Path

import pytest

import kvgraph
from kvgraph import _lib

pytestmark = pytest.mark.skipif(
    not hasattr(_lib.lib, "kvg_engine_save"), reason="the loaded library has no durability (kvg_engine_save)"
)


@pytest.mark.parametrize("fsync", ["always", "everysec", "never", "ALWAYS"])
def test_reopen_keeps_kv_and_graph(tmp_path: Path, fsync: str) -> None:
    with kvgraph.Engine(tmp_path, fsync=fsync) as db:
        assert db.path == str(tmp_path)
        db.kv.set(b"k", b"v")
        a = db.graph.add_node("Person", name="Ada", raw=b"\x00")
        b = db.graph.add_node("Person")
        db.graph.add_edge(a, b, "FRIEND", weight=2.5)
        db.graph.add_label(b, "Admin")
        db.graph.create_index("Person", "name")
    with kvgraph.Engine(path=str(tmp_path), fsync=fsync) as db:
        assert db.kv.get(b"k") == b"v"
        assert db.graph.get_property(a, "name") == "Ada"
        assert db.graph.get_property(a, "raw") == b"\x00"
        assert db.graph.labels(b) == ["Admin", "Person"]
        assert db.graph.indexes() == [("Person", "name")]
        assert db.graph.find_nodes("Person", name="Ada") == [a]
        with db.graph.snapshot() as s:
            assert s.neighbors(a, type="FRIEND") == [b]
            assert s.sssp(a)[b] == 2.5


def test_save_and_sync(tmp_path: Path) -> None:
    db = kvgraph.Engine(tmp_path)
    for i in range(100):
        db.kv.set(f"k{i}", str(i))
    db.sync()
    db.save()
    assert any(p.name.startswith("snapshot-") for p in tmp_path.iterdir())
    db.kv.set(b"after", b"save")
    db.close()
    db.close()  # idempotent
    with kvgraph.Engine(tmp_path) as again:
        assert len(again.kv) == 101 and again.kv.get(b"after") == b"save"


def test_in_memory_engine_cannot_save() -> None:
    with kvgraph.Engine() as db:
        assert db.path is None
        with pytest.raises(kvgraph.InvalidArgumentError):
            db.save()
        with pytest.raises(kvgraph.InvalidArgumentError):
            db.sync()


def test_bad_settings(tmp_path: Path) -> None:
    with pytest.raises(kvgraph.InvalidArgumentError):
        kvgraph.Engine(tmp_path, fsync="sometimes")
    with pytest.raises(kvgraph.InvalidArgumentError):
        kvgraph.Engine(fsync=1)  # type: ignore[arg-type]
    with pytest.raises(kvgraph.InvalidArgumentError):
        kvgraph.Engine(str(tmp_path) + "\0x")
    with pytest.raises(TypeError):
        kvgraph.Engine(42)  # type: ignore[arg-type]


def test_directory_locked_by_another_engine(tmp_path: Path) -> None:
    with kvgraph.Engine(tmp_path):
        with pytest.raises(kvgraph.Error) as info:
            kvgraph.Engine(tmp_path)
        assert isinstance(info.value, kvgraph.IoError) and isinstance(info.value, OSError)
        assert info.value.status == kvgraph.KVG_IO_ERROR
    kvgraph.Engine(tmp_path).close()  # released on close


def test_damaged_log_raises(tmp_path: Path) -> None:
    with kvgraph.Engine(tmp_path, fsync="always") as db:
        db.kv.set(b"a", b"1")
        db.kv.set(b"b", b"2")
    logs = sorted(tmp_path.glob("log-*.kvgl"))
    assert logs
    raw = bytearray(logs[-1].read_bytes())
    raw[16 + 8 + 2] ^= 0xFF  # inside the first record: a bad checksum
    logs[-1].write_bytes(bytes(raw))
    with pytest.raises(kvgraph.Error) as info:
        kvgraph.Engine(tmp_path)
    err = info.value
    assert isinstance(err, kvgraph.IoError) and err.status == kvgraph.KVG_IO_ERROR
    assert logs[-1].name in err.message and "offset" in err.message
    assert kvgraph.status_str(kvgraph.KVG_IO_ERROR) != f"status {kvgraph.KVG_IO_ERROR}"


def test_damaged_snapshot_raises(tmp_path: Path) -> None:
    with kvgraph.Engine(tmp_path) as db:
        db.graph.add_nodes(50, "N")
        db.save()
    snaps = sorted(tmp_path.glob("snapshot-*"))
    assert snaps
    raw = bytearray(snaps[-1].read_bytes())
    mid = len(raw) // 2
    raw[mid] ^= 0xFF
    snaps[-1].write_bytes(bytes(raw))
    with pytest.raises(kvgraph.Error) as info:
        kvgraph.Engine(tmp_path)
    assert snaps[-1].name in info.value.message


def test_relationships_and_batches_survive_reopen(tmp_path: Path) -> None:
    with kvgraph.Engine(tmp_path, fsync="always") as db:
        g = db.graph
        a, b = g.add_node("P"), g.add_node("P")
        r1 = g.create_relationship(a, b, "KNOWS", weight=2.0)
        r2 = g.create_relationship(a, b, "KNOWS")  # parallel, its own id
        g.set_rel_property(r1, "since", 1999)
        with g.batch() as batch:
            r3 = batch.create_relationship(b, a, "LIKES", weight=0.5)
            batch.add_label(b, "Admin")
            batch.set_property(a, "name", "Ada")
        with pytest.raises(ZeroDivisionError):
            with g.batch() as batch:
                batch.create_relationship(a, a, "LOST")
                raise ZeroDivisionError  # aborted: nothing of it is logged
    with kvgraph.Engine(tmp_path) as db:
        g = db.graph
        rel1, rel2, rel3 = g.relationship(r1), g.relationship(r2), g.relationship(r3)
        assert rel1 is not None and rel2 is not None and rel3 is not None
        assert (rel1.type, rel1.start, rel1.end, rel1.weight) == ("KNOWS", a, b, 2.0)
        assert (rel2.type, rel2.start, rel2.end) == ("KNOWS", a, b)
        assert (rel3.type, rel3.start, rel3.end, rel3.weight) == ("LIKES", b, a, 0.5)
        assert g.get_rel_property(r1, "since") == 1999
        assert g.labels(b) == ["Admin", "P"]
        assert g.get_property(a, "name") == "Ada"
        with g.snapshot() as s:
            assert s.relationships(a, direction="out", type="LOST") == []
        assert g.create_relationship(a, b, "NEW") > r3  # ids are never reused


def test_kv_write_groups_survive_reopen(tmp_path: Path) -> None:
    with kvgraph.Engine(tmp_path, fsync="always") as db:
        with db.kv.write_group() as g:
            assert isinstance(g, kvgraph.WriteGroup)
            db.kv.set(b"a", b"1")
            assert db.kv.get(b"a") == b"1", "visible at once"
            with db.kv.write_group():  # nested: part of the outer group
                assert db.kv.incr(b"n", 2) == 2
            with pytest.raises(kvgraph.InvalidArgumentError):
                db.save()  # would wait for this thread's own group
            with pytest.raises(kvgraph.InvalidArgumentError):
                g.__enter__()  # already open
            db.kv.set(b"b", b"2")
        # The body raises: the group is still closed and its writes logged.
        with pytest.raises(RuntimeError, match="in the group"):
            with db.kv.write_group():
                db.kv.set(b"c", b"3")
                raise RuntimeError("in the group")
    with kvgraph.Engine(tmp_path) as db:
        assert [db.kv.get(k) for k in (b"a", b"b", b"c", b"n")] == [b"1", b"2", b"3", b"2"]
        db.save()  # no group is left open
        with db.kv.write_group():
            db.kv.delete(b"a")
            db.kv.set(b"d", b"4")
    with kvgraph.Engine(tmp_path) as db:
        assert db.kv.get(b"a") is None
        assert [db.kv.get(k) for k in (b"b", b"c", b"d", b"n")] == [b"2", b"3", b"4", b"2"]
        group = db.kv.write_group()
    with pytest.raises(kvgraph.InvalidArgumentError):
        with group:  # its engine is closed
            pass
    # A group that outlives its engine logs nothing: closing it raises.
    db = kvgraph.Engine(tmp_path)
    with pytest.raises(kvgraph.IoError, match="the engine is closed"):
        with db.kv.write_group():
            db.kv.set(b"late", b"x")
            db.close()
    with kvgraph.Engine(tmp_path) as db:
        assert db.kv.get(b"late") is None
    with kvgraph.Engine() as memory, memory.kv.write_group():
        memory.kv.set(b"k", b"v")  # no path: nothing to log
