#pragma once
// Engine video [frames, 3, H, W] in [0, 1] -> the media library's RGB8 frames (for the CLI, the
// studio and the tests alike; the media library itself has no LibTorch).
#include <ATen/ATen.h>

#include "core/media/video_frames.h"

namespace linvideo::pipeline {

inline media::VideoFrames to_video_frames(const at::Tensor& video, double fps = 16.0) {
  const at::Tensor rgb =
      (video.clamp(0, 1) * 255).round().to(at::kByte).permute({0, 2, 3, 1}).to(at::kCPU).contiguous();
  media::VideoFrames frames;
  frames.count = static_cast<int>(rgb.size(0));
  frames.height = static_cast<int>(rgb.size(1));
  frames.width = static_cast<int>(rgb.size(2));
  frames.fps = fps;
  frames.rgb.assign(rgb.data_ptr<std::uint8_t>(), rgb.data_ptr<std::uint8_t>() + rgb.numel());
  return frames;
}

}  // namespace linvideo::pipeline
