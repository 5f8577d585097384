#!/usr/bin/env bash
# `make report`: the whole performance and reliability report, one Markdown file with
# the commit and the machine it was measured on: every `make bench` benchmark (REST
# API, status pages, live fan-out with misbehaving clients, customer communication,
# SLA engine, page renders under load, first load), the fault scenarios, the fuzz run
# and a soak.
#   scripts/report.sh
# Environment: REPORT_SOAK_MINUTES (default 30), REPORT_FUZZ_CASES (default 100000).
# Writes target/report/report.md; each section's full output is in
# target/report/<section>.log. Takes about an hour on 2 cores with the defaults.
# Exits non-zero if a section failed or printed a FAIL line (the report is still written).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

soak_minutes=${REPORT_SOAK_MINUTES:-30}
fuzz_cases=${REPORT_FUZZ_CASES:-100000}
dir=target/report
mkdir -p "$dir"
report=$dir/report.md
body=$dir/sections.md
summary=$dir/summary.md
: >"$body"
: >"$summary"
failed=0

# Runs one section: its command's stdout (escape codes and step banners dropped) goes
# into the report; its stderr and stdout into the section's log.
section() { # name, title, command...
    local name=$1 title=$2
    shift 2
    step "$title"
    local started=$SECONDS
    "$@" 2>"$dir/$name.err" | tee "$dir/$name.log"
    local status=${PIPESTATUS[0]}
    local took=$((SECONDS - started))
    local verdict="✓"
    if ((status != 0)) || grep -q '^FAIL' "$dir/$name.log"; then
        verdict="✗"
        failed=1
    fi
    printf '| %s | %s | %d min %02d s | `%s` |\n' "$title" "$verdict" $((took / 60)) $((took % 60)) "$*" >>"$summary"
    {
        printf '\n## %s\n\n`%s` (%s, exit %d)\n\n' "$title" "$*" "$verdict" "$status"
        sed -e 's/\x1b\[[0-9;]*m//g' -e '/^==> /d' "$dir/$name.log"
        if ((status != 0)); then
            printf '\n```\n'
            tail -n 30 "$dir/$name.err"
            printf '```\n'
        fi
    } >>"$body"
}

# The integration tests' printed figures, against a PostgreSQL of their own.
fault_tests() { # test file, name filter ("" for all), then environment assignments
    local file=$1 filter=$2
    shift 2
    (
        start_postgres >/dev/null
        trap stop_postgres EXIT
        env "$@" cargo test -q -p server --test "$file" -- --nocapture --test-threads=1 $filter
    )
}

step "building the release server and the benchmarks"
cargo build --release -p server --bins || die "the release build failed"

section api "REST API" scripts/bench.sh api
section status "Status pages" scripts/bench.sh status
section live "Live fan-out and misbehaving clients" scripts/bench.sh live
section comms "Customer communication" scripts/bench.sh comms
section sla "SLA engine" scripts/bench.sh sla
section pages "Page renders under load" scripts/bench.sh pages
section firstload "First load of the war room" scripts/bench.sh firstload
section faults "Fault scenarios" fault_tests faults ""
section kill_long "kill -9 under 1,000 viewers (10 s before and after)" fault_tests faults \
    every_acknowledged_post_survives_a_kill_9 SITREP_FAULT_VIEWERS=1000 SITREP_FAULT_SECONDS=10
section fuzz "Fuzzed input ($fuzz_cases cases)" fault_tests fuzz "" "SITREP_FUZZ_CASES=$fuzz_cases"
section soak "Soak ($soak_minutes min)" scripts/bench.sh soak --minutes "$soak_minutes"

commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo " (with uncommitted changes)" || true)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
memory=$(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)
{
    printf '# Sitrep performance and reliability report\n\n'
    printf -- '- commit: %s%s\n' "$commit" "$dirty"
    printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf -- '- machine: %s, %s cores, %s; %s\n' "$cpu" "$(nproc)" "$memory" "$(uname -sr)"
    printf -- '- toolchain: %s; PostgreSQL %s\n' "$(rustc --version)" "$("$(pg_bindir)/postgres" --version | awk '{print $3}')"
    printf '\n| section | passed | took | command |\n|---|---|---:|---|\n'
    cat "$summary"
    cat "$body"
} >"$report"
rm -f "$body" "$summary"
step "report written to $report"
exit $failed
