#!/usr/bin/env bash
# The full test suite: Rust unit, integration, property, stress and doc tests
# (including the header check), then the C and C++ tests under valgrind and
# sanitizers, then the Python binding's tests against the installed package.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust tests"
cargo test --release

echo "== C and C++ tests"
bash tests/c/run.sh

echo "== Python tests"
KVGRAPH_SKIP_CARGO=1 bash bindings/python/run_tests.sh
