#!/usr/bin/env bash
# Source rules a compiler cannot check; test.sh runs this, so CI fails on a breach.
#  - No std::filesystem::remove_all: the LibTorch 2.11 wheel exports its own std::filesystem
#    symbols and remove_all on a non-empty folder crashes there (issue 18). Use core/remove_tree.
#  - Front ends (ui/, app/) reach the engine through core/engine, not core/model, core/io or
#    core/sampling (issue 19); the 24 includes that predated the rule are all gone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
hits="$(grep -rnE '\bremove_all\s*\(' --include='*.cpp' --include='*.h' --include='*.cu' core app ui kernels tests \
          | grep -v '^core/remove_tree\.' || true)"
if [ -n "$hits" ]; then
  echo "check-sources: std::filesystem::remove_all crashes with the LibTorch 2.11 wheel; use linvideo::remove_tree:" >&2
  echo "$hits" >&2
  exit 1
fi
found="$(grep -rnE '#include "core/(model|io|sampling)/[^"]+"' ui app || true)"
if [ -n "$found" ]; then
  echo "check-sources: ui/ and app/ call the engine through core/engine; these include engine internals:" >&2
  echo "$found" >&2
  exit 1
fi
echo "check-sources: ok"
