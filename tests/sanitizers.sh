#!/usr/bin/env bash
# The Rust tests under a sanitizer or Miri, with reclamation shrunk so that
# use-after-free races show up in small runs (crossbeam-epoch's bags under
# `--cfg crossbeam_sanitize`, ours under `--cfg kvgraph_sanitize`: see
# src/sync.rs, `tuning`). See docs/safety.md.
#
# Usage: tests/sanitizers.sh [asan|tsan|miri]...     (default: asan)
#   asan  AddressSanitizer (+ LeakSanitizer) on the whole Rust suite (lib,
#         integration and stress tests), stable toolchain via RUSTC_BOOTSTRAP,
#         release mode, target dir target/asan.
#   tsan  ThreadSanitizer, nightly with -Zbuild-std (needs rust-src; installed
#         if missing): the lib tests, the thread stress tests and the
#         regression tests (bulk loads racing writers), target/tsan.
#   miri  Miri with tree borrows, nightly (needs miri + rust-src; installed if
#         missing): the lib unit tests (every map and KV test among them),
#         tests/regressions.rs and tests/linearizability.rs, minus what is too
#         slow (see below), target/miri.
# The C and C++ tests run under gcc -fsanitize=address,undefined in tests/c/run.sh.
# PROPTEST_CASES scales the property tests down (default here: 64).
# Exits non-zero on any report; prints the time each mode took.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never CARGO_CACHE_RUSTC_INFO=0
export PROPTEST_CASES="${PROPTEST_CASES:-64}"
host=x86_64-unknown-linux-gnu
shrink="--cfg crossbeam_sanitize --cfg kvgraph_sanitize"

# Installs rustup components for the nightly toolchain if they are missing.
nightly_components() {
    local missing=()
    for c in "$@"; do
        rustup component list --toolchain nightly --installed 2>/dev/null | grep -q "^$c" || missing+=("$c")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing nightly components: ${missing[*]}"
        rustup toolchain install nightly --profile minimal --no-self-update >/dev/null 2>&1 || true
        if ! rustup component add --toolchain nightly "${missing[@]}"; then
            echo "sanitizers.sh: cannot install ${missing[*]} for nightly (offline?)" >&2
            return 1
        fi
    fi
}

asan() {
    echo "== AddressSanitizer: cargo test --lib --tests (release, target/asan)"
    RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes $shrink" \
        ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:abort_on_error=0:${ASAN_OPTIONS:-}" \
        CARGO_TARGET_DIR=target/asan \
        cargo test --target "$host" --release --lib --tests
}

tsan() {
    nightly_components rust-src
    echo "== ThreadSanitizer: cargo +nightly test -Zbuild-std --lib --test stress --test regressions --test graph_data_model (release, target/tsan)"
    # The std of the build is instrumented too (-Zbuild-std); crossbeam turns
    # its fences into acquire loads TSAN understands (cfg crossbeam_sanitize_thread).
    RUSTFLAGS="-Zsanitizer=thread -Cforce-frame-pointers=yes $shrink" \
        TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp:${TSAN_OPTIONS:-}" \
        CARGO_TARGET_DIR=target/tsan \
        cargo +nightly test -Zbuild-std --target "$host" --release --lib --test stress --test regressions \
        --test graph_data_model
}

miri() {
    nightly_components miri rust-src
    echo "== Miri (tree borrows): lib unit tests and small integration tests (target/miri)"
    cargo +nightly miri setup >/dev/null
    # -Zmiri-ignore-leaks: rayon's global pool (graph materialisation) keeps
    # threads alive past main, which Miri refuses otherwise; LeakSanitizer
    # (asan mode) checks leaks instead. Strict provenance is off:
    # crossbeam-epoch 0.9 keeps pointers as integers. Isolation is off: the
    # KV map reads the system clock. Stacked Borrows is not used: it reports
    # crossbeam-epoch's own list (crossbeam issue #545).
    # Skipped: the analytics kernels and the graph's bulk-load and rayon
    # regression tests (too slow interpreted; the rayon one also trips Tree
    # Borrows in crossbeam-epoch's own list of thread handles). Every map and
    # KV test runs (the map's proptests with few cases under Miri).
    export MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-disable-isolation -Zmiri-ignore-leaks ${MIRIFLAGS:-}"
    CARGO_TARGET_DIR=target/miri cargo +nightly miri test --lib -- --skip graph::algo::tests
    CARGO_TARGET_DIR=target/miri cargo +nightly miri test --test regressions -- \
        --skip snapshots_at_one_version_agree_during_bulk_loads --skip rayon_writers_with_compactions_and_bulk_loads
    CARGO_TARGET_DIR=target/miri cargo +nightly miri test --test linearizability
}

modes=("$@")
[ ${#modes[@]} -eq 0 ] && modes=(asan)
for mode in "${modes[@]}"; do
    start=$SECONDS
    case "$mode" in
        asan) asan ;;
        tsan) tsan ;;
        miri) miri ;;
        *)
            echo "usage: $0 [asan|tsan|miri]..." >&2
            exit 2
            ;;
    esac
    echo "sanitizers.sh: $mode passed in $((SECONDS - start)) s"
done
