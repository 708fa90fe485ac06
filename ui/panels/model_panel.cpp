#include "ui/panels/model_panel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

#include "ui/engine/studio_session.h"

namespace linvideo::ui {
namespace {

QLabel* valueLabel(QWidget* parent) {
  auto* label = new QLabel(QStringLiteral("–"), parent);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  label->setWordWrap(true);
  return label;
}

}  // namespace

ModelPanel::ModelPanel(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);

  auto* loaded = new QGroupBox(tr("Loaded model"), this);
  auto* form = new QFormLayout(loaded);
  folder_ = valueLabel(loaded);
  family_ = valueLabel(loaded);
  dimensions_ = valueLabel(loaded);
  parameters_ = valueLabel(loaded);
  precision_ = valueLabel(loaded);
  device_ = valueLabel(loaded);
  memory_ = valueLabel(loaded);
  textEncoder_ = valueLabel(loaded);
  sidecar_ = valueLabel(loaded);
  form->addRow(tr("Folder:"), folder_);
  form->addRow(tr("Family:"), family_);
  form->addRow(tr("Dimensions:"), dimensions_);
  form->addRow(tr("Parameters:"), parameters_);
  form->addRow(tr("Precision:"), precision_);
  form->addRow(tr("Device:"), device_);
  form->addRow(tr("Memory estimate:"), memory_);
  form->addRow(tr("Text encoder:"), textEncoder_);
  form->addRow(tr("LinVideo sidecar:"), sidecar_);
  layout->addWidget(loaded);

  auto* choices = new QGroupBox(tr("Load with"), this);
  auto* row = new QHBoxLayout(choices);
  deviceChoice_ = new QComboBox(choices);
  dtypeChoice_ = new QComboBox(choices);
  dtypeChoice_->addItem(tr("Auto (bf16 on GPU, fp32 on CPU)"), QStringLiteral("auto"));
  dtypeChoice_->addItem(QStringLiteral("fp32"), QStringLiteral("fp32"));
  dtypeChoice_->addItem(QStringLiteral("bf16"), QStringLiteral("bf16"));
  openButton_ =
      new QPushButton(style()->standardIcon(QStyle::SP_DirOpenIcon), tr("Open…"), choices);
  reloadButton_ =
      new QPushButton(style()->standardIcon(QStyle::SP_BrowserReload), tr("Reload"), choices);
  reloadButton_->setEnabled(false);
  row->addWidget(new QLabel(tr("Device:"), choices));
  row->addWidget(deviceChoice_, 1);
  row->addWidget(new QLabel(tr("Precision:"), choices));
  row->addWidget(dtypeChoice_, 1);
  row->addWidget(openButton_);
  row->addWidget(reloadButton_);
  layout->addWidget(choices);

  state_ = new QLabel(this);
  error_ = new QLabel(this);
  error_->setWordWrap(true);
  error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont bold = error_->font();
  bold.setBold(true);
  error_->setFont(bold);
  error_->hide();
  layout->addWidget(state_);
  layout->addWidget(error_);
  layout->addStretch(1);

  fillDevices();
  connect(session_, &StudioSession::devicesChanged, this, &ModelPanel::fillDevices);
  connect(openButton_, &QPushButton::clicked, this, &ModelPanel::openRequested);
  connect(reloadButton_, &QPushButton::clicked, this, &ModelPanel::reload);
  connect(session_, &StudioSession::modelLoadStarted, this, [this](const QString& path) {
    lastPath_ = path;
    state_->setText(tr("Loading %1 …").arg(path));
    error_->hide();
    reloadButton_->setEnabled(true);
  });
  connect(session_, &StudioSession::modelLoaded, this, &ModelPanel::showInfo);
  connect(session_, &StudioSession::modelLoadFailed, this, &ModelPanel::showError);
  if (session_->modelInfo().isValid()) showInfo(session_->modelInfo());
}

QString ModelPanel::device() const {
  const QVariant id = deviceChoice_->currentData();
  return id.isValid() ? id.toString() : QStringLiteral("auto");
}

QString ModelPanel::dtype() const { return dtypeChoice_->currentData().toString(); }

void ModelPanel::open(const QString& path) { session_->loadModel(path, device(), dtype()); }

void ModelPanel::reload() {
  if (!lastPath_.isEmpty()) open(lastPath_);
}

void ModelPanel::fillDevices() {
  const QString previous = device();
  deviceChoice_->clear();
  deviceChoice_->addItem(tr("Auto (first GPU, else CPU)"), QStringLiteral("auto"));
  for (const DeviceChoice& d : session_->availableDevices()) deviceChoice_->addItem(d.label, d.id);
  const int index = deviceChoice_->findData(previous);
  deviceChoice_->setCurrentIndex(index < 0 ? 0 : index);
}

void ModelPanel::showInfo(const ModelInfo& info) {
  folder_->setText(info.folder + QStringLiteral(" (") + info.layout + QStringLiteral(")"));
  family_->setText(QStringLiteral("Wan DiT, ") + info.family);
  dimensions_->setText(info.dimensionsText());
  parameters_->setText(info.parametersText());
  precision_->setText(info.precision);
  device_->setText(info.device + QStringLiteral(" – ") + info.deviceName);
  memory_->setText(info.memoryText());
  textEncoder_->setText(info.textEncoder);
  sidecar_->setText(info.sidecarPath.isEmpty() ? tr("none") : info.sidecarPath);
  state_->setText(tr("Ready: %1").arg(info.policy));
  error_->hide();
}

void ModelPanel::showError(const QString& message) {
  state_->setText(session_->modelInfo().isValid() ? tr("The previous model stays loaded.")
                                                  : tr("No model is loaded."));
  error_->setText(tr("Could not load the model: %1").arg(message));
  error_->show();
}

}  // namespace linvideo::ui
