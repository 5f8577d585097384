#!/usr/bin/env bash
# Installs every tool the build and the tests need, skipping what is already present.
# Only package registries are used (crates.io, npm, Debian apt): nothing downloads a
# prebuilt binary from elsewhere, which these machines cannot reach.
#
# Usage: scripts/bootstrap.sh [run|test]
#   run   what `make run` needs: wasm target, wasm-bindgen-cli, wasm-opt
#   test  additionally Chromium, PostgreSQL server binaries and Playwright (npm)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

want="${1:-test}"

# The CLI must match the wasm-bindgen crate version exactly; Cargo.toml pins it.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)"
[ -n "$WASM_BINDGEN_VERSION" ] || die "could not read the pinned wasm-bindgen version from Cargo.toml"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (compiles for ~4 min on 2 cores)"
  # Not --locked: that lock file names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm ci in a folder unless its node_modules matches its lock file already.
npm_ci_in() {
  local dir="$1"
  # npm rewrites node_modules/.package-lock.json on every install.
  if [ ! "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    step "installing npm packages in ${dir}"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
}
# wasm-opt for release builds comes from npm's binaryen package.
npm_ci_in .

apt_install() {
  step "installing Debian packages: $*"
  if [ -z "${SITREP_APT_UPDATED:-}" ]; then apt-get update -qq; export SITREP_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Schemathesis (PyPI) for the API contract run, pinned, in its own virtualenv.
SCHEMATHESIS_VERSION=4.32.5
schemathesis_in() {
  local venv=target/tools/schemathesis
  if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $3}')" != "$SCHEMATHESIS_VERSION" ]; then
    step "installing Schemathesis $SCHEMATHESIS_VERSION (PyPI) into $venv"
    python3 -m venv "$venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$venv"; }
    "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}

if [ "$want" = test ]; then
  [ -x /usr/bin/chromium ] || apt_install chromium
  [ -x "$(pg_bindir)/initdb" ] || apt_install postgresql
  command -v python3 >/dev/null || apt_install python3 python3-venv
  schemathesis_in
  npm_ci_in end2end
fi
step "toolchain ready"
