#pragma once
// The FFmpeg side of video_io (compiled only when LINVIDEO_WITH_FFMPEG).
#include <string>

#include "core/media/video_io.h"

namespace linvideo::media::ffmpeg {

// MP4 (H.264) or MKV (FFV1) into `file_path` (a temporary); messages name `display_path`.
void write_container(const std::string& file_path, const std::string& display_path,
                     VideoFormat format, const VideoFrames& frames,
                     const VideoWriteOptions& options);

// One PNG per frame named by `pattern`, all renamed into place only when every frame is written.
void write_png_frames(const std::string& pattern, const VideoFrames& frames,
                      const VideoWriteOptions& options);

// Any container FFmpeg can demux; `png_pattern` reads an image sequence through image2.
VideoFile read(const std::string& path, bool decode_frames, bool png_pattern);

}  // namespace linvideo::media::ffmpeg
