#!/usr/bin/env bash
# Run HERE (the CPU machine), from anywhere in the repository: packs a carry folder that lets the GPU
# machine's 16 CPU cores run compiler-r1 (it has no LLVM, no clang and no network; only 64 MiB travel
# with a call, the working tree included). scripts/gpu/run_cpu_job.sh runs the job there.
#
#   scripts/gpu/pack_cpu_job.sh [options]
#     --bin PATH        the portable compiler-r1 (default: $CR1_STATIC_BIN, else build-static/compiler-r1,
#                       else build-h3/compiler-r1). Build it with
#                         cmake -S . -B build-static -G Ninja -DCMAKE_BUILD_TYPE=Release -DCR1_WITH_TORCH=OFF \
#                           -DCR1_STATIC_LLVM=ON -DCR1_BUILD_TESTS=OFF -DCR1_BUILD_BENCH=OFF
#                         nice ninja -C build-static -j2 compiler-r1
#     --corpus [NAME=]DIR[:SPLIT[:LIMIT]]
#                       a corpus subset (repeatable): the manifest's `ok` records of SPLIT (train, valid,
#                       test or all; default all), at most LIMIT of them spread evenly over the manifest
#                       (default: all), with their .bc/.ll files. LIMIT=fit (last corpus only) takes as
#                       many as fit in what is left of the budget. NAME defaults to DIR's base name.
#     --data FILE       a file for the data folder, e.g. a new synergy graph or coreset (repeatable;
#                       the repository's data/ travels anyway and these override it)
#     --extra PATH      any other file or folder, e.g. an eval run folder for `coreset mine --candidates`
#                       or `agent make-sft --known` (repeatable; found there as $EXTRA/<base name>)
#     --out DIR         the carry folder (default carry/ at the repository root: git-ignored); replaced
#     --max-mib N       budget of the carry folder (default: 64 MiB less the working tree that travels
#                       with it, less 1 MiB)
#
# The carry folder: bin.tar.xz (compiler-r1 stripped, and lib/ with the shared libraries it needs beyond
# libc, libm, libstdc++, libgcc_s, libz and libzstd: found through its rpath $ORIGIN/lib),
# corpus-NAME.tar.xz (manifest.jsonl + programs/), data/, extra.tar.xz, CONTENTS.txt (what and how big).
# Then, on the GPU machine (device tool, carry: ["carry"]), e.g.:
#   scripts/gpu/run_cpu_job.sh 'eval --suite $C/cr1-corpus --split test --method all --budget-evals 100 -j $J --out $OUT/eval100'
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
ROOT=$PWD

die() { echo "pack_cpu_job: $*" >&2; exit 2; }
BIN=${CR1_STATIC_BIN:-}
if [ -z "$BIN" ]; then
  for b in build-static/compiler-r1 build-h3/compiler-r1; do [ -x "$b" ] && { BIN=$b; break; }; done
fi
OUTDIR=$ROOT/carry
MAX_MIB=
CORPORA=() DATA=() EXTRA=()
while [ $# -gt 0 ]; do
  case $1 in
    --bin) BIN=$2; shift 2 ;;
    --corpus) CORPORA+=("$2"); shift 2 ;;
    --data) DATA+=("$2"); shift 2 ;;
    --extra) EXTRA+=("$2"); shift 2 ;;
    --out) OUTDIR=$(realpath -m "$2"); shift 2 ;;
    --max-mib) MAX_MIB=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$BIN" ] && [ -x "$BIN" ] || die "no portable compiler-r1 (--bin; see --help for how to build it)"
command -v xz >/dev/null || die "xz is missing"

# What the GPU machine has (Ubuntu 24.04: newer glibc and libstdc++ than ours).
SYSTEM_LIBS='^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s|libz|libzstd)\.so'
if readelf -d "$BIN" | grep -q 'NEEDED.*libLLVM'; then
  die "$BIN links libLLVM.so: build it with -DCR1_STATIC_LLVM=ON (see --help)"
fi
if ldd "$BIN" | grep -q 'not found'; then die "$BIN has unresolved libraries: $(ldd "$BIN" | grep 'not found' | tr -s ' \t' ' ')"; fi

# The working tree travels with the carry folder and counts against the same 64 MiB.
tree_bytes=$( { git ls-files -z --cached; git ls-files -z --others --exclude-standard; } | sort -zu |
  (xargs -0 -r stat -c %s 2>/dev/null || true) | awk '{s+=$1} END {print s+0}')
[ -d shared ] && tree_bytes=$((tree_bytes + $(du -sb shared | cut -f1)))
if [ -z "$MAX_MIB" ]; then MAX_MIB=$(( (64 * 1048576 - tree_bytes) / 1048576 - 1 )); fi
BUDGET=$((MAX_MIB * 1048576))

STAGE=$(mktemp -d /tmp/cr1-pack.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
rm -rf "$OUTDIR.new"
mkdir -p "$OUTDIR.new"
NEW=$OUTDIR.new
xzc() { nice xz -9e -T2 -c; }
mib() { awk -v b="$1" 'BEGIN {printf "%.2f MiB", b / 1048576}'; }
used() { du -sb "$NEW" | cut -f1; }

# 1. The binary and the libraries it needs beyond the system's, stripped.
mkdir -p "$STAGE/bin/lib"
cp "$BIN" "$STAGE/bin/compiler-r1"
strip --strip-all "$STAGE/bin/compiler-r1"
ldd "$BIN" | awk '$2 == "=>" {print $1, $3}' | while read -r name path; do
  if ! [[ $name =~ $SYSTEM_LIBS ]]; then
    cp -L "$path" "$STAGE/bin/lib/$name"
    strip --strip-unneeded "$STAGE/bin/lib/$name"
  fi
done
tar -C "$STAGE/bin" -cf - compiler-r1 lib | xzc > "$NEW/bin.tar.xz"
echo "binary: $(mib "$(stat -c %s "$STAGE/bin/compiler-r1")") stripped, libs: $(ls "$STAGE/bin/lib" | tr '\n' ' ')"
echo "bin.tar.xz: $(mib "$(stat -c %s "$NEW/bin.tar.xz")")"

# 2. Data files (the repository's data/ travels anyway; these override it) and extras.
if [ ${#DATA[@]} -gt 0 ]; then
  mkdir -p "$NEW/data"
  for f in "${DATA[@]}"; do [ -f "$f" ] || die "no data file $f"; cp "$f" "$NEW/data/"; done
fi
if [ ${#EXTRA[@]} -gt 0 ]; then
  mkdir -p "$STAGE/extra"
  for p in "${EXTRA[@]}"; do [ -e "$p" ] || die "no such file or folder $p"; cp -rL "$p" "$STAGE/extra/"; done
  tar -C "$STAGE/extra" -cf - . | xzc > "$NEW/extra.tar.xz"
fi

# 3. Corpus subsets: manifest.jsonl (ok records of the split, spread evenly) and their programs.
# select_subset DIR SPLIT LIMIT OUTDIR: writes OUTDIR/manifest.jsonl and OUTDIR/files.txt.
select_subset() {
  python3 - "$@" <<'EOF'
import json, os, sys
src, split, limit, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
manifest = src if src.endswith(".jsonl") else os.path.join(src, "manifest.jsonl")
base = os.path.dirname(os.path.abspath(manifest))
records, bad = [], 0
with open(manifest) as f:
    for line in f:
        try:
            r = json.loads(line)
        except ValueError:  # a corpus being built may end in a partial line
            bad += 1
            continue
        if r.get("status") != "ok" or (split != "all" and r.get("split") != split):
            continue
        p = r.get("path", "")
        if not p or os.path.isabs(p) or ".." in p.split("/"):
            sys.exit(f"{manifest}: program path '{p}' is not inside the corpus folder")
        if os.path.isfile(os.path.join(base, p)):
            records.append(r)
n = len(records)
k = n if limit in ("", "all") else min(n, int(limit))
picked = [records[i * n // k] for i in range(k)] if k else []
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "manifest.jsonl"), "w") as f:
    for r in picked:
        f.write(json.dumps(r, sort_keys=True) + "\n")
with open(os.path.join(out, "files.txt"), "w") as f:
    for r in picked:
        f.write(os.path.join(base, r["path"]) + "\t" + r["path"] + "\n")
print(f"{len(picked)} of {n}", file=sys.stderr)
EOF
}
# pack_corpus NAME DIR SPLIT LIMIT: writes $NEW/corpus-NAME.tar.xz, echoes its programs and bytes.
pack_corpus() {
  local name=$1 dir=$2 split=$3 limit=$4 d=$STAGE/corpus/$1
  rm -rf "$d"
  select_subset "$dir" "$split" "$limit" "$d" 2>"$STAGE/select.log" || die "$(cat "$STAGE/select.log")"
  while IFS=$'\t' read -r from rel; do
    mkdir -p "$d/$(dirname "$rel")"
    ln "$from" "$d/$rel" 2>/dev/null || cp "$from" "$d/$rel"
  done < "$d/files.txt"
  rm "$d/files.txt"
  tar -C "$d" -cf - . | xzc > "$NEW/corpus-$name.tar.xz"
  echo "$(wc -l < "$d/manifest.jsonl") $(du -sb --apparent-size "$d" | cut -f1) $(stat -c %s "$NEW/corpus-$name.tar.xz")"
}
i=0
for spec in "${CORPORA[@]}"; do
  i=$((i + 1))
  name=
  if [[ $spec == *=* ]]; then name=${spec%%=*}; spec=${spec#*=}; fi
  IFS=: read -r dir split limit <<<"$spec"
  split=${split:-all} limit=${limit:-all}
  [ -e "$dir" ] || die "no corpus $dir"
  name=${name:-$(basename "$(realpath "$dir")")}
  [[ $split =~ ^(train|valid|test|all)$ ]] || die "split '$split' is not train, valid, test or all"
  if [ "$limit" = fit ]; then
    [ $i -eq ${#CORPORA[@]} ] || die "LIMIT=fit is for the last --corpus only"
    # Compress all, then shrink in proportion to the overshoot until it fits (bitcode compresses evenly).
    limit=all
    for try in 1 2 3 4 5; do
      read -r n raw packed < <(pack_corpus "$name" "$dir" "$split" "$limit")
      [ -n "${packed:-}" ] || die "could not pack corpus $name"
      left=$((BUDGET - $(used) + packed))
      [ "$packed" -le "$left" ] && break
      limit=$(( n * left / packed * 97 / 100 ))
      echo "corpus $name: $n programs are $(mib "$packed") packed, $(mib "$left") left: trying $limit"
      [ "$limit" -gt 0 ] || die "no room left for corpus $name"
    done
  else
    [[ $limit =~ ^(all|[0-9]+)$ ]] || die "limit '$limit' is not a number, all or fit"
    read -r n raw packed < <(pack_corpus "$name" "$dir" "$split" "$limit")
  fi
  [ -n "${packed:-}" ] || die "could not pack corpus $name"
  echo "corpus $name ($split): $n programs, $(mib "$raw") -> $(mib "$packed") packed" | tee -a "$STAGE/corpora.txt"
done

# 4. What is in it, and the budget.
{
  echo "compiler-r1 carry folder, packed $(date -u +%FT%TZ) from $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src cmake CMakeLists.txt || echo ' (modified)')"
  echo "binary: $BIN ($("$BIN" --version 2>/dev/null | head -1))"
  [ -f "$STAGE/corpora.txt" ] && cat "$STAGE/corpora.txt"
  (cd "$NEW" && find . -type f ! -name CONTENTS.txt -printf '%P\t%s\n' | sort)
} > "$NEW/CONTENTS.txt"
total=$(used)
echo "carry folder: $(mib "$total") of the $(mib $BUDGET) budget (working tree that travels too: $(mib "$tree_bytes"))"
if [ "$total" -gt "$BUDGET" ]; then
  rm -rf "$NEW"
  die "over budget: pack fewer programs (LIMIT, or LIMIT=fit on the last corpus)"
fi
rm -rf "$OUTDIR"
mv "$NEW" "$OUTDIR"
echo "wrote $OUTDIR"
