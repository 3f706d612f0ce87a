#!/usr/bin/env bash
# A crate whose `ssr` feature turns on Leptos' but forgets mizan's gets one error per `#[client]`
# function, naming the fix, and no other error (crates/mizan-macros/tests/forgot-ssr).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/forgot-ssr"
rm -rf "$work"
mkdir -p "$work"
cp -r "$root/crates/mizan-macros/tests/forgot-ssr/." "$work/"
sed -i "s|path = \"../../../mizan\"|path = \"$root/crates/mizan\"|" "$work/Cargo.toml"
# The workspace's lock file: the same versions as every other build here.
cp "$root/Cargo.lock" "$work/Cargo.lock"

if output=$(CARGO_TARGET_DIR="$root/target" cargo check --quiet --manifest-path "$work/Cargo.toml" \
  --features ssr --message-format short 2>&1); then
  echo "forgot-ssr: the crate compiled; it must not" >&2
  exit 1
fi
errors=$(grep -E '(^|: )error' <<<"$output" | grep -v 'could not compile' || true)
expected="this crate's \`ssr\` feature does not enable mizan's"
clear=$(grep -c -F "$expected" <<<"$errors" || true)
total=$(grep -c . <<<"$errors" || true)
if [[ $clear -ne 2 || $total -ne 2 ]]; then
  echo "forgot-ssr: expected exactly 2 errors, each naming the fix; got $total ($clear clear):" >&2
  echo "$output" >&2
  exit 1
fi
echo "forgot-ssr: 2 functions, 2 errors, each naming the fix"
