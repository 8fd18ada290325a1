"""The comparison harness (benchmarks/harness): peers are discovered from
their own files, each declares what it runs, and the report's targets."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def harness() -> Iterator[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        import harness.peers
        import harness.report

        yield harness
    finally:
        sys.path.remove(str(BENCH))


def test_peers_are_discovered_in_report_order(harness: Any) -> None:
    peers = harness.peers.PEERS
    assert list(peers)[:2] == ["kvgraph", "kvgraph-rust"]
    assert {"igraph", "rustworkx", "networkx", "kuzu", "falkordb", "redis", "falkordb-redis"} <= set(peers)
    assert harness.peers.GRAPH_SYSTEMS[0] == "kvgraph"
    assert harness.peers.KV_SYSTEMS == ["kvgraph", "redis", "falkordb-redis"]
    assert harness.peers.systems_with("loads") == ["kvgraph", "igraph", "rustworkx", "networkx"]
    assert harness.peers.systems_with("neighbors") == ["kvgraph", "igraph", "rustworkx", "networkx"]
    for peer in peers.values():
        for field in ("kv", "loads", "neighbors"):
            assert getattr(peer, field) is None or callable(getattr(peer, field))


def test_targets(harness: Any) -> None:
    t = harness.report.target_for
    assert t("kv", "redis", "rt") == 30.0
    assert t("lists", "igraph") == 5.0 and t("numpy", "igraph") == 10.0 and t("first", "igraph") == 2.0
    assert t("percall", "igraph") is None
    assert harness.report.RUST_RATE_TARGET == 0.7


def test_a_new_peer_is_one_file(tmp_path: Path) -> None:
    copy = tmp_path / "benchmarks"
    shutil.copytree(BENCH / "harness", copy / "harness", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "harness" / "peers" / "toy.py").write_text(
        '"""A toy peer."""\n'
        "from .registry import Peer\n\n"
        "def neighbors(d, args, rec):\n    pass\n\n"
        'PEER = Peer("toy", "Toy graph", order=35, module="json", neighbors=neighbors)\n'
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from harness.peers import LABEL, systems_with\n"
        "print(LABEL['toy'], systems_with('neighbors'))\n"
    )
    p = subprocess.run([sys.executable, "-c", code, str(copy)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "Toy graph ['kvgraph', 'igraph', 'rustworkx', 'networkx', 'toy']"


def test_compare_py_runs_the_harness() -> None:
    p = subprocess.run([sys.executable, str(BENCH / "compare.py"), "--help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "--percall-calls" in p.stdout and "--skip" in p.stdout
