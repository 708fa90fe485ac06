#!/usr/bin/env bash
# Source rules a compiler cannot check; test.sh runs this, so CI fails on a breach.
#  - No std::filesystem::remove_all: the LibTorch 2.11 wheel exports its own std::filesystem
#    symbols and remove_all on a non-empty folder crashes there (issue 18). Use core/remove_tree.
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
echo "check-sources: ok"
