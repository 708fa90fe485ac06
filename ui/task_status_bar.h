#pragma once
// The status bar's task strip: the running task's name and message, a progress bar, the ETA and a
// Cancel button. Follows the session's signals; hidden when nothing runs.
#include <QWidget>

#include "ui/engine/task.h"

class QLabel;
class QProgressBar;
class QPushButton;

namespace linvideo::ui {

class StudioSession;

class TaskStatusBar : public QWidget {
  Q_OBJECT

 public:
  explicit TaskStatusBar(StudioSession* session, QWidget* parent = nullptr);

 signals:
  void message(const QString& text);  // a task's end ("Generating failed: ..."), for the status bar

 private:
  void ended(TaskId id, const QString& text);

  StudioSession* session_;
  TaskId shown_ = 0;
  QString name_;
  QLabel* text_;
  QProgressBar* bar_;
  QLabel* eta_;
  QPushButton* cancel_;
};

// "2 min 05 s", "12 s"; empty for unknown (negative) times.
QString formatEta(double seconds);

}  // namespace linvideo::ui
