#!/usr/bin/env bash
# Runs each fuzz target (fuzz/fuzz_targets/: `ops`, `ffi`, `value`, `loaders`, `cypher`, and the server's
# request parser `resp` and glob matcher `glob`) for N seconds
# (default 600) with cargo-fuzz (libFuzzer + AddressSanitizer, debug
# assertions on), keeping the corpus in fuzz/corpus/<target>.
#
# Usage: fuzz/run.sh [seconds] [target...]
#   FUZZ_TOOLCHAIN=nightly  use `cargo +nightly fuzz` (default: the stable
#                           toolchain with RUSTC_BOOTSTRAP=1)
#   FUZZ_JOBS=N             libFuzzer workers per target (default 1)
# A crash stops the script with a non-zero status; libFuzzer writes the input
# to fuzz/artifacts/<target>/ and prints how to reproduce it
# (`cargo fuzz run --fuzz-dir fuzz <target> <file>`). Turn it into a test in
# tests/regressions.rs before fixing it.
set -euo pipefail
secs="${1:-600}"
shift || true
targets=("$@")
all=0
[ ${#targets[@]} -eq 0 ] && targets=(ops ffi value loaders cypher resp glob) && all=1
cd "$(dirname "$0")/.."
export CARGO_CACHE_RUSTC_INFO=0 CARGO_TERM_COLOR=never

if ! command -v cargo-fuzz >/dev/null; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
toolchain=()
if [ "${FUZZ_TOOLCHAIN:-stable}" = nightly ]; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

start=$SECONDS
if [ "$all" -eq 1 ]; then
    cargo "${toolchain[@]}" fuzz build --fuzz-dir fuzz
else
    for t in "${targets[@]}"; do cargo "${toolchain[@]}" fuzz build --fuzz-dir fuzz "$t"; done
fi
echo "fuzz/run.sh: built in $((SECONDS - start)) s"
parallel=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
    parallel=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
fi
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "== fuzz $t for $secs s"
    set +e
    # grep hides libFuzzer's progress lines and its dictionary.
    cargo "${toolchain[@]}" fuzz run --fuzz-dir fuzz "$t" -- \
        -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 "${parallel[@]}" 2>&1 |
        grep -v -E '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|NEW_FUNC|^"|# Uses: |recommended dictionary'
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -ne 0 ]; then
        echo "fuzz/run.sh: $t failed (input in fuzz/artifacts/$t)"
        exit 1
    fi
done
echo "fuzz/run.sh: done in $((SECONDS - start)) s"
