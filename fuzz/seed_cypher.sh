#!/usr/bin/env bash
# Seeds fuzz/corpus/cypher with every query of the TCK features copied into
# tests/tck/features (one file per query, as the raw text libFuzzer mutates).
# Then: fuzz/run.sh SECONDS cypher
set -euo pipefail
cd "$(dirname "$0")/.."
out=fuzz/corpus/cypher
mkdir -p "$out"
find tests/tck/features -name '*.feature' -print0 | xargs -0 awk -v out="$out" '
    /"""/ { if (inq) { n++; f = sprintf("%s/tck-%05d", out, n); printf "%s", q > f; close(f); q = ""; inq = 0 } else { inq = 1 } next }
    inq { sub(/^ +/, ""); q = q $0 "\n" }'
echo "fuzz/seed_cypher.sh: $(ls "$out" | wc -l) seeds in $out"
