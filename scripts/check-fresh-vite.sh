#!/usr/bin/env bash
# A new Vite + React + TypeScript app against a mizan backend, as docs/react.md sets it up:
# examples/vite-fresh was made by `npm create vite@latest -- --template react-ts` (create-vite
# 9.3, TypeScript 7) and trimmed; it installs mizan-react from its folder as a copy
# (`install-links`, in its .npmrc) with TanStack Query and Zod. This builds the runtime, installs
# the app (a fresh copy of that runtime), generates its src/api from the example server, then
# runs the template's own `tsc -b` (its default tsconfig) and `vite build`.
#
#   MIZAN_SERVER=target/debug/server scripts/check-fresh-vite.sh
#
# MIZAN_SERVER names the built example server (default: target/release/server). Needs the Node
# packages of packages/mizan-react/test and examples/vite-fresh (scripts/bootstrap.sh test).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
server=${MIZAN_SERVER:-$root/target/release/server}
[[ $server == /* ]] || server="$root/$server"

fail() {
  echo "check-fresh-vite: $*" >&2
  exit 1
}

[[ -x $server ]] || fail "no server binary at $server: build it (cargo build -p server) or set MIZAN_SERVER"
[[ -d $root/packages/mizan-react/test/node_modules ]] ||
  fail "packages/mizan-react/test has no node_modules: run scripts/bootstrap.sh test"

# The app holds a copy of the runtime, made when it is installed: build the runtime first, then
# install, so the copy is of these sources.
(cd "$root/packages/mizan-react/test" && npm run build --silent)

cd "$root/examples/vite-fresh"
npm ci --prefer-offline --no-audit --no-fund --loglevel=error
echo "check-fresh-vite: $(npx tsc -v), $(npx vite --version)"
rm -rf src/api # generated afresh, as in a new app
MIZAN_SERVER=$server npx mizan-generate
npx tsc -b
npx vite build --logLevel warn
echo "check-fresh-vite: the fresh Vite app generates, type-checks and builds"
