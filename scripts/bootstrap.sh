#!/usr/bin/env bash
# Installs what the project's two commands need, skipping whatever is already there at the right
# version. Safe to run any number of times; never prompts (CI runs it with no standard input).
#
#   scripts/bootstrap.sh dev    tools to build and run the example app (cargo leptos watch)
#   scripts/bootstrap.sh test     the above, plus wasm-opt, Node packages, Chromium, PostgreSQL,
#                                 redis-server, nginx and the desktop app's packages, for the tests
#   scripts/bootstrap.sh desktop  the dev tools, plus what the desktop app builds and runs on
#                                 (WebKitGTK 4.1, GTK 3, Xvfb, ImageMagick)
#   scripts/bootstrap.sh package  the desktop profile, plus cargo-deb and dpkg-dev to make its
#                                 Debian package (make desktop-deb)
set -euo pipefail

profile=${1:-test}
case "$profile" in dev | test | desktop | package) ;; *)
  echo "usage: scripts/bootstrap.sh [dev|test|desktop|package]" >&2
  exit 2
  ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Versions measured to work on this toolchain (see the README, "What the bootstrap installs").
CARGO_LEPTOS_VERSION=0.3.10
CARGO_DEB_VERSION=3.8.0
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf 'bootstrap: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
fail() {
  echo "bootstrap: $*" >&2
  exit 1
}

# Installs a Debian package without questions (as root, else through sudo -n).
debian_install() {
  step "$*: installing Debian's packages"
  local sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    have sudo || fail "$* missing and this user cannot install packages: apt-get install $*"
    sudo_cmd=(sudo -n)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have cargo || fail "cargo is not installed; install Rust with rustup first (https://rustup.rs)"

# --- Rust: the wasm target ------------------------------------------------------------------
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "wasm32-unknown-unknown target: present"
else
  step "wasm32-unknown-unknown target: installing"
  rustup target add wasm32-unknown-unknown
fi

# --- cargo-leptos ---------------------------------------------------------------------------
current=$(cargo leptos --version 2>/dev/null | awk '{print $2}' || true)
if [[ $current == "$CARGO_LEPTOS_VERSION" ]]; then
  step "cargo-leptos $CARGO_LEPTOS_VERSION: present"
else
  # 0.3.11 needs a newer rustc than this machine has; --locked keeps 0.3.10's tested dependencies.
  # Its own release profile is `lto = true, codegen-units = 1`: link-time optimisation of a tool
  # that only orchestrates builds buys nothing here and costs minutes on two cores.
  step "cargo-leptos $CARGO_LEPTOS_VERSION: installing (found '${current:-none}'; takes ~15 minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

# --- wasm-bindgen CLI, the exact version of the library in Cargo.lock ----------------------
[[ -f Cargo.lock ]] || cargo generate-lockfile
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[[ -n $wb_version ]] || fail "no wasm-bindgen in Cargo.lock"
current=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [[ $current == "$wb_version" ]]; then
  step "wasm-bindgen-cli $wb_version: present"
else
  # Not --locked: one of the CLI's locked dependencies has been removed from the registry.
  step "wasm-bindgen-cli $wb_version: installing (found '${current:-none}'; takes ~2 minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "$wb_version" --force
fi

# --- Node packages (npm ci only when the lock file changed) ----------------------------------
npm_install() {
  local dir=$1 stamp lock_sum
  have npm || fail "npm is not installed (needed in $dir/)"
  stamp="$dir/node_modules/.bootstrap-lock-sha256"
  lock_sum=$(sha256sum "$dir/package-lock.json" | awk '{print $1}')
  if [[ -f $stamp && $(cat "$stamp") == "$lock_sum" ]]; then
    step "node packages in $dir/: present"
  else
    step "node packages in $dir/: installing (npm ci)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" >"$stamp"
  fi
}

if [[ $profile == test ]]; then
  # wasm-opt for release builds: Debian's binaryen 108 emits modules that fail at hydrate, so
  # the project pins binaryen from npm (tools/package.json); scripts put tools/node_modules/.bin
  # first on PATH.
  npm_install tools
  "$root/tools/node_modules/.bin/wasm-opt" --version >/dev/null || fail "wasm-opt from tools/ does not run"
  npm_install end2end
  # The React side: the npm runtime's build and test workspace (the package itself has no
  # dependencies to install), the example React app, and the fresh Vite app of the React guide.
  npm_install packages/mizan-react/test
  npm_install examples/react-app
  npm_install examples/vite-fresh

  # --- Chromium for the end-to-end tests (Debian's package; Playwright never downloads one) ----
  if have chromium; then
    step "chromium: present ($(chromium --version 2>/dev/null | head -1))"
  else
    debian_install chromium
  fi

  # --- PostgreSQL for the tests on it (Debian's package; each test starts a server of its own) ---
  if compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    step "postgresql: present ($(ls /usr/lib/postgresql | sort -n | tail -1))"
  else
    debian_install postgresql
  fi

  # --- redis-server and nginx for the tests of several nodes (Debian's packages; the tests start
  # their own servers on loopback, never the system's) --------------------------------------
  for package in redis-server nginx; do
    if have "$package" || [[ -x /usr/sbin/$package ]]; then
      step "$package: present"
    else
      debian_install "$package"
    fi
  done
fi

# --- the desktop app: WebKitGTK 4.1 and GTK to build it, Xvfb to run its self-test, ImageMagick
# for the screenshot of its window ------------------------------------------------------------
if [[ $profile == test || $profile == desktop || $profile == package ]]; then
  # The desktop app shows the release site, whose build runs wasm-opt from tools/.
  [[ $profile == test ]] || npm_install tools
  if pkg-config --exists webkit2gtk-4.1 gtk+-3.0 2>/dev/null && have xvfb-run && have import; then
    step "WebKitGTK 4.1, GTK 3, Xvfb, ImageMagick: present"
  else
    debian_install pkg-config libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev xvfb xauth imagemagick
  fi
fi

# --- the desktop app's Debian package: cargo-deb, and dpkg-shlibdeps for its dependencies ----
if [[ $profile == package ]]; then
  current=$(cargo deb --version 2>/dev/null | awk '{print $NF}' || true)
  if [[ $current == "$CARGO_DEB_VERSION" ]]; then
    step "cargo-deb $CARGO_DEB_VERSION: present"
  else
    step "cargo-deb $CARGO_DEB_VERSION: installing (found '${current:-none}'; takes ~1 minute)"
    cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION"
  fi
  if have dpkg-shlibdeps; then
    step "dpkg-dev: present"
  else
    debian_install dpkg-dev
  fi
fi

step "done ($profile)"
