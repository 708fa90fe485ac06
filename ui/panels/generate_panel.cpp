#include "ui/panels/generate_panel.h"

#include <QLabel>
#include <QVBoxLayout>

namespace linvideo::ui {

GeneratePanel::GeneratePanel(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  auto* label = new QLabel(tr("Generate: coming"), this);
  label->setAlignment(Qt::AlignCenter);
  layout->addWidget(label);
}

}  // namespace linvideo::ui
