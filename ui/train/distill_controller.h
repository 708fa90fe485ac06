#pragma once
// A DMD2 few-step distillation run from the studio (core/method/distill.h), without widgets
// (testable): the student starts from a LinVideo sidecar, trains in a session task, reports every
// generator step, and pauses (= cancels at the next step; the trainer checkpoints), stops or
// resumes exactly, as TrainController does for transfer. A finished run leaves
// RUN/student.safetensors, which Compare and Generate sample on its own few-step schedule; the
// engine's model (the teacher) is left as it was.
//
// The last run folder is kept in QSettings ("distill/lastRun"); the settings of a run live beside
// it in RUN/studio-distill.json.
#include <QMap>
#include <QString>
#include <QVector>

#include "ui/train/run_controller.h"

namespace linvideo::ui {

struct DistillSettings {
  QString sidecar;  // the LinVideo model the student starts from; empty: the loaded model's
  int steps = 400;  // generator updates (the shapes recipe of docs/results.md; the paper: about 2K)
  // Before the shift, one a student step: 1000 750 500 250.
  QVector<double> studentTimesteps = evenTimesteps(4);
  int criticUpdates = 5;  // per generator update
  double lrGenerator = 2e-5, lrCritic = 2e-5;
  QString promptsFile;       // empty: the shipped shapes prompts
  int maxPrompts = 0;        // the first N prompts (0: all); they are only encoded, so all is cheap
  int checkpointEvery = 50;  // Pause always checkpoints; a Wan 1.3B checkpoint is about 36 GB
  // The latent size the student is trained at (0: the model's default). Small is quick on a CPU.
  qint64 frames = 0, height = 0, width = 0;
  quint64 seed = 0;
  QString runDir;  // empty: RunController::defaultRunDir()

  // `steps` timesteps evenly spaced from 1000 (4: 1000 750 500 250), as `linvideo distill
  // --student-steps` spaces them.
  static QVector<double> evenTimesteps(int steps);
  QString toJson() const;
  // Every field typed and ranged; *error (if given) is empty, or one line naming `label` and the
  // field, and then the defaults stand.
  static DistillSettings fromJson(const QString& json, QString* error = nullptr,
                                  const QString& label = QStringLiteral("studio-distill.json"));
};

struct DistillStepReport {
  qint64 step = 0, total = 0;
  QMap<QString, double> losses;  // "dm_loss", "critic_loss", "gap" (DistillStep)
  int studentStep = 0;           // the schedule step the generator trained at (0-based)
  double etaSeconds = -1;
};

class DistillController : public RunController {
  Q_OBJECT

 public:
  // `persist`: remember the run in QSettings (off for screenshots and tests).
  explicit DistillController(StudioSession* session, bool persist = true,
                             QObject* parent = nullptr);

  static QString studentPath(const QString& runDir);  // RUN/student.safetensors
  // unfinishedRun(): the last run folder if it holds a checkpoint but no student. A run is never
  // Caching (no cache is built); pause() takes effect before the next step.

  const DistillSettings& settings() const { return settings_; }
  QString student() const { return student_; }  // set when a run finished

 public slots:
  bool start(const DistillSettings& settings);     // false when busy or the settings are refused
  bool resumeRun(const QString& runDir) override;  // reads RUN/studio-distill.json

 signals:
  // A run (fresh or resumed) is launched: plots start over (a resumed run's steps are replayed).
  void runStarted(const QString& runDir, qint64 totalSteps);
  void stepReported(const linvideo::ui::DistillStepReport& report);
  // finished(student): RUN/student.safetensors.

 private:
  bool launch(const DistillSettings& settings, const QString& runDir);
  void replayMetrics(const QString& runDir);
  void taskFinished() override;

  DistillSettings settings_;
  QString student_;
};

}  // namespace linvideo::ui

Q_DECLARE_METATYPE(linvideo::ui::DistillStepReport)
