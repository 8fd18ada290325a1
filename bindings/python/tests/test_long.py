"""Long calls: Ctrl-C while a library call runs, progress, errors from the worker."""

from __future__ import annotations

import _thread
import signal
import threading
from typing import Any, Iterator, List

import pytest

import kvgraph
from kvgraph import _graph, _long, _snapshot


@pytest.fixture(autouse=True)
def sigint_raises() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt even where the runner was started with
    SIGINT ignored (a background job): `interrupt_main` does nothing then."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)

np: Any
try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None


def test_ctrl_c_interrupts_the_wait_and_the_call_completes() -> None:
    release = threading.Event()
    finished: List[bool] = []

    def call() -> int:
        release.wait(30)
        finished.append(True)
        return 0

    timer = threading.Timer(0.05, _thread.interrupt_main)
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        _long.run_long(call, "blocked call", progress=False)
    assert not finished  # raised while the call was still running
    assert not _long.wait_interrupted(timeout=0.01)
    release.set()
    assert _long.wait_interrupted(timeout=30)
    assert finished == [True]


def test_worker_errors_carry_the_library_message(db: kvgraph.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_graph, "LONG_EDGES", 1)  # every load is a long call
    db.graph.add_nodes(2)
    with pytest.raises(kvgraph.NotFoundError) as info:
        db.graph.load_edges([0, 1], [1, 7])
    assert "7" in info.value.message  # read on the worker thread, where it was set
    db.graph.load_edges([0], [1])
    with db.graph.snapshot() as s:
        assert s.edge_count() == 1


def test_python_exceptions_in_the_call_propagate() -> None:
    def call() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        _long.run_long(call, "failing call", progress=False)


def test_progress_with_tqdm_or_a_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(_long, "PROGRESS_AFTER", 0.0)
    gate = threading.Event()
    threading.Timer(0.2, gate.set).start()
    _long.run_long(lambda: 0 if gate.wait(30) else 1, "a visible call", progress=True)
    assert "kvgraph: a visible call" in capsys.readouterr().err
    _long.run_long(lambda: 0, "a hidden call", progress=False)
    assert "hidden" not in capsys.readouterr().err


def test_kernels_and_loads_take_the_long_path(db: kvgraph.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: List[str] = []
    real = _long.run_long

    def spy(call: Any, what: str, progress: Any = None) -> None:
        seen.append(what)
        real(call, what, progress)

    monkeypatch.setattr(_graph, "run_long", spy)
    monkeypatch.setattr(_snapshot, "run_long", spy)
    monkeypatch.setattr(_graph, "LONG_EDGES", 2)
    monkeypatch.setattr(_snapshot, "LONG_NODES", 2)
    first = db.graph.add_nodes(3)
    db.graph.load_edges([first, first + 1], [first + 1, first + 2])
    db.graph.compact()
    with db.graph.snapshot() as s:
        assert s.bfs(first) == [0, 1, 2]
        assert s.pagerank(output="array").typecode == "d"
        assert s.triangle_count() == 0
    assert seen == ["loading 2 edges", "compacting", "bfs", "pagerank", "triangle count"]


@pytest.mark.skipif(np is None, reason="numpy not installed")
def test_interrupted_bulk_load_leaves_the_engine_consistent() -> None:
    n = 2_000_000
    with kvgraph.Engine() as db:
        db.graph.add_nodes(n)
        src = np.arange(n, dtype=np.uint64)
        dst = (src * 7919 + 1) % n
        timer = threading.Timer(0.01, _thread.interrupt_main)
        timer.start()
        try:
            db.graph.load_edges(src, dst, progress=False)
            timer.join()  # the load won the race: the interrupt lands here
        except KeyboardInterrupt:
            pass
        assert _long.wait_interrupted(timeout=120)
        with db.graph.snapshot() as s:  # the load applied in full, atomically
            assert s.edge_count() == n
            assert s.neighbors(0) == [1]
        db.kv.set(b"still", b"works")
        assert db.kv.get(b"still") == b"works"
