#!/usr/bin/env bash
# The whole test run, in order, stopping at the first failure (`make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

started=$SECONDS
current=""
on_exit() {
  local rc=$?
  stop_postgres
  if [ $rc -ne 0 ] && [ -n "$current" ]; then
    printf '\n\033[31mFAILED at step: %s (exit %s)\033[0m\n' "$current" "$rc" >&2
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

check() { current="$1"; step "$1"; }

check "toolchain (installs what is missing)"
scripts/bootstrap.sh test

check "formatting: cargo fmt --check"
cargo fmt --all --check

check "clippy, server build (ssr), warnings are errors"
cargo clippy -p app -p server --features app/ssr --all-targets -- -D warnings

check "clippy, browser build (hydrate, wasm32), warnings are errors"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

check "unit tests"
cargo test -p app -p server --features app/ssr --lib

check "integration suite against SQLite and PostgreSQL"
start_postgres
echo "PostgreSQL $("$(pg_bindir)/postgres" --version | awk '{print $3}') on port $PG_PORT (throwaway cluster in $PG_TMP)"
# Each test runs once per backend: its name starts with sqlite:: or postgres::.
cargo test -p server --test '*'
stop_postgres

check "API contract: Schemathesis against the server's own OpenAPI document"
scripts/api-contract.sh

check "the browser bundle links no server crates"
server_crates="$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none \
  | awk '{print $1}' | grep -xE 'sqlx|sqlx-core|tokio|axum|leptos_axum' | sort -u || true)"
if [ -n "$server_crates" ]; then
  echo "server-only crates in the wasm dependency tree: $server_crates" >&2
  exit 1
fi
echo "none of sqlx, tokio, axum, leptos_axum in the wasm tree"

check "site build (debug server, release WASM bundle with wasm-opt)"
scripts/build-site.sh test

check "end-to-end: Playwright in Chromium, hydrated and with JavaScript off"
(cd end2end && SITREP_BIN=../target/debug/sitrep SITREP_SITE_ROOT=../target/site \
  E2E_PORT="$(free_port)" E2E_SMTP_PORT="$(free_port)" E2E_DEMO_PORT="$(free_port)" npx playwright test)

current=""
step "all checks passed in $((SECONDS - started)) s"
