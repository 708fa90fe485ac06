#include "core/media/temporal_flicker.h"

#include <cstdlib>

namespace linvideo::media {

double temporal_flicker(const VideoFrames& frames) {
  check_frames(frames, "temporal_flicker");
  if (frames.count < 2) return 0.0;
  const std::size_t n = frames.frame_bytes();
  double total = 0.0;
  for (int f = 1; f < frames.count; ++f) {
    const std::uint8_t* a = frames.frame(f - 1);
    const std::uint8_t* b = frames.frame(f);
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<std::uint64_t>(std::abs(int(a[i]) - int(b[i])));
    total += static_cast<double>(sum) / static_cast<double>(n);
  }
  return total / (frames.count - 1);
}

}  // namespace linvideo::media
