#include "core/media/video_io.h"

#include <cctype>
#include <filesystem>
#include <system_error>

#include "core/error.h"
#include "core/media/atomic_output.h"
#include "core/media/frame_pattern.h"
#include "core/media/y4m.h"
#if LINVIDEO_WITH_FFMPEG
#include "core/media/ffmpeg_video.h"
#endif

namespace linvideo::media {
namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

#if !LINVIDEO_WITH_FFMPEG
[[noreturn]] void throw_no_ffmpeg(const std::string& path) {
  throw Error(path + ": this build has no FFmpeg; use .y4m");
}
#endif

VideoFile read_any(const std::string& path, bool decode_frames) {
  const std::string pattern = png_pattern_for_path(path);
  std::error_code ec;
  if (pattern.empty() && !std::filesystem::is_regular_file(path, ec)) {
    throw Error(path + ": no such file");
  }
  if (pattern.empty() && starts_like_y4m(path)) return read_y4m(path, decode_frames);
#if LINVIDEO_WITH_FFMPEG
  return ffmpeg::read(pattern.empty() ? path : pattern, decode_frames, !pattern.empty());
#else
  if (lower_extension(path) == ".y4m") return read_y4m(path, decode_frames);  // its own error
  throw_no_ffmpeg(path);
#endif
}

}  // namespace

const char* to_string(VideoFormat format) {
  switch (format) {
    case VideoFormat::Mp4H264:
      return "MP4 (H.264)";
    case VideoFormat::MkvFfv1:
      return "MKV (FFV1, lossless)";
    case VideoFormat::Y4m:
      return "Y4M";
    case VideoFormat::PngFrames:
      return "PNG frames";
  }
  return "unknown";
}

VideoFormat format_for_path(const std::string& path) {
  if (!png_pattern_for_path(path).empty()) return VideoFormat::PngFrames;
  const std::string ext = lower_extension(path);
  if (ext == ".mp4") return VideoFormat::Mp4H264;
  if (ext == ".mkv") return VideoFormat::MkvFfv1;
  if (ext == ".y4m") return VideoFormat::Y4m;
  if (ext == ".png") {
    throw Error(path + ": PNG frames need a numbered pattern such as frame_%05d.png, or a folder");
  }
  throw Error(path + ": unknown video extension '" + ext +
              "' (use .mp4, .mkv, .y4m, frame_%05d.png or a folder)");
}

void write_video(const std::string& path, const VideoFrames& frames,
                 const VideoWriteOptions& options) {
  const VideoFormat format = format_for_path(path);
  check_frames(frames, path);
  if (options.crf < 0 || options.crf > 51) {
    throw Error(path + ": crf " + std::to_string(options.crf) + " is outside 0..51");
  }
  if (format == VideoFormat::Y4m) {
    AtomicOutput out(path);
    write_y4m(out.temp_path(), path, frames, options);
    out.commit();
    return;
  }
#if LINVIDEO_WITH_FFMPEG
  if (format == VideoFormat::PngFrames) {
    ffmpeg::write_png_frames(png_pattern_for_path(path), frames, options);
    return;
  }
  AtomicOutput out(path);
  ffmpeg::write_container(out.temp_path(), path, format, frames, options);
  out.commit();
#else
  throw_no_ffmpeg(path);
#endif
}

VideoFile read_video(const std::string& path) { return read_any(path, true); }

VideoFile read_video_header(const std::string& path) { return read_any(path, false); }

bool media_has_ffmpeg() {
#if LINVIDEO_WITH_FFMPEG
  return true;
#else
  return false;
#endif
}

}  // namespace linvideo::media
