#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run the main job.
# Until the studio and the generation pipeline land, the main job is the command-line tool
# describing the default model.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/packaging/deps.sh"
linvideo_install_deps
linvideo_build
bin="${LINVIDEO_BUILD_DIR:-$root/build}/app/linvideo"
"$bin" --version

# The embedded default model (resources/models) when it exists, else the reference DiT.
model=""
for candidate in "$root"/resources/models/*.safetensors \
                 "${LINVIDEO_GOLDEN_DIR:-$root/../shared/golden}/dit_small.original.safetensors"; do
  if [ -f "$candidate" ]; then model="$candidate"; break; fi
done
if [ -z "$model" ]; then
  echo "run.sh: no model found (resources/models is empty and LINVIDEO_GOLDEN_DIR has no dit_small)" >&2
  exit 1
fi
exec "$bin" inspect "$model"
