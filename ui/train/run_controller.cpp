#include "ui/train/run_controller.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSettings>
#include <QStandardPaths>
#include <algorithm>
#include <exception>

#include "core/train/training_state.h"
#include "ui/engine/studio_session.h"

namespace linvideo::ui {

RunController::RunController(StudioSession* session, bool persist, const QString& lastRunKey,
                             const QString& settingsFile, const QString& resultFile,
                             QObject* parent)
    : QObject(parent),
      session_(session),
      persist_(persist),
      lastRunKey_(lastRunKey),
      settingsFile_(settingsFile),
      resultFile_(resultFile) {}

QString RunController::defaultRunDir() {
  const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
  return QDir(base).filePath(QStringLiteral("runs/") + QDateTime::currentDateTime().toString(
                                                           QStringLiteral("yyyyMMdd-HHmmss")));
}

qint64 RunController::checkpointStep(const QString& runDir) {
  try {
    return train::read_progress(runDir.toStdString()).step;
  } catch (const std::exception&) {
    return 0;
  }
}

QString RunController::unfinishedRun() const {
  if (!persist_) return {};
  const QString run = QSettings().value(lastRunKey_).toString();
  if (run.isEmpty() || !QFileInfo::exists(QDir(run).filePath(settingsFile_))) return {};
  if (QFileInfo::exists(QDir(run).filePath(resultFile_))) return {};
  return run;
}

void RunController::setState(State state, const QString& status) {
  status_ = status;
  if (state_ != state) {
    state_ = state;
    emit stateChanged(state);
  }
  emit statusChanged(status);
}

bool RunController::fail(const QString& status, const QString& message) {
  setState(State::Failed, status);
  emit failed(message);
  return false;
}

bool RunController::refuse(const QString& message) {
  return fail(tr("Failed: %1").arg(message), message);
}

bool RunController::resume() { return resumeRun(runDir_.isEmpty() ? unfinishedRun() : runDir_); }

QString RunController::readRunSettings(const QString& runDir) const {
  QFile file(QDir(runDir).filePath(settingsFile_));
  if (!file.open(QIODevice::ReadOnly)) return {};
  return QString::fromUtf8(file.readAll());
}

bool RunController::beginRun(const QString& runDir, const QString& settingsJson, QString* error) {
  if (!QDir().mkpath(runDir)) {
    *error = tr("%1: cannot create the run folder").arg(runDir);
    return false;
  }
  QFile settingsFile(QDir(runDir).filePath(settingsFile_));
  if (settingsFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
    settingsFile.write(settingsJson.toUtf8());
  settingsFile.close();
  runDir_ = runDir;
  stopRequested_ = false;
  if (persist_) QSettings().setValue(lastRunKey_, runDir);
  return true;
}

void RunController::forEachCheckpointedStep(
    const QString& runDir, const std::function<void(qint64, const QJsonObject&)>& fn) const {
  const qint64 upTo = checkpointStep(runDir);
  QFile file(QDir(runDir).filePath(QStringLiteral("metrics.jsonl")));
  if (upTo <= 0 || !file.open(QIODevice::ReadOnly | QIODevice::Text)) return;
  while (!file.atEnd()) {
    const QJsonObject o = QJsonDocument::fromJson(file.readLine()).object();
    const qint64 step = o.value("step").toInteger();
    if (step <= 0 || step > upTo) continue;
    fn(step, o);
  }
}

void RunController::submit(Task task, State running, const QString& status) {
  task_ = session_->submit(std::move(task));
  setState(running, status);
  connect(task_, &TaskHandle::logLine, this, &RunController::logLine);
  connect(task_, &TaskHandle::progress, this, [this](double f, const QString& message, double eta) {
    if (!message.startsWith(QLatin1String("Step"))) return;
    if (state_ != State::Training) setState(State::Training, message);
    status_ = message;
    emit statusChanged(message);
    emit progress(f, eta);
  });
  connect(task_, &TaskHandle::finished, this, [this] { taskFinished(); });
  connect(task_, &TaskHandle::cancelled, this, [this] {
    if (stopRequested_) {
      stopped();
    } else {
      setState(State::Paused, tr("Paused at step %1 — Resume continues from the checkpoint")
                                  .arg(checkpointStep(runDir_)));
    }
  });
  connect(task_, &TaskHandle::failed, this, [this](const QString& message) { refuse(message); });
}

void RunController::reportStep(TaskContext& ctx, qint64 step, qint64 total, double etaSeconds) {
  ctx.progress(static_cast<double>(step) / std::max<qint64>(1, total),
               QStringLiteral("Step %1/%2").arg(step).arg(total), etaSeconds);
}

void RunController::forgetRun() {
  if (persist_) QSettings().remove(lastRunKey_);
}

void RunController::stopped() {
  forgetRun();
  setState(State::Stopped, tr("Stopped at step %1").arg(checkpointStep(runDir_)));
}

void RunController::pause() {
  if (task_ && isActive()) session_->cancel(task_->id());
}

void RunController::cancel() {
  if (task_ && isActive()) {
    stopRequested_ = true;
    session_->cancel(task_->id());
  } else if (state_ == State::Paused) {
    stopped();
  }
}

}  // namespace linvideo::ui
