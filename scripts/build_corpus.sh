#!/usr/bin/env bash
# Builds the training corpus from scratch in one command: every package of data/debian-packages.txt
# (one program per translation unit, plus linked whole programs) and csmith seeds 1-12000, into one
# corpus folder with leak-free train/valid/test splits. At the end it prints CPU time per stage
# (download, configure, clang, -Oz measurement, csmith, ...), wall time and load, then the corpus
# statistics. A killed build continues where it stopped when run again with the same arguments.
#
#   scripts/build_corpus.sh [OUT [more dataset-build options]]   default OUT: /var/tmp/cr1-full-corpus
#   e.g. scripts/build_corpus.sh /tmp/tiny --only bzip2            (a quick try: one package)
#
# Environment: CR1=path/to/compiler-r1 (default build/compiler-r1), JOBS (default: all cores),
# SEEDS (default 1-12000), CACHE (Debian downloads and trees; default OUT.cache), NICE=1 to run
# under nice. Needs deb-src entries (scripts/enable-deb-src.sh), dpkg-dev, clang-19 and csmith.
#
# Cost, in CPU-seconds (user + system, subprocesses included) on the 2-core build machine:
#   measured, full build from an empty cache, before the batching / early-stop changes (2026-11-26):
#     14,934 CPU s, 2 h 13 min wall: download 75, prepare (configure) 1,299, Debian TUs 4,054,
#     Debian whole programs 6,048 (4,900 of them 41 ffmpeg groups killed at the 120 s timeout),
#     csmith 3,458. 21,881 training programs (12,201 Debian TUs, 1,138 whole programs, 8,542 csmith).
#   measured, old and new binary one after the other on the same subset (5 packages: mpfr4 libffi
#     coreutils lz4 cjson, csmith seeds 1-300; two runs each): Debian TUs 141-145 -> 105-108 CPU s,
#     whole programs 84-86 -> 26-27, csmith 63-64 -> 49-52; the whole-program stage of the 11
#     costliest packages (ffmpeg, openssl, postgresql-15, ...) 5,900 -> 85 CPU s. Same programs.
#   measured, full build from an empty cache after those changes (2026-11-26, code of 9793e3b):
#     6,072 CPU s (4,340 user, 1,732 system), 1 h 14 min wall beside other work (load average 2-8):
#     download 63, prepare 1,107, Debian TUs 2,619, whole programs 106, csmith 2,150. So about 51
#     minutes of 2 cores. Same 28,163 programs and 21,881 training programs as before.
# On a shared machine the wall time grows with the load (the output ends with the load average).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-/var/tmp/cr1-full-corpus}"
[ $# -gt 0 ] && shift
cr1="${CR1:-$root/build/compiler-r1}"
jobs="${JOBS:-$(nproc)}"
seeds="${SEEDS:-1-12000}"
cache="${CACHE:-$out.cache}"
[ -x "$cr1" ] || { echo "build_corpus.sh: no compiler-r1 at $cr1 (build it, or set CR1)" >&2; exit 2; }
command -v csmith >/dev/null || { echo "build_corpus.sh: csmith is not installed (apt-get install csmith)" >&2; exit 2; }
run=()
[ "${NICE:-0}" = 1 ] && run=(nice)

start=$(date +%s)
"${run[@]}" "$cr1" dataset build --from debian,csmith --seeds "$seeds" --cache-dir "$cache" --out "$out" -j "$jobs" "$@"
echo
"$cr1" dataset stats "$out"
echo
echo "build_corpus.sh: $(( $(date +%s) - start )) s wall in all; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
