#include "ui/layers/layer_table_model.h"

#include <QPointer>
#include <algorithm>
#include <cmath>

#include "core/engine/engine.h"
#include "core/method/layer_mask.h"
#include "core/pipeline/text_to_video.h"
#include "ui/engine/studio_session.h"
#include "ui/train/prompts_file.h"

namespace linvideo::ui {
namespace {

QString modeName(engine::LayerMode mode) {
  switch (mode) {
    case engine::LayerMode::Linear: return QStringLiteral("linear");
    case engine::LayerMode::Mixed: return QStringLiteral("mixed");
    case engine::LayerMode::Softmax: break;
  }
  return QStringLiteral("softmax");
}

QVariant scoreText(double value) {
  return std::isfinite(value) ? QVariant(QString::number(value, 'f', 4)) : QVariant(QStringLiteral("–"));
}

std::vector<std::string> toStd(const QStringList& list) {
  std::vector<std::string> out;
  for (const QString& s : list) out.push_back(s.toStdString());
  return out;
}

}  // namespace

LayerTableModel::LayerTableModel(StudioSession* session, QObject* parent)
    : QAbstractTableModel(parent), session_(session), calibrationPrompt_(defaultCalibrationPrompt()) {}

int LayerTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : layerCount();
}

int LayerTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayerTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= layerCount()) return {};
  const std::size_t row = static_cast<std::size_t>(index.row());
  const engine::LayerInfo& s = layers_[row];
  const bool pending = pending_[row] > 0;
  if (role == PendingRole) return pending;
  switch (index.column()) {
    case LayerColumn:
      if (role == Qt::DisplayRole) return QString::number(s.layer);
      if (role == ValueRole) return s.layer;
      break;
    case ModeColumn:
      if (role == Qt::CheckStateRole) {
        return s.mode == engine::LayerMode::Linear  ? Qt::Checked
               : s.mode == engine::LayerMode::Mixed ? Qt::PartiallyChecked
                                            : Qt::Unchecked;
      }
      if (role == Qt::DisplayRole) return modeName(s.mode) + (pending ? QStringLiteral(" …") : QString());
      if (role == ValueRole) return static_cast<int>(s.mode);
      if (role == Qt::ToolTipRole) return tr("Checked: linear attention; unchecked: softmax");
      break;
    case RColumn:
      if (role == Qt::DisplayRole) return QString::number(s.shown_r(), 'f', 3);
      if (role == ValueRole) return s.shown_r();
      if (role == Qt::ToolTipRole) return tr("Learned mix score r: 1 = softmax, 0 = linear");
      break;
    case TransferErrorColumn:
      if (role == Qt::DisplayRole) return scoreText(transferError_[row]);
      if (role == ValueRole) return transferError_[row];
      break;
    case SensitivityColumn:
      if (role == Qt::DisplayRole) return scoreText(sensitivity_[row]);
      if (role == ValueRole) return sensitivity_[row];
      break;
    case MapsColumn:
      if (role == Qt::DisplayRole) return s.has_maps ? tr("yes") : tr("no");
      if (role == ValueRole) return s.has_maps;
      break;
    default: break;
  }
  if (role == Qt::TextAlignmentRole && index.column() != ModeColumn)
    return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
  return {};
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  switch (section) {
    case LayerColumn: return tr("Layer");
    case ModeColumn: return tr("Linear");
    case RColumn: return tr("r");
    case TransferErrorColumn: return tr("Transfer error");
    case SensitivityColumn: return tr("Sensitivity");
    case MapsColumn: return tr("Maps");
    default: return {};
  }
}

Qt::ItemFlags LayerTableModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags f = QAbstractTableModel::flags(index);
  if (index.isValid() && index.column() == ModeColumn) f |= Qt::ItemIsUserCheckable;
  return f;
}

bool LayerTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (!index.isValid() || index.column() != ModeColumn || role != Qt::CheckStateRole) return false;
  const bool linear = value.toInt() == Qt::Checked;
  return setLayerLinear(index.row() + 1, linear) != nullptr;
}

std::vector<int> LayerTableModel::linearLayers() const {
  std::vector<int> out;
  for (const engine::LayerInfo& s : layers_)
    if (s.mode == engine::LayerMode::Linear) out.push_back(s.layer);
  return out;
}

QString LayerTableModel::linearLayerText() const {
  const std::vector<int> linear = linearLayers();
  return linear.empty() ? QStringLiteral("none")
                        : QString::fromStdString(method::format_layer_list(linear));
}

std::vector<LayerScores> LayerTableModel::scores() const {
  std::vector<LayerScores> out;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    LayerScores s;
    s.layer = layers_[i].layer;
    s.r = layers_[i].has_maps ? layers_[i].shown_r() : kUnknownScore;
    s.transfer_error = transferError_[i];
    s.sensitivity = sensitivity_[i];
    out.push_back(s);
  }
  return out;
}

bool LayerTableModel::hasScan() const {
  return std::any_of(transferError_.begin(), transferError_.end(),
                     [](double v) { return std::isfinite(v); });
}

void LayerTableModel::resetFromEngine(const engine::LayerTable& engine) {
  beginResetModel();
  engine_ = engine;
  transferError_.assign(layers_.size(), kUnknownScore);
  sensitivity_.assign(layers_.size(), kUnknownScore);
  takeSidecarScores();
  pending_.assign(layers_.size(), 0);
  endResetModel();
  emit layersChanged();
  emit scoresChanged();
}

void LayerTableModel::updateFromEngine(const engine::LayerTable& engine) {
  if (engine.layers.size() != layers_.size()) {
    resetFromEngine(engine);
    return;
  }
  engine_ = engine;
  const bool scores = takeSidecarScores();
  if (!layers_.empty()) emit dataChanged(index(0, 0), index(layerCount() - 1, ColumnCount - 1));
  emit layersChanged();
  if (scores) emit scoresChanged();
}

bool LayerTableModel::takeSidecarScores() {
  // The installed sidecar's scan scores fill the columns no scan of this session has.
  bool changed = false;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const engine::LayerInfo& l = layers_[i];
    if (l.transfer_error && std::isnan(transferError_[i])) transferError_[i] = *l.transfer_error, changed = true;
    if (l.sensitivity && std::isnan(sensitivity_[i])) sensitivity_[i] = *l.sensitivity, changed = true;
  }
  return changed;
}

void LayerTableModel::mergeScores(const method::ScanResult& result) {
  for (const auto& score : result.layers) {
    const std::size_t row = static_cast<std::size_t>(score.layer - 1);
    if (row >= layers_.size()) continue;
    transferError_[row] = score.transfer_error;
    if (score.sensitivity > 0) sensitivity_[row] = score.sensitivity;
  }
  if (!layers_.empty()) emit dataChanged(index(0, 0), index(layerCount() - 1, ColumnCount - 1));
  emit scoresChanged();
}

void LayerTableModel::track(TaskHandle* handle, const std::vector<int>& pendingRows) {
  if (++busy_ == 1) emit busyChanged(true);
  for (int row : pendingRows) {
    if (row >= 0 && row < layerCount()) ++pending_[static_cast<std::size_t>(row)];
  }
  if (!pendingRows.empty() && !layers_.empty())
    emit dataChanged(index(0, ModeColumn), index(layerCount() - 1, ModeColumn));
  auto done = [this, pendingRows] {
    for (int row : pendingRows) {
      if (row >= 0 && row < layerCount() && pending_[static_cast<std::size_t>(row)] > 0)
        --pending_[static_cast<std::size_t>(row)];
    }
    if (!pendingRows.empty() && !layers_.empty())
      emit dataChanged(index(0, ModeColumn), index(layerCount() - 1, ModeColumn));
    if (--busy_ == 0) emit busyChanged(false);
  };
  connect(handle, &TaskHandle::finished, this, done);
  connect(handle, &TaskHandle::cancelled, this, done);
  connect(handle, &TaskHandle::failed, this, [this, done](const QString& message) {
    done();
    emit errorOccurred(message);
  });
}

TaskHandle* LayerTableModel::submitChange(const QString& name,
                                          std::vector<std::pair<int, bool>> changes) {
  if (layers_.empty()) return nullptr;
  std::vector<int> rows;
  for (const auto& change : changes) rows.push_back(change.first - 1);
  engine::LayerChangeOptions options;
  options.calibration_prompt = calibrationPrompt_.toStdString();
  QPointer<LayerTableModel> self(this);
  TaskHandle* handle = session_->submit(
      {name, [self, changes = std::move(changes), options](TaskContext& ctx) mutable {
         engine::Engine& engine = ctx.session().engine();
         options.sample_steps = std::min(engine.defaults().steps, 10);
         options.progress = [&ctx](double f, const std::string& stage) {
           ctx.progress(f, QStringLiteral("Fitting maps: %1").arg(QString::fromStdString(stage)));
         };
         options.cancel = &ctx.cancelToken();
         const method::ScanResult fitted = engine.set_layer_modes(changes, options);
         const engine::LayerTable now = engine.layers();
         ctx.postToUi(self, [self, now, fitted] {
           if (!self) return;
           self->updateFromEngine(now);
           if (!fitted.layers.empty()) self->mergeScores(fitted);
         });
         if (fitted.cancelled) throw TaskCancelled{};
       }});
  track(handle, rows);
  return handle;
}

TaskHandle* LayerTableModel::setLayerLinear(int layer, bool linear) {
  if (layer < 1 || layer > layerCount()) return nullptr;
  return submitChange(linear ? tr("Layer %1 linear").arg(layer) : tr("Layer %1 softmax").arg(layer),
                      {{layer, linear}});
}

TaskHandle* LayerTableModel::setLinearLayers(const std::vector<int>& linear) {
  std::vector<std::pair<int, bool>> changes;
  for (int l = 1; l <= layerCount(); ++l)
    changes.emplace_back(l, std::find(linear.begin(), linear.end(), l) != linear.end());
  const QString list = linear.empty() ? QStringLiteral("none")
                                      : QString::fromStdString(method::format_layer_list(linear));
  return submitChange(tr("Linear layers %1").arg(list), std::move(changes));
}

TaskHandle* LayerTableModel::lineariseMostReplaceable(int k, RankingBasis* basis) {
  const LayerRanking ranking = rank_layers(scores(), k);
  if (basis) *basis = ranking.basis;
  std::vector<int> layers = ranking.layers;
  std::sort(layers.begin(), layers.end());
  return setLinearLayers(layers);
}

TaskHandle* LayerTableModel::runScan(const ScanSettings& settings) {
  if (layers_.empty()) return nullptr;
  method::ScanOptions o;
  o.prompts = toStd(settings.prompts.isEmpty() ? QStringList{calibrationPrompt_} : settings.prompts);
  o.seeds = settings.seeds;
  o.sample_steps = settings.sampleSteps;
  o.transfer_steps = settings.transferSteps;
  o.measure_sensitivity = settings.measureSensitivity;
  QPointer<LayerTableModel> self(this);
  TaskHandle* handle = session_->submit(
      {tr("Scanning layers"), [self, o](TaskContext& ctx) mutable {
         engine::Engine& engine = ctx.session().engine();
         o.progress = [&ctx](double f, const std::string& stage) {
           ctx.progress(f, QStringLiteral("Scan: %1").arg(QString::fromStdString(stage)));
         };
         o.cancel = &ctx.cancelToken();
         const method::ScanResult result = engine.scan(o);
         const engine::LayerTable now = engine.layers();
         ctx.log(QStringLiteral("Scan: %1 layers in %2 s%3")
                     .arg(result.layers.size())
                     .arg(result.seconds, 0, 'f', 1)
                     .arg(result.cancelled ? QStringLiteral(" (cancelled)") : QString()));
         ctx.postToUi(self, [self, now, result] {
           if (!self) return;
           self->updateFromEngine(now);
           self->mergeScores(result);
         });
         if (result.cancelled) throw TaskCancelled{};
       }});
  track(handle, {});
  return handle;
}

TaskHandle* LayerTableModel::refreshFromEngine() {
  QPointer<LayerTableModel> self(this);
  TaskHandle* handle = session_->submit({tr("Reading layer modes"), [self](TaskContext& ctx) {
                                           const engine::LayerTable now =
                                               ctx.session().engine().layers();
                                           ctx.postToUi(self, [self, now] {
                                             if (self) self->updateFromEngine(now);
                                           });
                                         }});
  track(handle, {});
  return handle;
}

}  // namespace linvideo::ui
