# Shared helpers for the project's scripts (sourced, not run).

# Tools installed with `cargo install` land here; a fresh shell may not have it on PATH.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\n\033[31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }
# Directory of the PostgreSQL server binaries (Debian puts them outside PATH).
pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  echo /usr/lib/postgresql/15/bin
}
# A TCP port nobody listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Runs a PostgreSQL server binary as the `postgres` user when we are root (initdb
# refuses to run as root), as ourselves otherwise.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# Starts a throwaway PostgreSQL cluster in a temp dir on a free port and exports
# SITREP_TEST_POSTGRES_URL. Pair with stop_postgres (e.g. in an EXIT trap).
start_postgres() {
  local bindir; bindir="$(pg_bindir)"
  PG_TMP="$(mktemp -d /tmp/sitrep-pg.XXXXXX)"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_TMP"
  PG_PORT="$(free_port)"
  as_postgres "$bindir/initdb" -D "$PG_TMP/data" --auth=trust -U postgres -E UTF8 >"$PG_TMP/initdb.log" 2>&1 \
    || { cat "$PG_TMP/initdb.log"; die "initdb failed"; }
  # fsync off: a throwaway test cluster trades durability for speed.
  as_postgres "$bindir/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$PG_TMP/server.log"; die "PostgreSQL did not start"; }
  export SITREP_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
}
stop_postgres() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP/data" ]; then
    as_postgres "$(pg_bindir)/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
