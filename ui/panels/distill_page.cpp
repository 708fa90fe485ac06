#include "ui/panels/distill_page.h"

#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ui/engine/studio_session.h"
#include "ui/panels/run_controls.h"
#include "ui/train/prompts_file.h"
#include "ui/widgets/loss_chart.h"

namespace linvideo::ui {
namespace {

QString timestepsText(const QVector<double>& timesteps) {
  QStringList parts;
  for (double t : timesteps) parts << QString::number(t, 'g', 6);
  return parts.join(QStringLiteral(", "));
}

}  // namespace

DistillPage::DistillPage(StudioSession* session, QWidget* parent, bool persist)
    : QWidget(parent),
      session_(session),
      controller_(new DistillController(session, persist, this)) {
  const DistillSettings defaults;
  auto spin = [this](int lo, int hi, int value) {
    auto* s = new QSpinBox(this);
    s->setRange(lo, hi);
    s->setValue(value);
    return s;
  };
  auto rate = [this](double value) {
    auto* s = new QDoubleSpinBox(this);
    s->setRange(1e-7, 1);
    s->setDecimals(7);
    s->setSingleStep(1e-6);
    s->setValue(value);
    return s;
  };
  sidecar_ = new QLineEdit(session_->modelInfo().sidecarPath, this);
  sidecar_->setToolTip(
      tr("The LinVideo sidecar the student starts from (base weights + these maps "
         "and layer modes); the loaded model's, or the last finished transfer's"));
  steps_ = spin(1, 1000000, defaults.steps);
  steps_->setToolTip(tr("Generator updates; each runs the critic updates below first"));
  studentSteps_ = spin(1, 64, static_cast<int>(defaults.studentTimesteps.size()));
  studentSteps_->setToolTip(tr("Sampling steps of the student; sets evenly spaced timesteps"));
  timesteps_ = new QLineEdit(timestepsText(defaults.studentTimesteps), this);
  timesteps_->setObjectName(QStringLiteral("distillTimesteps"));
  timesteps_->setToolTip(
      tr("The student's timesteps before the shift, decreasing within (0, 1000]"));
  criticUpdates_ = spin(1, 100, defaults.criticUpdates);
  criticUpdates_->setToolTip(tr("Critic (fake score) updates per generator update"));
  lrGenerator_ = rate(defaults.lrGenerator);
  lrCritic_ = rate(defaults.lrCritic);
  prompts_ = new QLineEdit(defaultPromptsFile(), this);
  maxPrompts_ = spin(0, 100000, defaults.maxPrompts);
  maxPrompts_->setSpecialValueText(tr("all"));
  maxPrompts_->setToolTip(
      tr("The first N prompts (0: all); they are only encoded, no cache is built"));
  runDir_ = new QLineEdit(DistillController::defaultRunDir(), this);
  runDir_->setToolTip(
      tr("config.json, metrics, checkpoints and the final student.safetensors go here"));

  auto* form = new QFormLayout;
  form->addRow(tr("Start from"), withBrowse(sidecar_, false, tr("LinVideo sidecar"),
                                            tr("Sidecars (*.safetensors);;All files (*)")));
  form->addRow(tr("Generator steps"), steps_);
  form->addRow(tr("Student steps"), studentSteps_);
  form->addRow(tr("Student timesteps"), timesteps_);
  form->addRow(tr("Critic updates"), criticUpdates_);
  form->addRow(tr("Learning rate (student)"), lrGenerator_);
  form->addRow(tr("Learning rate (critic)"), lrCritic_);
  form->addRow(tr("Prompts file"), withBrowse(prompts_, false, tr("Prompts file"),
                                              tr("Text files (*.txt);;All files (*)")));
  form->addRow(tr("Prompts used"), maxPrompts_);
  form->addRow(tr("Run folder"), withBrowse(runDir_, true, tr("Run folder"), {}));

  controls_ = new RunControls(
      controller_, runDir_,
      tr("Distil the LinVideo model into a few-step student: set the run and press Start."), this);
  controls_->startButton()->setObjectName(QStringLiteral("distillStart"));
  controls_->pauseButton()->setObjectName(QStringLiteral("distillPause"));
  controls_->resumeButton()->setObjectName(QStringLiteral("distillResume"));
  controls_->pauseButton()->setToolTip(
      tr("Stops before the next step with a checkpoint; Resume continues exactly"));
  compare_ = new QPushButton(tr("Compare with the teacher"), this);
  compare_->setObjectName(QStringLiteral("distillCompare"));
  compare_->setToolTip(tr("Adds the student to the Compare panel's variants"));
  generate_ = new QPushButton(tr("Generate with it"), this);
  generate_->setObjectName(QStringLiteral("distillGenerate"));
  generate_->setToolTip(tr("The Generate panel samples the student on its schedule"));
  auto* studentButtons = new QHBoxLayout;
  studentButtons->addWidget(compare_);
  studentButtons->addWidget(generate_);

  QGroupBox* settingsBox =
      controls_->settingsBox(tr("Few-step distillation (DMD2)"), form, studentButtons);

  lossChart_ = new LossChart(tr("DMD2 terms per generator step"), this);
  QPlainTextEdit* log = controls_->addLog(tr("Distillation log"));
  auto* plots = new QSplitter(Qt::Vertical, this);
  plots->addWidget(lossChart_);
  plots->addWidget(log);
  plots->setStretchFactor(0, 3);
  plots->setStretchFactor(1, 1);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);  // a tab page, like the transfer page beside it
  layout->addWidget(settingsBox);
  layout->addWidget(plots, 1);
  lossChart_->clear(steps_->value());

  connect(studentSteps_, qOverload<int>(&QSpinBox::valueChanged), this,
          [this](int n) { timesteps_->setText(timestepsText(DistillSettings::evenTimesteps(n))); });
  connect(controls_->startButton(), &QPushButton::clicked, this, &DistillPage::startFromForm);
  connect(controls_, &RunControls::resumed, this, [this] { setForm(controller_->settings()); });
  connect(compare_, &QPushButton::clicked, this,
          [this] { emit compareRequested(controller_->student()); });
  connect(generate_, &QPushButton::clicked, this,
          [this] { emit generateRequested(controller_->student()); });
  connect(controller_, &DistillController::runStarted, this,
          [this](const QString&, qint64 total) { lossChart_->clear(total); });
  connect(controller_, &DistillController::stepReported, this,
          [this](const DistillStepReport& r) { lossChart_->addStep(r.step, r.total, r.losses); });
  connect(controller_, &DistillController::stateChanged, this, [this](DistillController::State s) {
    using State = DistillController::State;
    updateStudentButtons();
    if (s == State::Training) controls_->progressBar()->setFormat(tr("starting…"));
    if (s == State::Finished)
      controls_->log()->appendPlainText(tr("Student: %1").arg(controller_->student()));
  });
  connect(session_, &StudioSession::modelLoaded, this,
          [this](const ModelInfo& info) { setStartSidecar(info.sidecarPath); });

  controls_->offerUnfinishedRun(tr("An unfinished distillation is in %1 (checkpoint at step %2). "
                                   "Press Resume to continue it."));
  controls_->updateButtons();
  updateStudentButtons();
}

DistillSettings DistillPage::settingsFromForm(QString* error) const {
  DistillSettings s = hidden_;
  s.sidecar = sidecar_->text().trimmed();
  s.steps = steps_->value();
  s.studentTimesteps.clear();
  const QStringList parts =
      timesteps_->text().split(QRegularExpression(QStringLiteral("[\\s,;]+")), Qt::SkipEmptyParts);
  for (const QString& part : parts) {
    bool ok = false;
    const double t = part.toDouble(&ok);
    if (ok) {
      s.studentTimesteps << t;
    } else if (error && error->isEmpty()) {
      *error = tr("Student timesteps: '%1' is not a number").arg(part);
    }
  }
  s.criticUpdates = criticUpdates_->value();
  s.lrGenerator = lrGenerator_->value();
  s.lrCritic = lrCritic_->value();
  s.promptsFile = prompts_->text().trimmed();
  s.maxPrompts = maxPrompts_->value();
  s.runDir = runDir_->text().trimmed();
  return s;
}

void DistillPage::setForm(const DistillSettings& s) {
  hidden_ = s;
  sidecar_->setText(s.sidecar);
  steps_->setValue(s.steps);
  {
    const QSignalBlocker block(studentSteps_);  // keep custom timesteps as they are
    studentSteps_->setValue(static_cast<int>(s.studentTimesteps.size()));
  }
  timesteps_->setText(timestepsText(s.studentTimesteps));
  criticUpdates_->setValue(s.criticUpdates);
  lrGenerator_->setValue(s.lrGenerator);
  lrCritic_->setValue(s.lrCritic);
  prompts_->setText(s.promptsFile);
  maxPrompts_->setValue(s.maxPrompts);
  runDir_->setText(s.runDir);
}

void DistillPage::setStartSidecar(const QString& path) {
  if (!controller_->isActive()) sidecar_->setText(path);
}

void DistillPage::startFromForm() {
  QString error;
  const DistillSettings s = settingsFromForm(&error);
  if (!error.isEmpty()) {
    controls_->statusLabel()->setText(error);
    return;
  }
  if (controller_->start(s)) controls_->hideResumeOffer();
}

void DistillPage::updateStudentButtons() {
  const bool student = controller_->state() == DistillController::State::Finished &&
                       QFileInfo::exists(controller_->student());
  compare_->setEnabled(student);
  generate_->setEnabled(student);
}

}  // namespace linvideo::ui
