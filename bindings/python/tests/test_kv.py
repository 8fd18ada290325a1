"""The key-value map: db.kv."""

from __future__ import annotations

import time

import pytest

import kvgraph


def test_set_get_overwrite(db: kvgraph.Engine) -> None:
    assert db.kv.get(b"key") is None
    db.kv.set(b"key", b"value")
    assert db.kv.get(b"key") == b"value"
    db.kv.set(b"key", b"other")
    assert db.kv.get(b"key") == b"other"
    assert isinstance(db.kv.get(b"key"), bytes)


def test_binary_empty_and_str(db: kvgraph.Engine) -> None:
    db.kv.set(b"", b"")
    assert db.kv.get(b"") == b""
    db.kv.set(b"\x00a\x00", b"\x00\xff\x00")
    assert db.kv.get(b"\x00a\x00") == b"\x00\xff\x00"
    db.kv.set("clé", "välue")
    assert db.kv.get("clé".encode()) == "välue".encode()
    db.kv.set(bytearray(b"ba"), memoryview(b"mv"))
    assert db.kv.get(b"ba") == b"mv"
    big = bytes(range(256)) * 4096
    db.kv.set(b"big", big)
    assert db.kv.get(b"big") == big


def test_insert(db: kvgraph.Engine) -> None:
    assert db.kv.insert(b"k", b"1") is True
    assert db.kv.insert(b"k", b"2") is False
    assert db.kv.get(b"k") == b"1"


def test_delete(db: kvgraph.Engine) -> None:
    assert db.kv.delete(b"k") is False
    db.kv.set(b"k", b"v")
    assert db.kv.delete(b"k") is True
    assert db.kv.get(b"k") is None
    assert db.kv.delete(b"k") is False


def test_cas(db: kvgraph.Engine) -> None:
    assert db.kv.cas(b"k", b"a", b"b") is False  # absent
    db.kv.set(b"k", b"a")
    assert db.kv.cas(b"k", b"x", b"b") is False  # conflict
    assert db.kv.get(b"k") == b"a"
    assert db.kv.cas(b"k", b"a", b"b") is True
    assert db.kv.get(b"k") == b"b"
    assert db.kv.compare_and_swap(b"k", b"b", b"c") is True


def test_incr(db: kvgraph.Engine) -> None:
    assert db.kv.incr(b"n") == 1
    assert db.kv.incr(b"n", 10) == 11
    assert db.kv.incr(b"n", -20) == -9
    assert db.kv.get(b"n") == b"-9"
    db.kv.set(b"m", b"41")
    assert db.kv.incr(b"m") == 42
    db.kv.set(b"s", b"not a number")
    with pytest.raises(kvgraph.InvalidArgumentError) as info:
        db.kv.incr(b"s")
    assert info.value.status == kvgraph.KVG_INVALID_ARGUMENT
    assert info.value.message  # the library's message
    db.kv.set(b"big", str(2**63 - 1).encode())
    with pytest.raises(kvgraph.InvalidArgumentError):
        db.kv.incr(b"big")
    with pytest.raises(kvgraph.InvalidArgumentError):
        db.kv.incr(b"n", 2**63)
    with pytest.raises(TypeError):
        db.kv.incr(b"n", 1.5)


def test_len(db: kvgraph.Engine) -> None:
    assert len(db.kv) == 0
    for i in range(10):
        db.kv.set(b"k%d" % i, b"v")
    assert len(db.kv) == 10
    db.kv.delete(b"k3")
    assert len(db.kv) == 9


def test_scan(db: kvgraph.Engine) -> None:
    for k in [b"b", b"a", b"d", b"c", b"e"]:
        db.kv.set(k, k.upper())
    assert list(db.kv.scan()) == [(b"a", b"A"), (b"b", b"B"), (b"c", b"C"), (b"d", b"D"), (b"e", b"E")]
    assert [k for k, _ in db.kv.scan(b"b", b"d")] == [b"b", b"c"]  # half-open
    assert [k for k, _ in db.kv.scan(start=b"c")] == [b"c", b"d", b"e"]
    assert [k for k, _ in db.kv.scan(end=b"c")] == [b"a", b"b"]
    assert [k for k, _ in db.kv.scan(b"bb", b"cc")] == [b"c"]
    assert list(db.kv.scan(b"x", b"z")) == []
    assert list(db.kv.scan(b"d", b"b")) == []


def test_scan_prefix(db: kvgraph.Engine) -> None:
    for k in [b"user:1", b"user:2", b"users", b"user;", b"admin:1", b"user:10"]:
        db.kv.set(k, b"v")
    assert [k for k, _ in db.kv.scan_prefix(b"user:")] == [b"user:1", b"user:10", b"user:2"]
    assert [k for k, _ in db.kv.scan_prefix("admin")] == [b"admin:1"]
    assert list(db.kv.scan_prefix(b"zzz")) == []
    assert len(list(db.kv.scan_prefix(b""))) == 6
    db.kv.set(b"\xff\xff", b"v")
    db.kv.set(b"\xff\xff\x01", b"v")
    assert [k for k, _ in db.kv.scan_prefix(b"\xff\xff")] == [b"\xff\xff", b"\xff\xff\x01"]


def test_scan_iterator_lifecycle(db: kvgraph.Engine) -> None:
    for i in range(100):
        db.kv.set(b"k%03d" % i, b"v")
    it = db.kv.scan()
    assert next(it) == (b"k000", b"v")
    it.close()
    with pytest.raises(StopIteration):
        next(it)
    with db.kv.scan_prefix(b"k0") as it2:
        assert next(it2)[0] == b"k000"
    # many abandoned iterators are closed by the garbage collector
    for _ in range(1000):
        it3 = db.kv.scan()
        next(it3)
        del it3
    exhausted = db.kv.scan(b"k098")
    assert [k for k, _ in exhausted] == [b"k098", b"k099"]
    assert list(exhausted) == []


def test_scan_sees_no_absent_key(db: kvgraph.Engine) -> None:
    for i in range(10):
        db.kv.set(b"%d" % i, b"v")
    it = db.kv.scan()
    first = next(it)
    db.kv.delete(b"5")
    rest = list(it)
    keys = [first[0]] + [k for k, _ in rest]
    assert keys == sorted(set(keys))


def test_ttl_expiry(db: kvgraph.Engine) -> None:
    db.kv.set(b"s", b"v", ttl_ms=150)
    db.kv.set(b"p", b"v")
    db.kv.set(b"long", b"v", ttl_ms=60_000)
    assert db.kv.get(b"s") == b"v"
    time.sleep(0.4)
    assert db.kv.get(b"s") is None
    assert b"s" not in db.kv
    assert [k for k, _ in db.kv.scan()] == [b"long", b"p"]
    assert len(db.kv) == 2
    assert db.kv.get(b"long") == b"v"
    # an expired key counts as absent
    assert db.kv.insert(b"s", b"new") is True
    assert db.kv.get(b"s") == b"new"
    db.maintain()


def test_ttl_overwritten_by_plain_set(db: kvgraph.Engine) -> None:
    db.kv.set(b"k", b"v", ttl_ms=50)
    db.kv.set(b"k", b"w")
    time.sleep(0.15)
    assert db.kv.get(b"k") == b"w"


def test_ttl_invalid(db: kvgraph.Engine) -> None:
    with pytest.raises(kvgraph.InvalidArgumentError):
        db.kv.set(b"k", b"v", ttl_ms=0)
    with pytest.raises(kvgraph.InvalidArgumentError):
        db.kv.set(b"k", b"v", ttl_ms=-5)
    with pytest.raises(TypeError):
        db.kv.set(b"k", b"v", ttl_ms="10")
    assert db.kv.get(b"k") is None


def test_mapping_protocol(db: kvgraph.Engine) -> None:
    db.kv[b"a"] = b"1"
    assert db.kv[b"a"] == b"1"
    assert b"a" in db.kv
    assert b"b" not in db.kv
    with pytest.raises(KeyError):
        db.kv[b"b"]
    with pytest.raises(kvgraph.NotFoundError):
        db.kv[b"b"]
    del db.kv[b"a"]
    with pytest.raises(KeyError):
        del db.kv[b"a"]
    db.kv[b"x"] = b"1"
    db.kv[b"y"] = b"2"
    assert list(db.kv) == [b"x", b"y"]
    assert list(db.kv.keys()) == [b"x", b"y"]
    assert dict(db.kv.items()) == {b"x": b"1", b"y": b"2"}


@pytest.mark.parametrize("bad", [1, 1.5, None, ["a"], object()])
def test_bad_key_types(db: kvgraph.Engine, bad: object) -> None:
    with pytest.raises(TypeError):
        db.kv.set(bad, b"v")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.kv.get(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.kv.set(b"k", bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.kv.cas(b"k", bad, b"v")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.kv.scan_prefix(bad)  # type: ignore[arg-type]


def test_get_fast_path(db: kvgraph.Engine) -> None:
    """The installed package reads through kvgraph._fast: absent keys, values
    on both sides of its 4,096-byte stack buffer, and failures as errors."""
    from kvgraph import _kv

    if kvgraph.binding_mode() == "api":
        assert _kv._fast_get is not None
    kv = db.kv
    for n in (0, 1, 4095, 4096, 4097, 1 << 20):
        kv.set(b"v", bytes(range(256)) * (n // 256) + b"z" * (n % 256))
        assert kv.get(b"v") == bytes(range(256)) * (n // 256) + b"z" * (n % 256)
        assert kv.get("v") == kv.get(memoryview(b"v"))
    assert kv.get(b"absent") is None
    with pytest.raises(TypeError):
        kv.get(1)  # type: ignore[arg-type]


def test_get_on_a_closed_engine_raises() -> None:
    db = kvgraph.Engine()
    kv = db.kv
    kv.set(b"k", b"v")
    db.close()
    with pytest.raises(kvgraph.InvalidArgumentError, match="closed"):
        kv.get(b"k")
