#pragma once
// A generic temporal-flicker measure for any clip (not only the shapes world): the mean absolute
// difference between consecutive frames, over every RGB value, in 8-bit levels (0 = a still
// clip; 255 = every value jumps from black to white each frame). Motion raises it too, so compare
// it between variants of the same prompt and seed rather than as an absolute quality score.
#include "core/media/video_frames.h"

namespace linvideo::media {

// 0 for a clip of one frame. Throws linvideo::Error when `frames` is inconsistent.
double temporal_flicker(const VideoFrames& frames);

}  // namespace linvideo::media
