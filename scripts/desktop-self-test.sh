#!/usr/bin/env bash
# The desktop app's self-test under Xvfb: `mizan-desktop --self-test` opens its window on a
# throwaway data directory, waits for the page to hydrate, calls a server function from it and
# exits 0 (non-zero with the reason otherwise); the screenshot of the window is kept in
# target/desktop/self-test.png. Needs target/release/mizan-desktop and the release site.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
binary=target/release/mizan-desktop
[[ -x $binary ]] || { echo "desktop: $binary is missing; build it with 'cargo build --release -p desktop'" >&2; exit 1; }
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
mkdir -p target/desktop
rm -f target/desktop/self-test.png
# Under Xvfb a WebKitGTK view stays blank without these two.
# GSETTINGS_BACKEND=memory: the file dialog keeps its settings in memory, not in a dconf the test
# would change (and that needs a D-Bus session Xvfb does not have).
WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 GSETTINGS_BACKEND=memory \
  timeout 120 xvfb-run -a -s '-screen 0 1280x900x24' \
  "$binary" --self-test --data-dir "$data" --screenshot "$root/target/desktop/self-test.png"
[[ -s target/desktop/self-test.png ]] || { echo "desktop: no screenshot was taken" >&2; exit 1; }
