#!/usr/bin/env bash
# Quick start 1: install what is missing, build, and run the main job on the embedded default
# model: the studio when a display exists (X11 or Wayland), otherwise a generated clip,
# out/linvideo-demo.mp4 (prompt and settings in the file's tags), then its evaluation.
# LINVIDEO_HEADLESS=1 forces the clip even with a display.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/packaging/deps.sh"
linvideo_install_deps
linvideo_build
build="${LINVIDEO_BUILD_DIR:-$root/build}"
studio="$build/app/linvideo-studio"
if [ "${LINVIDEO_HEADLESS:-0}" != 1 ] && { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; } && [ -x "$studio" ]; then
  echo "starting the studio ($studio)"
  exec "$studio" "$@"
fi
bin="$build/app/linvideo"
"$bin" --version
mkdir -p "$root/out"
prompt="${LINVIDEO_PROMPT:-a large red circle moving left on a black background}"
clip="$root/out/linvideo-demo.mp4"
"$bin" generate -p "$prompt" --seed "${LINVIDEO_SEED:-0}" --out "$clip"
"$bin" eval --clips "$root/out" --out "$root/out/report.json"
echo "clip: $clip"
