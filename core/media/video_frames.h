#pragma once
// Video as plain data (no LibTorch), so the studio and small tools can write and preview clips
// without the engine's heavy headers.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace linvideo::media {

// `count` frames of `height` x `width` RGB8 pixels, interleaved and frame-major:
// rgb[((frame * height + y) * width + x) * 3 + channel].
struct VideoFrames {
  int width = 0;
  int height = 0;
  int count = 0;
  double fps = 16.0;
  std::vector<std::uint8_t> rgb;

  std::size_t frame_bytes() const { return std::size_t(width) * std::size_t(height) * 3; }
  const std::uint8_t* frame(int index) const { return rgb.data() + frame_bytes() * index; }
  std::uint8_t* frame(int index) { return rgb.data() + frame_bytes() * index; }
};

// Container tags. Keys are lower case: readers fold case because Matroska stores keys upper case.
struct VideoMetadata {
  std::map<std::string, std::string> tags;
};

// Largest width or height accepted by writers and readers (guards size arithmetic).
inline constexpr int kMaxVideoSide = 16384;

// Throws linvideo::Error naming `path` unless `frames` is consistent: 1..kMaxVideoSide sides,
// at least one frame, a finite positive fps and rgb.size() == count * frame_bytes().
void check_frames(const VideoFrames& frames, const std::string& path);

}  // namespace linvideo::media
