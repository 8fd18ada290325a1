"""The report: the table, the chart, docs/comparison.md and the section
of BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from .common import fmt_rate, fmt_ratio, fmt_time, log
from . import queries as Q
from .peers import GRAPH_SYSTEMS, LABEL, PEERS, systems_with


# rows: (id, suite, title, kind) ; kind picks the targets
ROWS = [
    ("kv_set", "kv", "KV set", "kv"),
    ("kv_get", "kv", "KV get", "kv"),
    ("kv_scan", "kv", "KV prefix scan", "scan"),
    ("load", "graph", "Graph bulk load", "load"),
    ("bfs", "graph", "BFS", "kernel"),
    ("pagerank", "graph", "PageRank (20 it.)", "kernel"),
    ("wcc", "graph", "WCC", "kernel"),
    ("twohop", "graph", "2-hop size, {hop_nodes:,} nodes", "kernel"),
    ("fof_load", "graph", "Social graph load", "load"),
    ("fof", "graph", "Friends of friends (per query)", "kernel"),
    ("load_first", "loads", "Load, first in a fresh process", "first"),
    ("load_lists", "loads", "Load from plain lists", "lists"),
    ("load_numpy", "loads", "Load from numpy", "numpy"),
    ("neighbors", "percall", "Neighbours, one call (per call)", "percall"),
    ("cypher_seed", "cypher", "Cypher: seed CREATE (per query)", "cy_seed"),
    ("cypher_fof", "cypher", "Cypher: friends of friends (per query)", "cy_fof"),
    ("cypher_agg", "cypher", "Cypher: count by age % 10, {agg_nodes:,} persons", "cy_agg"),
    ("cypher_load", "cypher", "Cypher: UNWIND load, {persons:,} persons + {friendships:,} friendships", "cy_load"),
    ("cypher_lookup", "cypher", "Cypher: lookup by indexed name (per query)", "cy_lookup"),
    ("cypher_twohop", "cypher", "Cypher: 2-hop count(DISTINCT c) (per query)", "cy_twohop"),
]
PER_QUERY = {"fof", "cypher_seed", "cypher_fof", "cypher_lookup", "cypher_twohop"}
"""Rows shown as the time per query (their ``ops`` queries were timed together)."""
SUITE_WORKLOAD = {"graph": "kernels", "loads": "loads", "percall": "neighbors", "cypher": "cypher"}
"""The :class:`harness.peers.Peer` field that says a peer runs a suite."""
RUST_RATE_TARGET = 0.7
"""kvgraph from Python at this fraction of the in-process Rust rate (per-call KV rows)."""
CYPHER_TARGETS: Dict[str, Dict[str, float]] = {
    "cy_seed": {},
    "cy_fof": {"falkordb": 5.0, "igraph": 1.0},
    "cy_lookup": {"falkordb": 5.0, "igraph": 1.0},
    "cy_twohop": {},
    "cy_agg": {"kuzu": 1.0},
    "cy_load": {"falkordb": 3.0},
}
"""kvgraph's speed-up asked for in the cypher family, by row kind and peer (absent: none asked)."""


def target_for(kind: str, system: str, variant: str = "") -> Optional[float]:
    """kvgraph's speed-up the issues ask for (None: none asked)."""
    if kind == "kv":
        return 30.0 if variant == "rt" else 1.0
    if kind in ("first", "lists", "numpy"):
        return {"first": 2.0, "lists": 5.0, "numpy": 10.0}[kind] if system == "igraph" else 1.0
    if kind == "percall":
        return None
    if kind in CYPHER_TARGETS:
        return CYPHER_TARGETS[kind].get(system)
    if kind == "load":
        return 5.0 if system == "kuzu" else 1.0
    if kind == "kernel":
        return {"networkx": 10.0, "kuzu": 3.0, "falkordb": 3.0}.get(system, 1.0)
    return 1.0


def build_report(args: argparse.Namespace, results: Dict[str, Any]) -> Tuple[str, List[Dict[str, Any]]]:
    meta = results["meta"]
    kv = results["kv"]
    graph = results["graph"]
    rust = results["rust"]
    table: List[Dict[str, Any]] = []  # one dict per printed line
    cy = results.get("cypher", {}).get("kvgraph", {}).get("extra", {})
    sizes = {"hop_nodes": meta["hop_nodes"], "agg_nodes": args.agg_nodes, "persons": cy.get("persons", args.cypher_persons),
             "friendships": cy.get("friendships", args.cypher_rels)}

    def per_op(rec: Dict[str, Any]) -> Optional[float]:
        if rec.get("status") != "ok" or "time" not in rec:
            return None
        return float(rec["time"] / rec["ops"] if rec.get("ops") else rec["time"])

    for row, suite, title, kind in ROWS:
        if suite == "kv" and not kv:
            continue
        if suite in ("loads", "percall", "cypher") and not results.get(suite):
            continue
        title = title.format(**sizes)
        src = results[suite]
        base = src.get("kvgraph", {}).get("rows", {}).get(row, {})
        lines: List[Tuple[str, str, Dict[str, Any]]] = [("kvgraph", "", base)]
        # Pipelined Redis is compared with kvgraph's batches (one call per
        # batch), round trips with one kvgraph call per operation.
        batch_t = None
        if suite == "kv" and row != "kv_scan":
            batch = src.get("kvgraph", {}).get("rows", {}).get(row + "_batch", {"status": "missing"})
            batch_t = per_op(batch)
            lines.append(("kvgraph", "batch", batch))
        if suite == "kv":
            if "error" not in rust:
                key = {"kv_set": "set_s", "kv_get": "get_s", "kv_scan": "scan_s"}[row]
                times = rust[key]
                rr: Dict[str, Any] = {"status": "ok", "time": statistics.median(times), "times": times,
                                      "note": "one thread, `Engine::kv()` directly"}
                if row != "kv_scan":
                    rr["ops"] = rust["keys"]
                else:
                    ours = base.get("check") or {}
                    if ours and ours.get("entries") != rust["scanned"]:
                        rr = {"status": "differs", "why": f"{rust['scanned']} entries vs {ours.get('entries')}"}
                lines.append(("kvgraph-rust", "", rr))
            else:
                lines.append(("kvgraph-rust", "", {"status": "error", "why": rust["error"]}))
            for system in ("redis", "falkordb-redis"):
                rows = src.get(system, {}).get("rows", {})
                unavailable = src.get(system, {}).get("unavailable")
                if row == "kv_scan":
                    variants = [("", row)]
                else:
                    variants = [("rt", row + "_rt"), ("pipe", row + "_pipe")]
                for variant, rid in variants:
                    rec = {"status": "unavailable", "why": unavailable} if unavailable else rows.get(rid, {"status": "missing"})
                    lines.append((system, variant, rec))
        else:
            if suite == "percall":
                pr = results.get("percall_rust", {})
                if "error" in pr:
                    lines.append(("kvgraph-rust", "", {"status": "error", "why": pr["error"]}))
                else:
                    ours = (base.get("check") or {}).get("found")
                    rr = {"status": "ok", "time": statistics.median(pr["neighbors_s"]), "times": pr["neighbors_s"],
                          "ops": pr["calls"], "note": "one thread, `Snapshot::neighbors` directly (a `Vec` back)"}
                    if ours is not None and ours != pr["found"]:
                        rr = {"status": "differs", "why": f"{pr['found']} neighbours vs {ours}"}
                    lines.append(("kvgraph-rust", "", rr))
            for system in systems_with(SUITE_WORKLOAD[suite])[1:]:
                if suite == "cypher" and row.removeprefix("cypher_") not in getattr(PEERS[system].cypher, "rows", ()):
                    continue  # a question the peer cannot ask (no Cypher)
                entry = src.get(system, {})
                if entry.get("unavailable"):
                    rec = {"status": "unavailable", "why": entry["unavailable"]}
                else:
                    rec = entry.get("rows", {}).get(row, {"status": "missing", "why": entry.get("extra", {}).get("worker", "")})
                lines.append((system, "", rec))
        for system, variant, rec in lines:
            t = per_op(rec)
            base_t = per_op(base) if variant != "pipe" or batch_t is None else batch_t
            line: Dict[str, Any] = {"row": row, "title": title, "kind": kind, "system": system, "variant": variant,
                                    "status": rec.get("status", "missing"), "time": rec.get("time"), "ops": rec.get("ops"),
                                    "n": len(rec.get("times", [])), "note": rec.get("note", ""), "why": rec.get("why", "")}
            if system not in ("kvgraph", "kvgraph-rust") and t is not None and base_t is not None:
                line["speedup"] = t / base_t
                target = target_for(kind, system, variant)
                if target is not None:
                    line["target"] = target
                    line["met"] = line["speedup"] >= target
            elif system == "kvgraph-rust" and t is not None and base_t is not None:
                line["speedup"] = t / base_t  # Python's rate as a fraction of Rust's
                if kind == "kv" and row != "kv_scan":
                    line["target"] = RUST_RATE_TARGET
                    line["met"] = line["speedup"] >= RUST_RATE_TARGET
            table.append(line)

    md: List[str] = []
    w = md.append
    w(f"Generated {results['date']} by `{results['command']}` in {results['seconds']:.0f} s.")
    w("")
    w("| Workload | System | Median | n | kvgraph speed-up | Target | Met? |")
    w("|---|---|---|---|---|---|---|")
    last_row = None
    for line in table:
        title = line["title"] if line["row"] != last_row else ""
        last_row = line["row"]
        name = LABEL.get(line["system"], line["system"])
        if line["variant"] == "rt":
            name += ", round trips"
        elif line["variant"] == "pipe":
            name += f", pipelined ({args.pipeline})"
        elif line["variant"] == "batch":
            name += f", batches of {args.pipeline}"
        if line["system"] == "kvgraph":
            name = f"**{name}**"
        status = line["status"]
        if status == "ok" and line["time"] is not None:
            med = fmt_time(line["time"])
            if line["ops"]:
                if line["row"] in PER_QUERY:
                    med = fmt_time(line["time"] / line["ops"])
                else:
                    med += f" ({line['ops']:,} ops, {fmt_rate(line['ops'], line['time'])})"
        elif status == "differs":
            med = f"✗ answer differs: {line['why']}"
        elif status == "unavailable":
            med = f"unavailable: {line['why']}"
        elif status == "n/a":
            med = f"n/a: {line['why'] or line['note']}"
        else:
            med = f"{status}: {line['why']}" if line["why"] else status
        sp = fmt_ratio(line.get("speedup")) if line.get("speedup") is not None else ("—" if line["system"] != "kvgraph" else "1×")
        if line["system"] == "kvgraph" and line["variant"] == "batch":
            sp = "1× (for the pipelined rows)"
        if line["system"] == "kvgraph-rust" and line.get("speedup") is not None:
            sp = f"Python at {fmt_ratio(line['speedup'])} of Rust's rate"
        tgt = f"≥{line['target']:g}×" if "target" in line else ""
        if line["system"] == "kvgraph-rust" and "target" in line:
            tgt = f"≥{line['target']:g}× of Rust"
        met = ("✅ met" if line["met"] else "❌ missed") if "met" in line else ""
        w(f"| {title} | {name} | {med} | {line['n'] or ''} | {sp} | {tgt} | {met} |")
    w("")
    missed = [x for x in table if x.get("met") is False]
    hit = [x for x in table if x.get("met") is True]
    w(f"Targets: {len(hit)} met, {len(missed)} missed"
      + (": " + "; ".join(f"{x['title']} vs {LABEL.get(x['system'], x['system'])}"
                          + (" (round trips)" if x["variant"] == "rt" else " (pipelined)" if x["variant"] == "pipe" else "")
                          + f" {fmt_ratio(x['speedup'])} < {x['target']:g}×" for x in missed) if missed else "")
      + ".")
    w("")
    w("Notes per row (what each system ran; checks):")
    w("")
    notes: Dict[Tuple[str, str], List[str]] = {}
    for line in table:
        if line["note"]:
            notes.setdefault((line["title"], line["note"]), []).append(LABEL.get(line["system"], line["system"]))
    for (title, note), systems in notes.items():
        w(f"- {title} — {', '.join(dict.fromkeys(systems))}: {note}")
    w("")
    w("Data and method:")
    w("")
    w(f"- KV: {args.kv_keys:,} keys of 16 bytes (`kv_key(i)`: 8 hash bytes then `i`), values of 100 bytes, the same "
      f"bytes in Python and Rust (checksum {kv.get('kvgraph', {}).get('extra', {}).get('checksum', '?')} on both sides: "
      f"Rust {rust.get('checksum', '?')}). Round trips run on the first {min(args.rt_keys, args.kv_keys):,} keys "
      "(rates compare per operation). Prefix scans: "
      f"{args.scans} one-byte prefixes (≈{args.kv_keys * args.scans // 256:,} entries, keys and values read).")
    w(f"- Graph: R-MAT scale {args.scale}, edge factor {args.edge_factor} (a, b, c = 0.57, 0.19, 0.19, numpy seed "
      f"{args.seed}): {meta['nodes']:,} nodes, {meta['generated_edges']:,} generated edges, {meta['edges']:,} after "
      f"dropping self loops and duplicates (directed). BFS from node {meta['bfs_source']} (largest out-degree, "
      f"{meta['bfs_source_outdeg']:,}); 2-hop sizes of {meta['hop_nodes']:,} random nodes with at least one out-edge "
      "(nodes reachable in 1 or 2 hops over out-edges, the node itself excluded).")
    if results.get("loads"):
        w("- Loads (first, lists, numpy): the graph family's R-MAT graph; each system in a fresh worker process whose "
          "first load (imports done, nothing loaded before) is timed once, then loads from plain lists (each "
          "library's own list form, made before timing) and from the numpy arrays, warm-up first.")
    if results.get("percall"):
        pr = results.get("percall_rust", {})
        w(f"- Per call: a graph of {args.percall_nodes:,} nodes, {args.percall_degree} out-edges each (node u -> "
          f"(31u + 7919j + 1) mod nodes), {args.percall_calls:,} neighbour lookups of nodes 48271i mod nodes, one "
          "call each, the same in Python and Rust (`bindings/python/benchmarks/rust`"
          + (f", {pr['found']:,} neighbours returned on both sides" if "found" in pr else "") + ").")
    w(f"- Friends of friends: {meta['friendships']:,} FRIEND edges among {meta['persons']:,} persons "
      f"(`--pairs {args.pairs}` drawn uniformly, {args.fof_degree} per person on average), names `person-NNNNNNN`; "
      f"query: the persons exactly two FRIEND hops from {meta['fof_name']} ({meta['fof_person_friends']} friends), "
      "i.e. friends of friends who are not already friends, names returned. kvgraph keeps the name → id index in "
      "its KV map (part of its load).")
    if results.get("cypher"):
        w(f"- Cypher: the same texts in kvgraph (`db.query`, in-process through the Python package), FalkorDB "
          "(GRAPH.QUERY through the `falkordb` client) and Kùzu (`conn.execute`, after its DDL "
          f"`{Q.KUZU_SCHEMA[0]}`, `{Q.KUZU_SCHEMA[1]}`; the seed query, which gives no id, gets `id SERIAL`); igraph "
          "and networkx answer the lookup, 2-hop, aggregation and FoF questions through their own API. "
          f"Seed: `{Q.SEED}`, {args.cypher_queries:,} times into one graph. Load: {sizes['persons']:,} persons "
          f"(id, name `person-NNNNNNN`, age) and {sizes['friendships']:,} uniform friendships (`--cypher-rels "
          f"{args.cypher_rels}` drawn, duplicates dropped) by `{Q.CREATE_PERSONS}` then `{Q.CREATE_FRIENDS}` in "
          f"batches of {args.cypher_batch:,}, from an empty graph each run. Then `{Q.create_index('name')}` "
          f"(untimed) and `{Q.LOOKUP}` for {args.cypher_queries:,} random names, and `{Q.TWO_HOP}` for the same "
          f"persons' ids, one query each. Aggregation: `{Q.AGG}` over {args.agg_nodes:,} persons loaded before "
          f"timing. FoF: `{Q.FOF}` on the social graph above ({args.fof_queries} queries). Checks: the seed's "
          "returned labels, names and type, person and friendship counts after the load, every age, every 2-hop "
          "count, the group counts, the FoF name set.")
    w(f"- Timing: warm-up run first (its answer is the check), then up to {args.runs} timed runs, median reported; "
      f"a row stops repeating once its runs took {args.row_budget:g} s (n = runs timed). Loads warm up on a 2% sample "
      "and start from an empty system each run. Each system runs in a subprocess of its own. Times are wall-clock "
      "seconds measured in the Python client (servers: including the round trips).")
    w("- Checks: BFS depth histogram (FalkorDB's `algo.BFS` reports no depths: reached-node count), PageRank top-10 "
      "ids and scores (normalised; 1% tolerance for igraph's converged PRPACK, 5% for scores scaled from a top-10 "
      "alone), component count and largest component, every 2-hop size, the friends-of-friends name set, node and "
      "edge counts after loads, KV entries found and scanned. A system that disagrees is shown as ✗, not timed.")
    w(f"- networkx and rustworkx PageRank stop by tolerance, not iteration count: they get tol = "
      f"{graph.get('kvgraph', {}).get('extra', {}).get('pagerank_tol', float('nan')):.3g}, computed from kvgraph's "
      "iterations 18–20 so that they stop after exactly 20 iterations.")
    thr = {LABEL[s]: graph.get(s, {}).get("extra", {}).get("threads") for s in GRAPH_SYSTEMS if graph.get(s, {}).get("extra")}
    w("- Threads: " + ", ".join(f"{k} {v}" for k, v in thr.items() if v) + " (the machine's cores; the other "
      "libraries' kernels are single-threaded). Redis and the client share the same cores.")
    w("")
    w("Machine: " + "; ".join(f"{k}: {v}" for k, v in results["machine"].items()))
    w("")
    w("Versions: " + "; ".join(f"{k} {v}" for k, v in results["versions"].items())
      + f"; Redis server {results['servers'].get('redis', '?')}; FalkorDB redis-server "
      f"{results['servers'].get('falkordb-redis', '?')}, module {results['servers'].get('falkordb-module', '?')}.")
    return "\n".join(md) + "\n", table


def write_chart(table: List[Dict[str, Any]], path: Path, title: str) -> Optional[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:  # noqa: BLE001
        return f"no chart: {exc}"
    items = [x for x in table if x.get("speedup") is not None and "target" in x and x["system"] != "kvgraph-rust"]
    if not items:
        return "no chart: nothing to plot"
    labels = []
    for x in items:
        name = LABEL.get(x["system"], x["system"]).replace(" (redis-py)", "")
        if x["variant"] == "rt":
            name += " RT"
        elif x["variant"] == "pipe":
            name += " pipe"
        labels.append(f"{x['title']} — {name}")
    values = [x["speedup"] for x in items]
    colors = ["#2e7d32" if x["met"] else "#c62828" for x in items]
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(items) + 1.6))
    ys = list(range(len(items)))[::-1]
    ax.barh(ys, values, color=colors)
    for y, x in zip(ys, items):
        ax.plot([x["target"], x["target"]], [y - 0.4, y + 0.4], color="black", linewidth=1)
        ax.text(x["speedup"] * 1.05, y, fmt_ratio(x["speedup"]), va="center", fontsize=7)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="grey", linewidth=0.8, linestyle="--")
    ax.set_xlabel("kvgraph speed-up (peer time / kvgraph time, log scale); black tick = target; green met, red missed")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def replace_between(text: str, begin: str, end: str, body: str) -> str:
    block = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text and text.index(begin) < text.index(end):
        a = text.index(begin)
        b = text.index(end) + len(end)
        return text[:a] + block + text[b:]
    sep = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + sep + block + "\n"


DOC_INTRO = """# kvgraph side by side with its peers

What users would pick instead of kvgraph, on the same data, in the same run:
Redis for the key-value map; igraph, rustworkx and networkx (in-process
libraries) and Kùzu and FalkorDB (graph databases) for the graph. Reproduce with

```sh
bash bindings/python/benchmarks/compare.sh            # installs the peers, builds, runs
```

The section between the markers below is generated by
`bindings/python/benchmarks/compare.py`; the rest of this page is written by
hand and kept across runs.
"""


def write_outputs(args: argparse.Namespace, results: Dict[str, Any]) -> None:
    md, table = build_report(args, results)
    results["table"] = table
    docs = Path(args.docs)
    docs.mkdir(parents=True, exist_ok=True)
    raw = Path(args.raw_json)
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, indent=1, default=str))
    meta = results["meta"]
    why = write_chart(table, docs / "comparison.png",
                      f"kvgraph vs peers — KV {args.kv_keys:,} keys; R-MAT scale {args.scale} "
                      f"({meta['nodes']:,} nodes, {meta['edges']:,} edges); {results['machine'].get('Model name', '')}, "
                      f"{os.cpu_count()} cores")
    if why:
        log(why)
    doc = docs / "comparison.md"
    text = doc.read_text() if doc.exists() else DOC_INTRO
    body = md + "\n![kvgraph speed-up over each peer](comparison.png)\n"
    doc.write_text(replace_between(text, "<!-- compare:generated:begin -->", "<!-- compare:generated:end -->", body))
    bench = Path(args.benchmarks_md)
    btext = bench.read_text() if bench.exists() else ""
    section = ("## Side by side with the peers\n\n"
               "Generated by `bash bindings/python/benchmarks/compare.sh` (details, method and the analysis of missed "
               "targets: [docs/comparison.md](docs/comparison.md)).\n\n" + md
               + "\n![kvgraph speed-up over each peer](docs/comparison.png)\n")
    bench.write_text(replace_between(btext, "<!-- compare:begin -->", "<!-- compare:end -->", section))
    print()
    print(md)
    log(f"wrote {doc}, {docs / 'comparison.png'}, the section of {bench}, and the raw numbers to {raw}")
