#include "ui/generate/gallery_model.h"

#include <cmath>
#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QPromise>
#include <QThreadPool>
#include <exception>
#include <memory>

#include "core/media/generation_metadata.h"
#include "core/media/video_io.h"
#include "ui/generate/clip_writer.h"

namespace linvideo::ui {

GalleryModel::GalleryModel(QObject* parent)
    : QAbstractListModel(parent), scan_(new QFutureWatcher<QVector<GalleryEntry>>(this)) {
  connect(scan_, &QFutureWatcher<QVector<GalleryEntry>>::finished, this, [this] {
    if (scan_->future().resultCount() == 0) return;
    beginResetModel();
    entries_ = scan_->future().result();
    endResetModel();
    emit scanned();
  });
}

int GalleryModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(entries_.size());
}

QVariant GalleryModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= entries_.size()) return {};
  const GalleryEntry& e = entries_[index.row()];
  switch (role) {
    case Qt::DisplayRole: {
      const QString wall = e.wallSeconds >= 0 ? QStringLiteral("%1 s").arg(e.wallSeconds, 0, 'f', 1)
                                              : QStringLiteral("? s");
      return QStringLiteral("%1\nseed %2 · %3 steps · %4 · linear %5")
          .arg(e.request.prompt)
          .arg(e.request.seed)
          .arg(e.request.steps)
          .arg(wall, e.layerMask);
    }
    case Qt::DecorationRole: return e.thumbnail;
    case Qt::ToolTipRole: return QDir::toNativeSeparators(e.path);
    case PathRole: return e.path;
    case PromptRole: return e.request.prompt;
    case SeedRole: return e.request.seed;
    case StepsRole: return e.request.steps;
    case WallSecondsRole: return e.wallSeconds;
    case LayerMaskRole: return e.layerMask;
    default: return {};
  }
}

void GalleryModel::scanFolder(const QString& folder) {
  auto promise = std::make_shared<QPromise<QVector<GalleryEntry>>>();
  scan_->setFuture(promise->future());
  promise->start();
  QThreadPool::globalInstance()->start([promise, folder] {
    promise->addResult(readFolder(folder));
    promise->finish();
  });
}

void GalleryModel::addEntry(const GalleryEntry& entry) {
  if (const int old = indexOfPath(entry.path); old >= 0) {
    beginRemoveRows({}, old, old);
    entries_.removeAt(old);
    endRemoveRows();
  }
  beginInsertRows({}, 0, 0);
  entries_.prepend(entry);
  endInsertRows();
}

int GalleryModel::indexOfPath(const QString& path) const {
  for (int i = 0; i < entries_.size(); ++i) {
    if (entries_[i].path == path) return i;
  }
  return -1;
}

QString GalleryModel::thumbnailPath(const QString& mp4Path) {
  const QFileInfo info(mp4Path);
  return info.dir().filePath(info.completeBaseName() + QStringLiteral(".png"));
}

GalleryEntry GalleryModel::readEntry(const QString& mp4Path) {
  const media::VideoFile header = media::read_video_header(mp4Path.toStdString());
  const media::GenerationSettings s =
      media::generation_settings_from_metadata(header.metadata, mp4Path.toStdString());
  GalleryEntry e;
  e.path = mp4Path;
  e.request.prompt = QString::fromStdString(s.prompt);
  e.request.negativePrompt = QString::fromStdString(s.negative_prompt);
  e.request.seed = static_cast<quint64>(s.seed);
  e.request.steps = s.steps;
  e.request.guidance = s.guidance;
  e.request.shift = s.shift;
  // The structured fields; clips made before them carry only the text ("unipc (wan grid)").
  e.request.sampler = QString::fromStdString(s.solver);
  e.request.grid = QString::fromStdString(s.grid);
  if (s.solver.empty()) {
    const QString text = QString::fromStdString(s.sampler);
    e.request.sampler = text.section(' ', 0, 0);
    if (text.contains(QLatin1String("(diffusers grid)"))) e.request.grid = QStringLiteral("diffusers");
    if (text.contains(QLatin1String("(wan grid)"))) e.request.grid = QStringLiteral("wan");
  }
  e.request.student = QString::fromStdString(s.student);
  e.request.frames = header.frames.count;
  e.request.height = header.frames.height;
  e.request.width = header.frames.width;
  e.model = QString::fromStdString(s.model);
  e.layerMask = layerMaskText(s.attention_modes);
  // Timing and frame-count tags are informative: a malformed one leaves that value unknown instead
  // of dropping the clip from the gallery (std::stod threw, and the folder scan skipped the file).
  const auto& tags = header.metadata.tags;
  const auto number = [&](const char* key, double fallback) {
    const auto it = tags.find(key);
    if (it == tags.end()) return fallback;
    bool ok = false;
    const double v = QString::fromStdString(it->second).toDouble(&ok);
    return ok && std::isfinite(v) && v >= 0 ? v : fallback;
  };
  e.wallSeconds = number(kWallSecondsTag, -1);
  e.ditSeconds = number(kDitSecondsTag, -1);
  const double frames = number(kFrameCountTag, -1);
  if (frames >= 1 && frames <= 1e6 && frames == std::floor(frames)) e.request.frames = static_cast<qint64>(frames);
  e.thumbnail.load(thumbnailPath(mp4Path));
  return e;
}

QVector<GalleryEntry> GalleryModel::readFolder(const QString& folder) {
  QVector<GalleryEntry> entries;
  const QFileInfoList files =
      QDir(folder).entryInfoList({QStringLiteral("*.mp4")}, QDir::Files, QDir::Time);
  for (const QFileInfo& file : files) {
    try {
      entries.push_back(readEntry(file.absoluteFilePath()));
    } catch (const std::exception&) {
      // Not a LinVideo clip (no tags) or unreadable: not part of the gallery.
    }
  }
  return entries;
}

}  // namespace linvideo::ui
