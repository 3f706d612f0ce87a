# The project's two commands: `make dev` runs the example app, `make test` runs every test.
# Both bootstrap the tools they need first (scripts/bootstrap.sh; idempotent).
SHELL := bash
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: dev test bootstrap e2e bench desktop desktop-build desktop-deb

## Serve the example app on http://127.0.0.1:3000 with live reload, with the demo users
## (README: "Demo users"; a plain start of the server creates none).
dev:
	scripts/bootstrap.sh dev
	MIZAN_DEMO_USERS=1 cargo leptos watch --split --project mizan

## Run every test: fmt, clippy (ssr and hydrate), Rust tests, release build, browser tests.
## (The release build and the browser tests cover examples/todo too, the getting-started app.)
test:
	scripts/bootstrap.sh test
	scripts/test.sh

## Install the tools only.
bootstrap:
	scripts/bootstrap.sh test

## Only the browser tests, against an already built release (cargo leptos build --release --split).
e2e:
	scripts/e2e.sh

## Load benchmarks; writes docs/benchmarks.md (not part of `make test`: figures, not pass/fail).
bench:
	scripts/bench.sh

## Open the example app in a native window: its server in-process on a free loopback port, its
## SQLite file in the user's data directory (docs/desktop.md).
desktop: desktop-build
	target/release/mizan-desktop

## Build target/release/mizan-desktop and the release site it shows.
desktop-build:
	scripts/bootstrap.sh desktop
	PATH=$(CURDIR)/tools/node_modules/.bin:$$PATH cargo leptos build --release --split
	LEPTOS_OUTPUT_NAME=mizan cargo build --release -p desktop

## Build the desktop app's Debian package, target/debian/mizan-desktop_<version>_<arch>.deb
## (cargo-deb; docs/desktop.md).
desktop-deb:
	scripts/bootstrap.sh package
	$(MAKE) desktop-build
	cargo deb -p desktop --no-build
