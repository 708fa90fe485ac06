#pragma once
// A LinVideo transfer run from the studio, without widgets (testable): builds the trajectory
// cache in the run folder when it is missing, trains in a session task, reports every step, and
// pauses (= cancels; the trainer checkpoints), stops or resumes exactly. A finished run's sidecar
// is installed in the engine and the session's layer model refreshed.
//
// The last run folder is kept in QSettings ("train/lastRun") so an unfinished run can be resumed
// after the studio restarts; the settings of a run live beside it in RUN/studio-train.json.
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QVector>

namespace linvideo::ui {

class StudioSession;
class TaskHandle;

struct TrainSettings {
  QString objective = QStringLiteral("adm");  // "adm" or "mse"
  int targetLinear = 4;                       // k
  int steps = 60;
  double lr = 1e-3, lrR = 1e-2, lambda = 0.01;
  QString promptsFile;   // empty: the shipped shapes prompts
  int maxPrompts = 4;    // the cache samples the first N prompts (0: all)
  int cacheSteps = 0;    // sampler steps of the cache (0: the model's default)
  int warmupSteps = 30;  // attention-transfer warm-up per layer
  int checkpointEvery = 10;
  QString runDir;  // empty: defaultRunDir()

  QString toJson() const;
  static TrainSettings fromJson(const QString& json, bool* ok = nullptr);
};

struct TrainStepReport {
  qint64 step = 0, total = 0;
  QMap<QString, double> losses;  // "objective", "con", "reg", "total"
  QVector<double> r;             // per layer
  int linearNow = 0;
  double etaSeconds = -1;
};

class TrainController : public QObject {
  Q_OBJECT

 public:
  enum class State { Idle, Caching, Training, Paused, Stopped, Finished, Failed };
  Q_ENUM(State)

  // `persist`: remember the run in QSettings (off for screenshots and some tests).
  explicit TrainController(StudioSession* session, bool persist = true, QObject* parent = nullptr);

  // AppDataLocation/runs/<yyyyMMdd-HHmmss>.
  static QString defaultRunDir();
  // The last run folder if it holds a checkpoint but no final sidecar; empty otherwise.
  QString unfinishedRun() const;
  static qint64 checkpointStep(const QString& runDir);

  State state() const { return state_; }
  QString runDir() const { return runDir_; }
  const TrainSettings& settings() const { return settings_; }
  bool isActive() const { return state_ == State::Caching || state_ == State::Training; }
  QString statusText() const { return status_; }
  QString sidecar() const { return sidecar_; }

 public slots:
  bool start(const TrainSettings& settings);  // false when busy or the settings are refused
  bool resume();                              // the current (or last) run folder
  bool resumeRun(const QString& runDir);      // reads RUN/studio-train.json
  void pause();                               // cancel; resumable
  void cancel();                              // cancel; marked stopped

 signals:
  void stateChanged(linvideo::ui::TrainController::State state);
  void statusChanged(const QString& text);
  // A run (fresh or resumed) is launched: plots start over (a resumed run's steps are replayed).
  void runStarted(const QString& runDir);
  void cacheProgress(double fraction, const QString& message);
  // Steps already in the run's metrics.jsonl are replayed first when a run resumes.
  void stepReported(const linvideo::ui::TrainStepReport& report);
  void progress(double fraction, double etaSeconds);
  void logLine(const QString& line);
  void finished(const QString& sidecar);
  void failed(const QString& message);

 private:
  bool launch(const TrainSettings& settings, const QString& runDir);
  void setState(State state, const QString& status);
  void replayMetrics(const QString& runDir);

  StudioSession* session_;
  bool persist_;
  State state_ = State::Idle;
  TrainSettings settings_;
  QString runDir_, status_, sidecar_;
  QPointer<TaskHandle> task_;
  bool stopRequested_ = false;
};

}  // namespace linvideo::ui

Q_DECLARE_METATYPE(linvideo::ui::TrainStepReport)
