#!/usr/bin/env bash
# Runs the end-to-end suite against the release server built by `cargo leptos build --release`:
# starts it on a free loopback port with a fresh SQLite file, runs the browser tests, stops it.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

binary=${MIZAN_SERVER_BIN:-target/release/server}
[[ -x $binary ]] || {
  echo "e2e: $binary is missing; build it with 'cargo leptos build --release'" >&2
  exit 1
}
[[ -d target/site/pkg ]] || {
  echo "e2e: target/site/pkg is missing; build it with 'cargo leptos build --release'" >&2
  exit 1
}

port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
work=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

MIZAN_SITE_ADDR="127.0.0.1:$port" \
  DATABASE_URL="sqlite://$work/e2e.db" \
  LEPTOS_SITE_ROOT="$root/target/site" \
  LEPTOS_ENV=prod \
  RUST_LOG="${RUST_LOG:-info}" \
  "$binary" >"$work/server.log" 2>&1 &
server_pid=$!

# Wait for the port to accept connections (at most 30 s), or for the server to die.
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "e2e: the server exited during start; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.1
done

status=0
(cd end2end && MIZAN_BASE_URL="http://127.0.0.1:$port" npm test --silent) || status=$?
if [[ $status -ne 0 ]]; then
  echo "e2e: failed; the server's log:" >&2
  tail -n 100 "$work/server.log" >&2
fi
exit $status
