#!/usr/bin/env bash
# Loom models of the lock-free protocols (see README, "Correctness"), with
# bounded preemptions so that they finish in minutes.
# Graph models: src/loom_tests.rs (stamp publication, bulk-load horizon) and
# src/graph/loom_tests.rs (block append and growth, two-direction stamps, trim,
# batch commit, relabel mark); the KV map's: src/map/loom_tests.rs (splits, freezing,
# reclamation). A filter argument narrows the run (default: every `loom_` model).
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
  LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}" \
  cargo test --lib --release "${1:-loom_}"
