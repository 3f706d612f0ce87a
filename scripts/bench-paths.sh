# The paths scripts/bench.sh loads with wrk and scripts/callgrind.sh counts with callgrind, sourced
# by both so the two measure the same requests: for each name, the bench server it runs on, its
# path and its JSON body (empty: a page, fetched with GET).
# Servers: `bare` (mizan's layer only), `full` (the example server's stack: sessions, logging),
# `logging` (the full stack less the session layer, to see what that layer costs).

bench_stacks=(bare full logging)
# The arguments of `target/release/bench 127.0.0.1:0 <stack>` and `BENCH_LAYERS` for each server.
declare -A stack_kind=([bare]=bare [full]=full [logging]=full)
declare -A stack_layers=([bare]=sessions,trace [full]=sessions,trace [logging]=none)

names=(raw_axum raw_call raw_server client_endpoint client_call page_plain page_mizan)
declare -A path body server
for name in "${names[@]}"; do server[$name]=bare; done
for stack in full logging; do
  names+=("${stack}_raw_axum" "${stack}_raw_call" "${stack}_call")
  server[${stack}_raw_axum]=$stack; path[${stack}_raw_axum]=/raw/echo; body[${stack}_raw_axum]='{"text":"hello"}'
  server[${stack}_raw_call]=$stack; path[${stack}_raw_call]=/raw/call
  body[${stack}_raw_call]='{"fn":"bench_echo","args":{"text":"hello"}}'
  server[${stack}_call]=$stack; path[${stack}_call]=/api/mizan/call/
  body[${stack}_call]='{"fn":"bench_echo","args":{"text":"hello"}}'
done
path[page_plain]=/plain/users/1;          body[page_plain]=
path[page_mizan]=/users/1;                body[page_mizan]=
path[raw_axum]=/raw/echo;                 body[raw_axum]='{"text":"hello"}'
path[raw_call]=/raw/call;                 body[raw_call]='{"fn":"bench_echo","args":{"text":"hello"}}'
path[raw_server]=/bench/raw_server;       body[raw_server]='{"text":"hello"}'
path[client_endpoint]=/api/mizan/fn/bench_echo; body[client_endpoint]='{"args":{"text":"hello"}}'
path[client_call]=/api/mizan/call/;       body[client_call]='{"fn":"bench_echo","args":{"text":"hello"}}'
