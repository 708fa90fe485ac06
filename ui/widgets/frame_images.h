#pragma once
// RGB8 frames of the media library as QImages (a byte copy; no tensor work), for players and
// previews. Safe on any thread.
#include <QImage>
#include <QVector>

#include "core/media/video_frames.h"

namespace linvideo::ui {

QImage frameImage(const media::VideoFrames& frames, int index);
QVector<QImage> frameImages(const media::VideoFrames& frames);

}  // namespace linvideo::ui
