#!/usr/bin/env bash
# `make bench`: the benchmarks against a release server, on the embedded SQLite and
# on a throwaway PostgreSQL.
#   scripts/bench.sh [api|status|live|comms|sla|pages|firstload|soak|all] [arguments for that benchmark]
# api:  REST operations (api-bench; e.g. --seconds 10 --clients 10)
# status: the public status page and its JSON summary read by concurrent gzip
#       clients, demo history plus 10 open incidents (status-bench; e.g. --seconds 10)
# live: websocket fan-out (live-bench; default here: 100, 1,000 and 5,000 viewers at
#       100 posts/s for 10 s each, 10,000 idle connections, and 1,000 viewers alone and
#       beside misbehaving clients with 10,000 connects and disconnects)
# comms: drafting a customer update from 10,000 entries, the scheduler's pass over
#       1,000 schedules, and the post-mortem draft of the same incident (comms-bench,
#       in-process on the database)
# firstload: the war room's first load in Chromium with an empty cache, unthrottled
#       and on Fast 3G (end2end/bench/first-load.mjs; e.g. --runs 5 --profile fast-3g),
#       against a release server with the demo data and the release site (built here
#       with scripts/build-site.sh release). SQLite only: the database plays no part.
# sla:  one SLA engine pass over 10,000 running clocks (sla-bench, in-process, no database)
# pages: 10,000 server-rendered pages (mostly war rooms) fetched 8 at a time under 20
#       posts/s, with the server's counts of retried renders and patched policies,
#       which must be 0 (page-bench; e.g. --pages 2000 --clients 4)
# soak: 30 minutes of mixed load with the server's RSS sampled each minute and its
#       slope reported (soak-bench; e.g. --minutes 5 --sample-seconds 10). SQLite only;
#       not part of `all` (it is part of `make report`).
# Arguments need a benchmark first; with them, live's defaults here are replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

FIRSTLOAD_PID=""
FIRSTLOAD_DIR=""
stop_firstload_server() {
    if [[ -n $FIRSTLOAD_PID ]]; then
        kill "$FIRSTLOAD_PID" 2>/dev/null || true
        wait "$FIRSTLOAD_PID" 2>/dev/null || true
        FIRSTLOAD_PID=""
    fi
    if [[ -n $FIRSTLOAD_DIR ]]; then
        rm -rf "$FIRSTLOAD_DIR"
        FIRSTLOAD_DIR=""
    fi
}
trap 'stop_firstload_server; stop_postgres' EXIT

which=all
case "${1:-}" in api | status | live | comms | sla | pages | firstload | soak | all) which=$1; shift ;; esac
if [[ $which == all && $# -gt 0 ]]; then
    echo "arguments go to one benchmark: scripts/bench.sh api|status|live|comms|sla|pages|firstload|soak $*" >&2
    exit 2
fi

if [[ $which != firstload ]]; then
    step "building the release server and the benchmarks"
    cargo build --release -p server --bins
fi

run_bench() { # name, backend label, then arguments
    local name=$1 label=$2
    shift 2
    step "$name benchmark: $label"
    "target/release/$name" --server target/release/sitrep "$@"
}

api_args=("$@")
live_args=("$@")
if [[ $# -eq 0 ]]; then live_args=(--viewers 100,1000,5000 --rate 100 --seconds 10 --idle 10000 --misbehaving 1000); fi

comms_bench() { # backend label, then arguments
    local label=$1
    shift
    step "comms benchmark: $label"
    target/release/comms-bench "$@"
}

# The release site (release server, size-optimised WASM, compressed copies), a demo
# server on a free port, and the browser benchmark against it.
firstload_bench() {
    step "building the release site"
    scripts/build-site.sh release
    if [[ ! -d end2end/node_modules/playwright ]]; then
        step "installing the end-to-end tools (Playwright; the browser is Debian's Chromium)"
        (cd end2end && npm ci)
    fi
    step "first-load benchmark: release server with the demo data"
    local port
    port="$(free_port)"
    FIRSTLOAD_DIR="$(mktemp -d /tmp/sitrep-firstload.XXXXXX)"
    SITREP_LISTEN="127.0.0.1:$port" SITREP_DATA_DIR="$FIRSTLOAD_DIR" SITREP_SITE_ROOT=target/site \
        RUST_LOG=warn target/release/sitrep --demo >"$FIRSTLOAD_DIR/server.log" 2>&1 &
    FIRSTLOAD_PID=$!
    local tries=0
    until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
        if ! kill -0 "$FIRSTLOAD_PID" 2>/dev/null || ((++tries > 300)); then
            cat "$FIRSTLOAD_DIR/server.log" >&2
            die "the demo server did not become ready on port $port"
        fi
        sleep 0.1
    done
    BENCH_URL="http://127.0.0.1:$port" node end2end/bench/first-load.mjs "$@"
    stop_firstload_server
}

if [[ $which == all || $which == api ]]; then run_bench api-bench SQLite "${api_args[@]}"; fi
if [[ $which == all || $which == status ]]; then run_bench status-bench SQLite "$@"; fi
if [[ $which == all || $which == live ]]; then run_bench live-bench SQLite "${live_args[@]}"; fi
if [[ $which == all || $which == comms ]]; then comms_bench SQLite "$@"; fi
if [[ $which == all || $which == sla ]]; then
    step "SLA engine benchmark (in-process)"
    target/release/sla-bench "$@"
fi
if [[ $which == all || $which == pages ]]; then run_bench page-bench SQLite "$@"; fi
if [[ $which == soak ]]; then run_bench soak-bench SQLite "$@"; fi
if [[ $which == all || $which == firstload ]]; then firstload_bench "$@"; fi
if [[ $which == firstload || $which == sla || $which == soak ]]; then exit 0; fi
start_postgres
postgres=(--database-url "$SITREP_TEST_POSTGRES_URL")
if [[ $which == all || $which == api ]]; then run_bench api-bench PostgreSQL "${postgres[@]}" "${api_args[@]}"; fi
if [[ $which == all || $which == status ]]; then run_bench status-bench PostgreSQL "${postgres[@]}" "$@"; fi
if [[ $which == all || $which == live ]]; then run_bench live-bench PostgreSQL "${postgres[@]}" "${live_args[@]}"; fi
if [[ $which == all || $which == comms ]]; then comms_bench PostgreSQL "${postgres[@]}" "$@"; fi
if [[ $which == all || $which == pages ]]; then run_bench page-bench PostgreSQL "${postgres[@]}" "$@"; fi
