// temporal_flicker: still clips score 0, alternating black/white 255, and it scales with the jump.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/media/temporal_flicker.h"

namespace linvideo::media {
namespace {

VideoFrames clip(std::initializer_list<std::uint8_t> levels) {
  VideoFrames f;
  f.width = 4, f.height = 3, f.count = static_cast<int>(levels.size());
  for (std::uint8_t level : levels) f.rgb.insert(f.rgb.end(), f.frame_bytes(), level);
  return f;
}

TEST(TemporalFlicker, StillClipIsZero) { EXPECT_DOUBLE_EQ(temporal_flicker(clip({40, 40, 40})), 0.0); }

TEST(TemporalFlicker, SingleFrameIsZero) { EXPECT_DOUBLE_EQ(temporal_flicker(clip({7})), 0.0); }

TEST(TemporalFlicker, AlternatingBlackWhiteIsMaximal) {
  EXPECT_DOUBLE_EQ(temporal_flicker(clip({0, 255, 0, 255})), 255.0);
}

TEST(TemporalFlicker, MeanOfConsecutiveJumps) {
  EXPECT_DOUBLE_EQ(temporal_flicker(clip({10, 20, 50})), 20.0);  // (10 + 30) / 2
}

TEST(TemporalFlicker, InconsistentClipThrows) {
  VideoFrames bad = clip({1, 2});
  bad.rgb.pop_back();
  EXPECT_THROW(temporal_flicker(bad), Error);
}

}  // namespace
}  // namespace linvideo::media
