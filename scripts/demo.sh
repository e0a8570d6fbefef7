#!/usr/bin/env bash
# The README's first command: set up, build, and run the main job on a bundled
# example program.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
echo
echo "\$ build/compiler-r1 tune examples/wordfreq.c -o /tmp/wordfreq.opt.bc"
build/compiler-r1 tune examples/wordfreq.c -o /tmp/wordfreq.opt.bc
