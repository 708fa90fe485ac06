#pragma once
// Synthetic clips, PSNR and scratch folders for the media tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/media/video_frames.h"
#include "core/remove_tree.h"

namespace linvideo::media::fixtures {

// Smooth gradients that drift over time plus a square moving diagonally (sub-pixel, soft edges):
// motion and detail for inter prediction. A hard-edged saturated square would measure 4:2:0
// chroma subsampling (about 33 dB at this size even when lossless) rather than the codec.
inline VideoFrames make_test_clip(int width, int height, int count, double fps = 16.0) {
  VideoFrames clip;
  clip.width = width;
  clip.height = height;
  clip.count = count;
  clip.fps = fps;
  clip.rgb.resize(clip.frame_bytes() * count);
  const double side = std::max(4, std::min(width, height) / 3);
  const double square_rgb[3] = {220, 190, 110};
  for (int f = 0; f < count; ++f) {
    std::uint8_t* rgb = clip.frame(f);
    const double sx = std::fmod(f * 1.7, std::max(1.0, width - side));
    const double sy = std::fmod(f * 1.1, std::max(1.0, height - side));
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        // Coverage ramps over 3 pixels at each edge.
        auto ramp = [](double inside) { return std::clamp(inside / 3.0, 0.0, 1.0); };
        const double cover = std::min(ramp(x - sx) * ramp(sx + side - x), 1.0) *
                             std::min(ramp(y - sy) * ramp(sy + side - y), 1.0);
        const double background[3] = {40.0 + 160.0 * x / std::max(1, width - 1),
                                      30.0 + 150.0 * y / std::max(1, height - 1) + f,
                                      180.0 - 100.0 * (x + y) / std::max(1, width + height)};
        std::uint8_t* px = rgb + (std::size_t(y) * width + x) * 3;
        for (int c = 0; c < 3; ++c) {
          px[c] =
              std::uint8_t(std::lround(background[c] + cover * (square_rgb[c] - background[c])));
        }
      }
    }
  }
  return clip;
}

// Random pixels: any lossy step shows up as a mismatch.
inline VideoFrames make_noise_clip(int width, int height, int count) {
  VideoFrames clip;
  clip.width = width;
  clip.height = height;
  clip.count = count;
  clip.rgb.resize(clip.frame_bytes() * count);
  std::mt19937 rng(1234);
  for (auto& byte : clip.rgb) byte = std::uint8_t(rng() & 0xff);
  return clip;
}

inline double psnr(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  EXPECT_EQ(a.size(), b.size());
  if (a.size() != b.size() || a.empty()) return 0.0;
  double squared = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = double(a[i]) - double(b[i]);
    squared += d * d;
  }
  const double mse = squared / double(a.size());
  return mse == 0.0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

inline int max_abs_difference(const std::vector<std::uint8_t>& a,
                              const std::vector<std::uint8_t>& b) {
  int worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    worst = std::max(worst, std::abs(int(a[i]) - int(b[i])));
  }
  return worst;
}

// Runs `command` through the shell; returns its stdout and sets `exit_code` (-1: cannot run).
inline std::string run_command(const std::string& command, int& exit_code) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    exit_code = -1;
    return out;
  }
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  exit_code = pclose(pipe);
  return out;
}

inline bool have_ffprobe() {
  int exit_code = 0;
  run_command("ffprobe -version >/dev/null 2>&1", exit_code);
  return exit_code == 0;
}

// A fresh folder under the system temp folder, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("linvideo_media_test_" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    linvideo::remove_tree(path_.string());
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

  // Every entry's name, hidden temporaries included.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace linvideo::media::fixtures
