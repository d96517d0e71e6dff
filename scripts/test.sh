#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy with warnings denied, and all tests.
# Works on a fresh machine with the Rust toolchain (it installs Debian's npm for the node's build
# when missing, Debian's chromium for the
# dashboard's headless-browser test when apt-get is there, and PyPI's openapi-spec-validator for
# the OpenAPI test when pip is there).
set -euo pipefail
cd "$(dirname "$0")/.."
# A clean build gains nothing from incremental caches, which are large on disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
disk() { echo "-- disk: $(du -sh target 2>/dev/null | cut -f1) in target, $(df -h . | awk 'NR==2 {print $4}') free"; }

echo "== npm for the dashboard's charting library (the node's build.rs runs npm ci; Debian's npm installed if missing)"
if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; } ||
    echo "warning: could not install npm (the rampart-node build needs it)"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== a browser for the dashboard test (Debian's chromium, installed if missing)"
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
  { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; } ||
    echo "warning: could not install chromium"
fi
if command -v chromium >/dev/null 2>&1; then
  export RAMPART_REQUIRE_BROWSER=1
else
  echo "warning: no chromium: the headless-browser dashboard test is skipped"
fi

echo "== an OpenAPI validator for the /openapi.json test (PyPI's openapi-spec-validator)"
if ! python3 -c "import openapi_spec_validator" >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
  python3 -m pip install --quiet openapi-spec-validator >/dev/null 2>&1 ||
    python3 -m pip install --quiet --user openapi-spec-validator >/dev/null 2>&1 ||
    echo "warning: could not install openapi-spec-validator"
fi
if python3 -c "import openapi_spec_validator" >/dev/null 2>&1; then
  export RAMPART_REQUIRE_OPENAPI_VALIDATOR=1
else
  echo "warning: no openapi-spec-validator: the OpenAPI document is checked without it"
fi

disk
echo "== cargo test"
cargo test --workspace --locked

disk
if [ "${RAMPART_CI_FREE_DISK:-0}" = "1" ]; then
  echo "== freeing the debug build before the release one (CI only)"
  rm -rf target/debug
  disk
fi

echo "== node crash test, heavier: 25 SIGKILLs under load (release)"
RAMPART_CRASH_ITERATIONS=25 cargo test --release --locked -p rampart-cli --test node_crash

echo "== benchmarks compile"
cargo bench --workspace --locked --no-run

disk
echo "all checks passed"
