#include "core/shapes/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "core/error.h"

namespace linvideo::shapes {
namespace {

// Tolerances of the graded scores, in the units named. Each maps a measured error e to
// 100 * clamp(1 - (e - tolerance) / falloff): full marks up to the tolerance, zero at
// tolerance + falloff. Ground truth sits well inside every tolerance; see the self-test.
struct Grade {
  double tolerance, falloff;
  double operator()(double e) const {
    return std::clamp(1.0 - (e - tolerance) / falloff, 0.0, 1.0);
  }
};
constexpr Grade kAreaVariation{0.06, 0.25};   // coefficient of variation of the area
constexpr Grade kTintDrift{6.0, 40.0};        // RGB distance of a tint from its median
constexpr Grade kBackgroundDrift{4.0, 30.0};  // RGB distance of the background from its median
constexpr Grade kJerk{0.005, 0.03};           // RMS centroid second difference / side
constexpr Grade kFlicker{1.5, 12.0};          // mean abs level change per frame
constexpr Grade kEdgeWidth{1.3, 1.5};         // pixels of 15..85% transition per edge pixel
constexpr Grade kNoise{3.0, 20.0};            // RMS RGB distance of background pixels

using Vec3 = cv::Vec3d;

double distance(const Vec3& a, const Vec3& b) { return cv::norm(a - b); }
double luma(const Vec3& rgb) { return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]; }
// Edges are measured on luma when the object and background differ enough in it: luma keeps
// full resolution in every codec (4:2:0 chroma would otherwise read as blur) and is what the eye
// judges sharpness by. The one pair with almost no luma contrast, green on gray (3 levels), has
// edges only in chroma, which H.264 halves: a clip with no other object is judged on noise only.
constexpr double kMinLumaContrast = 10.0;
Vec3 to_vec(Rgb c) { return Vec3(c.r, c.g, c.b); }

template <typename Enum, std::size_t N>
Enum nearest(const std::array<Enum, N>& values, const Vec3& colour) {
  Enum best = values[0];
  double best_d = std::numeric_limits<double>::infinity();
  for (Enum v : values) {
    const double d = distance(colour, to_vec(palette(v)));
    if (d < best_d) best_d = d, best = v;
  }
  return best;
}

struct Component {
  double area = 0;        // pixels of the thresholded mask
  double cx = 0, cy = 0;  // coverage-weighted centroid (sub-pixel)
  Vec3 tint;              // mean colour of the interior
  Colour colour = Colour::Red;
  Shape shape = Shape::Circle;
  double edge_width = 0;  // transition pixels per contour pixel
  bool edge_on_luma = false;
};

struct FrameAnalysis {
  Vec3 background;
  Background background_class = Background::Black;
  std::vector<Component> components;  // largest first, at most kMaxComponents
  cv::Mat near_foreground;            // dilated foreground mask
  double noise = 0;                   // RMS distance of clean background pixels
};
constexpr std::size_t kMaxComponents = 8;

// Mode of the border pixels on a 16-level grid, refined to the median of the border pixels near
// that mode: robust to objects touching the border and to compression noise.
Vec3 border_background(const cv::Mat& image) {
  std::vector<Vec3> border;
  const int band = std::max(1, std::min(image.rows, image.cols) / 64);
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      if (y >= band && y < image.rows - band && x >= band && x < image.cols - band) continue;
      const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
      border.emplace_back(p[0], p[1], p[2]);
    }
  }
  std::map<int, int> histogram;
  for (const Vec3& p : border) {
    ++histogram[(int(p[0]) / 16) * 256 + (int(p[1]) / 16) * 16 + int(p[2]) / 16];
  }
  const int mode = std::max_element(histogram.begin(), histogram.end(), [](auto& a, auto& b) {
                     return a.second < b.second;
                   })->first;
  const Vec3 centre((mode / 256) * 16 + 8, ((mode / 16) % 16) * 16 + 8, (mode % 16) * 16 + 8);
  Vec3 result;
  for (int c = 0; c < 3; ++c) {
    std::vector<double> values;
    for (const Vec3& p : border) {
      if (distance(p, centre) <= 40) values.push_back(p[c]);
    }
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    result[c] = values[values.size() / 2];
  }
  return result;
}

Shape shape_from_fill(double fill) {
  if (fill > 0.89) return Shape::Square;
  if (fill > 0.64) return Shape::Circle;
  return Shape::Triangle;
}

FrameAnalysis analyse_frame(const cv::Mat& image, const ScoreOptions& options) {
  FrameAnalysis frame;
  frame.background = border_background(image);
  frame.background_class = nearest(kBackgrounds, frame.background);

  cv::Mat dist(image.size(), CV_32F);
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
      dist.at<float>(y, x) = static_cast<float>(distance(Vec3(p[0], p[1], p[2]), frame.background));
    }
  }
  const cv::Mat mask = dist > options.foreground_threshold;
  cv::dilate(mask, frame.near_foreground,
             cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(7, 7)));

  double noise_sum = 0;
  int noise_count = 0;
  for (int y = 0; y < image.rows; ++y) {
    for (int x = 0; x < image.cols; ++x) {
      if (frame.near_foreground.at<std::uint8_t>(y, x)) continue;
      noise_sum += double(dist.at<float>(y, x)) * dist.at<float>(y, x);
      ++noise_count;
    }
  }
  frame.noise = noise_count ? std::sqrt(noise_sum / noise_count) : 0.0;

  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  const double min_area =
      std::max(12.0, options.min_object_fraction * double(image.rows) * image.cols);
  std::vector<int> kept;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) >= min_area) kept.push_back(i);
  }
  std::sort(kept.begin(), kept.end(), [&](int a, int b) {
    return stats.at<int>(a, cv::CC_STAT_AREA) > stats.at<int>(b, cv::CC_STAT_AREA);
  });
  if (kept.size() > kMaxComponents) kept.resize(kMaxComponents);

  const cv::Mat kernel3 = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
  for (int label : kept) {
    Component c;
    const cv::Rect box(
        stats.at<int>(label, cv::CC_STAT_LEFT), stats.at<int>(label, cv::CC_STAT_TOP),
        stats.at<int>(label, cv::CC_STAT_WIDTH), stats.at<int>(label, cv::CC_STAT_HEIGHT));
    c.area = stats.at<int>(label, cv::CC_STAT_AREA);
    const double fill = c.area / (double(box.width) * box.height);
    c.shape = shape_from_fill(fill);

    // Interior tint: the component eroded by one pixel, away from anti-aliased edges.
    const cv::Rect roi =
        (box + cv::Size(6, 6) - cv::Point(3, 3)) & cv::Rect(0, 0, image.cols, image.rows);
    const cv::Mat own = labels(roi) == label;
    cv::Mat interior;
    cv::erode(own, interior, kernel3);
    if (cv::countNonZero(interior) < 0.3 * c.area) interior = own;
    const cv::Scalar mean = cv::mean(image(roi), interior);
    c.tint = Vec3(mean[0], mean[1], mean[2]);
    c.colour = nearest(kColours, c.tint);

    // Coverage alpha in [0, 1] of each pixel near the component, for a sub-pixel centroid and
    // the width of the edge transition.
    const double contrast = std::max(1.0, distance(c.tint, frame.background));
    const double background_luma = luma(frame.background);
    const double luma_contrast = luma(c.tint) - background_luma;
    const bool edges_on_luma = std::abs(luma_contrast) >= kMinLumaContrast;
    double weight = 0, sx = 0, sy = 0;
    int transition = 0;
    for (int y = roi.y; y < roi.y + roi.height; ++y) {
      for (int x = roi.x; x < roi.x + roi.width; ++x) {
        const int l = labels.at<int>(y, x);
        if (l != label && l != 0) continue;
        const double alpha = std::min(1.0, dist.at<float>(y, x) / contrast);
        double edge_alpha = alpha;
        if (edges_on_luma) {
          const cv::Vec3b p = image.at<cv::Vec3b>(y, x);
          edge_alpha = (luma(Vec3(p[0], p[1], p[2])) - background_luma) / luma_contrast;
        }
        if (edge_alpha > 0.15 && edge_alpha < 0.85) ++transition;
        if (alpha < 0.1) continue;
        weight += alpha, sx += alpha * (x + 0.5), sy += alpha * (y + 0.5);
      }
    }
    c.cx = sx / weight;
    c.cy = sy / weight;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(own, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    double perimeter = 0;
    for (const auto& contour : contours)
      perimeter = std::max(perimeter, cv::arcLength(contour, true));
    c.edge_width = transition / std::max(1.0, perimeter);
    c.edge_on_luma = edges_on_luma;
    frame.components.push_back(c);
  }
  return frame;
}

// Assigns each expected object a component index (or -1) in one frame: the cheapest injective
// assignment, cost = colour distance (0..1) + half the distance (fraction of side) from where the
// object last was.
std::vector<int> match_objects(const SceneSpec& scene, const FrameAnalysis& frame,
                               const std::vector<std::optional<cv::Point2d>>& last, double side) {
  const std::size_t e = scene.objects.size(), n = frame.components.size();
  auto cost = [&](std::size_t object, std::size_t component) {
    const Component& c = frame.components[component];
    double k = distance(c.tint, to_vec(palette(scene.objects[object].colour))) / 441.7;
    if (last[object]) k += 0.5 * std::hypot(c.cx - last[object]->x, c.cy - last[object]->y) / side;
    return k;
  };
  constexpr double kUnmatched = 10.0;  // prefer matching every object that can be matched
  std::vector<int> best(e, -1);
  double best_cost = std::numeric_limits<double>::infinity();
  // e is 1 or 2: enumerate every choice of component (or none) per object.
  const int choices = static_cast<int>(n) + 1;
  for (int a = 0; a < choices; ++a) {
    for (int b = 0; b < (e == 2 ? choices : 1); ++b) {
      const int pick[2] = {a - 1, e == 2 ? b - 1 : -1};
      if (e == 2 && pick[0] >= 0 && pick[0] == pick[1]) continue;
      double total = 0;
      for (std::size_t i = 0; i < e; ++i) {
        total += pick[i] < 0 ? kUnmatched : cost(i, static_cast<std::size_t>(pick[i]));
      }
      if (total < best_cost) {
        best_cost = total;
        for (std::size_t i = 0; i < e; ++i) best[i] = pick[i];
      }
    }
  }
  return best;
}

template <typename Enum>
std::optional<Enum> mode_of(const std::vector<Enum>& values) {
  std::map<Enum, int> counts;
  for (Enum v : values) ++counts[v];
  if (counts.empty()) return std::nullopt;
  return std::max_element(counts.begin(), counts.end(),
                          [](auto& a, auto& b) { return a.second < b.second; })
      ->first;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

Motion classify_motion(double dx, double dy, double still_fraction) {
  if (std::hypot(dx, dy) < still_fraction) return Motion::Still;
  if (std::abs(dx) >= std::abs(dy)) return dx > 0 ? Motion::Right : Motion::Left;
  return dy > 0 ? Motion::Down : Motion::Up;
}

// Everything measured about one expected object over the clip.
struct ObjectScores {
  double colour = 0, shape = 0, direction = 0, consistency = 0, smoothness = 0;
  double tint_jump = 0;  // mean RGB change of the tint between consecutive matched frames
  ObjectObservation seen;
};

ObjectScores score_object(const ObjectSpec& expected, const std::vector<const Component*>& track,
                          double side, const ScoreOptions& options) {
  ObjectScores s;
  const int frames = static_cast<int>(track.size());
  s.seen.expected = std::string(to_string(expected.size)) + " " + to_string(expected.colour) + " " +
                    to_string(expected.shape) + " " + to_string(expected.motion);
  std::vector<Colour> colours;
  std::vector<Shape> shapes;
  std::vector<std::pair<Colour, Shape>> kinds;
  std::vector<double> areas, ts, xs, ys;
  std::vector<Vec3> tints;
  int colour_right = 0, shape_right = 0;
  for (int t = 0; t < frames; ++t) {
    const Component* c = track[t];
    if (!c) continue;
    colours.push_back(c->colour);
    shapes.push_back(c->shape);
    kinds.emplace_back(c->colour, c->shape);
    colour_right += c->colour == expected.colour;
    shape_right += c->shape == expected.shape;
    areas.push_back(c->area);
    tints.push_back(c->tint);
    ts.push_back(t), xs.push_back(c->cx), ys.push_back(c->cy);
  }
  const int found = static_cast<int>(ts.size());
  s.seen.frames_found = found;
  s.seen.colour_seen = found ? to_string(*mode_of(colours)) : "none";
  s.seen.shape_seen = found ? to_string(*mode_of(shapes)) : "none";
  s.seen.motion_seen = "none";
  s.colour = double(colour_right) / frames;
  s.shape = double(shape_right) / frames;
  const double coverage = double(found) / frames;
  if (found == 0) return s;

  // Subject consistency: same (colour, shape) as its usual self, stable area and tint.
  const auto usual = *mode_of(kinds);
  const double same_kind = double(std::count(kinds.begin(), kinds.end(), usual)) / frames;
  double area_mean = 0, area_var = 0;
  for (double a : areas) area_mean += a / found;
  for (double a : areas) area_var += (a - area_mean) * (a - area_mean) / found;
  Vec3 tint_median;
  for (int c = 0; c < 3; ++c) {
    std::vector<double> channel;
    for (const Vec3& v : tints) channel.push_back(v[c]);
    tint_median[c] = median(channel);
  }
  double drift = 0;
  for (const Vec3& v : tints) drift += distance(v, tint_median) / found;
  s.consistency = 0.5 * same_kind +
                  0.25 * kAreaVariation(std::sqrt(area_var) / area_mean) * coverage +
                  0.25 * kTintDrift(drift) * coverage;
  int jumps = 0;
  for (int i = 1; i < found; ++i) {
    if (ts[i] == ts[i - 1] + 1) s.tint_jump += distance(tints[i], tints[i - 1]), ++jumps;
  }
  if (jumps) s.tint_jump /= jumps;

  // Direction: least-squares velocity over the matched frames, extrapolated to the whole clip.
  if (found >= 3) {
    double tm = 0, xm = 0, ym = 0;
    for (int i = 0; i < found; ++i) tm += ts[i] / found, xm += xs[i] / found, ym += ys[i] / found;
    double stt = 0, stx = 0, sty = 0;
    for (int i = 0; i < found; ++i) {
      stt += (ts[i] - tm) * (ts[i] - tm);
      stx += (ts[i] - tm) * (xs[i] - xm);
      sty += (ts[i] - tm) * (ys[i] - ym);
    }
    const double dx = stt > 0 ? stx / stt * (frames - 1) / side : 0.0;
    const double dy = stt > 0 ? sty / stt * (frames - 1) / side : 0.0;
    s.seen.displacement_x = dx, s.seen.displacement_y = dy;
    s.seen.motion_seen = to_string(classify_motion(dx, dy, options.still_fraction));
    const double length = std::hypot(dx, dy);
    if (expected.motion == Motion::Still) {
      s.direction = Grade{options.still_fraction, 2 * options.still_fraction}(length);
    } else {
      const double ux = expected.motion == Motion::Right  ? 1
                        : expected.motion == Motion::Left ? -1
                                                          : 0;
      const double uy = expected.motion == Motion::Down ? 1
                        : expected.motion == Motion::Up ? -1
                                                        : 0;
      const double cosine = length > 0 ? (dx * ux + dy * uy) / length : 0.0;
      // Full marks within ~25 degrees of the axis; zero from 45 degrees (another direction's
      // sector) or below half the "still" threshold.
      const double angle = std::clamp((cosine - 0.7071) / (0.9063 - 0.7071), 0.0, 1.0);
      const double size = std::clamp(
          (length - 0.5 * options.still_fraction) / (1.5 * options.still_fraction), 0.0, 1.0);
      s.direction = angle * size;
    }
    s.direction *= coverage;
  }

  // Smoothness: RMS second difference over runs of three consecutive matched frames.
  double sum = 0;
  int triples = 0;
  for (int i = 2; i < found; ++i) {
    if (ts[i] != ts[i - 1] + 1 || ts[i - 1] != ts[i - 2] + 1) continue;
    const double ax = xs[i] - 2 * xs[i - 1] + xs[i - 2], ay = ys[i] - 2 * ys[i - 1] + ys[i - 2];
    sum += ax * ax + ay * ay, ++triples;
  }
  if (triples > 0) {
    s.seen.jerk = std::sqrt(sum / triples) / side;
    s.smoothness = kJerk(s.seen.jerk) * double(triples) / std::max(1, frames - 2);
  } else if (frames < 3 && found == frames) {
    s.smoothness = 1.0;  // too short to judge
  }
  return s;
}

}  // namespace

const char* to_string(Dimension dimension) {
  switch (dimension) {
    case Dimension::ObjectCount:
      return "object_count";
    case Dimension::Colour:
      return "colour";
    case Dimension::Shape:
      return "shape";
    case Dimension::MotionDirection:
      return "motion_direction";
    case Dimension::Background:
      return "background";
    case Dimension::SubjectConsistency:
      return "subject_consistency";
    case Dimension::BackgroundConsistency:
      return "background_consistency";
    case Dimension::MotionSmoothness:
      return "motion_smoothness";
    case Dimension::TemporalFlicker:
      return "temporal_flicker";
    case Dimension::ImagingQuality:
      return "imaging_quality";
  }
  return "?";
}

ClipScore score_clip(const media::VideoFrames& clip, const SceneSpec& expected,
                     const ScoreOptions& options) {
  media::check_frames(clip, "clip to score");
  to_prompt(expected);  // validates the scene
  const int frames = clip.count;
  const double side = std::min(clip.width, clip.height);
  const std::size_t objects = expected.objects.size();

  std::vector<FrameAnalysis> analysis;
  std::vector<cv::Mat> images;
  for (int t = 0; t < frames; ++t) {
    images.emplace_back(clip.height, clip.width, CV_8UC3, const_cast<std::uint8_t*>(clip.frame(t)));
    analysis.push_back(analyse_frame(images.back(), options));
  }

  // Tracks: per expected object, its component in every frame (or none).
  std::vector<std::vector<const Component*>> tracks(objects,
                                                    std::vector<const Component*>(frames, nullptr));
  std::vector<std::optional<cv::Point2d>> last(objects);
  int count_right = 0, background_right = 0;
  std::vector<Background> background_classes;
  for (int t = 0; t < frames; ++t) {
    const FrameAnalysis& f = analysis[t];
    count_right += f.components.size() == objects;
    background_right += f.background_class == expected.background;
    background_classes.push_back(f.background_class);
    const std::vector<int> match = match_objects(expected, f, last, side);
    for (std::size_t i = 0; i < objects; ++i) {
      if (match[i] < 0) continue;
      tracks[i][t] = &f.components[static_cast<std::size_t>(match[i])];
      last[i] = cv::Point2d(tracks[i][t]->cx, tracks[i][t]->cy);
    }
  }

  ClipScore score;
  score.frames = frames;
  const Background usual_background = *mode_of(background_classes);
  score.background_seen = to_string(usual_background);
  auto set = [&score](Dimension d, double fraction) {
    score.dimensions[static_cast<int>(d)] = 100.0 * std::clamp(fraction, 0.0, 1.0);
  };

  double colour = 0, shape = 0, direction = 0, consistency = 0, smoothness = 0, tint_jump = 0;
  for (std::size_t i = 0; i < objects; ++i) {
    const ObjectScores s = score_object(expected.objects[i], tracks[i], side, options);
    colour += s.colour / objects, shape += s.shape / objects;
    direction += s.direction / objects, consistency += s.consistency / objects;
    smoothness += s.smoothness / objects, tint_jump += s.tint_jump / objects;
    score.objects.push_back(s.seen);
  }
  set(Dimension::ObjectCount, double(count_right) / frames);
  set(Dimension::Colour, colour);
  set(Dimension::Shape, shape);
  set(Dimension::MotionDirection, direction);
  set(Dimension::Background, double(background_right) / frames);
  set(Dimension::SubjectConsistency, consistency);
  set(Dimension::MotionSmoothness, smoothness);

  // Background consistency: same class throughout, and little drift of its colour.
  Vec3 background_median;
  for (int c = 0; c < 3; ++c) {
    std::vector<double> channel;
    for (const FrameAnalysis& f : analysis) channel.push_back(f.background[c]);
    background_median[c] = median(channel);
  }
  double drift = 0;
  for (const FrameAnalysis& f : analysis)
    drift += distance(f.background, background_median) / frames;
  const double same_background =
      double(std::count(background_classes.begin(), background_classes.end(), usual_background)) /
      frames;
  set(Dimension::BackgroundConsistency, 0.5 * same_background + 0.5 * kBackgroundDrift(drift));

  // Flicker: mean absolute change of background pixels (away from objects in both frames)
  // between consecutive frames, plus a quarter of the objects' tint changes.
  double flicker = 0;
  for (int t = 1; t < frames; ++t) {
    cv::Mat steady;
    cv::bitwise_or(analysis[t].near_foreground, analysis[t - 1].near_foreground, steady);
    cv::bitwise_not(steady, steady);
    cv::Mat diff;
    cv::absdiff(images[t], images[t - 1], diff);
    const cv::Scalar m = cv::mean(diff, steady);
    flicker += (m[0] + m[1] + m[2]) / 3.0 / (frames - 1);
  }
  set(Dimension::TemporalFlicker, kFlicker(flicker + 0.25 * tint_jump));

  // Imaging quality: median edge transition width of the objects and background noise.
  std::vector<double> widths, noise;
  bool any_object = false;
  for (const FrameAnalysis& f : analysis) {
    noise.push_back(f.noise);
    for (const Component& c : f.components) {
      any_object = true;
      if (c.edge_on_luma) widths.push_back(c.edge_width);
    }
  }
  score.edge_width = median(widths);
  score.background_noise = median(noise);
  const double clean = kNoise(score.background_noise);
  if (!widths.empty()) {
    set(Dimension::ImagingQuality, 0.5 * kEdgeWidth(score.edge_width) + 0.5 * clean);
  } else {
    set(Dimension::ImagingQuality, any_object ? clean : 0.5 * clean);  // no objects: no edges
  }

  double total = 0;
  for (double d : score.dimensions) total += d / kDimensionCount;
  score.total = total;
  return score;
}

Fidelity fidelity(const media::VideoFrames& clip, const media::VideoFrames& reference,
                  const std::string& what) {
  media::check_frames(clip, "clip");
  media::check_frames(reference, what);
  if (clip.width != reference.width || clip.height != reference.height ||
      clip.count != reference.count) {
    throw Error(what + ": " + std::to_string(reference.count) + " frames of " +
                std::to_string(reference.width) + "x" + std::to_string(reference.height) +
                " do not match the clip's " + std::to_string(clip.count) + " of " +
                std::to_string(clip.width) + "x" + std::to_string(clip.height));
  }
  double squared = 0;
  for (std::size_t i = 0; i < clip.rgb.size(); ++i) {
    const double d = double(clip.rgb[i]) - reference.rgb[i];
    squared += d * d;
  }
  const double mse = squared / double(clip.rgb.size());
  Fidelity f;
  f.psnr = mse <= 0 ? 100.0 : std::min(100.0, 10.0 * std::log10(255.0 * 255.0 / mse));

  constexpr double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
  auto luma = [](const media::VideoFrames& v, int t) {
    cv::Mat rgb(v.height, v.width, CV_8UC3, const_cast<std::uint8_t*>(v.frame(t))), gray;
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
    gray.convertTo(gray, CV_64F);
    return gray;
  };
  auto blur = [](const cv::Mat& m) {
    cv::Mat out;
    cv::GaussianBlur(m, out, cv::Size(11, 11), 1.5);
    return out;
  };
  for (int t = 0; t < clip.count; ++t) {
    const cv::Mat x = luma(clip, t), y = luma(reference, t);
    const cv::Mat mx = blur(x), my = blur(y);
    const cv::Mat sxx = blur(x.mul(x)) - mx.mul(mx), syy = blur(y.mul(y)) - my.mul(my);
    const cv::Mat sxy = blur(x.mul(y)) - mx.mul(my);
    cv::Mat numerator = (2 * mx.mul(my) + c1).mul(2 * sxy + c2);
    cv::Mat denominator = (mx.mul(mx) + my.mul(my) + c1).mul(sxx + syy + c2);
    cv::Mat map;
    cv::divide(numerator, denominator, map);
    f.ssim += cv::mean(map)[0] / clip.count;
  }
  return f;
}

}  // namespace linvideo::shapes
