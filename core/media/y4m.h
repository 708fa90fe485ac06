#pragma once
// YUV4MPEG2 in plain C++ (works without FFmpeg). Written as C444 with XCOLORRANGE=FULL and the
// full-range BT.601 (JPEG) matrix: no chroma subsampling, so the only loss is rounding. No tags:
// FFmpeg and x264 reject header lines over 80-96 bytes, so there is no room for them. Reads 8-bit
// 4:2:0 (all sitings), 4:2:2, 4:4:4 and mono; limited range unless XCOLORRANGE=FULL.
#include <string>

#include "core/media/video_io.h"

namespace linvideo::media {

// Writes to `file_path` (a temporary); messages name `display_path`.
void write_y4m(const std::string& file_path, const std::string& display_path,
               const VideoFrames& frames, const VideoWriteOptions& options);

VideoFile read_y4m(const std::string& path, bool decode_frames);

bool starts_like_y4m(const std::string& path);

}  // namespace linvideo::media
