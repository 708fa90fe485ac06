// The Layers view: the LayerTableModel mirrors the engine (the shipped sidecar's modes after
// load), toggling a row changes the engine's mode and back, missing maps are fitted first, the
// "linearise k" ranking, mask save/load through the panel, the scan in the background.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/model/wan_dit.h"
#include "core/pipeline/model_loader.h"
#include "core/pipeline/text_to_video.h"
#include "ui/engine/studio_session.h"
#include "core/method/layer_ranking.h"
#include "core/method/sidecar.h"
#include "ui/layers/layer_table_model.h"
#include "ui/panels/layers_panel.h"

using namespace linvideo;
using linvideo::ui::LayerTableModel;
using linvideo::ui::StudioSession;
using linvideo::ui::TaskContext;

class LayersTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void rankingPicksTheExpectedLayers();
  void rowsHeadersAndTheSidecarModes();
  void togglingARowChangesTheEngineModeAndBack();
  void aLayerWithoutMapsGetsThemFittedWithProgress();
  void maskSaveLoadRoundTripAndBadFiles();
  void costEstimateAndScanInTheBackground();
  void theShippedSweepIsDrawnFromTheModelFolder();

 private:
  model::AttentionMode engineMode(int layer);
  std::unique_ptr<StudioSession> session_;
  LayerTableModel* model_ = nullptr;
};

void LayersTest::initTestCase() {
  session_ = std::make_unique<StudioSession>();
  QSignalSpy loaded(session_.get(), &StudioSession::modelLoaded);
  session_->loadModel(QString::fromStdString(pipeline::default_model_dir()), QStringLiteral("cpu"));
  QVERIFY(loaded.wait(120000));
  model_ = session_->layers();
}

model::AttentionMode LayersTest::engineMode(int layer) {
  model::AttentionMode mode = model::AttentionMode::Mixed;
  QString error;
  const bool ok = session_->runAndWait(
      [&](TaskContext& ctx) {
        mode = ctx.session().textToVideo().dit().attention_state(layer - 1).mode;
      },
      &error);
  if (!ok) qWarning("%s", qPrintable(error));
  return mode;
}

void LayersTest::rankingPicksTheExpectedLayers() {
  using ui::LayerScores;
  using ui::RankingBasis;
  const double nan = ui::kUnknownScore;
  std::vector<LayerScores> s = {
      {1, 0.9, 0.30, nan}, {2, 0.1, 0.10, nan}, {3, 0.5, 0.20, nan}, {4, 0.2, 0.40, nan}};
  auto r = ui::rank_layers(s, 2);  // no sensitivity yet: transfer error
  QCOMPARE(r.basis, RankingBasis::TransferError);
  QCOMPARE(r.layers, (std::vector<int>{2, 3}));
  for (auto& l : s) l.sensitivity = 1.0 / l.layer;  // scanned: sensitivity wins
  r = ui::rank_layers(s, 3);
  QCOMPARE(r.basis, RankingBasis::Sensitivity);
  QCOMPARE(r.layers, (std::vector<int>{4, 3, 2}));
  for (auto& l : s) l.sensitivity = l.transfer_error = nan;  // only r
  r = ui::rank_layers(s, 2);
  QCOMPARE(r.basis, RankingBasis::LearnedR);
  QCOMPARE(r.layers, (std::vector<int>{2, 4}));
  s[0].r = s[1].r = s[2].r = s[3].r = 0.5;  // ties by layer number
  QCOMPARE(ui::rank_layers(s, 10).layers, (std::vector<int>{1, 2, 3, 4}));
  QCOMPARE(ui::rank_layers(s, -1).layers.size(), std::size_t{0});
  s[2].transfer_error = 0.1;  // a partial score is not a basis
  QCOMPARE(ui::rank_layers(s, 1).basis, RankingBasis::LearnedR);
}

void LayersTest::rowsHeadersAndTheSidecarModes() {
  QCOMPARE(model_->rowCount(), 8);
  QCOMPARE(model_->columnCount(), int(LayerTableModel::ColumnCount));
  QCOMPARE(model_->headerData(LayerTableModel::ModeColumn, Qt::Horizontal, Qt::DisplayRole).toString(),
           QStringLiteral("Linear"));
  QCOMPARE(model_->headerData(LayerTableModel::SensitivityColumn, Qt::Horizontal, Qt::DisplayRole).toString(),
           QStringLiteral("Sensitivity"));
  QVERIFY(model_->flags(model_->index(0, LayerTableModel::ModeColumn)) & Qt::ItemIsUserCheckable);
  QVERIFY(!(model_->flags(model_->index(0, LayerTableModel::RColumn)) & Qt::ItemIsUserCheckable));
  const method::SidecarScores shipped = method::read_sidecar_scores(pipeline::default_model_dir() + "/shapes.linvideo.safetensors");
  for (int row = 0; row < 8; ++row) {
    const QModelIndex mode = model_->index(row, LayerTableModel::ModeColumn);
    const bool linear = row < 4;  // the shipped sidecar: layers 1-4 linear
    QCOMPARE(mode.data(Qt::CheckStateRole).toInt(), int(linear ? Qt::Checked : Qt::Unchecked));
    QCOMPARE(mode.data(Qt::DisplayRole).toString(), linear ? QStringLiteral("linear") : QStringLiteral("softmax"));
    QCOMPARE(model_->index(row, LayerTableModel::LayerColumn).data(LayerTableModel::ValueRole).toInt(), row + 1);
    QCOMPARE(model_->index(row, LayerTableModel::RColumn).data(LayerTableModel::ValueRole).toDouble(),
             linear ? 0.0 : 1.0);
    QVERIFY(model_->index(row, LayerTableModel::MapsColumn).data(LayerTableModel::ValueRole).toBool());
    // The shipped sidecar's scan scores (issue 20): the view opens with them, no scan needed.
    const std::size_t i = static_cast<std::size_t>(row);
    QVERIFY(shipped.transfer_error.at(i).has_value() && shipped.sensitivity.at(i).has_value());
    QCOMPARE(model_->index(row, LayerTableModel::TransferErrorColumn).data(LayerTableModel::ValueRole).toDouble(),
             *shipped.transfer_error[i]);
    QCOMPARE(model_->index(row, LayerTableModel::SensitivityColumn).data(LayerTableModel::ValueRole).toDouble(),
             *shipped.sensitivity[i]);
    QVERIFY(model_->index(row, LayerTableModel::SensitivityColumn).data().toString() != QStringLiteral("–"));
  }
  QCOMPARE(model_->linearLayers(), (std::vector<int>{1, 2, 3, 4}));
  QCOMPARE(model_->linearLayerText(), QStringLiteral("1-4"));
  QCOMPARE(engineMode(1), model::AttentionMode::Linear);
  QCOMPARE(engineMode(5), model::AttentionMode::Softmax);
}

void LayersTest::togglingARowChangesTheEngineModeAndBack() {
  QSignalSpy changed(model_, &LayerTableModel::layersChanged);
  const QModelIndex six = model_->index(5, LayerTableModel::ModeColumn);
  QVERIFY(model_->setData(six, Qt::Checked, Qt::CheckStateRole));
  QTRY_COMPARE_WITH_TIMEOUT(six.data(Qt::CheckStateRole).toInt(), int(Qt::Checked), 30000);
  QVERIFY(changed.size() >= 1);
  QCOMPARE(engineMode(6), model::AttentionMode::Linear);
  QCOMPARE(model_->linearLayers(), (std::vector<int>{1, 2, 3, 4, 6}));

  const QModelIndex one = model_->index(0, LayerTableModel::ModeColumn);
  QVERIFY(model_->setData(six, Qt::Unchecked, Qt::CheckStateRole));
  QVERIFY(model_->setData(one, Qt::Unchecked, Qt::CheckStateRole));
  QTRY_COMPARE_WITH_TIMEOUT(one.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked), 30000);
  QCOMPARE(six.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
  QCOMPARE(engineMode(6), model::AttentionMode::Softmax);
  QCOMPARE(engineMode(1), model::AttentionMode::Softmax);
  QVERIFY(model_->setData(one, Qt::Checked, Qt::CheckStateRole));
  QTRY_COMPARE_WITH_TIMEOUT(model_->linearLayers(), (std::vector<int>{1, 2, 3, 4}), 30000);
  QCOMPARE(engineMode(1), model::AttentionMode::Linear);
  QVERIFY(!model_->setData(model_->index(0, LayerTableModel::RColumn), 0.5, Qt::EditRole));
}

void LayersTest::aLayerWithoutMapsGetsThemFittedWithProgress() {
  QVERIFY(session_->runAndWait([](TaskContext& ctx) {
    auto& state = ctx.session().textToVideo().dit().attention_state(7);
    state.w_q = at::Tensor();
    state.w_k = at::Tensor();
  }));
  model_->refreshFromEngine();
  const QModelIndex maps = model_->index(7, LayerTableModel::MapsColumn);
  QTRY_VERIFY_WITH_TIMEOUT(!maps.data(LayerTableModel::ValueRole).toBool(), 10000);
  QSignalSpy progress(session_.get(), &StudioSession::taskProgress);
  const double shippedError = model_->index(7, LayerTableModel::TransferErrorColumn).data(LayerTableModel::ValueRole).toDouble();
  QVERIFY(model_->setLayerLinear(8, true));
  QTRY_COMPARE_WITH_TIMEOUT(model_->layer(7).mode, engine::LayerMode::Linear, 120000);
  QVERIFY(maps.data(LayerTableModel::ValueRole).toBool());
  QVERIFY(progress.size() >= 2);
  const double fitted = model_->index(7, LayerTableModel::TransferErrorColumn).data(LayerTableModel::ValueRole).toDouble();
  QVERIFY(std::isfinite(fitted));
  QVERIFY(fitted != shippedError);  // the new fit's error replaces the sidecar's
  QCOMPARE(engineMode(8), model::AttentionMode::Linear);
  QVERIFY(model_->setLayerLinear(8, false));
  QTRY_COMPARE_WITH_TIMEOUT(model_->layer(7).mode, engine::LayerMode::Softmax, 30000);
}

void LayersTest::maskSaveLoadRoundTripAndBadFiles() {
  QTemporaryDir dir;
  ui::LayersPanel panel(session_.get());
  const QString mask = dir.filePath(QStringLiteral("mask.json"));
  QVERIFY2(panel.saveMask(mask), qPrintable(panel.errorText()));
  std::ifstream in(mask.toStdString());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  QVERIFY2(text.find("linvideo-layer-mask") != std::string::npos, text.c_str());

  model_->setLinearLayers({2, 7});
  QTRY_COMPARE_WITH_TIMEOUT(model_->linearLayers(), (std::vector<int>{2, 7}), 30000);
  QCOMPARE(engineMode(1), model::AttentionMode::Softmax);
  QVERIFY2(panel.loadMask(mask), qPrintable(panel.errorText()));
  QTRY_COMPARE_WITH_TIMEOUT(model_->linearLayers(), (std::vector<int>{1, 2, 3, 4}), 30000);
  QCOMPARE(engineMode(1), model::AttentionMode::Linear);
  QCOMPARE(engineMode(7), model::AttentionMode::Softmax);
  QVERIFY(panel.errorText().isEmpty());

  const QString broken = dir.filePath(QStringLiteral("broken.json"));
  std::ofstream(broken.toStdString()) << "{ not json";
  QVERIFY(!panel.loadMask(broken));
  QVERIFY2(panel.errorText().contains(QStringLiteral("broken.json")), qPrintable(panel.errorText()));
  const QString tooBig = dir.filePath(QStringLiteral("big.json"));
  std::ofstream(tooBig.toStdString()) << R"({"format": "linvideo-layer-mask", "num_layers": 30, "linear": [12]})";
  QVERIFY(!panel.loadMask(tooBig));
  QVERIFY(!panel.errorText().isEmpty());
  QVERIFY(!panel.loadMask(dir.filePath(QStringLiteral("missing.json"))));
  QVERIFY(!panel.saveMask(dir.filePath(QStringLiteral("no/such/folder/m.json"))));
  QVERIFY(!panel.errorText().isEmpty());
  QCOMPARE(model_->linearLayers(), (std::vector<int>{1, 2, 3, 4}));  // nothing changed
}

void LayersTest::costEstimateAndScanInTheBackground() {
  ui::LayersPanel panel(session_.get());
  QCOMPARE(panel.trajectorySteps(), 0);  // the shipped sidecar predates the r trajectory
  QVERIFY2(panel.estimateText().contains(QStringLiteral("speed-up")), qPrintable(panel.estimateText()));
  QVERIFY2(panel.estimateText().contains(QStringLiteral("1-4")), qPrintable(panel.estimateText()));

  // Cancelled at once: no new scores, nothing changes.
  std::vector<double> before;
  for (int row = 0; row < 8; ++row)
    before.push_back(model_->index(row, LayerTableModel::SensitivityColumn).data(LayerTableModel::ValueRole).toDouble());
  QSignalSpy scores(model_, &LayerTableModel::scoresChanged);
  ui::ScanSettings quick;
  quick.sampleSteps = 2;
  quick.transferSteps = 10;
  ui::TaskHandle* cancelled = model_->runScan(quick);
  QVERIFY(cancelled);
  QSignalSpy wasCancelled(cancelled, &ui::TaskHandle::cancelled);
  session_->cancel(cancelled->id());
  QVERIFY(wasCancelled.wait(60000));
  for (int row = 0; row < 8; ++row)
    QCOMPARE(model_->index(row, LayerTableModel::SensitivityColumn).data(LayerTableModel::ValueRole).toDouble(),
             before[static_cast<std::size_t>(row)]);

  ui::TaskHandle* scan = model_->runScan(quick);
  QSignalSpy progress(scan, &ui::TaskHandle::progress);
  QSignalSpy done(scan, &ui::TaskHandle::finished);
  QVERIFY(done.wait(120000));
  QVERIFY(progress.size() > 3);
  QTRY_VERIFY(model_->hasScan());
  for (int row = 0; row < 8; ++row) {
    QVERIFY(std::isfinite(model_->index(row, LayerTableModel::TransferErrorColumn).data(LayerTableModel::ValueRole).toDouble()));
    QVERIFY(model_->index(row, LayerTableModel::SensitivityColumn).data(LayerTableModel::ValueRole).toDouble() > 0);
  }
  // A measurement: the modes and the shipped maps and r stay.
  QCOMPARE(model_->linearLayers(), (std::vector<int>{1, 2, 3, 4}));
  QCOMPARE(model_->layer(0).r, 0.0);
  QCOMPARE(engineMode(2), model::AttentionMode::Linear);

  // With sensitivities, "linearise 2" takes the two least sensitive layers.
  const auto expected = ui::rank_layers(model_->scores(), 2);
  QCOMPARE(expected.basis, ui::RankingBasis::Sensitivity);
  ui::RankingBasis basis{};
  QVERIFY(model_->lineariseMostReplaceable(2, &basis));
  std::vector<int> sorted = expected.layers;
  std::sort(sorted.begin(), sorted.end());
  QTRY_COMPARE_WITH_TIMEOUT(model_->linearLayers(), sorted, 60000);
}


// The embedded model ships its k-sweep (issue 20): the panel draws every point of it without
// running anything.
void LayersTest::theShippedSweepIsDrawnFromTheModelFolder() {
  const std::string path = pipeline::default_model_dir() + "/sweep.json";
  std::ifstream in(path);
  QVERIFY2(in.good(), path.c_str());
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str());
  const int points = static_cast<int>(j.at("points").size());
  QVERIFY(points > 2);
  ui::LayersPanel panel(session_.get());
  QCOMPARE(panel.sweepPoints(), points);
  QVERIFY2(panel.sweepText().contains(QStringLiteral("ranked by sensitivity")), qPrintable(panel.sweepText()));
}

QTEST_MAIN(LayersTest)
#include "layers_test.moc"
