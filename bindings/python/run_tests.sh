#!/usr/bin/env bash
# Install the Python binding into a venv the way a user does (pip builds
# libkvgraph with cargo and compiles the cffi module) and test the INSTALLED
# package (not the source tree): pytest, mypy --strict, then the quickstart.
#
#   bash bindings/python/run_tests.sh [extra pytest args]
#
# Environment: PYTHON (default python3) creates the venv at target/pyenv.
# KVGRAPH_SKIP_CARGO=1 is passed on to the build (link the libkvgraph.a
# already in target/release without running cargo).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/target/pyenv"
python="${PYTHON:-python3}"

cd "$repo"
echo "== venv $venv"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" pytest numpy mypy cffi setuptools types-cffi  # types-cffi: mypy --strict checks the cffi calls
# The optional integrations are tested when they install (each skips otherwise).
"${pip[@]}" pyarrow pandas tqdm || echo "!! pyarrow/pandas/tqdm not installed: their tests skip"
# Reinstall every time: the package carries the freshly built library.
echo "== pip install ./bindings/python (builds libkvgraph and the cffi module)"
"${pip[@]}" --force-reinstall --no-deps "$repo/bindings/python"
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
assert kvgraph.binding_mode() == "api", kvgraph.binding_mode()
assert pathlib.Path(kvgraph.library_path()).resolve().parent == pkg, kvgraph.library_path()
print(f"kvgraph {kvgraph.__version__} from {pkg}, compiled module {kvgraph.library_path()}")
PY

echo "== pytest"
KVGRAPH_TEST_INSTALLED=1 KVGRAPH_GRAPHALYTICS_DIR="$repo/tests/data/graphalytics" KVGRAPH_REPO="$repo" \
    "$venv/bin/python" -m pytest -p no:cacheprovider --rootdir "$here" -c "$here/pyproject.toml" "$here/tests" "$@"

echo "== mypy --strict (package sources and examples)"
(cd "$here" && "$venv/bin/python" -m mypy --strict --config-file pyproject.toml kvgraph examples)
echo "== mypy --strict (the comparison harness, benchmarks/harness)"
(cd "$here/benchmarks" && "$venv/bin/python" -m mypy --strict --config-file ../pyproject.toml harness)

echo "== quickstart"
"$venv/bin/python" "$here/examples/quickstart.py"
echo "== python binding: all passed"
