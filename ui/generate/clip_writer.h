#pragma once
// Writes a generated clip the way the gallery reads it back: MP4 (H.264) with the CLI's tags
// (pipeline::clip_tags) plus the studio's timing tags, and a PNG thumbnail (the middle frame)
// beside it. Plain file work on RGB8 frames; called from engine tasks.
#include <QString>
#include <string>
#include <vector>

#include "core/media/video_frames.h"
#include "ui/generate/generate_request.h"

namespace linvideo::pipeline {
struct GenerationSettings;
}

namespace linvideo::ui {

inline constexpr const char* kWallSecondsTag = "linvideo_wall_seconds";
inline constexpr const char* kDitSecondsTag = "linvideo_dit_seconds";
inline constexpr const char* kFrameCountTag = "linvideo_frames";

struct ClipTiming {
  double wallSeconds = -1, ditSeconds = -1;
};

// A new file name in `folder` for a clip: "20240501-142233_seed42.mp4" (made unique).
QString newClipPath(const QString& folder, quint64 seed, const QString& suffix = {});

GalleryEntry writeClip(const QString& path, const media::VideoFrames& frames,
                       const pipeline::GenerationSettings& settings, const std::string& modelName,
                       const std::vector<std::string>& attentionModes, const ClipTiming& timing,
                       const QString& student = {});

}  // namespace linvideo::ui
