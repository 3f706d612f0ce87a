#!/usr/bin/env bash
# Every test of the project, in the order that fails fastest: formatting, lints for both feature
# sets, Rust tests, the release build, then the browser suite against the release server.
# Called by `make test` after the bootstrap; CI (.ci/run) calls `make test`.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# tools/ provides wasm-opt for the release build (see scripts/bootstrap.sh).
export PATH="$root/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

section() { printf '\n=== %s ===\n' "$*"; }
started=$SECONDS

section "format (cargo fmt --check)"
cargo fmt --all --check

section "lints, server feature set (ssr)"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings

section "lints, browser feature set (hydrate, wasm32)"
cargo clippy --target wasm32-unknown-unknown -p frontend -p app -p mizan --all-targets -- -D warnings

section "rust tests"
cargo test --workspace --exclude frontend

section "release build (cargo leptos build --release)"
cargo leptos build --release

section "end-to-end tests (Chromium against the release server)"
scripts/e2e.sh

section "all tests passed in $((SECONDS - started)) s"
