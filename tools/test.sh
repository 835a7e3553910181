#!/usr/bin/env bash
# Installs what is missing, builds, starts a throwaway PostgreSQL 15, and runs
# every test through ctest: each database suite runs on SQLite and on
# PostgreSQL. Extra arguments go to ctest (e.g. tools/test.sh -R core).
#
# tools/test.sh --sanitize [CTEST_ARGS]: instead, every suite under
# AddressSanitizer and UBSan (the clang build-fuzz/), then the network unit
# suite under ThreadSanitizer (build-tsan/); see tools/sanitizers.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
source "$AWF_ROOT/tools/pg_ephemeral.sh"

if [ "${1:-}" = --sanitize ]; then
  shift
  source "$AWF_ROOT/tools/sanitizers.sh"
  awf_install_dependencies
  pg_ephemeral_start
  # Both runs go on when one fails, so CI shows every finding at once; the
  # failed suites are named again last, where a log's tail shows them.
  status=0
  awf_test_asan "$@" || status=1
  awf_test_tsan "$@" || status=1
  awf_sanitizer_summary "$AWF_FUZZ_BUILD_DIR" "$AWF_TSAN_BUILD_DIR"
  exit "$status"
fi

awf_install_dependencies
awf_build
pg_ephemeral_start
cd "$AWF_BUILD_DIR"
ctest --output-on-failure --timeout 1200 -j"$(nproc)" "$@"
