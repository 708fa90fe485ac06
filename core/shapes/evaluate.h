#pragma once
// Scores a clip against the shapes-world prompt it was made from, with classical computer vision
// only (OpenCV), so any two model variants can be compared on this machine. Every dimension is in
// [0, 100] and graded (mostly the fraction of frames that are right) so imperfect output still
// earns partial credit; `total` is the plain mean of the ten dimensions. The world's own
// ground-truth clips score >= 98 on every dimension (tests/shapes/evaluator_self_test.cpp).
//
// Per frame: the background colour is the mode of the border pixels (nearest palette background
// gives its class); the foreground is every pixel farther than `foreground_threshold` from it;
// its 8-connected components above `min_object_fraction` of the frame are the objects, each with
// a colour (nearest palette colour of its interior) and a shape (fill ratio of its bounding box:
// square ~1.0, circle ~0.785, triangle ~0.5). Expected objects are matched to components by
// colour first, then by distance to where the object was in the previous frame.
#include <array>
#include <string>
#include <vector>

#include "core/media/video_frames.h"
#include "core/shapes/world.h"

namespace linvideo::shapes {

enum class Dimension {
  ObjectCount,            // frames with exactly the expected number of objects
  Colour,                 // frames where each object has its prompt colour
  Shape,                  // frames where each object has its prompt shape
  MotionDirection,        // least-squares track direction vs the prompt (graded by angle/size)
  Background,             // frames whose background is the prompt's
  SubjectConsistency,     // an object keeps its colour, shape, area and tint across frames
  BackgroundConsistency,  // the background keeps its class and colour across frames
  MotionSmoothness,       // low second differences of each object's centroid track
  TemporalFlicker,        // little frame-to-frame change of the background and object tints
  ImagingQuality,         // sharp object edges (on luma) and a clean (noise-free) background
};
inline constexpr int kDimensionCount = 10;
inline constexpr std::array<Dimension, kDimensionCount> kDimensions{
    Dimension::ObjectCount,           Dimension::Colour,           Dimension::Shape,
    Dimension::MotionDirection,       Dimension::Background,       Dimension::SubjectConsistency,
    Dimension::BackgroundConsistency, Dimension::MotionSmoothness, Dimension::TemporalFlicker,
    Dimension::ImagingQuality};
// snake_case names used in reports: "object_count", "colour", ...
const char* to_string(Dimension dimension);

struct ScoreOptions {
  double foreground_threshold = 60.0;   // RGB distance from the background colour
  double min_object_fraction = 0.0025;  // smallest object, as a fraction of the frame area
  double still_fraction = 0.05;  // displacement below this fraction of the side = standing still
};

// What the evaluator saw for one expected object (for reports and debugging).
struct ObjectObservation {
  std::string expected;     // "small red circle moving left"
  int frames_found = 0;     // frames with a matched component
  std::string colour_seen;  // most frequent class among matched frames, or "none"
  std::string shape_seen;
  std::string motion_seen;    // classified from the fitted displacement, or "none"
  double displacement_x = 0;  // fitted displacement over the clip, fraction of the side
  double displacement_y = 0;
  double jerk = 0;  // RMS second difference of the centroid, fraction of the side
};

struct ClipScore {
  std::array<double, kDimensionCount> dimensions{};
  double total = 0;
  std::string background_seen;  // most frequent background class
  double edge_width = 0;        // median pixels of 15..85% edge transition per contour pixel
  double background_noise = 0;  // median RMS RGB distance of background pixels from their mode
  int frames = 0;
  std::vector<ObjectObservation> objects;
  double operator[](Dimension d) const { return dimensions[static_cast<int>(d)]; }
};

// Throws linvideo::Error when `clip` is inconsistent (see media::check_frames).
ClipScore score_clip(const media::VideoFrames& clip, const SceneSpec& expected,
                     const ScoreOptions& options = {});

// Fidelity to a reference clip of the same size and length: PSNR in dB over all RGB values
// (capped at 100 for identical clips) and the mean SSIM of the luma planes (Gaussian 11x11,
// sigma 1.5, the usual constants). Throws linvideo::Error naming `what` when the shapes differ.
struct Fidelity {
  double psnr = 0;
  double ssim = 0;
};
Fidelity fidelity(const media::VideoFrames& clip, const media::VideoFrames& reference,
                  const std::string& what = "reference clip");

}  // namespace linvideo::shapes
