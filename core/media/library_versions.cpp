#include "core/media/library_versions.h"

#ifdef LINVIDEO_WITH_FFMPEG
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>
}
#endif

namespace linvideo::media {

#ifdef LINVIDEO_WITH_FFMPEG
namespace {

std::string dotted(unsigned version) {
  return std::to_string(AV_VERSION_MAJOR(version)) + "." +
         std::to_string(AV_VERSION_MINOR(version)) + "." +
         std::to_string(AV_VERSION_MICRO(version));
}

}  // namespace
#endif

std::string ffmpeg_versions() {
#ifdef LINVIDEO_WITH_FFMPEG
  return std::string("FFmpeg ") + av_version_info() + " (libavcodec " + dotted(avcodec_version()) +
         ", libavformat " + dotted(avformat_version()) + ", libavutil " + dotted(avutil_version()) +
         ", libswscale " + dotted(swscale_version()) + ")";
#else
  return "not built with FFmpeg (Y4M only)";
#endif
}

}  // namespace linvideo::media
