#pragma once
// The Compare panel's metrics, one row per variant, as a table model (testable without widgets).
// Row 0 is the reference. Columns: variant, linear layers, DiT passes (steps × 2 with CFG, × 1
// without: a distilled student's few steps show here), DiT sampling seconds, total seconds,
// speed-up (reference DiT seconds / this row's: the part the attention modes change), PSNR and
// SSIM against the reference (absent on the reference itself), temporal flicker
// (media::temporal_flicker), then the ten `linvideo eval` dimensions and their total when the
// model is the shapes world and the prompt is in its grammar (else empty, with the reason in
// `note`). Qt::UserRole gives the raw number (an invalid QVariant when absent).
#include <QAbstractTableModel>
#include <QString>
#include <QVector>
#include <array>
#include <optional>

namespace linvideo::ui {

struct VariantMetrics {
  QString label;
  QString layerMask;  // "1-4", "none"
  QString path;       // the variant's MP4
  int steps = 0, ditForwards = 0;  // sampler steps done; DiT forward passes (2 per step with CFG)
  double guidance = 0;             // the CFG scale sampled with (1: none)
  double ditSeconds = 0, totalSeconds = 0;
  std::optional<double> psnr, ssim;
  double flicker = 0;
  bool hasEval = false;
  std::array<double, 10> evalDimensions{};
  double evalTotal = 0;
  QString note;  // why eval is absent, or other remarks
};

class CompareMetricsModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    VariantColumn,
    LayersColumn,
    PassesColumn,
    DitSecondsColumn,
    TotalSecondsColumn,
    SpeedupColumn,
    PsnrColumn,
    SsimColumn,
    FlickerColumn,
    FirstEvalColumn,
    EvalTotalColumn = FirstEvalColumn + 10,
    ColumnCount
  };

  explicit CompareMetricsModel(QObject* parent = nullptr);

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

  void clear();
  void addRow(const VariantMetrics& row);
  const VariantMetrics& row(int index) const { return rows_.at(index); }
  // Reference DiT seconds / this row's; 1 for the reference; absent when unknown.
  std::optional<double> speedup(int row) const;
  // The raw value of a cell (what Qt::UserRole returns): absent when there is none.
  std::optional<double> value(int row, int column) const;

 private:
  QVector<VariantMetrics> rows_;
};

}  // namespace linvideo::ui
