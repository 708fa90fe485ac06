// The ground-truth renderer: deterministic, inside the frame, objects apart, options checked.
#include "core/shapes/render.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace linvideo::shapes {
namespace {

TEST(ShapesRender, SameSeedSameFramesOtherSeedOtherFrames) {
  const SceneSpec s = parse_prompt(
      "a small blue circle moving right and a large white triangle moving down on a gray "
      "background");
  const media::VideoFrames a = render_scene(s, 7), b = render_scene(s, 7), c = render_scene(s, 8);
  EXPECT_EQ(a.rgb, b.rgb);
  EXPECT_NE(a.rgb, c.rgb);
  EXPECT_EQ(a.width, 128);
  EXPECT_EQ(a.height, 128);
  EXPECT_EQ(a.count, 17);
  EXPECT_EQ(a.fps, 16.0);
  EXPECT_NO_THROW(media::check_frames(a, "rendered"));
}

TEST(ShapesRender, TracksStayInsideTravelHalfTheFrameAndKeepApart) {
  RenderOptions o;
  for (std::uint64_t seed = 0; seed < 400; ++seed) {
    const SceneSpec s = sample_scene(seed, 0.7);
    const auto tracks = plan_tracks(s, seed, o);
    ASSERT_EQ(tracks.size(), s.objects.size());
    for (std::size_t i = 0; i < tracks.size(); ++i) {
      const ObjectTrack& t = tracks[i];
      for (int f = 0; f < o.frames; ++f) {
        EXPECT_GE(t.x[f] - t.extent / 2, 2.0);
        EXPECT_LE(t.x[f] + t.extent / 2, o.side - 2.0);
        EXPECT_GE(t.y[f] - t.extent / 2, 2.0);
        EXPECT_LE(t.y[f] + t.extent / 2, o.side - 2.0);
      }
      const double moved = std::hypot(t.x.back() - t.x.front(), t.y.back() - t.y.front());
      EXPECT_NEAR(moved, s.objects[i].motion == Motion::Still ? 0.0 : 0.5 * o.side, 1e-9);
    }
    if (tracks.size() == 2) {
      for (int f = 0; f < o.frames; ++f) {
        const double half = (tracks[0].extent + tracks[1].extent) / 2;
        const double gap = std::max(std::abs(tracks[0].x[f] - tracks[1].x[f]) - half,
                                    std::abs(tracks[0].y[f] - tracks[1].y[f]) - half);
        EXPECT_GE(gap, 0.04 * o.side) << to_prompt(s) << " seed " << seed << " frame " << f;
      }
    }
  }
}

TEST(ShapesRender, DrawsThePaletteInRgbOrder) {
  const SceneSpec s = parse_prompt("a large red square standing still on a navy background");
  const media::VideoFrames v = render_scene(s, 3);
  const auto tracks = plan_tracks(s, 3);
  const int x = static_cast<int>(tracks[0].x[0]), y = static_cast<int>(tracks[0].y[0]);
  const std::uint8_t* centre = v.frame(0) + (y * v.width + x) * 3;
  EXPECT_EQ(centre[0], 230);
  EXPECT_EQ(centre[1], 30);
  EXPECT_EQ(centre[2], 30);
  const std::uint8_t* corner = v.frame(0);
  EXPECT_EQ(corner[0], 10);
  EXPECT_EQ(corner[2], 100);
}

TEST(ShapesRender, OtherSizesAndLengthsAndBadOptions) {
  const SceneSpec s = sample_scene(5);
  RenderOptions o;
  o.side = 96;
  o.frames = 21;
  const media::VideoFrames v = render_scene(s, 1, o);
  EXPECT_EQ(v.width, 96);
  EXPECT_EQ(v.count, 21);
  for (auto [side, frames] : {std::pair{95, 17}, {257, 17}, {128, 16}, {128, 18}, {128, 13}}) {
    RenderOptions bad;
    bad.side = side;
    bad.frames = frames;
    EXPECT_THROW(render_scene(s, 1, bad), Error) << side << " " << frames;
  }
}

}  // namespace
}  // namespace linvideo::shapes
