#!/usr/bin/env bash
# Sanitizer runs for tools/test.sh --sanitize (sourced after setup.sh and
# pg_ephemeral.sh, with PostgreSQL started):
#   awf_test_asan: every ctest suite under AddressSanitizer (with
#                  LeakSanitizer) and UBSan, in the clang build that also
#                  holds the fuzz targets (build-fuzz/, see setup.sh);
#   awf_test_tsan: the network edge's unit suite under ThreadSanitizer, in
#                  build-tsan/ (see there why not the actor suites yet).
# Each build has its own folder, so the plain build/ is never rebuilt. A
# finding fails the process that made it: the test binary, or the awf-syncd
# a network test started (its fixture fails the test on a non-zero exit).

AWF_TSAN_BUILD_DIR=${AWF_TSAN_BUILD_DIR:-$AWF_ROOT/build-tsan}

# The suites ThreadSanitizer runs (ctest names), and the targets they need.
# Debian's libcaf_core is not instrumented and its mailboxes are lock-free, so
# TSan sees no order between sending a message and running its handler: a
# correct request/response between two actors gave 33 to 50 reports a run.
# Until an instrumented CAF can be had from Debian's packages, TSan runs the
# suites whose threads meet without CAF (the edge's shared limiters, hub and
# counters); the actor and end-to-end suites run under ASan and UBSan only.
AWF_TSAN_TESTS='^net_unit$'
AWF_TSAN_TARGETS="awf_net_unit_tests"

# Sanitizer findings print a stack and make the process exit non-zero.
# Timeouts are scaled: sanitized code runs several times slower.
awf_sanitizer_ctest() {
  rm -f Testing/Temporary/LastTestsFailed.log
  ctest --output-on-failure --timeout 2400 -j"$(nproc)" "$@"
}

# Names the suites that failed in the last ctest run of each build folder.
awf_sanitizer_summary() {
  local dir failed
  for dir in "$@"; do
    failed="$dir/Testing/Temporary/LastTestsFailed.log"
    if [ -s "$failed" ]; then
      echo "sanitize: failed in $dir:"
      sed 's/^/  /' "$failed"
    fi
  done
}

# The options of each run (the network fixture hands them to awf-syncd).
awf_asan_environment() {
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
  export LSAN_OPTIONS="suppressions=$AWF_ROOT/tools/lsan.supp"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
}

# Reports do not stop the process (a run shows all its races); it still
# exits non-zero at the end when there was one.
awf_tsan_environment() {
  export TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:suppressions=$AWF_ROOT/tools/tsan.supp"
}

# Both are called as `awf_test_… || status=1`, where set -e does not apply:
# each step returns on failure itself.
awf_test_asan() {
  awf_install_dependencies AWF_FUZZ_PACKAGES || return 1
  awf_build "$AWF_FUZZ_BUILD_DIR" "${AWF_FUZZ_CMAKE_ARGS[@]}" || return 1
  (
    cd "$AWF_FUZZ_BUILD_DIR"
    awf_asan_environment
    echo "sanitize: AddressSanitizer + UBSan, every suite ($AWF_FUZZ_BUILD_DIR)"
    awf_sanitizer_ctest "$@"
  )
}

awf_test_tsan() {
  AWF_BUILD_TARGETS=$AWF_TSAN_TARGETS awf_build "$AWF_TSAN_BUILD_DIR" \
    -DAWF_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug \
    "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" || return 1
  (
    cd "$AWF_TSAN_BUILD_DIR"
    awf_tsan_environment
    echo "sanitize: ThreadSanitizer, the network unit suite ($AWF_TSAN_BUILD_DIR)"
    awf_sanitizer_ctest -R "$AWF_TSAN_TESTS" "$@"
  )
}
