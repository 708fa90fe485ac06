#pragma once
// Versions of the media libraries this build links, for About boxes and bug reports.
#include <string>

namespace linvideo::media {

// "FFmpeg 5.1.6 (libavcodec 59.37.100, libavformat 59.27.100, libavutil 57.28.100, libswscale
// 6.7.100)", or "not built with FFmpeg (Y4M only)".
std::string ffmpeg_versions();

}  // namespace linvideo::media
