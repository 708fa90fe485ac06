#pragma once
// Ground-truth clips of the shapes world, drawn with OpenCV (anti-aliased, sub-pixel positions so
// the motion is smooth at constant speed). Deterministic: the same scene, seed and options give
// identical frames on every machine.
//
// Geometry (all relative to the frame side S):
//   object extent d: small 13% of S, large 26% of S (circle diameter, square side, triangle base
//   and height; the triangle points up);
//   moving objects travel 50% of S from the first to the last frame at constant speed;
//   start positions are drawn from the seed so that the object stays at least 4% of S (and
//   2 px) inside the frame for the whole clip; two objects keep a gap of at least 4% of S (and
//   4 px) between their bounding boxes in every frame (rejection sampling; the best placement
//   found is used if none satisfies that).
#include <cstdint>
#include <vector>

#include "core/media/video_frames.h"
#include "core/shapes/world.h"

namespace linvideo::shapes {

struct RenderOptions {
  int side = 128;   // square frames, 96..256
  int frames = 17;  // 1 + 4k, at least 17
  double fps = 16.0;
  double small_extent = 0.13;  // object extent / side
  double large_extent = 0.26;
  double travel = 0.5;  // distance travelled over the clip / side
};

// Throws linvideo::Error naming the option when `options` is outside the ranges above.
void check_render_options(const RenderOptions& options);

// Where one object is in every frame (pixel coordinates of its bounding-box centre, which is
// also the centroid for the circle and the square; the triangle's centroid is d/6 lower).
struct ObjectTrack {
  double extent = 0;  // pixels
  std::vector<double> x, y;
};

std::vector<ObjectTrack> plan_tracks(const SceneSpec& scene, std::uint64_t seed,
                                     const RenderOptions& options = {});

media::VideoFrames render_scene(const SceneSpec& scene, std::uint64_t seed,
                                const RenderOptions& options = {});

}  // namespace linvideo::shapes
