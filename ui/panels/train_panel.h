#pragma once
// The Train panel: configure a LinVideo transfer, run it in the background with live plots of
// every loss term and of r per layer (heat map), a progress bar with ETA, pause / cancel /
// resume (also of a run left unfinished when the studio closed). The work is TrainController's.
#include <QMap>
#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QLineSeries;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QValueAxis;

namespace linvideo::ui {

class RHeatMap;
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

 private:
  void onStep(const TrainStepReport& report);
  void updateButtons();
  void clearPlots();

  StudioSession* session_;
  TrainController* controller_;
  QComboBox* objective_;
  QSpinBox *target_, *steps_, *maxPrompts_, *cacheSteps_, *warmup_;
  QDoubleSpinBox *lr_, *lrR_, *lambda_;
  QLineEdit *prompts_, *runDir_;
  QPushButton *start_, *pause_, *cancel_, *resume_;
  QProgressBar* progress_;
  QLabel *status_, *resumeOffer_;
  QChart* lossChart_;
  QValueAxis *lossX_, *lossY_;
  QMap<QString, QLineSeries*> lossSeries_;
  double lossMin_ = 0, lossMax_ = 0;
  RHeatMap* heatMap_;
  QPlainTextEdit* log_;
};

}  // namespace linvideo::ui
