// The Train panel's controller: a tiny transfer run builds its cache, reports steps, pauses
// (cancel with a checkpoint), resumes to completion, and the finished run's modes reach the
// engine and the layer model.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "core/model/wan_dit.h"
#include "core/pipeline/model_loader.h"
#include "core/pipeline/text_to_video.h"
#include "ui/engine/studio_session.h"
#include "ui/layers/layer_table_model.h"
#include "ui/panels/layers_panel.h"
#include "ui/panels/train_panel.h"
#include "ui/train/r_heat_map.h"
#include "ui/train/train_controller.h"

using namespace linvideo;
using linvideo::ui::StudioSession;
using linvideo::ui::TaskContext;
using linvideo::ui::TrainController;
using State = linvideo::ui::TrainController::State;

class TrainTest : public QObject {
  Q_OBJECT

 private slots:
  void settingsRoundTripThroughJson();
  void tinyRunPausesResumesAndInstallsItsModes();
};

void TrainTest::settingsRoundTripThroughJson() {
  ui::TrainSettings s;
  s.objective = QStringLiteral("mse");
  s.targetLinear = 3;
  s.lambda = 0.25;
  s.runDir = QStringLiteral("/tmp/x");
  QString error = QStringLiteral("unset");
  const ui::TrainSettings back = ui::TrainSettings::fromJson(s.toJson(), &error);
  QCOMPARE(error, QString());
  QCOMPARE(back.objective, s.objective);
  QCOMPARE(back.targetLinear, 3);
  QCOMPARE(back.lambda, 0.25);
  QCOMPARE(back.runDir, s.runDir);
  ui::TrainSettings::fromJson(QStringLiteral("nonsense"), &error, QStringLiteral("run/studio-train.json"));
  QVERIFY(error.startsWith(QStringLiteral("run/studio-train.json ")));
  // A hostile or damaged settings file: the error names the file and the field; nothing is half-read.
  const QList<QPair<const char*, const char*>> cases = {
      {R"({"steps": "many"})", "'steps'"},          {R"({"steps": -4})", "'steps'"},
      {R"({"steps": 1e12})", "'steps'"},            {R"({"steps": 2.5})", "'steps'"},
      {R"({"objective": "sgd"})", "'objective'"},   {R"({"lr": "fast"})", "'lr'"},
      {R"({"lambda": -1})", "'lambda'"},            {R"({"run_dir": 7})", "'run_dir'"},
      {R"({"checkpoint_every": []})", "'checkpoint_every'"}, {R"([1, 2])", "JSON object"}};
  for (const auto& [json, field] : cases) {
    const ui::TrainSettings got = ui::TrainSettings::fromJson(QString::fromUtf8(json), &error, QStringLiteral("x.json"));
    QVERIFY2(error.startsWith(QStringLiteral("x.json")) && error.contains(QLatin1String(field)), qPrintable(error));
    QCOMPARE(got.steps, ui::TrainSettings{}.steps);
  }
  ui::TrainSettings::fromJson(QStringLiteral(R"({"steps": null, "objective": "mse"})"), &error);
  QCOMPARE(error, QString());
}

void TrainTest::tinyRunPausesResumesAndInstallsItsModes() {
  StudioSession session;
  QSignalSpy loaded(&session, &StudioSession::modelLoaded);
  session.loadModel(QString::fromStdString(pipeline::default_model_dir()), QStringLiteral("cpu"));
  QVERIFY(loaded.wait(120000));
  QCOMPARE(session.layers()->linearLayers(), (std::vector<int>{1, 2, 3, 4}));

  QTemporaryDir dir;
  ui::TrainPanel panel(&session, nullptr, /*persist=*/false);
  ui::TrainSettings s = panel.settingsFromForm();
  QVERIFY(!s.promptsFile.isEmpty());  // the shipped prompts are the default
  s.targetLinear = 2;
  s.steps = 4;
  s.maxPrompts = 2;
  s.cacheSteps = 4;
  s.warmupSteps = 5;
  s.checkpointEvery = 1;
  s.runDir = dir.filePath(QStringLiteral("run"));
  panel.setForm(s);
  TrainController* c = panel.controller();

  QSignalSpy cache(c, &TrainController::cacheProgress);
  QSignalSpy steps(c, &TrainController::stepReported);
  QSignalSpy progress(c, &TrainController::progress);
  QVERIFY(c->start(s));
  QVERIFY(c->isActive());
  QVERIFY(!c->start(s));  // one run at a time
  QVERIFY(steps.wait(180000));
  c->pause();
  QTRY_COMPARE_WITH_TIMEOUT(c->state(), State::Paused, 60000);
  QCOMPARE(cache.size(), 2);  // one report per prompt's shard
  QVERIFY(progress.size() >= 1);
  const qint64 pausedAt = TrainController::checkpointStep(s.runDir);
  QVERIFY2(pausedAt >= 1 && pausedAt < s.steps, qPrintable(QString::number(pausedAt)));
  QVERIFY(c->sidecar().isEmpty());
  // Paused: the engine is as before the run (no training modes left behind).
  QCOMPARE(session.layers()->linearLayers(), (std::vector<int>{1, 2, 3, 4}));
  model::AttentionMode third = model::AttentionMode::Mixed;
  QVERIFY(session.runAndWait([&](TaskContext& ctx) {
    third = ctx.session().textToVideo().dit().attention_state(2).mode;
  }));
  QCOMPARE(third, model::AttentionMode::Linear);

  // Resume: the checkpointed steps are replayed into the plots, the rest are trained.
  QSignalSpy finished(c, &TrainController::finished);
  QVERIFY(c->resume());
  QVERIFY(finished.wait(180000));
  QCOMPARE(c->state(), State::Finished);
  QCOMPARE(panel.plottedSteps(), s.steps);
  QVERIFY(QFileInfo::exists(c->sidecar()));
  const auto last = steps.last().at(0).value<ui::TrainStepReport>();
  QCOMPARE(last.step, qint64(s.steps));
  QVERIFY(last.losses.contains(QStringLiteral("total")));
  QCOMPARE(last.r.size(), 8);

  // The finished run's modes: exactly k layers linear, in the engine and in the layer model.
  QTRY_COMPARE_WITH_TIMEOUT(session.layers()->linearLayers().size(), std::size_t(2), 10000);
  std::vector<int> engineLinear;
  int mixed = 0;
  QVERIFY(session.runAndWait([&](TaskContext& ctx) {
    const auto& dit = ctx.session().textToVideo().dit();
    for (int l = 0; l < 8; ++l) {
      if (dit.attention_state(l).mode == model::AttentionMode::Linear) engineLinear.push_back(l + 1);
      if (dit.attention_state(l).mode == model::AttentionMode::Mixed) ++mixed;
    }
  }));
  QCOMPARE(mixed, 0);
  QCOMPARE(engineLinear, session.layers()->linearLayers());

  // The installed sidecar tells its run's path: r after each of the 4 steps, shown as a heat map in
  // the Layers view, and each layer's score before rounding in its r column.
  QTRY_COMPARE_WITH_TIMEOUT(session.layers()->rTrajectory().size(), std::size_t(s.steps), 10000);
  QCOMPARE(session.layers()->rTrajectory().back().size(), std::size_t(8));
  for (int l = 0; l < 8; ++l) {
    QVERIFY(session.layers()->layer(l).trained_r.has_value());
    QCOMPARE(*session.layers()->layer(l).trained_r, last.r[l]);
    QCOMPARE(session.layers()->rTrajectory().back()[static_cast<std::size_t>(l)], last.r[l]);
  }
  ui::LayersPanel layersPanel(&session);
  QCOMPARE(layersPanel.trajectorySteps(), s.steps);
}

QTEST_MAIN(TrainTest)
#include "train_test.moc"
