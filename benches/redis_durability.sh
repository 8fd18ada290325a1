#!/usr/bin/env bash
# Redis peers for benches/durability.rs, on the same disk (a directory under
# target/ unless KVG_BENCH_DIR says otherwise):
#  1. SET throughput with `appendonly yes`, `appendfsync always`, 1 and 4
#     clients (redis-benchmark, 100-byte values, 2^17 random keys);
#  2. the time Redis takes to load an RDB of KVG_BENCH_KEYS (default 1M)
#     keys with 100-byte values (from its log: "DB loaded from disk").
# Usage: benches/redis_durability.sh   (needs redis-server, redis-benchmark)
set -euo pipefail
keys="${KVG_BENCH_KEYS:-1000000}"
base="${KVG_BENCH_DIR:-$(cd "$(dirname "$0")/.." && pwd)/target}"
dir="$(mktemp -d "$base/redis-bench.XXXXXX")"
port=$((20000 + RANDOM % 20000))
trap 'redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
start() {
    redis-server --port "$port" --dir "$dir" --save '' --daemonize yes --logfile "$dir/redis.log" "$@"
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
}
start --appendonly yes --appendfsync always
for c in 1 4; do
    printf 'redis appendfsync always, %d client(s): ' "$c"
    redis-benchmark -p "$port" -t set -n 4000 -c "$c" -d 100 -r 131072 -q | tr -d '\r' | grep -o '[0-9.]* requests per second'
done
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
sleep 0.5
rm -rf "${dir:?}"/*
start --appendonly no --enable-debug-command yes
# Exactly `keys` distinct keys of 100-byte values.
redis-cli -p "$port" debug populate "$keys" key 100 >/dev/null
redis-cli -p "$port" save >/dev/null
ls -l "$dir/dump.rdb" | awk '{print "rdb bytes: " $5}'
redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
sleep 0.5
start --appendonly no --dbfilename dump.rdb
until grep -q "DB loaded from disk" "$dir/redis.log"; do sleep 0.1; done
grep -h "DB loaded from disk" "$dir/redis.log" | tail -1
