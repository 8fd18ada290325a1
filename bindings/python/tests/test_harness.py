"""The comparison harness (benchmarks/harness): peers are discovered from
their own files, each declares what it runs, and the report's targets."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Set

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
    assert harness.peers.systems_with("cypher") == ["kvgraph", "igraph", "networkx", "kuzu", "falkordb"]
    for peer in peers.values():
        for field in ("kv", "loads", "neighbors"):
            assert getattr(peer, field) is None or callable(getattr(peer, field))


def test_targets(harness: Any) -> None:
    t = harness.report.target_for
    assert t("kv", "redis", "rt") == 30.0
    assert t("lists", "igraph") == 5.0 and t("numpy", "igraph") == 10.0 and t("first", "igraph") == 2.0
    assert t("percall", "igraph") is None
    assert harness.report.RUST_RATE_TARGET == 0.7
    assert t("cy_fof", "falkordb") == 5.0 and t("cy_lookup", "falkordb") == 5.0
    assert t("cy_fof", "igraph") == 1.0 and t("cy_lookup", "igraph") == 1.0
    assert t("cy_agg", "kuzu") == 1.0 and t("cy_load", "falkordb") == 3.0
    assert t("cy_seed", "falkordb") is None and t("cy_twohop", "kuzu") is None and t("cy_lookup", "networkx") is None


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
    assert "--percall-calls" in p.stdout and "--skip" in p.stdout and "--agg-nodes" in p.stdout


def test_cypher_family_end_to_end_for_kvgraph(harness: Any, tmp_path: Path) -> None:
    """The cypher family at tiny sizes, kvgraph alone (the peers may be
    absent): every row runs, and its answers are the data's."""
    pytest.importorskip("numpy")
    sizes = {"cypher-persons": 60, "cypher-rels": 300, "cypher-batch": 16, "cypher-queries": 12, "agg-nodes": 150}
    cmd = [sys.executable, str(BENCH / "compare.py"), "--systems", "kvgraph", "--skip", "kv", "--skip", "loads",
           "--skip", "percall", "--scale", "6", "--edge-factor", "4", "--hop-nodes", "4", "--pairs", "300",
           "--fof-queries", "2", "--runs", "1", "--docs", str(tmp_path), "--benchmarks-md", str(tmp_path / "B.md"),
           "--raw-json", str(tmp_path / "c.json")]
    for k, v in sizes.items():
        cmd += [f"--{k}", str(v)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    results = json.loads((tmp_path / "c.json").read_text())
    cy = results["cypher"]["kvgraph"]
    rows = cy["rows"]
    assert {r: rows[r]["status"] for r in rows} == {f"cypher_{r}": "ok" for r in
                                                   ("seed", "fof", "agg", "load", "lookup", "twohop")}
    age_of, people, group_counts = harness.data.age_of, harness.data.people, harness.peers.cypher.group_counts
    assert rows["cypher_seed"]["check"] == {"values": [{"labels": ["Person"], "name": "John Doe"}, {"type": "FRIEND"},
                                                       {"labels": ["Person"], "name": "Jane Doe"}]}
    # the FoF through Cypher agrees with the graph family's FoF through the snapshot API
    assert rows["cypher_fof"]["check"] == results["graph"]["kvgraph"]["rows"]["fof"]["check"]
    assert rows["cypher_agg"]["check"] == {"groups": group_counts(age_of(i) for i in range(sizes["agg-nodes"]))}
    data = people(sizes["cypher-persons"], sizes["cypher-rels"], results["args"]["seed"] + 3)
    assert rows["cypher_load"]["check"] == {"persons": data.n, "friendships": len(data.rels)}
    picks = cy["extra"]["picks"]
    assert len(picks) == sizes["cypher-queries"]
    assert rows["cypher_lookup"]["check"] == {"ages": [age_of(i) for i in picks]}
    succ: Dict[int, Set[int]] = {}
    for a, b in zip(data.src, data.dst):
        succ.setdefault(a, set()).add(b)
    hops = [len({c for b in succ.get(a, ()) for c in succ.get(b, ())}) for a in picks]
    assert rows["cypher_twohop"]["check"] == {"counts": hops}
    report = (tmp_path / "comparison.md").read_text()
    assert "Cypher: UNWIND load, 60 persons" in report and "Cypher: lookup by indexed name (per query)" in report
