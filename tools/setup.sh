#!/usr/bin/env bash
# Shared by tools/run.sh and tools/test.sh: installs the Debian packages the
# project needs (apt-get update only when something is missing; quiet when
# all are present) and builds with CMake, Ninja and ccache into build/.
set -euo pipefail

AWF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AWF_BUILD_DIR=${AWF_BUILD_DIR:-$AWF_ROOT/build}
# ccache keys on paths relative to the checkout, so a fresh clone or a git
# worktree in another folder reuses what an earlier build compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$AWF_ROOT}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}

AWF_PACKAGES=(
  cmake ninja-build ccache g++ pkg-config python3 clang-format
  libcaf-dev libboost1.81-dev libsoci-dev libsqlite3-dev libpq-dev
  libssl-dev libzstd-dev nlohmann-json3-dev libcli11-dev libjemalloc-dev
  libsimdjson-dev
  postgresql-15 sqlite3
)

# Only the clang build with ASan, UBSan and the fuzz targets needs these
# (tools/fuzz.sh, tools/test.sh --sanitize); a plain build does not.
AWF_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
# That build's folder and configuration, shared by both scripts so that one
# build serves both.
AWF_FUZZ_BUILD_DIR=${AWF_FUZZ_BUILD_DIR:-$AWF_ROOT/build-fuzz}
AWF_FUZZ_CMAKE_ARGS=(-DCMAKE_CXX_COMPILER=clang++-14
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAWF_FUZZ=ON -DAWF_CORE_ONLY=OFF
  -DBUILD_TESTING=ON)

# Prints the packages of the list named by $1 (default AWF_PACKAGES) that
# are not installed.
awf_missing_packages() {
  local -n wanted=${1:-AWF_PACKAGES}
  local p
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
      || echo "$p"
  done
}

awf_install_dependencies() {
  local missing
  missing=$(awf_missing_packages "${1:-AWF_PACKAGES}")
  [ -z "$missing" ] && return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing $(echo $missing | tr '\n' ' ')"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    --no-install-recommends $missing >/dev/null
}

# awf_build [DIR [CMAKE_ARGS...]]: configures DIR (default build/, of type
# AWF_BUILD_TYPE or RelWithDebInfo) the first time or when CMake arguments are
# given, then builds it: every target, or those named in AWF_BUILD_TARGETS.
# tools/sanitizers.sh passes build-asan or build-tsan and -DAWF_SANITIZE=...,
# so the plain build/ stays as it is.
awf_build() {
  local dir=${1:-$AWF_BUILD_DIR}
  [ $# -gt 0 ] && shift
  local type=${AWF_BUILD_TYPE:-RelWithDebInfo}
  if [ ! -f "$dir/build.ninja" ] || [ $# -gt 0 ]; then
    cmake -S "$AWF_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "$@" \
      >/dev/null || return 1
  fi
  local targets=()
  [ -n "${AWF_BUILD_TARGETS:-}" ] && read -ra targets <<<"$AWF_BUILD_TARGETS"
  cmake --build "$dir" ${targets[@]+--target "${targets[@]}"} -- -j"$(nproc)"
}
