# Shared helpers for the project's scripts (sourced, not run).
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\n\033[31mFAILED: %s\033[0m\n' "$*" >&2; exit 1; }
# Directory of the PostgreSQL server binaries (Debian puts them outside PATH).
pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  echo /usr/lib/postgresql/15/bin
}
