"""Python threads sharing one engine (cffi releases the GIL in every call)."""

from __future__ import annotations

import threading
from typing import Any, Callable, List

import pytest

import kvgraph


def _run(n: int, target: Callable[[int], None]) -> None:
    errors: List[BaseException] = []
    barrier = threading.Barrier(n)

    def body(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_concurrent_incr_is_exact(db: kvgraph.Engine) -> None:
    per_thread = 2000

    def work(_: int) -> None:
        for _ in range(per_thread):
            db.kv.incr(b"counter")

    _run(4, work)
    assert db.kv.incr(b"counter", 0) == 4 * per_thread
    assert db.kv.get(b"counter") == str(4 * per_thread).encode()


def test_concurrent_cas_counter(db: kvgraph.Engine) -> None:
    db.kv.set(b"c", b"0")
    per_thread = 300

    def work(_: int) -> None:
        done = 0
        while done < per_thread:
            cur = db.kv.get(b"c")
            assert cur is not None
            if db.kv.cas(b"c", cur, str(int(cur) + 1).encode()):
                done += 1

    _run(4, work)
    assert db.kv.get(b"c") == str(4 * per_thread).encode()


def test_concurrent_insert_one_winner(db: kvgraph.Engine) -> None:
    wins: List[int] = []

    def work(i: int) -> None:
        for k in range(200):
            if db.kv.insert(b"k%d" % k, b"%d" % i):
                wins.append(k)

    _run(4, work)
    assert sorted(wins) == list(range(200))


def test_snapshot_repeatable_under_writers(db: kvgraph.Engine) -> None:
    g = db.graph
    n = 300
    first = g.add_nodes(n)
    for i in range(n - 1):
        g.add_edge(first + i, first + i + 1, weight=float(i % 7 + 1))
    snap = g.snapshot()
    stop = threading.Event()

    def writer(w: int) -> None:
        i = 0
        while not stop.is_set():
            u = first + (i * 7 + w) % n
            v = first + (i * 13 + 3 * w + 1) % n
            g.add_edge(u, v, "W%d" % w, weight=0.5)
            if i % 5 == 0:
                try:
                    g.remove_edge(first + (i % (n - 1)), first + (i % (n - 1)) + 1)
                except kvgraph.NotFoundError:
                    pass
            if i % 50 == 0:
                g.add_node()
            if w == 0 and i % 200 == 0:
                g.compact()
            i += 1

    def read() -> Any:
        return (
            snap.node_count(),
            snap.edge_count(),
            snap.bfs(first),
            snap.sssp(first),
            snap.pagerank(iterations=5),
            snap.wcc(),
            snap.cdlp(iterations=3),
            snap.lcc(),
            snap.triangle_count(),
            snap.k_hop(first, 3),
            [sorted(snap.neighbors(first + i, "both")) for i in range(0, n, 17)],
        )

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for t in writers:
        t.start()
    try:
        answers = [read() for _ in range(2)]
        # and concurrently from reader threads too
        results: List[Any] = [None] * 2

        def reader(i: int) -> None:
            results[i] = read()

        _run(2, reader)
    finally:
        stop.set()
        for t in writers:
            t.join()
    assert answers[0] == answers[1]
    assert results[0] == answers[0] and results[1] == answers[0]
    assert answers[0][0] == n and answers[0][1] == n - 1
    assert answers[0][2] == list(range(n))
    snap.close()
    with g.snapshot() as later:
        assert later.edge_count() > n - 1 - 1000  # the writers' edges are visible now
        assert later.node_count() >= n


def test_close_while_other_threads_use_engine() -> None:
    for _ in range(5):
        db = kvgraph.Engine()
        db.graph.add_nodes(10)
        started = threading.Barrier(5)
        outcomes: List[str] = []

        def user(i: int) -> None:
            started.wait()
            try:
                for k in range(100_000):
                    db.kv.set(b"k%d" % (k % 100), b"v")
                    with db.graph.snapshot() as s:
                        s.bfs(0)
            except kvgraph.Error as exc:
                outcomes.append(exc.message)

        threads = [threading.Thread(target=user, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        started.wait()
        db.close()
        for t in threads:
            t.join()
        assert len(outcomes) == 4
        assert all("closed" in m for m in outcomes)


@pytest.mark.parametrize("threads", [4])
def test_parallel_graph_writers(threads: int) -> None:
    with kvgraph.Engine() as db:
        g = db.graph
        n = 1000
        first = g.add_nodes(n)

        def work(w: int) -> None:
            for i in range(w, n - 1, threads):
                g.add_edge(first + i, first + i + 1)

        _run(threads, work)
        with g.snapshot() as s:
            assert s.edge_count() == n - 1
            assert s.bfs(first)[first + n - 1] == n - 1


def test_library_calls_release_the_gil() -> None:
    """While one thread is inside a long library call, Python threads run."""
    import time

    with kvgraph.Engine() as db:
        n = 20_000
        first = db.graph.add_nodes(n)
        src = [first + (i * 7919) % n for i in range(5 * n)]
        dst = [first + (i * 104729 + 13) % n for i in range(5 * n)]
        db.graph.load_edges(src, dst)
        with db.graph.snapshot() as s:
            t = time.perf_counter()
            s.pagerank(iterations=20)
            per_iteration = max((time.perf_counter() - t) / 20, 1e-6)
            iterations = min(int(0.6 / per_iteration) + 1, 100_000)

            ticks: List[float] = []
            done = threading.Event()

            def ticker() -> None:
                while not done.is_set():
                    ticks.append(time.perf_counter())

            th = threading.Thread(target=ticker)
            th.start()
            time.sleep(0.01)
            t0 = time.perf_counter()
            s.pagerank(iterations=iterations)
            t1 = time.perf_counter()
            done.set()
            th.join()
    span = t1 - t0
    if span < 0.1:  # pragma: no cover - too fast to judge
        pytest.skip(f"the call took only {span:.3f}s")
    middle = [x for x in ticks if t0 + 0.25 * span < x < t1 - 0.25 * span]
    assert middle, f"no Python thread ran during a {span:.2f}s library call: is the GIL held?"
