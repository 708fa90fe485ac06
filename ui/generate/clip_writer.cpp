#include "ui/generate/clip_writer.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include "core/media/video_io.h"
#include "core/pipeline/clip_tags.h"
#include "ui/generate/gallery_model.h"
#include "ui/widgets/frame_images.h"

namespace linvideo::ui {

QString newClipPath(const QString& folder, quint64 seed, const QString& suffix) {
  const QString stem = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) +
                       QStringLiteral("_seed%1").arg(seed) + suffix;
  QString path = QDir(folder).filePath(stem + QStringLiteral(".mp4"));
  for (int n = 2; QFileInfo::exists(path); ++n)
    path = QDir(folder).filePath(QStringLiteral("%1-%2.mp4").arg(stem).arg(n));
  return path;
}

GalleryEntry writeClip(const QString& path, const media::VideoFrames& frames,
                       const pipeline::GenerationSettings& settings, const std::string& modelName,
                       const std::vector<std::string>& attentionModes, const ClipTiming& timing,
                       const QString& student) {
  QDir().mkpath(QFileInfo(path).absolutePath());
  media::VideoWriteOptions options;
  options.metadata = pipeline::clip_tags(settings, modelName, attentionModes, student.toStdString());
  options.metadata.tags[kWallSecondsTag] = std::to_string(timing.wallSeconds);
  options.metadata.tags[kDitSecondsTag] = std::to_string(timing.ditSeconds);
  options.metadata.tags[kFrameCountTag] = std::to_string(frames.count);
  media::write_video(path.toStdString(), frames, options);

  GalleryEntry entry;
  entry.path = path;
  entry.request.prompt = QString::fromStdString(settings.prompt);
  entry.request.negativePrompt =
      settings.use_default_negative ? QString() : QString::fromStdString(settings.negative_prompt);
  entry.request.seed = settings.seed;
  entry.request.steps = settings.steps;
  entry.request.guidance = settings.guidance;
  entry.request.shift = settings.shift;
  entry.request.frames = frames.count;
  entry.request.height = frames.height;
  entry.request.width = frames.width;
  entry.request.sampler = QString::fromLatin1(sampling::solver_name(settings.solver));
  entry.request.student = student;
  entry.model = QString::fromStdString(modelName);
  entry.layerMask = layerMaskText(attentionModes);
  entry.wallSeconds = timing.wallSeconds;
  entry.ditSeconds = timing.ditSeconds;
  entry.thumbnail = frameImage(frames, frames.count / 2);
  entry.thumbnail.save(GalleryModel::thumbnailPath(path));
  return entry;
}

}  // namespace linvideo::ui
