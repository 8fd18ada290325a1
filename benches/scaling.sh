#!/usr/bin/env bash
# Thread scaling, 1 to N threads, of the KV map, the graph and the server,
# with the peers in the same run (meant for a many-core machine; on 2 cores
# it runs, but says little).
#
#   benches/scaling.sh run [OUT]        build here, run, write OUT/scaling.md
#   benches/scaling.sh pack DIR         build, then copy the binaries (bench
#                                       executables stripped, kvgraph-server,
#                                       redis-server, redis-benchmark and the
#                                       libraries they need) into DIR
#   benches/scaling.sh run-packed DIR [OUT]   run from such a DIR on a machine
#                                       without cargo (same x86-64 Linux)
#
# What runs (env: SCALING_THREADS, default 1,2,4,8,16 capped at the cores):
# - KV map (benches/kv.rs, interleaved rounds only, 1M keys): uniform get
#   and set, YCSB-A/B/E, 100-key scans, for kvgraph, crossbeam SkipMap,
#   scc TreeIndex and RwLock<BTreeMap>, on each thread count;
# - graph (benches/graph.rs, interleaved rounds only, R-MAT scale
#   SCALING_GRAPH_SCALE, default 18): add_edge from T threads, and BFS,
#   PageRank, WCC with rayon on T threads (one process per T; petgraph is
#   sequential, the same every time);
# - server: redis-benchmark (8 client threads, 256 connections, 1M-key
#   space, 100-byte values, SET and GET, without and with -P 16) against
#   kvgraph-server --threads T and redis-server --io-threads T, server and
#   client pinned to disjoint halves of the cores, T up to half the cores.
# Tables of M ops/s (ms per run for the analytics) per thread count and the
# speed-up over 1 thread are written to OUT/scaling.md (default
# target/scaling), the raw summaries beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

build() {
    command -v redis-benchmark >/dev/null || {
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server redis-tools
    }
    cargo build --release -q -p kvgraph-server
    cargo bench --no-run --bench kv --bench graph --message-format=json 2>/dev/null |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] in ("kv", "graph"):
        print(m["target"]["name"], m["executable"])' >target/scaling-binaries
}

pack() {
    local dir="$1"
    build
    mkdir -p "$dir/lib"
    while read -r name exe; do strip -o "$dir/$name" "$exe"; done <target/scaling-binaries
    strip -o "$dir/kvgraph-server" target/release/kvgraph-server
    cp "$(command -v redis-server)" "$(command -v redis-benchmark)" "$dir/"
    # Every shared library but the C library's own, for a machine whose
    # distribution differs.
    ldd "$dir/redis-server" "$dir/redis-benchmark" | awk '/=> \// {print $3}' | sort -u |
        grep -vE '/(libc|libm|libpthread|libdl|librt)\.so' | xargs -r cp -L -t "$dir/lib/"
}

# run KV GRAPH SERVER REDIS_SERVER REDIS_BENCHMARK OUT
run() {
    local kv="$1" graph="$2" server="$3" redis="$4" bench="$5" out="$6"
    mkdir -p "$out"
    local cores threads half
    cores="$(nproc)"
    threads="$(python3 -c 'import sys; print(",".join(t for t in sys.argv[1].split(",") if int(t) <= int(sys.argv[2])))' \
        "${SCALING_THREADS:-1,2,4,8,16}" "$cores")"
    half=$((cores / 2 > 0 ? cores / 2 : 1))
    echo "scaling on $cores cores, threads $threads; $(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" | tee "$out/machine.txt"

    echo "== KV map"
    (cd "$out" && KVG_BENCH_CRITERION=0 KVG_BENCH_THREADS="$threads" KVG_BENCH_ROUNDS="${SCALING_ROUNDS:-5}" \
        KVG_BENCH_BURST=5 KVG_BENCH_WORKLOADS=get_uniform,set_uniform,ycsb_a,ycsb_b,ycsb_e,scan_100 \
        "$kv" --bench >/dev/null && cp target/bench-summary/kv.md kv.md)

    echo "== graph"
    for t in ${threads//,/ }; do
        (cd "$out" && RAYON_NUM_THREADS="$t" KVG_BENCH_CRITERION=0 KVG_BENCH_THREADS="$t" \
            KVG_BENCH_ROUNDS="${SCALING_ROUNDS:-5}" KVG_BENCH_SCALE="${SCALING_GRAPH_SCALE:-18}" \
            "$graph" --bench >/dev/null && cp target/bench-summary/graph.md "graph-$t.md")
    done

    echo "== server"
    local pin_server="" pin_client=""
    if command -v taskset >/dev/null && [ "$cores" -ge 4 ]; then
        pin_server="taskset -c 0-$((half - 1))"
        pin_client="taskset -c $half-$((cores - 1))"
    fi
    : >"$out/server.txt"
    local port=21400
    for t in ${threads//,/ }; do
        [ "$t" -le "$half" ] || continue
        for kind in kvgraph redis; do
            port=$((port + 1))
            if [ "$kind" = kvgraph ]; then
                $pin_server "$server" --port "$port" --threads "$t" >"$out/$kind-$t.log" 2>&1 &
            else
                $pin_server "$redis" --port "$port" --save "" --appendonly no --io-threads "$t" \
                    --io-threads-do-reads yes >"$out/$kind-$t.log" 2>&1 &
            fi
            local pid=$!
            for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
            for p in 1 16; do
                local n=$((p > 1 ? 4000000 : 1000000))
                $pin_client "$bench" -p "$port" -t set,get -n "$n" -c 256 -P "$p" -r 1000000 -d 100 \
                    --threads "$half" --csv | tail -n +2 | tr -d '"' |
                    awk -F, -v k="$kind" -v t="$t" -v p="$p" '{print k, t, p, $1, $2}' >>"$out/server.txt"
            done
            kill "$pid"
            wait "$pid" 2>/dev/null || true
        done
    done
    python3 "$(dirname "$0")/scaling_table.py" "$out" | tee "$out/scaling.md"
}

case "$mode" in
    pack) pack "${2:?pack DIR}" ;;
    run)
        build
        kv="$(awk '$1 == "kv" {print $2}' target/scaling-binaries)"
        graph="$(awk '$1 == "graph" {print $2}' target/scaling-binaries)"
        run "$kv" "$graph" "$PWD/target/release/kvgraph-server" "$(command -v redis-server)" \
            "$(command -v redis-benchmark)" "$(realpath -m "${2:-target/scaling}")"
        ;;
    run-packed)
        dir="$(realpath "${2:?run-packed DIR}")"
        export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        run "$dir/kv" "$dir/graph" "$dir/kvgraph-server" "$dir/redis-server" "$dir/redis-benchmark" \
            "$(realpath -m "${3:-target/scaling}")"
        ;;
    *) echo "usage: benches/scaling.sh run [OUT] | pack DIR | run-packed DIR [OUT]" >&2; exit 2 ;;
esac
