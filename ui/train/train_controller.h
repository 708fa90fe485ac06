#pragma once
// A LinVideo transfer run from the studio, without widgets (testable): builds the trajectory
// cache in the run folder when it is missing, trains in a session task, reports every step, and
// pauses (= cancels; the trainer checkpoints), stops or resumes exactly. A finished run's sidecar
// is installed in the engine and the session's layer model refreshed.
//
// The last run folder is kept in QSettings ("train/lastRun") so an unfinished run can be resumed
// after the studio restarts; the settings of a run live beside it in RUN/studio-train.json.
#include <QMap>
#include <QString>
#include <QVector>

#include "ui/train/run_controller.h"

namespace linvideo::ui {

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
  QString runDir;  // empty: RunController::defaultRunDir()

  QString toJson() const;
  // Every field typed and ranged; *error (if given) is empty, or one line naming `label` and the
  // field, and then the defaults stand.
  static TrainSettings fromJson(const QString& json, QString* error = nullptr,
                                const QString& label = QStringLiteral("studio-train.json"));
};

struct TrainStepReport {
  qint64 step = 0, total = 0;
  QMap<QString, double> losses;  // "objective", "con", "reg", "total"
  QVector<double> r;             // per layer
  int linearNow = 0;
  double etaSeconds = -1;
};

class TrainController : public RunController {
  Q_OBJECT

 public:
  // `persist`: remember the run in QSettings (off for screenshots and some tests).
  explicit TrainController(StudioSession* session, bool persist = true, QObject* parent = nullptr);

  // unfinishedRun(): the last run folder if it holds a checkpoint but no final sidecar.
  const TrainSettings& settings() const { return settings_; }
  QString sidecar() const { return sidecar_; }

 public slots:
  bool start(const TrainSettings& settings);       // false when busy or the settings are refused
  bool resumeRun(const QString& runDir) override;  // reads RUN/studio-train.json

 signals:
  // A run (fresh or resumed) is launched: plots start over (a resumed run's steps are replayed).
  void runStarted(const QString& runDir);
  void cacheProgress(double fraction, const QString& message);
  // Steps already in the run's metrics.jsonl are replayed first when a run resumes.
  void stepReported(const linvideo::ui::TrainStepReport& report);
  // finished(sidecar): the run's sidecar, installed in the engine.

 private:
  bool launch(const TrainSettings& settings, const QString& runDir);
  void replayMetrics(const QString& runDir);
  void taskFinished() override;

  TrainSettings settings_;
  QString sidecar_;
};

}  // namespace linvideo::ui

Q_DECLARE_METATYPE(linvideo::ui::TrainStepReport)
