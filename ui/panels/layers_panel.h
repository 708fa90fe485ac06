#pragma once
// The Layers panel: the per-layer replaceability chart and table (click a bar or a checkbox to
// toggle a layer), "linearise the k most replaceable", the live cost estimate, layer masks and
// the background scan. Its data is the session's LayerTableModel.
#include <QPointer>
#include <QWidget>

class QBarSeries;
class QBarSet;
class QBarCategoryAxis;
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QValueAxis;

namespace linvideo::ui {

class LayerTableModel;
class StudioSession;
class TaskHandle;

class LayersPanel : public QWidget {
  Q_OBJECT

 public:
  explicit LayersPanel(StudioSession* session, QWidget* parent = nullptr);

  // The actions behind the buttons (the dialogs only pick the path); false and errorText() set on
  // failure. loadMask submits the change; the model follows when the engine confirms.
  bool saveMask(const QString& path);
  bool loadMask(const QString& path);
  QString errorText() const;
  QString estimateText() const;
  void lineariseMostReplaceable();
  TaskHandle* runScan();
  void toggleLayer(int layer);  // 1-based: what clicking its bar does
  int trajectorySteps() const;  // steps in the r heat map (0: hidden, the sidecar has no run's path)
  // The k-sweep chart (issue 20): the model folder's sweep.json (`linvideo sweep --json`), quality
  // against predicted speed-up with the Pareto front and the model's own layers marked. Points
  // shown (0: no sweep.json, or one that could not be read: sweepText() says why).
  int sweepPoints() const;
  QString sweepText() const;

 private:
  void rebuildChart();
  void updateEstimate();
  void showError(const QString& message);
  void resetSizeFromModel();
  void rebuildHeatMap();
  void loadSweep();

  StudioSession* session_;
  LayerTableModel* model_;
  QChart* chart_;
  QChartView* chartView_;
  class RHeatMap* heatMap_;
  QLabel* heatMapLabel_;
  QChart* sweepChart_;
  QChartView* sweepView_;
  QLabel* sweepLabel_;
  int sweepPoints_ = 0;
  QComboBox* scoreChoice_;
  QTableView* table_;
  QSpinBox* k_;
  QPushButton* lineariseButton_;
  QLabel* rankingLabel_;
  QSpinBox *frames_, *height_, *width_;
  QLabel* estimate_;
  QLabel* error_;
  QLineEdit* scanPrompt_;
  QSpinBox *scanSampleSteps_, *scanTransferSteps_;
  QPushButton *scanButton_, *scanCancel_;
  QProgressBar* scanProgress_;
  QPointer<TaskHandle> scanTask_;
};

}  // namespace linvideo::ui
