"""Turns the raw results of benches/scaling.sh (OUT/kv.md, OUT/graph-T.md,
OUT/server.txt) into tables per thread count: usage `scaling_table.py OUT`."""

import collections
import pathlib
import re
import sys

ROW = re.compile(r"^\| (\S+) \| (.+?) \| .*? \| (—|[\d.]+ (?:M/s|ms)) \| .*\|$")


def summary_rows(path):
    """(group, structure, value, unit) of each row of a bench summary."""
    for line in path.read_text().splitlines():
        m = ROW.match(line)
        if m and m.group(3) != "—":
            value, unit = m.group(3).split()
            yield m.group(1), m.group(2), float(value), unit


def table(title, unit, cells, threads, higher_is_better=True):
    """cells: {(row label, structure): {threads: value}} as a markdown table
    with each value's speed-up over the row's 1-thread value."""
    out = [f"### {title} ({unit}; in brackets: speed-up over 1 thread)", ""]
    out.append("| benchmark | structure | " + " | ".join(f"T={t}" for t in threads) + " |")
    out.append("|---|---|" + "---:|" * len(threads))
    for (label, structure), by in cells.items():
        base = by.get(threads[0])
        row = []
        for t in threads:
            v = by.get(t)
            if v is None:
                row.append("—")
                continue
            speed = (v / base if higher_is_better else base / v) if base else float("nan")
            row.append(f"{v:,.3f} ({speed:.1f}×)" if unit == "M ops/s" else f"{v:,.1f} ({speed:.1f}×)")
        out.append(f"| {label} | {structure} | " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"


def main(out):
    out = pathlib.Path(out)
    print((out / "machine.txt").read_text().strip() + "\n")
    kv = collections.defaultdict(dict)
    if (out / "kv.md").exists():
        for group, structure, value, _ in summary_rows(out / "kv.md"):
            _, workload, t = group.split("/")
            kv[(workload, structure)][int(t.rstrip("t"))] = value
    threads = sorted({t for by in kv.values() for t in by})
    if kv:
        print(table("KV map, 1M keys, interleaved medians", "M ops/s", kv, threads))

    inserts, kernels = collections.defaultdict(dict), collections.defaultdict(dict)
    for path in sorted(out.glob("graph-*.md")):
        t = int(path.stem.split("-")[1])
        for group, structure, value, unit in summary_rows(path):
            if group.startswith("graph/add_edge/"):
                inserts[("add_edge", structure)][t] = value
            elif unit == "ms":
                kernels[(group.removeprefix("graph/"), structure)][t] = value
    gthreads = sorted({t for by in kernels.values() for t in by} | {t for by in inserts.values() for t in by})
    if inserts:
        print(table("graph: add_edge from T threads", "M ops/s", inserts, gthreads))
    if kernels:
        print(table("graph: analytics with rayon on T threads", "ms per run", kernels, gthreads, False))

    server = collections.defaultdict(dict)
    if (out / "server.txt").exists():
        for line in (out / "server.txt").read_text().splitlines():
            kind, t, p, test, rps = line.split()
            server[(f"{test} -P {p}", f"{kind}-server")][int(t)] = float(rps) / 1e6
    if server:
        sthreads = sorted({t for by in server.values() for t in by})
        print(table("server: redis-benchmark, server on T threads", "M ops/s", dict(sorted(server.items())), sthreads))
        print("| benchmark | " + " | ".join(f"kvgraph / redis, T={t}" for t in sthreads) + " |")
        print("|---|" + "---:|" * len(sthreads))
        for label in sorted({label for label, _ in server}):
            k, r = server.get((label, "kvgraph-server"), {}), server.get((label, "redis-server"), {})
            cells = [f"{k[t] / r[t]:.2f}×" if t in k and r.get(t) else "—" for t in sthreads]
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
