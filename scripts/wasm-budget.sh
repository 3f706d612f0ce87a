#!/usr/bin/env bash
# The wasm bundles' budget: fails when the gzipped wasm of the example's first page, or of the
# getting-started app, grows past its budget. Sizes are those of `cargo leptos build --release
# --split` (deterministic for the same sources and toolchain), gzip -9 without a name or time.
# Usage: scripts/wasm-budget.sh            check the budgets (make test)
#        scripts/wasm-budget.sh --table    docs/benchmarks.md's section on the wasm bundles, beside
#                                          bench/plain-todo (examples/todo in plain Leptos), which it
#                                          builds the way cargo-leptos builds the others (make bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Budgets in bytes, gzipped. Raise one only with a reason in the commit; lower it when a change
# makes room. The example's first page is the main module (every page needs it); each page's
# own module loads when that page is first shown.
# Raised from 340 and 280 KB for optimistic patches (issue 23): every context instance reads its
# value through the patch ledger, +7.1 and +6.2 KB; the todo app's own patches (an add and a
# remove through use_<mutation>().optimistic) +5.1 KB more, 285.3 KB.
example_budget=$((348 * 1024))
todo_budget=$((288 * 1024))

gz() { gzip -9n <"$1" | wc -c; }
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1024 }'; }

site=target/site/pkg
main=$site/mizan.wasm
todo=target/todo-site/pkg/todo.wasm
for file in "$main" "$todo"; do
  [[ -f $file ]] || { echo "wasm-budget: $file is missing; build it with 'cargo leptos build --release --split'" >&2; exit 1; }
done

main_gz=$(gz "$main")
todo_gz=$(gz "$todo")
pages_gz=0
pages=()
for file in "$site"/*.wasm; do
  [[ $file == "$main" ]] && continue
  size=$(gz "$file")
  pages_gz=$((pages_gz + size))
  pages+=("$(basename "$file") $size")
done

if [[ ${1:-} == --table ]]; then
  # The baseline: the same wasm-release profile, wasm-bindgen and wasm-opt -Oz as cargo-leptos
  # (its own target dir: cargo-leptos' split build links with relocations).
  plain_out=target/plain-todo-site
  cargo build --quiet --package=plain-todo --lib --features=hydrate --target=wasm32-unknown-unknown \
    --profile=wasm-release --target-dir=target/plain-todo >&2
  wasm-bindgen --target=web --out-name=plain_todo --out-dir="$plain_out" \
    target/plain-todo/wasm32-unknown-unknown/wasm-release/plain_todo.wasm
  PATH="$root/tools/node_modules/.bin:$PATH" wasm-opt -Oz --enable-bulk-memory \
    --enable-nontrapping-float-to-int "$plain_out/plain_todo_bg.wasm" -o "$plain_out/plain_todo_bg.wasm"
  plain="$plain_out/plain_todo_bg.wasm"
  plain_gz=$(gz "$plain")
  echo "## The wasm bundles"
  echo
  echo "Produced by \`scripts/wasm-budget.sh --table\` ($(date -u +%Y-%m-%d)) after \`cargo leptos build --release"
  echo "--split\`: the \`wasm-release\` profile (\`opt-level = \"z\"\`, fat LTO, one codegen unit, \`panic ="
  echo "\"abort\"\`), wasm-bindgen, then binaryen's \`wasm-opt -Oz\`; gzip -9. Sizes are deterministic for"
  echo "the same sources and toolchain; \`make test\` fails when one grows past its budget."
  echo
  echo "| wasm | raw | gzipped | budget (gzipped) |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| the example's first page (\`mizan.wasm\`: every page needs it) | $(kb "$(stat -c %s "$main")") | $(kb "$main_gz") | $(kb "$example_budget") |"
  echo "| the example's other modules (${#pages[@]}: each page's own, and what pages share), each loaded with the first page that needs it | | $(kb "$pages_gz") | |"
  echo "| the getting-started app (\`examples/todo\`: one context, two mutations, one page) | $(kb "$(stat -c %s "$todo")") | $(kb "$todo_gz") | $(kb "$todo_budget") |"
  echo "| the same app in plain Leptos (\`bench/plain-todo\`: \`#[server]\`, \`Resource\`, \`ServerAction\`) | $(kb "$(stat -c %s "$plain")") | $(kb "$plain_gz") | |"
  echo "| mizan's own share of the getting-started app (the difference) | | $(kb $((todo_gz - plain_gz))) | |"
  echo
  goal=$((250 * 1024))
  if ((main_gz <= goal)); then verdict="met"; else verdict="missed by $(kb $((main_gz - goal)))"; fi
  echo "Goal (issue 20): the example's first page ≤ 250 KB gzipped: $verdict."
  # What was measured by hand once (2026-12-06), kept beside the table the script rewrites.
  echo
  echo 'Where the bytes went (2026-12-06, the function sizes of the linked wasm read from its name'
  echo 'section before wasm-bindgen, and builds with one part left out):'
  echo
  echo '- Before this work the example was one module of 2,110 KB, **798 KB gzipped**. `validator`'\''s'
  echo '  email rule, compiled into the browser for the forms'\'' checks, brought `regex` (with its Unicode'
  echo '  tables), `idna` and `url`: 333 KB gzipped. The browser now checks a form'\''s rules from its'
  echo '  schema (`mizan::form_rules`, held to `validator` by the shared fixture), and the server keeps'
  echo '  `validator`: 465 KB gzipped, one module.'
  echo '- Every page but `/` is now a module of its own (`#[lazy_route]`, `cargo leptos --split`): the'
  echo '  chat, the four forms (with the forms'\'' runtime, in a module they share) and the profile page'
  echo '  load with the first page that shows them. The first page: 335 KB gzipped.'
  echo '- Of mizan'\''s 85 KB in the getting-started app, the tab'\''s socket (WebSocket, the SSE fallback,'
  echo '  reconnection, the frames, the other tabs'\'' channel) is 43.5 KB gzipped: the same app built'
  echo '  without starting the socket is 229.8 KB. Most of it is generic code of the libraries it uses'
  echo '  (`futures` channels and combinators, `gloo-net`'\''s WebSocket stream, `BTreeMap`s, serde on'
  echo '  `serde_json::Value`), not the socket'\''s own logic: the next place to cut.'
  echo '- Tried and left out: Leptos'\'' `erase_components` for the wasm build (the first page −6 KB, the'
  echo '  getting-started app +8 KB) and `opt-level = "s"` (the getting-started app +16 KB).'
  echo '- Why 250 KB is out of reach by trimming: the goal was set beside "a plain Leptos page at about'
  echo '  115 KB", a hello page without a router. The same app in plain Leptos with its router, above,'
  echo '  is 189 KB; mizan adds its 85 KB to the example too (which uses more of it: the socket, channels,'
  echo '  forms); and the home page and header bring their own views (Leptos'\'' view and reactive code'
  echo '  instantiated for them: 198 KB of uncompressed code beyond the getting-started app). 250 KB'
  echo '  would leave mizan and the home page about 60 KB together. What mizan could still shed, measured'
  echo '  in uncompressed code of the getting-started app beside plain Leptos: `BTreeMap`/`BTreeSet` 33 KB'
  echo '  (plain Leptos has none; `serde_json::Value`'\''s objects are `BTreeMap`s), stable sort 10 KB,'
  echo '  `http`'\''s header parsing 14 KB (server_fn'\''s `generate_headers`, through which mizan reads one'
  echo '  response header), `futures` channels 8 KB: a socket and runtime without `Value`, `BTreeMap` and'
  echo '  `futures` channels, and a header read without `HeaderMap`, which server_fn does not offer today.'
  exit 0
fi

echo "wasm: the example's first page $(kb "$main_gz") gzipped (budget $(kb "$example_budget")), its other modules $(kb "$pages_gz"); examples/todo $(kb "$todo_gz") (budget $(kb "$todo_budget"))"
status=0
if ((main_gz > example_budget)); then
  echo "wasm-budget: the example's first page is $(kb "$main_gz") gzipped, over its budget of $(kb "$example_budget")" >&2
  status=1
fi
if ((todo_gz > todo_budget)); then
  echo "wasm-budget: examples/todo is $(kb "$todo_gz") gzipped, over its budget of $(kb "$todo_budget")" >&2
  status=1
fi
exit $status
