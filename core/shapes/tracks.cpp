#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/shapes/render.h"

// Where objects go (no OpenCV): shared by the OpenCV renderer and by the trainers' ATen rasteriser,
// which runs where OpenCV is not installed.
namespace linvideo::shapes {
namespace {


std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t x = (state += 0x9E3779B97F4A7C15ull);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

double uniform(std::uint64_t& state, double lo, double hi) {
  const double u = static_cast<double>(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * u;
}

// Per-frame displacement direction of a motion (image y grows downwards).
void direction(Motion motion, double& dx, double& dy) {
  dx = motion == Motion::Right ? 1.0 : motion == Motion::Left ? -1.0 : 0.0;
  dy = motion == Motion::Down ? 1.0 : motion == Motion::Up ? -1.0 : 0.0;
}

ObjectTrack random_track(const ObjectSpec& object, const RenderOptions& o, std::uint64_t& state) {
  const double side = o.side;
  ObjectTrack track;
  track.extent = std::round((object.size == Size::Small ? o.small_extent : o.large_extent) * side);
  const double margin = std::max(2.0, 0.04 * side) + track.extent / 2;
  const double travel = o.travel * side;
  double dx, dy;
  direction(object.motion, dx, dy);
  // The start range keeps the whole path inside [margin, side - margin].
  auto start = [&](double d) {
    const double lo = margin + (d < 0 ? travel : 0.0);
    const double hi = side - margin - (d > 0 ? travel : 0.0);
    return uniform(state, lo, std::max(lo, hi));
  };
  const double x0 = start(dx), y0 = start(dy);
  const double step = o.frames > 1 ? travel / (o.frames - 1) : 0.0;
  for (int t = 0; t < o.frames; ++t) {
    track.x.push_back(x0 + dx * step * t);
    track.y.push_back(y0 + dy * step * t);
  }
  return track;
}

// Smallest gap between the two objects' bounding boxes over the clip (negative: overlap).
double min_gap(const ObjectTrack& a, const ObjectTrack& b) {
  double gap = std::numeric_limits<double>::infinity();
  const double half = (a.extent + b.extent) / 2;
  for (std::size_t t = 0; t < a.x.size(); ++t) {
    const double gx = std::abs(a.x[t] - b.x[t]) - half;
    const double gy = std::abs(a.y[t] - b.y[t]) - half;
    gap = std::min(gap, std::max(gx, gy));
  }
  return gap;
}

}  // namespace

void check_render_options(const RenderOptions& o) {
  auto fail = [](const std::string& what) { throw Error("shapes render options: " + what); };
  if (o.side < 96 || o.side > 256) fail("side " + std::to_string(o.side) + " is outside 96..256");
  if (o.frames < 17 || (o.frames - 1) % 4 != 0) {
    fail("frames " + std::to_string(o.frames) + " must be 1 + 4k and at least 17");
  }
  if (!(o.fps > 0 && o.fps <= 240)) fail("fps must be in (0, 240]");
  if (!(o.small_extent > 0.02 && o.small_extent <= o.large_extent && o.large_extent <= 0.4)) {
    fail("object extents must satisfy 0.02 < small <= large <= 0.4");
  }
  if (!(o.travel >= 0 && o.travel + o.large_extent + 0.1 <= 1.0)) {
    fail("travel plus the large extent must leave room in the frame");
  }
}

std::vector<ObjectTrack> plan_tracks(const SceneSpec& scene, std::uint64_t seed,
                                     const RenderOptions& options) {
  check_render_options(options);
  to_prompt(scene);  // validates the scene
  std::uint64_t state = seed * 0x2545F4914F6CDD1Dull + 0x51A9E5ull;
  // Anti-aliased edges reach about a pixel out; the gap keeps the objects separate connected
  // components for the evaluator.
  const double required_gap = std::max(4.0, 0.04 * options.side);
  std::vector<ObjectTrack> best;
  double best_gap = -std::numeric_limits<double>::infinity();
  for (int attempt = 0; attempt < 400; ++attempt) {
    std::vector<ObjectTrack> tracks;
    for (const ObjectSpec& object : scene.objects) {
      tracks.push_back(random_track(object, options, state));
    }
    if (tracks.size() < 2) return tracks;
    const double gap = min_gap(tracks[0], tracks[1]);
    if (gap > best_gap) best_gap = gap, best = tracks;
    if (gap >= required_gap) break;
  }
  return best;
}

}  // namespace linvideo::shapes
