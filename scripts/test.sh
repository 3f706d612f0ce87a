#!/usr/bin/env bash
# Every test of the project, in the order that fails fastest: formatting, lints for both feature
# sets, Rust tests, the TypeScript runtime, the release build, the desktop app's self-test, the
# React app (its generated code checked against the release server's export), then the browser
# suite against the release server.
# Called by `make test` after the bootstrap; CI (.ci/run) calls `make test`. Prints each stage's
# time at the end (and the stages that ran, when one fails).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# tools/ provides wasm-opt for the release build (see scripts/bootstrap.sh).
export PATH="$root/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

started=$SECONDS
stage_names=()
stage_seconds=()
current=
current_started=

summary() {
  local status=$?
  if [[ -n $current ]]; then
    stage_names+=("$current (unfinished)")
    stage_seconds+=($((SECONDS - current_started)))
  fi
  printf '\n=== stage times ===\n'
  local i
  for i in "${!stage_names[@]}"; do
    printf '%6d s  %s\n' "${stage_seconds[$i]}" "${stage_names[$i]}"
  done
  printf '%6d s  total\n' $((SECONDS - started))
  return $status
}
trap summary EXIT

stage() {
  if [[ -n $current ]]; then
    stage_names+=("$current")
    stage_seconds+=($((SECONDS - current_started)))
  fi
  current=$1
  current_started=$SECONDS
  printf '\n=== %s ===\n' "$current"
}

stage "format (cargo fmt --check)"
cargo fmt --all --check

stage "lints, server feature set (ssr)"
cargo clippy --workspace --exclude frontend --all-targets --features todo/ssr -- -D warnings

stage "lints, browser feature set (hydrate, wasm32)"
cargo clippy --target wasm32-unknown-unknown -p frontend -p app -p mizan -p todo -p plain-todo \
  --features todo/hydrate,plain-todo/hydrate \
  --all-targets -- -D warnings

stage "rust tests"
# The desktop app's tests run in its own stage, on the release build it shares with the server.
cargo test --workspace --exclude frontend --exclude desktop --features todo/ssr

stage "compile check: a crate whose ssr feature forgets mizan/ssr"
scripts/check-forgot-ssr.sh

stage "TypeScript runtime (packages/mizan-react, from its test/ workspace: tsc --strict, vitest, build)"
(cd packages/mizan-react/test && npm run check --silent && npx vitest run && npm run build --silent)

stage "release build (cargo leptos build --release --split: the example and examples/todo)"
cargo leptos build --release --split

stage "wasm budget (the gzipped bundles of the example's first page and of examples/todo)"
scripts/wasm-budget.sh

stage "desktop app (target/release/mizan-desktop: its tests, its self-test under Xvfb, a screenshot kept)"
# The bundle's name is read when leptos compiles, as cargo-leptos sets it: the same value keeps
# the release build of the crates the desktop app shares with the server.
LEPTOS_OUTPUT_NAME=mizan cargo build --release -p desktop
LEPTOS_OUTPUT_NAME=mizan cargo test --release -p desktop
scripts/desktop-self-test.sh

stage "React app (generated code up to date, tsc --strict, the forms fixture, vite build)"
(cd examples/react-app &&
  MIZAN_SERVER="$root/target/release/server" npx mizan-generate --check &&
  npx tsc --noEmit &&
  npx vitest run &&
  npx vite build --logLevel warn)

stage "fresh Vite app (examples/vite-fresh on its template's TypeScript: mizan-generate, tsc -b, vite build)"
MIZAN_SERVER="$root/target/release/server" scripts/check-fresh-vite.sh

stage "end-to-end tests (Chromium against the release server)"
scripts/e2e.sh

stage_names+=("$current")
stage_seconds+=($((SECONDS - current_started)))
current=
printf '\n=== all tests passed in %d s ===\n' $((SECONDS - started))
