#pragma once
// The Train panel, two pages. "LinVideo transfer": configure a transfer, run it in the background
// with live plots of every loss term and of r per layer (heat map), a progress bar with ETA,
// pause / cancel / resume (also of a run left unfinished when the studio closed); the work is
// TrainController's. "Distill (DMD2)": the few-step distillation of the result (DistillPage).
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;
class QTabWidget;

namespace linvideo::ui {

class DistillPage;
class LossChart;
class RHeatMap;
class RunControls;
class StudioSession;
class TrainController;
struct TrainSettings;
struct TrainStepReport;

class TrainPanel : public QWidget {
  Q_OBJECT

 public:
  // `persist`: remember runs in QSettings and offer to resume them (off for screenshots).
  explicit TrainPanel(StudioSession* session, QWidget* parent = nullptr, bool persist = true);

  TrainController* controller() const { return controller_; }
  TrainSettings settingsFromForm() const;
  void setForm(const TrainSettings& settings);
  RHeatMap* heatMap() const { return heatMap_; }
  int plottedSteps() const;
  DistillPage* distillPage() const { return distill_; }
  void showDistillPage();

 private:
  void onStep(const TrainStepReport& report);
  void clearPlots();

  StudioSession* session_;
  TrainController* controller_;
  QComboBox* objective_;
  QSpinBox *target_, *steps_, *maxPrompts_, *cacheSteps_, *warmup_;
  QDoubleSpinBox *lr_, *lrR_, *lambda_;
  QLineEdit *prompts_, *runDir_;
  RunControls* controls_;
  LossChart* lossChart_;
  RHeatMap* heatMap_;
  QTabWidget* pages_;
  DistillPage* distill_;
};

}  // namespace linvideo::ui
