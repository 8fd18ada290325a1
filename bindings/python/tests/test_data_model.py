"""The data model from Python: labels, typed node and relationship
properties, (label, property) indexes and lookups."""

from __future__ import annotations

import math
from typing import Any

import pytest

import kvgraph
from kvgraph import _value

VALUES = [
    None,
    True,
    False,
    0,
    -1,
    42,
    2**63 - 1,
    -(2**63),
    1.5,
    -0.0,
    math.inf,
    "",
    "Zürich",
    b"",
    b"\x00\xff",
    [],
    [1, "two", b"3", None, [4.0]],
    {},
    {"b": 1, "a": [True, {"nested": b"x"}], "é": "ü"},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_typed_property_round_trip(db: kvgraph.Engine, value: Any) -> None:
    g = db.graph
    a = g.add_node("Person")
    g.set_property(a, "p", value)
    got = g.get_property(a, "p")
    assert got == value and type(got) is type(value)
    with g.snapshot() as s:
        assert s.get_property(a, "p") == value
    g.add_edge(a, a, "R")  # the graph's first relationship: id 0
    g.set_rel_property(0, "p", value)
    assert g.get_rel_property(0, "p") == value
    with pytest.raises(kvgraph.NotFoundError):
        g.set_rel_property(7, "p", value)  # no such relationship


def test_bytes_stay_bytes_and_str_is_a_string(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node("Person", name=b"John Doe", nick="JD", age=42)
    assert g.get_property(a, "name") == b"John Doe"
    g.set_property(a, "age", b"42")  # the byte-string contract
    assert g.get_property(a, "age") == b"42"
    assert g.get_property(a, "nick") == "JD"
    # the byte-string bulk read sees a string as its UTF-8
    assert g.get_property_many([a], "nick") == [b"JD"]
    g.set_property(a, "n", 7)
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.get_property_many([a], "n")  # not a byte string


def test_nan_and_tuples(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node()
    g.set_property(a, "f", math.nan)
    assert math.isnan(g.get_property(a, "f"))
    g.set_property(a, "t", (1, 2))
    assert g.get_property(a, "t") == [1, 2]
    g.set_property(a, "b", bytearray(b"ab"))
    assert g.get_property(a, "b") == b"ab"


def test_numpy_scalars(db: kvgraph.Engine) -> None:
    np = pytest.importorskip("numpy")
    g = db.graph
    a = g.add_node()
    g.set_property(a, "i", np.int32(-5))
    g.set_property(a, "f", np.float32(0.5))
    g.set_property(a, "b", np.bool_(True))
    assert [g.get_property(a, k) for k in "ifb"] == [-5, 0.5, True]
    assert type(g.get_property(a, "b")) is bool


def test_remove_property(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node()
    g.set_property(a, "x", 1)
    assert g.remove_property(a, "x") is True
    assert g.remove_property(a, "x") is False
    assert g.get_property(a, "x") is None
    g.set_property(a, "x", 1)
    g.set_property(a, "x", None)  # null removes
    assert g.get_property(a, "x") is None
    with pytest.raises(kvgraph.NotFoundError):
        g.remove_property(999, "x")
    g.add_edge(a, a, "R")  # the graph's first relationship: id 0
    g.set_rel_property(0, "w", 1.0)
    g.remove_rel_property(0, "w")
    assert g.get_rel_property(0, "w") is None


def test_bad_values(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node()
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.set_property(a, "x", 2**63)
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.set_property(a, "x", [-(2**63) - 1])
    with pytest.raises(TypeError):
        g.set_property(a, "x", {1: "a"})
    with pytest.raises(TypeError):
        g.set_property(a, "x", {1, 2})
    deep: Any = []
    for _ in range(80):
        deep = [deep]
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.set_property(a, "x", deep)
    with pytest.raises(kvgraph.NotFoundError):
        g.set_property(999, "x", 1)
    with pytest.raises(kvgraph.NotFoundError):
        g.get_property(999, "x")
    assert g.get_property(a, "x") is None


def test_encoding_matches_the_library() -> None:
    """The Python encoder writes exactly kvg_value_encode's bytes."""
    from kvgraph._lib import ffi, lib

    for value in VALUES + [{"z": 1, "a": 2, "m": [None]}, -(2**40), "x" * 300]:
        if isinstance(value, (list, dict)):
            continue  # the library takes those encoded already: checked by the round trip
        v, _keep = _value.value_in(value)
        out = ffi.new("kvg_bytes *")
        assert lib.kvg_value_encode(v, out) == 0
        raw = ffi.buffer(out.data, out.len)[:]
        lib.kvg_bytes_free(out)
        assert _value.encode(value) == raw
        assert _value.decode(raw) == value or (isinstance(value, float) and math.isnan(value))
    for value in VALUES:
        assert _value.decode(_value.encode(value)) == value


@pytest.mark.parametrize(
    "raw", [b"", b"\x02\x00", b"\x01", b"\x01\x09", b"\x01\x05\x05ab", b"\x01\x00\x00", b"\x01\x05\x01\xff", b"\x01\x03\xff"]
)
def test_malformed_encodings_raise(raw: bytes) -> None:
    with pytest.raises(kvgraph.InvalidArgumentError):
        _value.decode(raw)


def test_labels(db: kvgraph.Engine) -> None:
    g = db.graph
    a = g.add_node("Person")
    assert g.labels(a) == ["Person"]
    assert g.add_label(a, "Admin") is True
    assert g.add_label(a, "Admin") is False
    assert g.labels(a) == ["Admin", "Person"]
    assert g.has_label(a, "Admin") and not g.has_label(a, "Robot")
    with g.snapshot() as s:
        assert g.remove_label(a, "Admin") is True
        assert g.remove_label(a, "Admin") is False
        assert s.labels(a) == ["Admin", "Person"]  # as of the snapshot
        assert s.has_label(a, "Admin")
        assert s.nodes_with_label("Admin") == [a]
    assert g.labels(a) == ["Person"]
    b = g.add_node()
    assert g.labels(b) == [] and g.node_label(b) == ""
    with g.snapshot() as s:
        assert s.nodes_with_label("Person") == [a]
        assert s.nodes_with_label("Admin", output="array").tolist() == []
        with pytest.raises(kvgraph.NotFoundError):
            s.labels(999)
    for call in (lambda: g.labels(999), lambda: g.add_label(999, "X"), lambda: g.has_label(999, "X")):
        with pytest.raises(kvgraph.NotFoundError):
            call()
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.add_label(a, "")
    with pytest.raises(kvgraph.InvalidArgumentError):
        g.add_label(a, "a\0b")


def test_nodes_with_label_grows_its_buffer(db: kvgraph.Engine) -> None:
    first = db.graph.add_nodes(1000, "Many")
    with db.graph.snapshot() as s:
        assert s.nodes_with_label("Many") == list(range(first, first + 1000))


def test_indexes(db: kvgraph.Engine) -> None:
    g = db.graph
    ada = g.add_node("Person", name="Ada", age=36)
    bob = g.add_node("Person", name="Bob", age=41.0)
    cy = g.add_node("Person", name=b"Ada", age=True)
    robot = g.add_node("Robot", name="Ada")
    assert g.indexes() == []
    assert g.create_index("Person", "name") is True
    assert g.create_index("Person", "name") is False
    assert g.create_index("Person", "age") is True
    assert g.indexes() == [("Person", "name"), ("Person", "age")]
    with g.snapshot() as s:
        assert s.index_lookup("Person", "name", "Ada") == [ada]  # not the bytes b"Ada", not the Robot
        assert s.index_lookup("Person", "name", b"Ada") == [cy]
        assert s.index_lookup("Person", "age", 36.0) == [ada]
        assert s.index_lookup("Person", "age", 41) == [bob]
        assert s.index_lookup("Person", "age", None) == []
        assert s.index_range("Person", "age", 30, 41) == [ada]
        assert s.index_range("Person", "age", 30, 41, upper_inclusive=True) == [ada, bob]
        assert s.index_range("Person", "age", lower=37) == [bob]
        assert s.index_range("Person", "age") == [ada, bob, cy]
        assert s.index_range("Person", "name", "A", "B", output="numpy").tolist() == [ada]
        with pytest.raises(kvgraph.NotFoundError):
            s.index_lookup("Robot", "name", "Ada")
    with g.snapshot() as old:
        g.create_index("Robot", "name")
        with pytest.raises(kvgraph.InvalidArgumentError):
            old.index_lookup("Robot", "name", "Ada")  # newer than the snapshot
    assert g.drop_index("Robot", "name") is True
    assert g.drop_index("Robot", "name") is False
    assert robot in g.find_nodes("Robot", name="Ada")


def test_find_nodes(db: kvgraph.Engine) -> None:
    g = db.graph
    ada = g.add_node("Person", name="Ada", age=36)
    g.add_node("Person", name="Bob", age=36)
    one = g.add_node("Person", name="One", age=1)
    truth = g.add_node("Person", name="True", age=True)
    other = g.add_node("Robot", name="Ada")
    for indexed in (False, True):
        if indexed:
            g.create_index("Person", "name")
        assert g.find_nodes("Person", name="Ada") == [ada]
        assert g.find_nodes("Person", name="Ada", age=36.0) == [ada]
        assert g.find_nodes("Person", name="Ada", age=37) == []
        assert g.find_nodes("Person", age=1) == [one]  # True is not 1
        assert g.find_nodes("Person", age=True) == [truth]
        assert g.find_nodes(None, name="Ada") == [ada, other]
        assert g.find_nodes("Person", name=None) == []
        assert len(g.find_nodes("Person")) == 4
        assert g.find_nodes("Nobody", name="Ada") == []


def test_values_equal() -> None:
    eq = _value.values_equal
    assert eq(1, 1.0) and eq([1, {"a": 2}], [1.0, {"a": 2.0}]) and eq(b"x", bytearray(b"x"))
    assert not eq(True, 1) and not eq("1", b"1") and not eq(None, None) and not eq(math.nan, math.nan)
    assert not eq([1], [1, 2]) and not eq({"a": 1}, {"b": 1}) and not eq(1, "1")
