#pragma once
// Several clips composed into one, left to right, with a label over each column: the studio's
// comparison export. Generic (any clips), it lives here because this module is the engine's
// OpenCV user. The result is as wide as the clips together and as tall as the tallest; shorter
// clips hold their last frame and smaller ones sit on black at the top; fps is the first clip's.
#include <string>
#include <vector>

#include "core/media/video_frames.h"

namespace linvideo::shapes {

struct LabelledClip {
  std::string label;  // drawn in white on a dark band at the top of the column; may be empty
  const media::VideoFrames* frames = nullptr;
};

// Throws linvideo::Error when there are no clips or one is inconsistent (naming its label).
media::VideoFrames side_by_side(const std::vector<LabelledClip>& clips);

}  // namespace linvideo::shapes
