#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run the main job on the embedded default
# model. The studio (issue 6) does not exist yet, so the main job is a generated clip:
# out/linvideo-demo.mp4 (prompt and settings in the file's tags), then its evaluation.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/packaging/deps.sh"
linvideo_install_deps
linvideo_build
bin="${LINVIDEO_BUILD_DIR:-$root/build}/app/linvideo"
"$bin" --version
mkdir -p "$root/out"
prompt="${LINVIDEO_PROMPT:-a large red circle moving left on a black background}"
clip="$root/out/linvideo-demo.mp4"
"$bin" generate -p "$prompt" --seed "${LINVIDEO_SEED:-0}" --out "$clip"
"$bin" eval --clips "$root/out" --out "$root/out/report.json"
echo "clip: $clip"
