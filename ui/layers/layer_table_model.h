#pragma once
// The Layers view's data: one row per self-attention layer with its mode (the check column:
// linear = checked), whether it has LinVideo maps, its learned r, and the scan's transfer error
// and sensitivity (unknown until a scan). It mirrors the engine: every change is a task on the
// session's engine thread, and the rows change only when the engine has confirmed.
//
// Other panels read the current mask here (linearLayers()) and follow layersChanged().
#include <QAbstractTableModel>
#include <QString>
#include <vector>

#include "core/engine/layers.h"
#include "core/method/layer_ranking.h"

namespace linvideo::ui {

// The ranking rule is the engine's (core/method/layer_ranking), shared with `linvideo scan --rank`.
using method::kUnknownScore;
using method::LayerRanking;
using method::LayerScores;
using method::rank_layers;
using method::ranking_basis_name;
using method::ranking_rule;
using method::RankingBasis;

class StudioSession;
class TaskHandle;

// What "Run scan" runs (ScanOptions), with defaults small enough for a CPU.
struct ScanSettings {
  QStringList prompts;  // empty: the calibration prompt
  int seeds = 1;
  int sampleSteps = 6;
  int transferSteps = 50;
  bool measureSensitivity = true;
};

class LayerTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    LayerColumn,
    ModeColumn,  // checkable: linear = checked, mixed = partially checked
    RColumn,
    TransferErrorColumn,
    SensitivityColumn,
    MapsColumn,
    ColumnCount
  };
  // The raw value of a cell: int layer, engine::LayerMode as int, double (NaN when unknown), bool maps.
  static constexpr int ValueRole = Qt::UserRole + 1;
  static constexpr int PendingRole = Qt::UserRole + 2;  // bool: a change is on its way

  explicit LayerTableModel(StudioSession* session, QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  // The check column: submits the mode change and returns true; the row follows on confirmation.
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;

  // ---- the confirmed engine state (UI thread) ----
  int layerCount() const { return static_cast<int>(layers_.size()); }
  const engine::LayerInfo& layer(int row) const { return layers_[static_cast<std::size_t>(row)]; }
  // r over the steps of the run that made the installed sidecar; empty when it does not say.
  const std::vector<std::vector<double>>& rTrajectory() const { return engine_.r_trajectory; }
  std::vector<int> linearLayers() const;  // 1-based, sorted: the current mask
  QString linearLayerText() const;        // "1-4", or "none"
  std::vector<LayerScores> scores() const;
  bool hasScan() const;
  const model::DitConfig& config() const { return engine_.config; }
  const engine::LayerTable& engineLayers() const { return engine_; }
  bool isBusy() const { return busy_ > 0; }
  QString calibrationPrompt() const { return calibrationPrompt_; }
  void setCalibrationPrompt(const QString& prompt) { calibrationPrompt_ = prompt; }

  // ---- changes (each a task; the handle reports progress and the end) ----
  TaskHandle* setLayerLinear(int layer, bool linear);  // 1-based
  TaskHandle* setLinearLayers(const std::vector<int>& linear);  // exactly these, others softmax
  TaskHandle* lineariseMostReplaceable(int k, RankingBasis* basis = nullptr);
  TaskHandle* runScan(const ScanSettings& settings);
  TaskHandle* refreshFromEngine();  // after engine work elsewhere (training)

  // Called by the session on the UI thread when a model has loaded (the scores are reset).
  void resetFromEngine(const engine::LayerTable& engine);
  void updateFromEngine(const engine::LayerTable& engine);  // keeps the scores

 signals:
  void layersChanged();  // modes, maps or r changed (engine confirmed)
  void scoresChanged();  // a scan delivered scores
  void busyChanged(bool busy);
  void errorOccurred(const QString& message);

 private:
  TaskHandle* submitChange(const QString& name, std::vector<std::pair<int, bool>> changes);
  void mergeScores(const method::ScanResult& result);
  void track(TaskHandle* handle, const std::vector<int>& pendingRows);

  StudioSession* session_;
  engine::LayerTable engine_;
  bool takeSidecarScores();  // true when a column changed
  std::vector<engine::LayerInfo>& layers_ = engine_.layers;
  std::vector<double> transferError_, sensitivity_;
  std::vector<int> pending_;  // per row: changes in flight
  int busy_ = 0;
  QString calibrationPrompt_;
};

}  // namespace linvideo::ui
