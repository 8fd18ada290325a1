#!/usr/bin/env bash
# Runs the Redis test suite as Valkey ships it (tests/valkey/, BSD-3-Clause,
# see tests/valkey/COPYING) against kvgraph-server: builds the server, starts
# it on a free port, runs the units below with the options of issue #13 and
# our skip list (tests/valkey-skip.txt: one test a line, each with why),
# prints the pass count and fails under the gate.
#
# Usage: tests/valkey.sh        KVG_VALKEY_GATE=N (default 340), KVG_VALKEY_PORT=P
set -euo pipefail
cd "$(dirname "$0")/.."
gate="${KVG_VALKEY_GATE:-340}"
port="${KVG_VALKEY_PORT:-21111}"
units=(unit/type/string unit/type/incr unit/type/hash unit/keyspace unit/expire unit/scan unit/protocol
    unit/multi unit/info-command unit/quit)
if ! command -v tclsh >/dev/null; then
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tcl
fi
cargo build --release -q -p kvgraph-server
work="$(mktemp -d)"
: >"$work/server.log"
./target/release/kvgraph-server --port "$port" --save "" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    grep -q "ready to accept" "$work/server.log" && break
    sleep 0.1
done
# Skip-list lines are `name<TAB># why`; comments and blank lines are dropped.
sed -e '/^#/d' -e '/^[[:space:]]*$/d' -e 's/\t.*$//' tests/valkey-skip.txt >"$work/skip"
single=()
for u in "${units[@]}"; do single+=(--single "$u"); done
set +e
(cd tests/valkey && ./runtest --host 127.0.0.1 --port "$port" --singledb --ignore-encoding --ignore-digest \
    --tags "-slow -needs:repl -needs:debug -needs:save -needs:config-maxmemory -needs:reset -needs:pfdebug" \
    --skipfile "$work/skip" --clients 1 --timeout 120 "${single[@]}") 2>&1 | sed 's/\x1b\[[0-9;]*m//g' | tee "$work/run.log" |
    grep -E '^\[(err|exception)\]|^\*\*\*|^Expected|^\[[0-9]+/[0-9]+ done\]' 
set -e
passed=$(grep -c '^\[ok\]' "$work/run.log" || true)
failed=$(grep -c -E '^\[(err|exception)\]' "$work/run.log" || true)
skipped=$(grep -c '^\[skip\]' "$work/run.log" || true)
echo "valkey suite: $passed passed, $failed failed, $skipped skipped (gate: $gate passed)"
kill -0 "$server" 2>/dev/null || { echo "tests/valkey.sh: the server died"; tail -20 "$work/server.log"; exit 1; }
[ "$passed" -ge "$gate" ] || { echo "tests/valkey.sh: under the gate"; exit 1; }
