#include "ui/panels/compare_panel.h"

#include <QLabel>
#include <QVBoxLayout>

namespace linvideo::ui {

ComparePanel::ComparePanel(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  auto* label = new QLabel(tr("Compare: coming"), this);
  label->setAlignment(Qt::AlignCenter);
  layout->addWidget(label);
}

}  // namespace linvideo::ui
