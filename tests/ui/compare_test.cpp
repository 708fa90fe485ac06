// Compare: teacher vs the shipped converted model with few steps fills the metrics table (the
// reference row: speed-up 1, no PSNR; the converted row: finite PSNR > 10 dB, SSIM in (0, 1], the
// eval dimensions), leaves the engine's layer modes as they were, and exports one side-by-side
// MP4 as wide as the columns together. A distilled student is sampled on exactly its schedule
// (one DiT pass per step, no CFG) with its own weights and modes, and the model is restored bit for
// bit. The metrics model's arithmetic is checked without a model.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

#include "core/media/video_io.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/clip_tags.h"
#include "core/pipeline/model_loader.h"
#include "ui/compare/compare_controller.h"
#include "ui/engine/studio_session.h"
#include "ui/panels/compare_panel.h"
#include "tests/ui/student_fixture.h"

using namespace linvideo;
using namespace linvideo::ui;

class CompareTest : public QObject {
  Q_OBJECT

 private slots:
  void metricsModelComputesSpeedupAgainstTheFirstRow();
  void initTestCase();
  void teacherVersusConvertedMetricsAndExport();
  void studentIsSampledOnItsScheduleWithoutCfg();

 private:
  std::vector<std::string> engineModes();
  StudioSession session_;
};

void CompareTest::metricsModelComputesSpeedupAgainstTheFirstRow() {
  CompareMetricsModel model;
  VariantMetrics reference;
  reference.label = QStringLiteral("ref");
  reference.ditSeconds = 6;
  VariantMetrics fast;
  fast.label = QStringLiteral("fast");
  fast.ditSeconds = 2;
  fast.psnr = 30.5;
  fast.steps = 4;
  fast.ditForwards = 4;
  model.addRow(reference);
  model.addRow(fast);
  QCOMPARE(model.rowCount(), 2);
  QCOMPARE(model.columnCount(), int(CompareMetricsModel::ColumnCount));
  QCOMPARE(*model.speedup(0), 1.0);
  QCOMPARE(*model.speedup(1), 3.0);
  QVERIFY(!model.data(model.index(0, CompareMetricsModel::PsnrColumn), Qt::UserRole).isValid());
  QCOMPARE(model.data(model.index(1, CompareMetricsModel::PsnrColumn), Qt::UserRole).toDouble(), 30.5);
  QCOMPARE(model.data(model.index(1, CompareMetricsModel::SpeedupColumn)).toString(), QStringLiteral("3.00×"));
  QCOMPARE(model.data(model.index(1, CompareMetricsModel::PassesColumn)).toString(), QStringLiteral("4 (4 × 1)"));
  QVERIFY(!model.value(0, CompareMetricsModel::PassesColumn).has_value());  // unknown
  QCOMPARE(model.headerData(CompareMetricsModel::FirstEvalColumn, Qt::Horizontal).toString(),
           QStringLiteral("object_count"));
}

void CompareTest::initTestCase() {
  QSignalSpy loaded(&session_, &StudioSession::modelLoaded);
  session_.loadModel(QString::fromStdString(pipeline::default_model_dir()), QStringLiteral("cpu"));
  QVERIFY(loaded.wait(120000));
  QVERIFY(!session_.modelInfo().sidecarPath.isEmpty());
}

std::vector<std::string> CompareTest::engineModes() {
  std::vector<std::string> modes;
  QString error;
  const bool ok = session_.runAndWait(
      [&](TaskContext& ctx) { modes = pipeline::attention_mode_names(ctx.session().textToVideo().dit()); }, &error);
  if (!ok) qWarning("%s", qPrintable(error));
  return modes;
}

void CompareTest::teacherVersusConvertedMetricsAndExport() {
  QTemporaryDir folder;
  const std::vector<std::string> before = engineModes();
  QVERIFY(!before.empty());

  ComparePanel panel(&session_);  // the panel's default choice is teacher vs converted
  const QVector<CompareVariant> variants = panel.checkedVariants();
  QCOMPARE(variants.size(), 2);
  QCOMPARE(variants[0].kind, VariantKind::Teacher);
  QCOMPARE(variants[1].kind, VariantKind::Converted);

  CompareController* controller = panel.controller();
  controller->setOutputFolder(folder.path());
  const ModelInfo& info = session_.modelInfo();
  GenerateRequest r;
  r.prompt = QStringLiteral("a small red circle moving left on a black background");
  r.seed = 3;
  r.steps = 4;
  r.guidance = info.defaults.guidance, r.shift = info.defaults.shift;
  r.frames = info.defaults.frames, r.height = info.defaults.height, r.width = info.defaults.width;
  QSignalSpy finished(controller, &CompareController::finished);
  QSignalSpy failed(controller, &CompareController::failed);
  QVERIFY(controller->run(r, variants));
  QVERIFY(!controller->run(r, variants));  // one comparison at a time
  QVERIFY(finished.wait(180000));
  QCOMPARE(failed.count(), 0);

  const CompareMetricsModel* m = controller->metrics();
  QCOMPARE(m->rowCount(), 2);
  QCOMPARE(m->row(0).layerMask, QStringLiteral("none"));
  QCOMPARE(m->row(1).layerMask, QStringLiteral("1-4"));
  QCOMPARE(*m->speedup(0), 1.0);
  QVERIFY(m->speedup(1).has_value() && *m->speedup(1) > 0);
  QVERIFY(!m->row(0).psnr.has_value());
  QVERIFY(!m->value(0, CompareMetricsModel::SsimColumn).has_value());
  const double psnr = *m->row(1).psnr, ssim = *m->row(1).ssim;
  QVERIFY2(std::isfinite(psnr) && psnr > 10 && psnr < 100, qPrintable(QString::number(psnr)));
  QVERIFY2(ssim > 0 && ssim <= 1, qPrintable(QString::number(ssim)));
  for (int row = 0; row < 2; ++row) {
    QVERIFY2(m->row(row).hasEval, qPrintable(m->row(row).note));
    QVERIFY(m->row(row).flicker >= 0);
    for (int c = CompareMetricsModel::FirstEvalColumn; c <= CompareMetricsModel::EvalTotalColumn; ++c) {
      const std::optional<double> v = m->value(row, c);
      QVERIFY(v && *v >= 0 && *v <= 100);
    }
  }
  QVERIFY(m->row(0).ditSeconds > 0 && m->row(0).totalSeconds >= m->row(0).ditSeconds);
  QCOMPARE(controller->clipPaths().size(), 2);
  for (const QString& path : controller->clipPaths()) QVERIFY(QFileInfo::exists(path));
  QCOMPARE(engineModes(), before);  // every variant restored the session's modes

  const QString out = QDir(folder.path()).filePath(QStringLiteral("side-by-side.mp4"));
  QSignalSpy exported(controller, &CompareController::exported);
  controller->exportSideBySide(out);
  QVERIFY(exported.wait(60000));
  const media::VideoFile clip = media::read_video(out.toStdString());
  QCOMPARE(clip.frames.width, 2 * static_cast<int>(info.defaults.width));
  QCOMPARE(clip.frames.height, static_cast<int>(info.defaults.height));
  QCOMPARE(clip.frames.count, static_cast<int>(info.defaults.frames));
}

void CompareTest::studentIsSampledOnItsScheduleWithoutCfg() {
  QTemporaryDir folder;
  const QString file = test::writeTestStudent(session_, folder.filePath(QStringLiteral("tiny.student.safetensors")),
                                              {1000, 500}, /*linearLayer=*/2);
  QVERIFY(!file.isEmpty());
  const std::vector<std::string> modesBefore = engineModes();
  const std::vector<at::Tensor> weightsBefore = test::copyDitWeights(session_);

  ComparePanel panel(&session_);
  const int listed = static_cast<int>(panel.checkedVariants().size());
  QVERIFY(!panel.addStudentFile(session_.modelInfo().sidecarPath));  // a sidecar is not a student
  QCOMPARE(panel.checkedVariants().size(), listed);
  QVERIFY(panel.addStudentFile(file));
  const QVector<CompareVariant> checked = panel.checkedVariants();
  QCOMPARE(checked.size(), listed + 1);
  const CompareVariant student = checked.last();
  QCOMPARE(student.kind, VariantKind::Student);
  QCOMPARE(student.label, QStringLiteral("2-step student (tiny.student.safetensors)"));

  CompareController* controller = panel.controller();
  controller->setOutputFolder(folder.path());
  const ModelInfo& info = session_.modelInfo();
  QVERIFY(info.defaults.guidance > 1);  // the teacher samples with CFG
  GenerateRequest r;
  r.prompt = QStringLiteral("a large blue square moving right on a white background");
  r.seed = 5;
  r.steps = 3;
  r.guidance = info.defaults.guidance, r.shift = info.defaults.shift;
  r.frames = 5, r.height = 64, r.width = 64;  // small: the test counts passes
  QSignalSpy finished(controller, &CompareController::finished);
  QSignalSpy failed(controller, &CompareController::failed);
  QVERIFY(controller->run(r, {checked.first(), student}));
  QVERIFY(finished.wait(180000));
  QCOMPARE(failed.count(), 0);

  const CompareMetricsModel* m = controller->metrics();
  QCOMPARE(m->rowCount(), 2);
  QCOMPARE(m->row(0).steps, 3);
  QCOMPARE(m->row(0).ditForwards, 6);  // CFG: two passes a step
  QCOMPARE(m->row(0).guidance, info.defaults.guidance);
  QCOMPARE(m->row(1).label, student.label);
  QCOMPARE(m->row(1).steps, 2);        // the student's schedule, not the request's 3 steps
  QCOMPARE(m->row(1).ditForwards, 2);  // no CFG
  QCOMPARE(m->row(1).guidance, 1.0);
  QCOMPARE(m->row(1).layerMask, QStringLiteral("2"));  // the student's modes
  QVERIFY(m->speedup(1).has_value() && *m->speedup(1) > 0);
  QCOMPARE(m->data(m->index(1, CompareMetricsModel::PassesColumn)).toString(), QStringLiteral("2 (2 × 1)"));
  const media::VideoFile clip = media::read_video(m->row(1).path.toStdString());
  QCOMPARE(clip.frames.count, 5);

  // The model is the loaded one again: its modes and every weight.
  QCOMPARE(engineModes(), modesBefore);
  QVERIFY(test::sameTensors(test::copyDitWeights(session_), weightsBefore));
}

QTEST_MAIN(CompareTest)
#include "compare_test.moc"
