#!/usr/bin/env bash
# Source rules a compiler cannot check; test.sh runs this, so CI fails on a breach.
#  - No std::filesystem::remove_all: the LibTorch 2.11 wheel exports its own std::filesystem
#    symbols and remove_all on a non-empty folder crashes there (issue 18). Use core/remove_tree.
#  - Front ends (ui/, app/) reach the engine through core/engine, not core/model, core/io or
#    core/sampling (issue 19). The includes that predate the rule are listed, one "file header" a
#    line, in packaging/front-end-includes.allow; a new one fails, and so does a listed one that is
#    gone (take it off the list: the list only shrinks).
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
allow="packaging/front-end-includes.allow"
found="$(grep -rnoE '#include "core/(model|io|sampling)/[^"]+"' ui app | sed -E 's/:[0-9]+:#include "/ /; s/"$//' | sort)"
new="$(comm -13 <(sort "$allow") <(printf '%s\n' "$found") | sed '/^$/d')"
gone="$(comm -23 <(sort "$allow") <(printf '%s\n' "$found") | sed '/^$/d')"
if [ -n "$new" ]; then
  echo "check-sources: ui/ and app/ call the engine through core/engine; these include engine internals:" >&2
  echo "$new" >&2
  exit 1
fi
if [ -n "$gone" ]; then
  echo "check-sources: no longer included; take these lines off $allow:" >&2
  echo "$gone" >&2
  exit 1
fi
echo "check-sources: ok"
