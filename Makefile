# Sitrep: the two commands most people need are `make run` and `make test`.
.PHONY: run demo test bench report dev site bootstrap clean

## run: install what is missing, build (release), serve http://127.0.0.1:3000 on ./data/sitrep.db
run:
	scripts/run.sh

## demo: like run, with demo teams, systems and incidents in an empty database
demo:
	scripts/run.sh --demo

## test: fmt, clippy, unit, integration (SQLite + PostgreSQL), wasm tree, site build, Playwright
test:
	scripts/test.sh

## bench: API, live fan-out and customer-communication benchmarks (release builds, SQLite and PostgreSQL), print tables
bench:
	scripts/bench.sh

## report: every benchmark, the fault scenarios, a 100,000-case fuzz run and a 30-minute soak, written to target/report/report.md (about an hour)
report:
	scripts/report.sh

## dev: cargo leptos watch (installs cargo-leptos on first use)
dev:
	scripts/dev.sh

## site: release build of server and browser bundle into target/site
site:
	scripts/build-site.sh release

## bootstrap: install the toolchain only
bootstrap:
	scripts/bootstrap.sh test

clean:
	cargo clean
	rm -rf node_modules end2end/node_modules
