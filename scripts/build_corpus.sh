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
# Estimated from measured per-stage CPU costs (README, "Corpora"): 7,350-8,150 CPU-seconds in all,
# so 61-68 minutes on 2 otherwise idle cores; at least 12.7k Debian and 8.3k csmith training programs.
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
