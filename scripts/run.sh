#!/usr/bin/env bash
# `make run`: install what is missing, build in release mode, start on the embedded
# SQLite database. Extra arguments go to the server (see `--help`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/bootstrap.sh run
scripts/build-site.sh release
step "starting Sitrep (Ctrl-C stops it)"
export SITREP_SITE_ROOT="${SITREP_SITE_ROOT:-target/site}"
exec target/release/sitrep "$@"
