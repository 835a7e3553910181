#!/usr/bin/env bash
# Installs what is missing, builds, and shows how to use what exists.
# The sync server (awf-syncd on 127.0.0.1:8080) arrives with the sync-server
# issue; until then this script builds the save engine and its tools.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

awf_install_dependencies
awf_build
bin="$AWF_BUILD_DIR/tools"
cat <<MSG

Built into $AWF_BUILD_DIR. Try the save engine's tools:

  echo '{"b": 2, "a": [1, 2.50, "é"]}' | $bin/awfsync canon
  echo '{"hp": 10}' | $bin/awfsync hash
  echo '{"hp": 10, "items": [1, 2]}' > /tmp/old.json
  echo '{"hp": 9, "items": [1, 3, 2]}' > /tmp/new.json
  $bin/awfsync diff /tmp/old.json /tmp/new.json
  CLOUD_SYNC_DATA_DIR=./var $bin/awfsync token --user player-1
  $bin/awf-bench --turns 500 --backend sqlite

Run the tests with tools/test.sh. The HTTP/WebSocket server (awf-syncd) is
not built yet: it comes with the sync-server issue.
MSG
