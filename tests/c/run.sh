#!/usr/bin/env bash
# Builds the release library and runs the C API tests against it:
#   tests/c/test_kvgraph.c, tests/c/test_data_model.c, tests/c/test_rels_batch.c, tests/c/test_durability.c,
#   tests/c/test_query.c,
#   tests/cpp/test_kvgraph.cpp and examples/c/quickstart.c,
#   each plain, under valgrind (zero errors, nothing definitely/indirectly
#   lost), and built with gcc -fsanitize=address,undefined; then installs the
#   library to a temporary PREFIX with bindings/c/install.sh and builds the
#   quickstart through pkg-config (shared and static).
#
# Linking: the programs link the cdylib (target/release/libkvgraph.so) with
# an rpath to target/release, so they run in place without LD_LIBRARY_PATH.
#
# Usage: tests/c/run.sh            (from anywhere; CC/CXX override gcc/g++)
# Exits non-zero on any failure; the last line reads "c-tests: N passed, M failed".
set -uo pipefail
exec 2>&1

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
CC="${CC:-gcc}"
CXX="${CXX:-g++}"
target="${CARGO_TARGET_DIR:-$root/target}"
lib="$target/release"
work="$(mktemp -d "${TMPDIR:-/tmp}/kvgraph-c-tests.XXXXXX")"
trap 'rm -rf "$work"' EXIT

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
skip() { skipped=$((skipped + 1)); echo "skip - $1"; }
# step NAME CMD...: runs CMD, logs its output, counts the outcome.
step() {
    local name="$1"
    shift
    local log="$work/log.$((passed + failed + skipped))"
    if "$@" >"$log" 2>&1; then
        pass "$name"
        grep -h "checks passed" "$log" | sed 's/^/       /'
    else
        fail "$name"
        tail -n 60 "$log" | sed 's/^/     | /'
    fi
}
finish() {
    local summary="c-tests: $passed passed, $failed failed"
    [[ $skipped -gt 0 ]] && summary="$summary, $skipped skipped"
    echo "$summary"
    [[ $failed -eq 0 ]]
    exit
}

echo "# building the release library"
if ! cargo build --release; then
    fail "cargo build --release"
    finish
fi
pass "cargo build --release"

cflags=(-std=c99 -Wall -Wextra -pedantic -Werror -g -O1 -I"$root/include")
cxxflags=(-std=c++17 -Wall -Wextra -pedantic -Werror -g -O1 -I"$root/include" -I"$root/bindings/cpp")
ldflags=(-L"$lib" -lkvgraph -Wl,-rpath,"$lib" -lpthread -lm)

echo "# the header compiles as C99 and C++17"
printf '#include "kvgraph.h"\nint main(void) { return kvg_version() == 0; }\n' >"$work/h.c"
cp "$work/h.c" "$work/h.cpp"
step "kvgraph.h as C99" "$CC" "${cflags[@]}" -c "$work/h.c" -o "$work/h.o"
step "kvgraph.h as C++17" "$CXX" "${cxxflags[@]}" -c "$work/h.cpp" -o "$work/hpp.o"

# build MODE EXTRA_FLAGS...: compiles the programs into $work/MODE/.
build() {
    local mode="$1"
    shift
    mkdir -p "$work/$mode"
    step "build test_kvgraph.c ($mode)" "$CC" "${cflags[@]}" "$@" tests/c/test_kvgraph.c -o "$work/$mode/test_c" "${ldflags[@]}"
    step "build test_data_model.c ($mode)" "$CC" "${cflags[@]}" "$@" tests/c/test_data_model.c -o "$work/$mode/test_data_model" "${ldflags[@]}"
    step "build test_rels_batch.c ($mode)" "$CC" "${cflags[@]}" "$@" tests/c/test_rels_batch.c -o "$work/$mode/test_rels_batch" "${ldflags[@]}"
    step "build test_kvgraph.cpp ($mode)" "$CXX" "${cxxflags[@]}" "$@" tests/cpp/test_kvgraph.cpp -o "$work/$mode/test_cpp" "${ldflags[@]}"
    step "build test_durability.c ($mode)" "$CC" "${cflags[@]}" "$@" tests/c/test_durability.c -o "$work/$mode/test_durability" "${ldflags[@]}"
    step "build quickstart.c ($mode)" "$CC" "${cflags[@]}" "$@" examples/c/quickstart.c -o "$work/$mode/quickstart" "${ldflags[@]}"
    step "build test_query.c ($mode)" "$CC" "${cflags[@]}" "$@" tests/c/test_query.c -o "$work/$mode/test_query" "${ldflags[@]}"
}
programs=(test_c test_data_model test_rels_batch test_durability test_cpp quickstart test_query)

echo "# plain"
build plain
for p in "${programs[@]}"; do step "run $p" "$work/plain/$p"; done

echo "# valgrind"
if command -v valgrind >/dev/null; then
    for p in "${programs[@]}"; do
        step "valgrind $p" valgrind --fair-sched=yes --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --show-possibly-lost=no --error-exitcode=1 "$work/plain/$p"
        grep -h -E "ERROR SUMMARY|definitely lost|indirectly lost" "$work"/log.$((passed + failed + skipped - 1)) |
            sed 's/^==[0-9]*== /       /'
    done
else
    skip "valgrind (not installed: apt-get install -y valgrind)"
fi

echo "# sanitizers"
if echo 'int main(void){return 0;}' | "$CC" -fsanitize=address,undefined -x c - -o "$work/san-probe" 2>/dev/null &&
    "$work/san-probe"; then
    build asan -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
    for p in "${programs[@]}"; do
        step "asan+ubsan $p" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
            "$work/asan/$p"
    done
else
    skip "asan+ubsan (gcc cannot build sanitized programs here)"
fi

echo "# install + pkg-config"
prefix="$work/prefix"
step "install.sh PREFIX=<tmp>" env PREFIX="$prefix" KVGRAPH_NO_BUILD=1 CARGO_TARGET_DIR="$target" \
    bash bindings/c/install.sh
if command -v pkg-config >/dev/null; then
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
    step "pkg-config kvgraph" pkg-config --exists --print-errors kvgraph
    # shellcheck disable=SC2046 # word splitting of pkg-config output is intended
    step "quickstart via pkg-config (shared)" "$CC" -std=c99 examples/c/quickstart.c -o "$work/qs-pc" \
        $(pkg-config --cflags --libs kvgraph) -Wl,-rpath,"$prefix/lib"
    step "run quickstart (shared, installed)" "$work/qs-pc"
    # shellcheck disable=SC2046
    step "quickstart via pkg-config (static)" "$CC" -std=c99 examples/c/quickstart.c -o "$work/qs-static" \
        $(pkg-config --cflags kvgraph) "$(pkg-config --variable=libdir kvgraph)/libkvgraph.a" \
        $(pkg-config --static --libs-only-l kvgraph | sed 's/-lkvgraph//')
    step "run quickstart (static)" "$work/qs-static"
    # shellcheck disable=SC2046
    step "C++ wrapper via pkg-config" "$CXX" -std=c++17 -x c++ - -o "$work/hpp-pc" \
        $(pkg-config --cflags --libs kvgraph) -Wl,-rpath,"$prefix/lib" \
        <<<'#include <kvgraph.hpp>
int main() { kvgraph::Engine db; db.kv().set("k", "v"); return db.kv().get("k") == std::string("v") ? 0 : 1; }'
    step "run C++ wrapper (installed)" "$work/hpp-pc"
else
    skip "pkg-config (not installed: apt-get install -y pkg-config)"
fi

finish
