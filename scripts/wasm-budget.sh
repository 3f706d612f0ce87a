#!/usr/bin/env bash
# The wasm bundles' budget: fails when the gzipped wasm of the example's first page, or of the
# getting-started app, grows past its budget. Sizes are those of `cargo leptos build --release
# --split` (deterministic for the same sources and toolchain), gzip -9 without a name or time.
# Usage: scripts/wasm-budget.sh [--table]   (--table: print the sizes as docs/benchmarks.md's rows)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Budgets in bytes, gzipped. Raise one only with a reason in the commit; lower it when a change
# makes room. The example's first page is the main module (every page needs it); each page's
# own module loads when that page is first shown.
example_budget=$((340 * 1024))
todo_budget=$((280 * 1024))

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
  echo "| the example's first page (\`mizan.wasm\`: every page needs it) | $(kb "$(stat -c %s "$main")") | $(kb "$main_gz") | $(kb "$example_budget") |"
  echo "| the example's other modules (${#pages[@]}: each page's own, and what pages share), loaded when a page needs them | | $(kb "$pages_gz") | |"
  echo "| the getting-started app (\`examples/todo\`, one page) | $(kb "$(stat -c %s "$todo")") | $(kb "$todo_gz") | $(kb "$todo_budget") |"
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
