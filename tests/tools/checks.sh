# The pass/fail bookkeeping of the black-box tool tests (sourced).
# check NAME COMMAND...  passes when COMMAND succeeds;
# pass / fail MESSAGE    count one check by hand;
# report_checks          prints the totals and exits 1 when one failed.

passed=0
failed=0

pass() { passed=$((passed + 1)); }

fail() {
  failed=$((failed + 1))
  echo "FAIL: $*" >&2
}

check() {
  local name=$1
  shift
  if "$@"; then pass; else fail "$name"; fi
}

report_checks() {
  echo "$passed passed, $failed failed"
  ((failed == 0)) || exit 1
}
