#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (clang, ASan, UBSan) into build-fuzz/
# (where tools/test.sh --sanitize runs the test suites) and runs one target, or all, for SECONDS each on a copy of its seed corpus
# (fuzz/corpus/TARGET). Prints executions, time and coverage per target and
# exits non-zero when a target crashes, leaks, times out or runs out of
# memory; the input that did it is kept in build-fuzz/artifacts/TARGET/.
#   tools/fuzz.sh json_patch 60
#   tools/fuzz.sh all 60
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# Those of core/, then those of the network edge; a run builds only what
# its targets need.
all_targets=(json_parse json_patch turn_decode sync_up_request http_request)

usage() {
  echo "usage: tools/fuzz.sh TARGET|all SECONDS   (targets: ${all_targets[*]})" >&2
  exit 2
}
[ $# -eq 2 ] || usage
[[ $2 =~ ^[0-9]+$ ]] || usage
seconds=$2
if [ "$1" = all ]; then
  targets=("${all_targets[@]}")
else
  [[ " ${all_targets[*]} " == *" $1 "* ]] || usage
  targets=("$1")
fi

awf_install_dependencies
awf_install_dependencies AWF_FUZZ_PACKAGES
build=$AWF_FUZZ_BUILD_DIR
AWF_BUILD_TARGETS="${targets[*]/#/fuzz_}" \
  awf_build "$build" "${AWF_FUZZ_CMAKE_ARGS[@]}"

failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  artifacts="$build/artifacts/$t/"
  log="$build/fuzz-$t.log"
  rm -rf "$corpus"
  mkdir -p "$corpus" "$artifacts"
  cp -r "$AWF_ROOT/fuzz/corpus/$t/." "$corpus/"
  echo "fuzz: running $t for ${seconds}s (log: $log)"
  status=0
  "$build/fuzz/fuzz_$t" "$corpus" -max_total_time="$seconds" \
    -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corpus_size=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
  line="$t: ${execs:-?} executions in ${seconds}s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corpus_size:-?}"
  if [ "$status" -ne 0 ]; then
    line="$line: FAILED (exit $status; see $log and $artifacts)"
    failed+=("$t")
    grep -E "ERROR|SUMMARY|invariant|Test unit written" "$log" | head -5 >&2 || true
  fi
  summary+=("$line")
  echo "fuzz: $line"
done

echo "fuzz: summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
