// side_by_side: the composed clip is as wide as the inputs together and as tall as the tallest,
// columns hold their clip's pixels, labels change pixels, short clips hold their last frame.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/shapes/side_by_side.h"

namespace linvideo::shapes {
namespace {

media::VideoFrames solid(int width, int height, int count, std::uint8_t level) {
  media::VideoFrames f;
  f.width = width, f.height = height, f.count = count, f.fps = 12;
  f.rgb.assign(f.frame_bytes() * count, level);
  return f;
}

std::uint8_t at(const media::VideoFrames& f, int frame, int x, int y) {
  return f.frame(frame)[(std::size_t(y) * f.width + x) * 3];
}

TEST(SideBySide, SizeIsSumOfWidthsAndMaxHeight) {
  const auto a = solid(64, 48, 5, 100), b = solid(96, 64, 3, 200);
  const media::VideoFrames out = side_by_side({{"", &a}, {"", &b}});
  EXPECT_EQ(out.width, 160);
  EXPECT_EQ(out.height, 64);
  EXPECT_EQ(out.count, 5);
  EXPECT_DOUBLE_EQ(out.fps, 12);
  EXPECT_EQ(at(out, 0, 10, 10), 100);
  EXPECT_EQ(at(out, 0, 70, 60), 200);
  EXPECT_EQ(at(out, 0, 10, 60), 0);   // below the shorter clip: black
  EXPECT_EQ(at(out, 4, 70, 60), 200);  // the shorter clip holds its last frame
}

TEST(SideBySide, LabelsChangePixels) {
  const auto a = solid(128, 96, 2, 90), b = solid(128, 96, 2, 90);
  const media::VideoFrames plain = side_by_side({{"", &a}, {"", &b}});
  const media::VideoFrames labelled = side_by_side({{"Teacher", &a}, {"", &b}});
  std::size_t changed_left = 0, changed_right = 0;
  for (int y = 0; y < 96; ++y) {
    for (int x = 0; x < 256; ++x) {
      if (at(plain, 0, x, y) != at(labelled, 0, x, y)) ++(x < 128 ? changed_left : changed_right);
    }
  }
  EXPECT_GT(changed_left, 50u);
  EXPECT_EQ(changed_right, 0u);
}

TEST(SideBySide, RejectsNoClipsAndBadClips) {
  EXPECT_THROW(side_by_side({}), Error);
  auto bad = solid(8, 8, 2, 0);
  bad.rgb.resize(10);
  try {
    side_by_side({{"broken", &bad}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("broken"), std::string::npos);
  }
}

}  // namespace
}  // namespace linvideo::shapes
