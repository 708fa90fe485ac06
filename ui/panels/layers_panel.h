#pragma once
// The Layers panel: the per-layer replaceability chart, layer modes and masks.
#include <QWidget>

namespace linvideo::ui {

class StudioSession;

class LayersPanel : public QWidget {
  Q_OBJECT

 public:
  explicit LayersPanel(StudioSession* session, QWidget* parent = nullptr);

 private:
  StudioSession* session_;
};

}  // namespace linvideo::ui
