#include "ui/panels/compare_panel.h"

#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include "ui/engine/studio_session.h"
#include "ui/widgets/seed_edit.h"
#include "ui/widgets/video_player.h"

namespace linvideo::ui {

ComparePanel::ComparePanel(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session), controller_(new CompareController(session, this)) {
  auto* form = new QFormLayout;
  prompt_ = new QLineEdit(QStringLiteral("a large blue square moving right on a white background"), this);
  prompt_->setCursorPosition(0);
  seed_ = new SeedEdit(this);
  steps_ = new QSpinBox(this);
  steps_->setRange(1, 1000);
  steps_->setValue(25);
  form->addRow(tr("Prompt"), prompt_);
  form->addRow(tr("Seed"), seed_);
  form->addRow(tr("Steps"), steps_);
  variants_ = new QListWidget(this);
  variants_->setToolTip(tr("Checked variants are rendered in this order; the first is the reference"));
  auto* addMask = new QPushButton(tr("Mask file…"), this);
  auto* addStudent = new QPushButton(tr("Student…"), this);
  addStudent->setToolTip(tr("A distilled few-step student (Train > Distill): sampled on its own "
                            "schedule, without CFG"));
  run_ = new QPushButton(tr("Compare"), this);
  run_->setToolTip(tr("Render every checked variant with the same prompt and seed (Ctrl+Return)"));
  run_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
  cancel_ = new QPushButton(tr("Cancel"), this);
  export_ = new QPushButton(tr("Export side by side…"), this);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1);
  progress_->setValue(0);
  status_ = new QLabel(tr("Check two or more variants and press Compare"), this);
  status_->setWordWrap(true);

  auto* settingsBox = new QGroupBox(tr("Variants"), this);
  auto* settings = new QVBoxLayout(settingsBox);
  settings->addLayout(form);
  settings->addWidget(variants_, 1);
  auto* addButtons = new QHBoxLayout;
  addButtons->addWidget(addMask);
  addButtons->addWidget(addStudent);
  settings->addLayout(addButtons);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(run_, 1);
  buttons->addWidget(cancel_);
  settings->addLayout(buttons);
  settings->addWidget(progress_);
  settings->addWidget(status_);
  settings->addWidget(export_);
  settingsBox->setMinimumWidth(280);
  settingsBox->setMaximumWidth(340);

  player_ = new VideoPlayer(this);
  player_->clear(tr("The variants play here side by side, frame-synchronised"));
  table_ = new QTableView(this);
  table_->setModel(controller_->metrics());
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->verticalHeader()->hide();
  auto* right = new QSplitter(Qt::Vertical, this);
  right->addWidget(player_);
  right->addWidget(table_);
  right->setStretchFactor(0, 3);
  right->setStretchFactor(1, 1);
  auto* layout = new QHBoxLayout(this);
  layout->addWidget(settingsBox);
  layout->addWidget(right, 1);

  connect(run_, &QPushButton::clicked, this, &ComparePanel::runComparison);
  connect(cancel_, &QPushButton::clicked, controller_, &CompareController::cancel);
  connect(export_, &QPushButton::clicked, this, &ComparePanel::exportComparison);
  connect(addMask, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Layer mask"), {}, tr("Layer masks (*.json)"));
    if (!path.isEmpty()) addMaskFile(path);
  });
  connect(addStudent, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Distilled student"), {},
                                                      tr("Students (*.safetensors)"));
    if (!path.isEmpty()) addStudentFile(path);
  });
  connect(controller_, &CompareController::variantStarted, this, [this](int index, const QString& label) {
    status_->setText(tr("Rendering %1 (%2 of %3)…").arg(label).arg(index + 1).arg(checkedVariants().size()));
  });
  connect(controller_, &CompareController::stepProgress, this, [this](int step, int total, double) {
    progress_->setRange(0, total);
    progress_->setValue(step);
  });
  connect(controller_, &CompareController::finished, this, [this] {
    setBusy(false);
    status_->setText(tr("Done: %1 variants; the first is the reference").arg(controller_->metrics()->rowCount()));
    player_->openFiles(controller_->clipPaths(), controller_->labels());
  });
  connect(controller_, &CompareController::failed, this, [this](const QString& message) {
    setBusy(false);
    status_->setText(tr("Failed: %1").arg(message));
  });
  connect(controller_, &CompareController::cancelled, this, [this] {
    setBusy(false);
    status_->setText(tr("Cancelled"));
  });
  connect(controller_, &CompareController::exported, this,
          [this](const QString& path) { status_->setText(tr("Exported %1").arg(path)); });
  connect(controller_, &CompareController::exportFailed, this,
          [this](const QString& message) { status_->setText(tr("Export failed: %1").arg(message)); });
  connect(player_, &VideoPlayer::loaded, player_, &VideoPlayer::play);
  connect(session_, &StudioSession::modelLoaded, this, &ComparePanel::fillVariants);
  fillVariants(session_->modelInfo());
  setBusy(false);
}

void ComparePanel::fillVariants(const ModelInfo& info) {
  steps_->setValue(info.defaults.steps);
  variants_->clear();
  variantList_ = CompareController::standardVariants(info);
  for (const CompareVariant& v : std::as_const(variantList_)) {
    auto* item = new QListWidgetItem(v.label, variants_);
    // Teacher vs converted by default: the comparison the studio exists for.
    const bool on = v.kind == VariantKind::Teacher || v.kind == VariantKind::Converted ||
                    (info.sidecarPath.isEmpty() && v.kind == VariantKind::Current);
    item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
  }
}

void ComparePanel::addMaskFile(const QString& path) {
  const CompareVariant v = CompareController::maskVariant(path);
  variantList_.push_back(v);
  auto* item = new QListWidgetItem(v.label, variants_);
  item->setToolTip(path);
  item->setCheckState(Qt::Checked);
}

bool ComparePanel::addStudentFile(const QString& path) {
  QString error;
  const CompareVariant v = CompareController::studentVariant(path, &error);
  if (v.path.isEmpty()) {
    status_->setText(error);
    return false;
  }
  for (int i = 0; i < variantList_.size(); ++i) {  // offered again (a rerun wrote it anew)
    if (variantList_[i].kind == VariantKind::Student && variantList_[i].path == path) {
      variantList_[i] = v;
      variants_->item(i)->setText(v.label);
      variants_->item(i)->setCheckState(Qt::Checked);
      return true;
    }
  }
  variantList_.push_back(v);
  auto* item = new QListWidgetItem(v.label, variants_);
  item->setToolTip(path);
  item->setCheckState(Qt::Checked);
  status_->setText(tr("%1 added: sampled on its schedule, without CFG").arg(v.label));
  return true;
}

QVector<CompareVariant> ComparePanel::checkedVariants() const {
  QVector<CompareVariant> out;
  for (int i = 0; i < variants_->count() && i < variantList_.size(); ++i) {
    if (variants_->item(i)->checkState() == Qt::Checked) out.push_back(variantList_[i]);
  }
  return out;
}

void ComparePanel::runComparison() {
  const QVector<CompareVariant> variants = checkedVariants();
  if (variants.size() < 2) {
    status_->setText(tr("Check at least two variants"));
    return;
  }
  GenerateRequest r = session_->modelInfo().defaults;  // the model's settings, with the form's
  r.prompt = prompt_->text().trimmed();
  r.seed = seed_->value();
  r.steps = steps_->value();
  if (!controller_->run(r, variants)) return;
  player_->clear(tr("Rendering…"));
  setBusy(true);
}

void ComparePanel::exportComparison() {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export comparison"), QStringLiteral("comparison.mp4"),
                                                    tr("MP4 video (*.mp4)"));
  if (!path.isEmpty()) controller_->exportSideBySide(path);
}

void ComparePanel::setBusy(bool busy) {
  run_->setEnabled(!busy);
  cancel_->setEnabled(busy);
  export_->setEnabled(!busy && controller_->metrics()->rowCount() > 0);
}

}  // namespace linvideo::ui
