#!/usr/bin/env bash
# Loom models of the lock-free protocols (see README, "Correctness"), with
# bounded preemptions so that they finish in minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="--cfg loom --cfg crossbeam_loom" CARGO_TARGET_DIR=target/loom \
  LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}" \
  cargo test --lib --release loom_
