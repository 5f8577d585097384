#!/usr/bin/env bash
# `make bench`: the benchmarks against a release server, on the embedded SQLite and
# on a throwaway PostgreSQL.
#   scripts/bench.sh [api|live|comms|all] [arguments for that benchmark binary]
# api:  REST operations (api-bench; e.g. --seconds 10 --clients 10)
# live: websocket fan-out (live-bench; default here: 100, 1,000 and 5,000 viewers at
#       100 posts/s for 10 s each, and 10,000 idle connections)
# comms: drafting a customer update from 10,000 entries, the scheduler's pass over
#       1,000 schedules (comms-bench, in-process on the database)
# Arguments need api or live first; with them, live's defaults here are replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
trap stop_postgres EXIT

which=all
case "${1:-}" in api | live | comms | all) which=$1; shift ;; esac
if [[ $which == all && $# -gt 0 ]]; then
    echo "arguments go to one benchmark: scripts/bench.sh api|live|comms $*" >&2
    exit 2
fi

step "building the release server and the benchmarks"
cargo build --release -p server --bins

run_bench() { # name, backend label, then arguments
    local name=$1 label=$2
    shift 2
    step "$name benchmark: $label"
    "target/release/$name" --server target/release/sitrep "$@"
}

api_args=("$@")
live_args=("$@")
if [[ $# -eq 0 ]]; then live_args=(--viewers 100,1000,5000 --rate 100 --seconds 10 --idle 10000); fi

comms_bench() { # backend label, then arguments
    local label=$1
    shift
    step "comms benchmark: $label"
    target/release/comms-bench "$@"
}

if [[ $which == all || $which == api ]]; then run_bench api-bench SQLite "${api_args[@]}"; fi
if [[ $which == all || $which == live ]]; then run_bench live-bench SQLite "${live_args[@]}"; fi
if [[ $which == all || $which == comms ]]; then comms_bench SQLite "$@"; fi
start_postgres
postgres=(--database-url "$SITREP_TEST_POSTGRES_URL")
if [[ $which == all || $which == api ]]; then run_bench api-bench PostgreSQL "${postgres[@]}" "${api_args[@]}"; fi
if [[ $which == all || $which == live ]]; then run_bench live-bench PostgreSQL "${postgres[@]}" "${live_args[@]}"; fi
if [[ $which == all || $which == comms ]]; then comms_bench PostgreSQL "${postgres[@]}" "$@"; fi
