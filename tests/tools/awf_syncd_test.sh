#!/usr/bin/env bash
# Black-box test of the awf-syncd binary: what --help says about settings
# that do nothing yet, the warning at start when one is set, and the modes of
# the files a fresh server makes (data dir 0700; database, WAL, shared
# memory and secrets 0600) under a umask that would leave them readable.
# Usage: awf_syncd_test.sh AWF_SYNCD_BINARY
set -euo pipefail

syncd=${1:?usage: awf_syncd_test.sh AWF_SYNCD_BINARY}

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# mode_is PATH MODE: the permission bits of PATH are MODE (octal, e.g. 600).
mode_is() {
  local actual
  actual=$(stat -c %a "$1" 2>/dev/null) || return 1
  [[ $actual == "$2" ]] || { echo "$1 has mode $actual, not $2" >&2; return 1; }
}

# described_as HELP NAME TEXT: the --help entry of NAME (its line and the
# description that follows) contains TEXT.
described_as() {
  grep -A1 "^  $2 " <<<"$1" | grep -q "$3"
}

help_text() {
  local help
  help=$(env -i PATH="$PATH" "$syncd" --help)
  local name
  for name in CLOUD_SYNC_USER_QUOTA_MB CLOUD_SYNC_CLIENT_SEALED \
    CLOUD_SYNC_RETENTION_DAYS; do
    check "--help says $name is not enforced" \
      described_as "$help" "$name" "NOT ENFORCED YET"
  done
  check "--help lists working settings without that note" \
    described_as "$help" CLOUD_SYNC_ZSTD_LEVEL "zstd compression level"
  if described_as "$help" CLOUD_SYNC_ZSTD_LEVEL ENFORCED; then
    fail "--help says nothing of enforcement for working settings"
  else
    pass
  fi
}

# Starts the server on a free port with a fresh data dir; waits until it
# listens (its first line) or gives up after 60 s.
start_server() {
  local data=$1
  shift
  (umask 022 && exec env -i PATH="$PATH" CLOUD_SYNC_DATA_DIR="$data" \
    CLOUD_SYNC_LISTEN=127.0.0.1:0 "$@" "$syncd") \
    >"$tmp/out" 2>"$tmp/err" &
  server_pid=$!
  local i
  for ((i = 0; i < 600; i++)); do
    grep -q "listening on" "$tmp/out" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server did not start:" >&2
  cat "$tmp/out" "$tmp/err" >&2
  return 1
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
}

fresh_server() {
  local data=$tmp/data
  if ! start_server "$data" CLOUD_SYNC_USER_QUOTA_MB=1; then
    fail "server starts"
    return
  fi
  check "a set quota is warned about" grep -q \
    "WARNING: CLOUD_SYNC_USER_QUOTA_MB is set but not enforced yet" \
    "$tmp/err"
  check "data dir is 0700" mode_is "$data" 700
  local file
  for file in cloud-sync.db cloud-sync.db-wal cloud-sync.db-shm enc_keys \
    hmac_secret; do
    check "$file is 0600" mode_is "$data/$file" 600
  done
  stop_server
}

quiet_server() {
  if ! start_server "$tmp/quiet"; then
    fail "server starts without warnings"
    return
  fi
  check "no setting warning without one set" \
    bash -c '! grep -q "not enforced" "$0"' "$tmp/err"
  stop_server
}

help_text
fresh_server
quiet_server

report_checks
