#!/usr/bin/env bash
# Generates benchmark programs for bench/env_throughput: csmith seeds 1..N,
# each compiled by clang-19 the way compiler-r1 loads C (-Oz with LLVM's passes
# disabled) into OUTDIR/csmith-SSSS.bc. Only programs of MIN_INSTS..MAX_INSTS
# IR instructions are kept (the driver re-checks with ir::count_instructions).
# Deterministic by seed: the same N gives the same files.
#
# usage: scripts/bench_programs.sh OUTDIR [N]      (N defaults to 40)
# env:   MIN_INSTS=1000 MAX_INSTS=10000
#        STRESS=K   also write K llvm-stress-19 modules (seeds 1..K, --size=STRESS_SIZE, default 2000)
#        CLANG=clang-19 LLVM_DIS=llvm-dis-19 LLVM_STRESS=llvm-stress-19 CSMITH=csmith
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || "$1" == -* ]]; then
  echo "usage: $0 OUTDIR [N]" >&2
  exit 2
fi
out=$1
n=${2:-40}
if ! [[ "$n" =~ ^[0-9]+$ ]] || (( n < 1 )); then
  echo "error: N must be a positive integer, got '$n'" >&2
  exit 2
fi
min=${MIN_INSTS:-1000}
max=${MAX_INSTS:-10000}
stress=${STRESS:-0}
stress_size=${STRESS_SIZE:-2000}
clang=${CLANG:-clang-19}
llvm_dis=${LLVM_DIS:-llvm-dis-19}
llvm_stress=${LLVM_STRESS:-llvm-stress-19}
csmith=${CSMITH:-csmith}

# csmith and its runtime headers (csmith.h lives in libcsmith-dev on Debian).
if ! command -v "$csmith" >/dev/null || ! ls /usr/include/csmith*/csmith.h >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "installing csmith and libcsmith-dev ..." >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq csmith libcsmith-dev >/dev/null
  else
    echo "error: csmith not found; install it: apt-get install csmith libcsmith-dev" >&2
    exit 2
  fi
fi
inc=$(dirname "$(ls /usr/include/csmith*/csmith.h 2>/dev/null | head -1)")
if [[ -z "$inc" || ! -f "$inc/csmith.h" ]]; then
  inc=$(dirname "$(dpkg -L libcsmith-dev csmith 2>/dev/null | grep '/csmith\.h$' | head -1)")
fi
[[ -f "$inc/csmith.h" ]] || { echo "error: csmith.h not found (dpkg -L libcsmith-dev)" >&2; exit 2; }
for tool in "$clang" "$llvm_dis"; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install llvm-19 clang-19)" >&2; exit 2; }
done

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Instructions in defined functions, as Module::getInstructionCount() counts
# them: in a function body every instruction is a line indented by exactly two
# spaces (labels start at column 0, switch cases and phi continuations are
# indented further, comments start with ';').
count_insts() {
  if [[ "$1" == *.ll ]]; then cat "$1"; else "$llvm_dis" "$1" -o -; fi | awk '
    /^define / { body = 1; next }
    body && /^}/ { body = 0; next }
    body && /^  [^ ;]/ { n++ }
    END { print n + 0 }'
}

kept=0
for ((s = 1; s <= n; s++)); do
  name=$(printf 'csmith-%04d' "$s")
  "$csmith" --seed "$s" -o "$tmp/$name.c" >/dev/null
  # Compile from inside $tmp with a relative name: the module records its
  # source file name, and a random temp path would change the bytes per run.
  if ! (cd "$tmp" && "$clang" -Oz -Xclang -disable-llvm-passes -c -emit-llvm -w -I"$inc" \
      "$name.c" -o "$name.bc") 2>"$tmp/err"; then
    echo "skip $name: clang failed: $(tail -1 "$tmp/err")" >&2
    continue
  fi
  c=$(count_insts "$tmp/$name.bc")
  if (( c < min || c > max )); then
    echo "skip $name: $c instructions" >&2
    continue
  fi
  mv "$tmp/$name.bc" "$out/$name.bc"
  echo "keep $name: $c instructions" >&2
  kept=$((kept + 1))
done

for ((s = 1; s <= stress; s++)); do
  command -v "$llvm_stress" >/dev/null || { echo "error: $llvm_stress not found" >&2; exit 2; }
  name=$(printf 'stress-%04d' "$s")
  (cd "$tmp" && "$llvm_stress" --size="$stress_size" --seed="$s" -o "$name.ll")
  c=$(count_insts "$tmp/$name.ll")
  if (( c < min || c > max )); then
    echo "skip $name: $c instructions" >&2
    continue
  fi
  mv "$tmp/$name.ll" "$out/$name.ll"
  echo "keep $name: $c instructions" >&2
  kept=$((kept + 1))
done

echo "$kept programs in $out" >&2
(( kept > 0 )) || exit 1
