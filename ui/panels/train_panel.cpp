#include "ui/panels/train_panel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ui/engine/studio_session.h"
#include "ui/panels/distill_page.h"
#include "ui/panels/run_controls.h"
#include "ui/train/prompts_file.h"
#include "ui/train/r_heat_map.h"
#include "ui/train/train_controller.h"
#include "ui/widgets/loss_chart.h"

namespace linvideo::ui {

TrainPanel::TrainPanel(StudioSession* session, QWidget* parent, bool persist)
    : QWidget(parent), session_(session), controller_(new TrainController(session, persist, this)) {
  const TrainSettings defaults;
  objective_ = new QComboBox(this);
  objective_->addItem(tr("ADM (distribution matching)"), QStringLiteral("adm"));
  objective_->addItem(tr("MSE (baseline)"), QStringLiteral("mse"));
  auto spin = [this](int lo, int hi, int value) {
    auto* s = new QSpinBox(this);
    s->setRange(lo, hi);
    s->setValue(value);
    return s;
  };
  auto dspin = [this](double lo, double hi, double value, int decimals) {
    auto* s = new QDoubleSpinBox(this);
    s->setRange(lo, hi);
    s->setDecimals(decimals);
    s->setSingleStep(std::pow(10.0, -decimals + 1) / 10);
    s->setValue(value);
    return s;
  };
  target_ = spin(0, 1000, defaults.targetLinear);
  target_->setToolTip(tr("k: how many layers end linear"));
  steps_ = spin(1, 1000000, defaults.steps);
  lr_ = dspin(1e-6, 1, defaults.lr, 5);
  lrR_ = dspin(1e-6, 1, defaults.lrR, 5);
  lambda_ = dspin(0, 10, defaults.lambda, 4);
  lambda_->setToolTip(tr("λ: L = L_objective + λ (L_con + L_reg)"));
  prompts_ = new QLineEdit(defaultPromptsFile(), this);
  maxPrompts_ = spin(0, 100000, defaults.maxPrompts);
  maxPrompts_->setToolTip(tr("The cache samples the first N prompts (0: all); small is quick on a CPU"));
  cacheSteps_ = spin(0, 200, defaults.cacheSteps);
  cacheSteps_->setSpecialValueText(tr("model default"));
  warmup_ = spin(0, 10000, defaults.warmupSteps);
  warmup_->setToolTip(tr("Attention-transfer warm-up steps per layer for a fresh run"));
  runDir_ = new QLineEdit(TrainController::defaultRunDir(), this);
  runDir_->setToolTip(tr("Checkpoints, metrics, the cache (RUN/cache) and the final sidecar go here"));

  auto* form = new QFormLayout;
  form->addRow(tr("Objective"), objective_);
  form->addRow(tr("Target k"), target_);
  form->addRow(tr("Steps"), steps_);
  form->addRow(tr("Learning rate (maps)"), lr_);
  form->addRow(tr("Learning rate (r)"), lrR_);
  form->addRow(tr("λ"), lambda_);
  form->addRow(tr("Prompts file"), withBrowse(prompts_, false, tr("Prompts file"),
                                              tr("Text files (*.txt);;All files (*)")));
  form->addRow(tr("Prompts used"), maxPrompts_);
  form->addRow(tr("Cache steps"), cacheSteps_);
  form->addRow(tr("Warm-up steps"), warmup_);
  form->addRow(tr("Run folder"), withBrowse(runDir_, true, tr("Run folder"), {}));

  controls_ = new RunControls(controller_, runDir_, tr("Configure a run and press Start."), this);
  controls_->pauseButton()->setToolTip(
      tr("Stops after the current step with a checkpoint; Resume continues exactly"));
  QGroupBox* settingsBox = controls_->settingsBox(tr("LinVideo transfer"), form);

  lossChart_ = new LossChart(tr("Loss terms per step"), this);
  heatMap_ = new RHeatMap(this);
  auto* heatBox = new QGroupBox(tr("r per layer over steps (blue softmax … orange linear)"), this);
  auto* heatLayout = new QVBoxLayout(heatBox);
  heatLayout->addWidget(heatMap_);
  QPlainTextEdit* log = controls_->addLog(tr("Trainer log"));

  auto* plots = new QSplitter(Qt::Vertical, this);
  plots->addWidget(lossChart_);
  plots->addWidget(heatBox);
  plots->addWidget(log);
  plots->setStretchFactor(0, 3);
  plots->setStretchFactor(1, 2);
  plots->setStretchFactor(2, 1);
  auto* transferPage = new QWidget(this);
  auto* transferLayout = new QHBoxLayout(transferPage);
  transferLayout->setContentsMargins(0, 0, 0, 0);
  transferLayout->addWidget(settingsBox);
  transferLayout->addWidget(plots, 1);
  distill_ = new DistillPage(session_, this, persist);
  pages_ = new QTabWidget(this);
  pages_->addTab(transferPage, tr("LinVideo transfer"));
  pages_->addTab(distill_, tr("Distill (DMD2)"));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(pages_);
  clearPlots();

  connect(controls_->startButton(), &QPushButton::clicked, this, [this] {
    if (controller_->start(settingsFromForm())) controls_->hideResumeOffer();
  });
  connect(controls_, &RunControls::resumed, this, [this] { setForm(controller_->settings()); });
  connect(controller_, &TrainController::runStarted, this, &TrainPanel::clearPlots);
  connect(controller_, &TrainController::stepReported, this, &TrainPanel::onStep);
  QLabel* status = controls_->statusLabel();
  connect(controller_, &TrainController::failed, status,
          [status](const QString& m) { status->setText(tr("Failed: %1").arg(m)); });
  connect(controller_, &TrainController::cacheProgress, this, [this](double f, const QString& m) {
    controls_->progressBar()->setValue(static_cast<int>(f * 1000));
    controls_->progressBar()->setFormat(QStringLiteral("%p% ") + m);
  });
  // A finished transfer is what a distillation starts from next.
  connect(controller_, &TrainController::finished, distill_, &DistillPage::setStartSidecar);
  connect(session_, &StudioSession::modelLoaded, this, [this](const ModelInfo& info) {
    target_->setMaximum(static_cast<int>(info.numLayers));
  });

  controls_->offerUnfinishedRun(
      tr("An unfinished run is in %1 (checkpoint at step %2). Press Resume to continue it."));
  controls_->updateButtons();
}

TrainSettings TrainPanel::settingsFromForm() const {
  TrainSettings s;
  s.objective = objective_->currentData().toString();
  s.targetLinear = target_->value();
  s.steps = steps_->value();
  s.lr = lr_->value();
  s.lrR = lrR_->value();
  s.lambda = lambda_->value();
  s.promptsFile = prompts_->text().trimmed();
  s.maxPrompts = maxPrompts_->value();
  s.cacheSteps = cacheSteps_->value();
  s.warmupSteps = warmup_->value();
  s.checkpointEvery = std::max(1, std::min(10, s.steps));
  s.runDir = runDir_->text().trimmed();
  return s;
}

void TrainPanel::setForm(const TrainSettings& s) {
  objective_->setCurrentIndex(std::max(0, objective_->findData(s.objective)));
  target_->setValue(s.targetLinear);
  steps_->setValue(s.steps);
  lr_->setValue(s.lr);
  lrR_->setValue(s.lrR);
  lambda_->setValue(s.lambda);
  prompts_->setText(s.promptsFile);
  maxPrompts_->setValue(s.maxPrompts);
  cacheSteps_->setValue(s.cacheSteps);
  warmup_->setValue(s.warmupSteps);
  runDir_->setText(s.runDir);
}

int TrainPanel::plottedSteps() const { return heatMap_->steps(); }

void TrainPanel::showDistillPage() { pages_->setCurrentWidget(distill_); }

void TrainPanel::clearPlots() {
  lossChart_->clear(steps_->value());
  heatMap_->clear();
}

void TrainPanel::onStep(const TrainStepReport& report) {
  lossChart_->addStep(report.step, report.total, report.losses);
  heatMap_->addStep(report.r);
}

}  // namespace linvideo::ui
