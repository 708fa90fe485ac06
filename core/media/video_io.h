#pragma once
// Writing and reading video files. The container follows the path:
//   .mp4            H.264 (libx264), yuv420p, BT.709 limited range; odd sizes are padded by one
//                   edge-replicated row/column and cropped back on read (tag linvideo_frame_size)
//   .mkv            FFV1 (version 3) in Matroska with RGB pixels (0rgb32): bit-exact
//   .y4m            YUV4MPEG2 4:4:4, full-range BT.601 (JPEG) matrix; needs no FFmpeg; about
//                   +-1 level of rounding, so near-lossless rather than exact; no tags (the
//                   format has no room for them)
//   *%05d.png, dir/ PNG frames (a numbered pattern, or an existing folder: dir/frame_%05d.png);
//                   bit-exact, no tags, read back at 16 fps
// Every write is atomic: temporary files beside the target are renamed only when complete and
// removed on failure. Every failure is a linvideo::Error whose message names the path.
#include <functional>
#include <string>

#include "core/media/video_frames.h"

namespace linvideo::media {

enum class VideoFormat { Mp4H264, MkvFfv1, Y4m, PngFrames };

const char* to_string(VideoFormat format);

// Format for `path` by extension (case-insensitive), see above. Throws for anything else.
VideoFormat format_for_path(const std::string& path);

struct VideoWriteOptions {
  int crf = 18;                   // H.264 quality 0..51, lower is better (18: visually lossless)
  std::string preset = "medium";  // libx264 speed preset (ultrafast .. veryslow)
  VideoMetadata metadata;         // container tags (MP4, MKV); see generation_metadata.h
  // Called after each frame with (frames done, total); returning false cancels the write, which
  // then throws linvideo::Error and leaves nothing behind.
  std::function<bool(int frames_done, int frame_count)> progress;
};

struct VideoFile {
  VideoFrames frames;
  VideoMetadata metadata;
};

// Writes `frames` to `path`, replacing an existing file. The folder must exist.
void write_video(const std::string& path, const VideoFrames& frames,
                 const VideoWriteOptions& options = {});

// Decodes every frame to RGB8 and reads the container tags. Y4M files (by content) need no
// FFmpeg; with FFmpeg any container and codec it can decode is accepted.
VideoFile read_video(const std::string& path);

// The tags (and sizes and fps, with frames.count possibly 0 and frames.rgb empty) without
// decoding.
VideoFile read_video_header(const std::string& path);

// Whether this build has FFmpeg (MP4, MKV and PNG support).
bool media_has_ffmpeg();

}  // namespace linvideo::media
