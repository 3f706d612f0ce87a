#!/usr/bin/env bash
# Server-function benchmark: the same echo work as a raw axum handler, a raw Leptos #[server]
# function, a mizan #[client] function through its own endpoint and through /api/mizan/call/,
# loaded one after another on loopback by wrk, in one run, against one release server.
# Writes the figures and ratios to docs/benchmarks.md.
# Usage: scripts/bench.sh [seconds per path] [connections] [rounds]
# The server is pinned to CPU 0 and wrk to CPU 1 (when there are two), so they do not trade places.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
duration=${1:-8}
connections=${2:-32}
rounds=${3:-3}

if ! command -v wrk >/dev/null 2>&1; then
  echo "bench: installing wrk (Debian package)"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo -n)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq wrk >/dev/null ||
    { DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq wrk >/dev/null; }
fi

cargo build --release -p bench --quiet
work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

server_cpu=(); load_cpu=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null 2>&1; then
  server_cpu=(taskset -c 0); load_cpu=(taskset -c 1)
fi
"${server_cpu[@]}" target/release/bench 127.0.0.1:0 >"$work/addr" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do [[ -s $work/addr ]] && break; sleep 0.1; done
addr=$(head -1 "$work/addr")
[[ -n $addr ]] || { echo "bench: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }

names=(raw_axum raw_server client_endpoint client_call)
declare -A path body
path[raw_axum]=/raw/echo;                 body[raw_axum]='{"text":"hello"}'
path[raw_server]=/bench/raw_server;       body[raw_server]='{"text":"hello"}'
path[client_endpoint]=/api/mizan/fn/bench_echo; body[client_endpoint]='{"args":{"text":"hello"}}'
path[client_call]=/api/mizan/call/;       body[client_call]='{"fn":"bench_echo","args":{"text":"hello"}}'

declare -A rps p99
for name in "${names[@]}"; do
  # The JSON bodies hold no single quotes, so a Lua single-quoted string carries them verbatim.
  printf "wrk.method = \"POST\"\nwrk.body = '%s'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n" \
    "${body[$name]}" >"$work/$name.lua"
  # Each request must succeed: one probe before loading.
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' \
    --data "${body[$name]}" "http://$addr${path[$name]}")
  [[ $code == 200 ]] || { echo "bench: $name answered $code" >&2; exit 1; }
  rps[$name]=0
done

for round in $(seq 1 "$rounds"); do
  for name in "${names[@]}"; do
    out=$("${load_cpu[@]}" wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$work/$name.lua" "http://$addr${path[$name]}")
    r=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    l=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
    [[ -z $errors ]] || { echo "bench: $name had errors: $errors" >&2; exit 1; }
    echo "round $round $name: $r req/s, p99 $l"
    # Keep each path's best round: the machine's other work only ever slows a round down.
    if awk -v a="$r" -v b="${rps[$name]}" 'BEGIN { exit !(a > b) }'; then
      rps[$name]=$r
      p99[$name]=$l
    fi
  done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
  echo "# Benchmarks"
  echo
  echo "Figures are ratios against a baseline measured in the same run on the same machine; absolute"
  echo "numbers vary between machines and runs, ratios much less."
  echo
  echo "## Server functions: the same echo work four ways"
  echo
  echo "Produced by \`scripts/bench.sh $duration $connections $rounds\` ($(date -u +%Y-%m-%d), $(nproc) cores): one release"
  echo "server (\`bench/\`, pinned to one core), wrk with 1 thread and $connections connections on loopback"
  echo "(pinned to the other core), ${duration} s per path, $rounds interleaved rounds, best round kept. Bodies are"
  echo "tiny JSON echoes, so this measures per-call overhead, the worst case for a framework layer."
  echo
  echo "| path | req/s | p99 | vs raw #[server] | vs raw axum |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for name in "${names[@]}"; do
    echo "| \`$name\` (\`${path[$name]}\`) | ${rps[$name]} | ${p99[$name]} | $(ratio "${rps[$name]}" "${rps[raw_server]}")× | $(ratio "${rps[$name]}" "${rps[raw_axum]}")× |"
  done
  echo
  echo "Targets (issue 3): \`#[client]\` ≥ 0.95× raw \`#[server]\` and ≥ 0.90× raw axum."
} >docs/benchmarks.md
cat docs/benchmarks.md
