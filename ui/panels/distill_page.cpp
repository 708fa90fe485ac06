#include "ui/panels/distill_page.h"

#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ui/engine/studio_session.h"
#include "ui/train/prompts_file.h"
#include "ui/train/train_controller.h"
#include "ui/widgets/duration_text.h"
#include "ui/widgets/loss_chart.h"

namespace linvideo::ui {
namespace {

QString timestepsText(const QVector<double>& timesteps) {
  QStringList parts;
  for (double t : timesteps) parts << QString::number(t, 'g', 6);
  return parts.join(QStringLiteral(", "));
}

// A line edit with a "…" button that picks a file (or, with `folder`, a folder) into it.
QHBoxLayout* withBrowse(QLineEdit* edit, bool folder, const QString& title, const QString& filter) {
  auto* browse = new QToolButton(edit->parentWidget());
  browse->setText(QStringLiteral("…"));
  QObject::connect(browse, &QToolButton::clicked, edit, [edit, folder, title, filter] {
    const QString path = folder ? QFileDialog::getExistingDirectory(edit, title, edit->text())
                                : QFileDialog::getOpenFileName(edit, title, edit->text(), filter);
    if (!path.isEmpty()) edit->setText(path);
  });
  auto* row = new QHBoxLayout;
  row->addWidget(edit, 1);
  row->addWidget(browse);
  return row;
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
  runDir_ = new QLineEdit(TrainController::defaultRunDir(), this);
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

  start_ = new QPushButton(tr("Start"), this);
  start_->setObjectName(QStringLiteral("distillStart"));
  pause_ = new QPushButton(tr("Pause"), this);
  pause_->setObjectName(QStringLiteral("distillPause"));
  cancel_ = new QPushButton(tr("Cancel"), this);
  resume_ = new QPushButton(tr("Resume"), this);
  resume_->setObjectName(QStringLiteral("distillResume"));
  pause_->setToolTip(tr("Stops before the next step with a checkpoint; Resume continues exactly"));
  cancel_->setToolTip(tr("Stops the run for good (its folder stays)"));
  auto* buttons = new QHBoxLayout;
  for (QPushButton* b : {start_, pause_, cancel_, resume_}) buttons->addWidget(b);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  progress_->setFormat(tr("idle"));
  status_ = new QLabel(
      tr("Distil the LinVideo model into a few-step student: set the run and press Start."), this);
  status_->setWordWrap(true);
  resumeOffer_ = new QLabel(this);
  resumeOffer_->setWordWrap(true);
  resumeOffer_->setStyleSheet(QStringLiteral("background: palette(alternate-base); padding: 6px"));
  resumeOffer_->hide();
  compare_ = new QPushButton(tr("Compare with the teacher"), this);
  compare_->setObjectName(QStringLiteral("distillCompare"));
  compare_->setToolTip(tr("Adds the student to the Compare panel's variants"));
  generate_ = new QPushButton(tr("Generate with it"), this);
  generate_->setObjectName(QStringLiteral("distillGenerate"));
  generate_->setToolTip(tr("The Generate panel samples the student on its schedule"));
  auto* studentButtons = new QHBoxLayout;
  studentButtons->addWidget(compare_);
  studentButtons->addWidget(generate_);

  auto* settingsBox = new QGroupBox(tr("Few-step distillation (DMD2)"), this);
  auto* settingsLayout = new QVBoxLayout(settingsBox);
  settingsLayout->addLayout(form);
  settingsLayout->addLayout(buttons);
  settingsLayout->addWidget(progress_);
  settingsLayout->addWidget(status_);
  settingsLayout->addWidget(resumeOffer_);
  settingsLayout->addLayout(studentButtons);
  settingsLayout->addStretch(1);
  settingsBox->setMaximumWidth(460);

  lossChart_ = new LossChart(tr("DMD2 terms per generator step"), this);
  log_ = new QPlainTextEdit(this);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(2000);
  log_->setPlaceholderText(tr("Distillation log"));
  auto* plots = new QSplitter(Qt::Vertical, this);
  plots->addWidget(lossChart_);
  plots->addWidget(log_);
  plots->setStretchFactor(0, 3);
  plots->setStretchFactor(1, 1);
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);  // a tab page, like the transfer page beside it
  layout->addWidget(settingsBox);
  layout->addWidget(plots, 1);
  lossChart_->clear(steps_->value());

  connect(studentSteps_, qOverload<int>(&QSpinBox::valueChanged), this,
          [this](int n) { timesteps_->setText(timestepsText(DistillSettings::evenTimesteps(n))); });
  connect(start_, &QPushButton::clicked, this, &DistillPage::startFromForm);
  connect(pause_, &QPushButton::clicked, controller_, &DistillController::pause);
  connect(cancel_, &QPushButton::clicked, controller_, &DistillController::cancel);
  connect(resume_, &QPushButton::clicked, this, [this] {
    const QString offered = controller_->unfinishedRun();
    const bool ok = controller_->state() == DistillController::State::Paused || offered.isEmpty()
                        ? controller_->resume()
                        : controller_->resumeRun(offered);
    if (ok) {
      resumeOffer_->hide();
      setForm(controller_->settings());
    }
  });
  connect(compare_, &QPushButton::clicked, this,
          [this] { emit compareRequested(controller_->student()); });
  connect(generate_, &QPushButton::clicked, this,
          [this] { emit generateRequested(controller_->student()); });
  connect(controller_, &DistillController::runStarted, this,
          [this](const QString&, qint64 total) { lossChart_->clear(total); });
  connect(controller_, &DistillController::stepReported, this,
          [this](const DistillStepReport& r) { lossChart_->addStep(r.step, r.total, r.losses); });
  connect(controller_, &DistillController::statusChanged, status_, &QLabel::setText);
  connect(controller_, &DistillController::stateChanged, this, [this] { updateButtons(); });
  connect(controller_, &DistillController::progress, this, [this](double f, double eta) {
    progress_->setValue(static_cast<int>(f * 1000));
    progress_->setFormat(tr("%p% · ETA %1").arg(durationText(eta)));
  });
  connect(controller_, &DistillController::logLine, log_, &QPlainTextEdit::appendPlainText);
  connect(controller_, &DistillController::stateChanged, this, [this](DistillController::State s) {
    using State = DistillController::State;
    if (s == State::Training) progress_->setFormat(tr("starting…"));
    if (s == State::Paused) progress_->setFormat(tr("paused — Resume"));
    if (s == State::Stopped) progress_->setFormat(tr("stopped"));
    if (s == State::Finished) {
      progress_->setValue(1000);
      progress_->setFormat(tr("finished"));
      log_->appendPlainText(tr("Student: %1").arg(controller_->student()));
      runDir_->setText(TrainController::defaultRunDir());  // the next run gets a fresh folder
    }
  });
  connect(session_, &StudioSession::modelLoaded, this,
          [this](const ModelInfo& info) { setStartSidecar(info.sidecarPath); });

  const QString unfinished = controller_->unfinishedRun();
  if (!unfinished.isEmpty()) {
    resumeOffer_->setText(tr("An unfinished distillation is in %1 (checkpoint at step %2). Press "
                             "Resume to continue it.")
                              .arg(unfinished)
                              .arg(TrainController::checkpointStep(unfinished)));
    resumeOffer_->show();
  }
  updateButtons();
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
    status_->setText(error);
    return;
  }
  if (controller_->start(s)) resumeOffer_->hide();
}

void DistillPage::updateButtons() {
  using State = DistillController::State;
  const State s = controller_->state();
  const bool active = controller_->isActive();
  start_->setEnabled(!active);
  pause_->setEnabled(active);
  cancel_->setEnabled(active || s == State::Paused);
  resume_->setEnabled(!active && (s == State::Paused || !controller_->unfinishedRun().isEmpty()));
  const bool student = s == State::Finished && QFileInfo::exists(controller_->student());
  compare_->setEnabled(student);
  generate_->setEnabled(student);
}

}  // namespace linvideo::ui
