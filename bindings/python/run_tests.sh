#!/usr/bin/env bash
# Build libkvgraph, install the Python binding into a venv and test the
# INSTALLED package (not the source tree), then run the quickstart.
#
#   bash bindings/python/run_tests.sh [extra pytest args]
#
# Environment: PYTHON (default python3) creates the venv at target/pyenv;
# KVGRAPH_SKIP_CARGO=1 skips the cargo build (when it was just done).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/target/pyenv"
python="${PYTHON:-python3}"

cd "$repo"
if [[ "${KVGRAPH_SKIP_CARGO:-0}" != 1 ]]; then
    echo "== cargo build --release"
    cargo build --release
fi
lib="$repo/target/release/libkvgraph.so"
[[ -f "$lib" ]] || { echo "missing $lib" >&2; exit 1; }

echo "== venv $venv"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check pytest numpy
# Reinstall every time: the wheel carries a copy of the freshly built library.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$repo/bindings/python"
rm -rf "$here/build" "$here/kvgraph.egg-info"

# Test the installed copy: no KVGRAPH_LIB, and run from a folder that does
# not hold the kvgraph sources (so `import kvgraph` finds site-packages).
unset KVGRAPH_LIB
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$venv/bin/python" - <<'PY'
import pathlib, kvgraph
pkg = pathlib.Path(kvgraph.__file__).resolve().parent
assert "site-packages" in pkg.parts, f"not the installed package: {pkg}"
assert pathlib.Path(kvgraph.library_path()).resolve().parent == pkg, kvgraph.library_path()
print(f"kvgraph {kvgraph.__version__} from {pkg}, library {kvgraph.library_path()}")
PY

echo "== pytest"
KVGRAPH_TEST_INSTALLED=1 KVGRAPH_GRAPHALYTICS_DIR="$repo/tests/data/graphalytics" \
    "$venv/bin/python" -m pytest -p no:cacheprovider --rootdir "$here" -c "$here/pyproject.toml" "$here/tests" "$@"

echo "== quickstart"
"$venv/bin/python" "$here/examples/quickstart.py"
echo "== python binding: all passed"
