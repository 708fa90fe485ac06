// The Train panel's "Distill (DMD2)" page on the shapes model at a tiny latent size: Start runs
// N generator steps with chart lines for dm_loss / critic_loss / gap and ETA, writes a student
// file with the chosen schedule and offers it to Compare, leaving the engine's model (the teacher)
// as it was; Pause stops at the next step with a checkpoint and Resume continues to the same N
// steps and to the same student, bit for bit; bad settings are one-line messages.
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "core/io/safetensors.h"
#include "core/method/student.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/clip_tags.h"
#include "core/pipeline/model_loader.h"
#include "tests/ui/student_fixture.h"
#include "ui/engine/student_file.h"
#include "ui/engine/studio_session.h"
#include "ui/panels/distill_page.h"
#include "ui/panels/train_panel.h"
#include "ui/train/distill_controller.h"
#include "ui/train/train_controller.h"
#include "ui/widgets/loss_chart.h"

using namespace linvideo;
using namespace linvideo::ui;
using State = DistillController::State;

class DistillTest : public QObject {
  Q_OBJECT

 private slots:
  void settingsRoundTripThroughJson();
  void initTestCase();
  void startRunsNStepsAndWritesAStudent();
  void pauseStopsAtTheNextStepAndResumeReachesTheSameStudent();
  void badSettingsAreOneLineMessages();

 private:
  DistillSettings tinySettings(const QString& runDir) const;
  std::vector<std::string> engineModes();
  QStringList metricSteps(const QString& runDir) const;

  StudioSession session_;
  QTemporaryDir dir_;
  QString firstStudent_;
  static constexpr int kSteps = 10;
};

void DistillTest::settingsRoundTripThroughJson() {
  QCOMPARE(DistillSettings::evenTimesteps(4), (QVector<double>{1000, 750, 500, 250}));
  DistillSettings s;
  s.sidecar = QStringLiteral("/models/x.linvideo.safetensors");
  s.studentTimesteps = {1000, 600, 200};
  s.criticUpdates = 3;
  s.lrGenerator = 3e-6;
  s.frames = 5;
  s.seed = 18446744073709551615ull;  // survives JSON (as text)
  QString error = QStringLiteral("unset");
  const DistillSettings back = DistillSettings::fromJson(s.toJson(), &error);
  QCOMPARE(error, QString());
  QCOMPARE(back.sidecar, s.sidecar);
  QCOMPARE(back.studentTimesteps, s.studentTimesteps);
  QCOMPARE(back.criticUpdates, 3);
  QCOMPARE(back.lrGenerator, 3e-6);
  QCOMPARE(back.frames, qint64(5));
  QCOMPARE(back.seed, s.seed);
  DistillSettings::fromJson(QStringLiteral("[1, 2]"), &error, QStringLiteral("d.json"));
  QVERIFY(error.startsWith(QStringLiteral("d.json ")));
  const QList<QPair<const char*, const char*>> cases = {
      {R"({"student_timesteps": [1000, "x"]})", "'student_timesteps'"},
      {R"({"student_timesteps": 4})", "'student_timesteps'"},
      {R"({"critic_updates": 0})", "'critic_updates'"},
      {R"({"frames": -5})", "'frames'"},
      {R"({"seed": 12})", "'seed'"},
      {R"({"seed": "12abc"})", "'seed'"},
      {R"({"sidecar": false})", "'sidecar'"}};
  for (const auto& [json, field] : cases) {
    DistillSettings::fromJson(QString::fromUtf8(json), &error, QStringLiteral("d.json"));
    QVERIFY2(error.startsWith(QStringLiteral("d.json")) && error.contains(QLatin1String(field)), qPrintable(error));
  }
}

void DistillTest::initTestCase() {
  QVERIFY(dir_.isValid());
  QSignalSpy loaded(&session_, &StudioSession::modelLoaded);
  session_.loadModel(QString::fromStdString(pipeline::default_model_dir()), QStringLiteral("cpu"));
  QVERIFY(loaded.wait(120000));
  QVERIFY(!session_.modelInfo().sidecarPath.isEmpty());
}

DistillSettings DistillTest::tinySettings(const QString& runDir) const {
  DistillSettings s;  // the sidecar: the loaded model's (left empty)
  s.steps = kSteps;
  s.studentTimesteps = {1000, 500};
  s.criticUpdates = 1;
  s.lrGenerator = s.lrCritic = 1e-3;  // large enough that every step moves the weights
  s.maxPrompts = 2;
  s.checkpointEvery = 1000;  // only Pause and the end checkpoint: the test measures those
  s.frames = 5, s.height = 32, s.width = 32;
  s.runDir = runDir;
  return s;
}

std::vector<std::string> DistillTest::engineModes() {
  std::vector<std::string> modes;
  session_.runAndWait([&](TaskContext& ctx) {
    modes = pipeline::attention_mode_names(ctx.session().textToVideo().dit());
  });
  return modes;
}

QStringList DistillTest::metricSteps(const QString& runDir) const {
  QStringList steps;
  QFile file(QDir(runDir).filePath(QStringLiteral("metrics.jsonl")));
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) return steps;
  while (!file.atEnd()) {
    const QJsonObject o = QJsonDocument::fromJson(file.readLine()).object();
    if (!o.isEmpty()) steps << QString::number(o.value("step").toInteger());
  }
  return steps;
}

void DistillTest::startRunsNStepsAndWritesAStudent() {
  const std::vector<std::string> modesBefore = engineModes();
  const std::vector<at::Tensor> weightsBefore = test::copyDitWeights(session_);
  TrainPanel panel(&session_, nullptr, /*persist=*/false);
  DistillPage* page = panel.distillPage();
  DistillController* c = page->controller();
  const QString run = dir_.filePath(QStringLiteral("full"));
  page->setForm(tinySettings(run));
  page->setStartSidecar(session_.modelInfo().sidecarPath);

  QSignalSpy steps(c, &DistillController::stepReported);
  QSignalSpy progress(c, &DistillController::progress);
  QSignalSpy finished(c, &DistillController::finished);
  QSignalSpy failed(c, &DistillController::failed);
  auto* start = page->findChild<QPushButton*>(QStringLiteral("distillStart"));
  auto* compare = page->findChild<QPushButton*>(QStringLiteral("distillCompare"));
  QVERIFY(start && compare);
  QVERIFY(!compare->isEnabled());
  start->click();
  QCOMPARE(c->state(), State::Training);
  QVERIFY(!start->isEnabled());
  QVERIFY(!c->start(tinySettings(run)));  // one run at a time
  QVERIFY(finished.wait(120000));
  QCOMPARE(failed.count(), 0);
  QCOMPARE(c->state(), State::Finished);

  QCOMPARE(steps.count(), kSteps);
  for (int i = 0; i < kSteps; ++i) {
    const auto r = steps.at(i).at(0).value<DistillStepReport>();
    QCOMPARE(r.step, qint64(i + 1));
    QCOMPARE(r.total, qint64(kSteps));
    QVERIFY(r.studentStep >= 0 && r.studentStep < 2);
    for (const char* name : {"dm_loss", "critic_loss", "gap"})
      QVERIFY2(std::isfinite(r.losses.value(QLatin1String(name), NAN)), name);
  }
  QCOMPARE(progress.count(), kSteps);
  QCOMPARE(progress.last().at(0).toDouble(), 1.0);
  QVERIFY(progress.first().at(1).toDouble() >= 0);  // an ETA from the first step on
  QCOMPARE(page->lossChart()->lineNames(),
           (QStringList{QStringLiteral("critic_loss"), QStringLiteral("dm_loss"),
                        QStringLiteral("gap")}));
  QCOMPARE(page->lossChart()->points(QStringLiteral("dm_loss")), kSteps);

  // The student: at RUN/student.safetensors, on the chosen schedule, announced and offered.
  const QString student = finished.first().at(0).toString();
  QCOMPARE(student, DistillController::studentPath(run));
  QCOMPARE(c->student(), student);
  QVERIFY(QFileInfo::exists(student));
  const StudentInfo info = readStudentInfo(student);
  QVERIFY2(info.isValid(), qPrintable(info.error));
  const auto schedule =
      method::make_few_step_schedule({1000, 500}, session_.modelInfo().defaults.shift);
  QCOMPARE(std::vector<double>(info.timesteps.begin(), info.timesteps.end()), schedule.timesteps());
  QVERIFY2(c->statusText().contains(QStringLiteral("2-step")), qPrintable(c->statusText()));
  QCOMPARE(metricSteps(run).size(), kSteps);
  QVERIFY(compare->isEnabled());
  QSignalSpy offered(page, &DistillPage::compareRequested);
  compare->click();
  QCOMPARE(offered.count(), 1);
  QCOMPARE(offered.first().at(0).toString(), student);

  // The teacher (the engine's model) is as it was.
  QCOMPARE(engineModes(), modesBefore);
  QVERIFY(test::sameTensors(test::copyDitWeights(session_), weightsBefore));
  firstStudent_ = student;
}

void DistillTest::pauseStopsAtTheNextStepAndResumeReachesTheSameStudent() {
  QVERIFY(!firstStudent_.isEmpty());
  DistillPage page(&session_, nullptr, /*persist=*/false);
  DistillController* c = page.controller();
  const QString run = dir_.filePath(QStringLiteral("cut"));
  QSignalSpy steps(c, &DistillController::stepReported);
  QVERIFY(c->start(tinySettings(run)));
  QVERIFY(steps.wait(120000));
  c->pause();  // takes effect before the next step
  QTRY_COMPARE_WITH_TIMEOUT(c->state(), State::Paused, 60000);
  const qint64 pausedAt = TrainController::checkpointStep(run);
  QVERIFY2(pausedAt >= 1 && pausedAt < kSteps, qPrintable(QString::number(pausedAt)));
  QCOMPARE(steps.count(), int(pausedAt));  // no step ran after the one that saw the pause
  QCOMPARE(metricSteps(run).size(), int(pausedAt));
  QVERIFY(c->student().isEmpty());
  QVERIFY(!QFileInfo::exists(DistillController::studentPath(run)));
  QVERIFY2(c->statusText().contains(QString::number(pausedAt)), qPrintable(c->statusText()));

  // Resume: the checkpointed steps are replayed into the chart, the rest are trained.
  steps.clear();
  QSignalSpy finished(c, &DistillController::finished);
  QVERIFY(c->resume());
  QVERIFY(finished.wait(120000));
  QCOMPARE(c->state(), State::Finished);
  QCOMPARE(steps.count(), kSteps);
  QCOMPARE(steps.last().at(0).value<DistillStepReport>().step, qint64(kSteps));
  QCOMPARE(page.lossChart()->points(QStringLiteral("gap")), kSteps);
  QStringList expected;
  for (int i = 1; i <= kSteps; ++i) expected << QString::number(i);
  QCOMPARE(metricSteps(run), expected);

  // Exact resume: the same student as the uninterrupted run of the same settings.
  const io::SafetensorsFile resumed(c->student().toStdString()), full(firstStudent_.toStdString());
  QCOMPARE(resumed.header().tensors.size(), full.header().tensors.size());
  int compared = 0;
  for (const auto& entry : full.header().tensors) {
    QVERIFY2(resumed.tensor(entry.name).equal(full.tensor(entry.name)), entry.name.c_str());
    ++compared;
  }
  QVERIFY(compared > 100);
}

void DistillTest::badSettingsAreOneLineMessages() {
  DistillPage page(&session_, nullptr, /*persist=*/false);
  DistillController* c = page.controller();
  QSignalSpy failed(c, &DistillController::failed);
  auto expectRefused = [&](const DistillSettings& s, const QString& words) {
    failed.clear();
    QVERIFY(!c->start(s));
    QCOMPARE(failed.count(), 1);
    const QString message = failed.first().at(0).toString();
    QVERIFY2(message.contains(words) && !message.contains('\n'), qPrintable(message));
    QCOMPARE(c->state(), State::Failed);
  };
  DistillSettings s = tinySettings(dir_.filePath(QStringLiteral("bad")));
  s.sidecar = dir_.filePath(QStringLiteral("missing.linvideo.safetensors"));
  expectRefused(s, QStringLiteral("missing.linvideo.safetensors"));
  s = tinySettings(dir_.filePath(QStringLiteral("full")));  // holds the finished run
  expectRefused(s, QStringLiteral("already holds a run"));
  s = tinySettings(dir_.filePath(QStringLiteral("bad")));
  s.promptsFile = dir_.filePath(QStringLiteral("no-prompts.txt"));
  expectRefused(s, QStringLiteral("no-prompts.txt"));

  // The engine's own checks arrive as the task's one-line failure, naming the setting.
  failed.clear();
  s = tinySettings(dir_.filePath(QStringLiteral("bad-timesteps")));
  s.studentTimesteps = {500, 750};
  QVERIFY(c->start(s));
  QVERIFY(failed.wait(60000));
  const QString message = failed.first().at(0).toString();
  QVERIFY2(message.contains(QStringLiteral("timesteps")) && !message.contains('\n'),
           qPrintable(message));
  QCOMPARE(c->state(), State::Failed);

  // A timestep that is not a number never reaches the engine.
  page.setForm(tinySettings(dir_.filePath(QStringLiteral("typo"))));
  QString error;
  QCOMPARE(page.settingsFromForm(&error).studentTimesteps, (QVector<double>{1000, 500}));
  QVERIFY(error.isEmpty());
  auto* timesteps = page.findChild<QLineEdit*>(QStringLiteral("distillTimesteps"));
  QVERIFY(timesteps);
  timesteps->setText(QStringLiteral("1000, 5OO"));
  page.settingsFromForm(&error);
  QVERIFY2(error.contains(QStringLiteral("'5OO'")), qPrintable(error));
  failed.clear();
  page.startFromForm();
  QCOMPARE(c->state(), State::Failed);  // as the last run left it: nothing was started
  QCOMPARE(failed.count(), 0);
  QVERIFY(!QFileInfo::exists(dir_.filePath(QStringLiteral("typo"))));

  // A plain sidecar is not a student: Compare and Generate refuse it with the reason.
  const StudentInfo notStudent = readStudentInfo(session_.modelInfo().sidecarPath);
  QVERIFY(!notStudent.isValid());
  QVERIFY2(notStudent.error.contains(QStringLiteral("not a distilled student")),
           qPrintable(notStudent.error));
}

QTEST_MAIN(DistillTest)
#include "distill_test.moc"
