#!/usr/bin/env bash
# Run HERE (the CPU machine), from the repository root: copies the header-only dependencies and the
# GoogleTest sources that the model-only build falls back to into .deps/ (git-ignored through
# .git/info/exclude), so that `carry: [".deps"]` brings them to the GPU machine, which has no network.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
grep -qx '/.deps/' .git/info/exclude 2>/dev/null || echo '/.deps/' >> .git/info/exclude
rm -rf .deps
mkdir -p .deps/include
cp -r /usr/include/nlohmann .deps/include/
cp -r /usr/include/fmt .deps/include/
cp -r /usr/include/CLI .deps/include/
cp -r /usr/src/googletest .deps/googletest
du -sh .deps
