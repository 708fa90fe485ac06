#pragma once
// The Compare panel: variants side by side with their metrics.
#include <QWidget>

namespace linvideo::ui {

class StudioSession;

class ComparePanel : public QWidget {
  Q_OBJECT

 public:
  explicit ComparePanel(StudioSession* session, QWidget* parent = nullptr);

 private:
  StudioSession* session_;
};

}  // namespace linvideo::ui
