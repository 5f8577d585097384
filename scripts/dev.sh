#!/usr/bin/env bash
# `make dev`: the usual Leptos loop, rebuilding on change (cargo leptos watch).
# cargo-leptos is installed on first use: it compiles for ~26 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/bootstrap.sh run
if ! command -v cargo-leptos >/dev/null; then
  step "installing cargo-leptos 0.3.10 (0.3.11 needs a newer rustc)"
  cargo install cargo-leptos --version 0.3.10 --locked
fi
export PATH="$PWD/node_modules/.bin:$PATH" # wasm-opt for --release
exec cargo leptos watch "$@"
