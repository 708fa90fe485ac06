#include "core/shapes/side_by_side.h"

#include <algorithm>
#include <string>
#include <opencv2/imgproc.hpp>

#include "core/error.h"

namespace linvideo::shapes {
namespace {

// Label text scaled to the column: readable on 128 px clips, not huge on 832 px ones.
void draw_label(cv::Mat& column, const std::string& label) {
  if (label.empty()) return;
  const int face = cv::FONT_HERSHEY_SIMPLEX;
  const double scale = std::clamp(column.cols / 320.0, 0.3, 1.2);
  const int thickness = scale < 0.6 ? 1 : 2;
  int baseline = 0;
  const cv::Size size = cv::getTextSize(label, face, scale, thickness, &baseline);
  const int band = std::min(column.rows, size.height + baseline + 6);
  cv::Mat top = column(cv::Rect(0, 0, column.cols, band));
  top *= 0.35;  // darken, so white text reads on any frame
  cv::putText(column, label, cv::Point(3, size.height + 3), face, scale, cv::Scalar(255, 255, 255), thickness,
              cv::LINE_AA);
}

}  // namespace

media::VideoFrames side_by_side(const std::vector<LabelledClip>& clips) {
  if (clips.empty()) throw Error("side_by_side: no clips to compose");
  media::VideoFrames out;
  for (const LabelledClip& c : clips) {
    if (!c.frames) throw Error("side_by_side: clip '" + c.label + "' has no frames");
    media::check_frames(*c.frames, "side_by_side clip '" + c.label + "'");
    out.width += c.frames->width;
    out.height = std::max(out.height, c.frames->height);
    out.count = std::max(out.count, c.frames->count);
  }
  out.fps = clips.front().frames->fps;
  if (out.width > media::kMaxVideoSide) {
    throw Error("side_by_side: " + std::to_string(out.width) + " px together is wider than " +
                std::to_string(media::kMaxVideoSide));
  }
  out.rgb.assign(out.frame_bytes() * out.count, 0);
  for (int f = 0; f < out.count; ++f) {
    cv::Mat canvas(out.height, out.width, CV_8UC3, out.frame(f));
    int x = 0;
    for (const LabelledClip& c : clips) {
      const media::VideoFrames& in = *c.frames;
      const int source = std::min(f, in.count - 1);
      const cv::Mat frame(in.height, in.width, CV_8UC3, const_cast<std::uint8_t*>(in.frame(source)));
      cv::Mat column = canvas(cv::Rect(x, 0, in.width, in.height));
      frame.copyTo(column);
      draw_label(column, c.label);
      x += in.width;
    }
  }
  return out;
}

}  // namespace linvideo::shapes
