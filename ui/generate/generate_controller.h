#pragma once
// Runs one generation at a time as a StudioSession task with the engine's current layer modes (or
// a distilled student's weights and schedule, for that generation only):
// per-step progress with ETA, a preview image of the denoised estimate after each step, cancel
// (stops after the current step; no file is written), and the finished clip written into the
// output folder (clip_writer.h). The Generate panel's logic without widgets, so tests drive it.
#include <QImage>
#include <QObject>
#include <QPointer>
#include <QString>

#include "ui/engine/task.h"
#include "ui/generate/generate_request.h"

namespace linvideo::ui {

class StudioSession;

class GenerateController : public QObject {
  Q_OBJECT

 public:
  explicit GenerateController(StudioSession* session, QObject* parent = nullptr);

  // Where clips go: QStandardPaths::AppDataLocation/clips unless set.
  static QString defaultOutputFolder();
  void setOutputFolder(const QString& folder) { outputFolder_ = folder; }
  const QString& outputFolder() const { return outputFolder_; }

  // Submits the generation; false (and nothing happens) while one is running.
  bool start(const GenerateRequest& request);
  void cancel();
  bool isRunning() const { return running_; }

 signals:
  void started(const linvideo::ui::GenerateRequest& request);
  void stepProgress(int step, int total, double etaSeconds, double secondsPerStep);
  void preview(const QImage& image, int step, int total);
  void finished(const linvideo::ui::GalleryEntry& entry);
  void failed(const QString& message);
  void cancelled();

 private:
  StudioSession* session_;
  QString outputFolder_;
  bool running_ = false;
  TaskId task_ = 0;
};

}  // namespace linvideo::ui
