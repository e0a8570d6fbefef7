#!/usr/bin/env bash
# Installs the Debian 12 packages compiler-r1 needs (if missing) and builds it.
# Usage: scripts/setup.sh [BUILD_DIR]      (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}

PACKAGES=(
  cmake ninja-build g++ pkg-config
  llvm-19-dev clang-19 llvm-19-tools           # LLVM in-process; clang for C sources; opt for tests
  libzstd-dev libxml2-dev libedit-dev libz3-dev libffi-dev zlib1g-dev
  nlohmann-json3-dev libcli11-dev libcpp-httplib-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libgtest-dev libgmock-dev libbenchmark-dev
  csmith libcsmith-dev                         # program generator (and its runtime header) for benchmarks and corpora
  dpkg-dev                                     # dpkg-source, for Debian source corpora
  libtorch-dev                                 # the model layer (Qwen2 decoder on libtorch 1.13, CPU)
  libpcre2-dev                                 # the tokenizer's pre-tokenizer regex (Unicode classes)
  libicu-dev                                   # the tokenizer's NFC normalizer (ICU)
  ccache                                       # rebuilds of unchanged files are instant
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# Two cores and ~1 GiB per compile job is what the CI machine has room for.
ninja -C "$BUILD_DIR" -j "$(nproc)"
