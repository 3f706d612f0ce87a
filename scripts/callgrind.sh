#!/usr/bin/env bash
# Instructions per request for each benchmark path (scripts/bench-paths.sh), counted by valgrind's
# callgrind: a figure that holds from run to run on a busy machine, where wrk's req/s drifts.
#
# Each bench server runs under callgrind with one tokio worker (as scripts/bench.sh's server,
# pinned to one core, has). For each path curl, a separate process and so not counted, sends
# requests one after another on one keep-alive connection: a warm-up, then with the counters
# zeroed N requests and a dump, then zeroed again 2N requests and a dump (callgrind_control).
# Instructions per request = (count of 2N − count of N) / N: what a measurement costs besides its
# requests (the control commands waking the process, the connection's opening and closing)
# is in both counts and cancels.
#
# Usage: scripts/callgrind.sh OUT_DIR [requests per echo path] [requests per page] [path name...]
# (no names: every path).
# Writes OUT_DIR/<name>.ir (instructions per request, an integer), OUT_DIR/<name>.callgrind (the
# dump of the 2N requests, for callgrind_annotate or kcachegrind), OUT_DIR/<name>.inclusive and
# OUT_DIR/<name>.self (callgrind_annotate of that dump: every function by inclusive and by own
# instructions), and prints one line per path. Expects target/release/bench built (scripts/bench.sh builds it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:?usage: scripts/callgrind.sh OUT_DIR [requests per echo path] [requests per page]}
echo_requests=${2:-1000}
page_requests=${3:-100}
warmup=50
selected=("${@:4}")
mkdir -p "$out"
out=$(cd "$out" && pwd)

if ! command -v valgrind >/dev/null 2>&1; then
  echo "callgrind: installing valgrind (Debian package)" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo -n)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq valgrind >/dev/null ||
    { DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq valgrind >/dev/null; }
fi
[[ -x target/release/bench ]] || { echo "callgrind: build target/release/bench first" >&2; exit 1; }

# shellcheck source=bench-paths.sh
source scripts/bench-paths.sh

work=$(mktemp -d)
valgrind_pid=
cleanup() {
  [[ -z $valgrind_pid ]] || { kill "$valgrind_pid" 2>/dev/null && wait "$valgrind_pid" 2>/dev/null; } || true
  rm -rf "$work"
}
trap cleanup EXIT

# send ADDR NAME COUNT: COUNT requests of path NAME on one connection; fails unless all are 200.
send() {
  local addr=$1 name=$2 count=$3 url i codes
  url="http://$addr${path[$name]}"
  for ((i = 0; i < count; i++)); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done >"$work/curl.conf"
  if [[ -n ${body[$name]} ]]; then
    codes=$(curl -s -K "$work/curl.conf" -w '%{http_code}\n' -X POST \
      -H 'content-type: application/json' --data "${body[$name]}")
  else
    codes=$(curl -s -K "$work/curl.conf" -w '%{http_code}\n')
  fi
  [[ $(grep -c '^200$' <<<"$codes") == "$count" ]] ||
    { echo "callgrind: $name answered $(sort <<<"$codes" | uniq -c | tr '\n' ' ')" >&2; exit 1; }
  # Let the server finish with the closed connection before the counters are read.
  sleep 0.3
}

# count ADDR NAME COUNT: sets $counted to the instructions of COUNT requests and $dump to the
# dump they are in (callgrind numbers a process's dumps from 1).
dumps=0
count() {
  local addr=$1 name=$2 requests=$3
  callgrind_control -z "$valgrind_pid" >/dev/null 2>&1
  send "$addr" "$name" "$requests"
  callgrind_control -d "$name-$requests" "$valgrind_pid" >/dev/null 2>&1
  dumps=$((dumps + 1))
  dump="$work/callgrind.$dumps"
  for _ in $(seq 50); do [[ -s $dump ]] && grep -q '^totals:' "$dump" && break; sleep 0.1; done
  counted=$(awk '/^summary:/ { print $2 }' "$dump")
}

# The names of the paths to count, on their servers' order.
wanted=()
for name in "${names[@]}"; do
  if [[ ${#selected[@]} -eq 0 || " ${selected[*]} " == *" $name "* ]]; then wanted+=("$name"); fi
done

for stack in "${bench_stacks[@]}"; do
  on_stack=()
  for name in "${wanted[@]}"; do [[ ${server[$name]} != "$stack" ]] || on_stack+=("$name"); done
  [[ ${#on_stack[@]} -gt 0 ]] || continue
  dumps=0
  TOKIO_WORKER_THREADS=1 BENCH_LAYERS=${stack_layers[$stack]} \
    valgrind --tool=callgrind --callgrind-out-file="$work/callgrind" \
    target/release/bench 127.0.0.1:0 "${stack_kind[$stack]}" >"$work/addr" 2>"$work/valgrind.log" &
  valgrind_pid=$!
  # Under valgrind the server starts in seconds, not milliseconds (it hashes a password).
  for _ in $(seq 600); do [[ -s $work/addr ]] && break; sleep 0.2; done
  [[ -s $work/addr ]] || { echo "callgrind: the $stack server did not start" >&2; cat "$work/valgrind.log" >&2; exit 1; }
  addr=$(head -1 "$work/addr")
  for name in "${on_stack[@]}"; do
    requests=$echo_requests
    [[ -n ${body[$name]} ]] || requests=$page_requests
    send "$addr" "$name" "$warmup"
    count "$addr" "$name" "$requests"; once=$counted
    count "$addr" "$name" $((2 * requests)); twice=$counted
    ir=$(( (twice - once) / requests ))
    echo "$ir" >"$out/$name.ir"
    cp "$dump" "$out/$name.callgrind"
    callgrind_annotate --inclusive=yes --threshold=100 "$dump" >"$out/$name.inclusive" 2>/dev/null
    callgrind_annotate --inclusive=no --threshold=100 "$dump" >"$out/$name.self" 2>/dev/null
    echo "$name (${path[$name]}): $ir instructions per request ($once for $requests, $twice for $((2 * requests)))"
  done
  kill "$valgrind_pid" 2>/dev/null && wait "$valgrind_pid" 2>/dev/null || true
  valgrind_pid=
  rm -f "$work"/callgrind*
done
