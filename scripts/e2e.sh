#!/usr/bin/env bash
# Runs the end-to-end suite against the release build of `cargo leptos build --release --split`. Each test
# starts its own server (end2end/tests/browser.js): a fresh SQLite file, port 0, stopped after the
# test; the servers' logs are kept in target/e2e-logs/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

binary=${MIZAN_SERVER_BIN:-target/release/server}
[[ -x $binary ]] || {
  echo "e2e: $binary is missing; build it with 'cargo leptos build --release --split'" >&2
  exit 1
}
for built in target/site/pkg target/todo-site/pkg target/release/todo; do
  [[ -e $built ]] || {
    echo "e2e: $built is missing; build it with 'cargo leptos build --release --split'" >&2
    exit 1
  }
done
[[ -f examples/react-app/dist/index.html ]] || {
  echo "e2e: the React app is not built; build it with 'npm run build' in examples/react-app" >&2
  exit 1
}

binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
rm -rf target/e2e-logs
status=0
# The browser tests sign in as the demo users, which a server creates only when asked.
(cd end2end && MIZAN_DEMO_USERS=1 MIZAN_SERVER_BIN="$binary" npm test --silent) || status=$?
if [[ $status -ne 0 ]]; then
  echo "e2e: failed; the servers' logs are in target/e2e-logs/:" >&2
  for log in target/e2e-logs/*.log; do
    [[ -f $log ]] || continue
    echo "--- $log (last 30 lines)" >&2
    tail -n 30 "$log" >&2
  done
fi
exit $status
