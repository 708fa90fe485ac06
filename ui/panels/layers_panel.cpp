#include "ui/panels/layers_panel.h"

#include <QLabel>
#include <QVBoxLayout>

namespace linvideo::ui {

LayersPanel::LayersPanel(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  auto* label = new QLabel(tr("Layers: coming"), this);
  label->setAlignment(Qt::AlignCenter);
  layout->addWidget(label);
}

}  // namespace linvideo::ui
