#include "core/media/video_frames.h"

#include <cmath>

#include "core/error.h"

namespace linvideo::media {

void check_frames(const VideoFrames& frames, const std::string& path) {
  const auto where = path + ": ";
  if (frames.width < 1 || frames.height < 1 || frames.width > kMaxVideoSide ||
      frames.height > kMaxVideoSide) {
    throw Error(where + "frame size " + std::to_string(frames.width) + "x" +
                std::to_string(frames.height) + " is outside 1.." + std::to_string(kMaxVideoSide));
  }
  if (frames.count < 1) throw Error(where + "no frames to write");
  if (!std::isfinite(frames.fps) || frames.fps <= 0.0 || frames.fps > 1000.0) {
    throw Error(where + "fps " + std::to_string(frames.fps) + " is outside (0, 1000]");
  }
  const std::size_t expected = frames.frame_bytes() * std::size_t(frames.count);
  if (frames.rgb.size() != expected) {
    throw Error(where + "rgb holds " + std::to_string(frames.rgb.size()) + " bytes, " +
                std::to_string(frames.count) + " frames of " + std::to_string(frames.width) + "x" +
                std::to_string(frames.height) + " RGB8 need " + std::to_string(expected));
  }
}

}  // namespace linvideo::media
