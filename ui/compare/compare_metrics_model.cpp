#include "ui/compare/compare_metrics_model.h"

#include <cmath>

#include "core/shapes/evaluate.h"

namespace linvideo::ui {

CompareMetricsModel::CompareMetricsModel(QObject* parent) : QAbstractTableModel(parent) {}

int CompareMetricsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int CompareMetricsModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

void CompareMetricsModel::clear() {
  beginResetModel();
  rows_.clear();
  endResetModel();
}

void CompareMetricsModel::addRow(const VariantMetrics& row) {
  const int at = static_cast<int>(rows_.size());
  beginInsertRows({}, at, at);
  rows_.push_back(row);
  endInsertRows();
  // A new reference changes every speed-up; otherwise only the new row is new.
  if (at == 0) emit dataChanged(index(0, 0), index(0, ColumnCount - 1));
}

std::optional<double> CompareMetricsModel::speedup(int row) const {
  if (rows_.isEmpty() || row < 0 || row >= rows_.size()) return std::nullopt;
  if (row == 0) return 1.0;
  const double reference = rows_.front().ditSeconds, own = rows_[row].ditSeconds;
  if (reference <= 0 || own <= 0) return std::nullopt;
  return reference / own;
}

std::optional<double> CompareMetricsModel::value(int row, int column) const {
  if (row < 0 || row >= rows_.size()) return std::nullopt;
  const VariantMetrics& r = rows_[row];
  switch (column) {
    case PassesColumn: return r.ditForwards > 0 ? std::optional<double>(r.ditForwards) : std::nullopt;
    case DitSecondsColumn: return r.ditSeconds;
    case TotalSecondsColumn: return r.totalSeconds;
    case SpeedupColumn: return speedup(row);
    case PsnrColumn: return r.psnr;
    case SsimColumn: return r.ssim;
    case FlickerColumn: return r.flicker;
    case EvalTotalColumn: return r.hasEval ? std::optional<double>(r.evalTotal) : std::nullopt;
    default:
      if (column >= FirstEvalColumn && column < EvalTotalColumn && r.hasEval)
        return r.evalDimensions[column - FirstEvalColumn];
      return std::nullopt;
  }
}

QVariant CompareMetricsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rows_.size()) return {};
  const VariantMetrics& r = rows_[index.row()];
  const int column = index.column();
  if (role == Qt::ToolTipRole) return r.note.isEmpty() ? r.path : r.path + QStringLiteral("\n") + r.note;
  if (role == Qt::TextAlignmentRole && column >= PassesColumn)
    return int(Qt::AlignRight | Qt::AlignVCenter);
  if (column == VariantColumn) return role == Qt::DisplayRole || role == Qt::UserRole ? r.label : QVariant();
  if (column == LayersColumn) return role == Qt::DisplayRole || role == Qt::UserRole ? r.layerMask : QVariant();
  const std::optional<double> v = value(index.row(), column);
  if (role == Qt::UserRole) return v ? QVariant(*v) : QVariant();
  if (role != Qt::DisplayRole) return {};
  if (!v) {
    if (column == PsnrColumn || column == SsimColumn) return index.row() == 0 ? QStringLiteral("ref") : QString();
    if (column >= FirstEvalColumn && !r.hasEval) return QStringLiteral("–");
    return QString();
  }
  switch (column) {
    case PassesColumn:
      return r.steps > 0 ? QStringLiteral("%1 (%2 × %3)").arg(r.ditForwards).arg(r.steps).arg(r.ditForwards / r.steps)
                         : QString::number(r.ditForwards);
    case DitSecondsColumn:
    case TotalSecondsColumn: return QString::number(*v, 'f', 2);
    case SpeedupColumn: return QStringLiteral("%1×").arg(*v, 0, 'f', 2);
    case PsnrColumn: return std::isfinite(*v) ? QString::number(*v, 'f', 2) : QStringLiteral("∞");
    case SsimColumn: return QString::number(*v, 'f', 4);
    case FlickerColumn: return QString::number(*v, 'f', 2);
    default: return QString::number(*v, 'f', 1);
  }
}

QVariant CompareMetricsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
  switch (section) {
    case VariantColumn: return tr("Variant");
    case LayersColumn: return tr("Linear layers");
    case PassesColumn: return tr("DiT passes");
    case DitSecondsColumn: return tr("DiT s");
    case TotalSecondsColumn: return tr("Total s");
    case SpeedupColumn: return tr("Speed-up");
    case PsnrColumn: return tr("PSNR dB");
    case SsimColumn: return tr("SSIM");
    case FlickerColumn: return tr("Flicker");
    case EvalTotalColumn: return tr("Eval total");
    default:
      if (section >= FirstEvalColumn && section < EvalTotalColumn) {
        return QString::fromLatin1(shapes::to_string(shapes::kDimensions[section - FirstEvalColumn]));
      }
      return {};
  }
}

}  // namespace linvideo::ui
