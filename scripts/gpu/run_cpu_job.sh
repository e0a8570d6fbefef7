#!/usr/bin/env bash
# Run ON THE GPU MACHINE, from the repository root, with the carry folder made here by
# scripts/gpu/pack_cpu_job.sh carried along (device tool: carry: ["carry"]): runs a job, a list of
# compiler-r1 command lines, on its 16 CPU cores. That machine has no LLVM, no clang and no network, so
# programs are the carried .bc/.ll corpora (commands that compile C sources cannot run there).
#
#   scripts/gpu/run_cpu_job.sh [options] 'CMD' ['CMD' ...]
#     CMD               one compiler-r1 command line without the program name (a leading `compiler-r1`
#                       is dropped), expanded by the shell with:
#                         $OUT    the job's output folder (packed into the real $OUT at the end)
#                         $C      the corpora: $C/NAME is corpus NAME (manifest.jsonl + programs/)
#                         $DATA   the data folder (the repository's data/, overridden by carry/data/);
#                                 CR1_DATA_DIR points to it, so the shipped coreset and synergy graph
#                                 are found
#                         $EXTRA  the --extra files and folders, by base name
#                         $J      the number of CPU cores
#     --job FILE        more command lines, one a line (# comments and blank lines skipped)
#     --carry DIR       the carry folder (default: carry)
#     --work DIR        where it is unpacked (default: /tmp/cr1-cpu-job; kept between calls on a warm
#                       machine, and not unpacked again while the carry folder is the same)
#     --resume FILE     a results.tar.xz brought back by an earlier call: unpacked into $OUT first, so
#                       that resumable commands (eval, synergy mine, agent make-sft) go on where they
#                       stopped
#     --deadline S      seconds after which the running command is interrupted (SIGINT, then SIGKILL
#                       15 s later) and no further one starts, so that the results are packed before the
#                       device tool's 10-minute limit (default 540)
#     --snapshot S      every S seconds while commands run, pack what $OUT holds so far into the real
#                       $OUT (default 60; 0 = never): a call cut short by the device's limit (which can
#                       be less than 600 s when little device time is left) still brings back results
#     --no-pack         write straight into $OUT instead (at most 8 files come back, 2 folders deep)
# Commands run one after another, each to the end; a failing one is reported and the next one runs.
# The real $OUT (or /tmp/cr1-cpu-out) gets: job.log (machine, each command, its exit status, wall and
# CPU seconds, its output's tail), timing.tsv, and results.tar.xz (the job's $OUT; split into
# results.tar.xz.NN parts of 15 MiB when bigger: `cat results.tar.xz.* | tar -xJ`).
# Example, in one device call (timeout_s 600):
#   scripts/gpu/run_cpu_job.sh \
#     'eval --suite $C/cr1-corpus --split test --method all --budget-evals 100 -j $J --out $OUT/eval100' \
#     'report $OUT/eval100'
set -uo pipefail
START=$(date +%s)
REAL_OUT=${OUT:-/tmp/cr1-cpu-out}
CARRY=carry WORK=/tmp/cr1-cpu-job RESUME= DEADLINE=540 PACK=1 SNAPSHOT=60
CMDS=()
die() { echo "run_cpu_job: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --job) [ -f "$2" ] || die "no job file $2"
           while IFS= read -r line; do
             [[ $line =~ ^[[:space:]]*(#|$) ]] || CMDS+=("$line")
           done < "$2"; shift 2 ;;
    --carry) CARRY=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --resume) RESUME=$(realpath "$2"); shift 2 ;;
    --deadline) DEADLINE=$2; shift 2 ;;
    --snapshot) SNAPSHOT=$2; shift 2 ;;
    --no-pack) PACK=0; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) CMDS+=("$1"); shift ;;
  esac
done
[ ${#CMDS[@]} -gt 0 ] || die "no command given (see --help)"
[ -f "$CARRY/bin.tar.xz" ] || die "no $CARRY/bin.tar.xz: carry the folder made by scripts/gpu/pack_cpu_job.sh"
REPO=$PWD
CARRY=$(realpath "$CARRY")
mkdir -p "$REAL_OUT"
LOG=$REAL_OUT/job.log
: > "$LOG"
say() { echo "$*" | tee -a "$LOG"; }

# Unpack (once per carry folder: a warm machine keeps /tmp between calls).
stamp=$(cd "$CARRY" && find . -type f -printf '%P %s %T@\n' | sort | md5sum | cut -c1-16)
if [ "$(cat "$WORK/.stamp" 2>/dev/null)" != "$stamp" ]; then
  t0=$(date +%s.%N)
  rm -rf "$WORK" && mkdir -p "$WORK/corpora" "$WORK/data" "$WORK/extra" || die "cannot make $WORK"
  tar -C "$WORK" -xJf "$CARRY/bin.tar.xz" || die "cannot unpack $CARRY/bin.tar.xz"
  for f in "$CARRY"/corpus-*.tar.xz; do
    [ -e "$f" ] || continue
    n=$(basename "$f" .tar.xz); n=${n#corpus-}
    mkdir -p "$WORK/corpora/$n" && tar -C "$WORK/corpora/$n" -xJf "$f" || die "cannot unpack $f"
  done
  [ -f "$CARRY/extra.tar.xz" ] && { tar -C "$WORK/extra" -xJf "$CARRY/extra.tar.xz" || die "cannot unpack extra.tar.xz"; }
  echo "$stamp" > "$WORK/.stamp"
  say "unpacked $CARRY into $WORK in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
fi
# The data folder: the repository's data/, then the carried files over it.
rm -rf "$WORK/data" && mkdir -p "$WORK/data"
[ -d "$REPO/data" ] && cp -r "$REPO/data/." "$WORK/data/"
[ -d "$CARRY/data" ] && cp -r "$CARRY/data/." "$WORK/data/"

BIN=$WORK/compiler-r1
export C=$WORK/corpora DATA=$WORK/data EXTRA=$WORK/extra J=$(nproc)
export CR1_DATA_DIR=$DATA
if [ $PACK = 1 ]; then JOB_OUT=$WORK/out; rm -rf "$JOB_OUT"; else JOB_OUT=$REAL_OUT; fi
mkdir -p "$JOB_OUT"
[ -n "$RESUME" ] && { tar -C "$JOB_OUT" -xJf "$RESUME" || die "cannot unpack $RESUME"; }

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "system: $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-?}"), $(ldd --version 2>&1 | head -1)"
  echo "compiler-r1: $("$BIN" --version 2>&1 | head -1)"
  grep -E '^(compiler-r1 carry|corpus )' "$CARRY/CONTENTS.txt" 2>/dev/null
  echo "corpora: $(ls "$C" | tr '\n' ' ')"
} | tee -a "$LOG"
if ldd "$BIN" | grep -q 'not found'; then
  ldd "$BIN" | tee -a "$LOG"
  die "the carried compiler-r1 misses libraries (above)"
fi

# cpu_seconds: user+sys seconds of this shell's finished children so far.
# (`times` runs in this shell, not in a $(...) subshell, whose children would be others.)
cpu_seconds() { times > "$WORK/times"; tail -1 "$WORK/times" | awk '{ for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } } END { printf "%.1f", s }'; }
printf 'n\tstatus\twall_s\tcpu_s\tcommand\n' > "$REAL_OUT/timing.tsv"

# pack_results [XZ_LEVEL]: $JOB_OUT -> $REAL_OUT/results.tar.xz, atomically (a pack cut short leaves the
# previous one whole).
pack_results() {
  tar -C "$JOB_OUT" -cf - . 2>/dev/null | xz "-${1:-6}" -T0 > "$REAL_OUT/.results.tar.xz.tmp" &&
    mv "$REAL_OUT/.results.tar.xz.tmp" "$REAL_OUT/results.tar.xz"
}
SNAPSHOTTER=
rm -f "$WORK/.stop-snapshots"
if [ $PACK = 1 ] && [ "$SNAPSHOT" -gt 0 ]; then
  ( n=0
    while [ ! -e "$WORK/.stop-snapshots" ]; do
      sleep 1; n=$((n + 1))
      [ $((n % SNAPSHOT)) = 0 ] && [ ! -e "$WORK/.stop-snapshots" ] && pack_results 1
    done ) &
  SNAPSHOTTER=$!
fi
OUT_FOR_CMDS=$JOB_OUT
failed=0 i=0
for cmd in "${CMDS[@]}"; do
  i=$((i + 1))
  left=$((DEADLINE - ($(date +%s) - START)))
  if [ $left -le 5 ]; then say "[$i] skipped (deadline): $cmd"; failed=1; continue; fi
  cmd=${cmd#compiler-r1 }
  expanded=$(OUT=$OUT_FOR_CMDS eval "printf '%s ' $cmd" 2>&1)
  say "[$i] compiler-r1 $expanded"
  cpu_seconds > "$WORK/c0"; c0=$(cat "$WORK/c0") t0=$(date +%s.%N)
  (OUT=$OUT_FOR_CMDS eval "exec timeout --signal=INT --kill-after=15 $left \"\$BIN\" $cmd") \
    > "$WORK/cmd$i.out" 2> "$WORK/cmd$i.err"
  rc=$?
  wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  cpu_seconds > "$WORK/c1"
  cpu=$(awk -v a="$c0" -v b="$(cat "$WORK/c1")" 'BEGIN {printf "%.1f", b - a}')
  case $rc in 124|137) note=" (stopped at the deadline)" ;; *) note= ;; esac
  [ $rc = 0 ] || failed=1
  say "[$i] exit $rc$note, ${wall} s wall, ${cpu} s CPU ($(awk -v w="$wall" -v c="$cpu" 'BEGIN {printf "%.1f", (w > 0 ? c / w : 0)}') cores busy)"
  printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$rc" "$wall" "$cpu" "$cmd" >> "$REAL_OUT/timing.tsv"
  { tail -n 25 "$WORK/cmd$i.out"; tail -n 8 "$WORK/cmd$i.err" | sed 's/^/stderr: /'; } | cut -c1-400 | tee -a "$LOG"
  mkdir -p "$JOB_OUT/logs" && cp "$WORK/cmd$i.out" "$JOB_OUT/logs/cmd$i.out" && cp "$WORK/cmd$i.err" "$JOB_OUT/logs/cmd$i.err"
done

# Stop the snapshots (a pack in progress finishes first, so two never write at once).
if [ -n "$SNAPSHOTTER" ]; then touch "$WORK/.stop-snapshots"; wait "$SNAPSHOTTER" 2>/dev/null; fi
if [ $PACK = 1 ]; then
  pack_results 6
  size=$(stat -c %s "$REAL_OUT/results.tar.xz")
  if [ "$size" -gt $((15 * 1048576)) ]; then
    split -b 15M -d "$REAL_OUT/results.tar.xz" "$REAL_OUT/results.tar.xz." && rm "$REAL_OUT/results.tar.xz"
  fi
  say "results: $(ls "$REAL_OUT" | grep results | tr '\n' ' ')($(awk -v b="$size" 'BEGIN {printf "%.2f MiB", b / 1048576}'))"
fi
say "job: ${#CMDS[@]} commands in $(( $(date +%s) - START )) s, $([ $failed = 0 ] && echo 'all ok' || echo 'some failed')"
exit $failed
