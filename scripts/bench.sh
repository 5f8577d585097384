#!/usr/bin/env bash
# `make bench`: the API benchmark against a release server, on the embedded SQLite
# and on a throwaway PostgreSQL cluster. Extra arguments go to api-bench
# (e.g. --seconds 10 --clients 10).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_postgres EXIT

step "building the release server and the benchmark"
cargo build --release -p server --bins

step "API benchmark: SQLite"
target/release/api-bench --server target/release/sitrep "$@"

step "API benchmark: PostgreSQL"
start_postgres
target/release/api-bench --server target/release/sitrep --database-url "$SITREP_TEST_POSTGRES_URL" "$@"
