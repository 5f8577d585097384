#!/usr/bin/env bash
# The REST API against its own OpenAPI document: starts the debug server on a fresh
# embedded database with a little data, then runs Schemathesis (every check, all
# phases, stateful included) with an admin's token. Exits non-zero on any failure.
#
# Usage: scripts/api-contract.sh [extra schemathesis run options, e.g. --max-examples 50]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

st="target/tools/schemathesis/bin/schemathesis"
[ -x "$st" ] || die "Schemathesis is missing: run scripts/bootstrap.sh test"
bin="target/debug/sitrep"
[ -x "$bin" ] || cargo build -p server --bin sitrep

data="$(mktemp -d)"
port="$(free_port)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

echo "admin-password-for-the-contract-run" |
  "$bin" --data-dir "$data" user add --email ada@example.com --name "Ada Admin" --role admin --password-stdin >/dev/null
token="$("$bin" --data-dir "$data" token create --user ada@example.com --name schemathesis | tail -1)"
SITREP_LISTEN="127.0.0.1:$port" SITREP_DATA_DIR="$data" SITREP_STATUS_RATE_LIMIT=0 RUST_LOG=error \
  "$bin" >"$data/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/readyz" >/dev/null || { cat "$data/server.log"; die "the server did not start"; }

# A team, a system, an account and an incident, so paths with keys reach real data.
seed() {
  curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "$2" "$base/api/v1/$1" || die "could not create the contract run's $1"
}
seed teams '{"slug":"payments","name":"Payments","lead_email":"dana@example.com","lead_name":"Dana Lee"}'
seed systems '{"slug":"payments-api","name":"Payments API","team":"payments"}'
seed accounts '{"slug":"acme","name":"Acme Corp","tier":"enterprise"}'
seed incidents '{"title":"Checkout failing for Acme","severity":"P1","systems":["payments-api"],"accounts":["acme"]}'

# Token and session routes are left out: the run would sign itself out or revoke its
# own token. The live route is a websocket.
"$st" --config-file server/tests/contract/schemathesis.toml run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all --phases examples,coverage,fuzzing,stateful \
  --exclude-path-regex '^/api/v1/(tokens|session|live)' \
  --max-examples 25 --seed 1 --no-color --workers 1 \
  "$@"
