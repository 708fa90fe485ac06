#!/usr/bin/env bash
# Installs the Debian 12 packages LinVideo Studio builds with. Idempotent: only what is missing is
# installed, and nothing at all when everything is present. Sourced by run.sh and test.sh.
set -euo pipefail

LINVIDEO_PACKAGES=(
  cmake g++ ninja-build ccache pkg-config
  libtorch-dev libopenblas0-pthread         # LibTorch 1.13 (CPU) + a fast BLAS (30x over reference)
  qt6-base-dev libqt6opengl6-dev qt6-charts-dev  # studio (Widgets, Charts, Test); the real package name:
                                            # libqt6charts6-dev is virtual, never "installed", so every run called apt
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev  # MP4 encode/decode
  ffmpeg                                    # ffprobe for the media metadata tests
  libopencv-dev                             # metrics, image utilities
  sentencepiece                             # spm_train (shapes tokenizer trainer) and spm_encode (tokenizer tests)
  nlohmann-json3-dev libcli11-dev           # JSON, command-line parsing
  libgtest-dev libgmock-dev                 # engine tests
  xvfb xauth                                # UI screenshots without a display
  clang libclang-rt-14-dev                  # libFuzzer + sanitizers
)

linvideo_install_deps() {
  local missing=()
  for p in "${LINVIDEO_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#LINVIDEO_PACKAGES[@]} packages present"
    return 0
  fi
  echo "deps: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures (once) and builds the main tree incrementally with ninja + ccache.
linvideo_build() {
  local root build
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  build="${LINVIDEO_BUILD_DIR:-$root/build}"
  export CCACHE_DIR="${CCACHE_DIR:-$root/.cache/ccache}"
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
  if [ ! -f "$build/build.ninja" ]; then
    # LINVIDEO_CMAKE_ARGS: extra configure options (test.sh's sanitizer build passes its own).
    # shellcheck disable=SC2086
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${LINVIDEO_CMAKE_ARGS:-}
  fi
  cmake --build "$build" -j "$(nproc)"
}
