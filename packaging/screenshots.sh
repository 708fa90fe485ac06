#!/usr/bin/env bash
# The README's screenshots: the studio in use on the embedded model, one per panel (Model as
# loaded; Layers after a scan; Train after a short transfer run; Generate with a finished clip
# playing; Compare with its table filled). Needs a build (packaging/run.sh or test.sh) and xvfb-run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
studio="${STUDIO:-$root/build/app/linvideo-studio}"
out="${OUT:-$root/docs/screenshots}"
mkdir -p "$out"
for panel in model layers train generate compare; do
  xvfb-run -a -s "-screen 0 1920x1080x24" "$studio" --screenshot "$out/$panel.png" --panel "$panel" --in-use \
    2> >(grep -v XDG_RUNTIME_DIR >&2)
  echo "$out/$panel.png"
done
