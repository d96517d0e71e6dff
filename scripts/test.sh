#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy with warnings denied, and all tests.
# Works on a fresh machine with only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked

echo "== node crash test, heavier: 25 SIGKILLs under load (release)"
RAMPART_CRASH_ITERATIONS=25 cargo test --release --locked -p rampart-cli --test node_crash

echo "== benchmarks compile"
cargo bench --workspace --locked --no-run

echo "all checks passed"
