#!/usr/bin/env bash
# Builds the server binary and the browser bundle into target/site, the layout
# cargo-leptos produces, by calling cargo and wasm-bindgen directly (see README:
# installing cargo-leptos costs ~26 min of compiling on a 2-core machine).
#
# Usage: scripts/build-site.sh [release|dev|test]
#   release  optimised server and size-optimised WASM (what `make run` serves)
#   dev      debug server and debug WASM (fast to build)
#   test     debug server and the release WASM: the browser tests exercise the
#            bundle users get (wasm-opt included) without a second server build
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

mode="${1:-release}"
site=target/site
pkg="$site/pkg"

case "$mode" in
  release) server_flags=(--release); wasm_profile=wasm-release; wasm_dir=wasm-release ;;
  dev)     server_flags=();          wasm_profile=dev;          wasm_dir=debug ;;
  test)    server_flags=();          wasm_profile=wasm-release; wasm_dir=wasm-release ;;
  *) die "unknown build mode '$mode' (use release, dev or test)" ;;
esac

step "building the server ($mode)"
cargo build -p server --bin sitrep "${server_flags[@]}"

step "building the browser bundle ($mode)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile "$wasm_profile"

step "building the bundle splitter (tools/wasm-split)"
cargo build --release -p wasm-split-tool

rm -rf "$site"
mkdir -p "$pkg"
out="target/wasm32-unknown-unknown/$wasm_dir"
# The lazy routes' code (app/src/lazy_pages.rs) moves into chunks fetched on first
# use; what is left is the main module, which wasm-bindgen then processes. It must
# keep the function table's export: the chunks' loader needs it.
step "splitting the bundle at the lazy routes"
target/release/wasm-split "$out/frontend.wasm" "$pkg" "$out/frontend_split.wasm" sitrep
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
  --out-dir "$pkg" --out-name sitrep "$out/frontend_split.wasm"
if [ "$wasm_profile" = wasm-release ]; then
  step "optimising the WASM for size (wasm-opt)"
  # No feature flags: wasm-opt reads the features the module declares. Forcing
  # --all-features emits encodings browsers reject ("Invalid import kind").
  for module in "$pkg"/*.wasm; do
    node_modules/.bin/wasm-opt -Oz "$module" -o "$module"
  done
fi
cp style/main.css "$pkg/sitrep.css"
# The bundle moves into a directory named by its content (the server reads the name
# from pkg/bundle and caches what is under it for good), with brotli and gzip copies.
find "$pkg" -name '*.d.ts' -delete
bundle="$(cd "$pkg" && find . -type f | sort | xargs cat | sha256sum | cut -c1-16)"
staged="$(mktemp -d)"
mv "$pkg"/* "$staged/"
mv "$staged" "$pkg/$bundle"
chmod 755 "$pkg/$bundle"
step "compressing the bundle (brotli, gzip)"
find "$pkg/$bundle" -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.css' \) -print0 \
  | xargs -0 node scripts/compress.mjs
echo "$bundle" > "$pkg/bundle"
cp -r public/. "$site/"
step "site built in $site ($(du -sh "$pkg/$bundle/sitrep_bg.wasm" | cut -f1) of WASM, bundle $bundle)"
