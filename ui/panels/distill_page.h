#pragma once
// The Train panel's "Distill (DMD2)" page: configure a few-step distillation of a LinVideo model
// (the loaded model's sidecar, or the one a transfer just made, or any picked file), run it in the
// background with the dm_loss / critic_loss / gap chart and a progress bar with ETA, pause /
// cancel / resume (also of a run left unfinished when the studio closed), and hand the finished
// student to Compare or Generate. The work is DistillController's.
#include <QWidget>

#include "ui/train/distill_controller.h"

class QDoubleSpinBox;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace linvideo::ui {

class LossChart;
class RunControls;
class StudioSession;

class DistillPage : public QWidget {
  Q_OBJECT

 public:
  // `persist`: remember runs in QSettings and offer to resume them (off for screenshots).
  explicit DistillPage(StudioSession* session, QWidget* parent = nullptr, bool persist = true);

  DistillController* controller() const { return controller_; }
  // The form's values; settings the form does not show (latent size, seed, checkpoint interval)
  // are those of the last setForm(). `error` (when given) names a student timestep that is not a
  // number; the list then holds the valid ones.
  DistillSettings settingsFromForm(QString* error = nullptr) const;
  void setForm(const DistillSettings& settings);
  void setStartSidecar(const QString& path);  // the LinVideo model the next run starts from
  LossChart* lossChart() const { return lossChart_; }

 public slots:
  void startFromForm();  // Start: the form's run, or the reason in the status line

 signals:
  void compareRequested(const QString& student);
  void generateRequested(const QString& student);

 private:
  void updateStudentButtons();  // Compare and Generate: for a finished run's student

  StudioSession* session_;
  DistillController* controller_;
  DistillSettings hidden_;  // the settings the form does not show
  QLineEdit *sidecar_, *timesteps_, *prompts_, *runDir_;
  QSpinBox *steps_, *studentSteps_, *criticUpdates_, *maxPrompts_;
  QDoubleSpinBox *lrGenerator_, *lrCritic_;
  RunControls* controls_;
  QPushButton *compare_, *generate_;
  LossChart* lossChart_;
};

}  // namespace linvideo::ui
