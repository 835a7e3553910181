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
A development user token (player-1, valid 24 h) is in TOKEN below.

Try it from another terminal (paste the lines as they are):

  TOKEN=$token
  API=http://$listen/api/awf-cloud-sync
  field() { python3 -c "import json,sys; print(json.load(sys.stdin)\$1)"; }
  curl -s -w '\\n' http://$listen/healthz

  # Register a device: its sync token is shown once.
  DEV=\$(curl -s -X POST \$API/devices -H "Authorization: Bearer \$TOKEN" \\
        -d '{"device_id": "laptop", "label": "my laptop"}')
  SYNC=\$(echo "\$DEV" | field '["sync_token"]')

  # Create (or attach to) a save and sync a first turn.
  SAVE=\$(curl -s -X POST \$API/saves -H "Authorization: Bearer \$SYNC" \\
         -d '{"session_id": "my-first-game"}')
  SAVE_ID=\$(echo "\$SAVE" | field '["save_id"]')
  GENESIS=\$(echo "\$SAVE" | field '["head"]["chain_hash"]')
  curl -s -w '\\n' -X POST \$API/sync/up -H "Authorization: Bearer \$SYNC" -d '{
    "save_id": "'\$SAVE_ID'", "device_id": "laptop",
    "base": {"turn_id": 0, "chain_hash": "'\$GENESIS'"},
    "turns": [{"turn_id": 1, "state": {"hp": 10, "gold": 5}}]}'

  # Read it back as another device would.
  curl -s -w '\\n' "\$API/sync/down?save_id=\$SAVE_ID&since_turn=0" \\
       -H "Authorization: Bearer \$SYNC"

The API: docs/api.md. Live pushes: GET \$API/ws (WebSocket).
Tools: $bin/awfsync --help, $bin/awf-load --help, $bin/awf-bench --help.

MSG
exec "$bin/awf-syncd" --listen "$listen"
