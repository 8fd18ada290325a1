#!/usr/bin/env bash
# kvgraph-server's Rust unit tests, then pytest with redis-py against the
# server (tests/server/): builds it, makes a virtual environment with redis,
# falkordb and pytest (once, in target/server-venv) and runs the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release -q -p kvgraph-server
cargo build --release -q -p kvgraph-server
venv=target/server-venv
# Checked and run through the venv's python, not its scripts: their
# shebangs name the path the venv was made at (target/ may have moved).
if ! "$venv/bin/python" -c 'import falkordb, pytest, redis' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q redis pytest falkordb
fi
"$venv/bin/python" -m pytest -q tests/server "$@"
