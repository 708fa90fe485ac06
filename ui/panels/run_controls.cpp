#include "ui/panels/run_controls.h"

#include <QFileDialog>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/train/run_controller.h"
#include "ui/widgets/duration_text.h"

namespace linvideo::ui {

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

RunControls::RunControls(RunController* controller, QLineEdit* runDir, const QString& idleStatus,
                         QWidget* page)
    : QObject(page), controller_(controller), page_(page) {
  start_ = new QPushButton(tr("Start"), page);
  pause_ = new QPushButton(tr("Pause"), page);
  cancel_ = new QPushButton(tr("Cancel"), page);
  resume_ = new QPushButton(tr("Resume"), page);
  cancel_->setToolTip(tr("Stops the run for good (its folder stays)"));
  buttons_ = new QHBoxLayout;
  for (QPushButton* b : {start_, pause_, cancel_, resume_}) buttons_->addWidget(b);
  progress_ = new QProgressBar(page);
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  progress_->setFormat(tr("idle"));
  status_ = new QLabel(idleStatus, page);
  status_->setWordWrap(true);
  resumeOffer_ = new QLabel(page);
  resumeOffer_->setWordWrap(true);
  resumeOffer_->setStyleSheet(QStringLiteral("background: palette(alternate-base); padding: 6px"));
  resumeOffer_->hide();

  using State = RunController::State;
  connect(pause_, &QPushButton::clicked, controller_, &RunController::pause);
  connect(cancel_, &QPushButton::clicked, controller_, &RunController::cancel);
  connect(resume_, &QPushButton::clicked, this, [this] {
    const QString offered = controller_->unfinishedRun();
    const bool ok = controller_->state() == State::Paused || offered.isEmpty()
                        ? controller_->resume()
                        : controller_->resumeRun(offered);
    if (ok) {
      resumeOffer_->hide();
      emit resumed();
    }
  });
  connect(controller_, &RunController::statusChanged, status_, &QLabel::setText);
  connect(controller_, &RunController::stateChanged, this, [this] { updateButtons(); });
  connect(controller_, &RunController::progress, this, [this](double f, double eta) {
    progress_->setValue(static_cast<int>(f * 1000));
    progress_->setFormat(tr("%p% · ETA %1").arg(durationText(eta)));
  });
  connect(controller_, &RunController::stateChanged, this, [this, runDir](State s) {
    if (s == State::Paused) progress_->setFormat(tr("paused — Resume"));
    if (s == State::Stopped) progress_->setFormat(tr("stopped"));
    if (s == State::Finished) {
      progress_->setValue(1000);
      progress_->setFormat(tr("finished"));
      runDir->setText(RunController::defaultRunDir());  // the next run gets a fresh folder
    }
  });
}

QGroupBox* RunControls::settingsBox(const QString& title, QLayout* form, QLayout* below) {
  auto* box = new QGroupBox(title, page_);
  auto* layout = new QVBoxLayout(box);
  layout->addLayout(form);
  layout->addLayout(buttons_);
  layout->addWidget(progress_);
  layout->addWidget(status_);
  layout->addWidget(resumeOffer_);
  if (below) layout->addLayout(below);
  layout->addStretch(1);
  box->setMaximumWidth(460);
  return box;
}

QPlainTextEdit* RunControls::addLog(const QString& placeholder) {
  log_ = new QPlainTextEdit(page_);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(2000);
  log_->setPlaceholderText(placeholder);
  connect(controller_, &RunController::logLine, log_, &QPlainTextEdit::appendPlainText);
  return log_;
}

void RunControls::offerUnfinishedRun(const QString& text) {
  const QString unfinished = controller_->unfinishedRun();
  if (unfinished.isEmpty()) return;
  resumeOffer_->setText(text.arg(unfinished).arg(RunController::checkpointStep(unfinished)));
  resumeOffer_->show();
}

void RunControls::hideResumeOffer() { resumeOffer_->hide(); }

void RunControls::updateButtons() {
  using State = RunController::State;
  const State s = controller_->state();
  const bool active = controller_->isActive();
  start_->setEnabled(!active);
  pause_->setEnabled(active);
  cancel_->setEnabled(active || s == State::Paused);
  resume_->setEnabled(!active && (s == State::Paused || !controller_->unfinishedRun().isEmpty()));
}

}  // namespace linvideo::ui
