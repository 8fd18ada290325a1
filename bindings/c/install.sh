#!/usr/bin/env bash
# Installs the kvgraph C library:
#   $PREFIX/lib/libkvgraph.so, $PREFIX/lib/libkvgraph.a,
#   $PREFIX/include/kvgraph.h, $PREFIX/include/kvgraph.hpp (C++17 wrapper),
#   $PREFIX/lib/pkgconfig/kvgraph.pc (generated from kvgraph.pc.in).
#
# Usage: [PREFIX=/usr/local] [LIBDIR=$PREFIX/lib] [DESTDIR=] [CARGO_TARGET_DIR=target] \
#        [KVGRAPH_NO_BUILD=1] bindings/c/install.sh
# Builds the release library first (cargo build --release --lib --features
# mimalloc: Rust allocations go to mimalloc, see README) unless
# KVGRAPH_NO_BUILD=1. DESTDIR stages the files for packaging; the .pc file
# records PREFIX, not DESTDIR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
prefix="${PREFIX:-/usr/local}"
libdir="${LIBDIR:-$prefix/lib}"
includedir="${INCLUDEDIR:-$prefix/include}"
destdir="${DESTDIR:-}"
target="${CARGO_TARGET_DIR:-$root/target}"

if [[ "${KVGRAPH_NO_BUILD:-0}" != 1 ]]; then
    (cd "$root" && cargo build --release --lib --features mimalloc)
fi
for f in "$target/release/libkvgraph.so" "$target/release/libkvgraph.a"; do
    [[ -f "$f" ]] || { echo "install.sh: $f is missing (run cargo build --release)" >&2; exit 1; }
done
version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"

install -d "$destdir$libdir/pkgconfig" "$destdir$includedir"
install -m 755 "$target/release/libkvgraph.so" "$destdir$libdir/libkvgraph.so"
install -m 644 "$target/release/libkvgraph.a" "$destdir$libdir/libkvgraph.a"
install -m 644 "$root/include/kvgraph.h" "$destdir$includedir/kvgraph.h"
install -m 644 "$root/bindings/cpp/kvgraph.hpp" "$destdir$includedir/kvgraph.hpp"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@LIBDIR@|$libdir|g" -e "s|@INCLUDEDIR@|$includedir|g" \
    -e "s|@VERSION@|$version|g" "$root/bindings/c/kvgraph.pc.in" >"$destdir$libdir/pkgconfig/kvgraph.pc"
chmod 644 "$destdir$libdir/pkgconfig/kvgraph.pc"
echo "installed kvgraph $version to $destdir$prefix"
