#!/usr/bin/env bash
# Black-box test of awfsync (contract §9): RFC 8785 conformance of canon and
# hash, diff/patch round trips, the one-line exit-2 error rule and token
# minting with an environment or data-directory secret.
# Usage: awfsync_test.sh AWFSYNC_BINARY SOURCE_DIR
set -euo pipefail

awfsync=${1:?usage: awfsync_test.sh AWFSYNC_BINARY SOURCE_DIR}
source_dir=${2:?usage: awfsync_test.sh AWFSYNC_BINARY SOURCE_DIR}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

# Runs awfsync without the caller's CLOUD_SYNC_* variables, so only the ones
# a check names are seen: clean VAR=VALUE... -- ARGS...
clean() {
  local vars=()
  while [[ $1 != -- ]]; do
    vars+=("$1")
    shift
  done
  shift
  env -i PATH="$PATH" "${vars[@]}" "$awfsync" "$@"
}

# expect_invalid NAME ARGS...: awfsync exits 2, prints nothing on stdout and
# exactly one stderr line that starts with "awfsync: ".
expect_invalid() {
  local name=$1
  shift
  local status=0
  "$awfsync" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || status=$?
  invalid_outcome "$name" "$status"
}

invalid_outcome() {
  local name=$1 status=$2
  if [[ $status -eq 2 && ! -s $tmp/out && $(wc -l <"$tmp/err") -eq 1 \
    && $(head -n 1 "$tmp/err") == "awfsync: "* ]]; then
    pass
  else
    fail "$name: exit $status, stderr: $(head -c 300 "$tmp/err")"
  fi
}

# -- canon and hash against the RFC 8785 conformance data ---------------------

conformance() {
  local shared="$source_dir/../shared"
  if [[ ! -d $shared ]]; then
    echo "skipped: ../shared not found"
    [[ ${CI:-} == true ]] && exit 1
    return 0
  fi
  local jcs="$shared/conformance/jcs" input name expected
  for input in "$jcs"/input/*.json; do
    name=$(basename "$input")
    expected="$jcs/output/$name"
    check "canon $name" canon_matches "$expected" "$input"
    check "canon $name from stdin" canon_stdin_matches "$expected" "$input"
    check "hash $name" hash_matches "$expected" "$input"
  done
}

canon_matches() {
  "$awfsync" canon "$2" >"$tmp/canon" && cmp -s "$tmp/canon" "$1"
}

canon_stdin_matches() {
  "$awfsync" canon <"$2" >"$tmp/canon" && cmp -s "$tmp/canon" "$1"
}

hash_matches() {
  sha256sum <"$1" | cut -d ' ' -f 1 >"$tmp/want"
  "$awfsync" hash "$2" >"$tmp/hash" && cmp -s "$tmp/hash" "$tmp/want"
}

# -- diff and patch ---------------------------------------------------------

# round_trip OLD NEW: patch(OLD, diff(OLD, NEW)) has NEW's canonical bytes.
round_trip() {
  printf '%s' "$1" >"$tmp/old.json"
  printf '%s' "$2" >"$tmp/new.json"
  "$awfsync" diff "$tmp/old.json" "$tmp/new.json" >"$tmp/diff.json" \
    && "$awfsync" patch "$tmp/old.json" "$tmp/diff.json" >"$tmp/patched" \
    && "$awfsync" canon "$tmp/new.json" >"$tmp/want" \
    && cmp -s "$tmp/patched" "$tmp/want"
}

# prints_exactly EXPECTED ARGS...: awfsync's stdout is exactly EXPECTED.
prints_exactly() {
  local expected=$1
  shift
  "$awfsync" "$@" >"$tmp/out" && [[ $(cat "$tmp/out"; echo .) == "$expected." ]]
}

diff_and_patch() {
  check "round trip: objects" round_trip \
    '{"a":1,"b":[1,2,3],"c":{"d":"x"}}' \
    '{"a":2,"b":[1,3,4,5],"c":{"e":null},"f":true}'
  check "round trip: array middle" round_trip '[1,2,3,4,5]' '[1,2,9,4,5,6]'
  check "round trip: type change at the root" round_trip \
    '{"a":{"b":{"c":[]}}}' '"scalar"'
  check "round trip: from null" round_trip 'null' '{"x":1}'
  check "round trip: escaped pointer keys" round_trip \
    '{"a/b":1,"m~n":2,"":3}' '{"a/b":3,"":[{}]}'
  check "round trip: unicode and numbers" round_trip \
    '{"name":"caf\u00e9","n":[1e21,0.1,-0]}' '{"name":"\u20ac","n":[1e-7,36028797018963968]}'
  printf '%s' '{"b":[1,2],"a":1}' >"$tmp/same.json"
  check "diff of equal documents is []" \
    prints_exactly '[]' diff "$tmp/same.json" "$tmp/same.json"
  printf '%s' '[{"op":"add","path":"/c","value":{"z":1,"y":2}}]' \
    >"$tmp/add.json"
  check "patch prints canonical bytes" prints_exactly \
    '{"a":1,"b":[1,2],"c":{"y":2,"z":1}}' patch "$tmp/same.json" "$tmp/add.json"
}

# -- invalid input --------------------------------------------------------------

errors() {
  printf '%s' '{"a":' >"$tmp/truncated.json"
  printf '%s' '{"a":1,"a":2}' >"$tmp/duplicate.json"
  printf '%s' '9007199254740993' >"$tmp/inexact.json"
  printf '%s' '{"a":1}' >"$tmp/doc.json"
  printf '%s' '[{"op":"remove","path":"/missing"}]' >"$tmp/bad_patch.json"
  printf '%s' '{"op":"remove","path":"/a"}' >"$tmp/not_array.json"
  expect_invalid "invalid JSON" canon "$tmp/truncated.json"
  expect_invalid "duplicate key" canon "$tmp/duplicate.json"
  expect_invalid "duplicate key in hash" hash "$tmp/duplicate.json"
  expect_invalid "inexact integer" canon "$tmp/inexact.json"
  expect_invalid "missing file" canon "$tmp/missing.json"
  expect_invalid "missing file in diff" diff "$tmp/doc.json" "$tmp/missing.json"
  expect_invalid "directory as file" hash "$tmp"
  expect_invalid "patch that fails" patch "$tmp/doc.json" "$tmp/bad_patch.json"
  expect_invalid "patch not an array" patch "$tmp/doc.json" "$tmp/not_array.json"
  expect_invalid "unknown subcommand" frobnicate
  expect_invalid "no subcommand"
  expect_invalid "unknown flag" canon --frobnicate
  expect_invalid "missing operand" diff "$tmp/doc.json"
  expect_invalid "role not allowed" token --user u1 --role root
  expect_invalid "ttl not a number" token --user u1 --ttl soon
  printf '%s' '36028797018963968' >"$tmp/exact.json"
  check "2^55 is accepted, in ES form" prints_exactly '36028797018963970' \
    canon "$tmp/exact.json"
}

# -- token ------------------------------------------------------------------

# payload_of TOKEN: the decoded JSON payload.
payload_of() {
  local part=${1#awf1.}
  part=${part%%.*}
  part=$(printf '%s' "$part" | tr -- '-_' '+/')
  while ((${#part} % 4)); do part+='='; done
  printf '%s' "$part" | base64 -d
}

# signed_by TOKEN SECRET: the signature is HMAC-SHA256(SECRET, "awf1." +
# payload) by OpenSSL's command line, independent of the code under test.
signed_by() {
  command -v openssl >/dev/null || return 0
  local signed=${1%.*} signature=${1##*.} want
  want=$(printf '%s' "$signed" | openssl dgst -sha256 -hmac "$2" -binary \
    | base64 -w 0 | tr -- '+/' '-_' | tr -d '=')
  [[ $signature == "$want" ]]
}

ends_with_newline() {
  [[ $(tail -c 1 "$1" | od -An -tx1 | tr -d ' ') == 0a ]]
}

# lacks TEXT FILE: FILE does not contain TEXT.
lacks() {
  ! grep -qF -- "$1" "$2"
}

well_formed() {
  local token=$1
  [[ $token == awf1.* && $(tr -cd . <<<"$token") == .. ]]
}

token_with_env_secret() {
  local secret=0123456789abcdefghij0123456789ABCDEFGHIJ token now
  check "40-char secret is 40 chars" test "${#secret}" -eq 40
  if ! clean CLOUD_SYNC_HMAC_SECRET="$secret" CLOUD_SYNC_DATA_DIR="$tmp/unused" \
    -- token --user u1 >"$tmp/token"; then
    fail "token --user u1 with an environment secret"
    return
  fi
  token=$(cat "$tmp/token")
  check "token ends with a newline" ends_with_newline "$tmp/token"
  check "token has three parts starting awf1." well_formed "$token"
  check "payload names the user" grep -q '"sub":"u1"' <(payload_of "$token")
  check "default role is user" grep -q '"role":"user"' <(payload_of "$token")
  check "signature matches openssl" signed_by "$token" "$secret"
  check "no data dir written with an environment secret" test ! -e "$tmp/unused"

  now=$(date +%s)
  token=$(clean CLOUD_SYNC_HMAC_SECRET="$secret" -- token --user ops \
    --role admin --ttl 60)
  check "admin role" grep -q '"role":"admin"' <(payload_of "$token")
  check "ttl sets exp" ttl_close "$token" "$now" 60

  local status=0
  clean CLOUD_SYNC_HMAC_SECRET=short -- token --user u1 >"$tmp/out" \
    2>"$tmp/err" || status=$?
  invalid_outcome "short secret" "$status"
  check "short secret error names the variable" \
    grep -q CLOUD_SYNC_HMAC_SECRET "$tmp/err"
  check "short secret is not printed" lacks short "$tmp/err"
}

# ttl_close TOKEN NOW TTL: exp is NOW + TTL, give or take the test's runtime.
ttl_close() {
  local exp
  exp=$(payload_of "$1" | grep -o '"exp":[0-9]*' | cut -d : -f 2)
  ((exp >= $2 + $3 && exp <= $2 + $3 + 5))
}

token_with_generated_secret() {
  local data="$tmp/data" first second content
  if ! first=$(clean CLOUD_SYNC_DATA_DIR="$data" -- token --user u1 \
    --ttl 60 2>/dev/null); then
    fail "token with a generated secret"
    return
  fi
  check "generated secret file exists" test -f "$data/hmac_secret"
  check "generated secret file has mode 600" \
    test "$(stat -c %a "$data/hmac_secret")" = 600
  content=$(cat "$data/hmac_secret")
  check "generated secret has 32 bytes or more" test "${#content}" -ge 32
  check "first token is signed by the file's secret" signed_by "$first" "$content"
  if ! second=$(clean CLOUD_SYNC_HMAC_SECRET=change-me \
    CLOUD_SYNC_DATA_DIR="$data" -- token --user u1 --ttl 120 2>/dev/null); then
    fail "second token with the generated secret"
    return
  fi
  check "second token is well formed" well_formed "$second"
  check "secret file unchanged by the second run" \
    test "$(cat "$data/hmac_secret")" = "$content"
  check "second token is signed by the same secret" signed_by "$second" "$content"

  chmod 644 "$data/hmac_secret"
  local status=0
  clean CLOUD_SYNC_DATA_DIR="$data" -- token --user u1 >"$tmp/out" \
    2>"$tmp/err" || status=$?
  invalid_outcome "secret file readable by others" "$status"
}

conformance
diff_and_patch
errors
token_with_env_secret
token_with_generated_secret

report_checks
