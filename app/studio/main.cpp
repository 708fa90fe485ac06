// linvideo-studio: the Qt desktop front end over the engine (issue 6).
//   linvideo-studio [--model DIR] [--panel NAME]
//   linvideo-studio --screenshot out.png [--panel model|layers|train|generate|compare] [--in-use]
#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>
#include <QTemporaryDir>
#include <QTimer>
#include <cstdio>
#include <exception>

#include "core/pipeline/model_loader.h"
#include "core/process_tuning.h"
#include "ui/engine/studio_session.h"
#include "ui/main_window.h"

namespace {

constexpr int kScreenshotTimeoutMs = 600000;  // loading takes seconds; an in-use job minutes

}  // namespace

int main(int argc, char** argv) {
  linvideo::tune_allocator();
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("LinVideo"));
  QApplication::setApplicationName(QStringLiteral("Studio"));
  QApplication::setApplicationVersion(QStringLiteral(LINVIDEO_VERSION));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "LinVideo Studio: load, linearise, train and compare video diffusion transformers"));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption model(
      QStringLiteral("model"),
      QStringLiteral("Model folder to open (default: the embedded shapes model)"),
      QStringLiteral("DIR"));
  const QCommandLineOption panel(
      QStringLiteral("panel"),
      QStringLiteral("Panel to show: %1").arg(linvideo::ui::MainWindow::panelNames().join('|')),
      QStringLiteral("NAME"), QStringLiteral("model"));
  const QCommandLineOption screenshot(
      QStringLiteral("screenshot"),
      QStringLiteral("Render the window (1280x800) once the model is loaded, write a PNG and exit"),
      QStringLiteral("PATH"));
  const QCommandLineOption inUse(
      QStringLiteral("in-use"),
      QStringLiteral("With --screenshot: run the panel's job first (a scan, a short training run, a clip, a "
                     "comparison) and grab the window when it has finished"));
  parser.addOptions({model, panel, screenshot, inUse});
  parser.process(app);

  const QString panelName = parser.value(panel);
  if (!linvideo::ui::MainWindow::panelNames().contains(panelName)) {
    std::fprintf(stderr, "linvideo-studio: --panel must be one of %s (got '%s')\n",
                 qPrintable(linvideo::ui::MainWindow::panelNames().join(", ")),
                 qPrintable(panelName));
    return 2;
  }
  const bool takeScreenshot = parser.isSet(screenshot);

  linvideo::ui::StudioSession session;
  using linvideo::ui::MainWindow;
  MainWindow window(&session, takeScreenshot ? MainWindow::SettingsMode::Ephemeral
                                             : MainWindow::SettingsMode::Persist);
  if (takeScreenshot) window.resize(1280, 800);
  window.setCurrentPanel(panelName);
  window.show();

  QString modelDir = parser.value(model);
  if (modelDir.isEmpty()) {
    try {
      modelDir = QString::fromStdString(linvideo::pipeline::default_model_dir());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "linvideo-studio: %s\n", e.what());
      if (takeScreenshot) return 1;
    }
  }
  if (!modelDir.isEmpty()) window.openModel(modelDir);
  if (!takeScreenshot) return app.exec();

  // Screenshot: wait for the load to end, let the panels lay out, grab, exit.
  int status = 1;
  bool jobFailed = false;
  const QString path = parser.value(screenshot);
  auto grab = [&](bool loaded) {
    QTimer::singleShot(300, &app, [&, loaded] {
      const bool saved = window.grab().save(path, "PNG");
      if (!saved)
        std::fprintf(stderr, "linvideo-studio: %s: could not write the PNG\n", qPrintable(path));
      status = saved && loaded && !jobFailed ? 0 : 1;
      app.quit();
    });
  };
  QTemporaryDir scratch;  // the in-use jobs' clips and runs; removed on exit
  QObject::connect(&session, &linvideo::ui::StudioSession::modelLoaded, &app, [&] {
    if (!parser.isSet(inUse) || !window.startDemo(panelName, scratch.path())) return grab(true);
    QObject::connect(&session, &linvideo::ui::StudioSession::taskFailed, &app,
                     [&](linvideo::ui::TaskId, const QString& message) {
                       std::fprintf(stderr, "linvideo-studio: the in-use job failed: %s\n", qPrintable(message));
                       jobFailed = true;
                     });
    // Wait until the queue is empty (the job and whatever it queued), then grab.
    auto* poll = new QTimer(&app);
    QObject::connect(poll, &QTimer::timeout, &app, [&, poll] {
      if (session.pendingTasks() > 0) return;
      poll->stop();
      grab(true);
    });
    poll->start(500);
  });
  QObject::connect(&session, &linvideo::ui::StudioSession::modelLoadFailed, &app,
                   [&](const QString& message) {
                     std::fprintf(stderr, "linvideo-studio: %s\n", qPrintable(message));
                     grab(false);
                   });
  QTimer::singleShot(kScreenshotTimeoutMs, &app, [&] {
    std::fprintf(stderr, "linvideo-studio: the model did not load (or the job did not end) within %d s\n",
                 kScreenshotTimeoutMs / 1000);
    app.exit(1);
  });
  app.exec();
  return status;
}
