"""Batched calls (Kv.set_many/get_many, Graph.set_property_many/
get_property_many) and the one-crossing Kv.get over kvg_kv_get_into."""

from __future__ import annotations

import threading

import pytest

import kvgraph
from kvgraph import _kv as _core


def test_kv_set_many_get_many(db: kvgraph.Engine) -> None:
    db.kv.set_many([(b"a", b"1"), ("b", "2"), (b"", b""), (b"a", b"last")])
    assert len(db.kv) == 3
    assert db.kv.get_many([b"a", b"missing", "b", b""]) == [b"last", None, b"2", b""]
    db.kv.set_many({b"x": b"\x00\xff"})
    db.kv.set_many([(bytearray(b"y"), memoryview(b"mv"))])
    assert db.kv.get_many(iter([b"x", b"y"])) == [b"\x00\xff", b"mv"]
    assert db.kv.get_many([]) == []
    db.kv.set_many([])
    db.kv.set_many({})
    keys = [f"k{i}".encode() for i in range(1000)]
    db.kv.set_many((k, k * 3) for k in keys)
    assert db.kv.get_many(keys) == [k * 3 for k in keys]


def test_kv_set_many_clears_ttl(db: kvgraph.Engine) -> None:
    db.kv.set(b"t", b"old", ttl_ms=60_000)
    db.kv.set_many({b"t": b"new"})
    assert db.kv.get(b"t") == b"new"


def test_kv_set_many_bad_input_writes_nothing(db: kvgraph.Engine) -> None:
    with pytest.raises(TypeError):
        db.kv.set_many([(b"a", b"1"), (b"b", 2)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        db.kv.get_many([b"a", 3])  # type: ignore[list-item]
    assert len(db.kv) == 0


def test_kv_get_grows_its_buffer(db: kvgraph.Engine) -> None:
    # The cffi path (what `get` runs under KVGRAPH_LIB) and its buffer pool.
    for size in (0, 1, _core._GET_BUFFER_START, _core._GET_BUFFER_START + 1, 100_000, _core._GET_BUFFER_MAX + 7):
        value = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        db.kv.set(b"v", value)
        assert db.kv._get_cffi(b"v") == value
        assert db.kv.get(b"v") == value
    assert db.kv._get_cffi(b"nope") is None
    # The pool keeps grown buffers, but none past the limit.
    assert _core._GET_BUFFERS and all(b.cap <= _core._GET_BUFFER_MAX for b in _core._GET_BUFFERS)
    assert max(b.cap for b in _core._GET_BUFFERS) > _core._GET_BUFFER_START


def test_kv_get_threads(db: kvgraph.Engine) -> None:
    values = {f"k{i}".encode(): bytes([i]) * (i * 997) for i in range(32)}
    db.kv.set_many(values)
    errors = []

    def reader(seed: int) -> None:
        try:
            for round in range(200):
                key = f"k{(seed * 7 + round) % 32}".encode()
                if db.kv.get(key) != values[key]:
                    errors.append(key)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_closed_engine() -> None:
    db = kvgraph.Engine()
    db.close()
    with pytest.raises(kvgraph.Error):
        db.kv.get(b"a")
    with pytest.raises(kvgraph.Error):
        db.kv.get_many([b"a"])
    with pytest.raises(kvgraph.Error):
        db.kv.set_many({b"a": b"b"})
    with pytest.raises(kvgraph.Error):
        db.graph.get_property_many([0], "name")


def test_property_batches(db: kvgraph.Engine) -> None:
    g = db.graph
    first = g.add_nodes(3, "Person")
    ids = [first, first + 1, first + 2]
    g.set_property_many(ids, "name", [b"Ada", "Grace", b""])
    assert g.get_property_many(ids, "name") == [b"Ada", b"Grace", b""]
    assert g.get_property(first + 1, "name") == b"Grace"
    # Unset properties and unknown nodes read as None.
    assert g.get_property_many([first, first + 99], "age") == [None, None]
    assert g.get_property_many([], "name") == []
    g.set_property_many([], "name", [])
    g.set_property_many([first, first], "name", [b"one", b"two"])
    assert g.get_property(first, "name") == b"two"


def test_property_batches_numpy(db: kvgraph.Engine) -> None:
    np = pytest.importorskip("numpy")
    first = db.graph.add_nodes(4)
    ids = np.arange(first, first + 4, dtype=np.uint64)
    db.graph.set_property_many(ids, "n", [str(i) for i in range(4)])
    assert db.graph.get_property_many(ids, "n") == [b"0", b"1", b"2", b"3"]


def test_property_batches_errors(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node()
    with pytest.raises(kvgraph.NotFoundError) as exc:
        g.set_property_many([a, a + 1000], "name", [b"x", b"y"])
    assert "nothing was written" in str(exc.value)
    assert g.get_property(a, "name") is None
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.set_property_many([a], "name", [b"x", b"y"])
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.set_property_many([a], b"\xff", [b"x"])
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.get_property_many([a], b"\xff")
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.get_property_many([-1], "name")
    assert g.get_property(a, "name") is None


def test_kv_get_reentered_takes_its_own_buffer(db: kvgraph.Engine) -> None:
    # A get inside a get (as from a signal handler) must not overwrite the
    # outer one's buffer: it pops another from the pool (the cffi path; the
    # C path reads into its own stack frame).
    db.kv.set(b"outer", b"A" * 100)
    db.kv.set(b"inner", b"B" * 50)
    real = _core._unpack
    seen: list = []
    nested = [True]

    def unpack_with_nested_get(ptr: object, n: int) -> bytes:
        if nested.pop() if nested else False:  # only the outer get nests one
            seen.append(db.kv._get_cffi(b"inner"))
        return real(ptr, n)  # type: ignore[no-any-return]

    _core._unpack = unpack_with_nested_get  # type: ignore[assignment]
    try:
        assert db.kv._get_cffi(b"outer") == b"A" * 100
    finally:
        _core._unpack = real
    assert seen == [b"B" * 50]
