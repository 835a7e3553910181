#!/usr/bin/env bash
# Measures the sync server the way docs/performance.md reports it: awf-syncd
# pinned to one core, awf-load to another, a fresh data directory, and the
# server's CPU, disk writes and database size per turn beside awf-load's own
# report.
#
#   tools/sync_bench.sh [--build DIR] [--load AWF_LOAD] [--db postgresql://...]
#                       [--server-cpu N] [--load-cpu N] [--keep-data]
#                       [-- AWF_LOAD_ARGS...]
#
# --build names the build folder of awf-syncd (and of awf-load, unless
# --load names another binary, e.g. to compare two servers with one load
# tester). Defaults: --build build, SQLite in a temporary directory (the durable
# default, synchronous=FULL), server on CPU 0, awf-load on CPU 1, and
# `--devices 1000 --duration 20 --threads 1`. Prints one JSON object:
# awf-load's --json report plus server_cpu_us_per_turn_proc (from
# /proc/PID/stat), server_write_bytes_per_turn (/proc/PID/io write_bytes),
# db_bytes_per_turn (database files after the server stopped) and
# wal_left (bytes of WAL left after a clean stop; SQLite only) and
# server_sync_up_p95_ms (the server's own p95 from /metrics). --keep-data
# leaves the data directory (named in the report as data_dir), e.g. to see
# where the bytes went with `sqlite3 DB "SELECT name, SUM(pgsize) FROM dbstat
# GROUP BY name"`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$root/build load="" db="" server_cpu=0 load_cpu=1 keep=""
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --load) load=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --server-cpu) server_cpu=$2; shift 2 ;;
    --load-cpu) load_cpu=$2; shift 2 ;;
    --keep-data) keep=1; shift ;;
    --) shift; break ;;
    *) echo "sync_bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
load_args=("$@")
[ ${#load_args[@]} -gt 0 ] || load_args=(--devices 1000 --duration 20 --threads 1)

data=$(mktemp -d /tmp/awf-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server_log=$data/server.log
env_args=(CLOUD_SYNC_MAX_CONNECTIONS_PER_IP=0)
[ -n "$db" ] && env_args+=("CLOUD_SYNC_DB=$db")
env "${env_args[@]}" taskset -c "$server_cpu" "$build/tools/awf-syncd" \
  --listen "127.0.0.1:$port" --data-dir "$data" >"$server_log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
written() { awk '/^write_bytes/ {print $2}' "/proc/$server/io"; }
cpu0=$(ticks) io0=$(written)
report=$(taskset -c "$load_cpu" "${load:-$build/tools/awf-load}" \
  --url "http://127.0.0.1:$port" --data-dir "$data" --json "${load_args[@]}")
cpu1=$(ticks) io1=$(written)
# The server's own view of a sync up (from its parse to the engine's answer,
# before the reply is written): tells a server tail from a load tester's.
server_p95=$(curl -sf "http://127.0.0.1:$port/metrics" |
  awk '/^awf_sync_up_p95_ms / {print $2}')
kill -TERM $server
wait $server || true
if [ -n "$keep" ]; then trap - EXIT; else trap 'rm -rf "$data"' EXIT; fi

db_bytes=0 wal=0
if [ -z "$db" ]; then
  size() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }
  wal=$(size "$data/cloud-sync.db-wal")
  db_bytes=$(($(size "$data/cloud-sync.db") + wal))
fi
hz=$(getconf CLK_TCK)
python3 - "$report" "$cpu0" "$cpu1" "$io0" "$io1" "$db_bytes" "$wal" "$hz" \
  "${keep:+$data}" "${server_p95:-}" <<'PY'
import json, sys
report = json.loads(sys.argv[1])
cpu0, cpu1, io0, io1, db, wal, hz = map(int, sys.argv[2:9])
if sys.argv[9]:
    report["data_dir"] = sys.argv[9]
if sys.argv[10]:
    report["server_sync_up_p95_ms"] = float(sys.argv[10])
turns = max(report.get("turns", 0), 1)
report["server_cpu_us_per_turn_proc"] = round((cpu1 - cpu0) / hz * 1e6 / turns, 1)
report["server_write_bytes_per_turn"] = round((io1 - io0) / turns, 1)
report["db_bytes_per_turn"] = round(db / turns, 1) if db else None
report["wal_left"] = wal
print(json.dumps(report))
PY
