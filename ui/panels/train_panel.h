#pragma once
// The Train panel: LinVideo transfer: settings, live loss plots, pause and resume.
#include <QWidget>

namespace linvideo::ui {

class StudioSession;

class TrainPanel : public QWidget {
  Q_OBJECT

 public:
  explicit TrainPanel(StudioSession* session, QWidget* parent = nullptr);

 private:
  StudioSession* session_;
};

}  // namespace linvideo::ui
