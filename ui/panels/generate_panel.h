#pragma once
// The Generate panel: prompt, settings, per-step preview and the result player.
#include <QWidget>

namespace linvideo::ui {

class StudioSession;

class GeneratePanel : public QWidget {
  Q_OBJECT

 public:
  explicit GeneratePanel(StudioSession* session, QWidget* parent = nullptr);

 private:
  StudioSession* session_;
};

}  // namespace linvideo::ui
