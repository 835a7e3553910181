#!/usr/bin/env bash
# Installs what is missing, builds, starts a throwaway PostgreSQL 15, and runs
# every test through ctest: each database suite runs on SQLite and on
# PostgreSQL. Extra arguments go to ctest (e.g. tools/test.sh -R core).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
source "$AWF_ROOT/tools/pg_ephemeral.sh"

awf_install_dependencies
awf_build
pg_ephemeral_start
cd "$AWF_BUILD_DIR"
ctest --output-on-failure --timeout 1200 -j"$(nproc)" "$@"
