#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 for tests and benchmarks.
#
#   source tools/pg_ephemeral.sh && pg_ephemeral_start
#
# exports AWF_TEST_PG_URL and registers pg_ephemeral_stop on EXIT, so the
# server stops even when the caller fails. PostgreSQL refuses to run as root,
# so as root it runs as the `postgres` user in a directory chowned to it.

pg_ephemeral_bin() {
  local dir
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return 0; }
  done
  command -v pg_ctl >/dev/null && dirname "$(command -v pg_ctl)" && return 0
  echo "pg_ephemeral: no PostgreSQL server binaries found" >&2
  return 1
}

pg_ephemeral_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_ephemeral_free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

pg_ephemeral_stop() {
  [ -n "${PG_EPHEMERAL_DIR:-}" ] || return 0
  pg_ephemeral_as_owner "$PG_EPHEMERAL_BIN/pg_ctl" -D "$PG_EPHEMERAL_DIR/data" \
    -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_EPHEMERAL_DIR"
  PG_EPHEMERAL_DIR=
}

pg_ephemeral_start() {
  PG_EPHEMERAL_BIN=$(pg_ephemeral_bin) || return 1
  PG_EPHEMERAL_DIR=$(mktemp -d /tmp/awf-pg.XXXXXX)
  trap pg_ephemeral_stop EXIT
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_EPHEMERAL_DIR"
  local port
  port=$(pg_ephemeral_free_port)
  pg_ephemeral_as_owner "$PG_EPHEMERAL_BIN/initdb" -D "$PG_EPHEMERAL_DIR/data" \
    -U awf --auth=trust -E UTF8 --locale=C.UTF-8 >"$PG_EPHEMERAL_DIR/initdb.log" 2>&1 \
    || { cat "$PG_EPHEMERAL_DIR/initdb.log" >&2; return 1; }
  pg_ephemeral_as_owner "$PG_EPHEMERAL_BIN/pg_ctl" -D "$PG_EPHEMERAL_DIR/data" \
    -l "$PG_EPHEMERAL_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_EPHEMERAL_DIR -c listen_addresses='' -c fsync=on -c max_connections=200" \
    start >/dev/null || { cat "$PG_EPHEMERAL_DIR/server.log" >&2; return 1; }
  pg_ephemeral_as_owner "$PG_EPHEMERAL_BIN/createdb" -h "$PG_EPHEMERAL_DIR" \
    -p "$port" -U awf awf || return 1
  export AWF_TEST_PG_URL="postgresql://awf@/awf?host=$PG_EPHEMERAL_DIR&port=$port"
  echo "pg_ephemeral: PostgreSQL $("$PG_EPHEMERAL_BIN/postgres" --version | awk '{print $3}') on port $port ($PG_EPHEMERAL_DIR)"
}
