#pragma once
// The gallery of generated clips as an item model (newest first): thumbnail, prompt, seed, steps,
// wall time and layer mask. It persists as the clips themselves: each MP4's tags say how it was
// made (the same tags `linvideo generate` writes) and a PNG beside it is its thumbnail, so
// scanning the folder at start restores the gallery, clips written by the CLI included.
#include <QAbstractListModel>
#include <QFutureWatcher>
#include <QVector>

#include "ui/generate/generate_request.h"

namespace linvideo::ui {

class GalleryModel : public QAbstractListModel {
  Q_OBJECT

 public:
  enum Role { PathRole = Qt::UserRole + 1, PromptRole, SeedRole, StepsRole, WallSecondsRole, LayerMaskRole };

  explicit GalleryModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;

  // Reads the folder's clips on a pool thread; emits scanned() when the rows are in.
  void scanFolder(const QString& folder);
  void addEntry(const GalleryEntry& entry);  // at the top; replaces a row with the same path
  const GalleryEntry& entry(int row) const { return entries_.at(row); }
  int indexOfPath(const QString& path) const;

  // The entry a clip's tags describe (blocking file I/O: worker threads and tests). Throws
  // linvideo::Error when the file has no LinVideo tags.
  static GalleryEntry readEntry(const QString& mp4Path);
  static QVector<GalleryEntry> readFolder(const QString& folder);  // newest first; skips untagged
  // Where a clip's thumbnail lives: beside it, same name, .png.
  static QString thumbnailPath(const QString& mp4Path);

 signals:
  void scanned();

 private:
  QVector<GalleryEntry> entries_;
  QFutureWatcher<QVector<GalleryEntry>>* scan_;
};

}  // namespace linvideo::ui
