#pragma once
// What TrainController and DistillController share: a run of a session task in a run folder,
// without widgets. The state and its status line, the task handle, pause (= cancel; the trainer
// checkpoints), stop and resume, the studio's settings file in the run folder (RUN/<settings
// file>) and the last run folder in QSettings, so that an unfinished run can be resumed after the
// studio restarts.
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QString>
#include <functional>

namespace linvideo::ui {

class StudioSession;
class TaskContext;
class TaskHandle;
struct Task;

class RunController : public QObject {
  Q_OBJECT

 public:
  enum class State { Idle, Caching, Training, Paused, Stopped, Finished, Failed };
  Q_ENUM(State)

  // AppDataLocation/runs/<yyyyMMdd-HHmmss>.
  static QString defaultRunDir();
  // The step of the run's last checkpoint (0: none).
  static qint64 checkpointStep(const QString& runDir);
  // The last run folder if it holds the studio's settings but not the run's result; empty
  // otherwise.
  QString unfinishedRun() const;

  State state() const { return state_; }
  QString runDir() const { return runDir_; }
  bool isActive() const { return state_ == State::Caching || state_ == State::Training; }
  QString statusText() const { return status_; }

 public slots:
  bool resume();                                      // the current (or last) run folder
  virtual bool resumeRun(const QString& runDir) = 0;  // reads the run's studio settings
  void pause();                                       // cancel; resumable
  void cancel();                                      // cancel; marked stopped

 signals:
  void stateChanged(linvideo::ui::RunController::State state);
  void statusChanged(const QString& text);
  void progress(double fraction, double etaSeconds);
  void logLine(const QString& line);
  void finished(const QString& result);
  void failed(const QString& message);

 protected:
  // `persist`: remember the run in QSettings under `lastRunKey`. A run folder holds the studio's
  // settings in `settingsFile` and, once finished, the run's result in `resultFile`.
  RunController(StudioSession* session, bool persist, const QString& lastRunKey,
                const QString& settingsFile, const QString& resultFile, QObject* parent);

  void setState(State state, const QString& status);
  bool fail(const QString& status, const QString& message);  // Failed; returns false
  bool refuse(const QString& message);  // Failed with "Failed: `message`"; returns false
  // The run folder's studio settings (empty when there are none).
  QString readRunSettings(const QString& runDir) const;
  // Creates the run folder, writes the studio settings into it and makes it the current (and
  // the last) run; false with `error` when the folder cannot be created.
  bool beginRun(const QString& runDir, const QString& settingsJson, QString* error);
  // The lines of RUN/metrics.jsonl up to the last checkpoint, in order, with their steps.
  void forEachCheckpointedStep(const QString& runDir,
                               const std::function<void(qint64, const QJsonObject&)>& fn) const;
  // Submits the run's task in the `running` state and follows it: "Step" progress is Training,
  // a cancel is Paused (or Stopped after cancel()), a failure Failed; finishing calls
  // taskFinished().
  void submit(Task task, State running, const QString& status);
  virtual void taskFinished() = 0;
  // On the engine thread: a trainer step as the task's "Step i/N" progress, which submit() follows.
  static void reportStep(TaskContext& ctx, qint64 step, qint64 total, double etaSeconds);
  void forgetRun();  // the last run in QSettings

  StudioSession* session_;
  bool persist_;

 private:
  void stopped();

  const QString lastRunKey_, settingsFile_, resultFile_;
  State state_ = State::Idle;
  QString runDir_, status_;
  QPointer<TaskHandle> task_;
  bool stopRequested_ = false;
};

}  // namespace linvideo::ui
