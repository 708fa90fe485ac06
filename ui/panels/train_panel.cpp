#include "ui/panels/train_panel.h"

#include <QLabel>
#include <QVBoxLayout>

namespace linvideo::ui {

TrainPanel::TrainPanel(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  auto* label = new QLabel(tr("Train: coming"), this);
  label->setAlignment(Qt::AlignCenter);
  layout->addWidget(label);
}

}  // namespace linvideo::ui
