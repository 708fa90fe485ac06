#include "core/shapes/render.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace linvideo::shapes {
namespace {

void draw(cv::Mat& image, const ObjectSpec& object, double cx, double cy, double extent) {
  const Rgb c = palette(object.colour);
  const cv::Scalar colour(c.r, c.g, c.b);  // the Mat holds RGB
  constexpr int kShift = 4;                // sub-pixel coordinates in 1/16 px
  constexpr double kScale = 1 << kShift;
  auto pt = [&](double x, double y) {
    // OpenCV's pixel centres are integers; ours are at +0.5, so shift by half a pixel.
    return cv::Point(static_cast<int>(std::lround((x - 0.5) * kScale)),
                     static_cast<int>(std::lround((y - 0.5) * kScale)));
  };
  const double h = extent / 2;
  switch (object.shape) {
    case Shape::Circle:
      cv::circle(image, pt(cx, cy), static_cast<int>(std::lround(h * kScale)), colour, cv::FILLED,
                 cv::LINE_AA, kShift);
      break;
    case Shape::Square: {
      const std::vector<cv::Point> corners{pt(cx - h, cy - h), pt(cx + h, cy - h),
                                           pt(cx + h, cy + h), pt(cx - h, cy + h)};
      cv::fillConvexPoly(image, corners, colour, cv::LINE_AA, kShift);
      break;
    }
    case Shape::Triangle: {
      const std::vector<cv::Point> corners{pt(cx, cy - h), pt(cx + h, cy + h), pt(cx - h, cy + h)};
      cv::fillConvexPoly(image, corners, colour, cv::LINE_AA, kShift);
      break;
    }
  }
}

}  // namespace

media::VideoFrames render_scene(const SceneSpec& scene, std::uint64_t seed,
                                const RenderOptions& options) {
  const std::vector<ObjectTrack> tracks = plan_tracks(scene, seed, options);
  media::VideoFrames video;
  video.width = video.height = options.side;
  video.count = options.frames;
  video.fps = options.fps;
  video.rgb.resize(video.frame_bytes() * static_cast<std::size_t>(video.count));
  const Rgb bg = palette(scene.background);
  for (int t = 0; t < video.count; ++t) {
    cv::Mat image(video.height, video.width, CV_8UC3, video.frame(t));
    image.setTo(cv::Scalar(bg.r, bg.g, bg.b));
    for (std::size_t i = 0; i < tracks.size(); ++i) {
      draw(image, scene.objects[i], tracks[i].x[t], tracks[i].y[t], tracks[i].extent);
    }
  }
  return video;
}

}  // namespace linvideo::shapes
