#!/usr/bin/env bash
# ThreadSanitizer needs every thread handoff instrumented, and Debian's
# libcaf_core is not: its mailboxes and scheduler queues are lock-free, so
# TSan sees no order between the thread that sends a message and the one that
# runs its handler, and reports every message and spawn as a race (a correct
# 30-line CAF program gets ~50 reports). So the TSan build links a
# libcaf_core built here from the same source, CAF 0.17.6 as Debian ships it
# (apt-get source, checked against the signed Sources index), compiled with
# -fsanitize=thread. Our code still compiles against /usr/include/caf (the
# same headers); only the library is swapped, so the ABI is the same.
#
#   source tools/caf_tsan.sh && awf_caf_tsan_library   # prints the .so path
#
# The library is kept in AWF_CAF_TSAN_DIR (outside the checkout, so fresh CI
# clones reuse it) and built only when missing; ccache covers rebuilds.

AWF_CAF_VERSION=0.17.6
AWF_CAF_TSAN_DIR=${AWF_CAF_TSAN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/awf/caf-$AWF_CAF_VERSION-tsan}

# Fetches the Debian source package without touching the system's apt setup:
# a private deb-src list and state folder under $AWF_CAF_TSAN_DIR/apt.
awf_caf_fetch_source() {
  local apt=$AWF_CAF_TSAN_DIR/apt
  mkdir -p "$apt/sources" "$apt/lists/partial" "$apt/cache" "$AWF_CAF_TSAN_DIR/src"
  cat >"$apt/sources/debian-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  local opts=(-o Dir::Etc::SourceList=/dev/null
    -o Dir::Etc::SourceParts="$apt/sources"
    -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache"
    -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" -qq update
  # Only the upstream tarball is used (the Debian patches touch packaging).
  (cd "$AWF_CAF_TSAN_DIR/src" &&
    apt-get "${opts[@]}" -qq source --download-only "actor-framework" \
      2>&1 | grep -v "debian.tar" || true)
  local tarball=$AWF_CAF_TSAN_DIR/src/actor-framework_$AWF_CAF_VERSION.orig.tar.gz
  [ -f "$tarball" ] || { echo "caf_tsan: cannot fetch CAF $AWF_CAF_VERSION source" >&2; return 1; }
  tar -xzf "$tarball" -C "$AWF_CAF_TSAN_DIR/src"
}

# Builds and installs libcaf_core with -fsanitize=thread; prints its path.
awf_caf_tsan_library() {
  local lib=$AWF_CAF_TSAN_DIR/install/lib/libcaf_core.so
  if [ ! -f "$lib" ]; then
    local src=$AWF_CAF_TSAN_DIR/src/actor-framework-$AWF_CAF_VERSION
    [ -d "$src" ] || awf_caf_fetch_source >&2
    # Same configuration as Debian's build (caf/detail/build_config.hpp):
    # quiet logging, memory management and exceptions on.
    cmake -S "$src" -B "$AWF_CAF_TSAN_DIR/build" -G Ninja \
      -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
      "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
      -DCMAKE_INSTALL_PREFIX="$AWF_CAF_TSAN_DIR/install" \
      -DCAF_LOG_LEVEL=QUIET -DCAF_NO_IO=yes -DCAF_NO_EXAMPLES=yes \
      -DCAF_NO_TOOLS=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_OPENSSL=yes \
      -DCAF_NO_OPENCL=yes -DCAF_NO_PYTHON=yes -DCAF_NO_SUMMARY=yes \
      -DCAF_NO_COMPILER_CHECK=yes >&2
    # CCACHE_BASEDIR of the checkout does not cover this folder.
    CCACHE_BASEDIR=$AWF_CAF_TSAN_DIR cmake --build "$AWF_CAF_TSAN_DIR/build" \
      -- -j"$(nproc)" >&2
    cmake --install "$AWF_CAF_TSAN_DIR/build" >/dev/null
  fi
  echo "$lib"
}
