#!/usr/bin/env bash
# Install checks of the Python package, as a user meets it:
#  1. a fresh venv: `pip install ./bindings/python` (pip runs cargo and
#     compiles the binding), import, run the quickstart;
#  2. `pip wheel ./bindings/python`, then a second fresh venv installs that
#     wheel with no index, no cargo and no Rust on PATH, and runs the
#     quickstart again.
#
#   bash bindings/python/ci_install.sh
#
# Environment: PYTHON (default python3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
quiet=(--quiet --disable-pip-version-check)

smoke() {  # $1: venv; run from a folder without the sources
    (cd "$tmp" && "$1/bin/python" - <<'PY'
import pathlib, kvgraph
pkg = pathlib.Path(kvgraph.__file__).resolve().parent
assert "site-packages" in pkg.parts, pkg
assert kvgraph.binding_mode() == "api", kvgraph.binding_mode()
with kvgraph.Engine() as db:
    db.kv.set(b"k", b"v")
    assert db.kv.get(b"k") == b"v"
print(f"kvgraph {kvgraph.__version__} ({kvgraph.binding_mode()}) from {pkg}")
PY
    "$1/bin/python" "$here/examples/quickstart.py" >/dev/null && echo "quickstart ok")
}

echo "== fresh venv: pip install ./bindings/python"
"$python" -m venv "$tmp/venv-source"
"$tmp/venv-source/bin/python" -m pip install "${quiet[@]}" "$repo/bindings/python"
smoke "$tmp/venv-source"

echo "== pip wheel ./bindings/python"
"$tmp/venv-source/bin/python" -m pip wheel "${quiet[@]}" --wheel-dir "$tmp/wheels" "$repo/bindings/python"
ls "$tmp/wheels"

echo "== second fresh venv: the wheel, without cargo or Rust"
"$python" -m venv "$tmp/venv-wheel"
no_rust_path="$(dirname "$(readlink -f "$(command -v "$python")")"):/usr/bin:/bin"
env PATH="$no_rust_path" CARGO=/nonexistent RUSTUP_HOME=/nonexistent CARGO_HOME=/nonexistent \
    "$tmp/venv-wheel/bin/python" -m pip install "${quiet[@]}" --no-index --only-binary :all: \
    --find-links "$tmp/wheels" kvgraph
if PATH="$no_rust_path" bash -c 'command -v cargo rustc' >/dev/null; then
    echo "cargo or rustc is still on PATH $no_rust_path: the check proves nothing" >&2
    exit 1
fi
rm -rf "$here/build" "$here/kvgraph.egg-info"
PATH="$no_rust_path" smoke "$tmp/venv-wheel"
echo "== install checks passed"
