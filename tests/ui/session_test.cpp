// StudioSession: tasks run on the engine thread in order, report progress to the UI thread,
// cancel promptly, fail with readable messages; model loading fills ModelInfo or fails in words.
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <atomic>
#include <stdexcept>

#include "core/error.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/model_loader.h"
#include "core/pipeline/text_to_video.h"
#include "ui/engine/job_list_model.h"
#include "ui/engine/studio_session.h"
#include "ui/widgets/job_list_view.h"
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableView>

using linvideo::ui::StudioSession;
using linvideo::ui::Task;
using linvideo::ui::TaskContext;
using linvideo::ui::TaskId;

class SessionTest : public QObject {
  Q_OBJECT

 private slots:
  void progressArrivesInOrderAndCancelIsPrompt();
  void throwingTaskFails();
  void engineAccessorsRefuseTheUiThread();
  void loadsTheDefaultModel();
  void missingFolderFailsNamingIt();
  void jobListShowsTheQueueWithProgressLogAndCancel();
};

void SessionTest::progressArrivesInOrderAndCancelIsPrompt() {
  StudioSession session;
  std::atomic<bool> ranOnEngineThread{false};
  std::atomic<int> order{0};
  int longTaskOrder = -1, shortTaskOrder = -1;

  Task longTask{QStringLiteral("long"), [&](TaskContext& ctx) {
                  ranOnEngineThread = ctx.session().isEngineThread();
                  longTaskOrder = order++;
                  // Ten reports, then run until cancelled (the test cancels once all ten arrived,
                  // so a slow machine cannot cut the reports short).
                  for (int i = 0; i < 10; ++i) {
                    ctx.progress(i / 10.0, QStringLiteral("step %1").arg(i), 10 - i);
                    QThread::msleep(5);
                  }
                  for (int i = 0; i < 100000 && !ctx.cancelled(); ++i) QThread::msleep(5);
                }};
  Task shortTask{QStringLiteral("short"), [&](TaskContext& ctx) {
                   shortTaskOrder = order++;
                   ctx.progress(1.0, QStringLiteral("done"));
                 }};

  QList<double> fractions;
  bool allOnUiThread = true;
  connect(&session, &StudioSession::taskProgress, this,
          [&](TaskId, double fraction, const QString&, double) {
            fractions << fraction;
            allOnUiThread = allOnUiThread && QThread::currentThread() == thread();
          });
  QSignalSpy cancelled(&session, &StudioSession::taskCancelled);
  QSignalSpy finished(&session, &StudioSession::taskFinished);

  const TaskId longId = session.submit(longTask)->id();
  const TaskId shortId = session.submit(shortTask)->id();
  QVERIFY(longId != shortId);
  QTRY_VERIFY_WITH_TIMEOUT(fractions.size() >= 10, 10000);
  QVERIFY(ranOnEngineThread);
  QCOMPARE(session.currentTask(), longId);

  QElapsedTimer sinceCancel;
  sinceCancel.start();
  session.cancel(longId);
  QTRY_COMPARE_WITH_TIMEOUT(cancelled.size(), 1, 1000);
  QVERIFY2(sinceCancel.elapsed() < 1000, qPrintable(QString::number(sinceCancel.elapsed())));
  QCOMPARE(cancelled.at(0).at(0).value<TaskId>(), longId);

  QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
  QCOMPARE(finished.at(0).at(0).value<TaskId>(), shortId);
  QCOMPARE(longTaskOrder, 0);
  QCOMPARE(shortTaskOrder, 1);
  QVERIFY(allOnUiThread);
  // Ten reports from the long task, in order, then the short task's.
  QCOMPARE(fractions.size(), 11);
  for (int i = 0; i < 10; ++i) QCOMPARE(fractions[i], i / 10.0);
  QCOMPARE(fractions.back(), 1.0);
  QCOMPARE(session.pendingTasks(), 0);
}

void SessionTest::throwingTaskFails() {
  StudioSession session;
  QSignalSpy failed(&session, &StudioSession::taskFailed);
  session.submit({QStringLiteral("throws"), [](TaskContext&) {
                    throw linvideo::Error("broken.safetensors: tensor 'x' has the wrong shape");
                  }});
  QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 5000);
  QCOMPARE(failed.at(0).at(1).toString(),
           QStringLiteral("broken.safetensors: tensor 'x' has the wrong shape"));

  QString error;
  QVERIFY(
      !session.runAndWait([](TaskContext&) { throw std::runtime_error("plain failure"); }, &error));
  QCOMPARE(error, QStringLiteral("plain failure"));
  QVERIFY(session.runAndWait([](TaskContext&) {}, &error));
}

void SessionTest::engineAccessorsRefuseTheUiThread() {
  StudioSession session;
  QVERIFY_THROWS_EXCEPTION(linvideo::Error, session.textToVideo());
  QString error;
  QVERIFY(!session.runAndWait([](TaskContext& ctx) { ctx.session().textToVideo(); }, &error));
  QVERIFY2(error.contains(QStringLiteral("no model is loaded")), qPrintable(error));
}

void SessionTest::loadsTheDefaultModel() {
  StudioSession session;
  QSignalSpy loaded(&session, &StudioSession::modelLoaded);
  QSignalSpy failedLoad(&session, &StudioSession::modelLoadFailed);
  const QString folder = QString::fromStdString(linvideo::pipeline::default_model_dir());
  session.loadModel(folder, QStringLiteral("cpu"), QStringLiteral("fp32"));
  QTRY_VERIFY_WITH_TIMEOUT(loaded.size() + failedLoad.size() > 0, 120000);
  QVERIFY2(failedLoad.isEmpty(),
           failedLoad.isEmpty() ? "" : qPrintable(failedLoad.at(0).at(0).toString()));

  const linvideo::ui::ModelInfo& info = session.modelInfo();
  QVERIFY(info.isValid());
  QCOMPARE(info.numLayers, 8);
  QCOMPARE(info.dim, 224);
  QCOMPARE(info.numHeads, 4);
  QCOMPARE(info.headDim, 56);
  QCOMPARE(info.precision, QStringLiteral("fp32"));
  QCOMPARE(info.device, QStringLiteral("cpu"));
  QVERIFY(info.parameterCount > 1000000);
  QCOMPARE(info.weightBytes, static_cast<quint64>(info.parameterCount) * 4);
  QVERIFY2(info.sidecarPath.endsWith(QStringLiteral("shapes.linvideo.safetensors")),
           qPrintable(info.sidecarPath));
  // The forms' defaults are the folder's (model_index.json), all of them, sampler and grid too,
  // and they ask the engine for exactly those settings.
  const linvideo::pipeline::GenerationSettings folderDefaults =
      linvideo::pipeline::model_defaults(folder.toStdString(), linvideo::pipeline::GenerationSettings{});
  QCOMPARE(info.defaults.steps, folderDefaults.steps);
  QCOMPARE(info.defaults.frames, folderDefaults.frames);
  QCOMPARE(info.defaults.width, folderDefaults.width);
  QCOMPARE(info.defaults.guidance, folderDefaults.guidance);
  QCOMPARE(info.defaults.shift, folderDefaults.shift);
  const linvideo::pipeline::GenerationSettings asked = info.defaults.toSettings(folderDefaults);
  QCOMPARE(static_cast<int>(asked.solver), static_cast<int>(folderDefaults.solver));
  QCOMPARE(static_cast<int>(asked.grid), static_cast<int>(folderDefaults.grid));
  QCOMPARE(asked.use_default_negative, folderDefaults.use_default_negative);

  // The engine objects are reachable from tasks.
  std::int64_t layers = 0;
  QString error;
  QVERIFY2(session.runAndWait(
               [&](TaskContext& ctx) { layers = ctx.session().textToVideo().dit().num_layers(); },
               &error),
           qPrintable(error));
  QCOMPARE(layers, 8);
}

void SessionTest::missingFolderFailsNamingIt() {
  StudioSession session;
  QSignalSpy failedLoad(&session, &StudioSession::modelLoadFailed);
  QSignalSpy taskFailed(&session, &StudioSession::taskFailed);
  const QString missing = QStringLiteral("/nonexistent/linvideo-model-folder");
  session.loadModel(missing);
  QTRY_COMPARE_WITH_TIMEOUT(failedLoad.size(), 1, 10000);
  QVERIFY2(failedLoad.at(0).at(0).toString().contains(missing),
           qPrintable(failedLoad.at(0).at(0).toString()));
  QTRY_COMPARE_WITH_TIMEOUT(taskFailed.size(), 1, 1000);
  QVERIFY(!session.modelInfo().isValid());
}

void SessionTest::jobListShowsTheQueueWithProgressLogAndCancel() {
  using linvideo::ui::JobListModel;
  using State = JobListModel::State;
  StudioSession session;
  linvideo::ui::JobListView view(&session);
  JobListModel* jobs = view.model();
  const auto stateOf = [&](int row) { return jobs->job(row).state; };
  std::atomic<bool> release{false};
  session.submit({QStringLiteral("long"), [&](TaskContext& ctx) {
                    ctx.log(QStringLiteral("fitting maps of layer 3"));
                    ctx.progress(0.5, QStringLiteral("half way"), 12);
                    while (!ctx.cancelled() && !release) QThread::msleep(2);
                  }});
  session.submit({QStringLiteral("queued"), [](TaskContext&) {}});
  QCOMPARE(jobs->rowCount(), 2);  // listed as soon as submitted
  QTRY_COMPARE_WITH_TIMEOUT(stateOf(0), State::Running, 5000);
  QCOMPARE(stateOf(1), State::Queued);
  QTRY_COMPARE_WITH_TIMEOUT(jobs->data(jobs->index(0, JobListModel::ProgressColumn)).toString(), QStringLiteral("50%"), 5000);
  QVERIFY(jobs->data(jobs->index(0, JobListModel::TimeColumn)).toString().contains(QStringLiteral("left")));
  QTRY_COMPARE_WITH_TIMEOUT(jobs->job(0).log, QStringList{QStringLiteral("fitting maps of layer 3")}, 5000);
  // The view follows the queue: the first job is selected and its log shown, Cancel enabled.
  QTRY_VERIFY(view.logView()->toPlainText().contains(QStringLiteral("layer 3")));
  QVERIFY(view.cancelButton()->isEnabled());
  // Cancel the queued one, then the running one.
  QVERIFY(jobs->cancel(1));
  QVERIFY(jobs->cancel(0));
  QTRY_COMPARE_WITH_TIMEOUT(stateOf(0), State::Cancelled, 5000);
  QTRY_COMPARE_WITH_TIMEOUT(stateOf(1), State::Cancelled, 5000);
  QVERIFY(!jobs->cancel(0));  // an ended job cannot be cancelled
  QVERIFY(!jobs->cancel(7));
  QTRY_VERIFY(!view.cancelButton()->isEnabled());
  // A failure shows its message.
  session.submit({QStringLiteral("broken"), [](TaskContext&) { throw linvideo::Error("x.safetensors: truncated"); }});
  QTRY_COMPARE_WITH_TIMEOUT(stateOf(2), State::Failed, 5000);
  QVERIFY(jobs->data(jobs->index(2, JobListModel::StateColumn)).toString().contains(QStringLiteral("x.safetensors: truncated")));
  jobs->clearEnded();
  QCOMPARE(jobs->rowCount(), 0);
  // Bounded: past kMaxEnded ended jobs the oldest go.
  for (int i = 0; i < JobListModel::kMaxEnded + 10; ++i) session.submit({QStringLiteral("quick"), [](TaskContext&) {}});
  QTRY_COMPARE_WITH_TIMEOUT(session.pendingTasks(), 0, 20000);
  QVERIFY2(jobs->rowCount() <= JobListModel::kMaxEnded + 1, qPrintable(QString::number(jobs->rowCount())));
  QVERIFY(jobs->rowCount() >= JobListModel::kMaxEnded - 1);
}

QTEST_MAIN(SessionTest)  // widgets: the job list view
#include "session_test.moc"
