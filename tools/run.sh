#!/usr/bin/env bash
# Installs what is missing, builds, and starts awf-syncd on SQLite at
# 127.0.0.1:8080 (data in ./var), printing how to try it. Ctrl-C stops it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

awf_install_dependencies
awf_build
bin="$AWF_BUILD_DIR/tools"
cd "$AWF_ROOT"
export CLOUD_SYNC_DATA_DIR=${CLOUD_SYNC_DATA_DIR:-./var}
listen=${CLOUD_SYNC_LISTEN:-127.0.0.1:8080}
token=$("$bin/awfsync" token --user player-1 --ttl 86400 2>/dev/null)
cat <<MSG

awf-syncd is starting on http://$listen (SQLite in $CLOUD_SYNC_DATA_DIR).
A development user token (player-1, valid 24 h):

  TOKEN=$token

Try it from another terminal:

  curl -s http://$listen/healthz
  curl -s -X POST http://$listen/api/awf-cloud-sync/saves \\
       -H "Authorization: Bearer \$TOKEN" -d '{"session_id": "my-first-game"}'
  curl -s http://$listen/api/awf-cloud-sync/saves -H "Authorization: Bearer \$TOKEN"

Devices, sync up/down and WebSocket pushes arrive with the sync-server issue.
The save engine's tools: $bin/awfsync --help, $bin/awf-bench --help.

MSG
exec "$bin/awf-syncd" --listen "$listen"
