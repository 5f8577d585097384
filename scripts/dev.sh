#!/usr/bin/env bash
# `make dev`: build the site (debug server, debug WASM, split at the lazy routes), run
# it, and build and restart whenever a source file changes. Extra arguments go to the
# server (e.g. --demo). Not cargo-leptos' watch: its splitter (wasm_split_cli_support
# 0.2.2 in cargo-leptos 0.3.10) cannot read wasm-bindgen 0.2.130's modules, and an
# unsplit bundle with lazy routes fails to load.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/bootstrap.sh run
export SITREP_SITE_ROOT="${SITREP_SITE_ROOT:-target/site}"
marker="$(mktemp)"
server=""
stop_server() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; server=""; }
trap 'stop_server; rm -f "$marker"' EXIT
trap 'exit 130' INT TERM
while true; do
  touch "$marker"
  if scripts/build-site.sh dev; then
    step "starting Sitrep (rebuilds when app/, server/, frontend/, style/ or public/ change; Ctrl-C stops it)"
    target/debug/sitrep "$@" &
    server=$!
  else
    step "build failed: waiting for a change"
  fi
  until find app server frontend style public -newer "$marker" -type f | grep -q .; do sleep 1; done
  stop_server
done
