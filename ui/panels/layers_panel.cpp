#include "ui/panels/layers_panel.h"

#include "ui/train/r_heat_map.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <exception>

#include "core/engine/sweep.h"
#include "core/method/attention_cost.h"
#include "core/method/layer_mask.h"
#include "ui/engine/studio_session.h"
#include "core/method/layer_ranking.h"
#include "ui/layers/layer_table_model.h"

namespace linvideo::ui {
namespace {

enum class ChartScore { All, LearnedR, TransferError, Sensitivity };

QString firstLine(const char* what) {
  const QString text = QString::fromUtf8(what);
  return text.section('\n', 0, 0).trimmed();
}

QString flopsText(double flops) {
  if (flops >= 1e12) return QStringLiteral("%1 TFLOP").arg(flops / 1e12, 0, 'f', 2);
  if (flops >= 1e9) return QStringLiteral("%1 GFLOP").arg(flops / 1e9, 0, 'f', 2);
  return QStringLiteral("%1 MFLOP").arg(flops / 1e6, 0, 'f', 1);
}

}  // namespace

LayersPanel::LayersPanel(StudioSession* session, QWidget* parent)
    : QWidget(parent), session_(session), model_(session->layers()) {
  // Chart of the scores, one group of bars per layer.
  chart_ = new QChart;
  chart_->setTitle(tr("Replaceability per layer (click a bar to toggle the layer)"));
  chart_->legend()->setAlignment(Qt::AlignBottom);
  chart_->setAnimationOptions(QChart::NoAnimation);
  chartView_ = new QChartView(chart_, this);
  chartView_->setRenderHint(QPainter::Antialiasing);
  chartView_->setMinimumHeight(260);
  scoreChoice_ = new QComboBox(this);
  scoreChoice_->addItem(tr("All scores"), static_cast<int>(ChartScore::All));
  scoreChoice_->addItem(tr("Learned r"), static_cast<int>(ChartScore::LearnedR));
  scoreChoice_->addItem(tr("Transfer error"), static_cast<int>(ChartScore::TransferError));
  scoreChoice_->addItem(tr("Sensitivity"), static_cast<int>(ChartScore::Sensitivity));
  scoreChoice_->setToolTip(tr("Lower is more replaceable for every score. Darker bars and "
                              "\"(lin)\" mark the layers that are linear now."));

  table_ = new QTableView(this);
  table_->setModel(model_);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setMinimumWidth(500);  // every column visible at 1280x800

  // Linearise the k most replaceable.
  k_ = new QSpinBox(this);
  k_->setRange(0, 0);
  lineariseButton_ = new QPushButton(tr("Linearise the k most replaceable"), this);
  lineariseButton_->setToolTip(QString::fromLatin1(ranking_rule()));
  k_->setToolTip(lineariseButton_->toolTip());
  rankingLabel_ = new QLabel(this);
  auto* rankingRow = new QHBoxLayout;
  rankingRow->addWidget(new QLabel(tr("k"), this));
  rankingRow->addWidget(k_);
  rankingRow->addWidget(lineariseButton_);
  rankingRow->addWidget(rankingLabel_, 1);

  // Live estimate.
  auto makeSpin = [this](int lo, int hi, int step) {
    auto* spin = new QSpinBox(this);
    spin->setRange(lo, hi);
    spin->setSingleStep(step);
    return spin;
  };
  frames_ = makeSpin(1, 1001, 4);
  height_ = makeSpin(16, 4096, 16);
  width_ = makeSpin(16, 4096, 16);
  estimate_ = new QLabel(this);
  estimate_->setWordWrap(true);
  estimate_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* sizeRow = new QHBoxLayout;
  sizeRow->addWidget(new QLabel(tr("Frames"), this));
  sizeRow->addWidget(frames_);
  sizeRow->addWidget(new QLabel(tr("Height"), this));
  sizeRow->addWidget(height_);
  sizeRow->addWidget(new QLabel(tr("Width"), this));
  sizeRow->addWidget(width_);
  sizeRow->addStretch(1);
  auto* estimateBox = new QGroupBox(tr("Predicted cost of one DiT forward"), this);
  auto* estimateLayout = new QVBoxLayout(estimateBox);
  estimateLayout->addLayout(sizeRow);
  estimateLayout->addWidget(estimate_);

  // Masks.
  auto* saveMask = new QPushButton(tr("Save mask…"), this);
  auto* loadMask = new QPushButton(tr("Load mask…"), this);
  saveMask->setToolTip(tr("A JSON layer mask, the format of linvideo generate --linear mask.json"));
  loadMask->setToolTip(saveMask->toolTip());
  error_ = new QLabel(this);
  error_->setWordWrap(true);
  error_->setStyleSheet(QStringLiteral("color: #c0392b"));
  auto* maskRow = new QHBoxLayout;
  maskRow->addWidget(saveMask);
  maskRow->addWidget(loadMask);
  maskRow->addStretch(1);

  // Scan.
  scanPrompt_ = new QLineEdit(model_->calibrationPrompt(), this);
  scanPrompt_->setToolTip(tr("The prompt whose teacher trajectories the scan (and the fitting of "
                             "missing maps) uses"));
  scanSampleSteps_ = makeSpin(1, 100, 1);
  scanSampleSteps_->setValue(6);
  scanTransferSteps_ = makeSpin(1, 5000, 10);
  scanTransferSteps_->setValue(50);
  scanButton_ = new QPushButton(tr("Run scan"), this);
  scanButton_->setToolTip(tr("Attention-transfer error and single-layer sensitivity of every "
                             "layer, in the background; the learned maps are kept"));
  scanCancel_ = new QPushButton(tr("Cancel"), this);
  scanCancel_->setEnabled(false);
  scanProgress_ = new QProgressBar(this);
  scanProgress_->setRange(0, 1000);
  scanProgress_->setValue(0);
  auto* scanBox = new QGroupBox(tr("Scan"), this);
  auto* scanForm = new QFormLayout(scanBox);
  scanForm->addRow(tr("Prompt"), scanPrompt_);
  scanForm->addRow(tr("Sample steps"), scanSampleSteps_);
  scanForm->addRow(tr("Transfer steps"), scanTransferSteps_);
  auto* scanButtons = new QHBoxLayout;
  scanButtons->addWidget(scanButton_);
  scanButtons->addWidget(scanCancel_);
  scanButtons->addWidget(scanProgress_, 1);
  scanForm->addRow(scanButtons);

  // Layout: chart on top; table beside the controls below.
  auto* chartColumn = new QWidget(this);
  auto* chartLayout = new QVBoxLayout(chartColumn);
  chartLayout->setContentsMargins(0, 0, 0, 0);
  auto* chooserRow = new QHBoxLayout;
  chooserRow->addWidget(new QLabel(tr("Show"), this));
  chooserRow->addWidget(scoreChoice_);
  chooserRow->addStretch(1);
  chartLayout->addLayout(chooserRow);
  chartLayout->addWidget(chartView_, 1);
  heatMapLabel_ = new QLabel(tr("r of every layer (rows) over the steps (columns) of the run that made "
                                "the installed sidecar: blue softmax, orange linear"), this);
  heatMapLabel_->setWordWrap(true);
  heatMap_ = new RHeatMap(this);
  chartLayout->addWidget(heatMapLabel_);
  chartLayout->addWidget(heatMap_);
  sweepChart_ = new QChart;
  sweepChart_->setAnimationOptions(QChart::NoAnimation);
  sweepChart_->legend()->setAlignment(Qt::AlignRight);
  sweepView_ = new QChartView(sweepChart_, this);
  sweepView_->setRenderHint(QPainter::Antialiasing);
  sweepView_->setMinimumHeight(220);
  sweepLabel_ = new QLabel(this);
  sweepLabel_->setWordWrap(true);
  sweepLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  chartLayout->addWidget(sweepView_);
  chartLayout->addWidget(sweepLabel_);

  auto* controls = new QWidget(this);
  auto* controlsLayout = new QVBoxLayout(controls);
  controlsLayout->setContentsMargins(0, 0, 0, 0);
  controlsLayout->addLayout(rankingRow);
  controlsLayout->addWidget(estimateBox);
  controlsLayout->addLayout(maskRow);
  controlsLayout->addWidget(scanBox);
  controlsLayout->addWidget(error_);
  controlsLayout->addStretch(1);

  auto* bottom = new QSplitter(Qt::Horizontal, this);
  bottom->addWidget(table_);
  bottom->addWidget(controls);
  bottom->setStretchFactor(1, 1);
  auto* vertical = new QSplitter(Qt::Vertical, this);
  vertical->addWidget(chartColumn);
  vertical->addWidget(bottom);
  vertical->setStretchFactor(0, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(vertical);

  connect(scoreChoice_, &QComboBox::currentIndexChanged, this, &LayersPanel::rebuildChart);
  connect(model_, &LayerTableModel::layersChanged, this, [this] {
    rebuildChart();
    updateEstimate();
    rebuildHeatMap();
  });
  connect(model_, &LayerTableModel::scoresChanged, this, &LayersPanel::rebuildChart);
  connect(model_, &QAbstractItemModel::modelReset, this, [this] {
    k_->setRange(0, model_->layerCount());
    k_->setValue(static_cast<int>(model_->linearLayers().size()));
    resetSizeFromModel();
  });
  connect(model_, &LayerTableModel::errorOccurred, this, &LayersPanel::showError);
  connect(model_, &LayerTableModel::busyChanged, this,
          [this](bool busy) { lineariseButton_->setEnabled(!busy); });
  connect(lineariseButton_, &QPushButton::clicked, this, &LayersPanel::lineariseMostReplaceable);
  for (QSpinBox* spin : {frames_, height_, width_})
    connect(spin, &QSpinBox::valueChanged, this, &LayersPanel::updateEstimate);
  connect(saveMask, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save layer mask"), QString(),
                                                      tr("Layer masks (*.json)"));
    if (!path.isEmpty()) this->saveMask(path.endsWith(QLatin1String(".json")) ? path : path + ".json");
  });
  connect(loadMask, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Load layer mask"), QString(),
                                                      tr("Layer masks (*.json)"));
    if (!path.isEmpty()) this->loadMask(path);
  });
  connect(scanPrompt_, &QLineEdit::editingFinished, this, [this] {
    if (!scanPrompt_->text().trimmed().isEmpty())
      model_->setCalibrationPrompt(scanPrompt_->text().trimmed());
  });
  connect(scanButton_, &QPushButton::clicked, this, &LayersPanel::runScan);
  connect(scanCancel_, &QPushButton::clicked, this, [this] {
    if (scanTask_) session_->cancel(scanTask_->id());
  });
  connect(session_, &StudioSession::modelLoaded, this, [this] {
    showError({});
    loadSweep();
  });

  loadSweep();
  resetSizeFromModel();
  rebuildChart();
  rebuildHeatMap();
  updateEstimate();
}

void LayersPanel::resetSizeFromModel() {
  const ModelInfo& info = session_->modelInfo();
  const QSignalBlocker a(frames_), b(height_), c(width_);
  frames_->setValue(static_cast<int>(info.defaults.frames));
  height_->setValue(static_cast<int>(info.defaults.height));
  width_->setValue(static_cast<int>(info.defaults.width));
  updateEstimate();
}

void LayersPanel::rebuildHeatMap() {
  heatMap_->clear();
  for (const std::vector<double>& step : model_->rTrajectory())
    heatMap_->addStep(QVector<double>(step.begin(), step.end()));
  const bool shown = heatMap_->steps() > 0;
  heatMap_->setVisible(shown);
  heatMapLabel_->setVisible(shown);
}

int LayersPanel::trajectorySteps() const { return heatMap_->steps(); }

int LayersPanel::sweepPoints() const { return sweepPoints_; }
QString LayersPanel::sweepText() const { return sweepLabel_->text(); }

void LayersPanel::loadSweep() {
  sweepChart_->removeAllSeries();
  for (QAbstractAxis* axis : sweepChart_->axes()) {
    sweepChart_->removeAxis(axis);
    delete axis;
  }
  sweepPoints_ = 0;
  const QString folder = session_->modelInfo().folder;
  const QString path = folder.isEmpty() ? QString() : folder + QStringLiteral("/sweep.json");
  if (path.isEmpty() || !QFileInfo::exists(path)) {
    sweepLabel_->setText(tr("No k-sweep for this model: `linvideo sweep --json %1` makes one.")
                             .arg(folder.isEmpty() ? tr("FOLDER/sweep.json") : path));
    sweepView_->hide();
    return;
  }
  engine::SweepResult sweep;
  try {
    sweep = engine::read_sweep_json(path.toStdString());
  } catch (const std::exception& e) {
    sweepLabel_->setText(tr("The k-sweep could not be read: %1").arg(firstLine(e.what())));
    sweepView_->hide();
    return;
  }
  const bool byEval = !sweep.points.empty() && std::all_of(sweep.points.begin(), sweep.points.end(),
                                                           [](const engine::SweepPoint& p) { return p.eval.has_value(); });
  auto quality = [byEval](const engine::SweepPoint& p) { return byEval ? *p.eval : p.psnr_vs_teacher; };
  struct Group {
    const char* selection;
    QString name;
    QColor colour;
    qreal size;
  };
  const Group groups[] = {{"ranked", tr("ranked (%1)").arg(QString::fromStdString(sweep.ranking_basis)), QColor(0x2e86c1), 10},
                          {"spread", tr("spread evenly"), QColor(0x95a5a6), 10},
                          {"teacher", tr("teacher"), QColor(0x27ae60), 12},
                          {"current", tr("this model's layers"), QColor(0xe67e22), 14}};
  auto* front = new QLineSeries;
  front->setName(tr("Pareto front"));
  std::vector<const engine::SweepPoint*> onFront;
  double maxSpeedup = 1, minQ = 1e9, maxQ = -1e9;
  for (const Group& g : groups) {
    auto* series = new QScatterSeries;
    series->setName(g.name);
    series->setColor(g.colour);
    series->setMarkerSize(g.size);
    for (const engine::SweepPoint& p : sweep.points) {
      // A ranked or teacher point with the model's own layers is drawn as "this model's layers".
      const bool current = p.is_current;
      if (current ? std::string(g.selection) != "current" : p.selection != g.selection) continue;
      series->append(p.predicted_speedup, quality(p));
      maxSpeedup = std::max(maxSpeedup, p.predicted_speedup);
      minQ = std::min(minQ, quality(p)), maxQ = std::max(maxQ, quality(p));
      ++sweepPoints_;
    }
    if (series->count() == 0) {
      delete series;
      continue;
    }
    sweepChart_->addSeries(series);
  }
  for (const engine::SweepPoint& p : sweep.points)
    if (p.pareto) onFront.push_back(&p);
  std::sort(onFront.begin(), onFront.end(),
            [](const engine::SweepPoint* a, const engine::SweepPoint* b) { return a->predicted_speedup < b->predicted_speedup; });
  for (const engine::SweepPoint* p : onFront) front->append(p->predicted_speedup, quality(*p));
  front->setColor(QColor(0xc0392b));
  sweepChart_->addSeries(front);
  auto* x = new QLogValueAxis;
  x->setBase(2);
  x->setLabelFormat(QStringLiteral("%.2gx"));
  x->setTitleText(tr("predicted speed-up of one forward"));
  x->setRange(0.9, maxSpeedup * 1.1);
  auto* y = new QValueAxis;
  y->setTitleText(byEval ? tr("eval total") : tr("PSNR vs teacher (dB)"));
  y->setRange(std::floor(minQ - 2), std::ceil(maxQ + 2));
  sweepChart_->addAxis(x, Qt::AlignBottom);
  sweepChart_->addAxis(y, Qt::AlignLeft);
  for (QAbstractSeries* series : sweepChart_->series()) {
    series->attachAxis(x);
    series->attachAxis(y);
  }
  sweepChart_->setTitle(tr("k-sweep: quality against speed-up"));
  sweepLabel_->setText(tr("%1 points from %2; ranked by %3. Red: the Pareto front (no other point is both better and "
                          "faster).")
                           .arg(sweepPoints_)
                           .arg(path)
                           .arg(QString::fromStdString(sweep.ranking_basis)));
  sweepView_->show();
}

void LayersPanel::rebuildChart() {
  chart_->removeAllSeries();
  for (QAbstractAxis* axis : chart_->axes()) {
    chart_->removeAxis(axis);
    delete axis;
  }
  const int n = model_->layerCount();
  if (n == 0) {
    chart_->setTitle(tr("No model loaded"));
    return;
  }
  chart_->setTitle(tr("Replaceability per layer: linear now %1 (click a bar to toggle)")
                       .arg(model_->linearLayerText()));
  const auto choice = static_cast<ChartScore>(scoreChoice_->currentData().toInt());
  const std::vector<LayerScores> scores = model_->scores();
  struct SetSpec {
    QString name;
    double LayerScores::*field;
    QColor color;
    ChartScore only;
  };
  const SetSpec specs[] = {
      {tr("learned r"), &LayerScores::r, QColor(0x4a, 0x90, 0xd9), ChartScore::LearnedR},
      {tr("transfer error"), &LayerScores::transfer_error, QColor(0xe6, 0x7e, 0x22),
       ChartScore::TransferError},
      {tr("sensitivity"), &LayerScores::sensitivity, QColor(0x27, 0xae, 0x60),
       ChartScore::Sensitivity},
  };
  auto* series = new QBarSeries;
  double maxValue = 0;
  for (const SetSpec& spec : specs) {
    if (choice != ChartScore::All && choice != spec.only) continue;
    auto* set = new QBarSet(spec.name);
    set->setColor(spec.color);
    set->setSelectedColor(spec.color.darker(190));
    bool any = false;
    for (const LayerScores& s : scores) {
      const double v = s.*(spec.field);
      any = any || std::isfinite(v);
      *set << (std::isfinite(v) ? v : 0.0);
      if (std::isfinite(v)) maxValue = std::max(maxValue, v);
    }
    if (!any) set->setLabel(spec.name + tr(" (not measured: run a scan)"));
    for (int i = 0; i < n; ++i)
      if (model_->layer(i).mode == engine::LayerMode::Linear) set->selectBar(i);
    series->append(set);
  }
  connect(series, &QBarSeries::clicked, this, [this](int index, QBarSet*) { toggleLayer(index + 1); });
  chart_->addSeries(series);
  QStringList categories;
  for (int i = 0; i < n; ++i) {
    const engine::LayerInfo& s = model_->layer(i);
    categories << (s.mode == engine::LayerMode::Linear  ? tr("%1 (lin)").arg(s.layer)
                   : s.mode == engine::LayerMode::Mixed ? tr("%1 (mix)").arg(s.layer)
                                                : QString::number(s.layer));
  }
  auto* x = new QBarCategoryAxis;
  x->append(categories);
  x->setTitleText(tr("layer"));
  auto* y = new QValueAxis;
  y->setRange(0, std::max(1.0, maxValue * 1.1));
  y->setTitleText(tr("score (lower = more replaceable)"));
  chart_->addAxis(x, Qt::AlignBottom);
  chart_->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
}

void LayersPanel::toggleLayer(int layer) {
  if (layer < 1 || layer > model_->layerCount()) return;
  const bool linear = model_->layer(layer - 1).mode != engine::LayerMode::Linear;
  model_->setLayerLinear(layer, linear);
}

void LayersPanel::updateEstimate() {
  if (model_->layerCount() == 0) {
    estimate_->setText(tr("No model loaded."));
    return;
  }
  const engine::LayerTable& engine = model_->engineLayers();
  method::VideoSize size;
  size.frames = frames_->value();
  size.height = height_->value();
  size.width = width_->value();
  try {
    const auto cost = method::estimate_forward_cost(
        engine.config, size, model_->linearLayers(), -1, engine.vae_temporal_stride,
        engine.vae_spatial_stride);
    estimate_->setText(
        tr("%1 tokens · softmax attention %2 of the all-softmax forward (%3 per layer) · "
           "with linear layers %4: %5 vs %6 → predicted speed-up %7×")
            .arg(cost.tokens)
            .arg(QStringLiteral("%1%").arg(cost.attention_share * 100, 0, 'f', 1))
            .arg(flopsText(cost.softmax_attention_flops))
            .arg(model_->linearLayerText())
            .arg(flopsText(cost.masked_flops))
            .arg(flopsText(cost.all_softmax_flops))
            .arg(cost.predicted_speedup, 0, 'f', 2));
  } catch (const std::exception& e) {
    estimate_->setText(firstLine(e.what()));
  }
}

QString LayersPanel::estimateText() const { return estimate_->text(); }

void LayersPanel::lineariseMostReplaceable() {
  RankingBasis basis = RankingBasis::LayerOrder;
  if (!model_->lineariseMostReplaceable(k_->value(), &basis)) {
    showError(tr("No model loaded."));
    return;
  }
  const LayerRanking ranking = rank_layers(model_->scores(), k_->value());
  std::vector<int> layers = ranking.layers;
  std::sort(layers.begin(), layers.end());
  rankingLabel_->setText(tr("by %1: %2")
                             .arg(QString::fromLatin1(ranking_basis_name(basis)),
                                  layers.empty() ? tr("none")
                                                 : QString::fromStdString(
                                                       method::format_layer_list(layers))));
}

bool LayersPanel::saveMask(const QString& path) {
  if (model_->layerCount() == 0) {
    showError(tr("No model loaded: nothing to save."));
    return false;
  }
  try {
    method::LayerMask mask;
    mask.num_layers = model_->layerCount();
    mask.linear = model_->linearLayers();
    method::write_layer_mask(path.toStdString(), mask);
    showError({});
    return true;
  } catch (const std::exception& e) {
    showError(firstLine(e.what()));
    return false;
  }
}

bool LayersPanel::loadMask(const QString& path) {
  if (model_->layerCount() == 0) {
    showError(tr("No model loaded: load a model before a mask."));
    return false;
  }
  try {
    // A path that does not end in .json would be taken as a layer list; masks are files here.
    if (!path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
      throw std::runtime_error(path.toStdString() + ": a layer mask file ends in .json");
    const method::LayerMask mask =
        method::read_layer_mask(path.toStdString(), model_->layerCount(), "mask");
    model_->setLinearLayers(mask.linear);
    showError({});
    return true;
  } catch (const std::exception& e) {
    showError(firstLine(e.what()));
    return false;
  }
}

QString LayersPanel::errorText() const { return error_->text(); }

void LayersPanel::showError(const QString& message) { error_->setText(message); }

TaskHandle* LayersPanel::runScan() {
  if (scanTask_) return nullptr;
  ScanSettings settings;
  const QString prompt = scanPrompt_->text().trimmed();
  if (!prompt.isEmpty()) settings.prompts << prompt;
  settings.sampleSteps = scanSampleSteps_->value();
  settings.transferSteps = scanTransferSteps_->value();
  TaskHandle* task = model_->runScan(settings);
  if (!task) {
    showError(tr("No model loaded."));
    return nullptr;
  }
  scanTask_ = task;
  scanButton_->setEnabled(false);
  scanCancel_->setEnabled(true);
  scanProgress_->setValue(0);
  scanProgress_->setFormat(tr("queued"));
  connect(task, &TaskHandle::progress, this, [this](double f, const QString& message, double) {
    if (f >= 0) scanProgress_->setValue(static_cast<int>(f * 1000));
    scanProgress_->setFormat(QStringLiteral("%p% ") + message);
  });
  auto ended = [this](const QString& text) {
    scanButton_->setEnabled(true);
    scanCancel_->setEnabled(false);
    scanProgress_->setFormat(text);
  };
  connect(task, &TaskHandle::finished, this, [this, ended] {
    scanProgress_->setValue(1000);
    ended(tr("scan done"));
  });
  connect(task, &TaskHandle::cancelled, this, [ended] { ended(QObject::tr("scan cancelled")); });
  connect(task, &TaskHandle::failed, this, [this, ended](const QString& message) {
    ended(tr("scan failed"));
    showError(message);
  });
  return task;
}

}  // namespace linvideo::ui
