#include "ui/widgets/frame_images.h"

#include <cstring>

namespace linvideo::ui {

QImage frameImage(const media::VideoFrames& frames, int index) {
  QImage image(frames.width, frames.height, QImage::Format_RGB888);
  const std::size_t row = std::size_t(frames.width) * 3;
  const std::uint8_t* source = frames.frame(index);
  // QImage pads rows to 4 bytes, so copy row by row.
  for (int y = 0; y < frames.height; ++y) std::memcpy(image.scanLine(y), source + row * y, row);
  return image;
}

QVector<QImage> frameImages(const media::VideoFrames& frames) {
  QVector<QImage> images;
  images.reserve(frames.count);
  for (int i = 0; i < frames.count; ++i) images.push_back(frameImage(frames, i));
  return images;
}

}  // namespace linvideo::ui
