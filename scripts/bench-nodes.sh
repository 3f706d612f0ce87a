#!/usr/bin/env bash
# Several nodes, measured: prints the "Several nodes" section of docs/benchmarks.md (scripts/bench.sh
# runs it; alone it prints the section to stdout). Starts on loopback, in a throwaway directory,
# a redis-server, a PostgreSQL server (as `postgres` when run as root) and release bench servers,
# stopped by their pids at the end:
# - the fan-out of one group of 1,000 members, one sender at a fixed rate, the members spread over
#   the nodes: one node (in-process), two nodes linked by Redis, two by PostgreSQL's
#   LISTEN/NOTIFY; beside raw axum + tokio broadcast on one node and Django Channels on two daphne
#   processes sharing channels_redis (the virtualenv target/bench-venv, which scripts/bench.sh
#   makes; without it that row is skipped and the section says so);
# - a soak: 1,000 sockets over two nodes linked by Redis, each watching a context, steady calls
#   invalidating it for 60 s; errors and each node's memory growth.
# Usage: scripts/bench-nodes.sh [members] [rate] [seconds] [soak seconds]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
members=${1:-1000}
rate=${2:-20}
seconds=${3:-10}
soak_seconds=${4:-60}

cargo build --release -p bench --quiet
work=$(mktemp -d)
chmod 755 "$work"
pids=()
pg_stop=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [[ ${#pg_stop[@]} -eq 0 ]] || "${pg_stop[@]}" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

server_cpu=(); load_cpu=()
if [[ $(nproc) -ge 2 ]] && command -v taskset >/dev/null 2>&1; then
  server_cpu=(taskset -c 0); load_cpu=(taskset -c 1)
fi
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() { echo "bench-nodes: $*" >&2; exit 1; }

# redis-server, no persistence.
redis_port=$(free_port)
redis_server=$(command -v redis-server || echo /usr/bin/redis-server)
[[ -x $redis_server ]] || fail "redis-server is missing: apt-get install redis-server (make bootstrap does)"
"${server_cpu[@]}" "$redis_server" --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  >"$work/redis.log" 2>&1 &
pids+=($!)
redis_url="redis://127.0.0.1:$redis_port"

# PostgreSQL, a cluster of its own.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $pg_bin/pg_ctl ]] || fail "PostgreSQL is missing: apt-get install postgresql (make bootstrap does)"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  chown -R postgres: "$work"
  as_pg=(runuser -u postgres --)
fi
pg_port=$(free_port)
(cd "$work" && "${as_pg[@]}" "$pg_bin/initdb" --pgdata "$work/pg" --username mizan --auth trust \
  --encoding UTF8 --no-sync >"$work/initdb.log" 2>&1) || fail "initdb failed: $(tail -3 "$work/initdb.log")"
(cd "$work" && "${as_pg[@]}" "${server_cpu[@]}" "$pg_bin/pg_ctl" --pgdata "$work/pg" --log "$work/pg.log" \
  --options "-c listen_addresses=127.0.0.1 -p $pg_port -k $work -c fsync=off" --wait start >/dev/null) ||
  fail "PostgreSQL did not start: $(tail -3 "$work/pg.log")"
pg_stop=("${as_pg[@]}" "$pg_bin/pg_ctl" --pgdata "$work/pg" --mode immediate --wait stop)
pg_url="postgres://mizan@127.0.0.1:$pg_port/postgres"

# name [VAR=value...] → a bench server whose address is in $work/addr.<name>, its pid in
# $work/pid.<name>.
node() {
  local name=$1
  shift
  env "$@" "${server_cpu[@]}" target/release/bench 127.0.0.1:0 bare >"$work/addr.$name" 2>"$work/server.$name.log" &
  pids+=($!)
  echo $! >"$work/pid.$name"
  for _ in $(seq 1 100); do [[ -s $work/addr.$name ]] && break; sleep 0.1; done
  [[ -s $work/addr.$name ]] || fail "the $name server did not start: $(tail -3 "$work/server.$name.log")"
}
addr() { head -1 "$work/addr.$1"; }
node one
node redis_a REDIS_URL="$redis_url"
node redis_b REDIS_URL="$redis_url"
node pg_a MIZAN_BROKER=postgres DATABASE_URL="$pg_url"
node pg_b MIZAN_BROKER=postgres DATABASE_URL="$pg_url"
# The subscriptions start on their own tasks: give them a moment.
sleep 1

venv=target/bench-venv
django_side=()
django_note=
if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c 'import channels_redis' 2>/dev/null; then
  for name in django_a django_b; do
    REDIS_URL="$redis_url" "${server_cpu[@]}" "$venv/bin/python" bench/django_channels/serve.py >"$work/addr.$name" 2>"$work/server.$name.log" &
    pids+=($!)
    for _ in $(seq 100); do [[ -s $work/addr.$name ]] && break; sleep 0.1; done
    # serve.py prints the address before daphne has started: one request (Django answers 404).
    [[ $(curl -s --max-time 30 -o /dev/null -w '%{http_code}' "http://$(addr "$name")/") == 404 ]] ||
      fail "daphne did not start: $(tail -3 "$work/server.$name.log")"
  done
  django_versions=$("$venv/bin/python" -c 'import django, channels, channels_redis; print(f"Django {django.__version__}, Channels {channels.__version__}, channels_redis {channels_redis.__version__}")')
  django_side=("Django Channels, two daphne processes on \`RedisChannelLayer\` ($django_versions)=raw@$(addr django_a),$(addr django_b)")
else
  django_note="Django Channels was **not measured** in this run: no virtualenv with channels_redis at $venv (scripts/bench.sh makes it)."
fi

echo "## Several nodes: a group's fan-out across nodes, and a soak"
echo
echo "Produced by \`scripts/bench-nodes.sh $members $rate $seconds $soak_seconds\` ($(date -u +%Y-%m-%d), $(nproc) cores): release bench"
echo "servers, redis-server $("$redis_server" --version | awk '{print $3}' | tr -d v=), PostgreSQL $(basename "$(dirname "$pg_bin")") and daphne pinned to one core, the load"
echo "client (\`sockets nodes\`, \`sockets soak\`) to the other, loopback. Members are spread over the"
echo "nodes in turn; the one sender is on the first node, so about half the deliveries cross the"
echo "broker. A delivery's latency runs from the send to its arrival at the member."
echo
"${load_cpu[@]}" target/release/sockets nodes "$members" "$rate" "$seconds" \
  "mizan, one node=mizan@$(addr one)" \
  "mizan, two nodes linked by Redis=mizan@$(addr redis_a),$(addr redis_b)" \
  "mizan, two nodes linked by PostgreSQL LISTEN/NOTIFY=mizan@$(addr pg_a),$(addr pg_b)" \
  "raw axum + \`tokio::sync::broadcast\`, one node=raw@$(addr one)" \
  "${django_side[@]}"
[[ -z $django_note ]] || { echo; echo "$django_note"; }
# What the runs of 2026-12-06 showed, kept beside the table this script rewrites.
cat <<'NOTES'

What the runs of 2026-12-06 showed: crossing a broker costs mizan about 1–2 ms at p99 over one
node, through Redis or PostgreSQL alike, with nothing lost at 20,000 deliveries a second; each
node publishes a message once and fans it out to its own members. Django Channels on its Redis
layer writes a group message into every member's own channel in Redis (1,000 writes a message
here), and each consumer reads its channel and writes its socket in Python; channels_redis keeps
at most 100 messages waiting per channel and drops the rest, which is where its losses come
from, and what it delivers arrives seconds late.
NOTES
echo
# The soak on two fresh nodes linked by Redis: their memory from their start.
node soak_a REDIS_URL="$redis_url"
node soak_b REDIS_URL="$redis_url"
sleep 1
"${load_cpu[@]}" target/release/sockets soak "$members" "$soak_seconds" 10 \
  "$(addr soak_a),$(addr soak_b)" "$(cat "$work/pid.soak_a"),$(cat "$work/pid.soak_b")"
